//! `plan -o json|markdown`: the drift report shape, and environment values redacted.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use aws_sdk_ecs::types::KeyValuePair;
use support::{Emulator, Names, TempDir, describe_service, write_reference};

#[tokio::test(flavor = "multi_thread")]
async fn reports_redact_environment_values() {
    let emu = Emulator::start();
    let names = Names::new("report");
    let network = emu.network();
    let dir = TempDir::new("report");
    write_reference(&dir, &names, &network);
    let files = dir.arg();
    emu.run(&names.instance, &["apply", "-f", &files])
        .expect_code(0);

    let clean = emu.run(
        &names.instance,
        &["plan", "-o", "json", "--revision", "abc123", "-f", &files],
    );
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
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    let td = ecs
        .describe_task_definition()
        .task_definition(svc.task_definition().unwrap())
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .clone();
    let mut container = td.container_definitions()[0].clone();
    container.environment = Some(vec![
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
            .value("sup3r-s3cret-debug")
            .build(),
    ]);
    let rogue = ecs
        .register_task_definition()
        .family(td.family().unwrap())
        .set_network_mode(td.network_mode().cloned())
        .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
        .set_cpu(td.cpu().map(str::to_owned))
        .set_memory(td.memory().map(str::to_owned))
        .set_execution_role_arn(td.execution_role_arn().map(str::to_owned))
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    ecs.update_service()
        .cluster(&names.cluster)
        .service(&names.service)
        .task_definition(
            rogue
                .task_definition()
                .unwrap()
                .task_definition_arn()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let path = "taskDefinition.containerDefinitions[plugin].environment[FINFOCUS_LOG_LEVEL].value";
    for format in ["json", "markdown", "text"] {
        let run = emu.run(&names.instance, &["plan", "-o", format, "-f", &files]);
        run.expect_code(2);
        assert!(
            !run.stdout.contains("sup3r-s3cret"),
            "{format} leaks the value:\n{}",
            run.stdout
        );
        assert!(run.stdout.contains(path), "{format}:\n{}", run.stdout);
        assert!(
            run.stdout.contains("(redacted)"),
            "{format}:\n{}",
            run.stdout
        );
    }
    let md = emu.run(&names.instance, &["plan", "-o", "markdown", "-f", &files]);
    assert!(
        md.stdout
            .contains("| Resource | Region | Status | Field | Actual | Desired | Action |")
    );
    assert!(md.stdout.contains(&format!("| `EcsService/{}` | us-east-1 | Drifted | `{path}` | `(redacted)` | `(redacted)` | registerRevision |", names.service)), "{}", md.stdout);
}
