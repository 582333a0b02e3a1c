//! DynamoDB tables: provisioned capacity (RCU/WCU hours x 730) or on-demand request units,
//! plus storage, for the Standard or Standard-IA table class.
//!
//! Capacity, request counts and table size are usage; when absent they are assumed 0 and the
//! estimate is `low` quality. The account-level free tier is not subtracted.

use super::{Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, qty, usd};
use crate::pricing::Service;
use crate::resource::clip;

/// Prices a DynamoDB table.
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let props = &input.props;
    let mut defaults = Defaults::default();
    let mode = match props.find(&["billingMode"]) {
        None => {
            defaults.config("billing_mode", "PROVISIONED");
            "PROVISIONED"
        }
        Some((key, value)) => match value.trim().to_ascii_uppercase().as_str() {
            "PROVISIONED" => "PROVISIONED",
            "PAY_PER_REQUEST" | "ON_DEMAND" => "PAY_PER_REQUEST",
            _ => return Err(props.invalid(key, value, "expected PROVISIONED or PAY_PER_REQUEST")),
        },
    };
    let class = match props.find(&["tableClass"]) {
        None => {
            defaults.config("table_class", "STANDARD");
            "standard"
        }
        Some((key, value)) => match value.trim().to_ascii_uppercase().as_str() {
            "STANDARD" => "standard",
            "STANDARD_INFREQUENT_ACCESS" | "STANDARD_IA" => "standard_ia",
            _ => {
                return Err(props.invalid(
                    key,
                    value,
                    "expected STANDARD or STANDARD_INFREQUENT_ACCESS",
                ));
            }
        },
    };
    let mut usage = |names: &[&str], default_name: &'static str| -> Result<f64, EstimateError> {
        Ok(match props.number(names)? {
            Some(v) => v,
            None => {
                defaults.usage(default_name, 0);
                0.0
            }
        })
    };
    let storage_gb = usage(&["storageGb", "tableSizeGb"], "storage_gb")?;
    let storage_rate = input.rate(Service::DynamoDb, &format!("storage_{class}"))?;
    let storage = storage_gb * storage_rate;

    let (unit_price, unit, billing_mode, capacity, capacity_detail) = if mode == "PROVISIONED" {
        let rcu = usage(&["readCapacity"], "read_capacity")?;
        let wcu = usage(&["writeCapacity"], "write_capacity")?;
        let rcu_rate = input.rate(Service::DynamoDb, &format!("provisioned_rcu_{class}"))?;
        let wcu_rate = input.rate(Service::DynamoDb, &format!("provisioned_wcu_{class}"))?;
        let cost = (rcu * rcu_rate + wcu * wcu_rate) * HOURS_PER_MONTH;
        let detail = format!(
            "({} RCU x {} USD + {} WCU x {} USD)/h x 730 h",
            qty(rcu),
            usd(rcu_rate),
            qty(wcu),
            usd(wcu_rate)
        );
        (wcu_rate, "WCU-hour", "per_capacity_unit_hour", cost, detail)
    } else {
        let reads = usage(
            &["readRequestsPerMonth", "readRequestUnits"],
            "read_request_units_per_month",
        )?;
        let writes = usage(
            &["writeRequestsPerMonth", "writeRequestUnits"],
            "write_request_units_per_month",
        )?;
        let rru = input.rate(
            Service::DynamoDb,
            &format!("ondemand_read_request_unit_{class}"),
        )?;
        let wru = input.rate(
            Service::DynamoDb,
            &format!("ondemand_write_request_unit_{class}"),
        )?;
        let cost = reads * rru + writes * wru;
        let detail = format!(
            "{} read units x {} USD + {} write units x {} USD",
            qty(reads),
            usd(rru),
            qty(writes),
            usd(wru)
        );
        (wru, "write request unit", "per_request", cost, detail)
    };
    let monthly = capacity + storage;
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "dynamodb",
        sku: format!("{mode}:{class}"),
        unit_price,
        unit,
        cost_per_month: monthly,
        billing_mode,
        billing_detail: format!(
            "{capacity_detail} + {} GB x {} USD/GB-month = {monthly:.2} USD/month",
            qty(storage_gb),
            usd(storage_rate)
        ),
        description: input
            .prose(|| format!("Amazon DynamoDB table, {mode}, {} class", clip(class, 16))),
        source: Source::Tables(&[Service::DynamoDb]),
        tiers: Vec::new(),
        assumptions: vec![
            "free tier, backups, streams and global-table replication are not included".into(),
        ],
        metric_hints: &[
            ("read_capacity_units", "RCU"),
            ("write_capacity_units", "WCU"),
            ("read_request_units", "RRU"),
            ("write_request_units", "WRU"),
            ("storage_gb", "GB-month"),
        ],
        defaults_applied,
        quality,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use crate::estimate::Quality;
    use crate::estimate::test_support::*;
    use crate::region::Region;

    #[test]
    fn provisioned_capacity_and_storage() {
        let e = price(
            Region::UsEast1,
            "aws:dynamodb/table:Table",
            "",
            &[
                ("billingMode", "PROVISIONED"),
                ("readCapacity", "10"),
                ("writeCapacity", "5"),
                ("storageGb", "10"),
                ("tableClass", "STANDARD"),
            ],
        )
        .unwrap();
        assert_usd(
            e.cost_per_month,
            (10.0 * 0.00013 + 5.0 * 0.00065) * 730.0 + 10.0 * 0.25,
        );
        assert_eq!(e.quality, Quality::High);
    }

    #[test]
    fn on_demand_requests_and_ia_class() {
        let e = price(
            Region::UsEast1,
            "dynamodb",
            "",
            &[
                ("billingMode", "PAY_PER_REQUEST"),
                ("readRequestsPerMonth", "8000000"),
                ("writeRequestsPerMonth", "1600000"),
                ("storageGb", "100"),
                ("tableClass", "STANDARD_INFREQUENT_ACCESS"),
            ],
        )
        .unwrap();
        assert_usd(
            e.cost_per_month,
            8e6 * 0.000000155 + 1.6e6 * 0.00000078 + 100.0 * 0.1,
        );
        let e = price(
            Region::UsEast1,
            "dynamodb",
            "",
            &[("billingMode", "PAY_PER_REQUEST")],
        )
        .unwrap();
        assert_eq!(e.cost_per_month, 0.0);
        assert_eq!(e.quality, Quality::Low);
        assert!(price(Region::UsEast1, "dynamodb", "", &[("billingMode", "FREE")]).is_err());
    }
}
