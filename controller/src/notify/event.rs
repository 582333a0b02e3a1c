//! What happened, read from one drift report after another: the events a pass produced and the
//! commit status each revision has earned.
//!
//! Pure. A [`Tracker`] compares each report with what it has already announced, kept in a
//! [`Ledger`] (persisted by the caller, so a restart or another replica does not announce the same
//! thing again), plus what only this process saw (the changes of an apply in flight).
//!
//! Events follow transitions, not levels: a resource that stays drifted is announced once; one
//! that drifts again after being corrected is announced again. Within one revision the same event
//! for the same resource is never sent twice in a row.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::pricing::budget::BUDGET_EXCEEDED;
use crate::report::{ChangeReport, DriftReport, ResourceReport};
use crate::status::Status;

/// What an event announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A new revision has manifest errors; nothing of it is applied.
    SourceRejected,
    /// The controller applied a revision's changes to a resource.
    Applied,
    /// An ECS service the controller changed finished rolling out.
    RolledOut,
    /// A rollout failed (ECS rolled it back) or an apply keeps failing.
    Degraded,
    /// A resource stopped matching the revision it matched.
    DriftDetected,
    /// A drifted resource matches its manifest again.
    DriftCorrected,
    /// A change was held back because it would break the service's monthly budget.
    BudgetExceeded,
    /// A degraded or over-budget resource is healthy again.
    Recovered,
}

impl EventKind {
    /// The name used in payloads and headers.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SourceRejected => "SourceRejected",
            Self::Applied => "Applied",
            Self::RolledOut => "RolledOut",
            Self::Degraded => "Degraded",
            Self::DriftDetected => "DriftDetected",
            Self::DriftCorrected => "DriftCorrected",
            Self::BudgetExceeded => "BudgetExceeded",
            Self::Recovered => "Recovered",
        }
    }
}

/// One event, in the shape webhook receivers get.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// What happened.
    pub event: EventKind,
    /// The revision it happened at (the rejected one for `SourceRejected`).
    pub revision: Option<String>,
    /// `Kind/name` (with `@account/region` outside the controller's own place); `None` for the
    /// source.
    pub resource: Option<String>,
    /// One line for people.
    pub message: String,
    /// The changes involved, redacted as plans are.
    pub changes: Vec<ChangeReport>,
    /// A machine-readable reason (`RolledBack`, `ApplyFailed`, `BudgetExceeded`, ...).
    pub reason: Option<String>,
    /// When the report that showed it was generated (RFC 3339).
    pub time: String,
}

/// A GitHub commit status state (`error` is GitHub's too, and not used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitState {
    /// Picked up, not converged yet.
    Pending,
    /// Every resource converged and rolled out.
    Success,
    /// Rejected, over budget or rolled back.
    Failure,
}

impl CommitState {
    /// GitHub's word for it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// A commit status to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    /// The commit.
    pub sha: String,
    /// Its state.
    pub state: CommitState,
    /// One line.
    pub description: String,
}

/// The last event announced for a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// The event.
    pub event: EventKind,
    /// At which revision.
    pub revision: Option<String>,
}

/// How many revisions' commit statuses and rejections are remembered (older ones are done).
const REMEMBERED_REVISIONS: usize = 50;

/// What was announced, per resource and per revision: the part of the tracker that must survive
/// a restart and be shared by replicas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Resource id -> the last event sent for it.
    #[serde(default)]
    pub resources: BTreeMap<String, Sent>,
    /// Revisions whose rejection was announced, oldest first.
    #[serde(default)]
    pub rejected: Vec<String>,
    /// Commit -> the last status set on it, oldest first.
    #[serde(default)]
    pub statuses: Vec<(String, CommitState)>,
}

impl Ledger {
    fn last(&self, id: &str) -> Option<&Sent> {
        self.resources.get(id)
    }

    fn status_of(&self, sha: &str) -> Option<CommitState> {
        self.statuses
            .iter()
            .find(|(s, _)| s == sha)
            .map(|(_, state)| *state)
    }

    fn set_status(&mut self, sha: &str, state: CommitState) {
        self.statuses.retain(|(s, _)| s != sha);
        self.statuses.push((sha.to_owned(), state));
        let excess = self.statuses.len().saturating_sub(REMEMBERED_REVISIONS);
        self.statuses.drain(..excess);
    }
}

/// What one report shows about one resource, for announcing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Held back by its budget.
    OverBudget(String),
    /// A rollout failed or applies keep failing: (reason, message).
    Degraded(String, String),
    /// An apply is in flight.
    Applying,
    /// In sync, a deployment rolling out.
    RollingOut,
    /// Differs from its manifest and nothing is being applied (detect-only, waiting, blocked).
    Drifted,
    /// Matches its manifest.
    InSync,
    /// Anything else (not observed, not owned): nothing to announce.
    Other,
}

fn condition<'a>(r: &'a ResourceReport, kind: &str) -> Option<&'a crate::status::Condition> {
    r.conditions.iter().find(|c| c.kind == kind)
}

