#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::BTreeMap;

use super::*;
use crate::live::{LiveDiscovery, LiveService, LiveTaskDefinition, Registration};
use crate::manifest::spec::{DnsConfig, DnsRecord, HealthCheckCustomConfig, ServiceRegistry};
use crate::manifest::{ResourceSpec, load_sources};

const ACCOUNT_ARN: &str = "arn:aws:ecs:us-east-1:123456789012";

fn cluster() -> LiveCluster {
    LiveCluster {
        arn: format!("{ACCOUNT_ARN}:cluster/prod"),
        name: "prod".into(),
        status: "ACTIVE".into(),
        settings: vec![ClusterSetting {
            name: "containerInsights".into(),
            value: "disabled".into(),
        }],
        capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
        default_capacity_provider_strategy: vec![],
        service_connect_namespace: None,
        configuration: None,
        tags: BTreeMap::from([("team".into(), "pricing".into())]),
    }
}

/// A Fargate service as DescribeServices and DescribeTaskDefinition answer it (defaults
/// spelled out, the service-linked role, tags of AWS and of the controller mixed in).
fn fargate_service(name: &str) -> InventoryService {
    let settings: ServiceSettings = serde_json::from_value(serde_json::json!({
        "desiredCount": 2,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "role": "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": false, "rollback": false},
            "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "ROLLING"
        },
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["subnet-b", "subnet-a"], "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED"}},
        "healthCheckGracePeriodSeconds": 0,
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
        "enableECSManagedTags": false,
        "propagateTags": "NONE",
        "enableExecuteCommand": false,
        "availabilityZoneRebalancing": "ENABLED"
    }))
    .unwrap();
    let mut settings = settings;
    settings.service_registries = Some(vec![ServiceRegistry {
        registry_arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1".into(),
        ..ServiceRegistry::default()
    }]);
    let definition: TaskDefinition = serde_json::from_value(serde_json::json!({
        "family": name,
        "taskRoleArn": "arn:aws:iam::123456789012:role/app",
        "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "1024", "memory": "2048",
        "containerDefinitions": [{
            "name": "app", "image": "ghcr.io/example/app:1.2.3", "cpu": 0, "essential": true,
            "portMappings": [{"containerPort": 8001, "hostPort": 8001, "protocol": "tcp"}],
            "environment": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "DB_PASSWORD", "value": "hunter2-hunter2"}
            ],
            "secrets": [{"name": "API_KEY", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/api-key"}],
            "mountPoints": [], "volumesFrom": [],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/app", "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "app"}}
        }],
        "volumes": [], "placementConstraints": []
    }))
    .unwrap();
    InventoryService {
        service: LiveService {
            arn: format!("{ACCOUNT_ARN}:service/prod/{name}"),
            cluster_arn: format!("{ACCOUNT_ARN}:cluster/prod"),
            name: name.into(),
            status: "ACTIVE".into(),
            settings,
            task_definition_arn: Some(format!("{ACCOUNT_ARN}:task-definition/{name}:7")),
            tags: BTreeMap::from([
                ("team".into(), "pricing".into()),
                ("aws:cloudformation:stack-name".into(), "legacy".into()),
            ]),
            running_count: 2,
            pending_count: 0,
            deployments: vec![],
        },
        task_definition: LiveTaskDefinition {
            arn: format!("{ACCOUNT_ARN}:task-definition/{name}:7"),
            revision: 7,
            status: "ACTIVE".into(),
            definition,
        },
        unmodelled: vec![],
        registration: Some(Registration {
            registry: ServiceRegistry {
                registry_arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1"
                    .into(),
                ..ServiceRegistry::default()
            },
            discovery: Lookup::Found(LiveDiscovery {
                id: "srv-1".into(),
                arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1".into(),
                name: "aws-public".into(),
                namespace_id: "ns-1".into(),
                description: None,
                dns_config: Some(DnsConfig {
                    dns_records: vec![DnsRecord {
                        kind: "A".into(),
                        ttl: 10,
                    }],
                    routing_policy: Some("MULTIVALUE".into()),
                }),
                health_check_custom_config: Some(HealthCheckCustomConfig {
                    failure_threshold: Some(1),
                }),
                instance_count: Some(2),
                tags: BTreeMap::new(),
            }),
            namespace: Lookup::Found(LiveNamespace {
                id: "ns-1".into(),
                arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1".into(),
                name: "finfocus.local".into(),
                namespace_type: "DNS_PRIVATE".into(),
                description: Some(String::new()),
                soa_ttl: Some(15),
                tags: BTreeMap::new(),
            }),
            vpc: Some("vpc-0abc".into()),
        }),
    }
}

fn inventory(services: Vec<InventoryService>) -> Inventory {
    Inventory {
        region: "us-east-1".into(),
        cluster: cluster(),
        services,
    }
}

fn file<'a>(imported: &'a Imported, name: &str) -> &'a ManifestFile {
    imported
        .files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", imported.files))
}

