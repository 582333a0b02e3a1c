//! The `--prune` scan: everything in a region no manifest describes, listed with its tags.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_servicediscovery::types::NamespaceSummary;

use super::cluster::{describe_clusters, live_cluster};
use super::discovery::list_cloudmap_services;
use super::service::describe_services;
use super::{cloudmap_tags, prefetch_cloudmap_tags};
use crate::Result;
use crate::aws::read::{PAGE_SIZE, bounded, paginate};
use crate::aws::{Context, convert};
use crate::live::{LiveState, LookupError, OrphanTarget, Unclaimed};
use crate::manifest::{Kind, ManifestSet, Resource, ResourceSpec};
use crate::options::PlanOptions;

pub(super) async fn scan_unclaimed(
    ctx: &Context,
    set: &ManifestSet,
    opts: &PlanOptions,
    region: &str,
    namespaces: Option<Result<Vec<NamespaceSummary>, LookupError>>,
    live: &mut LiveState,
) {
    let in_region = |r: &&Resource| r.region_or(&opts.region) == region;
    // Cloud Map resources a manifest describes, by ARN (namespace and service ARNs never clash).
    let desired_cloudmap: BTreeSet<String> = live
        .namespaces
        .values()
        .filter_map(|l| l.found().map(|n| n.arn.clone()))
        .chain(
            live.services
                .values()
                .filter_map(|s| s.discovery.found().map(|d| d.arn.clone())),
        )
        .collect();
    let desired_services: BTreeSet<(String, String)> = set
        .resources()
        .iter()
        .filter(in_region)
        .filter_map(|r| match &r.spec {
            ResourceSpec::Service(svc) => Some((svc.cluster.clone(), r.name().to_owned())),
            _ => None,
        })
        .collect();
    let desired_clusters: BTreeSet<String> = set
        .resources()
        .iter()
        .filter(in_region)
        .filter(|r| r.kind() == Kind::EcsCluster)
        .map(|r| r.name().to_owned())
        .collect();
    let scan = Scan { ctx, region };

    match namespaces {
        Some(Ok(summaries)) => {
            let targets = summaries.iter().map(|n| OrphanTarget::Namespace {
                id: n.id().unwrap_or_default().to_owned(),
                arn: n.arn().unwrap_or_default().to_owned(),
                name: n.name().unwrap_or_default().to_owned(),
            });
            scan.cloudmap_unclaimed(targets, &desired_cloudmap, live)
                .await;
        }
        Some(Err(e)) => live.orphan_scan_errors.push(e),
        None => {}
    }
    match list_cloudmap_services(ctx, region, None).await {
        Ok(summaries) => {
            let targets = summaries.iter().map(|s| OrphanTarget::DiscoveryService {
                id: s.id().unwrap_or_default().to_owned(),
                arn: s.arn().unwrap_or_default().to_owned(),
                name: s.name().unwrap_or_default().to_owned(),
            });
            scan.cloudmap_unclaimed(targets, &desired_cloudmap, live)
                .await;
        }
        Err(e) => live.orphan_scan_errors.push(LookupError::from_error(&e)),
    }

    let clusters = match list_clusters(ctx, region).await {
        Ok(arns) => describe_clusters(ctx, region, &arns).await,
        Err(e) => Err(e),
    };
    let clusters = match clusters {
        Ok(c) => c,
        Err(e) => {
            live.orphan_scan_errors.push(LookupError::from_error(&e));
            return;
        }
    };
    for cluster in clusters.iter().filter(|c| c.status() == Some("ACTIVE")) {
        let lc = live_cluster(cluster);
        match scan
            .ecs_service_unclaimed(&lc.name, &desired_services)
            .await
        {
            Ok(unclaimed) => live.unclaimed.extend(unclaimed),
            Err(e) => live.orphan_scan_errors.push(LookupError::from_error(&e)),
        }
        if !desired_clusters.contains(&lc.name) {
            live.unclaimed.push(scan.unclaimed(
                OrphanTarget::Cluster {
                    name: lc.name,
                    arn: lc.arn,
                },
                lc.tags,
            ));
        }
    }
}

