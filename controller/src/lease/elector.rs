//! The election loop: read or renew the lease item on a fixed tick, feed the answers to the
//! [`Lease`] state machine, publish the result for the gate, `/readyz` and `/metrics`, and release
//! the lease on the way out.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::time::Instant;

use super::decide::{Expect, Lease, Step};
use super::dynamo::Store;
use super::gate::Status;
use crate::runtime::Shutdown;

/// Labels `{instance}`: the replica id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct InstanceLabels {
    /// The replica id (the lease holder name).
    pub instance: String,
}

/// `finfocus_controller_leader{instance}` (0/1) and `finfocus_controller_lease_transitions_total`.
#[derive(Debug, Clone)]
pub struct LeaseMetrics {
    leader: Family<InstanceLabels, Gauge>,
    transitions: Counter,
    instance: String,
}

impl LeaseMetrics {
    /// Creates the group for replica `instance` and registers it.
    pub fn register(registry: &mut Registry, instance: &str) -> Self {
        let leader = Family::<InstanceLabels, Gauge>::default();
        let transitions = Counter::default();
        registry.register(
            "leader",
            "Whether this replica holds the lease (1) or stands by (0)",
            leader.clone(),
        );
        registry.register(
            "lease_transitions",
            "Times this replica gained or lost the lease",
            transitions.clone(),
        );
        let metrics = Self {
            leader,
            transitions,
            instance: instance.to_owned(),
        };
        metrics.set(false);
        metrics
    }

    fn set(&self, leading: bool) {
        self.leader
            .get_or_create(&InstanceLabels {
                instance: self.instance.clone(),
            })
            .set(i64::from(leading));
    }
}

/// The loop's state.
#[derive(Debug)]
pub struct Elector {
    store: Store,
    me: String,
    lease: Lease,
    status: watch::Sender<Status>,
    metrics: LeaseMetrics,
}

impl Elector {
    /// An elector for replica `me` over `store`, publishing on `status`.
    #[must_use]
    pub fn new(
        store: Store,
        me: &str,
        duration: Duration,
        status: watch::Sender<Status>,
        metrics: LeaseMetrics,
    ) -> Self {
        Self {
            store,
            me: me.to_owned(),
            lease: Lease::new(me, duration),
            status,
            metrics,
        }
    }

    /// Renews (or tries to acquire) every third of a lease, so two renewals may fail before the
    /// lease runs out; on `stop`, releases a lease it holds.
    pub async fn run(mut self, mut stop: Shutdown) {
        let tick = self.lease.duration() / 3;
        loop {
            let started = Instant::now();
            self.step(tick).await;
            tokio::select! {
                biased;
                () = stop.wait() => break,
                () = tokio::time::sleep_until(started + tick) => {}
            }
        }
        self.release(tick).await;
    }

    /// One read or renewal, and at most one write. Each call is bounded by `limit`, so a hung call
    /// never delays the next renewal.
    async fn step(&mut self, limit: Duration) {
        let step = match self.lease.renewal() {
            Some(step) => step,
            None => match tokio::time::timeout(limit, self.store.read()).await {
                Ok(Ok(record)) => {
                    self.contacted();
                    self.lease.observe(record.as_ref(), Instant::now())
                }
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "cannot read the lease");
                    Step::Wait
                }
                Err(_) => {
                    tracing::warn!(limit = ?limit, "reading the lease timed out");
                    Step::Wait
                }
            },
        };
        if let Step::Write { expect, version } = step {
            let sent = Instant::now();
            let write = self.store.write(&self.me, &self.me, version, &expect);
            match tokio::time::timeout(limit, write).await {
                Ok(Ok(true)) => {
                    self.contacted();
                    self.lease.wrote(version, sent);
                }
                Ok(Ok(false)) => {
                    self.contacted();
                    if matches!(expect, Expect::Held(_)) {
                        tracing::warn!("another replica took the lease");
                    }
                    self.lease.refused();
                }
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "cannot write the lease");
                    self.lease.failed(Instant::now());
                }
                Err(_) => {
                    tracing::warn!(limit = ?limit, "writing the lease timed out");
                    self.lease.failed(Instant::now());
                }
            }
        }
        self.publish();
    }

    fn contacted(&self) {
        self.status
            .send_if_modified(|s| !std::mem::replace(&mut s.contacted, true));
    }

    fn publish(&self) {
        let until = self.lease.valid_until(Instant::now());
        let leading = until.is_some();
        let before = self.status.borrow().leading;
        self.status.send_modify(|s| {
            s.leading = leading;
            s.until = until;
        });
        if before != leading {
            tracing::info!(
                replica = %self.me,
                leading,
                "{}",
                if leading { "acquired the lease" } else { "standing by" }
            );
            self.metrics.transitions.inc();
        }
        self.metrics.set(leading);
    }

    /// Gives the lease up so a standby takes over at once rather than after a whole duration.
    async fn release(&mut self, limit: Duration) {
        let Some(Step::Write { expect, version }) = self.lease.renewal() else {
            return;
        };
        // Writers stop first: nothing may write once the item says "released".
        self.lease.released();
        self.publish();
        match tokio::time::timeout(limit, self.store.write(&self.me, "", version, &expect)).await {
            Ok(Ok(true)) => tracing::info!("released the lease"),
            Ok(Ok(false)) => tracing::info!("the lease was no longer ours to release"),
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "cannot release the lease; it runs out on its own")
            }
            Err(_) => tracing::warn!("releasing the lease timed out; it runs out on its own"),
        }
    }
}
