//! The status page at `/`: the newest drift report as HTML for people.
//!
//! Server-rendered from the report (pure: a report in, a string out), with a stylesheet and a
//! little script embedded in the binary. Without the script the page is complete and static;
//! with it, rows filter by status, kind and name, and the page follows `/events` (Server-Sent
//! Events) to swap in a fresh [`fragment`] when a pass ends, keeping open rows and filters.
//! Everything is served from the page's own origin; nothing on it changes AWS.

use std::fmt::Write as _;
use std::time::Duration;

use crate::report::{ChangeReport, DriftReport, ResourceReport, RolloutReport};
use crate::status::Status;

/// The stylesheet, served at `/ui/style.css`.
pub const STYLE: &str = include_str!("style.css");
/// The script, served at `/ui/app.js`.
pub const SCRIPT: &str = include_str!("app.js");

/// What the page shows besides the report.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The controller instance.
    pub instance: &'a str,
    /// The time between passes when nothing else triggers one.
    pub resync: Duration,
    /// The newest report, `None` before the first pass.
    pub report: Option<&'a DriftReport>,
}

/// Text safe in HTML content and quoted attributes.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page.
#[must_use]
pub fn page(p: &Page<'_>) -> String {
    let title = format!("finfocus-ecs · {}", p.instance);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"ui/style.css\">\n\
         <script src=\"ui/app.js\" defer></script>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#resources-heading\">Skip to resources</a>\n\
         <header><h1>{title}</h1><p id=\"live\" role=\"status\" class=\"muted\"></p></header>\n\
         <main id=\"main\">\n{}</main>\n</body>\n</html>\n",
        fragment(p),
        title = escape(&title),
    )
}

/// The part of the page that changes from pass to pass (the content of `<main>`).
#[must_use]
pub fn fragment(p: &Page<'_>) -> String {
    let Some(report) = p.report else {
        return "<section aria-labelledby=\"source-heading\"><h2 id=\"source-heading\">Source</h2>\
                <p>No report yet: the first pass has not completed.</p></section>\n"
            .to_owned();
    };
    let mut out = String::new();
    source(&mut out, p, report);
    resources(&mut out, report);
    costs(&mut out, report);
    warnings(&mut out, report);
    out
}

/// A status as text with a symbol, and the class that colours it.
fn status_badge(status: Status) -> String {
    let symbol = match status {
        Status::InSync => "✓",
        Status::Progressing => "↻",
        Status::Drifted => "≠",
        Status::Missing => "+",
        Status::Error => "✗",
    };
    format!(
        "<span class=\"status s-{}\"><span aria-hidden=\"true\">{symbol} </span>{}</span>",
        status.as_str().to_ascii_lowercase(),
        status.as_str()
    )
}

/// An RFC 3339 time as a `<time>` element, shown to the second (`2026-12-06 10:00:00 UTC`).
fn time(rfc3339: &str) -> String {
    let shown = rfc3339
        .split_once('.')
        .map_or(rfc3339.trim_end_matches('Z'), |(whole, _)| whole)
        .replacen('T', " ", 1);
    let suffix = if rfc3339.ends_with('Z') { " UTC" } else { "" };
    format!(
        "<time datetime=\"{}\">{}{suffix}</time>",
        escape(rfc3339),
        escape(&shown)
    )
}

fn money(value: f64, currency: &str) -> String {
    format!("{value:.2} {}", escape(currency))
}

fn signed_money(value: f64, currency: &str) -> String {
    let sign = if value > 0.0 { "+" } else { "" };
    format!("{sign}{value:.2} {}", escape(currency))
}

