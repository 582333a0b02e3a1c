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
//! Secrets and secret environment values are already redacted in the plan's changes.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::markdown;
use crate::plan::Plan;
use crate::pricing::cost::{self, CostTotal, ServiceCost};
pub use crate::status::rfc3339;
use crate::status::{Condition, Status, Transitions};

/// Counts by status, and the total monthly cost when services were priced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Monthly cost of the priced services before and after the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostTotal>,
}

/// A commit as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSummary {
    /// Committer time (RFC 3339).
    pub time: String,
    /// The first line of its message.
    pub subject: String,
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

/// One resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceReport {
    /// Kind, name and, where it is not the controller's own, place (`EcsService/web@prod/eu-west-1`):
    /// what identifies the resource when the same name lives in several places.
    #[serde(default)]
    pub id: String,
    /// Kind.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The `AwsAccount` it lives in (absent: the controller's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Region.
    pub region: String,
    /// ARN when the resource exists.
    pub arn: Option<String>,
    /// `InSync`, `Drifted`, `Missing`, `Progressing`, `Error`.
    pub status: Status,
    /// Field changes.
    pub changes: Vec<ChangeReport>,
    /// Conditions, each stamped with its transition time.
    pub conditions: Vec<Condition>,
    /// Monthly cost before and after the plan (`EcsService`, when priced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<ServiceCost>,
    /// Where its manifest is (`file:line:column`), when the report was made from manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// The rollout `run` follows, while it goes on or when it failed (`EcsService`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutReport>,
}

/// Where a rollout stands: from the service deployment ECS reports for it, or else from the
/// service's primary deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutReport {
    /// The service deployment's status (`IN_PROGRESS`, `ROLLBACK_SUCCESSFUL`, ...) or the primary
    /// deployment's rollout state (`IN_PROGRESS`, `FAILED`).
    pub state: String,
    /// `ROLLING`, `BLUE_GREEN`, `CANARY`, `LINEAR` (service deployments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// The lifecycle stage (service deployments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Tasks of the new revision running.
    pub running: i32,
    /// Tasks of the new revision wanted.
    pub desired: i32,
    /// Tasks of the new revision that failed to start or stopped.
    #[serde(default)]
    pub failed: i32,
    /// Production traffic on the new revision, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_traffic_percent: Option<f64>,
    /// Seconds of bake time left, while baking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_left_seconds: Option<u64>,
    /// Why it failed: the last stopped tasks' reasons, then the service's events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<String>,
}

/// The drift report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    /// When it was generated (RFC 3339).
    pub generated_at: String,
    /// Source revision (e.g. a git commit) the manifests came from.
    pub revision: Option<String>,
    /// When the revision in force was committed and its subject (git sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitSummary>,
    /// The newest revision, when it was rejected (`revision` stays the one in force).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_revision: Option<String>,
    /// Counts.
    pub summary: Summary,
    /// Resources in plan order.
    pub resources: Vec<ResourceReport>,
    /// Pre-flight problems found by `--verify` (see [`crate::verify`]); they do not change the
    /// plan or its exit code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::verify::Finding>,
}

/// The current time in RFC 3339.
#[must_use]
pub fn now_rfc3339() -> String {
    rfc3339(std::time::SystemTime::now())
}

impl Summary {
    /// Counts resources by their reported status (`Progressing` counts as in sync).
    #[must_use]
    pub fn of(resources: &[ResourceReport]) -> Self {
        let mut summary = Self {
            resources: resources.len(),
            ..Self::default()
        };
        for r in resources {
            match r.status {
                Status::InSync | Status::Progressing => summary.in_sync += 1,
                Status::Drifted => summary.drifted += 1,
                Status::Missing => summary.missing += 1,
                Status::Error => summary.errors += 1,
            }
        }
        if resources.iter().any(|r| r.cost.is_some()) {
            summary.cost = Some(CostTotal::of(
                resources.iter().filter_map(|r| r.cost.as_ref()),
            ));
        }
        summary
    }
}

impl DriftReport {
    /// Builds the report of a plan, timestamped now.
    #[must_use]
    pub fn from_plan(plan: &Plan, revision: Option<String>) -> Self {
        Self::from_plan_at(plan, revision, std::time::SystemTime::now())
    }

