//! Start-up latency and memory of one regional plugin process.
//!
//! Spawns the real binary `RUNS` times and measures process start to its `PORT=` line (what
//! the FinFocus host waits for), then keeps one process running, sends it a few requests and
//! reads its resident memory from `/proc/<pid>/status`. No bench framework: the numbers are
//! wall-clock times of whole processes, printed with the machine they ran on.
//!
//! `cargo bench -p finfocus-plugin-aws-public --bench startup` (`STARTUP_RUNS=n` to change
//! the sample count).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark should stop loudly on any failure"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use finfocus_plugin_aws_public::proto::v1::cost_source_service_client::CostSourceServiceClient;
use finfocus_plugin_aws_public::proto::v1::{
    GetPluginInfoRequest, GetProjectedCostRequest, NameRequest, ResourceDescriptor,
};

const BIN: &str = env!("CARGO_BIN_EXE_finfocus-plugin-aws-public");
const DEFAULT_RUNS: usize = 30;
const REQUESTS: usize = 100;

/// Spawns a plugin for `region` and returns it with the time until its `PORT=` line.
fn spawn(region: &str) -> (Child, u16, Duration) {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["--port=0", "--region", region])
        .env_remove("FINFOCUS_PLUGIN_PORT")
        .env_remove("PORT")
        .env("FINFOCUS_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the plugin");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the PORT= line");
    let elapsed = started.elapsed();
    let port = line
        .trim()
        .strip_prefix("PORT=")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("expected PORT=<n>, got {line:?}"));
    (child, port, elapsed)
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest-rank percentile.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `VmRSS` and `VmHWM` (peak) of `pid`, in kB.
fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

async fn exercise(port: u16) {
    let mut client = CostSourceServiceClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect");
    client.name(NameRequest {}).await.expect("Name");
    client
        .get_plugin_info(GetPluginInfoRequest {})
        .await
        .expect("GetPluginInfo");
    for i in 0..REQUESTS {
        let sku = if i % 2 == 0 { "t3.micro" } else { "m5.large" };
        client
            .get_projected_cost(GetProjectedCostRequest {
                resource: Some(ResourceDescriptor {
                    provider: "aws".to_owned(),
                    resource_type: "aws:ec2/instance:Instance".to_owned(),
                    sku: sku.to_owned(),
                    region: "us-east-1".to_owned(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .expect("GetProjectedCost");
    }
}

fn main() {
    let runs = std::env::var("STARTUP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(DEFAULT_RUNS);
    println!(
        "machine: {} CPUs, {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model()
    );
    println!("binary: {BIN}");

    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (child, _, elapsed) = spawn("us-east-1");
        stop(child);
        samples.push(elapsed);
    }
    samples.sort();
    println!(
        "start to PORT= line over {runs} runs: median {}, p90 {}, min {}, max {}",
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 90.0)),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    );

    let (child, port, _) = spawn("us-east-1");
    let (idle_rss, _) = memory_kb(child.id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    runtime.block_on(exercise(port));
    let elapsed = started.elapsed();
    let (rss, peak) = memory_kb(child.id());
    println!(
        "us-east-1 process: VmRSS idle {idle_rss} kB; after {REQUESTS} requests {rss} kB (peak {peak} kB)"
    );
    println!(
        "{} sequential unary requests on one connection: {} total, {:.0} us each",
        REQUESTS + 2,
        ms(elapsed),
        elapsed.as_secs_f64() * 1e6 / (REQUESTS + 2) as f64
    );
    stop(child);
}
