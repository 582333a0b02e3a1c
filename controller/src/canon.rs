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
//! - units: task `cpu` `"2 vCPU"` becomes `"2048"`, `memory` `"4 GB"` becomes `"4096"`;
//! - what ECS drops or fills on its own: environment entries with an empty value are dropped
//!   (ECS does not store them), a container `memory`/`memoryReservation` of 0 is absent, an
//!   EFS volume's `rootDirectory` defaults to `/` and a docker volume's `scope` to `task`;
//! - role names: [`qualify_roles`] turns a `taskRoleArn`/`executionRoleArn` given as a role
//!   name into the ARN ECS stores, in the account of a live ARN.
//!
//! Service rules: see [`service`] and [`service_against_live`] (fields the manifest leaves to
//! AWS take the live value, so they never show as drift).

use std::collections::BTreeMap;

use crate::manifest::spec::{
    AwsVpcConfiguration, CapacityProviderStrategyItem, ClusterSetting, DeploymentCircuitBreaker,
    DeploymentConfiguration, DeploymentController, DiscoverySpec, DnsConfig,
    HealthCheckCustomConfig, NetworkConfiguration, ServiceSettings,
};
use crate::manifest::spec::{
    CanaryConfiguration, LinearConfiguration, Percent, ServiceConnectConfiguration,
};
use crate::taskdef::{
    ContainerDefinition, HealthCheck, LinuxParameters, LogConfiguration, PortMapping,
    TaskDefinition, Volume,
};
pub use crate::units::{normalize_cpu, normalize_memory};

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

/// Partition and account of an ARN (`arn:<partition>:<service>:<region>:<account>:...`).
fn arn_account(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let partition = parts.next()?;
    let _service = parts.next()?;
    let _region = parts.next()?;
    let account = parts.next()?;
    let valid =
        !partition.is_empty() && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    valid.then_some((partition, account))
}

/// Rewrites a `taskRoleArn`/`executionRoleArn` given as a role name into the ARN ECS stores
/// for it: RegisterTaskDefinition takes "the short name or full ARN" of the role and
/// DescribeTaskDefinition answers with the ARN (API reference, RegisterTaskDefinition). The
/// account and partition are those of `live_arn`, any ARN of the same account (a task
/// definition, service or cluster ARN): task roles live in the account the task runs in,
/// and no extra call (STS) is needed to learn it. Without a usable ARN nothing changes.
#[must_use]
pub fn qualify_roles(mut td: TaskDefinition, live_arn: &str) -> TaskDefinition {
    let Some((partition, account)) = arn_account(live_arn) else {
        return td;
    };
    let qualify = |role: Option<String>| {
        role.map(|r| {
            if r.is_empty() || r.starts_with("arn:") {
                r
            } else {
                format!("arn:{partition}:iam::{account}:role/{r}")
            }
        })
    };
    td.task_role_arn = qualify(td.task_role_arn);
    td.execution_role_arn = qualify(td.execution_role_arn);
    td
}

