//! The metrics aggregator of `serve-all`: one port (9090 in the image) that answers for the
//! whole container.
//!
//! - `/metrics` scrapes every regional `/metrics` over loopback (concurrently, each under a
//!   timeout), adds `region="<code>"` to every sample, merges the families so each appears
//!   once, and appends the supervisor's own metrics (up, restarts and pid per region).
//! - `/healthz` answers 200 only when every region of [`Region::ALL`] is running and, when the regional health
//!   endpoint is enabled, each of them answers its own `/healthz` with 200.
//!
//! The text handling ([`add_label`], [`merge_expositions`]) is pure and unit-tested; the HTTP
//! side is a small axum router plus a pooled hyper client.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::fleet::Fleet;
use crate::metrics::CONTENT_TYPE;
use crate::probe::Prober;
use crate::region::Region;

/// What the aggregator needs: where the regions listen, the supervisor's view of them and
/// whether regional `/healthz` endpoints exist.
#[derive(Debug)]
pub struct Aggregator {
    /// Each region and the address its server is reached at.
    pub regions: Vec<(Region, SocketAddr)>,
    /// Supervisor state: readiness, pids and the supervisor's metrics.
    pub fleet: Arc<Fleet>,
    /// Client for scrapes and probes (bounded timeout).
    pub prober: Prober,
    /// Regional `/healthz` is served (`FINFOCUS_PLUGIN_WEB_ENABLED` and
    /// `FINFOCUS_PLUGIN_HEALTH_ENDPOINT`); when false only the supervisor's view counts.
    pub probe_health: bool,
    /// Regional `/metrics` is served (`FINFOCUS_PLUGIN_WEB_ENABLED`).
    pub scrape_metrics: bool,
}

/// The aggregator's routes: `/metrics` and `/healthz` (GET and HEAD).
pub fn router(aggregator: Arc<Aggregator>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        // No endpoint takes a body.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            finfocus_serve::BODYLESS_MAX_BYTES,
        ))
        .with_state(aggregator)
}

async fn metrics(State(agg): State<Arc<Aggregator>>) -> Response {
    let scrapes = agg.regions.iter().map(|(region, addr)| {
        let agg = &agg;
        async move {
            if !agg.scrape_metrics {
                return None;
            }
            match agg.prober.get(*addr, "/metrics").await {
                Ok((StatusCode::OK, body)) => match String::from_utf8(body.to_vec()) {
                    Ok(text) => Some((*region, text)),
                    Err(_) => {
                        tracing::warn!(region = region.code(), "metrics of region are not UTF-8");
                        agg.fleet.metrics().record_scrape_error(*region);
                        None
                    }
                },
                Ok((status, _)) => {
                    tracing::debug!(region = region.code(), %status, "metrics scrape refused");
                    agg.fleet.metrics().record_scrape_error(*region);
                    None
                }
                Err(error) => {
                    tracing::debug!(region = region.code(), error = %error, "metrics scrape failed");
                    agg.fleet.metrics().record_scrape_error(*region);
                    None
                }
            }
        }
    });
    let scraped: Vec<(Region, String)> = futures::future::join_all(scrapes)
        .await
        .into_iter()
        .flatten()
        .collect();
    let own = match agg.fleet.metrics().encode_families() {
        Ok(text) => text,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let sources: Vec<(&str, &str)> = scraped
        .iter()
        .map(|(region, text)| (region.code(), text.as_str()))
        .collect();
    let mut body = own;
    body.push_str(&merge_expositions("region", &sources));
    body.push_str("# EOF\n");
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        body,
    )
        .into_response()
}

async fn healthz(State(agg): State<Arc<Aggregator>>) -> Response {
    let checks = agg.regions.iter().map(|(region, addr)| {
        let agg = &agg;
        async move {
            let running = agg.fleet.is_ready(*region);
            let ok = running && (!agg.probe_health || agg.prober.healthy(*addr).await);
            (*region, ok)
        }
    });
    let results = futures::future::join_all(checks).await;
    let all_ok = results.iter().all(|(_, ok)| *ok);
    let mut body = serde_json::Map::new();
    for (region, ok) in &results {
        body.insert(
            region.code().to_owned(),
            serde_json::Value::from(if *ok { "ok" } else { "down" }),
        );
    }
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let json = serde_json::json!({
        "status": if all_ok { "ok" } else { "degraded" },
        "regions": body,
    });
    (status, axum::Json(json)).into_response()
}

