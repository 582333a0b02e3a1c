//! `rollback SERVICE (-f PATH... | --cluster C)`: asks ECS to stop the service's deployment in
//! progress and roll it back to the revision it replaces (`StopServiceDeployment`, `stopType:
//! ROLLBACK`), whatever strategy it runs with.
//!
//! Exit codes: 0 rollback requested, 2 nothing in progress (nothing was called but the read),
//! 1 error (no such service in the manifests, AWS refused).

use std::path::PathBuf;

use clap::Args;

use super::validate::load;
use super::{Exit, GlobalArgs};
use crate::Result;
use crate::aws::deployments;
use crate::manifest::{Kind, ResourceSpec};

/// Options of `rollback`.
#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    /// The ECS service name (`metadata.name` of its `EcsService`).
    pub service: String,
    /// Manifest files or directories declaring the service: its cluster and region come from
    /// there.
    #[arg(short = 'f', long = "filename", num_args = 1.., required_unless_present = "cluster", conflicts_with = "cluster")]
    pub files: Vec<PathBuf>,
    /// The service's cluster, instead of manifests (the region is `--region` or the default).
    #[arg(long)]
    pub cluster: Option<String>,
}

/// Rolls back the deployment in progress of one service.
///
/// # Errors
/// When AWS cannot be configured or a call fails.
pub async fn rollback(global: &GlobalArgs, args: &RollbackArgs) -> Result<Exit> {
    let (cluster, region) = match &args.cluster {
        Some(cluster) => (cluster.clone(), None),
        None => {
            let Some(loaded) = load(&args.files, &global.limits.limits()) else {
                return Ok(Exit::Failed);
            };
            let declared = loaded.set.resources().iter().find_map(|r| match &r.spec {
                ResourceSpec::Service(spec)
                    if r.kind() == Kind::EcsService && r.name() == args.service =>
                {
                    Some((spec.cluster.clone(), r.region.clone()))
                }
                _ => None,
            });
            let Some(found) = declared else {
                eprintln!(
                    "error: no EcsService named {} in the manifests given",
                    args.service
                );
                return Ok(Exit::Failed);
            };
            found
        }
    };
    let ctx = global.context().await?;
    let region = region.unwrap_or_else(|| ctx.region().to_owned());
    let who = format!("{cluster}/{}", args.service);
    let result = async {
        let going = deployments::in_progress(&ctx, &region, &cluster, &args.service).await?;
        if going.is_empty() {
            println!("nothing to roll back: {who} has no service deployment in progress");
            return Ok(Exit::NothingInProgress);
        }
        for arn in &going {
            deployments::roll_back(&ctx, &region, arn).await?;
            println!("rollback requested: {who}: {arn}");
        }
        Ok(Exit::Ok)
    }
    .await;
    global.report_calls(&ctx);
    result
}
