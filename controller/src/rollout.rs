//! Rollout tracking for ECS services (pure).
//!
//! After the controller updates a service, ECS starts a new deployment and replaces tasks in the
//! background. The loop does not wait for it: on each pass it hands the service's current deployments and
//! the task definition it registered to [`assess`], which says whether the rollout is still going, done, or
//! failed (ECS marked it `FAILED`, or the deployment circuit breaker rolled the service back so that the
//! primary deployment no longer runs our task definition).
//!
//! # Caveats
//! The AWS emulator used by the integration tests never completes a deployment (its `rolloutState` stays
//! `IN_PROGRESS`). The unit tests below cover this logic on constructed deployment lists; the emulator
//! tests reach it through rollouts the fidelity layer plays forward (`apply_wait`, `runtime_rollout`).

/// The rollout state ECS reports on a deployment (`rolloutState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutState {
    /// The deployment reached its desired state.
    Completed,
    /// The deployment is still replacing tasks.
    InProgress,
    /// ECS gave up on the deployment.
    Failed,
}

impl RolloutState {
    /// Parses the ECS spelling (`COMPLETED`, `IN_PROGRESS`, `FAILED`); other values are unknown.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "COMPLETED" => Some(Self::Completed),
            "IN_PROGRESS" => Some(Self::InProgress),
            "FAILED" => Some(Self::Failed),
            _ => None,
        }
    }

    /// The ECS spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "COMPLETED",
            Self::InProgress => "IN_PROGRESS",
            Self::Failed => "FAILED",
        }
    }
}

/// The parts of one ECS deployment that rollout tracking needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// `PRIMARY` for the deployment ECS is converging to, `ACTIVE` for older ones still running tasks.
    pub status: String,
    /// The task definition ARN (or `family:revision`) of the deployment.
    pub task_definition: String,
    /// The rollout state, when ECS reports one.
    pub rollout_state: Option<RolloutState>,
    /// ECS's explanation of the rollout state.
    pub rollout_state_reason: Option<String>,
    /// Its running tasks.
    pub running: i32,
    /// Its desired tasks.
    pub desired: i32,
    /// Its tasks that failed to start or stopped.
    pub failed: i32,
}

/// What [`assess`] concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// The new deployment is still replacing tasks.
    Progressing {
        /// Human-readable detail.
        message: String,
    },
    /// The primary deployment runs our task definition and completed.
    Completed,
    /// The rollout failed or was rolled back; the service does not run what we asked for.
    Degraded {
        /// A short machine-readable reason (`RolloutFailed`, `RolledBack`).
        reason: &'static str,
        /// Human-readable detail.
        message: String,
    },
}

/// Judges a rollout from the service's deployments and the task definition the controller put in place.
#[must_use]
pub fn assess(deployments: &[Deployment], expected_task_definition: &str) -> Rollout {
    let expected = family_revision(expected_task_definition);
    let ours = deployment_of(deployments, expected_task_definition);
    let Some(primary) = deployments.iter().find(|d| d.status == "PRIMARY") else {
        return Rollout::Progressing {
            message: "waiting for ECS to start a deployment".to_owned(),
        };
    };
    if family_revision(&primary.task_definition) != expected {
        let detail = ours
            .and_then(|d| d.rollout_state_reason.clone())
            .unwrap_or_else(|| "no deployment of it remains".to_owned());
        return Rollout::Degraded {
            reason: "RolledBack",
            message: format!(
                "the primary deployment runs {} instead of {expected}: {detail}",
                family_revision(&primary.task_definition)
            ),
        };
    }
    match primary.rollout_state {
        Some(RolloutState::Completed) => Rollout::Completed,
        Some(RolloutState::Failed) => Rollout::Degraded {
            reason: "RolloutFailed",
            message: primary
                .rollout_state_reason
                .clone()
                .unwrap_or_else(|| format!("the deployment of {expected} failed")),
        },
        Some(RolloutState::InProgress) | None => Rollout::Progressing {
            message: primary
                .rollout_state_reason
                .clone()
                .unwrap_or_else(|| format!("deploying {expected}")),
        },
    }
}

