//! DryRun: which descriptor fields the estimators read, checked against one real estimate.
//!
//! The static part says how each `ResourceDescriptor` field is used. The estimate of the
//! descriptor adds what this resource actually relied on: the resolved SKU and every default
//! the estimator had to assume (a property the caller could set to make the price exact).

use crate::estimate::Estimate;
use crate::proto::v1::{DryRunResponse, FieldMapping, FieldSupportStatus};
use crate::region::Region;

use super::error::ServiceError;

/// The dry-run answer for a descriptor; `outcome` is the estimate the descriptor produced.
pub fn response(
    served: Region,
    resource_type_supported: bool,
    outcome: Result<&Estimate, &ServiceError>,
) -> DryRunResponse {
    use FieldSupportStatus::{Conditional, Supported, Unsupported};

    let sku_condition = match outcome {
        Ok(estimate) if !estimate.sku.is_empty() => {
            format!("resolved to {:?} for this resource", estimate.sku)
        }
        Ok(_) => "not used by this resource type".to_owned(),
        Err(_) => "instance type, instance class or volume type, when the type is priced per SKU"
            .to_owned(),
    };
    let mut field_mappings = vec![
        mapping("provider", Supported, "must be \"aws\" or empty", "string"),
        mapping(
            "resource_type",
            Supported,
            "short service name (ec2, ebs, rds, ...) or Pulumi type token",
            "string",
        ),
        mapping("sku", Conditional, &sku_condition, "string"),
        mapping(
            "region",
            Supported,
            &format!("must be {} (or one of its zones) or empty", served.code()),
            "string",
        ),
        mapping(
            "tags",
            Conditional,
            "Pulumi properties: sizes, volume types, engines and counts, per resource type",
            "map<string,string>",
        ),
        mapping(
            "utilization_percentage",
            Conditional,
            "read by usage-priced resource types",
            "double",
        ),
    ];
    for field in ["id", "arn", "growth_type", "growth_rate"] {
        field_mappings.push(mapping(field, Unsupported, "not used for list prices", ""));
    }
    if let Ok(estimate) = outcome {
        for (key, value) in &estimate.defaults_applied {
            field_mappings.push(mapping(
                &format!("tags.{key}"),
                Conditional,
                &format!("not set; the estimate assumed {value}"),
                "string",
            ));
        }
    }
    DryRunResponse {
        field_mappings,
        configuration_valid: outcome.is_ok(),
        configuration_errors: match outcome {
            Ok(_) => Vec::new(),
            Err(e) => vec![e.bounded_message()],
        },
        resource_type_supported,
    }
}

fn mapping(
    field_name: &str,
    status: FieldSupportStatus,
    condition: &str,
    expected_type: &str,
) -> FieldMapping {
    FieldMapping {
        field_name: field_name.to_owned(),
        support_status: status.into(),
        condition_description: condition.to_owned(),
        expected_type: expected_type.to_owned(),
    }
}
