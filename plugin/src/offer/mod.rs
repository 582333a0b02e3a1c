//! The price-table generator: reads AWS Price List bulk offer files (`index.json`) and writes or
//! merges the rows they price into `plugin/data/<region>.tsv`.
//!
//! # Input
//! The real bulk format: top-level `formatVersion`, `offerCode`, `version`, `publicationDate`,
//! `products` (`{sku: {sku, productFamily, attributes}}`) and `terms.OnDemand`
//! (`{sku: {offerTermCode: {priceDimensions: {rateCode: {unit, pricePerUnit: {USD}, ...}}}}}`).
//! Files are read through a `BufReader` with `serde_json`, streaming: products are filtered as
//! they are read and only the on-demand terms of kept SKUs are materialised, so memory follows
//! the kept rows rather than the file (regional EC2 offers are several hundred MB). If `terms`
//! came before `products` every on-demand term would be kept; AWS writes products first.
//!
//! # What becomes a row
//! - `ec2 <instanceType>`: product family `Compute Instance` or `Compute Instance (bare metal)`,
//!   `operatingSystem` Linux, `tenancy` Shared, `preInstalledSw` NA, and where present
//!   `capacitystatus` Used, `licenseModel` "No License required", `operation` RunInstances,
//!   `marketoption` OnDemand; unit `Hrs`.
//! - `ebs <volumeApiName>`: family `Storage`; unit `GB-Mo`.
//! - `ebs_extras gp3_iops|io1_iops`: family `System Operation`, group `EBS IOPS`; unit `IOPS-Mo`.
//! - `ebs_extras gp3_throughput`: family `Provisioned Throughput`, volume gp3; unit `GiBps-mo`.
//!
//! Products must be in the region (`regionCode`, or a `location` name of the region, and
//! `locationType` "AWS Region" when present). Only `terms.OnDemand` is read; Reserved and other
//! term types are skipped. A product whose on-demand terms do not give exactly one USD amount in
//! the expected unit is skipped and counted. Amounts are stored as published, trailing zeros
//! stripped.

mod read;

pub use self::read::read_offer;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::pricing::file::{Change, TableFile};
use crate::pricing::{PricingError, Service};
use crate::region::Region;

/// `generate-prices`: rebuild a region's table from AWS Price List bulk offer files.
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// AWS Price List bulk offer files (`index.json`), e.g. the AmazonEC2 offer of the region.
    #[arg(required = true, value_name = "OFFER_FILE")]
    pub offers: Vec<PathBuf>,
    /// Region whose rows are taken from the offers and whose table is written.
    #[arg(long)]
    pub region: Region,
    /// Directory holding the `<region>.tsv` tables.
    #[arg(long, value_name = "DIR", default_value = "plugin/data")]
    pub out: PathBuf,
    /// Drop the existing rows of every service the offers produced rows for (a full refresh of
    /// those services) instead of updating rows in place.
    #[arg(long)]
    pub replace: bool,
}

/// The header of one offer file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferInfo {
    /// File read.
    pub path: PathBuf,
    /// `formatVersion`, e.g. `v1.0`.
    pub format_version: String,
    /// `offerCode`, e.g. `AmazonEC2`.
    pub offer_code: String,
    /// `version`.
    pub version: String,
    /// `publicationDate`, e.g. `2025-11-04T00:00:00Z`.
    pub publication_date: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    /// Region written.
    pub region: Region,
    /// Table file written.
    pub path: PathBuf,
    /// Offers read.
    pub offers: Vec<OfferInfo>,
    /// Rows produced per service.
    pub rows: Vec<(&'static str, usize)>,
    /// Rows that were new to the table.
    pub added: usize,
    /// Rows whose amount changed.
    pub updated: usize,
    /// Rows already present with the same amount.
    pub unchanged: usize,
    /// Rows dropped by `--replace` and not produced again.
    pub removed: usize,
    /// Matching products without exactly one usable on-demand USD amount.
    pub skipped: usize,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An offer file is not valid offer JSON.
    #[error("{}: not an AWS price list offer file: {source}", path.display())]
    Json {
        /// Offer file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The existing table or a generated row is invalid.
    #[error("{}: {source}", path.display())]
    Table {
        /// Table file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: PricingError,
    },
    /// Two products give different amounts for the same row.
    #[error("conflicting prices for {service} {item}: {first} and {second}")]
    Conflict {
        /// Service.
        service: &'static str,
        /// Item.
        item: String,
        /// First amount seen.
        first: String,
        /// Second amount seen.
        second: String,
    },
    /// No product of the offers matched the region.
    #[error("no price in the offer files matches region {region}")]
    NoRows {
        /// Region asked for.
        region: Region,
    },
}

/// One generated table row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    /// Service column.
    pub service: Service,
    /// Item column.
    pub item: String,
    /// Amount as published, trailing zeros stripped.
    pub usd: String,
}

