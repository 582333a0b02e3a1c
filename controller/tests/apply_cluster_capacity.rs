//! Cluster capacity providers through the AWS fidelity layer: a cluster created without them
//! gets `FARGATE`/`FARGATE_SPOT` and a default strategy with one `PutClusterCapacityProviders`,
//! then stays quiet (`plan` clean three times, no write on a second `apply`); a manifest that
//! says nothing about capacity never compares it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use serde_json::json;
use support::{Case, cluster_manifest, stays_quiet};

const CAPACITY: &str = concat!(
    "  capacityProviders: [FARGATE_SPOT, FARGATE]\n",
    "  defaultCapacityProviderStrategy:\n",
    "    - {capacityProvider: FARGATE_SPOT, weight: 3}\n",
    "    - {capacityProvider: FARGATE, weight: 1, base: 1}\n",
);

#[test]
fn capacity_providers_are_put_once_then_stay_quiet() {
    let case = Case::new("capacity");
    let bare = cluster_manifest(&case.names.cluster);
    case.dir.write("cluster.yaml", &bare);
    case.run(&["apply"]).expect_code(0);
    stays_quiet(&case);

    let with_capacity = bare.replace("spec: {}\n", &format!("spec:\n{CAPACITY}"));
    case.dir.write("cluster.yaml", &with_capacity);
    let plan = case.run(&["plan"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("spec.capacityProviders"),
        "{}",
        plan.stdout
    );
    let applied = case.run(&["apply"]);
    applied.expect_code(0);
    assert_eq!(
        applied.count("ecs.PutClusterCapacityProviders"),
        1,
        "{}",
        applied.calls()
    );
    let described = case.emu.ecs_call(
        "DescribeClusters",
        &json!({"clusters": [case.names.cluster]}),
    );
    let cluster = &described["clusters"][0];
    let mut providers: Vec<&str> = cluster["capacityProviders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    providers.sort_unstable();
    assert_eq!(providers, ["FARGATE", "FARGATE_SPOT"]);
    assert_eq!(
        cluster["defaultCapacityProviderStrategy"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    stays_quiet(&case);

    // Back to a manifest that says nothing about capacity: nothing is compared or undone.
    case.dir.write("cluster.yaml", &bare);
    stays_quiet(&case);
}
