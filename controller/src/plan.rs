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
//! - Drift policy `detect` keeps the changes in the report but plans no action on an existing
//!   resource (missing resources are still created).

use std::collections::BTreeMap;

use serde_json::Value;

mod creation;

use crate::canon;
use crate::diff::{self, Change, ChangeAction, FieldDiff};
use crate::live::{
    LiveCluster, LiveDiscovery, LiveEcsService, LiveNamespace, LiveService, LiveState, Lookup,
    OrphanTarget, Unclaimed,
};
use crate::manifest::spec::{
    CapacityProviderStrategyItem, ClusterSetting, DiscoverySpec, DnsConfig, DnsRecord,
    ServiceRegistry, ServiceSettings,
};
use crate::manifest::{
    ClusterSpec, DriftPolicy, EcsServiceSpec, Kind, ManifestSet, NamespaceSpec, Resource,
    ResourceKey, ResourceSpec,
};
use crate::ownership::{self, ownership_tags};
use crate::taskdef::TaskDefinition;

pub use crate::options::PlanOptions;
pub use crate::ownership::owned_by;
pub use crate::status::{Condition, Status};

/// An ARN known now or produced by an earlier action of the same resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnRef {
    /// Known from the live state.
    Known(String),
    /// Produced by an earlier action in the same [`ResourcePlan`].
    FromPreviousAction,
}

/// The Cloud Map service an ECS service registers its tasks in, with the port its `SRV`
/// record names (ECS `serviceRegistries[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// The Cloud Map service.
    pub arn: ArnRef,
    /// Container whose port the `SRV` record names.
    pub container_name: Option<String>,
    /// Port of that container.
    pub container_port: Option<i32>,
    /// Port of an `awsvpc` task for the `SRV` record.
    pub port: Option<i32>,
}

impl Registry {
    /// The registry of a service with this discovery spec.
    #[must_use]
    pub fn new(arn: ArnRef, spec: &DiscoverySpec) -> Self {
        Self {
            arn,
            container_name: spec.container_name.clone(),
            container_port: spec.container_port,
            port: spec.port,
        }
    }

    /// The ECS `serviceRegistries[]` entry, with `arn` standing for the Cloud Map service.
    #[must_use]
    pub fn entry(&self, arn: String) -> ServiceRegistry {
        ServiceRegistry {
            registry_arn: arn,
            container_name: self.container_name.clone(),
            container_port: self.container_port,
            port: self.port,
        }
    }
}

/// How `UpdateService` treats `serviceRegistries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryUpdate {
    /// Leave as is.
    Keep,
    /// Register in this Cloud Map service.
    Set(Registry),
    /// Register nowhere.
    Clear,
}

