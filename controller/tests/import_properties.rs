//! Property tests of `import` over random valid task definitions and services:
//! - without AWS, every generated service is written as files that load, and mean what is
//!   live (canonical forms equal);
//! - through the fidelity layer, a generated service made through the ECS API is imported,
//!   validates, is adopted with tag writes only, and plans clean.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::collections::BTreeMap;

use finfocus_ecs_controller::canon;
use finfocus_ecs_controller::import::manifests;
use finfocus_ecs_controller::live::{
    Inventory, InventoryService, LiveCluster, LiveService, LiveTaskDefinition,
};
use finfocus_ecs_controller::manifest::{ResourceSpec, ServiceSettings, load_sources};
use finfocus_ecs_controller::taskdef::TaskDefinition;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use support::{Case, write_operations};

/// Network mode with the launch type and task size that go with it.
fn network_mode() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("awsvpc"), Just("bridge"), Just("host")]
}

/// Words that look like nothing secret to the plans' redaction rule.
fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9.-]{0,10}"
}

/// Environment variable names the plans' redaction rule does not take for secret (`LOG_KEY`
/// would be: its value is left out by `import`, which a test of its own covers).
fn env_name() -> impl Strategy<Value = String> {
    "(LOG|MODE|REGION|PORT|TIER|COLOR|LANG)_[A-Z]{1,4}".prop_filter("looks secret", |n| {
        !finfocus_ecs_controller::diff::looks_secret(n)
    })
}

fn port_mappings(mode: &'static str) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::btree_set(1024u16..60000, 0..3).prop_flat_map(move |ports| {
        let each: Vec<_> = ports
            .into_iter()
            .map(move |port| {
                (
                    any::<bool>(),
                    any::<bool>(),
                    prop::option::of(prop_oneof![Just("tcp"), Just("udp")]),
                )
                    .prop_map(move |(explicit_host, dynamic, protocol)| {
                        let mut m = json!({"containerPort": port});
                        if explicit_host {
                            // `hostPort` must equal `containerPort` in awsvpc and host mode;
                            // in bridge mode 0 asks for a dynamic port, another is fixed.
                            let host = if mode == "bridge" && dynamic { 0 } else { port };
                            m["hostPort"] = json!(host);
                        }
                        if let Some(p) = protocol {
                            m["protocol"] = json!(p);
                        }
                        m
                    })
            })
            .collect();
        each
    })
}

fn health_check() -> impl Strategy<Value = Value> {
    (
        prop::option::of(5i32..=300),
        prop::option::of(2i32..=60),
        prop::option::of(1i32..=10),
        prop::option::of(0i32..=300),
    )
        .prop_map(|(interval, timeout, retries, start)| {
            let mut h = json!({"command": ["CMD-SHELL", "exit 0"]});
            for (k, v) in [
                ("interval", interval),
                ("timeout", timeout),
                ("retries", retries),
                ("startPeriod", start),
            ] {
                if let Some(v) = v {
                    h[k] = json!(v);
                }
            }
            h
        })
}