    /// Builds the report of a plan generated `at`; conditions not stamped yet get that time.
    #[must_use]
    pub fn from_plan_at(plan: &Plan, revision: Option<String>, at: std::time::SystemTime) -> Self {
        let resources: Vec<ResourceReport> = plan
            .resources
            .iter()
            .map(|r| ResourceReport {
                id: r.key.to_string(),
                kind: r.key.kind.as_str().to_owned(),
                name: r.key.name.clone(),
                account: r.key.account.clone(),
                region: r.region.clone(),
                arn: r.arn.clone(),
                status: r.status,
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
                    .map(|c| Condition {
                        last_transition_time: Some(c.last_transition_time.unwrap_or(at)),
                        ..c.clone()
                    })
                    .collect(),
                cost: None,
                manifest: None,
                rollout: None,
            })
            .collect();
        let summary = Summary::of(&resources);
        Self {
            generated_at: rfc3339(at),
            revision,
            commit: None,
            rejected_revision: None,
            summary,
            resources,
            warnings: Vec::new(),
        }
    }

    /// Adds each `EcsService`'s monthly cost from `costs` (by key) and recounts the summary.
    pub fn set_costs(&mut self, costs: &crate::pricing::Costs) {
        for r in &mut self.resources {
            if r.kind == crate::manifest::Kind::EcsService.as_str() {
                r.cost = costs.get(&r.id).cloned();
            }
        }
        self.summary = Summary::of(&self.resources);
    }

    /// Keeps `lastTransitionTime` from the previous report `book` saw for conditions whose
    /// status and reason did not change (for a long-running controller that reports every
    /// pass).
    pub fn carry_transitions(&mut self, book: &mut Transitions, now: std::time::SystemTime) {
        book.stamp(
            self.resources
                .iter_mut()
                .map(|r| (format!("{}/{}", r.id(), r.region), &mut r.conditions)),
            now,
        );
    }
}

#[cfg(test)]
impl ResourceReport {
    /// A resource with a status and nothing else to report, for tests.
    pub(crate) fn bare(kind: &str, name: &str, status: Status) -> Self {
        Self {
            id: format!("{kind}/{name}"),
            kind: kind.into(),
            name: name.into(),
            account: None,
            region: "us-east-1".into(),
            arn: None,
            status,
            changes: Vec::new(),
            conditions: Vec::new(),
            cost: None,
            manifest: None,
            rollout: None,
        }
    }
}

impl ResourceReport {
    /// Whether `run` is applying it now ([`Condition::applying`]).
    #[must_use]
    pub fn is_applying(&self) -> bool {
        self.conditions.iter().any(Condition::is_applying)
    }