/// The rows one offer yields for a region.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferRows {
    /// Offer header (path left empty).
    pub info: OfferInfo,
    /// Rows, sorted, one per (service, item).
    pub rows: Vec<Row>,
    /// Matching products without exactly one usable on-demand USD amount.
    pub skipped: usize,
}

/// Reads the offers, merges their rows for the region into `<out>/<region>.tsv`.
pub fn generate(args: &GenerateArgs) -> Result<GenerateSummary, OfferError> {
    let mut offers = Vec::new();
    let mut rows: BTreeMap<(Service, String), String> = BTreeMap::new();
    let mut dates: BTreeMap<Service, Vec<String>> = BTreeMap::new();
    let mut skipped = 0;
    for path in &args.offers {
        let file = File::open(path).map_err(|source| OfferError::Io {
            path: path.clone(),
            source,
        })?;
        let mut parsed =
            read_offer(BufReader::new(file), args.region).map_err(|source| OfferError::Json {
                path: path.clone(),
                source,
            })?;
        parsed.info.path = path.clone();
        skipped += parsed.skipped;
        let date = parsed
            .info
            .publication_date
            .get(..10)
            .unwrap_or_default()
            .to_owned();
        for row in parsed.rows {
            let seen = dates.entry(row.service).or_default();
            if !date.is_empty() && !seen.contains(&date) {
                seen.push(date.clone());
            }
            insert_row(&mut rows, row)?;
        }
        offers.push(parsed.info);
    }
    if rows.is_empty() {
        return Err(OfferError::NoRows {
            region: args.region,
        });
    }

    let path = args.out.join(format!("{}.tsv", args.region));
    let table_err = |source| OfferError::Table {
        path: path.clone(),
        source,
    };
    let mut table = match std::fs::read_to_string(&path) {
        Ok(text) => TableFile::parse(args.region, &text).map_err(table_err)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => TableFile::new(args.region),
        Err(source) => return Err(OfferError::Io { path, source }),
    };
    let merged = merge(&mut table, &rows, &dates, args.replace).map_err(table_err)?;
    write_atomically(&path, &table.render())?;

    let mut per_service: BTreeMap<Service, usize> = BTreeMap::new();
    for (service, _) in rows.keys() {
        *per_service.entry(*service).or_default() += 1;
    }
    Ok(GenerateSummary {
        region: args.region,
        path,
        offers,
        rows: per_service
            .into_iter()
            .map(|(s, n)| (s.name(), n))
            .collect(),
        added: merged.added,
        updated: merged.updated,
        unchanged: merged.unchanged,
        removed: merged.removed,
        skipped,
    })
}

fn insert_row(rows: &mut BTreeMap<(Service, String), String>, row: Row) -> Result<(), OfferError> {
    match rows.get(&(row.service, row.item.clone())) {
        Some(existing) if *existing != row.usd => Err(OfferError::Conflict {
            service: row.service.name(),
            item: row.item,
            first: existing.clone(),
            second: row.usd,
        }),
        Some(_) => Ok(()),
        None => {
            rows.insert((row.service, row.item), row.usd);
            Ok(())
        }
    }
}

#[derive(Debug, Default)]
struct Merged {
    added: usize,
    updated: usize,
    unchanged: usize,
    removed: usize,
}

/// Applies generated rows to a table (pure; `generate` does the file I/O).
fn merge(
    table: &mut TableFile,
    rows: &BTreeMap<(Service, String), String>,
    dates: &BTreeMap<Service, Vec<String>>,
    replace: bool,
) -> Result<Merged, PricingError> {
    let mut merged = Merged::default();
    let services: Vec<Service> = {
        let mut s: Vec<Service> = rows.keys().map(|(s, _)| *s).collect();
        s.dedup();
        s
    };
    let mut cleared = 0;
    if replace {
        let before = table.clone();
        for service in &services {
            cleared += table.clear(*service);
        }
        for ((service, item), usd) in rows {
            match before.get(*service, item) {
                None => merged.added += 1,
                Some(old) if old == usd => merged.unchanged += 1,
                Some(_) => merged.updated += 1,
            }
            table.set(*service, item, usd)?;
        }
        merged.removed = cleared - merged.unchanged - merged.updated;
    } else {
        for ((service, item), usd) in rows {
            match table.set(*service, item, usd)? {
                Change::Added => merged.added += 1,
                Change::Updated => merged.updated += 1,
                Change::Unchanged => merged.unchanged += 1,
            }
        }
    }
    for (service, seen) in dates {
        let mut seen = seen.iter();
        if replace && let Some(first) = seen.next() {
            table.set_as_of(*service, first);
        }
        for date in seen {
            table.widen_as_of(*service, date);
        }
    }
    Ok(merged)
}

