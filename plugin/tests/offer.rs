//! The price-table generator end to end: a small hand-made offer file in the real AWS Price
//! List bulk format (`tests/fixtures/AmazonEC2-us-east-1-mini.json`, with decoys: Windows,
//! RHEL, Dedicated and capacity-reservation products, SQL pre-installed software, a Local Zone,
//! another region, Reserved-only terms, data transfer) is turned into table rows and merged
//! into a table file on disk.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use std::path::{Path, PathBuf};

use clap::Parser;
use finfocus_plugin_aws_public::offer::{GenerateArgs, OfferError, Row, generate, read_offer};
use finfocus_plugin_aws_public::pricing::file::TableFile;
use finfocus_plugin_aws_public::pricing::{PriceTable, Service, embedded};
use finfocus_plugin_aws_public::region::Region;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/AmazonEC2-us-east-1-mini.json")
}

/// A fresh, empty scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("finfocus-offer-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn args(out: &Path, region: Region, replace: bool) -> GenerateArgs {
    GenerateArgs {
        offers: vec![fixture()],
        region,
        out: out.to_owned(),
        replace,
    }
}

fn rows_of(text: &str, region: Region) -> TableFile {
    TableFile::parse(region, text).unwrap()
}

#[test]
fn keeps_only_linux_shared_on_demand_rows_of_the_region() {
    let file = std::fs::File::open(fixture()).unwrap();
    let parsed = read_offer(std::io::BufReader::new(file), Region::UsEast1).unwrap();
    assert_eq!(parsed.info.offer_code, "AmazonEC2");
    assert_eq!(parsed.info.publication_date, "2025-11-04T12:00:00Z");
    let row = |service, item: &str, usd: &str| Row {
        service,
        item: item.to_owned(),
        usd: usd.to_owned(),
    };
    assert_eq!(
        parsed.rows,
        vec![
            row(Service::Ec2, "c6g.metal", "2.176"),
            row(Service::Ec2, "m5.large", "0.096"),
            row(Service::Ec2, "t3.micro", "0.0104"),
            row(Service::Ebs, "gp2", "0.1"),
            row(Service::Ebs, "gp3", "0.08"),
            row(Service::EbsExtras, "gp3_iops", "0.005"),
            row(Service::EbsExtras, "gp3_throughput", "40.96"),
        ]
    );
    // m5.xlarge has only a Reserved term.
    assert_eq!(parsed.skipped, 1);

    let file = std::fs::File::open(fixture()).unwrap();
    let ireland = read_offer(std::io::BufReader::new(file), Region::EuWest1).unwrap();
    assert_eq!(
        ireland.rows,
        vec![
            row(Service::Ec2, "t3.micro", "0.0114"),
            row(Service::Ebs, "gp3", "0.088")
        ]
    );
}

