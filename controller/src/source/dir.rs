//! A local directory as a source: watched for changes, with a debounce so an editor's burst of writes (or a
//! `git pull` touching many files) becomes one new snapshot.
//!
//! The watcher is a latency optimisation only. The loop re-reads the directory on every pass (the periodic
//! resync), so an event the watcher misses, or a file system that reports none, delays a change by at most
//! one resync period.

use std::path::PathBuf;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};

use super::{Snapshot, SourceError, SourceState};

/// Settings of a directory source.
#[derive(Debug, Clone)]
pub struct DirSourceOptions {
    /// The directory (or single file) of manifests.
    pub root: PathBuf,
    /// Quiet time after the last change before a new snapshot is published.
    pub debounce: Duration,
}

impl DirSourceOptions {
    /// Options with a 500 ms debounce.
    #[must_use]
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            debounce: Duration::from_millis(500),
        }
    }
}

/// A watched directory.
#[derive(Debug)]
pub struct DirSource {
    opts: DirSourceOptions,
}

impl DirSource {
    /// A source for `opts.root` (not yet watching).
    #[must_use]
    pub fn new(opts: DirSourceOptions) -> Self {
        Self { opts }
    }

    /// Publishes a first snapshot at once, then a new one after each debounced burst of changes, until every
    /// receiver is dropped.
    ///
    /// # Errors
    /// The path not existing or the watcher failing to start.
    pub fn spawn(self) -> Result<watch::Receiver<SourceState>, SourceError> {
        let root = self.opts.root.clone();
        if !root.exists() {
            return Err(SourceError::io(
                "watch",
                &root,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        // Capacity one: a pending wake-up already means "something changed", more carry nothing new.
        let (event_tx, mut event_rx) = mpsc::channel::<()>(1);
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let relevant = match event {
                    Ok(event) => is_change(&event.kind),
                    // An error may hide a change: let the loop look.
                    Err(_) => true,
                };
                if relevant {
                    let _ = event_tx.try_send(());
                }
            })
            .map_err(|source| SourceError::Watch {
                path: root.display().to_string(),
                source,
            })?;
        watcher
            .watch(&root, RecursiveMode::Recursive)
            .map_err(|source| SourceError::Watch {
                path: root.display().to_string(),
                source,
            })?;

        let mut initial = SourceState::default();
        initial.set_snapshot(Snapshot::live(root.clone()));
        let (tx, rx) = watch::channel(initial);
        let debounce = self.opts.debounce;
        tokio::spawn(async move {
            // The watcher lives as long as this task.
            let _watcher = watcher;
            loop {
                tokio::select! {
                    event = event_rx.recv() => if event.is_none() { break },
                    () = tx.closed() => break,
                }
                // Wait for a quiet period so one burst yields one snapshot.
                loop {
                    tokio::select! {
                        event = event_rx.recv() => if event.is_none() { break },
                        () = tokio::time::sleep(debounce) => break,
                    }
                }
                tracing::debug!(root = %root.display(), "manifests changed");
                tx.send_modify(|state| state.set_snapshot(Snapshot::live(root.clone())));
            }
        });
        Ok(rx)
    }
}

/// Whether a watcher event can change what the manifests say (reads, including our own, cannot).
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, ModifyKind};

    #[test]
    fn reads_are_not_changes() {
        assert!(!is_change(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(is_change(&EventKind::Create(CreateKind::File)));
        assert!(is_change(&EventKind::Modify(ModifyKind::Any)));
    }
}
