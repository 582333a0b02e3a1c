//! RDS for MySQL and PostgreSQL DB instances: instance hours (single-AZ or classic Multi-AZ) x
//! 730, plus allocated storage and provisioned IOPS/throughput.
//!
//! gp3 includes 3000 IOPS and 125 MiB/s below 400 GB and 12000 IOPS and 500 MiB/s from 400 GB
//! (MySQL and PostgreSQL); only the excess is billed. io1/io2 bill every provisioned IOPS.
//! Other engines (Aurora, MariaDB, Oracle, SQL Server) have no embedded rates.

use super::{Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, qty, usd};
use crate::pricing::Service;
use crate::resource::clip;

/// Storage when none is given (the smallest general-purpose allocation the console offers).
const DEFAULT_STORAGE_GB: f64 = 20.0;
/// io1/io2 IOPS when none is given (the RDS minimum).
const MIN_PIOPS: f64 = 1000.0;
/// gp3 volumes at or above this size get the larger free baseline.
const GP3_LARGE_GB: f64 = 400.0;

/// Prices an RDS DB instance.
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let props = &input.props;
    let mut defaults = Defaults::default();
    let class = input.require_sku(&["instanceClass"], "instance class")?;
    let (service, engine) = match props.text(&["engine"]).map(str::to_ascii_lowercase) {
        None => {
            defaults.config("engine", "mysql");
            (Service::RdsMysql, "mysql")
        }
        Some(e) => match e.as_str() {
            "mysql" => (Service::RdsMysql, "mysql"),
            "postgres" | "postgresql" => (Service::RdsPostgresql, "postgres"),
            _ => {
                return Err(EstimateError::NoPrice {
                    kind: "rds",
                    item: format!("engine {} (mysql and postgres are embedded)", clip(&e, 64)),
                });
            }
        },
    };
    let multi_az = match props.flag(&["multiAz"])? {
        Some(m) => m,
        None => {
            defaults.config("multi_az", false);
            false
        }
    };
    let az = if multi_az { "multi-az" } else { "single-az" };
    let hourly = input
        .table
        .price(service, &format!("instance:{class}:{az}"))
        .ok_or_else(|| EstimateError::UnknownSku {
            kind: "rds",
            sku: class.to_owned(),
        })?;

    let storage_gb = match props.number(&["allocatedStorage"])? {
        Some(gb) => gb,
        None => {
            defaults.config("allocated_storage_gb", DEFAULT_STORAGE_GB);
            DEFAULT_STORAGE_GB
        }
    };
    let iops = props.number(&["iops"])?;
    let storage_type = match props.text(&["storageType"]).map(str::to_ascii_lowercase) {
        Some(t) => t,
        None => {
            // The RDS API default: io1 when IOPS are given, else gp2.
            let t = if iops.is_some() { "io1" } else { "gp2" };
            defaults.config("storage_type", t);
            t.to_owned()
        }
    };
    let storage_item = match storage_type.as_str() {
        "gp2" | "gp3" | "io1" | "io2" => format!("storage_{storage_type}:{az}"),
        "standard" => format!("storage_magnetic:{az}"),
        other => {
            return Err(EstimateError::UnknownSku {
                kind: "rds",
                sku: format!("storage type {}", clip(other, 64)),
            });
        }
    };
    let storage_rate = input.rate(service, &storage_item)?;
    let compute = hourly * HOURS_PER_MONTH;
    let storage = storage_gb * storage_rate;
    let mut monthly = compute + storage;
    let mut detail = format!(
        "{class} {engine} {az} {} USD/h x 730 h = {compute:.2} USD + {} GB {storage_type} x {} USD/GB-month",
        usd(hourly),
        qty(storage_gb),
        usd(storage_rate)
    );

    match storage_type.as_str() {
        "gp3" => {
            let (free_iops, free_mibps) = if storage_gb >= GP3_LARGE_GB {
                (12_000.0, 500.0)
            } else {
                (3_000.0, 125.0)
            };
            if let Some(iops) = iops.filter(|i| *i > free_iops) {
                let rate = input.rate(service, &format!("gp3_iops:{az}"))?;
                monthly += (iops - free_iops) * rate;
                detail += &format!(
                    " + {} IOPS above {free_iops} x {} USD",
                    qty(iops - free_iops),
                    usd(rate)
                );
            }
            let mibps = props.number(&["storageThroughput"])?;
            if let Some(mibps) = mibps.filter(|m| *m > free_mibps) {
                let rate = input.rate(service, &format!("gp3_throughput:{az}"))?;
                monthly += (mibps - free_mibps) * rate;
                detail += &format!(
                    " + {} MBps above {free_mibps} x {} USD",
                    qty(mibps - free_mibps),
                    usd(rate)
                );
            }
        }
        "io1" | "io2" => {
            let iops = iops.unwrap_or_else(|| {
                defaults.config("iops", MIN_PIOPS);
                MIN_PIOPS
            });
            let rate = input.rate(service, &format!("{storage_type}_iops:{az}"))?;
            monthly += iops * rate;
            detail += &format!(" + {} IOPS x {} USD/IOPS-month", qty(iops), usd(rate));
        }
        _ => {}
    }

    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "rds",
        sku: class.to_owned(),
        unit_price: hourly,
        unit: "hour",
        cost_per_month: monthly,
        billing_mode: "per_hour",
        billing_detail: format!("{detail} = {monthly:.2} USD/month"),
        description: input.prose(|| format!("Amazon RDS for {engine} {class}, {az}")),
        source: Source::Tables(match service {
            Service::RdsPostgresql => &[Service::RdsPostgresql],
            _ => &[Service::RdsMysql],
        }),
        tiers: Vec::new(),
        assumptions: vec![
            "on-demand, license included, running 730 hours a month".into(),
            "backup storage up to the database size is free; extra backups and data transfer are not included"
                .into(),
        ],
        metric_hints: &[("instance_hours", "hour"), ("storage_gb", "GB-month")],
        defaults_applied,
        quality,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use crate::estimate::test_support::*;
    use crate::estimate::{EstimateError, Quality};
    use crate::region::Region;

    #[test]
    fn mysql_and_postgres_instance_rates() {
        let full = [
            ("engine", "mysql"),
            ("multiAz", "false"),
            ("allocatedStorage", "20"),
            ("storageType", "gp2"),
        ];
        let e = price(
            Region::UsEast1,
            "aws:rds/instance:Instance",
            "db.t3.micro",
            &full,
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.017);
        assert_usd(e.cost_per_month, 0.017 * 730.0 + 20.0 * 0.115);
        assert_eq!(e.quality, Quality::High);
        let e = price(
            Region::UsEast1,
            "rds",
            "",
            &[("instanceClass", "db.m5.large"), ("engine", "mysql")],
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.171);
        assert_eq!(e.quality, Quality::Medium);
        let e = price(
            Region::UsEast1,
            "rds",
            "db.m5.large",
            &[("engine", "postgres")],
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.178);
    }

    #[test]
    fn multi_az_and_provisioned_storage() {
        let e = price(
            Region::UsEast1,
            "rds",
            "db.t3.micro",
            &[
                ("engine", "mysql"),
                ("multiAz", "true"),
                ("allocatedStorage", "100"),
                ("storageType", "io1"),
                ("iops", "1000"),
            ],
        )
        .unwrap();
        let hourly = e.unit_price;
        assert_usd(
            e.cost_per_month,
            hourly * 730.0 + 100.0 * 0.25 + 1000.0 * 0.2,
        );
        let gp3 = price(
            Region::UsEast1,
            "rds",
            "db.t3.micro",
            &[
                ("engine", "mysql"),
                ("multiAz", "false"),
                ("allocatedStorage", "100"),
                ("storageType", "gp3"),
                ("iops", "4000"),
                ("storageThroughput", "200"),
            ],
        )
        .unwrap();
        assert_usd(
            gp3.cost_per_month,
            0.017 * 730.0 + 100.0 * 0.115 + 1000.0 * 0.02 + 75.0 * 0.08,
        );
        let big = price(
            Region::UsEast1,
            "rds",
            "db.t3.micro",
            &[
                ("engine", "mysql"),
                ("multiAz", "false"),
                ("allocatedStorage", "400"),
                ("storageType", "gp3"),
                ("iops", "12000"),
            ],
        )
        .unwrap();
        assert_usd(big.cost_per_month, 0.017 * 730.0 + 400.0 * 0.115);
    }

    #[test]
    fn unsupported_engines_and_classes() {
        let err = price(
            Region::UsEast1,
            "rds",
            "db.t3.micro",
            &[("engine", "aurora-mysql")],
        )
        .unwrap_err();
        assert!(matches!(err, EstimateError::NoPrice { kind: "rds", .. }));
        let err = price(Region::UsEast1, "rds", "db.zz.huge", &[("engine", "mysql")]).unwrap_err();
        assert!(matches!(err, EstimateError::UnknownSku { kind: "rds", .. }));
        let err = price(
            Region::UsEast1,
            "rds",
            "db.t3.micro",
            &[("storageType", "floppy")],
        )
        .unwrap_err();
        assert!(matches!(err, EstimateError::UnknownSku { .. }));
    }
}
