//! Outcomes back to git and chat, end to end: `run` follows a loopback `git daemon` (pushes arrive
//! as signed webhooks), keeps its lease and notification ledger in the emulator's DynamoDB, and
//! announces to a webhook sink that checks signatures, a Slack sink that checks Block Kit limits,
//! a server that checks each request against GitHub's REST schema for commit statuses, a
//! receiver that is down and one that never answers. A good commit ends `success`, an invalid one `failure`, a rolled-back
//! one `failure` with the reason; a restart announces nothing again. With two replicas only the
//! leader announces, and a takeover repeats nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use finfocus_aws_fidelity::{Rollout, StoppedContainer, StoppedTask};
use finfocus_ecs_controller::hooks::github_signature;
use runtime_support::{
    Controller, Emulator, Fixture, GitDaemon, TempDir, WorkTree, follow_git, unique,
};
use serde_json::Value;
use support::sink::{Received, Sink};

const PUSH_SECRET: &str = "push-s3cret";
const NOTIFY_SECRET: &str = "notify-s3cret";
const TOKEN: &str = "ghp_test_token";
const SLACK_PATH: &str = "/services/T0001/B0001/slack-url-secret";
const LIMIT: Duration = Duration::from_secs(90);

/// Why a request is not what GitHub's REST API documents for "Create a commit status"
/// (`POST /repos/{owner}/{repo}/statuses/{sha}`: `state` required, one of error, failure,
/// pending, success; optional `target_url`, `description`, `context`), with the headers GitHub
/// asks for (a User-Agent, `Accept: application/vnd.github+json`, the API version, a token).
fn github_violation(r: &Received) -> Option<String> {
    if r.method != "POST" {
        return Some(format!("method {}", r.method));
    }
    let parts: Vec<&str> = r.path.split('/').collect();
    let sha_ok = |s: &str| s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit());
    if !(parts.len() == 6
        && parts[0].is_empty()
        && parts[1] == "repos"
        && parts[2] == "acme"
        && parts[3] == "manifests"
        && parts[4] == "statuses"
        && sha_ok(parts[5]))
    {
        return Some(format!("path {}", r.path));
    }
    let header = |name: &str| r.headers.get(name).map(String::as_str);
    if header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return Some("authorization".into());
    }
    if header("accept") != Some("application/vnd.github+json") {
        return Some("accept".into());
    }
    if header("x-github-api-version") != Some("2022-11-28") {
        return Some("api version".into());
    }
    if header("user-agent").is_none_or(str::is_empty) {
        return Some("user-agent".into());
    }
    if !header("content-type").is_some_and(|c| c.starts_with("application/json")) {
        return Some("content-type".into());
    }
    let body = r.json();
    let Some(object) = body.as_object() else {
        return Some("body is not a JSON object".into());
    };
    for key in object.keys() {
        if !["state", "target_url", "description", "context"].contains(&key.as_str()) {
            return Some(format!("unknown property {key}"));
        }
    }
    if !matches!(
        object.get("state").and_then(Value::as_str),
        Some("error" | "failure" | "pending" | "success")
    ) {
        return Some("state".into());
    }
    for key in ["target_url", "description", "context"] {
        if object
            .get(key)
            .is_some_and(|v| !v.is_string() && !v.is_null())
        {
            return Some(format!("{key} is not a string"));
        }
    }
    if object
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| d.chars().count() > 140)
    {
        return Some("description over 140 characters".into());
    }
    None
}

/// Why a Slack incoming-webhook message breaks Block Kit's rules for the blocks used.
fn slack_violation(r: &Received) -> Option<String> {
    let body = r.json();
    if !body["text"].is_string() {
        return Some("no fallback text".into());
    }
    let blocks = body["blocks"].as_array()?;
    if blocks.is_empty() || blocks.len() > 50 {
        return Some(format!("{} blocks", blocks.len()));
    }
    for block in blocks {
        match block["type"].as_str() {
            Some("header") => {
                let text = &block["text"];
                if text["type"] != "plain_text"
                    || text["text"]
                        .as_str()
                        .is_none_or(|t| t.chars().count() > 150)
                {
                    return Some("header".into());
                }
            }
            Some("section") => {
                if block["text"]["text"]
                    .as_str()
                    .is_none_or(|t| t.is_empty() || t.chars().count() > 3000)
                {
                    return Some("section".into());
                }
            }
            Some("context") => {
                if block["elements"]
                    .as_array()
                    .is_none_or(|e| e.is_empty() || e.len() > 10)
                {
                    return Some("context".into());
                }
            }
            other => return Some(format!("block type {other:?}")),
        }
    }
    None
}

