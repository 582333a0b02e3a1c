//! A git repository as a source: fetch `--ref` every `--interval`, check out `--path` of each new commit.
//!
//! Everything goes through the `git` program as a subprocess with a time limit (it is killed when the limit
//! passes), so no git library is linked and any transport git supports works (https, ssh, git, file).
//!
//! # Credentials
//! - git never sees a password in the URL: the userinfo of an http(s) URL is taken out before git
//!   runs (`credential`), so the URL git passes to its transport helper on a command line, which
//!   other local users can read, holds none.
//! - Those credentials, or `FINFOCUS_GIT_TOKEN` (user `FINFOCUS_GIT_USERNAME`, default
//!   `x-access-token`), are answered by a credential helper defined through `GIT_CONFIG_*`
//!   environment variables that reads them from its environment at run time: they are in no
//!   argument and no file. The helper is scoped (`credential.<scheme>://<host>.helper`) to the
//!   configured protocol, host and port, and redirects are not followed, so a server that
//!   redirects elsewhere gets nothing sent there. Credentials go over https only (or plain http
//!   to a loopback address).
//! - git is told never to prompt (`GIT_TERMINAL_PROMPT=0`); an `askpass` program set by the operator in
//!   `GIT_ASKPASS` is still honoured by git.
//! - Every message from git goes through a [`Redactor`] before it is logged or returned.
//!
//! # Hardening
//! A committer, another local user (and whoever sets the flags) must not be able to steer git itself:
//! - git reads no system or user configuration (`GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL=/dev/null`)
//!   and every invocation overrides what a repository's own configuration could make git run:
//!   hooks (`core.hooksPath=/dev/null`), `core.fsmonitor`, and transports other than https, http,
//!   ssh, git and file ([`HARDENING`]);
//! - an existing work directory or local repository that another user owns or could write to is
//!   refused (see `guard`);
//! - the URL never appears on a command line and the ref only after `--` inside a refspec; both are
//!   refused when they start with `-` (see `guard`);
//! - a fetch is stopped when it writes more than [`GitSourceOptions::max_fetch_bytes`] (and the local
//!   repository is started afresh once it holds more than that), and a commit
//!   whose manifests path holds more than [`GitSourceOptions::max_checkout_bytes`] or
//!   [`GitSourceOptions::max_checkout_files`] is refused before anything is checked out; every git
//!   command runs under [`GitSourceOptions::timeout`];
//! - the work directory and every checkout are mode 0700.

use std::path::{Component, Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

use super::credential::Remote;
use super::guard::{self, human};
use super::{Checkout, CommitInfo, Redactor, SecretUrl, Snapshot, SourceError, SourceState};
use crate::child::{DeathSignal, Launcher};

/// The environment variable holding an access token for https remotes.
pub const TOKEN_ENV: &str = "FINFOCUS_GIT_TOKEN";
/// The environment variable holding the user name sent with the token.
pub const USERNAME_ENV: &str = "FINFOCUS_GIT_USERNAME";
/// The local ref the fetched commit is stored under.
const TARGET_REF: &str = "refs/finfocus/source";
/// A credential helper that reads the user name and password from its environment when git asks.
const CREDENTIAL_HELPER: &str = "!f() { test \"$1\" = get || exit 0; \
     printf 'username=%s\\npassword=%s\\n' \"$FINFOCUS_GIT_USERNAME\" \"$FINFOCUS_GIT_TOKEN\"; }; f";
/// Settings passed with `-c` to every git command. They take precedence over the repository's
/// own configuration, so nothing in a local repository makes git run a program: no hooks, no
/// file system monitor, no transport but the ones named (`ext::` runs a command from the URL).
pub const HARDENING: &[&str] = &[
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.http.allow=always",
    "protocol.ssh.allow=always",
    "protocol.git.allow=always",
    "protocol.file.allow=always",
    // A redirect could take the credentials to another host.
    "http.followRedirects=false",
    // Blobs above this are streamed rather than held whole in git's memory.
    "core.bigFileThreshold=1m",
];
/// How much of git's standard error is kept in an error message.
const STDERR_LIMIT: usize = 800;
/// How often the size of a running fetch is measured.
const FETCH_SIZE_POLL: Duration = Duration::from_millis(100);
/// Longest line of `git ls-tree` accepted (mode, type, id, size and a path of at most 4 KiB).
const LS_TREE_LINE_LIMIT: u64 = 8 * 1024;

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
    /// Most bytes one fetch may add to the local repository.
    pub max_fetch_bytes: u64,
    /// Most bytes of files under the manifests path of one commit.
    pub max_checkout_bytes: u64,
    /// Most files under the manifests path of one commit.
    pub max_checkout_files: usize,
    /// Fetches at once when notified (a push webhook) instead of waiting for `interval`; bursts
    /// of notifications while a fetch runs make one more fetch.
    pub wake: Option<Arc<tokio::sync::Notify>>,
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
            .field("max_fetch_bytes", &self.max_fetch_bytes)
            .field("max_checkout_bytes", &self.max_checkout_bytes)
            .field("max_checkout_files", &self.max_checkout_files)
            .field("wake", &self.wake.is_some())
            .finish()
    }
}

