//! A warm standby: while another replica holds the lease, this one keeps its manifests loaded and
//! validated and its read caches primed, so that a takeover starts with little left to read.
//!
//! The standby only loads and plans (observe is read-only by the [`Engine`] contract); it never
//! applies and never publishes a report, so nothing it does can be mistaken for the leader's. It is
//! dropped the moment this replica gains the lease; abandoning a read changes nothing.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

use crate::runtime::Engine;
use crate::source::SourceState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    result: &'static str,
}

/// How the standby is doing, on `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct StandbyMetrics {
    passes: Family<OutcomeLabels, Counter>,
    resources: Gauge,
}

impl StandbyMetrics {
    /// Creates the group and registers it.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "standby_passes",
            "Warm-up passes of this replica while standing by (ok, rejected manifests, failed reads)",
            metrics.passes.clone(),
        );
        registry.register(
            "standby_resources",
            "Resources in the manifests this standby has loaded and observed (0 until then)",
            metrics.resources.clone(),
        );
        metrics
    }

    fn count(&self, result: &'static str) {
        self.passes.get_or_create(&OutcomeLabels { result }).inc();
    }
}

/// Keeps `engine` warm from `source` until dropped: loads each new snapshot (a rejected one leaves
/// the last good manifests in place), then observes and plans them, on every source change and at
/// least every `resync`. Never returns.
pub(super) async fn stay_warm<E: Engine>(
    engine: &E,
    mut source: watch::Receiver<SourceState>,
    resync: Duration,
    metrics: &StandbyMetrics,
) {
    let mut desired: Option<E::Desired> = None;
    let mut loaded_generation = None;
    let mut source_open = true;
    loop {
        let current = source.borrow_and_update().clone();
        if let Some(snapshot) = current.snapshot
            && (snapshot.is_live() || loaded_generation != Some(current.generation))
        {
            loaded_generation = Some(current.generation);
            let revision = snapshot.revision.clone().unwrap_or_else(|| "-".to_owned());
            match engine.load(snapshot).await {
                Ok(loaded) => {
                    if desired.is_none() {
                        tracing::info!(%revision, "standby: manifests loaded");
                    }
                    desired = Some(loaded);
                }
                Err(errors) => {
                    metrics.count("rejected");
                    tracing::warn!(
                        %revision,
                        errors = errors.len(),
                        first = errors.first().map(String::as_str).unwrap_or_default(),
                        "standby: manifests rejected; the last good ones stay loaded"
                    );
                }
            }
        }
        if let Some(desired) = &desired {
            match engine.plan(desired).await {
                Ok(plan) => {
                    let resources = engine.summarize(&plan).len();
                    metrics.count("ok");
                    metrics
                        .resources
                        .set(i64::try_from(resources).unwrap_or(i64::MAX));
                    tracing::debug!(resources, "standby: caches primed");
                }
                Err(err) => {
                    metrics.count("error");
                    tracing::warn!(error = %err, "standby: observing failed");
                }
            }
        }
        tokio::select! {
            changed = source.changed(), if source_open => {
                source_open = changed.is_ok();
            }
            () = tokio::time::sleep(resync) => {}
        }
    }
}
