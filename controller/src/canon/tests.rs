//! Table tests: every canonicalization rule has a case where the manifest and what AWS
//! returns differ only by that rule. Without the rule the two would differ (and a needless
//! revision or update would be planned); with it they are equal.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeMap;

use super::*;
use crate::manifest::spec::{
    AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController,
    DiscoverySpec, DnsConfig, DnsRecord, HealthCheckCustomConfig, NetworkConfiguration,
    ServiceSettings,
};
use crate::taskdef::{
    ContainerDefinition, ContainerDependency, HealthCheck, HostEntry, HostVolumeProperties,
    KeyValuePair, LinuxParameters, LogConfiguration, MountPoint, PortMapping, Secret,
    TaskDefinition, Ulimit, Volume, VolumeFrom,
};

fn container(name: &str) -> ContainerDefinition {
    ContainerDefinition {
        name: name.into(),
        image: "ghcr.io/finfocus/plugin:1".into(),
        cpu: Some(0),
        essential: Some(true),
        ..ContainerDefinition::default()
    }
}

fn td(network: Option<&str>, containers: Vec<ContainerDefinition>) -> TaskDefinition {
    TaskDefinition {
        family: "f".into(),
        network_mode: network.map(str::to_owned),
        container_definitions: containers,
        ..TaskDefinition::default()
    }
}

fn port(container: i32, protocol: Option<&str>, host: Option<i32>) -> PortMapping {
    PortMapping {
        container_port: Some(container),
        protocol: protocol.map(str::to_owned),
        host_port: host,
        ..PortMapping::default()
    }
}

fn env(pairs: &[(&str, &str)]) -> Option<Vec<KeyValuePair>> {
    Some(
        pairs
            .iter()
            .map(|(n, v)| KeyValuePair {
                name: (*n).into(),
                value: Some((*v).into()),
            })
            .collect(),
    )
}

