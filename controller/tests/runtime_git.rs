//! The `run` process end to end: a real loopback `git daemon`, the AWS emulator (moto) and the
//! controller binary. Progress is read from `/report` with bounded polling.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::time::{Duration, Instant};

use finfocus_ecs_controller::report::DriftReport;
use finfocus_ecs_controller::status::Status;
use runtime_support::{
    Controller, Emulator, Fixture, GitDaemon, TempDir, WorkTree, converged, follow_git, resource,
    unique,
};
use serde_json::json;

/// A bound generous enough for a loaded 2-core machine; convergence normally takes a few seconds.
const LIMIT: Duration = Duration::from_secs(90);

/// A repository on a loopback `git daemon`, its work tree (holding the fixture's base manifests, not yet
/// pushed) and the controller's work directory.
struct Repo {
    emu: Emulator,
    fx: Fixture,
    tree: WorkTree,
    url: String,
    workdir: TempDir,
    _daemon: GitDaemon,
}

impl Repo {
    fn new(label: &str) -> Self {
        let emu = Emulator::start();
        let fx = Fixture::new(&emu, label);
        let daemon = GitDaemon::start();
        let url = daemon.create_repo(label);
        let tree = WorkTree::new(&url);
        tree.write("manifests/base.yaml", &fx.base());
        Self {
            workdir: TempDir::new(&format!("run-{label}")),
            emu,
            fx,
            tree,
            url,
            _daemon: daemon,
        }
    }

    /// Starts `run` following `main:manifests` of the repository as a fresh instance, polling fast.
    fn run(&self) -> Controller {
        let mut args = follow_git(&self.url, &self.workdir, "1s", "2s");
        args.extend(["--retry-delay".into(), "1s".into()]);
        Controller::start(&self.emu, &unique("i"), &args)
    }
}

/// Whether a report shows `commit` in force and everything converged.
fn converged_at(commit: &str) -> impl FnMut(&DriftReport) -> bool + '_ {
    move |r| r.revision.as_deref() == Some(commit) && converged(r)
}

fn revisions(emu: &Emulator, family: &str) -> Vec<String> {
    let out = emu.ecs_call("ListTaskDefinitions", &json!({"familyPrefix": family}));
    out["taskDefinitionArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .filter(|arn| arn.contains(&format!("task-definition/{family}:")))
        .collect()
}

fn service(emu: &Emulator, cluster: &str, name: &str) -> serde_json::Value {
    let out = emu.ecs_call(
        "DescribeServices",
        &json!({"cluster": cluster, "services": [name]}),
    );
    out["services"][0].clone()
}

#[test]
fn pushed_commits_converge_and_an_image_change_registers_exactly_one_revision() {
    let repo = Repo::new("push");
    let (emu, fx, tree) = (&repo.emu, &repo.fx, &repo.tree);
    let web = format!("{}-web", fx.prefix);
    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:1.26", "enforce", None),
    );
    let first = tree.commit_and_push("web v1");

    let ctl = repo.run();
    let pushed = Instant::now();
    let report = ctl.wait_report(LIMIT, "converged at the first commit", converged_at(&first));
    eprintln!("first commit converged in {:?}", pushed.elapsed());
    assert_eq!(report.resources.len(), 3, "cluster, namespace and service");
    assert_eq!(ctl.get("/readyz").0, 200);
    assert_eq!(revisions(emu, &web).len(), 1);

    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:1.27", "enforce", None),
    );
    let second = tree.commit_and_push("web v2");
    let pushed = Instant::now();
    ctl.wait_report(
        LIMIT,
        "converged at the image change",
        converged_at(&second),
    );
    eprintln!("image change converged in {:?}", pushed.elapsed());
    let revs = revisions(emu, &web);
    assert_eq!(revs.len(), 2, "exactly one new revision: {revs:?}");
    let svc = service(emu, &fx.cluster(), &web);
    assert!(
        svc["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{web}:2")),
        "the service runs the new revision: {svc}"
    );

    // Unchanged passes register nothing more.
    let seen = report_count_after(&ctl, 3);
    assert!(seen >= 3);
    assert_eq!(revisions(emu, &web).len(), 2);

    let metrics = ctl.get("/metrics").1;
    assert!(
        metrics.contains("finfocus_controller_aws_api_calls_total{service=\"ecs\",operation=\"DescribeServices\",code=\"OK\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "finfocus_controller_reconcile_total{kind=\"EcsService\",result=\"applied\"}"
        )
    );
    assert_eq!(
        ctl.terminate(),
        Some(0),
        "SIGTERM ends the controller cleanly"
    );
}

/// Waits for `n` further reports (new `generatedAt`) and returns how many were seen.
fn report_count_after(ctl: &Controller, n: usize) -> usize {
    let mut seen = Vec::new();
    ctl.wait_report(LIMIT, "more passes", |r| {
        if seen.last() != Some(&r.generated_at) {
            seen.push(r.generated_at.clone());
        }
        seen.len() > n
    });
    seen.len() - 1
}

