//! Canonicalization: rewrite a desired or live value into one normal form so that only real
//! differences remain when the two are compared.
//!
//! Every function takes an owned value and returns a new one; nothing here does I/O. The same
//! rules run on both sides, so a rule may either fill an AWS default (absent `essential`
//! becomes `true`) or drop a value AWS echoes by default (`privileged: false` becomes absent);
//! what matters is that "unset" and "AWS default" end up equal.
//!
//! Task definition rules (each has a table test):
//! - read-only fields are never modelled (see [`crate::taskdef`]); empty lists, empty maps and
//!   nulls become absent;
//! - lists whose order AWS does not keep meaningful are sorted by their key: containers by
//!   name, environment and secrets by name, port mappings by port and protocol, mount points
//!   by path, volumes by name, ...;
//! - AWS defaults: `essential: true`, container `cpu: 0`, `protocol: tcp`,
//!   `hostPort = containerPort` in `awsvpc`/`host` mode (`0` in `bridge`), health check
//!   `interval 30`, `timeout 5`, `retries 3`, `startPeriod 0`, `networkMode: bridge`,
//!   `readOnly: false`;
//! - units: task `cpu` `"2 vCPU"` becomes `"2048"`, `memory` `"4 GB"` becomes `"4096"`.

use std::collections::BTreeMap;

use crate::manifest::spec::{
    AwsVpcConfiguration, ClusterSetting, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentController, DiscoverySpec, DnsConfig, HealthCheckCustomConfig, NetworkConfiguration,
    ServiceSettings,
};
use crate::taskdef::{
    ContainerDefinition, HealthCheck, LinuxParameters, LogConfiguration, PortMapping,
    TaskDefinition, Volume,
};

/// Normalizes a task CPU amount to CPU units: `"2048"`, `"2 vCPU"`, `"0.25 vcpu"`.
/// Returns `None` when the text is not a CPU amount.
#[must_use]
pub fn normalize_cpu(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(number) = t.strip_suffix("vcpu") {
        return scaled(number.trim(), 1024.0);
    }
    let number = t.strip_suffix("cpu units").unwrap_or(&t).trim();
    integral(number)
}

/// Normalizes a task memory amount to MiB: `"4096"`, `"4 GB"`, `"4GiB"`, `"512 MB"`.
/// Returns `None` when the text is not a memory amount.
#[must_use]
pub fn normalize_memory(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    for (suffix, factor) in [("gib", 1024.0), ("gb", 1024.0), ("mib", 1.0), ("mb", 1.0)] {
        if let Some(number) = t.strip_suffix(suffix) {
            return scaled(number.trim(), factor);
        }
    }
    integral(&t)
}

fn integral(text: &str) -> Option<String> {
    let n: u64 = text.parse().ok()?;
    (n > 0).then(|| n.to_string())
}

fn scaled(text: &str, factor: f64) -> Option<String> {
    let n: f64 = text.parse().ok()?;
    let value = n * factor;
    // Only whole units are valid; reject fractions and absurd values.
    if !((1.0..=16_777_216.0).contains(&value) && value.fract() == 0.0) {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "range and integrality checked above"
    )]
    let whole = value as u64;
    Some(whole.to_string())
}

fn non_empty<T>(v: Option<Vec<T>>) -> Option<Vec<T>> {
    v.filter(|v| !v.is_empty())
}

fn non_empty_map<K, V>(m: Option<BTreeMap<K, V>>) -> Option<BTreeMap<K, V>> {
    m.filter(|m| !m.is_empty())
}

fn sorted_by<T, K: Ord>(v: Option<Vec<T>>, key: impl FnMut(&T) -> K) -> Option<Vec<T>> {
    let mut v = non_empty(v)?;
    v.sort_by_key(key);
    Some(v)
}

fn true_or_none(b: Option<bool>) -> Option<bool> {
    b.filter(|b| *b)
}