/// (rule, as written in the manifest, as AWS returns it)
fn task_definition_cases() -> Vec<(&'static str, TaskDefinition, TaskDefinition)> {
    let awsvpc = Some("awsvpc");
    vec![
        (
            "essential defaults to true",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    essential: None,
                    ..container("app")
                }],
            ),
            td(awsvpc, vec![container("app")]),
        ),
        (
            "container cpu defaults to 0",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    cpu: None,
                    ..container("app")
                }],
            ),
            td(awsvpc, vec![container("app")]),
        ),
        (
            "protocol defaults to tcp",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    port_mappings: Some(vec![port(8001, None, Some(8001))]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    port_mappings: Some(vec![port(8001, Some("tcp"), Some(8001))]),
                    ..container("app")
                }],
            ),
        ),
        (
            "hostPort follows containerPort in awsvpc",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    port_mappings: Some(vec![port(8001, Some("tcp"), None)]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    port_mappings: Some(vec![port(8001, Some("tcp"), Some(8001))]),
                    ..container("app")
                }],
            ),
        ),
        (
            "hostPort defaults to 0 (dynamic) in bridge",
            td(
                Some("bridge"),
                vec![ContainerDefinition {
                    port_mappings: Some(vec![port(80, Some("tcp"), None)]),
                    ..container("app")
                }],
            ),
            td(
                Some("bridge"),
                vec![ContainerDefinition {
                    port_mappings: Some(vec![port(80, Some("tcp"), Some(0))]),
                    ..container("app")
                }],
            ),
        ),
        (
            "port mappings are sorted",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    port_mappings: Some(vec![
                        port(8002, Some("tcp"), Some(8002)),
                        port(8001, Some("tcp"), Some(8001)),
                    ]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    port_mappings: Some(vec![
                        port(8001, Some("tcp"), Some(8001)),
                        port(8002, Some("tcp"), Some(8002)),
                    ]),
                    ..container("app")
                }],
            ),
        ),
        (
            "health check interval 30, timeout 5, retries 3, startPeriod 0",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    health_check: Some(HealthCheck {
                        command: vec!["CMD-SHELL".into(), "/healthcheck.sh".into()],
                        ..HealthCheck::default()
                    }),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    health_check: Some(HealthCheck {
                        command: vec!["CMD-SHELL".into(), "/healthcheck.sh".into()],
                        interval: Some(30),
                        timeout: Some(5),
                        retries: Some(3),
                        start_period: Some(0),
                    }),
                    ..container("app")
                }],
            ),
        ),
        (
            "environment is sorted by name",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    environment: env(&[("B", "2"), ("A", "1")]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    environment: env(&[("A", "1"), ("B", "2")]),
                    ..container("app")
                }],
            ),
        ),
        (
            "secrets are sorted by name",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    secrets: Some(vec![
                        Secret {
                            name: "Z".into(),
                            value_from: "arn:z".into(),
                        },
                        Secret {
                            name: "K".into(),
                            value_from: "arn:k".into(),
                        },
                    ]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    secrets: Some(vec![
                        Secret {
                            name: "K".into(),
                            value_from: "arn:k".into(),
                        },
                        Secret {
                            name: "Z".into(),
                            value_from: "arn:z".into(),
                        },
                    ]),
                    ..container("app")
                }],
            ),
        ),
        (
            "mount points are sorted and readOnly defaults to false",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    mount_points: Some(vec![
                        MountPoint {
                            source_volume: Some("b".into()),
                            container_path: Some("/b".into()),
                            read_only: None,
                        },
                        MountPoint {
                            source_volume: Some("a".into()),
                            container_path: Some("/a".into()),
                            read_only: None,
                        },
                    ]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    mount_points: Some(vec![
                        MountPoint {
                            source_volume: Some("a".into()),
                            container_path: Some("/a".into()),
                            read_only: Some(false),
                        },
                        MountPoint {
                            source_volume: Some("b".into()),
                            container_path: Some("/b".into()),
                            read_only: Some(false),
                        },
                    ]),
                    ..container("app")
                }],
            ),
        ),
        (
            "volumesFrom readOnly defaults to false",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    volumes_from: Some(vec![VolumeFrom {
                        source_container: Some("x".into()),
                        read_only: None,
                    }]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    volumes_from: Some(vec![VolumeFrom {
                        source_container: Some("x".into()),
                        read_only: Some(false),
                    }]),
                    ..container("app")
                }],
            ),
        ),
        (
            "empty lists are dropped (AWS returns environment, mountPoints, volumesFrom as [])",
            td(awsvpc, vec![container("app")]),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    environment: Some(vec![]),
                    mount_points: Some(vec![]),
                    volumes_from: Some(vec![]),
                    port_mappings: Some(vec![]),
                    system_controls: Some(vec![]),
                    ..container("app")
                }],
            ),
        ),
        (
            "empty maps and options are dropped",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    log_configuration: Some(LogConfiguration {
                        log_driver: "awslogs".into(),
                        options: None,
                        secret_options: None,
                    }),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    log_configuration: Some(LogConfiguration {
                        log_driver: "awslogs".into(),
                        options: Some(BTreeMap::new()),
                        secret_options: Some(vec![]),
                    }),
                    docker_labels: Some(BTreeMap::new()),
                    ..container("app")
                }],
            ),
        ),
        (
            "false booleans AWS echoes equal unset",
            td(awsvpc, vec![container("app")]),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    privileged: Some(false),
                    readonly_root_filesystem: Some(false),
                    interactive: Some(false),
                    pseudo_terminal: Some(false),
                    disable_networking: Some(false),
                    ..container("app")
                }],
            ),
        ),
        (
            "linuxParameters with nothing set equal unset",
            td(awsvpc, vec![container("app")]),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    linux_parameters: Some(LinuxParameters {
                        capabilities: Some(crate::taskdef::KernelCapabilities {
                            add: Some(vec![]),
                            drop: Some(vec![]),
                        }),
                        devices: Some(vec![]),
                        ..LinuxParameters::default()
                    }),
                    ..container("app")
                }],
            ),
        ),
        (
            "containers are sorted by name",
            td(awsvpc, vec![container("web"), container("app")]),
            td(awsvpc, vec![container("app"), container("web")]),
        ),
        (
            "dependsOn, ulimits and extraHosts are sorted",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    depends_on: Some(vec![
                        ContainerDependency {
                            container_name: "z".into(),
                            condition: "START".into(),
                        },
                        ContainerDependency {
                            container_name: "a".into(),
                            condition: "HEALTHY".into(),
                        },
                    ]),
                    ulimits: Some(vec![
                        Ulimit {
                            name: "nproc".into(),
                            soft_limit: 1,
                            hard_limit: 2,
                        },
                        Ulimit {
                            name: "nofile".into(),
                            soft_limit: 3,
                            hard_limit: 4,
                        },
                    ]),
                    extra_hosts: Some(vec![
                        HostEntry {
                            hostname: "b".into(),
                            ip_address: "10.0.0.2".into(),
                        },
                        HostEntry {
                            hostname: "a".into(),
                            ip_address: "10.0.0.1".into(),
                        },
                    ]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    depends_on: Some(vec![
                        ContainerDependency {
                            container_name: "a".into(),
                            condition: "HEALTHY".into(),
                        },
                        ContainerDependency {
                            container_name: "z".into(),
                            condition: "START".into(),
                        },
                    ]),
                    ulimits: Some(vec![
                        Ulimit {
                            name: "nofile".into(),
                            soft_limit: 3,
                            hard_limit: 4,
                        },
                        Ulimit {
                            name: "nproc".into(),
                            soft_limit: 1,
                            hard_limit: 2,
                        },
                    ]),
                    extra_hosts: Some(vec![
                        HostEntry {
                            hostname: "a".into(),
                            ip_address: "10.0.0.1".into(),
                        },
                        HostEntry {
                            hostname: "b".into(),
                            ip_address: "10.0.0.2".into(),
                        },
                    ]),
                    ..container("app")
                }],
            ),
        ),
        (
            "task cpu \"2 vCPU\" is 2048 units",
            TaskDefinition {
                cpu: Some("2 vCPU".into()),
                ..td(awsvpc, vec![container("app")])
            },
            TaskDefinition {
                cpu: Some("2048".into()),
                ..td(awsvpc, vec![container("app")])
            },
        ),
        (
            "task memory \"4 GB\" is 4096 MiB",
            TaskDefinition {
                memory: Some("4 GB".into()),
                ..td(awsvpc, vec![container("app")])
            },
            TaskDefinition {
                memory: Some("4096".into()),
                ..td(awsvpc, vec![container("app")])
            },
        ),
        (
            "networkMode defaults to bridge",
            td(None, vec![container("app")]),
            td(Some("bridge"), vec![container("app")]),
        ),
        (
            "requiresCompatibilities order does not matter",
            TaskDefinition {
                requires_compatibilities: Some(vec!["FARGATE".into(), "EC2".into()]),
                ..td(awsvpc, vec![container("app")])
            },
            TaskDefinition {
                requires_compatibilities: Some(vec!["EC2".into(), "FARGATE".into()]),
                ..td(awsvpc, vec![container("app")])
            },
        ),
        (
            "volumes are sorted and an empty host block is dropped",
            TaskDefinition {
                volumes: Some(vec![
                    Volume {
                        name: Some("b".into()),
                        ..Volume::default()
                    },
                    Volume {
                        name: Some("a".into()),
                        ..Volume::default()
                    },
                ]),
                ..td(awsvpc, vec![container("app")])
            },
            TaskDefinition {
                volumes: Some(vec![
                    Volume {
                        name: Some("a".into()),
                        host: Some(HostVolumeProperties { source_path: None }),
                        ..Volume::default()
                    },
                    Volume {
                        name: Some("b".into()),
                        host: Some(HostVolumeProperties { source_path: None }),
                        ..Volume::default()
                    },
                ]),
                ..td(awsvpc, vec![container("app")])
            },
        ),
        (
            "enableFaultInjection false equals unset",
            td(awsvpc, vec![container("app")]),
            TaskDefinition {
                enable_fault_injection: Some(false),
                ..td(awsvpc, vec![container("app")])
            },
        ),
        (
            "versionConsistency enabled is the default",
            td(awsvpc, vec![container("app")]),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    version_consistency: Some("enabled".into()),
                    ..container("app")
                }],
            ),
        ),
        (
            "environment entries with an empty value are dropped (ECS does not store them)",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    environment: Some(vec![
                        KeyValuePair {
                            name: "A".into(),
                            value: Some("1".into()),
                        },
                        KeyValuePair {
                            name: "EMPTY".into(),
                            value: Some(String::new()),
                        },
                        KeyValuePair {
                            name: "NULL".into(),
                            value: None,
                        },
                    ]),
                    ..container("app")
                }],
            ),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    environment: env(&[("A", "1")]),
                    ..container("app")
                }],
            ),
        ),
        (
            "only empty environment values means no environment",
            td(
                awsvpc,
                vec![ContainerDefinition {
                    environment: env(&[("EMPTY", "")]),
                    ..container("app")
                }],
            ),
            td(awsvpc, vec![container("app")]),
        ),
        (
            "container memory 0 in an answer is no limit",
            td(awsvpc, vec![container("app")]),
            td(
                awsvpc,
                vec![ContainerDefinition {
                    memory: Some(0),
                    memory_reservation: Some(0),
                    ..container("app")
                }],
            ),
        ),
        (
            "EFS rootDirectory defaults to /",
            TaskDefinition {
                volumes: Some(vec![efs_volume(None)]),
                ..td(awsvpc, vec![container("app")])
            },
            TaskDefinition {
                volumes: Some(vec![efs_volume(Some("/"))]),
                ..td(awsvpc, vec![container("app")])
            },
        ),
        (
            "docker volume scope defaults to task",
            TaskDefinition {
                volumes: Some(vec![docker_volume(None)]),
                ..td(None, vec![container("app")])
            },
            TaskDefinition {
                volumes: Some(vec![docker_volume(Some("task"))]),
                ..td(None, vec![container("app")])
            },
        ),
    ]
}

