//! Where prices come from (`--pricing auto|off|ENDPOINT`): plugins this process launches, a
//! deployed plugin, or nowhere.
//!
//! `auto` launches `finfocus-plugin-aws-public` the way the FinFocus host does: it picks a free
//! loopback port, runs `<plugin> --port=<N>` with `FINFOCUS_PLUGIN_PORT=<N>` and `REGION`, and
//! waits for the one `PORT=<n>` line on stdout. One process per region, started the first time
//! the region is priced. [`Source::shutdown`] stops them and waits for them (SIGTERM, then SIGKILL
//! after [`STOP_GRACE`]); a [`Source`] dropped without it kills them; a controller killed outright
//! takes them with it (they are started through [`crate::child`]).
//!
//! An `ENDPOINT` without a port is the deployed multi-region plugin: each region on its own
//! port, `8001 + ` the region's position in [`REGION_PORTS`] (the image's `serve-all` layout).
//! With a port, every region is asked there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Child;

use crate::child::{DeathSignal, Launcher};
use tokio::sync::Mutex;

/// The plugin's executable name, looked up next to the controller and on `PATH`.
pub const PLUGIN_BINARY: &str = "finfocus-plugin-aws-public";
/// How long a launched plugin gets to stop after SIGTERM before it is killed.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);
/// The first regional port of the deployed plugin.
pub const BASE_PORT: u16 = 8001;
/// Regions in the order of the plugin's ports (`serve-all`: region i listens on 8001 + i).
pub const REGION_PORTS: [&str; 12] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-south-1",
    "ca-central-1",
    "sa-east-1",
    "us-gov-west-1",
    "us-gov-east-1",
    "us-west-1",
];

/// The `--pricing` setting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PricingMode {
    /// Launch the plugin found next to the controller or on `PATH`.
    #[default]
    Auto,
    /// Do not price.
    Off,
    /// A running plugin: `http://host` (per-region ports) or `http://host:port`.
    Endpoint(Endpoint),
}

/// A parsed `http://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    host: String,
    port: Option<u16>,
}

/// A `--pricing` value that is neither `auto`, `off` nor an `http://host[:port]` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --pricing {value:?}: {reason} (expected auto, off or http://HOST[:PORT])")]
pub struct InvalidPricing {
    value: String,
    reason: &'static str,
}

impl FromStr for PricingMode {
    type Err = InvalidPricing;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| InvalidPricing {
            value: s.chars().take(200).collect(),
            reason,
        };
        match s {
            "auto" => return Ok(Self::Auto),
            "off" => return Ok(Self::Off),
            _ => {}
        }
        let rest = s
            .strip_prefix("http://")
            .ok_or_else(|| invalid("not an http:// URL"))?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(invalid("expected only a host and an optional port"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
                let port = port.parse::<u16>().map_err(|_| invalid("bad port"))?;
                (host, Some(port))
            }
            _ => (authority, None),
        };
        if host.is_empty() {
            return Err(invalid("empty host"));
        }
        Ok(Self::Endpoint(Endpoint {
            host: host.to_owned(),
            port,
        }))
    }
}

impl Endpoint {
    /// The URL serving `region`, if any.
    #[must_use]
    pub fn url(&self, region: &str) -> Option<String> {
        let port = match self.port {
            Some(port) => port,
            None => {
                let i = REGION_PORTS.iter().position(|r| *r == region)?;
                BASE_PORT + u16::try_from(i).ok()?
            }
        };
        Some(format!("http://{}:{port}", self.host))
    }
}

/// Why a region has no plugin to ask.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Pricing is off.
    #[error("pricing is off")]
    Off,
    /// The deployed plugin serves no such region.
    #[error("the plugin serves no region {0}")]
    NoRegion(String),
    /// `auto` found no plugin executable.
    #[error("{PLUGIN_BINARY} not found next to the controller or on PATH")]
    NotFound,
    /// The plugin could not be started.
    #[error("starting {path}")]
    Spawn {
        /// The executable.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The plugin exited or closed stdout before its `PORT=` line.
    #[error("{PLUGIN_BINARY} for {region} ended before announcing its port")]
    NoPort {
        /// The region it was launched for.
        region: String,
    },
}

/// A launched plugin process; killed when dropped.
#[derive(Debug)]
struct Launched {
    url: String,
    child: Child,
}

/// Resolves a region to the URL of a plugin serving it, launching one when needed.
#[derive(Debug)]
pub struct Source {
    mode: PricingMode,
    binary: Option<PathBuf>,
    launched: Mutex<BTreeMap<String, Result<Launched, String>>>,
}

