//! Rollouts played forward. The emulator never completes a deployment: its primary deployment stays
//! `IN_PROGRESS` with no running task. A test that needs a rollout to end scripts it on the layer
//! ([`crate::Fidelity::play_rollout`]): the service's primary deployment completes after some
//! `DescribeServices` answers, or fails, and then `ListTasks` / `DescribeTasks` answer its stopped
//! tasks with the reasons the test gave.
//!
//! A rollback ([`Rollout::RollBack`]) is what the deployment circuit breaker with `rollback: true`
//! does: "the service is rolled back to the last deployment that completed successfully"
//! (API reference, `DeploymentCircuitBreaker`). The failed deployment stays, `ACTIVE` with
//! `rolloutState: FAILED`, while a `PRIMARY` deployment of the earlier revision rolls out, and the
//! service's own `taskDefinition` is the earlier revision again.
//!
//! Shapes follow the API reference (Deployment: `rolloutState` `IN_PROGRESS` | `COMPLETED` |
//! `FAILED`, `rolloutStateReason`, `runningCount`, `failedTasks`; Task: `lastStatus`, `stopCode`,
//! `stoppedReason`, `group`, `startedBy`; Container: `exitCode`, `reason`) and aws-cli
//! `awscli/examples/ecs/describe-tasks.rst` (a service's tasks carry `group: service:<name>` and
//! `startedBy: <deployment id>`).

use serde_json::{Value, json};

use super::arn_account;

/// One stopped container of a failed rollout's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedContainer {
    /// Container name.
    pub name: String,
    /// Its exit code, if it ran.
    pub exit_code: Option<i32>,
    /// Why it stopped (`OutOfMemoryError: Container killed due to memory usage`, ...).
    pub reason: Option<String>,
}

/// One stopped task of a failed rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedTask {
    /// `stopCode` (`TaskFailedToStart`, `EssentialContainerExited`, ...).
    pub stop_code: String,
    /// `stoppedReason` (`CannotPullContainerError: ...`, `ResourceInitializationError: ...`).
    pub stopped_reason: String,
    /// Its containers.
    pub containers: Vec<StoppedContainer>,
}

/// How a test wants a service's rollout to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// The primary deployment completes (running = desired) from the `after_polls`-th
    /// `DescribeServices` answer that carries the service on.
    Complete {
        /// Answers still `IN_PROGRESS` before it completes, plus one.
        after_polls: u32,
    },
    /// The primary deployment fails from the `after_polls`-th answer on, with these stopped tasks.
    Fail {
        /// Answers still `IN_PROGRESS` before it fails, plus one.
        after_polls: u32,
        /// The stopped tasks `ListTasks` / `DescribeTasks` answer.
        tasks: Vec<StoppedTask>,
    },
    /// The primary deployment fails from the `after_polls`-th answer on and the circuit breaker
    /// rolls the service back to revision `to_revision` of the same family.
    RollBack {
        /// Answers still `IN_PROGRESS` before it fails, plus one.
        after_polls: u32,
        /// The failed deployment's stopped tasks.
        tasks: Vec<StoppedTask>,
        /// The revision the service returns to.
        to_revision: u32,
    },
}

impl Rollout {
    fn after_polls(&self) -> u32 {
        match self {
            Self::Complete { after_polls }
            | Self::Fail { after_polls, .. }
            | Self::RollBack { after_polls, .. } => *after_polls,
        }
    }

    /// The stopped tasks, once the rollout has failed (`polls` answers so far).
    pub fn stopped(&self, polls: u32) -> &[StoppedTask] {
        match self {
            Self::Fail { tasks, .. } | Self::RollBack { tasks, .. }
                if polls >= self.after_polls() =>
            {
                tasks
            }
            _ => &[],
        }
    }
}

