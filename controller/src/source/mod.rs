//! Where the desired state comes from: a local directory or a git repository.
//!
//! A source runs as its own task and publishes the newest [`Snapshot`] on a `watch` channel. The loop only
//! ever needs the latest desired state (it is level-triggered), so a snapshot that is superseded before the
//! loop looks at it is simply skipped.
//!
//! # Guarantees
//! - A git [`Snapshot`] owns its checkout directory: the files under [`Snapshot::root`] do not change while
//!   any clone of the snapshot is alive, and the directory is removed when the last clone is dropped.
//! - Credentials never reach logs or errors: URLs are shown with their userinfo replaced and the output of
//!   `git` is scrubbed of every secret before it becomes part of a [`SourceError`].
//!
//! # Caveats
//! - A directory snapshot is live: it points at the watched directory itself, so the loop re-reads it on
//!   every pass (which is also the periodic resync that covers any event the watcher missed).

mod credential;
mod dir;
mod git;
mod guard;
mod redact;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use dir::{DirSource, DirSourceOptions};
pub use git::{GitSource, GitSourceOptions, TOKEN_ENV, USERNAME_ENV};
pub use guard::fresh_private_dir;
pub use redact::{Redactor, SecretUrl};

/// What a source publishes on its `watch` channel: the newest good snapshot and the newest failure.
///
/// A failure never replaces the snapshot: the previous desired state stays in force until a fetch succeeds.
#[derive(Debug, Clone, Default)]
pub struct SourceState {
    /// The newest snapshot, `None` until the first fetch succeeds.
    pub snapshot: Option<Snapshot>,
    /// Incremented each time `snapshot` is replaced, so readers can tell a new snapshot from a re-publish.
    pub generation: u64,
    /// Why the newest attempt failed (already redacted); cleared by the next success.
    pub error: Option<String>,
}

impl SourceState {
    /// Replaces the snapshot, bumping the generation and clearing any error.
    pub fn set_snapshot(&mut self, snapshot: Snapshot) {
        self.snapshot = Some(snapshot);
        self.generation += 1;
        self.error = None;
    }
}

/// When a commit was made and what it says, for people (the status page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The first line of its message, cut at [`CommitInfo::SUBJECT_MAX`] characters.
    pub subject: String,
}

impl CommitInfo {
    /// The longest subject kept.
    pub const SUBJECT_MAX: usize = 200;

    /// Parses `git show -s --format=%ct%n%s` output.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let (time, subject) = text.split_once('\n').unwrap_or((text, ""));
        Some(Self {
            time: time.trim().parse().ok()?,
            subject: subject.trim().chars().take(Self::SUBJECT_MAX).collect(),
        })
    }
}

/// One version of the desired state.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The commit id for a git source; `None` for a directory.
    pub revision: Option<String>,
    /// Its time and subject, when git could tell.
    pub commit: Option<CommitInfo>,
    /// The file or directory the manifests are loaded from.
    pub root: PathBuf,
    /// Keeps a git checkout alive while the snapshot is in use.
    checkout: Option<Arc<Checkout>>,
}

impl Snapshot {
    /// A snapshot of a live directory (or file) that the caller owns.
    #[must_use]
    pub fn live(root: PathBuf) -> Self {
        Self {
            revision: None,
            commit: None,
            root,
            checkout: None,
        }
    }

    /// The directory every file of this snapshot must stay inside: the whole checkout of a git
    /// revision; `None` for a live directory, which is its own boundary.
    #[must_use]
    pub fn boundary(&self) -> Option<&Path> {
        self.checkout.as_deref().map(|c| c.dir.as_path())
    }

    /// Whether the files under [`Snapshot::root`] can change while this snapshot is held (a watched
    /// directory), so readers must re-read them to see the current state.
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.checkout.is_none()
    }
}

/// A checkout directory removed on drop.
#[derive(Debug)]
struct Checkout {
    dir: PathBuf,
}

impl Drop for Checkout {
    fn drop(&mut self) {
        // Best effort: a leftover directory is removed by the next start-up's cleanup of the work dir.
        if let Err(err) = std::fs::remove_dir_all(&self.dir)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %self.dir.display(), error = %err, "could not remove checkout");
        }
    }
}

