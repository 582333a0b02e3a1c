//! Planning an `EcsService`: its Cloud Map service, its task definition revision and the
//! ECS service itself, updated in place or replaced.

use std::collections::{BTreeMap, BTreeSet};

use super::discovery::plan_discovery;
use super::fields;
use super::{
    Action, ArnRef, Condition, PlanOptions, Registry, RegistryUpdate, ResourcePlan, Status, TagApi,
    check_owner, lookup_failed, plan_tags,
};
use crate::canon;
use crate::diff::{self, Change, ChangeAction};
use crate::live::{LiveEcsService, LiveService, Lookup};
use crate::manifest::spec::ServiceSettings;
use crate::manifest::{EcsServiceSpec, ManifestSet, Resource};
use crate::revisions;

/// Service fields `UpdateService` cannot change.
pub const REPLACE_FIELDS: &[&str] = &[
    "launchType",
    "schedulingStrategy",
    "role",
    "deploymentController",
];

fn top_field<'a>(path: &'a str, prefix: &str) -> &'a str {
    let rest = path
        .strip_prefix(prefix)
        .unwrap_or(path)
        .trim_start_matches('.');
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    &rest[..end]
}

/// Placeholder shown for the ARN of a Cloud Map service that is about to be created.
const NEW_REGISTRY: &str = "(new Cloud Map service)";

/// Plans an `EcsService` in three steps, each of which may add actions the next one builds
/// on: its Cloud Map service, its task definition revision, and the ECS service itself.
pub(super) fn plan_service(
    rp: &mut ResourcePlan,
    set: &ManifestSet,
    resource: &Resource,
    spec: &EcsServiceSpec,
    observed: &LiveEcsService,
    tags: BTreeMap<String, String>,
    opts: &PlanOptions,
) {
    if !may_change(rp, resource, spec, observed, opts) {
        return;
    }
    // 1. Cloud Map service.
    let (registry, blocked) = plan_discovery(rp, set, resource, spec, observed, &tags, opts);
    let mut replace_reasons: Vec<String> = blocked.into_iter().collect();
    // 2. Task definition.
    let task_definition = plan_task_definition(rp, spec, observed, &tags);
    rp.task_definition_fingerprint = Some(spec.task_definition.fingerprint());
    // 3. ECS service, whose tags also record the optional fields the manifest sets.
    let tags = fields::tags_with_record(&tags, &spec.service);
    let Some(live) = observed.service.found() else {
        rp.create(Action::CreateService {
            cluster: spec.cluster.clone(),
            name: resource.name().to_owned(),
            settings: spec.service.clone(),
            task_definition,
            registry,
            tags,
        });
        return;
    };
    let delta = service_delta(rp, spec, live, registry.as_ref());
    if !delta.replace.is_empty() && opts.allow_replace {
        replace_service(
            rp,
            spec,
            live,
            &delta.replace,
            task_definition,
            registry,
            tags,
        );
    } else if !delta.replace.is_empty() {
        // Other differences may follow from the replaced field (e.g. platformVersion only
        // exists on Fargate), so nothing is changed in place on a blocked service.
        replace_reasons.push(format!("ECS service fields {}", delta.replace.join(", ")));
        tag_service(rp, live, &tags);
    } else {
        update_service(rp, spec, live, delta, &task_definition);
        tag_service(rp, live, &tags);
    }
    deregister_revisions(rp, resource, observed, opts);
    if !replace_reasons.is_empty() {
        block(rp, &replace_reasons);
    }
    rp.finish(true);
    if rp.status == Status::InSync && rolling_out(live) {
        rp.status = Status::Progressing;
    }
}

/// Whether the service may be planned at all: every lookup succeeded, the ECS service is not
/// draining, and this instance owns what exists. Otherwise the plan says why.
fn may_change(
    rp: &mut ResourcePlan,
    resource: &Resource,
    spec: &EcsServiceSpec,
    observed: &LiveEcsService,
    opts: &PlanOptions,
) -> bool {
    if lookup_failed(rp, "the ECS service", &observed.service)
        || lookup_failed(rp, "the task definition", &observed.task_definition)
        || lookup_failed(rp, "the Cloud Map service", &observed.discovery)
    {
        return false;
    }
    if let Some(s) = observed.service.found() {
        rp.arn = Some(s.arn.clone());
        if s.status == "DRAINING" {
            rp.fail(
                "Observed",
                "Draining",
                format!(
                    "ECS service {}/{} is draining; it can be recreated once inactive",
                    spec.cluster, s.name
                ),
            );
            return false;
        }
        if !check_owner(
            rp,
            resource,
            &format!("ECS service {}/{}", spec.cluster, s.name),
            &s.tags,
            opts,
        ) {
            return false;
        }
    }
    match observed.discovery.found() {
        Some(d) => check_owner(
            rp,
            resource,
            &format!("Cloud Map service `{}`", d.name),
            &d.tags,
            opts,
        ),
        None => true,
    }
}