/// The emulator keeps the first deployment as the primary one when `UpdateService` names a new
/// task definition; AWS starts a new `PRIMARY` deployment of it, `IN_PROGRESS`, and keeps the
/// earlier one as `ACTIVE` while its tasks drain (aws-cli `awscli/examples/ecs/update-service.rst`).
/// Derived from the answer alone, so the same service always gets the same deployment id.
pub fn start_deployment(service: &mut Value) {
    let Some(wanted) = service
        .get("taskDefinition")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return;
    };
    let desired = service.get("desiredCount").cloned().unwrap_or(json!(0));
    let Some(Value::Array(deployments)) = service.get_mut("deployments") else {
        return;
    };
    let Some(primary) = deployments
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .find(|d| d.get("status").and_then(Value::as_str) == Some("PRIMARY"))
    else {
        return;
    };
    let current = primary
        .get("taskDefinition")
        .and_then(Value::as_str)
        .unwrap_or("");
    if family_revision(current) == family_revision(&wanted) {
        return;
    }
    let revision = family_revision(&wanted)
        .rsplit_once(':')
        .map_or("", |(_, r)| r);
    let id = format!(
        "{}{revision}",
        primary
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("ecs-svc/")
    );
    // The emulator's answer may carry the short form the request used; AWS answers ARNs.
    let arn = if wanted.starts_with("arn:") {
        wanted
    } else {
        current
            .rsplit_once("task-definition/")
            .map_or(wanted.clone(), |(prefix, _)| {
                format!("{prefix}task-definition/{wanted}")
            })
    };
    primary.insert("status".into(), json!("ACTIVE"));
    let mut fresh = primary.clone();
    fresh.insert("id".into(), json!(id));
    fresh.insert("status".into(), json!("PRIMARY"));
    fresh.insert("taskDefinition".into(), json!(arn));
    fresh.insert("desiredCount".into(), desired.clone());
    fresh.insert("pendingCount".into(), desired);
    fresh.insert("runningCount".into(), json!(0));
    fresh.insert("failedTasks".into(), json!(0));
    fresh.insert("rolloutState".into(), json!("IN_PROGRESS"));
    fresh.insert(
        "rolloutStateReason".into(),
        json!(format!("ECS deployment {id} in progress.")),
    );
    deployments.insert(0, Value::Object(fresh));
}

/// `family:revision` of a task definition ARN; other strings unchanged.
fn family_revision(task_definition: &str) -> &str {
    task_definition
        .rsplit_once("task-definition/")
        .map_or(task_definition, |(_, short)| short)
}

/// Plays one `Service` object of a `DescribeServices` answer forward: `polls` answers (this one
/// included) have carried the service so far.
pub fn play(service: &mut Value, rollout: &Rollout, polls: u32) {
    if polls < rollout.after_polls() {
        return;
    }
    let desired = service
        .get("desiredCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let (state, running, failed) = match rollout {
        Rollout::Complete { .. } => ("COMPLETED", desired, 0),
        Rollout::Fail { tasks, .. } | Rollout::RollBack { tasks, .. } => ("FAILED", 0, tasks.len()),
    };
    if let Some(fields) = service.as_object_mut() {
        fields.insert("runningCount".into(), json!(running));
        fields.insert("pendingCount".into(), json!(0));
    }
    let Some(Value::Array(deployments)) = service.get_mut("deployments") else {
        return;
    };
    let Some(primary) = deployments
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .find(|d| d.get("status").and_then(Value::as_str) == Some("PRIMARY"))
    else {
        return;
    };
    let id = primary
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let reason = match rollout {
        Rollout::Complete { .. } => format!("ECS deployment {id} completed."),
        Rollout::Fail { .. } => format!("ECS deployment {id} failed: tasks failed to start."),
        Rollout::RollBack { .. } => {
            format!(
                "ECS deployment circuit breaker: deployment {id} failed: tasks failed to start."
            )
        }
    };
    primary.insert("rolloutState".into(), json!(state));
    primary.insert("rolloutStateReason".into(), json!(reason));
    primary.insert("runningCount".into(), json!(running));
    primary.insert("pendingCount".into(), json!(0));
    primary.insert("failedTasks".into(), json!(failed));
    let Rollout::RollBack { to_revision, .. } = rollout else {
        return;
    };
    let failed_definition = primary
        .get("taskDefinition")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let Some((family, _)) = failed_definition.rsplit_once(':') else {
        return;
    };
    let earlier = format!("{family}:{to_revision}");
    primary.insert("status".into(), json!("ACTIVE"));
    let back = json!({
        "id": format!("{id}-rollback"),
        "status": "PRIMARY",
        "taskDefinition": earlier,
        "desiredCount": desired,
        "runningCount": 0,
        "pendingCount": desired,
        "failedTasks": 0,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": format!(
            "ECS deployment circuit breaker: rolling back to the last completed deployment ({earlier})."
        ),
    });
    deployments.insert(0, back);
    if let Some(fields) = service.as_object_mut() {
        fields.insert("taskDefinition".into(), json!(earlier));
    }
}