/// What every step of the prune scan of one region needs.
struct Scan<'a> {
    ctx: &'a Context,
    region: &'a str,
}

impl Scan<'_> {
    fn unclaimed(&self, target: OrphanTarget, tags: BTreeMap<String, String>) -> Unclaimed {
        Unclaimed {
            region: self.region.to_owned(),
            target,
            tags,
        }
    }

    /// Records the Cloud Map resources among `targets` that no manifest describes, with their
    /// tags (cached), read side by side up to [`Context::concurrency`] and kept in listing order.
    async fn cloudmap_unclaimed(
        &self,
        targets: impl Iterator<Item = OrphanTarget>,
        desired: &BTreeSet<String>,
        live: &mut LiveState,
    ) {
        let targets: Vec<OrphanTarget> = targets.filter(|t| !desired.contains(t.arn())).collect();
        let (ctx, region) = (self.ctx, self.region);
        let arns = targets.iter().map(|t| t.arn().to_owned()).collect();
        prefetch_cloudmap_tags(ctx, region, arns).await;
        let read = bounded(ctx, targets, |target| async move {
            let tags = cloudmap_tags(ctx, region, target.arn()).await;
            (target, tags)
        })
        .await;
        for (target, tags) in read {
            match tags {
                Ok(tags) => live.unclaimed.push(self.unclaimed(target, tags)),
                Err(e) => live.orphan_scan_errors.push(LookupError::from_error(&e)),
            }
        }
    }

    /// The ECS services of `cluster` that no manifest describes, with their tags.
    async fn ecs_service_unclaimed(
        &self,
        cluster: &str,
        desired: &BTreeSet<(String, String)>,
    ) -> Result<Vec<Unclaimed>> {
        let arns = list_service_arns(self.ctx, self.region, cluster).await?;
        // Services a manifest describes were read by `observe_services` already; the service
        // name is the last segment of the ARN in both the old and the long ARN format.
        let unknown: Vec<String> = arns
            .into_iter()
            .filter(|arn| {
                let name = arn.rsplit('/').next().unwrap_or(arn);
                !desired.contains(&(cluster.to_owned(), name.to_owned()))
            })
            .collect();
        if unknown.is_empty() {
            return Ok(Vec::new());
        }
        let services = describe_services(self.ctx, self.region, cluster, &unknown).await?;
        Ok(services
            .iter()
            .filter(|s| s.status() == Some("ACTIVE"))
            .map(convert::service_from_sdk)
            .filter(|svc| !desired.contains(&(cluster.to_owned(), svc.name.clone())))
            .map(|svc| {
                self.unclaimed(
                    OrphanTarget::EcsService {
                        cluster: cluster.to_owned(),
                        desired_count: svc.settings.desired_count.unwrap_or(0),
                        name: svc.name,
                        arn: svc.arn,
                    },
                    svc.tags,
                )
            })
            .collect())
    }
}

async fn list_clusters(ctx: &Context, region: &str) -> Result<Vec<String>> {
    let client = ctx.ecs(region);
    let resource = format!("clusters in {region}");
    let resource = resource.as_str();
    paginate("ListClusters", resource, move |token| {
        let request = client
            .list_clusters()
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .send();
        async move {
            let page = ctx.call("ecs", "ListClusters", resource, request).await?;
            Ok((
                page.cluster_arns().to_vec(),
                page.next_token().map(str::to_owned),
            ))
        }
    })
    .await
}

pub(super) async fn list_service_arns(
    ctx: &Context,
    region: &str,
    cluster: &str,
) -> Result<Vec<String>> {
    let client = ctx.ecs(region);
    paginate("ListServices", cluster, move |token| {
        let request = client
            .list_services()
            .cluster(cluster)
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .send();
        async move {
            let page = ctx.call("ecs", "ListServices", cluster, request).await?;
            Ok((
                page.service_arns().to_vec(),
                page.next_token().map(str::to_owned),
            ))
        }
    })
    .await
}
