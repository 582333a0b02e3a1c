//! The loop driven by a fake engine under paused tokio time: every timing below is exact virtual time.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use tokio::time::Instant;

use super::*;
use crate::manifest::DriftPolicy;
use crate::metrics::Metrics;
use crate::rollout::RolloutState;
use crate::source::SourceState;
use crate::status::{Condition, Status};

#[derive(Debug, Clone)]
struct Res {
    key: String,
    kind: String,
    wave: u8,
    policy: DriftPolicy,
    version: u32,
}

fn res(key: &str, version: u32) -> Res {
    Res {
        key: key.to_owned(),
        kind: "EcsService".to_owned(),
        wave: 1,
        policy: DriftPolicy::Enforce,
        version,
    }
}

#[derive(Debug, Clone)]
struct FakeReport {
    revision: Option<String>,
    statuses: HashMap<String, String>,
    notes: Notes,
}

impl FakeReport {
    /// The loop's condition of type `kind` on resource `key`; panics when there is none.
    fn condition(&self, key: &str, kind: &str) -> &Condition {
        self.notes.resources[key]
            .conditions
            .iter()
            .find(|c| c.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} condition on {key}: {:?}", self.notes))
    }

    /// The rollout the loop reports for `key`; panics when there is none.
    fn rollout(&self, key: &str) -> &crate::report::RolloutReport {
        self.notes.resources[key]
            .rollout
            .as_ref()
            .unwrap_or_else(|| panic!("no rollout on {key}: {:?}", self.notes))
    }
}

impl ReportView for FakeReport {
    fn json(&self) -> String {
        format!("{{\"revision\":{:?}}}", self.revision)
    }
    fn text(&self) -> String {
        format!("{:?}", self.statuses)
    }
    fn markdown(&self) -> String {
        String::new()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("fake failure of {0}")]
struct FakeError(String);

struct World {
    start: Instant,
    revisions: HashMap<String, Result<Vec<Res>, Vec<String>>>,
    live: HashMap<String, u32>,
    /// Remaining failures per key (`u32::MAX`: always).
    fail: HashMap<String, u32>,
    apply_delay: Duration,
    applies: Vec<(String, Duration)>,
    running: usize,
    max_running: usize,
    plans: usize,
    deployments: HashMap<String, Vec<Deployment>>,
    applied_td: HashMap<String, String>,
    /// What the live service runs, as observed (for engines that do not report it from the apply).
    observed_td: HashMap<String, String>,
    /// Why a resource's failed deployment failed, as the engine read it.
    diagnosis: HashMap<String, Vec<String>>,
    /// The service deployment the engine follows for a resource.
    service_deployments: HashMap<String, crate::service_deployment::ServiceDeployment>,
    reports: Vec<FakeReport>,
}

struct Fake {
    world: Mutex<World>,
}

impl Fake {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            world: Mutex::new(World {
                start: Instant::now(),
                revisions: HashMap::new(),
                live: HashMap::new(),
                fail: HashMap::new(),
                apply_delay: Duration::ZERO,
                applies: Vec::new(),
                running: 0,
                max_running: 0,
                plans: 0,
                deployments: HashMap::new(),
                applied_td: HashMap::new(),
                observed_td: HashMap::new(),
                diagnosis: HashMap::new(),
                service_deployments: HashMap::new(),
                reports: Vec::new(),
            }),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock().unwrap())
    }

    fn last_report(&self) -> FakeReport {
        self.with(|w| w.reports.last().cloned().expect("a report was published"))
    }

    fn attempts(&self, key: &str) -> Vec<Duration> {
        self.with(|w| {
            w.applies
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, at)| *at)
                .collect()
        })
    }
}

impl Engine for Fake {
    type Desired = Vec<Res>;
    type Plan = Vec<(Res, Option<u32>)>;
    type Work = Res;
    type Report = FakeReport;
    type Error = FakeError;

    async fn load(&self, snapshot: Snapshot) -> Result<Vec<Res>, Vec<String>> {
        let revision = snapshot.revision.unwrap_or_default();
        self.with(|w| {
            w.revisions
                .get(&revision)
                .cloned()
                .unwrap_or_else(|| Err(vec![format!("unknown revision {revision}")]))
        })
    }

