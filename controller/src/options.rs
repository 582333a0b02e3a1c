//! What one observe-and-plan pass is asked to do: a leaf both [`crate::aws::observe`] (which
//! regions to read, whether to list unclaimed resources) and [`crate::plan`] read.

/// Options that shape an observation and its plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Ownership instance id (`--instance`).
    pub instance: String,
    /// Default region (resources without `spec.region`).
    pub region: String,
    /// Delete owned resources whose manifest is gone.
    pub prune: bool,
    /// Replace resources whose change cannot be made in place.
    pub allow_replace: bool,
    /// Deregister owned task definition revisions of a managed family beyond the newest this
    /// many, never one in use (`--keep-revisions`; `None` keeps all).
    pub keep_revisions: Option<u32>,
}

impl PlanOptions {
    /// Options with pruning and replacement off.
    #[must_use]
    pub fn new(instance: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            instance: instance.into(),
            region: region.into(),
            prune: false,
            allow_replace: false,
            keep_revisions: None,
        }
    }
}
