//! `serve-all` end to end, on 127.0.0.1 with a free block of 13 ports: all 12 regions answer
//! gRPC and Connect JSON with their own prices, the aggregator merges their metrics and
//! reports health, a killed region comes back while the others keep serving, the container
//! health check script tells healthy from broken, and SIGTERM stops everything with exit 0
//! inside the stop timeout (killing a region that does not drain).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests fail loudly on purpose"
)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use finfocus_plugin_aws_public::pricing::{PriceTable, Service};
use finfocus_plugin_aws_public::proto::v1::cost_source_service_client::CostSourceServiceClient;
use finfocus_plugin_aws_public::proto::v1::{
    GetPluginInfoRequest, GetProjectedCostRequest, ResourceDescriptor,
};
use finfocus_plugin_aws_public::region::Region;
use rustix::process::{Pid, Signal, kill_process};

const BIN: &str = env!("CARGO_BIN_EXE_finfocus-plugin-aws-public");
/// Start-up of 12 debug-build processes on a loaded 2-core machine; the release target is < 1 s.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const IO_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT_SECS: u64 = 6;

/// A free block of 13 consecutive loopback ports (12 regions + the aggregator), picked at
/// random in 20000-50000 so parallel runs rarely collide, and checked by binding each.
fn free_port_block() -> u16 {
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        ^ std::process::id().rotate_left(16);
    for _ in 0..200 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let base = 20_000 + (seed >> 8) % (30_000 - 13);
        let base = u16::try_from(base).unwrap();
        let listeners: Vec<_> = (0..13)
            .map_while(|i| TcpListener::bind(("127.0.0.1", base + i)).ok())
            .collect();
        if listeners.len() == 13 {
            return base;
        }
    }
    panic!("no free block of 13 ports found");
}

fn lines_of(reader: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A running `serve-all`; on drop it is stopped (SIGTERM, then SIGKILL) with every child it
/// was seen to start.
struct ServeAll {
    child: Child,
    base: u16,
    metrics_port: u16,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<Vec<String>>>,
    /// region -> pid, from the `READY` lines, latest first seen.
    pids: HashMap<Region, u32>,
    every_pid: HashSet<u32>,
}

fn signal(pid: u32, sig: Signal) {
    let pid = Pid::from_raw(i32::try_from(pid).unwrap()).unwrap();
    let _ = kill_process(pid, sig);
}

/// Whether a process exists and is not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
            !matches!(state, Some(Some('Z' | 'X')))
        }
        Err(_) => false,
    }
}

impl ServeAll {
    fn start(extra_args: &[&str], env: &[(&str, &str)]) -> ServeAll {
        let base = free_port_block();
        let metrics_port = base + 12;
        let mut child = Command::new(BIN)
            .arg("serve-all")
            .args(["--bind", "127.0.0.1"])
            .args(["--base-port", &base.to_string()])
            .args(["--metrics-port", &metrics_port.to_string()])
            .args(["--stop-timeout", &format!("{STOP_TIMEOUT_SECS}s")])
            .args(extra_args)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve-all");
        let stdout = lines_of(child.stdout.take().unwrap());
        let stderr = Arc::new(Mutex::new(Vec::new()));
        {
            let sink = stderr.clone();
            let lines = lines_of(child.stderr.take().unwrap());
            std::thread::spawn(move || {
                for line in lines {
                    sink.lock().unwrap().push(line);
                }
            });
        }
        let mut serve_all = ServeAll {
            child,
            base,
            metrics_port,
            stdout,
            stderr,
            pids: HashMap::new(),
            every_pid: HashSet::new(),
        };
        serve_all.wait_for_line(READY_TIMEOUT, |l| l.starts_with("ALL_READY"));
        assert_eq!(serve_all.pids.len(), 12, "one READY line per region");
        serve_all
    }

    fn port(&self, region: Region) -> u16 {
        self.base + region.port_offset()
    }

    /// Reads status lines until `stop` matches one (bounded), recording READY lines.
    fn wait_for_line(&mut self, bound: Duration, stop: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.stdout.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "no expected status line within {bound:?}; stderr:\n{}",
                    self.stderr.lock().unwrap().join("\n")
                )
            });
            if let Some(ready) = line.strip_prefix("READY ") {
                let fields: HashMap<&str, &str> =
                    ready.split(' ').filter_map(|f| f.split_once('=')).collect();
                let region: Region = fields["region"].parse().unwrap();
                let port: u16 = fields["port"].parse().unwrap();
                assert_eq!(port, self.port(region), "fixed port order");
                let pid: u32 = fields["pid"].parse().unwrap();
                self.pids.insert(region, pid);
                self.every_pid.insert(pid);
            }
            if stop(&line) {
                return line;
            }
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    fn terminate(&mut self, bound: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        signal(self.child.id(), Signal::TERM);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < bound,
                "serve-all did not exit within {bound:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServeAll {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            signal(self.child.id(), Signal::TERM);
            let deadline = Instant::now() + Duration::from_secs(STOP_TIMEOUT_SECS + 2);
            while Instant::now() < deadline && self.child.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for pid in &self.every_pid {
            if alive(*pid) {
                signal(*pid, Signal::CONT);
                signal(*pid, Signal::KILL);
            }
        }
    }
}

