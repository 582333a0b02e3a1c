//! Checks of one document: the values AWS would refuse or ignore, found before any call,
//! each located at the value it concerns.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Location;

use super::document::{self, Problem, RawDocument, RawSpec};
use super::model::{
    DriftPolicy, Kind, ManifestError, MonthlyBudget, Resource, ResourceKey, ResourceSpec,
    SourceLocation,
};
use super::spec::{ClusterSpec, DiscoverySpec, EcsServiceSpec, NamespaceSpec};
use crate::{
    ANNOTATION_ADOPT, ANNOTATION_DRIFT_POLICY, ANNOTATION_MAX_MONTHLY_COST, ANNOTATION_REDACT_ENV,
    API_VERSION,
};

/// Per-file state while loading.
pub(super) struct FileResult {
    pub(super) label: String,
    /// Resources with the location of `metadata.name` and of the namespace reference.
    pub(super) resources: Vec<(Resource, Refs)>,
    /// Every object whose kind and name could be read, valid or not.
    pub(super) defined: Vec<ResourceKey>,
    pub(super) errors: Vec<ManifestError>,
    pub(super) warnings: Vec<ManifestError>,
}

/// Located values needed by the cross-file checks.
#[derive(Clone, Copy)]
pub(super) struct Refs {
    pub(super) name: (u64, u64),
    pub(super) namespace_ref: Option<(u64, u64)>,
}

/// Collects the errors of one document and, when there are none, its resource.
struct DocCheck<'a> {
    label: &'a str,
    doc_at: Location,
    errors: Vec<ManifestError>,
    warnings: Vec<ManifestError>,
}

impl DocCheck<'_> {
    fn located(&self, at: Option<Location>, field: &str, message: String) -> ManifestError {
        let at = at.filter(|l| l.line() > 0).unwrap_or(self.doc_at);
        ManifestError {
            file: self.label.to_owned(),
            line: at.line(),
            column: at.column(),
            field: (!field.is_empty()).then(|| field.to_owned()),
            message,
        }
    }

    fn error(&mut self, at: Option<Location>, field: &str, message: impl Into<String>) {
        let e = self.located(at, field, message.into());
        self.errors.push(e);
    }

    fn warn(&mut self, at: Option<Location>, field: &str, message: impl Into<String>) {
        let w = self.located(at, field, message.into());
        self.warnings.push(w);
    }
}

