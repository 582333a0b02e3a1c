//! Hardening of the git source (issue 16) against a real `git daemon` on 127.0.0.1: settings git
//! could read as options are refused, fetches and checkouts are bounded, and the work directory is
//! private.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use finfocus_ecs_controller::source::{GitSource, SourceError};
use runtime_support::{GitDaemon, TempDir, WorkTree, git_options as options};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Bytes that do not compress, so their size on the wire is their size.
fn noise(len: usize, seed: u64) -> String {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'!' + (state % 90) as u8)
        })
        .collect()
}

#[tokio::test]
async fn a_ref_or_url_that_git_could_read_as_an_option_is_refused() {
    let marker = TempDir::new("git-opt-marker");
    let pwned = marker.path().join("pwned");
    let workdir = TempDir::new("git-opt");
    let mut opts = options("git://127.0.0.1:9/none.git", &workdir);
    opts.reference = format!("--upload-pack=touch {}", pwned.display());
    let err = GitSource::open(opts).await.unwrap_err();
    assert!(matches!(err, SourceError::InvalidRef(..)), "{err}");
    assert!(err.to_string().contains("must not start with `-`"), "{err}");

    let mut opts = options("git://127.0.0.1:9/none.git", &workdir);
    opts.reference = "main:refs/heads/elsewhere".to_owned();
    assert!(matches!(
        GitSource::open(opts).await.unwrap_err(),
        SourceError::InvalidRef(..)
    ));

    let opts = options(
        &format!("--upload-pack=touch {}", pwned.display()),
        &workdir,
    );
    let err = GitSource::open(opts).await.unwrap_err();
    assert!(matches!(err, SourceError::InvalidUrl(_)), "{err}");
    assert!(!pwned.exists());
}

#[tokio::test]
async fn the_work_directory_and_checkouts_are_private() {
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("private");
    let tree = WorkTree::new(&url);
    tree.write("manifests/app.yaml", "kind: x\n");
    tree.commit_and_push("v1");

    let workdir = TempDir::new("git-private");
    std::fs::set_permissions(workdir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut source = GitSource::open(options(&url, &workdir)).await.unwrap();
    let snap = source.poll().await.unwrap().unwrap();
    assert_eq!(
        mode(workdir.path()),
        0o700,
        "an existing work dir is made private"
    );
    assert_eq!(mode(&workdir.path().join("checkouts")), 0o700);
    let checkout = snap.boundary().unwrap();
    assert!(snap.root.starts_with(checkout));
    assert_eq!(mode(checkout), 0o700);
}

#[tokio::test]
async fn a_commit_over_the_checkout_limits_is_refused_before_it_is_checked_out() {
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("checkout-limits");
    let tree = WorkTree::new(&url);
    tree.write("manifests/app.yaml", "kind: x\n");
    // Outside the manifests path: not counted.
    tree.write("docs/big.bin", &"x".repeat(3 << 20));
    let small = tree.commit_and_push("small");

    let workdir = TempDir::new("git-checkout-limits");
    let mut opts = options(&url, &workdir);
    opts.max_checkout_bytes = 1 << 20;
    opts.max_checkout_files = 3;
    let mut source = GitSource::open(opts).await.unwrap();
    let snap = source.poll().await.unwrap().unwrap();
    assert_eq!(snap.revision.as_deref(), Some(small.as_str()));

    // Zeros compress to almost nothing, so the fetch is small; the checkout would not be.
    tree.write("manifests/big.yaml", &"0".repeat(2 << 20));
    tree.commit_and_push("big");
    let err = source.poll().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("larger than the limit of 1 MiB (limit: --git-max-checkout-bytes)"),
        "{err}"
    );
    let checkouts = std::fs::read_dir(workdir.path().join("checkouts"))
        .unwrap()
        .count();
    assert_eq!(checkouts, 1, "only the first snapshot's checkout exists");

    std::fs::remove_file(tree.path().join("manifests/big.yaml")).unwrap();
    for i in 0..4 {
        tree.write(&format!("manifests/f{i}.yaml"), "kind: x\n");
    }
    tree.commit_and_push("many");
    let err = source.poll().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("3 files (limit: --git-max-checkout-files)"),
        "{err}"
    );
    drop(snap);
}

#[tokio::test]
async fn a_fetch_over_its_limit_is_stopped_every_time() {
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("fetch-limit");
    let tree = WorkTree::new(&url);
    tree.write("manifests/app.yaml", "kind: x\n");
    tree.write("assets/noise.bin", &noise(4 << 20, 0));
    tree.commit_and_push("noisy");

    let workdir = TempDir::new("git-fetch-limit");
    let mut opts = options(&url, &workdir);
    opts.max_fetch_bytes = 1 << 20;
    let mut source = GitSource::open(opts).await.unwrap();
    for attempt in 0..2 {
        let err = source.poll().await.unwrap_err();
        assert!(
            err.to_string().contains(
                "the fetch is larger than the limit of 1 MiB (limit: --git-max-fetch-bytes)"
            ),
            "attempt {attempt}: {err}"
        );
        assert_eq!(err.metric_label(), "too_large");
    }
    let kept = support_dir_size(&workdir.path().join("repo.git"));
    assert!(
        kept < 1 << 20,
        "the refused objects were not kept: {kept} bytes"
    );
}

fn support_dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            total += support_dir_size(&entry.path());
        } else {
            total += meta.len();
        }
    }
    total
}

#[tokio::test]
async fn the_local_repository_stays_bounded_over_many_commits() {
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("growth");
    let tree = WorkTree::new(&url);
    let workdir = TempDir::new("git-growth");
    let mut opts = options(&url, &workdir);
    opts.max_fetch_bytes = 1 << 20;
    let mut source = GitSource::open(opts).await.unwrap();
    let mut peak = 0;
    for i in 0..8 {
        tree.write("manifests/app.yaml", &format!("kind: x{i}\n"));
        // Each commit brings about 330 KiB of new bytes once packed: eight are more than twice the limit.
        tree.write("assets/noise.bin", &noise(400 << 10, i + 1));
        let commit = tree.commit_and_push(&format!("v{i}"));
        let snap = source.poll().await.unwrap().unwrap();
        assert_eq!(snap.revision.as_deref(), Some(commit.as_str()));
        peak = peak.max(support_dir_size(&workdir.path().join("repo.git")));
    }
    eprintln!("peak size of the local repository: {peak} bytes");
    assert!(peak < 2 << 20, "the local repository grew to {peak} bytes");
}
