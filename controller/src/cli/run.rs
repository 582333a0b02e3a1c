//! `run`: the long-running controller.
//!
//! Reads its configuration and fails fast (exit 1) before binding anything; then builds the AWS context,
//! starts the source, the HTTP endpoints and the loop, waits for SIGTERM or Ctrl-C, stops starting new
//! work, lets applies in flight finish under `--drain-timeout`, and exits 0.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::cli::{Exit, GlobalArgs};
use crate::http::{self, HttpState};
use crate::lease;
use crate::metrics::Metrics;
use crate::notify;
use crate::plan::PlanOptions;
use crate::runtime::{self, AwsEngine, Backoff, RuntimeOptions, Shutdown};
use crate::source::{
    DirSource, DirSourceOptions, GitSource, GitSourceOptions, SecretUrl, SourceError,
};

/// Options of `run`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("from").required(true).args(["source", "git"])))]
pub struct RunArgs {
    /// A local directory of manifests, watched for changes.
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
    /// A git repository URL to follow (https, ssh, git or file). Credentials in the URL and the
    /// FINFOCUS_GIT_TOKEN environment variable are never logged; a URL with credentials is better
    /// passed as FINFOCUS_GIT_URL than on the command line, which other local users can read.
    #[arg(long, value_name = "URL", env = "FINFOCUS_GIT_URL", hide_env_values = true, value_parser = parse_url)]
    pub git: Option<SecretUrl>,
    /// The branch or tag to follow (default: the remote's default branch).
    #[arg(
        long = "ref",
        value_name = "R",
        default_value = "HEAD",
        requires = "git"
    )]
    pub reference: String,
    /// The manifests directory inside the repository.
    #[arg(long, value_name = "P", default_value = ".", requires = "git")]
    pub path: PathBuf,
    /// How often to fetch the git repository (e.g. 30s, 5m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration)]
    pub interval: Duration,
    /// How often to reconcile everything even when nothing changed.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub resync: Duration,
    /// Where to serve /healthz, /readyz, /metrics and /report (HOST:PORT).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The most resources applied at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_concurrent: u16,
    /// How long applies in flight may take to finish after SIGTERM.
    #[arg(long, value_name = "DURATION", default_value = "25s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// The time limit of each git command.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub git_timeout: Duration,
    /// A private work directory for the git checkout (default: a new temporary directory). An
    /// existing one must be owned by this user and writable by no other.
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// First delay after a failed apply (doubles per failure up to 5m).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub retry_delay: Duration,
    /// Run `verify`'s pre-flight checks and show their problems as warnings in the drift report:
    /// when the manifests change, and otherwise every `--verify-interval`.
    #[arg(long)]
    pub verify: bool,
    /// How often `--verify` checks again while the manifests stay the same.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration, requires = "verify")]
    pub verify_interval: Duration,
    /// Limits of the git source.
    #[command(flatten)]
    pub git_limits: crate::cli::limits::GitLimitArgs,
    /// Deregister owned task definition revisions of each managed family beyond the newest N,
    /// never one the service or any of its deployments uses (default: keep all).
    #[arg(long, value_name = "N")]
    pub keep_revisions: Option<u32>,
    /// Leader election.
    #[command(flatten)]
    pub lease: LeaseArgs,
    /// A file holding the push webhook's secret (else FINFOCUS_WEBHOOK_SECRET): with one, `POST
    /// /hooks/git` takes signed GitHub and GitLab pushes and fetches at once.
    #[arg(long, value_name = "FILE", requires = "git")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Where to announce what happens (repeatable, or space-separated in FINFOCUS_NOTIFY):
    /// `https://...` gets JSON events signed with FINFOCUS_NOTIFY_SECRET, `slack+https://...` a
    /// Slack incoming-webhook message; plain `http://` only on loopback. Slack URLs are secrets:
    /// prefer FINFOCUS_NOTIFY, which other local users cannot read.
    #[arg(
        long = "notify",
        value_name = "URL",
        env = "FINFOCUS_NOTIFY",
        hide_env_values = true,
        value_delimiter = ' '
    )]
    pub notify: Vec<String>,
    /// Set a GitHub commit status on each commit picked up: pending, then success or failure
    /// (token in FINFOCUS_GITHUB_TOKEN, with `repo:status` or "Commit statuses: write").
    #[arg(long, requires = "git")]
    pub github_status: bool,
    /// The GitHub REST API root (GitHub Enterprise: `https://HOST/api/v3`).
    #[arg(long, value_name = "URL", default_value = "https://api.github.com")]
    pub github_api: String,
    /// The repository of the commits (default: taken from a github.com `--git` URL).
    #[arg(long, value_name = "OWNER/REPO", requires = "github_status")]
    pub github_repo: Option<String>,
    /// Where people reach this controller: commit statuses link to its `/report`.
    #[arg(long, value_name = "URL")]
    pub external_url: Option<String>,
}

