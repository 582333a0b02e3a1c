//! `apply --wait` following ECS service deployments (rolling, blue/green, linear, canary) that the
//! fidelity layer plays through their lifecycle stages (`play_deployment`, see
//! docs/src/aws-behaviours.md), `--wait-until traffic-shifted`, and `rollback`.
//!
//! The scripts name the strategy, so the tests hold whether or not the manifest carries
//! `deploymentConfiguration.strategy`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use finfocus_aws_fidelity::{Ending, ServiceDeployment, Strategy};
use serde_json::json;
use support::{Case, cluster_manifest, small_service};

/// A case with one cluster and the services `names` (two tasks each).
fn case(tag: &str, names: &[String]) -> Case {
    let case = Case::new(tag);
    case.dir
        .write("cluster.yaml", &cluster_manifest(&case.names.cluster));
    for name in names {
        case.dir.write(
            &format!("{name}.yaml"),
            &small_service(name, &case.names.cluster, &case.network, None),
        );
    }
    case
}

#[test]
fn each_strategy_completes_under_wait() {
    let base = support::Names::new("strategies").service;
    let strategies = [
        (Strategy::Rolling, "rolling"),
        (Strategy::BlueGreen, "bluegreen"),
        (Strategy::Linear, "linear"),
        (Strategy::Canary, "canary"),
    ];
    let names: Vec<String> = strategies
        .iter()
        .map(|(_, tag)| format!("{base}-{tag}"))
        .collect();
    let case = case("strategies", &names);
    for ((strategy, _), name) in strategies.iter().zip(&names) {
        case.emu.fidelity().play_deployment(
            name,
            ServiceDeployment::succeed(Some(*strategy)).steps_per_poll(4),
        );
    }
    let run = case.run(&["apply", "--wait", "--timeout", "90s"]);
    run.expect_code(0);
    for name in &names {
        assert!(
            run.stdout
                .contains(&format!("rolled out EcsService/{name}")),
            "{}",
            run.stdout
        );
    }
    // Followed through the service deployments (blue/green takes 10 steps, linear 13, at 4 a
    // read), not through deployments[] (which the emulator never completes).
    assert!(
        run.count("ecs.DescribeServiceDeployments") >= 4 * 3,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("at PRE_SCALE_UP"), "{}", run.stderr);
}

#[test]
fn a_failing_hook_rolls_back_and_wait_exits_one_naming_it() {
    let name = support::Names::new("hook").service;
    let case = case("hook", std::slice::from_ref(&name));
    let hook = "arn:aws:lambda:us-east-1:123456789012:function:smoke-test";
    case.emu.fidelity().play_deployment(
        &name,
        ServiceDeployment::succeed(Some(Strategy::BlueGreen))
            .steps_per_poll(2)
            .ending(Ending::HookFails {
                stage: "POST_TEST_TRAFFIC_SHIFT".into(),
                hook: hook.into(),
            }),
    );
    let run = case.run(&["apply", "--wait", "--timeout", "90s"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains(&format!("rollout failed: EcsService/{name}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("RolledBack"), "{}", run.stderr);
    assert!(run.stderr.contains(hook), "{}", run.stderr);
    assert!(
        run.stderr.contains("reached POST_TEST_TRAFFIC_SHIFT"),
        "{}",
        run.stderr
    );
}

#[test]
fn traffic_shifted_returns_during_bake_and_rollback_stops_the_deployment() {
    let name = support::Names::new("shifted").service;
    let case = case("shifted", std::slice::from_ref(&name));
    // A bake far longer than the test: only traffic-shifted can end the wait in time.
    case.emu.fidelity().play_deployment(
        &name,
        ServiceDeployment::succeed(Some(Strategy::Canary))
            .steps_per_poll(3)
            .bake_steps(10_000),
    );
    let run = case.run(&[
        "apply",
        "--wait",
        "--wait-until",
        "traffic-shifted",
        "--timeout",
        "60s",
    ]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("traffic shifted EcsService/{name}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("production traffic 100%"),
        "{}",
        run.stdout
    );

    // The deployment still bakes: roll it back.
    let rollback = case.run(&["rollback", &name]);
    rollback.expect_code(0);
    assert!(
        rollback.stdout.contains(&format!(
            "rollback requested: {}/{name}",
            case.names.cluster
        )),
        "{}",
        rollback.stdout
    );
    assert_eq!(rollback.count("ecs.StopServiceDeployment"), 1);
    // ECS rolls it back (one step per read), after which nothing is left in progress.
    let listed = case.emu.ecs_call(
        "ListServiceDeployments",
        &json!({"cluster": case.names.cluster, "service": name}),
    );
    let arn = listed["serviceDeployments"][0]["serviceDeploymentArn"].clone();
    let statuses: Vec<serde_json::Value> = (0..3)
        .map(|_| {
            case.emu.ecs_call(
                "DescribeServiceDeployments",
                &json!({"serviceDeploymentArns": [arn]}),
            )["serviceDeployments"][0]["status"]
                .clone()
        })
        .collect();
    assert_eq!(
        statuses,
        [
            json!("ROLLBACK_REQUESTED"),
            json!("ROLLBACK_IN_PROGRESS"),
            json!("ROLLBACK_SUCCESSFUL")
        ]
    );
    let again = case.run(&["rollback", &name]);
    again.expect_code(2);
    assert!(
        again.stdout.contains("nothing to roll back"),
        "{}",
        again.stdout
    );
    assert_eq!(again.count("ecs.StopServiceDeployment"), 0);
}

#[test]
fn rollback_of_an_unknown_service_fails() {
    let case = case("rollback-unknown", &[]);
    let run = case.run(&["rollback", "no-such-service"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("no EcsService named no-such-service"),
        "{}",
        run.stderr
    );
}

#[test]
fn rollback_by_cluster_says_so_when_nothing_is_in_progress() {
    let name = support::Names::new("rollback-idle").service;
    let case = case("rollback-idle", std::slice::from_ref(&name));
    case.run(&["apply"]).expect_code(0);
    // No manifests: the cluster is named instead. ECS reports no deployment in progress.
    let run = case.emu.run(
        &case.names.instance,
        &["rollback", &name, "--cluster", &case.names.cluster],
    );
    run.expect_code(2);
    assert!(
        run.stdout.contains(&format!(
            "nothing to roll back: {}/{name} has no service deployment in progress",
            case.names.cluster
        )),
        "{}",
        run.stdout
    );
    assert_eq!(run.count("ecs.StopServiceDeployment"), 0);
    // A service that does not exist is an error, not "nothing in progress".
    let missing = case.emu.run(
        &case.names.instance,
        &[
            "rollback",
            "no-such-service",
            "--cluster",
            &case.names.cluster,
        ],
    );
    missing.expect_code(1);
    assert!(
        missing.stderr.contains("ServiceNotFoundException"),
        "{}",
        missing.stderr
    );
}
