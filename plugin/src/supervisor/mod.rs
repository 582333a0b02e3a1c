//! `serve-all`: the container's job. One child process per region (this same executable,
//! `serve --region R --port base+i --bind ADDR`), the metrics aggregator, and the ECS stop
//! contract.
//!
//! # Guarantees
//! - Regions start in parallel on `base_port + Region::port_offset()`, in the fixed order of
//!   [`Region::ALL`]. A region is *ready* once its child printed `PORT=<its port>` and, when the
//!   regional health endpoint is enabled, answered `/healthz` with 200. The supervisor prints one
//!   status line per readiness on stdout: `READY region=<code> port=<n> pid=<pid>`, then
//!   `ALL_READY ...` once every region is up for the first time.
//! - A child that exits (or never becomes ready) is restarted with exponential backoff
//!   (100 ms doubling to 30 s, plus jitter); the backoff resets once a child stayed up for
//!   [`STABLE_AFTER`]. The other regions are not touched.
//! - A ready child whose `/healthz` fails [`LIVENESS_FAILURES`] probes in a row (one every
//!   `--liveness-interval`) is hung: it is killed and restarted like a crashed one, instead of
//!   the container's health check failing the whole task.
//! - Each child's stderr line is re-emitted on our stderr with `"region":"<code>"` injected
//!   (non-JSON lines are wrapped into a JSON object), so one log stream stays attributable.
//! - On SIGTERM (or Ctrl-C) every child gets SIGTERM and may drain until the drain deadline
//!   (the stop timeout minus [`KILL_MARGIN`]); stragglers get SIGKILL. Then the aggregator stops
//!   and `serve_all` returns `Ok`, so the process exits 0 inside the ECS stop timeout.
//!
//! - If the supervisor itself dies (even by SIGKILL), every child gets SIGTERM from the kernel
//!   ([`follow_supervisor`]), so no region outlives it.

mod child;

pub use self::child::{SUPERVISOR_PID_ENV, follow_supervisor};

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use self::child::run_child;
use crate::aggregator::{self, Aggregator};
use crate::fleet::Fleet;
use crate::probe::{Prober, probe_ip};
use crate::region::Region;
use crate::web::{WebConfig, WebConfigError, parse_duration};

/// A child that stayed up this long is considered healthy again: its next crash restarts it
/// after the shortest delay.
pub const STABLE_AFTER: Duration = Duration::from_secs(30);

/// Time kept in reserve, out of the stop timeout, to SIGKILL stragglers and exit.
pub const KILL_MARGIN: Duration = Duration::from_secs(2);

/// Bound of one aggregator scrape or health probe of a region.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Failed `/healthz` probes in a row after which a ready region counts as hung.
pub const LIVENESS_FAILURES: u32 = 3;

/// Log lines buffered between the children and stderr before readers wait.
const LOG_QUEUE: usize = 4096;

/// Options of `serve-all`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeAllArgs {
    /// Address the regional servers and the aggregator listen on (the image uses 0.0.0.0).
    #[arg(long, env = "FINFOCUS_PLUGIN_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port of the first region (us-east-1); region i listens on base-port + i.
    #[arg(long, env = "FINFOCUS_PLUGIN_BASE_PORT", default_value_t = 8001)]
    pub base_port: u16,
    /// Port of the metrics aggregator (`/metrics`, `/healthz`).
    #[arg(long, env = "FINFOCUS_PLUGIN_METRICS_PORT", default_value_t = 9090)]
    pub metrics_port: u16,
    /// Time allowed between SIGTERM and exit (the ECS stop timeout), e.g. `30s`.
    #[arg(long, env = "FINFOCUS_PLUGIN_STOP_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub stop_timeout: Duration,
    /// Time a region may take from spawn to ready before it is killed and retried, e.g. `10s`.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub ready_timeout: Duration,
    /// How often a ready region's `/healthz` is probed; after three failures in a row the
    /// region is restarted. `0s` turns the probes off.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub liveness_interval: Duration,
}