fn source(out: &mut String, p: &Page<'_>, report: &DriftReport) {
    let s = &report.summary;
    let revision = report.revision.as_deref().map_or_else(
        || "a directory (no revision)".to_owned(),
        |r| format!("<code>{}</code>", escape(r)),
    );
    let _ = write!(
        out,
        "<section aria-labelledby=\"source-heading\"><h2 id=\"source-heading\">Source</h2>\n<dl class=\"facts\">\
         <div><dt>Revision in force</dt><dd>{revision}</dd></div>"
    );
    if let Some(commit) = &report.commit {
        let _ = write!(
            out,
            "<div><dt>Commit</dt><dd>{} <span class=\"muted\">({})</span></dd></div>",
            escape(&commit.subject),
            time(&commit.time),
        );
    }
    if let Some(rejected) = &report.rejected_revision {
        let _ = write!(
            out,
            "<div><dt>Rejected</dt><dd><span class=\"status s-error\">✗ <code>{}</code></span></dd></div>",
            escape(rejected)
        );
    }
    let _ = write!(
        out,
        "<div><dt>Last pass</dt><dd>{at}</dd></div>\
         <div><dt>Next pass</dt><dd>{next}every {resync}, or at the next change</dd></div>\
         <div><dt>Resources</dt><dd>{} in sync, {} drifted, {} missing, {} in error</dd></div>",
        s.in_sync,
        s.drifted,
        s.missing,
        s.errors,
        at = time(&report.generated_at),
        next = crate::status::parse_rfc3339(&report.generated_at)
            .and_then(|at| at.checked_add(p.resync))
            .map(|next| format!("by {}: ", time(&crate::status::rfc3339(next))))
            .unwrap_or_default(),
        resync = humantime(p.resync),
    );
    if let Some(cost) = &s.cost {
        let _ = write!(
            out,
            "<div><dt>Monthly cost</dt><dd>{} now, {} after pending changes ({})</dd></div>",
            money(cost.before, &cost.currency),
            money(cost.after, &cost.currency),
            signed_money(cost.delta, &cost.currency),
        );
    }
    out.push_str("</dl></section>\n");
}

fn humantime(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        _ => format!("{} h", secs / 3600),
    }
}

