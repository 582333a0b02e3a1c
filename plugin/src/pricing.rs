//! Embedded per-region price tables.
//!
//! Each region has one small text table under `plugin/data/<region>.tsv`, compiled into the
//! binary with `include_str!`. A process parses only the table of the region it serves, once at
//! start, into one sorted `Vec<(&'static str, f64)>` per [`Service`]: item names borrow the
//! embedded text, so loading allocates one vector per service and a lookup allocates nothing.
//!
//! # Table format
//! ```text
//! #region<TAB>us-east-1
//! #data_as_of<TAB>2024-07-18..2026-07-20
//! #as_of<TAB>ec2<TAB>2025-04-04..2026-07-20
//! ec2<TAB>t3.micro<TAB>0.0104
//! ```
//! Rows are `service<TAB>item<TAB>usd`; `usd` is the published USD amount per the unit implied by
//! the service and item (see `plugin/data/SOURCES.md`). Lines starting with `#` are headers
//! (`#region`, `#data_as_of`, `#as_of <service>`) or comments. [`file::TableFile`] edits tables.

pub mod file;

use crate::region::Region;

/// The services a price table holds rows for; the first column of a table row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// EC2 on-demand Linux, shared tenancy; item = instance type; USD per instance-hour.
    Ec2,
    /// EBS volume storage; item = volume type (`gp3`, ...); USD per GB-month.
    Ebs,
    /// EBS IOPS, throughput, I/O requests and snapshots; item names carry the unit (see SOURCES.md).
    EbsExtras,
    /// S3 storage per class and Standard request prices.
    S3,
    /// RDS for MySQL: `instance:<class>:single-az|multi-az`, storage, IOPS, backup.
    RdsMysql,
    /// RDS for PostgreSQL, same items as MySQL.
    RdsPostgresql,
    /// Lambda requests, duration tiers, provisioned concurrency, ephemeral storage.
    Lambda,
    /// EKS cluster hours (standard and extended support) and Fargate.
    Eks,
    /// NAT gateway hours and GB processed.
    NatGateway,
    /// ElastiCache node hours: `node_<engine>:<node type>`.
    ElastiCache,
    /// DynamoDB request units, capacity units, storage and backups.
    DynamoDb,
    /// CloudWatch logs, metrics, alarms and API requests.
    CloudWatch,
    /// ECS on Fargate, on-demand: Linux x86/ARM and Windows vCPU-hour and GB-hour, the Windows
    /// OS licence per vCPU-hour, ephemeral storage GB-hour.
    Fargate,
    /// Fargate Spot (Linux x86 vCPU-hour and GB-hour): a dated snapshot, kept apart so its date
    /// is its own `#as_of`.
    FargateSpot,
    /// Elastic Load Balancing: ALB/NLB/Gateway LB hours and capacity-unit hours, Classic LB
    /// hours and GB processed.
    Elb,
}

impl Service {
    /// Every service, in table order.
    pub const ALL: [Service; Service::COUNT] = [
        Service::Ec2,
        Service::Ebs,
        Service::EbsExtras,
        Service::S3,
        Service::RdsMysql,
        Service::RdsPostgresql,
        Service::Lambda,
        Service::Eks,
        Service::NatGateway,
        Service::ElastiCache,
        Service::DynamoDb,
        Service::CloudWatch,
        Service::Fargate,
        Service::FargateSpot,
        Service::Elb,
    ];

    /// How many services there are.
    pub const COUNT: usize = 15;

