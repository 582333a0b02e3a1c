//! Every conversion between SDK types and the manifest model lives here.
//!
//! `*_from_sdk` read live values into the model (read-only fields such as `revision`,
//! `status` or `registeredAt` are simply not carried over); `*_to_sdk` build request pieces
//! from the model. Builders with required fields return `BuildError`, which only a model
//! that skipped validation can trigger.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ecs::types as ecs;
use aws_sdk_servicediscovery::types as sd;
use aws_smithy_types::error::operation::BuildError;

use crate::live::{Deployment, LiveDiscovery, LiveNamespace, LiveService, LiveTaskDefinition};
use crate::manifest::spec::{
    AwsVpcConfiguration, CapacityProviderStrategyItem, ClusterSetting, DeploymentAlarms,
    DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController, DnsConfig, DnsRecord,
    HealthCheckCustomConfig, LoadBalancer, NetworkConfiguration, PlacementStrategy,
    ServiceRegistry, ServiceSettings,
};
use crate::taskdef::{
    ContainerDefinition, ContainerDependency, Device, DockerVolumeConfiguration,
    EfsAuthorizationConfig, EfsVolumeConfiguration, EnvironmentFile, EphemeralStorage,
    FirelensConfiguration, HealthCheck, HostEntry, HostVolumeProperties, KernelCapabilities,
    KeyValuePair, LinuxParameters, LogConfiguration, MountPoint, PlacementConstraint, PortMapping,
    RepositoryCredentials, ResourceRequirement, RestartPolicy, RuntimePlatform, Secret,
    SystemControl, TaskDefinition, Tmpfs, Ulimit, Volume, VolumeFrom,
};

fn strs<T: AsRef<str>>(v: &[T]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.iter().map(|s| s.as_ref().to_owned()).collect())
}

fn map_from(m: Option<&HashMap<String, String>>) -> Option<BTreeMap<String, String>> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn map_to(m: Option<&BTreeMap<String, String>>) -> Option<HashMap<String, String>> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn list<S, T>(v: &[S], f: impl Fn(&S) -> T) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.iter().map(f).collect())
}

fn try_list<S, T>(
    v: Option<&Vec<S>>,
    f: impl Fn(&S) -> Result<T, BuildError>,
) -> Result<Option<Vec<T>>, BuildError> {
    v.map(|v| v.iter().map(f).collect()).transpose()
}

fn en<T: for<'a> From<&'a str>>(s: Option<&String>) -> Option<T> {
    s.map(|s| T::from(s.as_str()))
}

// ---------------------------------------------------------------- task definitions

/// Reads a live task definition.
pub(crate) fn task_definition_from_sdk(td: &ecs::TaskDefinition) -> LiveTaskDefinition {
    let definition = TaskDefinition {
        family: td.family().unwrap_or_default().to_owned(),
        task_role_arn: td.task_role_arn().map(str::to_owned),
        execution_role_arn: td.execution_role_arn().map(str::to_owned),
        network_mode: td.network_mode().map(|m| m.as_str().to_owned()),
        container_definitions: td
            .container_definitions()
            .iter()
            .map(container_from_sdk)
            .collect(),
        volumes: list(td.volumes(), volume_from_sdk),
        placement_constraints: list(td.placement_constraints(), |p| PlacementConstraint {
            kind: p
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            expression: p.expression().map(str::to_owned),
        }),
        requires_compatibilities: list(td.requires_compatibilities(), |c| c.as_str().to_owned()),
        cpu: td.cpu().map(str::to_owned),
        memory: td.memory().map(str::to_owned),
        pid_mode: td.pid_mode().map(|m| m.as_str().to_owned()),
        ipc_mode: td.ipc_mode().map(|m| m.as_str().to_owned()),
        ephemeral_storage: td.ephemeral_storage().map(|e| EphemeralStorage {
            size_in_gib: e.size_in_gib(),
        }),
        runtime_platform: td.runtime_platform().map(|p| RuntimePlatform {
            cpu_architecture: p.cpu_architecture().map(|c| c.as_str().to_owned()),
            operating_system_family: p.operating_system_family().map(|o| o.as_str().to_owned()),
        }),
        enable_fault_injection: td.enable_fault_injection(),
    };
    LiveTaskDefinition {
        arn: td.task_definition_arn().unwrap_or_default().to_owned(),
        revision: td.revision(),
        status: td
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        definition,
    }
}

fn secret_from_sdk(s: &ecs::Secret) -> Secret {
    Secret {
        name: s.name().to_owned(),
        value_from: s.value_from().to_owned(),
    }
}

