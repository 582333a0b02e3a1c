//! Hostile manifest input (issue 16): what a committer can put in a revision must not make loading
//! read outside the source, block, or use unbounded memory. Every case is refused by name, quickly,
//! without echoing content.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use finfocus_ecs_controller::manifest::{self, Limits, Loaded};
use support::{TempDir, cluster_manifest};

/// The bound the issue sets on each refusal.
const QUICK: Duration = Duration::from_secs(1);
/// Content of a file outside the source root; it must never appear in an error.
const SECRET: &str = "hunter2-do-not-show";

/// Loads on another thread so a loader that blocks (on a FIFO, say) fails the test instead of
/// hanging it; returns what was loaded and how long it took.
fn load_bounded(root: Option<&Path>, paths: &[PathBuf], limits: Limits) -> (Loaded, Duration) {
    let (tx, rx) = mpsc::channel();
    let root = root.map(Path::to_path_buf);
    let paths = paths.to_vec();
    std::thread::spawn(move || {
        let started = Instant::now();
        let loaded = match &root {
            Some(root) => manifest::load_within(root, &paths, &limits),
            None => manifest::load_with(&paths, &limits),
        };
        let _ = tx.send((loaded, started.elapsed()));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("loading did not finish within 20s")
}

fn errors(loaded: &Loaded) -> String {
    loaded
        .errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads `dir` with default limits and expects exactly one error, on `file`, containing `expected`;
/// returns the error text.
fn refused(dir: &Path, file: &str, expected: &str) -> String {
    let (loaded, took) = load_bounded(None, &[dir.to_path_buf()], Limits::default());
    let text = errors(&loaded);
    assert!(took < QUICK, "refusing {file} took {took:?}");
    assert_eq!(loaded.errors.len(), 1, "{text}");
    assert!(
        loaded.errors[0].file.ends_with(file),
        "the error names the file: {text}"
    );
    assert!(text.contains(expected), "expected {expected:?} in: {text}");
    assert!(!text.contains(SECRET), "foreign content shown: {text}");
    text
}

#[test]
fn a_symlink_out_of_the_root_is_refused_without_showing_its_target() {
    let outside = TempDir::new("guard-outside");
    // Unknown fields would be echoed by the parser if this file were ever read.
    outside.write("secret.yaml", &format!("{SECRET}: {SECRET}\n"));
    let dir = TempDir::new("guard-out");
    dir.write("ok.yaml", &cluster_manifest("ok"));
    symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("evil.yaml"),
    )
    .unwrap();
    let text = refused(dir.path(), "evil.yaml", "resolves outside the source root");
    assert!(
        !text.contains(&outside.arg()),
        "the link target is not named: {text}"
    );

    // A linked directory that leads out is refused the same way.
    let dir2 = TempDir::new("guard-outdir");
    symlink(outside.path(), dir2.path().join("linked")).unwrap();
    refused(dir2.path(), "linked", "resolves outside the source root");

    // `validate -f FILE` confines the file to its own directory.
    let (loaded, _) = load_bounded(None, &[dir.path().join("evil.yaml")], Limits::default());
    assert!(errors(&loaded).contains("outside the source root"));
    assert!(!errors(&loaded).contains(SECRET));
}

#[test]
fn symlinks_inside_the_root_keep_working() {
    let repo = TempDir::new("guard-in");
    let manifests = repo.path().join("manifests");
    std::fs::create_dir_all(manifests.join("real")).unwrap();
    std::fs::create_dir_all(repo.path().join("shared")).unwrap();
    std::fs::write(manifests.join("real/a.yaml"), cluster_manifest("a")).unwrap();
    std::fs::write(repo.path().join("shared/b.yaml"), cluster_manifest("b")).unwrap();
    symlink("real/a.yaml", manifests.join("link-a.yml")).unwrap();
    symlink("../shared/b.yaml", manifests.join("b.yaml")).unwrap();
    // A link back up the tree is walked once, not forever.
    symlink(".", manifests.join("real/loop")).unwrap();

    // Confined to the repository, both links resolve inside it.
    let (loaded, took) = load_bounded(
        Some(repo.path()),
        std::slice::from_ref(&manifests),
        Limits::default(),
    );
    assert!(took < QUICK);
    let names: Vec<String> = loaded
        .set
        .resources()
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    // `a` is defined twice (the file and the link to it): a duplicate, which proves both were read.
    assert!(
        errors(&loaded).contains("defined more than once") || errors(&loaded).contains("duplicate"),
        "{}",
        errors(&loaded)
    );
    assert!(names.contains(&"EcsCluster/b".to_owned()), "{names:?}");

    // Confined to `manifests` itself, the link to `../shared` leads out.
    std::fs::remove_file(manifests.join("link-a.yml")).unwrap();
    let (loaded, _) = load_bounded(None, std::slice::from_ref(&manifests), Limits::default());
    let text = errors(&loaded);
    assert_eq!(loaded.errors.len(), 1, "{text}");
    assert!(
        text.contains("b.yaml") && text.contains("outside the source root"),
        "{text}"
    );
    let (loaded, _) = load_bounded(Some(repo.path()), &[manifests], Limits::default());
    assert!(loaded.errors.is_empty(), "{}", errors(&loaded));
    assert_eq!(loaded.set.len(), 2);
}

#[test]
fn dev_zero_is_refused_at_once() {
    let dir = TempDir::new("guard-zero");
    symlink("/dev/zero", dir.path().join("zero.yaml")).unwrap();
    refused(dir.path(), "zero.yaml", "outside the source root");

    // Given directly, /dev is its root: the device is refused by its type.
    let (loaded, took) = load_bounded(None, &[PathBuf::from("/dev/zero")], Limits::default());
    assert!(took < QUICK, "{took:?}");
    assert!(
        errors(&loaded).contains("refused: a character device"),
        "{}",
        errors(&loaded)
    );
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = TempDir::new("guard-fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    refused(
        dir.path(),
        "pipe.yaml",
        "refused: a FIFO, not a regular file",
    );
}

#[test]
fn an_oversized_file_and_an_oversized_revision_are_refused() {
    let dir = TempDir::new("guard-big");
    // Valid YAML all the way, so only the size can be what is refused.
    let big = format!("# {}\n", "x".repeat(5 * 1024 * 1024));
    dir.write("big.yaml", &big);
    refused(
        dir.path(),
        "big.yaml",
        "file is larger than 4194304 bytes (limit: --max-file-bytes)",
    );

    let dir = TempDir::new("guard-total");
    for name in ["a", "b", "c"] {
        dir.write(
            &format!("{name}.yaml"),
            &format!("{}# {}\n", cluster_manifest(name), "x".repeat(400)),
        );
    }
    let limits = Limits {
        max_total_bytes: 1024,
        ..Limits::default()
    };
    let (loaded, _) = load_bounded(None, &[dir.path().to_path_buf()], limits);
    let text = errors(&loaded);
    assert!(
        text.contains("c.yaml")
            && text.contains("exceed 1024 bytes in total (limit: --max-revision-bytes)"),
        "{text}"
    );
}

#[test]
fn too_many_files_are_refused() {
    let dir = TempDir::new("guard-files");
    for i in 0..5 {
        dir.write(&format!("{i}.yaml"), &cluster_manifest(&format!("c{i}")));
    }
    let limits = Limits {
        max_files: 3,
        ..Limits::default()
    };
    let (loaded, _) = load_bounded(None, &[dir.path().to_path_buf()], limits);
    assert!(
        errors(&loaded).contains("more than 3 entries in this directory (limit: --max-files)"),
        "{}",
        errors(&loaded)
    );
    let limits = Limits {
        max_files: 5,
        ..Limits::default()
    };
    // Five entries list, but the directory itself is the sixth thing visited.
    let (loaded, _) = load_bounded(None, &[dir.path().to_path_buf()], limits);
    assert!(
        errors(&loaded).contains("more than 5 files and directories in this revision"),
        "{}",
        errors(&loaded)
    );
}

#[test]
fn too_many_documents_are_refused() {
    let dir = TempDir::new("guard-docs");
    dir.write("many.yaml", &"---\n{}\n".repeat(1001));
    refused(
        dir.path(),
        "many.yaml",
        "more than 1000 documents in this file (limit: --max-documents-per-file)",
    );

    let dir = TempDir::new("guard-docs-rev");
    for name in ["a", "b", "c"] {
        dir.write(&format!("{name}.yaml"), &cluster_manifest(name));
    }
    let limits = Limits {
        max_documents: 2,
        ..Limits::default()
    };
    let (loaded, _) = load_bounded(None, &[dir.path().to_path_buf()], limits);
    let text = errors(&loaded);
    assert!(
        text.contains("c.yaml") && text.contains("more than 2 documents in this revision"),
        "{text}"
    );
}

/// Ten anchors, each a list of ten uses of the previous one: 10^9 scalars once expanded. The kind
/// is unknown, so the loader skips `spec` whole: every event of it is pulled through the parser.
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
fn an_alias_bomb_is_refused_by_the_parser_budget() {
    let dir = TempDir::new("guard-bomb");
    dir.write("bomb.yaml", &alias_bomb());
    let text = refused(dir.path(), "bomb.yaml", "bomb.yaml");
    assert!(
        text.to_lowercase().contains("alias") || text.to_lowercase().contains("budget"),
        "the parser's alias budget is named: {text}"
    );
    eprintln!("{text}");
}

#[test]
fn deep_nesting_is_refused() {
    let dir = TempDir::new("guard-deep");
    let deep = format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: Deep\nmetadata: {{name: deep}}\nspec: {{k: {}{}}}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    dir.write("deep.yaml", &deep);
    let text = refused(dir.path(), "deep.yaml", "recursion limit exceeded");
    // The default depth of 32 is reached well inside the 200 brackets.
    assert!(text.contains("deep.yaml:4:42:"), "{text}");
    eprintln!("{text}");

    // The limit is the setting, not a constant of the parser.
    let limits = Limits {
        max_depth: 8,
        ..Limits::default()
    };
    let (loaded, _) = load_bounded(None, &[dir.path().to_path_buf()], limits);
    assert!(
        errors(&loaded).contains("deep.yaml:4:18:"),
        "{}",
        errors(&loaded)
    );
}

#[test]
fn an_error_shows_the_offending_token_cut_short_not_the_file() {
    let dir = TempDir::new("guard-token");
    let long_kind = "K".repeat(100_000);
    dir.write(
        "kind.yaml",
        &format!("apiVersion: ecs.finfocus.io/v1alpha1\nkind: {long_kind}\nmetadata: {{name: x}}\nspec: {{}}\n"),
    );
    let text = refused(dir.path(), "kind.yaml", "unknown kind `KKK");
    assert!(text.len() < 1000, "{} characters shown", text.len());
}

/// Runs `validate` with `args`, killing it if it has not exited within 20 s; returns the exit code
/// and stderr.
fn validate(args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_finfocus-ecs-controller"))
        .arg("validate")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("validate {args:?} did not exit within 20s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn validate_refuses_special_files_and_takes_the_limit_flags() {
    let (code, err) = validate(&["-f", "/dev/zero"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("/dev/zero: refused: a character device"),
        "{err}"
    );

    let dir = TempDir::new("guard-flags");
    dir.write(
        "a.yaml",
        &format!("{}# {}\n", cluster_manifest("a"), "x".repeat(2000)),
    );
    let (code, err) = validate(&["-f", &dir.arg()]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = validate(&["-f", &dir.arg(), "--max-file-bytes", "1K"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("file is larger than 1024 bytes (limit: --max-file-bytes)"),
        "{err}"
    );
    dir.write("b.yaml", &cluster_manifest("b"));
    let (code, err) = validate(&["-f", &dir.arg(), "--max-documents", "1"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("b.yaml: more than 1 documents in this revision"),
        "{err}"
    );
    let (code, err) = validate(&["-f", &dir.arg(), "--max-file-bytes", "4MB"]);
    assert_eq!(code, Some(2), "a bad size is a usage error: {err}");
    assert!(err.contains("unknown size unit `MB`"), "{err}");
}
