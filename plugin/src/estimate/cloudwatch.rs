//! CloudWatch: log groups (GB ingested per month by log class, plus GB stored) and metric
//! alarms (per alarm metric per month, standard or high resolution).
//!
//! The `cloudwatch` short name is a log group unless alarm properties (`metricName`,
//! `comparisonOperator`, `evaluationPeriods`, `metricQueries`) are present.

use super::{Defaults, Estimate, EstimateError, Input, Source, qty, usd};
use crate::pricing::Service;

/// Properties that only metric alarms have.
const ALARM_PROPS: &[&str] = &[
    "metricName",
    "comparisonOperator",
    "evaluationPeriods",
    "metricQueries",
];
/// Alarms with a period below this many seconds are high resolution.
const HIGH_RESOLUTION_BELOW_S: f64 = 60.0;
/// An alarm over a metric-math expression bills each metric it reads; capped to bound work.
const MAX_METRIC_QUERIES: usize = 1024;

/// `cloudwatch` short name: an alarm if it looks like one, else a log group.
pub(crate) fn estimate_auto(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    if input.props.find(ALARM_PROPS).is_some() {
        estimate_alarm(input)
    } else {
        estimate_log_group(input)
    }
}

/// Prices a log group.
pub(crate) fn estimate_log_group(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let props = &input.props;
    let mut defaults = Defaults::default();
    let class = match props.find(&["logGroupClass"]) {
        None => {
            defaults.config("log_group_class", "STANDARD");
            "STANDARD"
        }
        Some((key, value)) => match value.trim().to_ascii_uppercase().as_str() {
            "STANDARD" => "STANDARD",
            "INFREQUENT_ACCESS" => "INFREQUENT_ACCESS",
            _ => return Err(props.invalid(key, value, "expected STANDARD or INFREQUENT_ACCESS")),
        },
    };
    let ingest_item = if class == "STANDARD" {
        "logs_ingestion_standard"
    } else {
        "logs_ingestion_infrequent_access"
    };
    let mut usage = |names: &[&str], name: &'static str| -> Result<f64, EstimateError> {
        Ok(match props.number(names)? {
            Some(v) => v,
            None => {
                defaults.usage(name, 0);
                0.0
            }
        })
    };
    let ingest_gb = usage(&["ingestionGb", "monthlyIngestionGb"], "ingestion_gb")?;
    let stored_gb = usage(&["storageGb", "storedGb"], "storage_gb")?;
    let ingest_rate = input.rate(Service::CloudWatch, ingest_item)?;
    let store_rate = input.rate(Service::CloudWatch, "logs_storage_archive")?;
    let monthly = ingest_gb * ingest_rate + stored_gb * store_rate;
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "cloudwatch",
        sku: class.to_owned(),
        unit_price: ingest_rate,
        unit: "GB",
        cost_per_month: monthly,
        billing_mode: "per_gb",
        billing_detail: format!(
            "{} GB ingested ({class}) x {} USD/GB + {} GB stored x {} USD/GB-month = {monthly:.2} USD/month",
            qty(ingest_gb),
            usd(ingest_rate),
            qty(stored_gb),
            usd(store_rate)
        ),
        description: input.prose(|| format!("Amazon CloudWatch Logs log group ({class})")),
        source: Source::Tables(&[Service::CloudWatch]),
        tiers: Vec::new(),
        assumptions: vec!["Logs Insights queries and vended logs are not included".into()],
        metric_hints: &[("ingestion_gb", "GB"), ("storage_gb", "GB-month")],
        defaults_applied,
        quality,
    })
}

/// Prices a metric alarm.
pub(crate) fn estimate_alarm(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let props = &input.props;
    let mut defaults = Defaults::default();
    let high_res = match props.number(&["period"])? {
        Some(p) => p < HIGH_RESOLUTION_BELOW_S,
        None => {
            defaults.config("resolution", "standard");
            false
        }
    };
    let metrics = match props.go_value(&["metricQueries"]) {
        Some((key, value)) => {
            let items = value.items();
            if items.len() > MAX_METRIC_QUERIES {
                return Err(EstimateError::InvalidArgument {
                    field: props.field(key),
                    reason: format!("more than {MAX_METRIC_QUERIES} metric queries"),
                });
            }
            let with_metric = items.iter().filter(|q| q.get("metric").is_some()).count();
            with_metric.max(1)
        }
        None => 1,
    };
    let (item, resolution) = if high_res {
        ("alarm_high_resolution", "high resolution")
    } else {
        ("alarm_standard_resolution", "standard resolution")
    };
    let rate = input.rate(Service::CloudWatch, item)?;
    let monthly = rate * metrics as f64;
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "cloudwatch",
        sku: item.to_owned(),
        unit_price: rate,
        unit: "alarm-metric-month",
        cost_per_month: monthly,
        billing_mode: "per_alarm_month",
        billing_detail: format!(
            "{metrics} alarm metric(s), {resolution}, x {} USD/month = {monthly:.2} USD/month",
            usd(rate)
        ),
        description: input.prose(|| format!("Amazon CloudWatch metric alarm ({resolution})")),
        source: Source::Tables(&[Service::CloudWatch]),
        tiers: Vec::new(),
        assumptions: vec!["anomaly-detection and composite alarms are billed differently".into()],
        metric_hints: &[("alarm_metrics", "alarm-metric-month")],
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
    fn log_group_ingestion_and_storage() {
        let e = price(
            Region::UsEast1,
            "aws:cloudwatch/logGroup:LogGroup",
            "",
            &[
                ("ingestionGb", "10"),
                ("storageGb", "100"),
                ("logGroupClass", "STANDARD"),
            ],
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.5);
        assert_usd(e.cost_per_month, 5.0 + 3.0);
        assert_eq!(e.quality, Quality::High);
        let e = price(
            Region::UsEast1,
            "cloudwatch",
            "",
            &[
                ("logGroupClass", "INFREQUENT_ACCESS"),
                ("ingestionGb", "10"),
            ],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 2.5);
        assert_eq!(e.quality, Quality::Low, "storage defaulted to 0");
    }

    #[test]
    fn metric_alarms() {
        let e = price(
            Region::UsEast1,
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "",
            &[("metricName", "CPUUtilization"), ("period", "300")],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 0.1);
        assert_eq!(e.quality, Quality::High);
        let e = price(
            Region::UsEast1,
            "cloudwatch",
            "",
            &[("metricName", "x"), ("period", "10")],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 0.3);
        let e = price(
            Region::UsGovEast1,
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "",
            &[
                ("period", "60"),
                ("metricQueries", "[map[id:a metric:map[metricName:x]] map[id:b metric:map[metricName:y]] map[expression:a+b id:c]]"),
            ],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 2.0 * 0.13);
    }
}
