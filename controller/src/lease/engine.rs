//! An [`Engine`] that observes and writes only while this replica holds the lease: every plan and
//! every apply checks the gate first and is cut off the moment the lease can no longer be proven.

use std::sync::Arc;

use super::gate::Gate;
use crate::runtime::{Applied, Engine, Notes, ResourceSummary};
use crate::source::Snapshot;

/// Why a leased plan or apply did not run (or was stopped).
#[derive(Debug, thiserror::Error)]
pub enum LeasedError<E: std::error::Error + 'static> {
    /// This replica does not hold the lease; nothing was sent.
    #[error("not the lease holder: nothing was written")]
    NotLeading,
    /// The lease could no longer be proven while the call ran; it was abandoned.
    #[error("the lease could not be renewed in time; the call was abandoned")]
    Revoked,
    /// The wrapped engine failed.
    #[error(transparent)]
    Inner(E),
}

/// `E` behind the lease gate.
#[derive(Debug)]
pub struct Leased<E> {
    inner: Arc<E>,
    gate: Gate,
}

impl<E> Leased<E> {
    /// Wraps `inner`.
    #[must_use]
    pub fn new(inner: Arc<E>, gate: Gate) -> Self {
        Self { inner, gate }
    }

    /// The engine without the gate: only for reads a standby may make (load, plan).
    pub(super) fn inner(&self) -> &E {
        &self.inner
    }

    async fn gated<T, Err: std::error::Error + 'static>(
        &self,
        call: impl Future<Output = Result<T, Err>>,
    ) -> Result<T, LeasedError<Err>> {
        if self.gate.write_deadline().is_none() {
            return Err(LeasedError::NotLeading);
        }
        tokio::select! {
            biased;
            () = self.gate.revoked() => Err(LeasedError::Revoked),
            result = call => result.map_err(LeasedError::Inner),
        }
    }
}

impl<E: Engine> Engine for Leased<E> {
    type Desired = E::Desired;
    type Plan = E::Plan;
    type Work = E::Work;
    type Report = E::Report;
    type Error = LeasedError<E::Error>;

    async fn load(&self, snapshot: Snapshot) -> Result<E::Desired, Vec<String>> {
        self.inner.load(snapshot).await
    }

    async fn plan(&self, desired: &E::Desired) -> Result<E::Plan, Self::Error> {
        self.gated(self.inner.plan(desired)).await
    }

    fn summarize(&self, plan: &E::Plan) -> Vec<ResourceSummary> {
        self.inner.summarize(plan)
    }

    fn work(&self, plan: &E::Plan, key: &str) -> Option<E::Work> {
        self.inner.work(plan, key)
    }

    async fn apply(&self, work: E::Work) -> Result<Applied, Self::Error> {
        self.gated(self.inner.apply(work)).await
    }

    fn report(&self, plan: Option<&E::Plan>, revision: Option<&str>, notes: &Notes) -> E::Report {
        self.inner.report(plan, revision, notes)
    }

    fn error_label(error: &Self::Error) -> &'static str {
        match error {
            LeasedError::NotLeading => "not_leader",
            LeasedError::Revoked => "lease_lost",
            LeasedError::Inner(e) => E::error_label(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::sync::watch;
    use tokio::time::Instant;

    use super::*;
    use crate::lease::Status;
    use crate::runtime::ReportView;

    struct Empty;

    impl ReportView for Empty {
        fn json(&self) -> String {
            String::new()
        }
        fn text(&self) -> String {
            String::new()
        }
        fn markdown(&self) -> String {
            String::new()
        }
    }

    /// An engine whose apply takes the time it is given and counts its calls.
    #[derive(Default)]
    struct Slow {
        applies: AtomicUsize,
        finished: AtomicUsize,
    }

    impl Engine for Slow {
        type Desired = ();
        type Plan = ();
        type Work = Duration;
        type Report = Empty;
        type Error = std::io::Error;

        async fn load(&self, _: Snapshot) -> Result<(), Vec<String>> {
            Ok(())
        }
        async fn plan(&self, (): &()) -> Result<(), std::io::Error> {
            Ok(())
        }
        fn summarize(&self, (): &()) -> Vec<ResourceSummary> {
            Vec::new()
        }
        fn work(&self, (): &(), _: &str) -> Option<Duration> {
            None
        }
        async fn apply(&self, work: Duration) -> Result<Applied, std::io::Error> {
            self.applies.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(work).await;
            self.finished.fetch_add(1, Ordering::SeqCst);
            Ok(Applied::default())
        }
        fn report(&self, _: Option<&()>, _: Option<&str>, _: &Notes) -> Empty {
            Empty
        }
        fn error_label(_: &std::io::Error) -> &'static str {
            "io"
        }
    }

    fn leading_for(secs: u64) -> Status {
        Status {
            contacted: true,
            leading: true,
            until: Some(Instant::now() + Duration::from_secs(secs)),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_standby_sends_nothing() {
        let inner = Arc::new(Slow::default());
        let (_tx, rx) = watch::channel(Status::default());
        let leased = Leased::new(Arc::clone(&inner), Gate::new(rx, Duration::from_secs(2)));
        let err = leased.apply(Duration::ZERO).await.unwrap_err();
        assert!(matches!(err, LeasedError::NotLeading), "{err}");
        assert!(matches!(
            leased.plan(&()).await,
            Err(LeasedError::NotLeading)
        ));
        assert_eq!(inner.applies.load(Ordering::SeqCst), 0);
        assert_eq!(Leased::<Slow>::error_label(&err), "not_leader");
    }

    #[tokio::test(start_paused = true)]
    async fn an_apply_is_cut_off_when_the_lease_cannot_be_renewed() {
        let inner = Arc::new(Slow::default());
        let (_tx, rx) = watch::channel(leading_for(10));
        let leased = Leased::new(Arc::clone(&inner), Gate::new(rx, Duration::from_secs(2)));
        let start = Instant::now();
        let err = leased.apply(Duration::from_secs(30)).await.unwrap_err();
        assert!(matches!(err, LeasedError::Revoked), "{err}");
        // Stopped at expiry minus the guard, not after the 30s the apply wanted.
        assert_eq!(start.elapsed(), Duration::from_secs(8));
        assert_eq!(inner.applies.load(Ordering::SeqCst), 1);
        assert_eq!(inner.finished.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_renewed_lease_lets_a_long_apply_finish() {
        let inner = Arc::new(Slow::default());
        let (tx, rx) = watch::channel(leading_for(10));
        let leased = Leased::new(Arc::clone(&inner), Gate::new(rx, Duration::from_secs(2)));
        let renewals = tokio::spawn(async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_secs(3)).await;
                tx.send_replace(leading_for(10));
            }
        });
        leased.apply(Duration::from_secs(20)).await.unwrap();
        assert_eq!(inner.finished.load(Ordering::SeqCst), 1);
        renewals.abort();
    }
}
