//! The write operations [`crate::apply`] performs, one function per AWS operation (plus
//! the polling that makes asynchronous Cloud Map operations synchronous).
//!
//! Idempotency: creates carry a fresh `CreatorRequestId`/`clientToken` per action, so the
//! SDK's own retries of the same request cannot create twice; a second `apply` observes what
//! the first created (by name) and does not create it again.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::ServiceField;
use aws_sdk_servicediscovery::types::{
    HealthCheckCustomConfig, OperationStatus, OperationTargetType, PrivateDnsNamespaceChange,
    PrivateDnsNamespaceProperties, PrivateDnsNamespacePropertiesChange,
    PrivateDnsPropertiesMutable, PrivateDnsPropertiesMutableChange, ServiceChange, Soa, SoaChange,
};
use aws_smithy_types::error::operation::BuildError;

use super::Context;
use super::convert;
use super::read;
use crate::canon;
use crate::live::LiveTaskDefinition;
use crate::manifest::spec::{
    CapacityProviderStrategyItem, ClusterSetting, DiscoverySpec, DnsRecord, ServiceRegistry,
    ServiceSettings,
};
use crate::taskdef::TaskDefinition;
use crate::{Error, Result};

fn build_error(operation: &'static str, resource: &str, e: &BuildError) -> Error {
    Error::Conflict {
        resource: resource.to_owned(),
        message: format!("cannot build {operation} request: {e}"),
    }
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Waits with doubling delays (capped at 10 s) until `check` yields a value or the context's
/// wait timeout passes.
async fn wait_for<T, F, Fut>(
    ctx: &Context,
    operation: &'static str,
    resource: &str,
    mut check: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let timeout = ctx.options().wait_timeout;
    let started = Instant::now();
    let mut delay = ctx.options().poll_interval.max(Duration::from_millis(10));
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if started.elapsed() >= timeout {
            return Err(Error::Timeout {
                operation,
                resource: resource.to_owned(),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(delay.min(timeout.saturating_sub(started.elapsed()))).await;
        delay = delay.saturating_mul(2).min(Duration::from_secs(10));
    }
}

/// Polls a Cloud Map operation until it succeeds; returns its targets.
async fn poll_operation(
    ctx: &Context,
    region: &str,
    operation_id: &str,
    started_by: &'static str,
    resource: &str,
) -> Result<std::collections::HashMap<OperationTargetType, String>> {
    let client = ctx.cloudmap(region);
    wait_for(ctx, started_by, resource, || {
        let client = client.clone();
        async move {
            let out = ctx
                .call(
                    "servicediscovery",
                    "GetOperation",
                    resource,
                    client.get_operation().operation_id(operation_id).send(),
                )
                .await?;
            let Some(op) = out.operation() else {
                return Err(Error::UnexpectedResponse {
                    operation: "GetOperation",
                    resource: resource.to_owned(),
                    message: "no operation in the answer".into(),
                });
            };
            match op.status() {
                Some(OperationStatus::Success) => {
                    Ok(Some(op.targets().cloned().unwrap_or_default()))
                }
                Some(OperationStatus::Fail) => Err(Error::OperationFailed {
                    operation: started_by,
                    resource: resource.to_owned(),
                    message: format!(
                        "{}: {}",
                        op.error_code().unwrap_or("Unknown"),
                        op.error_message().unwrap_or("no message")
                    ),
                }),
                _ => Ok(None),
            }
        }
    })
    .await
}

// ---------------------------------------------------------------- namespaces

/// Creates a private DNS namespace and waits until it exists; returns its id.
pub(crate) async fn create_namespace(
    ctx: &Context,
    region: &str,
    name: &str,
    vpc: &str,
    description: Option<&str>,
    soa_ttl: Option<i64>,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let resource = format!("namespace {name}");
    let tags = convert::cloudmap_tags_to_sdk(tags)
        .map_err(|e| build_error("CreatePrivateDnsNamespace", &resource, &e))?;
    let properties = soa_ttl
        .map(|ttl| -> Result<PrivateDnsNamespaceProperties> {
            let soa = Soa::builder()
                .ttl(ttl)
                .build()
                .map_err(|e| build_error("CreatePrivateDnsNamespace", &resource, &e))?;
            Ok(PrivateDnsNamespaceProperties::builder()
                .dns_properties(PrivateDnsPropertiesMutable::builder().soa(soa).build())
                .build())
        })
        .transpose()?;
    let out = ctx
        .call(
            "servicediscovery",
            "CreatePrivateDnsNamespace",
            &resource,
            ctx.cloudmap(region)
                .create_private_dns_namespace()
                .name(name)
                .vpc(vpc)
                .creator_request_id(request_id())
                .set_description(description.map(str::to_owned))
                .set_tags(Some(tags))
                .set_properties(properties)
                .send(),
        )
        .await?;
    let op = out
        .operation_id()
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "CreatePrivateDnsNamespace",
            resource: resource.clone(),
            message: "no operation id".into(),
        })?;
    let targets = poll_operation(ctx, region, op, "CreatePrivateDnsNamespace", &resource).await?;
    let id = targets
        .get(&OperationTargetType::Namespace)
        .cloned()
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "GetOperation",
            resource,
            message: "the operation names no namespace".into(),
        })?;
    ctx.remember_namespace(region, name, &id);
    Ok(id)
}

