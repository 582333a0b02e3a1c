//! Steady-state cost of the `run` loop with N services (100 unless `BENCH_SERVICES` says otherwise;
//! ignored by default; run it on purpose):
//!
//! ```text
//! cargo test -p finfocus-ecs-controller --release --test runtime_bench -- --ignored --nocapture
//! BENCH_SERVICES=1000 cargo test -p finfocus-ecs-controller --release --test runtime_bench -- --ignored --nocapture
//! ```
//!
//! It writes N `EcsService` manifests (one cluster, one Cloud Map namespace, every service registered
//! in it), converges them against the emulator with `apply`, starts `run --source`, and then measures
//! unchanged passes after the caches are warm: AWS calls per operation (from `/metrics`), the pass's
//! wall time (from `finfocus_controller_pass_duration_seconds`) and the resident memory of the `run`
//! process (`VmRSS`, and its peak `VmHWM`). Then the fidelity layer adds 50 ms to every call, like a
//! round trip to AWS, and the pass is timed again: with the default `--aws-concurrency`, and in a
//! second `run` process with `--aws-concurrency 1` (every call after the other, as before reads
//! overlapped). Results go to stdout as `BENCH ...` lines. It also asserts the economy the loop
//! promises: no writes, at most ceil(N/10) `DescribeServices` per cluster and no
//! `DescribeTaskDefinition` in an unchanged pass, and that overlapping reads made the slow pass
//! faster.
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

/// Services when `BENCH_SERVICES` is not set.
const DEFAULT_SERVICES: usize = 100;

/// The round trip the fidelity layer adds to every call for the latency rows.
const LATENCY: Duration = Duration::from_millis(50);

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

/// A `/proc/<pid>/status` field in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
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

/// AWS calls per operation and wall time of unchanged passes.
struct Passes {
    /// `service:operation:code -> calls per pass`.
    calls: BTreeMap<String, f64>,
    /// Mean wall time of a pass.
    seconds: f64,
    /// Mean CPU time of the controller process per pass (user and system).
    cpu_seconds: f64,
}

impl Passes {
    fn per_pass(&self, op: &str) -> f64 {
        self.calls
            .iter()
            .filter(|(k, _)| k.split(':').nth(1) == Some(op))
            .map(|(_, v)| v)
            .sum()
    }

    fn total(&self) -> f64 {
        self.calls.values().sum()
    }
}

/// Measures `count` whole passes that start after this call (a pass under way is let finish first,
/// so a changed latency applies to every measured call).
fn measure(ctl: &Controller, count: usize) -> Passes {
    let mut text = next_pass(ctl, scrape(&ctl.get("/metrics").1).2);
    let cpu0 = cpu_seconds(ctl.pid());
    let (before, sum0, count0) = scrape(&text);
    for _ in 0..count {
        text = next_pass(ctl, scrape(&text).2);
    }
    let cpu1 = cpu_seconds(ctl.pid());
    let (after, sum1, count1) = scrape(&text);
    let passes = count1 - count0;
    let calls = after
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                (v - before.get(k).copied().unwrap_or(0)) as f64 / passes,
            )
        })
        .filter(|(_, v)| *v > 0.0)
        .collect();
    Passes {
        calls,
        seconds: (sum1 - sum0) / passes,
        cpu_seconds: (cpu1 - cpu0) / passes,
    }
}

/// CPU time a process has used so far (`utime + stime` of `/proc/<pid>/stat`).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces), counted from the state (field 3).
    let rest = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / rustix::param::clock_ticks_per_second() as f64
}

/// Starts `run` over `manifests` with `extra` flags and waits until it reports every resource.
fn start_run(
    emu: &Emulator,
    instance: &str,
    manifests: &str,
    services: usize,
    extra: &[&str],
) -> Controller {
    // A short resync: passes follow each other closely, and a pass longer than it starts the next
    // at once.
    let mut args = vec![
        "--source",
        manifests,
        "--resync",
        "2s",
        "--max-concurrent",
        "4",
    ];
    args.extend_from_slice(extra);
    let ctl = Controller::start(emu, instance, &args);
    let limit = Duration::from_secs(180 + services as u64 / 2);
    let report = ctl.wait_report(limit, "converged", converged);
    assert_eq!(report.resources.len(), services + 2);
    ctl
}

