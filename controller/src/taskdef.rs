//! A typed model of `RegisterTaskDefinition` input in the AWS JSON shape (camelCase).
//!
//! The manifest's `spec.taskDefinition` is exactly what `aws ecs register-task-definition
//! --cli-input-json` takes, minus `tags` (which come from `spec.tags`). Unknown fields are
//! rejected so a typo never silently drops a setting. The same type holds the live side
//! (converted from `DescribeTaskDefinition` in [`crate::aws`]) so both can be canonicalized by
//! [`crate::canon`] and compared field by field.
//!
//! Not modelled: `proxyConfiguration` (App Mesh), `inferenceAccelerators` (Elastic Inference)
//! and `fsxWindowsFileServerVolumeConfiguration`; manifests that set them are refused with the
//! reason (`manifest::typed`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `RegisterTaskDefinition` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskDefinition {
    /// Family name; a new revision is registered under it.
    pub family: String,
    /// IAM role the task's containers assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// IAM role ECS uses to pull images and write logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// `bridge`, `host`, `awsvpc` or `none`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::network_mode"
    )]
    pub network_mode: Option<String>,
    /// The containers.
    pub container_definitions: Vec<ContainerDefinition>,
    /// Task volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume>>,
    /// Placement constraints of the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    /// `EC2`, `FARGATE`, `EXTERNAL`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::compatibilities"
    )]
    pub requires_compatibilities: Option<Vec<String>>,
    /// Task CPU units (`"2048"`, `2048` or `"2 vCPU"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Task memory in MiB (`"4096"`, `4096` or `"4 GB"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// `host` or `task`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::pid_mode"
    )]
    pub pid_mode: Option<String>,
    /// `host`, `task` or `none`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::ipc_mode"
    )]
    pub ipc_mode: Option<String>,
    /// Fargate ephemeral storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
    /// CPU architecture and OS family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Whether fault injection is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_fault_injection: Option<bool>,
}

/// One container of a task definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_mappings: Option<Vec<PortMapping>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Vec<KeyValuePair>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_files: Option<Vec<EnvironmentFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_points: Option<Vec<MountPoint>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes_from: Option<Vec<VolumeFrom>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<Secret>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<ContainerDependency>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_timeout: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::version_consistency"
    )]
    pub version_consistency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_networking: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_servers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_search_domains: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_hosts: Option<Vec<HostEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_security_options: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudo_terminal: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ulimits: Option<Vec<Ulimit>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_controls: Option<Vec<SystemControl>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_requirements: Option<Vec<ResourceRequirement>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firelens_configuration: Option<FirelensConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_specs: Option<Vec<String>>,
}

/// A port published by a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct PortMapping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::protocol"
    )]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "allowed::app_protocol"
    )]
    pub app_protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port_range: Option<String>,
}

/// A container health check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct HealthCheck {
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i32>,
}

/// Container log routing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct LogConfiguration {
    pub log_driver: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_options: Option<Vec<Secret>>,
}

/// An environment variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct KeyValuePair {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A secret injected from Secrets Manager or SSM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct Secret {
    pub name: String,
    pub value_from: String,
}

/// An environment file in S3.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct EnvironmentFile {
    pub value: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A volume mounted into a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct MountPoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_volume: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// Volumes shared from another container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct VolumeFrom {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// A resource limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct Ulimit {
    pub name: String,
    pub soft_limit: i32,
    pub hard_limit: i32,
}

/// An `/etc/hosts` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct HostEntry {
    pub hostname: String,
    pub ip_address: String,
}

/// Start-up ordering between containers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ContainerDependency {
    pub container_name: String,
    #[serde(deserialize_with = "allowed::container_condition_required")]
    pub condition: String,
}

/// A namespaced kernel parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct SystemControl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A GPU or accelerator requirement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct ResourceRequirement {
    pub value: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// FireLens log router settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct FirelensConfiguration {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
}

/// Private registry credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct RepositoryCredentials {
    pub credentials_parameter: String,
}

/// Container restart policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct RestartPolicy {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored_exit_codes: Option<Vec<i32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_attempt_period: Option<i32>,
}

/// Linux-specific container options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct LinuxParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<KernelCapabilities>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<Device>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_memory_size: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<Vec<Tmpfs>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_swap: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swappiness: Option<i32>,
}

/// Linux capabilities added or dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct KernelCapabilities {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<Vec<String>>,
}

/// A host device exposed to the container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct Device {
    pub host_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
}

/// A tmpfs mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct Tmpfs {
    pub container_path: String,
    pub size: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_options: Option<Vec<String>>,
}

