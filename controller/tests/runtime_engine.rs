//! The production engine of the `run` loop against the emulator: an apply reports the task definition
//! it put on the ECS service, so rollout tracking starts from it instead of waiting for the next
//! observation; Cloud Map ownership is judged from fresh tags before the engine writes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::sync::Arc;

use finfocus_ecs_controller::manifest::{self, ManifestSet};
use finfocus_ecs_controller::plan::{PlanOptions, Status};
use finfocus_ecs_controller::runtime::{Applied, AwsEngine, Engine};
use finfocus_ecs_controller::{TAG_INSTANCE, TAG_MANAGED_BY, TAG_OBJECT};
use support::{
    Case, REGION, describe_service, find_namespace, namespace_manifest, set_desired_count,
};

fn load(case: &Case) -> ManifestSet {
    manifest::load(&[case.dir.path().to_path_buf()])
        .into_result()
        .unwrap()
}

/// Observes, plans and applies every actionable resource in dependency order (as the loop's waves
/// do); returns what the apply of `key` reported.
async fn converge(engine: &AwsEngine, set: &ManifestSet, key: &str) -> Option<Applied> {
    let plan = engine.plan(set).await.unwrap();
    let mut summaries = engine.summarize(&plan);
    summaries.sort_by_key(|s| s.wave);
    let mut reported = None;
    for summary in summaries.iter().filter(|s| s.actionable) {
        let work = engine.work(&plan, &summary.key).unwrap();
        let applied = engine.apply(work).await.unwrap();
        if summary.key == key {
            reported = Some(applied);
        }
    }
    reported
}

#[tokio::test(flavor = "multi_thread")]
async fn applies_report_the_task_definition_they_put_on_the_service() {
    let case = Case::with_reference("engine");
    let names = &case.names;
    let ecs = case.emu.ecs().await;
    let engine = AwsEngine::new(
        Arc::new(case.emu.context().await),
        PlanOptions::new(&names.instance, REGION),
    );
    let key = format!("EcsService/{}", names.service);
    let running = async || {
        describe_service(&ecs, &names.cluster, &names.service)
            .await
            .expect("the service exists")
            .task_definition()
            .map(str::to_owned)
    };

    // Creation: the registered revision is the one the new service runs.
    let created = converge(&engine, &load(&case), &key)
        .await
        .expect("the service was applied");
    assert!(created.rollout);
    let first = created
        .task_definition
        .expect("a created service names its task definition");
    assert!(first.ends_with(&format!("{}:1", names.service)), "{first}");
    assert_eq!(running().await.as_deref(), Some(first.as_str()));

    // An image change: the new revision is reported, not the one the service ran before.
    let service_file = case.dir.path().join("20-plugin-aws-public.yaml");
    let text = std::fs::read_to_string(&service_file).unwrap();
    std::fs::write(
        &service_file,
        text.replace(
            "finfocus-plugin-aws-public:0.1.0",
            "finfocus-plugin-aws-public:v2",
        ),
    )
    .unwrap();
    let updated = converge(&engine, &load(&case), &key)
        .await
        .expect("the image change was applied");
    assert!(updated.rollout);
    let second = updated
        .task_definition
        .expect("an update that puts a revision on the service names it");
    assert!(
        second.ends_with(&format!("{}:2", names.service)),
        "{second}"
    );
    assert_eq!(running().await.as_deref(), Some(second.as_str()));

    // A change that leaves the task definition alone names none: the loop then takes the one it
    // observes next.
    set_desired_count(&ecs, &names.cluster, &names.service, 3).await;
    let scaled = converge(&engine, &load(&case), &key)
        .await
        .expect("the count drift was corrected");
    assert_eq!(
        scaled,
        Applied {
            rollout: true,
            task_definition: None,
        }
    );
}

/// The engine reads Cloud Map tags through a cache. A namespace whose ownership tags were removed
/// by hand after they were cached is no longer ours: a manifest change must not be applied to it.
#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_untagged_by_hand_is_left_alone() {
    let case = Case::new("untag");
    let names = &case.names;
    let engine = AwsEngine::new(
        Arc::new(case.emu.context().await),
        PlanOptions::new(&names.instance, REGION),
    );
    let manifest = |description: &str| {
        format!(
            "{}  description: {description}\n",
            namespace_manifest(&names.namespace, &names.dns, &names.vpc)
        )
    };
    let key = format!("CloudMapNamespace/{}", names.namespace);
    let status = async || {
        let plan = engine.plan(&load(&case)).await.unwrap();
        let rp = plan
            .plan
            .resources
            .iter()
            .find(|rp| rp.key.to_string() == key)
            .cloned()
            .expect("the namespace is planned");
        (rp.status, rp.actions)
    };

    case.dir.write("namespace.yaml", &manifest("first"));
    converge(&engine, &load(&case), &key).await;
    // This pass reads the namespace's tags, and the engine keeps them.
    assert_eq!(status().await, (Status::InSync, Vec::new()));

    let cloudmap = case.emu.cloudmap().await;
    let namespace = find_namespace(&cloudmap, &names.dns)
        .await
        .expect("the namespace exists");
    cloudmap
        .untag_resource()
        .resource_arn(namespace.arn().unwrap())
        .tag_keys(TAG_MANAGED_BY)
        .tag_keys(TAG_OBJECT)
        .tag_keys(TAG_INSTANCE)
        .send()
        .await
        .unwrap();
    case.dir.write("namespace.yaml", &manifest("second"));
    let (status, actions) = status().await;
    assert_eq!(status, Status::Error);
    assert!(actions.is_empty(), "{actions:?}");
    let namespace = find_namespace(&cloudmap, &names.dns).await.unwrap();
    assert_eq!(namespace.description(), Some("first"));
}
