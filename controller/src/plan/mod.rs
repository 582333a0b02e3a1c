//! Planning: desired manifests + live state -> ordered actions per resource. Pure.
//!
//! # Contract
//! - Resources come out in apply order (namespaces, clusters, services), then, with
//!   `prune`, deletes of owned orphans in the safe order (ECS services, Cloud Map services,
//!   namespaces, clusters).
//! - A live resource that lacks this instance's ownership tags is never changed: its plan is
//!   `Error` ("not owned") with no actions, unless the manifest says
//!   `ecs.finfocus.io/adopt: "true"`, in which case the ownership tags are added first.
//!   Adoption never takes a resource from another controller instance.
//! - Task definitions are compared after [`crate::canon`] on both sides; a new revision is
//!   planned only on a real difference.
//! - ECS service fields `UpdateService` can change are updated in place; `launchType`,
//!   `schedulingStrategy`, `role` and `deploymentController` need a replacement, which is
//!   planned only with `allow_replace` (otherwise the resource is reported as blocked). A
//!   move from a launch type to a capacity provider strategy is made in place.
//! - Fields the manifest leaves to AWS (`desiredCount`, the launch type or capacity strategy
//!   when neither is set, fields AWS added later) are never compared; see
//!   [`canon::service_against_live`].
//! - Cloud Map: description and record TTLs are updated in place; record types, routing
//!   policy and the custom health check config need a replacement (same rule).
//! - Tags: missing ones are added; a key recorded in `ecs.finfocus.io/managed-tags` and gone
//!   from the manifest is removed (before the additions); other keys are never touched (see
//!   [`crate::ownership`]).
//! - With `keep_revisions`, owned task definition revisions beyond the newest ones that the
//!   service no longer uses are deregistered (see [`crate::revisions`]).
//! - Drift policy `detect` keeps the changes in the report but plans no action at all: a
//!   drifted resource stays `Drifted`, a missing one stays `Missing` (it is not created).
//!
//! # Layout
//! This file holds the per-resource plan ([`ResourcePlan`]), the whole [`Plan`] and the
//! ownership and tag checks every kind shares; [`Action`] is in `action.rs`. One file per
//! kind plans it: `namespace.rs`, `cluster.rs`, `service.rs` (with `discovery.rs` for its
//! Cloud Map service), and `orphans.rs` decides which unclaimed live resources are this
//! instance's orphans and plans their deletes. `creation.rs` summarizes what a create makes,
//! for the reviewer of a plan.

mod action;
mod cluster;
mod creation;
mod discovery;
mod fields;
mod namespace;
mod orphans;
mod service;

use std::collections::BTreeMap;

use serde_json::Value;

use self::cluster::plan_cluster;
use self::namespace::plan_namespace;
use self::orphans::plan_orphan;
use self::service::plan_service;
use crate::diff::{Change, ChangeAction, FieldDiff};
use crate::live::{LiveEcsService, LiveState, Lookup, OrphanTarget};
use crate::manifest::{DriftPolicy, ManifestSet, Resource, ResourceKey, ResourceSpec};
use crate::ownership::{self, TagDelta, tag_delta};

pub use self::action::{Action, ArnRef, Registry, RegistryUpdate};
#[cfg(test)]
pub(crate) use self::discovery::live_discovery_spec;
pub use self::orphans::{Orphan, orphans};
pub use self::service::REPLACE_FIELDS;
pub use crate::options::PlanOptions;
pub use crate::ownership::owned_by;
pub use crate::status::{Condition, Status};

/// The plan for one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePlan {
    /// Kind and name.
    pub key: ResourceKey,
    /// Region.
    pub region: String,
    /// ARN of the live resource, when it exists.
    pub arn: Option<String>,
    /// Status.
    pub status: Status,
    /// Field-level differences (values of environment and secrets redacted).
    pub changes: Vec<Change>,
    /// Ordered actions; empty when in sync or blocked.
    pub actions: Vec<Action>,
    /// Conditions.
    pub conditions: Vec<Condition>,
    /// Drift policy of the manifest (`Enforce` for orphans).
    pub drift_policy: DriftPolicy,
    /// Why the resource cannot converge this pass, if it cannot.
    pub blocked: Option<String>,
    /// For an `EcsService`: the fingerprint of its manifest's `taskDefinition`, recorded on
    /// the service with the revision it runs ([`crate::ownership::TAG_TASK_DEFINITION`]).
    pub task_definition_fingerprint: Option<String>,
}

impl ResourcePlan {
    /// Where the resource lives: its account and region.
    #[must_use]
    pub fn place(&self) -> crate::manifest::Place {
        crate::manifest::Place {
            account: self.key.account.clone(),
            region: self.region.clone(),
        }
    }

    fn new(key: ResourceKey, region: &str, drift_policy: DriftPolicy) -> Self {
        Self {
            key,
            region: region.to_owned(),
            arn: None,
            status: Status::InSync,
            changes: Vec::new(),
            actions: Vec::new(),
            conditions: Vec::new(),
            drift_policy,
            blocked: None,
            task_definition_fingerprint: None,
        }
    }

