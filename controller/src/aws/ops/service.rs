//! ECS services: create, update, delete.

use std::collections::BTreeMap;

use super::{build_error, token, wait_for};
use crate::aws::{Context, convert, read};
use crate::manifest::spec::{ServiceRegistry, ServiceSettings};
use crate::{Error, Result};

fn registries(entries: &[ServiceRegistry]) -> Vec<aws_sdk_ecs::types::ServiceRegistry> {
    entries
        .iter()
        .map(convert::service_registry_to_sdk)
        .collect()
}

/// How many tokens a create tries before it gives up on answers that name a deleted service.
const CREATE_ATTEMPTS: u32 = 3;

/// Creates an ECS service; returns its ARN.
///
/// The `clientToken` is derived from the request ([`token`]), so a create sent again after a
/// lost answer returns the service the first one created. An answer naming a service that is
/// not `ACTIVE` means the token matched a service created and deleted earlier: the create is
/// sent again with a fresh token. `InvalidParameterException` ("Creation of service was not
/// idempotent", ECS's answer when a service of that name exists) is met by observing again: an
/// `ACTIVE` service of that name is the one an earlier, interrupted attempt created.
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
    let fingerprint = serde_json::json!({
        "settings": settings,
        "taskDefinition": task_definition,
        "registry": registry,
        "tags": tags,
    });
    let day = token::today();
    for attempt in 0..CREATE_ATTEMPTS {
        let client_token = token::derive(
            token::Kind::EcsService,
            region,
            &[cluster, name],
            &fingerprint,
            day,
            attempt,
        );
        let sent = send_create(
            ctx,
            region,
            cluster,
            name,
            settings,
            task_definition,
            registry,
            tags,
            client_token,
        )
        .await;
        match sent {
            Ok(Some((arn, status))) if status == "ACTIVE" => return Ok(arn),
            Ok(Some(_)) => {
                tracing::debug!(resource, attempt, "the token named a deleted service");
            }
            Ok(None) => {
                return Err(Error::UnexpectedResponse {
                    operation: "CreateService",
                    resource,
                    message: "no service ARN".into(),
                });
            }
            Err(e) if e.aws_code() == Some("InvalidParameterException") => {
                return match active_service_arn(ctx, region, cluster, name).await? {
                    Some(arn) => {
                        tracing::info!(
                            resource,
                            "the service exists: an earlier attempt created it"
                        );
                        Ok(arn)
                    }
                    None => Err(e),
                };
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict {
        resource,
        message: format!(
            "CreateService answered a deleted service for {CREATE_ATTEMPTS} fresh tokens"
        ),
    })
}

/// One `CreateService` call; the answer's service ARN and status.
#[allow(
    clippy::too_many_arguments,
    reason = "one parameter per part of the request"
)]
async fn send_create(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
    settings: &ServiceSettings,
    task_definition: &str,
    registry: Option<&ServiceRegistry>,
    tags: &BTreeMap<String, String>,
    client_token: String,
) -> Result<Option<(String, String)>> {
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
                .client_token(client_token)
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
                .set_service_connect_configuration(p.service_connect_configuration)
                .set_volume_configurations(p.volume_configurations)
                .set_vpc_lattice_configurations(p.vpc_lattice_configurations)
                .set_service_registries(registry.map(|r| registries(std::slice::from_ref(r))))
                .set_tags(Some(convert::ecs_tags_to_sdk(tags)))
                .send(),
        )
        .await?;
    Ok(out.service().and_then(|s| {
        let arn = s.service_arn()?.to_owned();
        // An answer without a status is taken as a live service, as AWS answers one.
        Some((arn, s.status().unwrap_or("ACTIVE").to_owned()))
    }))
}

/// The ARN of the `ACTIVE` service `name` of `cluster`, if there is one.
async fn active_service_arn(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
) -> Result<Option<String>> {
    Ok(read::service(ctx, region, cluster, name)
        .await?
        .iter()
        .find(|s| s.status() == Some("ACTIVE"))
        .and_then(|s| s.service_arn())
        .map(str::to_owned))
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
        service_connect_configuration: _,
        volume_configurations: _,
        vpc_lattice_configurations: _,
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
        service_connect_configuration,
        volume_configurations,
        vpc_lattice_configurations,
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
            .set_service_connect_configuration(service_connect_configuration)
            .set_volume_configurations(volume_configurations)
            .set_vpc_lattice_configurations(vpc_lattice_configurations)
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
        wait_for(ctx, "DeleteService", &resource, || async move {
            let gone = read::service(ctx, region, cluster, name)
                .await?
                .iter()
                .all(|s| s.status() == Some("INACTIVE"));
            Ok(gone.then_some(()))
        })
        .await?;
    }
    Ok(())
}
