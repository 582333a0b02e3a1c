//! Prometheus metrics of a regional server and of the `serve-all` supervisor.
//!
//! Each group owns one prefixed [`Registry`] and is encoded in the OpenMetrics text format.
//! Regional samples carry no `region` label: a regional process serves one region, and the
//! aggregator adds `region="..."` to every sample it re-exports (see [`crate::aggregator`]).
//!
//! Label values are bounded: methods come from the fixed list of the FinFocus service
//! ([`method_label`]), protocols and gRPC codes are closed enums, so a client cannot grow
//! the series set by sending made-up paths.

use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::region::Region;

/// The OpenMetrics text content type both `/metrics` endpoints answer with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every RPC of `finfocus.v1.CostSourceService`, the only values the `method` label takes
/// besides `unknown`.
pub const METHODS: [&str; 12] = [
    "Name",
    "Supports",
    "GetActualCost",
    "GetProjectedCost",
    "GetPricingSpec",
    "EstimateCost",
    "GetRecommendations",
    "DismissRecommendation",
    "GetBudgets",
    "GetPluginInfo",
    "DryRun",
    "BatchCost",
];

/// Maps a request's method name onto a bounded label value.
pub fn method_label(method: &str) -> &'static str {
    METHODS
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("unknown")
}

/// The wire protocol a request arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// gRPC over HTTP/2.
    Grpc,
    /// gRPC-Web (HTTP/1.1 or HTTP/2, binary or text).
    GrpcWeb,
    /// Connect unary (JSON or binary protobuf).
    Connect,
}

impl Protocol {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::GrpcWeb => "grpc_web",
            Protocol::Connect => "connect",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    protocol: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ErrorLabels {
    method: &'static str,
    code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ServiceLabels {
    service: &'static str,
}

/// Metrics of one regional server: requests, errors and latency by method, price table sizes.
#[derive(Debug)]
pub struct PluginMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    duration: Family<MethodLabels, Histogram>,
}

impl PluginMetrics {
    /// Registers the metrics under the `finfocus_plugin` prefix and records the row count of
    /// each service's price table (`sizes` as returned by `PriceTable::sizes`).
    pub fn new(sizes: &[(&'static str, usize)]) -> PluginMetrics {
        let mut registry = Registry::with_prefix("finfocus_plugin");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "RPCs received, by method and wire protocol",
            requests.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "request_errors",
            "RPCs that ended with a non-OK status, by method and gRPC code",
            errors.clone(),
        );
        let duration = Family::<MethodLabels, Histogram>::new_with_constructor(|| {
            // 100 us .. ~3.3 s: pricing answers in microseconds, the tail shows contention.
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        registry.register(
            "request_duration_seconds",
            "Time from request to response headers, by method",
            duration.clone(),
        );
        let table_rows = Family::<ServiceLabels, Gauge>::default();
        registry.register(
            "pricing_table_rows",
            "Rows in the embedded price table of this region, by service",
            table_rows.clone(),
        );
        for (service, rows) in sizes {
            table_rows
                .get_or_create(&ServiceLabels { service })
                .set(i64::try_from(*rows).unwrap_or(i64::MAX));
        }
        PluginMetrics {
            registry,
            requests,
            errors,
            duration,
        }
    }

    /// Records one finished RPC. `code` is the gRPC code name (`ok` for success, else e.g.
    /// `invalid_argument`); `method` should come from [`method_label`].
    pub fn observe(
        &self,
        method: &'static str,
        protocol: Protocol,
        code: &'static str,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                protocol: protocol.as_str(),
            })
            .inc();
        if code != "ok" {
            self.errors
                .get_or_create(&ErrorLabels { method, code })
                .inc();
        }
        self.duration
            .get_or_create(&MethodLabels { method })
            .observe(elapsed.as_secs_f64());
    }

    /// The OpenMetrics text exposition, `# EOF` included.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RegionLabels {
    region: &'static str,
}

/// Metrics of the `serve-all` supervisor: which regions are up, how often each restarted,
/// and each child's pid (so operators and tests can find a region's process).
#[derive(Debug)]
pub struct SupervisorMetrics {
    registry: Registry,
    up: Family<RegionLabels, Gauge>,
    restarts: Family<RegionLabels, Counter>,
    pid: Family<RegionLabels, Gauge>,
    scrape_errors: Family<RegionLabels, Counter>,
}

impl Default for SupervisorMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl SupervisorMetrics {
    /// Registers the metrics under the `finfocus_supervisor` prefix, every region at `up 0`.
    pub fn new() -> SupervisorMetrics {
        let mut registry = Registry::with_prefix("finfocus_supervisor");
        let up = Family::<RegionLabels, Gauge>::default();
        registry.register(
            "region_up",
            "1 when the region's process is running and ready, else 0",
            up.clone(),
        );
        let restarts = Family::<RegionLabels, Counter>::default();
        registry.register(
            "region_restarts",
            "Times the region's process was restarted after it stopped unexpectedly",
            restarts.clone(),
        );
        let pid = Family::<RegionLabels, Gauge>::default();
        registry.register(
            "region_pid",
            "Process id of the region's current process, 0 while none runs",
            pid.clone(),
        );
        let scrape_errors = Family::<RegionLabels, Counter>::default();
        registry.register(
            "region_scrape_errors",
            "Failed scrapes of the region's /metrics by the aggregator",
            scrape_errors.clone(),
        );
        for region in Region::ALL {
            let labels = RegionLabels {
                region: region.code(),
            };
            up.get_or_create(&labels).set(0);
            let _ = restarts.get_or_create(&labels);
            pid.get_or_create(&labels).set(0);
            let _ = scrape_errors.get_or_create(&labels);
        }
        SupervisorMetrics {
            registry,
            up,
            restarts,
            pid,
            scrape_errors,
        }
    }

