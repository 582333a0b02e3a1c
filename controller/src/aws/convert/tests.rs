//! Round trips model -> SDK -> model for every modelled field: what the controller writes is
//! what it reads back, so no setting is lost silently on either way. The models set every
//! field to a value other than its AWS default, so a field dropped anywhere shows.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use super::task_definition::RegisterParts;
use super::*;
use crate::canon;
use crate::manifest::spec::{
    CapacityProviderStrategyItem, ClusterSetting, DnsConfig, DnsRecord, HealthCheckCustomConfig,
    ServiceRegistry, ServiceSettings,
};
use crate::taskdef::TaskDefinition;

/// A task definition with every modelled field set (not to its default).
fn full_task_definition() -> TaskDefinition {
    serde_json::from_str(
        r#"{
        "family": "full",
        "taskRoleArn": "arn:aws:iam::123456789012:role/task",
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["EC2", "FARGATE"],
        "cpu": "1024",
        "memory": "2048",
        "pidMode": "task",
        "ipcMode": "none",
        "ephemeralStorage": {"sizeInGiB": 30},
        "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        "enableFaultInjection": true,
        "placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.os-type == linux"}],
        "volumes": [
            {"name": "host", "host": {"sourcePath": "/data"}, "configuredAtLaunch": true},
            {"name": "docker", "dockerVolumeConfiguration": {
                "scope": "shared", "autoprovision": true, "driver": "local",
                "driverOpts": {"type": "tmpfs"}, "labels": {"team": "finops"}}},
            {"name": "efs", "efsVolumeConfiguration": {
                "fileSystemId": "fs-1", "rootDirectory": "/export", "transitEncryption": "ENABLED",
                "transitEncryptionPort": 2049,
                "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"}}}
        ],
        "containerDefinitions": [{
            "name": "app",
            "image": "ghcr.io/finfocus/plugin:1",
            "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:123456789012:secret:creds"},
            "cpu": 256,
            "memory": 1024,
            "memoryReservation": 512,
            "links": ["db"],
            "portMappings": [
                {"containerPort": 8001, "hostPort": 8001, "protocol": "udp", "name": "grpc", "appProtocol": "grpc"},
                {"containerPortRange": "9000-9010", "protocol": "tcp"}
            ],
            "essential": false,
            "restartPolicy": {"enabled": true, "ignoredExitCodes": [0, 2], "restartAttemptPeriod": 120},
            "entryPoint": ["/bin/sh", "-c"],
            "command": ["serve"],
            "environment": [{"name": "A", "value": "1"}],
            "environmentFiles": [{"value": "arn:aws:s3:::bucket/env", "type": "s3"}],
            "mountPoints": [{"sourceVolume": "efs", "containerPath": "/mnt", "readOnly": true}],
            "volumesFrom": [{"sourceContainer": "sidecar", "readOnly": true}],
            "linuxParameters": {
                "capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]},
                "devices": [{"hostPath": "/dev/fuse", "containerPath": "/dev/fuse", "permissions": ["read", "write"]}],
                "initProcessEnabled": true,
                "sharedMemorySize": 64,
                "tmpfs": [{"containerPath": "/tmp", "size": 128, "mountOptions": ["noexec"]}],
                "maxSwap": 1024,
                "swappiness": 10
            },
            "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/token"}],
            "dependsOn": [{"containerName": "sidecar", "condition": "HEALTHY"}],
            "startTimeout": 60,
            "stopTimeout": 30,
            "versionConsistency": "disabled",
            "hostname": "app",
            "user": "1000",
            "workingDirectory": "/srv",
            "disableNetworking": true,
            "privileged": true,
            "readonlyRootFilesystem": true,
            "dnsServers": ["10.0.0.2"],
            "dnsSearchDomains": ["finfocus.local"],
            "extraHosts": [{"hostname": "db", "ipAddress": "10.0.0.3"}],
            "dockerSecurityOptions": ["no-new-privileges"],
            "interactive": true,
            "pseudoTerminal": true,
            "dockerLabels": {"app": "plugin"},
            "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/app"},
                "secretOptions": [{"name": "KEY", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/key"}]
            },
            "healthCheck": {"command": ["CMD", "true"], "interval": 10, "timeout": 2, "retries": 5, "startPeriod": 20},
            "systemControls": [{"namespace": "net.core.somaxconn", "value": "1024"}],
            "resourceRequirements": [{"value": "1", "type": "GPU"}],
            "firelensConfiguration": {"type": "fluentbit", "options": {"enable-ecs-log-metadata": "true"}},
            "credentialSpecs": ["credentialspecdomainless:arn:aws:s3:::bucket/spec"]
        }]
    }"#,
    )
    .unwrap()
}

