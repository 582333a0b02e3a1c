//! The supervisor's shared view of the regions (readiness, pids, its metrics), written by the
//! supervisor and read by the aggregator.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::metrics::SupervisorMetrics;
use crate::region::Region;

/// The supervisor's shared view of the regions, read by the aggregator.
#[derive(Debug)]
pub struct Fleet {
    ready: [AtomicBool; Region::ALL.len()],
    pids: [AtomicU32; Region::ALL.len()],
    metrics: SupervisorMetrics,
}

impl Default for Fleet {
    fn default() -> Self {
        Self::new()
    }
}

impl Fleet {
    /// No region running yet.
    pub fn new() -> Fleet {
        Fleet {
            ready: std::array::from_fn(|_| AtomicBool::new(false)),
            pids: std::array::from_fn(|_| AtomicU32::new(0)),
            metrics: SupervisorMetrics::new(),
        }
    }

    fn index(region: Region) -> usize {
        usize::from(region.port_offset())
    }

    /// Whether the region's process is running and was ready.
    pub fn is_ready(&self, region: Region) -> bool {
        self.ready[Self::index(region)].load(Ordering::Acquire)
    }

    /// Whether every region is ready.
    pub fn all_ready(&self) -> bool {
        Region::ALL.into_iter().all(|r| self.is_ready(r))
    }

    /// The pid of the region's current process, if one runs.
    pub fn pid(&self, region: Region) -> Option<u32> {
        match self.pids[Self::index(region)].load(Ordering::Acquire) {
            0 => None,
            pid => Some(pid),
        }
    }

    /// The supervisor's metrics.
    pub fn metrics(&self) -> &SupervisorMetrics {
        &self.metrics
    }

    pub(crate) fn set_ready(&self, region: Region, pid: u32) {
        self.pids[Self::index(region)].store(pid, Ordering::Release);
        self.ready[Self::index(region)].store(true, Ordering::Release);
        self.metrics.set_running(region, Some(pid));
    }

    pub(crate) fn set_down(&self, region: Region) {
        self.ready[Self::index(region)].store(false, Ordering::Release);
        self.pids[Self::index(region)].store(0, Ordering::Release);
        self.metrics.set_running(region, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_tracks_readiness_and_pids() {
        let fleet = Fleet::new();
        assert!(!fleet.all_ready());
        for (i, r) in Region::ALL.into_iter().enumerate() {
            fleet.set_ready(r, 100 + i as u32);
        }
        assert!(fleet.all_ready());
        assert_eq!(fleet.pid(Region::UsWest1), Some(111));
        fleet.set_down(Region::EuWest1);
        assert!(!fleet.all_ready());
        assert!(!fleet.is_ready(Region::EuWest1));
        assert_eq!(fleet.pid(Region::EuWest1), None);
    }
}
