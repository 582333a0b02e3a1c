//! Guarded reading of manifest files from disk: a committer chooses what the controller reads.
//!
//! # Guarantees
//! - Every path is resolved to its real path, which must stay inside the source root (the
//!   checkout, or the directory given; for a single file, its directory). A symbolic link that
//!   resolves inside the root works; one that leads outside is refused and never opened.
//! - Only regular files are opened. Devices, FIFOs and sockets are refused by their type before
//!   any `open`; the open itself uses `O_NOFOLLOW | O_NONBLOCK` and re-checks the type of what it
//!   got, so a special file swapped in between can neither block nor be read.
//! - Reads go through a reader bounded by the remaining per-file and per-revision byte limits, so
//!   a file that grows while being read still cannot exceed them.
//! - Errors name the file as it was walked and never contain bytes of a refused file.
//!
//! # Caveats
//! - Containment is checked on the resolved path before the open. Someone who can rename
//!   directories inside a watched `--source` directory while it is read could race that check;
//!   a committer cannot, since a git checkout is private to the controller and does not change.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::ManifestError;
use super::limits::Limits;

/// The longest message or field path shown for one error: enough for the offending token, not
/// for a file's content.
const MAX_SHOWN_CHARS: usize = 300;

/// What a guarded walk read: `(label, text)` per file in order, and every refusal.
#[derive(Debug, Default)]
pub(crate) struct Files {
    pub sources: Vec<(String, String)>,
    pub errors: Vec<ManifestError>,
}

/// Reads `paths` (files or directories, recursively: `*.yaml`/`*.yml`, sorted, dot-files
/// skipped). With `root`, every path must stay inside it; without, each path is its own root
/// (a directory itself, a file its directory).
pub(crate) fn read(root: Option<&Path>, paths: &[PathBuf], limits: &Limits) -> Files {
    let mut walk = Walk {
        limits,
        out: Files::default(),
        total_bytes: 0,
        entries: 0,
        visited: HashSet::new(),
        over_limit: false,
    };
    for path in paths {
        let own_root;
        let root = match root {
            Some(root) => root,
            None => {
                own_root = default_root(path);
                &own_root
            }
        };
        let root = match std::fs::canonicalize(root) {
            Ok(root) => root,
            Err(e) => {
                walk.refuse(path, format!("cannot resolve the source root: {e}"));
                continue;
            }
        };
        walk.visit(&root, path);
        if walk.over_limit {
            break;
        }
    }
    walk.out
}

/// The root of a path given without one: a directory is its own root, a file's is its directory.
fn default_root(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.to_path_buf();
    }
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

struct Walk<'a> {
    limits: &'a Limits,
    out: Files,
    total_bytes: u64,
    entries: usize,
    /// Real paths of the directories already walked: a link back up the tree is not walked twice.
    visited: HashSet<PathBuf>,
    /// A revision-wide limit was hit: the rest is not read (the revision is rejected anyway).
    over_limit: bool,
}