fn phase(r: &ResourceReport) -> Phase {
    if let Some(c) = condition(r, BUDGET_EXCEEDED) {
        return Phase::OverBudget(c.message.clone());
    }
    if let Some(c) = condition(r, "Degraded").filter(|c| c.status) {
        return Phase::Degraded(c.reason.clone(), c.message.clone());
    }
    if let Some(c) = condition(r, "Applied").filter(|c| !c.status) {
        if c.is_applying() {
            return Phase::Applying;
        }
        if c.reason == "BackingOff" {
            return Phase::Degraded("ApplyFailed".into(), c.message.clone());
        }
    }
    if condition(r, "Progressing").is_some_and(|c| c.status) {
        return Phase::RollingOut;
    }
    match r.status {
        Status::Drifted | Status::Missing => Phase::Drifted,
        Status::InSync => Phase::InSync,
        Status::Progressing | Status::Error => Phase::Other,
    }
}

/// Whether the last announcement says the resource matched `revision`.
fn matched_at(last: Option<&Sent>, revision: Option<&String>) -> bool {
    last.is_some_and(|s| {
        s.revision.as_ref() == revision
            && matches!(
                s.event,
                EventKind::Applied
                    | EventKind::RolledOut
                    | EventKind::DriftCorrected
                    | EventKind::Recovered
            )
    })
}

/// Turns reports into events and commit statuses.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    /// What was announced.
    pub ledger: Ledger,
    /// Resource id -> the changes of its apply in flight (announced once it ends).
    applying: HashMap<String, Vec<ChangeReport>>,
    /// Resource id -> the revision this process last saw it match.
    matched: HashMap<String, Option<String>>,
}

impl Tracker {
    /// A tracker that has announced what `ledger` says.
    #[must_use]
    pub fn new(ledger: Ledger) -> Self {
        Self {
            ledger,
            ..Self::default()
        }
    }

    /// The events `report` shows that were not announced yet, recording them as announced.
    pub fn events(&mut self, report: &DriftReport) -> Vec<Event> {
        let mut events = Vec::new();
        let time = report.generated_at.clone();
        let revision = report.revision.clone();
        if let Some(rejected) = &report.rejected_revision
            && !self.ledger.rejected.contains(rejected)
        {
            let message = report
                .resources
                .iter()
                .find_map(|r| condition(r, "ManifestsValid").map(|c| c.message.clone()))
                .unwrap_or_else(|| format!("revision {rejected} was rejected"));
            events.push(Event {
                event: EventKind::SourceRejected,
                revision: Some(rejected.clone()),
                resource: None,
                message,
                changes: Vec::new(),
                reason: Some("RevisionRejected".into()),
                time: time.clone(),
            });
            self.ledger.rejected.push(rejected.clone());
            let excess = self
                .ledger
                .rejected
                .len()
                .saturating_sub(REMEMBERED_REVISIONS);
            self.ledger.rejected.drain(..excess);
        }
        for r in report.resources.iter().filter(|r| r.kind != "Source") {
            let id = r.id();
            let new = |event: EventKind,
                       message: String,
                       changes: Vec<ChangeReport>,
                       reason: Option<&str>| Event {
                event,
                revision: revision.clone(),
                resource: Some(id.clone()),
                message,
                changes,
                reason: reason.map(str::to_owned),
                time: time.clone(),
            };
            let last = self.ledger.last(&id).cloned();
            let repeated = |event: EventKind| {
                last.as_ref()
                    .is_some_and(|s| s.event == event && s.revision == revision)
            };
            let mut found = Vec::new();
            match phase(r) {
                Phase::OverBudget(message) => {
                    if !repeated(EventKind::BudgetExceeded) {
                        found.push(new(
                            EventKind::BudgetExceeded,
                            message,
                            r.changes.clone(),
                            Some(BUDGET_EXCEEDED),
                        ));
                    }
                }
                Phase::Degraded(reason, message) => {
                    self.applying.remove(&id);
                    if !repeated(EventKind::Degraded) {
                        found.push(new(EventKind::Degraded, message, Vec::new(), Some(&reason)));
                    }
                }
                out_of_sync @ (Phase::Applying | Phase::Drifted) => {
                    let drifted = revision.is_some()
                        && (self.matched.get(&id) == Some(&revision)
                            || matched_at(last.as_ref(), revision.as_ref()));
                    let detect_only = condition(r, "DriftPolicy").is_some();
                    if (drifted || detect_only)
                        && !repeated(EventKind::DriftDetected)
                        && !r.changes.is_empty()
                    {
                        found.push(new(
                            EventKind::DriftDetected,
                            format!("{} differs from its manifest: {}", id, paths(&r.changes)),
                            r.changes.clone(),
                            Some("Drifted"),
                        ));
                    }
                    self.matched.remove(&id);
                    if out_of_sync == Phase::Applying && !r.changes.is_empty() {
                        self.applying
                            .entry(id.clone())
                            .or_insert_with(|| r.changes.clone());
                    }
                }
                phase @ (Phase::RollingOut | Phase::InSync) => {
                    let drift_was_last = last
                        .as_ref()
                        .is_some_and(|s| s.event == EventKind::DriftDetected);
                    if let Some(changes) = self.applying.remove(&id) {
                        let (event, reason) = if drift_was_last {
                            (EventKind::DriftCorrected, "Reverted")
                        } else {
                            (EventKind::Applied, "Applied")
                        };
                        found.push(new(
                            event,
                            format!("applied {}", paths(&changes)),
                            changes,
                            Some(reason),
                        ));
                    } else if drift_was_last {
                        found.push(new(
                            EventKind::DriftCorrected,
                            format!("{id} matches its manifest again"),
                            Vec::new(),
                            Some("InSync"),
                        ));
                    }
                    let before = found
                        .last()
                        .map_or(last.as_ref().map(|s| s.event), |e| Some(e.event));
                    if phase == Phase::InSync {
                        match before {
                            Some(EventKind::Applied) if r.kind == "EcsService" => {
                                found.push(new(
                                    EventKind::RolledOut,
                                    format!("{id} runs the new revision"),
                                    Vec::new(),
                                    Some("RolloutCompleted"),
                                ));
                            }
                            Some(EventKind::Degraded | EventKind::BudgetExceeded) => {
                                found.push(new(
                                    EventKind::Recovered,
                                    format!("{id} matches its manifest and is healthy again"),
                                    Vec::new(),
                                    Some("InSync"),
                                ));
                            }
                            _ => {}
                        }
                        self.matched.insert(id.clone(), revision.clone());
                    }
                }
                Phase::Other => {}
            }
            if let Some(e) = found.last() {
                self.ledger.resources.insert(
                    id.clone(),
                    Sent {
                        event: e.event,
                        revision: revision.clone(),
                    },
                );
            }
            events.extend(found);
        }
        // Forget what left the manifests; keep the source's rejections.
        let ids: std::collections::HashSet<String> =
            report.resources.iter().map(ResourceReport::id).collect();
        self.ledger.resources.retain(|id, _| ids.contains(id));
        self.applying.retain(|id, _| ids.contains(id));
        self.matched.retain(|id, _| ids.contains(id));
        events
    }

