//! ECS services: a live service into the model, and the model into the parts of a
//! `CreateService` or `UpdateService` request.

use aws_sdk_ecs::types as ecs;
use aws_smithy_types::error::operation::BuildError;

use crate::live::{Deployment, LiveService};
use crate::manifest::spec::{
    AwsVpcConfiguration, DeploymentAlarms, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentController, LoadBalancer, NetworkConfiguration, PlacementStrategy, ServiceRegistry,
    ServiceSettings,
};
use crate::taskdef::PlacementConstraint;

use super::cluster::{strategy_item_from_sdk, strategy_to_sdk};
use super::delivery::{
    advanced_from_sdk, advanced_to_sdk, canary_from_sdk, canary_to_sdk, hook_from_sdk, hook_to_sdk,
    lattice_from_sdk, lattice_to_sdk, linear_from_sdk, linear_to_sdk, service_connect_from_sdk,
    service_connect_to_sdk, volume_from_sdk, volume_to_sdk,
};
use super::{ecs_tags_from_sdk, en, list, strs};
/// Reads a live ECS service.
pub(crate) fn service_from_sdk(s: &ecs::Service) -> LiveService {
    // The deployment that carries the service's current configuration.
    let primary = s
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    let settings = ServiceSettings {
        desired_count: Some(s.desired_count()),
        launch_type: s.launch_type().map(|l| l.as_str().to_owned()),
        capacity_provider_strategy: list(s.capacity_provider_strategy(), strategy_item_from_sdk),
        platform_version: s.platform_version().map(str::to_owned),
        role: s.role_arn().map(str::to_owned),
        deployment_configuration: s
            .deployment_configuration()
            .map(|d| DeploymentConfiguration {
                deployment_circuit_breaker: d.deployment_circuit_breaker().map(|b| {
                    DeploymentCircuitBreaker {
                        enable: b.enable(),
                        rollback: b.rollback(),
                    }
                }),
                maximum_percent: d.maximum_percent(),
                minimum_healthy_percent: d.minimum_healthy_percent(),
                alarms: d.alarms().map(|a| DeploymentAlarms {
                    alarm_names: a.alarm_names().to_vec(),
                    enable: a.enable(),
                    rollback: a.rollback(),
                }),
                strategy: d.strategy().map(|x| x.as_str().to_owned()),
                bake_time_in_minutes: d.bake_time_in_minutes(),
                canary_configuration: d.canary_configuration().map(canary_from_sdk),
                linear_configuration: d.linear_configuration().map(linear_from_sdk),
                lifecycle_hooks: list(d.lifecycle_hooks(), hook_from_sdk),
            }),
        placement_constraints: list(s.placement_constraints(), |p| PlacementConstraint {
            kind: p
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            expression: p.expression().map(str::to_owned),
        }),
        placement_strategy: list(s.placement_strategy(), |p| PlacementStrategy {
            kind: p
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            field: p.field().map(str::to_owned),
        }),
        network_configuration: s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .map(|a| NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: a.subnets().to_vec(),
                    security_groups: strs(a.security_groups()),
                    assign_public_ip: a.assign_public_ip().map(|p| p.as_str().to_owned()),
                },
            }),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds(),
        scheduling_strategy: s.scheduling_strategy().map(|x| x.as_str().to_owned()),
        deployment_controller: s.deployment_controller().map(|d| DeploymentController {
            kind: Some(d.r#type().as_str().to_owned()),
        }),
        enable_ecs_managed_tags: Some(s.enable_ecs_managed_tags()),
        propagate_tags: s.propagate_tags().map(|p| p.as_str().to_owned()),
        enable_execute_command: Some(s.enable_execute_command()),
        load_balancers: list(s.load_balancers(), |l| LoadBalancer {
            target_group_arn: l.target_group_arn().map(str::to_owned),
            load_balancer_name: l.load_balancer_name().map(str::to_owned),
            container_name: l.container_name().map(str::to_owned),
            container_port: l.container_port(),
            advanced_configuration: l.advanced_configuration().map(advanced_from_sdk),
        }),
        availability_zone_rebalancing: s
            .availability_zone_rebalancing()
            .map(|a| a.as_str().to_owned()),
        service_connect_configuration: primary
            .and_then(|d| d.service_connect_configuration())
            .map(service_connect_from_sdk),
        volume_configurations: primary
            .and_then(|d| list(d.volume_configurations(), volume_from_sdk)),
        vpc_lattice_configurations: primary
            .and_then(|d| list(d.vpc_lattice_configurations(), lattice_from_sdk)),
        service_registries: list(s.service_registries(), |r| ServiceRegistry {
            registry_arn: r.registry_arn().unwrap_or_default().to_owned(),
            container_name: r.container_name().map(str::to_owned),
            container_port: r.container_port(),
            port: r.port(),
        }),
    };
    LiveService {
        arn: s.service_arn().unwrap_or_default().to_owned(),
        cluster_arn: s.cluster_arn().unwrap_or_default().to_owned(),
        name: s.service_name().unwrap_or_default().to_owned(),
        status: s.status().unwrap_or_default().to_owned(),
        settings,
        task_definition_arn: s.task_definition().map(str::to_owned),
        tags: ecs_tags_from_sdk(s.tags()),
        running_count: s.running_count(),
        pending_count: s.pending_count(),
        deployments: s
            .deployments()
            .iter()
            .map(|d| Deployment {
                status: d.status().unwrap_or_default().to_owned(),
                rollout_state: d.rollout_state().map(|r| r.as_str().to_owned()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
                task_definition: d.task_definition().map(str::to_owned),
                desired_count: d.desired_count(),
                running_count: d.running_count(),
                failed_tasks: d.failed_tasks(),
            })
            .collect(),
    }
}

