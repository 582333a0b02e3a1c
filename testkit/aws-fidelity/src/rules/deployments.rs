//! Service deployments played through their lifecycle stages. ECS reports every rollout of a
//! service as a *service deployment* (`ListServiceDeployments`, `DescribeServiceDeployments`) with a
//! status and, for blue/green, linear and canary strategies, a lifecycle stage; the emulator has
//! none of these operations. A test scripts the next deployment of a service
//! ([`crate::Fidelity::play_deployment`]); the layer then answers it and moves it one step on per
//! `DescribeServiceDeployments` answer that carries it, never by time.
//!
//! Sources:
//! - API reference, ServiceDeployment: `status` (`PENDING`, `SUCCESSFUL`, `STOPPED`,
//!   `STOP_REQUESTED`, `IN_PROGRESS`, `ROLLBACK_REQUESTED`, `ROLLBACK_IN_PROGRESS`,
//!   `ROLLBACK_SUCCESSFUL`, `ROLLBACK_FAILED`), `statusReason`, `lifecycleStage` and the order of
//!   the stages (`RECONCILE_SERVICE`, `PRE_SCALE_UP`, `SCALE_UP`, `POST_SCALE_UP`,
//!   `TEST_TRAFFIC_SHIFT`, `POST_TEST_TRAFFIC_SHIFT`, `PRODUCTION_TRAFFIC_SHIFT`,
//!   `POST_PRODUCTION_TRAFFIC_SHIFT`, `BAKE_TIME`, `CLEAN_UP`), `targetServiceRevision` /
//!   `sourceServiceRevisions` (ServiceRevisionSummary: task counts, `requestedProductionTrafficWeight`,
//!   `requestedTestTrafficWeight`), `rollback`, `deploymentCircuitBreaker`, `alarms`
//!   (ServiceDeploymentAlarms: `triggeredAlarmNames`); ServiceDeploymentBrief for the list.
//! - aws-cli `awscli/examples/ecs/list-service-deployments.rst` and
//!   `describe-service-deployments.rst` (the shapes; ARNs `service-deployment/<cluster>/<service>/<id>`
//!   and `service-revision/<cluster>/<service>/<id>`).
//! - Developer guide, "Lifecycle hooks for Amazon ECS service deployments": a hook that returns
//!   `FAILED` (or fails) rolls the deployment back. The guide gives no `statusReason` wording; the
//!   layer's names the hook and its stage, which is all the controller relies on.
//! - Developer guide, "Stopping Amazon ECS service deployments" and API reference
//!   StopServiceDeployment: a `PENDING` or `IN_PROGRESS` deployment stopped with `ROLLBACK` moves to
//!   `ROLLBACK_REQUESTED` and rolls back; errors `ServiceDeploymentNotFoundException` (unknown ARN)
//!   and `ConflictException` (a deployment in a state that cannot be stopped).
//! - Developer guide, canary and linear deployments: production traffic moves in a first
//!   `canaryPercent` step then all at once, or in equal `stepPercent` steps.

use serde_json::{Value, json};

/// The deployment strategy (`deploymentConfiguration.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `ROLLING`: tasks replaced in place, no lifecycle stages.
    Rolling,
    /// `BLUE_GREEN`: all production traffic moves at once.
    BlueGreen,
    /// `LINEAR`: production traffic moves in equal steps.
    Linear,
    /// `CANARY`: a first small step, then the rest.
    Canary,
}

impl Strategy {
    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rolling => "ROLLING",
            Self::BlueGreen => "BLUE_GREEN",
            Self::Linear => "LINEAR",
            Self::Canary => "CANARY",
        }
    }

    /// Parses the AWS spelling.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "ROLLING" => Some(Self::Rolling),
            "BLUE_GREEN" => Some(Self::BlueGreen),
            "LINEAR" => Some(Self::Linear),
            "CANARY" => Some(Self::Canary),
            _ => None,
        }
    }
}

