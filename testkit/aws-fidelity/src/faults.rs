//! Lost answers: the request reaches the emulator and takes effect, then the client never gets
//! the answer (the connection is cut mid-answer), as when a network path fails after AWS acted.
//! The SDK sees a broken response and retries the same request; a retried create must then be
//! recognised by its idempotency token, and the controller must cope with what it finds.
//!
//! Which answers are lost is decided by a seeded generator over the order in which ECS and Cloud
//! Map calls arrive, so a run with the same seed and the same call order loses the same answers.
//! The layer also counts the write calls it passed on, so a test can tell whether a process it
//! killed had already changed anything.

use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use http::HeaderMap;
use http_body::Frame;

use crate::call::Call;

/// How many answers to lose: a rate in `[0, 1]` and the seed of the generator.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LostAnswers {
    /// Fraction of ECS and Cloud Map answers lost.
    pub rate: f64,
    /// Seed: the same seed loses the same calls of the same sequence.
    pub seed: u64,
    /// Only calls of these operations (`CreateService`, `CreatePrivateDnsNamespace`) may lose
    /// their answer; empty: any ECS or Cloud Map call.
    pub only: Vec<String>,
}

impl LostAnswers {
    /// Whether a call of `operation` is subject to losing its answer.
    fn applies_to(&self, operation: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == operation)
    }
}

/// Operation name prefixes of calls that change state.
const WRITE_PREFIXES: [&str; 8] = [
    "Create",
    "Register",
    "Deregister",
    "Update",
    "Delete",
    "Put",
    "Tag",
    "Untag",
];

/// Whether `operation` changes state.
pub fn is_write(operation: &str) -> bool {
    WRITE_PREFIXES.iter().any(|p| operation.starts_with(p))
}

/// One draw of the generator (SplitMix64 over the seed and the call's sequence number).
fn draw(seed: u64, sequence: u64) -> u64 {
    let mut z = seed.wrapping_add(sequence.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Whether the call with sequence number `sequence` loses its answer.
pub fn loses(config: &LostAnswers, sequence: u64) -> bool {
    if config.rate <= 0.0 {
        return false;
    }
    // The top 53 bits as a fraction in [0, 1).
    #[allow(
        clippy::cast_precision_loss,
        reason = "53 bits fit an f64 mantissa exactly"
    )]
    let fraction = (draw(config.seed, sequence) >> 11) as f64 / (1_u64 << 53) as f64;
    fraction < config.rate
}

/// The layer's fault state: the lost-answer setting and its counters.
#[derive(Debug, Default)]
pub struct Faults {
    lost_answers: Mutex<Option<LostAnswers>>,
    sequence: AtomicU64,
    lost: AtomicU64,
    writes: AtomicU64,
}

impl Faults {
    /// Sets (or with `None` clears) the lost-answer setting; the sequence starts again.
    pub fn set_lost_answers(&self, config: Option<LostAnswers>) {
        *self
            .lost_answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
        self.sequence.store(0, Ordering::SeqCst);
    }

    /// Answers lost so far.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::SeqCst)
    }

    /// Write calls passed on to the emulator so far.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Notes a request about to be handled; says whether its answer is to be lost. Calls that
    /// are not ECS or Cloud Map ones are never lost.
    pub fn on_request(&self, headers: &HeaderMap) -> bool {
        let Some(call) = Call::from_headers(headers) else {
            return false;
        };
        if is_write(&call.operation) {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
        let config = self
            .lost_answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let Some(config) = config.filter(|c| c.applies_to(&call.operation)) else {
            return false;
        };
        let sequence = self.sequence.fetch_add(1, Ordering::SeqCst);
        let lost = loses(&config, sequence);
        if lost {
            self.lost.fetch_add(1, Ordering::SeqCst);
        }
        lost
    }
}

/// A response body that fails at once: the server cuts the connection and the client sees the
/// answer break off.
pub fn cut_body() -> Body {
    Body::new(Cut)
}

struct Cut;

impl HttpBody for Cut {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "answer lost (fidelity layer fault)",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_kept_and_the_seed_decides() {
        let config = LostAnswers {
            rate: 0.1,
            seed: 7,
            only: Vec::new(),
        };
        let lost: Vec<u64> = (0..10_000).filter(|n| loses(&config, *n)).collect();
        assert!((900..1100).contains(&lost.len()), "{} lost", lost.len());
        let again: Vec<u64> = (0..10_000).filter(|n| loses(&config, *n)).collect();
        assert_eq!(lost, again);
        let other = LostAnswers {
            seed: 8,
            ..config.clone()
        };
        let other: Vec<u64> = (0..10_000).filter(|n| loses(&other, *n)).collect();
        assert_ne!(lost, other);
        let none = LostAnswers {
            rate: 0.0,
            ..config
        };
        assert!((0..1000).all(|n| !loses(&none, n)));
    }

    #[test]
    fn writes_are_told_by_their_operation() {
        for op in [
            "CreateService",
            "RegisterTaskDefinition",
            "TagResource",
            "DeleteNamespace",
        ] {
            assert!(is_write(op), "{op}");
        }
        for op in ["DescribeServices", "ListNamespaces", "GetOperation"] {
            assert!(!is_write(op), "{op}");
        }
    }

    #[test]
    fn only_ecs_and_cloud_map_calls_are_counted_and_lost() {
        let faults = Faults::default();
        faults.set_lost_answers(Some(LostAnswers {
            rate: 1.0,
            seed: 1,
            only: Vec::new(),
        }));
        let mut headers = HeaderMap::new();
        assert!(!faults.on_request(&headers));
        headers.insert(
            "x-amz-target",
            http::HeaderValue::from_static("AmazonEC2ContainerServiceV20141113.CreateService"),
        );
        assert!(faults.on_request(&headers));
        assert_eq!((faults.writes(), faults.lost()), (1, 1));
        faults.set_lost_answers(Some(LostAnswers {
            rate: 1.0,
            seed: 1,
            only: vec!["RegisterTaskDefinition".into()],
        }));
        assert!(!faults.on_request(&headers), "another operation");
        faults.set_lost_answers(None);
        assert!(!faults.on_request(&headers));
        assert_eq!((faults.writes(), faults.lost()), (3, 1));
    }
}