/// Why `serve-all` could not run.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// The port layout does not fit: one port per region from the base, plus the metrics port.
    #[error("invalid ports: {0}")]
    Ports(String),
    /// The web settings of the environment are invalid (the children would refuse them too).
    #[error("invalid web settings")]
    Web(#[source] WebConfigError),
    /// The path of this executable, needed to spawn the regions, is unknown.
    #[error("cannot find the path of the running executable")]
    CurrentExe(#[source] std::io::Error),
    /// The aggregator's port could not be bound.
    #[error("cannot listen on {addr} for the metrics aggregator")]
    Bind {
        /// The address asked.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Installing the signal handlers failed.
    #[error("cannot install the SIGTERM handler")]
    Signal(#[source] std::io::Error),
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

/// Checks the port layout: one port per region from the base within 1..=65535, the metrics port
/// outside it.
pub fn check_ports(base_port: u16, metrics_port: u16) -> Result<(), SupervisorError> {
    let last = u32::from(base_port) + u32::from(Region::ALL.len() as u16 - 1);
    if base_port == 0 || last > u32::from(u16::MAX) {
        return Err(SupervisorError::Ports(format!(
            "base port {base_port} must leave room for {} ports below 65536",
            Region::ALL.len()
        )));
    }
    if metrics_port == 0 {
        return Err(SupervisorError::Ports("metrics port must not be 0".into()));
    }
    if (u32::from(base_port)..=last).contains(&u32::from(metrics_port)) {
        return Err(SupervisorError::Ports(format!(
            "metrics port {metrics_port} collides with the regional ports {base_port}-{last}"
        )));
    }
    Ok(())
}

/// Injects `"region":"<code>"` into a JSON-object log line, or wraps any other line into a JSON
/// object with the text as `message`. A line that already has a `region` key is kept as is.
pub fn tag_log_line(line: &str, region: &str) -> String {
    let trimmed = line.trim();
    if trimmed.starts_with('{')
        && let Ok(object) =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(trimmed)
    {
        if object.contains_key("region") {
            return trimmed.to_owned();
        }
        let region = serde_json::Value::from(region);
        let rest = trimmed[1..].trim_start();
        return if rest.starts_with('}') {
            format!("{{\"region\":{region}}}")
        } else {
            format!("{{\"region\":{region},{rest}")
        };
    }
    serde_json::json!({ "region": region, "target": "child", "message": trimmed }).to_string()
}

/// The restart delays of one region: 100 ms doubling to 30 s, plus up to as much again of
/// jitter (seeded per region and start, so regions that crash together spread out), forever.
fn restart_backoff(region: Region) -> impl Iterator<Item = Duration> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seed = u64::from(now.subsec_nanos()) ^ (u64::from(region.port_offset()) << 40);
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(30))
        .with_factor(2.0)
        .with_jitter()
        .with_jitter_seed(seed)
        .without_max_times()
        .build()
}

/// Everything the per-region tasks share.
struct Context {
    exe: PathBuf,
    bind: IpAddr,
    base_port: u16,
    ready_timeout: Duration,
    probe_health: bool,
    /// Time between liveness probes of a ready region; `None` when off.
    liveness_interval: Option<Duration>,
    fleet: Arc<Fleet>,
    prober: Prober,
    logs: mpsc::Sender<String>,
    /// `None` while running; the drain deadline once shutdown began.
    shutdown: watch::Receiver<Option<Instant>>,
    all_ready: Arc<tokio::sync::Notify>,
}

impl Context {
    fn port(&self, region: Region) -> u16 {
        self.base_port + region.port_offset()
    }

    fn addr(&self, region: Region) -> SocketAddr {
        SocketAddr::new(probe_ip(self.bind), self.port(region))
    }
}

/// How one child's life ended.
enum Outcome {
    /// The supervisor is stopping; the child was stopped.
    Shutdown,
    /// The child exited, failed to start or never became ready.
    Failed {
        /// Whether it had become ready before it failed.
        was_ready: bool,
        reason: String,
    },
}

/// Runs [`serve_all`] on its own runtime: one thread is plenty for 12 pipes, the restart
/// timers and the aggregator, and leaves the cores to the regional processes.
pub fn run(args: &ServeAllArgs) -> Result<(), SupervisorError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SupervisorError::Runtime)?
        .block_on(serve_all(args))
}