/// How a scripted deployment ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every stage passes: `SUCCESSFUL`.
    Succeed,
    /// The lifecycle hook `hook` (its target ARN) fails in `stage`: the deployment rolls back.
    HookFails {
        /// The lifecycle stage the hook runs in (`POST_TEST_TRAFFIC_SHIFT`, ...).
        stage: String,
        /// The hook's target ARN (a Lambda function).
        hook: String,
    },
    /// The circuit breaker counts `threshold` failed tasks while the new revision scales up and rolls
    /// the deployment back.
    CircuitBreaker,
    /// These CloudWatch alarms go off during bake (or, rolling, while tasks are replaced): roll back.
    Alarms {
        /// The alarms that went off.
        names: Vec<String>,
    },
}

/// The next deployment of one service, as a test wants it to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The strategy; `None` takes the service's `deploymentConfiguration.strategy` (`ROLLING`
    /// when it has none).
    pub strategy: Option<Strategy>,
    /// Lifecycle steps one `DescribeServiceDeployments` answer moves on (at least 1).
    pub steps_per_poll: u32,
    /// Steps `BAKE_TIME` lasts.
    pub bake_steps: u32,
    /// How it ends.
    pub ending: Ending,
}

impl Deployment {
    /// A deployment that succeeds, one step per answer, a bake of one step.
    pub fn succeed(strategy: Option<Strategy>) -> Self {
        Self {
            strategy,
            steps_per_poll: 1,
            bake_steps: 1,
            ending: Ending::Succeed,
        }
    }

    /// The same, moving `steps` lifecycle steps per answer.
    #[must_use]
    pub fn steps_per_poll(mut self, steps: u32) -> Self {
        self.steps_per_poll = steps.max(1);
        self
    }

    /// The same, baking for `steps` steps.
    #[must_use]
    pub fn bake_steps(mut self, steps: u32) -> Self {
        self.bake_steps = steps.max(1);
        self
    }

    /// The same, ending as `ending` says.
    #[must_use]
    pub fn ending(mut self, ending: Ending) -> Self {
        self.ending = ending;
        self
    }
}

/// One step of a deployment's life: its stage and how much traffic the new revision takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// `lifecycleStage`; rolling deployments have none.
    pub stage: Option<&'static str>,
    /// Production traffic on the new revision, percent.
    pub production: f64,
    /// Test traffic on the new revision, percent.
    pub test: f64,
}

/// Most ARNs one `DescribeServiceDeployments` call may name (API reference,
/// DescribeServiceDeployments, `serviceDeploymentArns`: "You can specify a maximum of 20 ARNs").
pub const DESCRIBE_MAX: usize = 20;

/// Percent of traffic a canary takes first when the service does not say
/// (`canaryConfiguration.canaryPercent`).
pub const CANARY_PERCENT: f64 = 10.0;
/// Percent of traffic each linear step moves when the service does not say
/// (`linearConfiguration.stepPercent`).
pub const LINEAR_STEP: f64 = 25.0;

/// The steps of a deployment of `strategy` with `shifts` production weights (ending at 100).
pub fn timeline(strategy: Strategy, shifts: &[f64], bake_steps: u32) -> Vec<Step> {
    let step = |stage, production, test| Step {
        stage: Some(stage),
        production,
        test,
    };
    if strategy == Strategy::Rolling {
        return vec![Step {
            stage: None,
            production: 0.0,
            test: 0.0,
        }];
    }
    let mut steps = vec![
        step("PRE_SCALE_UP", 0.0, 0.0),
        step("SCALE_UP", 0.0, 0.0),
        step("POST_SCALE_UP", 0.0, 0.0),
        step("TEST_TRAFFIC_SHIFT", 0.0, 100.0),
        step("POST_TEST_TRAFFIC_SHIFT", 0.0, 100.0),
    ];
    steps.extend(
        shifts
            .iter()
            .map(|w| step("PRODUCTION_TRAFFIC_SHIFT", *w, 100.0)),
    );
    steps.push(step("POST_PRODUCTION_TRAFFIC_SHIFT", 100.0, 100.0));
    steps.extend((0..bake_steps.max(1)).map(|_| step("BAKE_TIME", 100.0, 100.0)));
    steps.push(step("CLEAN_UP", 100.0, 100.0));
    steps
}