#[test]
fn out_of_band_changes_are_reported_under_detect_and_corrected_under_enforce() {
    let repo = Repo::new("drift");
    let (emu, fx, tree) = (&repo.emu, &repo.fx, &repo.tree);
    let enforced = format!("{}-enf", fx.prefix);
    let detected = format!("{}-det", fx.prefix);
    tree.write(
        "manifests/enf.yaml",
        &fx.service(&enforced, "nginx:1", "enforce", None),
    );
    // Created under `enforce`, then only watched: `detect` never creates.
    tree.write(
        "manifests/det.yaml",
        &fx.service(&detected, "nginx:1", "enforce", None),
    );
    let commit = tree.commit_and_push("two services");

    let ctl = repo.run();
    ctl.wait_report(LIMIT, "converged", converged_at(&commit));
    tree.write(
        "manifests/det.yaml",
        &fx.service(&detected, "nginx:1", "detect", None),
    );
    let commit = tree.commit_and_push("watch one");
    ctl.wait_report(LIMIT, "converged", converged_at(&commit));

    for name in [&enforced, &detected] {
        emu.ecs_call(
            "UpdateService",
            &json!({"cluster": fx.cluster(), "service": name, "desiredCount": 3}),
        );
    }
    let report = ctl.wait_report(LIMIT, "drift reported and corrected", |r| {
        let det = resource(r, "EcsService", &detected).unwrap();
        det.status == Status::Drifted
            && det.changes.iter().any(|c| c.path.contains("desiredCount"))
            && resource(r, "EcsService", &enforced).is_some_and(|e| e.changes.is_empty())
    });
    let det = resource(&report, "EcsService", &detected).unwrap();
    assert!(
        det.conditions.iter().any(|c| c.kind == "DriftPolicy"),
        "{det:?}"
    );
    assert_eq!(
        service(emu, &fx.cluster(), &enforced)["desiredCount"],
        1,
        "enforce corrected it"
    );
    assert_eq!(
        service(emu, &fx.cluster(), &detected)["desiredCount"],
        3,
        "detect left it alone"
    );
    assert!(
        ctl.get("/metrics")
            .1
            .contains("finfocus_controller_drifted_resources{kind=\"EcsService\"} 1"),
        "the detected drift is in the gauge"
    );
    let markdown = ctl.get("/report?format=markdown").1;
    assert!(markdown.contains(&detected), "{markdown}");
    assert_eq!(ctl.terminate(), Some(0));
}

#[test]
fn an_invalid_commit_is_reported_and_the_previous_revision_stays_enforced() {
    let repo = Repo::new("bad");
    let (emu, fx, tree) = (&repo.emu, &repo.fx, &repo.tree);
    let web = format!("{}-web", fx.prefix);
    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:1", "enforce", None),
    );
    let good = tree.commit_and_push("good");

    let ctl = repo.run();
    ctl.wait_report(LIMIT, "converged", converged_at(&good));

    // An image change plus a typo in the same commit: nothing of it may be applied.
    let broken = fx
        .service(&web, "nginx:2", "enforce", None)
        .replace("desiredCount: 1", "desiredCount: 1\n    desiredCont: 2");
    tree.write("manifests/web.yaml", &broken);
    let bad = tree.commit_and_push("typo");
    let report = ctl.wait_report(LIMIT, "the bad commit reported", |r| {
        resource(r, "Source", "manifests").is_some_and(|s| {
            s.conditions
                .iter()
                .any(|c| c.reason == "RevisionRejected" && c.message.contains(&bad))
        })
    });
    assert_eq!(
        report.revision.as_deref(),
        Some(good.as_str()),
        "the good revision stays in force"
    );
    let message = &resource(&report, "Source", "manifests").unwrap().conditions[0].message;
    assert!(
        message.contains("desiredCont"),
        "the error names the field: {message}"
    );
    assert_eq!(
        revisions(emu, &web).len(),
        1,
        "nothing of the bad commit was applied"
    );

    // The previous revision keeps being enforced.
    emu.ecs_call(
        "UpdateService",
        &json!({"cluster": fx.cluster(), "service": web, "desiredCount": 5}),
    );
    let deadline = Instant::now() + LIMIT;
    while service(emu, &fx.cluster(), &web)["desiredCount"] != 1 {
        assert!(
            Instant::now() < deadline,
            "drift not corrected:\n{}",
            ctl.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(revisions(emu, &web).len(), 1);
    assert!(
        service(emu, &fx.cluster(), &web)["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with(":1")
    );

    // Fixing the commit clears the condition and applies the image change.
    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:2", "enforce", None),
    );
    let fixed = tree.commit_and_push("fixed");
    ctl.wait_report(LIMIT, "converged at the fix", |r| {
        r.revision.as_deref() == Some(fixed.as_str())
            && converged(r)
            && resource(r, "Source", "manifests").is_none()
    });
    assert_eq!(revisions(emu, &web).len(), 2);
    assert_eq!(ctl.terminate(), Some(0));
}

#[test]
fn one_failing_service_does_not_stop_the_others() {
    let repo = Repo::new("fail");
    let (emu, fx, tree) = (&repo.emu, &repo.fx, &repo.tree);
    let good = format!("{}-good", fx.prefix);
    let bad = format!("{}-bad", fx.prefix);
    let nowhere = format!("{}-nowhere", fx.prefix);
    tree.write(
        "manifests/good.yaml",
        &fx.service(&good, "nginx:1", "enforce", None),
    );
    tree.write(
        "manifests/bad.yaml",
        &fx.service(&bad, "nginx:1", "enforce", Some(&nowhere)),
    );
    let commit = tree.commit_and_push("one bad");

    let ctl = repo.run();
    let report = ctl.wait_report(
        LIMIT,
        "the good service converged and the bad one failed",
        |r| {
            r.revision.as_deref() == Some(commit.as_str())
                && resource(r, "EcsService", &good).is_some_and(|g| {
                    matches!(g.status.as_str(), "InSync" | "Progressing") && g.changes.is_empty()
                })
                && resource(r, "EcsService", &bad).is_some_and(|b| b.status == Status::Error)
        },
    );
    assert_eq!(service(emu, &fx.cluster(), &good)["status"], "ACTIVE");
    let b = resource(&report, "EcsService", &bad).unwrap();
    assert!(!b.conditions.is_empty(), "the failure is explained: {b:?}");
    assert_eq!(ctl.terminate(), Some(0));
}
