//! Cost-aware plans with both programs built and no configuration: the controller launches the
//! plugin that sits next to it, prices each `EcsService` before and after, shows the cost and
//! what the service could save in text, JSON and Markdown, enforces a service's budget and
//! gates a plan's total increase.
//!
//! Runs against the AWS emulator (`FINFOCUS_TEST_AWS_ENDPOINT`, else a moto server from
//! `.venv`) behind the fidelity layer, like the controller's own integration tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests fail loudly on purpose"
)]

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use finfocus_ecs_controller::pricing::source::{PLUGIN_BINARY, REGION_PORTS};
use finfocus_plugin_aws_public::region::Region;
use serde_json::Value;
use support::{
    Case, Running, cluster_doc, free_port, get, program, service_doc, service_yaml, stdout, text,
};

mod support;

#[test]
fn plan_prices_each_service_in_every_format_with_zero_configuration() {
    // The plugin the controller launches is the one built next to it.
    assert!(program(PLUGIN_BINARY).is_file());
    let case = Case::new("plan");
    let (cluster, name) = (
        format!("{}-c", case.instance),
        format!("{}-svc", case.instance),
    );

    // A new service costs nothing before.
    case.write(&service_yaml(&case, &cluster, &name, 1, None));
    let out = case.run(&["plan"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stdout(&out).contains("cost: 0.00 -> 72.08 USD/month (+72.08)"),
        "{}",
        text(&out)
    );
    let out = case.run(&["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Doubling the tasks doubles the cost: before, after and delta in all three formats.
    case.write(&service_yaml(&case, &cluster, &name, 2, None));
    let out = case.run(&["plan"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains(&format!(
            "EcsService/{name}: cost: 72.08 -> 144.16 USD/month (+72.08)"
        )),
        "{shown}"
    );
    assert!(
        shown.contains("cost total: 72.08 -> 144.16 USD/month (+72.08)"),
        "{shown}"
    );

    let out = case.run(&["plan", "-o", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let service = ecs_service(&report);
    assert_eq!(service["cost"]["before"], 72.08);
    assert_eq!(service["cost"]["after"], 144.16);
    assert_eq!(service["cost"]["delta"], 72.08);
    assert_eq!(service["cost"]["currency"], "USD");
    assert_eq!(service["cost"]["quality"], "high");
    assert_eq!(report["summary"]["cost"]["delta"], 72.08);
    assert_eq!(report["summary"]["cost"]["unknown"], 0);

    let out = case.run(&["plan", "-o", "markdown"]);
    let md = stdout(&out);
    assert!(md.contains("| Cost (USD/month) |"), "{md}");
    assert!(md.contains("| 72.08 → 144.16 (+72.08) |"), "{md}");
    assert!(
        md.contains("**cost total: 72.08 -> 144.16 USD/month (+72.08)**"),
        "{md}"
    );

    // The CI gate: exit 3 only above the allowed increase.
    let out = case.run(&["plan", "--max-cost-increase", "50"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("by 72.08 USD, above --max-cost-increase 50.00"),
        "{}",
        text(&out)
    );
    let out = case.run(&["plan", "--max-cost-increase", "72.08"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // Pricing off: the plan is the plan of before, without costs.
    let out = case.run(&["--pricing", "off", "plan", "-o", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["summary"].get("cost").is_none());
}

#[test]
fn plans_show_what_a_service_could_save_and_annotations_hide_it() {
    let case = Case::new("savings");
    let (cluster, name) = (
        format!("{}-c", case.instance),
        format!("{}-svc", case.instance),
    );
    // 2 tasks of 2 vCPU / 4 GB on Fargate x86_64 in us-east-1: ARM64 saves the list-price
    // difference, 2 x (2 x (0.04048 - 0.03238) + 4 x (0.004445 - 0.00356)) x 730 = 28.82.
    let yaml = service_yaml(&case, &cluster, &name, 2, None);
    case.write(&yaml);
    let out = case.run(&["plan"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains(&format!(
            "EcsService/{name}: could save 28.82 USD/month: Change ecs-service 2vCPU-4GB-linux-x86_64 to 2vCPU-4GB-linux-arm64: 28.82 USD less per month (needs arm64 images; id aws-public:us-east-1:fargate-graviton:"
        )),
        "{shown}"
    );
    assert!(
        shown.contains("savings available: 28.82 USD/month"),
        "{shown}"
    );

    let out = case.run(&["plan", "-o", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let service = ecs_service(&report);
    let saving = &service["cost"]["savings"][0];
    assert_eq!(saving["monthly"], 28.82, "{service}");
    assert_eq!(saving["needsArm64Images"], true);
    let id = saving["id"].as_str().unwrap().to_owned();
    assert_eq!(report["summary"]["cost"]["savings"], 28.82);

    let out = case.run(&["plan", "-o", "markdown"]);
    let md = stdout(&out);
    assert!(md.contains("#### Savings"), "{md}");
    assert!(md.contains("| 28.82 | Change ecs-service"), "{md}");
    assert!(
        md.contains("**savings available: 28.82 USD/month**"),
        "{md}"
    );

    // A dismissed id, or recommendations off, hides it; nothing else changes.
    let annotated = |annotation: &str| {
        yaml.replace(
            &format!("  name: {name}\n"),
            &format!("  name: {name}\n  annotations:\n    {annotation}\n"),
        )
    };
    for annotation in [
        format!("ecs.finfocus.io/dismissed-recommendations: \"{id}\""),
        "ecs.finfocus.io/recommendations: \"off\"".to_owned(),
    ] {
        case.write(&annotated(&annotation));
        let out = case.run(&["plan"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let shown = stdout(&out);
        assert!(!shown.contains("could save"), "{annotation}: {shown}");
        assert!(
            !shown.contains("savings available"),
            "{annotation}: {shown}"
        );
        assert!(shown.contains("cost: 0.00 -> "), "{annotation}: {shown}");
    }

    // A service whose tasks may be interrupted is also offered a FARGATE_SPOT share.
    case.write(&annotated("ecs.finfocus.io/interruptible: \"true\""));
    let out = case.run(&["plan"]);
    let shown = stdout(&out);
    assert!(shown.contains("capacity_provider_strategy"), "{shown}");
    assert!(
        shown.contains("Change ecs-service 2vCPU-4GB-linux-x86_64 capacity_provider_strategy to [map[base:1 capacityProvider:FARGATE weight:1] map[capacityProvider:FARGATE_SPOT weight:3]]"),
        "{shown}"
    );

    // An ARM64 service gets no ARM64 recommendation.
    case.write(&yaml.replace(
        "    memory: \"4096\"\n",
        "    memory: \"4096\"\n    runtimePlatform: {cpuArchitecture: ARM64, operatingSystemFamily: LINUX}\n",
    ));
    let out = case.run(&["plan"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!stdout(&out).contains("could save"), "{}", text(&out));
}

#[test]
fn a_budget_holds_back_a_change_that_would_exceed_it() {
    let case = Case::new("budget");
    let (cluster, name) = (
        format!("{}-c", case.instance),
        format!("{}-svc", case.instance),
    );
    case.write(&service_yaml(&case, &cluster, &name, 1, Some("100")));
    let out = case.run(&["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Two tasks would cost 144.16 a month: not applied, and the condition says both numbers.
    case.write(&service_yaml(&case, &cluster, &name, 2, Some("100")));
    let out = case.run(&["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("raise the monthly cost to 144.16 USD, above the budget of 100.00 USD"),
        "{all}"
    );
    assert!(!all.contains("applied EcsService"), "{all}");

    let out = case.run(&["plan", "-o", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let service = ecs_service(&report);
    assert_eq!(service["status"], "Error");
    let condition = service["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "BudgetExceeded")
        .unwrap();
    assert_eq!(condition["status"], "False");
    // Still one task live: the change was never made.
    assert_eq!(service["cost"]["before"], 72.08);

    // Within a raised budget the same change goes through.
    case.write(&service_yaml(&case, &cluster, &name, 2, Some("150")));
    let out = case.run(&["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = case.run(&["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn run_reports_each_service_cost_and_the_gauge() {
    let case = Case::new("run");
    let (cluster, name) = (
        format!("{}-c", case.instance),
        format!("{}-svc", case.instance),
    );
    case.write(&service_yaml(&case, &cluster, &name, 1, None));
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = case
        .command(&program("finfocus-ecs-controller"))
        .args(["run", "--resync", "1s"])
        .args(["--source", case.dir.to_str().unwrap(), "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _running = Running(child);
    // Readiness: the report prices the service once it exists (bounded; the first pass creates
    // it, a later one sees it live).
    let deadline = Instant::now() + Duration::from_secs(90);
    let series = format!(
        "finfocus_controller_monthly_cost_usd{{kind=\"EcsService\",name=\"{name}\",account=\"\",region=\"us-east-1\"}} 72.08"
    );
    loop {
        let report = get(port, "/report?format=text").unwrap_or_default();
        let metrics = get(port, "/metrics").unwrap_or_default();
        if report.contains("cost total: 72.08 -> 72.08 USD/month (+0.00)")
            && metrics.contains(&series)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no priced report within 90s:\n{report}\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let json = get(port, "/report").unwrap();
    let body = &json[json.find("\r\n\r\n").unwrap() + 4..];
    let report: Value = serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{e}: {body}"));
    let service = ecs_service(&report);
    assert_eq!(service["cost"]["before"], 72.08);
    assert_eq!(report["summary"]["cost"]["after"], 72.08);
}

#[test]
fn the_deployed_plugin_ports_are_the_plugin_regions() {
    let served: Vec<String> = Region::ALL.iter().map(ToString::to_string).collect();
    assert_eq!(REGION_PORTS.to_vec(), served);
    for r in Region::ALL {
        assert_eq!(REGION_PORTS[usize::from(r.port_offset())], r.to_string());
    }
}

/// Starts one plugin the way the FinFocus host does and returns it with its port.
/// The `EcsService` of a JSON report.
fn ecs_service(report: &Value) -> &Value {
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "EcsService")
        .unwrap()
}

fn start_plugin() -> (Child, u16) {
    let mut child = Command::new(program(PLUGIN_BINARY))
        .arg("--port=0")
        .env("FINFOCUS_LOG_LEVEL", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().strip_prefix("PORT=").unwrap().parse().unwrap();
    (child, port)
}

fn median_ms(mut runs: Vec<Duration>) -> f64 {
    runs.sort();
    runs[runs.len() / 2].as_secs_f64() * 1000.0
}

/// What pricing adds to a `plan` of 100 services: `--pricing off`, a running plugin (two
/// `BatchCost` calls: 200 descriptors, before and after), and `auto` (launching the plugin
/// too). Medians of 7 runs of the whole process; recorded in BENCHMARKS.md.
#[test]
#[ignore = "benchmark: cargo test -p finfocus-e2e --test cost_plan -- --ignored --nocapture"]
fn bench_pricing_a_plan_of_100_services() {
    let case = Case::new("bench");
    let cluster = format!("{}-c", case.instance);
    let mut yaml = cluster_doc(&cluster);
    for i in 0..100 {
        yaml.push_str("---\n");
        yaml.push_str(&service_doc(
            &case,
            &cluster,
            &format!("{}-{i:03}", case.instance),
            1,
            None,
        ));
    }
    case.write(&yaml);
    let out = case.run(&["--pricing", "off", "apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let (mut plugin, port) = start_plugin();
    let endpoint = format!("http://127.0.0.1:{port}");
    let modes: [(&str, &[&str]); 3] = [
        ("off", &["--pricing", "off", "plan"]),
        ("running plugin", &["--pricing", &endpoint, "plan"]),
        ("auto (launch + price)", &["plan"]),
    ];
    for (label, args) in modes {
        let mut runs = Vec::new();
        for _ in 0..7 {
            let started = Instant::now();
            let out = case.run(args);
            runs.push(started.elapsed());
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            if label != "off" {
                assert!(
                    stdout(&out).contains("cost total: 7208.00 -> 7208.00 USD/month (+0.00)"),
                    "{}",
                    text(&out)
                );
            }
        }
        println!(
            "plan of 100 services, pricing {label}: median {:.0} ms",
            median_ms(runs)
        );
    }
    let _ = plugin.kill();
    let _ = plugin.wait();
}