/// Request pieces for `CreateService`/`UpdateService`.
#[derive(Default)]
pub(crate) struct ServiceParts {
    pub launch_type: Option<ecs::LaunchType>,
    pub capacity_provider_strategy: Option<Vec<ecs::CapacityProviderStrategyItem>>,
    pub deployment_configuration: Option<ecs::DeploymentConfiguration>,
    pub placement_constraints: Option<Vec<ecs::PlacementConstraint>>,
    pub placement_strategy: Option<Vec<ecs::PlacementStrategy>>,
    pub network_configuration: Option<ecs::NetworkConfiguration>,
    pub scheduling_strategy: Option<ecs::SchedulingStrategy>,
    pub deployment_controller: Option<ecs::DeploymentController>,
    pub propagate_tags: Option<ecs::PropagateTags>,
    pub load_balancers: Option<Vec<ecs::LoadBalancer>>,
    pub availability_zone_rebalancing: Option<ecs::AvailabilityZoneRebalancing>,
    pub service_connect_configuration: Option<ecs::ServiceConnectConfiguration>,
    pub volume_configurations: Option<Vec<ecs::ServiceVolumeConfiguration>>,
    pub vpc_lattice_configurations: Option<Vec<ecs::VpcLatticeConfiguration>>,
}

/// Converts the set fields of `s` (a full spec or a sparse patch) to request pieces.
pub(crate) fn service_parts(s: &ServiceSettings) -> Result<ServiceParts, BuildError> {
    Ok(ServiceParts {
        launch_type: en(s.launch_type.as_ref()),
        capacity_provider_strategy: s
            .capacity_provider_strategy
            .as_deref()
            .map(strategy_to_sdk)
            .transpose()?,
        deployment_configuration: s
            .deployment_configuration
            .as_ref()
            .map(|d| -> Result<_, BuildError> {
                Ok(ecs::DeploymentConfiguration::builder()
                    .set_deployment_circuit_breaker(d.deployment_circuit_breaker.as_ref().map(
                        |b| {
                            ecs::DeploymentCircuitBreaker::builder()
                                .enable(b.enable)
                                .rollback(b.rollback)
                                .build()
                        },
                    ))
                    .set_maximum_percent(d.maximum_percent)
                    .set_minimum_healthy_percent(d.minimum_healthy_percent)
                    .set_strategy(en(d.strategy.as_ref()))
                    .set_bake_time_in_minutes(d.bake_time_in_minutes)
                    .set_canary_configuration(d.canary_configuration.as_ref().map(canary_to_sdk))
                    .set_linear_configuration(d.linear_configuration.as_ref().map(linear_to_sdk))
                    .set_lifecycle_hooks(
                        d.lifecycle_hooks
                            .as_ref()
                            .map(|hs| hs.iter().map(hook_to_sdk).collect()),
                    )
                    .set_alarms(
                        d.alarms
                            .as_ref()
                            .map(|a| {
                                ecs::DeploymentAlarms::builder()
                                    .set_alarm_names(Some(a.alarm_names.clone()))
                                    .enable(a.enable)
                                    .rollback(a.rollback)
                                    .build()
                            })
                            .transpose()?,
                    )
                    .build())
            })
            .transpose()?,
        placement_constraints: s.placement_constraints.as_ref().map(|ps| {
            ps.iter()
                .map(|p| {
                    ecs::PlacementConstraint::builder()
                        .r#type(p.kind.as_str().into())
                        .set_expression(p.expression.clone())
                        .build()
                })
                .collect()
        }),
        placement_strategy: s.placement_strategy.as_ref().map(|ps| {
            ps.iter()
                .map(|p| {
                    ecs::PlacementStrategy::builder()
                        .r#type(p.kind.as_str().into())
                        .set_field(p.field.clone())
                        .build()
                })
                .collect()
        }),
        network_configuration: s
            .network_configuration
            .as_ref()
            .map(|n| -> Result<_, BuildError> {
                let a = &n.awsvpc_configuration;
                Ok(ecs::NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        ecs::AwsVpcConfiguration::builder()
                            .set_subnets(Some(a.subnets.clone()))
                            .set_security_groups(a.security_groups.clone())
                            .set_assign_public_ip(en(a.assign_public_ip.as_ref()))
                            .build()?,
                    )
                    .build())
            })
            .transpose()?,
        scheduling_strategy: en(s.scheduling_strategy.as_ref()),
        deployment_controller: s
            .deployment_controller
            .as_ref()
            .and_then(|d| d.kind.as_ref())
            .map(|k| {
                ecs::DeploymentController::builder()
                    .r#type(k.as_str().into())
                    .build()
            })
            .transpose()?,
        propagate_tags: en(s.propagate_tags.as_ref()),
        load_balancers: s.load_balancers.as_ref().map(|ls| {
            ls.iter()
                .map(|l| {
                    ecs::LoadBalancer::builder()
                        .set_target_group_arn(l.target_group_arn.clone())
                        .set_load_balancer_name(l.load_balancer_name.clone())
                        .set_container_name(l.container_name.clone())
                        .set_container_port(l.container_port)
                        .set_advanced_configuration(
                            l.advanced_configuration.as_ref().map(advanced_to_sdk),
                        )
                        .build()
                })
                .collect()
        }),
        availability_zone_rebalancing: en(s.availability_zone_rebalancing.as_ref()),
        service_connect_configuration: s
            .service_connect_configuration
            .as_ref()
            .map(service_connect_to_sdk)
            .transpose()?,
        volume_configurations: s
            .volume_configurations
            .as_ref()
            .map(|vs| vs.iter().map(volume_to_sdk).collect())
            .transpose()?,
        vpc_lattice_configurations: s
            .vpc_lattice_configurations
            .as_ref()
            .map(|ls| ls.iter().map(lattice_to_sdk).collect())
            .transpose()?,
    })
}

/// The ECS `serviceRegistries` entry for a registry.
pub(crate) fn service_registry_to_sdk(r: &ServiceRegistry) -> ecs::ServiceRegistry {
    ecs::ServiceRegistry::builder()
        .registry_arn(&r.registry_arn)
        .set_container_name(r.container_name.clone())
        .set_container_port(r.container_port)
        .set_port(r.port)
        .build()
}
