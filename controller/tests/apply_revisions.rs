//! `--keep-revisions N`: old owned revisions of a managed family are deregistered, never the
//! one the service runs nor one registered by someone else.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use aws_sdk_ecs::types::{ContainerDefinition, NetworkMode, TaskDefinitionStatus};
use support::{Case, cluster_manifest, describe_service, small_service};

async fn active_revisions(ecs: &aws_sdk_ecs::Client, family: &str) -> Vec<i32> {
    let out = ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .send()
        .await
        .unwrap();
    let mut revisions: Vec<i32> = out
        .task_definition_arns()
        .iter()
        .filter_map(|arn| {
            let (f, n) = arn.rsplit('/').next()?.rsplit_once(':')?;
            (f == family).then(|| n.parse().ok()).flatten()
        })
        .collect();
    revisions.sort_unstable();
    revisions
}

/// Revisions the service and its deployments use.
async fn in_use(ecs: &aws_sdk_ecs::Client, cluster: &str, service: &str) -> Vec<i32> {
    let svc = describe_service(ecs, cluster, service).await.unwrap();
    svc.deployments()
        .iter()
        .filter_map(|d| d.task_definition())
        .chain(svc.task_definition())
        .filter_map(|arn| arn.rsplit(':').next()?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_revisions_deregisters_old_owned_revisions_only() {
    let case = Case::new("revs");
    let (emu, names, network, dir) = (&case.emu, &case.names, &case.network, &case.dir);
    let ecs = emu.ecs().await;
    let family = names.service.clone();
    let service = |tag: &str| {
        small_service(&names.service, &names.cluster, network, None)
            .replace(":0.1.0", &format!(":{tag}"))
    };
    dir.write("cluster.yaml", &cluster_manifest(&names.cluster));
    dir.write("service.yaml", &service("v1"));
    case.run(&["apply"]).expect_code(0);
    // Someone registers a revision of the same family by hand (no ownership tags).
    ecs.register_task_definition()
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
    for tag in ["v3", "v4", "v5"] {
        dir.write("service.yaml", &service(tag));
        case.run(&["apply"]).expect_code(0);
    }
    assert_eq!(active_revisions(&ecs, &family).await, [1, 2, 3, 4, 5]);

    // What the service and its deployments use stays whatever else is old (here the
    // emulator still lists the first deployment).
    let in_use = in_use(&ecs, &names.cluster, &names.service).await;
    assert!(in_use.contains(&5) && !in_use.contains(&3), "{in_use:?}");
    let keeping = |newest: &[i32]| -> Vec<i32> {
        (1..=5)
            .filter(|n| *n == 2 || newest.contains(n) || in_use.contains(n))
            .collect()
    };
    let plan = case.run(&["plan", "--keep-revisions", "2"]);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains(&format!("taskDefinitionRevisions.{family}:3")),
        "{}",
        plan.stdout
    );
    assert_eq!(plan.writes(), 0);

    let apply = case.run(&["apply", "--keep-revisions", "2"]);
    apply.expect_code(0);
    let expected = keeping(&[4, 5]);
    assert_eq!(
        apply.count("ecs.DeregisterTaskDefinition"),
        5 - expected.len() as u64,
        "{}",
        apply.calls()
    );
    // Ours and old go; 2 is someone else's; 4 and 5 are the newest two.
    assert_eq!(active_revisions(&ecs, &family).await, expected);
    let again = case.run(&["apply", "--keep-revisions", "2"]);
    again.expect_code(0);
    assert_eq!(again.writes(), 0, "{}", again.calls());

    // Keeping none still keeps the revision the service runs.
    let apply = case.run(&["apply", "--keep-revisions", "0"]);
    apply.expect_code(0);
    assert_eq!(active_revisions(&ecs, &family).await, keeping(&[]));
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert!(
        svc.task_definition()
            .unwrap()
            .ends_with(&format!("{family}:5")),
        "{svc:?}"
    );
    support::stays_quiet(&case);
}
