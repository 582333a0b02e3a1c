//! Maintainer/CI helper: rebuilds `plugin/data/<region>.tsv` from the shared source-fact CSVs
//! (`../shared/pricing/*.csv`, one source per row).
//!
//! ```text
//! cargo run -p finfocus-plugin-aws-public --example import_shared_pricing -- \
//!     ../shared/pricing plugin/data
//! ```
//!
//! Only this helper reads `../shared`; the crate itself embeds the generated tables and never
//! touches the shared directory at build, test or run time. Every row is copied as published; the
//! source column is dropped (it stays in the CSVs) and turned into a per-service data date
//! (`#as_of` header) through [`source_date`]. A source not listed there stops the import, so a
//! refresh from a new source forces its date to be recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use finfocus_plugin_aws_public::pricing::Service;
use finfocus_plugin_aws_public::pricing::file::TableFile;
use finfocus_plugin_aws_public::region::Region;

/// Publication date of the data behind a source reference `owner/repo@commit:path[#key]`.
///
/// Dates come from the shared SOURCES.md: feed publication dates where known, else the date the
/// data was fetched or generated.
fn source_date(source: &str) -> Option<&'static str> {
    let (repo, rest) = source.split_once('@')?;
    let (_commit, path) = rest.split_once(':')?;
    let path = path.split('#').next().unwrap_or(path);
    Some(match (repo, path) {
        ("aws/karpenter-provider-aws", _) => "2026-07-20",
        ("lamngockhuong/aws-price", p) => match p.rsplit('/').next()? {
            "ec2-transformed.json" => "2025-11-04",
            "s3.json" => "2025-10-22",
            "lambda.json" => "2025-10-30",
            "eks.json" | "natgateway.json" => "2025-10-28",
            "dynamodb.json" => "2025-08-28",
            "ecs.json" => "2025-10-27",
            "cloudwatch.json" => "2025-09-23",
            _ => return None,
        },
        ("yeo/ec2.shop", p) if p.starts_with("data/ec2/") => "2025-04-04",
        ("yeo/ec2.shop", p) if p.starts_with("data/ebs/") => "2024-07-18",
        ("yeo/ec2.shop", p) if p.starts_with("data/elasticache/") => "2025-03-14",
        ("yeo/ec2.shop", p) if p.starts_with("data/rds/") => "2024-09-28",
        ("QuinnyPig/aws-price-watcher", "raw/elb.json") => "2025-06-05",
        // Fargate Spot: the moment the copied feed was retrieved (a snapshot, not a publication).
        ("theuves/fgcalc", "src/utils/data.js") => "2026-09-29",
        _ => return None,
    })
}

/// Which service a CSV row belongs to.
#[derive(Clone, Copy)]
enum RowService {
    /// Every row of the file.
    Fixed(Service),
    /// Named in column 0 (`other.csv`).
    Column,
    /// Decided by the item: Spot rows apart from on-demand ones (`fargate.csv`).
    FargateItem,
}

/// How one CSV maps onto table rows: column indexes and where the service comes from.
struct CsvLayout {
    file: &'static str,
    service: RowService,
    region: usize,
    item: usize,
    usd: usize,
}

const LAYOUTS: [CsvLayout; 6] = [
    CsvLayout {
        file: "ec2_ondemand_linux.csv",
        service: RowService::Fixed(Service::Ec2),
        region: 0,
        item: 1,
        usd: 2,
    },
    CsvLayout {
        file: "ebs.csv",
        service: RowService::Fixed(Service::Ebs),
        region: 0,
        item: 1,
        usd: 2,
    },
    CsvLayout {
        file: "ebs_extras.csv",
        service: RowService::Fixed(Service::EbsExtras),
        region: 0,
        item: 1,
        usd: 3,
    },
    CsvLayout {
        file: "other.csv",
        service: RowService::Column,
        region: 1,
        item: 2,
        usd: 4,
    },
    CsvLayout {
        file: "fargate.csv",
        service: RowService::FargateItem,
        region: 0,
        item: 1,
        usd: 3,
    },
    CsvLayout {
        file: "elb.csv",
        service: RowService::Fixed(Service::Elb),
        region: 0,
        item: 1,
        usd: 3,
    },
];

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(shared), Some(out), None) = (args.next(), args.next(), args.next()) else {
        bail!("usage: import_shared_pricing <shared/pricing dir> <plugin/data dir>");
    };
    let mut tables: BTreeMap<Region, TableFile> = Region::ALL
        .into_iter()
        .map(|r| (r, TableFile::new(r)))
        .collect();
    // (region, service) -> every data date seen, widened into the `#as_of` range.
    let mut dates: BTreeMap<(Region, Service), Vec<&'static str>> = BTreeMap::new();
    for layout in &LAYOUTS {
        import_csv(&shared.join(layout.file), layout, &mut tables, &mut dates)?;
    }
    for ((region, service), seen) in dates {
        let table = tables
            .get_mut(&region)
            .context("every region has a table")?;
        for date in seen {
            table.widen_as_of(service, date);
        }
    }
    for (region, table) in &tables {
        let path = out.join(format!("{region}.tsv"));
        std::fs::write(&path, table.render())
            .with_context(|| format!("write {}", path.display()))?;
        let rows: usize = Service::ALL.iter().map(|s| table.len(*s)).sum();
        println!("{}: {rows} rows", path.display());
    }
    Ok(())
}

fn import_csv(
    path: &Path,
    layout: &CsvLayout,
    tables: &mut BTreeMap<Region, TableFile>,
    dates: &mut BTreeMap<(Region, Service), Vec<&'static str>>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    for (n, line) in text
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.is_empty())
    {
        let at = || format!("{}:{}", path.display(), n + 1);
        // The shared CSVs never quote and only the trailing source column could hold a comma,
        // so a plain split is exact for the leading columns.
        let cols: Vec<&str> = line.split(',').collect();
        let field = |i: usize| cols.get(i).copied().with_context(at);
        let service = match layout.service {
            RowService::Fixed(s) => s,
            RowService::Column => Service::from_name(field(0)?)
                .with_context(|| format!("{}: unknown service", at()))?,
            RowService::FargateItem => Service::of_fargate_item(field(layout.item)?),
        };
        let region: Region = field(layout.region)?.parse().with_context(at)?;
        // The source is everything after the amount (rejoined, in case it ever holds a comma).
        let source = cols
            .get(layout.usd + 1..)
            .map(|c| c.join(","))
            .unwrap_or_default();
        let date = source_date(&source)
            .with_context(|| format!("{}: no data date known for source {source:?}", at()))?;
        let table = tables
            .get_mut(&region)
            .context("every region has a table")?;
        let change = table
            .set(service, field(layout.item)?, field(layout.usd)?)
            .with_context(at)?;
        if change != finfocus_plugin_aws_public::pricing::file::Change::Added {
            bail!("{}: duplicate row", at());
        }
        let seen = dates.entry((region, service)).or_default();
        if !seen.contains(&date) {
            seen.push(date);
        }
    }
    Ok(())
}