impl GitSourceOptions {
    /// Options with the defaults: ref `HEAD`, path `.`, interval 1 minute, timeout 2 minutes, fetches
    /// up to 256 MiB, checkouts up to 64 MiB and 10 000 files, and the token from `FINFOCUS_GIT_TOKEN`
    /// when set.
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
            max_fetch_bytes: 256 * 1024 * 1024,
            max_checkout_bytes: 64 * 1024 * 1024,
            max_checkout_files: 10_000,
            wake: None,
        }
    }
}

/// A git repository followed by polling.
pub struct GitSource {
    opts: GitSourceOptions,
    remote: Remote,
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
    /// A path that is absolute or leaves the repository (`..`), a URL or ref that could be read as an
    /// option, a work directory that cannot be created or made private, or `git init` failing.
    pub async fn open(mut opts: GitSourceOptions) -> Result<Self, SourceError> {
        if opts.path.is_absolute()
            || opts
                .path
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
        {
            return Err(SourceError::InvalidPath(opts.path.display().to_string()));
        }
        guard::check_url(&opts.url)?;
        guard::check_ref(&opts.reference)?;
        // An empty token is no token: git must not be told to send an empty password.
        opts.token = opts.token.filter(|t| !t.is_empty());
        let remote = Remote::new(
            &opts.url,
            opts.token.as_deref(),
            std::env::var(USERNAME_ENV).ok().as_deref(),
        )?;
        let redactor = Redactor::new(&opts.url, opts.token.clone());
        let git_dir = opts.workdir.join("repo.git");
        let checkouts = opts.workdir.join("checkouts");
        // Checked before anything in it is touched: another user's directory is not ours to clean,
        // and a repository someone else planted is not ours to run git in.
        guard::private_dir(&opts.workdir)?;
        for path in [&git_dir, &git_dir.join("config"), &git_dir.join("hooks")] {
            guard::check_trusted(path)?;
        }
        // Checkouts left by an earlier process are stale; the repository itself can be reused.
        match tokio::fs::remove_dir_all(&checkouts).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SourceError::io("remove", &checkouts, e)),
        }
        guard::private_dir(&checkouts)?;
        let source = Self {
            opts,
            remote,
            git_dir,
            checkouts,
            redactor,
            last_commit: None,
            seq: 0,
        };
        if !source.git_dir.join("HEAD").exists() {
            source.init().await?;
        }
        Ok(source)
    }

    /// Creates the empty local repository.
    async fn init(&self) -> Result<(), SourceError> {
        let dir = self.git_dir.display().to_string();
        self.git("init", &["init", "--quiet", "--bare", "--", &dir], false)
            .await
            .map(drop)
    }

    /// Replaces the local repository with an empty one, so that objects of a refused fetch are
    /// gone and the next fetch transfers (and measures) them again instead of finding them present.
    async fn reset(&self) -> Result<(), SourceError> {
        let mut attempt = 0;
        loop {
            match tokio::fs::remove_dir_all(&self.git_dir).await {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                // A helper killed a moment ago may finish the file it was creating after the
                // directory was listed; nothing can write once it has died, so a retry ends it.
                Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty && attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(SourceError::io("remove", &self.git_dir, e)),
            }
        }
        self.init().await
    }

    /// The options this source was opened with.
    #[must_use]
    pub fn options(&self) -> &GitSourceOptions {
        &self.opts
    }

    /// Fetches the ref and returns the commit id it points to.
    ///
    /// # Errors
    /// git failing or timing out (the message is redacted), or the fetch writing more than
    /// [`GitSourceOptions::max_fetch_bytes`].
    pub async fn fetch(&self) -> Result<String, SourceError> {
        let refspec = format!("+{}:{TARGET_REF}", self.opts.reference);
        let cmd = self.command(
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
                "--depth=1",
                "--",
                "origin",
                &refspec,
            ],
            true,
            &[],
        );
        let limit = self.opts.max_fetch_bytes;
        let git_dir = self.git_dir.clone();
        let mut before = tokio::task::spawn_blocking(move || guard::dir_size(&git_dir))
            .await
            .unwrap_or(0);
        // Objects of earlier commits are never pruned: once they pass the limit, start afresh, so
        // the repository stays under about twice the limit however many commits arrive.
        if before > limit {
            self.reset().await?;
            before = 0;
        }
        let over = || async {
            let git_dir = self.git_dir.clone();
            let now = tokio::task::spawn_blocking(move || guard::dir_size(&git_dir))
                .await
                .unwrap_or(0);
            now.saturating_sub(before) > limit
        };
        let growth = async {
            loop {
                tokio::time::sleep(FETCH_SIZE_POLL).await;
                if over().await {
                    break;
                }
            }
        };
        let too_large = tokio::select! {
            result = self.output("fetch", cmd) => {
                result?;
                // A fetch quicker than one measurement is measured once it is done.
                over().await
            }
            // Dropping the fetch future kills git (`kill_on_drop`).
            () = growth => true,
        };
        if too_large {
            self.reset().await?;
            return Err(SourceError::TooLarge {
                what: "the fetch",
                limit: human(limit),
                flag: "--git-max-fetch-bytes",
            });
        }
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
    /// The path missing at that commit, the path holding more than the checkout limits, or git
    /// failing.
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
        self.check_size(commit, &path).await?;
        self.seq += 1;
        let short: String = commit.chars().take(12).collect();
        let dir = self.checkouts.join(format!("{short}-{}", self.seq));
        guard::private_dir(&dir)?;
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
        // Only shown to people: a commit git cannot describe is still deployed.
        let info = self
            .git("show", &["show", "-s", "--format=%ct%n%s", commit], false)
            .await
            .ok()
            .and_then(|out| CommitInfo::parse(&String::from_utf8_lossy(&out)));
        Ok(Snapshot {
            revision: Some(commit.to_owned()),
            commit: info,
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
                let wake = self.opts.wake.clone();
                let woken = async {
                    match wake {
                        Some(wake) => wake.notified().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = tokio::time::sleep_until(started + self.opts.interval) => {}
                    () = woken => tracing::debug!("fetching on a push webhook"),
                    () = tx.closed() => break,
                }
            }
        });
        rx
    }

    /// Refuses a commit whose manifests path holds more than the checkout limits, from the sizes
    /// git records in its trees, before anything is written. The listing is read as a stream, so
    /// a tree with millions of entries costs no memory: reading stops at the limit.
    async fn check_size(&self, commit: &str, path: &Path) -> Result<(), SourceError> {
        let pathspec = path.display().to_string();
        let mut args = vec!["ls-tree", "-r", "-l", "-z", "--end-of-options", commit];
        if path != Path::new(".") {
            args.extend(["--", &pathspec]);
        }
        let mut cmd = self.command(&args, false, &[]);
        cmd.stderr(Stdio::null());
        let mut child = cmd.spawn().map_err(SourceError::Spawn)?;
        let Some(stdout) = child.stdout.take() else {
            return Err(SourceError::Spawn(std::io::Error::other("no stdout")));
        };
        let (max_bytes, max_files) = (self.opts.max_checkout_bytes, self.opts.max_checkout_files);
        let scan = async {
            let mut reader = BufReader::new(stdout);
            let (mut bytes, mut files) = (0u64, 0usize);
            let mut entry = Vec::new();
            loop {
                entry.clear();
                let n = (&mut reader)
                    .take(LS_TREE_LINE_LIMIT)
                    .read_until(0, &mut entry)
                    .await
                    .map_err(SourceError::Spawn)?;
                if n == 0 {
                    return Ok(());
                }
                files += 1;
                if files > max_files {
                    return Err(SourceError::TooLarge {
                        what: "the manifests path of this commit",
                        limit: format!("{max_files} files"),
                        flag: "--git-max-checkout-files",
                    });
                }
                bytes = bytes.saturating_add(entry_size(&entry));
                if bytes > max_bytes {
                    return Err(SourceError::TooLarge {
                        what: "the manifests path of this commit",
                        limit: human(max_bytes),
                        flag: "--git-max-checkout-bytes",
                    });
                }
            }
        };
        let result = match tokio::time::timeout(self.opts.timeout, scan).await {
            Ok(result) => result,
            Err(_) => Err(SourceError::Timeout {
                command: "ls-tree".to_owned(),
                seconds: self.opts.timeout.as_secs(),
            }),
        };
        if result.is_err() {
            let _ = child.kill().await;
            return result;
        }
        match child.wait().await {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(SourceError::Git {
                command: "ls-tree".to_owned(),
                status: status.to_string(),
                stderr: String::new(),
            }),
            Err(e) => Err(SourceError::Spawn(e)),
        }
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
        let cmd = self.command(args, remote, env);
        self.output(command, cmd).await
    }

    /// A git command on the local repository; `remote` adds the remote URL and credential settings.
    fn command(&self, args: &[&str], remote: bool, env: &[(&str, &std::ffi::OsStr)]) -> Command {
        let invocation = Invocation::new(&self.git_dir, remote.then_some(&self.remote), args);
        // Dies with the controller, in a process group of its own (see `child`).
        let mut cmd = Launcher::current().command("git", DeathSignal::Kill);
        // A token in the controller's own environment reaches only the commands that need it.
        cmd.args(&invocation.args)
            .env_remove(TOKEN_ENV)
            .envs(invocation.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd
    }

    /// Runs a command built by [`GitSource::command`] under the time limit and returns its stdout.
    async fn output(&self, command: &str, mut cmd: Command) -> Result<Vec<u8>, SourceError> {
        // git runs helpers (`fetch-pack`, `index-pack`, `remote-https`) that write into the
        // repository; they share git's own process group (set by the launcher), so stopping git
        // stops them too.
        let child = cmd.spawn().map_err(SourceError::Spawn)?;
        let mut group = ProcessGroup(child.id());
        let output = match tokio::time::timeout(self.opts.timeout, child.wait_with_output()).await {
            Ok(result) => {
                group.0 = None;
                result.map_err(SourceError::Spawn)?
            }
            // Dropping the future drops the child and `group`, which kill them.
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

/// The arguments and environment of one git command, apart from how it is spawned: what other
/// local users could read of it (the arguments) is built in one place and tested.
struct Invocation {
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Invocation {
    fn new(git_dir: &Path, remote: Option<&Remote>, args: &[&str]) -> Self {
        let mut argv = vec![format!("--git-dir={}", git_dir.display())];
        for setting in HARDENING {
            argv.push("-c".to_owned());
            argv.push((*setting).to_owned());
        }
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        let mut env: Vec<(String, String)> = vec![
            ("GIT_TERMINAL_PROMPT".into(), "0".into()),
            ("LC_ALL".into(), "C".into()),
            // Only the repository's configuration (ours, and overridden above) is read.
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("GIT_CONFIG_GLOBAL".into(), "/dev/null".into()),
        ];
        let mut config: Vec<(String, String)> = Vec::new();
        if let Some(remote) = remote {
            config.push(("remote.origin.url".into(), remote.url.clone()));
            if let Some(credential) = &remote.credential {
                // The helper reads both from its environment: they are in no argument and no file.
                env.push((TOKEN_ENV.into(), credential.password.clone()));
                env.push((USERNAME_ENV.into(), credential.username.clone()));
                config.push((
                    format!("credential.{}.helper", credential.scope),
                    CREDENTIAL_HELPER.into(),
                ));
            }
        }
        env.push(("GIT_CONFIG_COUNT".into(), config.len().to_string()));
        for (i, (key, value)) in config.into_iter().enumerate() {
            env.push((format!("GIT_CONFIG_KEY_{i}"), key));
            env.push((format!("GIT_CONFIG_VALUE_{i}"), value));
        }
        Self { args: argv, env }
    }
}

/// Kills a git process and its helpers when dropped: a fetch stopped half-way (over its size or
/// time limit, or abandoned) must leave no helper writing into the repository being removed.
struct ProcessGroup(Option<u32>);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let leader = self
            .0
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw);
        if let Some(leader) = leader {
            // ESRCH means every process of the group is gone already.
            let _ = rustix::process::kill_process_group(leader, rustix::process::Signal::KILL);
        }
    }
}

/// The size of one `git ls-tree -l -z` entry (`<mode> <type> <id> <size>\t<path>\0`); 0 for entries
/// without one (submodules).
fn entry_size(entry: &[u8]) -> u64 {
    let head = entry.split(|b| *b == b'\t').next().unwrap_or_default();
    std::str::from_utf8(head)
        .ok()
        .and_then(|h| h.split_whitespace().nth(3))
        .and_then(|size| size.parse().ok())
        .unwrap_or(0)
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
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn no_argument_holds_a_credential_and_every_command_is_hardened() {
        let url = SecretUrl::new("https://bot:s3cr3t-pw@git.example.com/org/repo.git");
        let remote = Remote::new(&url, Some("env-token"), None).unwrap();
        let dir = Path::new("/w/repo.git");
        for with_remote in [None, Some(&remote)] {
            let inv = Invocation::new(dir, with_remote, &["fetch", "--", "origin"]);
            let argv = inv.args.join(" ");
            assert!(!argv.contains("s3cr3t") && !argv.contains("bot:"), "{argv}");
            for setting in HARDENING {
                assert!(argv.contains(&format!("-c {setting}")), "{setting}: {argv}");
            }
            let env = |k: &str| {
                inv.env
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            };
            assert_eq!(env("GIT_CONFIG_GLOBAL"), Some("/dev/null"));
            assert_eq!(env("GIT_CONFIG_NOSYSTEM"), Some("1"));
        }
        let inv = Invocation::new(dir, Some(&remote), &["fetch"]);
        let env: std::collections::HashMap<_, _> = inv.env.into_iter().collect();
        assert_eq!(
            env["GIT_CONFIG_VALUE_0"],
            "https://git.example.com/org/repo.git"
        );
        assert_eq!(
            env["GIT_CONFIG_KEY_1"],
            "credential.https://git.example.com.helper"
        );
        assert_eq!(
            env[TOKEN_ENV], "s3cr3t-pw",
            "the URL's password wins over the token"
        );
        assert_eq!(env[USERNAME_ENV], "bot");
    }

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalized(Path::new(".")), PathBuf::from("."));
        assert_eq!(normalized(Path::new("./")), PathBuf::from("."));
        assert_eq!(normalized(Path::new("./a/./b")), PathBuf::from("a/b"));
    }

    #[test]
    fn ls_tree_entries_give_their_size() {
        assert_eq!(
            entry_size(b"100644 blob 0123456789abcdef0123456789abcdef01234567    4886\tm/a.yaml\0"),
            4886
        );
        assert_eq!(
            entry_size(b"160000 commit 0123456789abcdef0123456789abcdef01234567       -\tsub\0"),
            0
        );
    }

    #[test]
    fn tail_keeps_the_end_on_a_char_boundary() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("abcdef", 3), "...def");
        assert_eq!(tail("aé", 1), "...");
    }
}
