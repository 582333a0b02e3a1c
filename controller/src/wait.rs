//! Waiting for the rollouts an apply started (`apply --wait`).
//!
//! An apply that creates or updates an ECS service returns as soon as ECS accepted the change; the
//! tasks are replaced in the background. [`wait`] polls every such service until its rollout ended:
//! the primary deployment runs the task definition the apply put in place, ECS reports it
//! `COMPLETED`, and as many tasks run as are desired. A deployment ECS marked `FAILED`, or one the
//! circuit breaker rolled back, ends the wait for that service with the reasons read from its stopped
//! tasks and events ([`crate::diagnosis`]). The deployment itself is judged by [`crate::rollout`].
//!
//! Where ECS reports a *service deployment* for the rollout (`ListServiceDeployments`), that is
//! followed instead, with its status, lifecycle stage, traffic and bake time
//! ([`crate::service_deployment`]), and [`WaitUntil::TrafficShifted`] may end the wait before the
//! bake does. An endpoint without those operations keeps the `deployments[]` path.
//!
//! Progress goes to a [`Watcher`] the caller supplies, so the command line decides how it is shown.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::Result;
use crate::apply::ApplyOutcome;
use crate::aws::Context;
use crate::aws::deployments;
use crate::aws::watch::{self, ServiceRollout};
use crate::diagnosis;
use crate::manifest::ResourceKey;
use crate::plan::{Action, Plan};
use crate::rollout::{self, Rollout};
pub use crate::service_deployment::WaitUntil;
use crate::service_deployment::{self, CLOCK_SLACK, Judgement};

/// Longest pause between two polls of the same services.
const MAX_POLL: Duration = Duration::from_secs(5);

/// An ECS service whose rollout is awaited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// Its manifest resource.
    pub key: ResourceKey,
    /// Region.
    pub region: String,
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub name: String,
    /// The task definition the apply put in place; `None` when it only forced a new deployment of
    /// the current one.
    pub task_definition: Option<String>,
}

impl Watched {
    /// Where the service lives.
    #[must_use]
    pub fn place(&self) -> crate::manifest::Place {
        crate::manifest::Place {
            account: self.key.account.clone(),
            region: self.region.clone(),
        }
    }
}

/// The services an apply created or updated successfully, in plan order.
#[must_use]
pub fn changed_services(plan: &Plan, outcome: &ApplyOutcome) -> Vec<Watched> {
    let mut out = Vec::new();
    for rp in &plan.resources {
        let applied = outcome
            .resources
            .iter()
            .find(|(key, _)| *key == rp.key)
            .and_then(|(_, r)| r.as_ref().ok());
        let Some(applied) = applied else { continue };
        let target = rp.actions.iter().find_map(|a| match a {
            Action::CreateService { cluster, name, .. }
            | Action::UpdateService { cluster, name, .. } => Some((cluster, name)),
            _ => None,
        });
        if let Some((cluster, name)) = target {
            out.push(Watched {
                key: rp.key.clone(),
                region: rp.region.clone(),
                cluster: cluster.clone(),
                name: name.clone(),
                task_definition: applied.task_definition.clone(),
            });
        }
    }
    out
}

/// Where one service's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Still going.
    Pending {
        /// Running tasks.
        running: i32,
        /// Desired tasks.
        desired: i32,
        /// Pending tasks.
        pending: i32,
        /// What it waits for.
        state: String,
    },
    /// Primary deployment completed and running = desired.
    Completed,
    /// Failed or rolled back.
    Failed {
        /// `RolloutFailed`, `RolledBack` or `ServiceGone`.
        reason: &'static str,
        /// ECS's explanation.
        message: String,
        /// The deployment whose tasks to read for the diagnosis.
        deployment: Option<String>,
    },
}

/// Judges one poll of a service (pure).
#[must_use]
pub fn judge(live: Option<&ServiceRollout>, expected: Option<&str>) -> Verdict {
    let Some(live) = live else {
        return Verdict::Failed {
            reason: "ServiceGone",
            message: "the service no longer exists".to_owned(),
            deployment: None,
        };
    };
    let deployments: Vec<_> = live
        .deployments
        .iter()
        .map(|d| d.deployment.clone())
        .collect();
    let primary = live
        .deployments
        .iter()
        .find(|d| d.deployment.status == "PRIMARY");
    // Without a task definition of its own, the apply only restarted the current one.
    let expected = expected
        .or_else(|| primary.map(|p| p.deployment.task_definition.as_str()))
        .unwrap_or_default();
    let ours = live.deployments.iter().find(|d| {
        rollout::family_revision(&d.deployment.task_definition)
            == rollout::family_revision(expected)
            && d.deployment.status != "INACTIVE"
    });
    let pending = |state: String| Verdict::Pending {
        running: live.running,
        desired: live.desired,
        pending: live.pending,
        state,
    };
    match rollout::assess(&deployments, expected) {
        Rollout::Progressing { message } => pending(message),
        Rollout::Completed if live.running == live.desired => Verdict::Completed,
        Rollout::Completed => pending(format!(
            "deployment completed; waiting for {} running task(s)",
            live.desired
        )),
        Rollout::Degraded { reason, message } => Verdict::Failed {
            reason,
            message,
            deployment: ours.or(primary).and_then(|d| d.id.clone()),
        },
    }
}