/// The production weights a strategy moves through: all at once, a canary then the rest, or equal
/// linear steps.
pub fn shifts(strategy: Strategy, canary_percent: f64, linear_step: f64) -> Vec<f64> {
    match strategy {
        Strategy::Rolling | Strategy::BlueGreen => vec![100.0],
        Strategy::Canary => vec![canary_percent.clamp(0.1, 100.0), 100.0],
        Strategy::Linear => {
            let step = linear_step.clamp(3.0, 100.0);
            let mut out = Vec::new();
            let mut at = step;
            while at < 100.0 {
                out.push(at);
                at += step;
            }
            out.push(100.0);
            out
        }
    }
}

/// How a stop was asked for (`stopType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopType {
    /// `ROLLBACK` (also when no type is given).
    Rollback,
    /// `ABORT`.
    Abort,
}

/// Where a deployment stands after some answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// `status`.
    pub status: &'static str,
    /// The step it is at (the last one reached when it ended).
    pub step: Step,
    /// `statusReason`.
    pub reason: String,
    /// Whether the circuit breaker or the alarms went off.
    pub tripped: Option<Trip>,
    /// Whether it ended.
    pub finished: bool,
}

/// What sent a deployment back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trip {
    /// The circuit breaker.
    CircuitBreaker,
    /// CloudWatch alarms.
    Alarms,
}

/// Whether a status can still be stopped (developer guide, "Stopping Amazon ECS service
/// deployments": `PENDING`, `IN_PROGRESS`, `STOP_REQUESTED`, `ROLLBACK_REQUESTED`,
/// `ROLLBACK_IN_PROGRESS`).
pub fn stoppable(status: &str) -> bool {
    matches!(
        status,
        "PENDING"
            | "IN_PROGRESS"
            | "STOP_REQUESTED"
            | "ROLLBACK_REQUESTED"
            | "ROLLBACK_IN_PROGRESS"
    )
}

/// The phase of `script` over `steps` after `polls` answers; `stop` is the answer count at which a
/// stop was asked for, and how.
pub fn phase(
    script: &Deployment,
    steps: &[Step],
    polls: u32,
    stop: Option<(u32, StopType)>,
) -> Phase {
    let last = steps.len().saturating_sub(1);
    let per_poll = script.steps_per_poll.max(1) as usize;
    let fail_at = match &script.ending {
        Ending::Succeed => None,
        Ending::HookFails { stage, .. } => {
            steps.iter().position(|s| s.stage == Some(stage.as_str()))
        }
        Ending::CircuitBreaker => Some(
            steps
                .iter()
                .position(|s| s.stage == Some("SCALE_UP"))
                .unwrap_or(0),
        ),
        Ending::Alarms { .. } => Some(
            steps
                .iter()
                .position(|s| s.stage == Some("BAKE_TIME"))
                .unwrap_or(0),
        ),
    };
    let index_at = |polls: u32| -> usize {
        let moved = (polls.saturating_sub(1) as usize).saturating_mul(per_poll);
        fail_at.map_or(moved, |f| moved.min(f))
    };
    let at = |polls: u32| {
        steps
            .get(index_at(polls).min(last))
            .copied()
            .unwrap_or(Step {
                stage: None,
                production: 0.0,
                test: 0.0,
            })
    };
    let running = |polls: u32, reason: String| Phase {
        status: if polls == 0 { "PENDING" } else { "IN_PROGRESS" },
        step: at(polls),
        reason,
        tripped: None,
        finished: false,
    };
    // A stop asked for before the deployment ended wins over the script.
    if let Some((asked, how)) = stop {
        let since = polls.saturating_sub(asked);
        let step = at(asked);
        let (status, finished) = match (how, since) {
            (_, 0) => return running(polls, "ECS deployment in progress.".to_owned()),
            (StopType::Rollback, 1) => ("ROLLBACK_REQUESTED", false),
            (StopType::Rollback, 2) => ("ROLLBACK_IN_PROGRESS", false),
            (StopType::Rollback, _) => ("ROLLBACK_SUCCESSFUL", true),
            (StopType::Abort, 1) => ("STOP_REQUESTED", false),
            (StopType::Abort, _) => ("STOPPED", true),
        };
        return Phase {
            status,
            step,
            reason: "Service deployment stopped by a StopServiceDeployment request.".to_owned(),
            tripped: None,
            finished,
        };
    }
    if polls == 0 {
        return running(0, "ECS deployment pending.".to_owned());
    }
    if let Some(fail) = fail_at {
        // The first answer that reaches the failing step still shows it running.
        let reached = (fail.div_ceil(per_poll) as u32).saturating_add(1);
        if polls > reached {
            let step = steps.get(fail).copied().unwrap_or(at(polls));
            let (reason, tripped) = match &script.ending {
                Ending::HookFails { stage, hook } => (
                    format!("Service deployment rolled back because lifecycle hook {hook} failed in stage {stage}."),
                    None,
                ),
                Ending::CircuitBreaker => (
                    "Service deployment rolled back because the circuit breaker threshold was exceeded.".to_owned(),
                    Some(Trip::CircuitBreaker),
                ),
                Ending::Alarms { names } => (
                    format!(
                        "Service deployment rolled back because of CloudWatch alarm(s) in ALARM state: {}.",
                        names.join(", ")
                    ),
                    Some(Trip::Alarms),
                ),
                Ending::Succeed => (String::new(), None),
            };
            let done = polls > reached + 1;
            return Phase {
                status: if done {
                    "ROLLBACK_SUCCESSFUL"
                } else {
                    "ROLLBACK_IN_PROGRESS"
                },
                step,
                reason,
                tripped,
                finished: done,
            };
        }
        return running(polls, "ECS deployment in progress.".to_owned());
    }
    let moved = (polls.saturating_sub(1) as usize).saturating_mul(per_poll);
    if moved > last {
        return Phase {
            status: "SUCCESSFUL",
            step: steps.get(last).copied().unwrap_or(at(polls)),
            reason: "ECS deployment completed.".to_owned(),
            tripped: None,
            finished: true,
        };
    }
    running(polls, "ECS deployment in progress.".to_owned())
}

