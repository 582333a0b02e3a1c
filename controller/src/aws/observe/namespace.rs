//! Managed private DNS namespaces: one `ListNamespaces` per region, tags and SOA TTL per match.

use aws_sdk_servicediscovery::types::NamespaceSummary;

use super::cloudmap_tags;
use crate::Result;
use crate::aws::read::{PAGE_SIZE, bounded, get_namespace, paginate};
use crate::aws::{Context, convert};
use crate::canon::dns_name;
use crate::live::{LiveNamespace, LiveState, Lookup, LookupError};
use crate::manifest::{Resource, ResourceSpec};
use crate::options::PlanOptions;

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
/// The SOA TTL of a namespace, cached (see [`Context`]) or read with `GetNamespace`: the
/// `ListNamespaces` summary lacks it.
async fn namespace_soa_ttl(ctx: &Context, region: &str, id: &str) -> Result<Option<i64>> {
    if let Some(ttl) = ctx.cached_soa(id) {
        return Ok(ttl);
    }
    let ttl = get_namespace(ctx, region, id)
        .await?
        .as_ref()
        .and_then(convert::namespace_soa_ttl);
    ctx.cache_soa(id, ttl);
    Ok(ttl)
}

/// A listed namespace with what the listing lacks: its tags, and its SOA TTL when the manifest
/// sets one.
async fn namespace_details(
    ctx: &Context,
    region: &str,
    summary: &NamespaceSummary,
    spec: &crate::manifest::NamespaceSpec,
) -> Lookup<LiveNamespace> {
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

/// Returns the namespace listing for the prune scan (when it was read).
pub(super) async fn observe_namespaces(
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
    let (summaries_ref, wanted) = (&summaries, &wanted);
    // By index: a closure over borrowed items trips the compiler's `Send` check of the engine's
    // future (rust-lang/rust#110338).
    let lookups = bounded(ctx, 0..wanted.len(), |i| async move {
        let (r, spec) = wanted[i];
        let found = summaries_ref.iter().find(|n| {
            n.name()
                .is_some_and(|name| dns_name(name) == dns_name(&spec.name))
        });
        let lookup = match found {
            None => Lookup::Missing,
            Some(summary) => namespace_details(ctx, region, summary, spec).await,
        };
        (r.name().to_owned(), lookup)
    })
    .await;
    live.namespaces.extend(lookups);
    Some(Ok(summaries))
}
