//! Why a request was refused, and how that becomes a gRPC status with a FinFocus `ErrorDetail`.
//!
//! Every refusal carries a `google.rpc.Status` in `grpc-status-details-bin` whose single `Any`
//! is a `finfocus.v1.ErrorDetail`, the convention Go clients decode with `status.Details()`.
//! Values a client sent are cut short before they are echoed, so a hostile string cannot grow
//! the response headers.

use std::collections::BTreeMap;

use prost::Message as _;
use tonic::{Code, Status};

use crate::estimate::EstimateError;
use crate::proto::v1::{ErrorCategory, ErrorCode, ErrorDetail};
use crate::proto::{ERROR_DETAIL_TYPE_URL, rpc};
use crate::resource;

/// Longest client-sent value echoed in a message or a detail.
const MAX_ECHO_CHARS: usize = 128;

/// Longest status message; `grpc-message` travels in a header.
const MAX_MESSAGE_CHARS: usize = 512;

/// A request this plugin cannot answer, with enough context to tell the client why.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A field is missing or malformed; `field` is its path in the request.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// Path of the field, e.g. `resource.resource_type`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The descriptor names another cloud provider.
    #[error("unsupported provider {provider:?}: this plugin prices only \"aws\"")]
    UnsupportedProvider {
        /// Path of the provider field, e.g. `resource.provider`.
        field: String,
        /// The provider the client sent (cut short).
        provider: String,
    },
    /// The resource lives in a region this process does not serve.
    #[error(
        "region {resource_region:?} is not served by this plugin process (it serves {plugin_region})"
    )]
    WrongRegion {
        /// The region this process serves.
        plugin_region: &'static str,
        /// The region the client asked about (cut short).
        resource_region: String,
    },
    /// `start`/`end` do not form a usable time range.
    #[error("invalid time range: {reason}")]
    InvalidTimeRange {
        /// The field at fault (`start` or `end`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A BatchCost request with more resources than the plugin accepts in one call.
    #[error("batch of {len} resources exceeds the maximum of {max}")]
    BatchTooLarge {
        /// Resources sent.
        len: usize,
        /// Resources accepted.
        max: usize,
    },
    /// The estimator refused the resource.
    #[error(transparent)]
    Estimate(#[from] EstimateError),
}

impl ServiceError {
    /// An invalid-argument error for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ServiceError::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The gRPC code of this error.
    pub fn code(&self) -> Code {
        match self {
            ServiceError::InvalidArgument { .. }
            | ServiceError::UnsupportedProvider { .. }
            | ServiceError::InvalidTimeRange { .. }
            | ServiceError::BatchTooLarge { .. } => Code::InvalidArgument,
            ServiceError::WrongRegion { .. } => Code::FailedPrecondition,
            ServiceError::Estimate(e) => match e {
                EstimateError::InvalidArgument { .. } => Code::InvalidArgument,
                EstimateError::UnsupportedResourceType { .. }
                | EstimateError::UnknownSku { .. }
                | EstimateError::NoPrice { .. } => Code::NotFound,
            },
        }
    }

    /// Whether the resource type itself is what this plugin cannot price (BatchCost reports it).
    pub fn resource_type_unsupported(&self) -> bool {
        matches!(
            self,
            ServiceError::Estimate(EstimateError::UnsupportedResourceType { .. })
        )
    }

    /// The machine-readable detail sent next to the status.
    pub fn detail(&self) -> ErrorDetail {
        let (code, category, details): (ErrorCode, ErrorCategory, Vec<(&str, String)>) = match self
        {
            ServiceError::InvalidArgument { field, .. } => (
                ErrorCode::InvalidResource,
                ErrorCategory::Permanent,
                vec![("field", field.clone())],
            ),
            ServiceError::UnsupportedProvider { field, provider } => (
                ErrorCode::InvalidResource,
                ErrorCategory::Permanent,
                vec![("field", field.clone()), ("provider", provider.clone())],
            ),
            ServiceError::WrongRegion {
                plugin_region,
                resource_region,
            } => (
                ErrorCode::UnsupportedRegion,
                ErrorCategory::Configuration,
                vec![
                    ("plugin_region", (*plugin_region).to_owned()),
                    ("resource_region", resource_region.clone()),
                ],
            ),
            ServiceError::InvalidTimeRange { field, .. } => (
                ErrorCode::InvalidTimeRange,
                ErrorCategory::Permanent,
                vec![("field", (*field).to_owned())],
            ),
            ServiceError::BatchTooLarge { len, max } => (
                ErrorCode::InvalidResource,
                ErrorCategory::Permanent,
                vec![
                    ("field", "resources".to_owned()),
                    ("batch_size", len.to_string()),
                    ("max_batch_size", max.to_string()),
                ],
            ),
            ServiceError::Estimate(e) => match e {
                EstimateError::InvalidArgument { field, .. } => (
                    ErrorCode::InvalidResource,
                    ErrorCategory::Permanent,
                    vec![("field", field.clone())],
                ),
                EstimateError::UnsupportedResourceType { resource_type } => (
                    ErrorCode::InvalidResource,
                    ErrorCategory::Permanent,
                    vec![("resource_type", resource_type.clone())],
                ),
                EstimateError::UnknownSku { kind, sku } => (
                    ErrorCode::ResourceNotFound,
                    ErrorCategory::Permanent,
                    vec![("resource_type", (*kind).to_owned()), ("sku", sku.clone())],
                ),
                EstimateError::NoPrice { kind, item } => (
                    ErrorCode::ResourceNotFound,
                    ErrorCategory::Permanent,
                    vec![
                        ("resource_type", (*kind).to_owned()),
                        ("item", item.clone()),
                    ],
                ),
            },
        };
        ErrorDetail {
            code: code.into(),
            category: category.into(),
            message: self.bounded_message(),
            details: details
                .into_iter()
                .map(|(k, v)| (k.to_owned(), echo(&v)))
                .collect::<BTreeMap<_, _>>(),
            retry_after_seconds: None,
            timestamp: Some(std::time::SystemTime::now().into()),
        }
    }

    /// The status message: the error text, with client-sent values cut short.
    pub fn bounded_message(&self) -> String {
        let text = match self {
            // Field paths are ours, but the reason may quote the client's value.
            ServiceError::InvalidArgument { field, reason } => {
                format!("invalid {}: {}", echo(field), echo_long(reason))
            }
            other => other.to_string(),
        };
        echo_long(&text)
    }

    /// Moves the field path of an estimator error from `resource.` (where the estimator
    /// assumes the descriptor sits) to `prefix`, where it sits in this request:
    /// `resource.sku` becomes `resources[2].sku` in a batch, `tags.sku` in GetActualCost.
    #[must_use]
    pub fn rebased(self, prefix: &str) -> Self {
        match self {
            ServiceError::Estimate(EstimateError::InvalidArgument { field, reason })
                if prefix != DESCRIPTOR_PREFIX =>
            {
                ServiceError::InvalidArgument {
                    field: rebase(&field, prefix),
                    reason,
                }
            }
            other => other,
        }
    }
}

/// Where the estimator places descriptor fields: `resource.sku`, `resource.tags.size`.
const DESCRIPTOR_PREFIX: &str = "resource.";

fn rebase(field: &str, prefix: &str) -> String {
    let Some(rest) = field.strip_prefix(DESCRIPTOR_PREFIX) else {
        return field.to_owned();
    };
    // GetActualCost names the resource in its tags: `resource.tags.size` is just `tags.size`.
    let rest = match prefix {
        "tags." => rest.strip_prefix("tags.").unwrap_or(rest),
        _ => rest,
    };
    format!("{prefix}{rest}")
}

impl From<ServiceError> for Status {
    fn from(err: ServiceError) -> Status {
        let code = err.code();
        let message = err.bounded_message();
        tracing::info!(code = ?code, error = %message, "request refused");
        let detail = err.detail();
        let envelope = rpc::Status {
            code: code as i32,
            message: message.clone(),
            details: vec![prost_types::Any {
                type_url: ERROR_DETAIL_TYPE_URL.to_owned(),
                value: detail.encode_to_vec(),
            }],
        };
        Status::with_details(code, message, envelope.encode_to_vec().into())
    }
}

/// A client-sent value cut to [`MAX_ECHO_CHARS`] characters.
pub fn echo(value: &str) -> String {
    cut(value, MAX_ECHO_CHARS)
}

fn echo_long(value: &str) -> String {
    cut(value, MAX_MESSAGE_CHARS)
}

fn cut(value: &str, max_chars: usize) -> String {
    resource::clip(value, max_chars)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    fn decode(status: &Status) -> ErrorDetail {
        let envelope = rpc::Status::decode(status.details()).unwrap();
        assert_eq!(envelope.code, status.code() as i32);
        assert_eq!(envelope.details.len(), 1);
        assert_eq!(envelope.details[0].type_url, ERROR_DETAIL_TYPE_URL);
        ErrorDetail::decode(envelope.details[0].value.as_slice()).unwrap()
    }

    #[test]
    fn wrong_region_is_failed_precondition_with_both_regions() {
        let status = Status::from(ServiceError::WrongRegion {
            plugin_region: "us-east-1",
            resource_region: "eu-west-1".to_owned(),
        });
        assert_eq!(status.code(), Code::FailedPrecondition);
        let detail = decode(&status);
        assert_eq!(detail.code(), ErrorCode::UnsupportedRegion);
        assert_eq!(detail.details["plugin_region"], "us-east-1");
        assert_eq!(detail.details["resource_region"], "eu-west-1");
    }

    #[test]
    fn unknown_sku_is_not_found_naming_type_and_sku() {
        let status = Status::from(ServiceError::from(EstimateError::UnknownSku {
            kind: "ec2",
            sku: "t9.enormous".to_owned(),
        }));
        assert_eq!(status.code(), Code::NotFound);
        let detail = decode(&status);
        assert_eq!(detail.code(), ErrorCode::ResourceNotFound);
        assert_eq!(detail.category(), ErrorCategory::Permanent);
        assert_eq!(detail.details["resource_type"], "ec2");
        assert_eq!(detail.details["sku"], "t9.enormous");
    }

    #[test]
    fn estimator_fields_move_to_where_the_request_has_them() {
        let invalid = |field: &str| {
            ServiceError::from(EstimateError::InvalidArgument {
                field: field.to_owned(),
                reason: "bad".to_owned(),
            })
        };
        let field = |err: ServiceError| err.detail().details["field"].clone();
        assert_eq!(
            field(invalid("resource.sku").rebased("resource.")),
            "resource.sku"
        );
        assert_eq!(
            field(invalid("resource.sku").rebased("resources[2].")),
            "resources[2].sku"
        );
        assert_eq!(
            field(invalid("resource.tags.size").rebased("tags.")),
            "tags.size"
        );
        assert_eq!(field(invalid("resource.sku").rebased("tags.")), "tags.sku");
        assert_eq!(
            field(invalid("resource.tags.size").rebased("resource_id.")),
            "resource_id.tags.size"
        );
        assert_eq!(
            field(invalid("attributes.size").rebased("x.")),
            "attributes.size"
        );
    }

    #[test]
    fn hostile_values_are_cut_in_message_and_details() {
        let huge = "é".repeat(100_000);
        let status = Status::from(ServiceError::UnsupportedProvider {
            field: "resource.provider".to_owned(),
            provider: huge.clone(),
        });
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().chars().count() <= MAX_MESSAGE_CHARS + 3);
        let detail = decode(&status);
        assert!(detail.details["provider"].chars().count() <= MAX_ECHO_CHARS + 3);
        assert!(status.details().len() < 4096);
    }
}