/// What the layer knows of one started deployment (everything a `ServiceDeployment` answer needs
/// besides its phase).
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    /// `serviceDeploymentArn`.
    pub arn: String,
    /// `serviceArn`.
    pub service_arn: String,
    /// `clusterArn`.
    pub cluster_arn: String,
    /// The target service revision ARN.
    pub target: String,
    /// The source service revision ARN (none for a new service).
    pub source: Option<String>,
    /// Desired tasks.
    pub desired: i64,
    /// The strategy it runs with.
    pub strategy: Strategy,
    /// `bakeTimeInMinutes` (blue/green, linear, canary).
    pub bake_minutes: Option<i64>,
    /// Its steps.
    pub steps: Vec<Step>,
    /// When it was created (epoch seconds).
    pub created_at: f64,
}

/// The strategy, bake time and traffic steps of the next deployment of `service` (a `Service`
/// object as the emulator answers it) under `script`.
pub fn plan_for(script: &Deployment, service: &Value) -> (Strategy, Option<i64>, Vec<Step>) {
    let config = service.get("deploymentConfiguration");
    let field = |path: &str| config.and_then(|c| c.pointer(path));
    let strategy = script
        .strategy
        .or_else(|| {
            field("/strategy")
                .and_then(Value::as_str)
                .and_then(Strategy::parse)
        })
        .unwrap_or(Strategy::Rolling);
    let canary = field("/canaryConfiguration/canaryPercent")
        .and_then(Value::as_f64)
        .unwrap_or(CANARY_PERCENT);
    let linear = field("/linearConfiguration/stepPercent")
        .and_then(Value::as_f64)
        .unwrap_or(LINEAR_STEP);
    // Bake time comes only with the strategies that have one (developer guide).
    let bake = (strategy != Strategy::Rolling).then(|| {
        field("/bakeTimeInMinutes")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    });
    let steps = timeline(
        strategy,
        &shifts(strategy, canary, linear),
        script.bake_steps,
    );
    (strategy, bake, steps)
}