    async fn plan(&self, desired: &Vec<Res>) -> Result<Self::Plan, FakeError> {
        self.with(|w| {
            w.plans += 1;
            Ok(desired
                .iter()
                .map(|r| (r.clone(), w.live.get(&r.key).copied()))
                .collect())
        })
    }

    fn summarize(&self, plan: &Self::Plan) -> Vec<ResourceSummary> {
        self.with(|w| {
            plan.iter()
                .map(|(r, live)| {
                    let status = match live {
                        None => Status::Missing,
                        Some(v) if *v == r.version => Status::InSync,
                        Some(_) => Status::Drifted,
                    };
                    ResourceSummary {
                        key: r.key.clone(),
                        kind: r.kind.clone(),
                        wave: r.wave,
                        policy: r.policy,
                        status,
                        actionable: status != Status::InSync,
                        deployments: w.deployments.get(&r.key).cloned(),
                        task_definition: w.observed_td.get(&r.key).cloned(),
                        diagnosis: w.diagnosis.get(&r.key).cloned().unwrap_or_default(),
                        desired: Some(u64::from(r.version)),
                        service_deployment: w.service_deployments.get(&r.key).cloned(),
                    }
                })
                .collect()
        })
    }

    fn work(&self, plan: &Self::Plan, key: &str) -> Option<Res> {
        plan.iter()
            .find(|(r, _)| r.key == key)
            .map(|(r, _)| r.clone())
    }

    async fn apply(&self, work: Res) -> Result<Applied, FakeError> {
        let delay = self.with(|w| {
            w.running += 1;
            w.max_running = w.max_running.max(w.running);
            let at = Instant::now() - w.start;
            w.applies.push((work.key.clone(), at));
            w.apply_delay
        });
        tokio::time::sleep(delay).await;
        self.with(|w| {
            w.running -= 1;
            if let Some(left) = w.fail.get_mut(&work.key)
                && *left > 0
            {
                if *left != u32::MAX {
                    *left -= 1;
                }
                return Err(FakeError(work.key.clone()));
            }
            w.live.insert(work.key.clone(), work.version);
            Ok(Applied {
                rollout: w.applied_td.contains_key(&work.key)
                    || w.observed_td.contains_key(&work.key),
                task_definition: w.applied_td.get(&work.key).cloned(),
            })
        })
    }

