//! Command line: global flags and dispatch. Each verb lives in its own file with an options
//! struct and one function; this module only parses and routes.
//!
//! Exit codes (DESIGN.md): `validate` 0 valid / 1 invalid; `plan` 0 in sync / 2 changes or
//! drift / 1 error / 3 cost increase above `--max-cost-increase`; `apply` 0 converged (and, with
//! `--wait`, rolled out) / 1 error.
//! `verify` 0 all good / 2 problems / 1 error. `rollback` 0 rollback requested / 2 nothing in
//! progress / 1 error. `import` 0 written / 2 written, some need a person / 1 error, nothing
//! written.

pub mod apply;
pub mod completions;
pub mod import;
pub mod limits;
pub mod plan;
pub mod rollback;
pub mod run;
pub mod validate;
pub mod verify;
pub mod wait;

use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::Result;
use crate::aws::{Context, ContextOptions};

/// The version and the commit it was built from (`0.1.0 (3f2a9c1b7d4e)`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("FINFOCUS_BUILD_COMMIT"),
    ")"
);

/// GitOps controller for Amazon ECS and AWS Cloud Map.
#[derive(Debug, Parser)]
#[command(name = "finfocus-ecs-controller", version = VERSION, about)]
pub struct Cli {
    /// Flags shared by every verb.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The verb.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Flags shared by every verb.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Ownership instance id: resources are tagged with it and only resources with the same
    /// id are changed or pruned.
    #[arg(long, global = true, env = "FINFOCUS_INSTANCE", default_value = crate::DEFAULT_INSTANCE)]
    pub instance: String,
    /// AWS region (else the standard chain: AWS_REGION, profile, ...).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Print a JSON summary of the AWS calls made (per operation) to stderr on exit.
    #[arg(long, global = true)]
    pub calls: bool,
    /// Attempts per AWS call, including the first (throttling and 5xx are retried).
    #[arg(long, global = true, default_value_t = 5)]
    pub max_attempts: u32,
    /// Most AWS calls in flight at once: independent reads of a pass (DescribeServices batches,
    /// task definitions, Cloud Map tags) overlap up to this bound. Lower it when other tools
    /// share the account's API rate; throttled calls are retried with backoff.
    #[arg(long, global = true, value_name = "N", env = "FINFOCUS_AWS_CONCURRENCY",
          default_value_t = crate::aws::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=100).map(usize::from))]
    pub aws_concurrency: usize,
    /// Log format (logs go to stderr; level from FINFOCUS_LOG or RUST_LOG, default warn).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Limits on what manifests may make the controller read and parse.
    #[command(flatten)]
    pub limits: limits::LimitArgs,
    /// Where monthly costs come from: `auto` launches finfocus-plugin-aws-public (next to this
    /// executable or on PATH) per region, `off` prices nothing, `http://HOST` asks a deployed
    /// plugin on its per-region ports (8001 + i), `http://HOST:PORT` asks one port.
    #[arg(long, global = true, env = "FINFOCUS_PRICING", default_value = "auto")]
    pub pricing: crate::pricing::PricingMode,
    /// Bound on pricing one plan, in seconds (an unanswered cost is reported unknown).
    #[arg(long, global = true, default_value_t = 10)]
    pub pricing_timeout: u64,
}

impl GlobalArgs {
    /// Builds the AWS context these flags describe.
    ///
    /// # Errors
    /// When no region can be determined.
    pub async fn context(&self) -> Result<Context> {
        Context::from_env(ContextOptions {
            region: self.region.clone(),
            max_attempts: self.max_attempts,
            concurrency: self.aws_concurrency,
            session_name: format!("finfocus-ecs-{}", self.instance),
            ..ContextOptions::default()
        })
        .await
    }

    /// The pricer these flags describe (nothing is launched until a price is asked for).
    #[must_use]
    pub fn pricer(&self) -> crate::pricing::Pricer {
        crate::pricing::Pricer::new(
            self.pricing.clone(),
            std::time::Duration::from_secs(self.pricing_timeout.max(1)),
        )
    }

    /// Prints the call summary when `--calls` was given.
    pub fn report_calls(&self, ctx: &Context) {
        if self.calls {
            eprintln!("aws-calls: {}", ctx.calls().summary_json());
        }
    }
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check manifests (no AWS calls).
    Validate(validate::ValidateArgs),
    /// Show what apply would change; exit 0 in sync, 2 changes, 1 error.
    Plan(plan::PlanArgs),
    /// Converge AWS toward the manifests once; exit 0 converged, 1 error.
    Apply(apply::ApplyArgs),
    /// Run the controller: follow a directory or git repository and keep AWS converged.
    Run(Box<run::RunArgs>),
    /// Check in AWS what the manifests rely on; exit 0 all good, 2 problems, 1 error.
    Verify(verify::VerifyArgs),
    /// Write manifests for services that already run (and their cluster and namespace); exit
    /// 0 written, 2 written but some need a person, 1 error (nothing written).
    Import(import::ImportArgs),
    /// Print the completion script for a shell (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff).
    Man,
    /// Print the JSON Schema of a manifest document (for editors and CI; also in
    /// schemas/manifest.schema.json).
    Schema,
    /// Roll back a service's deployment in progress; exit 0 requested, 2 nothing in progress, 1
    /// error.
    Rollback(rollback::RollbackArgs),
}

/// How a verb ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success / in sync / converged.
    Ok,
    /// `plan` found changes or drift.
    Changes,
    /// Invalid input or not converged.
    Failed,
    /// `plan`: the total monthly cost increase is above `--max-cost-increase`.
    CostAboveLimit,
    /// `rollback`: the service has no deployment in progress.
    NothingInProgress,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        match e {
            Exit::Ok => Self::SUCCESS,
            Exit::Changes | Exit::NothingInProgress => Self::from(2),
            Exit::Failed => Self::from(1),
            Exit::CostAboveLimit => Self::from(3),
        }
    }
}

/// Runs the parsed command line.
///
/// # Errors
/// Errors that prevented the verb from running at all (configuration, AWS unreachable for
/// the whole observation, output failures).
pub async fn run(cli: Cli) -> Result<Exit> {
    match &cli.command {
        Command::Validate(args) => validate::validate(&cli.global, args),
        Command::Plan(args) => plan::plan(&cli.global, args).await,
        Command::Apply(args) => apply::apply(&cli.global, args).await,
        Command::Run(args) => Ok(run::run(&cli.global, args).await),
        Command::Verify(args) => verify::verify(&cli.global, args).await,
        Command::Rollback(args) => rollback::rollback(&cli.global, args).await,
        Command::Import(args) => import::import(&cli.global, args).await,
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
        Command::Schema => {
            use std::io::Write as _;
            std::io::stdout()
                .write_all(crate::manifest::schema::pretty().as_bytes())
                .map_err(crate::Error::Io)?;
            Ok(Exit::Ok)
        }
    }
}

/// Prints manifest errors, one per line, to stderr.
pub(crate) fn print_manifest_errors(errors: &[crate::manifest::ManifestError]) {
    for e in errors {
        eprintln!("error: {e}");
    }
    eprintln!("{} manifest error(s); nothing was applied", errors.len());
}
