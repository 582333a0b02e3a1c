//! The reads `apply --wait` makes while a rollout goes on: one service's deployments, counts and
//! latest events (`DescribeServices`), and, once a deployment failed, its most recent stopped tasks
//! (`ListTasks` with `desiredStatus: STOPPED`, then `DescribeTasks`).
//!
//! Only reads; every call is counted like the others. What the answers mean is decided elsewhere
//! ([`crate::rollout`], [`crate::diagnosis`]).

use aws_sdk_ecs::types::DesiredStatus;

use super::Context;
use crate::Result;
use crate::diagnosis::{StoppedContainer, StoppedTask};
use crate::rollout::{Deployment, RolloutState};

/// Stopped tasks described per failed deployment (`DescribeTasks` takes up to 100).
const STOPPED_TASKS_READ: usize = 20;

/// One deployment, with the id its tasks carry as `startedBy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedDeployment {
    /// `ecs-svc/...`.
    pub id: Option<String>,
    /// The parts rollout tracking judges.
    pub deployment: Deployment,
}

/// A service as a rollout is watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRollout {
    /// Deployments, primary first as AWS lists them.
    pub deployments: Vec<WatchedDeployment>,
    /// Desired tasks.
    pub desired: i32,
    /// Running tasks.
    pub running: i32,
    /// Pending tasks.
    pub pending: i32,
    /// Event messages, newest first (at most the ten ECS lists first).
    pub events: Vec<String>,
}

/// Reads one ECS service's rollout; `None` when it does not exist (or is no longer active).
///
/// # Errors
/// [`crate::Error::Aws`] when `DescribeServices` fails.
pub async fn service_rollout(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
) -> Result<Option<ServiceRollout>> {
    let services = super::read::service(ctx, region, cluster, name).await?;
    let Some(service) = services.iter().find(|s| s.status() != Some("INACTIVE")) else {
        return Ok(None);
    };
    let deployments = service
        .deployments()
        .iter()
        .map(|d| WatchedDeployment {
            id: d.id().map(str::to_owned),
            deployment: Deployment {
                status: d.status().unwrap_or_default().to_owned(),
                task_definition: d.task_definition().unwrap_or_default().to_owned(),
                rollout_state: d
                    .rollout_state()
                    .and_then(|s| RolloutState::parse(s.as_str())),
                rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
                running: d.running_count(),
                desired: d.desired_count(),
                failed: d.failed_tasks(),
            },
        })
        .collect();
    Ok(Some(ServiceRollout {
        deployments,
        desired: service.desired_count(),
        running: service.running_count(),
        pending: service.pending_count(),
        events: service
            .events()
            .iter()
            .take(10)
            .filter_map(|e| e.message().map(str::to_owned))
            .collect(),
    }))
}

/// The most recent stopped tasks of a service, newest first; only those started by `deployment`
/// when it is given.
///
/// # Errors
/// [`crate::Error::Aws`] when `ListTasks` or `DescribeTasks` fails.
pub async fn stopped_tasks(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
    deployment: Option<&str>,
) -> Result<Vec<StoppedTask>> {
    let resource = format!("{cluster}/{name}");
    let ecs = ctx.ecs(region);
    let listed = ctx
        .call(
            "ecs",
            "ListTasks",
            &resource,
            ecs.list_tasks()
                .cluster(cluster)
                .service_name(name)
                .desired_status(DesiredStatus::Stopped)
                .max_results(100)
                .send(),
        )
        .await?;
    let arns: Vec<String> = listed
        .task_arns()
        .iter()
        .take(STOPPED_TASKS_READ)
        .cloned()
        .collect();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let described = ctx
        .call(
            "ecs",
            "DescribeTasks",
            &resource,
            ecs.describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(arns))
                .send(),
        )
        .await?;
    let mut tasks: Vec<_> = described
        .tasks()
        .iter()
        .filter(|t| deployment.is_none_or(|id| t.started_by() == Some(id)))
        .collect();
    // Newest first; tasks without a stop time (still stopping) count as newest.
    tasks.sort_by_key(|t| std::cmp::Reverse(t.stopped_at().map_or(i64::MAX, |at| at.secs())));
    Ok(tasks
        .into_iter()
        .map(|t| StoppedTask {
            stop_code: t.stop_code().map(|c| c.as_str().to_owned()),
            stopped_reason: t.stopped_reason().map(str::to_owned),
            containers: t
                .containers()
                .iter()
                .map(|c| StoppedContainer {
                    name: c.name().unwrap_or_default().to_owned(),
                    exit_code: c.exit_code(),
                    reason: c.reason().map(str::to_owned),
                })
                .collect(),
        })
        .collect())
}
