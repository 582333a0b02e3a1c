//! The lease state machine, free of I/O: given what the table holds and the time, decide whether to
//! acquire, renew or wait, and until when this replica may write.
//!
//! Times are the process's monotonic clock ([`Instant`]); wall-clock time never decides anything. A
//! standby takes an item over only after seeing the *same* record version unchanged for a whole lease
//! duration on its own clock (the rule of the DynamoDB lock client), and a holder trusts its lease only
//! until `duration` after it *sent* its last successful write. Because the standby first saw that
//! version after the write landed, the holder's trust ends before the standby may take over, as long
//! as both clocks advance at about the same rate.

use std::time::Duration;

use tokio::time::Instant;

/// The lease item as read from the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The replica that holds it; empty once released.
    pub holder: String,
    /// Bumped by every write; the condition of the next one.
    pub version: u64,
}

/// What a write must find in the table to succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// No item yet.
    Absent,
    /// The item at this version, whoever holds it (a takeover or a released lease).
    Version(u64),
    /// The item at this version, held by this replica (a renewal or a release).
    Held(u64),
}

/// What to do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write `version` with this replica as holder, if the table still matches `expect`.
    Write {
        /// The condition.
        expect: Expect,
        /// The version to write.
        version: u64,
    },
    /// Nothing to write; read again later.
    Wait,
}

/// A version seen held by another replica, and when it was first seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    version: u64,
    since: Instant,
}

/// One replica's view of the lease.
#[derive(Debug, Clone)]
pub struct Lease {
    me: String,
    duration: Duration,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Another replica may hold it.
    Standby { seen: Option<Seen> },
    /// This replica wrote `version`; it may write until `until`.
    Leading { version: u64, until: Instant },
}

impl Lease {
    /// Replica `me`, standing by, with leases of `duration`.
    #[must_use]
    pub fn new(me: &str, duration: Duration) -> Self {
        Self {
            me: me.to_owned(),
            duration,
            state: State::Standby { seen: None },
        }
    }

    /// The lease duration.
    #[must_use]
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Whether this replica believes it holds the lease (its last write succeeded), whatever the time.
    #[must_use]
    pub fn is_leading(&self) -> bool {
        matches!(self.state, State::Leading { .. })
    }

    /// Until when this replica may write, if it holds the lease at `now`.
    #[must_use]
    pub fn valid_until(&self, now: Instant) -> Option<Instant> {
        match self.state {
            State::Leading { until, .. } if now < until => Some(until),
            _ => None,
        }
    }

    /// The next step of a holder: renew what it wrote last. `None` when not leading (then call
    /// [`Lease::observe`] with a fresh read).
    #[must_use]
    pub fn renewal(&self) -> Option<Step> {
        match self.state {
            State::Leading { version, .. } => Some(Step::Write {
                expect: Expect::Held(version),
                version: version.wrapping_add(1),
            }),
            State::Standby { .. } => None,
        }
    }

    /// The next step of a standby that read `record` at `now`.
    pub fn observe(&mut self, record: Option<&Record>, now: Instant) -> Step {
        let State::Standby { seen } = &mut self.state else {
            // A holder renews blindly (its condition is the check); a read changes nothing.
            return Step::Wait;
        };
        let Some(record) = record else {
            return Step::Write {
                expect: Expect::Absent,
                version: 1,
            };
        };
        let take = Step::Write {
            expect: Expect::Version(record.version),
            version: record.version.wrapping_add(1),
        };
        // Released, or written by this replica through a write whose answer was lost: taking it again
        // (conditionally) is safe, and other standbys restart their wait on the new version.
        if record.holder.is_empty() || record.holder == self.me {
            return take;
        }
        match seen {
            Some(s) if s.version == record.version => {
                if now.saturating_duration_since(s.since) >= self.duration {
                    take
                } else {
                    Step::Wait
                }
            }
            _ => {
                *seen = Some(Seen {
                    version: record.version,
                    since: now,
                });
                Step::Wait
            }
        }
    }

    /// A write of `version` that was sent at `sent` succeeded: this replica holds the lease for one
    /// duration from `sent`.
    pub fn wrote(&mut self, version: u64, sent: Instant) {
        self.state = State::Leading {
            version,
            until: sent + self.duration,
        };
    }

    /// A conditional write was refused: another replica holds the lease (or took it).
    pub fn refused(&mut self) {
        self.state = State::Standby { seen: None };
    }

    /// A write failed without an answer (network, throttling). A holder keeps trusting its lease
    /// until the recorded expiry; past it, it steps down.
    pub fn failed(&mut self, now: Instant) {
        if let State::Leading { until, .. } = self.state
            && now >= until
        {
            self.state = State::Standby { seen: None };
        }
    }

