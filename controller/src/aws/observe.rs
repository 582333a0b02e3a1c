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
//!   discovery services, then `ListTagsForResource` per matched service (cached).
//!
//! With `--prune` the scan widens to everything in the region no manifest describes (all
//! namespaces, Cloud Map services, clusters and their services), which costs a listing per
//! cluster and a tag read per Cloud Map resource. Each is listed with its tags as
//! [`crate::live::Unclaimed`]; [`crate::plan`] decides which of them this instance owns.
//!
//! A failed read marks only the resources it concerns as [`Lookup::Failed`]; the others are
//! still observed.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::{ClusterField, ServiceField};
use aws_sdk_servicediscovery::types::{
    FilterCondition, NamespaceSummary, ServiceFilter, ServiceFilterName, ServiceSummary,
};

use super::Context;
use super::convert;
use super::read::{PAGE_SIZE, paginate, task_definition};
use crate::canon::dns_name;
use crate::live::{
    LiveCluster, LiveDiscovery, LiveEcsService, LiveNamespace, LiveService, LiveState, Lookup,
    LookupError, OrphanTarget, Unclaimed,
};
use crate::manifest::{Kind, ManifestSet, Resource, ResourceSpec};
use crate::options::PlanOptions;
use crate::{Error, Result};

/// Observes everything `set` describes (and, with `opts.prune`, every resource this instance
/// owns in the regions involved).
///
/// # Errors
/// None today: per-resource failures are recorded as [`Lookup::Failed`]. The `Result` leaves
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
        observe_region(ctx, set, opts, &region, &mut live).await;
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
    let namespaces = observe_namespaces(ctx, opts, region, &in_region, live).await;
    observe_clusters(ctx, region, &in_region, live).await;
    observe_services(ctx, region, &in_region, live).await;
    observe_discovery(ctx, set, region, &in_region, live).await;
    if opts.prune {
        scan_unclaimed(ctx, set, opts, region, namespaces, live).await;
    }
}

// ---------------------------------------------------------------- namespaces

async fn list_namespaces(ctx: &Context, region: &str) -> Result<Vec<NamespaceSummary>> {
    let client = ctx.cloudmap(region);
    let resource = format!("namespaces in {region}");
    let resource = resource.as_str();
    paginate("ListNamespaces", resource, move |token| {
        let request = client
            .list_namespaces()
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .send();
        async move {
            let page = ctx
                .call("servicediscovery", "ListNamespaces", resource, request)
                .await?;
            Ok((
                page.namespaces().to_vec(),
                page.next_token().map(str::to_owned),
            ))
        }
    })
    .await
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

/// The SOA TTL of a namespace, cached (see [`Context`]) or read with `GetNamespace`: the
/// `ListNamespaces` summary lacks it.
async fn namespace_soa_ttl(ctx: &Context, region: &str, id: &str) -> Result<Option<i64>> {
    if let Some(ttl) = ctx.cached_soa(id) {
        return Ok(ttl);
    }
    let out = ctx
        .call(
            "servicediscovery",
            "GetNamespace",
            id,
            ctx.cloudmap(region).get_namespace().id(id).send(),
        )
        .await?;
    let ttl = out.namespace().and_then(convert::namespace_soa_ttl);
    ctx.cache_soa(id, ttl);
    Ok(ttl)
}

/// Returns the namespace listing for the prune scan (when it was read).
async fn observe_namespaces(
    ctx: &Context,
    opts: &PlanOptions,
    region: &str,
    in_region: &[&Resource],
    live: &mut LiveState,
) -> Option<Result<Vec<NamespaceSummary>, LookupError>> {
    let wanted: Vec<(&Resource, &crate::manifest::NamespaceSpec)> = in_region
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::Namespace(ns) => Some((*r, ns)),
            _ => None,
        })
        .collect();
    if wanted.is_empty() && !opts.prune {
        return None;
    }
    let listing = list_namespaces(ctx, region).await;
    let summaries = match listing {
        Ok(s) => s,
        Err(e) => {
            let err = LookupError::from_error(&e);
            for (r, _) in wanted {
                live.namespaces
                    .insert(r.name().to_owned(), Lookup::Failed(err.clone()));
            }
            return Some(Err(err));
        }
    };
    for (r, spec) in wanted {
        let found = summaries.iter().find(|n| {
            n.name()
                .is_some_and(|name| dns_name(name) == dns_name(&spec.name))
        });
        let lookup = match found {
            None => Lookup::Missing,
            Some(summary) => {
                let mut ns: LiveNamespace = convert::namespace_from_sdk(summary);
                let soa = if spec.properties.is_some() {
                    namespace_soa_ttl(ctx, region, &ns.id).await
                } else {
                    Ok(None)
                };
                let tags = match soa {
                    Ok(ttl) => {
                        ns.soa_ttl = ttl;
                        cloudmap_tags(ctx, region, &ns.arn).await
                    }
                    Err(e) => Err(e),
                };
                match tags {
                    Ok(tags) => {
                        ns.tags = tags;
                        Lookup::Found(ns)
                    }
                    Err(e) => Lookup::Failed(LookupError::from_error(&e)),
                }
            }
        };
        live.namespaces.insert(r.name().to_owned(), lookup);
    }
    Some(Ok(summaries))
}

