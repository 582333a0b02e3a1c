//! Pre-flight verification: before a deploy, check in AWS what the guide's troubleshooting
//! list otherwise finds after it — roles and their trust and policies, log groups, subnets,
//! security groups and routes, images, secrets, clusters and capacity providers.
//!
//! # Contract
//! - [`gather`](gather::gather) is the only I/O: it reads (never writes) the facts the
//!   manifests point at into a [`Facts`]. [`check`] is pure: facts and manifests in,
//!   [`Finding`]s out, so every check is table-tested without a network.
//! - Every finding names the manifest resource and its file:line, what was found and, for a
//!   problem, how to fix it.
//! - Whatever verify cannot decide (a lookup that failed, a policy `Condition`, a
//!   permissions boundary, an image outside ECR) is a [`Status::NotChecked`] finding, never
//!   a pass. Service control policies are not visible to it at all.
//! - [`verify`] returns the findings for a [`ManifestSet`], so other verbs can show them as
//!   warnings.

pub mod checks;
pub mod facts;
mod gather;
pub mod policy;
pub mod refs;
pub mod render;

use serde::{Deserialize, Serialize};

pub use self::checks::check;
pub use self::facts::Facts;
use crate::Result;
use crate::aws::Context;
use crate::manifest::{ManifestSet, Resource};

/// The area a finding belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// Execution and task roles: existence, trust, permissions.
    Roles,
    /// CloudWatch Logs groups.
    Logs,
    /// Subnets, security groups, VPC DNS settings, routes.
    Network,
    /// Container images.
    Images,
    /// SSM parameters and Secrets Manager secrets.
    Secrets,
    /// Clusters and capacity providers.
    Capacity,
}

impl Area {
    /// The area as printed.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Roles => "roles",
            Self::Logs => "logs",
            Self::Network => "network",
            Self::Images => "images",
            Self::Secrets => "secrets",
            Self::Capacity => "capacity",
        }
    }
}

/// The verdict of one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Something will break the deploy; `verify` exits 2.
    Problem,
    /// Verify could not decide; says why.
    NotChecked,
    /// Checked and fine.
    Ok,
}

/// One verdict about one manifest resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The verdict.
    pub status: Status,
    /// The area.
    pub area: Area,
    /// The manifest resource, `<Kind>/<name>`.
    pub resource: String,
    /// Where it is defined, `file:line:column`.
    pub location: String,
    /// What was found.
    pub message: String,
    /// How to fix it (problems only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A finding about `resource`.
    #[must_use]
    pub fn new(resource: &Resource, area: Area, status: Status, message: String) -> Self {
        Self {
            status,
            area,
            resource: resource.key.to_string(),
            location: resource.source.to_string(),
            message,
            fix: None,
        }
    }

    /// Adds the fix.
    #[must_use]
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// Counts of findings per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Problems.
    pub problems: usize,
    /// Not checked.
    pub not_checked: usize,
    /// Passed.
    pub passed: usize,
}

impl Summary {
    /// Counts `findings`.
    #[must_use]
    pub fn of(findings: &[Finding]) -> Self {
        let mut s = Self::default();
        for f in findings {
            match f.status {
                Status::Problem => s.problems += 1,
                Status::NotChecked => s.not_checked += 1,
                Status::Ok => s.passed += 1,
            }
        }
        s
    }
}

/// Gathers the facts the manifests point at and checks them; findings sorted with problems
/// first.
///
/// # Errors
/// When AWS cannot be reached at all (lookups that fail one by one become "not checked").
pub async fn verify(ctx: &Context, set: &ManifestSet) -> Result<Vec<Finding>> {
    let parts = set
        .partition(ctx.region())
        .map_err(crate::Error::Manifest)?;
    let mut findings = Vec::new();
    // Each place with its own credentials and region; an account that cannot be acted in is
    // "not checked" for its objects only.
    for (place, part) in parts {
        match ctx.at(&place, part.accounts()).await {
            Ok(placed) => {
                let facts = gather::gather(&placed, &part).await?;
                findings.extend(check(&part, &facts, placed.region()));
            }
            Err(e) => {
                findings.extend(part.resources().iter().map(|r| {
                    Finding::new(r, Area::Roles, Status::NotChecked, crate::error_chain(&e))
                }))
            }
        }
    }
    findings.sort_by_key(|f| f.status);
    Ok(findings)
}

/// The problems among `findings`: what `plan --verify` and `run --verify` show as warnings
/// (passes and "not checked" findings stay in `verify`'s own output).
#[must_use]
pub fn problems(findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| f.status == Status::Problem)
        .collect()
}