impl Source {
    /// A source for `mode`; `auto` looks for the plugin now and launches nothing yet.
    #[must_use]
    pub fn new(mode: PricingMode) -> Self {
        let binary = match mode {
            PricingMode::Auto => find_plugin(),
            _ => None,
        };
        Self {
            mode,
            binary,
            launched: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether pricing is off.
    #[must_use]
    pub fn is_off(&self) -> bool {
        self.mode == PricingMode::Off
    }

    /// Stops every plugin this source launched and waits until each has exited: SIGTERM, then
    /// SIGKILL for one still running after [`STOP_GRACE`]. Later asks launch plugins anew.
    pub async fn shutdown(&self) {
        let launched = std::mem::take(&mut *self.launched.lock().await);
        let stops = launched
            .into_values()
            .filter_map(Result::ok)
            .map(|mut l| async move {
                let pid = l
                    .child
                    .id()
                    .and_then(|id| i32::try_from(id).ok())
                    .and_then(rustix::process::Pid::from_raw);
                if let Some(pid) = pid {
                    // ESRCH: it has exited already; `wait` below reaps it.
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
                }
                if tokio::time::timeout(STOP_GRACE, l.child.wait())
                    .await
                    .is_err()
                {
                    let _ = l.child.kill().await;
                }
            });
        futures::future::join_all(stops).await;
    }

    /// The URL of a plugin serving `region`. A launch that failed is not retried by this
    /// source, so a missing plugin costs its timeout once per command, not once per pass; a
    /// launched plugin that has exited since is launched again.
    ///
    /// # Errors
    /// When no plugin serves `region` (see [`SourceError`]); the message is the error chain.
    pub async fn url(&self, region: &str) -> Result<String, String> {
        match &self.mode {
            PricingMode::Off => Err(SourceError::Off.to_string()),
            PricingMode::Endpoint(e) => e
                .url(region)
                .ok_or_else(|| SourceError::NoRegion(region.to_owned()).to_string()),
            PricingMode::Auto => {
                let mut launched = self.launched.lock().await;
                // A plugin that exited since (it crashed, or was killed) is launched again.
                if let Some(Ok(l)) = launched.get_mut(region)
                    && !matches!(l.child.try_wait(), Ok(None))
                {
                    launched.remove(region);
                }
                if let Some(done) = launched.get(region) {
                    return done.as_ref().map(|l| l.url.clone()).map_err(Clone::clone);
                }
                let result = match &self.binary {
                    None => Err(SourceError::NotFound),
                    Some(bin) => launch(bin, region).await,
                }
                .map_err(|e| crate::error_chain(&e));
                let url = result.as_ref().map(|l| l.url.clone()).map_err(Clone::clone);
                launched.insert(region.to_owned(), result);
                url
            }
        }
    }
}

/// `finfocus-plugin-aws-public` next to the current executable, else on `PATH`.
fn find_plugin() -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(PLUGIN_BINARY)));
    beside.filter(|p| p.is_file()).or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(PLUGIN_BINARY))
                .find(|p| p.is_file())
        })
    })
}

/// Starts the plugin for `region` on a free loopback port and waits for its `PORT=` line.
/// The caller bounds the wait with its own timeout.
async fn launch(binary: &Path, region: &str) -> Result<Launched, SourceError> {
    let spawn_error = |source| SourceError::Spawn {
        path: binary.display().to_string(),
        source,
    };
    // The host's way: pick a free port, then hand it over (the plugin binds it at once).
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_err(spawn_error)?
        .port();
    // Dies with the controller (SIGTERM: the plugin stops at once), in its own process group.
    let mut child = Launcher::current()
        .command(binary, DeathSignal::Term)
        .arg(format!("--port={port}"))
        .env("FINFOCUS_PLUGIN_PORT", port.to_string())
        .env("REGION", region)
        .env("FINFOCUS_LOG_LEVEL", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_error)?;
    let no_port = || SourceError::NoPort {
        region: region.to_owned(),
    };
    let stdout = child.stdout.take().ok_or_else(no_port)?;
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(announced) = line.trim().strip_prefix("PORT=")
            && let Ok(announced) = announced.parse::<u16>()
        {
            return Ok(Launched {
                url: format!("http://127.0.0.1:{announced}"),
                child,
            });
        }
    }
    Err(no_port())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn modes_parse() {
        assert_eq!("auto".parse(), Ok(PricingMode::Auto));
        assert_eq!("off".parse(), Ok(PricingMode::Off));
        let PricingMode::Endpoint(e) = "http://aws-public.finfocus.local".parse().unwrap() else {
            panic!("an endpoint");
        };
        assert_eq!(
            e.url("us-east-1").as_deref(),
            Some("http://aws-public.finfocus.local:8001")
        );
        assert_eq!(
            e.url("us-west-1").as_deref(),
            Some("http://aws-public.finfocus.local:8012")
        );
        assert_eq!(e.url("eu-central-1"), None);
        let PricingMode::Endpoint(e) = "http://127.0.0.1:9000/".parse().unwrap() else {
            panic!("an endpoint");
        };
        assert_eq!(e.url("eu-west-1").as_deref(), Some("http://127.0.0.1:9000"));
        for bad in [
            "",
            "on",
            "https://x",
            "http://",
            "http://x:port",
            "http://x/path",
            "http://:80",
        ] {
            let err = bad.parse::<PricingMode>().unwrap_err();
            assert!(err.to_string().contains("--pricing"), "{err}");
        }
    }

    #[tokio::test]
    async fn a_missing_plugin_is_said_once_and_not_relaunched() {
        let source = Source {
            mode: PricingMode::Auto,
            binary: Some(PathBuf::from("/nonexistent/finfocus-plugin-aws-public")),
            launched: Mutex::new(BTreeMap::new()),
        };
        let first = source.url("us-east-1").await.unwrap_err();
        assert!(first.contains("starting /nonexistent"), "{first}");
        assert_eq!(source.url("us-east-1").await.unwrap_err(), first);
        let off = Source::new(PricingMode::Off);
        assert!(off.is_off());
        assert_eq!(off.url("us-east-1").await.unwrap_err(), "pricing is off");
    }
}