    /// The commit status `report` earns, when it differs from the one last set: `failure` for a
    /// rejected revision, a held budget or a failed rollout; `success` once every resource is in
    /// sync with nothing rolling out; `pending` before. A finished commit never goes back to
    /// `pending`.
    pub fn commit_status(&mut self, report: &DriftReport) -> Option<CommitStatus> {
        let wanted = status_of(report)?;
        let last = self.ledger.status_of(&wanted.sha);
        let unchanged = last == Some(wanted.state);
        let regress = wanted.state == CommitState::Pending && last.is_some();
        if unchanged || regress {
            return None;
        }
        self.ledger.set_status(&wanted.sha, wanted.state);
        Some(wanted)
    }
}

/// The status a report earns for the commit it concerns.
fn status_of(report: &DriftReport) -> Option<CommitStatus> {
    if let Some(rejected) = &report.rejected_revision {
        let first = report
            .resources
            .iter()
            .find_map(|r| condition(r, "ManifestsValid"))
            .map_or_else(
                || "the manifests were rejected".to_owned(),
                |c| c.message.clone(),
            );
        return Some(CommitStatus {
            sha: rejected.clone(),
            state: CommitState::Failure,
            description: first,
        });
    }
    let sha = report.revision.clone()?;
    let resources: Vec<&ResourceReport> = report
        .resources
        .iter()
        .filter(|r| r.kind != "Source")
        .collect();
    for r in &resources {
        match phase(r) {
            Phase::OverBudget(message) => {
                return Some(CommitStatus {
                    sha,
                    state: CommitState::Failure,
                    description: format!("{}: {message}", r.id()),
                });
            }
            Phase::Degraded(reason, message) if reason != "ApplyFailed" => {
                return Some(CommitStatus {
                    sha,
                    state: CommitState::Failure,
                    description: format!("{}: {reason}: {message}", r.id()),
                });
            }
            _ => {}
        }
    }
    let converged = resources
        .iter()
        .filter(|r| phase(r) == Phase::InSync)
        .count();
    let state = if converged == resources.len() {
        CommitState::Success
    } else {
        CommitState::Pending
    };
    let description = if state == CommitState::Success {
        format!("{converged} resource(s) converged and rolled out")
    } else {
        format!("{converged} of {} resource(s) converged", resources.len())
    };
    Some(CommitStatus {
        sha,
        state,
        description,
    })
}

/// The changed paths, briefly.
fn paths(changes: &[ChangeReport]) -> String {
    const SHOWN: usize = 5;
    let mut text: Vec<&str> = changes
        .iter()
        .take(SHOWN)
        .map(|c| c.path.as_str())
        .collect();
    let more = changes.len().saturating_sub(SHOWN);
    let more = (more > 0).then(|| format!("and {more} more"));
    if let Some(more) = &more {
        text.push(more);
    }
    if text.is_empty() {
        "no field changes".to_owned()
    } else {
        text.join(", ")
    }
}

#[cfg(test)]
mod tests;