/// A new revision unless the live one already equals the manifest. Role names are compared
/// as the ARNs ECS stores, in the account of the live objects.
fn plan_task_definition(
    rp: &mut ResourcePlan,
    spec: &EcsServiceSpec,
    observed: &LiveEcsService,
    tags: &BTreeMap<String, String>,
) -> ArnRef {
    let live_service = observed.service.found();
    let live_td = observed.task_definition.found();
    let account_arn = live_td
        .map(|td| td.arn.as_str())
        .or_else(|| live_service.map(|s| s.arn.as_str()));
    let desired_td = canon::task_definition(match account_arn {
        Some(arn) => canon::qualify_roles(spec.task_definition.clone(), arn),
        None => spec.task_definition.clone(),
    });
    let diffs = live_td.map(|td| {
        let live_c = canon::task_definition(td.definition.clone());
        diff::diff("taskDefinition", &desired_td, &live_c)
    });
    match (live_td, diffs) {
        (Some(td), Some(diffs)) if diffs.is_empty() => ArnRef::Known(td.arn.clone()),
        (_, diffs) => {
            match diffs {
                Some(diffs) => rp.push_diffs(diffs, |_| ChangeAction::RegisterRevision),
                // A service without a readable revision gets one; a new service's `Create`
                // change already covers it.
                None if live_service.is_some() => rp.changes.push(Change::new(
                    "taskDefinition".into(),
                    None,
                    None,
                    ChangeAction::RegisterRevision,
                )),
                None => {}
            }
            rp.actions.push(Action::RegisterTaskDefinition {
                definition: desired_td,
                tags: tags.clone(),
            });
            ArnRef::FromPreviousAction
        }
    }
}

/// How an existing ECS service differs from the manifest.
struct ServiceDelta {
    /// Top-level fields that differ and need a replacement.
    replace: Vec<String>,
    /// What `UpdateService` changes in place.
    patch: ServiceSettings,
    /// What `UpdateService` does with `serviceRegistries`.
    registries: RegistryUpdate,
    /// A capacity provider strategy change (from a launch type or another strategy) does not
    /// start a deployment by itself (API reference, UpdateService `capacityProviderStrategy`).
    force_new_deployment: bool,
}

/// Compares the live ECS service with the manifest (and the registry step 1 chose) and
/// reports the differences as changes.
fn service_delta(
    rp: &mut ResourcePlan,
    spec: &EcsServiceSpec,
    live: &LiveService,
    registry: Option<&Registry>,
) -> ServiceDelta {
    let recorded = crate::ownership::recorded_fields(&live.tags);
    let (mut desired_settings, off) =
        fields::settle(spec.service.clone(), &live.settings, &recorded);
    desired_settings.service_registries = registry.map(|r| {
        vec![r.entry(match &r.arn {
            ArnRef::Known(arn) => arn.clone(),
            ArnRef::FromPreviousAction => NEW_REGISTRY.to_owned(),
        })]
    });
    let desired_c = canon::service(canon::service_against_live(
        desired_settings,
        &live.settings,
    ));
    let live_c = canon::service(live.settings.clone());
    let diffs = diff::diff("service", &desired_c, &live_c);
    let replaces = |path: &str| needs_replacement(top_field(path, "service"), &desired_c);
    let mut replace: Vec<String> = Vec::new();
    for d in &diffs {
        let field = top_field(&d.path, "service");
        if replaces(&d.path) && !replace.iter().any(|f| f == field) {
            replace.push(field.to_owned());
        }
    }
    let mut patch = service_patch(&desired_c, &live_c);
    fields::send_off(&mut patch, &off, &desired_c, &live_c);
    let mut registries = if desired_c.service_registries == live_c.service_registries {
        RegistryUpdate::Keep
    } else {
        registry
            .cloned()
            .map_or(RegistryUpdate::Clear, RegistryUpdate::Set)
    };
    let force_new_deployment = patch.capacity_provider_strategy.is_some();
    rp.push_diffs(diffs, |path| {
        if replaces(path) {
            ChangeAction::Replace
        } else {
            ChangeAction::Update
        }
    });
    // A replaced Cloud Map service means a new registry ARN even if the diff could not see it.
    if let Some(r) = registry.filter(|r| matches!(r.arn, ArnRef::FromPreviousAction)) {
        registries = RegistryUpdate::Set(r.clone());
    }
    ServiceDelta {
        replace,
        patch,
        registries,
        force_new_deployment,
    }
}

