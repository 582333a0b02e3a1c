//! What a local user or a git server can make the git source do or reveal (issue 30), against real
//! git servers on 127.0.0.1: a planted work directory is refused and no repository hook runs; no
//! process's command line holds a credential during a fetch; a redirect to another host receives
//! no token.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod git_http;
mod runtime_support;
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine as _;
use finfocus_ecs_controller::source::{
    GitSource, GitSourceOptions, SecretUrl, SourceError, fresh_private_dir,
};
use git_http::{GitHttp, Mode, bare_repo};
use runtime_support::{GitDaemon, TempDir, WorkTree, git, git_options as options};

/// Writes an executable shell script that appends `tag` to `marker` when run.
fn planted_script(path: &Path, marker: &Path, tag: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!("#!/bin/sh\necho {tag} >> '{}'\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Plants a repository in `workdir/repo.git` whose hooks and configuration would run programs:
/// `hooks/` (post-checkout, reference-transaction), a `core.hooksPath` of its own, and a
/// `core.fsmonitor` command.
fn plant_repository(workdir: &Path, marker: &Path) {
    let repo = workdir.join("repo.git");
    git(workdir, &["init", "--quiet", "--bare", "repo.git"]);
    for hook in ["post-checkout", "reference-transaction", "pre-auto-gc"] {
        planted_script(&repo.join("hooks").join(hook), marker, hook);
        planted_script(&workdir.join("other-hooks").join(hook), marker, hook);
    }
    planted_script(&workdir.join("fsmonitor.sh"), marker, "fsmonitor");
    let hooks_path = workdir.join("other-hooks").display().to_string();
    let fsmonitor = workdir.join("fsmonitor.sh").display().to_string();
    git(&repo, &["config", "core.hooksPath", &hooks_path]);
    git(&repo, &["config", "core.fsmonitor", &fsmonitor]);
}

#[tokio::test]
async fn a_planted_work_directory_is_refused_and_no_repository_hook_runs() {
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("planted");
    let tree = WorkTree::new(&url);
    tree.write("manifests/app.yaml", "kind: x\n");
    let commit = tree.commit_and_push("v1");
    let markers = TempDir::new("planted-marker");
    let marker = markers.path().join("ran");

    // Another user's directory (or one every user can write to) is refused before git runs in it.
    let writable = TempDir::new("planted-writable");
    plant_repository(writable.path(), &marker);
    std::fs::set_permissions(writable.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = GitSource::open(options(&url, &writable)).await.unwrap_err();
    assert!(matches!(err, SourceError::Untrusted { .. }), "{err}");
    assert!(
        err.to_string().contains("other users can write to it"),
        "{err}"
    );

    if rustix::process::geteuid().is_root() {
        let foreign = TempDir::new("planted-foreign");
        plant_repository(foreign.path(), &marker);
        // `nobody` stands for the local user who created the directory first.
        std::os::unix::fs::chown(foreign.path(), Some(65534), Some(65534)).unwrap();
        let err = GitSource::open(options(&url, &foreign)).await.unwrap_err();
        assert!(err.to_string().contains("another user owns it"), "{err}");
        // A private work directory holding another user's repository is refused as well.
        let inner = TempDir::new("planted-inner");
        plant_repository(inner.path(), &marker);
        std::os::unix::fs::chown(inner.path().join("repo.git"), Some(65534), None).unwrap();
        let err = GitSource::open(options(&url, &inner)).await.unwrap_err();
        assert!(err.to_string().contains("repo.git"), "{err}");
    } else {
        eprintln!("not root: the foreign-owner case needs chown and is skipped");
    }

    // Even a repository of our own whose configuration asks for hooks and a file system monitor
    // runs none of them through a fetch and a checkout.
    let own = TempDir::new("planted-own");
    plant_repository(own.path(), &marker);
    let mut source = GitSource::open(options(&url, &own)).await.unwrap();
    let snap = source.poll().await.unwrap().unwrap();
    assert_eq!(snap.revision.as_deref(), Some(commit.as_str()));
    assert!(snap.root.join("app.yaml").exists());
    assert!(
        !marker.exists(),
        "a planted program ran: {}",
        std::fs::read_to_string(&marker).unwrap_or_default()
    );
}

#[test]
fn the_default_work_directory_is_new_private_and_unpredictable() {
    let parent = TempDir::new("fresh-parent");
    let a = fresh_private_dir(parent.path(), "w-").unwrap();
    let b = fresh_private_dir(parent.path(), "w-").unwrap();
    assert_ne!(a, b);
    for dir in [&a, &b] {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
        assert!(
            std::fs::read_dir(dir).unwrap().next().is_none(),
            "it is empty"
        );
    }
}

/// Every process's command line that contains `needle`, with its PID.
fn command_lines_holding(needle: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // A process may end between the listing and the read.
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let line = String::from_utf8_lossy(&raw).replace('\0', " ");
        if line.contains(needle) {
            found.push((name, line));
        }
    }
    found
}

fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

#[tokio::test]
async fn no_command_line_holds_the_password_of_the_url_during_a_fetch() {
    const PASSWORD: &str = "s3cr3t-in-url-7f3a";
    let root = TempDir::new("http-root");
    let bare = bare_repo(root.path(), "creds");
    let tree = WorkTree::new(&bare.display().to_string());
    tree.write("manifests/app.yaml", "kind: x\n");
    let commit = tree.commit_and_push("v1");
    let (server, hold) = GitHttp::start_held(Mode::Serve {
        root: root.path().to_path_buf(),
        authorization: basic("bot", PASSWORD),
    });

    let workdir = TempDir::new("http-creds");
    let url = format!("http://bot:{PASSWORD}@127.0.0.1:{}/creds.git", server.port);
    let mut source = GitSource::open(options(&url, &workdir)).await.unwrap();
    let poll = tokio::spawn(async move { source.poll().await });

    // While the server holds git's first request, git and its transport helper are running.
    let arrived = tokio::task::spawn_blocking(move || {
        let arrived = hold
            .arrived
            .recv_timeout(std::time::Duration::from_secs(60));
        (arrived, hold.release)
    });
    let (arrived, release) = arrived.await.unwrap();
    arrived.expect("git reached the server");
    let helpers = command_lines_holding("remote-http");
    let leaks = command_lines_holding(PASSWORD);
    release.send(()).unwrap();
    assert!(
        !helpers.is_empty(),
        "git's transport helper was running when looked at"
    );
    assert!(
        leaks.is_empty(),
        "a command line holds the password: {leaks:?}"
    );

    // The password still authenticates, through the credential helper.
    let snap = poll.await.unwrap().unwrap().unwrap();
    assert_eq!(snap.revision.as_deref(), Some(commit.as_str()));
    assert!(
        server
            .seen()
            .iter()
            .any(|s| s.authorization == Some(basic("bot", PASSWORD))),
        "{:?}",
        server.seen()
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_receives_no_token() {
    const TOKEN: &str = "tok-must-stay-home-91c2";
    let elsewhere = GitHttp::start(Mode::Unauthorized);
    let redirector = GitHttp::start(Mode::Redirect(elsewhere.base()));

    for (url, token) in [
        // The token from FINFOCUS_GIT_TOKEN ...
        (format!("{}/repo.git", redirector.base()), Some(TOKEN)),
        // ... and a password in the URL.
        (
            format!("http://bot:{TOKEN}@127.0.0.1:{}/repo.git", redirector.port),
            None,
        ),
    ] {
        let workdir = TempDir::new("http-redirect");
        let mut opts: GitSourceOptions = options(&url, &workdir);
        opts.token = token.map(str::to_owned);
        let mut source = GitSource::open(opts).await.unwrap();
        let err = source.poll().await.unwrap_err();
        assert!(!err.to_string().contains(TOKEN), "{err}");
    }
    assert!(
        !redirector.seen().is_empty(),
        "git asked the configured server"
    );
    for seen in redirector.seen().iter().chain(elsewhere.seen().iter()) {
        assert!(
            seen.authorization.is_none(),
            "credentials were sent: {seen:?}"
        );
    }
    assert!(
        elsewhere.seen().is_empty(),
        "the redirect was followed: {:?}",
        elsewhere.seen()
    );
}

#[tokio::test]
async fn a_token_is_never_sent_over_plain_http_to_another_machine() {
    let workdir = TempDir::new("http-plain");
    let mut opts = options("http://git.example.com/repo.git", &workdir);
    opts.token = Some("tok".to_owned());
    let err = GitSource::open(opts).await.unwrap_err();
    assert!(
        matches!(err, SourceError::InsecureCredentials { .. }),
        "{err}"
    );
    let opts = GitSourceOptions::new(
        SecretUrl::new("http://bot:pw@git.example.com/repo.git"),
        workdir.path().to_path_buf(),
    );
    assert!(GitSource::open(opts).await.is_err());
}