fn write_atomically(path: &Path, text: &str) -> Result<(), OfferError> {
    let io = |source| OfferError::Io {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("tsv.tmp");
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    fn offer(products: &str, on_demand: &str) -> String {
        format!(
            r#"{{"formatVersion":"v1.0","disclaimer":"x","offerCode":"AmazonEC2","version":"20251104000000",
            "publicationDate":"2025-11-04T00:00:00Z","products":{{{products}}},
            "terms":{{"OnDemand":{{{on_demand}}},"Reserved":{{}}}},"attributesList":{{}}}}"#
        )
    }

    fn on_demand(sku: &str, unit: &str, usd: &str) -> String {
        format!(
            r#""{sku}":{{"{sku}.JRTCKXETXF":{{"offerTermCode":"JRTCKXETXF","sku":"{sku}",
            "effectiveDate":"2025-11-01T00:00:00Z","priceDimensions":{{"{sku}.JRTCKXETXF.6YS6EN2CT7":
            {{"rateCode":"{sku}.JRTCKXETXF.6YS6EN2CT7","description":"x","beginRange":"0","endRange":"Inf",
            "unit":"{unit}","pricePerUnit":{{"USD":"{usd}"}},"appliesTo":[]}}}},"termAttributes":{{}}}}}}"#
        )
    }

    #[test]
    fn location_name_is_enough_without_region_code() {
        let p = r#""A":{"sku":"A","productFamily":"Compute Instance","attributes":{"location":"EU (Ireland)",
            "instanceType":"m5.large","operatingSystem":"Linux","tenancy":"Shared","preInstalledSw":"NA"}}"#;
        let text = offer(p, &on_demand("A", "Hrs", "0.1070000000"));
        let rows = read_offer(text.as_bytes(), Region::EuWest1).unwrap().rows;
        assert_eq!(
            rows,
            vec![Row {
                service: Service::Ec2,
                item: "m5.large".into(),
                usd: "0.107".into()
            }]
        );
        assert!(
            read_offer(text.as_bytes(), Region::UsEast1)
                .unwrap()
                .rows
                .is_empty()
        );
    }

    #[test]
    fn wrong_unit_or_missing_terms_are_skipped() {
        let p = r#""A":{"sku":"A","productFamily":"Storage","attributes":{"regionCode":"us-east-1","volumeApiName":"gp3"}},
                   "B":{"sku":"B","productFamily":"Storage","attributes":{"regionCode":"us-east-1","volumeApiName":"st1"}}"#;
        let text = offer(p, &on_demand("A", "Hrs", "0.08"));
        let parsed = read_offer(text.as_bytes(), Region::UsEast1).unwrap();
        assert!(parsed.rows.is_empty());
        assert_eq!(parsed.skipped, 2);
    }

    #[test]
    fn not_an_offer_is_an_error() {
        assert!(read_offer(&b"[]"[..], Region::UsEast1).is_err());
        assert!(read_offer(&b"{\"products\":{}}"[..], Region::UsEast1).is_err());
        assert!(
            read_offer(
                &b"{\"offerCode\":\"AmazonEC2\",\"products\":{"[..],
                Region::UsEast1
            )
            .is_err()
        );
    }

    #[test]
    fn merge_counts_and_replaces() {
        let mut table = TableFile::new(Region::UsEast1);
        table.set(Service::Ec2, "old.large", "1").unwrap();
        table.set(Service::Ec2, "m5.large", "0.096").unwrap();
        table.set(Service::Ebs, "gp2", "0.1").unwrap();
        let rows: BTreeMap<_, _> = [
            ((Service::Ec2, "m5.large".to_owned()), "0.096".to_owned()),
            ((Service::Ec2, "t3.micro".to_owned()), "0.0104".to_owned()),
        ]
        .into();
        let dates: BTreeMap<_, _> = [(Service::Ec2, vec!["2025-11-04".to_owned()])].into();
        let mut upsert = table.clone();
        let m = merge(&mut upsert, &rows, &dates, false).unwrap();
        assert_eq!((m.added, m.updated, m.unchanged, m.removed), (1, 0, 1, 0));
        assert_eq!(upsert.get(Service::Ec2, "old.large"), Some("1"));
        let m = merge(&mut table, &rows, &dates, true).unwrap();
        assert_eq!((m.added, m.updated, m.unchanged, m.removed), (1, 0, 1, 1));
        assert_eq!(table.get(Service::Ec2, "old.large"), None);
        assert_eq!(
            table.get(Service::Ebs, "gp2"),
            Some("0.1"),
            "other services kept"
        );
        assert_eq!(table.as_of(Service::Ec2), Some("2025-11-04"));
    }
}
