//! Ownership: an untagged service of the same name is reported and left alone; another
//! instance's resources are not ours; `ecs.finfocus.io/adopt: "true"` takes one over.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use aws_sdk_ecs::types::{
    AwsVpcConfiguration, ContainerDefinition, LaunchType, NetworkConfiguration, NetworkMode,
};
use support::{Case, cluster_manifest, describe_service, small_service};

#[tokio::test(flavor = "multi_thread")]
async fn untagged_service_is_reported_left_alone_and_adoptable() {
    let case = Case::new("own");
    let (emu, names, network, dir) = (&case.emu, &case.names, &case.network, &case.dir);
    dir.write("cluster.yaml", &cluster_manifest(&names.cluster));
    case.run(&["apply"]).expect_code(0);

    // Someone creates a service of the same name by hand, without our tags.
    let ecs = emu.ecs().await;
    let family = format!("handmade-{}", names.suffix);
    let td = ecs
        .register_task_definition()
        .family(&family)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("nginx")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let td_arn = td
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned();
    ecs.create_service()
        .cluster(&names.cluster)
        .service_name(&names.service)
        .task_definition(&td_arn)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .subnets(&network.subnets[0])
                        .security_groups(&network.security_group)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    dir.write(
        "service.yaml",
        &small_service(&names.service, &names.cluster, network, None),
    );
    let plan = case.run(&["plan"]);
    plan.expect_code(1);
    let line = format!(
        "! EcsService/{}  error: ECS service {}/{} exists but is not owned",
        names.service, names.cluster, names.service
    );
    assert!(plan.stdout.contains(&line), "{}", plan.stdout);

    let apply = case.run(&["apply"]);
    apply.expect_code(1);
    assert!(apply.stderr.contains("not owned"), "{}", apply.stderr);
    assert_eq!(apply.writes(), 0, "{}", apply.calls());
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert_eq!(svc.desired_count(), 1);
    assert_eq!(svc.task_definition(), Some(td_arn.as_str()));
    assert!(svc.tags().is_empty());

    // Adoption: the manifest opts in, the controller tags the service and converges it.
    let adopted = small_service(&names.service, &names.cluster, network, None).replace(
        &format!("  name: {}\nspec:", names.service),
        &format!(
            "  name: {}\n  annotations:\n    ecs.finfocus.io/adopt: \"true\"\nspec:",
            names.service
        ),
    );
    dir.write("service.yaml", &adopted);
    let apply = case.run(&["apply"]);
    apply.expect_code(0);
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert_eq!(svc.desired_count(), 2);
    assert!(
        svc.tags()
            .iter()
            .any(|t| t.key() == Some("ecs.finfocus.io/instance")
                && t.value() == Some(names.instance.as_str()))
    );
    assert_ne!(svc.task_definition(), Some(td_arn.as_str()));

    // Another controller instance does not touch what this one owns.
    let other = emu.run(
        &format!("other-{}", names.suffix),
        &["apply", "-f", &dir.arg()],
    );
    other.expect_code(1);
    assert!(
        other.stderr.contains(&format!(
            "owned by controller instance `{}`",
            names.instance
        )),
        "{}",
        other.stderr
    );
    assert_eq!(other.writes(), 0);
}
