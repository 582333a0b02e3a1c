//! `--prune` deletes only resources this instance owns whose manifest is gone, in the safe
//! order (ECS service, Cloud Map service, namespace, cluster).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use support::{
    Case, Names, TempDir, cluster_manifest, describe_service, find_discovery, find_namespace,
    namespace_manifest, small_service,
};

fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found in\n{haystack}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_deletes_only_owned_orphans_in_safe_order() {
    // The case's names are A's; B's manifests share its directory and instance.
    let case = Case::new("prune-a");
    let (emu, a, network, dir) = (&case.emu, &case.names, &case.network, &case.dir);
    let b = Names::new("prune-b");
    dir.write(
        "ns-a.yaml",
        &namespace_manifest(&a.namespace, &a.dns, &a.vpc),
    );
    dir.write(
        "ns-b.yaml",
        &namespace_manifest(&b.namespace, &b.dns, &b.vpc),
    );
    dir.write("cluster-a.yaml", &cluster_manifest(&a.cluster));
    dir.write("cluster-b.yaml", &cluster_manifest(&b.cluster));
    dir.write(
        "svc-a.yaml",
        &small_service(
            &a.service,
            &a.cluster,
            network,
            Some((&a.namespace, &a.discovery)),
        ),
    );
    dir.write(
        "svc-b.yaml",
        &small_service(
            &b.service,
            &b.cluster,
            network,
            Some((&b.namespace, &b.discovery)),
        ),
    );
    case.run(&["apply"]).expect_code(0);

    // Another controller instance owns a service in cluster A.
    let foreign = Names::new("prune-x");
    let foreign_dir = TempDir::new("prune-x");
    foreign_dir.write(
        "svc-x.yaml",
        &small_service(&foreign.service, &a.cluster, network, None),
    );
    emu.run(&foreign.instance, &["apply", "-f", &foreign_dir.arg()])
        .expect_code(0);

    // B's manifests go away.
    for file in ["ns-b.yaml", "cluster-b.yaml", "svc-b.yaml"] {
        dir.remove(file);
    }
    let without_prune = case.run(&["plan"]);
    without_prune.expect_code(0);
    let plan = case.run(&["plan", "--prune"]);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains(&format!("- EcsService/{}  delete", b.service)),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(&format!("- CloudMapNamespace/{}  delete", b.namespace)),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(&format!("- EcsCluster/{}  delete", b.cluster)),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains(&foreign.service), "{}", plan.stdout);
    assert_eq!(plan.writes(), 0);

    let pruned = case.run(&["apply", "--prune"]);
    pruned.expect_code(0);
    let out = &pruned.stdout;
    let steps = [
        format!(
            "applied EcsService/{}: DeleteService {}/{}",
            b.service, b.cluster, b.service
        ),
        format!(
            "applied EcsService/{}: DeleteService (Cloud Map) {}",
            b.service, b.discovery
        ),
        format!(
            "applied CloudMapNamespace/{}: DeleteNamespace {}",
            b.namespace, b.dns
        ),
        format!(
            "applied EcsCluster/{}: DeleteCluster {}",
            b.cluster, b.cluster
        ),
    ];
    let positions: Vec<usize> = steps.iter().map(|s| position(out, s)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "deletes out of order:\n{out}"
    );
    // The service ran 2 tasks: it is scaled to 0 before it is deleted.
    assert_eq!(pruned.count("ecs.UpdateService"), 1, "{}", pruned.calls());
    assert_eq!(pruned.count("ecs.DeleteService"), 1);
    assert_eq!(pruned.count("servicediscovery.DeleteService"), 1);
    assert_eq!(pruned.count("servicediscovery.DeleteNamespace"), 1);
    assert_eq!(pruned.count("ecs.DeleteCluster"), 1);

    let ecs = emu.ecs().await;
    let cloudmap = emu.cloudmap().await;
    assert!(
        describe_service(&ecs, &b.cluster, &b.service)
            .await
            .is_none()
    );
    assert!(find_discovery(&cloudmap, &b.discovery).await.is_none());
    assert!(find_namespace(&cloudmap, &b.dns).await.is_none());
    let cluster_b = ecs
        .describe_clusters()
        .clusters(&b.cluster)
        .send()
        .await
        .unwrap();
    assert!(
        cluster_b
            .clusters()
            .iter()
            .all(|c| c.status() == Some("INACTIVE"))
    );
    // What is still described, and what another instance owns, is untouched.
    assert!(
        describe_service(&ecs, &a.cluster, &a.service)
            .await
            .is_some()
    );
    assert!(
        describe_service(&ecs, &a.cluster, &foreign.service)
            .await
            .is_some()
    );
    assert!(find_discovery(&cloudmap, &a.discovery).await.is_some());
    assert!(find_namespace(&cloudmap, &a.dns).await.is_some());

    let again = case.run(&["apply", "--prune"]);
    again.expect_code(0);
    assert_eq!(again.writes(), 0, "{}", again.calls());
}