fn container_from_sdk(c: &ecs::ContainerDefinition) -> ContainerDefinition {
    ContainerDefinition {
        name: c.name().unwrap_or_default().to_owned(),
        image: c.image().unwrap_or_default().to_owned(),
        repository_credentials: c.repository_credentials().map(|r| RepositoryCredentials {
            credentials_parameter: r.credentials_parameter().to_owned(),
        }),
        cpu: Some(c.cpu()),
        memory: c.memory(),
        memory_reservation: c.memory_reservation(),
        links: strs(c.links()),
        port_mappings: list(c.port_mappings(), |p| PortMapping {
            container_port: p.container_port(),
            host_port: p.host_port(),
            protocol: p.protocol().map(|x| x.as_str().to_owned()),
            name: p.name().map(str::to_owned),
            app_protocol: p.app_protocol().map(|x| x.as_str().to_owned()),
            container_port_range: p.container_port_range().map(str::to_owned),
        }),
        essential: c.essential(),
        restart_policy: c.restart_policy().map(|r| RestartPolicy {
            enabled: r.enabled(),
            ignored_exit_codes: list(r.ignored_exit_codes(), |x| *x),
            restart_attempt_period: r.restart_attempt_period(),
        }),
        entry_point: strs(c.entry_point()),
        command: strs(c.command()),
        environment: list(c.environment(), |kv| KeyValuePair {
            name: kv.name().unwrap_or_default().to_owned(),
            value: kv.value().map(str::to_owned),
        }),
        environment_files: list(c.environment_files(), |f| EnvironmentFile {
            value: f.value().to_owned(),
            kind: f.r#type().as_str().to_owned(),
        }),
        mount_points: list(c.mount_points(), |m| MountPoint {
            source_volume: m.source_volume().map(str::to_owned),
            container_path: m.container_path().map(str::to_owned),
            read_only: m.read_only(),
        }),
        volumes_from: list(c.volumes_from(), |v| VolumeFrom {
            source_container: v.source_container().map(str::to_owned),
            read_only: v.read_only(),
        }),
        linux_parameters: c.linux_parameters().map(|l| LinuxParameters {
            capabilities: l.capabilities().map(|k| KernelCapabilities {
                add: strs(k.add()),
                drop: strs(k.drop()),
            }),
            devices: list(l.devices(), |d| Device {
                host_path: d.host_path().to_owned(),
                container_path: d.container_path().map(str::to_owned),
                permissions: list(d.permissions(), |p| p.as_str().to_owned()),
            }),
            init_process_enabled: l.init_process_enabled(),
            shared_memory_size: l.shared_memory_size(),
            tmpfs: list(l.tmpfs(), |t| Tmpfs {
                container_path: t.container_path().to_owned(),
                size: t.size(),
                mount_options: strs(t.mount_options()),
            }),
            max_swap: l.max_swap(),
            swappiness: l.swappiness(),
        }),
        secrets: list(c.secrets(), secret_from_sdk),
        depends_on: list(c.depends_on(), |d| ContainerDependency {
            container_name: d.container_name().to_owned(),
            condition: d.condition().as_str().to_owned(),
        }),
        start_timeout: c.start_timeout(),
        stop_timeout: c.stop_timeout(),
        version_consistency: c.version_consistency().map(|v| v.as_str().to_owned()),
        hostname: c.hostname().map(str::to_owned),
        user: c.user().map(str::to_owned),
        working_directory: c.working_directory().map(str::to_owned),
        disable_networking: c.disable_networking(),
        privileged: c.privileged(),
        readonly_root_filesystem: c.readonly_root_filesystem(),
        dns_servers: strs(c.dns_servers()),
        dns_search_domains: strs(c.dns_search_domains()),
        extra_hosts: list(c.extra_hosts(), |h| HostEntry {
            hostname: h.hostname().to_owned(),
            ip_address: h.ip_address().to_owned(),
        }),
        docker_security_options: strs(c.docker_security_options()),
        interactive: c.interactive(),
        pseudo_terminal: c.pseudo_terminal(),
        docker_labels: map_from(c.docker_labels()),
        ulimits: list(c.ulimits(), |u| Ulimit {
            name: u.name().as_str().to_owned(),
            soft_limit: u.soft_limit(),
            hard_limit: u.hard_limit(),
        }),
        log_configuration: c.log_configuration().map(|l| LogConfiguration {
            log_driver: l.log_driver().as_str().to_owned(),
            options: map_from(l.options()),
            secret_options: list(l.secret_options(), secret_from_sdk),
        }),
        health_check: c.health_check().map(|h| HealthCheck {
            command: h.command().to_vec(),
            interval: h.interval(),
            timeout: h.timeout(),
            retries: h.retries(),
            start_period: h.start_period(),
        }),
        system_controls: list(c.system_controls(), |s| SystemControl {
            namespace: s.namespace().map(str::to_owned),
            value: s.value().map(str::to_owned),
        }),
        resource_requirements: list(c.resource_requirements(), |r| ResourceRequirement {
            value: r.value().to_owned(),
            kind: r.r#type().as_str().to_owned(),
        }),
        firelens_configuration: c.firelens_configuration().map(|f| FirelensConfiguration {
            kind: f.r#type().as_str().to_owned(),
            options: map_from(f.options()),
        }),
        credential_specs: strs(c.credential_specs()),
    }
}