    /// The name used in the first column of a table row.
    pub fn name(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Ebs => "ebs",
            Service::EbsExtras => "ebs_extras",
            Service::S3 => "s3",
            Service::RdsMysql => "rds_mysql",
            Service::RdsPostgresql => "rds_postgresql",
            Service::Lambda => "lambda",
            Service::Eks => "eks",
            Service::NatGateway => "nat_gateway",
            Service::ElastiCache => "elasticache",
            Service::DynamoDb => "dynamodb",
            Service::CloudWatch => "cloudwatch",
            Service::Fargate => "fargate",
            Service::FargateSpot => "fargate_spot",
            Service::Elb => "elb",
        }
    }

    /// The service of a `fargate.csv` item: Spot rows (`spot_*`) are [`Service::FargateSpot`],
    /// the rest [`Service::Fargate`]. The importer and the CI check share this rule.
    pub fn of_fargate_item(item: &str) -> Service {
        if item.starts_with("spot_") {
            Service::FargateSpot
        } else {
            Service::Fargate
        }
    }

    /// The service named `name` in a table row, if any.
    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Why a price table could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    /// A line does not follow the table grammar.
    #[error("price table {region} line {line}: {reason}")]
    Malformed {
        /// Region of the table.
        region: Region,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
    /// The same service and item appear twice.
    #[error("price table {region} line {line}: duplicate row {service} {item}")]
    Duplicate {
        /// Region of the table.
        region: Region,
        /// 1-based line number of the second occurrence.
        line: usize,
        /// Service column.
        service: &'static str,
        /// Item column.
        item: String,
    },
    /// The `#region` header names another region than the one asked for.
    #[error("price table for {expected} declares region {found:?}")]
    RegionMismatch {
        /// Region asked for.
        expected: Region,
        /// Region the header names.
        found: String,
    },
}

/// One parsed line of a table; shared by [`PriceTable`] and [`file::TableFile`].
#[derive(Debug, PartialEq)]
pub(crate) enum Line<'a> {
    /// Empty line or free comment.
    Skip,
    /// `#region<TAB>code`.
    Region(&'a str),
    /// `#data_as_of<TAB>dates`.
    DataAsOf(&'a str),
    /// `#as_of<TAB>service<TAB>dates`.
    AsOf(Service, &'a str),
    /// `service<TAB>item<TAB>usd`, with the amount parsed.
    Row(Service, &'a str, &'a str, f64),
}

/// Parses one table line; the error is a human reason without the line number.
pub(crate) fn parse_line(line: &str) -> Result<Line<'_>, String> {
    if line.trim().is_empty() {
        return Ok(Line::Skip);
    }
    if let Some(header) = line.strip_prefix('#') {
        let mut parts = header.split('\t');
        return Ok(
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("region"), Some(code), None, None) => Line::Region(code),
                (Some("data_as_of"), Some(dates), None, None) => Line::DataAsOf(dates),
                (Some("as_of"), Some(service), Some(dates), None) => {
                    Line::AsOf(service_named(service)?, dates)
                }
                _ => Line::Skip,
            },
        );
    }
    let mut parts = line.split('\t');
    let (Some(service), Some(item), Some(usd), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected service<TAB>item<TAB>usd".to_owned());
    };
    let service = service_named(service)?;
    if item.is_empty() || item.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("bad item {item:?}"));
    }
    let amount = parse_usd(usd).ok_or_else(|| format!("bad usd amount {usd:?}"))?;
    Ok(Line::Row(service, item, usd, amount))
}

fn service_named(name: &str) -> Result<Service, String> {
    Service::from_name(name).ok_or_else(|| format!("unknown service {name:?}"))
}

/// A published USD amount: a finite, non-negative decimal.
pub(crate) fn parse_usd(text: &str) -> Option<f64> {
    // Only plain decimals: "inf", "NaN" and exponents never appear in price lists.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The embedded table text of `region`.
pub fn embedded(region: Region) -> &'static str {
    match region {
        Region::UsEast1 => include_str!("../data/us-east-1.tsv"),
        Region::UsWest2 => include_str!("../data/us-west-2.tsv"),
        Region::EuWest1 => include_str!("../data/eu-west-1.tsv"),
        Region::ApSoutheast1 => include_str!("../data/ap-southeast-1.tsv"),
        Region::ApSoutheast2 => include_str!("../data/ap-southeast-2.tsv"),
        Region::ApNortheast1 => include_str!("../data/ap-northeast-1.tsv"),
        Region::ApSouth1 => include_str!("../data/ap-south-1.tsv"),
        Region::CaCentral1 => include_str!("../data/ca-central-1.tsv"),
        Region::SaEast1 => include_str!("../data/sa-east-1.tsv"),
        Region::UsGovWest1 => include_str!("../data/us-gov-west-1.tsv"),
        Region::UsGovEast1 => include_str!("../data/us-gov-east-1.tsv"),
        Region::UsWest1 => include_str!("../data/us-west-1.tsv"),
    }
}

