//! The long-running loop behind `run`: keep the cloud converged to the newest good manifests.
//!
//! # How a pass works
//! 1. Load the newest snapshot of the source, if it changed (a live directory is re-read on every pass).
//!    A revision with any manifest error is *rejected*: it is reported and nothing of it is applied; the
//!    last good revision stays in force.
//! 2. Observe the live state once (batched reads) and plan, through the [`Engine`].
//! 3. For each resource, in dependency waves: apply it when it needs changes, its drift policy is
//!    `enforce`, it is not waiting out a backoff, it is not already being applied, nothing it depends on
//!    is being applied, and fewer than `max_concurrent` applies are running.
//!    A service whose rollout ECS rolled back is *held*: the loop does not deploy that revision
//!    again (it would fail the same way) until the service's manifest changes.
//! 4. Build the drift report (with the loop's own conditions: applies in flight, backoffs, rollouts,
//!    rejected revisions) and publish it.
//!
//! Applies run as separate tasks, so a slow resource never delays a pass or another resource. When one
//! finishes, a follow-up pass is scheduled shortly after (coalescing completions) to observe the result.
//!
//! # Guarantees
//! - Level-triggered: every pass reconciles every resource of the desired set from scratch.
//! - A failed apply requeues only that resource, with exponential backoff reset on success.
//! - On shutdown no new apply starts; applies in flight get `drain_timeout` to finish, so a resource is
//!   not left half-applied unless an apply overruns that limit.
//!
//! # Layout
//! This file holds the contract between the loop and its [`Engine`]; [`run()`] (`run.rs`) is the loop
//! and its passes, `decide.rs` what a pass does with one resource, [`scheduler`] the per-resource
//! backoff, `shutdown.rs` the stop signal, and `engine.rs` the production [`AwsEngine`].

mod decide;
mod engine;
mod run;
pub mod scheduler;
mod shutdown;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::manifest::DriftPolicy;
use crate::rollout::Deployment;
use crate::source::Snapshot;
use crate::status::{Condition, Status};
pub use engine::{AwsEngine, AwsPlan};
pub use run::run;
pub use scheduler::{Backoff, Scheduler};
pub use shutdown::{Shutdown, ShutdownTrigger, os_signal};

/// What the loop needs to know about one resource of a plan.
#[derive(Debug, Clone)]
pub struct ResourceSummary {
    /// A stable identity (`<Kind>/<name>` in production), used for backoff and reporting.
    pub key: String,
    /// The manifest kind, for metrics.
    pub kind: String,
    /// Dependency rank: a resource starts only when no resource of a lower wave is being applied
    /// (namespaces and clusters before the services that use them).
    pub wave: u8,
    /// The drift policy.
    pub policy: DriftPolicy,
    /// The plan's verdict.
    pub status: Status,
    /// Whether applying the resource would change anything.
    pub actionable: bool,
    /// The live deployments of an ECS service, for rollout tracking; `None` for other kinds.
    pub deployments: Option<Vec<Deployment>>,
    /// The task definition the live ECS service runs, if any.
    pub task_definition: Option<String>,
    /// Why a failed deployment of the service failed (stopped tasks, events), for the `Degraded`
    /// condition; empty when none failed or it could not be read.
    pub diagnosis: Vec<String>,
    /// The service deployment ECS reports for the rollout the loop started, while it is followed
    /// (see [`crate::service_deployment`]); `None` judges `deployments` instead.
    pub service_deployment: Option<crate::service_deployment::ServiceDeployment>,
    /// A fingerprint of the resource's manifest: a revision ECS rolled back is held (not applied
    /// again) while it stays the same. `None` never holds.
    pub desired: Option<u64>,
}

/// What a successful apply reports back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Whether the apply created or updated an ECS service, which starts a deployment to track.
    pub rollout: bool,
    /// The task definition the service now runs, when the engine knows it; otherwise the loop takes
    /// the one it observes on the next pass.
    pub task_definition: Option<String>,
}

