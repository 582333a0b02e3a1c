//! Checks a `ResourceDescriptor` against what this process can answer before any pricing:
//! the provider must be AWS, the resource type well formed, the region the served one.

use std::fmt;

use crate::estimate::Query;
use crate::proto::v1::ResourceDescriptor;
use crate::region::Region;
use crate::resource;

use super::error::{ServiceError, echo};

/// Longest string that can be a region or availability zone code.
const MAX_REGION_LEN: usize = 32;

/// The estimator's query for `descriptor`, once provider, type and region are acceptable.
///
/// `prefix` is the descriptor's path in the request (`resource.`), used in field names of
/// errors. `fallback_utilization` is the request-level utilisation, used when the descriptor
/// carries none; `prose` is [`Query::prose`]. Type and SKU are validated again, in depth, by the
/// estimator.
pub fn query<'a>(
    descriptor: &'a ResourceDescriptor,
    served: Region,
    prefix: &str,
    fallback_utilization: Option<f64>,
    prose: bool,
) -> Result<Query<'a>, ServiceError> {
    // Field paths are spelled out only when a check fails.
    check_provider(&descriptor.provider, format_args!("{prefix}provider"))?;
    check_resource_type(
        &descriptor.resource_type,
        format_args!("{prefix}resource_type"),
    )?;
    check_region(served, &descriptor.region, format_args!("{prefix}region"))?;
    Ok(Query {
        resource_type: descriptor.resource_type.trim(),
        sku: descriptor.sku.trim(),
        // An empty region means "wherever this plugin prices": the host leaves it out for
        // resources whose region it cannot tell.
        region: served.code(),
        tags: &descriptor.tags,
        // The estimator validates the range.
        utilization: descriptor.utilization_percentage.or(fallback_utilization),
        prose,
    })
}

/// `aws` in any case, or empty (the host's default provider). `field` names the field in the
/// error.
pub fn check_provider(provider: &str, field: impl fmt::Display) -> Result<(), ServiceError> {
    let provider = provider.trim();
    if provider.is_empty() || provider.eq_ignore_ascii_case("aws") {
        Ok(())
    } else {
        Err(ServiceError::UnsupportedProvider {
            field: field.to_string(),
            provider: echo(provider),
        })
    }
}

/// The wire contract on `resource_type` (at most 256 characters of `^[a-zA-Z][a-zA-Z0-9_\-:/]*$`).
pub fn check_resource_type(
    resource_type: &str,
    field: impl fmt::Display,
) -> Result<(), ServiceError> {
    resource::validate_resource_type(resource_type, field).map_err(ServiceError::from)
}

/// Accepts an empty region, the served region, or an availability zone of it (`us-east-1a`),
/// in any case. Another well-formed region code is a routing mistake (FAILED_PRECONDITION);
/// anything else is a malformed field (INVALID_ARGUMENT).
pub fn check_region(
    served: Region,
    region: &str,
    field: impl fmt::Display,
) -> Result<(), ServiceError> {
    let region = region.trim();
    // The served region itself is the usual case and needs no closer look.
    if region.is_empty() || region.eq_ignore_ascii_case(served.code()) {
        return Ok(());
    }
    if !looks_like_region(region) {
        return Err(ServiceError::invalid(
            field.to_string(),
            format!("{:?} is not an AWS region code", echo(region)),
        ));
    }
    let without_zone = region.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if region.eq_ignore_ascii_case(served.code())
        || without_zone.eq_ignore_ascii_case(served.code())
    {
        Ok(())
    } else {
        Err(ServiceError::WrongRegion {
            plugin_region: served.code(),
            resource_region: echo(region),
        })
    }
}

/// The shape of region and zone codes: `us-east-1`, `us-gov-west-1`, `eu-west-1b`.
fn looks_like_region(s: &str) -> bool {
    if s.len() > MAX_REGION_LEN {
        return false;
    }
    let Some((words, last)) = s.rsplit_once('-') else {
        return false;
    };
    let digits = last.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    words.split('-').nth(1).is_some()
        && words
            .split('-')
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic()))
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && last.len() - digits.len() <= 1
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use std::collections::HashMap;

    use tonic::Code;

    use super::*;

    fn descriptor(provider: &str, resource_type: &str, region: &str) -> ResourceDescriptor {
        ResourceDescriptor {
            provider: provider.to_owned(),
            resource_type: resource_type.to_owned(),
            sku: "t3.micro".to_owned(),
            region: region.to_owned(),
            tags: HashMap::new(),
            ..Default::default()
        }
    }

    #[test]
    fn accepts_served_region_zone_and_empty() {
        for region in [
            "us-east-1",
            "US-EAST-1",
            "us-east-1a",
            "Us-East-1B",
            " us-east-1 ",
            "",
        ] {
            let d = descriptor("aws", "aws:ec2/instance:Instance", region);
            let q = query(&d, Region::UsEast1, "resource.", None, false).unwrap();
            assert_eq!(q.region, "us-east-1");
            assert_eq!(q.sku, "t3.micro");
        }
    }

    #[test]
    fn another_region_is_a_failed_precondition() {
        for region in ["eu-west-1", "eu-central-1", "us-gov-west-1b"] {
            let d = descriptor("aws", "ec2", region);
            let err = query(&d, Region::UsEast1, "resource.", None, false).unwrap_err();
            assert_eq!(err.code(), Code::FailedPrecondition, "{region}");
        }
    }

    #[test]
    fn malformed_fields_are_named() {
        let cases = [
            (descriptor("gcp", "ec2", ""), "resource.provider"),
            (descriptor("aws", "", ""), "resource.resource_type"),
            (descriptor("aws", "9ec2", ""), "resource.resource_type"),
            (descriptor("aws", "ec2; drop", ""), "resource.resource_type"),
            (
                descriptor("aws", &"a".repeat(257), ""),
                "resource.resource_type",
            ),
            (descriptor("aws", "ec2", "moon-base"), "resource.region"),
            (
                descriptor("aws", "ec2", &"us-east-1".repeat(1000)),
                "resource.region",
            ),
        ];
        for (d, field) in cases {
            let err = query(&d, Region::UsEast1, "resource.", None, false).unwrap_err();
            assert_eq!(err.code(), Code::InvalidArgument, "{field}");
            let detail = err.detail();
            assert_eq!(detail.details["field"], field);
        }
    }

    #[test]
    fn region_shapes() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "eu-west-1b",
            "ap-southeast-12",
        ] {
            assert!(looks_like_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "east-1",
            "us--east-1",
            "-us-east-1",
            "us-east-",
            "us-east-1-",
            "us-ea5t-1",
            "us-east-x1",
            "us-east-1ab",
            "us east-1",
        ] {
            assert!(!looks_like_region(bad), "{bad}");
        }
    }

    #[test]
    fn utilization_falls_back_to_the_request() {
        let mut d = descriptor("aws", "ec2", "");
        let q = query(&d, Region::UsEast1, "resource.", Some(50.0), false).unwrap();
        assert_eq!(q.utilization, Some(50.0));
        d.utilization_percentage = Some(20.0);
        let q = query(&d, Region::UsEast1, "resource.", Some(50.0), false).unwrap();
        assert_eq!(q.utilization, Some(20.0));
    }
}