    fn report(
        &self,
        plan: Option<&Self::Plan>,
        revision: Option<&str>,
        notes: &Notes,
    ) -> FakeReport {
        let statuses = plan
            .map(|p| {
                self.summarize(p)
                    .into_iter()
                    .map(|s| {
                        let status = notes
                            .resources
                            .get(&s.key)
                            .and_then(|n| n.status)
                            .unwrap_or(s.status);
                        (s.key, status.as_str().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let report = FakeReport {
            revision: revision.map(str::to_owned),
            statuses,
            notes: notes.clone(),
        };
        self.with(|w| w.reports.push(report.clone()));
        report
    }

    fn error_label(_: &FakeError) -> &'static str {
        "fake"
    }
}

/// The revision the rollout tests deploy, and the one it replaces.
const OURS: &str = "arn:aws:ecs:us-east-1:1:task-definition/web:2";
const OLD: &str = "arn:aws:ecs:us-east-1:1:task-definition/web:1";

fn deployment(status: &str, task_definition: &str, state: RolloutState) -> Deployment {
    Deployment {
        status: status.to_owned(),
        task_definition: task_definition.to_owned(),
        rollout_state: Some(state),
        rollout_state_reason: None,
        running: 0,
        desired: 1,
        failed: 0,
    }
}

fn snapshot(revision: &str) -> Snapshot {
    let mut s = Snapshot::live(PathBuf::from("/nonexistent"));
    s.revision = Some(revision.to_owned());
    s
}

struct Harness {
    source: watch::Sender<SourceState>,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<RunSummary>,
    reports: ReportReceiver,
    metrics: Arc<Metrics>,
}

impl Harness {
    fn start(fake: &Arc<Fake>, opts: RuntimeOptions, revision: &str) -> Self {
        let mut state = SourceState::default();
        state.set_snapshot(snapshot(revision));
        let (source, rx) = watch::channel(state);
        let (trigger, shutdown) = Shutdown::channel();
        let (reports_tx, reports) = watch::channel(None);
        let metrics = Arc::new(Metrics::new());
        let task = tokio::spawn(run(
            Arc::clone(fake),
            rx,
            opts,
            Arc::clone(&metrics),
            reports_tx,
            shutdown,
        ));
        Self {
            source,
            trigger,
            task,
            reports,
            metrics,
        }
    }

    /// Like [`Harness::start`], but the source has published nothing yet.
    fn start_empty(fake: &Arc<Fake>) -> Self {
        let h = Self::start(fake, opts(), "unused");
        h.source.send_replace(SourceState::default());
        h
    }

    fn publish(&self, revision: &str) {
        self.source
            .send_modify(|s| s.set_snapshot(snapshot(revision)));
    }

    async fn stop(self) -> RunSummary {
        self.trigger.trigger();
        self.task.await.unwrap()
    }
}

fn opts() -> RuntimeOptions {
    RuntimeOptions {
        resync: Duration::from_secs(3600),
        max_concurrent: 4,
        backoff: Backoff {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(60),
        },
        drain_timeout: Duration::from_secs(30),
        settle: Duration::from_secs(1),
    }
}

#[tokio::test(start_paused = true)]
async fn converges_then_reports_in_sync_and_is_ready() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions
            .insert("r1".into(), Ok(vec![res("a", 1), res("b", 1)]));
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(5)).await;

    assert!(h.reports.borrow().is_some(), "ready after the first pass");
    assert_eq!(fake.attempts("a").len(), 1);
    assert_eq!(fake.attempts("b").len(), 1);
    let report = fake.last_report();
    assert_eq!(report.revision.as_deref(), Some("r1"));
    assert_eq!(report.statuses["a"], "InSync");
    assert_eq!(report.statuses["b"], "InSync");
    // The first pass applied, the follow-up pass (after `settle`) observed the result.
    assert_eq!(fake.with(|w| w.plans), 2);
    let metrics = h.metrics.encode().unwrap();
    assert!(
        metrics.contains(
            "finfocus_controller_reconcile_total{kind=\"EcsService\",result=\"applied\"} 2"
        ),
        "{metrics}"
    );
    let summary = h.stop().await;
    assert_eq!(summary.passes, 2);
}

#[tokio::test(start_paused = true)]
async fn resyncs_on_the_interval_and_corrects_out_of_band_drift() {
    let fake = Fake::new();
    fake.with(|w| w.revisions.insert("r1".into(), Ok(vec![res("a", 1)])));
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(fake.attempts("a").len(), 1);

    // Someone changes the service by hand; nothing happens until the resync.
    fake.with(|w| w.live.insert("a".into(), 99));
    tokio::time::sleep(Duration::from_secs(3000)).await;
    assert_eq!(fake.attempts("a").len(), 1);
    tokio::time::sleep(Duration::from_secs(700)).await;
    assert_eq!(fake.attempts("a").len(), 2, "the resync pass corrects it");
    assert_eq!(fake.with(|w| w.live["a"]), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_failing_resource_backs_off_exponentially_while_others_converge() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert(
            "r1".into(),
            Ok(vec![res("bad", 1), res("good1", 1), res("good2", 1)]),
        );
        w.fail.insert("bad".into(), u32::MAX);
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(100)).await;

    let attempts = fake.attempts("bad");
    let gaps: Vec<u64> = attempts
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs())
        .collect();
    assert_eq!(gaps, [5, 10, 20, 40], "attempts at {attempts:?}");
    assert_eq!(fake.attempts("good1").len(), 1);
    assert_eq!(fake.attempts("good2").len(), 1);

    let report = fake.last_report();
    assert_eq!(report.statuses["good1"], "InSync");
    assert_eq!(report.statuses["bad"], "Error");
    let cond = report.condition("bad", "Applied");
    assert_eq!(cond.reason, "BackingOff");
    assert!(
        cond.message.contains("fake failure of bad"),
        "{}",
        cond.message
    );

    let metrics = h.metrics.encode().unwrap();
    assert!(
        metrics.contains(
            "finfocus_controller_reconcile_errors_total{kind=\"EcsService\",error=\"fake\"} 5"
        ),
        "{metrics}"
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn backoff_resets_after_a_success() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("a", 1)]));
        w.revisions.insert("r2".into(), Ok(vec![res("a", 2)]));
        w.fail.insert("a".into(), 2);
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(60)).await;
    let attempts = fake.attempts("a");
    assert_eq!(
        attempts.len(),
        3,
        "two failures then a success: {attempts:?}"
    );
    assert_eq!((attempts[2] - attempts[1]).as_secs(), 10);

    // A new failure after the success starts again from the initial delay.
    fake.with(|w| w.fail.insert("a".into(), 1));
    h.publish("r2");
    tokio::time::sleep(Duration::from_secs(30)).await;
    let attempts = fake.attempts("a");
    assert_eq!(attempts.len(), 5, "{attempts:?}");
    assert_eq!((attempts[4] - attempts[3]).as_secs(), 5);
    assert_eq!(fake.with(|w| w.live["a"]), 2);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded() {
    let fake = Fake::new();
    let many: Vec<Res> = (0..10).map(|i| res(&format!("s{i}"), 1)).collect();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(many));
        w.apply_delay = Duration::from_secs(10);
    });
    let mut o = opts();
    o.max_concurrent = 3;
    let h = Harness::start(&fake, o, "r1");
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(fake.with(|w| w.max_running), 3);
    assert_eq!(fake.with(|w| w.live.len()), 10, "every resource converged");
    assert!(fake.last_report().statuses.values().all(|s| s == "InSync"));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_resource_does_not_hold_back_passes_or_others() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("slow", 1)]));
        w.revisions
            .insert("r2".into(), Ok(vec![res("slow", 1), res("quick", 1)]));
        w.apply_delay = Duration::from_secs(600);
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.last_report().statuses["slow"], "Progressing");
    fake.with(|w| w.apply_delay = Duration::ZERO);
    h.publish("r2");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(fake.with(|w| w.live.get("quick").copied()), Some(1));
    assert_eq!(fake.last_report().statuses["slow"], "Progressing");
    assert_eq!(
        fake.attempts("slow").len(),
        1,
        "never applied twice at once"
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn dependencies_apply_first() {
    let fake = Fake::new();
    let mut ns = res("ns", 1);
    ns.kind = "CloudMapNamespace".into();
    ns.wave = 0;
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("svc", 1), ns]));
        w.apply_delay = Duration::from_secs(30);
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(120)).await;
    let ns_at = fake.attempts("ns");
    let svc_at = fake.attempts("svc");
    assert_eq!((ns_at.len(), svc_at.len()), (1, 1));
    assert!(
        svc_at[0] >= ns_at[0] + Duration::from_secs(30),
        "the service starts after its namespace finished: ns {ns_at:?}, svc {svc_at:?}"
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn detect_policy_reports_drift_without_applying() {
    let fake = Fake::new();
    let mut watched = res("watched", 1);
    watched.policy = DriftPolicy::Detect;
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![watched]));
        w.live.insert("watched".into(), 7);
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(fake.attempts("watched").is_empty());
    let report = fake.last_report();
    assert_eq!(report.statuses["watched"], "Drifted");
    assert_eq!(
        report.notes.resources["watched"],
        ResourceNote::default(),
        "the plan explains detect-only drift; the loop adds nothing"
    );
    let metrics = h.metrics.encode().unwrap();
    assert!(
        metrics.contains("finfocus_controller_drifted_resources{kind=\"EcsService\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("result=\"drift_detected\""), "{metrics}");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn detect_policy_never_creates_a_missing_resource() {
    let fake = Fake::new();
    let mut watched = res("watched", 1);
    watched.policy = DriftPolicy::Detect;
    fake.with(|w| w.revisions.insert("r1".into(), Ok(vec![watched])));
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(fake.attempts("watched").is_empty());
    assert_eq!(fake.last_report().statuses["watched"], "Missing");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_rejected_revision_keeps_the_last_good_one_in_force() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("good".into(), Ok(vec![res("a", 1)]));
        w.revisions.insert(
            "bad".into(),
            Err(vec!["a.yaml:3:5: unknown field `imgae`".into()]),
        );
    });
    let h = Harness::start(&fake, opts(), "good");
    tokio::time::sleep(Duration::from_secs(5)).await;
    h.publish("bad");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let report = fake.last_report();
    assert_eq!(report.revision.as_deref(), Some("good"));
    let rejected = report
        .notes
        .rejected
        .clone()
        .expect("the bad revision is reported");
    assert_eq!(rejected.revision.as_deref(), Some("bad"));
    assert_eq!(rejected.errors, ["a.yaml:3:5: unknown field `imgae`"]);

    // Out-of-band drift is still corrected to the good revision.
    fake.with(|w| w.live.insert("a".into(), 5));
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(fake.with(|w| w.live["a"]), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_first_revision_that_is_invalid_is_reported_and_nothing_applied() {
    let fake = Fake::new();
    fake.with(|w| w.revisions.insert("bad".into(), Err(vec!["broken".into()])));
    let h = Harness::start(&fake, opts(), "bad");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        h.reports.borrow().is_some(),
        "a report (of the rejection) is still published"
    );
    let report = fake.last_report();
    assert_eq!(report.revision, None);
    assert!(report.notes.rejected.is_some());
    assert_eq!(fake.with(|w| w.plans), 0, "nothing is observed or applied");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_lets_applies_in_flight_finish() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("a", 1)]));
        w.apply_delay = Duration::from_secs(10);
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.with(|w| w.running), 1);
    let started = Instant::now();
    let summary = h.stop().await;
    assert_eq!(summary.drained, 1);
    assert_eq!(summary.aborted, 0);
    assert_eq!(
        fake.with(|w| w.live.get("a").copied()),
        Some(1),
        "the apply completed"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(8));
}