    fn fail(&mut self, kind: &str, reason: &str, message: String) {
        self.status = Status::Error;
        self.conditions
            .push(Condition::new(kind, false, reason, message.clone()));
        self.actions.clear();
        self.blocked = Some(message);
    }

    fn push_diffs(&mut self, diffs: Vec<FieldDiff>, action: impl Fn(&str) -> ChangeAction) {
        for d in diffs {
            let a = action(&d.path);
            self.changes
                .push(Change::new(d.path, d.desired, d.actual, a));
        }
    }

    /// Whether any change is planned or reported.
    #[must_use]
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Plans the creation of a resource that does not exist, after any actions it depends on.
    fn create(&mut self, action: Action) {
        // A reviewer reads what will be created rather than a row of unset fields.
        let what = creation::summarize(&action, &self.actions);
        self.changes
            .push(Change::new(String::new(), what, None, ChangeAction::Create));
        self.actions.push(action);
        self.finish(false);
    }

    /// Finishes status and policy handling once changes and actions are known.
    fn finish(&mut self, exists: bool) {
        if self.status == Status::Error {
            return;
        }
        if !exists {
            self.status = Status::Missing;
            // `detect` never writes, not even a create.
            self.detect_only("the missing resource is reported, not created");
            return;
        }
        if self.changes.is_empty() {
            return;
        }
        self.status = Status::Drifted;
        self.detect_only("drift is reported, not corrected");
    }

    /// Under drift policy `detect`, drops every action and marks the changes as reported only.
    fn detect_only(&mut self, what: &str) {
        if self.drift_policy != DriftPolicy::Detect {
            return;
        }
        self.actions.clear();
        self.blocked = None;
        for c in &mut self.changes {
            c.action = ChangeAction::NoOp;
        }
        self.conditions.push(Condition::new(
            "DriftPolicy",
            true,
            "DetectOnly",
            format!("{what} (ecs.finfocus.io/drift-policy: detect)"),
        ));
    }
}

/// A plan: resources in apply order, then prune deletes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Per-resource plans.
    pub resources: Vec<ResourcePlan>,
    /// Problems not tied to one resource (e.g. the prune scan could not list something).
    pub errors: Vec<String>,
}

impl Plan {
    /// Whether any resource differs from its manifest (or is to be pruned).
    #[must_use]
    pub fn has_changes(&self) -> bool {
        self.resources
            .iter()
            .any(|r| matches!(r.status, Status::Drifted | Status::Missing))
    }

    /// Whether any resource is in error or the plan has global errors.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.resources.iter().any(|r| r.status == Status::Error)
    }
}

