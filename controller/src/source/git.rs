//! A git repository as a source: fetch `--ref` every `--interval`, check out `--path` of each new commit.
//!
//! Everything goes through the `git` program as a subprocess with a time limit (it is killed when the limit
//! passes), so no git library is linked and any transport git supports works (https, ssh, git, file).
//!
//! # Credentials
//! - The URL (which may carry `user:token@`) is handed to git through `GIT_CONFIG_*` environment variables,
//!   never on the command line where other processes could read it, and never written to disk.
//! - When `FINFOCUS_GIT_TOKEN` is set, a credential helper defined through the same variables answers git's
//!   password prompt from that variable at run time, so the token is not in any configuration either.
//!   `FINFOCUS_GIT_USERNAME` (default `x-access-token`) is the user name it answers with.
//! - git is told never to prompt (`GIT_TERMINAL_PROMPT=0`); an `askpass` program set by the operator in
//!   `GIT_ASKPASS` is still honoured by git.
//! - Every message from git goes through a [`Redactor`] before it is logged or returned.

use std::path::{Component, Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::watch;

use super::{Checkout, Redactor, SecretUrl, Snapshot, SourceError, SourceState};

/// The environment variable holding an access token for https remotes.
pub const TOKEN_ENV: &str = "FINFOCUS_GIT_TOKEN";
/// The environment variable holding the user name sent with the token.
pub const USERNAME_ENV: &str = "FINFOCUS_GIT_USERNAME";
/// The local ref the fetched commit is stored under.
const TARGET_REF: &str = "refs/finfocus/source";
/// A credential helper that reads the token from the environment when git asks for it.
const CREDENTIAL_HELPER: &str = "!f() { test \"$1\" = get || exit 0; \
     printf 'username=%s\\npassword=%s\\n' \"${FINFOCUS_GIT_USERNAME:-x-access-token}\" \"$FINFOCUS_GIT_TOKEN\"; }; f";
/// How much of git's standard error is kept in an error message.
const STDERR_LIMIT: usize = 800;

/// Settings of a git source.
#[derive(Clone)]
pub struct GitSourceOptions {
    /// The repository URL (may carry credentials; never displayed unredacted).
    pub url: SecretUrl,
    /// The branch, tag or other ref to follow; `HEAD` follows the remote's default branch.
    pub reference: String,
    /// The directory (or file) of manifests inside the repository, relative; `.` for the root.
    pub path: PathBuf,
    /// How often to fetch.
    pub interval: Duration,
    /// The time limit of each git command.
    pub timeout: Duration,
    /// A private directory for the local repository and checkouts (emptied at start).
    pub workdir: PathBuf,
    /// An access token for https remotes (normally from `FINFOCUS_GIT_TOKEN`), answered to git's
    /// credential prompt; never displayed.
    pub token: Option<String>,
}

impl std::fmt::Debug for GitSourceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitSourceOptions")
            .field("url", &self.url)
            .field("reference", &self.reference)
            .field("path", &self.path)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("workdir", &self.workdir)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl GitSourceOptions {
    /// Options with the defaults: ref `HEAD`, path `.`, interval 1 minute, timeout 2 minutes, and the
    /// token from `FINFOCUS_GIT_TOKEN` when set.
    #[must_use]
    pub fn new(url: SecretUrl, workdir: PathBuf) -> Self {
        Self {
            url,
            reference: "HEAD".to_owned(),
            path: PathBuf::from("."),
            interval: Duration::from_secs(60),
            timeout: Duration::from_secs(120),
            workdir,
            token: std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()),
        }
    }
}

/// A git repository followed by polling.
pub struct GitSource {
    opts: GitSourceOptions,
    git_dir: PathBuf,
    checkouts: PathBuf,
    redactor: Redactor,
    last_commit: Option<String>,
    seq: u64,
}

impl std::fmt::Debug for GitSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitSource")
            .field("opts", &self.opts)
            .field("last_commit", &self.last_commit)
            .finish_non_exhaustive()
    }
}