impl Walk<'_> {
    fn refuse(&mut self, path: &Path, message: String) {
        self.out.errors.push(ManifestError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            field: None,
            message,
        });
    }

    fn visit(&mut self, root: &Path, path: &Path) {
        if self.over_limit {
            return;
        }
        self.entries += 1;
        if self.entries > self.limits.max_files {
            self.over_limit = true;
            return self.refuse(
                path,
                format!(
                    "more than {} files and directories in this revision (limit: --max-files)",
                    self.limits.max_files
                ),
            );
        }
        let real = match std::fs::canonicalize(path) {
            Ok(real) => real,
            Err(e) => return self.refuse(path, format!("cannot resolve: {e}")),
        };
        if !real.starts_with(root) {
            // The target is not named: it is outside what the committer may show.
            return self.refuse(
                path,
                format!(
                    "refused: it resolves outside the source root {} (a symbolic link may only \
                     point inside it)",
                    root.display()
                ),
            );
        }
        // `real` has no symbolic links left, so this is the type of the target itself.
        let meta = match std::fs::metadata(&real) {
            Ok(meta) => meta,
            Err(e) => return self.refuse(path, format!("cannot read: {e}")),
        };
        let kind = meta.file_type();
        if kind.is_dir() {
            self.visit_dir(root, path, real);
        } else if kind.is_file() {
            self.read_file(path, &real, meta.len());
        } else {
            self.refuse(
                path,
                format!("refused: {}, not a regular file", describe(kind)),
            );
        }
    }

    fn visit_dir(&mut self, root: &Path, path: &Path, real: PathBuf) {
        if !self.visited.insert(real) {
            return;
        }
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => return self.refuse(path, format!("cannot list directory: {e}")),
        };
        // Listing is bounded too: a directory of a million other files must not fill memory.
        let mut children: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .take(self.limits.max_files.saturating_add(1))
            .collect();
        if children.len() > self.limits.max_files {
            self.over_limit = true;
            return self.refuse(
                path,
                format!(
                    "more than {} entries in this directory (limit: --max-files)",
                    self.limits.max_files
                ),
            );
        }
        children.sort();
        for child in children {
            let name = child.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            let is_yaml = child
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e == "yaml" || e == "yml");
            // `is_dir` follows a link only to stat it; `visit` decides whether the target may be used.
            if is_yaml || child.is_dir() {
                self.visit(root, &child);
            }
        }
    }

    fn read_file(&mut self, path: &Path, real: &Path, len: u64) {
        let limits = self.limits;
        if len > limits.max_file_bytes {
            return self.refuse(path, too_large_file(limits.max_file_bytes));
        }
        let remaining = limits.max_total_bytes.saturating_sub(self.total_bytes);
        if len > remaining {
            self.over_limit = true;
            return self.refuse(path, too_large_revision(limits.max_total_bytes));
        }
        let file = match open_regular(real) {
            Ok(file) => file,
            Err(message) => return self.refuse(path, message),
        };
        let cap = limits.max_file_bytes.min(remaining);
        let mut bytes = Vec::new();
        // One byte more than allowed tells "exactly at the limit" from "over it".
        if let Err(e) = file.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
            return self.refuse(path, format!("cannot read: {e}"));
        }
        let read = bytes.len() as u64;
        if read > cap {
            // The file grew after it was measured.
            if cap == limits.max_file_bytes {
                return self.refuse(path, too_large_file(cap));
            }
            self.over_limit = true;
            return self.refuse(path, too_large_revision(limits.max_total_bytes));
        }
        self.total_bytes += read;
        match String::from_utf8(bytes) {
            Ok(text) => self.out.sources.push((path.display().to_string(), text)),
            Err(_) => self.refuse(path, "file is not valid UTF-8".to_owned()),
        }
    }
}

fn too_large_file(limit: u64) -> String {
    format!("file is larger than {limit} bytes (limit: --max-file-bytes)")
}

fn too_large_revision(limit: u64) -> String {
    format!(
        "the manifests of this revision exceed {limit} bytes in total (limit: --max-revision-bytes)"
    )
}

/// Opens a regular file without following a final symbolic link and without blocking, and
/// checks that what was opened is still a regular file.
fn open_regular(real: &Path) -> Result<File, String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(real)
        .map_err(|e| format!("cannot open: {e}"))?;
    let kind = file
        .metadata()
        .map_err(|e| format!("cannot read: {e}"))?
        .file_type();
    if !kind.is_file() {
        return Err(format!("refused: {}, not a regular file", describe(kind)));
    }
    Ok(file)
}

fn describe(kind: std::fs::FileType) -> &'static str {
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// Bounds what an error shows of the input: its message and field path are cut to a few hundred
/// characters (room for the offending token, not for a file) and control characters are escaped,
/// so a message cannot forge extra lines in logs or reports.
pub(crate) fn clip(error: &mut ManifestError) {
    error.file = escaped(&error.file, usize::MAX);
    error.message = escaped(&error.message, MAX_SHOWN_CHARS);
    if let Some(field) = &mut error.field {
        *field = escaped(field, MAX_SHOWN_CHARS);
    }
}

/// `text` with control characters escaped, cut after `max` characters.
fn escaped(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SHOWN_CHARS + 3));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn long_messages_are_cut_and_control_characters_escaped() {
        let mut error = ManifestError {
            file: "a.yaml".into(),
            line: 1,
            column: 1,
            field: Some("spec.tags.k".into()),
            message: format!("bad `{}`\nforged line", "x".repeat(5000)),
        };
        clip(&mut error);
        assert!(
            error.message.len() <= MAX_SHOWN_CHARS + 3,
            "{}",
            error.message
        );
        assert!(error.message.ends_with("..."));
        assert!(!error.message.contains('\n'));
        let mut short = ManifestError {
            message: "a\tb\nc".into(),
            ..error
        };
        clip(&mut short);
        assert_eq!(short.message, "a\\tb\\nc");
    }
}
