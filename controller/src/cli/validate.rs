//! `validate -f PATH...`: parse and check manifests without calling AWS.

use std::path::PathBuf;

use clap::Args;

use super::{Exit, GlobalArgs, print_manifest_errors};
use crate::Result;
use crate::manifest::{self, Limits, Loaded};

/// Options of `validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Manifest files or directories (*.yaml, *.yml, recursively).
    #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
}

/// Validates the manifests; exit 0 when valid, 1 otherwise.
///
/// # Errors
/// None: invalid manifests are reported and mapped to [`Exit::Failed`].
pub fn validate(global: &GlobalArgs, args: &ValidateArgs) -> Result<Exit> {
    let Some(loaded) = load(&args.files, &global.limits.limits()) else {
        return Ok(Exit::Failed);
    };
    for r in loaded.set.resources() {
        println!("ok {} ({})", r.key, r.source);
    }
    println!(
        "{} resource(s) in {} file(s) are valid",
        loaded.set.len(),
        loaded.files.len()
    );
    Ok(Exit::Ok)
}

/// Loads manifests for a verb: `None` (with every error printed) when any file has an error
/// or nothing was found, since no verb acts on part of the input.
pub(crate) fn load(files: &[PathBuf], limits: &Limits) -> Option<Loaded> {
    let loaded = manifest::load_with(files, limits);
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    if !loaded.errors.is_empty() {
        print_manifest_errors(&loaded.errors);
        return None;
    }
    if loaded.set.is_empty() {
        let shown: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        eprintln!("error: no manifests found in {}", shown.join(", "));
        return None;
    }
    Some(loaded)
}
