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

mod engine;
pub mod scheduler;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;
use tracing::Instrument;

use crate::manifest::DriftPolicy;
use crate::metrics::{Metrics, ReconcileResult};
use crate::rollout::{self, Deployment, Rollout};
use crate::source::{Snapshot, SourceState};
use crate::status::{Condition, Status};
pub use engine::{AwsEngine, AwsPlan};
pub use scheduler::{Backoff, Scheduler};

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
}

/// The channel the newest report is published on; `None` until the first pass completes.
pub type ReportSender = watch::Sender<Option<Arc<dyn ReportView>>>;
/// The receiving side of [`ReportSender`].
pub type ReportReceiver = watch::Receiver<Option<Arc<dyn ReportView>>>;

/// What the loop knows about a resource beyond the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceNote {
    /// A status that replaces the plan's (`Progressing` while applying or rolling out, `Error`
    /// after a failed apply or a rolled-back rollout).
    pub status: Option<Status>,
    /// Conditions to add (the report stamps their transition times).
    pub conditions: Vec<Condition>,
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
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

/// Tells the loop (and the HTTP server) to stop.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    tx: Arc<watch::Sender<bool>>,
}

impl ShutdownTrigger {
    /// Signals every [`Shutdown`] of this pair.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }
}

/// Resolves once shutdown was triggered (or its trigger was dropped).
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

impl Shutdown {
    /// A connected trigger and receiver.
    #[must_use]
    pub fn channel() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger { tx: Arc::new(tx) }, Shutdown { rx })
    }

    /// Waits for shutdown. Cancel-safe.
    pub async fn wait(&mut self) {
        // An error means the trigger is gone, which can only happen while the process winds down.
        let _ = self.rx.wait_for(|stop| *stop).await;
    }

    /// Whether shutdown was triggered.
    #[must_use]
    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }
}

/// Waits for SIGTERM (how ECS stops a task) or Ctrl-C.
///
/// # Errors
/// The signal handlers could not be installed.
pub async fn os_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
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

/// The condition of a resource whose apply is in flight.
fn applying() -> Condition {
    Condition::new("Applied", false, "Applying", "an apply is in progress")
}

/// What a finished apply task hands back.
struct Done<E: Engine> {
    key: String,
    kind: String,
    result: Result<Applied, E::Error>,
}

/// An apply in flight.
struct Flight {
    key: String,
    kind: String,
    wave: u8,
}

/// The loop's memory between passes.
struct State<E: Engine> {
    engine: Arc<E>,
    opts: RuntimeOptions,
    metrics: Arc<Metrics>,
    reports: ReportSender,
    desired: Option<Arc<E::Desired>>,
    revision: Option<String>,
    loaded_generation: u64,
    rejected: Option<RejectedRevision>,
    scheduler: Scheduler<String>,
    tasks: JoinSet<Done<E>>,
    flights: HashMap<Id, Flight>,
    /// Services whose rollout is watched: key -> the task definition the apply put in place, or `None`
    /// when the apply did not name one (then the first observation after it fills it in).
    tracked: HashMap<String, Option<String>>,
    passes: u64,
    pass_failures: u32,
}