    /// The holder released the lease (or gave up on it).
    pub fn released(&mut self) {
        self.state = State::Standby { seen: None };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_secs(15);

    fn held(holder: &str, version: u64) -> Record {
        Record {
            holder: holder.to_owned(),
            version,
        }
    }

    #[test]
    fn an_empty_table_is_taken_at_once() {
        let mut lease = Lease::new("me", D);
        assert_eq!(
            lease.observe(None, Instant::now()),
            Step::Write {
                expect: Expect::Absent,
                version: 1
            }
        );
    }

    #[test]
    fn a_released_lease_is_taken_at_once() {
        let mut lease = Lease::new("me", D);
        assert_eq!(
            lease.observe(Some(&held("", 7)), Instant::now()),
            Step::Write {
                expect: Expect::Version(7),
                version: 8
            }
        );
    }

    #[test]
    fn a_held_lease_is_taken_only_after_one_unchanged_duration() {
        let t0 = Instant::now();
        let mut lease = Lease::new("me", D);
        assert_eq!(lease.observe(Some(&held("a", 3)), t0), Step::Wait);
        assert_eq!(
            lease.observe(Some(&held("a", 3)), t0 + D - Duration::from_millis(1)),
            Step::Wait
        );
        assert_eq!(
            lease.observe(Some(&held("a", 3)), t0 + D),
            Step::Write {
                expect: Expect::Version(3),
                version: 4
            }
        );
    }

    #[test]
    fn a_renewal_restarts_the_standby_wait() {
        let t0 = Instant::now();
        let mut lease = Lease::new("me", D);
        assert_eq!(lease.observe(Some(&held("a", 3)), t0), Step::Wait);
        // The holder renewed just before the standby's wait ran out.
        assert_eq!(
            lease.observe(Some(&held("a", 4)), t0 + D - Duration::from_secs(1)),
            Step::Wait
        );
        assert_eq!(lease.observe(Some(&held("a", 4)), t0 + D), Step::Wait);
        assert!(matches!(
            lease.observe(Some(&held("a", 4)), t0 + 2 * D),
            Step::Write { .. }
        ));
    }

    #[test]
    fn a_holder_trusts_its_lease_for_one_duration_from_sending_the_write() {
        let sent = Instant::now();
        let mut lease = Lease::new("me", D);
        assert_eq!(lease.valid_until(sent), None);
        lease.wrote(1, sent);
        assert!(lease.is_leading());
        assert_eq!(lease.valid_until(sent + D / 2), Some(sent + D));
        assert_eq!(lease.valid_until(sent + D), None);
        assert_eq!(
            lease.renewal(),
            Some(Step::Write {
                expect: Expect::Held(1),
                version: 2
            })
        );
    }

    #[test]
    fn the_holder_ends_its_trust_before_a_standby_may_take_over() {
        // The holder sends at t, the write lands later, the standby reads it later still.
        let sent = Instant::now();
        let mut holder = Lease::new("me", D);
        holder.wrote(5, sent);
        let mut standby = Lease::new("me", D);
        let first_read = sent + Duration::from_millis(30);
        assert_eq!(standby.observe(Some(&held("a", 5)), first_read), Step::Wait);
        let takeover = first_read + D;
        assert!(matches!(
            standby.observe(Some(&held("a", 5)), takeover),
            Step::Write { .. }
        ));
        assert_eq!(holder.valid_until(takeover), None);
        assert!(holder.valid_until(sent + D).is_none());
    }

    #[test]
    fn a_refused_write_steps_down_and_a_failed_one_only_after_expiry() {
        let sent = Instant::now();
        let mut lease = Lease::new("me", D);
        lease.wrote(2, sent);
        lease.failed(sent + D / 2);
        assert!(lease.is_leading(), "a lost answer alone does not step down");
        lease.failed(sent + D);
        assert!(!lease.is_leading());
        assert_eq!(lease.renewal(), None);

        lease.wrote(9, sent);
        lease.refused();
        assert!(!lease.is_leading());
        assert_eq!(lease.valid_until(sent), None);
    }

    #[test]
    fn an_item_this_replica_wrote_without_hearing_back_is_taken_again_at_once() {
        let mut lease = Lease::new("me", D);
        assert_eq!(
            lease.observe(Some(&held("me", 4)), Instant::now()),
            Step::Write {
                expect: Expect::Version(4),
                version: 5
            }
        );
    }

    #[test]
    fn a_holder_ignores_reads() {
        let sent = Instant::now();
        let mut lease = Lease::new("me", D);
        lease.wrote(2, sent);
        assert_eq!(lease.observe(None, sent), Step::Wait);
        assert!(lease.is_leading());
    }
}