/// How one awaited rollout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Completed.
    Completed,
    /// Production traffic is on the new revision; the deployment goes on (bake time, clean-up).
    TrafficShifted {
        /// Where the deployment stands.
        state: String,
    },
    /// Failed or rolled back, with why.
    Failed {
        /// `RolloutFailed`, `RolledBack`, `ServiceGone`, or from a service deployment
        /// `RollbackFailed` or `Stopped`.
        reason: &'static str,
        /// ECS's explanation.
        message: String,
        /// Stopped tasks and latest events ([`diagnosis::explain`]).
        diagnosis: Vec<String>,
    },
    /// Still going when the timeout passed.
    TimedOut {
        /// Where it stood at the last poll.
        last: String,
    },
}

/// Receives progress while [`wait`] polls.
pub trait Watcher {
    /// The latest poll of a service still rolling out.
    fn progress(&mut self, service: &Watched, status: &str, elapsed: Duration);
    /// A service's rollout ended (completed, failed, or timed out).
    fn finished(&mut self, service: &Watched, outcome: &Outcome, elapsed: Duration);
}

/// `2/3 running, 1 pending: deploying web:7`.
#[must_use]
pub fn describe_pending(running: i32, desired: i32, pending: i32, state: &str) -> String {
    format!("{running}/{desired} running, {pending} pending: {state}")
}

/// How [`wait`] waits.
#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    /// How long it waits for all rollouts.
    pub timeout: Duration,
    /// What ends the wait for one service.
    pub until: WaitUntil,
    /// When the apply began: older service deployments are not the apply's.
    pub applied_at: SystemTime,
}

fn epoch(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Polls every service until each rollout ended or the timeout passed; the outcomes are in the
/// order of `services`.
///
/// # Errors
/// [`crate::Error::Aws`] when a read fails after the SDK's retries.
pub async fn wait(
    root: &Context,
    services: &[Watched],
    opts: WaitOptions,
    watcher: &mut dyn Watcher,
) -> Result<Vec<Outcome>> {
    let started = Instant::now();
    let deadline = started + opts.timeout;
    let since = epoch(
        opts.applied_at
            .checked_sub(CLOCK_SLACK)
            .unwrap_or(UNIX_EPOCH),
    );
    let mut outcomes: Vec<Option<Outcome>> = vec![None; services.len()];
    let mut last: Vec<String> = vec!["waiting for the first poll".to_owned(); services.len()];
    // Whether the endpoint answers service deployments for the service (until it fails once).
    let mut reported: Vec<bool> = vec![true; services.len()];
    let mut delay = root.options().poll_interval.max(Duration::from_millis(10));
    loop {
        for (i, service) in services.iter().enumerate() {
            if outcomes[i].is_some() {
                continue;
            }
            let placed = root.acting_in(&service.place())?;
            let ctx = placed.as_deref().unwrap_or(root);
            let found = if reported[i] {
                match deployments::newest(
                    ctx,
                    &service.region,
                    &service.cluster,
                    &service.name,
                    since,
                )
                .await
                {
                    Ok(found) => found,
                    Err(e) => {
                        tracing::debug!(service = %service.key, error = %e,
                            "no service deployments; following deployments[]");
                        reported[i] = false;
                        None
                    }
                }
            } else {
                None
            };
            if let Some(deployment) = found {
                let (desired, running, pending) = deployment.tasks;
                let outcome = match service_deployment::judge(
                    &deployment,
                    opts.until,
                    epoch(SystemTime::now()),
                ) {
                    Judgement::Going(state) => {
                        last[i] = describe_pending(running, desired, pending, &state);
                        watcher.progress(service, &last[i], started.elapsed());
                        continue;
                    }
                    Judgement::Done if deployment.status == "SUCCESSFUL" => Outcome::Completed,
                    Judgement::Done => Outcome::TrafficShifted {
                        state: service_deployment::progress(&deployment, epoch(SystemTime::now())),
                    },
                    Judgement::Failed { reason, message } => {
                        let tasks = watch::stopped_tasks(
                            ctx,
                            &service.region,
                            &service.cluster,
                            &service.name,
                            None,
                        )
                        .await?;
                        Outcome::Failed {
                            reason,
                            message,
                            diagnosis: diagnosis::explain(&tasks, &[]),
                        }
                    }
                };
                watcher.finished(service, &outcome, started.elapsed());
                outcomes[i] = Some(outcome);
                continue;
            }
            let live =
                watch::service_rollout(ctx, &service.region, &service.cluster, &service.name)
                    .await?;
            let outcome = match judge(live.as_ref(), service.task_definition.as_deref()) {
                Verdict::Pending {
                    running,
                    desired,
                    pending,
                    state,
                } => {
                    last[i] = describe_pending(running, desired, pending, &state);
                    watcher.progress(service, &last[i], started.elapsed());
                    continue;
                }
                Verdict::Completed => Outcome::Completed,
                Verdict::Failed {
                    reason,
                    message,
                    deployment,
                } => {
                    let tasks = watch::stopped_tasks(
                        ctx,
                        &service.region,
                        &service.cluster,
                        &service.name,
                        deployment.as_deref(),
                    )
                    .await?;
                    let events = live.map(|l| l.events).unwrap_or_default();
                    Outcome::Failed {
                        reason,
                        message,
                        diagnosis: diagnosis::explain(&tasks, &events),
                    }
                }
            };
            watcher.finished(service, &outcome, started.elapsed());
            outcomes[i] = Some(outcome);
        }
        if outcomes.iter().all(Option::is_some) {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            for (i, service) in services.iter().enumerate() {
                if outcomes[i].is_none() {
                    let outcome = Outcome::TimedOut {
                        last: last[i].clone(),
                    };
                    watcher.finished(service, &outcome, started.elapsed());
                    outcomes[i] = Some(outcome);
                }
            }
            break;
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = delay.saturating_mul(2).min(MAX_POLL);
    }
    Ok(outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or(Outcome::TimedOut {
                last: String::new(),
            })
        })
        .collect())
}