/// The reconcile machinery the loop drives. Production uses the manifest, AWS, plan, apply and report
/// modules; the loop's tests use a fake. Only [`Engine::plan`] and [`Engine::apply`] touch the network.
pub trait Engine: Send + Sync + 'static {
    /// A validated desired state.
    type Desired: Send + Sync + 'static;
    /// The result of observing and planning.
    type Plan: Send + Sync + 'static;
    /// Everything one resource's apply needs, detached from the plan.
    type Work: Send + 'static;
    /// The published report.
    type Report: ReportView;
    /// Errors of planning and applying.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Loads and validates the manifests of a snapshot. Implementations move blocking file I/O off the
    /// async threads themselves (`spawn_blocking`).
    ///
    /// # Errors
    /// Every manifest error, as display text; any error rejects the whole revision.
    fn load(
        &self,
        snapshot: Snapshot,
    ) -> impl Future<Output = Result<Self::Desired, Vec<String>>> + Send;

    /// Observes the live state of `desired` and plans.
    fn plan(
        &self,
        desired: &Self::Desired,
    ) -> impl Future<Output = Result<Self::Plan, Self::Error>> + Send;

    /// One summary per resource of the plan.
    fn summarize(&self, plan: &Self::Plan) -> Vec<ResourceSummary>;

    /// The work to apply one resource of the plan.
    fn work(&self, plan: &Self::Plan, key: &str) -> Option<Self::Work>;

    /// Applies one resource.
    fn apply(&self, work: Self::Work) -> impl Future<Output = Result<Applied, Self::Error>> + Send;

    /// Builds the report of a pass; `plan` is `None` while no revision was ever valid.
    fn report(
        &self,
        plan: Option<&Self::Plan>,
        revision: Option<&str>,
        notes: &Notes,
    ) -> Self::Report;

    /// A short, stable label of an error, for metrics.
    fn error_label(error: &Self::Error) -> &'static str;
}

/// A published report in the formats `/report` serves.
pub trait ReportView: Send + Sync + 'static {
    /// JSON (the DESIGN shape).
    fn json(&self) -> String;
    /// Plain text for terminals.
    fn text(&self) -> String;
    /// Markdown for pull-request comments.
    fn markdown(&self) -> String;
    /// The report itself, for what reads it field by field (notifications); `None` from engines
    /// that do not build one (the loop's tests).
    fn drift(&self) -> Option<&crate::report::DriftReport> {
        None
    }
}

/// The channel the newest report is published on; `None` until the first pass completes.
pub type ReportSender = watch::Sender<Option<Arc<dyn ReportView>>>;
/// The receiving side of [`ReportSender`].
pub type ReportReceiver = watch::Receiver<Option<Arc<dyn ReportView>>>;

/// What the loop knows about a resource beyond the plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceNote {
    /// A status that replaces the plan's (`Progressing` while applying or rolling out, `Error`
    /// after a failed apply or a rolled-back rollout).
    pub status: Option<Status>,
    /// Conditions to add (the report stamps their transition times).
    pub conditions: Vec<Condition>,
    /// The rollout followed, while it goes on or when it failed.
    pub rollout: Option<crate::report::RolloutReport>,
}

/// A revision that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRevision {
    /// Its commit id (`None` for a directory).
    pub revision: Option<String>,
    /// Every manifest error.
    pub errors: Vec<String>,
}

/// The loop's additions to a report. A rejected revision and a failing source concern the whole report;
/// the engine decides how to show them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notes {
    /// The time and subject of the revision in force, when the source tells.
    pub commit: Option<crate::source::CommitInfo>,
    /// The newest revision, when it was rejected.
    pub rejected: Option<RejectedRevision>,
    /// Why the newest fetch failed, if it did.
    pub source_error: Option<String>,
    /// Per resource key.
    pub resources: HashMap<String, ResourceNote>,
}

/// Settings of the loop.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Time between full passes when nothing else triggers one.
    pub resync: Duration,
    /// The most applies running at once.
    pub max_concurrent: usize,
    /// Per-resource retry backoff.
    pub backoff: Backoff,
    /// How long applies in flight may take to finish after shutdown.
    pub drain_timeout: Duration,
    /// Delay between an apply finishing and the pass that observes it (completions within it coalesce).
    pub settle: Duration,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            resync: Duration::from_secs(300),
            max_concurrent: 4,
            backoff: Backoff::default(),
            drain_timeout: Duration::from_secs(25),
            settle: Duration::from_secs(1),
        }
    }
}

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Passes completed.
    pub passes: u64,
    /// Applies that finished during the drain.
    pub drained: usize,
    /// Applies cut off by the drain timeout.
    pub aborted: usize,
}

#[cfg(test)]
mod tests;
