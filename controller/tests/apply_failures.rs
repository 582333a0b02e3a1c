//! AWS errors surface with the operation and resource named; a failure midway leaves
//! nothing that a second `apply` does not converge.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use support::{
    Case, ThrottlingProxy, describe_service, find_discovery, free_port, set_desired_count,
    small_service,
};

#[tokio::test(flavor = "multi_thread")]
async fn failure_midway_is_named_and_converged_by_the_next_apply() {
    let case = Case::with_reference("midway");
    let (emu, names, network) = (&case.emu, &case.names, &case.network);
    let service_file = case.dir.path().join("20-plugin-aws-public.yaml");
    let good = std::fs::read_to_string(&service_file).unwrap();
    // The emulator rejects unknown subnets in CreateService, after the Cloud Map service and
    // the task definition were created.
    std::fs::write(
        &service_file,
        good.replace(&network.subnets[1], "subnet-0does0not0exist"),
    )
    .unwrap();

    let failed = case.run(&["apply"]);
    failed.expect_code(1);
    let expected = format!(
        "CreateService on {}/{}: InvalidParameterException",
        names.cluster, names.service
    );
    assert!(failed.stderr.contains(&expected), "{}", failed.stderr);
    assert_eq!(failed.count("ecs.RegisterTaskDefinition"), 1);
    assert_eq!(failed.count("servicediscovery.CreateService"), 1);

    std::fs::write(&service_file, good).unwrap();
    let fixed = case.run(&["apply"]);
    fixed.expect_code(0);
    // The revision registered by the failed run is reused, the Cloud Map service kept.
    assert_eq!(
        fixed.count("ecs.RegisterTaskDefinition"),
        0,
        "{}",
        fixed.calls()
    );
    assert_eq!(fixed.count("servicediscovery.CreateService"), 0);
    assert_eq!(fixed.count("ecs.CreateService"), 1);
    assert!(
        fixed
            .stdout
            .contains(&format!("RegisterTaskDefinition {}: reused", names.service)),
        "{}",
        fixed.stdout
    );
    let ecs = emu.ecs().await;
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert!(
        svc.task_definition()
            .unwrap()
            .ends_with(&format!("{}:1", names.service))
    );
    let cloudmap = emu.cloudmap().await;
    let discovery = find_discovery(&cloudmap, &names.discovery).await.unwrap();
    assert_eq!(svc.service_registries()[0].registry_arn(), discovery.arn());
    case.run(&["plan"]).expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retried_then_reported_with_operation_and_resource() {
    let case = Case::with_reference("throttle");
    let (emu, names) = (&case.emu, &case.names);
    case.run(&["apply"]).expect_code(0);
    let ecs = emu.ecs().await;
    set_desired_count(&ecs, &names.cluster, &names.service, 2).await;

    let proxy = ThrottlingProxy::start(emu.endpoint(), "UpdateService");
    let throttled = case.run_at(proxy.endpoint(), &["apply"]);
    throttled.expect_code(1);
    let expected = format!(
        "UpdateService on {}/{}: ThrottlingException: Rate exceeded",
        names.cluster, names.service
    );
    assert!(throttled.stderr.contains(&expected), "{}", throttled.stderr);
    // `--max-attempts 2`: the SDK retried once before giving up; the counter saw one call.
    assert_eq!(proxy.throttled(), 2);
    assert_eq!(throttled.calls()["byOperation"]["ecs.UpdateService"], 1);

    case.run(&["apply"]).expect_code(0);
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert_eq!(svc.desired_count(), 1);
}

#[test]
fn unreachable_aws_is_an_error_naming_the_operation() {
    let case = Case::with_reference("down");
    let names = &case.names;
    let closed = format!("http://127.0.0.1:{}", free_port());
    let run = case.run_at(&closed, &["plan"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains(&format!(
            "! CloudMapNamespace/{}  error: reading the namespace: ListNamespaces: DispatchFailure",
            names.namespace
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("DescribeClusters: DispatchFailure"),
        "{}",
        run.stdout
    );
}

#[test]
fn missing_cluster_without_manifest_is_reported() {
    let case = Case::new("nocluster");
    let names = &case.names;
    case.dir.write(
        "svc.yaml",
        &small_service(&names.service, &names.cluster, &case.network, None),
    );
    let plan = case.run(&["plan"]);
    plan.expect_code(1);
    let expected = format!(
        "! EcsService/{}  error: reading the ECS service: DescribeServices: ClusterNotFoundException: cluster `{}` does not exist in us-east-1 and no EcsCluster manifest creates it",
        names.service, names.cluster
    );
    assert!(plan.stdout.contains(&expected), "{}", plan.stdout);
    let apply = case.run(&["apply"]);
    apply.expect_code(1);
    assert_eq!(apply.writes(), 0);
}
