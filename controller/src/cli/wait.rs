//! `apply --wait`: shows the rollouts [`crate::wait::wait`] follows and turns their outcome into
//! the exit code.
//!
//! On a terminal each service has one live line (running/desired, pending, rollout state, elapsed)
//! drawn by `indicatif`; elsewhere (CI logs) a plain line per service at most every
//! [`LOG_EVERY`]. Progress goes to stderr; the final line per service goes to stdout when it rolled
//! out and to stderr otherwise.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::Exit;
use crate::Result;
use crate::aws::Context;
use crate::wait::{Outcome, WaitOptions, Watched, Watcher, wait};

/// Least time between two plain progress lines of one service.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Waits for the rollouts of `services`; exit 0 when all completed, 1 otherwise.
///
/// # Errors
/// When a read fails after the SDK's retries.
pub async fn rollouts(ctx: &Context, services: &[Watched], opts: WaitOptions) -> Result<Exit> {
    if services.is_empty() {
        println!("no service rollout to wait for");
        return Ok(Exit::Ok);
    }
    let mut display: Box<dyn Watcher> = if std::io::stderr().is_terminal() {
        Box::new(Live::new(services))
    } else {
        Box::new(Plain::default())
    };
    let outcomes = wait(ctx, services, opts, display.as_mut()).await?;
    drop(display);
    let mut exit = Exit::Ok;
    for (service, outcome) in services.iter().zip(&outcomes) {
        let who = label(service);
        match outcome {
            Outcome::Completed => println!("rolled out {who}"),
            Outcome::TrafficShifted { state } => {
                println!("traffic shifted {who}: {state}");
            }
            Outcome::Failed {
                reason,
                message,
                diagnosis,
            } => {
                exit = Exit::Failed;
                eprintln!("rollout failed: {who}: {reason}: {message}");
                for line in diagnosis {
                    eprintln!("  {line}");
                }
            }
            Outcome::TimedOut { last } => {
                exit = Exit::Failed;
                eprintln!(
                    "rollout still pending after {}: {who}: {last}",
                    seconds(opts.timeout)
                );
            }
        }
    }
    Ok(exit)
}

fn label(service: &Watched) -> String {
    format!("{} ({}/{})", service.key, service.cluster, service.name)
}

/// `45s`, `2m`, `1m30s`: whole seconds, as the duration flags are written.
fn seconds(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// Plain lines for logs.
#[derive(Default)]
struct Plain {
    printed: HashMap<String, Instant>,
}

impl Watcher for Plain {
    fn progress(&mut self, service: &Watched, status: &str, elapsed: Duration) {
        let who = label(service);
        let due = self
            .printed
            .get(&who)
            .is_none_or(|at| at.elapsed() >= LOG_EVERY);
        if due {
            eprintln!("waiting {who}: {status} ({})", seconds(elapsed));
            self.printed.insert(who, Instant::now());
        }
    }

    fn finished(&mut self, service: &Watched, outcome: &Outcome, elapsed: Duration) {
        eprintln!("{} {}: {}", word(outcome), label(service), seconds(elapsed));
    }
}

fn word(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Completed => "completed",
        Outcome::TrafficShifted { .. } => "traffic shifted",
        Outcome::Failed { .. } => "failed",
        Outcome::TimedOut { .. } => "timed out",
    }
}

/// One live line per service on a terminal.
struct Live {
    bars: HashMap<String, ProgressBar>,
    // Keeps the bars drawn together until the display is dropped.
    _group: MultiProgress,
}

impl Live {
    fn new(services: &[Watched]) -> Self {
        let group = MultiProgress::new();
        let style = ProgressStyle::with_template("{spinner} {prefix} [{elapsed}] {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = services
            .iter()
            .map(|s| {
                let bar = group.add(ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(label(s));
                bar.set_message("waiting for the first poll");
                bar.enable_steady_tick(Duration::from_millis(120));
                (label(s), bar)
            })
            .collect();
        Self {
            bars,
            _group: group,
        }
    }
}

impl Watcher for Live {
    fn progress(&mut self, service: &Watched, status: &str, _elapsed: Duration) {
        if let Some(bar) = self.bars.get(&label(service)) {
            bar.set_message(status.to_owned());
        }
    }

    fn finished(&mut self, service: &Watched, outcome: &Outcome, _elapsed: Duration) {
        if let Some(bar) = self.bars.get(&label(service)) {
            bar.finish_with_message(word(outcome));
        }
    }
}
