//! Judging a rollout from ECS's *service deployment* (pure).
//!
//! Since 2024 ECS reports each rollout of a service as a service deployment
//! (`ListServiceDeployments`, `DescribeServiceDeployments`): a status (`PENDING`, `IN_PROGRESS`,
//! `SUCCESSFUL`, `STOP_REQUESTED`, `STOPPED`, `ROLLBACK_REQUESTED`, `ROLLBACK_IN_PROGRESS`,
//! `ROLLBACK_SUCCESSFUL`, `ROLLBACK_FAILED`), and for blue/green, linear and canary strategies a
//! lifecycle stage (`PRE_SCALE_UP` ... `PRODUCTION_TRAFFIC_SHIFT`, `POST_PRODUCTION_TRAFFIC_SHIFT`,
//! `BAKE_TIME`, `CLEAN_UP`), the traffic each revision takes, and why it failed (circuit breaker,
//! alarms, a lifecycle hook, in `statusReason`). [`judge`] says whether `apply --wait` is done
//! waiting; [`crate::wait`] reads the deployment ([`crate::aws::deployments`]) and falls back to the
//! service's `deployments[]` ([`crate::rollout`]) when ECS reports none.
//!
//! # Contract
//! - `stable` waits for `SUCCESSFUL`; `traffic-shifted` also ends once production traffic is on the
//!   new revision (`POST_PRODUCTION_TRAFFIC_SHIFT`, `BAKE_TIME`, `CLEAN_UP`), so a pipeline need not
//!   sit through a long bake. A rolling deployment has no stages: both wait for `SUCCESSFUL`.
//! - `ROLLBACK_SUCCESSFUL`, `ROLLBACK_FAILED` and `STOPPED` fail the wait; a rollback still running
//!   is waited for, so the final status is reported.
//!
//! Sources: API reference ServiceDeployment, ServiceDeploymentBrief, ServiceRevisionSummary,
//! ServiceDeploymentCircuitBreaker, ServiceDeploymentAlarms, Rollback.

use std::fmt::Write as _;

/// How far before an apply began a service deployment may have been created and still be the
/// apply's: AWS's clock and ours disagree a little.
pub const CLOCK_SLACK: std::time::Duration = std::time::Duration::from_secs(60);

/// How long `apply --wait` waits (`--wait-until`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum WaitUntil {
    /// Until the deployment is `SUCCESSFUL` (bake and clean-up included).
    #[default]
    Stable,
    /// Until production traffic is on the new revision (during bake time at the latest).
    TrafficShifted,
}

/// The parts of a service deployment the wait judges.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceDeployment {
    /// `serviceDeploymentArn`.
    pub arn: String,
    /// `status`.
    pub status: String,
    /// `statusReason`.
    pub status_reason: Option<String>,
    /// `lifecycleStage`.
    pub stage: Option<String>,
    /// `deploymentConfiguration.strategy`.
    pub strategy: Option<String>,
    /// `deploymentConfiguration.bakeTimeInMinutes`.
    pub bake_minutes: Option<i32>,
    /// `createdAt`, epoch seconds.
    pub created_at: Option<f64>,
    /// `updatedAt`, epoch seconds (when the current stage began, as far as the bake clock goes).
    pub updated_at: Option<f64>,
    /// Target revision: requested, running, pending tasks.
    pub tasks: (i32, i32, i32),
    /// Production traffic on the target revision, percent.
    pub production_weight: Option<f64>,
    /// `deploymentCircuitBreaker`: status, failures, threshold.
    pub circuit_breaker: Option<(String, i32, i32)>,
    /// `alarms.triggeredAlarmNames`.
    pub triggered_alarms: Vec<String>,
    /// `rollback.reason`.
    pub rollback_reason: Option<String>,
}

/// What [`judge`] concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Still going; where it stands.
    Going(String),
    /// Done waiting.
    Done,
    /// Rolled back or stopped.
    Failed {
        /// `RolledBack`, `RollbackFailed` or `Stopped`.
        reason: &'static str,
        /// Why, from ECS.
        message: String,
    },
}