fn volume_from_sdk(v: &ecs::Volume) -> Volume {
    Volume {
        name: v.name().map(str::to_owned),
        host: v.host().map(|h| HostVolumeProperties {
            source_path: h.source_path().map(str::to_owned),
        }),
        docker_volume_configuration: v.docker_volume_configuration().map(|d| {
            DockerVolumeConfiguration {
                scope: d.scope().map(|s| s.as_str().to_owned()),
                autoprovision: d.autoprovision(),
                driver: d.driver().map(str::to_owned),
                driver_opts: map_from(d.driver_opts()),
                labels: map_from(d.labels()),
            }
        }),
        efs_volume_configuration: v
            .efs_volume_configuration()
            .map(|e| EfsVolumeConfiguration {
                file_system_id: e.file_system_id().to_owned(),
                root_directory: e.root_directory().map(str::to_owned),
                transit_encryption: e.transit_encryption().map(|t| t.as_str().to_owned()),
                transit_encryption_port: e.transit_encryption_port(),
                authorization_config: e.authorization_config().map(|a| EfsAuthorizationConfig {
                    access_point_id: a.access_point_id().map(str::to_owned),
                    iam: a.iam().map(|i| i.as_str().to_owned()),
                }),
            }),
        configured_at_launch: v.configured_at_launch(),
    }
}

fn secret_to_sdk(s: &Secret) -> Result<ecs::Secret, BuildError> {
    ecs::Secret::builder()
        .name(&s.name)
        .value_from(&s.value_from)
        .build()
}

/// The pieces of a `RegisterTaskDefinition` request.
pub(crate) struct RegisterParts {
    pub containers: Vec<ecs::ContainerDefinition>,
    pub volumes: Option<Vec<ecs::Volume>>,
    pub placement_constraints: Option<Vec<ecs::TaskDefinitionPlacementConstraint>>,
    pub ephemeral_storage: Option<ecs::EphemeralStorage>,
    pub runtime_platform: Option<ecs::RuntimePlatform>,
}

/// Builds the nested parts of a `RegisterTaskDefinition` request.
pub(crate) fn register_parts(td: &TaskDefinition) -> Result<RegisterParts, BuildError> {
    let containers = td
        .container_definitions
        .iter()
        .map(container_to_sdk)
        .collect::<Result<Vec<_>, _>>()?;
    let volumes = try_list(td.volumes.as_ref(), volume_to_sdk)?;
    Ok(RegisterParts {
        containers,
        volumes,
        placement_constraints: td.placement_constraints.as_ref().map(|ps| {
            ps.iter()
                .map(|p| {
                    ecs::TaskDefinitionPlacementConstraint::builder()
                        .r#type(p.kind.as_str().into())
                        .set_expression(p.expression.clone())
                        .build()
                })
                .collect()
        }),
        ephemeral_storage: td.ephemeral_storage.as_ref().map(|e| {
            ecs::EphemeralStorage::builder()
                .size_in_gib(e.size_in_gib)
                .build()
        }),
        runtime_platform: td.runtime_platform.as_ref().map(|p| {
            ecs::RuntimePlatform::builder()
                .set_cpu_architecture(en(p.cpu_architecture.as_ref()))
                .set_operating_system_family(en(p.operating_system_family.as_ref()))
                .build()
        }),
    })
}

