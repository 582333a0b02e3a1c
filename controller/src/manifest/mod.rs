//! Manifests: YAML files (many documents per file, many files per directory) into a
//! validated [`ManifestSet`].
//!
//! # Contract
//! - Every error names the file, line, column and field ([`ManifestError`]). Unknown fields,
//!   wrong types, unknown kinds, duplicate names and dangling references (a service pointing
//!   at a namespace no valid manifest defines) are errors.
//! - A file with any error contributes nothing; other files still load. [`load`] returns the
//!   good set together with every error, so a caller decides: the CLI refuses to apply
//!   anything when there is an error, the long-running controller keeps reconciling the rest.
//! - Parsing is staged: `tree` parses YAML into located nodes, `document` and `typed` read them
//!   into the typed spec collecting every error of a document (`null` is "not set" everywhere),
//!   `checks` validates each into typed [`Resource`]s and `cross` checks what spans files
//!   (duplicates, references); `load` runs them and `model` holds the types.
//! - Files are read only inside the source root and every revision is bounded by [`Limits`]
//!   (the private `read` and `limits` modules); a refusal is an error like any other.
//!
//! Locations: every value of the tree is located, so type and unknown-field errors point at
//! the value or key, a missing field at its mapping, and semantic checks at the field they name
//! when it is written (otherwise at the start of `spec`).

mod checks;
mod cross;
mod document;
mod limits;
mod load;
mod model;
mod read;
pub mod schema;
pub mod spec;
mod tree;
mod typed;

pub use self::limits::Limits;
pub use self::load::{
    Loaded, load, load_sources, load_sources_with, load_str, load_with, load_within,
};
pub use self::model::{
    Account, DriftPolicy, Kind, ManifestError, ManifestSet, MonthlyBudget, Place, Recommendations,
    Resource, ResourceKey, ResourceSpec, SourceLocation,
};
pub use self::spec::{
    AccountSpec, ClusterSpec, DiscoverySpec, EcsServiceSpec, NamespaceSpec, ServiceSettings,
};

/// The environment value `import` writes instead of one that looks secret. A manifest that
/// still holds it is invalid: the value belongs in `secrets`, never in git.
pub const SECRET_PLACEHOLDER: &str = "(left out by import: move it to secrets)";

/// The `CloudMapNamespace` `vpc` `import` writes when it cannot learn the VPC (Cloud Map does
/// not report it); a manifest that still holds it is invalid.
pub const VPC_PLACEHOLDER: &str = "(unknown to import: write the namespace's VPC id)";

#[cfg(test)]
mod tests;
