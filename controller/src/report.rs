//! The drift report: JSON in the DESIGN.md shape, plus text and Markdown renderings of the
//! same data.
//!
//! ```json
//! {"generatedAt": "...", "revision": "...",
//!  "summary": {"resources": 3, "inSync": 2, "drifted": 1, "missing": 0, "errors": 0},
//!  "resources": [{"kind": "EcsService", "name": "...", "region": "us-east-1", "arn": "...",
//!                 "status": "Drifted",
//!                 "changes": [{"path": "service.desiredCount", "desired": 3, "actual": 1, "action": "update"}],
//!                 "conditions": [{"type": "Owned", "status": "True", "reason": "Owned", "message": "...",
//!                                 "lastTransitionTime": "..."}]}]}
//! ```
//! Environment values and secrets are already redacted in the plan's changes.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plan::{Plan, Status};

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Resources in the report.
    pub resources: usize,
    /// In sync (including progressing).
    pub in_sync: usize,
    /// Drifted.
    pub drifted: usize,
    /// Missing.
    pub missing: usize,
    /// In error.
    pub errors: usize,
}

/// One field change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeReport {
    /// Field path.
    pub path: String,
    /// Desired value (null when unset).
    pub desired: Option<Value>,
    /// Live value (null when unset).
    pub actual: Option<Value>,
    /// `create`, `registerRevision`, `update`, `replace`, `delete`, `noOp`.
    pub action: String,
}

/// One condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionReport {
    /// Condition type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `True` or `False`.
    pub status: String,
    /// Reason.
    pub reason: String,
    /// Message.
    pub message: String,
    /// When the condition last changed status (RFC 3339).
    pub last_transition_time: String,
}

/// One resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceReport {
    /// Kind.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// Region.
    pub region: String,
    /// ARN when the resource exists.
    pub arn: Option<String>,
    /// `InSync`, `Drifted`, `Missing`, `Progressing`, `Error`.
    pub status: String,
    /// Field changes.
    pub changes: Vec<ChangeReport>,
    /// Conditions.
    pub conditions: Vec<ConditionReport>,
}

/// The drift report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    /// When it was generated (RFC 3339).
    pub generated_at: String,
    /// Source revision (e.g. a git commit) the manifests came from.
    pub revision: Option<String>,
    /// Counts.
    pub summary: Summary,
    /// Resources in plan order.
    pub resources: Vec<ResourceReport>,
}

/// A point in time in RFC 3339 (UTC, `Z`).
#[must_use]
pub fn rfc3339(at: std::time::SystemTime) -> String {
    aws_smithy_types::DateTime::from(at)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// The current time in RFC 3339.
#[must_use]
pub fn now_rfc3339() -> String {
    rfc3339(std::time::SystemTime::now())
}

impl Summary {
    /// Counts resources by their reported status (`Progressing` counts as in sync; anything
    /// else unknown counts as an error).
    #[must_use]
    pub fn of(resources: &[ResourceReport]) -> Self {
        let mut summary = Self {
            resources: resources.len(),
            ..Self::default()
        };
        for r in resources {
            match r.status.as_str() {
                "InSync" | "Progressing" => summary.in_sync += 1,
                "Drifted" => summary.drifted += 1,
                "Missing" => summary.missing += 1,
                _ => summary.errors += 1,
            }
        }
        summary
    }
}

impl ResourceReport {
    /// Keeps `lastTransitionTime` from `previous` for conditions whose status did not change.
    pub fn carry_transitions(&mut self, previous: &Self) {
        for c in &mut self.conditions {
            if let Some(old) = previous
                .conditions
                .iter()
                .find(|old| old.kind == c.kind && old.status == c.status)
            {
                c.last_transition_time.clone_from(&old.last_transition_time);
            }
        }
    }
}

fn status_str(s: Status) -> &'static str {
    match s {
        Status::InSync => "InSync",
        Status::Drifted => "Drifted",
        Status::Missing => "Missing",
        Status::Progressing => "Progressing",
        Status::Error => "Error",
    }
}

