//! The editable form of a region's price table, used by the maintainer tools that (re)write
//! `plugin/data/<region>.tsv`: the offer generator and the shared-CSV importer.
//!
//! Amounts stay text exactly as published (only trailing zeros stripped), so a round trip never
//! changes a price through float formatting. [`TableFile::render`] always writes the same bytes
//! for the same content: headers, then rows sorted by service (table order) and item.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Line, PricingError, Service, parse_line, parse_usd};
use crate::region::Region;

/// What [`TableFile::set`] did to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The row did not exist.
    Added,
    /// The row existed with another amount.
    Updated,
    /// The row existed with the same amount.
    Unchanged,
}

/// A price table being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFile {
    region: Region,
    as_of: BTreeMap<Service, String>,
    rows: BTreeMap<(Service, String), String>,
}

impl TableFile {
    /// An empty table for `region`.
    pub fn new(region: Region) -> TableFile {
        TableFile {
            region,
            as_of: BTreeMap::new(),
            rows: BTreeMap::new(),
        }
    }

    /// Parses table text (the format described in [`crate::pricing`]).
    pub fn parse(region: Region, text: &str) -> Result<TableFile, PricingError> {
        let mut table = TableFile::new(region);
        for (n, raw) in text.lines().enumerate() {
            let line = parse_line(raw).map_err(|reason| PricingError::Malformed {
                region,
                line: n + 1,
                reason,
            })?;
            match line {
                Line::Skip | Line::DataAsOf(_) => {}
                Line::Region(code) if code == region.code() => {}
                Line::Region(code) => {
                    return Err(PricingError::RegionMismatch {
                        expected: region,
                        found: code.to_owned(),
                    });
                }
                Line::AsOf(service, dates) => {
                    table.as_of.insert(service, dates.to_owned());
                }
                Line::Row(service, item, usd, _) => {
                    let key = (service, item.to_owned());
                    if table.rows.insert(key, usd.to_owned()).is_some() {
                        return Err(PricingError::Duplicate {
                            region,
                            line: n + 1,
                            service: service.name(),
                            item: item.to_owned(),
                        });
                    }
                }
            }
        }
        Ok(table)
    }

    /// The region of this table.
    pub fn region(&self) -> Region {
        self.region
    }

    /// Inserts or replaces one row; `usd` must be a plain non-negative decimal.
    pub fn set(&mut self, service: Service, item: &str, usd: &str) -> Result<Change, PricingError> {
        let row = format!("{}\t{item}\t{usd}", service.name());
        if !matches!(parse_line(&row), Ok(Line::Row(..))) {
            return Err(PricingError::Malformed {
                region: self.region,
                line: 0,
                reason: format!("invalid row {row:?}"),
            });
        }
        Ok(
            match self.rows.insert((service, item.to_owned()), usd.to_owned()) {
                None => Change::Added,
                Some(old) if old == usd => Change::Unchanged,
                Some(_) => Change::Updated,
            },
        )
    }

    /// The amount text of one row.
    pub fn get(&self, service: Service, item: &str) -> Option<&str> {
        self.rows
            .get(&(service, item.to_owned()))
            .map(String::as_str)
    }

    /// Removes every row of `service`; returns how many there were.
    pub fn clear(&mut self, service: Service) -> usize {
        let before = self.rows.len();
        self.rows.retain(|(s, _), _| *s != service);
        before - self.rows.len()
    }

    /// Number of rows of `service`.
    pub fn len(&self, service: Service) -> usize {
        self.rows.keys().filter(|(s, _)| *s == service).count()
    }

    /// True when the table has no rows at all.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The data date (or `oldest..newest` range) recorded for `service`.
    pub fn as_of(&self, service: Service) -> Option<&str> {
        self.as_of.get(&service).map(String::as_str)
    }

    /// Records the data date of `service`, replacing what was there.
    pub fn set_as_of(&mut self, service: Service, dates: &str) {
        self.as_of.insert(service, dates.to_owned());
    }

    /// Widens the recorded date range of `service` to include `date` (rows from several
    /// publications are mixed after a partial update).
    pub fn widen_as_of(&mut self, service: Service, date: &str) {
        let merged = span(self.as_of(service).into_iter().chain([date]));
        self.as_of.insert(service, merged);
    }