fn container_to_sdk(c: &ContainerDefinition) -> Result<ecs::ContainerDefinition, BuildError> {
    let linux = c
        .linux_parameters
        .as_ref()
        .map(|l| -> Result<ecs::LinuxParameters, BuildError> {
            Ok(ecs::LinuxParameters::builder()
                .set_capabilities(l.capabilities.as_ref().map(|k| {
                    ecs::KernelCapabilities::builder()
                        .set_add(k.add.clone())
                        .set_drop(k.drop.clone())
                        .build()
                }))
                .set_devices(try_list(l.devices.as_ref(), |d| {
                    ecs::Device::builder()
                        .host_path(&d.host_path)
                        .set_container_path(d.container_path.clone())
                        .set_permissions(
                            d.permissions
                                .as_ref()
                                .map(|ps| ps.iter().map(|p| p.as_str().into()).collect()),
                        )
                        .build()
                })?)
                .set_init_process_enabled(l.init_process_enabled)
                .set_shared_memory_size(l.shared_memory_size)
                .set_tmpfs(try_list(l.tmpfs.as_ref(), |t| {
                    ecs::Tmpfs::builder()
                        .container_path(&t.container_path)
                        .size(t.size)
                        .set_mount_options(t.mount_options.clone())
                        .build()
                })?)
                .set_max_swap(l.max_swap)
                .set_swappiness(l.swappiness)
                .build())
        })
        .transpose()?;
    Ok(ecs::ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .set_repository_credentials(
            c.repository_credentials
                .as_ref()
                .map(|r| {
                    ecs::RepositoryCredentials::builder()
                        .credentials_parameter(&r.credentials_parameter)
                        .build()
                })
                .transpose()?,
        )
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_memory_reservation(c.memory_reservation)
        .set_links(c.links.clone())
        .set_port_mappings(c.port_mappings.as_ref().map(|ps| {
            ps.iter()
                .map(|p| {
                    ecs::PortMapping::builder()
                        .set_container_port(p.container_port)
                        .set_host_port(p.host_port)
                        .set_protocol(en(p.protocol.as_ref()))
                        .set_name(p.name.clone())
                        .set_app_protocol(en(p.app_protocol.as_ref()))
                        .set_container_port_range(p.container_port_range.clone())
                        .build()
                })
                .collect()
        }))
        .set_essential(c.essential)
        .set_restart_policy(
            c.restart_policy
                .as_ref()
                .map(|r| {
                    ecs::ContainerRestartPolicy::builder()
                        .enabled(r.enabled)
                        .set_ignored_exit_codes(r.ignored_exit_codes.clone())
                        .set_restart_attempt_period(r.restart_attempt_period)
                        .build()
                })
                .transpose()?,
        )
        .set_entry_point(c.entry_point.clone())
        .set_command(c.command.clone())
        .set_environment(c.environment.as_ref().map(|es| {
            es.iter()
                .map(|e| {
                    ecs::KeyValuePair::builder()
                        .name(&e.name)
                        .set_value(e.value.clone())
                        .build()
                })
                .collect()
        }))
        .set_environment_files(try_list(c.environment_files.as_ref(), |f| {
            ecs::EnvironmentFile::builder()
                .value(&f.value)
                .r#type(f.kind.as_str().into())
                .build()
        })?)
        .set_mount_points(c.mount_points.as_ref().map(|ms| {
            ms.iter()
                .map(|m| {
                    ecs::MountPoint::builder()
                        .set_source_volume(m.source_volume.clone())
                        .set_container_path(m.container_path.clone())
                        .set_read_only(m.read_only)
                        .build()
                })
                .collect()
        }))
        .set_volumes_from(c.volumes_from.as_ref().map(|vs| {
            vs.iter()
                .map(|v| {
                    ecs::VolumeFrom::builder()
                        .set_source_container(v.source_container.clone())
                        .set_read_only(v.read_only)
                        .build()
                })
                .collect()
        }))
        .set_linux_parameters(linux)
        .set_secrets(try_list(c.secrets.as_ref(), secret_to_sdk)?)
        .set_depends_on(try_list(c.depends_on.as_ref(), |d| {
            ecs::ContainerDependency::builder()
                .container_name(&d.container_name)
                .condition(d.condition.as_str().into())
                .build()
        })?)
        .set_start_timeout(c.start_timeout)
        .set_stop_timeout(c.stop_timeout)
        .set_version_consistency(en(c.version_consistency.as_ref()))
        .set_hostname(c.hostname.clone())
        .set_user(c.user.clone())
        .set_working_directory(c.working_directory.clone())
        .set_disable_networking(c.disable_networking)
        .set_privileged(c.privileged)
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_dns_servers(c.dns_servers.clone())
        .set_dns_search_domains(c.dns_search_domains.clone())
        .set_extra_hosts(try_list(c.extra_hosts.as_ref(), |h| {
            ecs::HostEntry::builder()
                .hostname(&h.hostname)
                .ip_address(&h.ip_address)
                .build()
        })?)
        .set_docker_security_options(c.docker_security_options.clone())
        .set_interactive(c.interactive)
        .set_pseudo_terminal(c.pseudo_terminal)
        .set_docker_labels(map_to(c.docker_labels.as_ref()))
        .set_ulimits(try_list(c.ulimits.as_ref(), |u| {
            ecs::Ulimit::builder()
                .name(u.name.as_str().into())
                .soft_limit(u.soft_limit)
                .hard_limit(u.hard_limit)
                .build()
        })?)
        .set_log_configuration(
            c.log_configuration
                .as_ref()
                .map(|l| {
                    ecs::LogConfiguration::builder()
                        .log_driver(l.log_driver.as_str().into())
                        .set_options(map_to(l.options.as_ref()))
                        .set_secret_options(try_list(l.secret_options.as_ref(), secret_to_sdk)?)
                        .build()
                })
                .transpose()?,
        )
        .set_health_check(
            c.health_check
                .as_ref()
                .map(|h| {
                    ecs::HealthCheck::builder()
                        .set_command(Some(h.command.clone()))
                        .set_interval(h.interval)
                        .set_timeout(h.timeout)
                        .set_retries(h.retries)
                        .set_start_period(h.start_period)
                        .build()
                })
                .transpose()?,
        )
        .set_system_controls(c.system_controls.as_ref().map(|ss| {
            ss.iter()
                .map(|s| {
                    ecs::SystemControl::builder()
                        .set_namespace(s.namespace.clone())
                        .set_value(s.value.clone())
                        .build()
                })
                .collect()
        }))
        .set_resource_requirements(try_list(c.resource_requirements.as_ref(), |r| {
            ecs::ResourceRequirement::builder()
                .value(&r.value)
                .r#type(r.kind.as_str().into())
                .build()
        })?)
        .set_firelens_configuration(
            c.firelens_configuration
                .as_ref()
                .map(|f| {
                    ecs::FirelensConfiguration::builder()
                        .r#type(f.kind.as_str().into())
                        .set_options(map_to(f.options.as_ref()))
                        .build()
                })
                .transpose()?,
        )
        .set_credential_specs(c.credential_specs.clone())
        .build())
}

