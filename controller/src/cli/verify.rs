//! `verify -f PATH... [-o text|json|markdown]`: pre-flight checks of what the manifests
//! point at in AWS (roles, logs, network, images, secrets, capacity); changes nothing.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::plan::OutputFormat;
use super::validate::load;
use super::{Exit, GlobalArgs};
use crate::verify::{self, Summary, render};
use crate::{Error, Result};

/// Options of `verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Manifest files or directories (*.yaml, *.yml, recursively).
    #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Also write the findings JSON to FILE, whatever `--output` is.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Verifies; exit 0 when nothing is wrong, 2 with problems, 1 on error.
///
/// # Errors
/// When AWS cannot be configured or reached, or output cannot be written.
pub async fn verify(global: &GlobalArgs, args: &VerifyArgs) -> Result<Exit> {
    let Some(loaded) = load(&args.files, &global.limits.limits()) else {
        return Ok(Exit::Failed);
    };
    let ctx = global.context().await?;
    let result = verify::verify(&ctx, &loaded.set).await;
    global.report_calls(&ctx);
    let findings = result?;
    let rendered = match args.output {
        OutputFormat::Text => render::text(&findings),
        OutputFormat::Markdown => render::markdown(&findings),
        OutputFormat::Json => render::json(&findings).map_err(Error::Json)?,
    };
    if let Some(path) = &args.report {
        super::plan::write_report(path, &render::json(&findings).map_err(Error::Json)?)?;
    }
    std::io::stdout()
        .write_all(rendered.as_bytes())
        .map_err(Error::Io)?;
    Ok(if Summary::of(&findings).problems > 0 {
        Exit::Changes
    } else {
        Exit::Ok
    })
}
