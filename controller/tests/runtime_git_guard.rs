//! Hostile commits against the `run` process (issue 16): a real loopback `git daemon`, the AWS
//! emulator (moto) and the controller binary. Each commit a committer could use to read the
//! controller's disk or exhaust its memory is rejected as a whole; the controller keeps serving,
//! the last good revision stays in force, and its peak RSS stays under 100 MB.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

use finfocus_ecs_controller::report::DriftReport;
use runtime_support::{
    Controller, Emulator, Fixture, GitDaemon, TempDir, WorkTree, converged, follow_git, resource,
    unique,
};

/// A bound generous enough for a loaded 2-core machine; convergence normally takes a few seconds.
const LIMIT: Duration = Duration::from_secs(90);
/// Content of a file outside the repository; it must never reach the report.
const SECRET: &str = "hunter2-do-not-show";
/// The bound on the controller's memory.
const MAX_RSS_KB: u64 = 100 * 1024;

/// Whether a report shows `commit` in force and everything converged.
fn converged_at(commit: &str) -> impl FnMut(&DriftReport) -> bool + '_ {
    move |r| r.revision.as_deref() == Some(commit) && converged(r)
}

/// The rejection message of `commit`, once the report shows it.
fn rejection(r: &DriftReport, commit: &str) -> Option<String> {
    resource(r, "Source", "manifests")?
        .conditions
        .iter()
        .find(|c| c.reason == "RevisionRejected" && c.message.contains(commit))
        .map(|c| c.message.clone())
}

/// A `/proc/<pid>/status` field in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Ten anchors, each a list of ten uses of the previous one (10^9 scalars once expanded), in a
/// document of an unknown kind whose `spec` the loader skips event by event.
fn alias_bomb() -> String {
    let mut yaml = String::from(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: Bomb\nmetadata: {name: bomb}\nspec:\n  a0: &a0 [lol]\n",
    );
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let uses = [prev.as_str(); 10].join(", ");
        yaml.push_str(&format!("  a{i}: &a{i} [{uses}]\n"));
    }
    yaml
}

