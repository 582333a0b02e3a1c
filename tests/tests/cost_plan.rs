//! Cost-aware plans with both programs built and no configuration: the controller launches the
//! plugin that sits next to it, prices each `EcsService` before and after, shows the cost in
//! text, JSON and Markdown, enforces a service's budget and gates a plan's total increase.
//!
//! Runs against the AWS emulator (`FINFOCUS_TEST_AWS_ENDPOINT`, else a moto server from
//! `.venv`) behind the fidelity layer, like the controller's own integration tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests fail loudly on purpose"
)]

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use finfocus_aws_fidelity::Fidelity;
use finfocus_ecs_controller::pricing::source::{PLUGIN_BINARY, REGION_PORTS};
use finfocus_plugin_aws_public::region::Region;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A program of the workspace in the target directory, next to this test's own directory.
fn program(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join(name);
    assert!(
        bin.is_file(),
        "{} missing: run `cargo test --workspace` (or `cargo build` first)",
        bin.display()
    );
    bin
}

/// The emulator behind the fidelity layer; a moto server started here is killed on drop.
struct Emulator {
    fidelity: Fidelity,
    child: Option<Child>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn emulator() -> Emulator {
    if let Ok(endpoint) = std::env::var("FINFOCUS_TEST_AWS_ENDPOINT") {
        return Emulator {
            fidelity: Fidelity::start(&endpoint).unwrap(),
            child: None,
        };
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = repo().join(".venv/bin/moto_server");
    assert!(bin.exists(), "{} missing: run scripts/setup", bin.display());
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Readiness: the server accepts connections (bounded).
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen within 60s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Emulator {
        fidelity: Fidelity::start(&format!("http://127.0.0.1:{port}")).unwrap(),
        child: Some(child),
    }
}

/// A cluster and the guide's task (2 vCPU, 4 GB, us-east-1) as a service of `count` tasks.
fn service_yaml(
    case: &Case,
    cluster: &str,
    name: &str,
    count: u32,
    budget: Option<&str>,
) -> String {
    format!(
        "{}---\n{}",
        cluster_doc(cluster),
        service_doc(case, cluster, name, count, budget)
    )
}

fn cluster_doc(cluster: &str) -> String {
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata:
  name: {cluster}
spec: {{}}
"
    )
}

fn service_doc(case: &Case, cluster: &str, name: &str, count: u32, budget: Option<&str>) -> String {
    let (subnet, group) = (&case.network.0, &case.network.1);
    let annotations = budget.map_or_else(String::new, |b| {
        format!("  annotations:\n    ecs.finfocus.io/max-monthly-cost: \"{b}\"\n")
    });
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: {name}
{annotations}spec:
  cluster: {cluster}
  taskDefinition:
    family: {name}
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: \"2048\"
    memory: \"4096\"
    containerDefinitions:
      - name: app
        image: public.ecr.aws/nginx/nginx:1.27-alpine
        essential: true
  service:
    desiredCount: {count}
    launchType: FARGATE
    networkConfiguration:
      awsvpcConfiguration:
        subnets: [{subnet}]
        securityGroups: [{group}]
"
    )
}

struct Case {
    emu: Emulator,
    dir: PathBuf,
    instance: String,
    /// A subnet and a security group of the emulator's default VPC (it checks them).
    network: (String, String),
}

/// The first `<tag>` value of an EC2 query `action` answer (moto routes on the credential scope).
fn ec2_first(endpoint: &str, action: &str, tag: &str) -> String {
    let addr = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = format!("Action={action}&Version=2016-11-15");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let open = format!("<{tag}>");
    answer
        .split(&open)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no {tag} in the {action} answer: {answer}"))
        .to_owned()
}

impl Case {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("finfocus-cost-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let emu = emulator();
        let network = (
            ec2_first(emu.fidelity.endpoint(), "DescribeSubnets", "subnetId"),
            ec2_first(emu.fidelity.endpoint(), "DescribeSecurityGroups", "groupId"),
        );
        Self {
            emu,
            dir,
            instance: format!("cost-{tag}-{}", std::process::id()),
            network,
        }
    }

    fn write(&self, yaml: &str) {
        std::fs::write(self.dir.join("app.yaml"), yaml).unwrap();
    }

    /// Runs the controller with no pricing configuration at all.
    fn run(&self, args: &[&str]) -> Output {
        let dir = self.dir.to_str().unwrap();
        Command::new(program("finfocus-ecs-controller"))
            .env_clear()
            .env("AWS_ENDPOINT_URL", self.emu.fidelity.endpoint())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .args(["--instance", &self.instance])
            .args(args)
            .args(["-f", dir])
            .output()
            .unwrap()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

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
    let service = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "EcsService")
        .unwrap();
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
    let service = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "EcsService")
        .unwrap();
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

/// One HTTP/1.1 GET on loopback; `None` while nothing listens yet.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// Kills the controller if a test fails before it is stopped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn run_reports_each_service_cost_and_the_gauge() {
    let case = Case::new("run");
    let (cluster, name) = (
        format!("{}-c", case.instance),
        format!("{}-svc", case.instance),
    );
    case.write(&service_yaml(&case, &cluster, &name, 1, None));
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(program("finfocus-ecs-controller"))
        .env_clear()
        .env("AWS_ENDPOINT_URL", case.emu.fidelity.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .args(["--instance", &case.instance, "run", "--resync", "1s"])
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
        "finfocus_controller_monthly_cost_usd{{kind=\"EcsService\",name=\"{name}\",region=\"us-east-1\"}} 72.08"
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
    let service = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "EcsService")
        .unwrap();
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
