//! Task definitions: a live revision into the model, and the model into the parts of a
//! `RegisterTaskDefinition` request.

use aws_sdk_ecs::types as ecs;
use aws_smithy_types::error::operation::BuildError;

use crate::live::LiveTaskDefinition;
use crate::taskdef::{
    ContainerDefinition, ContainerDependency, Device, DockerVolumeConfiguration,
    EfsAuthorizationConfig, EfsVolumeConfiguration, EnvironmentFile, EphemeralStorage,
    FirelensConfiguration, HealthCheck, HostEntry, HostVolumeProperties, KernelCapabilities,
    KeyValuePair, LinuxParameters, LogConfiguration, MountPoint, PlacementConstraint, PortMapping,
    RepositoryCredentials, ResourceRequirement, RestartPolicy, RuntimePlatform, Secret,
    SystemControl, TaskDefinition, Tmpfs, Ulimit, Volume, VolumeFrom,
};

use super::{en, list, map_from, map_to, strs, try_list};
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