    /// Marks a region ready (`pid` of its process) or down (`None`).
    pub fn set_running(&self, region: Region, pid: Option<u32>) {
        let labels = RegionLabels {
            region: region.code(),
        };
        self.up.get_or_create(&labels).set(i64::from(pid.is_some()));
        self.pid
            .get_or_create(&labels)
            .set(pid.map_or(0, i64::from));
    }

    /// Counts one restart of a region.
    pub fn record_restart(&self, region: Region) {
        self.restarts
            .get_or_create(&RegionLabels {
                region: region.code(),
            })
            .inc();
    }

    /// Counts one failed scrape of a region's `/metrics`.
    pub fn record_scrape_error(&self, region: Region) {
        self.scrape_errors
            .get_or_create(&RegionLabels {
                region: region.code(),
            })
            .inc();
    }

    /// The exposition WITHOUT the closing `# EOF`, so other families can follow it.
    pub fn encode_families(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        text::encode_registry(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn method_labels_are_bounded() {
        assert_eq!(method_label("GetProjectedCost"), "GetProjectedCost");
        assert_eq!(method_label("Name"), "Name");
        assert_eq!(method_label("getprojectedcost"), "unknown");
        assert_eq!(method_label(&"x".repeat(10_000)), "unknown");
    }

    #[test]
    fn plugin_metrics_expose_requests_errors_latency_and_table_sizes() {
        let m = PluginMetrics::new(&[("ec2", 120), ("ebs", 7)]);
        m.observe(
            "GetProjectedCost",
            Protocol::Grpc,
            "ok",
            Duration::from_micros(300),
        );
        m.observe(
            "GetProjectedCost",
            Protocol::Connect,
            "not_found",
            Duration::from_millis(2),
        );
        let text = m.encode().unwrap();
        assert!(text.contains(
            r#"finfocus_plugin_requests_total{method="GetProjectedCost",protocol="grpc"} 1"#
        ));
        assert!(text.contains(
            r#"finfocus_plugin_requests_total{method="GetProjectedCost",protocol="connect"} 1"#
        ));
        assert!(text.contains(
            r#"finfocus_plugin_request_errors_total{method="GetProjectedCost",code="not_found"} 1"#
        ));
        assert!(text.contains(
            r#"finfocus_plugin_request_duration_seconds_count{method="GetProjectedCost"} 2"#
        ));
        assert!(text.contains(r#"finfocus_plugin_pricing_table_rows{service="ec2"} 120"#));
        assert!(text.contains(r#"finfocus_plugin_pricing_table_rows{service="ebs"} 7"#));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn supervisor_metrics_track_up_restarts_and_pid() {
        let m = SupervisorMetrics::new();
        m.set_running(Region::EuWest1, Some(4242));
        m.record_restart(Region::EuWest1);
        let text = m.encode_families().unwrap();
        assert!(text.contains(r#"finfocus_supervisor_region_up{region="eu-west-1"} 1"#));
        assert!(text.contains(r#"finfocus_supervisor_region_pid{region="eu-west-1"} 4242"#));
        assert!(
            text.contains(r#"finfocus_supervisor_region_restarts_total{region="eu-west-1"} 1"#)
        );
        assert!(text.contains(r#"finfocus_supervisor_region_up{region="us-west-1"} 0"#));
        assert!(!text.contains("# EOF"));
        m.set_running(Region::EuWest1, None);
        let text = m.encode_families().unwrap();
        assert!(text.contains(r#"finfocus_supervisor_region_up{region="eu-west-1"} 0"#));
        assert!(text.contains(r#"finfocus_supervisor_region_pid{region="eu-west-1"} 0"#));
    }
}