/// The ARN of the `index`-th stopped task of `service` (in the service's cluster).
pub fn task_arn(service: &Value, index: usize) -> Option<String> {
    let (partition, account) = arn_account(service.get("serviceArn"))?;
    let region = service.get("serviceArn")?.as_str()?.split(':').nth(3)?;
    let cluster = service.get("clusterArn")?.as_str()?.rsplit('/').next()?;
    let name = service.get("serviceName")?.as_str()?;
    Some(format!(
        "arn:{partition}:ecs:{region}:{account}:task/{cluster}/{TASK_PREFIX}{name}-{index}"
    ))
}

/// Task id prefix that marks the layer's own stopped tasks.
pub const TASK_PREFIX: &str = "fidelity-stopped-";

/// The service name a task ARN of [`task_arn`] belongs to.
pub fn task_service(arn: &str) -> Option<&str> {
    let id = arn.rsplit('/').next()?.strip_prefix(TASK_PREFIX)?;
    Some(id.rsplit_once('-')?.0)
}

/// The `Task` objects `DescribeTasks` answers for a failed rollout of `service`.
pub fn stopped_tasks(service: &Value, stopped: &[StoppedTask]) -> Vec<Value> {
    // The failed deployment's tasks: after a rollback it is no longer the primary one.
    let primary = service
        .get("deployments")
        .and_then(Value::as_array)
        .and_then(|d| {
            let state = |d: &&Value, key: &str, value: &str| {
                d.get(key).and_then(Value::as_str) == Some(value)
            };
            d.iter()
                .find(|d| state(d, "rolloutState", "FAILED"))
                .or_else(|| d.iter().find(|d| state(d, "status", "PRIMARY")))
        });
    let deployment = primary
        .and_then(|d| d.get("id"))
        .cloned()
        .unwrap_or(Value::Null);
    let task_definition = primary
        .and_then(|d| d.get("taskDefinition"))
        .or_else(|| service.get("taskDefinition"))
        .cloned()
        .unwrap_or(Value::Null);
    let name = service
        .get("serviceName")
        .and_then(Value::as_str)
        .unwrap_or("");
    stopped
        .iter()
        .enumerate()
        .filter_map(|(index, task)| {
            let containers: Vec<Value> = task
                .containers
                .iter()
                .map(|c| {
                    let mut container = json!({"name": c.name, "lastStatus": "STOPPED"});
                    if let Some(code) = c.exit_code {
                        container["exitCode"] = json!(code);
                    }
                    if let Some(reason) = &c.reason {
                        container["reason"] = json!(reason);
                    }
                    container
                })
                .collect();
            Some(json!({
                "taskArn": task_arn(service, index)?,
                "clusterArn": service.get("clusterArn"),
                "taskDefinitionArn": task_definition,
                "group": format!("service:{name}"),
                "startedBy": deployment,
                "lastStatus": "STOPPED",
                "desiredStatus": "STOPPED",
                "stopCode": task.stop_code,
                "stoppedReason": task.stopped_reason,
                "containers": containers,
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    fn service() -> Value {
        json!({
            "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/api",
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
            "serviceName": "api",
            "desiredCount": 2, "runningCount": 0, "pendingCount": 2,
            "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": "IN_PROGRESS",
                             "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3",
                             "runningCount": 0, "pendingCount": 2}],
        })
    }

    fn oom() -> StoppedTask {
        StoppedTask {
            stop_code: "EssentialContainerExited".into(),
            stopped_reason: "Essential container in task exited".into(),
            containers: vec![StoppedContainer {
                name: "app".into(),
                exit_code: Some(137),
                reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
            }],
        }
    }

    #[test]
    fn completes_after_the_given_polls() {
        let rollout = Rollout::Complete { after_polls: 2 };
        let mut first = service();
        play(&mut first, &rollout, 1);
        assert_eq!(first["deployments"][0]["rolloutState"], "IN_PROGRESS");
        let mut second = service();
        play(&mut second, &rollout, 2);
        assert_eq!(second["deployments"][0]["rolloutState"], "COMPLETED");
        assert_eq!(second["deployments"][0]["runningCount"], 2);
        assert_eq!(second["runningCount"], 2);
        assert_eq!(second["pendingCount"], 0);
    }

    #[test]
    fn fails_with_stopped_tasks() {
        let rollout = Rollout::Fail {
            after_polls: 1,
            tasks: vec![oom()],
        };
        let mut failed = service();
        play(&mut failed, &rollout, 1);
        assert_eq!(failed["deployments"][0]["rolloutState"], "FAILED");
        assert_eq!(failed["deployments"][0]["failedTasks"], 1);
        assert!(
            rollout.stopped(0).is_empty(),
            "nothing stopped before it fails"
        );
        let tasks = stopped_tasks(&failed, rollout.stopped(1));
        assert_eq!(tasks.len(), 1);
        let task = &tasks[0];
        assert_eq!(
            task["taskArn"],
            "arn:aws:ecs:us-east-1:123456789012:task/c/fidelity-stopped-api-0"
        );
        assert_eq!(task["group"], "service:api");
        assert_eq!(task["startedBy"], "ecs-svc/1");
        assert_eq!(task["stopCode"], "EssentialContainerExited");
        assert_eq!(task["containers"][0]["exitCode"], 137);
        assert_eq!(task_service(task["taskArn"].as_str().unwrap()), Some("api"));
        assert_eq!(task_service("arn:aws:ecs:us-east-1:1:task/c/abc"), None);
    }

    #[test]
    fn rolls_back_to_the_earlier_revision() {
        let rollout = Rollout::RollBack {
            after_polls: 2,
            tasks: vec![oom()],
            to_revision: 2,
        };
        let mut early = service();
        play(&mut early, &rollout, 1);
        assert_eq!(early["deployments"].as_array().unwrap().len(), 1);
        let mut back = service();
        play(&mut back, &rollout, 2);
        let deployments = back["deployments"].as_array().unwrap();
        assert_eq!(deployments.len(), 2);
        assert_eq!(deployments[0]["status"], "PRIMARY");
        assert_eq!(
            deployments[0]["taskDefinition"],
            "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2"
        );
        assert_eq!(deployments[0]["rolloutState"], "IN_PROGRESS");
        assert_eq!(deployments[1]["status"], "ACTIVE");
        assert_eq!(deployments[1]["rolloutState"], "FAILED");
        assert_eq!(back["taskDefinition"], deployments[0]["taskDefinition"]);
        // The stopped tasks are the failed deployment's, not the rollback's.
        let tasks = stopped_tasks(&back, rollout.stopped(2));
        assert_eq!(tasks[0]["startedBy"], "ecs-svc/1");
        assert_eq!(
            tasks[0]["taskDefinitionArn"],
            "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3"
        );
    }

    #[test]
    fn an_update_to_a_new_revision_starts_a_primary_deployment() {
        let mut updated = service();
        updated["taskDefinition"] = json!("api:4");
        start_deployment(&mut updated);
        let deployments = updated["deployments"].as_array().unwrap();
        assert_eq!(deployments.len(), 2);
        assert_eq!(deployments[0]["status"], "PRIMARY");
        assert_eq!(deployments[0]["id"], "ecs-svc/14");
        assert_eq!(
            deployments[0]["taskDefinition"],
            "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4"
        );
        assert_eq!(deployments[0]["rolloutState"], "IN_PROGRESS");
        assert_eq!(deployments[1]["status"], "ACTIVE");
        // The same answer again gets the same id; a service on its primary's revision is unchanged.
        let mut again = service();
        again["taskDefinition"] = json!("api:4");
        start_deployment(&mut again);
        assert_eq!(again["deployments"][0]["id"], "ecs-svc/14");
        let mut same = service();
        same["taskDefinition"] = json!("arn:aws:ecs:us-east-1:123456789012:task-definition/api:3");
        start_deployment(&mut same);
        assert_eq!(same["deployments"].as_array().unwrap().len(), 1);
    }
}
