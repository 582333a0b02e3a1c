//! `completions` and `man` come from the command line's own definition: every verb and global
//! flag is in them, and the bash script parses.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_finfocus-ecs-controller"))
        .args(args)
        .env_clear()
        .output()
        .unwrap()
}

const VERBS: &[&str] = &[
    "validate",
    "plan",
    "apply",
    "run",
    "verify",
    "import",
    "rollback",
    "completions",
    "man",
    "schema",
];

#[test]
fn completions_name_every_verb_and_the_bash_script_parses() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8(out.stdout).unwrap();
        for verb in VERBS {
            assert!(script.contains(verb), "{shell}: no `{verb}`");
        }
        assert!(script.contains("instance"), "{shell}: no --instance");
    }
    let script = run(&["completions", "bash"]).stdout;
    let dir = std::env::temp_dir().join(format!("finfocus-completions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("finfocus-ecs-controller.bash");
    std::fs::write(&path, script).unwrap();
    let parsed = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(parsed.status.success(), "{parsed:?}");

    let unknown = run(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("tcsh"));
}

#[test]
fn the_man_page_is_roff_with_every_verb() {
    let out = run(&["man"]);
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH finfocus-ecs-controller 1"), "{page}");
    for verb in VERBS {
        assert!(page.contains(verb), "no `{verb}` in the man page");
    }
}

#[test]
fn version_names_the_commit_and_logs_to_a_pipe_have_no_colour() {
    let out = run(&["--version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let commit = text
        .trim()
        .strip_prefix(concat!(
            "finfocus-ecs-controller ",
            env!("CARGO_PKG_VERSION"),
            " ("
        ))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        commit == "unknown"
            || (commit.len() >= 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{text}"
    );
    // A log line written to a pipe (as in CI logs and `docker logs`) carries no escape codes.
    let out = Command::new(env!("CARGO_BIN_EXE_finfocus-ecs-controller"))
        .args([
            "--region",
            "us-east-1",
            "run",
            "--source",
            "/nonexistent/finfocus",
        ])
        .env_clear()
        .env("FINFOCUS_LOG", "info")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ERROR"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn schema_prints_the_checked_in_json_schema() {
    let out = run(&["schema"]);
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        printed["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/manifest.schema.json");
    assert_eq!(
        std::fs::read(file).unwrap(),
        out.stdout,
        "schemas/ is out of date"
    );
}
