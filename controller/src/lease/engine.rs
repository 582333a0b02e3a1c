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
