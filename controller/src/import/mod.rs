//! `import`: manifests written from what is live, so that a service made elsewhere (Terraform,
//! CloudFormation, the console) comes under git without being changed.
//!
//! [`manifests`] turns an [`Inventory`] (read by [`crate::aws::import`]) into YAML files and
//! the notes a person must read. It decides; it does no I/O. Its rules:
//! - minimal: a field the canonical form would fill in anyway is left out ([`minimal`]), and
//!   so are the fields AWS chooses when a manifest is silent and which the plan then takes
//!   from the live service (`availabilityZoneRebalancing: ENABLED`, the `ROLLING` strategy);
//! - faithful: everything else is written as AWS reports it, so the first `apply` of the files
//!   only adds the ownership tags (`ecs.finfocus.io/adopt: "true"` is set on every object). A
//!   service that cannot be written back faithfully (its revision holds fields the manifest
//!   model does not have; its registration is not in a private DNS namespace) is left out
//!   with a note saying why, since applying a partial manifest would change it;
//! - safe: an environment value that looks secret by the plans' redaction rule
//!   ([`crate::diff::looks_secret`], [`crate::diff::value_looks_secret`]) is replaced by
//!   [`crate::manifest::SECRET_PLACEHOLDER`], which `validate` refuses until the value moves to
//!   `secrets`; `secrets` themselves are references and are written as they are.

mod minimal;
mod render;

use std::collections::BTreeMap;
use std::fmt;

use crate::canon;
use crate::live::{Inventory, InventoryService, LiveCluster, LiveNamespace, Lookup};
use crate::manifest::spec::{
    ClusterServiceConnectDefaults, ClusterSetting, NamespaceDnsProperties, NamespaceProperties, Soa,
};
use crate::manifest::{
    ClusterSpec, DiscoverySpec, EcsServiceSpec, Kind, NamespaceSpec, ResourceKey,
    SECRET_PLACEHOLDER, ServiceSettings, VPC_PLACEHOLDER,
};
use crate::ownership;
use crate::taskdef::TaskDefinition;

pub use minimal::minimal;

/// One file `import` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    /// File name (no directory): `cluster-NAME.yaml`, `namespace-NAME.yaml`, `service-NAME.yaml`.
    pub name: String,
    /// The object it holds.
    pub key: ResourceKey,
    /// YAML text, with a comment naming each source ARN.
    pub text: String,
}

/// How much a note matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoteKind {
    /// A value was learned indirectly; worth a look.
    Inferred,
    /// A placeholder was written; `validate` fails until a person replaces it.
    Placeholder,
    /// The first `apply` of a file would change the live object, not only tag it.
    Changes,
    /// A service was not written: a manifest of it would change it.
    Skipped,
}

/// Something a person must know about the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The object concerned.
    pub key: ResourceKey,
    /// The field, when the note is about one.
    pub field: Option<String>,
    /// What kind of note.
    pub kind: NoteKind,
    /// What happened and what to do.
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.kind {
            NoteKind::Inferred => "note",
            NoteKind::Placeholder => "placeholder",
            NoteKind::Changes => "not faithful",
            NoteKind::Skipped => "skipped",
        };
        write!(f, "{word}: {}", self.key)?;
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The files and notes of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Files in a stable order: namespaces, the cluster, services, each by name.
    pub files: Vec<ManifestFile>,
    /// Notes, in the order of the files.
    pub notes: Vec<Note>,
}

impl Imported {
    /// Whether a person must act before the files validate or describe everything asked for.
    #[must_use]
    pub fn needs_attention(&self) -> bool {
        self.notes.iter().any(|n| n.kind >= NoteKind::Placeholder)
    }

    /// Every file as one multi-document YAML stream.
    #[must_use]
    pub fn stream(&self) -> String {
        self.files
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join("---\n")
    }
}

