//! GetActualCost without billing data: which resource is meant, and for how long it ran.
//!
//! # Identifying the resource
//! `GetActualCostRequest` has no `ResourceDescriptor`, so the resource is described in one of
//! two ways (checked in this order):
//! 1. `resource_id` holds a JSON `ResourceDescriptor` in the proto3 JSON shape, e.g.
//!    `{"provider":"aws","resourceType":"ec2","sku":"t3.micro","region":"us-east-1",
//!    "tags":{"volumeSize":"20"}}` (snake_case names such as `resource_type` work too).
//!    The request's `tags` are added to the descriptor's tags where they do not clash.
//! 2. `tags` carry `resource_type` (required), and optionally `sku`, `region`, `provider`;
//!    all tags are also passed to the estimator as the resource's properties.
//!
//! When neither gives a region, the region of `arn` (`arn:aws:ec2:<region>:...`) is used.
//!
//! A request that names its resource only by an opaque id (`i-0abc...`) or an ARN, with no
//! `resource_type` tag, names nothing this plugin can price: without billing data there is no
//! cost to report for it, so the answer is no results with `FALLBACK_HINT_REQUIRED` (another
//! source must answer). A request naming nothing at all is `INVALID_ARGUMENT`.
//!
//! # Cost
//! projected monthly cost x runtime hours / 730, where the runtime is `end - start`.

use std::collections::HashMap;

use prost_types::Timestamp;
use serde::Deserialize;

use crate::proto::v1::{GetActualCostRequest, ResourceDescriptor};

use super::error::ServiceError;

/// Hours in the month the projected cost is quoted for.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Longest `resource_id` parsed as JSON; a descriptor is a few hundred bytes.
const MAX_RESOURCE_ID_JSON: usize = 64 * 1024;

/// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the Timestamp type's range.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// The resource a GetActualCost request is about, as a descriptor the projected path prices;
/// `None` when it is named only by an opaque id or ARN.
pub fn descriptor(
    request: &GetActualCostRequest,
) -> Result<Option<ResourceDescriptor>, ServiceError> {
    let id = request.resource_id.trim();
    let mut descriptor = if id.starts_with('{') {
        from_json(id)?
    } else if let Some(resource_type) = request.tags.get("resource_type") {
        ResourceDescriptor {
            provider: tag(&request.tags, "provider"),
            resource_type: resource_type.clone(),
            sku: tag(&request.tags, "sku"),
            region: tag(&request.tags, "region"),
            tags: request.tags.clone(),
            ..Default::default()
        }
    } else if !id.is_empty() || !request.arn.trim().is_empty() {
        return Ok(None);
    } else {
        return Err(ServiceError::invalid(
            "tags.resource_type",
            "name the resource: tags resource_type (with sku, region) or resource_id holding a \
             JSON ResourceDescriptor",
        ));
    };
    for (k, v) in &request.tags {
        descriptor
            .tags
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    if descriptor.region.trim().is_empty() {
        descriptor.region = arn_region(&request.arn).unwrap_or_default().to_owned();
    }
    Ok(Some(descriptor))
}

/// Where the fields of the resource sit in the request, for field paths in errors:
/// `resource_id.` for a JSON descriptor, `tags.` otherwise.
pub fn field_prefix(request: &GetActualCostRequest) -> &'static str {
    if request.resource_id.trim().starts_with('{') {
        "resource_id."
    } else {
        "tags."
    }
}

fn tag(tags: &HashMap<String, String>, key: &str) -> String {
    tags.get(key).cloned().unwrap_or_default()
}

/// The proto3 JSON shape of a ResourceDescriptor, lowerCamelCase or original field names.
#[derive(Deserialize)]
struct JsonDescriptor {
    #[serde(default)]
    provider: String,
    #[serde(default, alias = "resourceType")]
    resource_type: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    tags: HashMap<String, String>,
    #[serde(default, alias = "utilizationPercentage")]
    utilization_percentage: Option<f64>,
    #[serde(default)]
    id: String,
    #[serde(default)]
    arn: String,
}

fn from_json(id: &str) -> Result<ResourceDescriptor, ServiceError> {
    if id.len() > MAX_RESOURCE_ID_JSON {
        return Err(ServiceError::invalid(
            "resource_id",
            format!("JSON descriptor longer than {MAX_RESOURCE_ID_JSON} bytes"),
        ));
    }
    let json: JsonDescriptor = serde_json::from_str(id).map_err(|e| {
        ServiceError::invalid("resource_id", format!("not a JSON ResourceDescriptor: {e}"))
    })?;
    Ok(ResourceDescriptor {
        provider: json.provider,
        resource_type: json.resource_type,
        sku: json.sku,
        region: json.region,
        tags: json.tags,
        utilization_percentage: json.utilization_percentage,
        id: json.id,
        arn: json.arn,
        ..Default::default()
    })
}

/// The region field of an ARN, if it has one.
fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.trim().splitn(5, ':');
    (parts.next()? == "arn").then_some(())?;
    let region = parts.nth(2)?;
    (!region.is_empty()).then_some(region)
}