fn volume(v: Volume) -> Volume {
    Volume {
        host: v.host.filter(|h| h.source_path.is_some()),
        configured_at_launch: true_or_none(v.configured_at_launch),
        docker_volume_configuration: v.docker_volume_configuration.map(|mut d| {
            d.driver_opts = non_empty_map(d.driver_opts);
            d.labels = non_empty_map(d.labels);
            // A docker volume without `scope` is task-scoped (API reference,
            // DockerVolumeConfiguration; aws/amazon-ecs-cli#607), and answers say so.
            d.scope = Some(d.scope.unwrap_or_else(|| "task".to_owned()));
            d
        }),
        // `rootDirectory` defaults to the file system root (API reference,
        // EFSVolumeConfiguration), which DescribeTaskDefinition reports as `/`.
        efs_volume_configuration: v.efs_volume_configuration.map(|mut e| {
            e.root_directory =
                Some(non_empty_string(e.root_directory).unwrap_or_else(|| "/".to_owned()));
            e
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
        // An answer can carry `"memory": 0` for a container without a hard limit (the agent
        // runs it with Docker `Memory=0`, eagletmt/hako#45); RegisterTaskDefinition refuses 0
        // as a limit (ansible/ansible#67647), so 0 can only mean "unset".
        memory: c.memory.filter(|m| *m != 0),
        memory_reservation: c.memory_reservation.filter(|m| *m != 0),
        essential: Some(c.essential.unwrap_or(true)),
        links: non_empty(c.links),
        port_mappings,
        entry_point: non_empty(c.entry_point),
        command: non_empty(c.command),
        // ECS silently drops environment entries whose value is empty, so a manifest that
        // keeps one would register a new revision every pass (terraform-provider-aws#39533).
        environment: sorted_by(
            c.environment.map(|env| {
                env.into_iter()
                    .filter(|e| e.value.as_deref().is_some_and(|v| !v.is_empty()))
                    .collect()
            }),
            |e| e.name.clone(),
        ),
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

/// Suffix of the ECS service-linked role, which `DescribeServices` reports as `roleArn` for a
/// service created without `role` (aws-cli `examples/ecs/create-service.rst`, the Fargate
/// example answers `role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`).
const SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForECS";

/// Capacity providers that run tasks on Fargate (the others are Auto Scaling groups).
const FARGATE_PROVIDERS: &[&str] = &["FARGATE", "FARGATE_SPOT"];

/// Fills the fields a manifest leaves to AWS with their live values, so that they never show
/// as drift; a field the manifest sets is kept and compared. Run on the desired side before
/// [`service`]:
/// - `desiredCount` unset: the count is left to whoever scales the service (Application Auto
///   Scaling); the service is created with 1 and the count is never compared afterwards;
/// - neither `launchType` nor `capacityProviderStrategy`: ECS applies the cluster's default
///   capacity provider strategy, or the `EC2` launch type when the cluster has none (API
///   reference, CreateService `capacityProviderStrategy`), so whichever it chose is accepted;
/// - `availabilityZoneRebalancing`, `deploymentConfiguration.strategy` and
///   `bakeTimeInMinutes` unset: ECS fills them with defaults that changed over time (API
///   reference, CreateService `availabilityZoneRebalancing`; DeploymentConfiguration).
#[must_use]
pub fn service_against_live(
    mut desired: ServiceSettings,
    live: &ServiceSettings,
) -> ServiceSettings {
    if desired.desired_count.is_none() {
        desired.desired_count = live.desired_count;
    }
    if desired.launch_type.is_none() && desired.capacity_provider_strategy.is_none() {
        desired.launch_type.clone_from(&live.launch_type);
        desired
            .capacity_provider_strategy
            .clone_from(&live.capacity_provider_strategy);
    }
    if desired.availability_zone_rebalancing.is_none() {
        desired
            .availability_zone_rebalancing
            .clone_from(&live.availability_zone_rebalancing);
    }
    let live_deployment = live.deployment_configuration.as_ref();
    let deployment = desired
        .deployment_configuration
        .get_or_insert_with(DeploymentConfiguration::default);
    if deployment.strategy.is_none() {
        deployment.strategy = live_deployment.and_then(|d| d.strategy.clone());
    }
    if deployment.bake_time_in_minutes.is_none() {
        deployment.bake_time_in_minutes = live_deployment.and_then(|d| d.bake_time_in_minutes);
    }
    desired
}

/// Canonical form of ECS service settings: AWS defaults filled in (`REPLICA`, deployment
/// 200%/100% with the circuit breaker off, `assignPublicIp: DISABLED`, `platformVersion:
/// LATEST` on Fargate, grace period 0, `propagateTags: NONE`, ...), lists whose order does
/// not matter sorted, the role reduced to its name and the service-linked role dropped.
/// Fields AWS chooses when the manifest is silent are settled by [`service_against_live`].
#[must_use]
pub fn service(s: ServiceSettings) -> ServiceSettings {
    let scheduling = s
        .scheduling_strategy
        .unwrap_or_else(|| "REPLICA".to_owned());
    let daemon = scheduling == "DAEMON";
    let capacity = capacity_provider_strategy(s.capacity_provider_strategy);
    // No launch type is invented: without one ECS may have used the cluster's default
    // capacity provider strategy (see `service_against_live`).
    let launch_type = s.launch_type;
    let fargate = launch_type.as_deref() == Some("FARGATE")
        || capacity
            .iter()
            .flatten()
            .any(|c| FARGATE_PROVIDERS.contains(&c.capacity_provider.as_str()));
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
        strategy: deployment.strategy,
        bake_time_in_minutes: deployment.bake_time_in_minutes,
        // AWS fills the documented defaults of a configuration it is given (API reference,
        // CanaryConfiguration and LinearConfiguration); percentages compare to 0.1.
        canary_configuration: deployment
            .canary_configuration
            .map(|c| CanaryConfiguration {
                canary_percent: Some(tenth(c.canary_percent.map_or(5.0, |p| p.0))),
                canary_bake_time_in_minutes: Some(c.canary_bake_time_in_minutes.unwrap_or(10)),
            }),
        linear_configuration: deployment
            .linear_configuration
            .map(|c| LinearConfiguration {
                step_percent: Some(tenth(c.step_percent.map_or(10.0, |p| p.0))),
                step_bake_time_in_minutes: Some(c.step_bake_time_in_minutes.unwrap_or(6)),
            }),
        lifecycle_hooks: non_empty(deployment.lifecycle_hooks).map(|hooks| {
            hooks
                .into_iter()
                .map(|mut h| {
                    // Stages are a set: the hook runs at each, whatever the order given.
                    h.lifecycle_stages.sort();
                    h.lifecycle_stages.dedup();
                    h.hook_details = h.hook_details.filter(|d| !d.is_null());
                    h
                })
                .collect()
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
        desired_count: if daemon { None } else { s.desired_count },
        launch_type,
        capacity_provider_strategy: capacity,
        platform_version,
        role: s
            .role
            .filter(|r| !r.is_empty())
            .map(|r| r.rsplit('/').next().unwrap_or(&r).to_owned())
            .filter(|r| r != SERVICE_LINKED_ROLE),
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
        availability_zone_rebalancing: s.availability_zone_rebalancing,
        service_connect_configuration: s.service_connect_configuration.and_then(service_connect),
        volume_configurations: sorted_by(s.volume_configurations, |v| v.name.clone()).map(|vs| {
            vs.into_iter()
                .map(|mut v| {
                    if let Some(e) = v.managed_ebs_volume.as_mut() {
                        e.tag_specifications = non_empty(e.tag_specifications.take());
                    }
                    v
                })
                .collect()
        }),
        vpc_lattice_configurations: sorted_by(s.vpc_lattice_configurations, Clone::clone),
        service_registries: sorted_by(s.service_registries, Clone::clone),
    }
}

/// A percentage rounded to 0.1, the step AWS accepts.
fn tenth(p: f64) -> Percent {
    Percent((p * 10.0).round() / 10.0)
}

/// Canonical Service Connect configuration: disabled is absent (its off form), empty lists
/// absent, log options as for containers.
fn service_connect(c: ServiceConnectConfiguration) -> Option<ServiceConnectConfiguration> {
    if !c.enabled {
        return None;
    }
    Some(ServiceConnectConfiguration {
        enabled: true,
        namespace: non_empty_string(c.namespace),
        services: sorted_by(c.services, |s| s.port_name.clone()).map(|ss| {
            ss.into_iter()
                .map(|mut s| {
                    s.client_aliases = sorted_by(s.client_aliases.take(), |a| a.port);
                    s
                })
                .collect()
        }),
        log_configuration: c.log_configuration.map(log_configuration),
        access_log_configuration: c.access_log_configuration,
    })
}

/// Canonical form of a Cloud Map service: records sorted by type, `MULTIVALUE` routing and a
/// failure threshold of 1 (AWS fixes it at 1), empty description absent.
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
        // `failureThreshold` is deprecated and "always set to 1" whatever is sent (API
        // reference, Cloud Map HealthCheckCustomConfig), so any value compares as 1;
        // `validate` warns about values other than 1.
        health_check_custom_config: d
            .health_check_custom_config
            .map(|_| HealthCheckCustomConfig {
                failure_threshold: Some(1),
            }),
        container_name: d.container_name,
        container_port: d.container_port,
        port: d.port,
    }
}

/// Canonical form of a capacity provider strategy: sorted by provider, `weight` and `base`
/// 0 when unset (their API defaults), empty absent.
#[must_use]
pub fn capacity_provider_strategy(
    items: Option<Vec<CapacityProviderStrategyItem>>,
) -> Option<Vec<CapacityProviderStrategyItem>> {
    sorted_by(items, |c| c.capacity_provider.clone()).map(|items| {
        items
            .into_iter()
            .map(|mut c| {
                c.weight = Some(c.weight.unwrap_or(0));
                c.base = Some(c.base.unwrap_or(0));
                c
            })
            .collect()
    })
}

/// Canonical form of a cluster's capacity providers: sorted, without duplicates.
#[must_use]
pub fn capacity_providers(mut providers: Vec<String>) -> Vec<String> {
    providers.sort();
    providers.dedup();
    providers
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
