//! Why a rollout failed, in a few lines (pure).
//!
//! When ECS gives up on a deployment, the console shows the answer in two places: the stopped tasks
//! of the new deployment (`stoppedReason`, and each container's exit code and reason, such as
//! `CannotPullContainerError` or `OutOfMemoryError`) and the service's event log. [`explain`] turns
//! what [`crate::aws::watch`] read from both into short lines for `apply --wait` and the `run`
//! report.
//!
//! # Guarantees
//! - Bounded: at most [`MAX_TASK_LINES`] task lines and [`MAX_EVENT_LINES`] event lines per service,
//!   each cut to [`MAX_LINE_CHARS`] characters; a service with fifty identical crashes reads as one
//!   line with a count.
//! - Deduplicated: tasks that stopped for the same reasons are one line (the newest first); an event
//!   message repeated by ECS is shown once.

/// One container of a stopped task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedContainer {
    /// Container name.
    pub name: String,
    /// Its exit code, when it ran.
    pub exit_code: Option<i32>,
    /// Why it stopped, as ECS says it.
    pub reason: Option<String>,
}

/// One stopped task of a deployment, newest first in the lists below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedTask {
    /// `stopCode` (`TaskFailedToStart`, `EssentialContainerExited`, ...).
    pub stop_code: Option<String>,
    /// `stoppedReason`.
    pub stopped_reason: Option<String>,
    /// Its containers.
    pub containers: Vec<StoppedContainer>,
}

/// Task lines kept per service.
pub const MAX_TASK_LINES: usize = 3;
/// Service event lines kept per service.
pub const MAX_EVENT_LINES: usize = 3;
/// Longest line kept (characters); ECS reasons can run to several hundred.
pub const MAX_LINE_CHARS: usize = 240;

/// The lines that say why a deployment failed: its stopped tasks (newest first) and then the
/// service's latest events (`events` newest first, as ECS lists them).
#[must_use]
pub fn explain(tasks: &[StoppedTask], events: &[String]) -> Vec<String> {
    let mut lines: Vec<(String, usize)> = Vec::new();
    for task in tasks {
        let line = describe_task(task);
        if let Some((_, count)) = lines.iter_mut().find(|(l, _)| *l == line) {
            *count += 1;
        } else {
            lines.push((line, 1));
        }
    }
    let mut out: Vec<String> = lines
        .into_iter()
        .take(MAX_TASK_LINES)
        .map(|(line, count)| {
            if count > 1 {
                format!("{count} tasks stopped: {line}")
            } else {
                format!("task stopped: {line}")
            }
        })
        .map(cut)
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for event in events {
        let message = event.trim();
        if message.is_empty() || seen.contains(&message) {
            continue;
        }
        seen.push(message);
        out.push(cut(format!("event: {message}")));
        if seen.len() == MAX_EVENT_LINES {
            break;
        }
    }
    out
}

/// `stopCode: stoppedReason; container app exit 137 (OutOfMemoryError: ...)`.
fn describe_task(task: &StoppedTask) -> String {
    let mut parts = Vec::new();
    match (&task.stop_code, &task.stopped_reason) {
        (Some(code), Some(reason)) => parts.push(format!("{code}: {reason}")),
        (Some(only), None) | (None, Some(only)) => parts.push(only.clone()),
        (None, None) => parts.push("no reason given".to_owned()),
    }
    for c in &task.containers {
        if c.exit_code.is_none() && c.reason.is_none() {
            continue;
        }
        let mut text = format!("container {}", c.name);
        if let Some(code) = c.exit_code {
            text.push_str(&format!(" exit {code}"));
        }
        if let Some(reason) = &c.reason {
            text.push_str(&format!(" ({reason})"));
        }
        parts.push(text);
    }
    parts.join("; ")
}

fn cut(line: String) -> String {
    if line.chars().count() <= MAX_LINE_CHARS {
        return line;
    }
    let mut short: String = line.chars().take(MAX_LINE_CHARS - 3).collect();
    short.push_str("...");
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oom(exit: i32) -> StoppedTask {
        StoppedTask {
            stop_code: Some("EssentialContainerExited".into()),
            stopped_reason: Some("Essential container in task exited".into()),
            containers: vec![
                StoppedContainer {
                    name: "app".into(),
                    exit_code: Some(exit),
                    reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
                },
                StoppedContainer {
                    name: "sidecar".into(),
                    exit_code: None,
                    reason: None,
                },
            ],
        }
    }

    #[test]
    fn a_stopped_task_names_its_reason_and_each_container_that_failed() {
        let lines = explain(&[oom(137)], &[]);
        assert_eq!(
            lines,
            [
                "task stopped: EssentialContainerExited: Essential container in task exited; \
              container app exit 137 (OutOfMemoryError: Container killed due to memory usage)"
            ]
        );
    }

    #[test]
    fn identical_tasks_are_one_line_with_a_count_and_lines_are_bounded() {
        let pull = StoppedTask {
            stop_code: Some("TaskFailedToStart".into()),
            stopped_reason: Some("CannotPullContainerError: pull access denied".into()),
            containers: vec![],
        };
        let mut tasks = vec![pull.clone(); 40];
        tasks.extend((0..10).map(oom));
        let lines = explain(&tasks, &[]);
        assert_eq!(lines.len(), MAX_TASK_LINES);
        assert_eq!(
            lines[0],
            "40 tasks stopped: TaskFailedToStart: CannotPullContainerError: pull access denied"
        );
        assert!(lines[1].contains("exit 0"), "{lines:?}");
    }

    #[test]
    fn events_are_deduplicated_bounded_and_long_lines_cut() {
        let events: Vec<String> = [
            "(service api) failed to launch a task.",
            "(service api) failed to launch a task.",
            "(service api) deployment failed: tasks failed to start.",
            "",
            "(service api) has started 2 tasks.",
            "(service api) has reached a steady state.",
        ]
        .map(String::from)
        .to_vec();
        let lines = explain(&[], &events);
        assert_eq!(
            lines,
            [
                "event: (service api) failed to launch a task.",
                "event: (service api) deployment failed: tasks failed to start.",
                "event: (service api) has started 2 tasks.",
            ]
        );
        let long = StoppedTask {
            stop_code: None,
            stopped_reason: Some("x".repeat(1000)),
            containers: vec![],
        };
        let lines = explain(&[long], &[]);
        assert_eq!(lines[0].chars().count(), MAX_LINE_CHARS);
        assert!(lines[0].ends_with("..."));
    }
}