/// The manifests for `inventory` (see the module docs for the rules).
#[must_use]
pub fn manifests(inventory: &Inventory) -> Imported {
    let mut notes = Vec::new();
    let mut namespaces: BTreeMap<String, NamespaceDoc> = BTreeMap::new();
    let mut services = Vec::new();
    let mut sorted: Vec<&InventoryService> = inventory.services.iter().collect();
    sorted.sort_by(|a, b| a.service.name.cmp(&b.service.name));
    for item in sorted {
        let key = ResourceKey::new(Kind::EcsService, item.service.name.clone());
        match service_doc(inventory, item, &mut namespaces, &mut notes) {
            Ok(doc) => services.push(doc),
            Err(why) => notes.push(Note {
                key,
                field: None,
                kind: NoteKind::Skipped,
                message: why,
            }),
        }
    }
    let mut files = Vec::new();
    for ns in namespaces.values() {
        let key = ResourceKey::new(Kind::CloudMapNamespace, ns.meta_name.clone());
        if ns.spec.vpc == VPC_PLACEHOLDER {
            notes.push(Note {
                key: key.clone(),
                field: Some("spec.vpc".into()),
                kind: NoteKind::Placeholder,
                message: "Cloud Map does not report a namespace's VPC and no service in it runs in awsvpc subnets: write the VPC id (it is used only to create the namespace again)".into(),
            });
        } else {
            notes.push(Note {
                key: key.clone(),
                field: Some("spec.vpc".into()),
                kind: NoteKind::Inferred,
                message: format!(
                    "{} is the VPC of a service's subnets (Cloud Map does not report the namespace's own; it is used only to create the namespace again)",
                    ns.spec.vpc
                ),
            });
        }
        files.push(render::file(
            &format!("namespace-{}.yaml", ns.meta_name),
            key,
            &[ns.live.arn.as_str()],
            &ns.spec,
        ));
    }
    files.push(render::file(
        &format!("cluster-{}.yaml", inventory.cluster.name),
        ResourceKey::new(Kind::EcsCluster, inventory.cluster.name.clone()),
        &[inventory.cluster.arn.as_str()],
        &cluster_spec(&inventory.cluster),
    ));
    for doc in services {
        let sources: Vec<&str> = doc.sources.iter().map(String::as_str).collect();
        files.push(render::file(
            &format!("service-{}.yaml", doc.name),
            ResourceKey::new(Kind::EcsService, doc.name.clone()),
            &sources,
            &doc.spec,
        ));
    }
    Imported { files, notes }
}

/// A namespace some imported service registers in.
struct NamespaceDoc {
    meta_name: String,
    live: LiveNamespace,
    spec: NamespaceSpec,
}

struct ServiceDoc {
    name: String,
    sources: Vec<String>,
    spec: EcsServiceSpec,
}

