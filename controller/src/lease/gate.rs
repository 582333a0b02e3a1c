//! What the elector publishes and what writers check: whether this replica leads, and until when
//! it may write.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The elector's view, published on every change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Status {
    /// The elector read or wrote the table at least once.
    pub contacted: bool,
    /// This replica's last write succeeded and its lease has not run out (as of publication).
    pub leading: bool,
    /// When the lease runs out, while leading.
    pub until: Option<Instant>,
}

/// A receiver of [`Status`] with the writers' rules: stop `guard` before the lease runs out, so a
/// request sent at the last moment still lands before another replica may take over.
#[derive(Debug, Clone)]
pub struct Gate {
    rx: watch::Receiver<Status>,
    guard: Duration,
}

impl Gate {
    /// A gate over `rx` that stops writers `guard` before expiry.
    #[must_use]
    pub fn new(rx: watch::Receiver<Status>, guard: Duration) -> Self {
        Self { rx, guard }
    }

    /// The current status.
    #[must_use]
    pub fn status(&self) -> Status {
        *self.rx.borrow()
    }

    /// Until when a batch of writes starting now may run; `None` when this replica may not write.
    #[must_use]
    pub fn write_deadline(&self) -> Option<Instant> {
        let status = self.status();
        let until = status.until.filter(|_| status.leading)?;
        let deadline = until.checked_sub(self.guard)?;
        (Instant::now() < deadline).then_some(deadline)
    }

    /// Resolves once this replica may no longer write: at once when it may not, otherwise when the
    /// write deadline passes without a renewal moving it, or the lease is lost.
    pub async fn revoked(&self) {
        let mut rx = self.rx.clone();
        loop {
            let Some(deadline) = self.write_deadline() else {
                return;
            };
            tokio::select! {
                biased;
                () = tokio::time::sleep_until(deadline) => {}
                changed = rx.changed() => {
                    if changed.is_err() {
                        // The elector is gone: nothing renews any more.
                        return;
                    }
                }
            }
        }
    }

    /// Resolves once this replica leads (and may write).
    pub async fn leading(&self) {
        let mut rx = self.rx.clone();
        loop {
            if self.write_deadline().is_some() {
                return;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leading_until(until: Instant) -> Status {
        Status {
            contacted: true,
            leading: true,
            until: Some(until),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn writes_stop_one_guard_before_expiry_unless_renewed() {
        let start = Instant::now();
        let (tx, rx) = watch::channel(leading_until(start + Duration::from_secs(10)));
        let gate = Gate::new(rx, Duration::from_secs(2));
        assert_eq!(gate.write_deadline(), Some(start + Duration::from_secs(8)));
        let revoked = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.revoked().await;
                Instant::now()
            }
        });
        // A renewal at 5s moves the expiry to 20s, so writes may go on until 18s.
        tokio::time::sleep(Duration::from_secs(5)).await;
        tx.send_replace(leading_until(start + Duration::from_secs(20)));
        let at = revoked.await.unwrap_or(start);
        assert_eq!(at, start + Duration::from_secs(18));
        assert_eq!(gate.write_deadline(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn losing_the_lease_revokes_at_once() {
        let start = Instant::now();
        let (tx, rx) = watch::channel(leading_until(start + Duration::from_secs(10)));
        let gate = Gate::new(rx, Duration::from_secs(2));
        let revoked = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.revoked().await;
                Instant::now()
            }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        tx.send_replace(Status {
            contacted: true,
            ..Status::default()
        });
        assert_eq!(
            revoked.await.unwrap_or(start + Duration::from_secs(99)),
            start + Duration::from_secs(1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_standby_may_not_write() {
        let (_tx, rx) = watch::channel(Status::default());
        let gate = Gate::new(rx, Duration::from_secs(2));
        assert_eq!(gate.write_deadline(), None);
        // Resolves without waiting.
        gate.revoked().await;
    }
}