/// Updates a namespace's description and SOA TTL and waits for the change.
pub(crate) async fn update_namespace(
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
    description: Option<&str>,
    soa_ttl: Option<i64>,
) -> Result<()> {
    let resource = format!("namespace {name}");
    let properties = soa_ttl
        .map(|ttl| -> Result<PrivateDnsNamespacePropertiesChange> {
            let soa = SoaChange::builder()
                .ttl(ttl)
                .build()
                .map_err(|e| build_error("UpdatePrivateDnsNamespace", &resource, &e))?;
            Ok(PrivateDnsNamespacePropertiesChange::builder()
                .dns_properties(
                    PrivateDnsPropertiesMutableChange::builder()
                        .soa(soa)
                        .build(),
                )
                .build())
        })
        .transpose()?;
    let change = PrivateDnsNamespaceChange::builder()
        .description(description.unwrap_or_default())
        .set_properties(properties)
        .build();
    let out = ctx
        .call(
            "servicediscovery",
            "UpdatePrivateDnsNamespace",
            &resource,
            ctx.cloudmap(region)
                .update_private_dns_namespace()
                .id(id)
                .updater_request_id(request_id())
                .namespace(change)
                .send(),
        )
        .await?;
    // The cached SOA TTL is stale from the moment the update is accepted.
    ctx.forget_soa(id);
    if let Some(op) = out.operation_id() {
        poll_operation(ctx, region, op, "UpdatePrivateDnsNamespace", &resource).await?;
    }
    Ok(())
}

/// Deletes a namespace and waits for the deletion.
pub(crate) async fn delete_namespace(
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
) -> Result<()> {
    let resource = format!("namespace {name}");
    let out = ctx
        .call(
            "servicediscovery",
            "DeleteNamespace",
            &resource,
            ctx.cloudmap(region).delete_namespace().id(id).send(),
        )
        .await?;
    if let Some(op) = out.operation_id() {
        poll_operation(ctx, region, op, "DeleteNamespace", &resource).await?;
    }
    Ok(())
}

/// The id of the namespace with DNS name `name`, if it exists.
pub(crate) async fn namespace_id(
    ctx: &Context,
    region: &str,
    name: &str,
) -> Result<Option<String>> {
    if let Some(id) = ctx.known_namespace(region, name) {
        return Ok(Some(id));
    }
    let client = ctx.cloudmap(region);
    let resource = format!("namespace {name}");
    let resource = resource.as_str();
    let wanted = canon::dns_name(name);
    let wanted = wanted.as_str();
    let found = read::paginate("ListNamespaces", resource, move |token| {
        let request = client
            .list_namespaces()
            .max_results(read::PAGE_SIZE)
            .set_next_token(token)
            .send();
        async move {
            let page = ctx
                .call("servicediscovery", "ListNamespaces", resource, request)
                .await?;
            let hit: Vec<_> = page
                .namespaces()
                .iter()
                .find(|n| n.name().is_some_and(|n| canon::dns_name(n) == wanted))
                .cloned()
                .into_iter()
                .collect();
            // A match ends the listing: the pages after it are not needed.
            let next = if hit.is_empty() {
                page.next_token().map(str::to_owned)
            } else {
                None
            };
            Ok((hit, next))
        }
    })
    .await?;
    Ok(found.first().and_then(|n| n.id()).map(str::to_owned))
}