    /// [`ResourceReport::id`], or `Kind/name` in a report written before it was kept.
    #[must_use]
    pub fn id(&self) -> String {
        if self.id.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            self.id.clone()
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
    match r.status {
        Status::Missing => '+',
        Status::Drifted if r.changes.iter().any(|c| c.action == "delete") => '-',
        Status::Drifted => '~',
        Status::Error => '!',
        Status::InSync | Status::Progressing => '=',
    }
}

/// Human-readable report: one line per change, e.g.
/// `~ EcsService/finfocus-plugin-aws-public  service.desiredCount: 1 -> 3`.
#[must_use]
pub fn render_text(report: &DriftReport) -> String {
    let mut out = String::new();
    for r in &report.resources {
        let m = marker(r);
        let id = r.id();
        match r.status {
            Status::InSync => {
                let _ = writeln!(out, "{m} {id}  in sync");
            }
            Status::Progressing if r.is_applying() => {
                let mut actions: Vec<&str> = r.changes.iter().map(|c| c.action.as_str()).collect();
                actions.sort_unstable();
                actions.dedup();
                let what = if actions.is_empty() {
                    String::new()
                } else {
                    format!(": {}", actions.join(", "))
                };
                let _ = writeln!(out, "~ {id}  applying{what}");
            }
            Status::Progressing => {
                let rollout = r.rollout.as_ref().map_or_else(String::new, |ro| {
                    format!(": {}, {} of {} running", ro.state, ro.running, ro.desired)
                });
                let _ = writeln!(out, "{m} {id}  in sync (deployment in progress{rollout})");
            }
            Status::Error => {
                let message = r
                    .conditions
                    .iter()
                    .find(|c| !c.status)
                    .map_or("error", |c| c.message.as_str());
                let _ = writeln!(out, "{m} {id}  error: {message}");
            }
            Status::Drifted | Status::Missing => {
                for c in &r.changes {
                    if c.path.is_empty() {
                        let _ = writeln!(out, "{m} {id}  {}", c.action);
                        for (field, value) in created(c) {
                            let _ = writeln!(out, "      {field}: {value}");
                        }
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
                if let Some(c) = &r.cost {
                    let _ = writeln!(out, "  {id}: cost: {}", cost::describe(c));
                }
            }
        }
        for saving in r.cost.iter().flat_map(|c| &c.savings) {
            let _ = writeln!(out, "  {id}: {}", saving_line(saving));
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{} resource(s): {} in sync, {} drifted, {} missing, {} error(s)",
        s.resources, s.in_sync, s.drifted, s.missing, s.errors
    );
    if let Some(total) = &s.cost {
        let _ = writeln!(out, "{}", total_line(total));
        if total.savings > 0.0 {
            let _ = writeln!(out, "{}", savings_total_line(total));
        }
    }
    let applying = report.resources.iter().filter(|r| r.is_applying()).count();
    if applying > 0 {
        let _ = writeln!(out, "Applying {applying} resource(s).");
    } else if s.drifted == 0 && s.missing == 0 && s.errors == 0 {
        out.push_str("No changes.\n");
    }
    out.push_str(&crate::verify::render::warning_lines(&report.warnings));
    out
}

/// `cost total: 72.08 -> 144.16 USD/month (+72.08)`, with the services left out.
fn total_line(total: &CostTotal) -> String {
    let mut line = format!(
        "cost total: {:.2} -> {:.2} {}/month ({})",
        total.before,
        total.after,
        total.currency,
        cost::signed(total.delta)
    );
    if total.unknown > 0 {
        let _ = write!(line, "; {} service(s) unknown, not counted", total.unknown);
    }
    line
}

/// `could save 28.82 USD/month: Change ... (needs arm64 images; id aws-public:...)`.
fn saving_line(s: &cost::Saving) -> String {
    format!(
        "could save {:.2} {}/month: {} ({}id {})",
        s.monthly,
        cost::CURRENCY,
        s.description,
        if s.needs_arm64_images {
            "needs arm64 images; "
        } else {
            ""
        },
        s.id
    )
}

/// `savings available: 28.82 USD/month`.
fn savings_total_line(total: &CostTotal) -> String {
    format!(
        "savings available: {:.2} {}/month",
        total.savings, total.currency
    )
}

/// The Markdown cost cell of a resource: `72.08 → 144.16 (+72.08)`.
fn md_cost(r: &ResourceReport) -> String {
    match &r.cost {
        None => String::new(),
        Some(c) => match (c.before, c.after) {
            (Some(b), Some(a)) => format!("{b:.2} → {a:.2} ({})", cost::signed(a - b)),
            _ => "unknown".to_owned(),
        },
    }
}

/// The fields a `create` change summarizes (see `plan::creation`), as `(field, text)`.
fn created(c: &ChangeReport) -> Vec<(&str, String)> {
    let Some(Value::Object(fields)) = &c.desired else {
        return Vec::new();
    };
    fields
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| show(Some(i)))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => show(Some(other)),
            };
            (k.as_str(), text)
        })
        .collect()
}