/// One executable step. Each carries what [`crate::apply`] needs without the manifests.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    missing_docs,
    reason = "fields are named after the API parameters they fill"
)]
pub enum Action {
    /// `CreatePrivateDnsNamespace`, polled to completion.
    CreateNamespace {
        name: String,
        vpc: String,
        description: Option<String>,
        soa_ttl: Option<i64>,
        tags: BTreeMap<String, String>,
    },
    /// `UpdatePrivateDnsNamespace`, polled to completion.
    UpdateNamespace {
        id: String,
        name: String,
        description: Option<String>,
        soa_ttl: Option<i64>,
    },
    /// `TagResource` on a Cloud Map resource.
    TagCloudMap {
        arn: String,
        tags: BTreeMap<String, String>,
    },
    /// `TagResource` on an ECS resource.
    TagEcs {
        arn: String,
        tags: BTreeMap<String, String>,
    },
    /// `CreateCluster`.
    CreateCluster {
        name: String,
        settings: Vec<ClusterSetting>,
        capacity_providers: Option<Vec<String>>,
        default_capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
        tags: BTreeMap<String, String>,
    },
    /// `PutClusterCapacityProviders` (both lists are always sent whole).
    PutClusterCapacityProviders {
        name: String,
        capacity_providers: Vec<String>,
        default_capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    },
    /// `UpdateClusterSettings`.
    UpdateClusterSettings {
        name: String,
        settings: Vec<ClusterSetting>,
    },
    /// Cloud Map `CreateService` in the namespace named `namespace` (DNS name).
    CreateDiscoveryService {
        namespace: String,
        namespace_id: Option<String>,
        spec: DiscoverySpec,
        tags: BTreeMap<String, String>,
    },
    /// Cloud Map `UpdateService` (description, record TTLs).
    UpdateDiscoveryService {
        id: String,
        name: String,
        description: Option<String>,
        dns_records: Vec<DnsRecord>,
    },
    /// Cloud Map `DeleteService` (retried while ECS still deregisters instances).
    DeleteDiscoveryService { id: String, name: String },
    /// `RegisterTaskDefinition`, unless the family's latest revision already equals it.
    RegisterTaskDefinition {
        definition: TaskDefinition,
        tags: BTreeMap<String, String>,
    },
    /// ECS `CreateService`.
    CreateService {
        cluster: String,
        name: String,
        settings: ServiceSettings,
        task_definition: ArnRef,
        registry: Option<Registry>,
        tags: BTreeMap<String, String>,
    },
    /// ECS `UpdateService` with only the changed fields set in `patch`.
    UpdateService {
        cluster: String,
        name: String,
        patch: ServiceSettings,
        task_definition: Option<ArnRef>,
        registries: RegistryUpdate,
        /// Start a new deployment: a capacity provider strategy change alone does not.
        force_new_deployment: bool,
    },
    /// Scale to 0 (when needed), `DeleteService`, and optionally wait until `INACTIVE`.
    DeleteService {
        cluster: String,
        name: String,
        scale_down: bool,
        wait_inactive: bool,
    },
    /// Cloud Map `DeleteNamespace`, polled to completion.
    DeleteNamespace { id: String, name: String },
    /// `DeleteCluster`.
    DeleteCluster { name: String },
}

impl Action {
    /// Whether the action changes a Cloud Map resource that already exists (whose ownership was
    /// judged from its tags).
    #[must_use]
    pub fn changes_existing_cloud_map(&self) -> bool {
        matches!(
            self,
            Self::UpdateNamespace { .. }
                | Self::DeleteNamespace { .. }
                | Self::TagCloudMap { .. }
                | Self::UpdateDiscoveryService { .. }
                | Self::DeleteDiscoveryService { .. }
        )
    }

    /// A one-line description for logs and outcomes.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::CreateNamespace { name, .. } => format!("CreatePrivateDnsNamespace {name}"),
            Self::UpdateNamespace { name, .. } => format!("UpdatePrivateDnsNamespace {name}"),
            Self::TagCloudMap { arn, .. } => format!("TagResource (Cloud Map) {arn}"),
            Self::TagEcs { arn, .. } => format!("TagResource (ECS) {arn}"),
            Self::CreateCluster { name, .. } => format!("CreateCluster {name}"),
            Self::UpdateClusterSettings { name, .. } => format!("UpdateClusterSettings {name}"),
            Self::PutClusterCapacityProviders { name, .. } => {
                format!("PutClusterCapacityProviders {name}")
            }
            Self::CreateDiscoveryService {
                namespace, spec, ..
            } => {
                format!("CreateService (Cloud Map) {}.{namespace}", spec.name)
            }
            Self::UpdateDiscoveryService { name, .. } => {
                format!("UpdateService (Cloud Map) {name}")
            }
            Self::DeleteDiscoveryService { name, .. } => {
                format!("DeleteService (Cloud Map) {name}")
            }
            Self::RegisterTaskDefinition { definition, .. } => {
                format!("RegisterTaskDefinition {}", definition.family)
            }
            Self::CreateService { cluster, name, .. } => format!("CreateService {cluster}/{name}"),
            Self::UpdateService { cluster, name, .. } => format!("UpdateService {cluster}/{name}"),
            Self::DeleteService { cluster, name, .. } => format!("DeleteService {cluster}/{name}"),
            Self::DeleteNamespace { name, .. } => format!("DeleteNamespace {name}"),
            Self::DeleteCluster { name } => format!("DeleteCluster {name}"),
        }
    }
}

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
}

