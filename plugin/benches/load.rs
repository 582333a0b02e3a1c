//! The multi-region image's numbers, measured on this machine with the release binary:
//!
//! 1. `serve-all` start-up: process start until all 12 regional `/healthz` answer 200 (polled
//!    by this program, independently of the supervisor's own `ALL_READY` line), and the total
//!    resident memory of the supervisor plus its 12 children.
//! 2. Load on one regional port (`serve --region us-east-1`): throughput and p50/p99 latency of
//!    `GetProjectedCost` next to the empty RPC `Name` on the same server (the ceiling of the
//!    stack), from concurrent gRPC clients over a few HTTP/2 connections, with the server's own
//!    CPU time per request (from `/proc/<pid>/stat`) to separate it from the client's share.
//!
//! Everything runs on 127.0.0.1, each phase bounded in time. By default the load generator
//! shares the machine's cores with the server, so absolute numbers understate a dedicated
//! server, and the throughput ratio weighs the client's cost per request (encoding the request,
//! decoding the answer) as much as the server's. Pinning the server and the client to disjoint
//! CPUs (`LOAD_SERVER_CPUS`, `LOAD_CLIENT_CPUS`) gives each side its own core instead: the
//! ratio then follows whichever side is the bottleneck, so read it next to the two CPU costs
//! per request that every line prints. Each line also says how much CPU other processes took
//! meanwhile: a figure well above zero marks a disturbed measurement.
//!
//! `cargo bench -p finfocus-plugin-aws-public --bench load`; knobs (environment):
//! - `LOAD_SECONDS` (per RPC and round, default 5), `LOAD_CONCURRENCY` (in-flight requests,
//!   default 32), `LOAD_CONNECTIONS` (HTTP/2 connections, default 4);
//! - `LOAD_ROUNDS` (default 1): rounds of both RPCs, in alternating order (Name first in odd
//!   rounds, GetProjectedCost first in even ones) so that a drift in background load does not
//!   favour one RPC; the median ratio is printed last;
//! - `LOAD_SERVER_CPUS`, `LOAD_CLIENT_CPUS` (CPU lists such as `0` or `0,1`; unset = no
//!   pinning): the CPUs of the regional server and of this load generator for the load phase;
//! - `LOAD_SERVER_BIN` (default: the binary built with this benchmark): the server to measure,
//!   e.g. a copy of an earlier build, to compare two builds under the same client;
//! - `STARTUP_RUNS` (default 5; 0 skips the serve-all phase).
//!
//! The spawned processes inherit the environment, so e.g.
//! `FINFOCUS_PLUGIN_WEB_ENABLED=false STARTUP_RUNS=0` measures plain gRPC without web mode, and
//! `LOAD_SERVER_CPUS=0 LOAD_CLIENT_CPUS=1 STARTUP_RUNS=0` one core each.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark should stop loudly on any failure"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use finfocus_plugin_aws_public::proto::v1::NameRequest;
use finfocus_plugin_aws_public::proto::v1::cost_source_service_client::CostSourceServiceClient;
use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
use support::projected_request;
use tonic::transport::Channel;

mod support;

const BIN: &str = env!("CARGO_BIN_EXE_finfocus-plugin-aws-public");

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
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

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// A CPU list knob (`0`, `0,1`); `None` when unset or empty.
fn cpus_knob(name: &str) -> Option<CpuSet> {
    let value = std::env::var(name).ok()?;
    let mut set = CpuSet::new();
    for cpu in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let cpu: usize = cpu
            .parse()
            .unwrap_or_else(|_| panic!("{name}: {cpu:?} is not a CPU number"));
        assert!(cpu < CpuSet::MAX_CPU, "{name}: CPU {cpu} out of range");
        set.set(cpu);
    }
    (set.count() > 0).then_some(set)
}

fn cpu_list(set: &CpuSet) -> String {
    (0..CpuSet::MAX_CPU)
        .filter(|cpu| set.is_set(*cpu))
        .map(|cpu| cpu.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Restricts the calling thread, and the threads and processes it starts from now on, to `set`.
fn pin_current_thread(set: &CpuSet) {
    sched_setaffinity(None, set).expect("sched_setaffinity");
}

/// CPU time (user + system, all threads) the process has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let total = ticks(11) + ticks(12);
    Duration::from_secs_f64(total as f64 / rustix::param::clock_ticks_per_second() as f64)
}

/// CPU time the whole machine has been busy so far (user, nice, system, irq, softirq, steal),
/// from `/proc/stat`.
fn machine_busy() -> Duration {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("cpu "))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|i| ticks.get(*i))
        .sum();
    Duration::from_secs_f64(busy as f64 / rustix::param::clock_ticks_per_second() as f64)
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

