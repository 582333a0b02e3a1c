//! Reading the live state for a manifest set with as few calls as possible.
//!
//! Per region, without `--prune`:
//! - `ListNamespaces` (all pages) once if any namespace is managed there, then
//!   `ListTagsForResource` per matched namespace (cached by ARN), and `GetNamespace` for a
//!   namespace whose manifest sets an SOA TTL (the listing lacks it; cached by id);
//! - `DescribeClusters` (up to 100 names, tags and settings included) for `EcsCluster`s;
//! - `DescribeServices` per cluster in batches of 10 with tags included;
//! - `DescribeTaskDefinition` per service revision not already cached (revisions are
//!   immutable);
//! - `ListServices` (Cloud Map, filtered by namespace id) once per namespace that has
//!   discovery services, then `ListTagsForResource` per matched service (cached);
//! - with `--keep-revisions`: `ListTaskDefinitions` (active, by family prefix) per existing
//!   ECS service, and `DescribeTaskDefinition` with tags for a few deregistration candidates
//!   a pass (tags cached).
//!
//! With `--prune` the scan widens to everything in the region no manifest describes (all
//! namespaces, Cloud Map services, clusters and their services), which costs a listing per
//! cluster and a tag read per Cloud Map resource. Each is listed with its tags as
//! [`crate::live::Unclaimed`]; [`crate::plan`] decides which of them this instance owns.
//!
//! The Cloud Map and ECS reads of a region run side by side, and within each the reads that do
//! not depend on each other (batches, task definitions, tags) overlap up to
//! [`Context::concurrency`]; results are gathered in manifest order, never in arrival order.
//!
//! A failed read marks only the resources it concerns as
//! [`Lookup::Failed`](crate::live::Lookup::Failed); the others are still observed.

pub(super) mod cluster;
mod discovery;
mod namespace;
mod revisions;
pub(super) mod service;
mod unclaimed;

use std::collections::{BTreeMap, BTreeSet};

use self::cluster::observe_clusters;
use self::discovery::observe_discovery;
use self::namespace::observe_namespaces;
use self::revisions::observe_revisions;
use self::service::observe_services;
use self::unclaimed::scan_unclaimed;
use crate::Result;
use crate::aws::{Context, convert};
use crate::live::LiveState;
use crate::manifest::{ManifestSet, Resource};
use crate::options::PlanOptions;

/// Observes everything `set` describes (and, with `opts.prune`, every resource this instance
/// owns in the regions involved).
///
/// # Errors
/// None today: per-resource failures are recorded as
/// [`Lookup::Failed`](crate::live::Lookup::Failed). The `Result` leaves
/// room for failures that make the whole observation meaningless.
pub async fn observe(ctx: &Context, set: &ManifestSet, opts: &PlanOptions) -> Result<LiveState> {
    let mut live = LiveState::default();
    let mut regions: BTreeSet<String> = set
        .resources()
        .iter()
        .map(|r| r.region_or(&opts.region).to_owned())
        .collect();
    if opts.prune {
        regions.insert(opts.region.clone());
    }
    for region in regions {
        // Boxed: the region's reads nest deep enough to overflow the compiler's layout depth
        // of the callers' futures.
        Box::pin(observe_region(ctx, set, opts, &region, &mut live)).await;
    }
    Ok(live)
}

async fn observe_region(
    ctx: &Context,
    set: &ManifestSet,
    opts: &PlanOptions,
    region: &str,
    live: &mut LiveState,
) {
    let in_region: Vec<&Resource> = set
        .resources()
        .iter()
        .filter(|r| r.region_or(&opts.region) == region)
        .collect();
    // Two chains of reads that need nothing from each other run side by side: Cloud Map
    // (namespaces, then the services in them) and ECS (clusters, then their services and,
    // with `--keep-revisions`, their families' revisions).
    let mut ecs = LiveState::default();
    let cloud_map = async {
        let namespaces = observe_namespaces(ctx, opts, region, &in_region, live).await;
        observe_discovery(ctx, set, region, &in_region, live).await;
        namespaces
    };
    let ecs_reads = async {
        observe_clusters(ctx, region, &in_region, &mut ecs).await;
        observe_services(ctx, region, &in_region, &mut ecs).await;
        if let Some(keep) = opts.keep_revisions {
            observe_revisions(ctx, region, &in_region, keep, &mut ecs).await;
        }
    };
    let (namespaces, ()) = tokio::join!(cloud_map, ecs_reads);
    merge_ecs(live, ecs);
    if opts.prune {
        scan_unclaimed(ctx, set, opts, region, namespaces, live).await;
    }
}

/// Adds what the ECS chain read to `live`, where the Cloud Map chain may already have filled in
/// the discovery half of the same services.
fn merge_ecs(live: &mut LiveState, ecs: LiveState) {
    live.clusters.extend(ecs.clusters);
    for (name, read) in ecs.services {
        let entry = live.services.entry(name).or_default();
        entry.service = read.service;
        entry.task_definition = read.task_definition;
        entry.revisions = read.revisions;
    }
}

/// Tags of a Cloud Map resource, cached by ARN.
pub(crate) async fn cloudmap_tags(
    ctx: &Context,
    region: &str,
    arn: &str,
) -> Result<BTreeMap<String, String>> {
    if let Some(tags) = ctx.cached_tags(arn) {
        return Ok(tags);
    }
    let out = ctx
        .call(
            "servicediscovery",
            "ListTagsForResource",
            arn,
            ctx.cloudmap(region)
                .list_tags_for_resource()
                .resource_arn(arn)
                .send(),
        )
        .await?;
    let tags = convert::cloudmap_tags_from_sdk(out.tags());
    ctx.cache_tags(arn, tags.clone());
    Ok(tags)
}

/// Names of every service in `cluster` (`ListServices`, all pages).
pub(crate) async fn list_ecs_service_names(
    ctx: &Context,
    region: &str,
    cluster: &str,
) -> Result<Vec<String>> {
    let arns = unclaimed::list_service_arns(ctx, region, cluster).await?;
    // `arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME` (or the older `service/NAME`).
    Ok(arns
        .iter()
        .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned())
        .collect())
}
