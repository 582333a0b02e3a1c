//! `run` against the emulator with a rollout the fidelity layer fails: the report marks the service
//! `Degraded` and the condition says why, from the deployment's stopped tasks; a revision ECS rolled
//! back is not deployed again until the manifest changes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::time::Duration;

use finfocus_aws_fidelity::{
    Ending, Rollout, ServiceDeployment, StoppedContainer, StoppedTask, Strategy,
};
use finfocus_ecs_controller::report::RolloutReport;
use finfocus_ecs_controller::status::{Condition, Status};
use runtime_support::{Controller, Emulator, Fixture, TempDir, resource, unique};

/// Writes the fixture's base and `web` (nginx:1) into `dir`, starts `run` on it and waits (bounded)
/// until `web` is `Degraded`; returns the controller, that condition and the rollout reported.
fn run_until_degraded(
    emu: &Emulator,
    fx: &Fixture,
    dir: &TempDir,
    web: &str,
    what: &str,
) -> (Controller, Condition, RolloutReport) {
    std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
    std::fs::write(
        dir.path().join("web.yaml"),
        fx.service(web, "nginx:1", "enforce", None),
    )
    .unwrap();
    let source = dir.path().display().to_string();
    let ctl = Controller::start(emu, &unique("i"), &["--source", &source, "--resync", "1s"]);
    let report = ctl.wait_report(Duration::from_secs(90), what, |r| {
        resource(r, "EcsService", web)
            .is_some_and(|s| s.conditions.iter().any(|c| c.kind == "Degraded"))
    });
    let service = resource(&report, "EcsService", web).unwrap();
    let degraded = service
        .conditions
        .iter()
        .find(|c| c.kind == "Degraded")
        .cloned()
        .unwrap();
    let rollout = service
        .rollout
        .clone()
        .unwrap_or_else(|| panic!("no rollout reported with {degraded:?}"));
    (ctl, degraded, rollout)
}

#[test]
fn a_failed_rollout_is_degraded_with_why_in_the_report() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "roll");
    let dir = TempDir::new("run-rollout");
    let web = format!("{}-web", fx.prefix);
    emu.fidelity().play_rollout(
        &web,
        Rollout::Fail {
            after_polls: 2,
            tasks: vec![StoppedTask {
                stop_code: "EssentialContainerExited".into(),
                stopped_reason: "Essential container in task exited".into(),
                containers: vec![StoppedContainer {
                    name: "app".into(),
                    exit_code: Some(137),
                    reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
                }],
            }],
        },
    );
    let (ctl, degraded, rollout) =
        run_until_degraded(&emu, &fx, &dir, &web, "the rollout degraded");
    assert_eq!(degraded.reason, "RolloutFailed");
    assert!(
        degraded
            .message
            .contains("container app exit 137 (OutOfMemoryError"),
        "{}",
        degraded.message
    );
    // The status page's rollout: the failed deployment and its stopped task.
    assert_eq!(rollout.state, "FAILED", "{rollout:?}");
    assert!(
        rollout
            .why
            .iter()
            .any(|l| l.contains("container app exit 137")),
        "{rollout:?}"
    );
    assert_eq!(ctl.terminate(), Some(0));
}

#[test]
fn a_revision_ecs_rolled_back_is_held_until_the_manifest_changes() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "hold");
    let dir = TempDir::new("run-hold");
    let web = format!("{}-web", fx.prefix);
    emu.fidelity()
        .play_rollout(&web, Rollout::Complete { after_polls: 1 });
    std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
    let manifest = dir.path().join("web.yaml");
    std::fs::write(&manifest, fx.service(&web, "nginx:1", "enforce", None)).unwrap();
    let source = dir.path().display().to_string();
    // A 1 s retry delay: without the hold the failing revision would be deployed again within a
    // couple of passes.
    let ctl = Controller::start(
        &emu,
        &unique("i"),
        &["--source", &source, "--resync", "1s", "--retry-delay", "1s"],
    );
    ctl.wait_report(Duration::from_secs(90), "the first rollout", |r| {
        resource(r, "EcsService", &web).is_some_and(|s| s.status == Status::InSync)
    });

    // Revision 2 fails and the circuit breaker returns the service to revision 1.
    emu.fidelity().play_rollout(
        &web,
        Rollout::RollBack {
            after_polls: 2,
            tasks: vec![StoppedTask {
                stop_code: "EssentialContainerExited".into(),
                stopped_reason: "Essential container in task exited".into(),
                containers: vec![StoppedContainer {
                    name: "app".into(),
                    exit_code: Some(1),
                    reason: None,
                }],
            }],
            to_revision: 1,
        },
    );
    std::fs::write(&manifest, fx.service(&web, "nginx:2", "enforce", None)).unwrap();
    let held = |r: &finfocus_ecs_controller::report::DriftReport| {
        resource(r, "EcsService", &web).is_some_and(|s| {
            s.conditions
                .iter()
                .any(|c| c.kind == "Degraded" && c.message.contains("held"))
        })
    };
    ctl.wait_report(Duration::from_secs(90), "the rollback held", held);
    let writes = emu.fidelity().writes();
    // Passes well past the backoff after which the failing revision used to be deployed again.
    let first = ctl.passes();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while ctl.passes() < first + 8 {
        assert!(std::time::Instant::now() < deadline, "{}", ctl.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        emu.fidelity().writes(),
        writes,
        "the held revision was written again:\n{}",
        ctl.logs()
    );
    let report = ctl.report().unwrap();
    assert!(held(&report), "{:?}", resource(&report, "EcsService", &web));
    let degraded = resource(&report, "EcsService", &web)
        .unwrap()
        .conditions
        .iter()
        .find(|c| c.kind == "Degraded")
        .unwrap()
        .clone();
    assert_eq!(degraded.reason, "RolledBack");
    assert!(
        degraded.message.contains("until the manifest changes"),
        "{}",
        degraded.message
    );

    // A new manifest is deployed.
    std::fs::write(&manifest, fx.service(&web, "nginx:3", "enforce", None)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while emu.fidelity().writes() == writes {
        assert!(std::time::Instant::now() < deadline, "{}", ctl.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(ctl.terminate(), Some(0));
}

#[test]
fn run_reports_a_service_deployment_rolled_back_by_a_hook() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "sdhook");
    let dir = TempDir::new("run-sdhook");
    let web = format!("{}-web", fx.prefix);
    let hook = "arn:aws:lambda:us-east-1:123456789012:function:canary-check";
    emu.fidelity().play_deployment(
        &web,
        ServiceDeployment::succeed(Some(Strategy::Canary))
            .steps_per_poll(3)
            .ending(Ending::HookFails {
                stage: "PRODUCTION_TRAFFIC_SHIFT".into(),
                hook: hook.into(),
            }),
    );
    let (ctl, degraded, rollout) = run_until_degraded(&emu, &fx, &dir, &web, "the hook's rollback");
    assert_eq!(degraded.reason, "RolledBack");
    assert!(degraded.message.contains(hook), "{}", degraded.message);
    assert!(
        degraded
            .message
            .contains("reached PRODUCTION_TRAFFIC_SHIFT"),
        "{}",
        degraded.message
    );
    assert_eq!(
        (
            rollout.state.as_str(),
            rollout.strategy.as_deref(),
            rollout.stage.as_deref()
        ),
        (
            "ROLLBACK_SUCCESSFUL",
            Some("CANARY"),
            Some("PRODUCTION_TRAFFIC_SHIFT")
        ),
        "{rollout:?}"
    );
    assert_eq!(ctl.terminate(), Some(0));
}