fn free_port_block() -> u16 {
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    for _ in 0..200 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let base = u16::try_from(20_000 + (seed >> 8) % 29_987).unwrap();
        let taken = (0..13).any(|i| TcpListener::bind(("127.0.0.1", base + i)).is_err());
        if !taken {
            return base;
        }
    }
    panic!("no free port block");
}

fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

fn stop(mut child: Child) {
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// One `serve-all` start: (time to all 12 /healthz green, ALL_READY's own figure, total RSS kB).
fn serve_all_once() -> (Duration, u64, u64) {
    let base = free_port_block();
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .arg("serve-all")
        .args(["--base-port", &base.to_string()])
        .args(["--metrics-port", &(base + 12).to_string()])
        .env("FINFOCUS_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve-all");
    let stdout = lines_of(child.stdout.take().unwrap());
    let deadline = started + Duration::from_secs(30);
    let mut pending: Vec<u16> = (0..12).map(|i| base + i).collect();
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "serve-all not healthy within 30 s"
        );
        pending.retain(|port| !healthy(*port));
    }
    let green = started.elapsed();
    let mut pids = vec![child.id()];
    let mut all_ready_ms = 0;
    while let Ok(line) = stdout.recv_timeout(Duration::from_secs(10)) {
        if let Some(pid) = line
            .strip_prefix("READY ")
            .and_then(|l| l.split("pid=").nth(1))
        {
            pids.push(pid.trim().parse().unwrap());
        }
        if let Some(ms) = line.split("startup_ms=").nth(1) {
            all_ready_ms = ms.trim().parse().unwrap();
            break;
        }
    }
    assert_eq!(pids.len(), 13, "supervisor + 12 children");
    // Let the processes settle (lazy allocations after the first requests are done).
    std::thread::sleep(Duration::from_millis(300));
    let rss: u64 = pids.iter().map(|p| rss_kb(*p)).sum();
    stop(child);
    (green, all_ready_ms, rss)
}

fn median<T: Copy + Ord>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

#[derive(Clone, Copy, Debug)]
enum Rpc {
    Name,
    GetProjectedCost,
}

