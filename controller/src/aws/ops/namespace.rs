//! Private DNS namespaces: create, update, delete, and look up by DNS name.

use std::collections::BTreeMap;

use aws_sdk_servicediscovery::types::{
    OperationTargetType, PrivateDnsNamespaceChange, PrivateDnsNamespaceProperties,
    PrivateDnsNamespacePropertiesChange, PrivateDnsPropertiesMutable,
    PrivateDnsPropertiesMutableChange, Soa, SoaChange,
};

use super::{build_error, poll_operation, request_id};
use crate::aws::{Context, convert, read};
use crate::{Error, Result, canon};

/// Creates a private DNS namespace and waits until it exists; returns its id.
pub(crate) async fn create_namespace(
    ctx: &Context,
    region: &str,
    name: &str,
    vpc: &str,
    description: Option<&str>,
    soa_ttl: Option<i64>,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let resource = format!("namespace {name}");
    let tags = convert::cloudmap_tags_to_sdk(tags)
        .map_err(|e| build_error("CreatePrivateDnsNamespace", &resource, &e))?;
    let properties = soa_ttl
        .map(|ttl| -> Result<PrivateDnsNamespaceProperties> {
            let soa = Soa::builder()
                .ttl(ttl)
                .build()
                .map_err(|e| build_error("CreatePrivateDnsNamespace", &resource, &e))?;
            Ok(PrivateDnsNamespaceProperties::builder()
                .dns_properties(PrivateDnsPropertiesMutable::builder().soa(soa).build())
                .build())
        })
        .transpose()?;
    let out = ctx
        .call(
            "servicediscovery",
            "CreatePrivateDnsNamespace",
            &resource,
            ctx.cloudmap(region)
                .create_private_dns_namespace()
                .name(name)
                .vpc(vpc)
                .creator_request_id(request_id())
                .set_description(description.map(str::to_owned))
                .set_tags(Some(tags))
                .set_properties(properties)
                .send(),
        )
        .await?;
    let op = out
        .operation_id()
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "CreatePrivateDnsNamespace",
            resource: resource.clone(),
            message: "no operation id".into(),
        })?;
    let targets = poll_operation(ctx, region, op, "CreatePrivateDnsNamespace", &resource).await?;
    let id = targets
        .get(&OperationTargetType::Namespace)
        .cloned()
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "GetOperation",
            resource,
            message: "the operation names no namespace".into(),
        })?;
    ctx.remember_namespace(region, name, &id);
    Ok(id)
}

/// Updates a namespace's description and SOA TTL and waits for the change.
pub(crate) async fn update_namespace(
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
    description: Option<&str>,
    soa_ttl: Option<i64>,
) -> Result<()> {
    let resource = format!("namespace {name}");
    let properties = soa_ttl
        .map(|ttl| -> Result<PrivateDnsNamespacePropertiesChange> {
            let soa = SoaChange::builder()
                .ttl(ttl)
                .build()
                .map_err(|e| build_error("UpdatePrivateDnsNamespace", &resource, &e))?;
            Ok(PrivateDnsNamespacePropertiesChange::builder()
                .dns_properties(
                    PrivateDnsPropertiesMutableChange::builder()
                        .soa(soa)
                        .build(),
                )
                .build())
        })
        .transpose()?;
    let change = PrivateDnsNamespaceChange::builder()
        .description(description.unwrap_or_default())
        .set_properties(properties)
        .build();
    let out = ctx
        .call(
            "servicediscovery",
            "UpdatePrivateDnsNamespace",
            &resource,
            ctx.cloudmap(region)
                .update_private_dns_namespace()
                .id(id)
                .updater_request_id(request_id())
                .namespace(change)
                .send(),
        )
        .await?;
    // The cached SOA TTL is stale from the moment the update is accepted.
    ctx.forget_soa(id);
    if let Some(op) = out.operation_id() {
        poll_operation(ctx, region, op, "UpdatePrivateDnsNamespace", &resource).await?;
    }
    Ok(())
}

/// Deletes a namespace and waits for the deletion.
pub(crate) async fn delete_namespace(
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
) -> Result<()> {
    let resource = format!("namespace {name}");
    let out = ctx
        .call(
            "servicediscovery",
            "DeleteNamespace",
            &resource,
            ctx.cloudmap(region).delete_namespace().id(id).send(),
        )
        .await?;
    if let Some(op) = out.operation_id() {
        poll_operation(ctx, region, op, "DeleteNamespace", &resource).await?;
    }
    Ok(())
}

/// The id of the namespace with DNS name `name`, if it exists.
pub(crate) async fn namespace_id(
    ctx: &Context,
    region: &str,
    name: &str,
) -> Result<Option<String>> {
    if let Some(id) = ctx.known_namespace(region, name) {
        return Ok(Some(id));
    }
    let client = ctx.cloudmap(region);
    let resource = format!("namespace {name}");
    let resource = resource.as_str();
    let wanted = canon::dns_name(name);
    let wanted = wanted.as_str();
    let found = read::paginate("ListNamespaces", resource, move |token| {
        let request = client
            .list_namespaces()
            .max_results(read::PAGE_SIZE)
            .set_next_token(token)
            .send();
        async move {
            let page = ctx
                .call("servicediscovery", "ListNamespaces", resource, request)
                .await?;
            let hit: Vec<_> = page
                .namespaces()
                .iter()
                .find(|n| n.name().is_some_and(|n| canon::dns_name(n) == wanted))
                .cloned()
                .into_iter()
                .collect();
            // A match ends the listing: the pages after it are not needed.
            let next = if hit.is_empty() {
                page.next_token().map(str::to_owned)
            } else {
                None
            };
            Ok((hit, next))
        }
    })
    .await?;
    Ok(found.first().and_then(|n| n.id()).map(str::to_owned))
}
