//! The command line: `serve` (also what runs with no subcommand, as the FinFocus host launches
//! plugins) and `generate-prices`.
//!
//! Settings are resolved in two stages: clap parses the raw flags, then [`ServeArgs::resolve`]
//! combines them with the environment and the executable's name into a checked
//! [`ServeConfig`], so every mistake is reported before anything binds.
//!
//! # Where a setting comes from
//! - Port: `--port`, else `FINFOCUS_PLUGIN_PORT`, else `PORT`, else 0 (ephemeral).
//! - Region: `--region`, else `REGION`, else a `-<region>` suffix of the executable's name
//!   (a link named `finfocus-plugin-aws-public-eu-west-1` serves eu-west-1), else us-east-1.
//!   A region-shaped suffix that is not a served region is an error, not a silent default.
//! - Log level: `FINFOCUS_LOG_LEVEL` (debug|info|warn|error, default info).

use std::ffi::OsStr;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use clap::{Args, Parser, Subcommand};

use crate::offer;
use crate::region::{Region, UnknownRegion};
use crate::server::{self, ServeConfig, ServeError};
use crate::telemetry::{self, InvalidLogLevel, LogLevel, TelemetryError};

/// Environment variable the FinFocus host sets to the port it picked.
pub const PORT_ENV: &str = "FINFOCUS_PLUGIN_PORT";
/// Port variable of older hosts, used when [`PORT_ENV`] is unset.
pub const LEGACY_PORT_ENV: &str = "PORT";
/// Environment variable naming the region to serve.
pub const REGION_ENV: &str = "REGION";
/// The executable's base name; a `-<region>` suffix after it selects the region.
pub const BINARY_NAME: &str = "finfocus-plugin-aws-public";
/// Region served when nothing selects one.
pub const DEFAULT_REGION: Region = Region::UsEast1;

/// FinFocus cost plugin serving public AWS list prices.
#[derive(Debug, Parser)]
#[command(name = BINARY_NAME, version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; serving is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serve settings when no subcommand is given (`finfocus-plugin-aws-public --port=N`).
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve one region over gRPC (the FinFocus host launch contract).
    Serve(ServeArgs),
    /// Rebuild the embedded price tables from AWS Price List bulk offer files.
    GeneratePrices(offer::GenerateArgs),
    /// Serve all 12 regions (the container's job): one process per region on base-port + i,
    /// restarted when it crashes, plus the metrics aggregator; stops cleanly on SIGTERM.
    ServeAll(crate::supervisor::ServeAllArgs),
    /// Exit 0 only if every regional /healthz answers 200 (the image's health check).
    Healthcheck(crate::healthcheck::HealthcheckArgs),
}

/// Flags of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port to listen on [env: FINFOCUS_PLUGIN_PORT, then PORT; default: ephemeral]
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to bind; use 0.0.0.0 in containers.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Region to serve [env: REGION; else the executable name suffix; default: us-east-1]
    #[arg(long)]
    pub region: Option<String>,
}

/// A setting that cannot be used; reported before the process binds.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A port variable is set to something that is not a port number.
    #[error("invalid {var} {value:?}: expected a port number 0-65535")]
    Port {
        /// The variable name.
        var: &'static str,
        /// Its value (cut short).
        value: String,
    },
    /// The region named by `origin` is not one of the served regions.
    #[error("invalid region from {origin}")]
    Region {
        /// `--region`, `REGION` or `executable name`.
        origin: &'static str,
        /// The parse failure, listing the valid regions.
        #[source]
        source: UnknownRegion,
    },
    /// `FINFOCUS_LOG_LEVEL` is not a level.
    #[error(transparent)]
    LogLevel(#[from] InvalidLogLevel),
}