fn container(mode: &'static str, index: usize) -> impl Strategy<Value = Value> {
    (
        port_mappings(mode),
        prop::collection::btree_map(env_name(), word(), 0..3),
        prop::option::of(prop::collection::vec(word(), 1..3)),
        prop::option::of(health_check()),
        prop::option::of(any::<bool>()),
        prop::option::of(prop_oneof![Just(0i32), Just(128), Just(256)]),
        any::<bool>(),
        prop::option::of(prop::collection::btree_map("[a-z]{2,6}", word(), 1..3)),
    )
        .prop_map(
            move |(ports, env, command, health, read_only, cpu, logs, labels)| {
                let mut c = json!({
                    "name": format!("c{index}"),
                    "image": format!("ghcr.io/example/app{index}:1"),
                    // Only the first container is essential for sure (a task needs one).
                    "essential": index == 0 || read_only.unwrap_or(true),
                });
                if mode != "awsvpc" {
                    c["memory"] = json!(256);
                }
                if !ports.is_empty() {
                    c["portMappings"] = json!(ports);
                }
                if !env.is_empty() {
                    c["environment"] = Value::Array(
                        env.into_iter()
                            .map(|(name, value)| json!({"name": name, "value": value}))
                            .collect(),
                    );
                }
                if let Some(command) = command {
                    c["command"] = json!(command);
                }
                if let Some(h) = health {
                    c["healthCheck"] = h;
                }
                if let Some(r) = read_only {
                    c["readonlyRootFilesystem"] = json!(r);
                }
                if let Some(cpu) = cpu {
                    c["cpu"] = json!(cpu);
                }
                if logs {
                    c["logConfiguration"] = json!({"logDriver": "awslogs", "options": {
                        "awslogs-group": format!("/ecs/c{index}"), "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "ecs"}});
                }
                if let Some(labels) = labels {
                    c["dockerLabels"] = json!(labels);
                }
                c
            },
        )
}

/// A `RegisterTaskDefinition` body and a `CreateService` body (without cluster, names and the
/// revision) that AWS accepts together.
fn workload() -> impl Strategy<Value = (Value, Value)> {
    network_mode().prop_flat_map(|mode| {
        (
            prop::collection::vec(Just(()), 1..=3).prop_flat_map(move |slots| {
                let each: Vec<_> = (0..slots.len()).map(|i| container(mode, i)).collect();
                each
            }),
            prop_oneof![
                Just(("256", "512")),
                Just(("512", "1024")),
                Just(("1024", "2048"))
            ],
            0i32..=5,
            prop::option::of((
                prop_oneof![Just(100i32), Just(150), Just(200)],
                prop_oneof![Just(0i32), Just(50), Just(100)],
                prop::option::of((any::<bool>(), any::<bool>())),
            )),
            prop::option::of(prop_oneof![
                Just("NONE"),
                Just("SERVICE"),
                Just("TASK_DEFINITION")
            ]),
            prop::option::of(any::<bool>()),
            prop::collection::btree_map("[a-z]{2,6}", word(), 0..3),
        )
            .prop_map(
                move |(containers, (cpu, memory), count, deployment, propagate, exec, tags)| {
                    // Containers of one task share its network: a port is taken once.
                    let mut seen = std::collections::BTreeSet::new();
                    let containers: Vec<Value> = containers
                        .into_iter()
                        .map(|mut c| {
                            if let Some(ports) = c["portMappings"].as_array_mut() {
                                ports.retain(|p| seen.insert(p["containerPort"].as_u64()));
                                if ports.is_empty() {
                                    c.as_object_mut().unwrap().remove("portMappings");
                                }
                            }
                            c
                        })
                        .collect();
                    let mut td = json!({"networkMode": mode, "containerDefinitions": containers});
                    let mut service = json!({"desiredCount": count});
                    if mode == "awsvpc" {
                        td["requiresCompatibilities"] = json!(["FARGATE"]);
                        td["cpu"] = json!(cpu);
                        td["memory"] = json!(memory);
                        service["launchType"] = json!("FARGATE");
                    } else {
                        td["requiresCompatibilities"] = json!(["EC2"]);
                        service["launchType"] = json!("EC2");
                    }
                    if let Some((max, min, breaker)) = deployment {
                        let mut d = json!({"maximumPercent": max, "minimumHealthyPercent": min});
                        if let Some((enable, rollback)) = breaker {
                            d["deploymentCircuitBreaker"] =
                                json!({"enable": enable, "rollback": rollback});
                        }
                        service["deploymentConfiguration"] = d;
                    }
                    if let Some(p) = propagate {
                        service["propagateTags"] = json!(p);
                    }
                    if let Some(e) = exec {
                        service["enableExecuteCommand"] = json!(e);
                    }
                    if !tags.is_empty() {
                        service["tags"] = Value::Array(
                            tags.into_iter()
                                .map(|(k, v)| json!({"key": k, "value": v}))
                                .collect(),
                        );
                    }
                    (td, service)
                },
            )
    })
}

fn cluster(name: &str) -> LiveCluster {
    LiveCluster {
        arn: format!("arn:aws:ecs:us-east-1:123456789012:cluster/{name}"),
        name: name.into(),
        status: "ACTIVE".into(),
        settings: vec![],
        capacity_providers: vec![],
        default_capacity_provider_strategy: vec![],
        service_connect_namespace: None,
        configuration: None,
        tags: BTreeMap::new(),
    }
}

/// Settings and tags of a `CreateService` body.
fn settings_and_tags(
    service: &Value,
    network: Option<Value>,
) -> (ServiceSettings, BTreeMap<String, String>) {
    let mut body = service.clone();
    let tags = body
        .as_object_mut()
        .unwrap()
        .remove("tags")
        .and_then(|t| t.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_owned(),
                t["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    if let Some(n) = network {
        body["networkConfiguration"] = n;
    }
    (serde_json::from_value(body).unwrap(), tags)
}

#[test]
fn imported_files_load_and_mean_what_is_live() {
    let mut runner = TestRunner::new(Config {
        cases: 256,
        ..Config::default()
    });
    runner
        .run(&workload(), |(mut td, service)| {
            td["family"] = json!("gen");
            let definition: TaskDefinition = serde_json::from_value(td).unwrap();
            let network = (definition.network_mode.as_deref() == Some("awsvpc")).then(|| {
                json!({"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}})
            });
            let (settings, tags) = settings_and_tags(&service, network);
            let inventory = Inventory {
                region: "us-east-1".into(),
                cluster: cluster("gen"),
                services: vec![InventoryService {
                    service: LiveService {
                        arn: "arn:aws:ecs:us-east-1:123456789012:service/gen/gen".into(),
                        cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/gen".into(),
                        name: "gen".into(),
                        status: "ACTIVE".into(),
                        settings: settings.clone(),
                        task_definition_arn: None,
                        tags,
                        running_count: 0,
                        pending_count: 0,
                        deployments: vec![],
                    },
                    task_definition: LiveTaskDefinition {
                        arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/gen:1".into(),
                        revision: 1,
                        status: "ACTIVE".into(),
                        definition: definition.clone(),
                    },
                    unmodelled: vec![],
                    registration: None,
                }],
            };
            let imported = manifests(&inventory);
            let sources: Vec<(String, String)> = imported
                .files
                .iter()
                .map(|f| (f.name.clone(), f.text.clone()))
                .collect();
            let loaded = load_sources(&sources);
            prop_assert!(loaded.errors.is_empty(), "{:?}\n{}", loaded.errors, imported.stream());
            let spec = loaded
                .set
                .resources()
                .iter()
                .find_map(|r| match &r.spec {
                    ResourceSpec::Service(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap();
            prop_assert_eq!(
                canon::task_definition(spec.task_definition.clone()),
                canon::task_definition(definition)
            );
            prop_assert_eq!(
                canon::service(canon::service_against_live(spec.service.clone(), &settings)),
                canon::service(settings)
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn generated_services_made_through_the_api_are_adopted_with_tag_writes_only() {
    let case = Case::new("import-prop");
    let names = &case.names;
    case.emu
        .ecs_call("CreateCluster", &json!({"clusterName": names.cluster}));
    let network = json!({"awsvpcConfiguration": {
        "subnets": case.network.subnets, "securityGroups": [case.network.security_group]}});
    let mut runner = TestRunner::new(Config {
        cases: 8,
        // Each case makes AWS objects; shrinking would make many more for little insight, the
        // failing case is printed whole.
        max_shrink_iters: 0,
        ..Config::default()
    });
    let counter = std::cell::Cell::new(0);
    runner
        .run(&workload(), |(mut td, mut service)| {
            counter.set(counter.get() + 1);
            let name = format!("gen{}-{}", counter.get(), names.suffix);
            td["family"] = json!(name);
            let registered = case.emu.ecs_call("RegisterTaskDefinition", &td);
            service["cluster"] = json!(names.cluster);
            service["serviceName"] = json!(name);
            service["taskDefinition"] = registered["taskDefinition"]["taskDefinitionArn"].clone();
            if td["networkMode"] == "awsvpc" {
                service["networkConfiguration"] = network.clone();
            }
            case.emu.ecs_call("CreateService", &service);

            let dir = support::TempDir::new("import-prop");
            let dir_arg = dir.arg();
            let imported = case.emu.run(
                &names.instance,
                &[
                    "import",
                    "--cluster",
                    &names.cluster,
                    "--service",
                    &name,
                    "-o",
                    &dir_arg,
                ],
            );
            prop_assert_eq!(imported.code, 0, "{}\n{}", imported.stderr, td);
            let files = ["-f", dir_arg.as_str()];
            let validate = case
                .emu
                .run(&names.instance, &[&["validate"][..], &files].concat());
            prop_assert_eq!(validate.code, 0, "{}", validate.stderr);
            let apply = case
                .emu
                .run(&names.instance, &[&["apply"][..], &files].concat());
            prop_assert_eq!(apply.code, 0, "{}", apply.stdout);
            let writes = write_operations(&apply);
            prop_assert!(
                writes.iter().all(|op| op == "ecs.TagResource"),
                "the first apply did more than tag: {:?}\n{}\n{}",
                writes,
                apply.stdout,
                td
            );
            let plan = case
                .emu
                .run(&names.instance, &[&["plan"][..], &files].concat());
            prop_assert_eq!(
                plan.code,
                0,
                "plan after adoption:\n{}\n{}",
                plan.stdout,
                td
            );
            Ok(())
        })
        .unwrap();
}
