//! S3 buckets: stored GB-month in one storage class, plus Standard PUT/GET requests when given.
//!
//! A bucket's size is usage, not configuration: without `sizeGb` the storage is assumed 0 GB and
//! the estimate is `low` quality. The feed has the first tier of each class (Standard: first
//! 50 TB), so larger buckets are priced at that rate and the assumption says so.

use super::{Defaults, Estimate, EstimateError, Input, Source, qty, usd};
use crate::pricing::Service;
use crate::resource::clip;

/// First-tier size of S3 Standard and Intelligent-Tiering frequent access, in GB.
const FIRST_TIER_GB: f64 = 50.0 * 1024.0;

/// Storage class (as S3 names it, normalised) -> table item.
const CLASSES: &[(&str, &str)] = &[
    ("STANDARD", "storage_standard_first_50TB"),
    ("STANDARD_IA", "storage_standard_ia"),
    ("ONEZONE_IA", "storage_onezone_ia"),
    (
        "INTELLIGENT_TIERING",
        "storage_intelligent_tiering_frequent_first_50TB",
    ),
    ("GLACIER_IR", "storage_glacier_instant_retrieval"),
    ("GLACIER", "storage_glacier_flexible_retrieval"),
    ("EXPRESS_ONEZONE", "storage_express_onezone"),
];

/// Classes S3 sells that the embedded data does not price.
const UNPRICED: &[&str] = &["DEEP_ARCHIVE", "REDUCED_REDUNDANCY", "OUTPOSTS", "SNOW"];

/// Prices an S3 bucket.
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let props = &input.props;
    let mut defaults = Defaults::default();
    let class = match input.sku_from(&["storageClass"])? {
        Some(c) => c.to_ascii_uppercase().replace('-', "_"),
        None => {
            defaults.config("storage_class", "STANDARD");
            "STANDARD".to_owned()
        }
    };
    let item = match CLASSES.iter().find(|(c, _)| *c == class) {
        Some((_, item)) => *item,
        None if UNPRICED.contains(&class.as_str()) => {
            return Err(EstimateError::NoPrice {
                kind: "s3",
                item: format!("{class} storage"),
            });
        }
        None => {
            return Err(EstimateError::UnknownSku {
                kind: "s3",
                sku: clip(&class, 256),
            });
        }
    };
    let rate = input.rate(Service::S3, item)?;
    let size_gb = match props.number(&["sizeGb", "storageGb", "size"])? {
        Some(size) => size,
        None => {
            defaults.usage("size_gb", 0);
            0.0
        }
    };
    let mut monthly = size_gb * rate;
    let mut detail = format!("{} GB {class} x {} USD/GB-month", qty(size_gb), usd(rate));
    let mut assumptions =
        vec!["data transfer, retrieval and lifecycle transitions are not included".into()];
    if size_gb > FIRST_TIER_GB && matches!(class.as_str(), "STANDARD" | "INTELLIGENT_TIERING") {
        assumptions.push("all GB priced at the first-50-TB rate (later tiers are cheaper)".into());
    }
    let puts = props.number(&["putRequests", "putRequestsPerMonth"])?;
    let gets = props.number(&["getRequests", "getRequestsPerMonth"])?;
    if puts.is_some() || gets.is_some() {
        if class != "STANDARD" {
            return Err(EstimateError::NoPrice {
                kind: "s3",
                item: format!("{class} request pricing (only Standard request rates are embedded)"),
            });
        }
        let put_rate = input.rate(Service::S3, "requests_put_copy_post_list_standard")?;
        let get_rate = input.rate(Service::S3, "requests_get_and_other_standard")?;
        let (puts, gets) = (puts.unwrap_or(0.0), gets.unwrap_or(0.0));
        monthly += puts * put_rate + gets * get_rate;
        detail += &format!(
            " + {} PUT x {} USD + {} GET x {} USD",
            qty(puts),
            usd(put_rate),
            qty(gets),
            usd(get_rate)
        );
    } else {
        assumptions.push("request charges not included (give putRequests/getRequests)".into());
    }
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "s3",
        billing_detail: format!("{detail} = {monthly:.2} USD/month"),
        description: input.prose(|| format!("Amazon S3 bucket, {class} storage")),
        sku: class,
        unit_price: rate,
        unit: "GB-month",
        cost_per_month: monthly,
        billing_mode: "per_gb_month",
        source: Source::Tables(&[Service::S3]),
        tiers: Vec::new(),
        assumptions,
        metric_hints: &[
            ("storage_gb", "GB-month"),
            ("put_requests", "request"),
            ("get_requests", "request"),
        ],
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
    fn standard_storage_and_requests() {
        let e = price(
            Region::UsEast1,
            "aws:s3/bucketV2:BucketV2",
            "",
            &[("sizeGb", "100")],
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.023);
        assert_usd(e.cost_per_month, 2.3);
        assert_eq!(e.quality, Quality::Medium, "class defaulted");
        let e = price(
            Region::UsEast1,
            "s3",
            "STANDARD",
            &[
                ("sizeGb", "1000"),
                ("putRequests", "1000000"),
                ("getRequests", "10000000"),
            ],
        )
        .unwrap();
        // PUT 0.005 and GET 0.0004 per 1,000 requests.
        assert_usd(e.cost_per_month, 23.0 + 5.0 + 4.0);
        assert_eq!(e.quality, Quality::High);
    }

    #[test]
    fn classes_and_size_default() {
        let e = price(
            Region::UsEast1,
            "s3",
            "",
            &[("storageClass", "standard-ia"), ("sizeGb", "100")],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 1.25);
        let e = price(Region::UsEast1, "aws:s3/bucket:Bucket", "", &[]).unwrap();
        assert_eq!(e.cost_per_month, 0.0);
        assert_eq!(e.quality, Quality::Low);
        assert!(e.defaults_applied.contains(&("size_gb".into(), "0".into())));
    }

    #[test]
    fn unpriced_classes_are_errors() {
        let err = price(Region::UsEast1, "s3", "DEEP_ARCHIVE", &[]).unwrap_err();
        assert!(matches!(err, EstimateError::NoPrice { kind: "s3", .. }));
        let err = price(Region::UsEast1, "s3", "FANCY", &[]).unwrap_err();
        assert!(matches!(err, EstimateError::UnknownSku { kind: "s3", .. }));
        // Express One Zone is listed for us-east-1 but not ca-central-1.
        assert!(price(Region::UsEast1, "s3", "EXPRESS_ONEZONE", &[("sizeGb", "1")]).is_ok());
        let err = price(
            Region::CaCentral1,
            "s3",
            "EXPRESS_ONEZONE",
            &[("sizeGb", "1")],
        )
        .unwrap_err();
        assert!(matches!(err, EstimateError::NoPrice { .. }));
        let err = price(Region::UsEast1, "s3", "GLACIER", &[("putRequests", "5")]).unwrap_err();
        assert!(matches!(err, EstimateError::NoPrice { .. }));
    }
}
