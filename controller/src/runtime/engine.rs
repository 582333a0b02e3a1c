//! The production [`Engine`]: manifests from disk, live state from AWS, the pure planner, one-resource
//! apply and the drift report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::Error;
use crate::aws::Context;
use crate::manifest::{self, DriftPolicy, Kind, Limits, ManifestSet, Place};
use crate::metrics::{CostLabels, CostMetrics};
use crate::plan::{Action, Plan, PlanOptions, ResourcePlan};
use crate::pricing::{Pricer, budget};
use crate::reconcile::{Planned, observe_and_plan};
use crate::report::{self, DriftReport, ResourceReport, Summary};
use crate::rollout::{Deployment, RolloutState};
use crate::service_deployment::ServiceDeployment;
use crate::source::Snapshot;
use crate::status::{Condition, Status, Transitions};
use crate::verify::Finding;

use super::{Applied, Engine, Notes, ReportView, ResourceSummary};

/// Kind and name of the report entry that describes the source itself (a rejected revision, a failing
/// fetch), so the problem shows even when no resource could be loaded.
const SOURCE_KIND: &str = "Source";
const SOURCE_NAME: &str = "manifests";

/// Observe + plan of one pass; the live state is kept for rollout tracking.
pub type AwsPlan = Planned;

/// The engine `run` uses.
#[derive(Debug)]
pub struct AwsEngine {
    ctx: Arc<Context>,
    opts: PlanOptions,
    /// What one revision may make the controller read and parse.
    limits: Limits,
    /// When each reported condition last changed, for `lastTransitionTime`.
    transitions: Mutex<Transitions>,
    /// Per ECS service with a failed deployment: which failure was read, and why it failed. Read
    /// once per failure, not every pass.
    diagnoses: Mutex<HashMap<String, (String, Vec<String>)>>,
    /// ECS services whose rollout the loop started, by key: region, cluster, name and when the
    /// apply began (epoch seconds). Their service deployment is read each pass until it ends.
    watching: Mutex<HashMap<String, (Place, String, String, f64)>>,
    /// The service deployments read this pass, by key.
    followed: Mutex<HashMap<String, ServiceDeployment>>,
    /// Per resource key, a fingerprint of its manifest at the last plan (see
    /// [`ResourceSummary::desired`]).
    fingerprints: Mutex<HashMap<String, u64>>,
    /// Prices each pass's services (budgets, report, gauge); `None` prices nothing.
    pricing: Option<(Pricer, CostMetrics)>,
    /// Runs the pre-flight checks into the report; `None` does not.
    verifier: Option<Verifier>,
}

/// The pre-flight checks of `run --verify`: they read many more APIs than a pass, so they run
/// when the manifests change and otherwise at most once per `interval`.
#[derive(Debug)]
struct Verifier {
    interval: Duration,
    /// The manifests last verified, when, and the problems found.
    last: tokio::sync::Mutex<Option<(ManifestSet, Instant, Vec<Finding>)>>,
}

impl AwsEngine {
    /// An engine over `ctx` planning with `opts`.
    #[must_use]
    pub fn new(ctx: Arc<Context>, opts: PlanOptions) -> Self {
        Self {
            ctx,
            opts,
            limits: Limits::default(),
            transitions: Mutex::new(Transitions::default()),
            diagnoses: Mutex::new(HashMap::new()),
            fingerprints: Mutex::new(HashMap::new()),
            watching: Mutex::new(HashMap::new()),
            followed: Mutex::new(HashMap::new()),
            pricing: None,
            verifier: None,
        }
    }

    /// The same engine running the pre-flight checks when the manifests change and at least
    /// every `interval`, their problems shown as warnings in the report.
    #[must_use]
    pub fn with_verify(mut self, interval: Duration) -> Self {
        self.verifier = Some(Verifier {
            interval,
            last: tokio::sync::Mutex::new(None),
        });
        self
    }

    /// The same engine pricing every pass with `pricer` (unless it is off) into `gauge`.
    #[must_use]
    pub fn with_pricing(mut self, pricer: Pricer, gauge: CostMetrics) -> Self {
        self.pricing = (!pricer.is_off()).then_some((pricer, gauge));
        self
    }

    /// The same engine loading manifests under `limits`.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Stops what the engine started (the pricing plugins) and waits for it to exit.
    pub async fn shutdown(&self) {
        if let Some((pricer, _)) = &self.pricing {
            pricer.shutdown().await;
        }
    }
}

