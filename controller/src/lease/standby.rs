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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use std::path::PathBuf;
    use std::sync::Mutex;

    use super::*;
    use crate::runtime::{Applied, Notes, ReportView, ResourceSummary};
    use crate::source::Snapshot;

    struct Empty;

    impl ReportView for Empty {
        fn json(&self) -> String {
            String::new()
        }
        fn text(&self) -> String {
            String::new()
        }
        fn markdown(&self) -> String {
            String::new()
        }
    }

    /// Loads the directory name as its list of resources (`bad` is rejected) and records every call.
    #[derive(Default)]
    struct Recorder {
        calls: Mutex<Vec<String>>,
    }

    impl Recorder {
        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
        fn record(&self, call: String) {
            self.calls.lock().unwrap().push(call);
        }
    }

    impl Engine for Recorder {
        type Desired = Vec<String>;
        type Plan = Vec<String>;
        type Work = ();
        type Report = Empty;
        type Error = std::io::Error;

        async fn load(&self, snapshot: Snapshot) -> Result<Vec<String>, Vec<String>> {
            let name = snapshot.root.display().to_string();
            self.record(format!("load {name}"));
            if name == "bad" {
                return Err(vec!["broken".into()]);
            }
            Ok(name.split(',').map(str::to_owned).collect())
        }
        async fn plan(&self, desired: &Vec<String>) -> Result<Vec<String>, std::io::Error> {
            self.record(format!("plan {}", desired.join(",")));
            Ok(desired.clone())
        }
        fn summarize(&self, plan: &Vec<String>) -> Vec<ResourceSummary> {
            plan.iter()
                .map(|key| ResourceSummary {
                    key: key.clone(),
                    kind: "Test".into(),
                    wave: 0,
                    policy: crate::manifest::DriftPolicy::Enforce,
                    status: crate::status::Status::Drifted,
                    actionable: true,
                    deployments: None,
                    task_definition: None,
                    diagnosis: Vec::new(),
                    desired: None,
                    service_deployment: None,
                })
                .collect()
        }
        fn work(&self, _: &Vec<String>, _: &str) -> Option<()> {
            Some(())
        }
        async fn apply(&self, (): ()) -> Result<Applied, std::io::Error> {
            self.record("apply".into());
            Ok(Applied::default())
        }
        fn report(&self, _: Option<&Vec<String>>, _: Option<&str>, _: &Notes) -> Empty {
            self.record("report".into());
            Empty
        }
        fn error_label(_: &std::io::Error) -> &'static str {
            "io"
        }
    }

    fn publish(tx: &watch::Sender<SourceState>, root: &str) {
        tx.send_modify(|s| s.set_snapshot(Snapshot::live(PathBuf::from(root))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_standby_loads_and_observes_each_revision_and_never_applies() {
        let engine = Recorder::default();
        let metrics = StandbyMetrics::default();
        let (tx, rx) = watch::channel(SourceState::default());
        publish(&tx, "a,b");
        let warm = stay_warm(&engine, rx, Duration::from_secs(60), &metrics);
        let script = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!(metrics.resources.get(), 2);
            // A rejected revision keeps the last good manifests observed.
            publish(&tx, "bad");
            tokio::time::sleep(Duration::from_secs(1)).await;
            publish(&tx, "a,b,c");
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!(metrics.resources.get(), 3);
            // Nothing changes: the resync still observes.
            tokio::time::sleep(Duration::from_secs(60)).await;
        };
        tokio::select! {
            () = warm => unreachable!("stay_warm never returns"),
            () = script => {}
        }
        assert_eq!(
            engine.calls(),
            [
                "load a,b",
                "plan a,b",
                "load bad",
                "plan a,b",
                "load a,b,c",
                "plan a,b,c",
                // A live directory is read again on every pass.
                "load a,b,c",
                "plan a,b,c",
            ]
        );
        let ok = metrics
            .passes
            .get_or_create(&OutcomeLabels { result: "ok" })
            .get();
        let rejected = metrics
            .passes
            .get_or_create(&OutcomeLabels { result: "rejected" })
            .get();
        assert_eq!((ok, rejected), (4, 1));
    }
}
