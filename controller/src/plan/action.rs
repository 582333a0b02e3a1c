//! The actions a plan orders: each one API step that [`crate::apply`] executes as is.

use std::collections::BTreeMap;

use crate::manifest::spec::{
    CapacityProviderStrategyItem, ClusterConfiguration, ClusterSetting, DiscoverySpec, DnsRecord,
    ServiceRegistry, ServiceSettings,
};
use crate::taskdef::TaskDefinition;

/// An ARN known now or produced by an earlier action of the same resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnRef {
    /// Known from the live state.
    Known(String),
    /// Produced by an earlier action in the same [`super::ResourcePlan`].
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
    /// `UntagResource` on a Cloud Map resource.
    UntagCloudMap { arn: String, keys: Vec<String> },
    /// `UntagResource` on an ECS resource.
    UntagEcs { arn: String, keys: Vec<String> },
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
    /// `UpdateCluster` with the cluster's configuration and/or default Service Connect
    /// namespace (`""` removes it); absent parts are not sent.
    UpdateClusterConfiguration {
        name: String,
        configuration: Option<ClusterConfiguration>,
        service_connect_namespace: Option<String>,
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
    /// `DeregisterTaskDefinition` of an old revision (`--keep-revisions`).
    DeregisterTaskDefinition { arn: String },
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
                | Self::UntagCloudMap { .. }
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
            Self::UntagCloudMap { arn, keys } => {
                format!("UntagResource (Cloud Map) {arn} {}", keys.join(", "))
            }
            Self::UntagEcs { arn, keys } => {
                format!("UntagResource (ECS) {arn} {}", keys.join(", "))
            }
            Self::CreateCluster { name, .. } => format!("CreateCluster {name}"),
            Self::UpdateClusterSettings { name, .. } => format!("UpdateClusterSettings {name}"),
            Self::UpdateClusterConfiguration { name, .. } => format!("UpdateCluster {name}"),
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
            Self::DeregisterTaskDefinition { arn } => format!("DeregisterTaskDefinition {arn}"),
            Self::CreateService { cluster, name, .. } => format!("CreateService {cluster}/{name}"),
            Self::UpdateService { cluster, name, .. } => format!("UpdateService {cluster}/{name}"),
            Self::DeleteService { cluster, name, .. } => format!("DeleteService {cluster}/{name}"),
            Self::DeleteNamespace { name, .. } => format!("DeleteNamespace {name}"),
            Self::DeleteCluster { name } => format!("DeleteCluster {name}"),
        }
    }
}