/// Markdown report (for pull request comments): a summary line, one table row per resource, then
/// the changes grouped under a heading per resource: what a create makes as a list, field changes
/// as a table.
#[must_use]
pub fn render_markdown(report: &DriftReport) -> String {
    let s = &report.summary;
    let mut out = String::from("### Drift report\n\n");
    if let Some(rev) = &report.revision {
        let _ = writeln!(
            out,
            "Revision {}, generated {}.\n",
            markdown::code(rev),
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
    out.push_str("| Resource | Region | Status | Changes | Cost (USD/month) |\n");
    out.push_str("|---|---|---|---|---|\n");
    for r in &report.resources {
        let id = markdown::code(&r.id());
        let note = if r.changes.is_empty() {
            r.conditions
                .iter()
                .find(|c| !c.status)
                .map(|c| markdown::text(&c.message))
                .unwrap_or_default()
        } else if r.changes.iter().any(|c| c.path.is_empty()) {
            r.changes
                .iter()
                .find(|c| c.path.is_empty())
                .map(|c| c.action.clone())
                .unwrap_or_default()
        } else {
            format!("{} field(s)", r.changes.len())
        };
        let _ = writeln!(
            out,
            "| {id} | {} | {} | {note} | {} |",
            markdown::text(&r.region),
            r.status,
            md_cost(r)
        );
    }
    for r in report.resources.iter().filter(|r| !r.changes.is_empty()) {
        let id = markdown::code(&r.id());
        let _ = writeln!(
            out,
            "\n#### {id} ({}, {})\n",
            r.status,
            markdown::text(&r.region)
        );
        let (whole, fields): (Vec<&ChangeReport>, Vec<&ChangeReport>) =
            r.changes.iter().partition(|c| c.path.is_empty());
        let listed = !whole.is_empty();
        for c in whole {
            let _ = writeln!(out, "**{}**\n", c.action);
            for (field, value) in created(c) {
                let _ = writeln!(
                    out,
                    "- {}: {}",
                    markdown::text(field),
                    markdown::code(&value)
                );
            }
        }
        if !fields.is_empty() {
            // A table right under a list item would read as the item's continuation.
            if listed {
                out.push('\n');
            }
            out.push_str("| Field | Actual | Desired | Action |\n|---|---|---|---|\n");
            for c in fields {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    markdown::code(&c.path),
                    markdown::code(&show(c.actual.as_ref())),
                    markdown::code(&show(c.desired.as_ref())),
                    c.action
                );
            }
        }
        for c in r
            .conditions
            .iter()
            .filter(|c| c.kind == "ReplacementRequired" || c.kind == "DriftPolicy")
        {
            let _ = writeln!(out, "\n> {}", markdown::text(&c.message));
        }
    }
    let with_savings: Vec<&ResourceReport> = report
        .resources
        .iter()
        .filter(|r| r.cost.as_ref().is_some_and(|c| !c.savings.is_empty()))
        .collect();
    if !with_savings.is_empty() {
        out.push_str("\n#### Savings\n\n");
        out.push_str("| Resource | USD/month | Change | Id |\n|---|---|---|---|\n");
        for r in with_savings {
            let id = markdown::code(&r.id());
            for saving in r.cost.iter().flat_map(|c| &c.savings) {
                let change = if saving.needs_arm64_images {
                    format!("{} (needs arm64 images)", saving.description)
                } else {
                    saving.description.clone()
                };
                let _ = writeln!(
                    out,
                    "| {id} | {:.2} | {} | {} |",
                    saving.monthly,
                    markdown::text(&change),
                    markdown::code(&saving.id)
                );
            }
        }
    }
    if let Some(total) = &s.cost {
        let _ = writeln!(out, "\n**{}**", total_line(total));
        if total.savings > 0.0 {
            let _ = writeln!(out, "\n**{}**", savings_total_line(total));
        }
    }
    out.push_str(&crate::verify::render::markdown_warnings(&report.warnings));
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

    #[test]
    fn markdown_holds_no_live_html_or_links_from_values() {
        let hostile = [
            "`</code><img src=x onerror=alert(1)>`",
            "<img src=https://evil.example/p.png>",
            "[click](https://evil.example) ![i](https://evil.example/i.png)",
            "``` fenced ```",
            "<https://evil.example>",
            "a|b\n# heading",
        ];
        let mut plan = sample();
        plan.resources[0].region = "<b>us-east-1</b>".into();
        plan.resources[0].key = ResourceKey::new(Kind::EcsService, "svc`<i>x</i>`");
        for (i, value) in hostile.iter().enumerate() {
            plan.resources[0].changes.push(Change::new(
                format!("taskDefinition.containerDefinitions[app].environment[V{i}].value"),
                Some(json!(value)),
                Some(json!(format!("[old]({value})"))),
                ChangeAction::RegisterRevision,
            ));
        }
        plan.resources[0].changes.push(Change::new(
            String::new(),
            Some(json!({"containers": ["app: <img src=x> [l](http://e)"]})),
            None,
            ChangeAction::Create,
        ));
        plan.resources[0].conditions.push(Condition::new(
            "DriftPolicy",
            false,
            "x",
            "value <script>alert(1)</script> [x](http://e)",
        ));
        let md = render_markdown(&DriftReport::from_plan(&plan, Some("`<b>`".into())));
        use pulldown_cmark::{Event, Options, Parser, Tag};
        for event in Parser::new_ext(&md, Options::ENABLE_TABLES) {
            match event {
                Event::Html(h) | Event::InlineHtml(h) => panic!("live HTML {h:?} in:\n{md}"),
                Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                    panic!("live link {dest_url:?} in:\n{md}")
                }
                _ => {}
            }
        }
        // Every value is still shown, verbatim inside its code span.
        assert!(md.contains("`</code><img src=x onerror=alert(1)>`"), "{md}");
    }

    fn at(secs: u64) -> std::time::SystemTime {
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
    }

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
                task_definition_fingerprint: None,
            }],
            errors: vec![],
        }
    }

    #[test]
    fn json_has_the_design_shape() {
        let report = DriftReport::from_plan_at(&sample(), Some("abc".into()), at(1_735_689_600));
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
    fn text_tells_a_resource_being_applied_from_one_rolling_out() {
        let mut report = DriftReport::from_plan(&sample(), None);
        let mut rolling = ResourceReport::bare("EcsService", "web", Status::Progressing);
        rolling.rollout = Some(RolloutReport {
            state: "IN_PROGRESS".into(),
            running: 1,
            desired: 2,
            ..RolloutReport::default()
        });
        report.resources.push(rolling);
        report.summary = Summary::of(&report.resources);
        let text = render_text(&report);
        assert!(
            text.contains(
                "= EcsService/web  in sync (deployment in progress: IN_PROGRESS, 1 of 2 running)"
            ),
            "{text}"
        );

        // What `run` is applying is neither in sync nor "No changes".
        let applying = &mut report.resources[0];
        applying.status = Status::Progressing;
        applying.conditions.push(Condition::applying());
        report.summary = Summary::of(&report.resources);
        let text = render_text(&report);
        assert!(
            text.contains("~ EcsService/finfocus-plugin-aws-public  applying: update\n"),
            "{text}"
        );
        assert!(text.contains("Applying 1 resource(s).\n"), "{text}");
        assert!(!text.contains("No changes."), "{text}");
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
    fn a_create_shows_what_it_makes_and_markdown_groups_per_resource() {
        let mut plan = sample();
        plan.resources.push(ResourcePlan {
            key: ResourceKey::new(Kind::EcsService, "web"),
            status: Status::Missing,
            arn: None,
            changes: vec![Change::new(
                String::new(),
                Some(json!({"family": "web", "cpu": "256",
                            "containers": ["app: nginx:1 (ports 8001/tcp, 9090/tcp)"],
                            "desiredCount": 2, "discovery": "web.finfocus.local"})),
                None,
                ChangeAction::Create,
            )],
            ..plan.resources[0].clone()
        });
        let report = DriftReport::from_plan(&plan, None);
        let text = render_text(&report);
        assert!(text.contains("+ EcsService/web  create\n      "), "{text}");
        assert!(text.contains("      family: web\n"), "{text}");
        assert!(
            text.contains("      containers: app: nginx:1 (ports 8001/tcp, 9090/tcp)\n"),
            "{text}"
        );
        assert!(
            text.contains("      discovery: web.finfocus.local\n"),
            "{text}"
        );
        assert!(!text.contains("(unset) -> (unset)"), "{text}");
        let md = render_markdown(&report);
        assert!(
            md.contains("| `EcsService/web` | us-east-1 | Missing | create |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| `EcsService/finfocus-plugin-aws-public` | us-east-1 | Drifted | 1 field(s) |"
            ),
            "{md}"
        );
        // One heading per resource, its changes under it.
        let drifted = md
            .find("#### `EcsService/finfocus-plugin-aws-public` (Drifted, us-east-1)")
            .unwrap();
        let created = md
            .find("#### `EcsService/web` (Missing, us-east-1)")
            .unwrap();
        let field = md.find("| `service.desiredCount` |").unwrap();
        assert!(drifted < field && field < created, "{md}");
        assert!(md[created..].contains("- desiredCount: `2`"), "{md}");
        assert!(md[created..].contains("- family: `web`"), "{md}");
        assert!(!md.contains("(unset)"), "{md}");
    }

    #[test]
    fn a_create_with_field_changes_is_a_list_then_a_table() {
        let mut plan = sample();
        let create = Change::new(
            String::new(),
            Some(json!({"family": "web"})),
            None,
            ChangeAction::Create,
        );
        plan.resources[0].changes.insert(0, create);
        let md = render_markdown(&DriftReport::from_plan(&plan, None));
        use pulldown_cmark::{Event, Options, Parser, Tag};
        let tables = Parser::new_ext(&md, Options::ENABLE_TABLES)
            .filter(|e| matches!(e, Event::Start(Tag::Table(_))))
            .count();
        // The summary table and the resource's field table.
        assert_eq!(tables, 2, "{md}");
    }

    #[test]
    fn transitions_carry_over_when_status_is_unchanged() {
        let mut plan = sample();
        plan.resources[0]
            .conditions
            .push(Condition::new("Owned", true, "Owned", ""));
        let mut book = Transitions::default();
        let mut old = DriftReport::from_plan_at(&plan, None, at(1));
        old.carry_transitions(&mut book, at(1));
        let mut new = DriftReport::from_plan_at(&plan, None, at(2));
        new.carry_transitions(&mut book, at(2));
        assert_eq!(
            new.resources[0].conditions[0].last_transition_time,
            Some(at(1))
        );
        plan.resources[0].conditions[0].status = false;
        let mut changed = DriftReport::from_plan_at(&plan, None, at(3));
        changed.carry_transitions(&mut book, at(3));
        assert_eq!(
            changed.resources[0].conditions[0].last_transition_time,
            Some(at(3))
        );
    }

    #[test]
    fn summary_counts_typed_statuses() {
        let mut plan = sample();
        let mut second = plan.resources[0].clone();
        second.status = Status::Progressing;
        plan.resources.push(second);
        let report = DriftReport::from_plan(&plan, None);
        assert_eq!(
            report.summary,
            Summary {
                resources: 2,
                in_sync: 1,
                drifted: 1,
                missing: 0,
                errors: 0,
                cost: None,
            }
        );
    }

    #[test]
    fn costs_show_in_every_format() {
        let mut report = DriftReport::from_plan_at(&sample(), None, at(0));
        let costs: crate::pricing::Costs = [(
            "EcsService/finfocus-plugin-aws-public".to_owned(),
            ServiceCost::new(Some(72.0802), Some(216.2406)),
        )]
        .into();
        report.set_costs(&costs);
        let text = render_text(&report);
        assert!(
            text.contains("cost: 72.08 -> 216.24 USD/month (+144.16)"),
            "{text}"
        );
        assert!(
            text.contains("cost total: 72.08 -> 216.24 USD/month (+144.16)"),
            "{text}"
        );
        let md = render_markdown(&report);
        assert!(md.contains("| Cost (USD/month) |"), "{md}");
        assert!(md.contains("| 72.08 → 216.24 (+144.16) |"), "{md}");
        assert!(
            md.contains("**cost total: 72.08 -> 216.24 USD/month (+144.16)**"),
            "{md}"
        );
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(
            v["resources"][0]["cost"],
            json!({"before": 72.08, "after": 216.24, "delta": 144.16, "currency": "USD", "quality": null})
        );
        assert_eq!(
            v["summary"]["cost"],
            json!({"before": 72.08, "after": 216.24, "delta": 144.16, "currency": "USD", "unknown": 0})
        );
        // Savings: a line per recommendation and a total in text, a table in Markdown, the
        // list and the total in JSON.
        let mut with_saving = costs["EcsService/finfocus-plugin-aws-public"].clone();
        with_saving.savings = vec![crate::pricing::cost::Saving {
            id: "aws-public:us-east-1:fargate-graviton:0123".into(),
            description: "Change ecs-service 2vCPU-4GB-linux-x86_64 to 2vCPU-4GB-linux-arm64: 28.82 USD less per month".into(),
            monthly: 28.82,
            needs_arm64_images: true,
        }];
        report.set_costs(
            &[(
                "EcsService/finfocus-plugin-aws-public".to_owned(),
                with_saving,
            )]
            .into(),
        );
        let text = render_text(&report);
        assert!(
            text.contains("could save 28.82 USD/month: Change ecs-service 2vCPU-4GB-linux-x86_64 to 2vCPU-4GB-linux-arm64: 28.82 USD less per month (needs arm64 images; id aws-public:us-east-1:fargate-graviton:0123)"),
            "{text}"
        );
        assert!(
            text.contains("savings available: 28.82 USD/month"),
            "{text}"
        );
        let md = render_markdown(&report);
        assert!(md.contains("#### Savings"), "{md}");
        assert!(md.contains("| 28.82 |"), "{md}");
        assert!(md.contains("needs arm64 images"), "{md}");
        assert!(
            md.contains("**savings available: 28.82 USD/month**"),
            "{md}"
        );
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(v["resources"][0]["cost"]["savings"][0]["monthly"], 28.82);
        assert_eq!(v["summary"]["cost"]["savings"], 28.82);
        // Unpriced reports keep their shape.
        let plain =
            serde_json::to_value(DriftReport::from_plan_at(&sample(), None, at(0))).unwrap();
        assert!(plain["summary"].get("cost").is_none());
        assert!(plain["resources"][0].get("cost").is_none());
    }
}