/// Stages at which production traffic is on the new revision.
const SHIFTED: [&str; 3] = ["POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"];

/// Judges one read of a deployment at `now` (epoch seconds).
#[must_use]
pub fn judge(deployment: &ServiceDeployment, until: WaitUntil, now: f64) -> Judgement {
    let failed = |reason| Judgement::Failed {
        reason,
        message: explain(deployment),
    };
    match deployment.status.as_str() {
        "SUCCESSFUL" => Judgement::Done,
        "ROLLBACK_SUCCESSFUL" => failed("RolledBack"),
        "ROLLBACK_FAILED" => failed("RollbackFailed"),
        "STOPPED" => failed("Stopped"),
        "IN_PROGRESS"
            if until == WaitUntil::TrafficShifted
                && deployment
                    .stage
                    .as_deref()
                    .is_some_and(|s| SHIFTED.contains(&s)) =>
        {
            Judgement::Done
        }
        _ => Judgement::Going(progress(deployment, now)),
    }
}

/// Where a deployment stands: `BLUE_GREEN IN_PROGRESS at BAKE_TIME, production traffic 100%,
/// bake 12m left`.
#[must_use]
pub fn progress(deployment: &ServiceDeployment, now: f64) -> String {
    let mut out = String::new();
    if let Some(strategy) = &deployment.strategy {
        let _ = write!(out, "{strategy} ");
    }
    out.push_str(&deployment.status);
    if let Some(stage) = &deployment.stage {
        let _ = write!(out, " at {stage}");
    }
    if let Some(weight) = deployment.production_weight
        && deployment.stage.is_some()
    {
        let _ = write!(out, ", production traffic {weight}%");
    }
    if let Some(left) = bake_left(deployment, now) {
        let _ = write!(out, ", bake {} left", minutes(left));
    }
    if deployment.status.starts_with("ROLLBACK") || deployment.status == "STOP_REQUESTED" {
        let _ = write!(out, ": {}", explain(deployment));
    }
    out
}