#[test]
fn hostile_commits_are_rejected_while_the_last_good_revision_stays_in_force() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "hostile");
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("hostile");
    let tree = WorkTree::new(&url);
    let web = format!("{}-web", fx.prefix);
    tree.write("manifests/base.yaml", &fx.base());
    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:1", "enforce", None),
    );
    let good = tree.commit_and_push("good");

    let outside = TempDir::new("hostile-outside");
    outside.write("secret.yaml", &format!("{SECRET}: {SECRET}\n"));
    let workdir = TempDir::new("run-hostile");
    let ctl = Controller::start(
        &emu,
        &unique("i"),
        &follow_git(&url, &workdir, "250ms", "2s"),
    );
    ctl.wait_report(LIMIT, "converged at the good commit", converged_at(&good));

    let link = |target: &str, name: &str| {
        symlink(target, tree.path().join("manifests").join(name)).unwrap();
    };
    let secret = outside.path().join("secret.yaml").display().to_string();
    type Case<'a> = (&'a str, Box<dyn Fn() + 'a>, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "a symlink out of the repository",
            Box::new(|| link(&secret, "evil.yaml")),
            "evil.yaml",
            "resolves outside the source root",
        ),
        (
            "a symlink to /dev/zero",
            Box::new(|| link("/dev/zero", "zero.yaml")),
            "zero.yaml",
            "resolves outside the source root",
        ),
        (
            "an oversized file",
            Box::new(|| {
                tree.write(
                    "manifests/big.yaml",
                    &format!("# {}\n", "x".repeat(5 << 20)),
                )
            }),
            "big.yaml",
            "file is larger than 4194304 bytes (limit: --max-file-bytes)",
        ),
        (
            "too many documents",
            Box::new(|| tree.write("manifests/many.yaml", &"---\n{}\n".repeat(1001))),
            "many.yaml",
            "more than 1000 documents in this file",
        ),
        (
            "an alias bomb",
            Box::new(|| tree.write("manifests/bomb.yaml", &alias_bomb())),
            "bomb.yaml",
            "alias replay limit exceeded",
        ),
    ];
    for (what, plant, file, expected) in &cases {
        plant();
        let bad = tree.commit_and_push(what);
        let pushed = Instant::now();
        let report = ctl.wait_report(LIMIT, &format!("{what} rejected"), |r| {
            rejection(r, &bad).is_some()
        });
        let took = pushed.elapsed();
        let message = rejection(&report, &bad).unwrap();
        eprintln!("{what}: rejected {took:?} after the push: {message}");
        assert_eq!(
            report.revision.as_deref(),
            Some(good.as_str()),
            "{what}: the good revision stays in force"
        );
        assert!(
            message.contains(file) && message.contains(expected),
            "{what}: {message}"
        );
        assert!(
            !message.contains(SECRET),
            "{what}: foreign content: {message}"
        );
        assert!(
            !ctl.logs().contains(SECRET),
            "{what}: foreign content in the log"
        );
        // Push to report takes well under a second here (fetch interval 250 ms, then the pass); the
        // bound leaves room for a loaded machine. The loading itself is bounded in `manifest_guard`.
        assert!(took < Duration::from_secs(3), "{what}: {took:?}");
        assert_eq!(ctl.get("/healthz").0, 200, "{what}: still serving");
        std::fs::remove_file(tree.path().join("manifests").join(file)).unwrap();
    }

    // A symlink inside the checked-out path keeps working: the service now comes through one.
    std::fs::create_dir_all(tree.path().join("manifests/versions")).unwrap();
    tree.write(
        "manifests/versions/web-v2.txt",
        &fx.service(&web, "nginx:2", "enforce", None),
    );
    std::fs::remove_file(tree.path().join("manifests/web.yaml")).unwrap();
    link("versions/web-v2.txt", "web.yaml");
    let fixed = tree.commit_and_push("linked");
    let report = ctl.wait_report(LIMIT, "converged at the linked commit", |r| {
        converged_at(&fixed)(r) && resource(r, "Source", "manifests").is_none()
    });
    assert!(resource(&report, "EcsService", &web).is_some());

    let peak = status_kb(ctl.pid(), "VmHWM:");
    eprintln!("peak RSS of the controller: {peak} kB");
    assert!(peak < MAX_RSS_KB, "peak RSS {peak} kB");
    assert_eq!(ctl.terminate(), Some(0));
}

/// A FIFO cannot be committed to git, but can appear in a watched directory: loading must refuse
/// it by its type instead of blocking on it, and the loop must go on.
#[test]
fn a_fifo_in_a_watched_directory_does_not_block_the_controller() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "fifo");
    let dir = TempDir::new("run-fifo");
    dir.write("base.yaml", &fx.base());
    let ctl = Controller::start(
        &emu,
        &unique("i"),
        &["--source", &dir.arg(), "--resync", "1s"],
    );
    ctl.wait_report(LIMIT, "converged", converged);

    let pipe = dir.path().join("pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap();
    assert!(status.success());
    let created = Instant::now();
    let report = ctl.wait_report(LIMIT, "the FIFO refused", |r| {
        resource(r, "Source", "manifests").is_some_and(|s| {
            s.conditions
                .iter()
                .any(|c| c.reason == "RevisionRejected" && c.message.contains("pipe.yaml"))
        })
    });
    eprintln!("FIFO refused {:?} after it appeared", created.elapsed());
    let message = &resource(&report, "Source", "manifests").unwrap().conditions[0].message;
    assert!(
        message.contains("refused: a FIFO, not a regular file"),
        "{message}"
    );
    assert!(
        resource(&report, "EcsCluster", &fx.cluster()).is_some(),
        "the last good manifests stay in force"
    );
    assert_eq!(ctl.get("/healthz").0, 200);

    std::fs::remove_file(&pipe).unwrap();
    ctl.wait_report(LIMIT, "converged without the FIFO", |r| {
        converged(r) && resource(r, "Source", "manifests").is_none()
    });
    let peak = status_kb(ctl.pid(), "VmHWM:");
    assert!(peak < MAX_RSS_KB, "peak RSS {peak} kB");
    assert_eq!(ctl.terminate(), Some(0));
}
