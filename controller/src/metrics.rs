//! Prometheus metrics of the controller, in one registry prefixed `finfocus_controller`.
//!
//! Each group registers itself ([`ReconcileMetrics::register`], ...). Served as Prometheus text at
//! `/metrics` by the `http` module.
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `finfocus_controller_reconcile_duration_seconds` | kind | time to apply one resource |
//! | `finfocus_controller_reconcile_total` | kind, result | per-resource outcomes (see [`ReconcileResult`]) |
//! | `finfocus_controller_reconcile_errors_total` | kind, error | failed applies by error label |
//! | `finfocus_controller_drifted_resources` | kind | resources not in sync after the last pass |
//! | `finfocus_controller_passes_total` | result | completed and failed passes |
//! | `finfocus_controller_pass_duration_seconds` | | time of observe + plan + report of a pass |
//! | `finfocus_controller_aws_api_calls_total` | service, operation, code | every AWS call, read at scrape time |
//! | `finfocus_controller_leader` | instance | with `--lease-table`: 1 while this replica leads (see `lease::elector`) |
//! | `finfocus_controller_lease_transitions_total` | | with `--lease-table`: times this replica gained or lost the lease |

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tokio::time::Instant;

/// The prefix of every metric name.
pub const PREFIX: &str = "finfocus_controller";

/// The outcome of one resource in one pass (or of one apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReconcileResult {
    /// Live matched desired; nothing to do.
    InSync,
    /// An apply finished successfully.
    Applied,
    /// An apply failed.
    ApplyError,
    /// Drift found under the `detect` policy: reported, not corrected.
    DriftDetected,
    /// Drift found but the resource is waiting out a backoff.
    Backoff,
    /// Drift found but the apply was left for a later pass (concurrency limit or a dependency in flight).
    Deferred,
    /// The plan itself reports an error for the resource (for example, not owned).
    PlanError,
}

impl ReconcileResult {
    /// The label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InSync => "in_sync",
            Self::Applied => "applied",
            Self::ApplyError => "apply_error",
            Self::DriftDetected => "drift_detected",
            Self::Backoff => "backoff",
            Self::Deferred => "deferred",
            Self::PlanError => "plan_error",
        }
    }
}

impl EncodeLabelValue for ReconcileResult {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        fmt::Write::write_str(encoder, self.as_str())
    }
}

/// Labels `{kind}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct KindLabels {
    /// The manifest kind (`EcsService`, `CloudMapNamespace`, `EcsCluster`).
    pub kind: String,
}

/// Labels `{kind, result}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct KindResultLabels {
    /// The manifest kind.
    pub kind: String,
    /// The outcome.
    pub result: ReconcileResult,
}

/// Labels `{kind, error}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct KindErrorLabels {
    /// The manifest kind.
    pub kind: String,
    /// The error's metric label.
    pub error: String,
}

/// Labels `{result}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ResultLabels {
    /// `ok` or `error`.
    pub result: String,
}

/// Labels `{service, operation, code}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ApiCallLabels {
    /// The AWS service (`ecs`, `servicediscovery`).
    pub service: String,
    /// The operation (`DescribeServices`).
    pub operation: String,
    /// `ok` or the AWS error code.
    pub code: String,
}

/// Per-resource reconcile metrics.
#[derive(Debug, Clone)]
pub struct ReconcileMetrics {
    duration: Family<KindLabels, Histogram>,
    total: Family<KindResultLabels, Counter>,
    errors: Family<KindErrorLabels, Counter>,
}

impl ReconcileMetrics {
    /// Creates the group and registers it.
    pub fn register(registry: &mut Registry) -> Self {
        let duration = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.01, 2.0, 14))
        });
        let total = Family::<KindResultLabels, Counter>::default();
        let errors = Family::<KindErrorLabels, Counter>::default();
        registry.register_with_unit(
            "reconcile_duration",
            "Time to apply one resource",
            Unit::Seconds,
            duration.clone(),
        );
        registry.register(
            "reconcile",
            "Per-resource reconcile outcomes",
            total.clone(),
        );
        registry.register(
            "reconcile_errors",
            "Failed applies by error",
            errors.clone(),
        );
        Self {
            duration,
            total,
            errors,
        }
    }

    /// Counts one outcome.
    pub fn count(&self, kind: &str, result: ReconcileResult) {
        self.total
            .get_or_create(&KindResultLabels {
                kind: kind.to_owned(),
                result,
            })
            .inc();
    }

    /// Counts a failed apply by its error label.
    pub fn count_error(&self, kind: &str, error: &str) {
        self.errors
            .get_or_create(&KindErrorLabels {
                kind: kind.to_owned(),
                error: error.to_owned(),
            })
            .inc();
    }

    /// Starts timing one apply; the duration is recorded when the guard drops.
    #[must_use]
    pub fn measure(&self, kind: &str) -> ReconcileTimer {
        ReconcileTimer {
            histogram: self
                .duration
                .get_or_create(&KindLabels {
                    kind: kind.to_owned(),
                })
                .clone(),
            start: Instant::now(),
        }
    }
}

