//! One regional child process: spawn, readiness, liveness probes, log forwarding and stop.
//! Also what the child itself does to follow the supervisor (see [`follow_supervisor`]).

use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::{Context, LIVENESS_FAILURES, Outcome, status_line, stopping, tag_log_line};
use crate::region::Region;

/// Set on every regional child to the supervisor's pid: the child asks the kernel for SIGTERM
/// when its parent dies, so a supervisor killed with SIGKILL leaves no regions behind.
pub const SUPERVISOR_PID_ENV: &str = "FINFOCUS_PLUGIN_SUPERVISOR_PID";

/// In a regional child started by `serve-all`: stop (SIGTERM, so the region drains) when the
/// supervisor dies. Returns false if the supervisor is already gone.
pub fn follow_supervisor(supervisor_pid: &str) -> bool {
    use rustix::process::{Signal, getppid, set_parent_process_death_signal};
    // Best effort: without it the child only outlives a supervisor killed with SIGKILL.
    let _ = set_parent_process_death_signal(Some(Signal::TERM));
    // The parent may have died before the request above; then it will never fire.
    let parent = getppid().map(|pid| pid.as_raw_nonzero().get().to_string());
    parent.as_deref() == Some(supervisor_pid)
}

/// Spawns one child for `region` and follows it until it exits or shutdown stops it.
pub(super) async fn run_child(region: Region, ctx: &Context) -> Outcome {
    let port = ctx.port(region);
    let mut command = Command::new(&ctx.exe);
    command
        .arg("serve")
        .arg("--region")
        .arg(region.code())
        .arg("--port")
        .arg(port.to_string())
        .arg("--bind")
        .arg(ctx.bind.to_string())
        .env(SUPERVISOR_PID_ENV, std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return Outcome::Failed {
                was_ready: false,
                reason: format!("cannot spawn {}: {error}", ctx.exe.display()),
            };
        }
    };
    let Some(pid) = child.id() else {
        return Outcome::Failed {
            was_ready: false,
            reason: "child exited at once".into(),
        };
    };
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(forward_lines(stderr, region, ctx.logs.clone()));
    }
    let Some(stdout) = child.stdout.take() else {
        return Outcome::Failed {
            was_ready: false,
            reason: "child stdout is not piped".into(),
        };
    };
    let mut shutdown = ctx.shutdown.clone();

    let ready = tokio::time::timeout(ctx.ready_timeout, wait_ready(region, port, stdout, ctx));
    let startup = tokio::select! {
        result = ready => match result {
            Ok(Ok(())) => Startup::Ready,
            Ok(Err(reason)) => Startup::Failed(reason),
            Err(_) => Startup::Failed(format!("not ready within {:?}", ctx.ready_timeout)),
        },
        status = child.wait() => Startup::Failed(describe_exit(status)),
        () = stopping(&mut shutdown) => Startup::Stopping,
    };
    match startup {
        Startup::Ready => {}
        Startup::Failed(reason) => {
            // Reaps the child if it still runs (not ready in time, wrong port).
            let _ = child.kill().await;
            return Outcome::Failed {
                was_ready: false,
                reason,
            };
        }
        Startup::Stopping => {
            stop_child(region, &mut child, ctx).await;
            return Outcome::Shutdown;
        }
    }

    ctx.fleet.set_ready(region, pid);
    status_line(&format!(
        "READY region={} port={port} pid={pid}",
        region.code()
    ));
    tracing::info!(region = region.code(), port, pid, "regional server ready");
    ctx.all_ready.notify_waiters();

    let status = tokio::select! {
        status = child.wait() => Some(describe_exit(status)),
        reason = hung(region, ctx) => {
            // SIGKILL also ends a stopped process; kill() waits for it.
            let _ = child.kill().await;
            Some(reason)
        }
        () = stopping(&mut shutdown) => None,
    };
    match status {
        Some(reason) => Outcome::Failed {
            was_ready: true,
            reason,
        },
        None => {
            stop_child(region, &mut child, ctx).await;
            Outcome::Shutdown
        }
    }
}

