//! Planning an `EcsCluster`: create it, or update the settings, capacity providers and tags
//! the manifest names.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Action, PlanOptions, ResourcePlan, TagApi, check_owner, lookup_failed, plan_tags};
use crate::canon;
use crate::diff::{Change, ChangeAction};
use crate::live::{LiveCluster, Lookup};
use crate::manifest::spec::{
    ClusterConfiguration, ExecuteCommandConfiguration, ManagedStorageConfiguration,
};
use crate::manifest::{ClusterSpec, Resource};
use crate::ownership::{TAG_MANAGED_FIELDS, managed_fields_record, recorded_fields};

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
    let tags = configuration_record(tags, spec);
    let settings = canon::cluster_settings(spec.settings.clone()).unwrap_or_default();
    let Lookup::Found(cluster) = lookup else {
        rp.create(Action::CreateCluster {
            name: resource.name().to_owned(),
            settings,
            capacity_providers: spec.capacity_providers.clone(),
            default_capacity_provider_strategy: spec.default_capacity_provider_strategy.clone(),
            tags,
        });
        // CreateCluster takes both too, but one path for create and update keeps them alike.
        if spec.configuration.is_some() || spec.service_connect_defaults.is_some() {
            rp.actions.push(Action::UpdateClusterConfiguration {
                name: resource.name().to_owned(),
                configuration: spec.configuration.clone(),
                service_connect_namespace: spec
                    .service_connect_defaults
                    .as_ref()
                    .map(|d| d.namespace.clone()),
            });
        }
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
    plan_cluster_configuration(rp, spec, cluster);
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

/// Record names of the optional cluster fields (see [`crate::ownership::TAG_MANAGED_FIELDS`]).
const SERVICE_CONNECT_DEFAULTS: &str = "serviceConnectDefaults";
const EXECUTE_COMMAND: &str = "executeCommandConfiguration";
const MANAGED_STORAGE: &str = "managedStorageConfiguration";

/// The cluster's tags with the record of the optional fields its manifest sets.
fn configuration_record(
    mut tags: BTreeMap<String, String>,
    spec: &ClusterSpec,
) -> BTreeMap<String, String> {
    let config = spec.configuration.as_ref();
    let set = [
        (
            SERVICE_CONNECT_DEFAULTS,
            spec.service_connect_defaults.is_some(),
        ),
        (
            EXECUTE_COMMAND,
            config.is_some_and(|c| c.execute_command_configuration.is_some()),
        ),
        (
            MANAGED_STORAGE,
            config.is_some_and(|c| c.managed_storage_configuration.is_some()),
        ),
    ];
    if let Some(record) = managed_fields_record(set.iter().filter(|(_, s)| *s).map(|(n, _)| *n)) {
        tags.insert(TAG_MANAGED_FIELDS.to_owned(), record);
    }
    tags
}

/// Canonical cluster configuration: logging `DEFAULT` with nothing else is the default (absent),
/// encryption flags `false` are absent (AWS answers them as `false`), empty parts absent.
fn canon_configuration(c: Option<ClusterConfiguration>) -> Option<ClusterConfiguration> {
    let c = c?;
    let exec = c.execute_command_configuration.and_then(|mut e| {
        e.logging = e.logging.filter(|l| l != "DEFAULT");
        e.log_configuration = e.log_configuration.map(|mut l| {
            l.cloud_watch_encryption_enabled = l.cloud_watch_encryption_enabled.filter(|b| *b);
            l.s3_encryption_enabled = l.s3_encryption_enabled.filter(|b| *b);
            l
        });
        (e != ExecuteCommandConfiguration::default()).then_some(e)
    });
    let storage = c
        .managed_storage_configuration
        .filter(|m| *m != ManagedStorageConfiguration::default());
    (exec.is_some() || storage.is_some()).then_some(ClusterConfiguration {
        execute_command_configuration: exec,
        managed_storage_configuration: storage,
    })
}

/// Compares the default Service Connect namespace and the configuration, each as the manifest
/// sets it, at its off form when the record names it and the manifest no longer does (namespace
/// `""`, which removes it, API reference ClusterServiceConnectDefaultsRequest; execute command
/// logging `DEFAULT`, API reference ExecuteCommandConfiguration; managed storage `{}`), and
/// otherwise as live; plans one `UpdateCluster` for what differs.
fn plan_cluster_configuration(rp: &mut ResourcePlan, spec: &ClusterSpec, cluster: &LiveCluster) {
    let recorded = recorded_fields(&cluster.tags);
    let live_ns = cluster
        .service_connect_namespace
        .clone()
        .filter(|n| !n.is_empty());
    let desired_ns = match &spec.service_connect_defaults {
        Some(d) => Some(d.namespace.clone()),
        None if recorded.contains(SERVICE_CONNECT_DEFAULTS) => None,
        None => live_ns.clone(),
    };
    let namespace = (desired_ns != live_ns).then(|| {
        rp.changes.push(Change::new(
            "spec.serviceConnectDefaults.namespace".into(),
            desired_ns.clone().map(Value::String),
            live_ns.clone().map(Value::String),
            ChangeAction::Update,
        ));
        desired_ns.clone().unwrap_or_default()
    });
    let live = cluster.configuration.clone().unwrap_or_default();
    let mut desired = spec.configuration.clone().unwrap_or_default();
    if desired.execute_command_configuration.is_none() && !recorded.contains(EXECUTE_COMMAND) {
        desired.execute_command_configuration = live.execute_command_configuration.clone();
    }
    if desired.managed_storage_configuration.is_none() && !recorded.contains(MANAGED_STORAGE) {
        desired.managed_storage_configuration = live.managed_storage_configuration.clone();
    }
    let desired_c = canon_configuration(Some(desired.clone()));
    let live_c = canon_configuration(Some(live));
    let configuration = (desired_c != live_c).then(|| {
        rp.changes.push(Change::new(
            "spec.configuration".into(),
            serde_json::to_value(&desired_c).ok(),
            serde_json::to_value(&live_c).ok(),
            ChangeAction::Update,
        ));
        ClusterConfiguration {
            execute_command_configuration: Some(desired.execute_command_configuration.unwrap_or(
                ExecuteCommandConfiguration {
                    logging: Some("DEFAULT".to_owned()),
                    ..ExecuteCommandConfiguration::default()
                },
            )),
            managed_storage_configuration: Some(
                desired.managed_storage_configuration.unwrap_or_default(),
            ),
        }
    });
    if namespace.is_some() || configuration.is_some() {
        rp.actions.push(Action::UpdateClusterConfiguration {
            name: cluster.name.clone(),
            configuration,
            service_connect_namespace: namespace,
        });
    }
}
