//! The soak test of `run` (ignored by default; `scripts/soak` runs it, numbers in BENCHMARKS.md):
//! for `FINFOCUS_SOAK_SECS` (600) seconds over `FINFOCUS_SOAK_SERVICES` (100) services, a commit
//! every 10 s (one service's image changes), drift every 15 s (a desired count changed behind the
//! controller's back), 5% of AWS answers lost (the SDK retries), and 200 slow clients on
//! `--listen`. The process's RSS, open descriptors, threads and child processes are sampled every
//! 10 s and must stay flat after the first minute; every commit must converge; nothing the
//! controller started may outlive it, after SIGTERM or SIGKILL.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::io::Write as _;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use finfocus_aws_fidelity::LostAnswers;
use finfocus_ecs_controller::report::DriftReport;
use runtime_support::{
    Controller, Emulator, Fixture, GitDaemon, TempDir, WorkTree, converged, follow_git, unique,
};
use serde_json::json;

const COMMIT_EVERY: Duration = Duration::from_secs(10);
const DRIFT_EVERY: Duration = Duration::from_secs(15);
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
const SLOW_CLIENTS: usize = 200;
/// The first minute is warm-up: caches, connection pools and the allocator settle.
const WARM_UP: Duration = Duration::from_secs(60);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    rss_kb: u64,
    fds: usize,
    threads: u64,
    children: usize,
}

fn status_field(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| status_field(*p, "PPid:") == u64::from(pid))
        .collect()
}

fn sample(pid: u32, at: Duration) -> Sample {
    Sample {
        at,
        rss_kb: status_field(pid, "VmRSS:"),
        fds: std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count),
        threads: status_field(pid, "Threads:"),
        children: children(pid).len(),
    }
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

fn service_file(fx: &Fixture, i: usize, tag: u64) -> String {
    fx.service(
        &format!("{}-s{i:03}", fx.prefix),
        &format!("ghcr.io/example/app:v{tag}"),
        "enforce",
        None,
    )
}