/// Runs `serve-all` until SIGTERM or Ctrl-C, then stops everything and returns `Ok`.
pub async fn serve_all(args: &ServeAllArgs) -> Result<(), SupervisorError> {
    check_ports(args.base_port, args.metrics_port)?;
    // Refuse a bad environment once, here, instead of twelve crash loops.
    let web = WebConfig::from_env().map_err(SupervisorError::Web)?;
    let exe = std::env::current_exe().map_err(SupervisorError::CurrentExe)?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(SupervisorError::Signal)?;

    let metrics_addr = SocketAddr::new(args.bind, args.metrics_port);
    let listener = tokio::net::TcpListener::bind(metrics_addr)
        .await
        .map_err(|source| SupervisorError::Bind {
            addr: metrics_addr,
            source,
        })?;

    let started = Instant::now();
    let fleet = Arc::new(Fleet::new());
    let prober = Prober::new(PROBE_TIMEOUT);
    let (log_tx, log_rx) = mpsc::channel::<String>(LOG_QUEUE);
    let log_writer = tokio::task::spawn_blocking(move || write_logs(log_rx));
    let (shutdown_tx, shutdown_rx) = watch::channel::<Option<Instant>>(None);
    let all_ready = Arc::new(tokio::sync::Notify::new());

    let ctx = Arc::new(Context {
        exe,
        bind: args.bind,
        base_port: args.base_port,
        ready_timeout: args.ready_timeout,
        probe_health: web.enabled && web.health_endpoint,
        liveness_interval: (!args.liveness_interval.is_zero()).then_some(args.liveness_interval),
        fleet: fleet.clone(),
        prober: prober.clone(),
        logs: log_tx,
        shutdown: shutdown_rx.clone(),
        all_ready: all_ready.clone(),
    });

    let aggregator = Arc::new(Aggregator {
        regions: Region::ALL.iter().map(|r| (*r, ctx.addr(*r))).collect(),
        fleet: fleet.clone(),
        prober,
        probe_health: web.enabled && web.health_endpoint,
        scrape_metrics: web.enabled,
    });
    let mut aggregator_shutdown = shutdown_rx.clone();
    let aggregator_task = tokio::spawn(async move {
        let listener = crate::server::LimitedListener::new(listener);
        finfocus_serve::serve(
            listener,
            aggregator::router(aggregator),
            finfocus_serve::Limits::default(),
            async move { stopping(&mut aggregator_shutdown).await },
        )
        .await;
    });
    tracing::info!(
        bind = %args.bind,
        base_port = args.base_port,
        metrics_port = args.metrics_port,
        "starting {} regional servers",
        Region::ALL.len()
    );

    let mut regions = JoinSet::new();
    for region in Region::ALL {
        regions.spawn(supervise(region, ctx.clone()));
    }
    let announce = {
        let fleet = fleet.clone();
        let base = args.base_port;
        let metrics_port = args.metrics_port;
        tokio::spawn(async move {
            loop {
                let notified = all_ready.notified();
                if fleet.all_ready() {
                    break;
                }
                notified.await;
            }
            let elapsed = started.elapsed();
            status_line(&format!(
                "ALL_READY ports={base}-{} metrics_port={metrics_port} startup_ms={}",
                base + 11,
                elapsed.as_millis()
            ));
            tracing::info!(startup_ms = elapsed.as_millis() as u64, "all regions ready");
        })
    };

    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received, stopping"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received, stopping"),
    }
    let drain = args
        .stop_timeout
        .saturating_sub(KILL_MARGIN)
        .max(args.stop_timeout / 2);
    let deadline = Instant::now() + drain;
    let _ = shutdown_tx.send(Some(deadline));
    announce.abort();

    // Each region task stops its child: SIGTERM, wait until the deadline, then SIGKILL. The
    // outer bound covers a task that misbehaves.
    let hard_stop = tokio::time::Instant::from_std(deadline) + KILL_MARGIN / 2;
    loop {
        match tokio::time::timeout_at(hard_stop, regions.join_next()).await {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(error))) => tracing::error!(error = %error, "region task failed"),
            Ok(None) => break,
            Err(_) => {
                tracing::warn!("regions did not stop in time; aborting their tasks");
                // Aborting drops the `Child` handles, whose kill_on_drop sends SIGKILL.
                regions.shutdown().await;
                break;
            }
        }
    }
    let _ = tokio::time::timeout(KILL_MARGIN / 4, aggregator_task).await;
    drop(ctx);
    // The writer ends once every sender (the region tasks, the context) is gone.
    let _ = tokio::time::timeout(KILL_MARGIN / 4, log_writer).await;
    tracing::info!("stopped");
    Ok(())
}

