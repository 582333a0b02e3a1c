//! The progressive delivery fields of each service that the emulator drops (see
//! [`crate::rules::delivery`]), by `cluster/service` name.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};

/// `cluster/service` -> the kept fields, as last sent.
#[derive(Debug, Default)]
pub struct KeptFields {
    by_service: Mutex<HashMap<String, Map<String, Value>>>,
}

impl KeptFields {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Map<String, Value>>> {
        // A panic elsewhere leaves the map usable.
        self.by_service
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The fields kept for `key`.
    pub fn get(&self, key: &str) -> Map<String, Value> {
        self.lock().get(key).cloned().unwrap_or_default()
    }

    /// Stores what a request sent; fields it did not send stay as they were.
    pub fn store(&self, key: &str, sent: Map<String, Value>) {
        self.lock().entry(key.to_owned()).or_default().extend(sent);
    }

    /// Forgets a service (created anew).
    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }
}
