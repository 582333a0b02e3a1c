//! Out-of-band changes made directly with the SDK (desired count, image via a new revision
//! set on the service, Cloud Map TTL) are reported by `plan` (exit 2, field named) and
//! corrected by `apply`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use aws_sdk_servicediscovery::types::{DnsConfigChange, DnsRecord, RecordType, ServiceChange};
use support::{Emulator, Names, TempDir, describe_service, find_discovery, write_reference};

#[tokio::test(flavor = "multi_thread")]
async fn out_of_band_changes_are_reported_and_corrected() {
    let emu = Emulator::start();
    let names = Names::new("drift");
    let network = emu.network();
    let dir = TempDir::new("drift");
    write_reference(&dir, &names, &network);
    let files = dir.arg();
    emu.run(&names.instance, &["apply", "-f", &files])
        .expect_code(0);

    let ecs = emu.ecs().await;
    let cloudmap = emu.cloudmap().await;
    let original = describe_service(&ecs, &names.cluster, &names.service)
        .await
        .unwrap();
    let original_td = original.task_definition().unwrap().to_owned();

    // 1. Desired count.
    ecs.update_service()
        .cluster(&names.cluster)
        .service(&names.service)
        .desired_count(3)
        .send()
        .await
        .unwrap();
    // 2. Image, through a new revision set on the service.
    let td = ecs
        .describe_task_definition()
        .task_definition(&original_td)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .clone();
    let mut container = td.container_definitions()[0].clone();
    container.image = Some("ghcr.io/finfocus/finfocus-plugin-aws-public:v9".into());
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
    let rogue_arn = rogue
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned();
    ecs.update_service()
        .cluster(&names.cluster)
        .service(&names.service)
        .task_definition(&rogue_arn)
        .send()
        .await
        .unwrap();
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
    let drift = emu.run(&names.instance, &["plan", "-f", &files]);
    drift.expect_code(2);
    let id = format!("~ EcsService/{}", names.service);
    for line in [
        format!("{id}  service.desiredCount: 3 -> 1  (update)"),
        format!(
            "{id}  taskDefinition.containerDefinitions[plugin].image: ghcr.io/finfocus/finfocus-plugin-aws-public:v9 -> ghcr.io/finfocus/finfocus-plugin-aws-public:latest  (registerRevision)"
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
    let json = emu.run(&names.instance, &["plan", "-o", "json", "-f", &files]);
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
    let fix = emu.run(&names.instance, &["apply", "-f", &files]);
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
        Some("ghcr.io/finfocus/finfocus-plugin-aws-public:latest")
    );
    let discovery = find_discovery(&cloudmap, &names.discovery).await.unwrap();
    assert_eq!(discovery.dns_config().unwrap().dns_records()[0].ttl(), 60);

    // And stays corrected.
    let clean = emu.run(&names.instance, &["plan", "-f", &files]);
    clean.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn detect_policy_reports_but_does_not_correct() {
    let emu = Emulator::start();
    let names = Names::new("detect");
    let network = emu.network();
    let dir = TempDir::new("detect");
    support::write_reference(&dir, &names, &network);
    let service_file = dir.path().join("20-plugin-aws-public.yaml");
    let text = std::fs::read_to_string(&service_file).unwrap();
    std::fs::write(
        &service_file,
        text.replace("drift-policy: enforce", "drift-policy: detect"),
    )
    .unwrap();
    let files = dir.arg();
    emu.run(&names.instance, &["apply", "-f", &files])
        .expect_code(0);

    let ecs = emu.ecs().await;
    ecs.update_service()
        .cluster(&names.cluster)
        .service(&names.service)
        .desired_count(4)
        .send()
        .await
        .unwrap();
    let plan = emu.run(&names.instance, &["plan", "-f", &files]);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("service.desiredCount: 4 -> 1  (noOp)"),
        "{}",
        plan.stdout
    );
    let applied = emu.run(&names.instance, &["apply", "-f", &files]);
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
