//! The live state as plain model values (no SDK types), so [`crate::plan`] stays pure and
//! tests can build it by hand.

use std::collections::BTreeMap;

use crate::manifest::spec::{
    CapacityProviderStrategyItem, ClusterSetting, DnsConfig, HealthCheckCustomConfig,
    ServiceSettings,
};
use crate::taskdef::TaskDefinition;

/// The outcome of looking one thing up.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Lookup<T> {
    /// It does not exist (or was not looked up because what it depends on does not exist).
    #[default]
    Missing,
    /// It exists.
    Found(T),
    /// The lookup failed; the resource is reported as `Error` and retried next pass.
    Failed(LookupError),
}

impl<T> Lookup<T> {
    /// The found value.
    #[must_use]
    pub fn found(&self) -> Option<&T> {
        match self {
            Self::Found(v) => Some(v),
            _ => None,
        }
    }
}

/// Why a lookup failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError {
    /// Operation that failed.
    pub operation: String,
    /// AWS error code (or SDK failure class).
    pub code: String,
    /// Message.
    pub message: String,
}

impl LookupError {
    pub(crate) fn from_error(e: &crate::Error) -> Self {
        match e {
            crate::Error::Aws {
                operation,
                code,
                message,
                ..
            } => Self {
                operation: (*operation).to_owned(),
                code: code.clone(),
                message: message.clone(),
            },
            other => Self {
                operation: String::new(),
                code: other.metric_label().to_owned(),
                message: other.to_string(),
            },
        }
    }
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.operation.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}: {}", self.operation, self.code, self.message)
        }
    }
}

/// A Cloud Map private DNS namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveNamespace {
    /// Namespace id (`ns-...`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// DNS name.
    pub name: String,
    /// `DNS_PRIVATE`, `DNS_PUBLIC` or `HTTP`.
    pub namespace_type: String,
    /// Description.
    pub description: Option<String>,
    /// SOA TTL when reported.
    pub soa_ttl: Option<i64>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// An ECS cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCluster {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `ACTIVE`, `PROVISIONING`, ...
    pub status: String,
    /// Settings.
    pub settings: Vec<ClusterSetting>,
    /// Capacity providers associated with the cluster.
    pub capacity_providers: Vec<String>,
    /// Default capacity provider strategy.
    pub default_capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// ARN of the default Service Connect namespace (absent or empty: none).
    pub service_connect_namespace: Option<String>,
    /// Execute command and managed storage configuration.
    pub configuration: Option<crate::manifest::spec::ClusterConfiguration>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// One deployment of an ECS service (for rollout tracking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// `PRIMARY`, `ACTIVE`, `INACTIVE`.
    pub status: String,
    /// `COMPLETED`, `IN_PROGRESS`, `FAILED`.
    pub rollout_state: Option<String>,
    /// Why the rollout is in that state.
    pub rollout_state_reason: Option<String>,
    /// Task definition ARN of the deployment.
    pub task_definition: Option<String>,
    /// Desired tasks.
    pub desired_count: i32,
    /// Running tasks.
    pub running_count: i32,
    /// Failed tasks.
    pub failed_tasks: i32,
}

/// An ECS service.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveService {
    /// ARN.
    pub arn: String,
    /// Cluster ARN.
    pub cluster_arn: String,
    /// Name.
    pub name: String,
    /// `ACTIVE`, `DRAINING`, `INACTIVE`.
    pub status: String,
    /// Settings in the manifest shape (`serviceRegistries` filled).
    pub settings: ServiceSettings,
    /// Current task definition ARN.
    pub task_definition_arn: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Running tasks.
    pub running_count: i32,
    /// Pending tasks.
    pub pending_count: i32,
    /// Deployments, primary first as AWS lists them.
    pub deployments: Vec<Deployment>,
}

/// A registered task definition revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTaskDefinition {
    /// ARN (`...:task-definition/family:revision`).
    pub arn: String,
    /// Revision number.
    pub revision: i32,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// The definition in the manifest shape.
    pub definition: TaskDefinition,
}

