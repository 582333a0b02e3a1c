//! Push webhooks end to end: `run` follows a loopback `git daemon` with a ten-minute
//! `--interval`, and a signed push webhook makes it fetch and converge at once; unsigned, wrongly
//! signed and other-ref requests do nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::time::{Duration, Instant};

use finfocus_ecs_controller::hooks::github_signature;
use runtime_support::{
    Controller, Emulator, Fixture, GitDaemon, TempDir, WorkTree, converged, follow_git, unique,
};

const SECRET: &str = "push-s3cret";
const LIMIT: Duration = Duration::from_secs(90);

fn post(ctl: &Controller, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    support::http(
        &format!("127.0.0.1:{}", ctl.port()),
        "POST",
        "/hooks/git",
        &all,
        body,
    )
    .unwrap()
}

/// Sends only the head of a webhook request announcing `length` bytes of body and returns the
/// status of the answer.
fn announce_body(ctl: &Controller, length: usize) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", ctl.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /hooks/git HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    String::from_utf8_lossy(&head[9..12]).parse().unwrap()
}

fn push_payload(reference: &str, after: &str) -> String {
    format!(
        r#"{{"ref":"{reference}","after":"{after}","repository":{{"default_branch":"main","full_name":"team/manifests"}}}}"#
    )
}

#[test]
fn a_signed_push_converges_at_once_and_unsigned_ones_change_nothing() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "hook");
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("hook");
    let tree = WorkTree::new(&url);
    tree.write("manifests/base.yaml", &fx.base());
    let web = format!("{}-web", fx.prefix);
    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:1.26", "enforce", None),
    );
    let first = tree.commit_and_push("web v1");

    let secrets = TempDir::new("hook-secret");
    let secret_file = secrets.path().join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let workdir = TempDir::new("hook-run");
    let mut args = follow_git(&url, &workdir, "10m", "10m");
    args.extend([
        "--webhook-secret-file".into(),
        secret_file.display().to_string(),
    ]);
    let ctl = Controller::start(&emu, &unique("hook"), &args);
    ctl.wait_report(LIMIT, "converged at the first commit", |r| {
        r.revision.as_deref() == Some(first.as_str()) && converged(r)
    });

    tree.write(
        "manifests/web.yaml",
        &fx.service(&web, "nginx:1.27", "enforce", None),
    );
    let second = tree.commit_and_push("web v2");
    let body = push_payload("refs/heads/main", &second);

    // Nothing happens without the right signature.
    let wrong = github_signature(body.as_bytes(), b"not the secret");
    for headers in [
        vec![("X-GitHub-Event", "push")],
        vec![
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", wrong.as_str()),
        ],
        vec![("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "guess")],
    ] {
        assert_eq!(post(&ctl, &headers, &body).0, 401, "{headers:?}");
    }
    // A signed push to another branch is accepted and ignored; a ping is answered.
    let other = push_payload("refs/heads/feature", &second);
    let other_signature = github_signature(other.as_bytes(), SECRET.as_bytes());
    let (status, text) = post(
        &ctl,
        &[
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", &other_signature),
        ],
        &other,
    );
    assert_eq!((status, text.contains("ignored")), (202, true), "{text}");
    let ping = r#"{"zen":"Keep it logically awesome."}"#;
    let ping_signature = github_signature(ping.as_bytes(), SECRET.as_bytes());
    let pong = post(
        &ctl,
        &[
            ("X-GitHub-Event", "ping"),
            ("X-Hub-Signature-256", &ping_signature),
        ],
        ping,
    );
    assert_eq!(pong.0, 200);
    // Over 1 MiB: refused on its length, before any of it is read.
    assert_eq!(announce_body(&ctl, 1024 * 1024 + 1), 413);
    assert_eq!(
        ctl.report().unwrap().revision.as_deref(),
        Some(first.as_str()),
        "nothing was fetched"
    );

    // The signed push: fetched and converged within seconds, not at the next ten-minute poll.
    let signature = github_signature(body.as_bytes(), SECRET.as_bytes());
    let pushed = Instant::now();
    let (status, _) = post(
        &ctl,
        &[
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", &signature),
        ],
        &body,
    );
    assert_eq!(status, 202);
    ctl.wait_report(LIMIT, "converged at the pushed commit", |r| {
        r.revision.as_deref() == Some(second.as_str()) && converged(r)
    });
    let took = pushed.elapsed();
    println!(
        "BENCH webhook_push_to_converged_seconds {:.2}",
        took.as_secs_f64()
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");

    let (_, metrics) = ctl.get("/metrics");
    for (result, count) in [
        ("unauthorized", 3),
        ("ignored", 1),
        ("ping", 1),
        ("fetch", 1),
    ] {
        let line = format!("finfocus_controller_webhooks_total{{result=\"{result}\"}} {count}");
        assert!(metrics.contains(&line), "{line} not in\n{metrics}");
    }
    assert!(!ctl.logs().contains(SECRET), "the secret was logged");
    assert_eq!(ctl.terminate(), Some(0));
}