fn volume_to_sdk(v: &Volume) -> Result<ecs::Volume, BuildError> {
    Ok(ecs::Volume::builder()
        .set_name(v.name.clone())
        .set_host(v.host.as_ref().map(|h| {
            ecs::HostVolumeProperties::builder()
                .set_source_path(h.source_path.clone())
                .build()
        }))
        .set_docker_volume_configuration(v.docker_volume_configuration.as_ref().map(|d| {
            ecs::DockerVolumeConfiguration::builder()
                .set_scope(en(d.scope.as_ref()))
                .set_autoprovision(d.autoprovision)
                .set_driver(d.driver.clone())
                .set_driver_opts(map_to(d.driver_opts.as_ref()))
                .set_labels(map_to(d.labels.as_ref()))
                .build()
        }))
        .set_efs_volume_configuration(
            v.efs_volume_configuration
                .as_ref()
                .map(|e| {
                    ecs::EfsVolumeConfiguration::builder()
                        .file_system_id(&e.file_system_id)
                        .set_root_directory(e.root_directory.clone())
                        .set_transit_encryption(en(e.transit_encryption.as_ref()))
                        .set_transit_encryption_port(e.transit_encryption_port)
                        .set_authorization_config(e.authorization_config.as_ref().map(|a| {
                            ecs::EfsAuthorizationConfig::builder()
                                .set_access_point_id(a.access_point_id.clone())
                                .set_iam(en(a.iam.as_ref()))
                                .build()
                        }))
                        .build()
                })
                .transpose()?,
        )
        .set_configured_at_launch(v.configured_at_launch)
        .build())
}

// ---------------------------------------------------------------- services