/// A Cloud Map service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveDiscovery {
    /// Service id (`srv-...`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Namespace id.
    pub namespace_id: String,
    /// Description.
    pub description: Option<String>,
    /// DNS settings.
    pub dns_config: Option<DnsConfig>,
    /// Custom health check settings.
    pub health_check_custom_config: Option<HealthCheckCustomConfig>,
    /// Registered instances, when reported.
    pub instance_count: Option<i32>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// Everything observed for one `EcsService` manifest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveEcsService {
    /// The ECS service.
    pub service: Lookup<LiveService>,
    /// The task definition the service runs.
    pub task_definition: Lookup<LiveTaskDefinition>,
    /// The Cloud Map service (when `serviceDiscovery` is set).
    pub discovery: Lookup<LiveDiscovery>,
    /// The namespace id, when the namespace exists.
    pub namespace_id: Option<String>,
    /// Active revisions of the task definition family, read only with `--keep-revisions`
    /// (`Missing` otherwise); only deregistration candidates carry their tags.
    pub revisions: Lookup<Vec<crate::revisions::Revision>>,
}

/// What an orphan is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrphanTarget {
    /// An ECS service.
    EcsService {
        /// Cluster name.
        cluster: String,
        /// Service name.
        name: String,
        /// ARN.
        arn: String,
        /// Current desired count.
        desired_count: i32,
    },
    /// A Cloud Map service.
    DiscoveryService {
        /// Service id.
        id: String,
        /// ARN.
        arn: String,
        /// Name.
        name: String,
    },
    /// A Cloud Map namespace.
    Namespace {
        /// Namespace id.
        id: String,
        /// ARN.
        arn: String,
        /// DNS name.
        name: String,
    },
    /// An ECS cluster.
    Cluster {
        /// Name.
        name: String,
        /// ARN.
        arn: String,
    },
}

impl OrphanTarget {
    /// The ARN of the resource.
    #[must_use]
    pub fn arn(&self) -> &str {
        match self {
            Self::EcsService { arn, .. }
            | Self::DiscoveryService { arn, .. }
            | Self::Namespace { arn, .. }
            | Self::Cluster { arn, .. } => arn,
        }
    }
}

/// A live resource no manifest describes, with its tags: what [`crate::plan`] judges for
/// pruning (only listed when pruning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclaimed {
    /// Region.
    pub region: String,
    /// What it is.
    pub target: OrphanTarget,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// The live state relevant to one [`crate::manifest::ManifestSet`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveState {
    /// Per `CloudMapNamespace` manifest, by `metadata.name`.
    pub namespaces: BTreeMap<String, Lookup<LiveNamespace>>,
    /// Per `EcsCluster` manifest, by `metadata.name`.
    pub clusters: BTreeMap<String, Lookup<LiveCluster>>,
    /// Per `EcsService` manifest, by `metadata.name`.
    pub services: BTreeMap<String, LiveEcsService>,
    /// Resources no manifest describes, with their tags (only listed when pruning); the plan
    /// decides which of them are this instance's orphans.
    pub unclaimed: Vec<Unclaimed>,
    /// Failures of the prune scan (pruning is skipped for what could not be listed).
    pub orphan_scan_errors: Vec<LookupError>,
}

/// What `import` reads of one cluster: the cluster and the services it was asked for, each
/// with the revision it runs and its Cloud Map registration.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    /// Region read.
    pub region: String,
    /// The cluster.
    pub cluster: LiveCluster,
    /// The services, by name.
    pub services: Vec<InventoryService>,
}

/// One service as `import` reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryService {
    /// The ECS service.
    pub service: LiveService,
    /// The revision it runs.
    pub task_definition: LiveTaskDefinition,
    /// Fields of that revision the manifest model does not hold (`proxyConfiguration`, ...).
    pub unmodelled: Vec<String>,
    /// Its Cloud Map registration, when it has one.
    pub registration: Option<Registration>,
}

/// The Cloud Map service an ECS service registers in, with its namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    /// The ECS service's `serviceRegistries` entry.
    pub registry: crate::manifest::spec::ServiceRegistry,
    /// The Cloud Map service, unless it could not be read.
    pub discovery: Lookup<LiveDiscovery>,
    /// Its namespace, unless it could not be read.
    pub namespace: Lookup<LiveNamespace>,
    /// The VPC of the service's first subnet: Cloud Map does not report a private namespace's
    /// VPC, and a service's tasks resolve names in the VPC they run in.
    pub vpc: Option<String>,
}