/// A task volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct Volume {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostVolumeProperties>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_volume_configuration: Option<DockerVolumeConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_at_launch: Option<bool>,
}

/// A bind mount from the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct HostVolumeProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
}

/// A Docker volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct DockerVolumeConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoprovision: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_opts: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// An EFS file system volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct EfsVolumeConfiguration {
    pub file_system_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_encryption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_encryption_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_config: Option<EfsAuthorizationConfig>,
}

/// EFS access point and IAM authorization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct EfsAuthorizationConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_point_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<String>,
}

/// A task placement constraint (`memberOf` with an expression).
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
pub struct PlacementConstraint {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// Fargate ephemeral storage size.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EphemeralStorage {
    /// Size in GiB.
    #[serde(rename = "sizeInGiB")]
    pub size_in_gib: i32,
}

/// CPU architecture and OS family of the task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "field names and meanings are those of the AWS API"
)]
pub struct RuntimePlatform {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system_family: Option<String>,
}

/// Deserializers that accept only the values AWS documents for an enum-like string field, so
/// a typo fails validation with a location instead of failing later at the API.
pub(crate) mod allowed {
    use serde::de::{self, Deserialize, Deserializer};

    fn check<E: de::Error>(value: String, allowed: &'static [&'static str]) -> Result<String, E> {
        if allowed.contains(&value.as_str()) {
            Ok(value)
        } else {
            Err(E::unknown_variant(&value, allowed))
        }
    }

    macro_rules! one_of {
        ($($name:ident => [$($value:literal),+ $(,)?];)+) => {$(
            pub(crate) fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
                check(String::deserialize(d)?, &[$($value),+]).map(Some)
            }
        )+};
    }

    one_of! {
        network_mode => ["bridge", "host", "awsvpc", "none"];
        pid_mode => ["host", "task"];
        ipc_mode => ["host", "task", "none"];
        protocol => ["tcp", "udp"];
        app_protocol => ["http", "http2", "grpc"];
        version_consistency => ["enabled", "disabled"];
        launch_type => ["EC2", "FARGATE", "EXTERNAL"];
        scheduling_strategy => ["REPLICA", "DAEMON"];
        assign_public_ip => ["ENABLED", "DISABLED"];
        propagate_tags => ["TASK_DEFINITION", "SERVICE", "NONE"];
        deployment_controller => ["ECS", "CODE_DEPLOY", "EXTERNAL"];
        routing_policy => ["MULTIVALUE", "WEIGHTED"];
        availability_zone_rebalancing => ["ENABLED", "DISABLED"];
        deployment_strategy => ["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"];
        access_log_format => ["TEXT", "JSON"];
        include_query_parameters => ["DISABLED", "ENABLED"];
        ebs_volume_type => ["gp2", "gp3", "io1", "io2", "sc1", "st1", "standard"];
        filesystem_type => ["ext3", "ext4", "xfs", "ntfs"];
        ebs_resource_type => ["volume"];
        execute_command_logging => ["NONE", "DEFAULT", "OVERRIDE"];
    }

    /// `deploymentConfiguration.lifecycleHooks[].lifecycleStages` (API reference,
    /// DeploymentLifecycleHook).
    pub(crate) fn lifecycle_stages<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<String>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|v| {
                check(
                    v,
                    &[
                        "RECONCILE_SERVICE",
                        "PRE_SCALE_UP",
                        "POST_SCALE_UP",
                        "TEST_TRAFFIC_SHIFT",
                        "POST_TEST_TRAFFIC_SHIFT",
                        "PRODUCTION_TRAFFIC_SHIFT",
                        "POST_PRODUCTION_TRAFFIC_SHIFT",
                    ],
                )
            })
            .collect()
    }

    /// `dependsOn[].condition` is required, so it is not an `Option`.
    pub(crate) fn container_condition_required<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<String, D::Error> {
        check(
            String::deserialize(d)?,
            &["START", "COMPLETE", "SUCCESS", "HEALTHY"],
        )
    }

    /// DNS record types Cloud Map supports.
    pub(crate) fn record_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        check(String::deserialize(d)?, &["A", "AAAA", "SRV", "CNAME"])
    }

    /// `requiresCompatibilities` entries.
    pub(crate) fn compatibilities<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<String>>, D::Error> {
        let values = Vec::<String>::deserialize(d)?;
        values
            .into_iter()
            .map(|v| check(v, &["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}
impl TaskDefinition {
    /// A fingerprint of this definition as written (16 hex digits of SHA-256 over its JSON):
    /// what [`crate::ownership::TAG_TASK_DEFINITION`] records. Written differently means a
    /// different fingerprint, which only costs a read.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let json = serde_json::to_vec(self).unwrap_or_default();
        let digest = sha2::Sha256::digest(&json);
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}