impl GitSource {
    /// Prepares the work directory and an empty local repository.
    ///
    /// # Errors
    /// A path that is absolute or leaves the repository (`..`), a work directory that cannot be created,
    /// or `git init` failing.
    pub async fn open(mut opts: GitSourceOptions) -> Result<Self, SourceError> {
        if opts.path.is_absolute()
            || opts
                .path
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
        {
            return Err(SourceError::InvalidPath(opts.path.display().to_string()));
        }
        // An empty token is no token: git must not be told to send an empty password.
        opts.token = opts.token.filter(|t| !t.is_empty());
        let redactor = Redactor::new(&opts.url, opts.token.clone());
        let git_dir = opts.workdir.join("repo.git");
        let checkouts = opts.workdir.join("checkouts");
        // Checkouts left by an earlier process are stale; the repository itself can be reused.
        match tokio::fs::remove_dir_all(&checkouts).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SourceError::io("remove", &checkouts, e)),
        }
        tokio::fs::create_dir_all(&checkouts)
            .await
            .map_err(|e| SourceError::io("create", &checkouts, e))?;
        let source = Self {
            opts,
            git_dir,
            checkouts,
            redactor,
            last_commit: None,
            seq: 0,
        };
        if !source.git_dir.join("HEAD").exists() {
            let dir = source.git_dir.display().to_string();
            source
                .git("init", &["init", "--quiet", "--bare", &dir], false)
                .await?;
        }
        Ok(source)
    }

    /// The options this source was opened with.
    #[must_use]
    pub fn options(&self) -> &GitSourceOptions {
        &self.opts
    }

    /// Fetches the ref and returns the commit id it points to.
    ///
    /// # Errors
    /// git failing or timing out (the message is redacted).
    pub async fn fetch(&self) -> Result<String, SourceError> {
        let refspec = format!("+{}:{TARGET_REF}", self.opts.reference);
        self.git(
            "fetch",
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--depth=1",
                "origin",
                &refspec,
            ],
            true,
        )
        .await?;
        let target = format!("{TARGET_REF}^{{commit}}");
        let out = self
            .git(
                "rev-parse",
                &["rev-parse", "--verify", "--quiet", &target],
                false,
            )
            .await?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    /// Checks out the manifests path of `commit` into a directory owned by the returned snapshot.
    ///
    /// # Errors
    /// The path missing at that commit, or git failing.
    pub async fn checkout(&mut self, commit: &str) -> Result<Snapshot, SourceError> {
        let path = normalized(&self.opts.path);
        if path != Path::new(".") {
            let object = format!("{commit}:{}", path.display());
            if self
                .git("cat-file", &["cat-file", "-e", &object], false)
                .await
                .is_err()
            {
                return Err(SourceError::MissingPath {
                    path: path.display().to_string(),
                    commit: commit.to_owned(),
                });
            }
        }
        self.seq += 1;
        let short: String = commit.chars().take(12).collect();
        let dir = self.checkouts.join(format!("{short}-{}", self.seq));
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| SourceError::io("create", &dir, e))?;
        // From here the directory is owned by the guard, so an error below still removes it.
        let checkout = Arc::new(Checkout { dir: dir.clone() });
        let index = self.checkouts.join(format!("{short}-{}.index", self.seq));
        let work_tree = format!("--work-tree={}", dir.display());
        let pathspec = path.display().to_string();
        let result = self
            .git_with_env(
                "checkout",
                &[
                    "--literal-pathspecs",
                    &work_tree,
                    "checkout",
                    "--quiet",
                    "--force",
                    commit,
                    "--",
                    &pathspec,
                ],
                false,
                &[("GIT_INDEX_FILE", index.as_os_str())],
            )
            .await;
        // The index only served this checkout.
        let _ = tokio::fs::remove_file(&index).await;
        result?;
        Ok(Snapshot {
            revision: Some(commit.to_owned()),
            root: dir.join(path),
            checkout: Some(checkout),
        })
    }

    /// Fetches once; returns a snapshot when the ref moved to a commit not yet checked out.
    ///
    /// # Errors
    /// As [`GitSource::fetch`] and [`GitSource::checkout`].
    pub async fn poll(&mut self) -> Result<Option<Snapshot>, SourceError> {
        let commit = self.fetch().await?;
        if self.last_commit.as_deref() == Some(commit.as_str()) {
            return Ok(None);
        }
        let snapshot = self.checkout(&commit).await?;
        self.last_commit = Some(commit);
        Ok(Some(snapshot))
    }

    /// Polls every interval in a task until every receiver is dropped.
    #[must_use]
    pub fn spawn(mut self) -> watch::Receiver<SourceState> {
        let (tx, rx) = watch::channel(SourceState::default());
        tokio::spawn(async move {
            loop {
                let started = tokio::time::Instant::now();
                match self.poll().await {
                    Ok(Some(snapshot)) => {
                        tracing::info!(
                            url = %self.opts.url,
                            reference = %self.opts.reference,
                            revision = snapshot.revision.as_deref().unwrap_or_default(),
                            "new revision"
                        );
                        tx.send_modify(|state| state.set_snapshot(snapshot));
                    }
                    Ok(None) => {
                        tx.send_if_modified(|state| state.error.take().is_some());
                    }
                    Err(err) => {
                        let message = crate::error_chain(&err);
                        tracing::warn!(url = %self.opts.url, error = %message, "git source failed");
                        tx.send_modify(|state| state.error = Some(message));
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep_until(started + self.opts.interval) => {}
                    () = tx.closed() => break,
                }
            }
        });
        rx
    }

    async fn git(
        &self,
        command: &str,
        args: &[&str],
        remote: bool,
    ) -> Result<Vec<u8>, SourceError> {
        self.git_with_env(command, args, remote, &[]).await
    }

    /// Runs git under the time limit; `remote` adds the remote URL and credential settings.
    async fn git_with_env(
        &self,
        command: &str,
        args: &[&str],
        remote: bool,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Result<Vec<u8>, SourceError> {
        let mut cmd = Command::new("git");
        cmd.arg(format!("--git-dir={}", self.git_dir.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C");
        for (key, value) in env {
            cmd.env(key, value);
        }
        if remote {
            let mut config: Vec<(&str, &str)> = vec![("remote.origin.url", self.opts.url.expose())];
            if let Some(token) = &self.opts.token {
                // The helper reads the token from its environment: it is in no argument and no file.
                cmd.env(TOKEN_ENV, token);
                config.push(("credential.helper", CREDENTIAL_HELPER));
            }
            cmd.env("GIT_CONFIG_COUNT", config.len().to_string());
            for (i, (key, value)) in config.iter().enumerate() {
                cmd.env(format!("GIT_CONFIG_KEY_{i}"), key)
                    .env(format!("GIT_CONFIG_VALUE_{i}"), value);
            }
        }
        let child = cmd.spawn().map_err(SourceError::Spawn)?;
        let output = match tokio::time::timeout(self.opts.timeout, child.wait_with_output()).await {
            Ok(result) => result.map_err(SourceError::Spawn)?,
            // Dropping the future drops the child, which kills it (`kill_on_drop`).
            Err(_) => {
                return Err(SourceError::Timeout {
                    command: command.to_owned(),
                    seconds: self.opts.timeout.as_secs(),
                });
            }
        };
        if output.status.success() {
            return Ok(output.stdout);
        }
        let stderr = self
            .redactor
            .redact(String::from_utf8_lossy(&output.stderr).trim());
        Err(SourceError::Git {
            command: command.to_owned(),
            status: output.status.to_string(),
            stderr: tail(&stderr, STDERR_LIMIT),
        })
    }
}

/// `path` without `.` components; `.` when nothing is left.
fn normalized(path: &Path) -> PathBuf {
    let out: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// The last `limit` bytes of `text` (on a character boundary).
fn tail(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalized(Path::new(".")), PathBuf::from("."));
        assert_eq!(normalized(Path::new("./")), PathBuf::from("."));
        assert_eq!(normalized(Path::new("./a/./b")), PathBuf::from("a/b"));
    }

    #[test]
    fn tail_keeps_the_end_on_a_char_boundary() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("abcdef", 3), "...def");
        assert_eq!(tail("aé", 1), "...");
    }
}