/// `service-deployment/<cluster>/<service>/<id>` and `service-revision/...` ARNs of a service ARN.
pub fn arn_of(service_arn: &str, kind: &str, id: &str) -> String {
    match service_arn.split_once(":service/") {
        Some((prefix, path)) => format!("{prefix}:{kind}/{path}/{id}"),
        None => format!("{service_arn}/{kind}/{id}"),
    }
}

fn revision(arn: &str, desired: i64, running: i64, production: f64, test: f64) -> Value {
    json!({
        "arn": arn,
        "requestedTaskCount": desired,
        "runningTaskCount": running,
        "pendingTaskCount": (desired - running).max(0),
        "requestedProductionTrafficWeight": production,
        "requestedTestTrafficWeight": test,
    })
}

/// The `ServiceDeployment` object `DescribeServiceDeployments` answers. `stage_since` is when the
/// current stage was first answered (epoch seconds).
pub fn describe(started: &Started, phase: &Phase, now: f64, stage_since: f64) -> Value {
    let rolled_back = phase.status.starts_with("ROLLBACK");
    let step = phase.step;
    // New tasks run once the new revision scaled up; after a rollback only the old ones do.
    let running_new = match (phase.status, step.stage) {
        ("SUCCESSFUL", _) => started.desired,
        (_, Some(stage)) if !rolled_back && !matches!(stage, "PRE_SCALE_UP" | "SCALE_UP") => {
            started.desired
        }
        _ => 0,
    };
    let (production, test) = if rolled_back {
        (0.0, 0.0)
    } else if phase.status == "SUCCESSFUL" {
        (100.0, 100.0)
    } else {
        (step.production, step.test)
    };
    let mut deployment = json!({
        "serviceDeploymentArn": started.arn,
        "serviceArn": started.service_arn,
        "clusterArn": started.cluster_arn,
        "createdAt": started.created_at,
        "startedAt": started.created_at,
        "updatedAt": stage_since.max(started.created_at),
        "targetServiceRevision": revision(&started.target, started.desired, running_new, production, test),
        "sourceServiceRevisions": started.source.as_ref().map_or_else(Vec::new, |source| {
            vec![revision(source, started.desired, started.desired, 100.0 - production, 100.0 - test)]
        }),
        "status": phase.status,
        "statusReason": phase.reason,
        "deploymentConfiguration": {
            "strategy": started.strategy.as_str(),
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
        },
        "deploymentCircuitBreaker": {
            "status": match phase.tripped {
                Some(Trip::CircuitBreaker) => "TRIGGERED",
                _ if phase.finished => "MONITORING_COMPLETE",
                _ => "MONITORING",
            },
            "failureCount": if phase.tripped == Some(Trip::CircuitBreaker) { 3 } else { 0 },
            "threshold": 3,
        },
        "alarms": {"status": "DISABLED"},
    });
    if let Some(stage) = step.stage.filter(|_| !phase.finished || rolled_back) {
        deployment["lifecycleStage"] = json!(stage);
    }
    if let Some(bake) = started.bake_minutes {
        deployment["deploymentConfiguration"]["bakeTimeInMinutes"] = json!(bake);
    }
    if phase.tripped == Some(Trip::Alarms) {
        let names: Vec<&str> = phase
            .reason
            .rsplit_once(": ")
            .map(|(_, n)| n.trim_end_matches('.').split(", ").collect())
            .unwrap_or_default();
        deployment["alarms"] = json!({
            "status": "TRIGGERED",
            "alarmNames": names,
            "triggeredAlarmNames": names,
        });
    }
    if rolled_back {
        deployment["rollback"] = json!({
            "reason": phase.reason,
            "startedAt": stage_since,
            "serviceRevisionArn": started.source,
        });
    }
    if phase.finished {
        deployment["finishedAt"] = json!(now);
        if phase.status == "STOPPED" {
            deployment["stoppedAt"] = json!(now);
        }
    }
    deployment
}