impl ResourcePlan {
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
            return;
        }
        if self.changes.is_empty() {
            return;
        }
        self.status = Status::Drifted;
        if self.drift_policy == DriftPolicy::Detect {
            self.actions.clear();
            self.blocked = None;
            for c in &mut self.changes {
                c.action = ChangeAction::NoOp;
            }
            self.conditions.push(Condition::new(
                "DriftPolicy",
                true,
                "DetectOnly",
                "drift is reported, not corrected (ecs.finfocus.io/drift-policy: detect)",
            ));
        }
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
    let extra = match &resource.spec {
        ResourceSpec::Namespace(s) => &s.tags,
        ResourceSpec::Cluster(s) => &s.tags,
        ResourceSpec::Service(s) => &s.tags,
    };
    let mut tags = extra.clone();
    tags.extend(ownership_tags(&resource.key.to_string(), &opts.instance));
    tags
}

/// Reports the tags `live` lacks (or holds with another value) as changes under `prefix`
/// and returns them; empty when nothing is missing.
fn missing_tag_changes(
    rp: &mut ResourcePlan,
    prefix: &str,
    desired: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let missing: BTreeMap<String, String> = desired
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in &missing {
        rp.changes.push(Change::new(
            format!("{prefix}.{k}"),
            Some(Value::String(v.clone())),
            live.get(k).map(|v| Value::String(v.clone())),
            ChangeAction::Update,
        ));
    }
    missing
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

// ---------------------------------------------------------------- namespaces

fn plan_namespace(
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
    let missing = missing_tag_changes(rp, "tags", &tags, &ns.tags);
    if !missing.is_empty() {
        rp.actions.push(Action::TagCloudMap {
            arn: ns.arn.clone(),
            tags: missing,
        });
    }
    rp.finish(true);
}

// ---------------------------------------------------------------- clusters

fn plan_cluster(
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
    let missing = missing_tag_changes(rp, "tags", &tags, &cluster.tags);
    if !missing.is_empty() {
        rp.actions.push(Action::TagEcs {
            arn: cluster.arn.clone(),
            tags: missing,
        });
    }
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

// ---------------------------------------------------------------- services

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

/// Placeholder shown for the ARN of a Cloud Map service that is about to be created.
const NEW_REGISTRY: &str = "(new Cloud Map service)";

/// Plans the Cloud Map service of an `EcsService`. Returns the registry the ECS service is to
/// use (`None` without `serviceDiscovery`) and, when a replacement is needed but not allowed,
/// what cannot change in place.
fn plan_discovery(
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
        .namespace(&desired.namespace)
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
    let missing = missing_tag_changes(rp, "serviceDiscovery.tags", tags, &live.tags);
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
    if !missing.is_empty() {
        rp.actions.push(Action::TagCloudMap {
            arn: live.arn.clone(),
            tags: missing,
        });
    }
    let blocked = replace.then(|| format!("Cloud Map service `{}`", live.name));
    (
        Some(Registry::new(ArnRef::Known(live.arn.clone()), desired)),
        blocked,
    )
}

#[allow(
    clippy::too_many_lines,
    reason = "one linear walk over the three parts of a service"
)]
fn plan_service(
    rp: &mut ResourcePlan,
    set: &ManifestSet,
    resource: &Resource,
    spec: &EcsServiceSpec,
    observed: &LiveEcsService,
    tags: BTreeMap<String, String>,
    opts: &PlanOptions,
) {
    if lookup_failed(rp, "the ECS service", &observed.service)
        || lookup_failed(rp, "the task definition", &observed.task_definition)
        || lookup_failed(rp, "the Cloud Map service", &observed.discovery)
    {
        return;
    }
    let live_service: Option<&LiveService> = observed.service.found();
    if let Some(s) = live_service {
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
            return;
        }
        if !check_owner(
            rp,
            resource,
            &format!("ECS service {}/{}", spec.cluster, s.name),
            &s.tags,
            opts,
        ) {
            return;
        }
    }
    if let Some(d) = observed.discovery.found()
        && !check_owner(
            rp,
            resource,
            &format!("Cloud Map service `{}`", d.name),
            &d.tags,
            opts,
        )
    {
        return;
    }

    // 1. Cloud Map service.
    let (registry, blocked) = plan_discovery(rp, set, resource, spec, observed, &tags, opts);
    let mut replace_reasons: Vec<String> = blocked.into_iter().collect();

    // 2. Task definition: a new revision unless the live one already equals the manifest.
    // Role names are compared as the ARNs ECS stores, in the account of the live objects.
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
    let task_definition = match (live_td, diffs) {
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
    };

    // 3. ECS service.
    let Some(live) = live_service else {
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
    let mut desired_settings = spec.service.clone();
    desired_settings.service_registries = registry.as_ref().map(|r| {
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
    let mut service_replace: Vec<String> = Vec::new();
    for d in &diffs {
        let field = top_field(&d.path, "service");
        if replaces(&d.path) && !service_replace.iter().any(|f| f == field) {
            service_replace.push(field.to_owned());
        }
    }
    let patch = service_patch(&desired_c, &live_c);
    let mut registries = if desired_c.service_registries == live_c.service_registries {
        RegistryUpdate::Keep
    } else {
        registry
            .clone()
            .map_or(RegistryUpdate::Clear, RegistryUpdate::Set)
    };
    // A capacity provider strategy change (from a launch type or another strategy) does not
    // start a deployment by itself (API reference, UpdateService `capacityProviderStrategy`).
    let force_new_deployment = patch.capacity_provider_strategy.is_some();
    rp.push_diffs(diffs, |path| {
        if replaces(path) {
            ChangeAction::Replace
        } else {
            ChangeAction::Update
        }
    });
    // A replaced Cloud Map service means a new registry ARN even if the diff could not see it.
    if let Some(r) = registry
        .as_ref()
        .filter(|r| matches!(r.arn, ArnRef::FromPreviousAction))
    {
        registries = RegistryUpdate::Set(r.clone());
    }
    let td_update =
        matches!(task_definition, ArnRef::FromPreviousAction).then_some(ArnRef::FromPreviousAction);
    if !service_replace.is_empty() && opts.allow_replace {
        rp.conditions.push(Condition::new(
            "ReplacementRequired",
            true,
            "Replacing",
            format!(
                "{} cannot change in place; the service is replaced",
                service_replace.join(", ")
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
            task_definition: td_update.unwrap_or(task_definition),
            registry,
            tags: tags.clone(),
        });
    } else {
        if !service_replace.is_empty() {
            // Other differences may follow from the replaced field (e.g. platformVersion only
            // exists on Fargate), so nothing is changed in place on a blocked service.
            replace_reasons.push(format!("ECS service fields {}", service_replace.join(", ")));
        } else if patch != ServiceSettings::default()
            || td_update.is_some()
            || registries != RegistryUpdate::Keep
        {
            rp.actions.push(Action::UpdateService {
                cluster: spec.cluster.clone(),
                name: live.name.clone(),
                patch,
                task_definition: td_update,
                registries,
                force_new_deployment,
            });
        }
        let missing = missing_tag_changes(rp, "tags", &tags, &live.tags);
        if !missing.is_empty() {
            rp.actions.push(Action::TagEcs {
                arn: live.arn.clone(),
                tags: missing,
            });
        }
    }
    if !replace_reasons.is_empty() {
        let message = format!(
            "{} cannot change in place; rerun with --allow-replace to replace",
            replace_reasons.join(" and ")
        );
        rp.conditions.push(Condition::new(
            "ReplacementRequired",
            true,
            "NotAllowed",
            message.clone(),
        ));
        rp.blocked = Some(message);
    }
    rp.finish(true);
    if rp.status == Status::InSync && rolling_out(live) {
        rp.status = Status::Progressing;
    }
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
fn needs_replacement(field: &str, desired: &ServiceSettings) -> bool {
    if field == "launchType" {
        return desired.launch_type.is_some() || desired.capacity_provider_strategy.is_none();
    }
    REPLACE_FIELDS.contains(&field)
}

/// The `UpdateService` patch between canonical desired and live settings: every field that
/// `UpdateService` takes and that differs, with the desired value; a list the manifest no
/// longer sets is cleared with an empty list. The destructuring names every field, so a
/// field added to [`ServiceSettings`] fails to compile here until it is handled.
fn service_patch(desired: &ServiceSettings, live: &ServiceSettings) -> ServiceSettings {
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
        service_registries: None,
    }
}

// ---------------------------------------------------------------- orphans

/// A resource owned by this controller instance whose manifest is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The manifest object it belonged to (from the `ecs.finfocus.io/object` tag).
    pub key: ResourceKey,
    /// Region.
    pub region: String,
    /// What it is.
    pub target: OrphanTarget,
}

impl Orphan {
    /// Delete order: ECS services, then Cloud Map services, then namespaces, then clusters.
    #[must_use]
    pub fn delete_rank(&self) -> u8 {
        match self.target {
            OrphanTarget::EcsService { .. } => 0,
            OrphanTarget::DiscoveryService { .. } => 1,
            OrphanTarget::Namespace { .. } => 2,
            OrphanTarget::Cluster { .. } => 3,
        }
    }

    /// The kind of the orphaned object.
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.key.kind
    }
}

/// The unclaimed resources this instance owns, in delete order: they are its orphans.
#[must_use]
pub fn orphans(unclaimed: &[Unclaimed], instance: &str) -> Vec<Orphan> {
    let mut orphans: Vec<Orphan> = unclaimed
        .iter()
        .filter(|u| owned_by(&u.tags, instance))
        .filter_map(|u| {
            Some(Orphan {
                key: ownership::object_key(&u.tags)?,
                region: u.region.clone(),
                target: u.target.clone(),
            })
        })
        .collect();
    orphans.sort_by(|a, b| (a.delete_rank(), &a.key).cmp(&(b.delete_rank(), &b.key)));
    orphans
}

fn plan_orphan(orphan: &Orphan, pruned_clusters: &[&str]) -> ResourcePlan {
    let mut rp = ResourcePlan::new(orphan.key.clone(), &orphan.region, DriftPolicy::Enforce);
    rp.status = Status::Drifted;
    let (what, action) = match &orphan.target {
        OrphanTarget::EcsService {
            cluster,
            name,
            desired_count,
            ..
        } => (
            format!("ECS service {cluster}/{name}"),
            Action::DeleteService {
                cluster: cluster.clone(),
                name: name.clone(),
                scale_down: *desired_count > 0,
                wait_inactive: pruned_clusters.contains(&cluster.as_str()),
            },
        ),
        OrphanTarget::DiscoveryService { id, name, .. } => (
            format!("Cloud Map service `{name}`"),
            Action::DeleteDiscoveryService {
                id: id.clone(),
                name: name.clone(),
            },
        ),
        OrphanTarget::Namespace { id, name, .. } => (
            format!("namespace `{name}`"),
            Action::DeleteNamespace {
                id: id.clone(),
                name: name.clone(),
            },
        ),
        OrphanTarget::Cluster { name, .. } => (
            format!("cluster `{name}`"),
            Action::DeleteCluster { name: name.clone() },
        ),
    };
    let arn = orphan.target.arn().to_owned();
    rp.arn = Some(arn.clone());
    rp.changes.push(Change::new(
        String::new(),
        None,
        Some(Value::String(arn)),
        ChangeAction::Delete,
    ));
    rp.conditions.push(Condition::new(
        "InSync",
        false,
        "Orphaned",
        format!("{what} is owned by this controller but no manifest describes it; pruned"),
    ));
    rp.actions.push(action);
    rp
}

#[cfg(test)]
mod tests;
