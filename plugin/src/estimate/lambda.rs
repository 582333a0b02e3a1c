//! Lambda functions: requests plus GB-seconds of duration, tiered by monthly GB-seconds, for
//! x86_64 or arm64, plus ephemeral storage above the free 512 MB.
//!
//! Usage comes from tags (a function's Pulumi properties have none): `requestsPerMonth`
//! (default 0) and `avgDurationMs` (default 100). Memory is `memorySize` (default 128 MB, the
//! AWS default). The free tier is not subtracted: it is per account, not per function.

use super::{Defaults, Estimate, EstimateError, Input, Source, Tier, qty, tiered_cost, usd};
use crate::pricing::Service;
use crate::resource::clip;

const DEFAULT_MEMORY_MB: f64 = 128.0;
const DEFAULT_DURATION_MS: f64 = 100.0;
const FREE_EPHEMERAL_MB: f64 = 512.0;
const MB_PER_GB: f64 = 1024.0;

/// Duration tiers per architecture: (table item, upper bound of the tier in GB-seconds).
const X86_TIERS: [(&str, Option<f64>); 3] = [
    ("duration_x86_tier1_first_6B_GBs", Some(6e9)),
    ("duration_x86_tier2_next_9B_GBs", Some(15e9)),
    ("duration_x86_tier3_over_15B_GBs", None),
];
const ARM_TIERS: [(&str, Option<f64>); 3] = [
    ("duration_arm_tier1_first_7.5B_GBs", Some(7.5e9)),
    ("duration_arm_tier2_next_11.25B_GBs", Some(18.75e9)),
    ("duration_arm_tier3_over_18.75B_GBs", None),
];

