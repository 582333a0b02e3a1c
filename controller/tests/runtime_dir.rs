//! `run --source DIR` end to end against the AWS emulator: the file watcher (not the resync) brings a
//! change in, and the process stops cleanly on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::time::Duration;

use runtime_support::{Controller, Emulator, Fixture, TempDir, converged, resource, unique};
use serde_json::json;

#[test]
fn a_watched_directory_converges_and_follows_edits() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "dir");
    let dir = TempDir::new("run-dir");
    let web = format!("{}-web", fx.prefix);
    std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
    std::fs::write(
        dir.path().join("web.yaml"),
        fx.service(&web, "nginx:1", "enforce", None),
    )
    .unwrap();

    let source = dir.path().display().to_string();
    // A resync of one hour: only the watcher can bring the edit in within the test's bound.
    let ctl = Controller::start(&emu, &unique("i"), &["--source", &source, "--resync", "1h"]);
    assert_eq!(ctl.get("/healthz").0, 200);
    let report = ctl.wait_report(Duration::from_secs(90), "converged", converged);
    assert_eq!(report.revision, None, "a directory has no revision");
    assert_eq!(ctl.get("/readyz").0, 200);

    std::fs::write(
        dir.path().join("web.yaml"),
        fx.service(&web, "nginx:2", "enforce", None),
    )
    .unwrap();
    ctl.wait_report(Duration::from_secs(60), "the edit applied", |r| {
        converged(r)
            && resource(r, "EcsService", &web).is_some()
            && emu.ecs_call(
                "DescribeServices",
                &json!({"cluster": fx.cluster(), "services": [web]}),
            )["services"][0]["taskDefinition"]
                .as_str()
                .is_some_and(|td| td.ends_with(&format!("{web}:2")))
    });
    let text = ctl.get("/report?format=text").1;
    assert!(text.contains(&web), "{text}");
    assert_eq!(ctl.terminate(), Some(0));
}

#[test]
fn run_verify_reports_pre_flight_problems_as_warnings() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "dir-verify");
    let dir = TempDir::new("run-dir-verify");
    let web = format!("{}-web", fx.prefix);
    // The fixture's namespace names a VPC that does not exist: the subnet is not in it.
    std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
    std::fs::write(
        dir.path().join("web.yaml"),
        fx.service(&web, "nginx:1", "enforce", None),
    )
    .unwrap();
    let source = dir.path().display().to_string();
    let ctl = Controller::start(&emu, &unique("i"), &["--source", &source, "--verify"]);
    let report = ctl.wait_report(Duration::from_secs(90), "warnings", |r| {
        converged(r) && !r.warnings.is_empty()
    });
    let vpc = format!("vpc-{}", fx.prefix);
    let service = format!("EcsService/{web}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.resource == service && w.message.contains(&vpc)),
        "{:#?}",
        report.warnings
    );
    // Warnings do not hold the converge back, and the text report lists them.
    assert!(resource(&report, "EcsService", &web).is_some());
    let text = ctl.get("/report?format=text").1;
    assert!(text.contains(&format!("warning: {service} (")), "{text}");
    assert_eq!(ctl.terminate(), Some(0));
}