impl AwsEngine {
    /// Reads the newest service deployment of each service whose rollout the loop started; one
    /// that ended is reported this pass and no longer read, and a service ECS reports none for
    /// (or whose read fails) is judged by its `deployments[]` instead.
    async fn follow_deployments(&self) {
        let watching: Vec<(String, (Place, String, String, f64))> = lock(&self.watching)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut followed = HashMap::new();
        for (key, (place, cluster, name, since)) in watching {
            let read = match self.ctx.acting_in(&place) {
                Ok(placed) => {
                    let ctx = placed.as_deref().unwrap_or(&self.ctx);
                    crate::aws::deployments::newest(ctx, &place.region, &cluster, &name, since)
                        .await
                }
                Err(e) => Err(e),
            };
            match read {
                Ok(Some(deployment)) => {
                    if !matches!(
                        deployment.status.as_str(),
                        "PENDING"
                            | "IN_PROGRESS"
                            | "STOP_REQUESTED"
                            | "ROLLBACK_REQUESTED"
                            | "ROLLBACK_IN_PROGRESS"
                    ) {
                        lock(&self.watching).remove(&key);
                    }
                    followed.insert(key, deployment);
                }
                Ok(None) => {
                    lock(&self.watching).remove(&key);
                }
                Err(e) => {
                    tracing::debug!(resource = %key, error = %e, "no service deployments; following deployments[]");
                    lock(&self.watching).remove(&key);
                }
            }
        }
        *lock(&self.followed) = followed;
    }

    /// The pre-flight problems for `desired`: verified again when the manifests changed or the
    /// interval passed; a verification that fails keeps the last answer (and says so in the log).
    async fn warnings(&self, desired: &ManifestSet) -> Vec<Finding> {
        let Some(verifier) = &self.verifier else {
            return Vec::new();
        };
        // One verification at a time; passes that come meanwhile wait for its answer.
        let mut last = verifier.last.lock().await;
        if let Some((set, at, problems)) = last.as_ref()
            && set == desired
            && at.elapsed() < verifier.interval
        {
            return problems.clone();
        }
        match crate::verify::verify(&self.ctx, desired).await {
            Ok(findings) => {
                let problems = crate::verify::problems(findings);
                *last = Some((desired.clone(), Instant::now(), problems.clone()));
                problems
            }
            Err(e) => {
                tracing::warn!(error = %e, "the pre-flight checks could not run");
                last.as_ref()
                    .map(|(_, _, problems)| problems.clone())
                    .unwrap_or_default()
            }
        }
    }

    /// Reads why each ECS service with a failed deployment failed, once per failure (a failed
    /// deployment stays listed until the next one replaces it).
    async fn read_diagnoses(&self, planned: &AwsPlan) {
        let mut failing = Vec::new();
        for rp in planned
            .plan
            .resources
            .iter()
            .filter(|rp| rp.key.kind == Kind::EcsService)
        {
            let Some(service) = planned
                .service(&rp.place(), &rp.key.name)
                .and_then(|s| s.service.found())
            else {
                continue;
            };
            let Some(failed) = service
                .deployments
                .iter()
                .find(|d| d.rollout_state.as_deref() == Some("FAILED"))
            else {
                continue;
            };
            let failure = format!(
                "{}|{}|{}",
                service.arn,
                failed.task_definition.as_deref().unwrap_or_default(),
                failed.rollout_state_reason.as_deref().unwrap_or_default()
            );
            let cluster = service.cluster_arn.rsplit('/').next().unwrap_or_default();
            failing.push((
                key_of(rp),
                failure,
                rp.place(),
                cluster.to_owned(),
                service.name.clone(),
            ));
        }
        let known: HashMap<String, String> = {
            let mut diagnoses = self
                .diagnoses
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            diagnoses.retain(|key, _| failing.iter().any(|f| &f.0 == key));
            diagnoses
                .iter()
                .map(|(k, (f, _))| (k.clone(), f.clone()))
                .collect()
        };
        for (key, failure, place, cluster, name) in failing {
            if known.get(&key) == Some(&failure) {
                continue;
            }
            let diagnosed = match self.ctx.acting_in(&place) {
                Ok(placed) => {
                    let ctx = placed.as_deref().unwrap_or(&self.ctx);
                    crate::wait::diagnose(ctx, &place.region, &cluster, &name).await
                }
                Err(e) => Err(e),
            };
            match diagnosed {
                Ok(lines) => {
                    self.diagnoses
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(key, (failure, lines));
                }
                // The rollout is reported as degraded either way; the next pass tries again.
                Err(e) => {
                    tracing::warn!(resource = %key, error = %e, "cannot read why the deployment failed")
                }
            }
        }
    }
}

/// Locks a map of the engine; a panic elsewhere leaves it usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fingerprint of what a manifest asks for (its spec and region; not where it was written).
fn fingerprint(resource: &manifest::Resource) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    // The specs hold no hash maps, so their debug text is the same for the same manifest.
    format!("{:?}|{:?}", resource.spec, resource.region).hash(&mut hasher);
    hasher.finish()
}

/// The identity the loop uses for a resource.
fn key_of(rp: &ResourcePlan) -> String {
    rp.key.to_string()
}

