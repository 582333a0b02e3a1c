//! Typed `spec` blocks of the three manifest kinds, in the AWS JSON shape (camelCase) where
//! AWS has one. Unknown fields are rejected everywhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::taskdef::{PlacementConstraint, TaskDefinition, allowed};

mod delivery;

pub use delivery::{
    AccessLogConfiguration, AdvancedConfiguration, CanaryConfiguration, CertificateAuthority,
    ClientAlias, ClusterConfiguration, ClusterServiceConnectDefaults, EbsTagSpecification,
    ExecuteCommandConfiguration, ExecuteCommandLogConfiguration, HeaderMatch, KeyValueTag,
    LifecycleHook, LinearConfiguration, ManagedEbsVolume, ManagedStorageConfiguration, Percent,
    ServiceConnectConfiguration, ServiceConnectService, ServiceConnectTls,
    ServiceVolumeConfiguration, TestTrafficHeader, TestTrafficRules, TimeoutConfiguration,
    VpcLatticeConfiguration,
};

/// `spec` of an `AwsAccount`: the role the controller assumes to act in another account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSpec {
    /// The IAM role to assume (`arn:aws:iam::111122223333:role/finfocus-ecs`).
    pub role_arn: String,
    /// The external id the role's trust policy asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// How long each session lasts (900 to 43200 seconds; STS's default, 3600, when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_seconds: Option<u32>,
}

/// `spec` of a `CloudMapNamespace`: a private DNS namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceSpec {
    /// DNS name, e.g. `finfocus.local`.
    pub name: String,
    /// VPC the hosted zone is associated with (used at creation; Cloud Map does not report it).
    pub vpc: String,
    /// Free-form description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Region override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The `AwsAccount` (by `metadata.name`) this object lives in; the controller's own
    /// account when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `properties.dnsProperties.soa.ttl`, as in `CreatePrivateDnsNamespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<NamespaceProperties>,
    /// Extra tags (ownership tags are added by the controller).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Private DNS namespace properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceProperties {
    /// DNS properties.
    pub dns_properties: NamespaceDnsProperties,
}

/// DNS properties of a private namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceDnsProperties {
    /// Start-of-authority record settings.
    pub soa: Soa,
}

/// Start-of-authority record settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Soa {
    /// TTL in seconds.
    #[serde(rename = "ttl", alias = "TTL")]
    pub ttl: i64,
}

/// `spec` of an `EcsCluster` (the cluster name is `metadata.name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSpec {
    /// Region override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The `AwsAccount` (by `metadata.name`) this object lives in; the controller's own
    /// account when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Cluster settings such as `containerInsights`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Vec<ClusterSetting>>,
    /// Capacity providers associated with the cluster (`FARGATE`, `FARGATE_SPOT` or Auto
    /// Scaling group providers). Compared only when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_providers: Option<Vec<String>>,
    /// Strategy used by services that name neither a launch type nor a strategy. Compared
    /// only when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// Default Service Connect namespace of the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_defaults: Option<ClusterServiceConnectDefaults>,
    /// Execute command and managed storage configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<ClusterConfiguration>,
    /// Extra tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// One cluster setting.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSetting {
    /// Setting name (`containerInsights`).
    pub name: String,
    /// Setting value (`enabled`, `disabled`, `enhanced`).
    pub value: String,
}

/// `spec` of an `EcsService` after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EcsServiceSpec {
    /// Region override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The `AwsAccount` (by `metadata.name`) this object lives in; the controller's own
    /// account when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Cluster name.
    pub cluster: String,
    /// `RegisterTaskDefinition` input.
    pub task_definition: TaskDefinition,
    /// `CreateService`/`UpdateService` settings.
    pub service: ServiceSettings,
    /// Optional Cloud Map service the ECS service registers its tasks in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_discovery: Option<DiscoverySpec>,
    /// Extra tags for the ECS service, its task definition revisions and its Cloud Map service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// `CreateService`/`UpdateService` fields in the AWS JSON shape. `cluster`, `serviceName`,
/// `taskDefinition`, `serviceRegistries` and `tags` come from elsewhere in the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ServiceSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::launch_type"
    )]
    pub launch_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::scheduling_strategy"
    )]
    pub scheduling_strategy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_controller: Option<DeploymentController>,
    #[serde(
        default,
        rename = "enableECSManagedTags",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ecs_managed_tags: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::propagate_tags"
    )]
    pub propagate_tags: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancers: Option<Vec<LoadBalancer>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::availability_zone_rebalancing"
    )]
    pub availability_zone_rebalancing: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_configurations: Option<Vec<ServiceVolumeConfiguration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_lattice_configurations: Option<Vec<VpcLatticeConfiguration>>,
    /// Filled by the controller from `serviceDiscovery` (and from the live service when
    /// observing); not accepted in manifests.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub service_registries: Option<Vec<ServiceRegistry>>,
}

/// A capacity provider and its share.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct CapacityProviderStrategyItem {
    pub capacity_provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<i32>,
}

/// Rolling deployment settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct DeploymentConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_percent: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_healthy_percent: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DeploymentAlarms>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::deployment_strategy"
    )]
    pub strategy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_time_in_minutes: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_configuration: Option<CanaryConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_configuration: Option<LinearConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_hooks: Option<Vec<LifecycleHook>>,
}

/// Deployment circuit breaker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct DeploymentCircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

/// CloudWatch alarms that stop a deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct DeploymentAlarms {
    pub alarm_names: Vec<String>,
    pub enable: bool,
    pub rollback: bool,
}

/// A task placement strategy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct PlacementStrategy {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Network settings of an `awsvpc` service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: AwsVpcConfiguration,
}

/// Subnets, security groups and public IP of an `awsvpc` service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct AwsVpcConfiguration {
    pub subnets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_groups: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::assign_public_ip"
    )]
    pub assign_public_ip: Option<String>,
}

/// Deployment controller type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(
        rename = "type",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::deployment_controller"
    )]
    pub kind: Option<String>,
}

/// A load balancer target.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct LoadBalancer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

/// A Cloud Map registry the ECS service registers its tasks in.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ServiceRegistry {
    pub registry_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

/// `spec.serviceDiscovery` of an `EcsService`: a Cloud Map service in a managed namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiscoverySpec {
    /// `metadata.name` of a `CloudMapNamespace` manifest.
    pub namespace: String,
    /// Cloud Map service name (the DNS label).
    pub name: String,
    /// Free-form description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// DNS records and routing policy.
    pub dns_config: DnsConfig,
    /// Custom health checking (ECS reports task health).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_custom_config: Option<HealthCheckCustomConfig>,
    /// Container whose port the `SRV` record names (ECS `serviceRegistries[].containerName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// Port of `containerName` (ECS `serviceRegistries[].containerPort`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    /// Port for the `SRV` record of an `awsvpc` service (ECS `serviceRegistries[].port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

/// Cloud Map DNS settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DnsConfig {
    /// Records created per instance.
    pub dns_records: Vec<DnsRecord>,
    /// `MULTIVALUE` or `WEIGHTED`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::routing_policy"
    )]
    pub routing_policy: Option<String>,
}

/// One DNS record template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsRecord {
    /// `A`, `AAAA`, `SRV` or `CNAME`.
    #[serde(rename = "type", deserialize_with = "allowed::record_type")]
    pub kind: String,
    /// TTL in seconds.
    #[serde(alias = "TTL")]
    pub ttl: i64,
}

/// Custom health check settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheckCustomConfig {
    /// Deprecated by AWS (always 1), kept for the AWS JSON shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i32>,
}
