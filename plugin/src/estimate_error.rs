//! Why a resource could not be priced: a leaf both [`crate::resource`] (which validates what a
//! client sends) and [`crate::estimate`] (which prices it) return.

/// Why a resource could not be priced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    /// A field of the request is malformed (maps to `INVALID_ARGUMENT` naming the field).
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// Field path, e.g. `resource.resource_type` or `resource.tags.volumeSize`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The resource type is not one we know (maps to `NOT_FOUND`).
    #[error("unsupported resource type {resource_type:?}")]
    UnsupportedResourceType {
        /// The type as sent (at most 256 characters once validated).
        resource_type: String,
    },
    /// The sku is not in this region's table (maps to `NOT_FOUND`).
    #[error("unknown {kind} sku {sku:?} in this region's price list")]
    UnknownSku {
        /// Canonical kind.
        kind: &'static str,
        /// The sku as sent.
        sku: String,
    },
    /// The type is known but this region's data has no rate for it (maps to `NOT_FOUND`).
    #[error("no {kind} price for {item} in this region's price list")]
    NoPrice {
        /// Canonical kind.
        kind: &'static str,
        /// What has no rate.
        item: String,
    },
}

impl EstimateError {
    /// Short label for metrics and logs.
    pub fn metric_label(&self) -> &'static str {
        match self {
            EstimateError::InvalidArgument { .. } => "invalid_argument",
            EstimateError::UnsupportedResourceType { .. } => "unsupported_resource_type",
            EstimateError::UnknownSku { .. } => "unknown_sku",
            EstimateError::NoPrice { .. } => "no_price",
        }
    }
}
