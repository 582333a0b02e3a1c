//! The shutdown signal: a trigger the process fires on SIGTERM or Ctrl-C, and receivers the
//! loop and the HTTP server wait on.

use std::sync::Arc;

use tokio::sync::watch;

/// Tells the loop (and the HTTP server) to stop.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    tx: Arc<watch::Sender<bool>>,
}

impl ShutdownTrigger {
    /// Signals every [`Shutdown`] of this pair.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }
}

/// Resolves once shutdown was triggered (or its trigger was dropped).
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

impl Shutdown {
    /// A connected trigger and receiver.
    #[must_use]
    pub fn channel() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger { tx: Arc::new(tx) }, Shutdown { rx })
    }

    /// Waits for shutdown. Cancel-safe.
    pub async fn wait(&mut self) {
        // An error means the trigger is gone, which can only happen while the process winds down.
        let _ = self.rx.wait_for(|stop| *stop).await;
    }

    /// Whether shutdown was triggered.
    #[must_use]
    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }
}

/// Waits for SIGTERM (how ECS stops a task) or Ctrl-C.
///
/// # Errors
/// The signal handlers could not be installed.
pub async fn os_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