/// Records the time since its creation when dropped, so every exit path of an apply is measured.
#[derive(Debug)]
pub struct ReconcileTimer {
    histogram: Histogram,
    start: Instant,
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.histogram.observe(self.start.elapsed().as_secs_f64());
    }
}

/// Per-pass metrics and the drift gauge.
#[derive(Debug, Clone)]
pub struct PassMetrics {
    total: Family<ResultLabels, Counter>,
    duration: Histogram,
    drifted: Family<KindLabels, Gauge>,
    /// Kinds ever reported, so a kind whose drift went away is set back to zero.
    kinds: Arc<Mutex<HashSet<String>>>,
}

impl PassMetrics {
    /// Creates the group and registers it.
    pub fn register(registry: &mut Registry) -> Self {
        let total = Family::<ResultLabels, Counter>::default();
        let duration = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        let drifted = Family::<KindLabels, Gauge>::default();
        registry.register("passes", "Reconcile passes by result", total.clone());
        registry.register_with_unit(
            "pass_duration",
            "Time of observe, plan and report of one pass",
            Unit::Seconds,
            duration.clone(),
        );
        registry.register(
            "drifted_resources",
            "Resources not in sync after the last pass",
            drifted.clone(),
        );
        Self {
            total,
            duration,
            drifted,
            kinds: Arc::default(),
        }
    }

    /// Records a finished pass.
    pub fn pass(&self, ok: bool, seconds: f64) {
        let result = if ok { "ok" } else { "error" };
        self.total
            .get_or_create(&ResultLabels {
                result: result.to_owned(),
            })
            .inc();
        self.duration.observe(seconds);
    }

    /// Sets the drift gauge from `(kind, drifted count)` pairs; kinds seen before and absent now go to 0.
    pub fn set_drifted<'a>(&self, counts: impl IntoIterator<Item = (&'a str, i64)>) {
        let mut kinds = self
            .kinds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut seen = HashSet::new();
        for (kind, n) in counts {
            kinds.insert(kind.to_owned());
            seen.insert(kind.to_owned());
            self.drifted
                .get_or_create(&KindLabels {
                    kind: kind.to_owned(),
                })
                .set(n);
        }
        for kind in kinds.iter().filter(|k| !seen.contains(*k)) {
            self.drifted
                .get_or_create(&KindLabels { kind: kind.clone() })
                .set(0);
        }
    }
}

/// Labels of the monthly cost gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CostLabels {
    /// Manifest kind (`EcsService`).
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The `AwsAccount` (empty: the controller's own).
    pub account: String,
    /// Region.
    pub region: String,
}

/// `finfocus_controller_monthly_cost_usd{kind,name,region}`: each priced resource's current
/// monthly cost, replaced as a whole after each priced pass.
#[derive(Debug, Clone, Default)]
pub struct CostMetrics {
    monthly: Family<CostLabels, Gauge<f64, AtomicU64>>,
}

impl CostMetrics {
    /// Creates the gauge and registers it.
    pub fn register(registry: &mut Registry) -> Self {
        let this = Self::default();
        registry.register(
            "monthly_cost_usd",
            "Current monthly cost of each priced resource in USD, from the FinFocus plugin",
            this.monthly.clone(),
        );
        this
    }

    /// Replaces every series with `costs`; resources not listed (gone, or cost unknown) are
    /// dropped rather than left at an old value.
    pub fn set(&self, costs: impl IntoIterator<Item = (CostLabels, f64)>) {
        self.monthly.clear();
        for (labels, usd) in costs {
            self.monthly.get_or_create(&labels).set(usd);
        }
    }
}

/// Something that can report cumulative AWS call counts per (service, operation, code).
pub type ApiCallSnapshot = dyn Fn() -> Vec<((String, String, String), u64)> + Send + Sync;

/// Reads the AWS call counter at scrape time, so the metric is always exactly the counter.
struct ApiCallCollector {
    snapshot: Arc<ApiCallSnapshot>,
}

impl fmt::Debug for ApiCallCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiCallCollector")
    }
}