fn efs_volume(root: Option<&str>) -> Volume {
    Volume {
        name: Some("data".into()),
        efs_volume_configuration: Some(crate::taskdef::EfsVolumeConfiguration {
            file_system_id: "fs-1".into(),
            root_directory: root.map(str::to_owned),
            ..crate::taskdef::EfsVolumeConfiguration::default()
        }),
        ..Volume::default()
    }
}

fn docker_volume(scope: Option<&str>) -> Volume {
    Volume {
        name: Some("scratch".into()),
        docker_volume_configuration: Some(crate::taskdef::DockerVolumeConfiguration {
            scope: scope.map(str::to_owned),
            driver: Some("local".into()),
            ..crate::taskdef::DockerVolumeConfiguration::default()
        }),
        ..Volume::default()
    }
}

#[test]
fn role_names_compare_as_the_arn_ecs_stores() {
    let live_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/f:3";
    let desired = TaskDefinition {
        task_role_arn: Some("app-task".into()),
        execution_role_arn: Some("ecsTaskExecutionRole".into()),
        ..td(Some("awsvpc"), vec![container("app")])
    };
    let live = TaskDefinition {
        task_role_arn: Some("arn:aws:iam::123456789012:role/app-task".into()),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole".into()),
        ..td(Some("awsvpc"), vec![container("app")])
    };
    assert_ne!(
        task_definition(desired.clone()),
        task_definition(live.clone())
    );
    assert_eq!(
        task_definition(qualify_roles(desired.clone(), live_arn)),
        task_definition(live.clone())
    );
    // An ARN is kept as written: a role of another account is a real difference.
    let other = TaskDefinition {
        task_role_arn: Some("arn:aws:iam::999999999999:role/app-task".into()),
        ..desired.clone()
    };
    assert_ne!(
        task_definition(qualify_roles(other, live_arn)),
        task_definition(live.clone())
    );
    // The partition comes from the live ARN too.
    let china = qualify_roles(
        desired.clone(),
        "arn:aws-cn:ecs:cn-north-1:123456789012:service/c/s",
    );
    assert_eq!(
        china.task_role_arn.as_deref(),
        Some("arn:aws-cn:iam::123456789012:role/app-task")
    );
    // Without a usable ARN nothing is guessed.
    assert_eq!(qualify_roles(desired.clone(), "not-an-arn"), desired);
}