/// What `RegisterTaskDefinition` would store, as `DescribeTaskDefinition` answers it.
fn registered(td: &TaskDefinition) -> ecs::TaskDefinition {
    let RegisterParts {
        containers,
        volumes,
        placement_constraints,
        ephemeral_storage,
        runtime_platform,
    } = register_parts(td).unwrap();
    // Every top-level field is named: a new one must be carried here and in `ops`.
    let TaskDefinition {
        family,
        task_role_arn,
        execution_role_arn,
        network_mode,
        container_definitions: _,
        volumes: _,
        placement_constraints: _,
        requires_compatibilities,
        cpu,
        memory,
        pid_mode,
        ipc_mode,
        ephemeral_storage: _,
        runtime_platform: _,
        enable_fault_injection,
    } = td;
    ecs::TaskDefinition::builder()
        .task_definition_arn("arn:aws:ecs:us-east-1:123456789012:task-definition/full:3")
        .revision(3)
        .status(ecs::TaskDefinitionStatus::Active)
        .family(family)
        .set_task_role_arn(task_role_arn.clone())
        .set_execution_role_arn(execution_role_arn.clone())
        .set_network_mode(en(network_mode.as_ref()))
        .set_container_definitions(Some(containers))
        .set_volumes(volumes)
        .set_placement_constraints(placement_constraints)
        .set_requires_compatibilities(
            requires_compatibilities
                .as_ref()
                .map(|cs| cs.iter().map(|c| c.as_str().into()).collect()),
        )
        .set_cpu(cpu.clone())
        .set_memory(memory.clone())
        .set_pid_mode(en(pid_mode.as_ref()))
        .set_ipc_mode(en(ipc_mode.as_ref()))
        .set_ephemeral_storage(ephemeral_storage)
        .set_runtime_platform(runtime_platform)
        .set_enable_fault_injection(*enable_fault_injection)
        .build()
}

#[test]
fn task_definition_round_trips_every_field() {
    let model = full_task_definition();
    let back = task_definition_from_sdk(&registered(&model));
    assert_eq!(back.revision, 3);
    assert_eq!(back.status, "ACTIVE");
    // Exactly what was written (the full model is already in the canonical shape)...
    assert_eq!(
        serde_json::to_value(&back.definition).unwrap(),
        serde_json::to_value(&model).unwrap()
    );
    // ...and equal to the canonical model, as the planner compares them.
    assert_eq!(
        canon::task_definition(back.definition),
        canon::task_definition(model)
    );
}