/// The `metadata.name` of a namespace's manifest: its DNS name with dots as hyphens.
fn namespace_meta_name(dns: &str) -> String {
    dns.trim_end_matches('.')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Tags a manifest may carry: neither AWS's (`aws:`) nor the controller's own.
fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !ownership::reserved_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn cluster_spec(live: &LiveCluster) -> ClusterSpec {
    // `containerInsights` is `disabled` unless set (API reference, ClusterSetting); settings a
    // manifest does not name are not compared.
    let settings: Vec<ClusterSetting> = live
        .settings
        .iter()
        .filter(|s| !(s.name == "containerInsights" && s.value == "disabled"))
        .cloned()
        .collect();
    let strategy =
        canon::capacity_provider_strategy(Some(live.default_capacity_provider_strategy.clone()))
            .map(|s| {
                minimal(&s, |s| {
                    canon::capacity_provider_strategy(Some(s)).unwrap_or_default()
                })
            });
    ClusterSpec {
        region: None,
        account: None,
        settings: (!settings.is_empty()).then_some(settings),
        capacity_providers: (!live.capacity_providers.is_empty())
            .then(|| canon::capacity_providers(live.capacity_providers.clone())),
        default_capacity_provider_strategy: strategy,
        service_connect_defaults: live
            .service_connect_namespace
            .clone()
            .filter(|n| !n.is_empty())
            .map(|namespace| ClusterServiceConnectDefaults { namespace }),
        configuration: live
            .configuration
            .clone()
            .filter(|c| *c != crate::manifest::spec::ClusterConfiguration::default()),
        tags: user_tags(&live.tags),
    }
}

fn service_doc(
    inventory: &Inventory,
    item: &InventoryService,
    namespaces: &mut BTreeMap<String, NamespaceDoc>,
    notes: &mut Vec<Note>,
) -> Result<ServiceDoc, String> {
    let svc = &item.service;
    let key = ResourceKey::new(Kind::EcsService, svc.name.clone());
    if !item.unmodelled.is_empty() {
        return Err(format!(
            "its task definition {} sets {}, which manifests cannot hold; a revision registered from a manifest would leave them out",
            item.task_definition.arn,
            item.unmodelled.join(", ")
        ));
    }
    let mut sources = vec![svc.arn.clone(), item.task_definition.arn.clone()];
    let service_discovery = match &item.registration {
        None => None,
        Some(reg) => {
            let discovery = match &reg.discovery {
                Lookup::Found(d) => d,
                Lookup::Missing => {
                    return Err(format!(
                        "it registers in {}, which does not exist; a manifest without it would remove the registration",
                        reg.registry.registry_arn
                    ));
                }
                Lookup::Failed(e) => {
                    return Err(format!(
                        "its Cloud Map service {} could not be read: {e}",
                        reg.registry.registry_arn
                    ));
                }
            };
            let namespace = match &reg.namespace {
                Lookup::Found(n) => n,
                Lookup::Missing => {
                    return Err(format!(
                        "the namespace {} of its Cloud Map service does not exist",
                        discovery.namespace_id
                    ));
                }
                Lookup::Failed(e) => {
                    return Err(format!(
                        "the namespace {} of its Cloud Map service could not be read: {e}",
                        discovery.namespace_id
                    ));
                }
            };
            if namespace.namespace_type != "DNS_PRIVATE" {
                return Err(format!(
                    "it registers in namespace `{}` of type {}; manifests describe private DNS namespaces only",
                    namespace.name, namespace.namespace_type
                ));
            }
            let Some(dns_config) = discovery.dns_config.clone() else {
                return Err(format!(
                    "its Cloud Map service `{}` has no DNS records (an API-only service); manifests describe DNS services only",
                    discovery.name
                ));
            };
            let meta_name = namespace_meta_name(&namespace.name);
            let entry = namespaces
                .entry(meta_name.clone())
                .or_insert_with(|| NamespaceDoc {
                    meta_name: meta_name.clone(),
                    live: namespace.clone(),
                    spec: NamespaceSpec {
                        name: namespace.name.clone(),
                        vpc: VPC_PLACEHOLDER.to_owned(),
                        description: namespace.description.clone().filter(|d| !d.is_empty()),
                        region: None,
                        account: None,
                        properties: namespace.soa_ttl.map(|ttl| NamespaceProperties {
                            dns_properties: NamespaceDnsProperties { soa: Soa { ttl } },
                        }),
                        tags: user_tags(&namespace.tags),
                    },
                });
            if entry.spec.vpc == VPC_PLACEHOLDER
                && let Some(vpc) = &reg.vpc
            {
                entry.spec.vpc.clone_from(vpc);
            }
            sources.push(discovery.arn.clone());
            let spec = DiscoverySpec {
                namespace: meta_name,
                name: discovery.name.clone(),
                description: discovery.description.clone(),
                dns_config,
                health_check_custom_config: discovery.health_check_custom_config.clone(),
                container_name: reg.registry.container_name.clone(),
                container_port: reg.registry.container_port,
                port: reg.registry.port,
            };
            Some(minimal(&spec, canon::discovery))
        }
    };
    let task_definition = minimal(
        &without_secret_values(&key, item.task_definition.definition.clone(), notes),
        canon::task_definition,
    );
    Ok(ServiceDoc {
        name: svc.name.clone(),
        sources,
        spec: EcsServiceSpec {
            region: None,
            account: None,
            cluster: inventory.cluster.name.clone(),
            task_definition,
            service: service_settings(svc.settings.clone()),
            service_discovery,
            tags: user_tags(&svc.tags),
        },
    })
}

/// The service settings a manifest writes: `serviceRegistries` comes from `serviceDiscovery`,
/// and the fields AWS chooses when the manifest is silent are left out at their defaults (the
/// plan takes them from the live service, so leaving them out never shows as drift).
fn service_settings(mut s: ServiceSettings) -> ServiceSettings {
    s.service_registries = None;
    // "For create service requests, when no value is specified ... Amazon ECS defaults the
    // value to ENABLED" (API reference, CreateService `availabilityZoneRebalancing`).
    if s.availability_zone_rebalancing.as_deref() == Some("ENABLED") {
        s.availability_zone_rebalancing = None;
    }
    if let Some(d) = s.deployment_configuration.as_mut() {
        // `ROLLING` is the default strategy, and a bake time applies only to the others (API
        // reference, DeploymentConfiguration `strategy` and `bakeTimeInMinutes`).
        if d.strategy.as_deref().is_none_or(|s| s == "ROLLING") {
            d.strategy = None;
            d.bake_time_in_minutes = None;
        }
    }
    minimal(&s, canon::service)
}

/// The definition with every environment value that looks secret replaced by the placeholder,
/// each noted.
fn without_secret_values(
    key: &ResourceKey,
    mut td: TaskDefinition,
    notes: &mut Vec<Note>,
) -> TaskDefinition {
    for c in &mut td.container_definitions {
        for kv in c.environment.iter_mut().flatten() {
            let Some(value) = kv.value.as_deref() else {
                continue;
            };
            if value.is_empty()
                || !(crate::diff::looks_secret(&kv.name) || crate::diff::value_looks_secret(value))
            {
                continue;
            }
            kv.value = Some(SECRET_PLACEHOLDER.to_owned());
            notes.push(Note {
                key: key.clone(),
                field: Some(format!(
                    "spec.taskDefinition.containerDefinitions[{}].environment[{}]",
                    c.name, kv.name
                )),
                kind: NoteKind::Placeholder,
                message: "the value looks secret and was not written; move it to `secrets` (valueFrom an SSM parameter or Secrets Manager secret)".into(),
            });
        }
    }
    td
}

#[cfg(test)]
mod tests;
