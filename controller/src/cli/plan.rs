//! `plan -f PATH... [-o text|json|markdown]`: diff desired against live, change nothing.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::validate::display;
use super::{Exit, GlobalArgs, print_manifest_errors};
use crate::aws::{Context, observe};
use crate::manifest::{self, ManifestSet};
use crate::plan::{Plan, PlanOptions};
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
    /// Revision recorded in the report (e.g. a git commit).
    #[arg(long)]
    pub revision: Option<String>,
}

/// Loads manifests, refusing to go on with any error.
pub(crate) fn load(files: &[PathBuf]) -> Option<ManifestSet> {
    let loaded = manifest::load(files);
    if !loaded.errors.is_empty() {
        print_manifest_errors(&loaded.errors);
        return None;
    }
    if loaded.set.is_empty() {
        eprintln!("error: no manifests found in {}", display(files));
        return None;
    }
    Some(loaded.set)
}

/// Observes and plans.
///
/// # Errors
/// When the observation as a whole fails.
pub(crate) async fn observe_and_plan(
    ctx: &Context,
    set: &ManifestSet,
    opts: &PlanOptions,
) -> Result<Plan> {
    let live = observe(ctx, set, opts).await?;
    Ok(crate::plan::plan(set, &live, opts))
}

/// Prints the plan; exit 0 in sync, 2 with changes, 1 with errors.
///
/// # Errors
/// When AWS cannot be configured or output cannot be written.
pub async fn plan(global: &GlobalArgs, args: &PlanArgs) -> Result<Exit> {
    let Some(set) = load(&args.files) else {
        return Ok(Exit::Failed);
    };
    let ctx = global.context().await?;
    let result = run(&ctx, global, args, &set).await;
    global.report_calls(&ctx);
    result
}

async fn run(
    ctx: &Context,
    global: &GlobalArgs,
    args: &PlanArgs,
    set: &ManifestSet,
) -> Result<Exit> {
    let opts = PlanOptions {
        instance: global.instance.clone(),
        region: ctx.region().to_owned(),
        prune: args.prune,
        allow_replace: args.allow_replace,
    };
    let plan = observe_and_plan(ctx, set, &opts).await?;
    let report = DriftReport::from_plan(&plan, args.revision.clone());
    let rendered = match args.output {
        OutputFormat::Text => render_text(&report),
        OutputFormat::Markdown => render_markdown(&report),
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).map_err(Error::Json)?;
            s.push('\n');
            s
        }
    };
    std::io::stdout()
        .write_all(rendered.as_bytes())
        .map_err(Error::Io)?;
    for e in &plan.errors {
        eprintln!("error: {e}");
    }
    Ok(if plan.has_errors() {
        Exit::Failed
    } else if plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Ok
    })
}
