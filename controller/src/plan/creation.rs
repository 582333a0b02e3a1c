//! What a create makes, as a reviewer reads it in a plan (pure).
//!
//! A resource that does not exist yet has no fields to compare; its plan shows one `create` change
//! whose desired value is the summary [`summarize`] builds from the planned actions: for an ECS
//! service the task definition family, cpu/memory, each container's image and ports, the desired
//! count, how it is placed, and the Cloud Map name it registers in. Environment values and secrets
//! are never part of the summary.

use serde_json::{Map, Value, json};

use super::{Action, ArnRef};
use crate::taskdef::{PortMapping, TaskDefinition};

/// The summary of the resource `action` creates; `actions` are the resource's planned actions so
/// far (a new service's task definition and Cloud Map service are created before it). `None` for
/// actions that create nothing.
#[must_use]
pub fn summarize(action: &Action, actions: &[Action]) -> Option<Value> {
    let mut out = Map::new();
    match action {
        Action::CreateNamespace {
            name,
            vpc,
            description,
            soa_ttl,
            ..
        } => {
            out.insert("name".into(), json!(name));
            out.insert("vpc".into(), json!(vpc));
            put(&mut out, "description", description.as_ref());
            put(&mut out, "soaTtl", soa_ttl.as_ref());
        }
        Action::CreateCluster {
            name,
            settings,
            capacity_providers,
            default_capacity_provider_strategy,
            ..
        } => {
            out.insert("name".into(), json!(name));
            let settings: Vec<String> = settings
                .iter()
                .map(|s| format!("{}={}", s.name, s.value))
                .collect();
            if !settings.is_empty() {
                out.insert("settings".into(), json!(settings));
            }
            put(&mut out, "capacityProviders", capacity_providers.as_ref());
            if let Some(strategy) = default_capacity_provider_strategy {
                out.insert("defaultStrategy".into(), json!(strategy_text(strategy)));
            }
        }
        Action::CreateService {
            cluster,
            settings,
            task_definition,
            registry,
            ..
        } => {
            let registered = actions.iter().find_map(|a| match a {
                Action::RegisterTaskDefinition { definition, .. } => Some(definition),
                _ => None,
            });
            match (registered, task_definition) {
                (Some(td), _) => task_definition_summary(&mut out, td),
                (None, ArnRef::Known(arn)) => {
                    let short = arn.rsplit_once('/').map_or(arn.as_str(), |(_, s)| s);
                    out.insert("taskDefinition".into(), json!(short));
                }
                (None, ArnRef::FromPreviousAction) => {}
            }
            out.insert("cluster".into(), json!(cluster));
            // ECS starts one task when the manifest leaves the count to autoscaling.
            out.insert(
                "desiredCount".into(),
                json!(settings.desired_count.unwrap_or(1)),
            );
            put(&mut out, "launchType", settings.launch_type.as_ref());
            if let Some(strategy) = &settings.capacity_provider_strategy {
                out.insert(
                    "capacityProviderStrategy".into(),
                    json!(strategy_text(strategy)),
                );
            }
            let discovery = actions.iter().find_map(|a| match a {
                Action::CreateDiscoveryService {
                    namespace, spec, ..
                } => Some(format!("{}.{namespace}", spec.name)),
                _ => None,
            });
            let discovery = discovery.or_else(|| {
                registry.as_ref().and_then(|r| match &r.arn {
                    ArnRef::Known(arn) => Some(format!("existing Cloud Map service {arn}")),
                    ArnRef::FromPreviousAction => None,
                })
            });
            put(&mut out, "discovery", discovery.as_ref());
        }
        Action::CreateDiscoveryService {
            namespace, spec, ..
        } => {
            out.insert("name".into(), json!(format!("{}.{namespace}", spec.name)));
            let records: Vec<String> = spec
                .dns_config
                .dns_records
                .iter()
                .map(|r| format!("{} ttl {}", r.kind, r.ttl))
                .collect();
            out.insert("dnsRecords".into(), json!(records));
        }
        _ => return None,
    }
    Some(Value::Object(out))
}

fn put<T: serde::Serialize>(out: &mut Map<String, Value>, key: &str, value: Option<&T>) {
    if let Some(v) = value {
        out.insert(key.to_owned(), json!(v));
    }
}

fn strategy_text(items: &[crate::manifest::spec::CapacityProviderStrategyItem]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            let mut text = i.capacity_provider.clone();
            if let Some(w) = i.weight {
                text.push_str(&format!(" weight {w}"));
            }
            if let Some(b) = i.base {
                text.push_str(&format!(" base {b}"));
            }
            text
        })
        .collect()
}

fn task_definition_summary(out: &mut Map<String, Value>, td: &TaskDefinition) {
    out.insert("family".into(), json!(td.family));
    put(out, "cpu", td.cpu.as_ref());
    put(out, "memory", td.memory.as_ref());
    let containers: Vec<String> = td
        .container_definitions
        .iter()
        .map(|c| {
            let ports: Vec<String> = c
                .port_mappings
                .iter()
                .flatten()
                .filter_map(port_text)
                .collect();
            if ports.is_empty() {
                format!("{}: {}", c.name, c.image)
            } else {
                format!("{}: {} (ports {})", c.name, c.image, ports.join(", "))
            }
        })
        .collect();
    out.insert("containers".into(), json!(containers));
}

/// `8001/tcp`, `8000-8010/udp`.
fn port_text(p: &PortMapping) -> Option<String> {
    let port = p
        .container_port
        .map(|n| n.to_string())
        .or_else(|| p.container_port_range.clone())?;
    Some(format!("{port}/{}", p.protocol.as_deref().unwrap_or("tcp")))
}