/// Errors of a source. Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The `git` program could not be started.
    #[error("cannot run git")]
    Spawn(#[source] std::io::Error),
    /// A `git` command exceeded its time limit and was killed.
    #[error("git {command} timed out after {seconds}s")]
    Timeout {
        /// The git sub-command (e.g. `fetch`).
        command: String,
        /// The limit that was exceeded.
        seconds: u64,
    },
    /// A `git` command exited with a failure.
    #[error("git {command} failed ({status}): {stderr}")]
    Git {
        /// The git sub-command (e.g. `fetch`).
        command: String,
        /// The exit status, as text.
        status: String,
        /// The redacted standard error of git.
        stderr: String,
    },
    /// The configured path does not exist in the fetched commit.
    #[error("path {path} does not exist at commit {commit}")]
    MissingPath {
        /// The manifests path inside the repository.
        path: String,
        /// The commit that lacks it.
        commit: String,
    },
    /// The manifests path is absolute or leaves the repository.
    #[error("invalid path {0}: it must be relative and stay inside the repository")]
    InvalidPath(String),
    /// The ref to follow could be read as an option or is not a ref name.
    #[error("invalid ref {0:?}: {1}")]
    InvalidRef(String, &'static str),
    /// The repository URL (shown redacted) could be read as an option.
    #[error("invalid URL {0}: it must not start with `-`")]
    InvalidUrl(String),
    /// A fetch or checkout went over one of its limits and was stopped.
    #[error("{what} is larger than the limit of {limit} (limit: {flag})")]
    TooLarge {
        /// What grew too large.
        what: &'static str,
        /// The limit, with its unit.
        limit: String,
        /// The flag that raises it.
        flag: &'static str,
    },
    /// Credentials that would travel where they must not (plain http, a non-http URL).
    #[error("refusing to use credentials with {url}: {why}")]
    InsecureCredentials {
        /// The URL, redacted.
        url: String,
        /// Why.
        why: &'static str,
    },
    /// An existing work directory or repository that another user owns or could have written
    /// into: git would run hooks or honour configuration planted there.
    #[error("refusing {path}: {why} (a work directory must be private to this user)")]
    Untrusted {
        /// The path refused.
        path: String,
        /// Why it is not trusted.
        why: &'static str,
    },
    /// A local file system operation failed.
    #[error("{action} {path}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The path involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file watcher could not be set up.
    #[error("cannot watch {path}")]
    Watch {
        /// The watched path.
        path: String,
        /// The underlying error.
        #[source]
        source: notify::Error,
    },
}

impl SourceError {
    /// A short, stable label for metrics.
    #[must_use]
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::Spawn(_) => "git_spawn",
            Self::Timeout { .. } => "git_timeout",
            Self::Git { .. } => "git_failed",
            Self::MissingPath { .. } => "missing_path",
            Self::InvalidPath(_) => "invalid_path",
            Self::InvalidRef(..) => "invalid_ref",
            Self::InvalidUrl(_) => "invalid_url",
            Self::TooLarge { .. } => "too_large",
            Self::Untrusted { .. } => "untrusted",
            Self::InsecureCredentials { .. } => "insecure_credentials",
            Self::Io { .. } => "io",
            Self::Watch { .. } => "watch",
        }
    }

    fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    }
}

#[cfg(test)]
mod commit_tests {
    use super::CommitInfo;

    #[test]
    fn a_commit_line_parses_and_a_long_subject_is_cut() {
        let info =
            CommitInfo::parse("1765000000\nDeploy web 1.27\n").unwrap_or_else(|| panic!("parsed"));
        assert_eq!(
            (info.time, info.subject.as_str()),
            (1_765_000_000, "Deploy web 1.27")
        );
        let long = format!("1\n{}", "x".repeat(500));
        let info = CommitInfo::parse(&long).unwrap_or_else(|| panic!("parsed"));
        assert_eq!(info.subject.chars().count(), CommitInfo::SUBJECT_MAX);
        assert_eq!(CommitInfo::parse("not a time\nsubject"), None);
    }
}