// ---------------------------------------------------------------- tags

/// Adds tags to a Cloud Map resource.
pub(crate) async fn tag_cloudmap(
    ctx: &Context,
    region: &str,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    let sdk_tags =
        convert::cloudmap_tags_to_sdk(tags).map_err(|e| build_error("TagResource", arn, &e))?;
    ctx.call(
        "servicediscovery",
        "TagResource",
        arn,
        ctx.cloudmap(region)
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags))
            .send(),
    )
    .await?;
    ctx.merge_cached_tags(arn, tags);
    Ok(())
}

/// Adds tags to an ECS resource.
pub(crate) async fn tag_ecs(
    ctx: &Context,
    region: &str,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    ctx.call(
        "ecs",
        "TagResource",
        arn,
        ctx.ecs(region)
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(convert::ecs_tags_to_sdk(tags)))
            .send(),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- clusters

/// Creates a cluster; returns its ARN.
pub(crate) async fn create_cluster(
    ctx: &Context,
    region: &str,
    name: &str,
    settings: &[ClusterSetting],
    capacity_providers: Option<&[String]>,
    default_strategy: Option<&[CapacityProviderStrategyItem]>,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let strategy = default_strategy
        .map(convert::strategy_to_sdk)
        .transpose()
        .map_err(|e| build_error("CreateCluster", name, &e))?;
    let out = ctx
        .call(
            "ecs",
            "CreateCluster",
            name,
            ctx.ecs(region)
                .create_cluster()
                .cluster_name(name)
                .set_settings(
                    (!settings.is_empty()).then(|| convert::cluster_settings_to_sdk(settings)),
                )
                .set_capacity_providers(capacity_providers.map(<[String]>::to_vec))
                .set_default_capacity_provider_strategy(strategy)
                .set_tags(Some(convert::ecs_tags_to_sdk(tags)))
                .send(),
        )
        .await?;
    Ok(out
        .cluster()
        .and_then(|c| c.cluster_arn())
        .unwrap_or_default()
        .to_owned())
}

/// Updates cluster settings.
pub(crate) async fn update_cluster_settings(
    ctx: &Context,
    region: &str,
    name: &str,
    settings: &[ClusterSetting],
) -> Result<()> {
    ctx.call(
        "ecs",
        "UpdateClusterSettings",
        name,
        ctx.ecs(region)
            .update_cluster_settings()
            .cluster(name)
            .set_settings(Some(convert::cluster_settings_to_sdk(settings)))
            .send(),
    )
    .await?;
    Ok(())
}

/// Sets a cluster's capacity providers and default strategy (both replaced whole).
pub(crate) async fn put_cluster_capacity_providers(
    ctx: &Context,
    region: &str,
    name: &str,
    capacity_providers: &[String],
    default_strategy: &[CapacityProviderStrategyItem],
) -> Result<()> {
    let strategy = convert::strategy_to_sdk(default_strategy)
        .map_err(|e| build_error("PutClusterCapacityProviders", name, &e))?;
    ctx.call(
        "ecs",
        "PutClusterCapacityProviders",
        name,
        ctx.ecs(region)
            .put_cluster_capacity_providers()
            .cluster(name)
            .set_capacity_providers(Some(capacity_providers.to_vec()))
            .set_default_capacity_provider_strategy(Some(strategy))
            .send(),
    )
    .await?;
    Ok(())
}

/// Deletes a cluster.
pub(crate) async fn delete_cluster(ctx: &Context, region: &str, name: &str) -> Result<()> {
    ctx.call(
        "ecs",
        "DeleteCluster",
        name,
        ctx.ecs(region).delete_cluster().cluster(name).send(),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- Cloud Map services

/// Creates a Cloud Map service; returns its ARN.
pub(crate) async fn create_discovery_service(
    ctx: &Context,
    region: &str,
    namespace_id: &str,
    spec: &DiscoverySpec,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let resource = format!("Cloud Map service {} in {namespace_id}", spec.name);
    let dns = convert::dns_config_to_sdk(&spec.dns_config)
        .map_err(|e| build_error("CreateService", &resource, &e))?;
    let sdk_tags = convert::cloudmap_tags_to_sdk(tags)
        .map_err(|e| build_error("CreateService", &resource, &e))?;
    let out = ctx
        .call(
            "servicediscovery",
            "CreateService",
            &resource,
            ctx.cloudmap(region)
                .create_service()
                .name(&spec.name)
                .namespace_id(namespace_id)
                .creator_request_id(request_id())
                .set_description(spec.description.clone())
                .dns_config(dns)
                .set_health_check_custom_config(spec.health_check_custom_config.as_ref().map(
                    #[allow(
                        deprecated,
                        reason = "failureThreshold is kept for the AWS JSON shape"
                    )]
                    |h| {
                        HealthCheckCustomConfig::builder()
                            .set_failure_threshold(h.failure_threshold)
                            .build()
                    },
                ))
                .set_tags(Some(sdk_tags))
                .send(),
        )
        .await?;
    let arn = out
        .service()
        .and_then(|s| s.arn())
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "CreateService",
            resource,
            message: "no service ARN".into(),
        })?
        .to_owned();
    ctx.cache_tags(&arn, tags.clone());
    Ok(arn)
}

