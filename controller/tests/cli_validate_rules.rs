//! `validate` on the AWS behaviours it checks without calling AWS: a deprecated Cloud Map
//! `failureThreshold` is a warning (exit 0), a deployment controller the controller cannot
//! drive is an error naming the field (exit 1).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Output;

/// The reference manifests with `from` replaced by `to` in the service file, in a fresh
/// directory.
fn reference_with(test: &str, from: &str, to: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests/plugin");
    let dir = std::env::temp_dir().join(format!("finfocus-validate-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let mut text = std::fs::read_to_string(&path).unwrap();
            if path.file_name().unwrap() == "20-plugin-aws-public.yaml" {
                assert!(text.contains(from), "{from}");
                text = text.replace(from, to);
            }
            std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
        }
    }
    dir
}

fn validate(dir: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_finfocus-ecs-controller"))
        .args(["validate", "-f"])
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn failure_threshold_other_than_one_is_a_warning() {
    let dir = reference_with("threshold", "failureThreshold: 1", "failureThreshold: 5");
    let out = validate(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: ")
            && stderr.contains("spec.serviceDiscovery.healthCheckCustomConfig.failureThreshold")
            && stderr.contains("compared as 1"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn code_deploy_and_external_controllers_are_refused() {
    for kind in ["CODE_DEPLOY", "EXTERNAL"] {
        let dir = reference_with(
            kind,
            "    launchType: FARGATE\n",
            &format!("    launchType: FARGATE\n    deploymentController: {{type: {kind}}}\n"),
        );
        let out = validate(&dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("spec.service.deploymentController.type")
                && stderr.contains(&format!("`{kind}` is not supported")),
            "{stderr}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn shipped_manifests_validate_without_a_warning_and_latest_is_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for dir in [
        "manifests/plugin",
        "manifests/controller",
        "examples/hello",
        "examples/blue-green",
    ] {
        let out = validate(&root.join(dir));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{dir}: {stderr}");
        assert!(!stderr.contains("warning"), "{dir}: {stderr}");
    }
    // `:latest` (which ECS resolves at each task start) is a warning naming the image field.
    let dir = reference_with(
        "latest",
        "finfocus-plugin-aws-public:0.1.0",
        "finfocus-plugin-aws-public:latest",
    );
    let out = validate(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("containerDefinitions[0].image")
            && stderr.contains("mutable tag `:latest`"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