#[tokio::test(start_paused = true)]
async fn shutdown_aborts_applies_that_overrun_the_drain_timeout() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("a", 1)]));
        w.apply_delay = Duration::from_secs(100);
    });
    let mut o = opts();
    o.drain_timeout = Duration::from_secs(5);
    let h = Harness::start(&fake, o, "r1");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    let summary = h.stop().await;
    assert_eq!((summary.drained, summary.aborted), (0, 1));
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn rollouts_are_tracked_until_they_complete_or_roll_back() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("web", 2)]));
        w.live.insert("web".into(), 1);
        w.applied_td.insert("web".into(), OURS.into());
        w.deployments.insert(
            "web".into(),
            vec![deployment("PRIMARY", OURS, RolloutState::InProgress)],
        );
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let report = fake.last_report();
    assert_eq!(report.statuses["web"], "Progressing");
    let rollout = report.rollout("web");
    assert_eq!(
        (rollout.state.as_str(), rollout.running, rollout.desired),
        ("IN_PROGRESS", 0, 1)
    );

    // Still rolling out on the next pass.
    h.publish("r1");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.last_report().statuses["web"], "Progressing");

    // ECS's circuit breaker rolls back: the primary deployment runs the old revision again.
    fake.with(|w| {
        w.deployments.insert(
            "web".into(),
            vec![
                deployment("PRIMARY", OLD, RolloutState::InProgress),
                deployment("ACTIVE", OURS, RolloutState::Failed),
            ],
        );
        w.diagnosis.insert(
            "web".into(),
            vec!["task stopped: TaskFailedToStart: CannotPullContainerError: not found".into()],
        );
    });
    h.publish("r1");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = fake.last_report();
    assert_eq!(report.statuses["web"], "Error");
    let degraded = report.condition("web", "Degraded");
    assert_eq!(degraded.reason, "RolledBack");
    assert!(
        degraded.message.contains("web:1 instead of web:2"),
        "{}",
        degraded.message
    );
    // Why it failed is part of the condition, and of the rollout of our revision.
    assert!(
        degraded
            .message
            .contains("CannotPullContainerError: not found"),
        "{}",
        degraded.message
    );
    let rollout = report.rollout("web");
    assert_eq!(rollout.state, "FAILED");
    assert!(
        rollout.why[0].contains("CannotPullContainerError"),
        "{rollout:?}"
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_completed_rollout_is_in_sync() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("web", 2)]));
        w.applied_td.insert("web".into(), OURS.into());
        w.deployments.insert(
            "web".into(),
            vec![deployment("PRIMARY", OURS, RolloutState::InProgress)],
        );
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(fake.last_report().statuses["web"], "Progressing");
    fake.with(|w| {
        if let Some(d) = w.deployments.get_mut("web") {
            d[0].rollout_state = Some(RolloutState::Completed);
        }
    });
    h.publish("r1");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.last_report().statuses["web"], "InSync");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_task_definition_an_apply_reports_is_tracked_even_if_the_next_observation_differs() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("web", 2)]));
        w.live.insert("web".into(), 1);
        w.applied_td.insert("web".into(), OURS.into());
        // By the first pass after the apply, the circuit breaker already put the old revision back:
        // judged by what it observes, the loop would call the rollout complete.
        w.observed_td.insert("web".into(), OLD.into());
        w.deployments.insert(
            "web".into(),
            vec![
                deployment("PRIMARY", OLD, RolloutState::Completed),
                deployment("ACTIVE", OURS, RolloutState::Failed),
            ],
        );
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let report = fake.last_report();
    assert_eq!(report.statuses["web"], "Error");
    let degraded = report.condition("web", "Degraded");
    assert_eq!(degraded.reason, "RolledBack");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_rollout_target_can_come_from_the_next_observation() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("web", 2)]));
        w.live.insert("web".into(), 1);
        w.observed_td.insert("web".into(), OURS.into());
        w.deployments.insert(
            "web".into(),
            vec![deployment("PRIMARY", OURS, RolloutState::InProgress)],
        );
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(fake.last_report().statuses["web"], "Progressing");
    // The circuit breaker puts the old revision back on the service and in the primary deployment.
    fake.with(|w| {
        w.observed_td.insert("web".into(), OLD.into());
        if let Some(d) = w.deployments.get_mut("web") {
            d[0].task_definition = OLD.into();
            d[0].rollout_state = Some(RolloutState::Completed);
        }
    });
    h.publish("r1");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = fake.last_report();
    assert_eq!(report.statuses["web"], "Error");
    assert!(
        report.notes.resources["web"]
            .conditions
            .iter()
            .any(|c| c.kind == "Degraded")
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn drift_during_a_rollout_is_still_reported_as_drift() {
    let ours = "arn:aws:ecs:us-east-1:1:task-definition/web:1";
    let fake = Fake::new();
    let mut watched = res("web", 1);
    watched.policy = DriftPolicy::Detect;
    fake.with(|w| {
        // Created under `enforce`; the next revision only watches it (`detect` never creates).
        w.revisions.insert("r1".into(), Ok(vec![res("web", 1)]));
        w.revisions.insert("r2".into(), Ok(vec![watched]));
        w.applied_td.insert("web".into(), ours.into());
        w.deployments.insert(
            "web".into(),
            vec![deployment("PRIMARY", ours, RolloutState::InProgress)],
        );
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        fake.last_report().statuses["web"],
        "Progressing",
        "created, rolling out"
    );
    fake.with(|w| w.live.insert("web".into(), 9));
    h.publish("r2");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = fake.last_report();
    assert_eq!(report.statuses["web"], "Drifted");
    assert!(
        report.notes.resources["web"]
            .conditions
            .iter()
            .any(|c| c.kind == "Progressing")
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn nothing_is_reported_before_the_source_delivers() {
    let fake = Fake::new();
    fake.with(|w| w.revisions.insert("r1".into(), Ok(vec![res("a", 1)])));
    let h = Harness::start_empty(&fake);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(h.reports.borrow().is_none(), "not ready without a snapshot");
    assert_eq!(fake.with(|w| w.plans), 0);

    h.source
        .send_modify(|s| s.error = Some("git fetch failed: timeout".into()));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        h.reports.borrow().is_some(),
        "a failing source is worth a report"
    );
    assert_eq!(
        fake.last_report().notes.source_error.as_deref(),
        Some("git fetch failed: timeout")
    );

    h.publish("r1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(fake.last_report().revision.as_deref(), Some("r1"));
    assert_eq!(fake.with(|w| w.live.get("a").copied()), Some(1));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_rolled_back_revision_is_held_until_the_manifest_changes() {
    let fake = Fake::new();
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("web", 2)]));
        w.revisions.insert("r2".into(), Ok(vec![res("web", 3)]));
        w.live.insert("web".into(), 1);
        w.applied_td.insert("web".into(), OURS.into());
        w.deployments.insert(
            "web".into(),
            vec![deployment("PRIMARY", OURS, RolloutState::InProgress)],
        );
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(fake.attempts("web").len(), 1);
    // The circuit breaker puts the old revision back: the service drifts from the manifest again.
    fake.with(|w| {
        w.live.insert("web".into(), 1);
        w.deployments.insert(
            "web".into(),
            vec![
                deployment("PRIMARY", OLD, RolloutState::Completed),
                deployment("ACTIVE", OURS, RolloutState::Failed),
            ],
        );
    });
    // Many passes, far past any backoff: the same manifest is not applied again.
    for _ in 0..10 {
        h.publish("r1");
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    assert_eq!(
        fake.attempts("web").len(),
        1,
        "the rolled-back revision was redeployed"
    );
    let report = fake.last_report();
    assert_eq!(report.statuses["web"], "Error");
    let held = report.condition("web", "Degraded");
    assert_eq!(held.reason, "RolledBack");
    assert!(
        held.message
            .contains("not deployed again until the manifest changes"),
        "{}",
        held.message
    );
    // A new manifest is applied at once.
    h.publish("r2");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.attempts("web").len(), 2);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_service_deployment_is_judged_before_deployments_and_its_rollback_held() {
    use crate::service_deployment::ServiceDeployment;
    let fake = Fake::new();
    let going = |status: &str, stage: &str| ServiceDeployment {
        status: status.into(),
        stage: Some(stage.into()),
        strategy: Some("BLUE_GREEN".into()),
        tasks: (2, 1, 1),
        status_reason: Some(
            "lifecycle hook arn:aws:lambda:us-east-1:1:function:check failed".into(),
        ),
        ..ServiceDeployment::default()
    };
    fake.with(|w| {
        w.revisions.insert("r1".into(), Ok(vec![res("web", 2)]));
        w.live.insert("web".into(), 1);
        w.applied_td.insert("web".into(), OURS.into());
        // deployments[] alone would call the rollout complete.
        w.deployments.insert(
            "web".into(),
            vec![deployment("PRIMARY", OURS, RolloutState::Completed)],
        );
        w.service_deployments
            .insert("web".into(), going("IN_PROGRESS", "TEST_TRAFFIC_SHIFT"));
    });
    let h = Harness::start(&fake, opts(), "r1");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let report = fake.last_report();
    assert_eq!(report.statuses["web"], "Progressing");
    assert!(
        report
            .condition("web", "Progressing")
            .message
            .contains("at TEST_TRAFFIC_SHIFT"),
        "{:?}",
        report.notes
    );
    let rollout = report.rollout("web");
    assert_eq!(
        (
            rollout.strategy.as_deref(),
            rollout.stage.as_deref(),
            rollout.running,
            rollout.desired
        ),
        (Some("BLUE_GREEN"), Some("TEST_TRAFFIC_SHIFT"), 1, 2)
    );
    fake.with(|w| {
        w.live.insert("web".into(), 1);
        w.service_deployments.insert(
            "web".into(),
            going("ROLLBACK_SUCCESSFUL", "TEST_TRAFFIC_SHIFT"),
        );
    });
    for _ in 0..5 {
        h.publish("r1");
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let report = fake.last_report();
    let degraded = report.condition("web", "Degraded");
    assert_eq!(degraded.reason, "RolledBack");
    assert!(
        degraded.message.contains("function:check"),
        "{}",
        degraded.message
    );
    assert_eq!(
        fake.attempts("web").len(),
        1,
        "the rolled-back revision was redeployed"
    );
    h.stop().await;
}