/// Resolves once a ready region failed [`LIVENESS_FAILURES`] health probes in a row; never when
/// probes are off (no health endpoint, or `--liveness-interval 0s`).
async fn hung(region: Region, ctx: &Context) -> String {
    let Some(interval) = ctx.liveness_interval.filter(|_| ctx.probe_health) else {
        return std::future::pending().await;
    };
    let addr = ctx.addr(region);
    let mut failures = 0;
    loop {
        tokio::time::sleep(interval).await;
        // Each probe is bounded by PROBE_TIMEOUT.
        if ctx.prober.healthy(addr).await {
            failures = 0;
            continue;
        }
        failures += 1;
        tracing::warn!(
            region = region.code(),
            failures,
            "regional /healthz probe failed"
        );
        if failures >= LIVENESS_FAILURES {
            return format!("http://{addr}/healthz failed {failures} probes in a row");
        }
    }
}

/// How the start of a child ended.
enum Startup {
    Ready,
    Failed(String),
    Stopping,
}

/// Reads the child's stdout until its `PORT=` line, checks the port, then probes `/healthz`.
/// Later stdout lines are forwarded like stderr lines.
async fn wait_ready(
    region: Region,
    port: u16,
    stdout: tokio::process::ChildStdout,
    ctx: &Context,
) -> Result<(), String> {
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next_line().await {
            Ok(Some(line)) => {
                if let Some(announced) = line.trim().strip_prefix("PORT=") {
                    if announced != port.to_string() {
                        return Err(format!("listens on port {announced}, expected {port}"));
                    }
                    break;
                }
                let _ = ctx.logs.send(tag_log_line(&line, region.code())).await;
            }
            Ok(None) => return Err("stdout closed before the PORT= line".into()),
            Err(error) => return Err(format!("reading stdout failed: {error}")),
        }
    }
    tokio::spawn(forward_reader(lines, region, ctx.logs.clone()));
    if ctx.probe_health {
        // PORT= is printed once the socket listens, so the first probe normally succeeds; a
        // few retries cover a server that builds its routes after binding.
        let addr = ctx.addr(region);
        let mut delay = Duration::from_millis(5);
        for _ in 0..20 {
            if ctx.prober.healthy(addr).await {
                return Ok(());
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(200));
        }
        return Err(format!("http://{addr}/healthz did not answer 200"));
    }
    Ok(())
}

async fn forward_lines<R: AsyncRead + Unpin>(
    reader: R,
    region: Region,
    logs: mpsc::Sender<String>,
) {
    forward_reader(BufReader::new(reader).lines(), region, logs).await;
}

async fn forward_reader<R: AsyncRead + Unpin>(
    mut lines: tokio::io::Lines<BufReader<R>>,
    region: Region,
    logs: mpsc::Sender<String>,
) {
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        if logs.send(tag_log_line(&line, region.code())).await.is_err() {
            break;
        }
    }
}

fn describe_exit(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => format!("exited with {status}"),
        Err(error) => format!("wait failed: {error}"),
    }
}

/// SIGTERM, then wait until the drain deadline, then SIGKILL.
async fn stop_child(region: Region, child: &mut Child, ctx: &Context) {
    let deadline = (*ctx.shutdown.borrow()).unwrap_or_else(Instant::now);
    let pid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid
        && let Err(error) = rustix::process::kill_process(pid, rustix::process::Signal::TERM)
    {
        tracing::warn!(region = region.code(), error = %error, "cannot send SIGTERM");
    }
    let deadline = tokio::time::Instant::from_std(deadline);
    match tokio::time::timeout_at(deadline, child.wait()).await {
        Ok(Ok(status)) => {
            tracing::info!(region = region.code(), %status, "regional server stopped");
        }
        Ok(Err(error)) => {
            tracing::warn!(region = region.code(), error = %error, "waiting for the regional server failed");
        }
        Err(_) => {
            tracing::warn!(
                region = region.code(),
                "regional server did not drain in time; killing it"
            );
            let _ = child.kill().await;
        }
    }
}