/// Runs the loop until `shutdown`, then drains applies in flight.
pub async fn run<E: Engine>(
    engine: Arc<E>,
    mut source: watch::Receiver<SourceState>,
    opts: RuntimeOptions,
    metrics: Arc<Metrics>,
    reports: ReportSender,
    mut shutdown: Shutdown,
) -> RunSummary {
    let mut state = State::<E> {
        engine,
        scheduler: Scheduler::new(opts.backoff),
        opts,
        metrics,
        reports,
        desired: None,
        revision: None,
        loaded_generation: 0,
        rejected: None,
        tasks: JoinSet::new(),
        flights: HashMap::new(),
        tracked: HashMap::new(),
        passes: 0,
        pass_failures: 0,
    };
    let mut source_open = true;
    let mut next_pass = Instant::now();
    loop {
        let wake = state
            .scheduler
            .next_wakeup()
            .map_or(next_pass, |at| at.min(next_pass));
        tokio::select! {
            biased;
            () = shutdown.wait() => break,
            Some(joined) = state.tasks.join_next_with_id(), if !state.tasks.is_empty() => {
                state.finish(joined);
                next_pass = next_pass.min(Instant::now() + state.opts.settle);
            }
            changed = source.changed(), if source_open => {
                if changed.is_err() {
                    tracing::warn!("the source stopped; resyncing the last state only");
                    source_open = false;
                } else {
                    next_pass = Instant::now();
                }
            }
            () = tokio::time::sleep_until(wake) => {
                let current = source.borrow_and_update().clone();
                let outcome = tokio::select! {
                    biased;
                    // Observing is read-only, so abandoning a pass here changes nothing.
                    () = shutdown.wait() => break,
                    outcome = state.pass(current) => outcome,
                };
                next_pass = Instant::now() + match outcome {
                    Ok(()) => state.opts.resync,
                    Err(()) => state.opts.backoff.delay(state.pass_failures).min(state.opts.resync),
                };
            }
        }
    }
    state.drain().await
}