/// Hours between `start` and `end`: both present, valid, and `end` after `start`.
pub fn runtime_hours(
    start: Option<&Timestamp>,
    end: Option<&Timestamp>,
) -> Result<f64, ServiceError> {
    let start = seconds(start, "start")?;
    let end = seconds(end, "end")?;
    if end <= start {
        return Err(ServiceError::InvalidTimeRange {
            field: "end",
            reason: "end must be after start".to_owned(),
        });
    }
    Ok((end - start) / 3600.0)
}

/// A timestamp as fractional seconds since the epoch, refusing values outside its range.
fn seconds(ts: Option<&Timestamp>, field: &'static str) -> Result<f64, ServiceError> {
    let Some(ts) = ts else {
        return Err(ServiceError::InvalidTimeRange {
            field,
            reason: format!("{field} is required"),
        });
    };
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&ts.seconds) || !(0..1_000_000_000).contains(&ts.nanos)
    {
        return Err(ServiceError::InvalidTimeRange {
            field,
            reason: format!("{field} is not a valid timestamp"),
        });
    }
    // Both parts are range-checked above: |seconds| < 2^38 converts to f64 exactly.
    Ok(ts.seconds as f64 + f64::from(ts.nanos) / 1e9)
}

/// The cost of `hours` of a resource whose monthly cost is `monthly`.
pub fn prorate(monthly: f64, hours: f64) -> f64 {
    monthly * hours / HOURS_PER_MONTH
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    fn ts(seconds: i64) -> Timestamp {
        Timestamp { seconds, nanos: 0 }
    }

    #[test]
    fn runtime_from_start_and_end() {
        let hours = runtime_hours(Some(&ts(0)), Some(&ts(73 * 3600))).unwrap();
        assert!((hours - 73.0).abs() < 1e-9);
        assert!((prorate(7.3, hours) - 0.73).abs() < 1e-9);
    }

    #[test]
    fn invalid_ranges_are_refused() {
        for (start, end, field) in [
            (None, Some(ts(10)), "start"),
            (Some(ts(10)), None, "end"),
            (Some(ts(10)), Some(ts(10)), "end"),
            (Some(ts(20)), Some(ts(10)), "end"),
            (Some(ts(i64::MIN)), Some(ts(10)), "start"),
            (Some(ts(0)), Some(ts(i64::MAX)), "end"),
            (
                Some(Timestamp {
                    seconds: 0,
                    nanos: -1,
                }),
                Some(ts(10)),
                "start",
            ),
        ] {
            let err = runtime_hours(start.as_ref(), end.as_ref()).unwrap_err();
            assert_eq!(err.code(), tonic::Code::InvalidArgument);
            assert_eq!(err.detail().details["field"], field);
        }
    }

    #[test]
    fn resource_from_tags() {
        let request = GetActualCostRequest {
            tags: HashMap::from([
                ("resource_type".to_owned(), "ec2".to_owned()),
                ("sku".to_owned(), "t3.micro".to_owned()),
            ]),
            arn: "arn:aws:ec2:eu-west-1:123456789012:instance/i-1".to_owned(),
            ..Default::default()
        };
        let d = descriptor(&request).unwrap().unwrap();
        assert_eq!(d.resource_type, "ec2");
        assert_eq!(d.sku, "t3.micro");
        assert_eq!(d.region, "eu-west-1", "taken from the ARN");
    }

    #[test]
    fn resource_from_json_id_in_both_spellings() {
        for id in [
            r#"{"resourceType":"ebs","sku":"gp3","region":"us-east-1","tags":{"size":"100"}}"#,
            r#"{"resource_type":"ebs","sku":"gp3","region":"us-east-1","tags":{"size":"100"}}"#,
        ] {
            let request = GetActualCostRequest {
                resource_id: id.to_owned(),
                tags: HashMap::from([("team".to_owned(), "a".to_owned())]),
                ..Default::default()
            };
            let d = descriptor(&request).unwrap().unwrap();
            assert_eq!(d.resource_type, "ebs");
            assert_eq!(d.tags["size"], "100");
            assert_eq!(d.tags["team"], "a");
        }
    }

    #[test]
    fn opaque_ids_and_arns_name_no_priceable_resource() {
        for (resource_id, arn) in [
            ("i-0123456789abcdef0", ""),
            ("", "arn:aws:ec2:us-east-1:123456789012:instance/i-1"),
        ] {
            let request = GetActualCostRequest {
                resource_id: resource_id.to_owned(),
                arn: arn.to_owned(),
                ..Default::default()
            };
            assert_eq!(descriptor(&request).unwrap(), None);
        }
    }

    #[test]
    fn unidentified_or_broken_resources_name_the_field() {
        let err = descriptor(&GetActualCostRequest::default()).unwrap_err();
        assert_eq!(err.detail().details["field"], "tags.resource_type");
        let request = GetActualCostRequest {
            resource_id: "{not json".to_owned(),
            ..Default::default()
        };
        let err = descriptor(&request).unwrap_err();
        assert_eq!(err.detail().details["field"], "resource_id");
        let request = GetActualCostRequest {
            resource_id: format!("{{\"sku\":\"{}\"}}", "x".repeat(MAX_RESOURCE_ID_JSON)),
            ..Default::default()
        };
        assert!(descriptor(&request).is_err());
    }
}