/// Why the command failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad settings.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Logging could not be set up.
    #[error(transparent)]
    Telemetry(#[from] TelemetryError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// The port could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// Generating the price tables failed.
    #[error("generate-prices failed")]
    Generate(#[source] offer::OfferError),
    /// The multi-region supervisor failed.
    #[error("serve-all failed")]
    ServeAll(#[source] crate::supervisor::SupervisorError),
    /// A regional server is unhealthy.
    #[error("health check failed")]
    Healthcheck(#[source] crate::healthcheck::HealthcheckError),
}

impl ServeArgs {
    /// The checked serve settings, from these flags, `env` and the program name `argv0`.
    pub fn resolve(
        &self,
        env: impl Fn(&str) -> Option<String>,
        argv0: Option<&OsStr>,
    ) -> Result<ServeConfig, ConfigError> {
        let port = match self.port {
            Some(port) => port,
            None => match env_port(&env, PORT_ENV)? {
                Some(port) => port,
                None => env_port(&env, LEGACY_PORT_ENV)?.unwrap_or(0),
            },
        };
        let region = match (&self.region, non_empty(env(REGION_ENV))) {
            (Some(flag), _) => parse_region(flag, "--region")?,
            (None, Some(var)) => parse_region(&var, REGION_ENV)?,
            (None, None) => region_from_program(argv0)?.unwrap_or(DEFAULT_REGION),
        };
        Ok(ServeConfig {
            port,
            bind: self.bind,
            ..ServeConfig::new(region)
        })
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn env_port(
    env: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Option<u16>, ConfigError> {
    non_empty(env(var))
        .map(|value| {
            value.trim().parse().map_err(|_| ConfigError::Port {
                var,
                value: value.chars().take(64).collect(),
            })
        })
        .transpose()
}

fn parse_region(value: &str, origin: &'static str) -> Result<Region, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|source| ConfigError::Region { origin, source })
}

/// The region in the program name's `-<region>` suffix. A suffix that is not region-shaped
/// (`-debug`, a build hash) is ignored; a region-shaped one must be a served region.
fn region_from_program(argv0: Option<&OsStr>) -> Result<Option<Region>, ConfigError> {
    let Some(name) = argv0
        .map(Path::new)
        .and_then(Path::file_name)
        .and_then(OsStr::to_str)
    else {
        return Ok(None);
    };
    let Some(suffix) = name
        .strip_suffix(".exe")
        .unwrap_or(name)
        .strip_prefix(BINARY_NAME)
        .and_then(|rest| rest.strip_prefix('-'))
    else {
        return Ok(None);
    };
    let region_shaped = suffix.contains('-') && suffix.ends_with(|c: char| c.is_ascii_digit());
    if region_shaped {
        parse_region(suffix, "executable name").map(Some)
    } else {
        Ok(None)
    }
}

/// Runs the command line; the caller turns an error into the exit status.
pub fn run(cli: Cli) -> Result<(), RunError> {
    let level = LogLevel::from_env_value(std::env::var(telemetry::LOG_LEVEL_ENV).ok().as_deref())
        .map_err(ConfigError::from)?;
    match cli.command {
        Some(Command::GeneratePrices(args)) => {
            telemetry::init(level)?;
            let summary = offer::generate(&args).map_err(RunError::Generate)?;
            print_summary(&summary);
            Ok(())
        }
        Some(Command::Serve(args)) => run_serve(&args, level),
        Some(Command::ServeAll(args)) => {
            telemetry::init(level)?;
            crate::supervisor::run(&args).map_err(RunError::ServeAll)
        }
        Some(Command::Healthcheck(args)) => {
            crate::healthcheck::healthcheck(&args).map_err(RunError::Healthcheck)
        }
        None => run_serve(&cli.serve, level),
    }
}

/// A short report of a generated table on stdout, for the person running the generator.
fn print_summary(summary: &offer::GenerateSummary) {
    let rows: Vec<String> = summary
        .rows
        .iter()
        .map(|(service, n)| format!("{service}={n}"))
        .collect();
    println!(
        "{}: {} ({} offer files): added {}, updated {}, unchanged {}, removed {}, skipped {}; rows {}",
        summary.region,
        summary.path.display(),
        summary.offers.len(),
        summary.added,
        summary.updated,
        summary.unchanged,
        summary.removed,
        summary.skipped,
        rows.join(" ")
    );
}

fn run_serve(args: &ServeArgs, level: LogLevel) -> Result<(), RunError> {
    let config = args.resolve(
        |k| std::env::var(k).ok(),
        std::env::args_os().next().as_deref(),
    )?;
    telemetry::init(level)?;
    if let Ok(pid) = std::env::var(crate::supervisor::SUPERVISOR_PID_ENV)
        && !crate::supervisor::follow_supervisor(&pid)
    {
        tracing::warn!(supervisor_pid = %pid, "supervisor is gone; not starting");
        return Ok(());
    }
    // One thread per regional process: the image runs twelve of them on the task's few vCPUs,
    // so parallelism comes from processes. A single thread also keeps each answer's allocations
    // and frees on one thread, where the allocator's per-thread cache serves them (BENCHMARKS.md).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    runtime.block_on(async {
        let addr = config.addr();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| RunError::Bind { addr, source })?;
        // Installed before serve() prints PORT=, so an early SIGTERM still drains.
        let shutdown = server::shutdown_signal();
        server::serve(config, listener, shutdown).await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use std::collections::HashMap;

    use super::*;

    fn args(extra: &[&str]) -> ServeArgs {
        let mut argv = vec![BINARY_NAME];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).unwrap().serve
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn port_priority_flag_then_host_var_then_legacy_then_ephemeral() {
        let both = env(&[(PORT_ENV, "7001"), (LEGACY_PORT_ENV, "7002")]);
        assert_eq!(
            args(&["--port=7000"]).resolve(&both, None).unwrap().port,
            7000
        );
        assert_eq!(args(&[]).resolve(&both, None).unwrap().port, 7001);
        let legacy = env(&[(LEGACY_PORT_ENV, "7002")]);
        assert_eq!(args(&[]).resolve(&legacy, None).unwrap().port, 7002);
        assert_eq!(args(&[]).resolve(env(&[]), None).unwrap().port, 0);
    }

    #[test]
    fn bad_port_values_are_named() {
        let err = args(&[])
            .resolve(env(&[(PORT_ENV, "http")]), None)
            .unwrap_err();
        assert!(err.to_string().contains(PORT_ENV), "{err}");
        let err = args(&[])
            .resolve(env(&[(LEGACY_PORT_ENV, "70000")]), None)
            .unwrap_err();
        assert!(err.to_string().contains("PORT \"70000\""), "{err}");
        assert!(Cli::try_parse_from([BINARY_NAME, "--port=-1"]).is_err());
    }

    #[test]
    fn region_priority_flag_then_env_then_program_name() {
        let argv0 = OsStr::new("/opt/bin/finfocus-plugin-aws-public-ap-south-1");
        let eu = env(&[(REGION_ENV, "eu-west-1")]);
        let flag = args(&["--region", "us-west-2"]);
        assert_eq!(
            flag.resolve(&eu, Some(argv0)).unwrap().region,
            Region::UsWest2
        );
        assert_eq!(
            args(&[]).resolve(&eu, Some(argv0)).unwrap().region,
            Region::EuWest1
        );
        assert_eq!(
            args(&[]).resolve(env(&[]), Some(argv0)).unwrap().region,
            Region::ApSouth1
        );
        let plain = OsStr::new("target/debug/finfocus-plugin-aws-public");
        assert_eq!(
            args(&[]).resolve(env(&[]), Some(plain)).unwrap().region,
            Region::UsEast1
        );
    }

    #[test]
    fn program_name_suffixes() {
        let hashed = OsStr::new("deps/finfocus-plugin-aws-public-3f2a9c0d");
        assert_eq!(region_from_program(Some(hashed)).unwrap(), None);
        let gov = OsStr::new("finfocus-plugin-aws-public-us-gov-east-1");
        assert_eq!(
            region_from_program(Some(gov)).unwrap(),
            Some(Region::UsGovEast1)
        );
        let unknown = OsStr::new("finfocus-plugin-aws-public-eu-central-1");
        let err = region_from_program(Some(unknown)).unwrap_err();
        assert!(err.to_string().contains("executable name"), "{err}");
        assert_eq!(
            region_from_program(Some(OsStr::new("other-eu-west-1"))).unwrap(),
            None
        );
    }

    #[test]
    fn invalid_region_flag_is_an_error() {
        let err = args(&["--region", "mars-1"])
            .resolve(env(&[]), None)
            .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Region {
                origin: "--region",
                ..
            }
        ));
    }

    #[test]
    fn no_subcommand_serves_and_subcommands_parse() {
        let cli = Cli::try_parse_from([BINARY_NAME, "--port=9", "--bind", "0.0.0.0"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.port, Some(9));
        let cli = Cli::try_parse_from([BINARY_NAME, "serve", "--region", "eu-west-1"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Serve(ref a)) if a.region.as_deref() == Some("eu-west-1"))
        );
    }
}