fn wave(kind: Kind) -> u8 {
    match kind {
        Kind::CloudMapNamespace | Kind::EcsCluster => 0,
        Kind::EcsService => 1,
    }
}

impl Engine for AwsEngine {
    type Desired = ManifestSet;
    type Plan = AwsPlan;
    type Work = ResourcePlan;
    type Report = DriftReport;
    type Error = Error;

    async fn load(&self, snapshot: Snapshot) -> Result<ManifestSet, Vec<String>> {
        let limits = self.limits;
        let loaded = tokio::task::spawn_blocking(move || {
            // The snapshot (and so its checkout) stays alive until loading is done.
            let paths = std::slice::from_ref(&snapshot.root);
            // A git revision is confined to its whole checkout, a directory to itself.
            let loaded = match snapshot.boundary() {
                Some(checkout) => manifest::load_within(checkout, paths, &limits),
                None => manifest::load_with(paths, &limits),
            };
            (loaded, snapshot.root.display().to_string())
        })
        .await;
        match loaded {
            Err(join) => Err(vec![format!("loading manifests failed: {join}")]),
            Ok((loaded, _)) if !loaded.errors.is_empty() => {
                Err(loaded.errors.iter().map(ToString::to_string).collect())
            }
            Ok((loaded, root)) if loaded.files.is_empty() => {
                Err(vec![format!("no *.yaml or *.yml files under {root}")])
            }
            Ok((loaded, _)) => Ok(loaded.set),
        }
    }

    async fn plan(&self, desired: &ManifestSet) -> Result<AwsPlan, Error> {
        let mut planned = observe_and_plan(&self.ctx, desired, &self.opts).await?;
        *self
            .fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = desired
            .resources()
            .iter()
            .map(|r| (r.key().to_string(), fingerprint(r)))
            .collect();
        if let Some((pricer, gauge)) = &self.pricing
            && let Some(costs) = pricer
                .price(
                    &planned
                        .places
                        .iter()
                        .map(|o| (&o.set, &o.live))
                        .collect::<Vec<_>>(),
                    &self.opts.region,
                )
                .await
        {
            budget::enforce(&mut planned.plan, desired, &costs);
            gauge.set(desired.resources().iter().filter_map(|r| {
                let now = costs
                    .get(&r.key().to_string())
                    .filter(|_| r.kind() == Kind::EcsService)?;
                Some((
                    CostLabels {
                        kind: r.kind().as_str().to_owned(),
                        name: r.name().to_owned(),
                        account: r.account.clone().unwrap_or_default(),
                        region: r.region_or(&self.opts.region).to_owned(),
                    },
                    now.before?,
                ))
            }));
            planned.costs = Some(costs);
        }
        self.read_diagnoses(&planned).await;
        self.follow_deployments().await;
        planned.warnings = self.warnings(desired).await;
        Ok(planned)
    }

    fn summarize(&self, plan: &AwsPlan) -> Vec<ResourceSummary> {
        plan.plan
            .resources
            .iter()
            .map(|rp| {
                let service = (rp.key.kind == Kind::EcsService)
                    .then(|| plan.service(&rp.place(), &rp.key.name))
                    .flatten()
                    .and_then(|s| s.service.found());
                ResourceSummary {
                    key: key_of(rp),
                    kind: rp.key.kind.as_str().to_owned(),
                    wave: wave(rp.key.kind),
                    policy: rp.drift_policy,
                    status: rp.status,
                    // Under `detect` the planner drops the actions of drift; the loop still needs to know.
                    actionable: !rp.actions.is_empty()
                        || (rp.drift_policy == DriftPolicy::Detect && rp.has_changes()),
                    deployments: service.map(|s| {
                        s.deployments
                            .iter()
                            .map(|d| Deployment {
                                status: d.status.clone(),
                                task_definition: d.task_definition.clone().unwrap_or_default(),
                                rollout_state: d
                                    .rollout_state
                                    .as_deref()
                                    .and_then(RolloutState::parse),
                                rollout_state_reason: d.rollout_state_reason.clone(),
                                running: d.running_count,
                                desired: d.desired_count,
                                failed: d.failed_tasks,
                            })
                            .collect()
                    }),
                    task_definition: service.and_then(|s| s.task_definition_arn.clone()),
                    diagnosis: self
                        .diagnoses
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get(&key_of(rp))
                        .map(|(_, lines)| lines.clone())
                        .unwrap_or_default(),
                    service_deployment: lock(&self.followed).get(&key_of(rp)).cloned(),
                    desired: self
                        .fingerprints
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get(&key_of(rp))
                        .copied(),
                }
            })
            .collect()
    }

    fn work(&self, plan: &AwsPlan, key: &str) -> Option<ResourcePlan> {
        plan.plan
            .resources
            .iter()
            .find(|rp| key_of(rp) == key)
            .cloned()
    }