/// Reads a live ECS service.
pub(crate) fn service_from_sdk(s: &ecs::Service) -> LiveService {
    let settings = ServiceSettings {
        desired_count: Some(s.desired_count()),
        launch_type: s.launch_type().map(|l| l.as_str().to_owned()),
        capacity_provider_strategy: list(s.capacity_provider_strategy(), strategy_item_from_sdk),
        platform_version: s.platform_version().map(str::to_owned),
        role: s.role_arn().map(str::to_owned),
        deployment_configuration: s
            .deployment_configuration()
            .map(|d| DeploymentConfiguration {
                deployment_circuit_breaker: d.deployment_circuit_breaker().map(|b| {
                    DeploymentCircuitBreaker {
                        enable: b.enable(),
                        rollback: b.rollback(),
                    }
                }),
                maximum_percent: d.maximum_percent(),
                minimum_healthy_percent: d.minimum_healthy_percent(),
                alarms: d.alarms().map(|a| DeploymentAlarms {
                    alarm_names: a.alarm_names().to_vec(),
                    enable: a.enable(),
                    rollback: a.rollback(),
                }),
                strategy: d.strategy().map(|x| x.as_str().to_owned()),
                bake_time_in_minutes: d.bake_time_in_minutes(),
            }),
        placement_constraints: list(s.placement_constraints(), |p| PlacementConstraint {
            kind: p
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            expression: p.expression().map(str::to_owned),
        }),
        placement_strategy: list(s.placement_strategy(), |p| PlacementStrategy {
            kind: p
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            field: p.field().map(str::to_owned),
        }),
        network_configuration: s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .map(|a| NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: a.subnets().to_vec(),
                    security_groups: strs(a.security_groups()),
                    assign_public_ip: a.assign_public_ip().map(|p| p.as_str().to_owned()),
                },
            }),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds(),
        scheduling_strategy: s.scheduling_strategy().map(|x| x.as_str().to_owned()),
        deployment_controller: s.deployment_controller().map(|d| DeploymentController {
            kind: Some(d.r#type().as_str().to_owned()),
        }),
        enable_ecs_managed_tags: Some(s.enable_ecs_managed_tags()),
        propagate_tags: s.propagate_tags().map(|p| p.as_str().to_owned()),
        enable_execute_command: Some(s.enable_execute_command()),
        load_balancers: list(s.load_balancers(), |l| LoadBalancer {
            target_group_arn: l.target_group_arn().map(str::to_owned),
            load_balancer_name: l.load_balancer_name().map(str::to_owned),
            container_name: l.container_name().map(str::to_owned),
            container_port: l.container_port(),
        }),
        availability_zone_rebalancing: s
            .availability_zone_rebalancing()
            .map(|a| a.as_str().to_owned()),
        service_registries: list(s.service_registries(), |r| ServiceRegistry {
            registry_arn: r.registry_arn().unwrap_or_default().to_owned(),
            container_name: r.container_name().map(str::to_owned),
            container_port: r.container_port(),
            port: r.port(),
        }),
    };
    LiveService {
        arn: s.service_arn().unwrap_or_default().to_owned(),
        cluster_arn: s.cluster_arn().unwrap_or_default().to_owned(),
        name: s.service_name().unwrap_or_default().to_owned(),
        status: s.status().unwrap_or_default().to_owned(),
        settings,
        task_definition_arn: s.task_definition().map(str::to_owned),
        tags: ecs_tags_from_sdk(s.tags()),
        running_count: s.running_count(),
        pending_count: s.pending_count(),
        deployments: s
            .deployments()
            .iter()
            .map(|d| Deployment {
                status: d.status().unwrap_or_default().to_owned(),
                rollout_state: d.rollout_state().map(|r| r.as_str().to_owned()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
                task_definition: d.task_definition().map(str::to_owned),
                desired_count: d.desired_count(),
                running_count: d.running_count(),
                failed_tasks: d.failed_tasks(),
            })
            .collect(),
    }
}

/// Request pieces for `CreateService`/`UpdateService`.
#[derive(Default)]
pub(crate) struct ServiceParts {
    pub launch_type: Option<ecs::LaunchType>,
    pub capacity_provider_strategy: Option<Vec<ecs::CapacityProviderStrategyItem>>,
    pub deployment_configuration: Option<ecs::DeploymentConfiguration>,
    pub placement_constraints: Option<Vec<ecs::PlacementConstraint>>,
    pub placement_strategy: Option<Vec<ecs::PlacementStrategy>>,
    pub network_configuration: Option<ecs::NetworkConfiguration>,
    pub scheduling_strategy: Option<ecs::SchedulingStrategy>,
    pub deployment_controller: Option<ecs::DeploymentController>,
    pub propagate_tags: Option<ecs::PropagateTags>,
    pub load_balancers: Option<Vec<ecs::LoadBalancer>>,
    pub availability_zone_rebalancing: Option<ecs::AvailabilityZoneRebalancing>,
}

