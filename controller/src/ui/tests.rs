#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use serde_json::json;

use super::*;
use crate::pricing::cost::ServiceCost;
use crate::report::Summary;
use crate::status::Condition;

fn resource(kind: &str, name: &str, status: Status) -> ResourceReport {
    ResourceReport {
        manifest: Some(format!("manifests/{name}.yaml:3:9")),
        ..ResourceReport::bare(kind, name, status)
    }
}

fn report(resources: Vec<ResourceReport>) -> DriftReport {
    DriftReport {
        generated_at: "2026-12-06T10:00:00Z".into(),
        revision: Some("abc123".into()),
        commit: None,
        rejected_revision: None,
        summary: Summary::of(&resources),
        resources,
        warnings: Vec::new(),
    }
}

fn page_of(report: &DriftReport) -> String {
    page(&Page {
        instance: "prod",
        resync: Duration::from_secs(300),
        report: Some(report),
    })
}

#[test]
fn every_resource_has_a_row_with_its_status_in_words() {
    let mut web = resource("EcsService", "web", Status::Drifted);
    web.changes.push(ChangeReport {
        path: "service.desiredCount".into(),
        desired: Some(json!(3)),
        actual: Some(json!(1)),
        action: "update".into(),
    });
    web.conditions.push(Condition::new(
        "Degraded",
        true,
        "RolledBack",
        "tasks <failed>",
    ));
    web.cost = Some(ServiceCost::new(Some(10.0), Some(30.0)));
    let mut sum = report(vec![resource("EcsCluster", "main", Status::InSync), web]);
    sum.summary = Summary::of(&sum.resources);
    sum.commit = Some(crate::report::CommitSummary {
        time: "2026-12-06T09:58:00Z".into(),
        subject: "Scale <web> to 3".into(),
    });
    let html = page_of(&sum);
    assert!(html.contains("Scale &lt;web&gt; to 3"), "{html}");
    assert!(
        html.contains("<time datetime=\"2026-12-06T09:58:00Z\">2026-12-06 09:58:00 UTC</time>")
    );
    // The next pass: at the latest one resync (5 min) after the last.
    assert!(
        html.contains(
            "by <time datetime=\"2026-12-06T10:05:00Z\">2026-12-06 10:05:00 UTC</time>: every 5 min"
        ),
        "{html}"
    );
    assert!(
        html.contains("data-id=\"EcsCluster/main\" data-status=\"InSync\""),
        "{html}"
    );
    assert!(html.contains("data-id=\"EcsService/web\" data-status=\"Drifted\""));
    assert!(html.contains("<span aria-hidden=\"true\">≠ </span>Drifted</span>"));
    // Opening the row shows the drifted field, the manifest, and the condition (escaped).
    assert!(html.contains(
        "<code>service.desiredCount</code></th><td><code>3</code></td><td><code>1</code>"
    ));
    assert!(html.contains("manifests/web.yaml:3:9"));
    assert!(html.contains("tasks &lt;failed&gt;"));
    // Costs: the row, the total and a bar per priced service.
    assert!(
        html.contains("30.00 USD</td><td class=\"num\">+20.00 USD"),
        "{html}"
    );
    assert!(html.contains("10.00 USD now, 30.00 USD after pending changes (+20.00 USD)"));
    assert!(html.contains("<title>web after: 30.00 USD</title>"));
    assert!(html.contains("2 of 2 shown"));
}

#[test]
fn the_page_keeps_to_its_content_security_policy() {
    let mut hostile = resource("EcsService", "x\"><script>alert(1)</script>", Status::Error);
    hostile.conditions.push(Condition::new(
        "Applied",
        false,
        "BackingOff",
        "<img src=x onerror=alert(1)>",
    ));
    let html = page_of(&report(vec![hostile]));
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    // Only the one external script; no inline script, style or handler for CSP to refuse.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script src=\"ui/app.js\" defer></script>"));
    assert!(!html.contains(" style="));
    assert!(!html.contains("<style"));
    // Handlers appear only as escaped text.
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains(" onclick="));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn before_the_first_pass_the_page_says_so() {
    let html = page(&Page {
        instance: "prod",
        resync: Duration::from_secs(60),
        report: None,
    });
    assert!(html.contains("No report yet"));
    assert!(html.contains("<html lang=\"en\">"));
}

#[test]
fn opening_a_service_shows_its_rollout_and_why_it_failed() {
    let mut baking = resource("EcsService", "api", Status::Progressing);
    baking.rollout = Some(RolloutReport {
        state: "IN_PROGRESS".into(),
        strategy: Some("CANARY".into()),
        stage: Some("BAKE_TIME".into()),
        running: 2,
        desired: 3,
        production_traffic_percent: Some(12.5),
        bake_left_seconds: Some(240),
        ..RolloutReport::default()
    });
    let mut failed = resource("EcsService", "web", Status::Error);
    failed.rollout = Some(RolloutReport {
        state: "FAILED".into(),
        running: 0,
        desired: 2,
        failed: 3,
        why: vec!["3 task(s): container app exit 137 (<OutOfMemoryError>)".into()],
        ..RolloutReport::default()
    });
    let html = page_of(&report(vec![
        baking,
        failed,
        resource("EcsCluster", "main", Status::InSync),
    ]));
    assert!(
        html.contains("<dt>State</dt><dd>IN_PROGRESS (CANARY)</dd>"),
        "{html}"
    );
    assert!(html.contains("<dt>Stage</dt><dd>BAKE_TIME</dd>"));
    assert!(html.contains("<dt>Tasks</dt><dd>2 of 3 running</dd>"));
    assert!(html.contains("<dt>Production traffic</dt><dd>12.5%</dd>"));
    assert!(html.contains("<dt>Bake time left</dt><dd>4 min</dd>"));
    assert!(html.contains("<dt>Tasks</dt><dd>0 of 2 running, 3 failed</dd>"));
    assert!(html.contains(
        "<h4>Stopped tasks and service events</h4><ul><li>3 task(s): container app exit 137 (&lt;OutOfMemoryError&gt;)</li>"
    ));
    // Only services with a rollout followed show one.
    assert_eq!(html.matches("<h3>Rollout</h3>").count(), 2);
}

#[test]
fn times_show_to_the_second_and_keep_the_machine_form() {
    assert_eq!(
        time("2026-12-07T05:51:52.542928Z"),
        "<time datetime=\"2026-12-07T05:51:52.542928Z\">2026-12-07 05:51:52 UTC</time>"
    );
    assert_eq!(
        time("2026-12-07T05:51:52+01:00"),
        "<time datetime=\"2026-12-07T05:51:52+01:00\">2026-12-07 05:51:52+01:00</time>"
    );
    assert_eq!(time("<b>"), "<time datetime=\"&lt;b&gt;\">&lt;b&gt;</time>");
}
