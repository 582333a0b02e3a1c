//! Per-resource retry with exponential backoff.
//!
//! Before it applies a resource the loop reads [`Scheduler::state`]: a retry time still ahead means wait,
//! and the failure count and last error go into the report ([`Scheduler::is_ready`] is the bare
//! predicate). It reports each outcome back. A failure pushes that one resource's next attempt out (1x,
//! 2x, 4x ... the initial delay, capped); a success forgets the history. Resources are independent: one that keeps failing never delays another.
//! [`Scheduler::next_wakeup`] tells the loop when the earliest pending retry falls due, so it can run a
//! pass then instead of waiting for the next resync.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use tokio::time::Instant;

/// Exponential backoff settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failure.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The delay after `failures` consecutive failures (`failures >= 1`).
    #[must_use]
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.initial
            .checked_mul(1u32 << doublings)
            .map_or(self.max, |d| d.min(self.max))
    }
}

/// The retry state of one resource.
#[derive(Debug, Clone)]
struct Entry {
    failures: u32,
    retry_at: Instant,
    last_error: String,
    /// Whether a pass has already run at or after `retry_at` (so it need not wake the loop again).
    due_seen: bool,
}

/// Retry bookkeeping keyed by resource.
#[derive(Debug, Clone)]
pub struct Scheduler<K> {
    backoff: Backoff,
    entries: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Clone> Scheduler<K> {
    /// An empty scheduler.
    #[must_use]
    pub fn new(backoff: Backoff) -> Self {
        Self {
            backoff,
            entries: HashMap::new(),
        }
    }

    /// Records a failure at `now`; returns when the resource may be tried again.
    pub fn failed(&mut self, key: K, now: Instant, error: impl Into<String>) -> Instant {
        let entry = self.entries.entry(key).or_insert(Entry {
            failures: 0,
            retry_at: now,
            last_error: String::new(),
            due_seen: false,
        });
        entry.failures = entry.failures.saturating_add(1);
        entry.retry_at = now + self.backoff.delay(entry.failures);
        entry.last_error = error.into();
        entry.due_seen = false;
        entry.retry_at
    }

    /// Records a success: the next failure starts again from the initial delay.
    pub fn succeeded(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Whether the resource may be applied at `now`.
    #[must_use]
    pub fn is_ready(&self, key: &K, now: Instant) -> bool {
        self.entries.get(key).is_none_or(|e| e.retry_at <= now)
    }

    /// The failure count, retry time and last error of a resource in backoff.
    #[must_use]
    pub fn state(&self, key: &K) -> Option<(u32, Instant, &str)> {
        self.entries
            .get(key)
            .map(|e| (e.failures, e.retry_at, e.last_error.as_str()))
    }

    /// The earliest retry time that no pass has reached yet.
    #[must_use]
    pub fn next_wakeup(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter(|e| !e.due_seen)
            .map(|e| e.retry_at)
            .min()
    }

    /// Notes that a pass ran at `now`: retries due by then no longer need a wake-up.
    pub fn pass_ran(&mut self, now: Instant) {
        for entry in self.entries.values_mut() {
            if entry.retry_at <= now {
                entry.due_seen = true;
            }
        }
    }

    /// Forgets resources for which `keep` is false (they left the manifests).
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.entries.retain(|k, _| keep(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
        }
    }

    #[test]
    fn delays_double_and_cap() {
        let b = backoff();
        let delays: Vec<u64> = (1..=6).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_resource_backs_off_exponentially_and_resets_on_success() {
        let mut s = Scheduler::new(backoff());
        let t0 = Instant::now();
        assert!(s.is_ready(&"svc", t0));

        let retry = s.failed("svc", t0, "boom");
        assert_eq!(retry - t0, Duration::from_secs(1));
        assert!(!s.is_ready(&"svc", t0));
        assert_eq!(
            s.state(&"svc").map(|(n, _, e)| (n, e.to_owned())),
            Some((1, "boom".to_owned()))
        );

        // Sleeping until the wake-up makes the resource ready, in virtual time.
        tokio::time::sleep_until(s.next_wakeup().expect("a retry is pending")).await;
        assert!(s.is_ready(&"svc", Instant::now()));
        assert_eq!(Instant::now() - t0, Duration::from_secs(1));

        let t1 = Instant::now();
        assert_eq!(s.failed("svc", t1, "again") - t1, Duration::from_secs(2));
        let t2 = t1 + Duration::from_secs(2);
        assert_eq!(s.failed("svc", t2, "again") - t2, Duration::from_secs(4));

        s.succeeded(&"svc");
        assert!(s.is_ready(&"svc", t2));
        assert_eq!(s.next_wakeup(), None);
        assert_eq!(s.failed("svc", t2, "new") - t2, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn resources_back_off_independently() {
        let mut s = Scheduler::new(backoff());
        let t0 = Instant::now();
        for _ in 0..4 {
            s.failed("bad", t0, "boom");
        }
        assert!(
            s.is_ready(&"good", t0),
            "a healthy resource is never held back"
        );
        s.failed("flaky", t0, "once");
        // The earliest wake-up is the flaky resource's, not the long backoff of the bad one.
        assert_eq!(s.next_wakeup(), Some(t0 + Duration::from_secs(1)));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = Instant::now();
        assert!(s.is_ready(&"flaky", now));
        assert!(!s.is_ready(&"bad", now));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pass_consumes_due_wakeups() {
        let mut s = Scheduler::new(backoff());
        let t0 = Instant::now();
        s.failed("a", t0, "x");
        s.failed("b", t0, "x");
        s.failed("b", t0, "x");
        s.pass_ran(t0 + Duration::from_secs(1));
        // `a` is due and was seen by a pass; only `b` still needs a wake-up.
        assert_eq!(s.next_wakeup(), Some(t0 + Duration::from_secs(2)));
        s.pass_ran(t0 + Duration::from_secs(2));
        assert_eq!(s.next_wakeup(), None);
        s.retain(|k| *k == "a");
        assert!(s.state(&"b").is_none());
        assert!(s.state(&"a").is_some());
    }
}
