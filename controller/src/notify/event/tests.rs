#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use serde_json::json;

use super::*;
use crate::report::Summary;
use crate::status::Condition;

const R1: &str = "1111111111111111111111111111111111111111";
const R2: &str = "2222222222222222222222222222222222222222";

fn resource(kind: &str, name: &str, status: Status) -> ResourceReport {
    ResourceReport::bare(kind, name, status)
}

fn changed(mut r: ResourceReport) -> ResourceReport {
    r.changes.push(ChangeReport {
        path: "service.desiredCount".into(),
        desired: Some(json!(3)),
        actual: Some(json!(1)),
        action: "update".into(),
    });
    r
}

fn with(
    mut r: ResourceReport,
    kind: &str,
    status: bool,
    reason: &str,
    message: &str,
) -> ResourceReport {
    r.conditions
        .push(Condition::new(kind, status, reason, message));
    r
}

fn applying(r: ResourceReport) -> ResourceReport {
    let mut r = changed(ResourceReport {
        status: Status::Progressing,
        ..r
    });
    r.conditions.push(Condition::applying());
    r
}

fn rolling(r: ResourceReport) -> ResourceReport {
    with(
        ResourceReport {
            status: Status::Progressing,
            ..r
        },
        "Progressing",
        true,
        "RolloutInProgress",
        "1 of 3 running",
    )
}

fn report(revision: &str, resources: Vec<ResourceReport>) -> DriftReport {
    DriftReport {
        generated_at: "2026-12-06T00:00:00Z".into(),
        revision: Some(revision.into()),
        commit: None,
        rejected_revision: None,
        summary: Summary::of(&resources),
        resources,
        warnings: Vec::new(),
    }
}

fn svc(status: Status) -> ResourceReport {
    resource("EcsService", "web", status)
}

fn kinds(events: &[Event]) -> Vec<EventKind> {
    events.iter().map(|e| e.event).collect()
}

#[test]
fn a_deploy_is_applied_then_rolled_out_each_once() {
    let mut t = Tracker::default();
    assert!(t.events(&report(R1, vec![svc(Status::InSync)])).is_empty());
    // A new revision changes the service: an apply, not drift.
    assert!(
        t.events(&report(R2, vec![changed(svc(Status::Drifted))]))
            .is_empty()
    );
    assert!(
        t.events(&report(R2, vec![applying(svc(Status::Drifted))]))
            .is_empty()
    );
    let applied = t.events(&report(R2, vec![rolling(svc(Status::InSync))]));
    assert_eq!(kinds(&applied), [EventKind::Applied]);
    assert_eq!(applied[0].changes[0].path, "service.desiredCount");
    assert_eq!(applied[0].revision.as_deref(), Some(R2));
    assert_eq!(applied[0].resource.as_deref(), Some("EcsService/web"));
    assert!(
        t.events(&report(R2, vec![rolling(svc(Status::InSync))]))
            .is_empty()
    );
    let done = t.events(&report(R2, vec![svc(Status::InSync)]));
    assert_eq!(kinds(&done), [EventKind::RolledOut]);
    assert!(t.events(&report(R2, vec![svc(Status::InSync)])).is_empty());
}

#[test]
fn drift_at_the_same_revision_is_detected_and_corrected() {
    let mut t = Tracker::default();
    t.events(&report(R1, vec![svc(Status::InSync)]));
    // Under `enforce` the loop starts the apply in the pass that finds the drift.
    let found = t.events(&report(R1, vec![applying(svc(Status::InSync))]));
    assert_eq!(kinds(&found), [EventKind::DriftDetected]);
    assert!(
        found[0].message.contains("service.desiredCount"),
        "{}",
        found[0].message
    );
    assert!(
        t.events(&report(R1, vec![applying(svc(Status::InSync))]))
            .is_empty()
    );
    let fixed = t.events(&report(R1, vec![svc(Status::InSync)]));
    assert_eq!(kinds(&fixed), [EventKind::DriftCorrected]);
    assert_eq!(fixed[0].changes.len(), 1);
    // Drifting again is news again.
    let again = t.events(&report(R1, vec![applying(svc(Status::InSync))]));
    assert_eq!(kinds(&again), [EventKind::DriftDetected]);
}

#[test]
fn detect_only_drift_is_announced_once() {
    let mut t = Tracker::default();
    let detect = || {
        with(
            changed(svc(Status::Drifted)),
            "DriftPolicy",
            true,
            "DetectOnly",
            "reported only",
        )
    };
    assert_eq!(
        kinds(&t.events(&report(R1, vec![detect()]))),
        [EventKind::DriftDetected]
    );
    assert!(t.events(&report(R1, vec![detect()])).is_empty());
    let back = t.events(&report(R1, vec![svc(Status::InSync)]));
    assert_eq!(kinds(&back), [EventKind::DriftCorrected]);
}

#[test]
fn a_rollback_degrades_once_and_recovers() {
    let mut t = Tracker::default();
    let rolled_back = || {
        with(
            svc(Status::Error),
            "Degraded",
            true,
            "RolledBack",
            "circuit breaker: tasks failed to start; CannotPullContainerError",
        )
    };
    let down = t.events(&report(R2, vec![rolled_back()]));
    assert_eq!(kinds(&down), [EventKind::Degraded]);
    assert_eq!(down[0].reason.as_deref(), Some("RolledBack"));
    assert!(down[0].message.contains("CannotPullContainerError"));
    assert!(t.events(&report(R2, vec![rolled_back()])).is_empty());
    let up = t.events(&report(R2, vec![svc(Status::InSync)]));
    assert_eq!(kinds(&up), [EventKind::Recovered]);
}