pub(super) fn validate_document(
    label: &str,
    doc: RawDocument,
    doc_at: Location,
    out: &mut FileResult,
) {
    let mut check = DocCheck {
        label,
        doc_at,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for Problem {
        location,
        field,
        message,
    } in &doc.problems
    {
        check.error(*location, field, message.clone());
    }
    match &doc.api_version {
        None => check.error(None, "apiVersion", "missing field `apiVersion`"),
        Some(v) if v.value != API_VERSION => check.error(
            Some(v.referenced),
            "apiVersion",
            format!(
                "unsupported apiVersion `{}`, expected `{API_VERSION}`",
                v.value
            ),
        ),
        Some(_) => {}
    }
    let kind = match &doc.kind {
        None => {
            check.error(None, "kind", "missing field `kind`");
            None
        }
        Some(k) => {
            let kind = Kind::parse(&k.value);
            if kind.is_none() {
                check.error(
                    Some(k.referenced),
                    "kind",
                    format!(
                        "unknown kind `{}`, expected one of {}",
                        k.value,
                        document::KINDS.join(", ")
                    ),
                );
            }
            kind
        }
    };
    let Some(metadata) = doc.metadata else {
        check.error(None, "metadata", "missing field `metadata`");
        out.errors.append(&mut check.errors);
        return;
    };
    let name_at = metadata.name.referenced;
    let name = metadata.name.value.clone();
    if let Some(kind) = kind {
        out.defined.push(ResourceKey::new(kind, name.clone()));
    }
    if !valid_name(&name) {
        check.error(
            Some(name_at),
            "metadata.name",
            "must be 1-255 letters, digits, hyphens or underscores, starting with a letter or digit",
        );
    }
    let (drift_policy, adopt, redact_env, max_monthly_cost) =
        check_annotations(&mut check, &metadata.annotations, name_at);
    let Some(spec) = doc.spec else {
        if kind.is_some() && doc.problems.is_empty() {
            check.error(None, "spec", "missing field `spec`");
        }
        out.errors.append(&mut check.errors);
        return;
    };
    let spec_at = spec.referenced;
    let (region, typed, namespace_ref) = match spec.value {
        RawSpec::Namespace(ns) => {
            check_namespace(&mut check, &ns, spec_at);
            check_tags(&mut check, &ns.tags, spec_at);
            (ns.region.clone(), ResourceSpec::Namespace(ns), None)
        }
        RawSpec::Cluster(cluster) => {
            check_cluster(&mut check, &cluster, spec_at);
            check_tags(&mut check, &cluster.tags, spec_at);
            (cluster.region.clone(), ResourceSpec::Cluster(cluster), None)
        }
        RawSpec::Service(raw) => {
            let raw = *raw;
            let namespace_ref = raw.service_discovery.as_ref().map(|d| {
                (
                    d.namespace.referenced.line(),
                    d.namespace.referenced.column(),
                )
            });
            let svc = EcsServiceSpec {
                region: raw.region,
                cluster: raw.cluster,
                task_definition: raw.task_definition,
                service: raw.service,
                service_discovery: raw.service_discovery.map(|d| DiscoverySpec {
                    namespace: d.namespace.value,
                    name: d.name,
                    description: d.description,
                    dns_config: d.dns_config,
                    health_check_custom_config: d.health_check_custom_config,
                    container_name: d.container_name,
                    container_port: d.container_port,
                    port: d.port,
                }),
                tags: raw.tags,
            };
            check_service(&mut check, &svc, spec_at);
            check_tags(&mut check, &svc.tags, spec_at);
            (
                svc.region.clone(),
                ResourceSpec::Service(Box::new(svc)),
                namespace_ref,
            )
        }
    };
    if let Some(region) = &region
        && !valid_region(region)
    {
        check.error(
            Some(spec_at),
            "spec.region",
            format!("`{region}` is not a region name"),
        );
    }
    out.warnings.append(&mut check.warnings);
    if !check.errors.is_empty() {
        out.errors.append(&mut check.errors);
        return;
    }
    let Some(kind) = kind else { return };
    out.resources.push((
        Resource {
            key: ResourceKey::new(kind, name),
            region,
            drift_policy,
            adopt,
            redact_env,
            max_monthly_cost,
            source: SourceLocation {
                file: label.to_owned(),
                line: name_at.line(),
                column: name_at.column(),
            },
            labels: metadata.labels,
            spec: typed,
        },
        Refs {
            name: (name_at.line(), name_at.column()),
            namespace_ref,
        },
    ));
}

fn check_annotations(
    check: &mut DocCheck<'_>,
    annotations: &BTreeMap<String, String>,
    at: Location,
) -> (DriftPolicy, bool, Vec<String>, Option<MonthlyBudget>) {
    let mut policy = DriftPolicy::Enforce;
    let mut adopt = false;
    let mut redact_env = Vec::new();
    let mut budget = None;
    for (key, value) in annotations {
        let field = format!("metadata.annotations.{key}");
        match key.as_str() {
            ANNOTATION_DRIFT_POLICY => match value.as_str() {
                "enforce" => policy = DriftPolicy::Enforce,
                "detect" => policy = DriftPolicy::Detect,
                other => check.error(
                    Some(at),
                    &field,
                    format!("unknown drift policy `{other}`, expected `enforce` or `detect`"),
                ),
            },
            ANNOTATION_ADOPT => match value.as_str() {
                "true" => adopt = true,
                "false" => adopt = false,
                other => check.error(
                    Some(at),
                    &field,
                    format!("expected \"true\" or \"false\", found `{other}`"),
                ),
            },
            ANNOTATION_REDACT_ENV => {
                redact_env = value
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
                    .collect();
                if redact_env.is_empty() {
                    check.error(
                        Some(at),
                        &field,
                        "expected comma-separated environment variable names, e.g. \"INTERNAL_URL,TENANT\"",
                    );
                }
            }
            ANNOTATION_MAX_MONTHLY_COST => match MonthlyBudget::parse(value) {
                Some(b) => budget = Some(b),
                None => check.error(
                    Some(at),
                    &field,
                    format!(
                        "expected an amount in USD such as \"100\" or \"72.50\", found `{value}`"
                    ),
                ),
            },
            k if k.starts_with("ecs.finfocus.io/") => check.error(
                Some(at),
                &field,
                format!(
                    "unknown annotation, expected `{ANNOTATION_DRIFT_POLICY}`, `{ANNOTATION_ADOPT}`, `{ANNOTATION_MAX_MONTHLY_COST}` or `{ANNOTATION_REDACT_ENV}`"
                ),
            ),
            _ => {}
        }
    }
    (policy, adopt, redact_env, budget)
}

fn check_tags(check: &mut DocCheck<'_>, tags: &BTreeMap<String, String>, at: Location) {
    for (key, value) in tags {
        let field = format!("spec.tags.{key}");
        if key.starts_with("ecs.finfocus.io/") || key.starts_with("aws:") {
            check.error(Some(at), &field, "tag key prefix is reserved");
        } else if key.is_empty() || key.chars().count() > 128 {
            check.error(Some(at), &field, "tag keys must be 1-128 characters");
        } else if value.chars().count() > 256 {
            check.error(
                Some(at),
                &field,
                "tag values must be at most 256 characters",
            );
        }
    }
    // AWS allows 50 tags per resource; three are the controller's.
    if tags.len() > 47 {
        check.error(
            Some(at),
            "spec.tags",
            "at most 47 tags (AWS allows 50, 3 are reserved)",
        );
    }
}

fn check_namespace(check: &mut DocCheck<'_>, ns: &NamespaceSpec, at: Location) {
    if !valid_dns_name(&ns.name) {
        check.error(
            Some(at),
            "spec.name",
            format!("`{}` is not a DNS name", ns.name),
        );
    }
    if ns.vpc.trim().is_empty() {
        check.error(Some(at), "spec.vpc", "must not be empty");
    }
    if let Some(p) = &ns.properties
        && !(0..=2_147_483_647).contains(&p.dns_properties.soa.ttl)
    {
        check.error(
            Some(at),
            "spec.properties.dnsProperties.soa.ttl",
            "must be between 0 and 2147483647",
        );
    }
}

/// The default strategy may only name providers the cluster is associated with
/// (PutClusterCapacityProviders refuses anything else), so it needs `capacityProviders`.
fn check_cluster(check: &mut DocCheck<'_>, cluster: &ClusterSpec, at: Location) {
    let Some(strategy) = &cluster.default_capacity_provider_strategy else {
        return;
    };
    let Some(providers) = &cluster.capacity_providers else {
        check.error(
            Some(at),
            "spec.defaultCapacityProviderStrategy",
            "needs spec.capacityProviders listing every provider it names",
        );
        return;
    };
    for (i, item) in strategy.iter().enumerate() {
        if !providers.contains(&item.capacity_provider) {
            check.error(
                Some(at),
                &format!("spec.defaultCapacityProviderStrategy[{i}].capacityProvider"),
                format!(
                    "`{}` is not in spec.capacityProviders",
                    item.capacity_provider
                ),
            );
        }
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one linear list of checks over the parts of a service"
)]
fn check_service(check: &mut DocCheck<'_>, svc: &EcsServiceSpec, at: Location) {
    let td = &svc.task_definition;
    if svc.cluster.trim().is_empty() || !valid_name(&svc.cluster) {
        check.error(Some(at), "spec.cluster", "must be a cluster name");
    }
    if !valid_name(&td.family) {
        check.error(
            Some(at),
            "spec.taskDefinition.family",
            "must be 1-255 letters, digits, hyphens or underscores",
        );
    }
    if td.container_definitions.is_empty() {
        check.error(
            Some(at),
            "spec.taskDefinition.containerDefinitions",
            "at least one container is required",
        );
    }
    let mut names = BTreeSet::new();
    for (i, c) in td.container_definitions.iter().enumerate() {
        if !names.insert(c.name.as_str()) {
            check.error(
                Some(at),
                &format!("spec.taskDefinition.containerDefinitions[{i}].name"),
                format!("duplicate container name `{}`", c.name),
            );
        }
        let mut env = BTreeSet::new();
        for (j, kv) in c.environment.iter().flatten().enumerate() {
            if !env.insert(kv.name.as_str()) {
                check.error(
                    Some(at),
                    &format!("spec.taskDefinition.containerDefinitions[{i}].environment[{j}].name"),
                    format!("duplicate environment variable `{}`", kv.name),
                );
            }
        }
        for (j, p) in c.port_mappings.iter().flatten().enumerate() {
            if p.container_port.is_none() && p.container_port_range.is_none() {
                check.error(
                    Some(at),
                    &format!("spec.taskDefinition.containerDefinitions[{i}].portMappings[{j}]"),
                    "containerPort or containerPortRange is required",
                );
            }
        }
    }
    if let Some(cpu) = &td.cpu
        && crate::units::normalize_cpu(cpu).is_none()
    {
        check.error(
            Some(at),
            "spec.taskDefinition.cpu",
            format!("`{cpu}` is not a CPU amount (e.g. 2048, \"2 vCPU\")"),
        );
    }
    if let Some(memory) = &td.memory
        && crate::units::normalize_memory(memory).is_none()
    {
        check.error(
            Some(at),
            "spec.taskDefinition.memory",
            format!("`{memory}` is not a memory amount (e.g. 4096, \"4 GB\")"),
        );
    }
    let s = &svc.service;
    let awsvpc = td.network_mode.as_deref() == Some("awsvpc");
    // Without `desiredCount` the service starts with one task and the count is left to
    // whoever scales it (Application Auto Scaling); DAEMON services ignore it.
    if s.desired_count.is_some_and(|n| n < 0) {
        check.error(Some(at), "spec.service.desiredCount", "must be >= 0");
    }
    if let Some(kind) = s
        .deployment_controller
        .as_ref()
        .and_then(|d| d.kind.as_deref())
        .filter(|k| *k != "ECS")
    {
        // CODE_DEPLOY services change their task definition, network, platform version,
        // registries and capacity strategy only through CodeDeploy deployments, and EXTERNAL
        // services have no task definition at all (API reference, UpdateService and
        // DeploymentController): the controller would plan updates ECS refuses, every pass.
        check.error(
            Some(at),
            "spec.service.deploymentController.type",
            format!(
                "`{kind}` is not supported: this controller rolls out task definitions itself and manages ECS deployments only; omit deploymentController or set type ECS"
            ),
        );
    }
    let fargate_strategy = s
        .capacity_provider_strategy
        .iter()
        .flatten()
        .any(|c| c.capacity_provider == "FARGATE" || c.capacity_provider == "FARGATE_SPOT");
    if fargate_strategy && !awsvpc {
        check.error(
            Some(at),
            "spec.taskDefinition.networkMode",
            "FARGATE capacity providers need networkMode `awsvpc`",
        );
    }
    if s.launch_type.is_some() && s.capacity_provider_strategy.is_some() {
        check.error(
            Some(at),
            "spec.service.launchType",
            "launchType and capacityProviderStrategy are mutually exclusive",
        );
    }
    if s.launch_type.as_deref() == Some("FARGATE") {
        if !awsvpc {
            check.error(
                Some(at),
                "spec.taskDefinition.networkMode",
                "FARGATE services need networkMode `awsvpc`",
            );
        }
        if let Some(compat) = &td.requires_compatibilities
            && !compat.iter().any(|c| c == "FARGATE")
        {
            check.error(
                Some(at),
                "spec.taskDefinition.requiresCompatibilities",
                "must include FARGATE for a FARGATE service",
            );
        }
    }
    if awsvpc && s.network_configuration.is_none() {
        check.error(
            Some(at),
            "spec.service.networkConfiguration",
            "required when the task definition uses networkMode `awsvpc`",
        );
    }
    if let Some(nc) = &s.network_configuration
        && nc.awsvpc_configuration.subnets.is_empty()
    {
        check.error(
            Some(at),
            "spec.service.networkConfiguration.awsvpcConfiguration.subnets",
            "at least one subnet is required",
        );
    }
    if let Some(d) = &svc.service_discovery {
        if !valid_dns_label(&d.name) {
            check.error(
                Some(at),
                "spec.serviceDiscovery.name",
                format!("`{}` is not a DNS label", d.name),
            );
        }
        if d.dns_config.dns_records.is_empty() {
            check.error(
                Some(at),
                "spec.serviceDiscovery.dnsConfig.dnsRecords",
                "at least one record is required",
            );
        }
        let mut kinds = BTreeSet::new();
        for (i, r) in d.dns_config.dns_records.iter().enumerate() {
            let field = format!("spec.serviceDiscovery.dnsConfig.dnsRecords[{i}]");
            if !kinds.insert(r.kind.as_str()) {
                check.error(
                    Some(at),
                    &field,
                    format!("duplicate record type `{}`", r.kind),
                );
            }
            if !(0..=2_147_483_647).contains(&r.ttl) {
                check.error(
                    Some(at),
                    &format!("{field}.ttl"),
                    "must be between 0 and 2147483647",
                );
            }
            if (r.kind == "A" || r.kind == "AAAA") && !awsvpc {
                check.error(
                    Some(at),
                    &format!("{field}.type"),
                    "A/AAAA records need networkMode `awsvpc` (use SRV otherwise)",
                );
            }
        }
        check_registry_port(check, svc, d, kinds.contains("SRV"), at);
        if let Some(threshold) = d
            .health_check_custom_config
            .as_ref()
            .and_then(|h| h.failure_threshold)
            .filter(|t| *t != 1)
        {
            check.warn(
                Some(at),
                "spec.serviceDiscovery.healthCheckCustomConfig.failureThreshold",
                format!(
                    "is deprecated and always 1 in Cloud Map, whatever is sent; {threshold} is compared as 1"
                ),
            );
        }
    }
}

/// An `SRV` record needs a port: `containerName` + `containerPort` (a port mapping of that
/// container), or `port` in `awsvpc` mode (API reference, ECS ServiceRegistry). Without an
/// `SRV` record the fields mean nothing and are refused.
fn check_registry_port(
    check: &mut DocCheck<'_>,
    svc: &EcsServiceSpec,
    d: &DiscoverySpec,
    srv: bool,
    at: Location,
) {
    let awsvpc = svc.task_definition.network_mode.as_deref() == Some("awsvpc");
    let field = "spec.serviceDiscovery";
    let named = d.container_name.is_some() || d.container_port.is_some();
    if !srv {
        if named || d.port.is_some() {
            check.error(
                Some(at),
                field,
                "containerName, containerPort and port are only used by SRV records",
            );
        }
        return;
    }
    if named && d.port.is_some() {
        check.error(
            Some(at),
            &format!("{field}.port"),
            "give either containerName and containerPort, or port",
        );
        return;
    }
    match (&d.container_name, d.container_port, d.port) {
        (Some(name), Some(port), None) => {
            let container = svc
                .task_definition
                .container_definitions
                .iter()
                .find(|c| &c.name == name);
            match container {
                None => check.error(
                    Some(at),
                    &format!("{field}.containerName"),
                    format!("no container named `{name}` in the task definition"),
                ),
                Some(c) => {
                    let mapped = c
                        .port_mappings
                        .iter()
                        .flatten()
                        .any(|p| p.container_port == Some(port));
                    if !mapped {
                        check.error(
                            Some(at),
                            &format!("{field}.containerPort"),
                            format!("container `{name}` has no port mapping for {port}"),
                        );
                    }
                }
            }
        }
        (None, None, Some(port)) => {
            if !awsvpc {
                check.error(
                    Some(at),
                    &format!("{field}.port"),
                    "port is only for networkMode `awsvpc`; give containerName and containerPort",
                );
            } else if !(1..=65_535).contains(&port) {
                check.error(Some(at), &format!("{field}.port"), "must be 1-65535");
            }
        }
        _ => check.error(
            Some(at),
            field,
            if awsvpc {
                "an SRV record needs containerName and containerPort, or port"
            } else {
                "an SRV record needs containerName and containerPort"
            },
        ),
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    first_ok
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn valid_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn valid_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty() && name.len() <= 253 && name.split('.').all(valid_dns_label)
}

fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}