/// Keeps `SLOW_CLIENTS` connections that send half a request line open until `stop`, opening a
/// new one for each the server closes.
fn slow_clients(addr: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut opened = 0u64;
        let mut held: Vec<TcpStream> = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            held.retain(|s| {
                let mut probe = [0u8; 1];
                s.set_nonblocking(true).unwrap();
                // Open while a read would block; closed (0 or an error) otherwise.
                matches!(s.peek(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
            });
            while held.len() < SLOW_CLIENTS {
                let Ok(mut s) = TcpStream::connect(&addr) else {
                    break;
                };
                let _ = s.write_all(b"GET /report HT");
                held.push(s);
                opened += 1;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        opened
    })
}

#[test]
#[ignore = "a 10-minute soak; run with scripts/soak"]
fn run_stays_flat_under_commits_drift_lost_answers_and_slow_clients() {
    let seconds = env_or("FINFOCUS_SOAK_SECS", 600);
    let services = usize::try_from(env_or("FINFOCUS_SOAK_SERVICES", 100)).unwrap();
    let duration = Duration::from_secs(seconds);
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "soak");
    let daemon = GitDaemon::start();
    let url = daemon.create_repo("soak");
    let tree = WorkTree::new(&url);
    let workdir = TempDir::new("soak-run");
    tree.write("manifests/base.yaml", &fx.base());
    let mut tags = vec![0u64; services];
    for i in 0..services {
        tree.write(&format!("manifests/s{i:03}.yaml"), &service_file(&fx, i, 0));
    }
    let mut commit = tree.commit_and_push("100 services");
    let instance = unique("soak");
    let mut args = follow_git(&url, &workdir, "1s", "5s");
    args.extend(["--retry-delay".into(), "1s".into()]);
    let start = || Controller::start(&emu, &instance, &args);
    let ctl = start();
    let pid = ctl.pid();
    let at_commit = |commit: &str| {
        let commit = commit.to_owned();
        move |r: &DriftReport| r.revision.as_deref() == Some(commit.as_str()) && converged(r)
    };
    let first = Instant::now();
    ctl.wait_report(
        Duration::from_secs(600),
        "converged at the first commit",
        at_commit(&commit),
    );
    eprintln!(
        "soak: {services} services converged in {:?}",
        first.elapsed()
    );

    emu.fidelity().lose_answers(Some(LostAnswers {
        rate: 0.05,
        seed: 29,
        only: Vec::new(),
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let slow = slow_clients(format!("127.0.0.1:{}", ctl.port()), Arc::clone(&stop));

    let started = Instant::now();
    let mut samples = vec![sample(pid, Duration::ZERO)];
    let mut next_commit = started + COMMIT_EVERY;
    let mut next_drift = started + DRIFT_EVERY;
    let mut next_sample = started + SAMPLE_EVERY;
    let (mut commits, mut drifts, mut slowest) = (0u32, 0u32, Duration::ZERO);
    while started.elapsed() < duration {
        let now = Instant::now();
        if now >= next_sample {
            samples.push(sample(pid, started.elapsed()));
            next_sample += SAMPLE_EVERY;
        }
        if now >= next_drift {
            // Behind the controller's back, straight to the emulator (no answer is lost).
            let name = format!("{}-s{:03}", fx.prefix, (drifts as usize * 7) % services);
            let (status, answer) = emu.json_call_at(
                emu.raw_endpoint(),
                "ecs",
                "UpdateService",
                &json!({"cluster": fx.cluster(), "service": name, "desiredCount": 3}),
            );
            assert_eq!(status, 200, "{answer}");
            drifts += 1;
            next_drift += DRIFT_EVERY;
        }
        if now >= next_commit {
            let i = (commits as usize * 13) % services;
            tags[i] += 1;
            tree.write(
                &format!("manifests/s{i:03}.yaml"),
                &service_file(&fx, i, tags[i]),
            );
            commit = tree.commit_and_push(&format!("s{i:03} v{}", tags[i]));
            let pushed = Instant::now();
            ctl.wait_report(
                Duration::from_secs(120),
                "converged at a commit",
                at_commit(&commit),
            );
            slowest = slowest.max(pushed.elapsed());
            commits += 1;
            next_commit += COMMIT_EVERY;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    samples.push(sample(pid, started.elapsed()));
    stop.store(true, Ordering::Relaxed);
    let slow_opened = slow.join().unwrap();
    emu.fidelity().lose_answers(None);

    eprintln!(
        "soak: {commits} commits (slowest converged in {slowest:?}), {drifts} drifts, {} lost answers, {slow_opened} slow connections opened",
        emu.fidelity().lost_answers()
    );
    eprintln!("soak:   t(s)  rss(kB)  fds  threads  children");
    for s in &samples {
        eprintln!(
            "soak: {:>6} {:>8} {:>4} {:>8} {:>9}",
            s.at.as_secs(),
            s.rss_kb,
            s.fds,
            s.threads,
            s.children
        );
    }

    // Flat: nothing after the first two minutes exceeds the second minute's peak by more than
    // noise (RSS 20%, a few descriptors for connections being released, a thread or two).
    let reference: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at >= WARM_UP && s.at < WARM_UP * 2)
        .collect();
    if let Some(peak) = reference
        .iter()
        .map(|s| (s.rss_kb, s.fds, s.threads, s.children))
        .reduce(|a, b| (a.0.max(b.0), a.1.max(b.1), a.2.max(b.2), a.3.max(b.3)))
    {
        for s in samples.iter().filter(|s| s.at >= WARM_UP * 2) {
            assert!(s.rss_kb * 5 <= peak.0 * 6, "RSS grew: {s:?} after {peak:?}");
            assert!(
                s.fds <= peak.1 + 16,
                "descriptors grew: {s:?} after {peak:?}"
            );
            assert!(
                s.threads <= peak.2 + 2,
                "threads grew: {s:?} after {peak:?}"
            );
            assert!(
                s.children <= peak.3 + 2,
                "children grew: {s:?} after {peak:?}"
            );
        }
    }

    // SIGTERM: the controller exits 0 and leaves nothing running.
    let before = children(pid);
    assert_eq!(ctl.terminate(), Some(0));
    let leftover: Vec<u32> = before.into_iter().filter(|p| alive(*p)).collect();
    assert!(
        leftover.is_empty(),
        "left running after SIGTERM: {leftover:?}"
    );

    // SIGKILL: nothing it started survives it either (parent-death signal).
    let ctl = start();
    ctl.wait_report(
        Duration::from_secs(120),
        "converged after a restart",
        at_commit(&commit),
    );
    let pid = ctl.pid();
    let before = children(pid);
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while before.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let leftover: Vec<u32> = before.into_iter().filter(|p| alive(*p)).collect();
    assert!(
        leftover.is_empty(),
        "left running after SIGKILL: {leftover:?}"
    );
    drop(ctl);
}
