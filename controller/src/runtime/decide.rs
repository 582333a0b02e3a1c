//! What the loop does with one resource in a pass: track its rollout, start its apply, or say
//! why not (in flight, plan error, in sync, detect-only, held after a rollback, backing off,
//! waiting for a dependency or a free slot), and the note the report shows for it.

use std::sync::Arc;

use tokio::time::Instant;
use tracing::Instrument;

use super::run::{Done, Flight, State};
use super::{Engine, ResourceNote, ResourceSummary};
use crate::manifest::DriftPolicy;
use crate::metrics::ReconcileResult;
use crate::report::RolloutReport;
use crate::rollout::{self, Deployment, Rollout};
use crate::service_deployment::{self, Judgement, ServiceDeployment, WaitUntil};
use crate::status::{Condition, Status};

/// Now in epoch seconds, the clock service deployments are stamped with.
fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Where a service deployment stands, for the report.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "bake times are at most 1440 minutes and never negative"
)]
fn service_deployment_view(deployment: &ServiceDeployment, now: f64) -> RolloutReport {
    let (requested, running, _pending) = deployment.tasks;
    RolloutReport {
        state: deployment.status.clone(),
        strategy: deployment.strategy.clone(),
        stage: deployment.stage.clone(),
        running,
        desired: requested,
        failed: deployment.circuit_breaker.as_ref().map_or(0, |c| c.1),
        production_traffic_percent: deployment.production_weight,
        bake_left_seconds: service_deployment::bake_left(deployment, now).map(|s| s.round() as u64),
        why: Vec::new(),
    }
}

/// Where the deployment of `expected` stands (the primary one when none runs it), for the report;
/// ECS gives no rollout state for some services, so the judgement names it then.
fn deployments_view(
    deployments: &[Deployment],
    expected: &str,
    judged: &Rollout,
) -> Option<RolloutReport> {
    let d = rollout::deployment_of(deployments, expected)
        .or_else(|| deployments.iter().find(|d| d.status == "PRIMARY"))?;
    Some(RolloutReport {
        state: d
            .rollout_state
            .map_or_else(
                || match judged {
                    Rollout::Degraded { .. } => "FAILED",
                    Rollout::Completed => "COMPLETED",
                    Rollout::Progressing { .. } => "IN_PROGRESS",
                },
                rollout::RolloutState::as_str,
            )
            .to_owned(),
        running: d.running,
        desired: d.desired,
        failed: d.failed,
        ..RolloutReport::default()
    })
}