/// The deployment of `task_definition` (ARN or `family:revision`), while ECS lists one.
#[must_use]
pub fn deployment_of<'a>(
    deployments: &'a [Deployment],
    task_definition: &str,
) -> Option<&'a Deployment> {
    let wanted = family_revision(task_definition);
    deployments
        .iter()
        .find(|d| family_revision(&d.task_definition) == wanted)
}

/// `family:revision` of a task definition ARN; other strings unchanged. ECS answers with full ARNs while a
/// caller may hold the short form.
pub(crate) fn family_revision(task_definition: &str) -> &str {
    task_definition
        .rsplit_once("task-definition/")
        .map_or(task_definition, |(_, short)| short)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7";
    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:6";

    fn deployment(status: &str, td: &str, state: Option<RolloutState>) -> Deployment {
        Deployment {
            status: status.to_owned(),
            task_definition: td.to_owned(),
            rollout_state: state,
            rollout_state_reason: None,
            running: 0,
            desired: 1,
            failed: 0,
        }
    }

    #[test]
    fn in_progress_primary_with_our_revision_is_progressing() {
        let deps = [
            deployment("PRIMARY", OURS, Some(RolloutState::InProgress)),
            deployment("ACTIVE", OLD, Some(RolloutState::Completed)),
        ];
        assert!(matches!(assess(&deps, OURS), Rollout::Progressing { .. }));
    }

    #[test]
    fn completed_primary_with_our_revision_is_completed() {
        let deps = [deployment("PRIMARY", OURS, Some(RolloutState::Completed))];
        assert_eq!(assess(&deps, OURS), Rollout::Completed);
        // The short form of the same revision matches the ARN ECS reports.
        assert_eq!(assess(&deps, "web:7"), Rollout::Completed);
    }

    #[test]
    fn failed_primary_is_degraded_with_the_ecs_reason() {
        let mut failed = deployment("PRIMARY", OURS, Some(RolloutState::Failed));
        failed.rollout_state_reason = Some("tasks failed to start".to_owned());
        match assess(&[failed], OURS) {
            Rollout::Degraded { reason, message } => {
                assert_eq!(reason, "RolloutFailed");
                assert_eq!(message, "tasks failed to start");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn circuit_breaker_rollback_is_degraded() {
        // ECS marks our deployment FAILED and starts a new primary deployment of the previous revision.
        let mut ours = deployment("ACTIVE", OURS, Some(RolloutState::Failed));
        ours.rollout_state_reason = Some("circuit breaker: rolling back".to_owned());
        let deps = [
            deployment("PRIMARY", OLD, Some(RolloutState::InProgress)),
            ours,
        ];
        match assess(&deps, OURS) {
            Rollout::Degraded { reason, message } => {
                assert_eq!(reason, "RolledBack");
                assert!(message.contains("web:6 instead of web:7"), "{message}");
                assert!(message.contains("circuit breaker"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rollback_whose_failed_deployment_is_gone_is_degraded() {
        let deps = [deployment("PRIMARY", OLD, Some(RolloutState::Completed))];
        assert!(matches!(
            assess(&deps, OURS),
            Rollout::Degraded {
                reason: "RolledBack",
                ..
            }
        ));
    }

    #[test]
    fn no_deployment_yet_or_no_state_is_progressing() {
        assert!(matches!(assess(&[], OURS), Rollout::Progressing { .. }));
        let deps = [deployment("PRIMARY", OURS, None)];
        assert!(matches!(assess(&deps, OURS), Rollout::Progressing { .. }));
    }

    #[test]
    fn rollout_states_parse() {
        assert_eq!(
            RolloutState::parse("COMPLETED"),
            Some(RolloutState::Completed)
        );
        assert_eq!(
            RolloutState::parse("IN_PROGRESS"),
            Some(RolloutState::InProgress)
        );
        assert_eq!(RolloutState::parse("FAILED"), Some(RolloutState::Failed));
        assert_eq!(RolloutState::parse("other"), None);
    }
}