    async fn apply(&self, work: ResourcePlan) -> Result<Applied, Error> {
        // Service deployments created from here on are this apply's (with slack for clock skew).
        let since = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
            - crate::service_deployment::CLOCK_SLACK.as_secs_f64();
        let outcome = crate::apply::apply_resource(&self.ctx, &work).await?;
        if let Some((cluster, name)) = work.actions.iter().find_map(|a| match a {
            Action::CreateService { cluster, name, .. }
            | Action::UpdateService { cluster, name, .. } => Some((cluster.clone(), name.clone())),
            _ => None,
        }) {
            lock(&self.watching).insert(key_of(&work), (work.place(), cluster, name, since));
        }
        Ok(Applied {
            rollout: work.actions.iter().any(|a| {
                matches!(
                    a,
                    Action::CreateService { .. } | Action::UpdateService { .. }
                )
            }),
            task_definition: outcome.task_definition,
        })
    }

    fn report(&self, plan: Option<&AwsPlan>, revision: Option<&str>, notes: &Notes) -> DriftReport {
        let now = SystemTime::now();
        let empty = Plan::default();
        let mut report = DriftReport::from_plan_at(
            plan.map_or(&empty, |p| &p.plan),
            revision.map(str::to_owned),
            now,
        );
        if let Some(costs) = plan.and_then(|p| p.costs.as_ref()) {
            report.set_costs(costs);
        }
        report.warnings = plan.map(|p| p.warnings.clone()).unwrap_or_default();
        report.rejected_revision = notes.rejected.as_ref().and_then(|r| r.revision.clone());
        report.commit = notes.commit.as_ref().map(|c| report::CommitSummary {
            time: report::rfc3339(
                std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs(u64::try_from(c.time).unwrap_or(0)),
            ),
            subject: c.subject.clone(),
        });
        if let Some(plan) = plan {
            let located: HashMap<String, String> = plan
                .places
                .iter()
                .flat_map(|o| o.set.resources())
                .map(|r| (r.key().to_string(), r.source.to_string()))
                .collect();
            for resource in &mut report.resources {
                resource.manifest = located.get(&resource.id).cloned();
            }
        }
        if let Some(entry) = source_entry(notes, &report) {
            report.resources.push(entry);
        }
        for resource in &mut report.resources {
            let Some(note) = notes.resources.get(&resource.id()) else {
                continue;
            };
            if let Some(status) = note.status {
                resource.status = status;
            }
            resource.conditions.extend(note.conditions.iter().cloned());
            resource.rollout.clone_from(&note.rollout);
        }
        // Conditions that kept their status and reason keep the time they were first seen.
        report.carry_transitions(
            &mut self
                .transitions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            now,
        );
        report.summary = Summary::of(&report.resources);
        report
    }

    fn error_label(error: &Error) -> &'static str {
        error.metric_label()
    }
}

/// The `Source/manifests` entry when the newest revision was rejected or the fetch fails.
fn source_entry(notes: &Notes, report: &DriftReport) -> Option<ResourceReport> {
    let mut conditions = Vec::new();
    if let Some(rejected) = &notes.rejected {
        let shown: Vec<&str> = rejected.errors.iter().take(5).map(String::as_str).collect();
        let more = rejected.errors.len().saturating_sub(shown.len());
        let in_force = report.revision.as_deref().map_or_else(
            || "no earlier revision was valid, so nothing is applied".to_owned(),
            |r| format!("revision {r} stays in force"),
        );
        conditions.push(Condition::new(
            "ManifestsValid",
            false,
            "RevisionRejected",
            format!(
                "revision {} was rejected with {} error(s): {}{}; {in_force}",
                rejected
                    .revision
                    .as_deref()
                    .unwrap_or("(working directory)"),
                rejected.errors.len(),
                shown.join("; "),
                if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                },
            ),
        ));
    }
    if let Some(error) = &notes.source_error {
        conditions.push(Condition::new(
            "SourceSynced",
            false,
            "FetchFailed",
            error.clone(),
        ));
    }
    if conditions.is_empty() {
        return None;
    }
    Some(ResourceReport {
        id: format!("{SOURCE_KIND}/{SOURCE_NAME}"),
        kind: SOURCE_KIND.to_owned(),
        name: SOURCE_NAME.to_owned(),
        account: None,
        region: String::new(),
        arn: None,
        status: Status::Error,
        changes: Vec::new(),
        conditions,
        cost: None,
        manifest: None,
        rollout: None,
    })
}

impl ReportView for DriftReport {
    fn json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize the report: {e}\"}}"))
    }

    fn text(&self) -> String {
        report::render_text(self)
    }

    fn markdown(&self) -> String {
        report::render_markdown(self)
    }

    fn drift(&self) -> Option<&DriftReport> {
        Some(self)
    }
}
