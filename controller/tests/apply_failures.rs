//! AWS errors surface with the operation and resource named; a failure midway leaves
//! nothing that a second `apply` does not converge.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use support::{
    Emulator, Names, TempDir, ThrottlingProxy, describe_service, find_discovery, write_reference,
};

#[tokio::test(flavor = "multi_thread")]
async fn failure_midway_is_named_and_converged_by_the_next_apply() {
    let emu = Emulator::start();
    let names = Names::new("midway");
    let network = emu.network();
    let dir = TempDir::new("midway");
    write_reference(&dir, &names, &network);
    let service_file = dir.path().join("20-plugin-aws-public.yaml");
    let good = std::fs::read_to_string(&service_file).unwrap();
    // The emulator rejects unknown subnets in CreateService, after the Cloud Map service and
    // the task definition were created.
    std::fs::write(
        &service_file,
        good.replace(&network.subnets[1], "subnet-0does0not0exist"),
    )
    .unwrap();

    let failed = emu.run(&names.instance, &["apply", "-f", &dir.arg()]);
    failed.expect_code(1);
    let expected = format!(
        "CreateService on {}/{}: InvalidParameterException",
        names.cluster, names.service
    );
    assert!(failed.stderr.contains(&expected), "{}", failed.stderr);
    assert_eq!(failed.count("ecs.RegisterTaskDefinition"), 1);
    assert_eq!(failed.count("servicediscovery.CreateService"), 1);

    std::fs::write(&service_file, good).unwrap();
    let fixed = emu.run(&names.instance, &["apply", "-f", &dir.arg()]);
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
    emu.run(&names.instance, &["plan", "-f", &dir.arg()])
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retried_then_reported_with_operation_and_resource() {
    let emu = Emulator::start();
    let names = Names::new("throttle");
    let network = emu.network();
    let dir = TempDir::new("throttle");
    write_reference(&dir, &names, &network);
    emu.run(&names.instance, &["apply", "-f", &dir.arg()])
        .expect_code(0);
    let ecs = emu.ecs().await;
    ecs.update_service()
        .cluster(&names.cluster)
        .service(&names.service)
        .desired_count(2)
        .send()
        .await
        .unwrap();

    let proxy = ThrottlingProxy::start(emu.endpoint(), "UpdateService");
    let throttled = emu.run_at(
        proxy.endpoint(),
        &names.instance,
        &["apply", "-f", &dir.arg()],
    );
    throttled.expect_code(1);
    let expected = format!(
        "UpdateService on {}/{}: ThrottlingException: Rate exceeded",
        names.cluster, names.service
    );
    assert!(throttled.stderr.contains(&expected), "{}", throttled.stderr);
    // `--max-attempts 2`: the SDK retried once before giving up; the counter saw one call.
    assert_eq!(proxy.throttled(), 2);
    assert_eq!(throttled.calls()["byOperation"]["ecs.UpdateService"], 1);

    emu.run(&names.instance, &["apply", "-f", &dir.arg()])
        .expect_code(0);
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert_eq!(svc.desired_count(), 1);
}

#[test]
fn unreachable_aws_is_an_error_naming_the_operation() {
    let emu = Emulator::start();
    let names = Names::new("down");
    let network = emu.network();
    let dir = TempDir::new("down");
    write_reference(&dir, &names, &network);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let run = emu.run_at(&closed, &names.instance, &["plan", "-f", &dir.arg()]);
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
    let emu = Emulator::start();
    let names = Names::new("nocluster");
    let network = emu.network();
    let dir = TempDir::new("nocluster");
    dir.write(
        "svc.yaml",
        &support::small_service(&names.service, &names.cluster, &network, None),
    );
    let plan = emu.run(&names.instance, &["plan", "-f", &dir.arg()]);
    plan.expect_code(1);
    let expected = format!(
        "! EcsService/{}  error: reading the ECS service: DescribeServices: ClusterNotFoundException: cluster `{}` does not exist in us-east-1 and no EcsCluster manifest creates it",
        names.service, names.cluster
    );
    assert!(plan.stdout.contains(&expected), "{}", plan.stdout);
    let apply = emu.run(&names.instance, &["apply", "-f", &dir.arg()]);
    apply.expect_code(1);
    assert_eq!(apply.writes(), 0);
}
