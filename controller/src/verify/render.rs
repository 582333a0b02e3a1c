//! Renders findings as text (terminals and CI logs), JSON (machines) or Markdown (pull
//! request comments). Problems come first; passes are listed last.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Finding, Status, Summary};

/// Closing note: what no simple reading can see.
pub const SCOPE_NOTE: &str = "verify reads identity policies only: service control policies, \
resource policies and KMS key policies are not checked";

fn label(status: Status) -> &'static str {
    match status {
        Status::Problem => "PROBLEM",
        Status::NotChecked => "NOT CHECKED",
        Status::Ok => "ok",
    }
}

/// `<resource> (<file:line>) <area>: <message>`: a finding in a line of text.
fn about(f: &Finding) -> String {
    format!(
        "{} ({}) {}: {}",
        f.resource,
        f.location,
        f.area.as_str(),
        f.message
    )
}

/// One finding per line (a problem's fix on the next line), then the summary.
#[must_use]
pub fn text(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(out, "{:<11} {}", label(f.status), about(f));
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "{:<11}   fix: {fix}", "");
        }
    }
    let s = Summary::of(findings);
    let _ = writeln!(
        out,
        "{} problem(s), {} not checked, {} passed ({SCOPE_NOTE})",
        s.problems, s.not_checked, s.passed
    );
    out
}

/// Problems as warning lines under a plan or drift report (`plan --verify`); empty without any.
#[must_use]
pub fn warning_lines(problems: &[Finding]) -> String {
    let mut out = String::new();
    for f in problems {
        let _ = write!(out, "warning: {}", about(f));
        if let Some(fix) = &f.fix {
            let _ = write!(out, "; fix: {fix}");
        }
        out.push('\n');
    }
    out
}

/// Problems as a Markdown list under a plan or drift report; empty without any.
#[must_use]
pub fn markdown_warnings(problems: &[Finding]) -> String {
    if problems.is_empty() {
        return String::new();
    }
    let mut out = format!("\n#### Pre-flight warnings ({})\n\n", problems.len());
    for f in problems {
        let _ = write!(
            out,
            "- {} ({}) {}: {}",
            crate::markdown::code(&f.resource),
            cell(&f.location),
            f.area.as_str(),
            cell(&f.message)
        );
        if let Some(fix) = &f.fix {
            let _ = write!(out, " Fix: {}", cell(fix));
        }
        out.push('\n');
    }
    out
}

/// The JSON document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report<'a> {
    /// Counts.
    pub summary: Summary,
    /// Every finding.
    pub findings: &'a [Finding],
    /// What verify does not look at.
    pub scope: &'static str,
}

/// The findings as pretty JSON.
///
/// # Errors
/// When serialization fails.
pub fn json(findings: &[Finding]) -> serde_json::Result<String> {
    let mut s = serde_json::to_string_pretty(&Report {
        summary: Summary::of(findings),
        findings,
        scope: SCOPE_NOTE,
    })?;
    s.push('\n');
    Ok(s)
}

/// Finding messages quote manifest and live values: they are escaped as prose.
fn cell(s: &str) -> String {
    crate::markdown::text(s)
}

/// A Markdown section: a headline, a table of problems and not-checked findings, and the
/// passes folded away.
#[must_use]
pub fn markdown(findings: &[Finding]) -> String {
    let s = Summary::of(findings);
    let mut out = format!(
        "### Pre-flight verify: {} problem(s), {} not checked, {} passed\n\n",
        s.problems, s.not_checked, s.passed
    );
    let open: Vec<&Finding> = findings.iter().filter(|f| f.status != Status::Ok).collect();
    if !open.is_empty() {
        out.push_str("| | Resource | Area | Finding | Fix |\n|---|---|---|---|---|\n");
        for f in open {
            let icon = if f.status == Status::Problem {
                "❌"
            } else {
                "❔"
            };
            let _ = writeln!(
                out,
                "| {icon} | {} ({}) | {} | {} | {} |",
                crate::markdown::code(&f.resource),
                cell(&f.location),
                f.area.as_str(),
                cell(&f.message),
                f.fix.as_deref().map_or_else(String::new, cell)
            );
        }
        out.push('\n');
    }
    let passed: Vec<&Finding> = findings.iter().filter(|f| f.status == Status::Ok).collect();
    if !passed.is_empty() {
        out.push_str("<details><summary>Passed checks</summary>\n\n");
        for f in passed {
            let _ = writeln!(
                out,
                "- {} {}: {}",
                crate::markdown::code(&f.resource),
                f.area.as_str(),
                cell(&f.message)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let _ = writeln!(out, "_{SCOPE_NOTE}._");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

    use super::*;
    use crate::verify::Area;

    fn finding(status: Status, fix: Option<&str>) -> Finding {
        Finding {
            status,
            area: Area::Logs,
            resource: "EcsService/app".into(),
            location: "svc.yaml:4:9".into(),
            message: "log group /ecs/app | missing".into(),
            fix: fix.map(str::to_owned),
        }
    }

    #[test]
    fn renderings_name_resource_location_and_fix() {
        let findings = [
            finding(Status::Problem, Some("aws logs create-log-group")),
            finding(Status::Ok, None),
        ];
        let t = text(&findings);
        assert!(
            t.contains("PROBLEM     EcsService/app (svc.yaml:4:9) logs: log group"),
            "{t}"
        );
        assert!(t.contains("fix: aws logs create-log-group"), "{t}");
        assert!(t.contains("1 problem(s), 0 not checked, 1 passed"), "{t}");
        let md = markdown(&findings);
        assert!(
            md.contains(
                "| ❌ | `EcsService/app` (svc.yaml:4:9) | logs | log group /ecs/app \\| missing |"
            ),
            "{md}"
        );
        assert!(md.contains("<details>"), "{md}");
        let j: serde_json::Value = serde_json::from_str(&json(&findings).unwrap()).unwrap();
        assert_eq!(j["summary"]["problems"], 1);
        assert_eq!(j["findings"][0]["status"], "problem");
        assert_eq!(j["findings"][0]["fix"], "aws logs create-log-group");
        assert!(j["findings"][1].get("fix").is_none());
    }
}