/// Deletes the service and creates it again, for fields `UpdateService` cannot change.
fn replace_service(
    rp: &mut ResourcePlan,
    spec: &EcsServiceSpec,
    live: &LiveService,
    fields: &[String],
    task_definition: ArnRef,
    registry: Option<Registry>,
    tags: BTreeMap<String, String>,
) {
    rp.conditions.push(Condition::new(
        "ReplacementRequired",
        true,
        "Replacing",
        format!(
            "{} cannot change in place; the service is replaced",
            fields.join(", ")
        ),
    ));
    rp.actions.push(Action::DeleteService {
        cluster: spec.cluster.clone(),
        name: live.name.clone(),
        scale_down: live.settings.desired_count.unwrap_or(0) > 0,
        wait_inactive: true,
    });
    // A count the manifest leaves to autoscaling is carried over to the new service.
    let mut settings = spec.service.clone();
    if settings.desired_count.is_none() {
        settings.desired_count = live.settings.desired_count;
    }
    rp.actions.push(Action::CreateService {
        cluster: spec.cluster.clone(),
        name: live.name.clone(),
        settings,
        task_definition,
        registry,
        tags,
    });
}

/// One `UpdateService` when anything changes in place (settings, a new revision, registries).
fn update_service(
    rp: &mut ResourcePlan,
    spec: &EcsServiceSpec,
    live: &LiveService,
    delta: ServiceDelta,
    task_definition: &ArnRef,
) {
    let new_revision = matches!(task_definition, ArnRef::FromPreviousAction);
    if delta.patch != ServiceSettings::default()
        || new_revision
        || delta.registries != RegistryUpdate::Keep
    {
        rp.actions.push(Action::UpdateService {
            cluster: spec.cluster.clone(),
            name: live.name.clone(),
            patch: delta.patch,
            task_definition: new_revision.then_some(ArnRef::FromPreviousAction),
            registries: delta.registries,
            force_new_deployment: delta.force_new_deployment,
        });
    }
}

/// Adds the tags the live service lacks and removes the managed ones no longer desired.
fn tag_service(rp: &mut ResourcePlan, live: &LiveService, tags: &BTreeMap<String, String>) {
    plan_tags(rp, "tags", TagApi::Ecs, &live.arn, tags, &live.tags);
}

/// With `--keep-revisions`, deregisters the owned revisions of the family beyond the newest
/// ones that the service no longer uses (rules in [`crate::revisions`]).
fn deregister_revisions(
    rp: &mut ResourcePlan,
    resource: &Resource,
    observed: &LiveEcsService,
    opts: &PlanOptions,
) {
    let Some(keep) = opts.keep_revisions else {
        return;
    };
    let Some(live) = observed.service.found() else {
        return;
    };
    let found = match &observed.revisions {
        Lookup::Found(found) => found,
        Lookup::Missing => return,
        // Old revisions can wait; the service itself is still planned.
        Lookup::Failed(e) => {
            rp.conditions.push(Condition::new(
                "Revisions",
                false,
                "LookupFailed",
                format!("old task definition revisions not listed: {e}"),
            ));
            return;
        }
    };
    let mut in_use: BTreeSet<String> = live
        .deployments
        .iter()
        .filter_map(|d| d.task_definition.clone())
        .collect();
    in_use.extend(live.task_definition_arn.clone());
    // A registration this plan makes reuses the family's newest revision when it already
    // matches the manifest, so that one must outlive this apply.
    if rp
        .actions
        .iter()
        .any(|a| matches!(a, Action::RegisterTaskDefinition { .. }))
        && let Some(newest) = found.iter().max_by_key(|r| r.revision)
    {
        in_use.insert(newest.arn.clone());
    }
    let object = resource.key.object();
    for arn in revisions::to_deregister(found, keep, &in_use, &opts.instance, &object) {
        let name = arn.rsplit('/').next().unwrap_or(&arn).to_owned();
        rp.changes.push(Change::new(
            format!("taskDefinitionRevisions.{name}"),
            None,
            Some(serde_json::Value::String(arn.clone())),
            ChangeAction::Delete,
        ));
        rp.actions.push(Action::DeregisterTaskDefinition { arn });
    }
}