fn signed(r: &Received) -> bool {
    r.headers.get("x-finfocus-signature").map(String::as_str)
        == Some(github_signature(&r.body, NOTIFY_SECRET.as_bytes()).as_str())
}

/// (event, revision, resource) of every webhook event received.
fn events(sink: &Sink) -> Vec<(String, String, String)> {
    sink.received()
        .iter()
        .map(|r| {
            let e = r.json();
            (
                e["event"].as_str().unwrap_or_default().to_owned(),
                e["revision"].as_str().unwrap_or_default().to_owned(),
                e["resource"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

/// (sha, state) of every commit status received.
fn statuses(github: &Sink) -> Vec<(String, String)> {
    github
        .received()
        .iter()
        .map(|r| {
            (
                r.path.rsplit('/').next().unwrap_or_default().to_owned(),
                r.json()["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn push(ctl: &Controller, sha: &str) {
    let body = format!(
        r#"{{"ref":"refs/heads/main","after":"{sha}","repository":{{"default_branch":"main"}}}}"#
    );
    let signature = github_signature(body.as_bytes(), PUSH_SECRET.as_bytes());
    let (status, _) = support::http(
        &format!("127.0.0.1:{}", ctl.port()),
        "POST",
        "/hooks/git",
        &[
            ("Content-Type", "application/json"),
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", &signature),
        ],
        &body,
    )
    .unwrap();
    assert_eq!(status, 202);
}

#[test]
fn outcomes_reach_git_and_chat_once_and_a_dead_receiver_delays_nothing() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "tell");
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("tell");
    let tree = WorkTree::new(&url);
    let web = format!("{}-web", fx.prefix);
    let service = format!("EcsService/{web}");
    tree.write("manifests/base.yaml", &fx.base());
    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:1", "enforce", None),
    );
    let first = tree.commit_and_push("web v1");
    emu.fidelity()
        .play_rollout(&web, Rollout::Complete { after_polls: 1 });

    let hooks = Sink::start(|r| if signed(r) { 200 } else { 401 });
    let slack = Sink::start(|r| {
        if slack_violation(r).is_none() {
            200
        } else {
            400
        }
    });
    let github = Sink::start(|r| {
        if github_violation(r).is_none() {
            201
        } else {
            422
        }
    });
    let dead = support::free_port();
    // Connections to it are accepted by the kernel and never answered: each post waits out its
    // time limit.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_port = hung.local_addr().unwrap().port();

    let secrets = TempDir::new("tell-secret");
    let secret_file = secrets.path().join("push");
    std::fs::write(&secret_file, PUSH_SECRET).unwrap();
    let workdir = TempDir::new("tell-run");
    let instance = unique("tell");
    let table = format!("{instance}-lease");
    let mut args = follow_git(&url, &workdir, "10m", "2s");
    args.extend(
        [
            "--webhook-secret-file",
            &secret_file.display().to_string(),
            "--lease-table",
            &table,
            "--notify",
            &format!("{}/hooks/finfocus", hooks.url()),
            "--notify",
            &format!("slack+{}{SLACK_PATH}", slack.url()),
            "--notify",
            &format!("http://127.0.0.1:{dead}/down"),
            "--notify",
            &format!("http://127.0.0.1:{hung_port}/hung"),
            "--github-status",
            "--github-api",
            &github.url(),
            "--github-repo",
            "acme/manifests",
            "--external-url",
            "https://ecs.example.com/",
        ]
        .map(str::to_owned),
    );
    let env = [
        ("FINFOCUS_NOTIFY_SECRET", NOTIFY_SECRET),
        ("FINFOCUS_GITHUB_TOKEN", TOKEN),
    ];

    // A good commit: pending, then success once the service rolled out; its events once each.
    let ctl = Controller::start_with_env(&emu, &instance, &args, &env);
    github.wait(LIMIT, "success for the first commit", |all| {
        all.iter()
            .any(|r| r.path.ends_with(&first) && r.json()["state"] == "success")
    });
    let ours: Vec<(String, String)> = statuses(&github)
        .into_iter()
        .filter(|(sha, _)| sha == &first)
        .collect();
    assert_eq!(
        ours,
        [
            (first.clone(), "pending".into()),
            (first.clone(), "success".into())
        ]
    );
    let status = github.received()[0].json();
    assert_eq!(status["context"], format!("finfocus-ecs/{instance}"));
    assert_eq!(status["target_url"], "https://ecs.example.com/report");
    hooks.wait(LIMIT, "the service rolled out", |all| {
        all.iter()
            .any(|r| r.json()["event"] == "RolledOut" && r.json()["resource"] == service.as_str())
    });
    let applied = hooks
        .received()
        .iter()
        .map(Received::json)
        .find(|e| e["event"] == "Applied" && e["resource"] == service.as_str())
        .expect("an Applied event for the service");
    assert_eq!(applied["revision"], first.as_str());
    assert_eq!(applied["instance"], instance.as_str());
    assert!(
        applied["changes"].as_array().is_some_and(|c| !c.is_empty()),
        "{applied}"
    );
    slack.wait(LIMIT, "the same events in Slack", |all| {
        all.len() >= hooks.received().len()
    });
    let report = ctl.report().unwrap();
    assert_eq!(report.commit.map(|c| c.subject).as_deref(), Some("web v1"));
    let before_restart = (hooks.received().len(), github.received().len());
    assert_eq!(ctl.terminate(), Some(0));

    // A restart (the ledger is in the lease table) announces nothing again.
    let ctl = Controller::start_with_env(&emu, &instance, &args, &env);
    let deadline = Instant::now() + LIMIT;
    while ctl.passes() < 3 {
        assert!(Instant::now() < deadline, "{}", ctl.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        (hooks.received().len(), github.received().len()),
        before_restart,
        "announced again after a restart: {:?}",
        events(&hooks)
    );

    // An invalid commit: rejected, announced, and its status fails; the dead and the hung
    // receivers (retrying all along) do not slow the pass that finds it.
    tree.write(
        "manifests/broken.yaml",
        "kind: EcsService\nmetadata: {name: broken}\nspec: 5\n",
    );
    let second = tree.commit_and_push("broken");
    let pushed = Instant::now();
    push(&ctl, &second);
    ctl.wait_report(LIMIT, "the second commit rejected", |r| {
        r.rejected_revision.as_deref() == Some(second.as_str())
    });
    // Well under one post's 10 s time limit: no pass waits for a receiver.
    let took = pushed.elapsed();
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let failed = github.wait(LIMIT, "failure for the invalid commit", |all| {
        all.iter()
            .any(|r| r.path.ends_with(&second) && r.json()["state"] == "failure")
    });
    let failed = failed
        .iter()
        .find(|r| r.path.ends_with(&second))
        .unwrap()
        .json();
    assert!(
        failed["description"].as_str().unwrap().contains("rejected"),
        "{failed}"
    );
    let rejected = hooks.wait(LIMIT, "SourceRejected", |all| {
        all.iter().any(|r| r.json()["event"] == "SourceRejected")
    });
    let rejected = rejected
        .iter()
        .map(Received::json)
        .find(|e| e["event"] == "SourceRejected")
        .unwrap();
    assert_eq!(rejected["revision"], second.as_str());
    assert_eq!(rejected["resource"], Value::Null);
    assert!(
        rejected["message"]
            .as_str()
            .unwrap()
            .contains("broken.yaml"),
        "{rejected}"
    );

    // A commit whose rollout ECS rolls back: failure with the reason, and a Degraded event.
    emu.fidelity().play_rollout(
        &web,
        Rollout::RollBack {
            after_polls: 2,
            tasks: vec![StoppedTask {
                stop_code: "EssentialContainerExited".into(),
                stopped_reason: "Essential container in task exited".into(),
                containers: vec![StoppedContainer {
                    name: "app".into(),
                    exit_code: Some(1),
                    reason: None,
                }],
            }],
            to_revision: 1,
        },
    );
    std::fs::remove_file(tree.path().join("manifests/broken.yaml")).unwrap();
    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:2", "enforce", None),
    );
    let third = tree.commit_and_push("web v2");
    push(&ctl, &third);
    let failed = github.wait(LIMIT, "failure for the rolled-back commit", |all| {
        all.iter()
            .any(|r| r.path.ends_with(&third) && r.json()["state"] == "failure")
    });
    let failed = failed
        .iter()
        .rev()
        .find(|r| r.path.ends_with(&third))
        .unwrap()
        .json();
    let description = failed["description"].as_str().unwrap();
    assert!(description.contains("RolledBack"), "{description}");
    assert!(description.contains(&web), "{description}");
    let degraded = hooks.wait(LIMIT, "Degraded", |all| {
        all.iter().any(|r| r.json()["event"] == "Degraded")
    });
    let degraded = degraded
        .iter()
        .map(Received::json)
        .find(|e| e["event"] == "Degraded")
        .unwrap();
    assert_eq!(degraded["reason"], "RolledBack");
    assert_eq!(degraded["revision"], third.as_str());
    assert!(
        degraded["message"].as_str().unwrap().contains("exit 1"),
        "{degraded}"
    );

    // Every request was well formed and signed; nothing was announced twice.
    for (sink, name) in [(&hooks, "webhook"), (&slack, "slack"), (&github, "github")] {
        for r in sink.received() {
            assert!(
                [200, 201].contains(&r.answered),
                "{name} refused {} {}: {}",
                r.method,
                r.path,
                String::from_utf8_lossy(&r.body)
            );
        }
    }
    let all = events(&hooks);
    let unique_events: HashSet<_> = all.iter().collect();
    assert_eq!(unique_events.len(), all.len(), "duplicates in {all:?}");
    let all = statuses(&github);
    let unique_statuses: HashSet<_> = all.iter().collect();
    assert_eq!(unique_statuses.len(), all.len(), "duplicates in {all:?}");

    let dead_label = format!("target=\"webhook/127.0.0.1:{dead}\",result=\"retried\"");
    let (_, metrics) = ctl.get("/metrics");
    assert!(
        metrics.lines().any(|l| l.contains(&dead_label)),
        "{dead_label} not in\n{metrics}"
    );
    let logs = ctl.logs();
    assert!(
        !logs.contains("slack-url-secret"),
        "the Slack URL was logged"
    );
    assert!(!logs.contains(TOKEN) && !logs.contains(NOTIFY_SECRET));
    // Both failing receivers still hold messages: together they get one grace period (5 s).
    let stopping = Instant::now();
    assert_eq!(ctl.terminate(), Some(0));
    let took = stopping.elapsed();
    assert!(took < Duration::from_secs(9), "stopping took {took:?}");
}

#[test]
fn with_two_replicas_only_the_leader_announces_and_a_takeover_repeats_nothing() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "pair");
    let dir = TempDir::new("pair");
    let web = format!("{}-web", fx.prefix);
    std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
    std::fs::write(
        dir.path().join("web.yaml"),
        fx.service(&web, "nginx:1", "enforce", None),
    )
    .unwrap();
    emu.fidelity()
        .play_rollout(&web, Rollout::Complete { after_polls: 1 });
    let hooks = Sink::start(|r| if signed(r) { 200 } else { 401 });
    let instance = unique("pair");
    let table = format!("{instance}-lease");
    let source = dir.path().display().to_string();
    let target = format!("{}/in", hooks.url());
    let args = [
        "--source",
        &source,
        "--resync",
        "1s",
        "--lease-table",
        &table,
        "--lease-duration",
        "3s",
        "--notify",
        &target,
    ];
    let env = [("FINFOCUS_NOTIFY_SECRET", NOTIFY_SECRET)];
    let a = Controller::start_with_env(&emu, &instance, &args, &env);
    let b = Controller::start_with_env(&emu, &instance, &args, &env);
    let service = format!("EcsService/{web}");
    hooks.wait(LIMIT, "the service rolled out", |all| {
        all.iter()
            .any(|r| r.json()["event"] == "RolledOut" && r.json()["resource"] == service.as_str())
    });
    let (leader, standby) = if a.leads() { (a, b) } else { (b, a) };
    assert!(leader.leads() && !standby.leads());
    // Someone scales the service by hand while its manifest only reports drift: announced once.
    std::fs::write(
        dir.path().join("web.yaml"),
        fx.service(&web, "nginx:1", "detect", None),
    )
    .unwrap();
    let seen = leader.passes();
    let deadline = Instant::now() + LIMIT;
    while leader.passes() < seen + 2 {
        assert!(Instant::now() < deadline, "{}", leader.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    emu.ecs_call(
        "UpdateService",
        &serde_json::json!({"cluster": fx.cluster(), "service": web, "desiredCount": 3}),
    );
    hooks.wait(LIMIT, "the drift announced", |all| {
        all.iter().any(|r| {
            r.json()["event"] == "DriftDetected" && r.json()["resource"] == service.as_str()
        })
    });
    assert_eq!(
        standby.passes(),
        0,
        "the standby made no pass, so it announced nothing"
    );
    let announced = events(&hooks);

    // The leader stops; the standby takes over with the ledger in the table and repeats nothing
    // (a tracker starting empty would announce the detect-only drift again).
    assert_eq!(leader.terminate(), Some(0));
    let deadline = Instant::now() + LIMIT;
    while !standby.leads() || standby.passes() < 3 {
        assert!(Instant::now() < deadline, "{}", standby.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        events(&hooks),
        announced,
        "announced again after the takeover"
    );
    let unique_events: HashSet<_> = announced.iter().collect();
    assert_eq!(
        unique_events.len(),
        announced.len(),
        "duplicates in {announced:?}"
    );
    assert!(hooks.received().iter().all(|r| r.answered == 200));
    assert_eq!(standby.terminate(), Some(0));
}