fn non_empty_string(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// Canonical form of a task definition (see the module docs for the rules).
#[must_use]
pub fn task_definition(td: TaskDefinition) -> TaskDefinition {
    let network_mode = td.network_mode.unwrap_or_else(|| "bridge".to_owned());
    let mut containers: Vec<ContainerDefinition> = td
        .container_definitions
        .into_iter()
        .map(|c| container(c, &network_mode))
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    TaskDefinition {
        family: td.family,
        task_role_arn: non_empty_string(td.task_role_arn),
        execution_role_arn: non_empty_string(td.execution_role_arn),
        container_definitions: containers,
        volumes: sorted_by(td.volumes, |v| v.name.clone())
            .map(|vs| vs.into_iter().map(volume).collect()),
        placement_constraints: sorted_by(td.placement_constraints, Clone::clone),
        requires_compatibilities: sorted_by(td.requires_compatibilities, Clone::clone),
        cpu: td.cpu.map(|c| normalize_cpu(&c).unwrap_or(c)),
        memory: td.memory.map(|m| normalize_memory(&m).unwrap_or(m)),
        pid_mode: td.pid_mode,
        ipc_mode: td.ipc_mode,
        ephemeral_storage: td.ephemeral_storage,
        runtime_platform: td
            .runtime_platform
            .filter(|p| p.cpu_architecture.is_some() || p.operating_system_family.is_some()),
        enable_fault_injection: true_or_none(td.enable_fault_injection),
        network_mode: Some(network_mode),
    }
}

fn volume(v: Volume) -> Volume {
    Volume {
        host: v.host.filter(|h| h.source_path.is_some()),
        configured_at_launch: true_or_none(v.configured_at_launch),
        docker_volume_configuration: v.docker_volume_configuration.map(|mut d| {
            d.driver_opts = non_empty_map(d.driver_opts);
            d.labels = non_empty_map(d.labels);
            d
        }),
        ..v
    }
}

fn container(c: ContainerDefinition, network_mode: &str) -> ContainerDefinition {
    let host_port_follows = network_mode == "awsvpc" || network_mode == "host";
    let port_mappings = sorted_by(
        c.port_mappings.map(|ps| {
            ps.into_iter()
                .map(|p| port_mapping(p, host_port_follows))
                .collect()
        }),
        |p: &PortMapping| {
            (
                p.container_port,
                p.container_port_range.clone(),
                p.protocol.clone(),
            )
        },
    );
    ContainerDefinition {
        cpu: Some(c.cpu.unwrap_or(0)),
        essential: Some(c.essential.unwrap_or(true)),
        links: non_empty(c.links),
        port_mappings,
        entry_point: non_empty(c.entry_point),
        command: non_empty(c.command),
        environment: sorted_by(c.environment, |e| e.name.clone()),
        environment_files: sorted_by(c.environment_files, |e| (e.value.clone(), e.kind.clone())),
        mount_points: sorted_by(
            c.mount_points.map(|ms| {
                ms.into_iter()
                    .map(|mut m| {
                        m.read_only = Some(m.read_only.unwrap_or(false));
                        m
                    })
                    .collect()
            }),
            |m| (m.container_path.clone(), m.source_volume.clone()),
        ),
        volumes_from: sorted_by(
            c.volumes_from.map(|vs| {
                vs.into_iter()
                    .map(|mut v| {
                        v.read_only = Some(v.read_only.unwrap_or(false));
                        v
                    })
                    .collect()
            }),
            |v| v.source_container.clone(),
        ),
        linux_parameters: c.linux_parameters.and_then(linux_parameters),
        secrets: sorted_by(c.secrets, |s| s.name.clone()),
        depends_on: sorted_by(c.depends_on, |d| d.container_name.clone()),
        version_consistency: c.version_consistency.filter(|v| v != "enabled"),
        disable_networking: true_or_none(c.disable_networking),
        privileged: true_or_none(c.privileged),
        readonly_root_filesystem: true_or_none(c.readonly_root_filesystem),
        interactive: true_or_none(c.interactive),
        pseudo_terminal: true_or_none(c.pseudo_terminal),
        dns_servers: non_empty(c.dns_servers),
        dns_search_domains: non_empty(c.dns_search_domains),
        extra_hosts: sorted_by(c.extra_hosts, |h| {
            (h.hostname.clone(), h.ip_address.clone())
        }),
        docker_security_options: non_empty(c.docker_security_options),
        docker_labels: non_empty_map(c.docker_labels),
        ulimits: sorted_by(c.ulimits, |u| u.name.clone()),
        log_configuration: c.log_configuration.map(log_configuration),
        health_check: c.health_check.map(health_check),
        system_controls: sorted_by(c.system_controls, |s| s.namespace.clone()),
        resource_requirements: sorted_by(c.resource_requirements, |r| r.kind.clone()),
        firelens_configuration: c.firelens_configuration.map(|mut f| {
            f.options = non_empty_map(f.options);
            f
        }),
        credential_specs: non_empty(c.credential_specs),
        restart_policy: c.restart_policy.map(|mut r| {
            r.ignored_exit_codes = sorted_by(r.ignored_exit_codes, |c| *c);
            r
        }),
        hostname: non_empty_string(c.hostname),
        user: non_empty_string(c.user),
        working_directory: non_empty_string(c.working_directory),
        ..c
    }
}

fn port_mapping(p: PortMapping, host_port_follows: bool) -> PortMapping {
    let host_port = match (p.host_port, p.container_port) {
        (Some(h), _) => Some(h),
        (None, Some(c)) if host_port_follows => Some(c),
        (None, Some(_)) => Some(0),
        (None, None) => None,
    };
    PortMapping {
        host_port,
        protocol: Some(p.protocol.unwrap_or_else(|| "tcp".to_owned())),
        name: non_empty_string(p.name),
        ..p
    }
}

fn health_check(h: HealthCheck) -> HealthCheck {
    HealthCheck {
        command: h.command,
        interval: Some(h.interval.unwrap_or(30)),
        timeout: Some(h.timeout.unwrap_or(5)),
        retries: Some(h.retries.unwrap_or(3)),
        start_period: Some(h.start_period.unwrap_or(0)),
    }
}

fn log_configuration(l: LogConfiguration) -> LogConfiguration {
    LogConfiguration {
        log_driver: l.log_driver,
        options: non_empty_map(l.options),
        secret_options: sorted_by(l.secret_options, |s| s.name.clone()),
    }
}

fn linux_parameters(l: LinuxParameters) -> Option<LinuxParameters> {
    let capabilities = l.capabilities.and_then(|c| {
        let add = sorted_by(c.add, Clone::clone);
        let drop = sorted_by(c.drop, Clone::clone);
        (add.is_some() || drop.is_some())
            .then_some(crate::taskdef::KernelCapabilities { add, drop })
    });
    let out = LinuxParameters {
        capabilities,
        devices: sorted_by(l.devices, |d| d.host_path.clone()),
        tmpfs: sorted_by(l.tmpfs, |t| t.container_path.clone()),
        init_process_enabled: true_or_none(l.init_process_enabled),
        ..l
    };
    (out != LinuxParameters::default()).then_some(out)
}

/// Canonical form of ECS service settings: AWS defaults filled in (launch type `EC2`,
/// `REPLICA`, deployment 200%/100% with the circuit breaker off, `assignPublicIp: DISABLED`,
/// `platformVersion: LATEST` on Fargate, grace period 0, `propagateTags: NONE`, ...), lists
/// whose order does not matter sorted, the role reduced to its name.
#[must_use]
pub fn service(s: ServiceSettings) -> ServiceSettings {
    let scheduling = s
        .scheduling_strategy
        .unwrap_or_else(|| "REPLICA".to_owned());
    let daemon = scheduling == "DAEMON";
    let capacity = sorted_by(s.capacity_provider_strategy, |c| {
        c.capacity_provider.clone()
    })
    .map(|items| {
        items
            .into_iter()
            .map(|mut c| {
                c.weight = Some(c.weight.unwrap_or(0));
                c.base = Some(c.base.unwrap_or(0));
                c
            })
            .collect::<Vec<_>>()
    });
    let launch_type = match (s.launch_type, &capacity) {
        (Some(l), _) => Some(l),
        (None, None) => Some("EC2".to_owned()),
        (None, Some(_)) => None,
    };
    let fargate = launch_type.as_deref() == Some("FARGATE") || capacity.is_some();
    let platform_version = if fargate {
        Some(s.platform_version.unwrap_or_else(|| "LATEST".to_owned()))
    } else {
        None
    };
    let deployment = s.deployment_configuration.unwrap_or_default();
    let deployment_configuration = Some(DeploymentConfiguration {
        deployment_circuit_breaker: Some(deployment.deployment_circuit_breaker.unwrap_or(
            DeploymentCircuitBreaker {
                enable: false,
                rollback: false,
            },
        )),
        maximum_percent: Some(
            deployment
                .maximum_percent
                .unwrap_or(if daemon { 100 } else { 200 }),
        ),
        minimum_healthy_percent: Some(deployment.minimum_healthy_percent.unwrap_or(if daemon {
            0
        } else {
            100
        })),
        alarms: deployment
            .alarms
            .filter(|a| a.enable || a.rollback || !a.alarm_names.is_empty())
            .map(|mut a| {
                a.alarm_names.sort();
                a
            }),
    });
    let network_configuration = s.network_configuration.map(|n| {
        let mut subnets = n.awsvpc_configuration.subnets;
        subnets.sort();
        NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets,
                security_groups: sorted_by(n.awsvpc_configuration.security_groups, Clone::clone),
                assign_public_ip: Some(
                    n.awsvpc_configuration
                        .assign_public_ip
                        .unwrap_or_else(|| "DISABLED".to_owned()),
                ),
            },
        }
    });
    ServiceSettings {
        // ECS manages the count of a DAEMON service.
        desired_count: if daemon {
            None
        } else {
            Some(s.desired_count.unwrap_or(0))
        },
        launch_type,
        capacity_provider_strategy: capacity,
        platform_version,
        role: s
            .role
            .filter(|r| !r.is_empty())
            .map(|r| r.rsplit('/').next().unwrap_or(&r).to_owned()),
        deployment_configuration,
        placement_constraints: sorted_by(s.placement_constraints, Clone::clone),
        placement_strategy: non_empty(s.placement_strategy),
        network_configuration,
        health_check_grace_period_seconds: Some(s.health_check_grace_period_seconds.unwrap_or(0)),
        scheduling_strategy: Some(scheduling),
        deployment_controller: Some(DeploymentController {
            kind: Some(
                s.deployment_controller
                    .and_then(|d| d.kind)
                    .unwrap_or_else(|| "ECS".to_owned()),
            ),
        }),
        enable_ecs_managed_tags: Some(s.enable_ecs_managed_tags.unwrap_or(false)),
        propagate_tags: Some(s.propagate_tags.unwrap_or_else(|| "NONE".to_owned())),
        enable_execute_command: Some(s.enable_execute_command.unwrap_or(false)),
        load_balancers: sorted_by(s.load_balancers, Clone::clone),
        service_registries: sorted_by(s.service_registries, Clone::clone),
    }
}

