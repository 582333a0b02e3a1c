//! Managed tags: a tag removed from a manifest is removed in AWS, a tag another tool added
//! stays; drift policy `detect` never writes, not even a create.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use std::collections::BTreeMap;

use aws_sdk_servicediscovery::types::Tag as CloudMapTag;
use support::{Case, describe_service, find_namespace, namespace_manifest, small_service};

const MANAGED_TAGS: &str = "ecs.finfocus.io/managed-tags";

fn with_tags(manifest: &str, tags: &[(&str, &str)]) -> String {
    let lines: String = tags
        .iter()
        .map(|(k, v)| format!("    {k}: {v}\n"))
        .collect();
    let manifest = manifest.replace("spec: {}\n", "spec:\n");
    format!("{}\n  tags:\n{lines}", manifest.trim_end_matches('\n'))
}

async fn ecs_tags(ecs: &aws_sdk_ecs::Client, arn: &str) -> BTreeMap<String, String> {
    ecs.list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn cloudmap_tags(
    cloudmap: &aws_sdk_servicediscovery::Client,
    arn: &str,
) -> BTreeMap<String, String> {
    cloudmap
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_removed_from_the_manifest_are_removed_and_foreign_tags_stay() {
    let case = Case::new("tags");
    let (emu, names, network, dir) = (&case.emu, &case.names, &case.network, &case.dir);
    let cluster = support::cluster_manifest(&names.cluster);
    let service = small_service(&names.service, &names.cluster, network, None);
    let namespace = namespace_manifest(&names.namespace, &names.dns, &names.vpc);
    let both = [("team", "finops"), ("env", "dev")];
    dir.write("cluster.yaml", &with_tags(&cluster, &both));
    dir.write("service.yaml", &with_tags(&service, &both));
    dir.write("namespace.yaml", &with_tags(&namespace, &both));
    case.run(&["apply"]).expect_code(0);

    let ecs = emu.ecs().await;
    let cloudmap = emu.cloudmap().await;
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    let service_arn = svc.service_arn().unwrap().to_owned();
    let cluster_arn = svc.cluster_arn().unwrap().to_owned();
    let ns = find_namespace(&cloudmap, &names.dns).await.unwrap();
    let ns_arn = ns.arn().unwrap().to_owned();
    for tags in [
        ecs_tags(&ecs, &service_arn).await,
        ecs_tags(&ecs, &cluster_arn).await,
        cloudmap_tags(&cloudmap, &ns_arn).await,
    ] {
        assert_eq!(tags.get(MANAGED_TAGS).map(String::as_str), Some("env team"));
        assert_eq!(tags.get("env").map(String::as_str), Some("dev"));
    }

    // Another tool tags all three.
    for arn in [&service_arn, &cluster_arn] {
        ecs.tag_resource()
            .resource_arn(arn)
            .tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key("backup")
                    .value("daily")
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    cloudmap
        .tag_resource()
        .resource_arn(&ns_arn)
        .tags(
            CloudMapTag::builder()
                .key("backup")
                .value("daily")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Foreign tags are no drift.
    let plan = case.run(&["plan"]);
    plan.expect_code(0);

    // `env` leaves the manifests.
    let one = [("team", "finops")];
    dir.write("cluster.yaml", &with_tags(&cluster, &one));
    dir.write("service.yaml", &with_tags(&service, &one));
    dir.write("namespace.yaml", &with_tags(&namespace, &one));
    let plan = case.run(&["plan"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("tags.env"), "{}", plan.stdout);
    let apply = case.run(&["apply"]);
    apply.expect_code(0);
    assert_eq!(apply.count("ecs.UntagResource"), 2, "{}", apply.calls());
    assert_eq!(
        apply.count("servicediscovery.UntagResource"),
        1,
        "{}",
        apply.calls()
    );
    for tags in [
        ecs_tags(&ecs, &service_arn).await,
        ecs_tags(&ecs, &cluster_arn).await,
        cloudmap_tags(&cloudmap, &ns_arn).await,
    ] {
        assert!(!tags.contains_key("env"), "{tags:?}");
        assert_eq!(tags.get("team").map(String::as_str), Some("finops"));
        assert_eq!(tags.get("backup").map(String::as_str), Some("daily"));
        assert_eq!(tags.get(MANAGED_TAGS).map(String::as_str), Some("team"));
        assert_eq!(
            tags.get("ecs.finfocus.io/instance"),
            Some(&names.instance),
            "ownership stays"
        );
    }
    support::stays_quiet(&case);
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_tagged_before_the_record_keep_their_other_tags() {
    let case = Case::new("tags-old");
    let (emu, names, dir) = (&case.emu, &case.names, &case.dir);
    let cluster = support::cluster_manifest(&names.cluster);
    dir.write("cluster.yaml", &with_tags(&cluster, &[("team", "finops")]));
    case.run(&["apply"]).expect_code(0);
    let ecs = emu.ecs().await;
    let arn = ecs
        .describe_clusters()
        .clusters(&names.cluster)
        .send()
        .await
        .unwrap()
        .clusters()[0]
        .cluster_arn()
        .unwrap()
        .to_owned();
    // As an older controller left it: no record, and a tag of unknown origin.
    ecs.untag_resource()
        .resource_arn(&arn)
        .tag_keys(MANAGED_TAGS)
        .send()
        .await
        .unwrap();
    ecs.tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("legacy")
                .value("1")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let apply = case.run(&["apply"]);
    apply.expect_code(0);
    assert_eq!(apply.count("ecs.UntagResource"), 0, "{}", apply.calls());
    let tags = ecs_tags(&ecs, &arn).await;
    assert_eq!(tags.get("legacy").map(String::as_str), Some("1"));
    assert_eq!(tags.get(MANAGED_TAGS).map(String::as_str), Some("team"));
    support::stays_quiet(&case);
}

#[tokio::test(flavor = "multi_thread")]
async fn detect_reports_a_missing_resource_and_writes_nothing() {
    let case = Case::new("detect");
    let (emu, names, network, dir) = (&case.emu, &case.names, &case.network, &case.dir);
    let detect = |text: String, name: &str| {
        text.replacen(
            &format!("  name: {name}\n"),
            &format!("  name: {name}\n  annotations:\n    ecs.finfocus.io/drift-policy: detect\n"),
            1,
        )
    };
    dir.write(
        "cluster.yaml",
        &detect(support::cluster_manifest(&names.cluster), &names.cluster),
    );
    dir.write(
        "service.yaml",
        &detect(
            small_service(&names.service, &names.cluster, network, None),
            &names.service,
        ),
    );
    let apply = case.run(&["apply"]);
    assert_eq!(apply.writes(), 0, "{}", apply.calls());
    assert!(
        support::write_operations(&apply).is_empty(),
        "{}",
        apply.calls()
    );
    assert!(
        apply.stdout.contains("missing under drift-policy detect"),
        "{}",
        apply.stdout
    );
    let ecs = emu.ecs().await;
    let clusters = ecs
        .describe_clusters()
        .clusters(&names.cluster)
        .send()
        .await
        .unwrap();
    assert!(
        clusters
            .clusters()
            .iter()
            .all(|c| c.status() != Some("ACTIVE")),
        "{clusters:?}"
    );
    let plan = case.run(&["plan", "-o", "json"]);
    assert_eq!(plan.writes(), 0);
    assert!(plan.stdout.contains("\"Missing\""), "{}", plan.stdout);
}