/// Why the failed deployment of a service failed: the lines [`diagnosis::explain`] makes of its
/// most recent stopped tasks and latest events (for the `run` report's `Degraded` condition).
///
/// # Errors
/// [`crate::Error::Aws`] when a read fails after the SDK's retries.
pub async fn diagnose(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
) -> Result<Vec<String>> {
    let Some(live) = watch::service_rollout(ctx, region, cluster, name).await? else {
        return Ok(Vec::new());
    };
    let failed = live
        .deployments
        .iter()
        .find(|d| d.deployment.rollout_state == Some(crate::rollout::RolloutState::Failed))
        .and_then(|d| d.id.clone());
    let tasks = watch::stopped_tasks(ctx, region, cluster, name, failed.as_deref()).await?;
    Ok(diagnosis::explain(&tasks, &live.events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::watch::WatchedDeployment;
    use crate::rollout::{Deployment, RolloutState};

    const OURS: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7";
    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:6";

    fn deployment(id: &str, status: &str, td: &str, state: RolloutState) -> WatchedDeployment {
        WatchedDeployment {
            id: Some(id.to_owned()),
            deployment: Deployment {
                status: status.to_owned(),
                task_definition: td.to_owned(),
                rollout_state: Some(state),
                rollout_state_reason: None,
                running: 0,
                desired: 2,
                failed: 0,
            },
        }
    }

    fn service(running: i32, deployments: Vec<WatchedDeployment>) -> ServiceRollout {
        ServiceRollout {
            deployments,
            desired: 2,
            running,
            pending: 2 - running,
            events: vec![],
        }
    }

    #[test]
    fn completed_only_when_the_primary_completed_and_running_equals_desired() {
        let done = service(
            2,
            vec![deployment("d2", "PRIMARY", OURS, RolloutState::Completed)],
        );
        assert_eq!(judge(Some(&done), Some(OURS)), Verdict::Completed);
        assert_eq!(judge(Some(&done), None), Verdict::Completed);
        let short = service(
            1,
            vec![deployment("d2", "PRIMARY", OURS, RolloutState::Completed)],
        );
        assert!(matches!(
            judge(Some(&short), Some(OURS)),
            Verdict::Pending { running: 1, .. }
        ));
        let going = service(
            0,
            vec![deployment("d2", "PRIMARY", OURS, RolloutState::InProgress)],
        );
        assert!(matches!(
            judge(Some(&going), Some("web:7")),
            Verdict::Pending { .. }
        ));
    }

    #[test]
    fn a_rollback_fails_and_points_at_our_deployment() {
        let rolled_back = service(
            2,
            vec![
                deployment("d3", "PRIMARY", OLD, RolloutState::InProgress),
                deployment("d2", "ACTIVE", OURS, RolloutState::Failed),
            ],
        );
        match judge(Some(&rolled_back), Some(OURS)) {
            Verdict::Failed {
                reason, deployment, ..
            } => {
                assert_eq!(reason, "RolledBack");
                assert_eq!(deployment.as_deref(), Some("d2"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_failed_deployment_or_a_missing_service_fails() {
        let failed = service(
            0,
            vec![deployment("d2", "PRIMARY", OURS, RolloutState::Failed)],
        );
        assert!(matches!(
            judge(Some(&failed), Some(OURS)),
            Verdict::Failed { reason: "RolloutFailed", deployment: Some(ref d), .. } if d == "d2"
        ));
        assert!(matches!(
            judge(None, Some(OURS)),
            Verdict::Failed {
                reason: "ServiceGone",
                ..
            }
        ));
    }
}