#[test]
fn each_task_definition_rule_prevents_a_needless_revision() {
    for (rule, desired, live) in task_definition_cases() {
        assert_ne!(
            desired, live,
            "case `{rule}` must differ before canonicalization"
        );
        assert_eq!(
            task_definition(desired.clone()),
            task_definition(live.clone()),
            "rule `{rule}`: canonical forms differ"
        );
        // Canonicalization is idempotent.
        let once = task_definition(desired);
        assert_eq!(
            task_definition(once.clone()),
            once,
            "rule `{rule}` is not idempotent"
        );
    }
}

#[test]
fn real_differences_survive_canonicalization() {
    let base = td(
        Some("awsvpc"),
        vec![ContainerDefinition {
            environment: env(&[("A", "1")]),
            ..container("app")
        }],
    );
    let mut image = base.clone();
    image.container_definitions[0].image = "ghcr.io/finfocus/plugin:2".into();
    let mut value = base.clone();
    value.container_definitions[0].environment = env(&[("A", "2")]);
    let mut cpu = base.clone();
    cpu.cpu = Some("1 vCPU".into());
    let mut ports = base.clone();
    ports.container_definitions[0].port_mappings = Some(vec![port(8001, None, None)]);
    for changed in [image, value, cpu, ports] {
        assert_ne!(task_definition(base.clone()), task_definition(changed));
    }
}