impl<E: Engine> State<E> {
    /// Decides what to do with one resource this pass and returns its note.
    pub(super) fn decide(
        &mut self,
        plan: &E::Plan,
        summary: &ResourceSummary,
        now: Instant,
    ) -> ResourceNote {
        let key = summary.key.as_str();
        let kind = summary.kind.as_str();
        let mut note = ResourceNote::default();

        if let Some(slot) = self.tracked.get_mut(key)
            && slot.is_none()
        {
            slot.clone_from(&summary.task_definition);
        }
        // ECS's service deployment, where it reports one, says more than `deployments[]`.
        let assessed = match (
            &summary.service_deployment,
            self.tracked.get(key).cloned(),
            summary.deployments.as_ref(),
        ) {
            (Some(deployment), Some(_), _) => {
                let now = epoch_now();
                let judged = match service_deployment::judge(deployment, WaitUntil::Stable, now) {
                    Judgement::Going(message) => Rollout::Progressing { message },
                    Judgement::Done => Rollout::Completed,
                    Judgement::Failed { reason, message } => Rollout::Degraded { reason, message },
                };
                Some((judged, Some(service_deployment_view(deployment, now))))
            }
            (None, Some(Some(expected)), Some(deployments)) => {
                let judged = rollout::assess(deployments, &expected);
                let view = deployments_view(deployments, &expected, &judged);
                Some((judged, view))
            }
            _ => None,
        };
        if let Some((assessed, view)) = assessed {
            match assessed {
                Rollout::Progressing { message } => {
                    // Rolling out is news only for a resource otherwise in sync; drift must stay visible.
                    if summary.status.is_in_sync() {
                        note.status = Some(Status::Progressing);
                    }
                    note.conditions.push(Condition::new(
                        "Progressing",
                        true,
                        "RolloutInProgress",
                        message,
                    ));
                    note.rollout = view;
                }
                Rollout::Completed => {
                    self.tracked.remove(key);
                }
                Rollout::Degraded { reason, message } => {
                    self.tracked.remove(key);
                    let message = if summary.diagnosis.is_empty() {
                        message
                    } else {
                        format!("{message}; {}", summary.diagnosis.join("; "))
                    };
                    match summary.desired.filter(|_| reason == "RolledBack") {
                        // ECS went back to the earlier revision; deploying ours again would fail
                        // the same way, so it waits for a new manifest.
                        Some(desired) => {
                            self.held.insert(key.to_owned(), (desired, message.clone()));
                        }
                        // Re-applying the same revision at once would likely fail the same way:
                        // back off.
                        None => {
                            self.scheduler.failed(key.to_owned(), now, message.clone());
                        }
                    }
                    note.status = Some(Status::Error);
                    note.conditions
                        .push(Condition::new("Degraded", true, reason, message));
                    note.rollout = view.map(|v| RolloutReport {
                        why: summary.diagnosis.clone(),
                        ..v
                    });
                }
            }
        }

        if self.flights.values().any(|f| f.key == key) {
            note.status = Some(Status::Progressing);
            note.conditions.push(Condition::applying());
            return note;
        }
        if summary.status == Status::Error {
            self.metrics
                .reconcile
                .count(kind, ReconcileResult::PlanError);
            return note;
        }
        if !summary.actionable {
            self.held.remove(key);
            self.metrics.reconcile.count(kind, ReconcileResult::InSync);
            return note;
        }
        if let Some((desired, why)) = self.held.get(key) {
            if summary.desired == Some(*desired) {
                self.metrics.reconcile.count(kind, ReconcileResult::Backoff);
                note.status = Some(Status::Error);
                // The same condition the rollback raised, so its transition time carries over.
                if !note.conditions.iter().any(|c| c.kind == "Degraded") {
                    note.conditions.push(Condition::new(
                        "Degraded",
                        true,
                        "RolledBack",
                        format!(
                            "{why}; held: the rolled-back revision is not deployed again until the manifest changes"
                        ),
                    ));
                }
                return note;
            }
            self.held.remove(key);
        }
        if summary.policy == DriftPolicy::Detect {
            // `detect` never writes, not even a create; the plan's own `DriftPolicy` condition
            // already tells the reader why nothing is applied.
            self.metrics
                .reconcile
                .count(kind, ReconcileResult::DriftDetected);
            return note;
        }
        if let Some((failures, retry_at, error)) = self.scheduler.state(&summary.key)
            && retry_at > now
        {
            let message = format!(
                "{error} (failed {failures} time(s); next attempt in {}s)",
                retry_at.duration_since(now).as_secs()
            );
            self.metrics.reconcile.count(kind, ReconcileResult::Backoff);
            note.status = Some(Status::Error);
            note.conditions
                .push(Condition::new("Applied", false, "BackingOff", message));
            return note;
        }
        let dependency_busy = self.flights.values().any(|f| f.wave < summary.wave);
        if dependency_busy || self.flights.len() >= self.opts.max_concurrent.max(1) {
            self.metrics
                .reconcile
                .count(kind, ReconcileResult::Deferred);
            return note;
        }
        let Some(work) = self.engine.work(plan, key) else {
            return note;
        };
        let engine = Arc::clone(&self.engine);
        let metrics = Arc::clone(&self.metrics);
        let (task_key, task_kind) = (key.to_owned(), kind.to_owned());
        let span = tracing::info_span!("apply", resource = key, kind = kind);
        let handle = self.tasks.spawn(
            async move {
                let _timer = metrics.reconcile.measure(&task_kind);
                let result = engine.apply(work).await;
                Done {
                    key: task_key,
                    kind: task_kind,
                    result,
                }
            }
            .instrument(span),
        );
        tracing::info!(resource = key, "applying");
        self.flights.insert(
            handle.id(),
            Flight {
                key: key.to_owned(),
                kind: kind.to_owned(),
                wave: summary.wave,
            },
        );
        note.status = Some(Status::Progressing);
        note.conditions.push(Condition::applying());
        note
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn primary(task_definition: &str, state: Option<rollout::RolloutState>) -> Deployment {
        Deployment {
            status: "PRIMARY".into(),
            task_definition: task_definition.into(),
            rollout_state: state,
            rollout_state_reason: None,
            running: 1,
            desired: 3,
            failed: 2,
        }
    }

    #[test]
    fn a_deployment_without_a_rollout_state_is_named_by_the_judgement() {
        let ours = "arn:aws:ecs:us-east-1:1:task-definition/web:2";
        let going = Rollout::Progressing {
            message: String::new(),
        };
        let view = deployments_view(&[primary(ours, None)], ours, &going).unwrap();
        assert_eq!(
            (view.state.as_str(), view.running, view.desired, view.failed),
            ("IN_PROGRESS", 1, 3, 2)
        );
        // ECS's own state wins where it gives one.
        let failed = Some(rollout::RolloutState::Failed);
        let view = deployments_view(&[primary(ours, failed)], ours, &going).unwrap();
        assert_eq!(view.state, "FAILED");
        assert!(deployments_view(&[], ours, &going).is_none());
    }
}