/// The environment variable with the key that signs JSON events.
pub const NOTIFY_SECRET_ENV: &str = "FINFOCUS_NOTIFY_SECRET";
/// The environment variable with the status page's token (bearer, or basic auth's password).
pub const UI_TOKEN_ENV: &str = "FINFOCUS_UI_TOKEN";
/// The environment variable with the GitHub token of `--github-status`.
pub const GITHUB_TOKEN_ENV: &str = "FINFOCUS_GITHUB_TOKEN";

/// The environment variable that holds the push webhook's secret.
pub const WEBHOOK_SECRET_ENV: &str = "FINFOCUS_WEBHOOK_SECRET";

/// Options of leader election.
#[derive(Debug, Clone, clap::Args)]
pub struct LeaseArgs {
    /// Compete with other replicas for a lease in this DynamoDB table (created on first use, on-demand
    /// billing); only the holder observes and writes.
    #[arg(long, value_name = "TABLE")]
    pub lease_table: Option<String>,
    /// The lease item in the table (default: the --instance name).
    #[arg(long, value_name = "NAME", requires = "lease_table")]
    pub lease_name: Option<String>,
    /// How long a lease lasts without renewal (renewed every third of it; at least 1s).
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: Duration,
}

/// Why `run` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Neither `--source` nor `--git` was given.
    #[error("no source: pass --source DIR or --git URL")]
    NoSource,
    /// `--listen` could not be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The source could not be started.
    #[error("source")]
    Source(#[from] SourceError),
    /// The AWS context could not be built.
    #[error("aws")]
    Aws(#[from] crate::Error),
    /// The signal handlers could not be installed.
    #[error("cannot install signal handlers")]
    Signal(#[source] std::io::Error),
    /// `--lease-duration` is too short.
    #[error("--lease-duration must be at least 1s")]
    LeaseDuration,
    /// The lease table could not be created or reached.
    #[error("lease table")]
    Lease(#[from] crate::lease::StoreError),
    /// The webhook secret could not be read, or is empty, or there is no git source to wake.
    #[error("webhook: {0}")]
    Webhook(String),
    /// A notification target, its secret, or the GitHub settings are wrong.
    #[error("notifications: {0}")]
    Notify(String),
}

/// A non-empty environment variable.
fn env_secret(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The notifier's settings, or `None` when nothing is to be announced.
fn notify_config(
    global: &GlobalArgs,
    args: &RunArgs,
    store: Option<lease::Store>,
) -> Result<Option<notify::Config>, RunError> {
    let targets = args
        .notify
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| notify::target::Target::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(RunError::Notify)?;
    let secret = env_secret(NOTIFY_SECRET_ENV).map(|s| Arc::from(s.trim().as_bytes()));
    if secret.is_none()
        && targets
            .iter()
            .any(|t| t.kind == notify::target::TargetKind::Webhook)
    {
        return Err(RunError::Notify(format!(
            "{NOTIFY_SECRET_ENV} must hold the key that signs the events sent to https:// targets"
        )));
    }
    let external = args
        .external_url
        .as_deref()
        .map(|u| {
            let uri: axum::http::Uri = u
                .parse()
                .map_err(|e| RunError::Notify(format!("--external-url: not a URL ({e})")))?;
            match (uri.scheme_str(), uri.host()) {
                (Some("https" | "http"), Some(_)) => Ok(u.trim_end_matches('/').to_owned()),
                _ => Err(RunError::Notify(
                    "--external-url: write it as https://HOST[/PATH]".into(),
                )),
            }
        })
        .transpose()?;
    let github = if args.github_status {
        let token = env_secret(GITHUB_TOKEN_ENV).ok_or_else(|| {
            RunError::Notify(format!(
                "--github-status needs a token in {GITHUB_TOKEN_ENV}"
            ))
        })?;
        notify::target::parse_endpoint(&args.github_api, "--github-api")
            .map_err(RunError::Notify)?;
        let repo = match &args.github_repo {
            Some(repo) if notify::github::valid_repo(repo) => repo.clone(),
            Some(_) => {
                return Err(RunError::Notify(
                    "--github-repo: write it as OWNER/REPO".into(),
                ));
            }
            None => args
                .git
                .as_ref()
                .and_then(|url| notify::github::repo_of_git_url(url.expose()))
                .ok_or_else(|| {
                    RunError::Notify(
                        "--github-status: the --git URL is not a github.com repository; pass --github-repo OWNER/REPO"
                            .into(),
                    )
                })?,
        };
        Some(notify::github::GitHub {
            api: args.github_api.trim_end_matches('/').to_owned(),
            repo,
            token: token.trim().to_owned(),
            context: format!("finfocus-ecs/{}", global.instance),
            target_url: external.map(|u| format!("{u}/report")),
        })
    } else {
        None
    };
    let config = notify::Config {
        instance: global.instance.clone(),
        targets,
        secret,
        github,
        store,
        retry: notify::send::RetryPolicy::default(),
    };
    Ok(config.is_enabled().then_some(config))
}

/// The webhook secret: `--webhook-secret-file` (trailing newline dropped), else
/// [`WEBHOOK_SECRET_ENV`]; `None` when neither is set.
fn webhook_secret(args: &RunArgs) -> Result<Option<Arc<[u8]>>, RunError> {
    let secret = match &args.webhook_secret_file {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| RunError::Webhook(format!("cannot read {}: {e}", path.display())))?,
        ),
        None => std::env::var_os(WEBHOOK_SECRET_ENV).map(|v| v.into_encoded_bytes()),
    };
    let Some(mut secret) = secret else {
        return Ok(None);
    };
    while secret.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        secret.pop();
    }
    if secret.is_empty() {
        return Err(RunError::Webhook("the secret is empty".into()));
    }
    if args.git.is_none() {
        return Err(RunError::Webhook(
            "a webhook wakes a git source: pass --git URL (a directory is watched already)".into(),
        ));
    }
    Ok(Some(Arc::from(secret)))
}

/// Runs the controller until SIGTERM or Ctrl-C: [`Exit::Ok`] after a clean stop, [`Exit::Failed`] (with
/// the reason on stderr) when it could not start.
pub async fn run(global: &GlobalArgs, args: &RunArgs) -> Exit {
    match serve(global, args).await {
        Ok(()) => Exit::Ok,
        Err(err) => {
            let err = crate::error_chain(&err);
            tracing::error!(error = %err, "run failed");
            eprintln!("error: {err}");
            Exit::Failed
        }
    }
}

/// Starts everything and waits for the stop signal.
///
/// # Errors
/// A bad `--listen`, a source that cannot start, or no AWS region.
pub async fn serve(global: &GlobalArgs, args: &RunArgs) -> Result<(), RunError> {
    let ctx = Arc::new(global.context().await?);
    let plan_opts = PlanOptions {
        keep_revisions: args.keep_revisions,
        ..PlanOptions::new(global.instance.clone(), ctx.region())
    };
    let lease_store = match &args.lease.lease_table {
        None => None,
        Some(_) if args.lease.lease_duration < lease::MIN_DURATION => {
            return Err(RunError::LeaseDuration);
        }
        Some(table) => {
            let name = args.lease.lease_name.as_deref().unwrap_or(&global.instance);
            let store = lease::Store::new(ctx.sdk_config(), table, name);
            store.ensure_table(Duration::from_secs(60)).await?;
            Some(store)
        }
    };

    let notifier = notify_config(global, args, lease_store.clone())?;
    let client =
        match &notifier {
            Some(_) => Some(notify::send::client().map_err(|e| {
                RunError::Notify(format!("cannot load the system's trust roots: {e}"))
            })?),
            None => None,
        };
    let hook = webhook_secret(args)?.map(|secret| http::Hook {
        secret,
        followed: args.reference.clone(),
        wake: Arc::new(tokio::sync::Notify::new()),
    });
    // A work directory of our own choosing is removed on the way out, whatever the way.
    let mut _scratch = None;
    let source = match (&args.source, &args.git) {
        (None, None) => return Err(RunError::NoSource),
        (_, Some(url)) => {
            let workdir = match &args.workdir {
                Some(dir) => dir.clone(),
                None => {
                    // A new directory with an unpredictable name: one named after the PID could
                    // be created first by another local user, with a repository and hooks in it.
                    let dir = crate::source::fresh_private_dir(
                        &std::env::temp_dir(),
                        "finfocus-ecs-controller-",
                    )?;
                    _scratch = Some(RemoveOnDrop(dir.clone()));
                    dir
                }
            };
            let mut opts = GitSourceOptions::new(url.clone(), workdir);
            opts.reference.clone_from(&args.reference);
            opts.path.clone_from(&args.path);
            opts.interval = args.interval;
            opts.timeout = args.git_timeout;
            opts.wake = hook.as_ref().map(|h| Arc::clone(&h.wake));
            args.git_limits.apply(&mut opts);
            tracing::info!(url = %url, reference = %args.reference, path = %args.path.display(), "following git");
            GitSource::open(opts).await?.spawn()
        }
        (Some(dir), None) => {
            tracing::info!(dir = %dir.display(), "watching directory");
            DirSource::new(DirSourceOptions::new(dir.clone())).spawn()?
        }
    };

    let listener = TcpListener::bind(args.listen.as_str())
        .await
        .map_err(|source| RunError::Listen {
            addr: args.listen.clone(),
            source,
        })?;
    let bound = listener
        .local_addr()
        .map_or_else(|_| args.listen.clone(), |a| a.to_string());
    tracing::info!(listen = %bound, "serving /healthz /readyz /metrics /report");
    if hook.is_some() {
        tracing::info!(listen = %bound, "taking push webhooks on POST /hooks/git");
    }

    let calls = ctx.calls().clone();
    // The replica id: unique per process, so a restarted replica never mistakes an old lease for its own.
    let replica = format!("{}/{}", global.instance, uuid::Uuid::new_v4());
    let mut lease_metrics = None;
    let mut standby_metrics = lease::StandbyMetrics::default();
    let metrics = Metrics::new().with_api_calls(Arc::new(move || calls.snapshot()));
    let metrics = Arc::new(if lease_store.is_some() {
        metrics.with(|registry| {
            lease_metrics = Some(lease::LeaseMetrics::register(registry, &replica));
            standby_metrics = lease::StandbyMetrics::register(registry);
        })
    } else {
        metrics
    });
    let election = lease_store.zip(lease_metrics).map(|(store, m)| {
        tracing::info!(replica = %replica, "competing for the lease");
        lease::Election::start(store, &replica, args.lease.lease_duration, m)
    });
    let (reports_tx, reports_rx) = tokio::sync::watch::channel(None);
    let (trigger, shutdown) = Shutdown::channel();

    let signals = tokio::spawn({
        let trigger = trigger.clone();
        async move {
            let result = runtime::os_signal().await;
            tracing::info!("shutdown requested");
            trigger.trigger();
            result
        }
    });
    let notifying = notifier.zip(client).map(|(config, client)| {
        tracing::info!(
            targets = config.targets.len(),
            github = config.github.is_some(),
            "announcing outcomes"
        );
        tokio::spawn(notify::run(
            config,
            client,
            reports_rx.clone(),
            Arc::clone(&metrics),
            shutdown.clone(),
        ))
    });
    let server = tokio::spawn(http::serve(
        listener,
        HttpState {
            reports: reports_rx,
            metrics: Arc::clone(&metrics),
            lease: election.as_ref().map(lease::Election::gate),
            hook,
            ui: http::Ui {
                instance: global.instance.clone(),
                resync: args.resync,
                token: env_secret(UI_TOKEN_ENV).map(|t| Arc::from(t.trim())),
            },
        },
        shutdown.clone(),
    ));

    let mut engine = AwsEngine::new(Arc::clone(&ctx), plan_opts)
        .with_limits(global.limits.limits())
        .with_pricing(global.pricer(), metrics.cost.clone());
    if args.verify {
        engine = engine.with_verify(args.verify_interval);
    }
    let engine = Arc::new(engine);
    let started = Arc::clone(&engine);
    let opts = RuntimeOptions {
        resync: args.resync,
        max_concurrent: usize::from(args.max_concurrent),
        backoff: Backoff {
            initial: args.retry_delay,
            max: Duration::from_secs(300).max(args.retry_delay),
        },
        drain_timeout: args.drain_timeout,
        ..RuntimeOptions::default()
    };
    let summary = match election {
        None => runtime::run(engine, source, opts, metrics, reports_tx, shutdown).await,
        Some(election) => {
            let gate = election.gate();
            let engine = Arc::new(lease::Leased::new(engine, gate.clone()));
            let summary = lease::run_while_leading(
                engine,
                gate,
                source,
                opts,
                metrics,
                standby_metrics,
                reports_tx,
                shutdown,
            )
            .await;
            // Applies have drained; only now may a standby start.
            election.release().await;
            summary
        }
    };
    // Children (pricing plugins) exit before the controller does.
    started.shutdown().await;
    tracing::info!(
        passes = summary.passes,
        drained = summary.drained,
        aborted = summary.aborted,
        "stopped"
    );
    // The loop only ends on shutdown, so the server is already draining; do not wait on a stuck client.
    trigger.trigger();
    if let Some(notifying) = notifying
        && tokio::time::timeout(Duration::from_secs(10), notifying)
            .await
            .is_err()
    {
        tracing::warn!("notifications still going out at shutdown were dropped");
    }
    if let Ok(Err(err)) = tokio::time::timeout(Duration::from_secs(5), server).await {
        tracing::warn!(error = %err, "http server task failed");
    }
    if signals.is_finished() {
        if let Ok(Err(err)) = signals.await {
            return Err(RunError::Signal(err));
        }
    } else {
        signals.abort();
    }
    Ok(())
}

/// Removes a directory when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        // Best effort at exit; a leftover lives in the temporary directory.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn parse_url(s: &str) -> Result<SecretUrl, String> {
    if s.trim().is_empty() {
        return Err("the URL is empty".to_owned());
    }
    Ok(SecretUrl::new(s))
}