/// Escapes a label value for the text exposition formats.
fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Names of the labels of a label set body (the text between `{` and `}`), or `None` when it is
/// malformed. Returns the names and the byte length of the body.
fn label_names(rest: &str) -> Option<(Vec<&str>, usize)> {
    let bytes = rest.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b',') {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        if bytes[i] == b'}' {
            return Some((names, i));
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b'}' {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            return None;
        }
        names.push(rest[start..i].trim());
        i += 1;
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
        // The quoted value, with backslash escapes.
        loop {
            match bytes.get(i) {
                None => return None,
                Some(b'\\') => i += 2,
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(_) => i += 1,
            }
        }
    }
}

/// Adds `name="value"` to one sample line (`metric{labels} value [timestamp]` or
/// `metric value`). A sample that already carries the label is returned unchanged; a line
/// that is not a sample yields `None`.
pub fn add_label(sample: &str, name: &str, value: &str) -> Option<String> {
    let end = sample.find(['{', ' '])?;
    let (metric, rest) = sample.split_at(end);
    if metric.is_empty() {
        return None;
    }
    let label = format!("{name}=\"{}\"", escape_label_value(value));
    if let Some(labels) = rest.strip_prefix('{') {
        let (names, close) = label_names(labels)?;
        if names.contains(&name) {
            return Some(sample.to_owned());
        }
        let existing = labels[..close].trim().trim_end_matches(',');
        let tail = &labels[close..];
        if existing.is_empty() {
            Some(format!("{metric}{{{label}{tail}"))
        } else {
            Some(format!("{metric}{{{label},{existing}{tail}"))
        }
    } else {
        Some(format!("{metric}{{{label}}}{rest}"))
    }
}

/// A metric family gathered from several expositions.
#[derive(Debug, Default)]
struct MergedFamily {
    name: String,
    /// `# HELP`, `# TYPE`, `# UNIT` lines, from the first exposition that declared the family.
    meta: Vec<String>,
    meta_from: Option<usize>,
    samples: Vec<String>,
}

