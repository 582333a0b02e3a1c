//! Out-of-band changes made directly with the SDK (desired count, image via a new revision
//! set on the service, Cloud Map TTL) are reported by `plan` (exit 2, field named) and
//! corrected by `apply`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use aws_sdk_servicediscovery::types::{DnsConfigChange, DnsRecord, RecordType, ServiceChange};
use support::{Case, deploy_rogue_revision, describe_service, find_discovery, set_desired_count};

#[tokio::test(flavor = "multi_thread")]
async fn out_of_band_changes_are_reported_and_corrected() {
    let case = Case::with_reference("drift");
    let (emu, names) = (&case.emu, &case.names);
    case.run(&["apply"]).expect_code(0);

    let ecs = emu.ecs().await;
    let cloudmap = emu.cloudmap().await;

    // 1. Desired count.
    set_desired_count(&ecs, &names.cluster, &names.service, 3).await;
    // 2. Image, through a new revision set on the service.
    let rogue_arn = deploy_rogue_revision(&ecs, &names.cluster, &names.service, |c| {
        c.image = Some("ghcr.io/finfocus/finfocus-plugin-aws-public:v9".into());
    })
    .await;
    // 3. Cloud Map TTL.
    let discovery = find_discovery(&cloudmap, &names.discovery).await.unwrap();
    cloudmap
        .update_service()
        .id(discovery.id().unwrap())
        .service(
            ServiceChange::builder()
                .dns_config(
                    DnsConfigChange::builder()
                        .dns_records(
                            DnsRecord::builder()
                                .r#type(RecordType::A)
                                .ttl(300)
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Plan names every drifted field and exits 2.
    let drift = case.run(&["plan"]);
    drift.expect_code(2);
    let id = format!("~ EcsService/{}", names.service);
    for line in [
        format!("{id}  service.desiredCount: 3 -> 1  (update)"),
        format!(
            "{id}  taskDefinition.containerDefinitions[plugin].image: ghcr.io/finfocus/finfocus-plugin-aws-public:v9 -> ghcr.io/finfocus/finfocus-plugin-aws-public:0.1.0  (registerRevision)"
        ),
        format!("{id}  serviceDiscovery.dnsConfig.dnsRecords[A].ttl: 300 -> 60  (update)"),
    ] {
        assert!(
            drift.stdout.contains(&line),
            "missing `{line}` in\n{}",
            drift.stdout
        );
    }
    assert_eq!(drift.writes(), 0);

    // The JSON report carries the same changes.
    let json = case.run(&["plan", "-o", "json"]);
    json.expect_code(2);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["summary"]["drifted"], 1);
    let svc = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "EcsService")
        .unwrap();
    assert_eq!(svc["status"], "Drifted");
    let count = svc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "service.desiredCount")
        .unwrap();
    assert_eq!(
        (count["desired"].as_i64(), count["actual"].as_i64()),
        (Some(1), Some(3))
    );

    // Apply corrects it.
    let fix = case.run(&["apply"]);
    fix.expect_code(0);
    assert_eq!(fix.count("ecs.RegisterTaskDefinition"), 1);
    assert_eq!(fix.count("ecs.UpdateService"), 1);
    assert_eq!(fix.count("servicediscovery.UpdateService"), 1);
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert_eq!(svc.desired_count(), 1);
    let now_td = svc.task_definition().unwrap().to_owned();
    assert_ne!(now_td, rogue_arn);
    let image = ecs
        .describe_task_definition()
        .task_definition(&now_td)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .container_definitions()[0]
        .image()
        .map(str::to_owned);
    assert_eq!(
        image.as_deref(),
        Some("ghcr.io/finfocus/finfocus-plugin-aws-public:0.1.0")
    );
    let discovery = find_discovery(&cloudmap, &names.discovery).await.unwrap();
    assert_eq!(discovery.dns_config().unwrap().dns_records()[0].ttl(), 60);

    // And stays corrected.
    let clean = case.run(&["plan"]);
    clean.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn detect_policy_reports_but_does_not_correct() {
    let case = Case::with_reference("detect");
    let (emu, names) = (&case.emu, &case.names);
    let service_file = case.dir.path().join("20-plugin-aws-public.yaml");
    let text = std::fs::read_to_string(&service_file).unwrap();
    // Created under `enforce`: `detect` never creates.
    case.run(&["apply"]).expect_code(0);
    std::fs::write(
        &service_file,
        text.replace("drift-policy: enforce", "drift-policy: detect"),
    )
    .unwrap();

    let ecs = emu.ecs().await;
    set_desired_count(&ecs, &names.cluster, &names.service, 4).await;
    let plan = case.run(&["plan"]);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("service.desiredCount: 4 -> 1  (noOp)"),
        "{}",
        plan.stdout
    );
    let applied = case.run(&["apply"]);
    applied.expect_code(0);
    assert_eq!(applied.writes(), 0);
    assert!(
        applied.stdout.contains("drift-policy detect"),
        "{}",
        applied.stdout
    );
    let svc = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    assert_eq!(svc.desired_count(), 4);
}