impl<E: Engine> State<E> {
    /// One pass. `Err` when observing or planning failed (already logged and counted).
    #[tracing::instrument(skip_all, fields(pass = self.passes + 1, revision = source.snapshot.as_ref().and_then(|s| s.revision.as_deref())))]
    async fn pass(&mut self, source: SourceState) -> Result<(), ()> {
        let started = Instant::now();
        self.load(&source).await;
        if self.desired.is_none()
            && self.rejected.is_none()
            && source.snapshot.is_none()
            && source.error.is_none()
        {
            // Nothing fetched yet: a report now would claim an empty desired state.
            return Ok(());
        }
        let Some(desired) = self.desired.clone() else {
            // No valid revision yet: report why, apply nothing.
            let notes = self.global_notes(&source);
            let report = self.engine.report(None, None, &notes);
            self.publish(report);
            self.metrics
                .passes
                .pass(true, started.elapsed().as_secs_f64());
            return Ok(());
        };
        let plan = match self.engine.plan(&desired).await {
            Ok(plan) => plan,
            Err(err) => {
                self.pass_failures = self.pass_failures.saturating_add(1);
                tracing::warn!(error = %err, failures = self.pass_failures, "observe/plan failed");
                self.metrics
                    .passes
                    .pass(false, started.elapsed().as_secs_f64());
                return Err(());
            }
        };
        self.pass_failures = 0;
        let mut summaries = self.engine.summarize(&plan);
        summaries.sort_by_key(|s| s.wave);
        let keys: std::collections::HashSet<String> =
            summaries.iter().map(|s| s.key.clone()).collect();
        self.scheduler.retain(|k| keys.contains(k));
        self.tracked.retain(|k, _| keys.contains(k));

        let mut notes = self.global_notes(&source);
        let mut drifted: HashMap<&str, i64> = HashMap::new();
        let now = Instant::now();
        for summary in &summaries {
            let counter = drifted.entry(summary.kind.as_str()).or_insert(0);
            if matches!(summary.status, Status::Drifted | Status::Missing) {
                *counter += 1;
            }
            let note = self.decide(&plan, summary, now);
            notes.resources.insert(summary.key.clone(), note);
        }
        self.scheduler.pass_ran(now);
        let report = self
            .engine
            .report(Some(&plan), self.revision.as_deref(), &notes);
        self.publish(report);
        self.metrics.passes.set_drifted(drifted);
        self.metrics
            .passes
            .pass(true, started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Loads a new (or live) snapshot; a rejected revision leaves the desired state unchanged.
    async fn load(&mut self, source: &SourceState) {
        let Some(snapshot) = source.snapshot.clone() else {
            return;
        };
        if !snapshot.is_live() && source.generation == self.loaded_generation {
            return;
        }
        self.loaded_generation = source.generation;
        let revision = snapshot.revision.clone();
        match self.engine.load(snapshot).await {
            Ok(desired) => {
                if self.revision != revision || self.desired.is_none() {
                    tracing::info!(
                        revision = revision.as_deref().unwrap_or("-"),
                        "manifests loaded"
                    );
                }
                self.desired = Some(Arc::new(desired));
                self.revision = revision;
                self.rejected = None;
            }
            Err(errors) => {
                tracing::warn!(
                    revision = revision.as_deref().unwrap_or("-"),
                    errors = errors.len(),
                    first = errors.first().map(String::as_str).unwrap_or_default(),
                    "manifests rejected; the last good revision stays in force"
                );
                self.rejected = Some(RejectedRevision { revision, errors });
            }
        }
    }

    /// Decides what to do with one resource this pass and returns its note.
    fn decide(&mut self, plan: &E::Plan, summary: &ResourceSummary, now: Instant) -> ResourceNote {
        let key = summary.key.as_str();
        let kind = summary.kind.as_str();
        let mut note = ResourceNote::default();

        if let Some(slot) = self.tracked.get_mut(key)
            && slot.is_none()
        {
            slot.clone_from(&summary.task_definition);
        }
        if let (Some(Some(expected)), Some(deployments)) =
            (self.tracked.get(key).cloned(), summary.deployments.as_ref())
        {
            match rollout::assess(deployments, &expected) {
                Rollout::Progressing { message } => {
                    // Rolling out is news only for a resource otherwise in sync; drift must stay visible.
                    if summary.status.is_in_sync() {
                        note.status = Some(Status::Progressing);
                    }
                    note.conditions.push(Condition::new(
                        "Progressing",
                        true,
                        "RolloutInProgress",
                        message,
                    ));
                }
                Rollout::Completed => {
                    self.tracked.remove(key);
                }
                Rollout::Degraded { reason, message } => {
                    self.tracked.remove(key);
                    // Re-applying the same revision at once would likely fail the same way: back off.
                    self.scheduler.failed(key.to_owned(), now, message.clone());
                    note.status = Some(Status::Error);
                    note.conditions
                        .push(Condition::new("Degraded", true, reason, message));
                }
            }
        }

        if self.flights.values().any(|f| f.key == key) {
            note.status = Some(Status::Progressing);
            note.conditions.push(applying());
            return note;
        }
        if summary.status == Status::Error {
            self.metrics
                .reconcile
                .count(kind, ReconcileResult::PlanError);
            return note;
        }
        if !summary.actionable {
            self.metrics.reconcile.count(kind, ReconcileResult::InSync);
            return note;
        }
        if summary.policy == DriftPolicy::Detect && summary.status != Status::Missing {
            // The plan's own `DriftPolicy` condition already tells the reader why nothing is applied.
            self.metrics
                .reconcile
                .count(kind, ReconcileResult::DriftDetected);
            return note;
        }
        if let Some((failures, retry_at, error)) = self.scheduler.state(&summary.key)
            && retry_at > now
        {
            let message = format!(
                "{error} (failed {failures} time(s); next attempt in {}s)",
                retry_at.duration_since(now).as_secs()
            );
            self.metrics.reconcile.count(kind, ReconcileResult::Backoff);
            note.status = Some(Status::Error);
            note.conditions
                .push(Condition::new("Applied", false, "BackingOff", message));
            return note;
        }
        let dependency_busy = self.flights.values().any(|f| f.wave < summary.wave);
        if dependency_busy || self.flights.len() >= self.opts.max_concurrent.max(1) {
            self.metrics
                .reconcile
                .count(kind, ReconcileResult::Deferred);
            return note;
        }
        let Some(work) = self.engine.work(plan, key) else {
            return note;
        };
        let engine = Arc::clone(&self.engine);
        let metrics = Arc::clone(&self.metrics);
        let (task_key, task_kind) = (key.to_owned(), kind.to_owned());
        let span = tracing::info_span!("apply", resource = key, kind = kind);
        let handle = self.tasks.spawn(
            async move {
                let _timer = metrics.reconcile.measure(&task_kind);
                let result = engine.apply(work).await;
                Done {
                    key: task_key,
                    kind: task_kind,
                    result,
                }
            }
            .instrument(span),
        );
        tracing::info!(resource = key, "applying");
        self.flights.insert(
            handle.id(),
            Flight {
                key: key.to_owned(),
                kind: kind.to_owned(),
                wave: summary.wave,
            },
        );
        note.status = Some(Status::Progressing);
        note.conditions.push(applying());
        note
    }

    /// Records a finished apply.
    fn finish(&mut self, joined: Result<(Id, Done<E>), tokio::task::JoinError>) {
        let now = Instant::now();
        match joined {
            Ok((id, done)) => {
                self.flights.remove(&id);
                match done.result {
                    Ok(applied) => {
                        tracing::info!(resource = %done.key, "applied");
                        self.scheduler.succeeded(&done.key);
                        self.metrics
                            .reconcile
                            .count(&done.kind, ReconcileResult::Applied);
                        if applied.rollout || applied.task_definition.is_some() {
                            self.tracked.insert(done.key, applied.task_definition);
                        }
                    }
                    Err(err) => {
                        let retry_at =
                            self.scheduler
                                .failed(done.key.clone(), now, err.to_string());
                        tracing::warn!(
                            resource = %done.key,
                            error = %err,
                            retry_in_s = retry_at.duration_since(now).as_secs(),
                            "apply failed"
                        );
                        self.metrics
                            .reconcile
                            .count(&done.kind, ReconcileResult::ApplyError);
                        self.metrics
                            .reconcile
                            .count_error(&done.kind, E::error_label(&err));
                    }
                }
            }
            Err(join) => {
                // A panic inside an apply is a bug; keep the loop alive and back the resource off.
                if let Some(flight) = self.flights.remove(&join.id()) {
                    tracing::error!(resource = %flight.key, error = %join, "apply task failed");
                    self.scheduler
                        .failed(flight.key, now, format!("apply task failed: {join}"));
                    self.metrics
                        .reconcile
                        .count(&flight.kind, ReconcileResult::ApplyError);
                    self.metrics.reconcile.count_error(&flight.kind, "panic");
                }
            }
        }
    }

    /// Notes that apply to the whole pass (not per resource).
    fn global_notes(&self, source: &SourceState) -> Notes {
        Notes {
            rejected: self.rejected.clone(),
            source_error: source.error.clone(),
            resources: HashMap::new(),
        }
    }

    fn publish(&mut self, report: E::Report) {
        self.passes += 1;
        self.reports.send_replace(Some(Arc::new(report)));
    }

    /// Lets applies in flight finish (bounded by `drain_timeout`), aborting any that overrun.
    async fn drain(mut self) -> RunSummary {
        let mut drained = 0;
        if !self.tasks.is_empty() {
            tracing::info!(
                in_flight = self.tasks.len(),
                "stopping: waiting for applies in flight"
            );
        }
        let deadline = Instant::now() + self.opts.drain_timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.tasks.join_next_with_id()).await {
                Ok(Some(joined)) => {
                    self.finish(joined);
                    drained += 1;
                }
                Ok(None) => break,
                Err(_) => break,
            }
        }
        let aborted = self.tasks.len();
        if aborted > 0 {
            tracing::warn!(aborted, "drain timeout: aborting applies still in flight");
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        RunSummary {
            passes: self.passes,
            drained,
            aborted,
        }
    }
}

#[cfg(test)]
mod tests;