#[test]
fn cpu_and_memory_units() {
    let cpu = [
        ("2048", Some("2048")),
        ("2 vCPU", Some("2048")),
        ("2vcpu", Some("2048")),
        ("0.25 vCPU", Some("256")),
        ("0.5 VCPU", Some("512")),
        ("1024 CPU units", Some("1024")),
        ("0.1 vCPU", None),
        ("lots", None),
        ("0", None),
        ("-1", None),
    ];
    for (text, want) in cpu {
        assert_eq!(normalize_cpu(text).as_deref(), want, "cpu {text}");
    }
    let memory = [
        ("4096", Some("4096")),
        ("4 GB", Some("4096")),
        ("4GiB", Some("4096")),
        ("0.5 GB", Some("512")),
        ("512 MiB", Some("512")),
        ("512mb", Some("512")),
        ("1.5 MB", None),
        ("4 TB", None),
        ("", None),
    ];
    for (text, want) in memory {
        assert_eq!(normalize_memory(text).as_deref(), want, "memory {text}");
    }
}

fn minimal_service() -> ServiceSettings {
    ServiceSettings {
        desired_count: Some(1),
        launch_type: Some("FARGATE".into()),
        network_configuration: Some(NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets: vec!["subnet-b".into(), "subnet-a".into()],
                security_groups: Some(vec!["sg-1".into()]),
                assign_public_ip: None,
            },
        }),
        role: Some("ecsServiceRole".into()),
        ..ServiceSettings::default()
    }
}

