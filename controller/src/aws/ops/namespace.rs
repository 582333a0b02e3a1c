//! Private DNS namespaces: create, update, delete, and look up by DNS name.

use std::collections::BTreeMap;

use aws_sdk_servicediscovery::operation::create_private_dns_namespace::CreatePrivateDnsNamespaceError;
use aws_sdk_servicediscovery::types::{
    OperationTargetType, PrivateDnsNamespaceChange, PrivateDnsNamespaceProperties,
    PrivateDnsNamespacePropertiesChange, PrivateDnsPropertiesMutable,
    PrivateDnsPropertiesMutableChange, Soa, SoaChange,
};

use super::{build_error, poll_operation, request_id, service_error, token};
use crate::aws::{Context, convert, read};
use crate::{Error, Result, canon};

/// How many tokens a create tries before it gives up on operations that name a deleted namespace.
const CREATE_ATTEMPTS: u32 = 3;

/// Creates a private DNS namespace and waits until it exists; returns its id.
///
/// Creation is asynchronous (an operation id to poll). The `CreatorRequestId` is derived from
/// the request ([`token`]), so a create sent again after a lost answer or a crash names the
/// first one's operation instead of starting a second. `DuplicateRequest` (the same creation
/// still in progress) is followed by polling the operation it names; `NamespaceAlreadyExists`
/// and `ConflictingDomainExists` by observing again by name. An operation whose namespace no
/// longer exists was a namespace created and deleted earlier under the same token: the create
/// is sent again with a fresh one.
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
    let sdk_tags = convert::cloudmap_tags_to_sdk(tags)
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
    let fingerprint = serde_json::json!({
        "description": description,
        "soaTtl": soa_ttl,
        "tags": tags,
    });
    let day = token::today();
    for attempt in 0..CREATE_ATTEMPTS {
        let creator_request_id = token::derive(
            token::Kind::Namespace,
            region,
            &[&canon::dns_name(name), vpc],
            &fingerprint,
            day,
            attempt,
        );
        let sent = ctx
            .call(
                "servicediscovery",
                "CreatePrivateDnsNamespace",
                &resource,
                ctx.cloudmap(region)
                    .create_private_dns_namespace()
                    .name(name)
                    .vpc(vpc)
                    .creator_request_id(&creator_request_id)
                    .set_description(description.map(str::to_owned))
                    .set_tags(Some(sdk_tags.clone()))
                    .set_properties(properties.clone())
                    .send(),
            )
            .await;
        let operation = match sent {
            Ok(out) => out.operation_id().map(str::to_owned),
            Err(e) => match service_error(&e) {
                Some(CreatePrivateDnsNamespaceError::DuplicateRequest(d)) => {
                    d.duplicate_operation_id().map(str::to_owned)
                }
                Some(CreatePrivateDnsNamespaceError::NamespaceAlreadyExists(x))
                    if x.creator_request_id() == Some(creator_request_id.as_str())
                        && x.namespace_id().is_some() =>
                {
                    let id = x.namespace_id().unwrap_or_default().to_owned();
                    ctx.remember_namespace(region, name, &id);
                    return Ok(id);
                }
                // `ConflictingDomainExists` is not in the SDK's model; its code still names it.
                _ if matches!(
                    e.aws_code(),
                    Some("NamespaceAlreadyExists" | "ConflictingDomainExists")
                ) =>
                {
                    return match namespace_id(ctx, region, name).await? {
                        Some(id) => {
                            tracing::info!(resource, id, "the namespace exists");
                            Ok(id)
                        }
                        None => Err(e),
                    };
                }
                _ => return Err(e),
            },
        };
        let op = operation.ok_or_else(|| Error::UnexpectedResponse {
            operation: "CreatePrivateDnsNamespace",
            resource: resource.clone(),
            message: "no operation id".into(),
        })?;
        let targets =
            poll_operation(ctx, region, &op, "CreatePrivateDnsNamespace", &resource).await?;
        let id = targets
            .get(&OperationTargetType::Namespace)
            .cloned()
            .ok_or_else(|| Error::UnexpectedResponse {
                operation: "GetOperation",
                resource: resource.clone(),
                message: "the operation names no namespace".into(),
            })?;
        if namespace_exists(ctx, region, &id, &resource).await? {
            ctx.remember_namespace(region, name, &id);
            return Ok(id);
        }
        tracing::debug!(resource, attempt, "the token named a deleted namespace");
    }
    Err(Error::Conflict {
        resource,
        message: format!(
            "CreatePrivateDnsNamespace named a deleted namespace for {CREATE_ATTEMPTS} fresh tokens"
        ),
    })
}

/// Whether the namespace `id` exists.
async fn namespace_exists(ctx: &Context, region: &str, id: &str, resource: &str) -> Result<bool> {
    match ctx
        .call(
            "servicediscovery",
            "GetNamespace",
            resource,
            ctx.cloudmap(region).get_namespace().id(id).send(),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.aws_code() == Some("NamespaceNotFound") => Ok(false),
        Err(e) => Err(e),
    }
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
