//! The git source against a real `git daemon` on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

use finfocus_ecs_controller::source::{GitSource, SourceError};
use runtime_support::{GitDaemon, TempDir, WorkTree, git_options as options};

#[tokio::test]
async fn poll_checks_out_each_pushed_commit_with_its_id() {
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("poll");
    let tree = WorkTree::new(&url);
    tree.write("manifests/app.yaml", "image: v1\n");
    tree.write("README.md", "not a manifest\n");
    let first = tree.commit_and_push("v1");

    let workdir = TempDir::new("git-src");
    let mut source = GitSource::open(options(&url, &workdir)).await.unwrap();
    let snap1 = source
        .poll()
        .await
        .unwrap()
        .expect("first poll yields a snapshot");
    assert_eq!(snap1.revision.as_deref(), Some(first.as_str()));
    // The status page shows the commit's subject and time.
    let commit = snap1.commit.clone().expect("the commit's time and subject");
    assert_eq!(commit.subject, "v1");
    assert!(commit.time > 1_600_000_000, "{commit:?}");
    assert_eq!(
        std::fs::read_to_string(snap1.root.join("app.yaml")).unwrap(),
        "image: v1\n"
    );
    assert!(
        !snap1.root.join("README.md").exists(),
        "only --path is checked out"
    );
    assert!(!snap1.is_live());

    assert!(
        source.poll().await.unwrap().is_none(),
        "an unchanged ref yields nothing new"
    );

    tree.write("manifests/app.yaml", "image: v2\n");
    let second = tree.commit_and_push("v2");
    assert_ne!(first, second);
    let snap2 = source
        .poll()
        .await
        .unwrap()
        .expect("a pushed commit is picked up");
    assert_eq!(snap2.revision.as_deref(), Some(second.as_str()));
    assert_eq!(
        std::fs::read_to_string(snap2.root.join("app.yaml")).unwrap(),
        "image: v2\n"
    );

    // The older snapshot still sees its own files while held, and its checkout goes away when dropped.
    assert_eq!(
        std::fs::read_to_string(snap1.root.join("app.yaml")).unwrap(),
        "image: v1\n"
    );
    let old_root = snap1.root.clone();
    drop(snap1);
    assert!(!old_root.exists());
}

#[tokio::test]
async fn spawned_source_publishes_new_commits() {
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("spawn");
    let tree = WorkTree::new(&url);
    tree.write("manifests/a.yaml", "a: 1\n");
    let first = tree.commit_and_push("one");

    let workdir = TempDir::new("git-spawn");
    let mut opts = options(&url, &workdir);
    opts.interval = Duration::from_millis(200);
    let mut rx = GitSource::open(opts).await.unwrap().spawn();

    let revision_of = |rx: &tokio::sync::watch::Receiver<_>| -> Option<String> {
        let state: &finfocus_ecs_controller::source::SourceState = &rx.borrow();
        state.snapshot.as_ref().and_then(|s| s.revision.clone())
    };
    tokio::time::timeout(
        Duration::from_secs(20),
        rx.wait_for(|s| s.snapshot.is_some()),
    )
    .await
    .expect("first snapshot within 20s")
    .unwrap();
    assert_eq!(revision_of(&rx).as_deref(), Some(first.as_str()));
    assert_eq!(rx.borrow().generation, 1);

    tree.write("manifests/a.yaml", "a: 2\n");
    let second = tree.commit_and_push("two");
    let wanted = second.clone();
    tokio::time::timeout(
        Duration::from_secs(20),
        rx.wait_for(move |s| {
            s.snapshot.as_ref().and_then(|x| x.revision.as_deref()) == Some(wanted.as_str())
        }),
    )
    .await
    .expect("the pushed commit is published within 20s")
    .unwrap();
    let state = rx.borrow().clone();
    assert_eq!(state.generation, 2);
    assert!(state.error.is_none());
    let root = state.snapshot.unwrap().root;
    assert_eq!(
        std::fs::read_to_string(root.join("a.yaml")).unwrap(),
        "a: 2\n"
    );
}

#[tokio::test]
async fn a_missing_path_is_an_error() {
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("nopath");
    let tree = WorkTree::new(&url);
    tree.write("other/a.yaml", "a: 1\n");
    let commit = tree.commit_and_push("one");
    let workdir = TempDir::new("git-nopath");
    let mut source = GitSource::open(options(&url, &workdir)).await.unwrap();
    match source.poll().await {
        Err(SourceError::MissingPath { path, commit: c }) => {
            assert_eq!(path, "manifests");
            assert_eq!(c, commit);
        }
        other => panic!("expected a missing path error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_path_leaving_the_repository_is_refused() {
    let workdir = TempDir::new("git-escape");
    let mut opts = options("git://127.0.0.1:1/x.git", &workdir);
    opts.path = "../etc".into();
    assert!(matches!(
        GitSource::open(opts).await,
        Err(SourceError::InvalidPath(p)) if p == "../etc"
    ));
}

#[tokio::test]
async fn a_url_with_credentials_never_shows_them() {
    // Nothing listens on this port: the fetch fails and git prints the URL it tried.
    let port = runtime_support::free_port();
    let url = format!("http://robot:hunter2-very-secret@127.0.0.1:{port}/repo.git");
    let workdir = TempDir::new("git-redact");
    let mut opts = options(&url, &workdir);
    opts.token = Some("tok-abcdef-123456".to_owned());
    let debug = format!("{opts:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("tok-abcdef"),
        "{debug}"
    );
    let source = GitSource::open(opts).await.unwrap();
    assert!(!format!("{source:?}").contains("hunter2"));
    let err = source.fetch().await.expect_err("nothing listens there");
    let message = err.to_string();
    assert!(matches!(err, SourceError::Git { .. }), "{message}");
    assert!(!message.contains("hunter2-very-secret"), "{message}");
    assert!(!message.contains("tok-abcdef-123456"), "{message}");
    assert!(
        message.contains("127.0.0.1"),
        "the message stays useful: {message}"
    );
}

/// Answers every request with 401 until one carries credentials, and hands that header back.
fn basic_auth_server() -> (u16, std::thread::JoinHandle<Option<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        // git makes one request without credentials, then one with them: a few connections at most.
        for _ in 0..4 {
            let (stream, _) = listener.accept().ok()?;
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .ok()?;
            let mut reader = BufReader::new(stream.try_clone().ok()?);
            let mut authorization = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.strip_prefix("Authorization: ") {
                    authorization = Some(value.trim().to_owned());
                }
            }
            let mut stream = stream;
            if let Some(auth) = authorization {
                let _ = stream.write_all(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                return Some(auth);
            }
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
        None
    });
    (port, handle)
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn the_token_is_answered_to_git_by_the_credential_helper() {
    let (port, server) = basic_auth_server();
    let workdir = TempDir::new("git-token");
    let mut opts = options(&format!("http://127.0.0.1:{port}/repo.git"), &workdir);
    opts.token = Some("tok-from-env-42".to_owned());
    let source = GitSource::open(opts).await.unwrap();
    let err = source.fetch().await.expect_err("the server refuses");
    assert!(!err.to_string().contains("tok-from-env-42"), "{err}");
    let header = server
        .join()
        .unwrap()
        .expect("git retried with credentials");
    assert_eq!(
        header,
        format!("Basic {}", base64(b"x-access-token:tok-from-env-42"))
    );
}
