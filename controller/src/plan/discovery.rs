//! Planning the Cloud Map service of an `EcsService`: create, update in place, or replace
//! (record types, routing policy and health check config cannot change in place).

use std::collections::BTreeMap;

use super::{
    Action, ArnRef, PlanOptions, Registry, RegistryUpdate, ResourcePlan, TagApi, plan_tags,
};
use crate::canon;
use crate::diff::{self, Change, ChangeAction};
use crate::live::{LiveDiscovery, LiveEcsService};
use crate::manifest::spec::{DiscoverySpec, DnsConfig, ServiceSettings};
use crate::manifest::{EcsServiceSpec, ManifestSet, Resource};

fn discovery_action(path: &str) -> ChangeAction {
    let rest = path.strip_prefix("serviceDiscovery.").unwrap_or(path);
    if rest == "description" {
        return ChangeAction::Update;
    }
    if rest.starts_with("dnsConfig.dnsRecords[") && rest.ends_with("].ttl") {
        return ChangeAction::Update;
    }
    ChangeAction::Replace
}

/// The live Cloud Map service in the manifest shape. The registry port fields belong to the
/// ECS service (compared there, in `serviceRegistries`), so they are taken from `desired`.
pub(crate) fn live_discovery_spec(desired: &DiscoverySpec, live: &LiveDiscovery) -> DiscoverySpec {
    DiscoverySpec {
        container_name: desired.container_name.clone(),
        container_port: desired.container_port,
        port: desired.port,
        namespace: desired.namespace.clone(),
        name: live.name.clone(),
        description: live.description.clone(),
        dns_config: live.dns_config.clone().unwrap_or(DnsConfig {
            dns_records: Vec::new(),
            routing_policy: None,
        }),
        health_check_custom_config: live.health_check_custom_config.clone(),
    }
}

/// Plans the Cloud Map service of an `EcsService`. Returns the registry the ECS service is to
/// use (`None` without `serviceDiscovery`) and, when a replacement is needed but not allowed,
/// what cannot change in place.
pub(super) fn plan_discovery(
    rp: &mut ResourcePlan,
    set: &ManifestSet,
    resource: &Resource,
    spec: &EcsServiceSpec,
    observed: &LiveEcsService,
    tags: &BTreeMap<String, String>,
    opts: &PlanOptions,
) -> (Option<Registry>, Option<String>) {
    let Some(desired) = &spec.service_discovery else {
        return (None, None);
    };
    let namespace_dns = set
        .namespace_for(resource, &desired.namespace)
        .map_or_else(|| desired.namespace.clone(), |(_, ns)| ns.name.clone());
    let desired_c = canon::discovery(desired.clone());
    let create = |spec: DiscoverySpec| Action::CreateDiscoveryService {
        namespace: namespace_dns.clone(),
        namespace_id: observed.namespace_id.clone(),
        spec,
        tags: tags.clone(),
    };
    let Some(live) = observed.discovery.found() else {
        rp.changes.push(Change::new(
            "serviceDiscovery".into(),
            serde_json::to_value(&desired_c).ok(),
            None,
            ChangeAction::Create,
        ));
        rp.actions.push(create(desired_c));
        return (
            Some(Registry::new(ArnRef::FromPreviousAction, desired)),
            None,
        );
    };
    let live_c = canon::discovery(live_discovery_spec(desired, live));
    let diffs = diff::diff("serviceDiscovery", &desired_c, &live_c);
    let replace = diffs
        .iter()
        .any(|d| discovery_action(&d.path) == ChangeAction::Replace);
    rp.push_diffs(diffs, discovery_action);
    if replace && opts.allow_replace {
        // Cloud Map refuses to delete a service that ECS still registers tasks in.
        let registered = observed.service.found().is_some_and(|s| {
            s.settings
                .service_registries
                .iter()
                .flatten()
                .any(|r| r.registry_arn == live.arn)
        });
        if registered {
            rp.actions.push(Action::UpdateService {
                cluster: spec.cluster.clone(),
                name: resource.name().to_owned(),
                patch: ServiceSettings::default(),
                task_definition: None,
                registries: RegistryUpdate::Clear,
                force_new_deployment: false,
            });
        }
        rp.actions.push(Action::DeleteDiscoveryService {
            id: live.id.clone(),
            name: live.name.clone(),
        });
        rp.actions.push(create(desired_c));
        return (
            Some(Registry::new(ArnRef::FromPreviousAction, desired)),
            None,
        );
    }
    let in_place = rp.changes.iter().any(|c| {
        c.path.starts_with("serviceDiscovery.")
            && c.action == ChangeAction::Update
            && !c.path.starts_with("serviceDiscovery.tags.")
    });
    if in_place {
        rp.actions.push(Action::UpdateDiscoveryService {
            id: live.id.clone(),
            name: live.name.clone(),
            description: desired_c.description.clone(),
            dns_records: desired_c.dns_config.dns_records.clone(),
        });
    }
    plan_tags(
        rp,
        "serviceDiscovery.tags",
        TagApi::CloudMap,
        &live.arn,
        tags,
        &live.tags,
    );
    let blocked = replace.then(|| format!("Cloud Map service `{}`", live.name));
    (
        Some(Registry::new(ArnRef::Known(live.arn.clone()), desired)),
        blocked,
    )
}