/// Updates a Cloud Map service's description and record TTLs.
pub(crate) async fn update_discovery_service(
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
    description: Option<&str>,
    records: &[DnsRecord],
) -> Result<()> {
    let resource = format!("Cloud Map service {name}");
    let records = convert::dns_records_to_sdk(records)
        .map_err(|e| build_error("UpdateService", &resource, &e))?;
    let dns = aws_sdk_servicediscovery::types::DnsConfigChange::builder()
        .set_dns_records(Some(records))
        .build()
        .map_err(|e| build_error("UpdateService", &resource, &e))?;
    let change = ServiceChange::builder()
        .description(description.unwrap_or_default())
        .dns_config(dns)
        .build();
    let out = ctx
        .call(
            "servicediscovery",
            "UpdateService",
            &resource,
            ctx.cloudmap(region)
                .update_service()
                .id(id)
                .service(change)
                .send(),
        )
        .await?;
    if let Some(op) = out.operation_id() {
        poll_operation(ctx, region, op, "UpdateService", &resource).await?;
    }
    Ok(())
}

/// Deletes a Cloud Map service, retrying while ECS still deregisters its instances.
pub(crate) async fn delete_discovery_service(
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
) -> Result<()> {
    let resource = format!("Cloud Map service {name}");
    let client = ctx.cloudmap(region);
    wait_for(ctx, "DeleteService", &resource, || {
        let client = client.clone();
        let resource = resource.clone();
        async move {
            match ctx
                .call(
                    "servicediscovery",
                    "DeleteService",
                    &resource,
                    client.delete_service().id(id).send(),
                )
                .await
            {
                Ok(_) => Ok(Some(())),
                Err(e) if e.aws_code() == Some("ResourceInUse") => Ok(None),
                Err(e) if e.aws_code() == Some("ServiceNotFound") => Ok(Some(())),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

// ---------------------------------------------------------------- task definitions

/// Returns a revision equal to `definition`: the family's latest active revision when it
/// already matches (a previous apply may have registered it), otherwise a new one.
pub(crate) async fn register_task_definition(
    ctx: &Context,
    region: &str,
    definition: &TaskDefinition,
    tags: &BTreeMap<String, String>,
) -> Result<(String, bool)> {
    let family = &definition.family;
    match read::task_definition(ctx, region, family).await {
        Ok(latest)
            if latest.status == "ACTIVE"
                && canon::task_definition(latest.definition.clone())
                    == canon::task_definition(canon::qualify_roles(
                        definition.clone(),
                        &latest.arn,
                    )) =>
        {
            return Ok((latest.arn, false));
        }
        Ok(_) => {}
        // No revision yet: AWS answers ClientException, moto TaskDefinitionNotFound.
        Err(e) if matches!(e.aws_code(), Some(c) if c == "ClientException" || c.contains("NotFound")) =>
            {}
        Err(e) => return Err(e),
    }
    let parts = convert::register_parts(definition)
        .map_err(|e| build_error("RegisterTaskDefinition", family, &e))?;
    let out = ctx
        .call(
            "ecs",
            "RegisterTaskDefinition",
            family,
            ctx.ecs(region)
                .register_task_definition()
                .family(family)
                .set_task_role_arn(definition.task_role_arn.clone())
                .set_execution_role_arn(definition.execution_role_arn.clone())
                .set_network_mode(definition.network_mode.as_deref().map(Into::into))
                .set_container_definitions(Some(parts.containers))
                .set_volumes(parts.volumes)
                .set_placement_constraints(parts.placement_constraints)
                .set_requires_compatibilities(
                    definition
                        .requires_compatibilities
                        .as_ref()
                        .map(|cs| cs.iter().map(|c| c.as_str().into()).collect()),
                )
                .set_cpu(definition.cpu.clone())
                .set_memory(definition.memory.clone())
                .set_pid_mode(definition.pid_mode.as_deref().map(Into::into))
                .set_ipc_mode(definition.ipc_mode.as_deref().map(Into::into))
                .set_ephemeral_storage(parts.ephemeral_storage)
                .set_runtime_platform(parts.runtime_platform)
                .set_enable_fault_injection(definition.enable_fault_injection)
                .set_tags(Some(convert::ecs_tags_to_sdk(tags)))
                .send(),
        )
        .await?;
    let td = out
        .task_definition()
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "RegisterTaskDefinition",
            resource: family.clone(),
            message: "no task definition in the answer".into(),
        })?;
    let live: LiveTaskDefinition = convert::task_definition_from_sdk(td);
    ctx.cache_task_definition(&live);
    Ok((live.arn, true))
}

// ---------------------------------------------------------------- ECS services

fn registries(entries: &[ServiceRegistry]) -> Vec<aws_sdk_ecs::types::ServiceRegistry> {
    entries
        .iter()
        .map(convert::service_registry_to_sdk)
        .collect()
}

/// Creates an ECS service; returns its ARN.
#[allow(
    clippy::too_many_arguments,
    reason = "one parameter per part of the request"
)]
pub(crate) async fn create_service(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
    settings: &ServiceSettings,
    task_definition: &str,
    registry: Option<&ServiceRegistry>,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let resource = format!("{cluster}/{name}");
    // A manifest without `desiredCount` leaves the count to autoscaling; the service starts
    // with one task. ECS manages the count of a DAEMON service itself.
    let daemon = settings.scheduling_strategy.as_deref() == Some("DAEMON");
    let desired_count = settings.desired_count.or((!daemon).then_some(1));
    let p = convert::service_parts(settings)
        .map_err(|e| build_error("CreateService", &resource, &e))?;
    let out = ctx
        .call(
            "ecs",
            "CreateService",
            &resource,
            ctx.ecs(region)
                .create_service()
                .cluster(cluster)
                .service_name(name)
                .task_definition(task_definition)
                .client_token(request_id())
                .set_desired_count(desired_count)
                .set_launch_type(p.launch_type)
                .set_capacity_provider_strategy(p.capacity_provider_strategy)
                .set_platform_version(settings.platform_version.clone())
                .set_role(settings.role.clone())
                .set_deployment_configuration(p.deployment_configuration)
                .set_placement_constraints(p.placement_constraints)
                .set_placement_strategy(p.placement_strategy)
                .set_network_configuration(p.network_configuration)
                .set_health_check_grace_period_seconds(settings.health_check_grace_period_seconds)
                .set_scheduling_strategy(p.scheduling_strategy)
                .set_deployment_controller(p.deployment_controller)
                .set_enable_ecs_managed_tags(settings.enable_ecs_managed_tags)
                .set_propagate_tags(p.propagate_tags)
                .set_enable_execute_command(settings.enable_execute_command)
                .set_load_balancers(p.load_balancers)
                .set_availability_zone_rebalancing(p.availability_zone_rebalancing)
                .set_service_registries(registry.map(|r| registries(std::slice::from_ref(r))))
                .set_tags(Some(convert::ecs_tags_to_sdk(tags)))
                .send(),
        )
        .await?;
    Ok(out
        .service()
        .and_then(|s| s.service_arn())
        .unwrap_or_default()
        .to_owned())
}

/// What one `UpdateService` call changes.
pub(crate) struct ServiceUpdate<'a> {
    /// The changed fields (the others are `None`).
    pub patch: &'a ServiceSettings,
    /// A new task definition ARN.
    pub task_definition: Option<&'a str>,
    /// New registries (empty clears them).
    pub service_registries: Option<&'a [ServiceRegistry]>,
    /// Whether to start a new deployment even if nothing else asks for one.
    pub force_new_deployment: bool,
}

