//! The protocol's limits on response metadata maps: at most 32 entries, keys of 1-64
//! printable ASCII characters, values of at most 1024 bytes.
//!
//! Our keys are fixed names, but values can quote client input (a SKU, a property), so the
//! limits are enforced on the way out instead of trusted.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

/// Most entries in one metadata map.
pub const MAX_ENTRIES: usize = 32;
/// Longest key, in bytes (keys are ASCII).
pub const MAX_KEY_LEN: usize = 64;
/// Longest value, in bytes.
pub const MAX_VALUE_LEN: usize = 1024;

/// Builds a metadata map within the limits: keys that break the rules are dropped, values are
/// cut at a character boundary, the first occurrence of a key wins and entries past
/// [`MAX_ENTRIES`] are dropped.
pub fn bounded(pairs: impl IntoIterator<Item = (String, String)>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (key, value) in pairs {
        if map.len() == MAX_ENTRIES {
            break;
        }
        if !valid_key(&key) {
            continue;
        }
        if let Entry::Vacant(slot) = map.entry(key) {
            slot.insert(cut_bytes(value, MAX_VALUE_LEN));
        }
    }
    map
}

/// `value` cut to [`MAX_VALUE_LEN`] bytes at a character boundary.
pub fn bounded_value(value: String) -> String {
    cut_bytes(value, MAX_VALUE_LEN)
}

/// Whether `key` can be a metadata key.
pub fn valid_key(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

fn cut_bytes(mut value: String, max: usize) -> String {
    if value.len() > max {
        let mut end = max;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_all_limits() {
        let mut pairs = vec![
            (String::new(), "empty key".to_owned()),
            ("k".repeat(65), "long key".to_owned()),
            ("tab\tkey".to_owned(), "control char".to_owned()),
            ("clé".to_owned(), "non-ascii".to_owned()),
            ("big".to_owned(), "€".repeat(1000)),
            ("big".to_owned(), "second wins? no".to_owned()),
        ];
        pairs.extend((0..100).map(|i| (format!("k{i}"), i.to_string())));
        let map = bounded(pairs);
        assert_eq!(map.len(), MAX_ENTRIES);
        assert!(map.keys().all(|k| valid_key(k)));
        let big = &map["big"];
        assert!(big.len() <= MAX_VALUE_LEN && big.len() > MAX_VALUE_LEN - 3);
        assert!(big.chars().all(|c| c == '€'));
        assert!(map.contains_key("k0"));
        assert!(!map.contains_key("k99"));
    }
}
