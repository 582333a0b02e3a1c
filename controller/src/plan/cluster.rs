//! Planning an `EcsCluster`: create it, or update the settings, capacity providers and tags
//! the manifest names.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Action, PlanOptions, ResourcePlan, TagApi, check_owner, lookup_failed, plan_tags};
use crate::canon;
use crate::diff::{Change, ChangeAction};
use crate::live::{LiveCluster, Lookup};
use crate::manifest::{ClusterSpec, Resource};

pub(super) fn plan_cluster(
    rp: &mut ResourcePlan,
    resource: &Resource,
    spec: &ClusterSpec,
    lookup: &Lookup<LiveCluster>,
    tags: BTreeMap<String, String>,
    opts: &PlanOptions,
) {
    if lookup_failed(rp, "the cluster", lookup) {
        return;
    }
    let settings = canon::cluster_settings(spec.settings.clone()).unwrap_or_default();
    let Lookup::Found(cluster) = lookup else {
        rp.create(Action::CreateCluster {
            name: resource.name().to_owned(),
            settings,
            capacity_providers: spec.capacity_providers.clone(),
            default_capacity_provider_strategy: spec.default_capacity_provider_strategy.clone(),
            tags,
        });
        return;
    };
    rp.arn = Some(cluster.arn.clone());
    if !check_owner(
        rp,
        resource,
        &format!("cluster `{}`", cluster.name),
        &cluster.tags,
        opts,
    ) {
        return;
    }
    // Only settings the manifest names are compared; AWS reports defaults for the rest.
    let mut changed = Vec::new();
    for s in &settings {
        let live = cluster.settings.iter().find(|l| l.name == s.name);
        if live.map(|l| &l.value) != Some(&s.value) {
            rp.changes.push(Change::new(
                format!("spec.settings[{}].value", s.name),
                Some(Value::String(s.value.clone())),
                live.map(|l| Value::String(l.value.clone())),
                ChangeAction::Update,
            ));
            changed.push(s.clone());
        }
    }
    if !changed.is_empty() {
        rp.actions.push(Action::UpdateClusterSettings {
            name: cluster.name.clone(),
            settings: changed,
        });
    }
    plan_cluster_capacity(rp, spec, cluster);
    plan_tags(rp, "tags", TagApi::Ecs, &cluster.arn, &tags, &cluster.tags);
    rp.finish(true);
}

/// Compares the capacity providers and default strategy the manifest sets (AWS reports both
/// for every cluster, empty when none were associated) and plans one
/// `PutClusterCapacityProviders`, which replaces both lists: the one the manifest does not
/// set is sent as it is live (API reference, PutClusterCapacityProviders).
fn plan_cluster_capacity(rp: &mut ResourcePlan, spec: &ClusterSpec, cluster: &LiveCluster) {
    let live_providers = canon::capacity_providers(cluster.capacity_providers.clone());
    let live_strategy =
        canon::capacity_provider_strategy(Some(cluster.default_capacity_provider_strategy.clone()))
            .unwrap_or_default();
    let providers = spec
        .capacity_providers
        .clone()
        .map_or_else(|| live_providers.clone(), canon::capacity_providers);
    let strategy = spec.default_capacity_provider_strategy.clone().map_or_else(
        || live_strategy.clone(),
        |s| canon::capacity_provider_strategy(Some(s)).unwrap_or_default(),
    );
    let mut changed = false;
    if providers != live_providers {
        rp.changes.push(Change::new(
            "spec.capacityProviders".into(),
            serde_json::to_value(&providers).ok(),
            serde_json::to_value(&live_providers).ok(),
            ChangeAction::Update,
        ));
        changed = true;
    }
    if strategy != live_strategy {
        rp.changes.push(Change::new(
            "spec.defaultCapacityProviderStrategy".into(),
            serde_json::to_value(&strategy).ok(),
            serde_json::to_value(&live_strategy).ok(),
            ChangeAction::Update,
        ));
        changed = true;
    }
    if changed {
        rp.actions.push(Action::PutClusterCapacityProviders {
            name: cluster.name.clone(),
            capacity_providers: providers,
            default_capacity_provider_strategy: strategy,
        });
    }
}