/// A service as `DescribeServices` reports it after `CreateService` with `minimal_service`.
fn described_service() -> ServiceSettings {
    ServiceSettings {
        desired_count: Some(1),
        launch_type: Some("FARGATE".into()),
        platform_version: Some("LATEST".into()),
        role: Some("arn:aws:iam::123456789012:role/aws-service-role/ecsServiceRole".into()),
        deployment_configuration: Some(DeploymentConfiguration {
            deployment_circuit_breaker: Some(DeploymentCircuitBreaker {
                enable: false,
                rollback: false,
            }),
            maximum_percent: Some(200),
            minimum_healthy_percent: Some(100),
            canary_configuration: None,
            linear_configuration: None,
            lifecycle_hooks: None,
            alarms: Some(crate::manifest::spec::DeploymentAlarms {
                alarm_names: vec![],
                enable: false,
                rollback: false,
            }),
            // Fields AWS added later and fills in every answer.
            strategy: Some("ROLLING".into()),
            bake_time_in_minutes: Some(0),
        }),
        availability_zone_rebalancing: Some("ENABLED".into()),
        network_configuration: Some(NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets: vec!["subnet-a".into(), "subnet-b".into()],
                security_groups: Some(vec!["sg-1".into()]),
                assign_public_ip: Some("DISABLED".into()),
            },
        }),
        health_check_grace_period_seconds: Some(0),
        scheduling_strategy: Some("REPLICA".into()),
        deployment_controller: Some(DeploymentController {
            kind: Some("ECS".into()),
        }),
        enable_ecs_managed_tags: Some(false),
        propagate_tags: Some("NONE".into()),
        enable_execute_command: Some(false),
        placement_constraints: Some(vec![]),
        placement_strategy: Some(vec![]),
        load_balancers: Some(vec![]),
        ..ServiceSettings::default()
    }
}

#[test]
fn service_defaults_make_a_described_service_equal_its_manifest() {
    let desired = minimal_service();
    let live = described_service();
    assert_ne!(desired, live);
    assert_eq!(
        service(service_against_live(desired.clone(), &live)),
        service(live.clone())
    );
    // Without the live values, the fields AWS added still differ.
    assert_ne!(service(desired), service(live));
}

#[test]
fn service_rules_one_by_one() {
    let cases: Vec<(&str, ServiceSettings, ServiceSettings)> = vec![
        (
            "subnets are sorted",
            minimal_service(),
            ServiceSettings {
                network_configuration: Some(NetworkConfiguration {
                    awsvpc_configuration: AwsVpcConfiguration {
                        subnets: vec!["subnet-a".into(), "subnet-b".into()],
                        security_groups: Some(vec!["sg-1".into()]),
                        assign_public_ip: Some("DISABLED".into()),
                    },
                }),
                ..minimal_service()
            },
        ),
        (
            "platformVersion defaults to LATEST on Fargate",
            minimal_service(),
            ServiceSettings {
                platform_version: Some("LATEST".into()),
                ..minimal_service()
            },
        ),
        (
            "role name equals role ARN",
            minimal_service(),
            ServiceSettings {
                role: Some("arn:aws:iam::1:role/ecsServiceRole".into()),
                ..minimal_service()
            },
        ),
        (
            "the service-linked role is no role",
            ServiceSettings {
                role: None,
                ..minimal_service()
            },
            ServiceSettings {
                role: Some(
                    "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
                        .into(),
                ),
                ..minimal_service()
            },
        ),
        (
            "deployment defaults 200/100 with the circuit breaker off",
            minimal_service(),
            ServiceSettings {
                deployment_configuration: Some(DeploymentConfiguration {
                    maximum_percent: Some(200),
                    minimum_healthy_percent: Some(100),
                    ..DeploymentConfiguration::default()
                }),
                ..minimal_service()
            },
        ),
    ];
    for (rule, desired, live) in cases {
        assert_ne!(
            desired, live,
            "case `{rule}` must differ before canonicalization"
        );
        assert_eq!(service(desired), service(live), "rule `{rule}`");
    }
    // A real change still shows.
    let scaled = ServiceSettings {
        desired_count: Some(3),
        ..minimal_service()
    };
    assert_ne!(service(minimal_service()), service(scaled));
}

