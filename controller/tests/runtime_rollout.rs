//! `run` against the emulator with a rollout the fidelity layer fails: the report marks the service
//! `Degraded` and the condition says why, from the deployment's stopped tasks.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::time::Duration;

use finfocus_aws_fidelity::{Rollout, StoppedContainer, StoppedTask};
use runtime_support::{Controller, Emulator, Fixture, TempDir, resource, unique};

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
    std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
    std::fs::write(
        dir.path().join("web.yaml"),
        fx.service(&web, "nginx:1", "enforce", None),
    )
    .unwrap();
    let source = dir.path().display().to_string();
    let ctl = Controller::start(&emu, &unique("i"), &["--source", &source, "--resync", "1s"]);
    let report = ctl.wait_report(Duration::from_secs(90), "the rollout degraded", |r| {
        resource(r, "EcsService", &web)
            .is_some_and(|s| s.conditions.iter().any(|c| c.kind == "Degraded"))
    });
    let service = resource(&report, "EcsService", &web).unwrap();
    let degraded = service
        .conditions
        .iter()
        .find(|c| c.kind == "Degraded")
        .unwrap();
    assert_eq!(degraded.reason, "RolloutFailed");
    assert!(
        degraded
            .message
            .contains("container app exit 137 (OutOfMemoryError"),
        "{}",
        degraded.message
    );
    assert_eq!(ctl.terminate(), Some(0));
}
