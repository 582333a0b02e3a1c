//! Network latency for the harness: a fixed delay added to every call the layer answers, and a
//! record of how many calls of each operation were in flight at once.
//!
//! Against the emulator on loopback a call costs well under a millisecond, so a controller that
//! issues its reads one after another looks as fast as one that overlaps them. Real AWS answers
//! after a round trip of tens of milliseconds; with the same delay here the difference shows in wall
//! time, and [`Traffic`] lets a test assert the overlap itself (the most calls of one operation
//! in flight at the same moment), which does not depend on how loaded the machine is.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The environment variable the harness reads for a delay in milliseconds (see
/// [`Latency::from_env`]).
pub const LATENCY_ENV: &str = "FINFOCUS_FIDELITY_LATENCY_MS";

/// Calls of one operation seen by the layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationTraffic {
    /// Calls answered or under way.
    pub calls: u64,
    /// Calls in flight right now.
    pub in_flight: u64,
    /// The most calls that were in flight at the same moment.
    pub max_in_flight: u64,
}

/// Calls per operation (`ecs.DescribeServices`, `servicediscovery.ListServices`; other requests
/// under `other`), and of all of them together under [`ALL`].
pub type Traffic = BTreeMap<String, OperationTraffic>;

/// The [`Traffic`] key of every call together.
pub const ALL: &str = "*";

/// The delay and the traffic record, shared by every request handler and the [`crate::Fidelity`]
/// handle.
#[derive(Debug, Default)]
pub struct Latency {
    /// Delay per call, in microseconds (changeable while the layer runs).
    delay_micros: AtomicU64,
    traffic: Mutex<Traffic>,
}

impl Latency {
    /// The delay [`LATENCY_ENV`] asks for: `None` when unset; an error naming the variable when it
    /// is not a whole number of milliseconds.
    pub fn from_env() -> Result<Option<Duration>, String> {
        match std::env::var(LATENCY_ENV) {
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(e) => Err(format!("{LATENCY_ENV}: {e}")),
            Ok(v) => parse_millis(&v)
                .map(Some)
                .map_err(|e| format!("{LATENCY_ENV}={v:?}: {e}")),
        }
    }

    /// Sets the delay every call from now on waits before it is answered.
    pub fn set(&self, delay: Duration) {
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.delay_micros.store(micros, Ordering::Relaxed);
    }

    /// The delay every call waits.
    pub fn delay(&self) -> Duration {
        Duration::from_micros(self.delay_micros.load(Ordering::Relaxed))
    }

    fn traffic(&self) -> MutexGuard<'_, Traffic> {
        // A poisoned record only means a panic in another handler; the counts are still usable.
        self.traffic.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the traffic record.
    pub fn snapshot(&self) -> Traffic {
        self.traffic().clone()
    }

    /// Forgets the traffic so far (calls in flight keep counting when they end).
    pub fn reset(&self) {
        for t in self.traffic().values_mut() {
            *t = OperationTraffic {
                in_flight: t.in_flight,
                max_in_flight: t.in_flight,
                calls: 0,
            };
        }
    }

    /// Counts a call of `operation` as in flight until the returned guard is dropped.
    pub fn enter(self: &Arc<Self>, operation: String) -> InFlight {
        {
            let mut traffic = self.traffic();
            for key in [operation.as_str(), ALL] {
                let t = traffic.entry(key.to_owned()).or_default();
                t.calls += 1;
                t.in_flight += 1;
                t.max_in_flight = t.max_in_flight.max(t.in_flight);
            }
        }
        InFlight {
            latency: Arc::clone(self),
            operation,
        }
    }

    /// Waits the delay (nothing when it is zero).
    pub async fn wait(&self) {
        let delay = self.delay();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

/// One call in flight; dropping it (answered, or the client went away) ends it.
#[derive(Debug)]
pub struct InFlight {
    latency: Arc<Latency>,
    operation: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut traffic = self.latency.traffic();
        for key in [self.operation.as_str(), ALL] {
            if let Some(t) = traffic.get_mut(key) {
                t.in_flight = t.in_flight.saturating_sub(1);
            }
        }
    }
}

/// A delay in whole milliseconds, at most ten minutes.
pub fn parse_millis(text: &str) -> Result<Duration, String> {
    let ms: u64 = text
        .trim()
        .parse()
        .map_err(|_| "not a whole number of milliseconds".to_owned())?;
    if ms > 600_000 {
        return Err("more than 600000 ms".into());
    }
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

    use super::*;

    #[test]
    fn in_flight_calls_are_counted_per_operation_with_their_peak() {
        let latency = Arc::new(Latency::default());
        let a = latency.enter("ecs.DescribeServices".into());
        let b = latency.enter("ecs.DescribeServices".into());
        let other = latency.enter("ecs.DescribeClusters".into());
        drop(a);
        let c = latency.enter("ecs.DescribeServices".into());
        let t = latency.snapshot();
        assert_eq!(
            t["ecs.DescribeServices"],
            OperationTraffic {
                calls: 3,
                in_flight: 2,
                max_in_flight: 2
            }
        );
        assert_eq!(t["ecs.DescribeClusters"].max_in_flight, 1);
        assert_eq!(t[ALL].calls, 4);
        assert_eq!(t[ALL].max_in_flight, 3);
        drop((b, c, other));
        assert_eq!(latency.snapshot()["ecs.DescribeServices"].in_flight, 0);
        assert_eq!(latency.snapshot()[ALL].in_flight, 0);
    }

    #[test]
    fn reset_forgets_the_peak_but_not_the_calls_still_in_flight() {
        let latency = Arc::new(Latency::default());
        let a = latency.enter("x".into());
        let b = latency.enter("x".into());
        drop(b);
        latency.reset();
        assert_eq!(
            latency.snapshot()["x"],
            OperationTraffic {
                calls: 0,
                in_flight: 1,
                max_in_flight: 1
            }
        );
        drop(a);
        assert_eq!(latency.snapshot()["x"].in_flight, 0);
    }

    #[tokio::test]
    async fn every_call_waits_the_delay_set_last() {
        let latency = Latency::default();
        assert_eq!(latency.delay(), Duration::ZERO);
        latency.set(Duration::from_millis(30));
        let start = std::time::Instant::now();
        latency.wait().await;
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_eq!(latency.delay(), Duration::from_millis(30));
    }

    #[test]
    fn a_delay_is_whole_milliseconds_within_bounds() {
        assert_eq!(parse_millis(" 50 ").unwrap(), Duration::from_millis(50));
        assert_eq!(parse_millis("0").unwrap(), Duration::ZERO);
        assert!(parse_millis("5ms").unwrap_err().contains("milliseconds"));
        assert!(parse_millis("-1").is_err());
        assert!(parse_millis("600001").is_err());
    }
}