/// The longest duration accepted on the command line.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 86_400);

/// Parses a duration written as one or more `<number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`
/// (`30s`, `5m`, `1h30m`). Zero is refused: every duration here paces a loop. So is more than
/// [`MAX_DURATION`]: deadlines are `now + duration`, which panics once the sum leaves the clock's range.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration: write e.g. 30s, 5m or 1h".to_owned());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "invalid duration {text:?}: expected a number at {rest:?}"
            ));
        }
        let value: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("invalid duration {text:?}: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(value),
            "s" => Duration::from_secs(value),
            "m" => value
                .checked_mul(60)
                .map(Duration::from_secs)
                .ok_or("too large")?,
            "h" => value
                .checked_mul(3600)
                .map(Duration::from_secs)
                .ok_or("too large")?,
            "d" => value
                .checked_mul(86_400)
                .map(Duration::from_secs)
                .ok_or("too large")?,
            "" => {
                return Err(format!(
                    "invalid duration {text:?}: missing unit (ms, s, m, h or d)"
                ));
            }
            other => return Err(format!("invalid duration {text:?}: unknown unit {other:?}")),
        };
        total = total
            .checked_add(part)
            .ok_or_else(|| format!("invalid duration {text:?}: too large"))?;
    }
    if total.is_zero() {
        return Err(format!(
            "invalid duration {text:?}: must be greater than zero"
        ));
    }
    if total > MAX_DURATION {
        return Err(format!(
            "invalid duration {text:?}: too large (at most 365d)"
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        for (text, secs) in [
            ("30s", 30),
            ("5m", 300),
            ("1h", 3600),
            ("1h30m", 5400),
            ("2d", 172_800),
            (" 10s ", 10),
            ("365d", 31_536_000),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn bad_durations_are_refused_with_a_reason() {
        for (text, needle) in [
            ("", "empty"),
            ("5", "missing unit"),
            ("5x", "unknown unit"),
            ("m5", "expected a number"),
            ("0s", "greater than zero"),
            ("-1s", "expected a number"),
            ("99999999999999999999s", "too large"),
            ("999999999999999999h", "too large"),
            ("18446744073709551615s", "too large"),
            ("366d", "too large"),
        ] {
            let err = parse_duration(text).expect_err(text);
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn start_up_errors_name_each_cause_once() {
        let missing = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let source = RunError::Source(SourceError::Spawn(missing()));
        assert_eq!(
            crate::error_chain(&source),
            "source: cannot run git: no such file"
        );
        let listen = RunError::Listen {
            addr: "127.0.0.1:1".into(),
            source: missing(),
        };
        assert_eq!(
            crate::error_chain(&listen),
            "cannot listen on 127.0.0.1:1: no such file"
        );
        let signal = RunError::Signal(missing());
        assert_eq!(
            crate::error_chain(&signal),
            "cannot install signal handlers: no such file"
        );
    }
}
