//! Checks of an `EcsService` document: its task definition, service settings and service
//! discovery registry, each against what ECS would refuse or silently change.

use std::collections::BTreeSet;

use serde_saphyr::Location;

use super::{DocCheck, valid_dns_label, valid_name};
use crate::manifest::spec::{DiscoverySpec, EcsServiceSpec};

pub(super) fn check_service(check: &mut DocCheck<'_>, svc: &EcsServiceSpec, at: Location) {
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
        if let Some(why) = mutable_image(&c.image) {
            check.warn(
                Some(at),
                &format!("spec.taskDefinition.containerDefinitions[{i}].image"),
                format!(
                    "`{}` {why}: ECS resolves it again at every task start, so tasks of one revision \
                     may run different code and a rollback may not go back; name a version (`:1.4.2`) \
                     or pin a digest (`@sha256:...`)",
                    c.image
                ),
            );
        }
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
            if kv.value.as_deref() == Some(crate::manifest::SECRET_PLACEHOLDER) {
                check.error(
                    Some(at),
                    &format!("spec.taskDefinition.containerDefinitions[{i}].environment[{j}].value"),
                    format!(
                        "`{}` looked secret, so `import` did not write its value into git: move it to `secrets` (an SSM parameter or Secrets Manager secret in `valueFrom`) or write the value if it is not secret",
                        kv.name
                    ),
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

/// Why `image` names a tag that can move (`:latest`, or no tag, which means `:latest`); `None`
/// for a version tag or a digest.
pub(crate) fn mutable_image(image: &str) -> Option<&'static str> {
    if image.contains('@') || image.trim().is_empty() {
        return None;
    }
    // A registry's `host:port/` is not a tag: look at the last path segment only.
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag, which means `:latest`"),
        Some((_, "latest")) => Some("names the mutable tag `:latest`"),
        Some(_) => None,
    }
}

#[cfg(test)]
mod image_tests {
    use super::mutable_image;

    #[test]
    fn latest_and_untagged_images_are_mutable_versions_and_digests_are_not() {
        for image in [
            "nginx",
            "nginx:latest",
            "registry:5000/team/app",
            "ghcr.io/a/b:latest",
        ] {
            assert!(mutable_image(image).is_some(), "{image}");
        }
        for image in [
            "nginx:1.27",
            "registry:5000/team/app:2.0.1",
            "ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "ghcr.io/a/b:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(mutable_image(image), None, "{image}");
        }
    }
}
