//! `plan -f PATH... [-o text|json|markdown] [--max-cost-increase USD]`: diff desired against
//! live, price both sides, change nothing.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::validate::load;
use super::{Exit, GlobalArgs};
use crate::aws::Context;
use crate::manifest::ManifestSet;
use crate::plan::{Plan, PlanOptions};
use crate::pricing::{Costs, budget};
use crate::reconcile::observe_and_plan;
use crate::report::{DriftReport, render_markdown, render_text};
use crate::{Error, Result};

/// Output format of `plan`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Field-level diff, one line per change.
    #[default]
    Text,
    /// The drift report JSON.
    Json,
    /// A Markdown table (for pull request comments).
    Markdown,
}

/// Options of `plan`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Manifest files or directories (*.yaml, *.yml, recursively).
    #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Also plan deletes of owned resources whose manifest is gone.
    #[arg(long)]
    pub prune: bool,
    /// Plan replacements for changes that cannot be made in place.
    #[arg(long)]
    pub allow_replace: bool,
    /// Plan deregistering owned task definition revisions of each managed family beyond the newest N,
    /// never one the service or any of its deployments uses (default: keep all).
    #[arg(long, value_name = "N")]
    pub keep_revisions: Option<u32>,
    /// Revision recorded in the report (e.g. a git commit).
    #[arg(long)]
    pub revision: Option<String>,
    /// Exit 3 when the plan raises the total monthly cost by more than this many USD (a CI
    /// gate; services whose cost is unknown are not counted).
    #[arg(long, value_name = "USD")]
    pub max_cost_increase: Option<f64>,
    /// Also run `verify`'s pre-flight checks and show their problems as warnings (more AWS
    /// reads: IAM, EC2, CloudWatch Logs, ECR, SSM, Secrets Manager; the exit code is the plan's).
    #[arg(long)]
    pub verify: bool,
    /// Also write the drift report JSON to FILE, whatever `--output` is (one run gives CI the
    /// Markdown for people and the JSON for tools).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Writes `--report`'s JSON.
///
/// # Errors
/// When the file cannot be written; it names the file.
pub(crate) fn write_report(path: &std::path::Path, json: &str) -> Result<()> {
    std::fs::write(path, json).map_err(|source| Error::WriteFile {
        path: path.to_owned(),
        source,
    })
}

fn json(report: &DriftReport) -> Result<String> {
    let mut s = serde_json::to_string_pretty(report).map_err(Error::Json)?;
    s.push('\n');
    Ok(s)
}

/// Loads the manifests, builds the AWS context, observes and plans, prices the services
/// (holding back changes above a service's budget), and hands the plan and its costs to
/// `verb`. The `--calls` summary is printed however the verb ends, so a failed run still
/// shows what it cost. Launched pricing plugins stop when this returns.
///
/// # Errors
/// When AWS cannot be configured, the observation as a whole fails, or `verb` fails.
pub(crate) async fn with_plan(
    global: &GlobalArgs,
    files: &[PathBuf],
    prune: bool,
    allow_replace: bool,
    keep_revisions: Option<u32>,
    verb: impl AsyncFnOnce(&Context, &ManifestSet, Plan, Option<Costs>) -> Result<Exit>,
) -> Result<Exit> {
    let Some(loaded) = load(files, &global.limits.limits()) else {
        return Ok(Exit::Failed);
    };
    let ctx = global.context().await?;
    let opts = PlanOptions {
        instance: global.instance.clone(),
        region: ctx.region().to_owned(),
        prune,
        allow_replace,
        keep_revisions,
    };
    let pricer = global.pricer();
    let result = match observe_and_plan(&ctx, &loaded.set, &opts).await {
        Ok(mut planned) => {
            let parts: Vec<_> = planned.places.iter().map(|o| (&o.set, &o.live)).collect();
            let costs = pricer.price(&parts, &opts.region).await;
            if let Some(costs) = &costs {
                budget::enforce(&mut planned.plan, &loaded.set, costs);
            }
            verb(&ctx, &loaded.set, planned.plan, costs).await
        }
        Err(e) => Err(e),
    };
    pricer.shutdown().await;
    global.report_calls(&ctx);
    result
}

/// Prints the plan; exit 0 in sync, 2 with changes, 1 with errors, 3 when the cost increase
/// is above `--max-cost-increase`.
///
/// # Errors
/// When AWS cannot be configured or output cannot be written.
pub async fn plan(global: &GlobalArgs, args: &PlanArgs) -> Result<Exit> {
    with_plan(
        global,
        &args.files,
        args.prune,
        args.allow_replace,
        args.keep_revisions,
        async |ctx, set, plan, costs| {
            let warnings = if args.verify {
                warnings(ctx, set).await
            } else {
                Vec::new()
            };
            print_plan(args, &plan, costs.as_ref(), warnings)
        },
    )
    .await
}

/// The problems `verify` finds, as plan warnings; a verification that cannot run is said and
/// does not stop the plan.
async fn warnings(ctx: &Context, set: &ManifestSet) -> Vec<crate::verify::Finding> {
    match crate::verify::verify(ctx, set).await {
        Ok(findings) => crate::verify::problems(findings),
        Err(e) => {
            eprintln!("warning: the pre-flight checks could not run: {e}");
            Vec::new()
        }
    }
}

fn print_plan(
    args: &PlanArgs,
    plan: &Plan,
    costs: Option<&Costs>,
    warnings: Vec<crate::verify::Finding>,
) -> Result<Exit> {
    let mut report = DriftReport::from_plan(plan, args.revision.clone());
    if let Some(costs) = costs {
        report.set_costs(costs);
    }
    report.warnings = warnings;
    let rendered = match args.output {
        OutputFormat::Text => render_text(&report),
        OutputFormat::Markdown => render_markdown(&report),
        OutputFormat::Json => json(&report)?,
    };
    if let Some(path) = &args.report {
        write_report(path, &json(&report)?)?;
    }
    std::io::stdout()
        .write_all(rendered.as_bytes())
        .map_err(Error::Io)?;
    for e in &plan.errors {
        eprintln!("error: {e}");
    }
    let over = args.max_cost_increase.and_then(|max| match costs {
        Some(costs) => budget::increase_above(costs, max).map(|delta| (delta, max)),
        None => {
            eprintln!("warning: --max-cost-increase is not checked: pricing is off");
            None
        }
    });
    if let Some((delta, max)) = over {
        eprintln!(
            "error: the plan raises the monthly cost by {delta:.2} USD, above --max-cost-increase {max:.2}"
        );
    }
    Ok(if plan.has_errors() {
        Exit::Failed
    } else if over.is_some() {
        Exit::CostAboveLimit
    } else if plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Ok
    })
}
