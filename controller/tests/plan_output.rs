//! `plan -o json|markdown`: the drift report shape; secret environment values redacted with a
//! fingerprint, ordinary ones shown.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use aws_sdk_ecs::types::KeyValuePair;
use support::{Case, deploy_rogue_revision};

#[tokio::test(flavor = "multi_thread")]
async fn reports_redact_secret_environment_values_and_show_the_others() {
    let case = Case::with_reference("report");
    let (emu, names) = (&case.emu, &case.names);
    case.run(&["apply"]).expect_code(0);

    let clean = case.run(&["plan", "-o", "json", "--revision", "abc123"]);
    clean.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&clean.stdout).unwrap();
    assert_eq!(report["revision"], "abc123");
    assert_eq!(
        report["summary"],
        serde_json::json!({"resources": 3, "inSync": 3, "drifted": 0, "missing": 0, "errors": 0})
    );
    for r in report["resources"].as_array().unwrap() {
        for key in [
            "kind",
            "name",
            "region",
            "arn",
            "status",
            "changes",
            "conditions",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        let owned = &r["conditions"][0];
        assert_eq!(owned["type"], "Owned");
        assert!(owned["lastTransitionTime"].as_str().unwrap().ends_with('Z'));
    }

    // Change an environment value out of band.
    let ecs = emu.ecs().await;
    deploy_rogue_revision(&ecs, &names.cluster, &names.service, |c| {
        c.environment = Some(vec![
            KeyValuePair::builder()
                .name("FINFOCUS_PLUGIN_WEB_ENABLED")
                .value("true")
                .build(),
            KeyValuePair::builder()
                .name("FINFOCUS_PLUGIN_HEALTH_ENDPOINT")
                .value("true")
                .build(),
            KeyValuePair::builder()
                .name("FINFOCUS_LOG_LEVEL")
                .value("debug")
                .build(),
            KeyValuePair::builder()
                .name("FINFOCUS_API_TOKEN")
                .value("sup3r-s3cret")
                .build(),
        ]);
    })
    .await;

    let path = "taskDefinition.containerDefinitions[plugin].environment[FINFOCUS_LOG_LEVEL].value";
    for format in ["json", "markdown", "text"] {
        let run = case.run(&["plan", "-o", format]);
        run.expect_code(2);
        assert!(
            !run.stdout.contains("sup3r-s3cret"),
            "{format} leaks the value:\n{}",
            run.stdout
        );
        assert!(run.stdout.contains(path), "{format}:\n{}", run.stdout);
        assert!(
            run.stdout.contains("FINFOCUS_API_TOKEN") && run.stdout.contains("(redacted) #"),
            "{format}:\n{}",
            run.stdout
        );
    }
    let md = case.run(&["plan", "-o", "markdown"]);
    assert!(
        md.stdout
            .contains("| Resource | Region | Status | Changes |"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains(&format!(
            "#### `EcsService/{}` (Drifted, us-east-1)",
            names.service
        )),
        "{}",
        md.stdout
    );
    // The log level change reads as one.
    assert!(
        md.stdout.contains(&format!(
            "| `{path}` | `debug` | `info` | registerRevision |"
        )),
        "{}",
        md.stdout
    );

    // `--report FILE`: the Markdown on stdout and the JSON report in the file, from one run.
    let dir = support::TempDir::new("report");
    let file = dir.path().join("report.json");
    let both = case.run(&["plan", "-o", "markdown", "--report", file.to_str().unwrap()]);
    both.expect_code(2);
    assert!(
        both.stdout.starts_with("### Drift report"),
        "{}",
        both.stdout
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["summary"]["drifted"], 1, "{written}");
    assert!(written.to_string().contains(path), "{written}");
    assert!(!written.to_string().contains("sup3r-s3cret"), "{written}");
    // A file that cannot be written is an error naming it.
    let missing = dir.path().join("no-such-dir").join("report.json");
    let failed = case.run(&["plan", "--report", missing.to_str().unwrap()]);
    failed.expect_code(1);
    assert!(
        failed.stderr.contains(missing.to_str().unwrap()),
        "{}",
        failed.stderr
    );
}
