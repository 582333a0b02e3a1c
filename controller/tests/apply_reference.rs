//! The reference deployment (`manifests/plugin/`) against the emulator: apply from empty
//! creates everything, `plan` right after is clean, a second `apply` writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use finfocus_ecs_controller::aws::observe;
use finfocus_ecs_controller::manifest;
use finfocus_ecs_controller::plan::{PlanOptions, plan};
use support::{Case, REGION, describe_service, find_discovery, find_namespace};

#[tokio::test(flavor = "multi_thread")]
async fn reference_deployment_converges_and_stays_quiet() {
    let case = Case::with_reference("ref");
    let (emu, names) = (&case.emu, &case.names);

    // From empty: plan reports everything missing (exit 2) and writes nothing.
    let first_plan = case.run(&["plan"]);
    first_plan.expect_code(2);
    assert_eq!(first_plan.writes(), 0);
    assert!(
        first_plan
            .stdout
            .contains(&format!("+ EcsService/{}  create", names.service)),
        "{}",
        first_plan.stdout
    );
    // A create says what it makes, not rows of unset fields.
    assert!(
        first_plan
            .stdout
            .contains(&format!("      family: {}\n", names.service)),
        "{}",
        first_plan.stdout
    );
    assert!(
        first_plan.stdout.contains("      desiredCount: "),
        "{}",
        first_plan.stdout
    );
    assert!(!first_plan.stdout.contains("(unset) -> (unset)"));

    // Apply creates everything.
    let applied = case.run(&["apply"]);
    applied.expect_code(0);
    assert!(applied.stdout.contains("converged"));
    assert_eq!(
        applied.count("servicediscovery.CreatePrivateDnsNamespace"),
        1
    );
    assert_eq!(applied.count("ecs.CreateCluster"), 1);
    assert_eq!(applied.count("servicediscovery.CreateService"), 1);
    assert_eq!(applied.count("ecs.RegisterTaskDefinition"), 1);
    assert_eq!(applied.count("ecs.CreateService"), 1);

    // What exists matches the reference deployment.
    let cloudmap = emu.cloudmap().await;
    let ecs = emu.ecs().await;
    let ns = find_namespace(&cloudmap, &names.dns)
        .await
        .expect("namespace created");
    assert_eq!(ns.r#type().map(|t| t.as_str()), Some("DNS_PRIVATE"));
    let discovery = find_discovery(&cloudmap, &names.discovery)
        .await
        .expect("Cloud Map service created");
    let dns = discovery.dns_config().expect("dns config");
    assert_eq!(dns.dns_records()[0].r#type().as_str(), "A");
    assert_eq!(dns.dns_records()[0].ttl(), 60);
    assert_eq!(dns.routing_policy().map(|p| p.as_str()), Some("MULTIVALUE"));
    let tags = cloudmap
        .list_tags_for_resource()
        .resource_arn(discovery.arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "ecs.finfocus.io/instance" && t.value() == names.instance)
    );

    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .expect("ECS service created");
    assert_eq!(svc.desired_count(), 1);
    assert_eq!(svc.launch_type().map(|l| l.as_str()), Some("FARGATE"));
    assert_eq!(svc.service_registries()[0].registry_arn(), discovery.arn());
    let owned = |key: &str, value: &str| {
        svc.tags()
            .iter()
            .any(|t| t.key() == Some(key) && t.value() == Some(value))
    };
    assert!(owned(
        "ecs.finfocus.io/managed-by",
        "finfocus-ecs-controller"
    ));
    assert!(owned(
        "ecs.finfocus.io/object",
        &format!("EcsService/{}", names.service)
    ));
    assert!(owned("component", "plugin-aws-public"));
    let td = ecs
        .describe_task_definition()
        .task_definition(svc.task_definition().unwrap())
        .send()
        .await
        .unwrap();
    let td = td.task_definition().unwrap();
    assert_eq!((td.cpu(), td.memory()), (Some("256"), Some("512")));
    let container = &td.container_definitions()[0];
    let ports: Vec<i32> = container
        .port_mappings()
        .iter()
        .filter_map(|p| p.container_port())
        .collect();
    assert_eq!(
        ports,
        [
            8001, 8002, 8003, 8004, 8005, 8006, 8007, 8008, 8009, 8010, 8011, 8012, 9090
        ]
    );
    assert_eq!(
        container.health_check().unwrap().command(),
        ["CMD-SHELL", "/healthcheck.sh"]
    );

    // Plan right after: no changes, exit 0, no writes.
    let clean = case.run(&["plan"]);
    clean.expect_code(0);
    assert!(clean.stdout.contains("No changes."), "{}", clean.stdout);
    assert_eq!(clean.writes(), 0);
    println!("no-change plan calls: {}", clean.calls());
    // The service records the revision it runs: the task definition is not read.
    assert_eq!(clean.calls()["total"], 6, "{}", clean.calls());
    assert_eq!(clean.count("ecs.DescribeTaskDefinition"), 0);

    // A second apply makes no write call and registers no revision.
    let again = case.run(&["apply"]);
    again.expect_code(0);
    assert_eq!(again.writes(), 0, "{}", again.calls());
    assert_eq!(again.count("ecs.RegisterTaskDefinition"), 0);
    let svc_after = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert_eq!(svc_after.task_definition(), svc.task_definition());

    // `--prune` with the same manifests deletes nothing.
    let pruned = case.run(&["apply", "--prune"]);
    pruned.expect_code(0);
    assert_eq!(pruned.writes(), 0, "{}", pruned.calls());

    // Library level: the same no-change observation through `Context`, counted by `calls()`.
    let ctx = emu.context().await;
    let set = manifest::load(&[case.dir.path().to_path_buf()])
        .into_result()
        .unwrap();
    let opts = PlanOptions::new(&names.instance, REGION);
    let live = observe(&ctx, &set, &opts).await.unwrap();
    let p = plan(&set, &live, &opts);
    assert!(!p.has_changes() && !p.has_errors(), "{p:?}");
    assert_eq!(ctx.calls().writes(), 0);
    assert_eq!(ctx.calls().total(), 6, "{:?}", ctx.calls().snapshot());
    // The second observation finds the tags cached (and the revision still recorded).
    ctx.calls().reset();
    observe(&ctx, &set, &opts).await.unwrap();
    assert_eq!(ctx.calls().count("DescribeTaskDefinition"), 0);
    assert_eq!(ctx.calls().count("ListTagsForResource"), 0);
    assert_eq!(ctx.calls().total(), 4, "{:?}", ctx.calls().snapshot());
}
