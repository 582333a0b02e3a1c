//! Leader election on a DynamoDB lease, so several `run` replicas can stand by while exactly one
//! observes and writes.
//!
//! # Layout
//! - [`decide`]: the pure state machine (acquire, renew, wait; until when this replica may write).
//! - [`dynamo`]: the table and the conditional reads and writes of the lease item.
//! - [`elector`]: the loop that drives the two and publishes a [`Status`].
//! - [`gate`]: the writers' view of that status; [`engine`] puts every plan and apply behind it.
//! - [`standby`]: what a replica does while another leads: keep manifests loaded and caches warm.
//! - This file: starting the elector, and running the reconcile loop only while leading.
//!
//! # What the lease guarantees
//! A replica writes only while it can prove it holds the lease: each plan and apply starts only
//! with at least `guard` of the lease left, and is abandoned when that margin is reached without a
//! renewal. A standby takes over only after the holder's record stayed unchanged for one whole
//! lease duration on the standby's own clock. Both rules rely on the replicas' monotonic clocks
//! running at about the same rate; no wall-clock agreement is needed. A request already sent when
//! a call is abandoned may still reach AWS, which is why the guard exists: a stale write can land
//! at most `guard` (plus that request's network time) before the standby starts.

pub mod decide;
pub mod dynamo;
pub mod elector;
pub mod engine;
pub mod gate;
pub mod standby;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::runtime::{
    self, Engine, ReportSender, RunSummary, RuntimeOptions, Shutdown, ShutdownTrigger,
};
use crate::source::SourceState;
pub use dynamo::{Store, StoreError};
pub use elector::LeaseMetrics;
pub use engine::{Leased, LeasedError};
pub use gate::{Gate, Status};
pub use standby::StandbyMetrics;

/// The shortest lease accepted: renewals run every third of it.
pub const MIN_DURATION: Duration = Duration::from_secs(1);

/// How long before the lease runs out writers stop: a fifth of the lease.
#[must_use]
pub fn guard(duration: Duration) -> Duration {
    duration / 5
}

/// A running elector.
#[derive(Debug)]
pub struct Election {
    gate: Gate,
    stop: ShutdownTrigger,
    task: JoinHandle<()>,
}

impl Election {
    /// Starts electing replica `me` on `store` with leases of `duration`.
    #[must_use]
    pub fn start(store: Store, me: &str, duration: Duration, metrics: LeaseMetrics) -> Self {
        let (tx, rx) = watch::channel(Status::default());
        let (stop, stopped) = Shutdown::channel();
        let elector = elector::Elector::new(store, me, duration, tx, metrics);
        let task = tokio::spawn(elector.run(stopped));
        Self {
            gate: Gate::new(rx, guard(duration)),
            stop,
            task,
        }
    }

    /// The writers' view.
    #[must_use]
    pub fn gate(&self) -> Gate {
        self.gate.clone()
    }

    /// Stops electing and releases the lease if held (bounded: the release has one renewal tick).
    pub async fn release(self) {
        self.stop.trigger();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "the lease task failed");
        }
    }
}

/// Runs the reconcile loop each time this replica gains the lease, stopping it when the lease is
/// lost, until `shutdown`. A standby keeps its source fetching and stays warm ([`standby`]):
/// manifests loaded and validated, read caches primed, nothing written or published; so a
/// takeover starts from fresh manifests and a warm cache.
#[allow(
    clippy::too_many_arguments,
    reason = "the loop's inputs, each passed through once"
)]
pub async fn run_while_leading<E: Engine>(
    engine: Arc<Leased<E>>,
    gate: Gate,
    source: watch::Receiver<SourceState>,
    opts: RuntimeOptions,
    metrics: Arc<crate::metrics::Metrics>,
    standby: StandbyMetrics,
    reports: ReportSender,
    mut shutdown: Shutdown,
) -> RunSummary {
    let mut total = RunSummary {
        passes: 0,
        drained: 0,
        aborted: 0,
    };
    loop {
        tokio::select! {
            biased;
            () = shutdown.wait() => break,
            () = gate.leading() => {}
            () = standby::stay_warm(engine.inner(), source.clone(), opts.resync, &standby) => {}
        }
        let (trigger, term) = Shutdown::channel();
        let watcher = tokio::spawn({
            let gate = gate.clone();
            let mut shutdown = shutdown.clone();
            async move {
                tokio::select! {
                    () = gate.revoked() => tracing::warn!("lost the lease: stopping all writes"),
                    () = shutdown.wait() => {}
                }
                trigger.trigger();
            }
        });
        let summary = runtime::run(
            Arc::clone(&engine),
            source.clone(),
            opts.clone(),
            Arc::clone(&metrics),
            reports.clone(),
            term,
        )
        .await;
        watcher.abort();
        total.passes += summary.passes;
        total.drained += summary.drained;
        total.aborted += summary.aborted;
    }
    total
}