/// Prices a Lambda function.
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let props = &input.props;
    let mut defaults = Defaults::default();
    let arch = match props.go_value(&["architectures"]) {
        Some((key, value)) => {
            let items = value.items();
            let first = items.first().and_then(|v| v.as_text()).unwrap_or_default();
            match first.to_ascii_lowercase().as_str() {
                "arm64" => "arm64",
                "x86_64" => "x86_64",
                other => {
                    return Err(props.invalid(key, other, "expected x86_64 or arm64"));
                }
            }
        }
        None => {
            defaults.config("architecture", "x86_64");
            "x86_64"
        }
    };
    let (suffix, tiers) = if arch == "arm64" {
        ("arm", ARM_TIERS)
    } else {
        ("x86", X86_TIERS)
    };
    let memory_mb = match props.number(&["memorySize"])? {
        Some(mb) => mb,
        None => {
            defaults.config("memory_mb", DEFAULT_MEMORY_MB);
            DEFAULT_MEMORY_MB
        }
    };
    let requests = match props.number(&["requestsPerMonth", "monthlyRequests", "requests"])? {
        Some(r) => r,
        None => {
            defaults.usage("requests_per_month", 0);
            0.0
        }
    };
    let duration_ms = match props.number(&["avgDurationMs", "durationMs", "averageDurationMs"])? {
        Some(ms) => ms,
        None => {
            defaults.usage("avg_duration_ms", DEFAULT_DURATION_MS);
            DEFAULT_DURATION_MS
        }
    };
    let ephemeral_mb = props.map(&["ephemeralStorage"]).number("size")?;

    let request_rate = input.rate(Service::Lambda, &format!("requests_{suffix}"))?;
    let mut bands = Vec::with_capacity(3);
    for (item, upper) in tiers {
        bands.push((upper, input.rate(Service::Lambda, item)?));
    }
    let seconds = requests * duration_ms / 1000.0;
    let gb_seconds = seconds * memory_mb / MB_PER_GB;
    let duration = tiered_cost(gb_seconds, &bands);
    let mut monthly = requests * request_rate + duration;
    let mut detail = format!(
        "{} requests x {} USD + {} GB-s ({} MB x {} ms) {arch} tiered = {} USD",
        qty(requests),
        usd(request_rate),
        qty(gb_seconds),
        qty(memory_mb),
        qty(duration_ms),
        usd(duration)
    );
    if let Some(mb) = ephemeral_mb.filter(|mb| *mb > FREE_EPHEMERAL_MB) {
        let rate = input.rate(Service::Lambda, &format!("ephemeral_storage_{suffix}"))?;
        let cost = (mb - FREE_EPHEMERAL_MB) / MB_PER_GB * seconds * rate;
        monthly += cost;
        detail += &format!(" + ephemeral storage above 512 MB {} USD", usd(cost));
    }

    let mut lower = 0.0;
    let tier_list = bands
        .iter()
        .map(|(upper, rate)| {
            let tier = Tier {
                min_quantity: lower,
                max_quantity: upper.unwrap_or(0.0),
                rate_per_unit: *rate,
                description: format!("{arch} duration, USD per GB-second"),
            };
            lower = upper.unwrap_or(0.0);
            tier
        })
        .collect();
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "lambda",
        sku: arch.to_owned(),
        unit_price: bands.first().map_or(0.0, |b| b.1),
        unit: "GB-second",
        cost_per_month: monthly,
        billing_mode: "per_request_and_gb_second",
        billing_detail: format!("{detail} = {monthly:.2} USD/month"),
        description: input.prose(|| {
            format!(
                "AWS Lambda function, {} MB, {arch}",
                clip(&qty(memory_mb), 32)
            )
        }),
        source: Source::Tables(&[Service::Lambda]),
        tiers: tier_list,
        assumptions: vec![
            "free tier not subtracted (it applies per account)".into(),
            "provisioned concurrency and data transfer are not included".into(),
        ],
        metric_hints: &[
            ("requests", "request"),
            ("duration_gb_seconds", "GB-second"),
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
    fn requests_and_duration_x86() {
        // 1M requests x 1 s x 1 GB = 1M GB-s.
        let e = price(
            Region::UsEast1,
            "aws:lambda/function:Function",
            "",
            &[
                ("memorySize", "1024"),
                ("requestsPerMonth", "1000000"),
                ("avgDurationMs", "1000"),
                ("architectures", "[x86_64]"),
            ],
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.0000166667);
        assert_usd(e.cost_per_month, 0.20 + 1_000_000.0 * 0.0000166667);
        assert_eq!(e.quality, Quality::High);
        assert_eq!(e.tiers.len(), 3);
    }

    #[test]
    fn arm64_rate_and_defaults() {
        let e = price(
            Region::UsEast1,
            "lambda",
            "",
            &[
                ("memorySize", "2048"),
                ("requestsPerMonth", "1000000"),
                ("avgDurationMs", "500"),
                ("architectures", "[arm64]"),
            ],
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.0000133334);
        assert_usd(e.cost_per_month, 0.20 + 1_000_000.0 * 0.0000133334);
        let e = price(Region::UsEast1, "lambda", "", &[]).unwrap();
        assert_eq!(e.cost_per_month, 0.0);
        assert_eq!(e.quality, Quality::Low);
        assert!(
            e.defaults_applied
                .contains(&("requests_per_month".into(), "0".into()))
        );
    }

    #[test]
    fn tiers_apply_beyond_six_billion_gb_seconds() {
        // 10B GB-s: 6B at tier 1 + 4B at tier 2.
        let e = price(
            Region::UsEast1,
            "lambda",
            "",
            &[
                ("memorySize", "1024"),
                ("requestsPerMonth", "10000000000"),
                ("avgDurationMs", "1000"),
                ("architectures", "x86_64"),
            ],
        )
        .unwrap();
        let want = 1e10 * 0.0000002 + 6e9 * 0.0000166667 + 4e9 * 0.000015;
        assert!(
            (e.cost_per_month - want).abs() < 1e-3,
            "{} vs {want}",
            e.cost_per_month
        );
    }

    #[test]
    fn ephemeral_storage_above_512_mb() {
        let e = price(
            Region::UsEast1,
            "lambda",
            "",
            &[
                ("memorySize", "1024"),
                ("requestsPerMonth", "1000"),
                ("avgDurationMs", "1000"),
                ("architectures", "[x86_64]"),
                ("ephemeralStorage", "map[size:1536]"),
            ],
        )
        .unwrap();
        assert_usd(
            e.cost_per_month,
            1000.0 * 0.0000002 + 1000.0 * 0.0000166667 + 1000.0 * 0.0000000309,
        );
        assert!(
            price(
                Region::UsEast1,
                "lambda",
                "",
                &[("architectures", "[sparc]")]
            )
            .is_err()
        );
    }
}