/// Merges several expositions (each tagged with the value of `label`, e.g. a region) into one
/// text in which every family appears once: metadata from the first source that declares a
/// family, then the samples of every source, each with `label="<value>"` added. `# EOF` lines
/// are dropped so the caller can append more families and close the text itself.
pub fn merge_expositions(label: &str, sources: &[(&str, &str)]) -> String {
    let mut families: Vec<MergedFamily> = Vec::new();
    let find = |families: &mut Vec<MergedFamily>, name: &str| -> usize {
        if let Some(i) = families.iter().position(|f| f.name == name) {
            i
        } else {
            families.push(MergedFamily {
                name: name.to_owned(),
                ..MergedFamily::default()
            });
            families.len() - 1
        }
    };
    for (source, (value, text)) in sources.iter().enumerate() {
        let mut current: Option<usize> = None;
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                let mut parts = comment.trim_start().splitn(3, ' ');
                let keyword = parts.next().unwrap_or_default();
                if keyword == "EOF" {
                    break;
                }
                if !matches!(keyword, "HELP" | "TYPE" | "UNIT") {
                    continue;
                }
                let Some(name) = parts.next() else { continue };
                let index = find(&mut families, name);
                current = Some(index);
                let family = &mut families[index];
                match family.meta_from {
                    None => {
                        family.meta_from = Some(source);
                        family.meta.push(line.to_owned());
                    }
                    Some(from) if from == source => family.meta.push(line.to_owned()),
                    Some(_) => {}
                }
                continue;
            }
            let Some(relabeled) = add_label(line, label, value) else {
                continue;
            };
            let metric = line.split(['{', ' ']).next().unwrap_or_default();
            let index = match current {
                Some(i) if metric.starts_with(families[i].name.as_str()) => i,
                _ => {
                    let i = find(&mut families, metric);
                    current = Some(i);
                    i
                }
            };
            families[index].samples.push(relabeled);
        }
    }
    let mut out = String::new();
    for family in families {
        for line in family.meta.iter().chain(family.samples.iter()) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn adds_label_to_samples_with_and_without_labels() {
        assert_eq!(
            add_label("up 1", "region", "eu-west-1").unwrap(),
            r#"up{region="eu-west-1"} 1"#
        );
        assert_eq!(
            add_label(r#"req_total{method="Name"} 3"#, "region", "us-east-1").unwrap(),
            r#"req_total{region="us-east-1",method="Name"} 3"#
        );
        assert_eq!(
            add_label("x{} 3 1700000000", "region", "a").unwrap(),
            r#"x{region="a"} 3 1700000000"#
        );
        // Braces and commas inside quoted values do not confuse the parser.
        assert_eq!(
            add_label(r#"x{path="/a}b,c=\"d\""} 1"#, "region", "a").unwrap(),
            r#"x{region="a",path="/a}b,c=\"d\""} 1"#
        );
    }

    #[test]
    fn keeps_an_existing_label_and_rejects_garbage() {
        let line = r#"x{region="us-west-2",a="b"} 1"#;
        assert_eq!(add_label(line, "region", "eu-west-1").unwrap(), line);
        assert_eq!(add_label("novalue", "region", "a"), None);
        assert_eq!(add_label(r#"x{a="unterminated} 1"#, "region", "a"), None);
        assert_eq!(add_label(r#"x{a=b} 1"#, "region", "a"), None);
        assert_eq!(add_label(" 1", "region", "a"), None);
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(
            add_label("m 1", "k", "a\"b\\c\nd").unwrap(),
            r#"m{k="a\"b\\c\nd"} 1"#
        );
    }

    const US: &str = "# HELP app_requests RPCs.\n# TYPE app_requests counter\n\
app_requests_total{method=\"Name\"} 1\n\
# HELP app_rows Rows.\n# TYPE app_rows gauge\napp_rows{service=\"ec2\"} 10\n# EOF\n";
    const EU: &str = "# HELP app_requests RPCs.\n# TYPE app_requests counter\n\
app_requests_total{method=\"Name\"} 5\n\
# HELP app_rows Rows.\n# TYPE app_rows gauge\napp_rows{service=\"ec2\"} 12\n# EOF\n";

    #[test]
    fn merges_families_once_with_every_sample_labelled() {
        let merged = merge_expositions("region", &[("us-east-1", US), ("eu-west-1", EU)]);
        assert_eq!(
            merged,
            "# HELP app_requests RPCs.\n# TYPE app_requests counter\n\
app_requests_total{region=\"us-east-1\",method=\"Name\"} 1\n\
app_requests_total{region=\"eu-west-1\",method=\"Name\"} 5\n\
# HELP app_rows Rows.\n# TYPE app_rows gauge\n\
app_rows{region=\"us-east-1\",service=\"ec2\"} 10\n\
app_rows{region=\"eu-west-1\",service=\"ec2\"} 12\n"
        );
        assert_eq!(merged.matches("# TYPE app_requests").count(), 1);
        assert!(!merged.contains("# EOF"));
    }

    #[test]
    fn histogram_series_stay_in_their_family() {
        let text = "# TYPE lat histogram\nlat_bucket{le=\"0.1\"} 1\nlat_bucket{le=\"+Inf\"} 2\n\
lat_sum 0.3\nlat_count 2\n# EOF\n";
        let merged = merge_expositions("region", &[("a", text), ("b", text)]);
        let lines: Vec<&str> = merged.lines().collect();
        assert_eq!(lines[0], "# TYPE lat histogram");
        assert_eq!(lines.len(), 9, "{merged}");
        assert!(lines[1..].iter().all(|l| l.starts_with("lat_")));
        assert!(lines.contains(&r#"lat_count{region="b"} 2"#));
    }

    #[test]
    fn samples_without_metadata_and_empty_sources_are_handled() {
        let merged = merge_expositions("region", &[("a", "bare 1\n"), ("b", ""), ("c", "bare 2")]);
        assert_eq!(merged, "bare{region=\"a\"} 1\nbare{region=\"c\"} 2\n");
        assert_eq!(merge_expositions("region", &[]), "");
    }
}