/// Plans every resource of `set` against `live`.
#[must_use]
pub fn plan(set: &ManifestSet, live: &LiveState, opts: &PlanOptions) -> Plan {
    let mut resources: Vec<ResourcePlan> = set
        .resources()
        .iter()
        .map(|r| plan_resource(set, r, live, opts))
        .collect();
    let mut errors = Vec::new();
    if opts.prune {
        let orphans = orphans(&live.unclaimed, &opts.instance);
        // A cluster can only be deleted once its services are inactive, so services in a
        // cluster that is pruned too are waited for.
        let pruned_clusters: Vec<&str> = orphans
            .iter()
            .filter_map(|o| match &o.target {
                OrphanTarget::Cluster { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        resources.extend(orphans.iter().map(|o| plan_orphan(o, &pruned_clusters)));
        errors.extend(
            live.orphan_scan_errors
                .iter()
                .map(|e| format!("prune scan incomplete: {e}")),
        );
    }
    Plan { resources, errors }
}

/// The plan of a place that cannot be read at all (its account's role cannot be assumed): every
/// object of `set` is `Error` with `message`, and nothing is done.
#[must_use]
pub fn unreachable(set: &ManifestSet, opts: &PlanOptions, message: &str) -> Plan {
    let resources = set
        .resources()
        .iter()
        .map(|r| {
            let mut rp =
                ResourcePlan::new(r.key.clone(), r.region_or(&opts.region), r.drift_policy);
            rp.fail("Observed", "AccountUnavailable", message.to_owned());
            rp
        })
        .collect();
    Plan {
        resources,
        errors: Vec::new(),
    }
}

/// Plans one resource of `set`.
#[must_use]
pub fn plan_resource(
    set: &ManifestSet,
    resource: &Resource,
    live: &LiveState,
    opts: &PlanOptions,
) -> ResourcePlan {
    let region = resource.region_or(&opts.region);
    let mut rp = ResourcePlan::new(resource.key.clone(), region, resource.drift_policy);
    let tags = desired_tags(resource, opts);
    match &resource.spec {
        ResourceSpec::Namespace(spec) => {
            let lookup = live.namespaces.get(resource.name());
            let lookup = lookup.unwrap_or(&Lookup::Missing);
            plan_namespace(&mut rp, resource, spec, lookup, tags, opts);
        }
        ResourceSpec::Cluster(spec) => {
            let lookup = live.clusters.get(resource.name());
            let lookup = lookup.unwrap_or(&Lookup::Missing);
            plan_cluster(&mut rp, resource, spec, lookup, tags, opts);
        }
        ResourceSpec::Service(spec) => {
            let unobserved = LiveEcsService::default();
            let observed = live.services.get(resource.name()).unwrap_or(&unobserved);
            plan_service(&mut rp, set, resource, spec, observed, tags, opts);
        }
    }
    for change in &mut rp.changes {
        change.redact_env(&resource.redact_env);
    }
    rp
}

fn desired_tags(resource: &Resource, opts: &PlanOptions) -> BTreeMap<String, String> {
    let manifest = match &resource.spec {
        ResourceSpec::Namespace(s) => &s.tags,
        ResourceSpec::Cluster(s) => &s.tags,
        ResourceSpec::Service(s) => &s.tags,
    };
    ownership::desired_tags(manifest, &resource.key.object(), &opts.instance)
}

/// Which API tags the resource: Cloud Map or ECS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagApi {
    CloudMap,
    Ecs,
}

/// Reports how the live tags differ from the desired ones as changes under `prefix` and plans
/// the removal of recorded keys no longer desired, then the addition of missing ones. Removal
/// goes first: should the second call fail, the old record still names the removed keys,
/// so nothing is lost track of.
fn plan_tags(
    rp: &mut ResourcePlan,
    prefix: &str,
    api: TagApi,
    arn: &str,
    desired: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
) {
    let TagDelta {
        mut add,
        mut remove,
    } = tag_delta(desired, live);
    if rp.drift_policy == DriftPolicy::Detect {
        // The records (managed tag keys, managed fields) are the controller's bookkeeping,
        // written only when it corrects; their absence is no drift to report.
        for record in [ownership::TAG_MANAGED_TAGS, ownership::TAG_MANAGED_FIELDS] {
            add.remove(record);
            remove.retain(|k| k != record);
        }
    }
    for k in &remove {
        rp.changes.push(Change::new(
            format!("{prefix}.{k}"),
            None,
            live.get(k).map(|v| Value::String(v.clone())),
            ChangeAction::Update,
        ));
    }
    for (k, v) in &add {
        rp.changes.push(Change::new(
            format!("{prefix}.{k}"),
            Some(Value::String(v.clone())),
            live.get(k).map(|v| Value::String(v.clone())),
            ChangeAction::Update,
        ));
    }
    let arn = arn.to_owned();
    if !remove.is_empty() {
        rp.actions.push(match api {
            TagApi::CloudMap => Action::UntagCloudMap {
                arn: arn.clone(),
                keys: remove,
            },
            TagApi::Ecs => Action::UntagEcs {
                arn: arn.clone(),
                keys: remove,
            },
        });
    }
    if !add.is_empty() {
        rp.actions.push(match api {
            TagApi::CloudMap => Action::TagCloudMap { arn, tags: add },
            TagApi::Ecs => Action::TagEcs { arn, tags: add },
        });
    }
}

/// Checks ownership; returns false (and marks the plan) when the resource may not be touched.
fn check_owner(
    rp: &mut ResourcePlan,
    resource: &Resource,
    what: &str,
    tags: &BTreeMap<String, String>,
    opts: &PlanOptions,
) -> bool {
    if owned_by(tags, &opts.instance) {
        rp.conditions.push(Condition::new(
            "Owned",
            true,
            "Owned",
            format!("{what} is managed by this controller"),
        ));
        return true;
    }
    let managed = ownership::managed(tags);
    // Adoption is for unmanaged resources; taking one from another instance would make two
    // controllers fight over it.
    if resource.adopt && !managed {
        rp.conditions.push(Condition::new(
            "Owned",
            true,
            "Adopted",
            format!("{what} is adopted (ecs.finfocus.io/adopt); ownership tags are added"),
        ));
        return true;
    }
    let message = match tags.get(crate::TAG_INSTANCE) {
        Some(other) if managed => {
            format!(
                "{what} is owned by controller instance `{other}`, not `{}`; left alone",
                opts.instance
            )
        }
        _ => format!(
            "{what} exists but is not owned (no {}={} tag for instance `{}`); left alone, set annotation {}: \"true\" to adopt it",
            crate::TAG_MANAGED_BY,
            crate::MANAGED_BY_VALUE,
            opts.instance,
            crate::ANNOTATION_ADOPT
        ),
    };
    rp.fail("Owned", "NotOwned", message);
    false
}

fn lookup_failed<T>(rp: &mut ResourcePlan, what: &str, lookup: &Lookup<T>) -> bool {
    if let Lookup::Failed(e) = lookup {
        rp.fail("Observed", "LookupFailed", format!("reading {what}: {e}"));
        return true;
    }
    false
}

#[cfg(test)]
mod tests;