    /// The table text: headers, then rows sorted by service and item.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.rows.len() * 32 + 512);
        // `write!` into a String cannot fail.
        let _ = writeln!(
            out,
            "# AWS public list prices (USD) for {}: service<TAB>item<TAB>usd, sorted. Sources: SOURCES.md",
            self.region
        );
        let _ = writeln!(out, "#region\t{}", self.region);
        let _ = writeln!(
            out,
            "#data_as_of\t{}",
            span(self.as_of.values().map(String::as_str))
        );
        for (service, dates) in &self.as_of {
            let _ = writeln!(out, "#as_of\t{}\t{dates}", service.name());
        }
        for ((service, item), usd) in &self.rows {
            let _ = writeln!(out, "{}\t{item}\t{usd}", service.name());
        }
        out
    }
}

/// `oldest..newest` over ISO dates and date ranges (`a..b`); a single date when they agree.
fn span<'a>(dates: impl Iterator<Item = &'a str>) -> String {
    let mut all: Vec<&str> = dates
        .flat_map(|d| d.split(".."))
        .filter(|d| !d.is_empty())
        .collect();
    all.sort_unstable();
    match (all.first(), all.last()) {
        (Some(first), Some(last)) if first == last => (*first).to_owned(),
        (Some(first), Some(last)) => format!("{first}..{last}"),
        _ => String::new(),
    }
}

/// Strips trailing fractional zeros from a published amount (`0.0104000000` -> `0.0104`,
/// `1.0000` -> `1`), the form the tables store. `None` if `text` is not a plain decimal.
pub fn normalize_usd(text: &str) -> Option<String> {
    parse_usd(text)?;
    let trimmed = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    };
    // Keep a leading zero ("0.5", not ".5") and never return an empty string.
    Some(match trimmed {
        "" => "0".to_owned(),
        t if t.starts_with('.') => format!("0{t}"),
        t => t.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;
    use crate::pricing::{PriceTable, embedded};

    #[test]
    fn embedded_tables_round_trip_byte_for_byte() {
        for region in Region::ALL {
            let text = embedded(region);
            let file = TableFile::parse(region, text).unwrap();
            assert_eq!(file.render(), text, "{region} is in canonical form");
        }
    }

    #[test]
    fn set_reports_changes_and_render_sorts() {
        let mut file = TableFile::new(Region::EuWest1);
        assert_eq!(
            file.set(Service::Ec2, "m5.large", "0.107").unwrap(),
            Change::Added
        );
        assert_eq!(
            file.set(Service::Ebs, "gp3", "0.088").unwrap(),
            Change::Added
        );
        assert_eq!(
            file.set(Service::Ec2, "a1.large", "0.0576").unwrap(),
            Change::Added
        );
        assert_eq!(
            file.set(Service::Ec2, "m5.large", "0.107").unwrap(),
            Change::Unchanged
        );
        assert_eq!(
            file.set(Service::Ec2, "m5.large", "0.108").unwrap(),
            Change::Updated
        );
        assert!(file.set(Service::Ec2, "bad item", "1").is_err());
        assert!(file.set(Service::Ec2, "x", "-1").is_err());
        file.set_as_of(Service::Ec2, "2025-11-04");
        file.widen_as_of(Service::Ec2, "2025-04-04");
        file.set_as_of(Service::Ebs, "2024-07-18");
        let text = file.render();
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            body,
            [
                "ec2\ta1.large\t0.0576",
                "ec2\tm5.large\t0.108",
                "ebs\tgp3\t0.088"
            ]
        );
        assert!(text.contains("#as_of\tec2\t2025-04-04..2025-11-04\n"));
        assert!(text.contains("#data_as_of\t2024-07-18..2025-11-04\n"));
        let table = PriceTable::parse(Region::EuWest1, text.leak()).unwrap();
        assert_eq!(table.price(Service::Ec2, "m5.large"), Some(0.108));
        assert_eq!(table.data_as_of(), "2024-07-18..2025-11-04");
        assert_eq!(file.clear(Service::Ec2), 2);
        assert_eq!(file.len(Service::Ebs), 1);
    }

    #[test]
    fn normalizes_published_amounts() {
        assert_eq!(normalize_usd("0.0104000000").as_deref(), Some("0.0104"));
        assert_eq!(normalize_usd("1.0000000000").as_deref(), Some("1"));
        assert_eq!(normalize_usd("0.0000000000").as_deref(), Some("0"));
        assert_eq!(normalize_usd("40.96").as_deref(), Some("40.96"));
        assert_eq!(normalize_usd("100").as_deref(), Some("100"));
        assert_eq!(normalize_usd(".50").as_deref(), Some("0.5"));
        assert_eq!(normalize_usd("1e3"), None);
        assert_eq!(normalize_usd(""), None);
        assert_eq!(normalize_usd("-0.1"), None);
    }
}