/// Service settings with every modelled field set (not to its default).
fn full_service() -> ServiceSettings {
    let mut s: ServiceSettings = serde_json::from_value(serde_json::json!({
        "desiredCount": 3,
        "capacityProviderStrategy": [
            {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
            {"capacityProvider": "FARGATE_SPOT", "weight": 4, "base": 0}
        ],
        "platformVersion": "1.4.0",
        "role": "arn:aws:iam::123456789012:role/ecsServiceRole",
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "maximumPercent": 150,
            "minimumHealthyPercent": 50,
            "alarms": {"alarmNames": ["high-errors"], "enable": true, "rollback": false},
            "strategy": "CANARY",
            "bakeTimeInMinutes": 5,
            "canaryConfiguration": {"canaryPercent": 12.5, "canaryBakeTimeInMinutes": 7},
            "linearConfiguration": {"stepPercent": 20.0, "stepBakeTimeInMinutes": 3},
            "lifecycleHooks": [{
                "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:check",
                "roleArn": "arn:aws:iam::123456789012:role/hooks",
                "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "PRE_SCALE_UP"],
                "hookDetails": {"path": "/healthz", "retries": 3, "strict": true, "ratio": 0.5}
            }]
        },
        "placementConstraints": [{"type": "distinctInstance"}],
        "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}},
        "healthCheckGracePeriodSeconds": 60,
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
        "enableECSManagedTags": true,
        "propagateTags": "SERVICE",
        "enableExecuteCommand": true,
        "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "app", "containerPort": 8001,
            "advancedConfiguration": {"alternateTargetGroupArn": "arn:tg2",
                "productionListenerRule": "arn:prod", "testListenerRule": "arn:test", "roleArn": "arn:role"}}],
        "availabilityZoneRebalancing": "DISABLED",
        "serviceConnectConfiguration": {
            "enabled": true,
            "namespace": "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1",
            "services": [{
                "portName": "http", "discoveryName": "app", "ingressPortOverride": 9000,
                "clientAliases": [{"port": 80, "dnsName": "app.local",
                    "testTrafficRules": {"header": {"name": "x-test", "value": {"exact": "1"}}}}],
                "timeout": {"idleTimeoutSeconds": 60, "perRequestTimeoutSeconds": 15},
                "tls": {"issuerCertificateAuthority": {"awsPcaAuthorityArn": "arn:pca"},
                    "kmsKey": "arn:kms", "roleArn": "arn:tls-role"}
            }],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "sc"},
                "secretOptions": [{"name": "k", "valueFrom": "arn:secret"}]},
            "accessLogConfiguration": {"format": "JSON", "includeQueryParameters": "ENABLED"}
        },
        "volumeConfigurations": [{"name": "data", "managedEBSVolume": {
            "roleArn": "arn:ebs-role", "encrypted": true, "kmsKeyId": "arn:kms", "volumeType": "gp3",
            "sizeInGiB": 20, "snapshotId": "snap-1", "volumeInitializationRate": 100, "iops": 3000,
            "throughput": 125, "filesystemType": "xfs",
            "tagSpecifications": [{"resourceType": "volume", "tags": [{"key": "team", "value": "a"}],
                "propagateTags": "SERVICE"}]}}],
        "vpcLatticeConfigurations": [{"roleArn": "arn:lattice-role", "targetGroupArn": "arn:lattice-tg",
            "portName": "http"}]
    }))
    .unwrap();
    // Not accepted in manifests (the controller fills it), but written and read all the same.
    s.service_registries = Some(vec![ServiceRegistry {
        registry_arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1".into(),
        container_name: Some("app".into()),
        container_port: Some(8001),
        port: None,
    }]);
    s
}

/// What `CreateService` with `settings` would store, as `DescribeServices` answers it.
fn created(settings: &ServiceSettings) -> ecs::Service {
    let ServiceParts {
        launch_type,
        capacity_provider_strategy,
        deployment_configuration,
        placement_constraints,
        placement_strategy,
        network_configuration,
        scheduling_strategy,
        deployment_controller,
        propagate_tags,
        load_balancers,
        availability_zone_rebalancing,
        service_connect_configuration,
        volume_configurations,
        vpc_lattice_configurations,
    } = service_parts(settings).unwrap();
    let ServiceSettings {
        desired_count,
        launch_type: _,
        capacity_provider_strategy: _,
        platform_version,
        role,
        deployment_configuration: _,
        placement_constraints: _,
        placement_strategy: _,
        network_configuration: _,
        health_check_grace_period_seconds,
        scheduling_strategy: _,
        deployment_controller: _,
        enable_ecs_managed_tags,
        propagate_tags: _,
        enable_execute_command,
        load_balancers: _,
        availability_zone_rebalancing: _,
        service_connect_configuration: _,
        volume_configurations: _,
        vpc_lattice_configurations: _,
        service_registries,
    } = settings;
    // DescribeServices answers these three on each deployment only (API reference, Deployment).
    let primary = ecs::Deployment::builder()
        .status("PRIMARY")
        .set_service_connect_configuration(service_connect_configuration)
        .set_volume_configurations(volume_configurations)
        .set_vpc_lattice_configurations(vpc_lattice_configurations)
        .build();
    ecs::Service::builder()
        .service_arn("arn:aws:ecs:us-east-1:123456789012:service/c/s")
        .service_name("s")
        .status("ACTIVE")
        .desired_count(desired_count.unwrap())
        .set_launch_type(launch_type)
        .set_capacity_provider_strategy(capacity_provider_strategy)
        .set_platform_version(platform_version.clone())
        .set_role_arn(role.clone())
        .set_deployment_configuration(deployment_configuration)
        .set_placement_constraints(placement_constraints)
        .set_placement_strategy(placement_strategy)
        .set_network_configuration(network_configuration)
        .set_health_check_grace_period_seconds(*health_check_grace_period_seconds)
        .set_scheduling_strategy(scheduling_strategy)
        .set_deployment_controller(deployment_controller)
        .enable_ecs_managed_tags(enable_ecs_managed_tags.unwrap())
        .set_propagate_tags(propagate_tags)
        .enable_execute_command(enable_execute_command.unwrap())
        .set_load_balancers(load_balancers)
        .set_availability_zone_rebalancing(availability_zone_rebalancing)
        .deployments(primary)
        .set_service_registries(
            service_registries
                .as_ref()
                .map(|rs| rs.iter().map(service_registry_to_sdk).collect()),
        )
        .build()
}