/// Keeps `concurrency` requests in flight over `clients` for `duration`; returns the
/// latencies (µs) of the requests that completed inside the window.
async fn drive(
    clients: &[CostSourceServiceClient<Channel>],
    rpc: Rpc,
    concurrency: usize,
    duration: Duration,
) -> Vec<u32> {
    let until = Instant::now() + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        let mut client = clients[i % clients.len()].clone();
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            let request = projected_request();
            while Instant::now() < until {
                let started = Instant::now();
                match rpc {
                    Rpc::Name => {
                        client.name(NameRequest {}).await.expect("Name");
                    }
                    Rpc::GetProjectedCost => {
                        let answer = client
                            .get_projected_cost(request.clone())
                            .await
                            .expect("GetProjectedCost")
                            .into_inner();
                        assert!(answer.unit_price > 0.0);
                    }
                }
                latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            latencies
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done.unwrap());
    }
    all.sort_unstable();
    all
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    // STARTUP_RUNS=0 skips the serve-all phase (e.g. to measure with web mode off).
    let runs = std::env::var("STARTUP_RUNS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(5);
    let seconds = knob("LOAD_SECONDS", 5);
    let concurrency = usize::try_from(knob("LOAD_CONCURRENCY", 32)).unwrap();
    let connections = usize::try_from(knob("LOAD_CONNECTIONS", 4)).unwrap();
    println!(
        "machine: {} CPUs, {}; binary: {BIN}",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model()
    );

    let mut green = Vec::new();
    let mut own = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..runs {
        let (g, o, r) = serve_all_once();
        green.push(g);
        own.push(o);
        rss.push(r);
    }
    if runs > 0 {
        let (min_green, max_green) = (*green.iter().min().unwrap(), *green.iter().max().unwrap());
        println!(
            "serve-all start to all 12 /healthz green over {runs} runs: median {:.0} ms (min {:.0}, max {:.0}); supervisor ALL_READY median {} ms",
            median(&mut green).as_secs_f64() * 1e3,
            min_green.as_secs_f64() * 1e3,
            max_green.as_secs_f64() * 1e3,
            median(&mut own),
        );
        println!(
            "serve-all total RSS (supervisor + 12 children): median {:.1} MB (max {:.1} MB)",
            median(&mut rss) as f64 / 1024.0,
            *rss.iter().max().unwrap() as f64 / 1024.0
        );
    }

    let server_bin = std::env::var("LOAD_SERVER_BIN").unwrap_or_else(|_| BIN.to_owned());
    let rounds = knob("LOAD_ROUNDS", 1);
    let server_cpus = cpus_knob("LOAD_SERVER_CPUS");
    let client_cpus = cpus_knob("LOAD_CLIENT_CPUS");
    let unpinned = sched_getaffinity(None).expect("sched_getaffinity");
    println!(
        "load phase: server {server_bin} on CPUs {}, load generator on CPUs {}",
        cpu_list(server_cpus.as_ref().unwrap_or(&unpinned)),
        cpu_list(client_cpus.as_ref().unwrap_or(&unpinned)),
    );
    // A child inherits the affinity of the thread that spawns it, and so do the runtime's
    // worker threads built below.
    if let Some(cpus) = &server_cpus {
        pin_current_thread(cpus);
    }
    let mut server = Command::new(&server_bin)
        .args(["serve", "--region", "us-east-1", "--port", "0"])
        .env("FINFOCUS_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    pin_current_thread(client_cpus.as_ref().unwrap_or(&unpinned));
    let port: u16 = lines_of(server.stdout.take().unwrap())
        .recv_timeout(Duration::from_secs(30))
        .expect("PORT= line")
        .trim()
        .strip_prefix("PORT=")
        .expect("PORT=<n>")
        .parse()
        .unwrap();
    let server_pid = server.id();
    let client_pid = std::process::id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut clients = Vec::new();
        for _ in 0..connections {
            let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
                .unwrap()
                .connect()
                .await
                .expect("connect");
            clients.push(CostSourceServiceClient::new(channel));
        }
        // Warm-up: connections, allocator, caches.
        drive(&clients, Rpc::GetProjectedCost, concurrency, Duration::from_secs(1)).await;
        let window = Duration::from_secs(seconds);
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let order = if round % 2 == 0 {
                [Rpc::Name, Rpc::GetProjectedCost]
            } else {
                [Rpc::GetProjectedCost, Rpc::Name]
            };
            let mut name_rate = 0.0;
            let mut projected_rate = 0.0;
            for rpc in order {
                let server_before = cpu_time(server_pid);
                let client_before = cpu_time(client_pid);
                let machine_before = machine_busy();
                let latencies = drive(&clients, rpc, concurrency, window).await;
                let server_cpu = cpu_time(server_pid).saturating_sub(server_before);
                let client_cpu = cpu_time(client_pid).saturating_sub(client_before);
                // Whatever else ran meanwhile took cores from the two sides (the machine's
                // figure is sampled per tick, so a few percent either way is noise).
                let others = machine_busy()
                    .saturating_sub(machine_before)
                    .saturating_sub(server_cpu + client_cpu);
                let rate = latencies.len() as f64 / window.as_secs_f64();
                let per_request = |cpu: Duration| {
                    cpu.as_secs_f64() * 1e6 / latencies.len().max(1) as f64
                };
                println!(
                    "{rpc:?}: {} requests in {seconds} s = {rate:.0} req/s; latency p50 {} us, p99 {} us ({concurrency} in flight over {connections} connections); server CPU {:.0} us/request, load generator CPU {:.0} us/request; other processes used {:.0}% of a core",
                    latencies.len(),
                    percentile(&latencies, 50.0),
                    percentile(&latencies, 99.0),
                    per_request(server_cpu),
                    per_request(client_cpu),
                    100.0 * others.as_secs_f64() / window.as_secs_f64(),
                );
                match rpc {
                    Rpc::Name => name_rate = rate,
                    Rpc::GetProjectedCost => projected_rate = rate,
                }
            }
            let ratio = 100.0 * projected_rate / name_rate;
            println!("GetProjectedCost throughput = {ratio:.0}% of Name");
            ratios.push(ratio);
        }
        if rounds > 1 {
            ratios.sort_by(f64::total_cmp);
            let mid = ratios.len() / 2;
            let median = if ratios.len() % 2 == 0 {
                (ratios[mid - 1] + ratios[mid]) / 2.0
            } else {
                ratios[mid]
            };
            println!(
                "GetProjectedCost throughput over {rounds} rounds: median {median:.0}% of Name (min {:.0}%, max {:.0}%)",
                ratios[0],
                ratios[ratios.len() - 1],
            );
        }
    });
    println!(
        "server RSS after load: {:.1} MB",
        rss_kb(server.id()) as f64 / 1024.0
    );
    stop(server);
}
