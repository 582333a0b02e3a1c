//! Service and cluster fields of progressive delivery (blue/green, linear and canary
//! deployments, lifecycle hooks, Service Connect, EBS volumes configured at launch, VPC
//! Lattice) and of cluster configuration, in the AWS JSON shape.

use serde::{Deserialize, Serialize};

use crate::taskdef::{LogConfiguration, allowed};

/// A percentage AWS takes as a double (`canaryPercent`, `stepPercent`). Compared exactly:
/// `validate` refuses values that are not multiples of 0.1 in range, and canon rounds to
/// one decimal.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Percent(pub f64);

// NaN never reaches a model: `validate` refuses it as out of range.
impl Eq for Percent {}

/// `deploymentConfiguration.canaryConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct CanaryConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_percent: Option<Percent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_bake_time_in_minutes: Option<i32>,
}

/// `deploymentConfiguration.linearConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct LinearConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_percent: Option<Percent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_bake_time_in_minutes: Option<i32>,
}

/// One `deploymentConfiguration.lifecycleHooks[]` entry (a Lambda function ECS calls at the
/// named stages).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct LifecycleHook {
    pub hook_target_arn: String,
    pub role_arn: String,
    #[serde(deserialize_with = "allowed::lifecycle_stages")]
    pub lifecycle_stages: Vec<String>,
    /// Free JSON that ECS passes to the hook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_details: Option<serde_json::Value>,
}

/// `loadBalancers[].advancedConfiguration`: the second target group and listener rules of a
/// blue/green, linear or canary deployment.
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
pub struct AdvancedConfiguration {
    pub alternate_target_group_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_listener_rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_listener_rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// `serviceConnectConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ServiceConnectConfiguration {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<ServiceConnectService>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_configuration: Option<AccessLogConfiguration>,
}

/// `serviceConnectConfiguration.accessLogConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct AccessLogConfiguration {
    #[serde(deserialize_with = "allowed::access_log_format")]
    pub format: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::include_query_parameters"
    )]
    pub include_query_parameters: Option<String>,
}

/// One Service Connect endpoint of the service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ServiceConnectService {
    pub port_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_aliases: Option<Vec<ClientAlias>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_port_override: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<TimeoutConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServiceConnectTls>,
}

/// A name and port clients use for a Service Connect endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ClientAlias {
    pub port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_rules: Option<TestTrafficRules>,
}

/// Which requests are test traffic during a blue/green deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct TestTrafficRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<TestTrafficHeader>,
}

/// A header that marks test traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct TestTrafficHeader {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<HeaderMatch>,
}

/// How the header value matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct HeaderMatch {
    pub exact: String,
}

/// Service Connect proxy timeouts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct TimeoutConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_request_timeout_seconds: Option<i32>,
}

/// Service Connect TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ServiceConnectTls {
    pub issuer_certificate_authority: CertificateAuthority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// The private CA that issues Service Connect certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct CertificateAuthority {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_pca_authority_arn: Option<String>,
}

/// One `volumeConfigurations[]` entry: a task definition volume with `configuredAtLaunch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ServiceVolumeConfiguration {
    pub name: String,
    #[serde(
        default,
        rename = "managedEBSVolume",
        skip_serializing_if = "Option::is_none"
    )]
    pub managed_ebs_volume: Option<ManagedEbsVolume>,
}

/// An EBS volume ECS creates for each task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ManagedEbsVolume {
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::ebs_volume_type"
    )]
    pub volume_type: Option<String>,
    #[serde(default, rename = "sizeInGiB", skip_serializing_if = "Option::is_none")]
    pub size_in_gib: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_initialization_rate: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_specifications: Option<Vec<EbsTagSpecification>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::filesystem_type"
    )]
    pub filesystem_type: Option<String>,
}

/// Tags ECS puts on the volumes it creates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct EbsTagSpecification {
    #[serde(deserialize_with = "allowed::ebs_resource_type")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<KeyValueTag>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::propagate_tags"
    )]
    pub propagate_tags: Option<String>,
}

/// A tag in the `{key, value}` shape.
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
pub struct KeyValueTag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// One `vpcLatticeConfigurations[]` entry.
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
pub struct VpcLatticeConfiguration {
    pub role_arn: String,
    pub target_group_arn: String,
    pub port_name: String,
}

/// `EcsCluster` `spec.serviceConnectDefaults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterServiceConnectDefaults {
    /// ARN of the Cloud Map namespace (AWS answers the ARN whatever was sent).
    pub namespace: String,
}

/// `EcsCluster` `spec.configuration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ClusterConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_command_configuration: Option<ExecuteCommandConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_storage_configuration: Option<ManagedStorageConfiguration>,
}

/// How `ecs execute-command` sessions are encrypted and logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ExecuteCommandConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::execute_command_logging"
    )]
    pub logging: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<ExecuteCommandLogConfiguration>,
}

/// Where `OVERRIDE` logging sends execute-command output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ExecuteCommandLogConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_log_group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_encryption_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_encryption_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
}

/// KMS keys for the cluster's managed storage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ManagedStorageConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fargate_ephemeral_storage_kms_key_id: Option<String>,
}
