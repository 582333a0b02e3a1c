//! What a cold plan (a new process, nothing cached) reads of services that are in sync: no
//! task definition the service records it runs as its manifest wants it, and the Cloud Map tags
//! of every service in one batch. What may change is still read: a revision put in place by
//! someone else, and the tags a Cloud Map write is decided on.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use support::{Case, cluster_manifest, deploy_rogue_revision, namespace_manifest, small_service};

#[tokio::test(flavor = "multi_thread")]
async fn a_cold_plan_reads_no_recorded_revision_and_batches_cloud_map_tags() {
    let case = Case::new("cold-reads");
    let (emu, n, network, dir) = (&case.emu, &case.names, &case.network, &case.dir);
    dir.write("ns.yaml", &namespace_manifest(&n.namespace, &n.dns, &n.vpc));
    dir.write("cluster.yaml", &cluster_manifest(&n.cluster));
    let names: Vec<String> = (0..3).map(|i| format!("{}-{i}", n.service)).collect();
    for (i, name) in names.iter().enumerate() {
        let discovery = format!("{}-{i}", n.discovery);
        dir.write(
            &format!("svc-{i}.yaml"),
            &small_service(name, &n.cluster, network, Some((&n.namespace, &discovery))),
        );
    }
    case.run(&["apply"]).expect_code(0);

    // In sync: every revision is recorded on its service, every Cloud Map tag set comes in
    // one batch (the namespace's alone is read by itself).
    let cold = case.run(&["plan"]);
    cold.expect_code(0);
    assert_eq!(
        cold.count("ecs.DescribeTaskDefinition"),
        0,
        "{}",
        cold.calls()
    );
    assert_eq!(cold.count("tagging.GetResources"), 1, "{}", cold.calls());
    assert_eq!(
        cold.count("servicediscovery.ListTagsForResource"),
        1,
        "{}",
        cold.calls()
    );

    // A new image: the apply records the new revision, and the next cold plan still reads none.
    let first = dir.read("svc-0.yaml");
    dir.write(
        "svc-0.yaml",
        &first.replace(
            "finfocus-plugin-aws-public:0.1.0",
            "finfocus-plugin-aws-public:v2",
        ),
    );
    case.run(&["apply"]).expect_code(0);
    let after = case.run(&["plan"]);
    after.expect_code(0);
    assert_eq!(
        after.count("ecs.DescribeTaskDefinition"),
        0,
        "{}",
        after.calls()
    );

    // Someone puts another revision on a service: it is not the recorded one, so it is read,
    // and the drift shows.
    let ecs = emu.ecs().await;
    deploy_rogue_revision(&ecs, &n.cluster, &names[1], |c| {
        c.image = Some("nginx:rogue".into());
    })
    .await;
    let drifted = case.run(&["plan"]);
    drifted.expect_code(2);
    assert_eq!(
        drifted.count("ecs.DescribeTaskDefinition"),
        1,
        "{}",
        drifted.calls()
    );
    assert!(
        drifted.stdout.contains("containerDefinitions[app].image"),
        "{}",
        drifted.stdout
    );

    // A write to Cloud Map is decided on tags read one by one: a TTL change re-reads them.
    let second = dir.read("svc-2.yaml");
    dir.write("svc-2.yaml", &second.replace("ttl: 30", "ttl: 45"));
    let applied = case.run(&["apply"]);
    applied.expect_code(0);
    assert!(
        applied.count("servicediscovery.ListTagsForResource") >= 3,
        "{}",
        applied.calls()
    );
    case.run(&["plan"]).expect_code(0);
}
