//! `apply --wait` against the emulator, with the rollout played forward by the fidelity layer
//! (`play_rollout`, see docs/src/aws-behaviours.md): exit 0 once the rollout completes, 1 naming the
//! service and the stopped tasks' reasons when it fails, 1 with what is pending on timeout.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use finfocus_aws_fidelity::{Rollout, StoppedContainer, StoppedTask};
use support::{Case, cluster_manifest, small_service};

/// A case with one cluster and one two-task service under the case's names.
fn case(tag: &str) -> Case {
    let case = Case::new(tag);
    case.dir
        .write("cluster.yaml", &cluster_manifest(&case.names.cluster));
    case.dir.write(
        "service.yaml",
        &small_service(
            &case.names.service,
            &case.names.cluster,
            &case.network,
            None,
        ),
    );
    case
}

#[test]
fn wait_exits_zero_once_the_rollout_completes() {
    let case = case("wait-ok");
    case.emu
        .fidelity()
        .play_rollout(&case.names.service, Rollout::Complete { after_polls: 3 });
    let run = case.run(&["apply", "--wait", "--timeout", "60s"]);
    run.expect_code(0);
    let service = &case.names.service;
    assert!(
        run.stdout
            .contains(&format!("rolled out EcsService/{service}")),
        "{}",
        run.stdout
    );
    // Not on a terminal: plain progress lines, the rollout seen in progress before it completed.
    assert!(
        run.stderr
            .contains(&format!("waiting EcsService/{service}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("0/2 running"), "{}", run.stderr);
    // Only reads while waiting: the stopped tasks are read for failed rollouts only.
    assert_eq!(run.count("ecs.ListTasks"), 0, "{}", run.stderr);
}

#[test]
fn wait_exits_one_with_the_stopped_tasks_reasons_when_the_rollout_fails() {
    let case = case("wait-fail");
    let pull = "CannotPullContainerError: pull image manifest has been retried 5 time(s): \
                ghcr.io/finfocus/finfocus-plugin-aws-public:0.1.0: not found";
    let failed_pull = StoppedTask {
        stop_code: "TaskFailedToStart".into(),
        stopped_reason: pull.into(),
        containers: vec![StoppedContainer {
            name: "app".into(),
            exit_code: None,
            reason: Some("CannotPullContainerError".into()),
        }],
    };
    let oom = StoppedTask {
        stop_code: "EssentialContainerExited".into(),
        stopped_reason: "Essential container in task exited".into(),
        containers: vec![StoppedContainer {
            name: "app".into(),
            exit_code: Some(137),
            reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
        }],
    };
    case.emu.fidelity().play_rollout(
        &case.names.service,
        Rollout::Fail {
            after_polls: 2,
            tasks: vec![failed_pull.clone(), failed_pull, oom],
        },
    );
    let run = case.run(&["apply", "--wait", "--timeout", "60s"]);
    run.expect_code(1);
    let service = &case.names.service;
    assert!(
        run.stderr
            .contains(&format!("rollout failed: EcsService/{service}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("RolloutFailed"), "{}", run.stderr);
    // The two identical tasks are one line with a count; the OOM kill names the container.
    assert!(
        run.stderr
            .contains(&format!("2 tasks stopped: TaskFailedToStart: {pull}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "container app exit 137 (OutOfMemoryError: Container killed due to memory usage)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.count("ecs.DescribeTasks"), 1, "{}", run.stderr);
}

#[test]
fn wait_exits_one_with_what_is_pending_when_the_timeout_passes() {
    // Unscripted, the emulator's deployment never completes.
    let case = case("wait-timeout");
    let run = case.run(&["apply", "--wait", "--timeout", "2s"]);
    run.expect_code(1);
    let service = &case.names.service;
    assert!(
        run.stderr.contains(&format!(
            "rollout still pending after 2s: EcsService/{service}"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("0/2 running"), "{}", run.stderr);
}

#[test]
fn wait_needs_nothing_when_no_service_changed() {
    let case = case("wait-none");
    case.emu
        .fidelity()
        .play_rollout(&case.names.service, Rollout::Complete { after_polls: 1 });
    case.run(&["apply", "--wait", "--timeout", "30s"])
        .expect_code(0);
    // A second apply changes nothing, so it has no rollout to wait for and returns at once.
    let run = case.run(&["apply", "--wait", "--timeout", "1s"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("no service rollout to wait for"),
        "{}",
        run.stdout
    );
}

#[test]
fn wait_exits_one_naming_the_service_when_the_circuit_breaker_rolls_back() {
    let case = case("wait-rollback");
    let service = &case.names.service;
    case.run(&["apply"]).expect_code(0);
    // A new image registers revision 2; the circuit breaker sends the service back to revision 1.
    let manifest = case.dir.read("service.yaml").replace(":0.1.0", ":v2");
    case.dir.write("service.yaml", &manifest);
    let exited = StoppedTask {
        stop_code: "EssentialContainerExited".into(),
        stopped_reason: "Essential container in task exited".into(),
        containers: vec![StoppedContainer {
            name: "app".into(),
            exit_code: Some(1),
            reason: None,
        }],
    };
    case.emu.fidelity().play_rollout(
        service,
        Rollout::RollBack {
            after_polls: 2,
            tasks: vec![exited],
            to_revision: 1,
        },
    );
    let run = case.run(&["apply", "--wait", "--timeout", "60s"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains(&format!("rollout failed: EcsService/{service}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("RolledBack"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("{service}:1 instead of {service}:2")),
        "{}",
        run.stderr
    );
    // The reasons are the failed deployment's stopped tasks, not the rollback's.
    assert!(
        run.stderr
            .contains("task stopped: EssentialContainerExited: Essential container in task exited"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("container app exit 1"),
        "{}",
        run.stderr
    );
}