fn resources(out: &mut String, report: &DriftReport) {
    let mut kinds: Vec<&str> = report.resources.iter().map(|r| r.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    out.push_str(
        "<section aria-labelledby=\"resources-heading\"><h2 id=\"resources-heading\" tabindex=\"-1\">Resources</h2>\n\
         <form class=\"filters\" role=\"search\" aria-label=\"Filter resources\">\
         <label>Status <select id=\"filter-status\"><option value=\"\">All</option>",
    );
    for status in ["InSync", "Progressing", "Drifted", "Missing", "Error"] {
        let _ = write!(out, "<option>{status}</option>");
    }
    out.push_str(
        "</select></label> <label>Kind <select id=\"filter-kind\"><option value=\"\">All</option>",
    );
    for kind in kinds {
        let _ = write!(out, "<option>{}</option>", escape(kind));
    }
    let _ = write!(
        out,
        "</select></label> <label>Name <input id=\"filter-name\" type=\"search\" autocomplete=\"off\"></label> \
         <output id=\"shown\" aria-live=\"polite\">{n} of {n} shown</output></form>\n\
         <table id=\"resources\"><caption class=\"visually-hidden\">Resources and their status</caption>\n\
         <thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">Name</th><th scope=\"col\">Place</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Conditions</th><th scope=\"col\" class=\"num\">Monthly cost</th>\
         <th scope=\"col\" class=\"num\">Change</th></tr></thead>\n<tbody>\n",
        n = report.resources.len()
    );
    for r in &report.resources {
        row(out, report, r);
    }
    out.push_str("</tbody></table></section>\n");
}

fn row(out: &mut String, report: &DriftReport, r: &ResourceReport) {
    let id = r.id();
    let place = match &r.account {
        Some(account) => format!("{}/{}", account, r.region),
        None => r.region.clone(),
    };
    let conditions: Vec<String> = r
        .conditions
        .iter()
        .filter(|c| !(c.kind == "Owned" && c.status))
        .map(|c| {
            format!(
                "<li>{}{}: {}</li>",
                escape(&c.kind),
                if c.status { "" } else { " (false)" },
                escape(&c.reason)
            )
        })
        .collect();
    let (cost, delta) = r.cost.as_ref().map_or_else(
        || ("–".to_owned(), "–".to_owned()),
        |c| {
            (
                c.after
                    .or(c.before)
                    .map_or_else(|| "unknown".to_owned(), |v| money(v, &c.currency)),
                c.delta
                    .map_or_else(|| "–".to_owned(), |d| signed_money(d, &c.currency)),
            )
        },
    );
    let _ = write!(
        out,
        "<tr data-id=\"{id}\" data-status=\"{status}\" data-kind=\"{kind}\" data-name=\"{name_lower}\">\
         <td>{kind}</td><td><details data-id=\"{id}\"><summary>{name}</summary>",
        id = escape(&id),
        status = r.status.as_str(),
        kind = escape(&r.kind),
        name = escape(&r.name),
        name_lower = escape(&r.name.to_lowercase()),
    );
    detail(out, report, r);
    let _ = writeln!(
        out,
        "</details></td><td class=\"place\">{place}</td><td>{status}</td><td><ul class=\"conditions\">{conditions}</ul></td>\
         <td class=\"num\">{cost}</td><td class=\"num\">{delta}</td></tr>",
        place = escape(&place),
        status = status_badge(r.status),
        conditions = conditions.join(""),
    );
}

fn show(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "(unset)".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn detail(out: &mut String, report: &DriftReport, r: &ResourceReport) {
    out.push_str("<div class=\"detail\">");
    if let Some(manifest) = &r.manifest {
        let _ = write!(out, "<p>Manifest: <code>{}</code></p>", escape(manifest));
    }
    if let Some(arn) = &r.arn {
        let _ = write!(out, "<p>ARN: <code>{}</code></p>", escape(arn));
    }
    drift(out, &r.changes);
    if let Some(rollout) = &r.rollout {
        rollout_facts(out, rollout);
    }
    if !r.conditions.is_empty() {
        out.push_str("<h3>Conditions</h3><ul>");
        for c in &r.conditions {
            let since = c
                .last_transition_time
                .map_or_else(String::new, |at| time(&crate::status::rfc3339(at)));
            let _ = write!(
                out,
                "<li><strong>{}</strong> {} <em>{}</em> since {}: {}</li>",
                escape(&c.kind),
                if c.status { "True" } else { "False" },
                escape(&c.reason),
                since,
                escape(&c.message),
            );
        }
        out.push_str("</ul>");
    }
    let id = format!("{}/{}", r.kind, r.name);
    let findings: Vec<_> = report
        .warnings
        .iter()
        .filter(|f| f.resource == id)
        .collect();
    if !findings.is_empty() {
        out.push_str("<h3>Pre-flight warnings</h3><ul>");
        for f in findings {
            let _ = write!(
                out,
                "<li>{}{}</li>",
                escape(&f.message),
                f.fix
                    .as_deref()
                    .map(|fix| format!(" Fix: {}", escape(fix)))
                    .unwrap_or_default()
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>");
}

fn drift(out: &mut String, changes: &[ChangeReport]) {
    if changes.is_empty() {
        out.push_str("<p>No drift: live matches the manifest.</p>");
        return;
    }
    out.push_str(
        "<h3>Drift</h3><table class=\"drift\"><thead><tr><th scope=\"col\">Field</th>\
         <th scope=\"col\">Desired</th><th scope=\"col\">Live</th><th scope=\"col\">Action</th></tr></thead><tbody>",
    );
    for c in changes {
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&c.path),
            escape(&show(c.desired.as_ref())),
            escape(&show(c.actual.as_ref())),
            escape(&c.action),
        );
    }
    out.push_str("</tbody></table>");
}

fn rollout_facts(out: &mut String, r: &RolloutReport) {
    let state = match &r.strategy {
        Some(strategy) => format!("{} ({})", r.state, strategy),
        None => r.state.clone(),
    };
    let _ = write!(
        out,
        "<h3>Rollout</h3><dl class=\"facts\"><div><dt>State</dt><dd>{}</dd></div>",
        escape(&state)
    );
    if let Some(stage) = &r.stage {
        let _ = write!(out, "<div><dt>Stage</dt><dd>{}</dd></div>", escape(stage));
    }
    let failed = if r.failed > 0 {
        format!(", {} failed", r.failed)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<div><dt>Tasks</dt><dd>{} of {} running{failed}</dd></div>",
        r.running, r.desired
    );
    if let Some(percent) = r.production_traffic_percent {
        let _ = write!(
            out,
            "<div><dt>Production traffic</dt><dd>{percent}%</dd></div>"
        );
    }
    if let Some(left) = r.bake_left_seconds {
        let _ = write!(
            out,
            "<div><dt>Bake time left</dt><dd>{}</dd></div>",
            humantime(Duration::from_secs(left))
        );
    }
    out.push_str("</dl>");
    if !r.why.is_empty() {
        out.push_str("<h4>Stopped tasks and service events</h4><ul>");
        for line in &r.why {
            let _ = write!(out, "<li>{}</li>", escape(line));
        }
        out.push_str("</ul>");
    }
}

/// Bars drawn at most; the rest are summed in the caption.
const BARS: usize = 30;

fn costs(out: &mut String, report: &DriftReport) {
    let mut priced: Vec<(&ResourceReport, f64, f64, &str)> = report
        .resources
        .iter()
        .filter_map(|r| {
            let c = r.cost.as_ref()?;
            Some((
                r,
                c.before.unwrap_or(0.0),
                c.after.or(c.before)?,
                c.currency.as_str(),
            ))
        })
        .collect();
    if priced.is_empty() {
        return;
    }
    priced.sort_by(|a, b| b.2.max(b.1).total_cmp(&a.2.max(a.1)));
    let shown = &priced[..priced.len().min(BARS)];
    let max = shown
        .iter()
        .map(|(_, before, after, _)| before.max(*after))
        .fold(0.0_f64, f64::max)
        .max(0.01);
    let (row_h, label_w, bar_w) = (34.0, 220.0, 360.0);
    let height = row_h * shown.len() as f64 + 10.0;
    let _ = write!(
        out,
        "<section aria-labelledby=\"cost-heading\"><h2 id=\"cost-heading\">Cost by service</h2>\n\
         <figure><svg class=\"chart\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-labelledby=\"cost-caption\">",
        w = label_w + bar_w + 140.0,
    );
    for (i, (r, before, after, currency)) in shown.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let (wb, wa) = (before / max * bar_w, after / max * bar_w);
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{ty}\" class=\"label\">{name}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{wb:.1}\" height=\"12\" class=\"before\"><title>{name} now: {b}</title></rect>\
             <rect x=\"{label_w}\" y=\"{y2}\" width=\"{wa:.1}\" height=\"12\" class=\"after\"><title>{name} after: {a}</title></rect>\
             <text x=\"{tx}\" y=\"{ty}\" class=\"value\">{b} → {a}</text>",
            ty = y + 16.0,
            y2 = y + 14.0,
            tx = label_w + bar_w + 6.0,
            name = escape(&r.name),
            b = money(*before, currency),
            a = money(*after, currency),
        );
    }
    let more = priced.len() - shown.len();
    let _ = writeln!(
        out,
        "</svg><figcaption id=\"cost-caption\">Monthly cost of each service now (grey) and after the pending changes (blue){}.</figcaption></figure></section>",
        if more > 0 {
            format!("; the {BARS} costliest of {} services", priced.len())
        } else {
            String::new()
        }
    );
}

fn warnings(out: &mut String, report: &DriftReport) {
    if report.warnings.is_empty() {
        return;
    }
    out.push_str(
        "<section aria-labelledby=\"warnings-heading\"><h2 id=\"warnings-heading\">Pre-flight warnings</h2><ul>",
    );
    for f in &report.warnings {
        let _ = write!(
            out,
            "<li><code>{}</code> ({}): {}</li>",
            escape(&f.resource),
            escape(&f.location),
            escape(&f.message)
        );
    }
    out.push_str("</ul></section>\n");
}

#[cfg(test)]
mod tests;