// ---------------------------------------------------------------- clusters

async fn describe_clusters(
    ctx: &Context,
    region: &str,
    names: &[String],
) -> Result<Vec<aws_sdk_ecs::types::Cluster>> {
    let client = ctx.ecs(region);
    let mut out = Vec::new();
    for chunk in names.chunks(100) {
        let resp = ctx
            .call(
                "ecs",
                "DescribeClusters",
                &chunk.join(","),
                client
                    .describe_clusters()
                    .set_clusters(Some(chunk.to_vec()))
                    .include(ClusterField::Tags)
                    .include(ClusterField::Settings)
                    .send(),
            )
            .await?;
        out.extend(resp.clusters().iter().cloned());
    }
    Ok(out)
}

fn live_cluster(c: &aws_sdk_ecs::types::Cluster) -> LiveCluster {
    let (capacity_providers, default_capacity_provider_strategy) =
        convert::cluster_capacity_from_sdk(c);
    LiveCluster {
        capacity_providers,
        default_capacity_provider_strategy,
        arn: c.cluster_arn().unwrap_or_default().to_owned(),
        name: c.cluster_name().unwrap_or_default().to_owned(),
        status: c.status().unwrap_or_default().to_owned(),
        settings: convert::cluster_settings_from_sdk(c),
        tags: convert::ecs_tags_from_sdk(c.tags()),
    }
}

async fn observe_clusters(
    ctx: &Context,
    region: &str,
    in_region: &[&Resource],
    live: &mut LiveState,
) {
    let names: Vec<String> = in_region
        .iter()
        .filter(|r| r.kind() == Kind::EcsCluster)
        .map(|r| r.name().to_owned())
        .collect();
    if names.is_empty() {
        return;
    }
    match describe_clusters(ctx, region, &names).await {
        Ok(clusters) => {
            for name in names {
                let found = clusters.iter().find(|c| {
                    c.cluster_name() == Some(name.as_str()) && c.status() != Some("INACTIVE")
                });
                let lookup = found.map_or(Lookup::Missing, |c| Lookup::Found(live_cluster(c)));
                live.clusters.insert(name, lookup);
            }
        }
        Err(e) => {
            let err = LookupError::from_error(&e);
            for name in names {
                live.clusters.insert(name, Lookup::Failed(err.clone()));
            }
        }
    }
}

// ---------------------------------------------------------------- ECS services

async fn describe_services(
    ctx: &Context,
    region: &str,
    cluster: &str,
    names: &[String],
) -> Result<Vec<aws_sdk_ecs::types::Service>> {
    let client = ctx.ecs(region);
    let mut out = Vec::new();
    for chunk in names.chunks(10) {
        let resp = ctx
            .call(
                "ecs",
                "DescribeServices",
                &format!("{cluster}/{}", chunk.join(",")),
                client
                    .describe_services()
                    .cluster(cluster)
                    .set_services(Some(chunk.to_vec()))
                    .include(ServiceField::Tags)
                    .send(),
            )
            .await?;
        out.extend(resp.services().iter().cloned());
    }
    Ok(out)
}