/// (rule, manifest, live): fields the manifest leaves to AWS take the live value.
#[test]
fn fields_left_to_aws_never_show_as_drift() {
    let fargate_spot = vec![crate::manifest::spec::CapacityProviderStrategyItem {
        capacity_provider: "FARGATE_SPOT".into(),
        weight: Some(1),
        base: Some(0),
    }];
    let cases: Vec<(&str, ServiceSettings, ServiceSettings)> = vec![
        (
            "desiredCount unset is left to autoscaling",
            ServiceSettings {
                desired_count: None,
                ..minimal_service()
            },
            ServiceSettings {
                desired_count: Some(7),
                ..minimal_service()
            },
        ),
        (
            "no launch type nor strategy: the cluster default strategy applies",
            ServiceSettings {
                launch_type: None,
                ..minimal_service()
            },
            ServiceSettings {
                launch_type: None,
                capacity_provider_strategy: Some(fargate_spot.clone()),
                platform_version: Some("LATEST".into()),
                ..minimal_service()
            },
        ),
        (
            "no launch type nor strategy: EC2 when the cluster has no default",
            ServiceSettings {
                launch_type: None,
                network_configuration: None,
                ..minimal_service()
            },
            ServiceSettings {
                launch_type: Some("EC2".into()),
                network_configuration: None,
                ..minimal_service()
            },
        ),
        (
            "availabilityZoneRebalancing unset",
            minimal_service(),
            ServiceSettings {
                availability_zone_rebalancing: Some("ENABLED".into()),
                ..minimal_service()
            },
        ),
        (
            "deploymentConfiguration strategy and bakeTimeInMinutes unset",
            minimal_service(),
            ServiceSettings {
                deployment_configuration: Some(DeploymentConfiguration {
                    strategy: Some("ROLLING".into()),
                    bake_time_in_minutes: Some(0),
                    ..DeploymentConfiguration::default()
                }),
                ..minimal_service()
            },
        ),
    ];
    for (rule, desired, live) in cases {
        assert_ne!(
            service(desired.clone()),
            service(live.clone()),
            "case `{rule}` must differ without the live values"
        );
        assert_eq!(
            service(service_against_live(desired, &live)),
            service(live),
            "rule `{rule}`"
        );
    }
    // A field the manifest sets is compared.
    let set_cases: Vec<(&str, ServiceSettings, ServiceSettings)> = vec![
        (
            "desiredCount",
            minimal_service(),
            ServiceSettings {
                desired_count: Some(7),
                ..minimal_service()
            },
        ),
        (
            "launchType",
            minimal_service(),
            ServiceSettings {
                launch_type: None,
                capacity_provider_strategy: Some(fargate_spot),
                ..minimal_service()
            },
        ),
        (
            "availabilityZoneRebalancing",
            ServiceSettings {
                availability_zone_rebalancing: Some("DISABLED".into()),
                ..minimal_service()
            },
            ServiceSettings {
                availability_zone_rebalancing: Some("ENABLED".into()),
                ..minimal_service()
            },
        ),
        (
            "bakeTimeInMinutes",
            ServiceSettings {
                deployment_configuration: Some(DeploymentConfiguration {
                    bake_time_in_minutes: Some(5),
                    ..DeploymentConfiguration::default()
                }),
                ..minimal_service()
            },
            ServiceSettings {
                deployment_configuration: Some(DeploymentConfiguration {
                    bake_time_in_minutes: Some(0),
                    ..DeploymentConfiguration::default()
                }),
                ..minimal_service()
            },
        ),
    ];
    for (field, desired, live) in set_cases {
        assert_ne!(
            service(service_against_live(desired, &live)),
            service(live),
            "`{field}` set in the manifest must be compared"
        );
    }
}

