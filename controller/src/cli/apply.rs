//! `apply -f PATH... [--prune] [--allow-replace] [--keep-revisions N] [--wait [--timeout 10m]
//! [--wait-until stable|traffic-shifted]]`: converge once, and with `--wait` follow the rollouts it
//! started until they end (or, `traffic-shifted`, until production traffic is on them).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::plan::with_plan;
use super::{Exit, GlobalArgs};
use crate::Result;
use crate::apply::ApplyOutcome;
use crate::aws::Context;
use crate::plan::{Plan, Status};
use crate::pricing::Costs;
use crate::report::{DriftReport, render_text};
use crate::wait::{WaitOptions, WaitUntil};

/// Options of `apply`.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// Manifest files or directories (*.yaml, *.yml, recursively).
    #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Delete owned resources whose manifest is gone (ECS services, then Cloud Map services,
    /// namespaces, clusters).
    #[arg(long)]
    pub prune: bool,
    /// Replace resources whose change cannot be made in place.
    #[arg(long)]
    pub allow_replace: bool,
    /// Deregister owned task definition revisions of each managed family beyond the newest N,
    /// never one the service or any of its deployments uses (default: keep all).
    #[arg(long, value_name = "N")]
    pub keep_revisions: Option<u32>,
    /// After applying, wait until every changed ECS service finished its rollout; exit 1 naming
    /// the service when one fails or is rolled back, or when the timeout passes.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits for all rollouts (e.g. `90s`, `10m`, `1h`).
    #[arg(long, requires = "wait", value_parser = super::run::parse_duration, default_value = "10m")]
    pub timeout: Duration,
    /// What ends `--wait` for a service: `stable` (the deployment succeeded) or `traffic-shifted`
    /// (production traffic is on the new revision; a blue/green, linear or canary deployment may
    /// still be baking). A rolling deployment waits for `stable` either way.
    #[arg(long, requires = "wait", value_enum, default_value_t = WaitUntil::Stable)]
    pub wait_until: WaitUntil,
}

/// Applies the manifests; exit 0 when everything converged, 1 otherwise. Nothing is changed
/// when any manifest is invalid.
///
/// # Errors
/// When AWS cannot be configured.
pub async fn apply(global: &GlobalArgs, args: &ApplyArgs) -> Result<Exit> {
    with_plan(
        global,
        &args.files,
        args.prune,
        args.allow_replace,
        args.keep_revisions,
        async |ctx, _, plan, costs| {
            let applied_at = std::time::SystemTime::now();
            let (exit, outcome) = converge(ctx, &plan, costs.as_ref()).await?;
            if !args.wait || exit != Exit::Ok {
                return Ok(exit);
            }
            let services = crate::wait::changed_services(&plan, &outcome);
            let opts = WaitOptions {
                timeout: args.timeout,
                until: args.wait_until,
                applied_at,
            };
            super::wait::rollouts(ctx, &services, opts).await
        },
    )
    .await
}

async fn converge(
    ctx: &Context,
    plan: &Plan,
    costs: Option<&Costs>,
) -> Result<(Exit, ApplyOutcome)> {
    let mut report = DriftReport::from_plan(plan, None);
    if let Some(costs) = costs {
        report.set_costs(costs);
    }
    print!("{}", render_text(&report));
    for e in &plan.errors {
        eprintln!("error: {e}");
    }
    let outcome = crate::apply::apply(ctx, plan).await?;
    for (key, result) in &outcome.resources {
        match result {
            Ok(o) => {
                for step in &o.done {
                    println!("applied {key}: {step}");
                }
            }
            Err(e) => eprintln!("error: {key}: {e}"),
        }
    }
    let detect_only = plan
        .resources
        .iter()
        .filter(|r| {
            matches!(r.status, Status::Drifted | Status::Missing)
                && r.actions.is_empty()
                && r.blocked.is_none()
        })
        .count();
    if detect_only > 0 {
        println!(
            "{detect_only} resource(s) drifted or missing under drift-policy detect (reported, not corrected)"
        );
    }
    if outcome.converged() && plan.errors.is_empty() {
        println!("converged");
        Ok((Exit::Ok, outcome))
    } else {
        eprintln!(
            "not converged: {} of {} resource(s) failed",
            outcome.failures().len(),
            outcome.resources.len()
        );
        Ok((Exit::Failed, outcome))
    }
}
