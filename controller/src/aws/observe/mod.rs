//! Reading the live state for a manifest set with as few calls as possible.
//!
//! Per region, without `--prune`:
//! - `ListNamespaces` (all pages) once if any namespace is managed there, then
//!   `ListTagsForResource` per matched namespace (cached by ARN), and `GetNamespace` for a
//!   namespace whose manifest sets an SOA TTL (the listing lacks it; cached by id);
//! - `DescribeClusters` (up to 100 names, tags and settings included) for `EcsCluster`s;
//! - `DescribeServices` per cluster in batches of 10 with tags included;
//! - `DescribeTaskDefinition` per service revision not already cached (revisions are
//!   immutable) and not recorded on its service as the manifest's
//!   ([`crate::ownership::TAG_TASK_DEFINITION`]);
//! - `ListServices` (Cloud Map, filtered by namespace id) once per namespace that has
//!   discovery services, then the matched services' tags: one Resource Groups Tagging API
//!   `GetResources` per 100 (cached; what a batch does not answer, `ListTagsForResource`);
//! - with `--keep-revisions`: `ListTaskDefinitions` (active, by family prefix) per existing
//!   ECS service, and `DescribeTaskDefinition` with tags for a few deregistration candidates
//!   a pass (tags cached).
//!
//! With `--prune` the scan widens to everything in the region no manifest describes (all
//! namespaces, Cloud Map services, clusters and their services), which costs a listing per
//! cluster and the Cloud Map resources' tags (in batches of 100). Each is listed with its tags as
//! [`crate::live::Unclaimed`]; [`crate::plan`] decides which of them this instance owns.
//!
//! The Cloud Map and ECS reads of a region run side by side, and within each the reads that do
//! not depend on each other (batches, task definitions, tags) overlap up to
//! [`Context::concurrency`] per endpoint; results are gathered in manifest order, never in
//! arrival order.
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
use crate::aws::read::bounded;
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

/// Reads the tags of the Cloud Map resources `arns` that are not cached, up to 100 per
/// Resource Groups Tagging API `GetResources` call instead of one `ListTagsForResource` each,
/// and caches them as read in a batch ([`Context::forget_batched_tags`]). Resources a batch
/// does not answer (never tagged, or not yet indexed: the tagging API is eventually
/// consistent) stay uncached and are read one by one; so are all of them when the batch fails.
pub(crate) async fn prefetch_cloudmap_tags(ctx: &Context, region: &str, arns: Vec<String>) {
    if !ctx.batch_tags() {
        return;
    }
    let wanted: BTreeSet<String> = arns
        .into_iter()
        .filter(|arn| ctx.cached_tags(arn).is_none())
        .collect();
    // One resource costs one call either way.
    if wanted.len() < 2 {
        return;
    }
    let wanted: Vec<String> = wanted.into_iter().collect();
    let batches: Vec<Vec<String>> = wanted.chunks(100).map(<[String]>::to_vec).collect();
    bounded(ctx, batches, |batch| async move {
        let resource = format!("{} Cloud Map resources in {region}", batch.len());
        let mut token: Option<String> = None;
        loop {
            let request = ctx
                .tagging(region)
                .get_resources()
                .set_resource_arn_list(Some(batch.clone()))
                .set_pagination_token(token.clone())
                .send();
            let page = match ctx
                .call("tagging", "GetResources", &resource, request)
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    tracing::debug!(error = %e, "batched tag read failed; reading one by one");
                    return;
                }
            };
            for mapping in page.resource_tag_mapping_list() {
                let Some(arn) = mapping.resource_arn() else {
                    continue;
                };
                let tags = mapping
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect();
                ctx.cache_batched_tags(arn, tags);
            }
            token = page
                .pagination_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return;
            }
        }
    })
    .await;
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