/// Converts the set fields of `s` (a full spec or a sparse patch) to request pieces.
pub(crate) fn service_parts(s: &ServiceSettings) -> Result<ServiceParts, BuildError> {
    Ok(ServiceParts {
        launch_type: en(s.launch_type.as_ref()),
        capacity_provider_strategy: s
            .capacity_provider_strategy
            .as_deref()
            .map(strategy_to_sdk)
            .transpose()?,
        deployment_configuration: s
            .deployment_configuration
            .as_ref()
            .map(|d| -> Result<_, BuildError> {
                Ok(ecs::DeploymentConfiguration::builder()
                    .set_deployment_circuit_breaker(d.deployment_circuit_breaker.as_ref().map(
                        |b| {
                            ecs::DeploymentCircuitBreaker::builder()
                                .enable(b.enable)
                                .rollback(b.rollback)
                                .build()
                        },
                    ))
                    .set_maximum_percent(d.maximum_percent)
                    .set_minimum_healthy_percent(d.minimum_healthy_percent)
                    .set_strategy(en(d.strategy.as_ref()))
                    .set_bake_time_in_minutes(d.bake_time_in_minutes)
                    .set_alarms(
                        d.alarms
                            .as_ref()
                            .map(|a| {
                                ecs::DeploymentAlarms::builder()
                                    .set_alarm_names(Some(a.alarm_names.clone()))
                                    .enable(a.enable)
                                    .rollback(a.rollback)
                                    .build()
                            })
                            .transpose()?,
                    )
                    .build())
            })
            .transpose()?,
        placement_constraints: s.placement_constraints.as_ref().map(|ps| {
            ps.iter()
                .map(|p| {
                    ecs::PlacementConstraint::builder()
                        .r#type(p.kind.as_str().into())
                        .set_expression(p.expression.clone())
                        .build()
                })
                .collect()
        }),
        placement_strategy: s.placement_strategy.as_ref().map(|ps| {
            ps.iter()
                .map(|p| {
                    ecs::PlacementStrategy::builder()
                        .r#type(p.kind.as_str().into())
                        .set_field(p.field.clone())
                        .build()
                })
                .collect()
        }),
        network_configuration: s
            .network_configuration
            .as_ref()
            .map(|n| -> Result<_, BuildError> {
                let a = &n.awsvpc_configuration;
                Ok(ecs::NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        ecs::AwsVpcConfiguration::builder()
                            .set_subnets(Some(a.subnets.clone()))
                            .set_security_groups(a.security_groups.clone())
                            .set_assign_public_ip(en(a.assign_public_ip.as_ref()))
                            .build()?,
                    )
                    .build())
            })
            .transpose()?,
        scheduling_strategy: en(s.scheduling_strategy.as_ref()),
        deployment_controller: s
            .deployment_controller
            .as_ref()
            .and_then(|d| d.kind.as_ref())
            .map(|k| {
                ecs::DeploymentController::builder()
                    .r#type(k.as_str().into())
                    .build()
            })
            .transpose()?,
        propagate_tags: en(s.propagate_tags.as_ref()),
        load_balancers: s.load_balancers.as_ref().map(|ls| {
            ls.iter()
                .map(|l| {
                    ecs::LoadBalancer::builder()
                        .set_target_group_arn(l.target_group_arn.clone())
                        .set_load_balancer_name(l.load_balancer_name.clone())
                        .set_container_name(l.container_name.clone())
                        .set_container_port(l.container_port)
                        .build()
                })
                .collect()
        }),
        availability_zone_rebalancing: en(s.availability_zone_rebalancing.as_ref()),
    })
}

/// The ECS `serviceRegistries` entry for a registry.
pub(crate) fn service_registry_to_sdk(r: &ServiceRegistry) -> ecs::ServiceRegistry {
    ecs::ServiceRegistry::builder()
        .registry_arn(&r.registry_arn)
        .set_container_name(r.container_name.clone())
        .set_container_port(r.container_port)
        .set_port(r.port)
        .build()
}

// ---------------------------------------------------------------- clusters and tags