/// A described ECS service with the task definition it runs.
async fn observed_service(
    ctx: &Context,
    region: &str,
    service: &aws_sdk_ecs::types::Service,
) -> LiveEcsService {
    let svc: LiveService = convert::service_from_sdk(service);
    let task_definition = match &svc.task_definition_arn {
        Some(arn) => match task_definition(ctx, region, arn).await {
            Ok(td) => Lookup::Found(td),
            Err(e) => Lookup::Failed(LookupError::from_error(&e)),
        },
        None => Lookup::Missing,
    };
    LiveEcsService {
        service: Lookup::Found(svc),
        task_definition,
        ..LiveEcsService::default()
    }
}

async fn observe_services(
    ctx: &Context,
    region: &str,
    in_region: &[&Resource],
    live: &mut LiveState,
) {
    let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut clusters_in_manifests = BTreeSet::new();
    for r in in_region {
        match &r.spec {
            ResourceSpec::Service(svc) => by_cluster
                .entry(svc.cluster.as_str())
                .or_default()
                .push(r.name().to_owned()),
            ResourceSpec::Cluster(_) => {
                clusters_in_manifests.insert(r.name().to_owned());
            }
            ResourceSpec::Namespace(_) => {}
        }
    }
    for (cluster, names) in by_cluster {
        // A cluster this set creates and that does not exist yet has no services.
        let cluster_missing = live
            .clusters
            .get(cluster)
            .is_some_and(|l| matches!(l, Lookup::Missing));
        if cluster_missing {
            for name in names {
                live.services.insert(name, LiveEcsService::default());
            }
            continue;
        }
        match describe_services(ctx, region, cluster, &names).await {
            Ok(services) => {
                for name in names {
                    let found = services.iter().find(|s| {
                        s.service_name() == Some(name.as_str()) && s.status() != Some("INACTIVE")
                    });
                    let entry = match found {
                        Some(s) => observed_service(ctx, region, s).await,
                        None => LiveEcsService::default(),
                    };
                    live.services.insert(name, entry);
                }
            }
            Err(e) => {
                let not_found = e.aws_code() == Some("ClusterNotFoundException");
                let err = if not_found {
                    LookupError {
                        operation: "DescribeServices".into(),
                        code: "ClusterNotFoundException".into(),
                        message: format!(
                            "cluster `{cluster}` does not exist in {region} and no EcsCluster manifest creates it"
                        ),
                    }
                } else {
                    LookupError::from_error(&e)
                };
                for name in names {
                    let entry = if not_found && clusters_in_manifests.contains(cluster) {
                        LiveEcsService::default()
                    } else {
                        LiveEcsService {
                            service: Lookup::Failed(err.clone()),
                            ..LiveEcsService::default()
                        }
                    };
                    live.services.insert(name, entry);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- Cloud Map services

async fn list_cloudmap_services(
    ctx: &Context,
    region: &str,
    namespace_id: Option<&str>,
) -> Result<Vec<ServiceSummary>> {
    let client = ctx.cloudmap(region);
    let filter = namespace_id
        .map(|id| {
            ServiceFilter::builder()
                .name(ServiceFilterName::NamespaceId)
                .values(id)
                .condition(FilterCondition::Eq)
                .build()
        })
        .transpose()
        .map_err(|e| Error::UnexpectedResponse {
            operation: "ListServices",
            resource: namespace_id.unwrap_or_default().to_owned(),
            message: e.to_string(),
        })?;
    let resource = namespace_id.map_or_else(
        || format!("services in {region}"),
        |id| format!("services in {id}"),
    );
    let resource = resource.as_str();
    paginate("ListServices", resource, move |token| {
        let request = client
            .list_services()
            .set_filters(filter.clone().map(|f| vec![f]))
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .send();
        async move {
            let page = ctx
                .call("servicediscovery", "ListServices", resource, request)
                .await?;
            Ok((
                page.services().to_vec(),
                page.next_token().map(str::to_owned),
            ))
        }
    })
    .await
}

/// The namespace of a Cloud Map service, via `GetService` (used only to tell apart services
/// of the same name when a listing is not filtered by namespace).
async fn cloudmap_service_namespace(
    ctx: &Context,
    region: &str,
    id: &str,
) -> Result<Option<String>> {
    let out = ctx
        .call(
            "servicediscovery",
            "GetService",
            id,
            ctx.cloudmap(region).get_service().id(id).send(),
        )
        .await?;
    Ok(out
        .service()
        .and_then(|s| s.namespace_id())
        .map(str::to_owned))
}

/// The namespace id an endpoint reports inside `DnsConfig` (deprecated by AWS, but when
/// present it narrows an unfiltered listing for free).
#[allow(
    deprecated,
    reason = "read only to tell services of the same name apart"
)]
fn reported_namespace(s: &ServiceSummary) -> Option<&str> {
    s.dns_config().and_then(|d| d.namespace_id())
}

/// Finds the service called `name` in namespace `namespace_id` among `summaries`.
pub(crate) async fn find_cloudmap_service(
    ctx: &Context,
    region: &str,
    summaries: &[ServiceSummary],
    namespace_id: &str,
    name: &str,
) -> Result<Option<LiveDiscovery>> {
    let candidates: Vec<&ServiceSummary> = summaries
        .iter()
        .filter(|s| s.name().is_some_and(|n| dns_name(n) == dns_name(name)))
        .filter(|s| reported_namespace(s).is_none_or(|id| id == namespace_id))
        .collect();
    let chosen = match candidates.as_slice() {
        [] => None,
        [one] => Some(*one),
        many => {
            let mut chosen = None;
            for s in many {
                let id = s.id().unwrap_or_default();
                if cloudmap_service_namespace(ctx, region, id)
                    .await?
                    .as_deref()
                    == Some(namespace_id)
                {
                    chosen = Some(*s);
                    break;
                }
            }
            chosen
        }
    };
    let Some(summary) = chosen else {
        return Ok(None);
    };
    let mut d = convert::discovery_from_sdk(summary, namespace_id);
    d.tags = cloudmap_tags(ctx, region, &d.arn).await?;
    Ok(Some(d))
}

async fn observe_discovery(
    ctx: &Context,
    set: &ManifestSet,
    region: &str,
    in_region: &[&Resource],
    live: &mut LiveState,
) {
    // namespace id -> (service object name, discovery name)
    let mut by_namespace: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in in_region {
        let ResourceSpec::Service(svc) = &r.spec else {
            continue;
        };
        let Some(d) = &svc.service_discovery else {
            continue;
        };
        let entry = live.services.entry(r.name().to_owned()).or_default();
        let ns_lookup = set
            .namespace(&d.namespace)
            .and_then(|(ns, _)| live.namespaces.get(ns.name()));
        match ns_lookup {
            Some(Lookup::Found(ns)) => {
                entry.namespace_id = Some(ns.id.clone());
                by_namespace
                    .entry(ns.id.clone())
                    .or_default()
                    .push((r.name().to_owned(), d.name.clone()));
            }
            Some(Lookup::Failed(e)) => entry.discovery = Lookup::Failed(e.clone()),
            Some(Lookup::Missing) | None => entry.discovery = Lookup::Missing,
        }
    }
    for (namespace_id, wanted) in by_namespace {
        let summaries = match list_cloudmap_services(ctx, region, Some(&namespace_id)).await {
            Ok(s) => s,
            Err(e) => {
                let err = LookupError::from_error(&e);
                for (object, _) in wanted {
                    live.services.entry(object).or_default().discovery =
                        Lookup::Failed(err.clone());
                }
                continue;
            }
        };
        for (object, name) in wanted {
            let lookup =
                match find_cloudmap_service(ctx, region, &summaries, &namespace_id, &name).await {
                    Ok(Some(d)) => Lookup::Found(d),
                    Ok(None) => Lookup::Missing,
                    Err(e) => Lookup::Failed(LookupError::from_error(&e)),
                };
            live.services.entry(object).or_default().discovery = lookup;
        }
    }
}

// ---------------------------------------------------------------- prune scan

async fn scan_unclaimed(
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
    /// tags, read (cached) one by one.
    async fn cloudmap_unclaimed(
        &self,
        targets: impl Iterator<Item = OrphanTarget>,
        desired: &BTreeSet<String>,
        live: &mut LiveState,
    ) {
        for target in targets {
            if desired.contains(target.arn()) {
                continue;
            }
            match cloudmap_tags(self.ctx, self.region, target.arn()).await {
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

async fn list_service_arns(ctx: &Context, region: &str, cluster: &str) -> Result<Vec<String>> {
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