/// An emulator and a directory holding `BENCH_SERVICES` services (100 unless set) with their
/// cluster and namespace, each service registered in it and running a revision of its own.
fn many_services(label: &str) -> (Emulator, TempDir, usize) {
    let services: usize = std::env::var("BENCH_SERVICES")
        .ok()
        .map_or(DEFAULT_SERVICES, |v| {
            v.parse().expect("BENCH_SERVICES: a count")
        });
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, label);
    let dir = TempDir::new(label);
    std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
    for i in 0..services {
        let name = format!("{}-svc{i:04}", fx.prefix);
        std::fs::write(
            dir.path().join(format!("svc{i:04}.yaml")),
            fx.service(&name, &format!("nginx:1.{i}"), "enforce", None),
        )
        .unwrap();
    }
    (emu, dir, services)
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn unchanged_passes_over_many_services() {
    let (emu, dir, services) = many_services("bench");
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
    println!("BENCH services {services}");
    println!("BENCH apply_seconds {:.2}", started.elapsed().as_secs_f64());

    let fidelity = emu.fidelity();
    let ctl = start_run(&emu, &instance, &manifests, services, &[]);
    // Warm-up: the first pass fills the task definition and tag caches.
    let plain = measure(&ctl, 3);
    fidelity.set_latency(LATENCY);
    let slow = measure(&ctl, 2);
    fidelity.set_latency(Duration::ZERO);
    let (rss, hwm) = (
        status_kib(ctl.pid(), "VmRSS"),
        status_kib(ctl.pid(), "VmHWM"),
    );
    assert_eq!(ctl.terminate(), Some(0));

    let ctl = start_run(
        &emu,
        &instance,
        &manifests,
        services,
        &["--aws-concurrency", "1"],
    );
    measure(&ctl, 1);
    fidelity.set_latency(LATENCY);
    let one_by_one = measure(&ctl, 1);
    fidelity.set_latency(Duration::ZERO);
    assert_eq!(ctl.terminate(), Some(0));

    for (k, v) in &plain.calls {
        println!("BENCH calls_per_pass {k} {v:.1}");
    }
    println!("BENCH calls_per_pass_total {:.1}", plain.total());
    println!("BENCH pass_seconds {:.3}", plain.seconds);
    println!("BENCH pass_cpu_seconds {:.3}", plain.cpu_seconds);
    println!(
        "BENCH pass_seconds_latency_{}ms {:.3}",
        LATENCY.as_millis(),
        slow.seconds
    );
    println!(
        "BENCH pass_seconds_latency_{}ms_concurrency_1 {:.3}",
        LATENCY.as_millis(),
        one_by_one.seconds
    );
    println!("BENCH vm_rss_kib {rss}");
    println!("BENCH vm_hwm_kib {hwm}");
    println!(
        "BENCH machine {} cores, {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("model name\t: "))
            .unwrap_or("unknown cpu")
    );

    let writes: Vec<&String> = plain
        .calls
        .keys()
        .filter(|k| is_write_operation(k.split(':').nth(1).unwrap_or_default()))
        .collect();
    assert!(writes.is_empty(), "an unchanged pass wrote: {writes:?}");
    assert!(
        plain.per_pass("DescribeServices") <= services.div_ceil(10) as f64,
        "DescribeServices per pass: {}",
        plain.per_pass("DescribeServices")
    );
    assert_eq!(
        plain.per_pass("DescribeTaskDefinition"),
        0.0,
        "task definitions are cached by ARN"
    );
    assert!(
        slow.seconds < one_by_one.seconds,
        "overlapping reads: {:.3} s, one by one: {:.3} s",
        slow.seconds,
        one_by_one.seconds
    );
}

/// Round trips of a cold `plan` (a new process, nothing cached) over N services in sync
/// (`BENCH_SERVICES`, 100 by default; one cluster, one namespace, every service registered in
/// it). The fidelity layer adds a step of latency (`BENCH_LATENCY_MS`, 100 by default), then two,
/// to every call; the difference in wall time divided by the step is the number of round trips
/// the plan waits for, whatever the emulator's and the controller's own time. The step must be
/// large enough that calls wait for the network rather than queue in the emulator (which answers
/// one call at a time): 1,000 ms for 1,000 services. Ignored by default:
///
/// ```text
/// BENCH_SERVICES=1000 BENCH_LATENCY_MS=1000 cargo test -p finfocus-ecs-controller --test runtime_bench cold_plan -- --ignored --nocapture
/// ```
#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn cold_plan_round_trips() {
    let (emu, dir, services) = many_services("cold");
    let instance = unique("cold");
    let manifests = dir.path().display().to_string();
    let plan = |latency_ms: u64| {
        emu.fidelity()
            .set_latency(Duration::from_millis(latency_ms));
        let started = Instant::now();
        let out = emu
            .command(&instance)
            .args(["plan", "-f", &manifests])
            .output()
            .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        emu.fidelity().set_latency(Duration::ZERO);
        (out, seconds)
    };
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
    let (out, _) = plan(0);
    assert_eq!(
        out.status.code(),
        Some(0),
        "not in sync:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let calls = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("aws-calls: ").map(str::to_owned))
        .unwrap_or_default();
    let step: u64 = std::env::var("BENCH_LATENCY_MS")
        .ok()
        .map_or(100, |v| v.parse().expect("BENCH_LATENCY_MS: milliseconds"));
    let (_, one) = plan(step);
    let (_, two) = plan(2 * step);
    #[allow(clippy::cast_precision_loss, reason = "milliseconds")]
    let round_trips = (two - one) / (step as f64 / 1000.0);
    println!("BENCH services {services}");
    println!("BENCH cold_plan_calls {calls}");
    println!("BENCH cold_plan_seconds_latency_{step}ms {one:.2}");
    println!("BENCH cold_plan_seconds_latency_{}ms {two:.2}", 2 * step);
    println!("BENCH cold_plan_round_trips {round_trips:.1}");
}
