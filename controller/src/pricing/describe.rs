//! What the plugin is asked to price: an `EcsService` as a FinFocus `ResourceDescriptor` of type
//! `aws:ecs/service:Service`, its properties stringified the way Pulumi passes them (nested
//! values in Go's `map[k:v]` text, which the plugin parses).
//!
//! Pure: the desired side comes from the manifest, the live side from what was observed.

use std::collections::HashMap;

use finfocus_proto::v1::ResourceDescriptor;

use crate::manifest::spec::{CapacityProviderStrategyItem, ServiceSettings};
use crate::taskdef::TaskDefinition;

/// Pulumi type token of an ECS service, the plugin's `ecs-service` estimator.
pub const SERVICE_TYPE: &str = "aws:ecs/service:Service";

/// The descriptor of a service running `task` with `settings` in `region`.
#[must_use]
pub fn service(
    region: &str,
    id: &str,
    task: &TaskDefinition,
    settings: &ServiceSettings,
) -> ResourceDescriptor {
    let mut tags = HashMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            tags.insert(k.to_owned(), v);
        }
    };
    put("cpu", task.cpu.clone());
    put("memory", task.memory.clone());
    if let Some(p) = &task.runtime_platform {
        put(
            "runtimePlatform.cpuArchitecture",
            p.cpu_architecture.clone(),
        );
        put(
            "runtimePlatform.operatingSystemFamily",
            p.operating_system_family.clone(),
        );
    }
    put(
        "ephemeralStorage.sizeInGiB",
        task.ephemeral_storage
            .as_ref()
            .map(|s| s.size_in_gib.to_string()),
    );
    put(
        "requiresCompatibilities",
        task.requires_compatibilities
            .as_ref()
            .map(|c| format!("[{}]", c.join(" "))),
    );
    put(
        "desiredCount",
        settings.desired_count.map(|n| n.to_string()),
    );
    // What the containers reserve, for the plugin's right-size advice: only when every
    // container says (CPU units; `memoryReservation`, else the hard `memory` limit), since a
    // container without a reservation may use whatever the task has.
    let containers = &task.container_definitions;
    let cpu: Option<i32> = containers.iter().map(|c| c.cpu.filter(|n| *n > 0)).sum();
    let memory: Option<i32> = containers
        .iter()
        .map(|c| c.memory_reservation.or(c.memory).filter(|n| *n > 0))
        .sum();
    if let (Some(cpu), Some(memory)) = (cpu, memory) {
        put("containerReservations.cpu", Some(cpu.to_string()));
        put("containerReservations.memory", Some(memory.to_string()));
    }
    put("launchType", settings.launch_type.clone());
    put(
        "capacityProviderStrategy",
        settings
            .capacity_provider_strategy
            .as_deref()
            .map(strategy_text),
    );
    ResourceDescriptor {
        provider: "aws".to_owned(),
        resource_type: SERVICE_TYPE.to_owned(),
        region: region.to_owned(),
        id: id.to_owned(),
        tags,
        ..ResourceDescriptor::default()
    }
}

/// The desired settings as they will be once applied: what the manifest leaves to AWS
/// (`desiredCount`, the launch type or strategy) stays as it is live.
#[must_use]
pub fn effective_settings(
    desired: &ServiceSettings,
    live: Option<&ServiceSettings>,
) -> ServiceSettings {
    let mut out = desired.clone();
    if let Some(live) = live {
        if out.desired_count.is_none() {
            out.desired_count = live.desired_count;
        }
        if out.launch_type.is_none() && out.capacity_provider_strategy.is_none() {
            out.launch_type.clone_from(&live.launch_type);
            out.capacity_provider_strategy
                .clone_from(&live.capacity_provider_strategy);
        }
    }
    out
}