/// Seconds of bake time left, while in `BAKE_TIME` (bake time counted from when the stage began,
/// which `updatedAt` tells as long as nothing else changes during the bake).
#[must_use]
pub fn bake_left(deployment: &ServiceDeployment, now: f64) -> Option<f64> {
    if deployment.stage.as_deref() != Some("BAKE_TIME") {
        return None;
    }
    let bake = f64::from(deployment.bake_minutes?) * 60.0;
    let since = deployment.updated_at.or(deployment.created_at)?;
    Some((bake - (now - since)).max(0.0))
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "bake times are at most 1440 minutes"
)]
fn minutes(seconds: f64) -> String {
    let secs = seconds.round() as u64;
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// Why a deployment failed: ECS's reason, the stage it reached, the circuit breaker's count and
/// the alarms that went off.
#[must_use]
pub fn explain(deployment: &ServiceDeployment) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(reason) = deployment
        .status_reason
        .as_ref()
        .or(deployment.rollback_reason.as_ref())
    {
        parts.push(reason.trim_end_matches('.').to_owned());
    }
    if let Some(stage) = &deployment.stage {
        parts.push(format!("reached {stage}"));
    }
    if let Some((status, failures, threshold)) = &deployment.circuit_breaker
        && status == "TRIGGERED"
    {
        parts.push(format!(
            "circuit breaker triggered ({failures} of {threshold} failed tasks)"
        ));
    }
    if !deployment.triggered_alarms.is_empty() {
        parts.push(format!(
            "alarms in ALARM: {}",
            deployment.triggered_alarms.join(", ")
        ));
    }
    if parts.is_empty() {
        format!("service deployment {}", deployment.status)
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(status: &str, stage: Option<&str>) -> ServiceDeployment {
        ServiceDeployment {
            arn: "arn:aws:ecs:us-east-1:1:service-deployment/c/web/d1".into(),
            status: status.into(),
            stage: stage.map(str::to_owned),
            strategy: Some("BLUE_GREEN".into()),
            bake_minutes: Some(30),
            created_at: Some(1000.0),
            updated_at: Some(1000.0),
            tasks: (2, 2, 0),
            production_weight: Some(100.0),
            ..ServiceDeployment::default()
        }
    }

    #[test]
    fn stable_waits_for_successful_and_traffic_shifted_for_production_traffic() {
        let baking = deployment("IN_PROGRESS", Some("BAKE_TIME"));
        assert!(matches!(
            judge(&baking, WaitUntil::Stable, 1060.0),
            Judgement::Going(_)
        ));
        assert_eq!(
            judge(&baking, WaitUntil::TrafficShifted, 1060.0),
            Judgement::Done
        );
        let testing = deployment("IN_PROGRESS", Some("POST_TEST_TRAFFIC_SHIFT"));
        assert!(matches!(
            judge(&testing, WaitUntil::TrafficShifted, 1060.0),
            Judgement::Going(_)
        ));
        let rolling = ServiceDeployment {
            strategy: Some("ROLLING".into()),
            ..deployment("IN_PROGRESS", None)
        };
        assert!(matches!(
            judge(&rolling, WaitUntil::TrafficShifted, 1060.0),
            Judgement::Going(_)
        ));
        assert_eq!(
            judge(&deployment("SUCCESSFUL", None), WaitUntil::Stable, 0.0),
            Judgement::Done
        );
    }

    #[test]
    fn progress_shows_stage_traffic_and_bake_left() {
        let baking = deployment("IN_PROGRESS", Some("BAKE_TIME"));
        assert_eq!(
            progress(&baking, 1060.0),
            "BLUE_GREEN IN_PROGRESS at BAKE_TIME, production traffic 100%, bake 29m left"
        );
        assert_eq!(bake_left(&baking, 5000.0), Some(0.0));
        let shifting = ServiceDeployment {
            production_weight: Some(10.0),
            ..deployment("IN_PROGRESS", Some("PRODUCTION_TRAFFIC_SHIFT"))
        };
        assert!(progress(&shifting, 0.0).ends_with("production traffic 10%"));
    }

    #[test]
    fn rollbacks_and_stops_fail_with_why() {
        let hook = "arn:aws:lambda:us-east-1:1:function:check";
        let back = ServiceDeployment {
            status_reason: Some(format!("lifecycle hook {hook} failed.")),
            ..deployment("ROLLBACK_SUCCESSFUL", Some("POST_TEST_TRAFFIC_SHIFT"))
        };
        match judge(&back, WaitUntil::TrafficShifted, 0.0) {
            Judgement::Failed { reason, message } => {
                assert_eq!(reason, "RolledBack");
                assert!(message.contains(hook), "{message}");
                assert!(
                    message.contains("reached POST_TEST_TRAFFIC_SHIFT"),
                    "{message}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        let tripped = ServiceDeployment {
            circuit_breaker: Some(("TRIGGERED".into(), 3, 3)),
            triggered_alarms: vec!["p99".into(), "5xx".into()],
            ..deployment("ROLLBACK_FAILED", None)
        };
        match judge(&tripped, WaitUntil::Stable, 0.0) {
            Judgement::Failed { reason, message } => {
                assert_eq!(reason, "RollbackFailed");
                assert!(
                    message.contains("circuit breaker triggered (3 of 3"),
                    "{message}"
                );
                assert!(message.contains("alarms in ALARM: p99, 5xx"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            judge(&deployment("STOPPED", None), WaitUntil::Stable, 0.0),
            Judgement::Failed {
                reason: "Stopped",
                ..
            }
        ));
        // A rollback still running is waited for, with why in the progress line.
        let rolling_back = ServiceDeployment {
            status_reason: Some("circuit breaker".into()),
            ..deployment("ROLLBACK_IN_PROGRESS", None)
        };
        match judge(&rolling_back, WaitUntil::TrafficShifted, 0.0) {
            Judgement::Going(line) => assert!(line.contains("circuit breaker"), "{line}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