#[test]
fn a_role_other_than_the_service_linked_one_is_kept() {
    let custom = ServiceSettings {
        role: Some("arn:aws:iam::123456789012:role/ecsServiceRole".into()),
        ..minimal_service()
    };
    assert_eq!(service(custom).role.as_deref(), Some("ecsServiceRole"));
}

#[test]
fn failure_threshold_compares_as_one() {
    let spec = |threshold| DiscoverySpec {
        namespace: "ns".into(),
        name: "svc".into(),
        description: None,
        dns_config: DnsConfig::default(),
        health_check_custom_config: Some(HealthCheckCustomConfig {
            failure_threshold: threshold,
        }),
        container_name: None,
        container_port: None,
        port: None,
    };
    assert_eq!(discovery(spec(Some(3))), discovery(spec(Some(1))));
    assert_eq!(discovery(spec(None)), discovery(spec(Some(1))));
}

#[test]
fn discovery_defaults() {
    let desired = DiscoverySpec {
        namespace: "ns".into(),
        name: "aws-public".into(),
        description: None,
        dns_config: DnsConfig {
            dns_records: vec![
                DnsRecord {
                    kind: "SRV".into(),
                    ttl: 60,
                },
                DnsRecord {
                    kind: "A".into(),
                    ttl: 60,
                },
            ],
            routing_policy: None,
        },
        health_check_custom_config: Some(HealthCheckCustomConfig {
            failure_threshold: None,
        }),
        container_name: None,
        container_port: None,
        port: None,
    };
    let live = DiscoverySpec {
        description: Some(String::new()),
        dns_config: DnsConfig {
            dns_records: vec![
                DnsRecord {
                    kind: "A".into(),
                    ttl: 60,
                },
                DnsRecord {
                    kind: "SRV".into(),
                    ttl: 60,
                },
            ],
            routing_policy: Some("MULTIVALUE".into()),
        },
        health_check_custom_config: Some(HealthCheckCustomConfig {
            failure_threshold: Some(1),
        }),
        ..desired.clone()
    };
    assert_ne!(desired, live);
    assert_eq!(discovery(desired.clone()), discovery(live));
    let mut ttl = desired.clone();
    ttl.dns_config.dns_records[1].ttl = 300;
    assert_ne!(discovery(desired), discovery(ttl));
}

fn delivery(json: serde_json::Value) -> ServiceSettings {
    service(serde_json::from_value(json).unwrap())
}

#[test]
fn canary_and_linear_settings_take_their_defaults_and_compare_to_a_tenth() {
    let sent = delivery(serde_json::json!({"deploymentConfiguration": {
        "canaryConfiguration": {"canaryPercent": 12.50000001},
        "linearConfiguration": {}
    }}));
    let answered = delivery(serde_json::json!({"deploymentConfiguration": {
        "canaryConfiguration": {"canaryPercent": 12.5, "canaryBakeTimeInMinutes": 10},
        "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}
    }}));
    assert_eq!(sent, answered);
}

#[test]
fn disabled_service_connect_and_empty_lists_are_absent() {
    let off = delivery(serde_json::json!({
        "serviceConnectConfiguration": {"enabled": false, "namespace": "arn:ns"},
        "volumeConfigurations": [],
        "vpcLatticeConfigurations": [],
        "deploymentConfiguration": {"lifecycleHooks": []}
    }));
    assert_eq!(off, delivery(serde_json::json!({})));
}

#[test]
fn lifecycle_stages_compare_as_a_set() {
    let hook = |stages: serde_json::Value| {
        delivery(
            serde_json::json!({"deploymentConfiguration": {"lifecycleHooks": [{
                "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "roleArn": "arn:aws:iam::123456789012:role/r",
                "lifecycleStages": stages
            }]}}),
        )
    };
    assert_eq!(
        hook(serde_json::json!(["POST_SCALE_UP", "PRE_SCALE_UP"])),
        hook(serde_json::json!([
            "PRE_SCALE_UP",
            "POST_SCALE_UP",
            "PRE_SCALE_UP"
        ]))
    );
}