#[test]
fn service_round_trips_every_field() {
    let model = full_service();
    let back = service_from_sdk(&created(&model));
    assert_eq!(
        serde_json::to_value(&back.settings).unwrap(),
        serde_json::to_value(&model).unwrap()
    );
    assert_eq!(canon::service(back.settings), canon::service(model));

    // A launch type instead of a strategy, through the same path.
    let launch = ServiceSettings {
        launch_type: Some("FARGATE".into()),
        capacity_provider_strategy: None,
        ..full_service()
    };
    let back = service_from_sdk(&created(&launch));
    assert_eq!(canon::service(back.settings), canon::service(launch));
}

#[test]
fn cluster_capacity_round_trips() {
    let strategy = vec![
        CapacityProviderStrategyItem {
            capacity_provider: "FARGATE".into(),
            weight: Some(1),
            base: Some(2),
        },
        CapacityProviderStrategyItem {
            capacity_provider: "FARGATE_SPOT".into(),
            weight: Some(3),
            base: Some(0),
        },
    ];
    let cluster = ecs::Cluster::builder()
        .capacity_providers("FARGATE")
        .capacity_providers("FARGATE_SPOT")
        .set_default_capacity_provider_strategy(Some(strategy_to_sdk(&strategy).unwrap()))
        .set_settings(Some(cluster_settings_to_sdk(&[ClusterSetting {
            name: "containerInsights".into(),
            value: "enhanced".into(),
        }])))
        .build();
    let (providers, back) = cluster_capacity_from_sdk(&cluster);
    assert_eq!(providers, ["FARGATE", "FARGATE_SPOT"]);
    assert_eq!(back, strategy);
    assert_eq!(
        cluster_settings_from_sdk(&cluster),
        [ClusterSetting {
            name: "containerInsights".into(),
            value: "enhanced".into(),
        }]
    );
}

#[test]
fn cloud_map_service_round_trips() {
    let dns = DnsConfig {
        dns_records: vec![
            DnsRecord {
                kind: "A".into(),
                ttl: 60,
            },
            DnsRecord {
                kind: "SRV".into(),
                ttl: 30,
            },
        ],
        routing_policy: Some("WEIGHTED".into()),
    };
    #[allow(deprecated, reason = "failureThreshold is kept for the AWS JSON shape")]
    let summary = sd::ServiceSummary::builder()
        .id("srv-1")
        .arn("arn:srv-1")
        .name("aws-public")
        .description("d")
        .dns_config(dns_config_to_sdk(&dns).unwrap())
        .health_check_custom_config(
            sd::HealthCheckCustomConfig::builder()
                .failure_threshold(1)
                .build(),
        )
        .build();
    let back = discovery_from_sdk(&summary, "ns-1");
    assert_eq!(back.dns_config, Some(dns));
    assert_eq!(back.description.as_deref(), Some("d"));
    assert_eq!(
        back.health_check_custom_config,
        Some(HealthCheckCustomConfig {
            failure_threshold: Some(1)
        })
    );
    let tags = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
    assert_eq!(
        cloudmap_tags_from_sdk(&cloudmap_tags_to_sdk(&tags).unwrap()),
        tags
    );
    assert_eq!(ecs_tags_from_sdk(&ecs_tags_to_sdk(&tags)), tags);
}
