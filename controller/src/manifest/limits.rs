//! How much one revision of manifests may make the controller read and parse.
//!
//! Everyone who can commit to the watched repository controls these inputs, so every dimension
//! that costs memory or time is bounded: bytes per file and per revision, files, documents per
//! file and per revision, nesting depth, and the YAML parser's own budgets for nodes, aliases and
//! anchors. A revision over any limit is rejected as a whole, like any invalid commit.

use serde_saphyr::Options;

/// Parser nodes (mappings, sequences, scalars) in one document: a large service with many
/// containers uses a few thousand.
const MAX_NODES_PER_DOCUMENT: usize = 100_000;
/// Alias uses (`*name`) in one document.
const MAX_ALIASES: usize = 1_000;
/// Anchor definitions (`&name`) in one document.
const MAX_ANCHORS: usize = 1_000;
/// Events the parser may replay from aliases in one document: what stops an alias bomb
/// (a few levels of anchors each repeating the previous one) from expanding exponentially.
const MAX_REPLAYED_EVENTS: usize = 50_000;
/// Aliases nested inside replayed aliases.
const MAX_REPLAY_DEPTH: usize = 16;
/// Times one anchor may be used.
const MAX_EXPANSIONS_PER_ANCHOR: usize = 1_000;
/// Merge keys (`<<`) in one document.
const MAX_MERGE_KEYS: usize = 1_000;

/// Limits of one load. [`Limits::default`] suits any realistic set of ECS manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest manifest file, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of all manifest files of one revision, in bytes.
    pub max_total_bytes: u64,
    /// Most manifest files (and directories) in one revision.
    pub max_files: usize,
    /// Most YAML documents in one file.
    pub max_documents_per_file: usize,
    /// Most YAML documents in one revision.
    pub max_documents: usize,
    /// Deepest nesting of mappings and sequences in a document.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 4 * 1024 * 1024,
            max_total_bytes: 16 * 1024 * 1024,
            max_files: 10_000,
            max_documents_per_file: 1_000,
            max_documents: 10_000,
            max_depth: 32,
        }
    }
}

impl Limits {
    /// The parser options for one file: strict booleans, no snippets of the input in errors,
    /// and every budget of the parser set explicitly rather than left to the crate's defaults.
    #[must_use]
    pub(crate) fn yaml_options(&self) -> Options {
        let file_bytes = usize::try_from(self.max_file_bytes).unwrap_or(usize::MAX);
        serde_saphyr::options! {
            strict_booleans: true,
            with_snippet: false,
            budget: serde_saphyr::budget! {
                max_reader_input_bytes: Some(file_bytes),
                max_total_scalar_bytes: file_bytes,
                max_depth: self.max_depth,
                flow_nesting_limit: self.max_depth,
                max_nodes: MAX_NODES_PER_DOCUMENT,
                max_events: 4 * MAX_NODES_PER_DOCUMENT,
                max_aliases: MAX_ALIASES,
                max_anchors: MAX_ANCHORS,
                max_merge_keys: MAX_MERGE_KEYS,
                max_documents: self.max_documents_per_file,
                max_inclusion_depth: 0,
            },
            alias_limits: serde_saphyr::alias_limits! {
                max_total_replayed_events: MAX_REPLAYED_EVENTS,
                max_replay_stack_depth: MAX_REPLAY_DEPTH,
                max_alias_expansions_per_anchor: MAX_EXPANSIONS_PER_ANCHOR,
            },
        }
    }
}

/// Counts documents against the per-file and per-revision limits while a revision is parsed.
#[derive(Debug)]
pub(crate) struct DocumentCount {
    per_file: usize,
    per_revision: usize,
    seen: usize,
}

impl DocumentCount {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            per_file: limits.max_documents_per_file,
            per_revision: limits.max_documents,
            seen: 0,
        }
    }

    /// Admits document `index` (0-based) of the current file, or says which limit it breaks.
    pub(crate) fn admit(&mut self, index: usize) -> Result<(), String> {
        if index >= self.per_file {
            return Err(format!(
                "more than {} documents in this file (limit: --max-documents-per-file)",
                self.per_file
            ));
        }
        if self.seen >= self.per_revision {
            return Err(format!(
                "more than {} documents in this revision (limit: --max-documents)",
                self.per_revision
            ));
        }
        self.seen += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn documents_are_counted_per_file_and_per_revision() {
        let limits = Limits {
            max_documents_per_file: 2,
            max_documents: 3,
            ..Limits::default()
        };
        let mut count = DocumentCount::new(&limits);
        assert!(count.admit(0).is_ok());
        assert!(count.admit(1).is_ok());
        assert!(count.admit(2).unwrap_err().contains("in this file"));
        // The next file starts at index 0 again, but the revision total carries over.
        assert!(count.admit(0).is_ok());
        assert!(count.admit(1).unwrap_err().contains("in this revision"));
    }
}