#[test]
fn a_fargate_service_is_written_minimal_and_means_what_is_live() {
    let mut item = fargate_service("web");
    // Without the secret-looking value, the files validate as they are.
    item.task_definition.definition.container_definitions[0]
        .environment
        .as_mut()
        .unwrap()
        .retain(|e| e.name != "DB_PASSWORD");
    let live = item.clone();
    let imported = manifests(&inventory(vec![item]));
    let names: Vec<&str> = imported.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "namespace-finfocus-local.yaml",
            "cluster-prod.yaml",
            "service-web.yaml"
        ]
    );
    let service = &file(&imported, "service-web.yaml").text;
    assert!(
        service.starts_with(&format!(
            "# Written by `finfocus-ecs-controller import` from:\n#   {ACCOUNT_ARN}:service/prod/web\n#   {ACCOUNT_ARN}:task-definition/web:7\n"
        )),
        "{service}"
    );
    // Defaults are not written; what differs from them is.
    for absent in [
        "essential",
        "hostPort",
        "protocol",
        "platformVersion",
        "AWSServiceRoleForECS",
        "maximumPercent",
        "schedulingStrategy",
        "propagateTags",
        "assignPublicIp",
        "availabilityZoneRebalancing",
        "ROLLING",
        "routingPolicy",
        "aws:cloudformation",
        "mountPoints",
    ] {
        assert!(!service.contains(absent), "{absent} written:\n{service}");
    }
    for present in [
        "desiredCount: 2",
        "launchType: FARGATE",
        "ecs.finfocus.io/adopt: \"true\"",
        "valueFrom: arn:aws:ssm:us-east-1:123456789012:parameter/api-key",
        "team: pricing",
    ] {
        assert!(service.contains(present), "{present} missing:\n{service}");
    }
    let sources: Vec<(String, String)> = imported
        .files
        .iter()
        .map(|f| (f.name.clone(), f.text.clone()))
        .collect();
    let set = load_sources(&sources).into_result().unwrap();
    let spec = set
        .resources()
        .iter()
        .find_map(|r| match &r.spec {
            ResourceSpec::Service(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        canon::task_definition(spec.task_definition.clone()),
        canon::task_definition(live.task_definition.definition.clone())
    );
    let mut live_settings = live.service.settings.clone();
    live_settings.service_registries = None;
    assert_eq!(
        canon::service(canon::service_against_live(
            spec.service.clone(),
            &live_settings
        )),
        canon::service(live_settings)
    );
    let ns = set
        .resources()
        .iter()
        .find_map(|r| match &r.spec {
            ResourceSpec::Namespace(ns) if r.name() == "finfocus-local" => Some(ns),
            _ => None,
        })
        .unwrap();
    assert_eq!(ns.vpc, "vpc-0abc");
    assert!(every_object_adopts(&set));
    assert!(!imported.needs_attention(), "{:?}", imported.notes);
}

fn every_object_adopts(set: &crate::manifest::ManifestSet) -> bool {
    set.resources().iter().all(|r| r.adopt)
}

#[test]
fn a_secret_looking_value_becomes_a_placeholder_that_validate_refuses() {
    let imported = manifests(&inventory(vec![fargate_service("web")]));
    let service = &file(&imported, "service-web.yaml").text;
    assert!(!service.contains("hunter2"), "{service}");
    assert!(service.contains(SECRET_PLACEHOLDER), "{service}");
    let note = imported
        .notes
        .iter()
        .find(|n| n.kind == NoteKind::Placeholder)
        .unwrap();
    assert_eq!(
        note.to_string(),
        "placeholder: EcsService/web: spec.taskDefinition.containerDefinitions[app].environment[DB_PASSWORD]: the value looks secret and was not written; move it to `secrets` (valueFrom an SSM parameter or Secrets Manager secret)"
    );
    assert!(imported.needs_attention());
    let errors = crate::manifest::load_str("service-web.yaml", service).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].field.as_deref(),
        Some("spec.taskDefinition.containerDefinitions[0].environment[1].value")
    );
    assert!(
        errors[0].message.contains("`DB_PASSWORD` looked secret"),
        "{errors:?}"
    );
}

#[test]
fn services_that_cannot_be_written_faithfully_are_left_out_with_the_reason() {
    let mut proxy = fargate_service("mesh");
    proxy.unmodelled = vec!["proxyConfiguration".into()];
    let mut http = fargate_service("http");
    if let Some(Registration {
        namespace: Lookup::Found(ns),
        ..
    }) = http.registration.as_mut()
    {
        ns.namespace_type = "HTTP".into();
    }
    let imported = manifests(&inventory(vec![proxy, http]));
    assert!(
        imported
            .files
            .iter()
            .all(|f| f.key.kind != Kind::EcsService),
        "{:?}",
        imported.files
    );
    let skipped: Vec<String> = imported
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::Skipped)
        .map(ToString::to_string)
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped[0].starts_with(
            "skipped: EcsService/http: it registers in namespace `finfocus.local` of type HTTP"
        ),
        "{skipped:?}"
    );
    assert!(
        skipped[1].contains("sets proxyConfiguration, which manifests cannot hold"),
        "{skipped:?}"
    );
}

#[test]
fn a_namespace_whose_vpc_cannot_be_learned_gets_a_placeholder_validate_refuses() {
    let mut item = fargate_service("web");
    if let Some(reg) = item.registration.as_mut() {
        reg.vpc = None;
    }
    let imported = manifests(&inventory(vec![item]));
    let ns = &file(&imported, "namespace-finfocus-local.yaml").text;
    let errors = crate::manifest::load_str("namespace-finfocus-local.yaml", ns).unwrap_err();
    assert_eq!(errors[0].field.as_deref(), Some("spec.vpc"), "{errors:?}");
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.kind == NoteKind::Placeholder && n.field.as_deref() == Some("spec.vpc"))
    );
}