impl DriftReport {
    /// Builds the report of a plan, timestamped now.
    #[must_use]
    pub fn from_plan(plan: &Plan, revision: Option<String>) -> Self {
        Self::from_plan_at(plan, revision, now_rfc3339())
    }

    /// Builds the report of a plan with an explicit timestamp.
    #[must_use]
    pub fn from_plan_at(plan: &Plan, revision: Option<String>, generated_at: String) -> Self {
        let resources: Vec<ResourceReport> = plan
            .resources
            .iter()
            .map(|r| ResourceReport {
                kind: r.key.kind.as_str().to_owned(),
                name: r.key.name.clone(),
                region: r.region.clone(),
                arn: r.arn.clone(),
                status: status_str(r.status).to_owned(),
                changes: r
                    .changes
                    .iter()
                    .map(|c| ChangeReport {
                        path: c.path.clone(),
                        desired: c.desired.clone(),
                        actual: c.actual.clone(),
                        action: c.action.as_str().to_owned(),
                    })
                    .collect(),
                conditions: r
                    .conditions
                    .iter()
                    .map(|c| ConditionReport {
                        kind: c.kind.clone(),
                        status: c.status.clone(),
                        reason: c.reason.clone(),
                        message: c.message.clone(),
                        last_transition_time: generated_at.clone(),
                    })
                    .collect(),
            })
            .collect();
        let summary = Summary::of(&resources);
        Self {
            generated_at,
            revision,
            summary,
            resources,
        }
    }