/// Cluster settings read from AWS.
pub(crate) fn cluster_settings_from_sdk(c: &ecs::Cluster) -> Vec<ClusterSetting> {
    c.settings()
        .iter()
        .map(|s| ClusterSetting {
            name: s.name().map(|n| n.as_str().to_owned()).unwrap_or_default(),
            value: s.value().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Capacity providers of a cluster as AWS reports them.
pub(crate) fn cluster_capacity_from_sdk(
    c: &ecs::Cluster,
) -> (Vec<String>, Vec<CapacityProviderStrategyItem>) {
    (
        c.capacity_providers().to_vec(),
        c.default_capacity_provider_strategy()
            .iter()
            .map(strategy_item_from_sdk)
            .collect(),
    )
}

fn strategy_item_from_sdk(c: &ecs::CapacityProviderStrategyItem) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem {
        capacity_provider: c.capacity_provider().to_owned(),
        weight: Some(c.weight()),
        base: Some(c.base()),
    }
}

/// A capacity provider strategy for a request.
pub(crate) fn strategy_to_sdk(
    items: &[CapacityProviderStrategyItem],
) -> Result<Vec<ecs::CapacityProviderStrategyItem>, BuildError> {
    items
        .iter()
        .map(|c| {
            ecs::CapacityProviderStrategyItem::builder()
                .capacity_provider(&c.capacity_provider)
                .set_weight(c.weight)
                .set_base(c.base)
                .build()
        })
        .collect()
}

/// Cluster settings for a request.
pub(crate) fn cluster_settings_to_sdk(settings: &[ClusterSetting]) -> Vec<ecs::ClusterSetting> {
    settings
        .iter()
        .map(|s| {
            ecs::ClusterSetting::builder()
                .name(s.name.as_str().into())
                .value(&s.value)
                .build()
        })
        .collect()
}

/// ECS tags as a map.
pub(crate) fn ecs_tags_from_sdk(tags: &[ecs::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// A map as ECS tags.
pub(crate) fn ecs_tags_to_sdk(tags: &BTreeMap<String, String>) -> Vec<ecs::Tag> {
    tags.iter()
        .map(|(k, v)| ecs::Tag::builder().key(k).value(v).build())
        .collect()
}

/// Cloud Map tags as a map.
pub(crate) fn cloudmap_tags_from_sdk(tags: &[sd::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// A map as Cloud Map tags.
pub(crate) fn cloudmap_tags_to_sdk(
    tags: &BTreeMap<String, String>,
) -> Result<Vec<sd::Tag>, BuildError> {
    tags.iter()
        .map(|(k, v)| sd::Tag::builder().key(k).value(v).build())
        .collect()
}

// ---------------------------------------------------------------- Cloud Map

/// Reads a namespace summary (tags are filled in by the caller). The SOA TTL is not read
/// from it: `ListNamespaces` answers `"SOA": {}` (aws-cli
/// `examples/servicediscovery/list-namespaces.rst`), which the SDK reads as TTL 0; the caller
/// reads it with `GetNamespace` when a manifest sets it.
pub(crate) fn namespace_from_sdk(n: &sd::NamespaceSummary) -> LiveNamespace {
    LiveNamespace {
        id: n.id().unwrap_or_default().to_owned(),
        arn: n.arn().unwrap_or_default().to_owned(),
        name: n.name().unwrap_or_default().to_owned(),
        namespace_type: n
            .r#type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        description: n.description().map(str::to_owned),
        soa_ttl: None,
        tags: BTreeMap::new(),
    }
}

/// The SOA TTL in a `GetNamespace` answer (`None` when it carries no SOA).
pub(crate) fn namespace_soa_ttl(n: &sd::Namespace) -> Option<i64> {
    n.properties()
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.soa())
        .map(sd::Soa::ttl)
}

/// Reads a Cloud Map service summary (tags are filled in by the caller).
pub(crate) fn discovery_from_sdk(s: &sd::ServiceSummary, namespace_id: &str) -> LiveDiscovery {
    LiveDiscovery {
        id: s.id().unwrap_or_default().to_owned(),
        arn: s.arn().unwrap_or_default().to_owned(),
        name: s.name().unwrap_or_default().to_owned(),
        namespace_id: namespace_id.to_owned(),
        description: s.description().map(str::to_owned),
        dns_config: s.dns_config().map(|d| DnsConfig {
            dns_records: d
                .dns_records()
                .iter()
                .map(|r| DnsRecord {
                    kind: r.r#type().as_str().to_owned(),
                    ttl: r.ttl(),
                })
                .collect(),
            routing_policy: d.routing_policy().map(|p| p.as_str().to_owned()),
        }),
        // Deprecated by AWS (always 1) but part of the AWS JSON shape the manifests use.
        #[allow(deprecated, reason = "failureThreshold is kept for the AWS JSON shape")]
        health_check_custom_config: s.health_check_custom_config().map(|h| {
            HealthCheckCustomConfig {
                failure_threshold: h.failure_threshold(),
            }
        }),
        instance_count: s.instance_count(),
        tags: BTreeMap::new(),
    }
}

/// DNS records for a request.
pub(crate) fn dns_records_to_sdk(records: &[DnsRecord]) -> Result<Vec<sd::DnsRecord>, BuildError> {
    records
        .iter()
        .map(|r| {
            sd::DnsRecord::builder()
                .r#type(r.kind.as_str().into())
                .ttl(r.ttl)
                .build()
        })
        .collect()
}

/// A DNS config for `CreateService`.
pub(crate) fn dns_config_to_sdk(d: &DnsConfig) -> Result<sd::DnsConfig, BuildError> {
    sd::DnsConfig::builder()
        .set_dns_records(Some(dns_records_to_sdk(&d.dns_records)?))
        .set_routing_policy(en(d.routing_policy.as_ref()))
        .build()
}

#[cfg(test)]
mod tests;
