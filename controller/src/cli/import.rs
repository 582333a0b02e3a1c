//! `import --cluster C (--service NAME... | --all) [--tag K=V] [-o DIR|-] [--force]`: writes
//! manifests for what is live (see [`crate::import`] for the rules), then plans them against
//! the same account to check that the first `apply` would only adopt (ownership tags), and
//! names every field where it would do more.
//!
//! Exit codes: 0 written and faithful; 2 written, but some need a person (a placeholder to
//! replace, a service left out, a field the first apply would change); 1 error, nothing
//! written (the cluster or a named service is missing, an output file exists without
//! `--force`, AWS refused a read).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Exit, GlobalArgs};
use crate::Result;
use crate::aws::import::{Selection, inventory};
use crate::import::{Imported, Note, NoteKind, manifests};
use crate::manifest::load_sources;
use crate::plan::{Action, PlanOptions, ResourcePlan};
use crate::status::Status;

/// Options of `import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The cluster whose services are imported (its manifest is written too).
    #[arg(long)]
    pub cluster: String,
    /// A service to import (repeat for more).
    #[arg(
        long = "service",
        value_name = "NAME",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub services: Vec<String>,
    /// Import every service of the cluster.
    #[arg(long)]
    pub all: bool,
    /// Only services carrying this tag (repeat: all must match).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
    /// Directory to write one file per object into, or `-` for one YAML stream on stdout.
    #[arg(short = 'o', long = "output", value_name = "DIR", default_value = "-")]
    pub output: String,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

fn parse_tag(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// Imports the selected services of one cluster.
///
/// # Errors
/// When AWS cannot be configured.
pub async fn import(global: &GlobalArgs, args: &ImportArgs) -> Result<Exit> {
    let ctx = global.context().await?;
    let region = ctx.region().to_owned();
    let selection = Selection {
        services: args.services.clone(),
        all: args.all,
        tags: args.tags.iter().cloned().collect(),
    };
    let read = inventory(&ctx, &region, &args.cluster, &selection).await;
    let inventory = match read {
        Ok(inventory) => inventory,
        Err(e) => {
            eprintln!("error: {}", crate::error_chain(&e));
            global.report_calls(&ctx);
            return Ok(Exit::Failed);
        }
    };
    let mut imported = manifests(&inventory);
    let opts = PlanOptions::new(global.instance.clone(), region);
    check_adoption_only(&ctx, &opts, &mut imported).await;
    global.report_calls(&ctx);
    if let Err(message) = write(&imported, &args.output, args.force) {
        eprintln!("error: {message}; nothing was written");
        return Ok(Exit::Failed);
    }
    for note in &imported.notes {
        eprintln!("{note}");
    }
    let services = imported
        .files
        .iter()
        .filter(|f| f.key.kind == crate::manifest::Kind::EcsService)
        .count();
    eprintln!(
        "imported {services} service(s) of cluster `{}` ({} file(s){})",
        args.cluster,
        imported.files.len(),
        if args.output == "-" {
            String::new()
        } else {
            format!(" in {}", args.output)
        }
    );
    Ok(if imported.needs_attention() {
        Exit::Changes
    } else {
        Exit::Ok
    })
}

/// Plans the imported manifests against the live objects they came from and notes every
/// object whose first `apply` would do more than add tags. Manifests that do not validate (a
/// placeholder) are already noted and left out of the plan.
async fn check_adoption_only(
    ctx: &crate::aws::Context,
    opts: &PlanOptions,
    imported: &mut Imported,
) {
    let sources: Vec<(String, String)> = imported
        .files
        .iter()
        .map(|f| (f.name.clone(), f.text.clone()))
        .collect();
    let loaded = load_sources(&sources);
    if loaded.set.is_empty() {
        return;
    }
    let planned = match crate::reconcile::observe_and_plan(ctx, &loaded.set, opts).await {
        Ok(planned) => planned,
        Err(e) => {
            eprintln!(
                "warning: could not plan the imported manifests to check them: {}",
                crate::error_chain(&e)
            );
            return;
        }
    };
    for rp in &planned.plan.resources {
        if let Some(message) = more_than_adoption(rp) {
            imported.notes.push(Note {
                key: rp.key.clone(),
                field: None,
                kind: NoteKind::Changes,
                message,
            });
        }
    }
}

/// What the first apply of an imported object would do besides adding tags, if anything.
fn more_than_adoption(rp: &ResourcePlan) -> Option<String> {
    if rp.status == Status::Error {
        let why = rp
            .blocked
            .clone()
            .or_else(|| {
                rp.conditions
                    .iter()
                    .rev()
                    .find(|c| !c.message.is_empty())
                    .map(|c| c.message.clone())
            })
            .unwrap_or_else(|| "it cannot be planned".into());
        return Some(format!("the first apply would not adopt it: {why}"));
    }
    let only_tags = rp
        .actions
        .iter()
        .all(|a| matches!(a, Action::TagEcs { .. } | Action::TagCloudMap { .. }));
    if only_tags {
        return None;
    }
    let fields: Vec<String> = rp
        .changes
        .iter()
        .filter(|c| !c.path.split('.').any(|part| part == "tags"))
        .map(|c| c.path.clone())
        .collect();
    Some(format!(
        "the first apply would change {} (the live value cannot be written back as it is)",
        if fields.is_empty() {
            "it".to_owned()
        } else {
            fields.join(", ")
        }
    ))
}

/// Writes every file into `output` (or the stream to stdout), refusing before writing anything
/// when a file exists and `force` is off.
fn write(imported: &Imported, output: &str, force: bool) -> std::result::Result<(), String> {
    if output == "-" {
        print!("{}", imported.stream());
        return Ok(());
    }
    let dir = Path::new(output);
    let paths: Vec<PathBuf> = imported.files.iter().map(|f| dir.join(&f.name)).collect();
    if !force {
        let existing: Vec<String> = paths
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} already exist(s) (pass --force to overwrite)",
                existing.join(", ")
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    // Each file is written whole under a temporary name and renamed, so a reader (the `run`
    // loop watching the directory) never sees half a file.
    for (file, path) in imported.files.iter().zip(&paths) {
        let partial = dir.join(format!(".{}.partial", file.name));
        std::fs::write(&partial, &file.text)
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}
