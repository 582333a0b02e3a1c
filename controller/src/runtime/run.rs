//! The loop itself: when passes run, what a pass does (load, observe and plan, decide per
//! resource, report), how finished applies are recorded, and the drain on shutdown. What to do
//! with each resource is decided in [`super::decide`].

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;

use super::{
    Applied, Engine, Notes, RejectedRevision, ReportSender, RunSummary, RuntimeOptions, Scheduler,
    Shutdown,
};
use crate::metrics::{Metrics, ReconcileResult};
use crate::source::SourceState;
use crate::status::Status;

/// What a finished apply task hands back.
pub(super) struct Done<E: Engine> {
    pub(super) key: String,
    pub(super) kind: String,
    pub(super) result: Result<Applied, E::Error>,
}

/// An apply in flight.
pub(super) struct Flight {
    pub(super) key: String,
    pub(super) kind: String,
    pub(super) wave: u8,
}

/// The loop's memory between passes.
pub(super) struct State<E: Engine> {
    pub(super) engine: Arc<E>,
    pub(super) opts: RuntimeOptions,
    pub(super) metrics: Arc<Metrics>,
    reports: ReportSender,
    desired: Option<Arc<E::Desired>>,
    revision: Option<String>,
    commit: Option<crate::source::CommitInfo>,
    loaded_generation: u64,
    rejected: Option<RejectedRevision>,
    pub(super) scheduler: Scheduler<String>,
    pub(super) tasks: JoinSet<Done<E>>,
    pub(super) flights: HashMap<Id, Flight>,
    /// Services whose rollout is watched: key -> the task definition the apply put in place, or `None`
    /// when the apply did not name one (then the first observation after it fills it in).
    pub(super) tracked: HashMap<String, Option<String>>,
    /// Services whose rollout ECS rolled back: key -> the manifest fingerprint it was rolled back
    /// under and why. Not applied again while the fingerprint stays.
    pub(super) held: HashMap<String, (u64, String)>,
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
        commit: None,
        loaded_generation: 0,
        rejected: None,
        tasks: JoinSet::new(),
        flights: HashMap::new(),
        tracked: HashMap::new(),
        held: HashMap::new(),
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
        self.held.retain(|k, _| keys.contains(k));

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
        let commit = snapshot.commit.clone();
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
                self.commit = commit;
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
            commit: self.commit.clone(),
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