/// Prints one status line on stdout. A closed stdout (`serve-all | head -1`) must not stop the
/// supervisor, so write errors are ignored instead of panicking like `println!`.
fn status_line(line: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// Writes the children's log lines to stderr, one write per line so lines never interleave.
fn write_logs(mut lines: mpsc::Receiver<String>) {
    use std::io::Write as _;
    while let Some(mut line) = lines.blocking_recv() {
        line.push('\n');
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
    }
}

/// Keeps one region running until shutdown.
async fn supervise(region: Region, ctx: Arc<Context>) {
    let mut backoff = restart_backoff(region);
    let mut shutdown = ctx.shutdown.clone();
    loop {
        if shutdown.borrow().is_some() {
            return;
        }
        let started = Instant::now();
        let outcome = run_child(region, &ctx).await;
        ctx.fleet.set_down(region);
        let (was_ready, reason) = match outcome {
            Outcome::Shutdown => return,
            Outcome::Failed { was_ready, reason } => (was_ready, reason),
        };
        if shutdown.borrow().is_some() {
            return;
        }
        if was_ready && started.elapsed() >= STABLE_AFTER {
            backoff = restart_backoff(region);
        }
        let delay = backoff.next().unwrap_or(Duration::from_secs(30));
        tracing::warn!(
            region = region.code(),
            reason = %reason,
            restart_in_ms = delay.as_millis() as u64,
            "regional server stopped; restarting"
        );
        ctx.fleet.metrics().record_restart(region);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stopping(&mut shutdown) => return,
        }
    }
}

/// Resolves once shutdown has begun (or the supervisor is gone).
pub(super) async fn stopping(shutdown: &mut watch::Receiver<Option<Instant>>) {
    // The guard `wait_for` returns is dropped here, so callers' futures stay `Send`.
    let _ = shutdown.wait_for(Option::is_some).await.map(|_| ());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn port_layout_is_checked() {
        assert!(check_ports(8001, 9090).is_ok());
        assert!(check_ports(65524, 9090).is_ok());
        assert!(check_ports(65525, 9090).is_err());
        assert!(check_ports(0, 9090).is_err());
        assert!(check_ports(8001, 0).is_err());
        assert!(check_ports(8001, 8012).is_err());
        assert!(check_ports(8001, 8001).is_err());
        assert!(check_ports(8001, 8013).is_ok());
        assert!(check_ports(8001, 8000).is_ok());
    }

    #[test]
    fn json_lines_get_the_region_first() {
        let line = r#"{"timestamp":"t","level":"INFO","message":"listening"}"#;
        assert_eq!(
            tag_log_line(line, "eu-west-1"),
            r#"{"region":"eu-west-1","timestamp":"t","level":"INFO","message":"listening"}"#
        );
        assert_eq!(tag_log_line(" {} ", "a"), r#"{"region":"a"}"#);
        let parsed: serde_json::Value =
            serde_json::from_str(&tag_log_line(line, "eu-west-1")).unwrap();
        assert_eq!(parsed["region"], "eu-west-1");
        assert_eq!(parsed["message"], "listening");
    }

    #[test]
    fn lines_with_a_region_are_kept() {
        let line = r#"{"region":"us-west-2","message":"x"}"#;
        assert_eq!(tag_log_line(line, "eu-west-1"), line);
    }

    #[test]
    fn other_lines_are_wrapped_into_json() {
        for line in [
            "thread 'main' panicked at src/main.rs:1:1",
            "{not json",
            r#"say "hi" \ bye"#,
        ] {
            let tagged = tag_log_line(line, "sa-east-1");
            let parsed: serde_json::Value = serde_json::from_str(&tagged).unwrap();
            assert_eq!(parsed["region"], "sa-east-1");
            assert_eq!(parsed["message"], line);
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let delays: Vec<Duration> = restart_backoff(Region::EuWest1).take(20).collect();
        assert_eq!(delays.len(), 20, "never gives up");
        assert!(delays[0] >= Duration::from_millis(100));
        assert!(delays[0] <= Duration::from_millis(200));
        // Jitter adds at most the current delay again; the cap bounds everything.
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(60)));
        assert!(delays[19] >= Duration::from_secs(30));
    }
}
