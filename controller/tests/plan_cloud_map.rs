//! `plan` and `apply` observe and plan through the same step as the `run` engine, which re-reads
//! cached Cloud Map tags before a plan writes to Cloud Map. A CLI process starts with an empty
//! cache, so it reads each tag set once: a plan that updates a namespace costs no second
//! observation.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use support::{Case, namespace_manifest};

#[tokio::test(flavor = "multi_thread")]
async fn a_cloud_map_change_is_planned_from_one_observation() {
    let case = Case::new("cmonce");
    let names = &case.names;
    let manifest = |description: &str| {
        format!(
            "{}  description: {description}\n",
            namespace_manifest(&names.namespace, &names.dns, &names.vpc)
        )
    };
    case.dir.write("namespace.yaml", &manifest("first"));
    case.run(&["apply"]).expect_code(0);

    case.dir.write("namespace.yaml", &manifest("second"));
    let plan = case.run(&["plan"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("description"), "{}", plan.stdout);
    assert_eq!(
        plan.count("servicediscovery.ListNamespaces"),
        1,
        "{}",
        plan.calls()
    );
    assert_eq!(
        plan.count("servicediscovery.ListTagsForResource"),
        1,
        "{}",
        plan.calls()
    );
    assert_eq!(plan.writes(), 0, "{}", plan.calls());
}
