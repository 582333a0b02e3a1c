//! Service deployments scripted by tests ([`crate::Fidelity::play_deployment`]): per service name,
//! the script, and once a `CreateService` or `UpdateService` started it, the deployment with its
//! answer count, the stop asked for and when its current stage was first answered. What an answer
//! says is decided by [`crate::rules::deployments`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::rules::deployments::{self as rule, Deployment, Phase, Started, StopType};

/// One scripted service.
#[derive(Debug)]
struct Tracked {
    script: Deployment,
    started: Option<Run>,
}

/// A started deployment.
#[derive(Debug)]
struct Run {
    started: Started,
    polls: u32,
    stop: Option<(u32, StopType)>,
    /// The stage last answered and since when (epoch seconds).
    stage: (Option<&'static str>, f64),
}

/// Why a stop was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRefused {
    /// No deployment has that ARN (`ServiceDeploymentNotFoundException`).
    NotFound,
    /// It already ended (`ConflictException`).
    Finished,
}

/// The scripted deployments.
#[derive(Debug, Default)]
pub struct Deployments {
    scripted: Mutex<HashMap<String, Tracked>>,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Run {
    fn phase(&self, script: &Deployment) -> Phase {
        rule::phase(script, &self.started.steps, self.polls, self.stop)
    }

    /// Notes when the answered stage changed, for `updatedAt` and the bake clock.
    fn see(&mut self, phase: &Phase) -> f64 {
        if self.stage.0 != phase.step.stage {
            self.stage = (phase.step.stage, now());
        }
        self.stage.1
    }
}

impl Deployments {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Tracked>> {
        // A panic elsewhere leaves the map usable.
        self.scripted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Scripts the next deployment of `service` (a deployment already started is forgotten).
    pub fn script(&self, service: &str, script: Deployment) {
        self.lock().insert(
            service.to_owned(),
            Tracked {
                script,
                started: None,
            },
        );
    }

    /// A `CreateService` (`created`) or `UpdateService` answered `service` (a `Service` object):
    /// starts the scripted deployment of that service, once.
    pub fn start(&self, service: &Value, created: bool) {
        let Some(name) = service.get("serviceName").and_then(Value::as_str) else {
            return;
        };
        let mut scripted = self.lock();
        let Some(tracked) = scripted.get_mut(name) else {
            return;
        };
        if tracked.started.is_some() {
            return;
        }
        let text = |key: &str| {
            service
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let service_arn = text("serviceArn");
        let (strategy, bake_minutes, steps) = rule::plan_for(&tracked.script, service);
        let created_at = now();
        // Ids only need to be unique per service; the creation time in milliseconds is.
        let id = format!("{:x}", (created_at * 1000.0) as u64);
        tracked.started = Some(Run {
            started: Started {
                arn: rule::arn_of(&service_arn, "service-deployment", &id),
                target: rule::arn_of(&service_arn, "service-revision", &format!("{id}2")),
                source: (!created)
                    .then(|| rule::arn_of(&service_arn, "service-revision", &format!("{id}1"))),
                service_arn,
                cluster_arn: text("clusterArn"),
                desired: service
                    .get("desiredCount")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                strategy,
                bake_minutes,
                steps,
                created_at,
            },
            polls: 0,
            stop: None,
            stage: (None, created_at),
        });
    }

    /// The `ServiceDeploymentBrief` of the deployment of `service`, if one started (not counted).
    pub fn brief(&self, service: &str) -> Option<Value> {
        let mut scripted = self.lock();
        let tracked = scripted.get_mut(service)?;
        let run = tracked.started.as_mut()?;
        let phase = run.phase(&tracked.script);
        Some(rule::brief(&run.started, &phase, now()))
    }

    /// The `ServiceDeployment` with `arn`, counting one more answer that carries it.
    pub fn describe(&self, arn: &str) -> Option<Value> {
        let mut scripted = self.lock();
        let tracked = scripted
            .values_mut()
            .find(|t| t.started.as_ref().is_some_and(|r| r.started.arn == arn))?;
        let run = tracked.started.as_mut()?;
        run.polls = run.polls.saturating_add(1);
        let phase = run.phase(&tracked.script);
        let since = run.see(&phase);
        Some(rule::describe(&run.started, &phase, now(), since))
    }

    /// Asks the deployment with `arn` to stop.
    ///
    /// # Errors
    /// When no deployment has that ARN, or it already ended.
    pub fn stop(&self, arn: &str, how: StopType) -> Result<(), StopRefused> {
        let mut scripted = self.lock();
        let tracked = scripted
            .values_mut()
            .find(|t| t.started.as_ref().is_some_and(|r| r.started.arn == arn))
            .ok_or(StopRefused::NotFound)?;
        let Some(run) = tracked.started.as_mut() else {
            return Err(StopRefused::NotFound);
        };
        let phase = run.phase(&tracked.script);
        if !rule::stoppable(phase.status) {
            return Err(StopRefused::Finished);
        }
        // A second stop of a deployment already stopping changes nothing.
        if run.stop.is_none() {
            run.stop = Some((run.polls, how));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use serde_json::json;

    use super::*;
    use crate::rules::deployments::Strategy;

    fn service() -> Value {
        json!({"serviceName": "web", "serviceArn": "arn:aws:ecs:us-east-1:1:service/c/web",
               "clusterArn": "arn:aws:ecs:us-east-1:1:cluster/c", "desiredCount": 2})
    }

    #[test]
    fn a_script_starts_once_and_moves_per_describe() {
        let deployments = Deployments::default();
        deployments.start(&service(), true);
        assert_eq!(
            deployments.brief("web"),
            None,
            "unscripted services have none"
        );
        deployments.script("web", Deployment::succeed(Some(Strategy::Rolling)));
        assert_eq!(
            deployments.brief("web"),
            None,
            "not before an update starts it"
        );
        deployments.start(&service(), true);
        let brief = deployments.brief("web").unwrap();
        assert_eq!(brief["status"], "PENDING");
        let arn = brief["serviceDeploymentArn"].as_str().unwrap().to_owned();
        assert_eq!(deployments.describe(&arn).unwrap()["status"], "IN_PROGRESS");
        assert_eq!(deployments.describe(&arn).unwrap()["status"], "SUCCESSFUL");
        assert_eq!(
            deployments.stop(&arn, StopType::Rollback),
            Err(StopRefused::Finished)
        );
        assert_eq!(
            deployments.stop("nope", StopType::Rollback),
            Err(StopRefused::NotFound)
        );
        assert_eq!(deployments.describe("nope"), None);
    }

    #[test]
    fn a_stop_rolls_the_deployment_back() {
        let deployments = Deployments::default();
        deployments.script(
            "web",
            Deployment::succeed(Some(Strategy::BlueGreen)).bake_steps(100),
        );
        deployments.start(&service(), false);
        let arn = deployments.brief("web").unwrap()["serviceDeploymentArn"]
            .as_str()
            .unwrap()
            .to_owned();
        deployments.describe(&arn);
        deployments.stop(&arn, StopType::Rollback).unwrap();
        let statuses: Vec<Value> = (0..3)
            .map(|_| deployments.describe(&arn).unwrap()["status"].clone())
            .collect();
        assert_eq!(
            statuses,
            [
                json!("ROLLBACK_REQUESTED"),
                json!("ROLLBACK_IN_PROGRESS"),
                json!("ROLLBACK_SUCCESSFUL")
            ]
        );
    }
}