/// Canonical form of a Cloud Map service: records sorted by type, `MULTIVALUE` routing and a
/// failure threshold of 1 when unset (AWS fixes it at 1), empty description absent.
#[must_use]
pub fn discovery(d: DiscoverySpec) -> DiscoverySpec {
    let mut records = d.dns_config.dns_records;
    records.sort_by(|a, b| a.kind.cmp(&b.kind));
    DiscoverySpec {
        namespace: d.namespace,
        name: d.name.to_ascii_lowercase(),
        description: non_empty_string(d.description),
        dns_config: DnsConfig {
            dns_records: records,
            routing_policy: Some(
                d.dns_config
                    .routing_policy
                    .unwrap_or_else(|| "MULTIVALUE".to_owned()),
            ),
        },
        health_check_custom_config: d
            .health_check_custom_config
            .map(|h| HealthCheckCustomConfig {
                failure_threshold: Some(h.failure_threshold.unwrap_or(1)),
            }),
    }
}

/// Canonical form of cluster settings: sorted by name.
#[must_use]
pub fn cluster_settings(settings: Option<Vec<ClusterSetting>>) -> Option<Vec<ClusterSetting>> {
    sorted_by(settings, |s| s.name.clone())
}

/// A DNS name compared case-insensitively and without the trailing dot.
#[must_use]
pub fn dns_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests;