    /// Keeps `lastTransitionTime` from `previous` for conditions whose status did not change
    /// (for a long-running controller that reports every pass).
    pub fn carry_transitions(&mut self, previous: &Self) {
        for r in &mut self.resources {
            if let Some(old) = previous
                .resources
                .iter()
                .find(|o| o.kind == r.kind && o.name == r.name && o.region == r.region)
            {
                r.carry_transitions(old);
            }
        }
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(unset)".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn marker(r: &ResourceReport) -> char {
    match r.status.as_str() {
        "Missing" => '+',
        "Drifted" if r.changes.iter().any(|c| c.action == "delete") => '-',
        "Drifted" => '~',
        "Error" => '!',
        _ => '=',
    }
}

/// Human-readable report: one line per change, e.g.
/// `~ EcsService/finfocus-plugin-aws-public  service.desiredCount: 1 -> 3`.
#[must_use]
pub fn render_text(report: &DriftReport) -> String {
    let mut out = String::new();
    for r in &report.resources {
        let m = marker(r);
        let id = format!("{}/{}", r.kind, r.name);
        match r.status.as_str() {
            "InSync" => {
                let _ = writeln!(out, "{m} {id}  in sync");
            }
            "Progressing" => {
                let _ = writeln!(out, "{m} {id}  in sync (deployment in progress)");
            }
            "Error" => {
                let message = r
                    .conditions
                    .iter()
                    .find(|c| c.status == "False")
                    .map_or("error", |c| c.message.as_str());
                let _ = writeln!(out, "{m} {id}  error: {message}");
            }
            _ => {
                for c in &r.changes {
                    if c.path.is_empty() {
                        let _ = writeln!(out, "{m} {id}  {}", c.action);
                    } else {
                        let _ = writeln!(
                            out,
                            "{m} {id}  {}: {} -> {}  ({})",
                            c.path,
                            show(c.actual.as_ref()),
                            show(c.desired.as_ref()),
                            c.action
                        );
                    }
                }
                for c in r
                    .conditions
                    .iter()
                    .filter(|c| c.kind == "ReplacementRequired" || c.kind == "DriftPolicy")
                {
                    let _ = writeln!(out, "  {id}: {}", c.message);
                }
            }
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{} resource(s): {} in sync, {} drifted, {} missing, {} error(s)",
        s.resources, s.in_sync, s.drifted, s.missing, s.errors
    );
    if s.drifted == 0 && s.missing == 0 && s.errors == 0 {
        out.push_str("No changes.\n");
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown report: a summary line and a table of changes (for pull request comments).
#[must_use]
pub fn render_markdown(report: &DriftReport) -> String {
    let s = &report.summary;
    let mut out = String::from("### Drift report\n\n");
    if let Some(rev) = &report.revision {
        let _ = writeln!(
            out,
            "Revision `{rev}`, generated {}.\n",
            report.generated_at
        );
    } else {
        let _ = writeln!(out, "Generated {}.\n", report.generated_at);
    }
    let _ = writeln!(
        out,
        "**{}** resources: {} in sync, {} drifted, {} missing, {} errors.\n",
        s.resources, s.in_sync, s.drifted, s.missing, s.errors
    );
    out.push_str("| Resource | Region | Status | Field | Actual | Desired | Action |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for r in &report.resources {
        let id = md_cell(&format!("{}/{}", r.kind, r.name));
        if r.changes.is_empty() {
            let note = r
                .conditions
                .iter()
                .find(|c| c.status == "False")
                .map(|c| md_cell(&c.message))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{id}` | {} | {} | {note} | | | |",
                r.region, r.status
            );
        }
        for c in &r.changes {
            let _ = writeln!(
                out,
                "| `{id}` | {} | {} | `{}` | `{}` | `{}` | {} |",
                r.region,
                r.status,
                md_cell(&c.path),
                md_cell(&show(c.actual.as_ref())),
                md_cell(&show(c.desired.as_ref())),
                c.action
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use serde_json::json;

    use super::*;
    use crate::diff::{Change, ChangeAction};
    use crate::manifest::{DriftPolicy, Kind, ResourceKey};
    use crate::plan::ResourcePlan;

    fn sample() -> Plan {
        Plan {
            resources: vec![ResourcePlan {
                key: ResourceKey::new(Kind::EcsService, "finfocus-plugin-aws-public"),
                region: "us-east-1".into(),
                arn: Some("arn:aws:ecs:us-east-1:1:service/c/s".into()),
                status: Status::Drifted,
                changes: vec![Change::new(
                    "service.desiredCount".into(),
                    Some(json!(3)),
                    Some(json!(1)),
                    ChangeAction::Update,
                )],
                actions: vec![],
                conditions: vec![],
                drift_policy: DriftPolicy::Enforce,
                blocked: None,
            }],
            errors: vec![],
        }
    }

    #[test]
    fn json_has_the_design_shape() {
        let report =
            DriftReport::from_plan_at(&sample(), Some("abc".into()), "2025-01-01T00:00:00Z".into());
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(
            v["summary"],
            json!({"resources": 1, "inSync": 0, "drifted": 1, "missing": 0, "errors": 0})
        );
        assert_eq!(v["revision"], json!("abc"));
        assert_eq!(v["generatedAt"], json!("2025-01-01T00:00:00Z"));
        let r = &v["resources"][0];
        assert_eq!(r["kind"], json!("EcsService"));
        assert_eq!(r["status"], json!("Drifted"));
        assert_eq!(
            r["changes"][0],
            json!({"path": "service.desiredCount", "desired": 3, "actual": 1, "action": "update"})
        );
    }

    #[test]
    fn text_names_field_and_values() {
        let report = DriftReport::from_plan(&sample(), None);
        let text = render_text(&report);
        assert!(
            text.contains("~ EcsService/finfocus-plugin-aws-public  service.desiredCount: 1 -> 3"),
            "{text}"
        );
        let md = render_markdown(&report);
        assert!(
            md.contains("| `service.desiredCount` | `1` | `3` | update |"),
            "{md}"
        );
    }

    #[test]
    fn transitions_carry_over_when_status_is_unchanged() {
        let mut plan = sample();
        plan.resources[0].conditions.push(crate::plan::Condition {
            kind: "Owned".into(),
            status: "True".into(),
            reason: "Owned".into(),
            message: String::new(),
        });
        let old = DriftReport::from_plan_at(&plan, None, "t1".into());
        let mut new = DriftReport::from_plan_at(&plan, None, "t2".into());
        new.carry_transitions(&old);
        assert_eq!(new.resources[0].conditions[0].last_transition_time, "t1");
    }
}