/// `[map[base:1 capacityProvider:FARGATE weight:1] map[capacityProvider:FARGATE_SPOT weight:3]]`.
fn strategy_text(items: &[CapacityProviderStrategyItem]) -> String {
    let entries: Vec<String> = items
        .iter()
        .map(|i| {
            let mut fields = Vec::with_capacity(3);
            if let Some(base) = i.base {
                fields.push(format!("base:{base}"));
            }
            fields.push(format!("capacityProvider:{}", i.capacity_provider));
            if let Some(weight) = i.weight {
                fields.push(format!("weight:{weight}"));
            }
            format!("map[{}]", fields.join(" "))
        })
        .collect();
    format!("[{}]", entries.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::{EphemeralStorage, RuntimePlatform};

    #[test]
    fn container_reservations_are_sent_only_when_every_container_has_them() {
        use crate::taskdef::ContainerDefinition;
        let container =
            |cpu: Option<i32>, memory: Option<i32>, reservation: Option<i32>| ContainerDefinition {
                cpu,
                memory,
                memory_reservation: reservation,
                ..ContainerDefinition::default()
            };
        let reserved = |containers: Vec<ContainerDefinition>| {
            let task = TaskDefinition {
                container_definitions: containers,
                ..TaskDefinition::default()
            };
            let d = service("us-east-1", "x", &task, &ServiceSettings::default());
            (
                d.tags.get("containerReservations.cpu").cloned(),
                d.tags.get("containerReservations.memory").cloned(),
            )
        };
        // The soft reservation counts before the hard limit.
        assert_eq!(
            reserved(vec![
                container(Some(256), Some(1024), Some(512)),
                container(Some(128), Some(300), None),
            ]),
            (Some("384".into()), Some("812".into()))
        );
        // One container without a CPU reservation (cpu 0 shares the task's): nothing is sent.
        assert_eq!(
            reserved(vec![
                container(Some(256), Some(512), None),
                container(Some(0), Some(512), None),
            ]),
            (None, None)
        );
        assert_eq!(
            reserved(vec![container(Some(256), None, None)]),
            (None, None)
        );
    }

    #[test]
    fn a_service_carries_the_properties_the_estimator_reads() {
        let task = TaskDefinition {
            cpu: Some("2048".into()),
            memory: Some("4096".into()),
            runtime_platform: Some(RuntimePlatform {
                cpu_architecture: Some("ARM64".into()),
                operating_system_family: None,
            }),
            ephemeral_storage: Some(EphemeralStorage { size_in_gib: 30 }),
            requires_compatibilities: Some(vec!["FARGATE".into()]),
            ..TaskDefinition::default()
        };
        let settings = ServiceSettings {
            desired_count: Some(2),
            capacity_provider_strategy: Some(vec![
                CapacityProviderStrategyItem {
                    capacity_provider: "FARGATE".into(),
                    weight: Some(1),
                    base: Some(1),
                },
                CapacityProviderStrategyItem {
                    capacity_provider: "FARGATE_SPOT".into(),
                    weight: Some(3),
                    base: None,
                },
            ]),
            ..ServiceSettings::default()
        };
        let d = service("eu-west-1", "EcsService/web", &task, &settings);
        assert_eq!(d.resource_type, SERVICE_TYPE);
        assert_eq!(d.region, "eu-west-1");
        let tag = |k: &str| d.tags.get(k).map(String::as_str);
        assert_eq!(tag("cpu"), Some("2048"));
        assert_eq!(tag("memory"), Some("4096"));
        assert_eq!(tag("runtimePlatform.cpuArchitecture"), Some("ARM64"));
        assert_eq!(tag("runtimePlatform.operatingSystemFamily"), None);
        assert_eq!(tag("ephemeralStorage.sizeInGiB"), Some("30"));
        assert_eq!(tag("requiresCompatibilities"), Some("[FARGATE]"));
        assert_eq!(tag("desiredCount"), Some("2"));
        assert_eq!(tag("launchType"), None);
        assert_eq!(
            tag("capacityProviderStrategy"),
            Some(
                "[map[base:1 capacityProvider:FARGATE weight:1] map[capacityProvider:FARGATE_SPOT weight:3]]"
            )
        );
    }

    #[test]
    fn what_the_manifest_leaves_to_aws_is_priced_as_it_runs() {
        let live = ServiceSettings {
            desired_count: Some(3),
            launch_type: Some("FARGATE".into()),
            ..ServiceSettings::default()
        };
        let desired = ServiceSettings::default();
        let eff = effective_settings(&desired, Some(&live));
        assert_eq!(eff.desired_count, Some(3));
        assert_eq!(eff.launch_type.as_deref(), Some("FARGATE"));
        // A count in the manifest wins; a strategy replaces the live launch type.
        let desired = ServiceSettings {
            desired_count: Some(1),
            capacity_provider_strategy: Some(vec![CapacityProviderStrategyItem {
                capacity_provider: "FARGATE_SPOT".into(),
                weight: Some(1),
                base: None,
            }]),
            ..ServiceSettings::default()
        };
        let eff = effective_settings(&desired, Some(&live));
        assert_eq!(eff.desired_count, Some(1));
        assert_eq!(eff.launch_type, None);
    }
}
