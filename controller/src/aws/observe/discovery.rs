//! Managed Cloud Map services, listed per namespace and matched by name.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_servicediscovery::types::{
    FilterCondition, ServiceFilter, ServiceFilterName, ServiceSummary,
};

use super::{cloudmap_tags, prefetch_cloudmap_tags};
use crate::aws::read::{PAGE_SIZE, bounded, get_cloudmap_service, paginate};
use crate::aws::{Context, convert};
use crate::canon::dns_name;
use crate::live::{LiveDiscovery, LiveState, Lookup, LookupError};
use crate::manifest::{ManifestSet, Resource, ResourceSpec};
use crate::{Error, Result};

pub(super) async fn list_cloudmap_services(
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
    Ok(get_cloudmap_service(ctx, region, id)
        .await?
        .and_then(|s| s.namespace_id))
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

/// Finds the service in namespace `namespace_id` among `same_name`, the listed services whose
/// name is the wanted one.
async fn find_cloudmap_service(
    ctx: &Context,
    region: &str,
    same_name: &[&ServiceSummary],
    namespace_id: &str,
) -> Result<Option<LiveDiscovery>> {
    let candidates: Vec<&ServiceSummary> = same_name
        .iter()
        .copied()
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

pub(super) async fn observe_discovery(
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
            .namespace_for(r, &d.namespace)
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
    // Namespaces, and the services within one, are read side by side (bounded).
    let found = bounded(ctx, by_namespace, |(namespace_id, wanted)| async move {
        discovery_in_namespace(ctx, region, &namespace_id, wanted).await
    })
    .await;
    for (object, lookup) in found.into_iter().flatten() {
        live.services.entry(object).or_default().discovery = lookup;
    }
}

/// The Cloud Map services `wanted` (`(object, name)`) in one namespace: one listing, then each
/// match's tags.
async fn discovery_in_namespace(
    ctx: &Context,
    region: &str,
    namespace_id: &str,
    wanted: Vec<(String, String)>,
) -> Vec<(String, Lookup<LiveDiscovery>)> {
    let summaries = match list_cloudmap_services(ctx, region, Some(namespace_id)).await {
        Ok(s) => s,
        Err(e) => {
            let err = LookupError::from_error(&e);
            return wanted
                .into_iter()
                .map(|(object, _)| (object, Lookup::Failed(err.clone())))
                .collect();
        }
    };
    // By DNS name, so matching N wanted services costs N look-ups, not N listings.
    let mut by_name: HashMap<String, Vec<&ServiceSummary>> = HashMap::new();
    for s in &summaries {
        if let Some(n) = s.name() {
            by_name.entry(dns_name(n)).or_default().push(s);
        }
    }
    // The tags of every candidate in batches first; each look-up below then finds them cached.
    let candidates: Vec<String> = wanted
        .iter()
        .flat_map(|(_, name)| by_name.get(&dns_name(name)).into_iter().flatten())
        .filter_map(|s| s.arn().map(str::to_owned))
        .collect();
    prefetch_cloudmap_tags(ctx, region, candidates).await;
    let by_name = &by_name;
    bounded(ctx, wanted, |(object, name)| async move {
        let same_name = by_name.get(&dns_name(&name)).map_or(&[][..], Vec::as_slice);
        let lookup = match find_cloudmap_service(ctx, region, same_name, namespace_id).await {
            Ok(Some(d)) => Lookup::Found(d),
            Ok(None) => Lookup::Missing,
            Err(e) => Lookup::Failed(LookupError::from_error(&e)),
        };
        (object, lookup)
    })
    .await
}