impl Collector for ApiCallCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let mut rows = (self.snapshot)();
        rows.sort();
        let mut metric = encoder.encode_descriptor(
            "aws_api_calls",
            "AWS API calls by service, operation and result code",
            None,
            MetricType::Counter,
        )?;
        for ((service, operation, code), count) in rows {
            let labels = ApiCallLabels {
                service,
                operation,
                code,
            };
            let counter = ConstCounter::new(count);
            counter.encode(metric.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// The controller's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Per-resource reconcile metrics.
    pub reconcile: ReconcileMetrics,
    /// Per-pass metrics.
    pub passes: PassMetrics,
    /// Monthly costs.
    pub cost: CostMetrics,
    /// Push webhooks by what was done with them.
    webhooks: Family<ResultLabels, Counter>,
    /// Notifications by target and outcome.
    notifications: Family<TargetResultLabels, Counter>,
}

/// Labels of a notification counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TargetResultLabels {
    /// `kind/host` of the target (never its path, which may hold a credential).
    pub target: String,
    /// `sent`, `retried`, `failed` or `dropped`.
    pub result: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every group registered.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let reconcile = ReconcileMetrics::register(&mut registry);
        let passes = PassMetrics::register(&mut registry);
        let cost = CostMetrics::register(&mut registry);
        let webhooks = Family::<ResultLabels, Counter>::default();
        registry.register(
            "webhooks",
            "Push webhooks received, by result (fetch, ignored, ping, unauthorized)",
            webhooks.clone(),
        );
        let notifications = Family::<TargetResultLabels, Counter>::default();
        registry.register(
            "notifications",
            "Notifications and commit statuses posted, by target and result (sent, retried, failed, dropped)",
            notifications.clone(),
        );
        Self {
            registry,
            reconcile,
            passes,
            cost,
            webhooks,
            notifications,
        }
    }

    /// Counts one notification outcome (`finfocus_controller_notifications_total{target,result}`).
    pub fn count_notification(&self, target: &str, result: &str) {
        self.notifications
            .get_or_create(&TargetResultLabels {
                target: target.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    /// Counts one push webhook (`finfocus_controller_webhooks_total{result}`).
    pub fn count_webhook(&self, result: &str) {
        self.webhooks
            .get_or_create(&ResultLabels {
                result: result.to_owned(),
            })
            .inc();
    }

    /// Registers a group that lives in another module (the lease metrics) in this registry.
    #[must_use]
    pub fn with(mut self, register: impl FnOnce(&mut Registry)) -> Self {
        register(&mut self.registry);
        self
    }

    /// Adds `finfocus_controller_aws_api_calls_total`, read from `snapshot` at each scrape.
    #[must_use]
    pub fn with_api_calls(mut self, snapshot: Arc<ApiCallSnapshot>) -> Self {
        self.registry
            .register_collector(Box::new(ApiCallCollector { snapshot }));
        self
    }

    /// The Prometheus text exposition of every metric.
    ///
    /// # Errors
    /// Only if formatting fails, which writing to a `String` does not.
    pub fn encode(&self) -> Result<String, fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn names_are_prefixed_and_labelled() {
        let metrics = Metrics::new().with_api_calls(Arc::new(|| {
            vec![
                (("ecs".into(), "DescribeServices".into(), "ok".into()), 3),
                (
                    (
                        "ecs".into(),
                        "UpdateService".into(),
                        "InvalidParameterException".into(),
                    ),
                    1,
                ),
            ]
        }));
        metrics
            .reconcile
            .count("EcsService", ReconcileResult::InSync);
        metrics
            .reconcile
            .count("EcsService", ReconcileResult::InSync);
        metrics.reconcile.count_error("EcsService", "aws");
        drop(metrics.reconcile.measure("EcsService"));
        metrics.passes.pass(true, 0.2);
        metrics
            .passes
            .set_drifted([("EcsService", 2), ("CloudMapNamespace", 0)]);
        let text = metrics.encode().unwrap();
        for expected in [
            "finfocus_controller_reconcile_total{kind=\"EcsService\",result=\"in_sync\"} 2",
            "finfocus_controller_reconcile_errors_total{kind=\"EcsService\",error=\"aws\"} 1",
            "finfocus_controller_reconcile_duration_seconds_count{kind=\"EcsService\"} 1",
            "finfocus_controller_drifted_resources{kind=\"EcsService\"} 2",
            "finfocus_controller_passes_total{result=\"ok\"} 1",
            "finfocus_controller_aws_api_calls_total{service=\"ecs\",operation=\"DescribeServices\",code=\"ok\"} 3",
            "finfocus_controller_aws_api_calls_total{service=\"ecs\",operation=\"UpdateService\",code=\"InvalidParameterException\"} 1",
            "# TYPE finfocus_controller_aws_api_calls counter",
        ] {
            assert!(text.contains(expected), "missing {expected} in\n{text}");
        }
    }

    #[test]
    fn drift_of_a_kind_that_disappears_goes_to_zero() {
        let metrics = Metrics::new();
        metrics.passes.set_drifted([("EcsService", 3)]);
        metrics.passes.set_drifted([]);
        let text = metrics.encode().unwrap();
        assert!(
            text.contains("finfocus_controller_drifted_resources{kind=\"EcsService\"} 0"),
            "{text}"
        );
    }
}