/// The `ServiceDeploymentBrief` `ListServiceDeployments` answers.
pub fn brief(started: &Started, phase: &Phase, now: f64) -> Value {
    let mut brief = json!({
        "serviceDeploymentArn": started.arn,
        "serviceArn": started.service_arn,
        "clusterArn": started.cluster_arn,
        "createdAt": started.created_at,
        "startedAt": started.created_at,
        "targetServiceRevisionArn": started.target,
        "status": phase.status,
        "statusReason": phase.reason,
    });
    if phase.finished {
        brief["finishedAt"] = json!(now);
    }
    brief
}

/// Whether a brief passes the `status` filter of a `ListServiceDeployments` request (none: all).
pub fn status_matches(request: &Value, status: &str) -> bool {
    request
        .get("status")
        .and_then(Value::as_array)
        .filter(|wanted| !wanted.is_empty())
        .is_none_or(|wanted| wanted.iter().any(|w| w.as_str() == Some(status)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    fn stages(steps: &[Step]) -> Vec<&'static str> {
        steps.iter().filter_map(|s| s.stage).collect()
    }

    #[test]
    fn strategies_move_production_traffic_their_way() {
        let blue_green = timeline(
            Strategy::BlueGreen,
            &shifts(Strategy::BlueGreen, 10.0, 25.0),
            2,
        );
        assert_eq!(
            stages(&blue_green),
            [
                "PRE_SCALE_UP",
                "SCALE_UP",
                "POST_SCALE_UP",
                "TEST_TRAFFIC_SHIFT",
                "POST_TEST_TRAFFIC_SHIFT",
                "PRODUCTION_TRAFFIC_SHIFT",
                "POST_PRODUCTION_TRAFFIC_SHIFT",
                "BAKE_TIME",
                "BAKE_TIME",
                "CLEAN_UP"
            ]
        );
        assert_eq!(shifts(Strategy::Canary, 10.0, 25.0), [10.0, 100.0]);
        assert_eq!(
            shifts(Strategy::Linear, 10.0, 25.0),
            [25.0, 50.0, 75.0, 100.0]
        );
        assert_eq!(timeline(Strategy::Rolling, &[100.0], 1).len(), 1);
        assert_eq!(timeline(Strategy::Rolling, &[100.0], 1)[0].stage, None);
    }

    #[test]
    fn a_deployment_moves_one_step_per_answer_and_succeeds() {
        let script = Deployment::succeed(Some(Strategy::BlueGreen));
        let steps = timeline(Strategy::BlueGreen, &[100.0], 1);
        assert_eq!(phase(&script, &steps, 0, None).status, "PENDING");
        let first = phase(&script, &steps, 1, None);
        assert_eq!(
            (first.status, first.step.stage),
            ("IN_PROGRESS", Some("PRE_SCALE_UP"))
        );
        let bake = phase(&script, &steps, 8, None);
        assert_eq!(bake.step.stage, Some("BAKE_TIME"));
        assert_eq!(phase(&script, &steps, 9, None).step.stage, Some("CLEAN_UP"));
        let done = phase(&script, &steps, 10, None);
        assert_eq!(done.status, "SUCCESSFUL");
        assert!(done.finished);
    }

    #[test]
    fn a_failing_hook_rolls_back_naming_the_hook() {
        let hook = "arn:aws:lambda:us-east-1:123456789012:function:check";
        let script = Deployment::succeed(Some(Strategy::BlueGreen)).ending(Ending::HookFails {
            stage: "POST_TEST_TRAFFIC_SHIFT".into(),
            hook: hook.into(),
        });
        let steps = timeline(Strategy::BlueGreen, &[100.0], 1);
        // Reached on the fifth answer (still running the hook), rolling back on the sixth.
        assert_eq!(phase(&script, &steps, 5, None).status, "IN_PROGRESS");
        let back = phase(&script, &steps, 6, None);
        assert_eq!(back.status, "ROLLBACK_IN_PROGRESS");
        assert!(back.reason.contains(hook), "{}", back.reason);
        let done = phase(&script, &steps, 7, None);
        assert_eq!(done.status, "ROLLBACK_SUCCESSFUL");
        assert_eq!(done.step.stage, Some("POST_TEST_TRAFFIC_SHIFT"));
        assert!(done.reason.contains("POST_TEST_TRAFFIC_SHIFT"));
    }

    #[test]
    fn a_stop_rolls_back_from_where_it_was() {
        let script = Deployment::succeed(Some(Strategy::Canary)).bake_steps(50);
        let steps = timeline(Strategy::Canary, &[10.0, 100.0], 50);
        let stop = Some((3, StopType::Rollback));
        assert_eq!(phase(&script, &steps, 3, stop).status, "IN_PROGRESS");
        assert_eq!(phase(&script, &steps, 4, stop).status, "ROLLBACK_REQUESTED");
        assert_eq!(
            phase(&script, &steps, 5, stop).status,
            "ROLLBACK_IN_PROGRESS"
        );
        let done = phase(&script, &steps, 6, stop);
        assert_eq!(done.status, "ROLLBACK_SUCCESSFUL");
        assert_eq!(done.step.stage, Some("POST_SCALE_UP"));
        assert_eq!(
            phase(&script, &steps, 5, Some((3, StopType::Abort))).status,
            "STOPPED"
        );
        assert!(
            stoppable("IN_PROGRESS")
                && !stoppable("SUCCESSFUL")
                && !stoppable("ROLLBACK_SUCCESSFUL")
        );
    }

    #[test]
    fn the_answer_carries_stage_traffic_bake_and_why() {
        let service = json!({"deploymentConfiguration": {"strategy": "LINEAR", "bakeTimeInMinutes": 30,
                              "linearConfiguration": {"stepPercent": 50.0}}});
        let script = Deployment::succeed(None).ending(Ending::Alarms {
            names: vec!["p99-latency".into()],
        });
        let (strategy, bake, steps) = plan_for(&script, &service);
        assert_eq!((strategy, bake), (Strategy::Linear, Some(30)));
        let started = Started {
            arn: arn_of(
                "arn:aws:ecs:us-east-1:1:service/c/web",
                "service-deployment",
                "d1",
            ),
            service_arn: "arn:aws:ecs:us-east-1:1:service/c/web".into(),
            cluster_arn: "arn:aws:ecs:us-east-1:1:cluster/c".into(),
            target: "arn:aws:ecs:us-east-1:1:service-revision/c/web/2".into(),
            source: Some("arn:aws:ecs:us-east-1:1:service-revision/c/web/1".into()),
            desired: 2,
            strategy,
            bake_minutes: bake,
            steps: steps.clone(),
            created_at: 100.0,
        };
        assert_eq!(
            started.arn,
            "arn:aws:ecs:us-east-1:1:service-deployment/c/web/d1"
        );
        let shifting = describe(&started, &phase(&script, &steps, 6, None), 200.0, 150.0);
        assert_eq!(shifting["lifecycleStage"], "PRODUCTION_TRAFFIC_SHIFT");
        assert_eq!(
            shifting["targetServiceRevision"]["requestedProductionTrafficWeight"],
            50.0
        );
        assert_eq!(
            shifting["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"],
            50.0
        );
        assert_eq!(shifting["deploymentConfiguration"]["bakeTimeInMinutes"], 30);
        assert_eq!(shifting["updatedAt"], 150.0);
        // Alarms go off in bake: the ninth answer reaches it, the eleventh has rolled back.
        let back = describe(&started, &phase(&script, &steps, 11, None), 300.0, 250.0);
        assert_eq!(back["status"], "ROLLBACK_SUCCESSFUL");
        assert_eq!(
            back["alarms"]["triggeredAlarmNames"],
            json!(["p99-latency"])
        );
        assert_eq!(
            back["rollback"]["serviceRevisionArn"],
            started.source.clone().unwrap()
        );
        assert_eq!(back["finishedAt"], 300.0);
        let listed = brief(&started, &phase(&script, &steps, 11, None), 300.0);
        assert_eq!(listed["status"], "ROLLBACK_SUCCESSFUL");
        assert!(status_matches(&json!({}), "SUCCESSFUL"));
        assert!(!status_matches(
            &json!({"status": ["IN_PROGRESS"]}),
            "SUCCESSFUL"
        ));
    }
}