/// The list prices of one region, parsed from its embedded table.
#[derive(Debug, Clone)]
pub struct PriceTable {
    region: Region,
    /// Indexed by [`Service::index`]; each sorted by item for binary search.
    rows: [Vec<(&'static str, f64)>; Service::COUNT],
    as_of: [&'static str; Service::COUNT],
    data_as_of: &'static str,
}

impl PriceTable {
    /// Parses the embedded table of `region` (and only that one).
    pub fn load(region: Region) -> Result<PriceTable, PricingError> {
        PriceTable::parse(region, embedded(region))
    }

    /// Parses table `text` for `region`; [`PriceTable::load`] passes the embedded text.
    pub fn parse(region: Region, text: &'static str) -> Result<PriceTable, PricingError> {
        let mut rows: [Vec<(&'static str, f64)>; Service::COUNT] = Default::default();
        let mut as_of = [""; Service::COUNT];
        let mut data_as_of = "";
        for (n, raw) in text.lines().enumerate() {
            let malformed = |reason| PricingError::Malformed {
                region,
                line: n + 1,
                reason,
            };
            match parse_line(raw).map_err(malformed)? {
                Line::Skip => {}
                Line::Region(code) if code == region.code() => {}
                Line::Region(code) => {
                    return Err(PricingError::RegionMismatch {
                        expected: region,
                        found: code.to_owned(),
                    });
                }
                Line::DataAsOf(dates) => data_as_of = dates,
                Line::AsOf(service, dates) => as_of[service.index()] = dates,
                Line::Row(service, item, _, usd) => {
                    rows[service.index()].push((item, usd));
                }
            }
        }
        for (service, list) in Service::ALL.into_iter().zip(rows.iter_mut()) {
            // Tables are written sorted, so this is a linear pass; it keeps hand edits safe.
            if !list.is_sorted_by(|a, b| a.0 < b.0) {
                list.sort_by(|a, b| a.0.cmp(b.0));
            }
            if let Some(pair) = list.windows(2).find(|w| w[0].0 == w[1].0) {
                let item = pair[0].0;
                let line = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| {
                        matches!(parse_line(l), Ok(Line::Row(s, i, _, _)) if s == service && i == item)
                    })
                    .nth(1)
                    .map_or(0, |(n, _)| n + 1);
                return Err(PricingError::Duplicate {
                    region,
                    line,
                    service: service.name(),
                    item: item.to_owned(),
                });
            }
        }
        Ok(PriceTable {
            region,
            rows,
            as_of,
            data_as_of,
        })
    }

    /// The region this table prices.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The USD amount of `item` for `service`, or `None` when the table has no such row.
    #[inline]
    pub fn price(&self, service: Service, item: &str) -> Option<f64> {
        let list = &self.rows[service.index()];
        list.binary_search_by(|(k, _)| (*k).cmp(item))
            .ok()
            .map(|i| list[i].1)
    }

    /// All rows of `service`, sorted by item.
    pub fn rows(&self, service: Service) -> &[(&'static str, f64)] {
        &self.rows[service.index()]
    }

    /// Row count per service (for metrics), in table order.
    pub fn sizes(&self) -> Vec<(&'static str, usize)> {
        Service::ALL
            .into_iter()
            .map(|s| (s.name(), self.rows[s.index()].len()))
            .collect()
    }

    /// Date range of the data behind this table, oldest..newest (ISO dates), e.g.
    /// `2024-07-18..2026-07-20`; empty when the table has no header.
    pub fn data_as_of(&self) -> &'static str {
        self.data_as_of
    }

    /// Date (or date range) of the published data behind `service`'s rows.
    pub fn service_as_of(&self, service: Service) -> &'static str {
        self.as_of[service.index()]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn every_region_loads_its_own_table() {
        for region in Region::ALL {
            let table = PriceTable::load(region).unwrap();
            assert_eq!(table.region(), region);
            assert!(!table.data_as_of().is_empty(), "{region} has a data date");
            for (service, count) in table.sizes() {
                assert!(count > 0, "{region} has {service} rows");
            }
        }
    }

    #[test]
    fn known_prices_from_the_sources() {
        let use1 = PriceTable::load(Region::UsEast1).unwrap();
        assert_eq!(use1.price(Service::Ec2, "t3.micro"), Some(0.0104));
        assert_eq!(use1.price(Service::Ec2, "m5.large"), Some(0.096));
        assert_eq!(use1.price(Service::Ebs, "gp3"), Some(0.08));
        assert_eq!(use1.price(Service::Ebs, "gp2"), Some(0.1));
        assert_eq!(
            use1.price(Service::RdsMysql, "instance:db.t3.micro:single-az"),
            Some(0.017)
        );
        assert_eq!(use1.price(Service::Ec2, "t3.nope"), None);
        assert_eq!(use1.price(Service::Ec2, ""), None);
        // m5.large across regions, SOURCES.md "Sanity checks".
        let expected = [
            (Region::UsWest2, 0.096),
            (Region::EuWest1, 0.107),
            (Region::ApSoutheast1, 0.12),
            (Region::ApSoutheast2, 0.12),
            (Region::ApNortheast1, 0.124),
            (Region::ApSouth1, 0.101),
            (Region::CaCentral1, 0.107),
            (Region::SaEast1, 0.153),
            (Region::UsGovWest1, 0.121),
            (Region::UsGovEast1, 0.121),
            (Region::UsWest1, 0.112),
        ];
        for (region, usd) in expected {
            let table = PriceTable::load(region).unwrap();
            assert_eq!(table.price(Service::Ec2, "m5.large"), Some(usd), "{region}");
        }
    }

    #[test]
    fn fargate_and_elb_rows_from_the_sources() {
        // Shared SOURCES.md, "Fargate and Elastic Load Balancing", checks.
        let use1 = PriceTable::load(Region::UsEast1).unwrap();
        assert_eq!(
            use1.price(Service::Fargate, "linux_x86_vcpu"),
            Some(0.04048)
        );
        assert_eq!(
            use1.price(Service::Fargate, "linux_x86_memory"),
            Some(0.004445)
        );
        assert_eq!(
            use1.price(Service::Fargate, "linux_arm_vcpu"),
            Some(0.03238)
        );
        assert_eq!(
            use1.price(Service::Fargate, "ephemeral_storage"),
            Some(0.000111)
        );
        assert_eq!(
            use1.price(Service::FargateSpot, "spot_linux_x86_vcpu"),
            Some(0.01288561)
        );
        assert_eq!(use1.price(Service::Fargate, "spot_linux_x86_vcpu"), None);
        assert_eq!(use1.price(Service::Elb, "alb_hour"), Some(0.0225));
        assert_eq!(use1.price(Service::Elb, "clb_data_processed"), Some(0.008));
        assert_eq!(use1.service_as_of(Service::Fargate), "2025-10-27");
        assert_eq!(use1.service_as_of(Service::FargateSpot), "2026-09-29");
        assert_eq!(use1.service_as_of(Service::Elb), "2025-06-05");
        let gov = PriceTable::load(Region::UsGovWest1).unwrap();
        assert_eq!(gov.price(Service::Fargate, "linux_x86_vcpu"), Some(0.0486));
        assert_eq!(
            gov.price(Service::FargateSpot, "spot_linux_x86_vcpu"),
            Some(0.01458)
        );
        for region in Region::ALL {
            let table = PriceTable::load(region).unwrap();
            assert_eq!(table.rows(Service::Fargate).len(), 8, "{region}");
            assert_eq!(table.rows(Service::FargateSpot).len(), 2, "{region}");
            assert_eq!(table.rows(Service::Elb).len(), 8, "{region}");
        }
    }

    #[test]
    fn row_counts_match_the_source_coverage() {
        let use1 = PriceTable::load(Region::UsEast1).unwrap();
        let sizes: std::collections::HashMap<_, _> = use1.sizes().into_iter().collect();
        assert_eq!(sizes["ec2"], 1296);
        assert_eq!(sizes["ebs"], 7);
        assert_eq!(sizes["ebs_extras"], 11);
        assert_eq!(sizes["rds_mysql"], 449);
        assert_eq!(sizes["elasticache"], 267);
        let gov_east = PriceTable::load(Region::UsGovEast1).unwrap();
        assert_eq!(gov_east.rows(Service::Ec2).len(), 529);
        assert_eq!(gov_east.price(Service::Ebs, "io2"), None, "known gap");
    }

    #[test]
    fn parse_rejects_bad_tables() {
        let bad = PriceTable::parse(Region::UsEast1, "ec2\tt3.micro\n").unwrap_err();
        assert!(
            matches!(bad, PricingError::Malformed { line: 1, .. }),
            "{bad}"
        );
        let bad = PriceTable::parse(Region::UsEast1, "#region\tus-east-1\nec2\tt3.micro\t-1\n")
            .unwrap_err();
        assert!(
            matches!(bad, PricingError::Malformed { line: 2, .. }),
            "{bad}"
        );
        let bad = PriceTable::parse(Region::UsEast1, "ec2\tt3.micro\tNaN\n").unwrap_err();
        assert!(matches!(bad, PricingError::Malformed { .. }), "{bad}");
        let bad = PriceTable::parse(Region::UsEast1, "gce\tn1\t1\n").unwrap_err();
        assert!(bad.to_string().contains("unknown service"), "{bad}");
        let bad = PriceTable::parse(Region::UsEast1, "#region\teu-west-1\n").unwrap_err();
        assert!(matches!(bad, PricingError::RegionMismatch { .. }), "{bad}");
        let bad =
            PriceTable::parse(Region::UsEast1, "ec2\ta\t1\nebs\tgp2\t1\nec2\ta\t2\n").unwrap_err();
        assert_eq!(
            bad,
            PricingError::Duplicate {
                region: Region::UsEast1,
                line: 3,
                service: "ec2",
                item: "a".to_owned()
            }
        );
    }

    #[test]
    fn parse_sorts_unsorted_rows() {
        let table = PriceTable::parse(Region::UsEast1, "ec2\tz\t2\nec2\ta\t1\n").unwrap();
        assert_eq!(table.price(Service::Ec2, "a"), Some(1.0));
        assert_eq!(table.price(Service::Ec2, "z"), Some(2.0));
    }

    /// Every row of the shared CSVs must be in the embedded tables with the same amount.
    ///
    /// Reads the directory named by `FINFOCUS_SHARED_PRICING` (the `../shared/pricing` source
    /// facts); CI runs it with `--ignored`.
    #[test]
    #[ignore = "reads ../shared/pricing; run by .ci/run"]
    fn embedded_tables_match_shared_csvs() {
        let dir = std::env::var("FINFOCUS_SHARED_PRICING")
            .expect("set FINFOCUS_SHARED_PRICING to the shared/pricing directory");
        let tables: Vec<_> = Region::ALL
            .into_iter()
            .map(|r| PriceTable::load(r).unwrap())
            .collect();
        let table = |code: &str| {
            let region: Region = code.parse().unwrap();
            &tables[usize::from(region.port_offset())]
        };
        /// How a file names the service of a row.
        #[derive(Clone, Copy)]
        enum Of {
            Fixed(Service),
            Column0,
            FargateItem,
        }
        /// (file, service, region col, item col, usd col, row count)
        type Layout = (&'static str, Of, usize, usize, usize, usize);
        let files: [Layout; 6] = [
            (
                "ec2_ondemand_linux.csv",
                Of::Fixed(Service::Ec2),
                0,
                1,
                2,
                8731,
            ),
            ("ebs.csv", Of::Fixed(Service::Ebs), 0, 1, 2, 81),
            (
                "ebs_extras.csv",
                Of::Fixed(Service::EbsExtras),
                0,
                1,
                3,
                123,
            ),
            ("other.csv", Of::Column0, 1, 2, 4, 11053),
            ("fargate.csv", Of::FargateItem, 0, 1, 3, 120),
            ("elb.csv", Of::Fixed(Service::Elb), 0, 1, 3, 96),
        ];
        for (name, of, region_col, item_col, usd_col, expected_rows) in files {
            let path = std::path::Path::new(&dir).join(name);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let mut checked = 0;
            for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
                let cols: Vec<&str> = line.split(',').collect();
                let service = match of {
                    Of::Fixed(s) => s,
                    Of::Column0 => Service::from_name(cols[0]).unwrap(),
                    Of::FargateItem => Service::of_fargate_item(cols[item_col]),
                };
                let want: f64 = cols[usd_col].parse().unwrap();
                let got = table(cols[region_col]).price(service, cols[item_col]);
                assert_eq!(got, Some(want), "{name}: {line}");
                checked += 1;
            }
            assert_eq!(checked, expected_rows, "{name} row count");
        }
        // And nothing extra: the tables hold exactly the CSV rows.
        let total: usize = tables.iter().flat_map(|t| t.sizes()).map(|(_, n)| n).sum();
        assert_eq!(total, 8731 + 81 + 123 + 11053 + 120 + 96);
    }
}