/// Updates an ECS service with the fields set in the patch.
pub(crate) async fn update_service(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
    update: &ServiceUpdate<'_>,
) -> Result<()> {
    let resource = format!("{cluster}/{name}");
    let patch = update.patch;
    let p =
        convert::service_parts(patch).map_err(|e| build_error("UpdateService", &resource, &e))?;
    // Every field is named so a new one cannot be left out of the request unnoticed; those
    // UpdateService does not take are planned as replacements.
    let ServiceSettings {
        desired_count,
        launch_type: _,
        capacity_provider_strategy: _,
        platform_version,
        role: _,
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
        service_registries: _,
    } = patch;
    let convert::ServiceParts {
        launch_type: _,
        capacity_provider_strategy,
        deployment_configuration,
        placement_constraints,
        placement_strategy,
        network_configuration,
        scheduling_strategy: _,
        deployment_controller: _,
        propagate_tags,
        load_balancers,
        availability_zone_rebalancing,
    } = p;
    ctx.call(
        "ecs",
        "UpdateService",
        &resource,
        ctx.ecs(region)
            .update_service()
            .cluster(cluster)
            .service(name)
            .set_desired_count(*desired_count)
            .set_task_definition(update.task_definition.map(str::to_owned))
            .set_capacity_provider_strategy(capacity_provider_strategy)
            .set_deployment_configuration(deployment_configuration)
            .set_network_configuration(network_configuration)
            .set_placement_constraints(placement_constraints)
            .set_placement_strategy(placement_strategy)
            .set_platform_version(platform_version.clone())
            .set_health_check_grace_period_seconds(*health_check_grace_period_seconds)
            .set_enable_execute_command(*enable_execute_command)
            .set_enable_ecs_managed_tags(*enable_ecs_managed_tags)
            .set_load_balancers(load_balancers)
            .set_propagate_tags(propagate_tags)
            .set_availability_zone_rebalancing(availability_zone_rebalancing)
            .set_service_registries(update.service_registries.map(registries))
            .set_force_new_deployment(update.force_new_deployment.then_some(true))
            .send(),
    )
    .await?;
    Ok(())
}

