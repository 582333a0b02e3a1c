//! The namespace of each Cloud Map service the layer has looked up.
//!
//! AWS answers no namespace in the summaries of `ListServices` (API reference, ServiceSummary), so
//! the layer reads it with `GetService` to apply a `NAMESPACE_ID` filter. A service never moves to
//! another namespace (UpdateService takes no namespace), so what was read once stays true, and a
//! listing of many services costs one `GetService` per service once, not once per page.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Service id -> namespace id.
#[derive(Debug, Default)]
pub struct ServiceNamespaces {
    known: Mutex<HashMap<String, String>>,
}

impl ServiceNamespaces {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, String>> {
        // A panic elsewhere leaves the map usable.
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The namespace of service `id`, if it was read before.
    pub fn get(&self, id: &str) -> Option<String> {
        self.lock().get(id).cloned()
    }

    /// Remembers that service `id` is in namespace `namespace`.
    pub fn remember(&self, id: &str, namespace: &str) {
        self.lock().insert(id.to_owned(), namespace.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_what_it_was_told() {
        let known = ServiceNamespaces::default();
        assert_eq!(known.get("srv-1"), None);
        known.remember("srv-1", "ns-1");
        assert_eq!(known.get("srv-1").as_deref(), Some("ns-1"));
    }
}
