//! Planning a `CloudMapNamespace`: create it, or update its description, SOA TTL and tags.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Action, PlanOptions, ResourcePlan, TagApi, check_owner, lookup_failed, plan_tags};
use crate::diff::{Change, ChangeAction};
use crate::live::{LiveNamespace, Lookup};
use crate::manifest::{NamespaceSpec, Resource};

pub(super) fn plan_namespace(
    rp: &mut ResourcePlan,
    resource: &Resource,
    spec: &NamespaceSpec,
    lookup: &Lookup<LiveNamespace>,
    tags: BTreeMap<String, String>,
    opts: &PlanOptions,
) {
    if lookup_failed(rp, "the namespace", lookup) {
        return;
    }
    let soa_ttl = spec.properties.as_ref().map(|p| p.dns_properties.soa.ttl);
    let description = spec.description.clone().filter(|d| !d.is_empty());
    let Lookup::Found(ns) = lookup else {
        rp.create(Action::CreateNamespace {
            name: spec.name.clone(),
            vpc: spec.vpc.clone(),
            description,
            soa_ttl,
            tags,
        });
        return;
    };
    rp.arn = Some(ns.arn.clone());
    if ns.namespace_type != "DNS_PRIVATE" {
        rp.fail(
            "Observed",
            "WrongType",
            format!(
                "namespace `{}` exists with type {}, expected DNS_PRIVATE",
                ns.name, ns.namespace_type
            ),
        );
        return;
    }
    if !check_owner(
        rp,
        resource,
        &format!("namespace `{}`", ns.name),
        &ns.tags,
        opts,
    ) {
        return;
    }
    let live_description = ns.description.clone().filter(|d| !d.is_empty());
    let mut update = false;
    if description != live_description {
        rp.changes.push(Change::new(
            "spec.description".into(),
            description.clone().map(Value::String),
            live_description.map(Value::String),
            ChangeAction::Update,
        ));
        update = true;
    }
    if let Some(ttl) = soa_ttl
        && ns.soa_ttl != Some(ttl)
    {
        rp.changes.push(Change::new(
            "spec.properties.dnsProperties.soa.ttl".into(),
            Some(Value::from(ttl)),
            ns.soa_ttl.map(Value::from),
            ChangeAction::Update,
        ));
        update = true;
    }
    if update {
        rp.actions.push(Action::UpdateNamespace {
            id: ns.id.clone(),
            name: ns.name.clone(),
            description,
            soa_ttl,
        });
    }
    plan_tags(rp, "tags", TagApi::CloudMap, &ns.arn, &tags, &ns.tags);
    rp.finish(true);
}