#[test]
fn a_budget_and_a_rejected_revision_are_announced_once() {
    let mut t = Tracker::default();
    let over = || {
        with(
            changed(svc(Status::Error)),
            BUDGET_EXCEEDED,
            false,
            BUDGET_EXCEEDED,
            "the change would raise the monthly cost to 144.16 USD, above the budget of 100.00 USD",
        )
    };
    let mut rejected = report(R1, vec![over()]);
    rejected.rejected_revision = Some(R2.into());
    rejected.resources.push(with(
        resource("Source", "manifests", Status::Error),
        "ManifestsValid",
        false,
        "RevisionRejected",
        "revision 2222 was rejected with 1 error(s): web.yaml:3:1: spec.cpu: not a number",
    ));
    let events = t.events(&rejected);
    assert_eq!(
        kinds(&events),
        [EventKind::SourceRejected, EventKind::BudgetExceeded]
    );
    assert_eq!(events[0].resource, None);
    assert_eq!(events[0].revision.as_deref(), Some(R2));
    assert!(events[0].message.contains("spec.cpu"));
    assert!(events[1].message.contains("100.00 USD"));
    assert!(t.events(&rejected).is_empty());
    // The ledger alone (as after a restart) knows what was announced.
    let mut restarted = Tracker::new(t.ledger.clone());
    assert!(restarted.events(&rejected).is_empty());
    let ledger: Ledger = serde_json::from_str(&serde_json::to_string(&t.ledger).unwrap()).unwrap();
    assert_eq!(ledger, t.ledger);
}

#[test]
fn after_a_restart_a_settled_resource_announces_nothing() {
    let mut t = Tracker::default();
    t.events(&report(R1, vec![svc(Status::InSync)]));
    t.events(&report(R1, vec![applying(svc(Status::InSync))]));
    let mut restarted = Tracker::new(t.ledger.clone());
    // Still being fixed: the ledger says it was announced.
    assert!(
        restarted
            .events(&report(R1, vec![applying(svc(Status::InSync))]))
            .is_empty()
    );
    // Fixed while down: the correction is still announced, once.
    assert_eq!(
        kinds(&restarted.events(&report(R1, vec![svc(Status::InSync)]))),
        [EventKind::DriftCorrected]
    );
    assert!(
        restarted
            .events(&report(R1, vec![svc(Status::InSync)]))
            .is_empty()
    );
}

#[test]
fn commit_statuses_go_pending_then_success_and_never_back() {
    let mut t = Tracker::default();
    let pending = t
        .commit_status(&report(R1, vec![applying(svc(Status::Drifted))]))
        .unwrap();
    assert_eq!(
        (pending.sha.as_str(), pending.state),
        (R1, CommitState::Pending)
    );
    assert_eq!(pending.description, "0 of 1 resource(s) converged");
    assert_eq!(
        t.commit_status(&report(R1, vec![rolling(svc(Status::InSync))])),
        None
    );
    let done = t
        .commit_status(&report(R1, vec![svc(Status::InSync)]))
        .unwrap();
    assert_eq!(done.state, CommitState::Success);
    assert_eq!(
        t.commit_status(&report(R1, vec![svc(Status::InSync)])),
        None
    );
    // Drift later does not make the commit pending again.
    assert_eq!(
        t.commit_status(&report(R1, vec![applying(svc(Status::InSync))])),
        None
    );
}

#[test]
fn rejected_over_budget_and_rolled_back_commits_fail_with_the_reason() {
    let mut t = Tracker::default();
    let mut rejected = report(R1, vec![svc(Status::InSync)]);
    rejected.rejected_revision = Some(R2.into());
    rejected.resources.push(with(
        resource("Source", "manifests", Status::Error),
        "ManifestsValid",
        false,
        "RevisionRejected",
        "revision 2222 was rejected with 1 error(s)",
    ));
    let failed = t.commit_status(&rejected).unwrap();
    assert_eq!(
        (failed.sha.as_str(), failed.state),
        (R2, CommitState::Failure)
    );
    assert!(failed.description.contains("rejected"));

    let rolled_back = report(
        R1,
        vec![with(
            svc(Status::Error),
            "Degraded",
            true,
            "RolledBack",
            "tasks failed to start",
        )],
    );
    let failed = t.commit_status(&rolled_back).unwrap();
    assert_eq!(failed.state, CommitState::Failure);
    assert_eq!(
        failed.description,
        "EcsService/web: RolledBack: tasks failed to start"
    );

    // An apply that keeps failing is retried: the commit stays pending meanwhile.
    let retrying = report(
        "3333333333333333333333333333333333333333",
        vec![with(
            changed(svc(Status::Error)),
            "Applied",
            false,
            "BackingOff",
            "throttled",
        )],
    );
    assert_eq!(
        t.commit_status(&retrying).unwrap().state,
        CommitState::Pending
    );
}
