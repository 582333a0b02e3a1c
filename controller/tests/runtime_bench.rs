//! Steady-state cost of the `run` loop with 100 services (ignored by default; run it on purpose):
//!
//! ```text
//! cargo test -p finfocus-ecs-controller --release --test runtime_bench -- --ignored --nocapture
//! ```
//!
//! It writes 100 `EcsService` manifests (one cluster, one Cloud Map namespace, every service registered
//! in it), converges them against the emulator with `apply`, starts `run --source`, and then measures
//! one unchanged pass after the caches are warm: AWS calls per operation (from `/metrics`), the pass's
//! wall time (from `finfocus_controller_pass_duration_seconds`) and the resident memory of the `run`
//! process (`VmRSS`). Results go to stdout as `BENCH ...` lines. It also asserts the economy the loop
//! promises: no writes, at most ceil(N/10) `DescribeServices` per cluster and no `DescribeTaskDefinition`
//! in an unchanged pass.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measurement harness fails loudly"
)]

mod runtime_support;
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use finfocus_ecs_controller::aws::is_write_operation;
use runtime_support::{Controller, Emulator, Fixture, TempDir, converged, unique};

const SERVICES: usize = 100;

/// `operation -> calls` and the pass counters from a `/metrics` text.
fn scrape(text: &str) -> (BTreeMap<String, u64>, f64, f64) {
    let mut calls = BTreeMap::new();
    let (mut sum, mut count) = (0.0, 0.0);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("finfocus_controller_aws_api_calls_total{") {
            let (labels, value) = rest.rsplit_once("} ").unwrap();
            let field = |name: &str| {
                let start = labels.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                labels[start..].split('"').next().unwrap().to_owned()
            };
            let key = format!(
                "{}:{}:{}",
                field("service"),
                field("operation"),
                field("code")
            );
            *calls.entry(key).or_insert(0) += value.parse::<u64>().unwrap();
        } else if let Some(v) = line.strip_prefix("finfocus_controller_pass_duration_seconds_sum ")
        {
            sum = v.parse().unwrap();
        } else if let Some(v) =
            line.strip_prefix("finfocus_controller_pass_duration_seconds_count ")
        {
            count = v.parse().unwrap();
        }
    }
    (calls, sum, count)
}

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Waits until the controller has completed more passes than `after`; returns the new metrics text.
fn next_pass(ctl: &Controller, after: f64) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let text = ctl.get("/metrics").1;
        if scrape(&text).2 > after {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no pass within 120s:\n{}",
            ctl.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn one_unchanged_pass_over_100_services() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "bench");
    let dir = TempDir::new("bench");
    std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
    for i in 0..SERVICES {
        let name = format!("{}-svc{i:03}", fx.prefix);
        std::fs::write(
            dir.path().join(format!("svc{i:03}.yaml")),
            fx.service(&name, &format!("nginx:1.{i}"), "enforce", None),
        )
        .unwrap();
    }
    let instance = unique("bench");
    let manifests = dir.path().display().to_string();

    let started = Instant::now();
    let apply = emu
        .command(&instance)
        .args(["apply", "-f", &manifests])
        .output()
        .unwrap();
    assert!(
        apply.status.success(),
        "apply failed:\n{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    println!("BENCH apply_seconds {:.2}", started.elapsed().as_secs_f64());

    // A long resync: passes come only when the measurement asks for them (by waiting for the next one).
    let ctl = Controller::start(
        &emu,
        &instance,
        &[
            "--source",
            &manifests,
            "--resync",
            "3s",
            "--max-concurrent",
            "4",
        ],
    );
    let report = ctl.wait_report(Duration::from_secs(180), "converged", converged);
    assert_eq!(report.resources.len(), SERVICES + 2);

    // Warm-up: the first pass fills the task definition and tag caches.
    let warm = next_pass(&ctl, scrape(&ctl.get("/metrics").1).2);
    let (before, sum0, count0) = scrape(&warm);
    let after_text = next_pass(&ctl, count0);
    let (after, sum1, count1) = scrape(&after_text);
    let rss = vm_rss_kib(ctl.pid());

    let mut delta: BTreeMap<String, u64> = BTreeMap::new();
    for (k, v) in &after {
        let d = v - before.get(k).copied().unwrap_or(0);
        if d > 0 {
            delta.insert(k.clone(), d);
        }
    }
    let passes = count1 - count0;
    let per_pass = |op: &str| -> f64 {
        delta
            .iter()
            .filter(|(k, _)| k.split(':').nth(1) == Some(op))
            .map(|(_, v)| *v as f64)
            .sum::<f64>()
            / passes
    };
    println!("BENCH services {SERVICES}");
    println!("BENCH passes_measured {passes}");
    for (k, v) in &delta {
        println!("BENCH calls_per_pass {k} {:.1}", *v as f64 / passes);
    }
    println!(
        "BENCH calls_per_pass_total {:.1}",
        delta.values().sum::<u64>() as f64 / passes
    );
    println!("BENCH pass_seconds {:.3}", (sum1 - sum0) / passes);
    println!("BENCH vm_rss_kib {rss}");
    println!(
        "BENCH machine {} cores, {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("model name\t: "))
            .unwrap_or("unknown cpu")
    );

    let writes: Vec<&String> = delta
        .keys()
        .filter(|k| is_write_operation(k.split(':').nth(1).unwrap_or_default()))
        .collect();
    assert!(writes.is_empty(), "an unchanged pass wrote: {writes:?}");
    assert!(
        per_pass("DescribeServices") <= SERVICES.div_ceil(10) as f64,
        "DescribeServices per pass: {}",
        per_pass("DescribeServices")
    );
    assert_eq!(
        per_pass("DescribeTaskDefinition"),
        0.0,
        "task definitions are cached by ARN"
    );
    assert_eq!(ctl.terminate(), Some(0));
}