/// Marks the plan blocked on changes that need `--allow-replace`.
fn block(rp: &mut ResourcePlan, reasons: &[String]) {
    let message = format!(
        "{} cannot change in place; rerun with --allow-replace to replace",
        reasons.join(" and ")
    );
    rp.conditions.push(Condition::new(
        "ReplacementRequired",
        true,
        "NotAllowed",
        message.clone(),
    ));
    rp.blocked = Some(message);
}

fn rolling_out(s: &LiveService) -> bool {
    s.deployments.len() > 1
        || s.deployments
            .iter()
            .any(|d| d.status == "PRIMARY" && d.rollout_state.as_deref() == Some("IN_PROGRESS"))
}

/// Whether a difference in this top-level service field needs a replacement. `launchType`
/// does, except when the manifest moves the service to a capacity provider strategy:
/// `UpdateService` changes a launch type into a strategy in place (API reference,
/// UpdateService `capacityProviderStrategy`, "valid transitions").
pub(super) fn needs_replacement(field: &str, desired: &ServiceSettings) -> bool {
    if field == "launchType" {
        return desired.launch_type.is_some() || desired.capacity_provider_strategy.is_none();
    }
    REPLACE_FIELDS.contains(&field)
}

/// The `UpdateService` patch between canonical desired and live settings: every field that
/// `UpdateService` takes and that differs, with the desired value; a list the manifest no
/// longer sets is cleared with an empty list. The destructuring names every field, so a
/// field added to [`ServiceSettings`] fails to compile here until it is handled.
pub(super) fn service_patch(desired: &ServiceSettings, live: &ServiceSettings) -> ServiceSettings {
    fn value<T: Clone + PartialEq>(d: &Option<T>, l: &Option<T>) -> Option<T> {
        if d == l { None } else { d.clone() }
    }
    fn list<T: Clone + PartialEq>(d: &Option<Vec<T>>, l: &Option<Vec<T>>) -> Option<Vec<T>> {
        (d != l).then(|| d.clone().unwrap_or_default())
    }
    let ServiceSettings {
        desired_count,
        // Needs a replacement, except a move to a strategy, which the strategy carries.
        launch_type: _,
        capacity_provider_strategy,
        platform_version,
        // Needs a replacement.
        role: _,
        deployment_configuration,
        placement_constraints,
        placement_strategy,
        network_configuration,
        health_check_grace_period_seconds,
        // Needs a replacement.
        scheduling_strategy: _,
        // Needs a replacement.
        deployment_controller: _,
        enable_ecs_managed_tags,
        propagate_tags,
        enable_execute_command,
        load_balancers,
        availability_zone_rebalancing,
        service_connect_configuration,
        volume_configurations,
        vpc_lattice_configurations,
        // Sent separately (`RegistryUpdate`): the ARN may come from an earlier action.
        service_registries: _,
    } = desired;
    ServiceSettings {
        desired_count: value(desired_count, &live.desired_count),
        launch_type: None,
        capacity_provider_strategy: list(
            capacity_provider_strategy,
            &live.capacity_provider_strategy,
        ),
        platform_version: value(platform_version, &live.platform_version),
        role: None,
        deployment_configuration: value(deployment_configuration, &live.deployment_configuration),
        placement_constraints: list(placement_constraints, &live.placement_constraints),
        placement_strategy: list(placement_strategy, &live.placement_strategy),
        network_configuration: value(network_configuration, &live.network_configuration),
        health_check_grace_period_seconds: value(
            health_check_grace_period_seconds,
            &live.health_check_grace_period_seconds,
        ),
        scheduling_strategy: None,
        deployment_controller: None,
        enable_ecs_managed_tags: value(enable_ecs_managed_tags, &live.enable_ecs_managed_tags),
        propagate_tags: value(propagate_tags, &live.propagate_tags),
        enable_execute_command: value(enable_execute_command, &live.enable_execute_command),
        load_balancers: list(load_balancers, &live.load_balancers),
        availability_zone_rebalancing: value(
            availability_zone_rebalancing,
            &live.availability_zone_rebalancing,
        ),
        service_connect_configuration: value(
            service_connect_configuration,
            &live.service_connect_configuration,
        ),
        volume_configurations: list(volume_configurations, &live.volume_configurations),
        vpc_lattice_configurations: list(
            vpc_lattice_configurations,
            &live.vpc_lattice_configurations,
        ),
        service_registries: None,
    }
}