#[test]
fn writes_a_new_table_that_the_plugin_loads() {
    let out = scratch("new");
    let summary = generate(&args(&out, Region::UsEast1, false)).unwrap();
    assert_eq!(summary.path, out.join("us-east-1.tsv"));
    assert_eq!(
        (summary.added, summary.updated, summary.unchanged),
        (7, 0, 0)
    );
    assert_eq!(
        summary.rows,
        vec![("ec2", 3), ("ebs", 2), ("ebs_extras", 2)]
    );
    assert_eq!(summary.offers.len(), 1);

    let text = std::fs::read_to_string(&summary.path).unwrap();
    assert!(text.contains("#as_of\tec2\t2025-11-04\n"), "{text}");
    let table = PriceTable::parse(Region::UsEast1, text.leak()).unwrap();
    assert_eq!(table.price(Service::Ec2, "t3.micro"), Some(0.0104));
    assert_eq!(
        table.price(Service::Ec2, "c6g.metal"),
        Some(2.176),
        "shared, not dedicated"
    );
    assert_eq!(table.price(Service::Ebs, "gp3"), Some(0.08));
    assert_eq!(
        table.price(Service::EbsExtras, "gp3_throughput"),
        Some(40.96)
    );
    assert_eq!(table.price(Service::Ec2, "m5.xlarge"), None);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn agrees_with_the_embedded_us_east_1_table() {
    let out = scratch("embedded");
    std::fs::write(out.join("us-east-1.tsv"), embedded(Region::UsEast1)).unwrap();
    let summary = generate(&args(&out, Region::UsEast1, false)).unwrap();
    assert_eq!(
        (
            summary.added,
            summary.updated,
            summary.unchanged,
            summary.removed
        ),
        (0, 0, 7, 0),
        "the fixture's prices are the real published ones"
    );
    let after = std::fs::read_to_string(out.join("us-east-1.tsv")).unwrap();
    let before = rows_of(embedded(Region::UsEast1), Region::UsEast1);
    let after = rows_of(&after, Region::UsEast1);
    for service in Service::ALL {
        assert_eq!(
            after.len(service),
            before.len(service),
            "{}",
            service.name()
        );
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn upsert_keeps_other_rows_and_replace_drops_them() {
    let out = scratch("merge");
    let mut table = TableFile::new(Region::UsEast1);
    table.set(Service::Ec2, "t3.micro", "0.02").unwrap();
    table.set(Service::Ec2, "x1.retired", "9").unwrap();
    table
        .set(Service::S3, "storage_standard_first_50TB", "0.023")
        .unwrap();
    table.set_as_of(Service::Ec2, "2024-01-01");
    let path = out.join("us-east-1.tsv");
    std::fs::write(&path, table.render()).unwrap();

    let summary = generate(&args(&out, Region::UsEast1, false)).unwrap();
    assert_eq!((summary.added, summary.updated, summary.removed), (6, 1, 0));
    let merged = rows_of(&std::fs::read_to_string(&path).unwrap(), Region::UsEast1);
    assert_eq!(merged.get(Service::Ec2, "t3.micro"), Some("0.0104"));
    assert_eq!(merged.get(Service::Ec2, "x1.retired"), Some("9"));
    assert_eq!(merged.as_of(Service::Ec2), Some("2024-01-01..2025-11-04"));

    let summary = generate(&args(&out, Region::UsEast1, true)).unwrap();
    assert_eq!(summary.removed, 1);
    let replaced = rows_of(&std::fs::read_to_string(&path).unwrap(), Region::UsEast1);
    assert_eq!(replaced.get(Service::Ec2, "x1.retired"), None);
    assert_eq!(
        replaced.get(Service::S3, "storage_standard_first_50TB"),
        Some("0.023")
    );
    assert_eq!(replaced.as_of(Service::Ec2), Some("2025-11-04"));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn errors_name_the_problem() {
    let out = scratch("errors");
    let err = generate(&args(&out, Region::ApSouth1, false)).unwrap_err();
    assert!(
        matches!(
            err,
            OfferError::NoRows {
                region: Region::ApSouth1
            }
        ),
        "{err}"
    );
    let mut missing = args(&out, Region::UsEast1, false);
    missing.offers = vec![out.join("nope.json")];
    assert!(matches!(
        generate(&missing).unwrap_err(),
        OfferError::Io { .. }
    ));
    let bad = out.join("bad.json");
    std::fs::write(&bad, "{\"offerCode\": 3}").unwrap();
    let mut not_json = args(&out, Region::UsEast1, false);
    not_json.offers = vec![bad];
    assert!(matches!(
        generate(&not_json).unwrap_err(),
        OfferError::Json { .. }
    ));
    let _ = std::fs::remove_dir_all(out);
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: GenerateArgs,
}

#[test]
fn command_line_shape() {
    let cli = Cli::try_parse_from([
        "gen",
        "--region",
        "eu-west-1",
        "--out",
        "/tmp/x",
        "a.json",
        "b.json",
    ])
    .unwrap();
    assert_eq!(cli.args.region, Region::EuWest1);
    assert_eq!(
        cli.args.offers,
        vec![PathBuf::from("a.json"), PathBuf::from("b.json")]
    );
    assert!(!cli.args.replace);
    assert!(Cli::try_parse_from(["gen", "--region", "mars-1", "a.json"]).is_err());
    assert!(
        Cli::try_parse_from(["gen", "--region", "us-east-1"]).is_err(),
        "an offer file is required"
    );
}