/// One HTTP/1.1 exchange with `Connection: close`: (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    Ok((status, body.to_owned()))
}

fn healthz(port: u16) -> bool {
    matches!(http(port, "GET", "/healthz", &[], b""), Ok((200, _)))
}

fn connect_json(
    port: u16,
    method: &str,
    body: &serde_json::Value,
) -> std::io::Result<(u16, serde_json::Value)> {
    let (status, text) = http(
        port,
        "POST",
        &format!("/finfocus.v1.CostSourceService/{method}"),
        &["Content-Type: application/json"],
        body.to_string().as_bytes(),
    )?;
    let json = serde_json::from_str(&text).map_err(std::io::Error::other)?;
    Ok((status, json))
}

fn m5_large(region: Region) -> ResourceDescriptor {
    ResourceDescriptor {
        provider: "aws".into(),
        resource_type: "aws:ec2/instance:Instance".into(),
        sku: "m5.large".into(),
        region: region.code().into(),
        ..ResourceDescriptor::default()
    }
}

fn m5_large_json(region: Region) -> serde_json::Value {
    serde_json::json!({"resource": {
        "provider": "aws",
        "resourceType": "aws:ec2/instance:Instance",
        "sku": "m5.large",
        "region": region.code(),
    }})
}

fn table_price(region: Region) -> f64 {
    PriceTable::load(region)
        .unwrap()
        .price(Service::Ec2, "m5.large")
        .expect("m5.large is priced in every region")
}

async fn grpc_client(port: u16) -> CostSourceServiceClient<tonic::transport::Channel> {
    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect_timeout(IO_TIMEOUT)
        .timeout(IO_TIMEOUT)
        .connect()
        .await
        .expect("connect over gRPC");
    CostSourceServiceClient::new(channel)
}

/// GetPluginInfo names the region, GetProjectedCost answers the region's own m5.large price.
async fn assert_region_serves_its_prices(port: u16, region: Region) {
    let mut client = grpc_client(port).await;
    let info = client
        .get_plugin_info(GetPluginInfoRequest {})
        .await
        .expect("GetPluginInfo")
        .into_inner();
    assert_eq!(
        info.metadata.get("region").map(String::as_str),
        Some(region.code())
    );
    let cost = client
        .get_projected_cost(GetProjectedCostRequest {
            resource: Some(m5_large(region)),
            ..GetProjectedCostRequest::default()
        })
        .await
        .unwrap_or_else(|s| panic!("GetProjectedCost in {region}: {s:?}"))
        .into_inner();
    assert_eq!(
        cost.unit_price,
        table_price(region),
        "gRPC price of {region}"
    );
    assert_eq!(cost.currency, "USD");
}

fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.trim().parse().ok())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_all_serves_every_region_restarts_a_crash_and_stops_on_sigterm() {
    let mut fleet = ServeAll::start(&[], &[]);

    // Every region answers gRPC and Connect JSON with its own prices.
    let mut prices = HashSet::new();
    for region in Region::ALL {
        let port = fleet.port(region);
        assert_region_serves_its_prices(port, region).await;
        let (status, json) = tokio::task::spawn_blocking(move || {
            connect_json(port, "GetProjectedCost", &m5_large_json(region))
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(status, 200, "{json}");
        assert_eq!(
            json["unitPrice"].as_f64(),
            Some(table_price(region)),
            "Connect price of {region}"
        );
        assert_eq!(json["metadata"]["region"], region.code());
        prices.insert(table_price(region).to_bits());
    }
    assert!(prices.len() > 1, "regions have different prices");
    // A process serves only its own region.
    let mut us_east = grpc_client(fleet.port(Region::UsEast1)).await;
    let refused = us_east
        .get_projected_cost(GetProjectedCostRequest {
            resource: Some(m5_large(Region::EuWest1)),
            ..GetProjectedCostRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);

    // The aggregator: healthy, one family per metric, every sample labelled with its region.
    let metrics_port = fleet.metrics_port;
    let (status, body) = http(metrics_port, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, metrics) = http(metrics_port, "GET", "/metrics", &[], b"").unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        metrics
            .matches("# TYPE finfocus_plugin_requests counter")
            .count(),
        1
    );
    for region in Region::ALL {
        let code = region.code();
        assert_eq!(
            metric_value(
                &metrics,
                &format!("finfocus_supervisor_region_up{{region=\"{code}\"}}")
            ),
            Some(1.0)
        );
        assert_eq!(
            metric_value(
                &metrics,
                &format!("finfocus_supervisor_region_pid{{region=\"{code}\"}}")
            ),
            Some(f64::from(fleet.pids[&region]))
        );
        for protocol in ["grpc", "connect"] {
            let series = format!(
                "finfocus_plugin_requests_total{{region=\"{code}\",method=\"GetProjectedCost\",protocol=\"{protocol}\"}}"
            );
            assert!(
                metric_value(&metrics, &series).is_some_and(|v| v >= 1.0),
                "missing {series}"
            );
        }
    }
    assert!(metrics.ends_with("# EOF\n"));

    // Kill one region; the others keep serving (never a failed request) and keep their pids.
    let victim = Region::EuWest1;
    let old_pid = fleet.pids[&victim];
    let others: Vec<(Region, u32)> = fleet
        .pids
        .iter()
        .filter(|(r, _)| **r != victim)
        .map(|(r, p)| (*r, *p))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let watcher = {
        let (stop, served, failures) = (stop.clone(), served.clone(), failures.clone());
        let ports: Vec<u16> = [Region::UsEast1, Region::ApSouth1, Region::UsWest1]
            .iter()
            .map(|r| fleet.port(*r))
            .collect();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                for port in &ports {
                    match connect_json(*port, "Name", &serde_json::json!({})) {
                        Ok((200, _)) => {
                            served.fetch_add(1, Ordering::Relaxed);
                        }
                        other => failures.lock().unwrap().push(format!("{port}: {other:?}")),
                    }
                    if !healthz(*port) {
                        failures.lock().unwrap().push(format!("{port}: /healthz"));
                    }
                }
            }
        })
    };
    signal(old_pid, Signal::KILL);
    let line = fleet.wait_for_line(READY_TIMEOUT, |l| {
        l.starts_with(&format!("READY region={} ", victim.code()))
    });
    let new_pid = fleet.pids[&victim];
    assert_ne!(new_pid, old_pid, "{line}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthz(fleet.port(victim)) {
        assert!(
            Instant::now() < deadline,
            "the restarted region never became healthy"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let the watcher observe the restarted fleet for a moment too.
    let served_before = served.load(Ordering::Relaxed);
    while served.load(Ordering::Relaxed) < served_before + 6 {
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Release);
    watcher.join().unwrap();
    assert!(
        failures.lock().unwrap().is_empty(),
        "{:?}",
        failures.lock().unwrap()
    );
    assert!(served.load(Ordering::Relaxed) > 0);
    for (region, pid) in &others {
        assert_eq!(fleet.pids[region], *pid, "{region} was not restarted");
        assert!(alive(*pid), "{region} still runs");
    }
    assert_region_serves_its_prices(fleet.port(victim), victim).await;
    let (_, metrics) = http(metrics_port, "GET", "/metrics", &[], b"").unwrap();
    assert_eq!(
        metric_value(
            &metrics,
            "finfocus_supervisor_region_restarts_total{region=\"eu-west-1\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric_value(
            &metrics,
            "finfocus_supervisor_region_restarts_total{region=\"us-east-1\"}"
        ),
        Some(0.0)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(
        http(metrics_port, "GET", "/healthz", &[], b""),
        Ok((200, _))
    ) {
        assert!(
            Instant::now() < deadline,
            "the aggregator never became healthy again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // A region that cannot drain (stopped) is killed; SIGTERM ends everything with exit 0
    // inside the stop timeout.
    let frozen = fleet.pids[&Region::UsWest1];
    signal(frozen, Signal::STOP);
    let (status, took) = fleet.terminate(Duration::from_secs(STOP_TIMEOUT_SECS + 5));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took < Duration::from_secs(STOP_TIMEOUT_SECS),
        "stopped in {took:?}"
    );
    for pid in fleet.pids.values() {
        assert!(!alive(*pid), "child {pid} is gone");
    }
    // Children's log lines came through stderr tagged with their region.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let tagged: HashSet<String> = fleet
            .stderr
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| {
                v["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("shutting down"))
            })
            .filter_map(|v| v["region"].as_str().map(str::to_owned))
            .collect();
        if tagged.len() >= 11 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "drain log lines tagged with regions: {tagged:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How `healthcheck.sh` probes: the plugin binary's `healthcheck` subcommand (as in the
/// image), or wget (the fallback when the binary is absent).
#[derive(Debug, Clone, Copy)]
enum Probe {
    Binary,
    Wget,
}

fn run_healthcheck(base: u16, probe: Probe) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("healthcheck.sh");
    let bin = match probe {
        Probe::Binary => BIN,
        Probe::Wget => "/nonexistent/finfocus-plugin-aws-public",
    };
    let output = Command::new("sh")
        .arg(script)
        .env("FINFOCUS_PLUGIN_BASE_PORT", base.to_string())
        .env("FINFOCUS_HEALTHCHECK_TIMEOUT", "2")
        .env("FINFOCUS_HEALTHCHECK_BIN", bin)
        .output()
        .expect("run healthcheck.sh");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The probes to exercise: always the binary (what the image uses); wget when installed.
fn probes() -> Vec<Probe> {
    let wget = Command::new("sh")
        .args(["-c", "command -v wget"])
        .output()
        .is_ok_and(|o| o.status.success());
    if wget {
        vec![Probe::Binary, Probe::Wget]
    } else {
        eprintln!("wget not installed: only the binary probe of healthcheck.sh is tested");
        vec![Probe::Binary]
    }
}

#[test]
fn healthcheck_script_tells_a_healthy_fleet_from_a_dead_region() {
    let mut fleet = ServeAll::start(&[], &[]);
    for probe in probes() {
        let (ok, stderr) = run_healthcheck(fleet.base, probe);
        assert!(ok, "healthy fleet ({probe:?}): {stderr}");
    }

    // Freeze the supervisor so the killed region cannot come back during the checks.
    let supervisor = fleet.child.id();
    signal(supervisor, Signal::STOP);
    let victim = fleet.pids[&Region::ApNortheast1];
    signal(victim, Signal::KILL);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", fleet.port(Region::ApNortheast1))).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the killed region still accepts connections"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let checks: Vec<(Probe, bool, String)> = probes()
        .into_iter()
        .map(|probe| {
            let (ok, stderr) = run_healthcheck(fleet.base, probe);
            (probe, ok, stderr)
        })
        .collect();
    signal(supervisor, Signal::CONT);
    let port = fleet.port(Region::ApNortheast1);
    for (probe, ok, stderr) in checks {
        assert!(!ok, "one region down must fail the check ({probe:?})");
        assert!(
            stderr.contains(&format!(":{port}/healthz")),
            "{probe:?}: {stderr}"
        );
        assert_eq!(
            stderr.lines().count(),
            1,
            "only the dead region is reported ({probe:?}): {stderr}"
        );
    }

    fleet.wait_for_line(READY_TIMEOUT, |l| {
        l.starts_with("READY region=ap-northeast-1 ")
    });
    for probe in probes() {
        let (ok, stderr) = run_healthcheck(fleet.base, probe);
        assert!(ok, "after the restart ({probe:?}): {stderr}");
    }
    let (status, _) = fleet.terminate(Duration::from_secs(STOP_TIMEOUT_SECS + 5));
    assert!(status.success());
}

/// A region that stops answering (SIGSTOP: its socket still accepts, nothing is served) is
/// killed and restarted after three failed probes; the other regions keep their processes.
#[test]
fn a_hung_region_is_restarted_and_the_others_keep_running() {
    let mut fleet = ServeAll::start(&["--liveness-interval", "100ms"], &[]);
    let before = fleet.pids.clone();
    let victim = Region::SaEast1;
    let hung = before[&victim];
    signal(hung, Signal::STOP);
    let line = fleet.wait_for_line(READY_TIMEOUT, |l| {
        l.starts_with(&format!("READY region={} ", victim.code()))
    });
    assert_ne!(fleet.pids[&victim], hung, "{line}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(hung) {
        assert!(Instant::now() < deadline, "the hung process was not killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(healthz(fleet.port(victim)));
    for (region, pid) in before.iter().filter(|(r, _)| **r != victim) {
        assert_eq!(fleet.pids[region], *pid, "{region} was not restarted");
        assert!(alive(*pid), "{region} keeps running");
    }
    let (status, _) = fleet.terminate(Duration::from_secs(STOP_TIMEOUT_SECS + 5));
    assert!(status.success());
}

#[test]
fn serve_all_refuses_bad_settings_before_starting_regions() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        Command::new(BIN)
            .arg("serve-all")
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run serve-all")
    };
    let ports = run(&["--base-port", "65530", "--metrics-port", "9"], &[]);
    assert!(!ports.status.success());
    assert!(String::from_utf8_lossy(&ports.stderr).contains("invalid ports"));
    assert!(ports.stdout.is_empty(), "no region was started");

    let overlap = run(&["--base-port", "30001", "--metrics-port", "30005"], &[]);
    assert!(!overlap.status.success());

    let cors = run(
        &["--base-port", "30001", "--metrics-port", "30100"],
        &[("FINFOCUS_CORS_ALLOW_CREDENTIALS", "true")],
    );
    assert!(!cors.status.success());
    assert!(
        String::from_utf8_lossy(&cors.stderr).contains("FINFOCUS_CORS_ALLOWED_ORIGINS"),
        "{}",
        String::from_utf8_lossy(&cors.stderr)
    );
    assert!(cors.stdout.is_empty(), "no region was started");
}
