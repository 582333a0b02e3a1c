//! ECS service deployments: the newest one of a service (`ListServiceDeployments`, then
//! `DescribeServiceDeployments`), the ones still in progress, and stopping one with a rollback
//! (`StopServiceDeployment`). Only calls and conversions; what a deployment means is
//! [`crate::service_deployment`]'s to judge.

use aws_sdk_ecs::types::{ServiceDeploymentStatus, StopServiceDeploymentStopType};

use super::Context;
use crate::Result;
use crate::service_deployment::ServiceDeployment;

/// The newest service deployment of a service created at or after `since` (epoch seconds), if ECS
/// reports one.
///
/// # Errors
/// [`crate::Error::Aws`] when either call fails (an endpoint without these operations included).
pub async fn newest(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
    since: f64,
) -> Result<Option<ServiceDeployment>> {
    let resource = format!("{cluster}/{name}");
    let ecs = ctx.ecs(region);
    let listed = ctx
        .call(
            "ecs",
            "ListServiceDeployments",
            &resource,
            ecs.list_service_deployments()
                .cluster(cluster)
                .service(name)
                .send(),
        )
        .await?;
    // ECS lists the newest first; sorting does not rely on it.
    let newest = listed
        .service_deployments()
        .iter()
        .filter(|b| b.created_at().is_none_or(|at| at.as_secs_f64() >= since))
        .max_by(|a, b| {
            let at = |d: &aws_sdk_ecs::types::ServiceDeploymentBrief| {
                d.created_at()
                    .map_or(0.0, aws_smithy_types::DateTime::as_secs_f64)
            };
            at(a).total_cmp(&at(b))
        })
        .and_then(|b| b.service_deployment_arn().map(str::to_owned));
    let Some(arn) = newest else {
        return Ok(None);
    };
    let described = ctx
        .call(
            "ecs",
            "DescribeServiceDeployments",
            &resource,
            ecs.describe_service_deployments()
                .service_deployment_arns(&arn)
                .send(),
        )
        .await?;
    Ok(described
        .service_deployments()
        .iter()
        .find(|d| d.service_deployment_arn() == Some(arn.as_str()))
        .map(convert))
}

/// The ARNs of a service's deployments that are `PENDING` or `IN_PROGRESS`.
///
/// # Errors
/// [`crate::Error::Aws`] when `ListServiceDeployments` fails.
pub async fn in_progress(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
) -> Result<Vec<String>> {
    let listed = ctx
        .call(
            "ecs",
            "ListServiceDeployments",
            &format!("{cluster}/{name}"),
            ctx.ecs(region)
                .list_service_deployments()
                .cluster(cluster)
                .service(name)
                .status(ServiceDeploymentStatus::Pending)
                .status(ServiceDeploymentStatus::InProgress)
                .send(),
        )
        .await?;
    Ok(listed
        .service_deployments()
        .iter()
        .filter_map(|b| b.service_deployment_arn().map(str::to_owned))
        .collect())
}

/// Stops a service deployment with a rollback to the revision it replaces.
///
/// # Errors
/// [`crate::Error::Aws`] when `StopServiceDeployment` fails (a deployment that already ended is a
/// `ConflictException`).
pub async fn roll_back(ctx: &Context, region: &str, arn: &str) -> Result<()> {
    ctx.call(
        "ecs",
        "StopServiceDeployment",
        arn,
        ctx.ecs(region)
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(StopServiceDeploymentStopType::Rollback)
            .send(),
    )
    .await?;
    Ok(())
}

fn convert(d: &aws_sdk_ecs::types::ServiceDeployment) -> ServiceDeployment {
    let target = d.target_service_revision();
    let config = d.deployment_configuration();
    ServiceDeployment {
        arn: d.service_deployment_arn().unwrap_or_default().to_owned(),
        status: d
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        status_reason: d.status_reason().map(str::to_owned),
        stage: d.lifecycle_stage().map(|s| s.as_str().to_owned()),
        strategy: config
            .and_then(|c| c.strategy())
            .map(|s| s.as_str().to_owned()),
        bake_minutes: config.and_then(|c| c.bake_time_in_minutes()),
        created_at: d.created_at().map(aws_smithy_types::DateTime::as_secs_f64),
        updated_at: d.updated_at().map(aws_smithy_types::DateTime::as_secs_f64),
        tasks: target.map_or((0, 0, 0), |t| {
            (
                t.requested_task_count(),
                t.running_task_count(),
                t.pending_task_count(),
            )
        }),
        production_weight: target.and_then(|t| t.requested_production_traffic_weight()),
        circuit_breaker: d.deployment_circuit_breaker().map(|c| {
            (
                c.status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                c.failure_count(),
                c.threshold(),
            )
        }),
        triggered_alarms: d
            .alarms()
            .map(|a| a.triggered_alarm_names().to_vec())
            .unwrap_or_default(),
        rollback_reason: d.rollback().and_then(|r| r.reason()).map(str::to_owned),
    }
}