/// Scales a service to 0 when asked, deletes it, and optionally waits until it is inactive.
pub(crate) async fn delete_service(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
    scale_down: bool,
    wait_inactive: bool,
) -> Result<()> {
    let resource = format!("{cluster}/{name}");
    let client = ctx.ecs(region);
    if scale_down {
        ctx.call(
            "ecs",
            "UpdateService",
            &resource,
            client
                .update_service()
                .cluster(cluster)
                .service(name)
                .desired_count(0)
                .send(),
        )
        .await?;
    }
    match ctx
        .call(
            "ecs",
            "DeleteService",
            &resource,
            client
                .delete_service()
                .cluster(cluster)
                .service(name)
                .send(),
        )
        .await
    {
        Ok(_) => {}
        Err(e) if e.aws_code() == Some("ServiceNotFoundException") => return Ok(()),
        Err(e) => return Err(e),
    }
    if wait_inactive {
        wait_for(ctx, "DeleteService", &resource, || {
            let client = client.clone();
            let resource = resource.clone();
            async move {
                let out = ctx
                    .call(
                        "ecs",
                        "DescribeServices",
                        &resource,
                        client
                            .describe_services()
                            .cluster(cluster)
                            .services(name)
                            .include(ServiceField::Tags)
                            .send(),
                    )
                    .await?;
                let gone = out
                    .services()
                    .iter()
                    .all(|s| s.status() == Some("INACTIVE"));
                Ok(gone.then_some(()))
            }
        })
        .await?;
    }
    Ok(())
}
