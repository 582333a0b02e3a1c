//! Rollouts scripted by tests ([`crate::Fidelity::play_rollout`]): per service name, how it should
//! go and how many `DescribeServices` answers have carried it so far. The only state the layer keeps.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::deployments::Deployments;
use crate::rules::rollout::Rollout;

/// The scripted rollouts.
#[derive(Debug, Default)]
pub struct Rollouts {
    scripted: Mutex<HashMap<String, (Rollout, u32)>>,
    /// The scripted service deployments (`ListServiceDeployments` and friends).
    deployments: Deployments,
}

impl Rollouts {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (Rollout, u32)>> {
        // A panic elsewhere leaves the map usable.
        self.scripted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Scripts `service`'s rollout from now on (its answer count starts again at 0).
    pub fn script(&self, service: &str, rollout: Rollout) {
        self.lock().insert(service.to_owned(), (rollout, 0));
    }

    /// Counts one more answer carrying `service`: its script and the count, this answer included.
    pub fn poll(&self, service: &str) -> Option<(Rollout, u32)> {
        let mut scripted = self.lock();
        let (rollout, polls) = scripted.get_mut(service)?;
        *polls = polls.saturating_add(1);
        Some((rollout.clone(), *polls))
    }

    /// The scripted service deployments.
    pub fn deployments(&self) -> &Deployments {
        &self.deployments
    }

    /// The script of `service` and its answer count, without counting.
    pub fn peek(&self, service: &str) -> Option<(Rollout, u32)> {
        self.lock().get(service).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_count_per_service_and_restart_with_a_new_script() {
        let rollouts = Rollouts::default();
        assert_eq!(rollouts.poll("api"), None);
        rollouts.script("api", Rollout::Complete { after_polls: 2 });
        assert_eq!(rollouts.poll("api").map(|(_, n)| n), Some(1));
        assert_eq!(rollouts.poll("api").map(|(_, n)| n), Some(2));
        assert_eq!(rollouts.peek("api").map(|(_, n)| n), Some(2));
        rollouts.script("api", Rollout::Complete { after_polls: 1 });
        assert_eq!(rollouts.peek("api").map(|(_, n)| n), Some(0));
        assert_eq!(rollouts.poll("web"), None);
    }
}
