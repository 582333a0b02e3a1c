//! Cloud Map services: create, update, delete (waiting until their instances are gone).

use std::collections::BTreeMap;

use aws_sdk_servicediscovery::operation::create_service::CreateServiceError;
use aws_sdk_servicediscovery::types::{HealthCheckCustomConfig, ServiceChange};

use super::{build_error, poll_operation, service_error, token, wait_for};
use crate::aws::{Context, convert};
use crate::manifest::spec::{DiscoverySpec, DnsRecord};
use crate::{Error, Result};

/// Creates a Cloud Map service; returns its ARN.
///
/// The `CreatorRequestId` is derived from the request ([`token`]): a create sent again after a
/// lost answer returns the service the first one created. `ServiceAlreadyExists` naming a
/// service created with this very token is that earlier attempt's service, and is used.
pub(crate) async fn create_discovery_service(
    ctx: &Context,
    region: &str,
    namespace_id: &str,
    spec: &DiscoverySpec,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let resource = format!("Cloud Map service {} in {namespace_id}", spec.name);
    let dns = convert::dns_config_to_sdk(&spec.dns_config)
        .map_err(|e| build_error("CreateService", &resource, &e))?;
    let sdk_tags = convert::cloudmap_tags_to_sdk(tags)
        .map_err(|e| build_error("CreateService", &resource, &e))?;
    let creator_request_id = token::derive(
        token::Kind::DiscoveryService,
        region,
        &[namespace_id, &spec.name],
        &serde_json::json!({"spec": spec, "tags": tags}),
        token::today(),
        0,
    );
    let sent = ctx
        .call(
            "servicediscovery",
            "CreateService",
            &resource,
            ctx.cloudmap(region)
                .create_service()
                .name(&spec.name)
                .namespace_id(namespace_id)
                .creator_request_id(&creator_request_id)
                .set_description(spec.description.clone())
                .dns_config(dns)
                .set_health_check_custom_config(spec.health_check_custom_config.as_ref().map(
                    #[allow(
                        deprecated,
                        reason = "failureThreshold is kept for the AWS JSON shape"
                    )]
                    |h| {
                        HealthCheckCustomConfig::builder()
                            .set_failure_threshold(h.failure_threshold)
                            .build()
                    },
                ))
                .set_tags(Some(sdk_tags))
                .send(),
        )
        .await;
    let arn = match sent {
        Ok(out) => out.service().and_then(|s| s.arn()).map(str::to_owned),
        Err(e) => {
            let Some(CreateServiceError::ServiceAlreadyExists(exists)) = service_error(&e) else {
                return Err(e);
            };
            let ours = exists.creator_request_id() == Some(creator_request_id.as_str());
            let Some(id) = exists.service_id().filter(|_| ours) else {
                return Err(e);
            };
            tracing::info!(
                resource,
                id,
                "the service exists: an earlier attempt created it"
            );
            ctx.call(
                "servicediscovery",
                "GetService",
                &resource,
                ctx.cloudmap(region).get_service().id(id).send(),
            )
            .await?
            .service()
            .and_then(|s| s.arn())
            .map(str::to_owned)
        }
    };
    let arn = arn.ok_or_else(|| Error::UnexpectedResponse {
        operation: "CreateService",
        resource,
        message: "no service ARN".into(),
    })?;
    ctx.cache_tags(&arn, tags.clone());
    Ok(arn)
}

/// Updates a Cloud Map service's description and record TTLs.
pub(crate) async fn update_discovery_service(
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
    description: Option<&str>,
    records: &[DnsRecord],
) -> Result<()> {
    let resource = format!("Cloud Map service {name}");
    let records = convert::dns_records_to_sdk(records)
        .map_err(|e| build_error("UpdateService", &resource, &e))?;
    let dns = aws_sdk_servicediscovery::types::DnsConfigChange::builder()
        .set_dns_records(Some(records))
        .build()
        .map_err(|e| build_error("UpdateService", &resource, &e))?;
    let change = ServiceChange::builder()
        .description(description.unwrap_or_default())
        .dns_config(dns)
        .build();
    let out = ctx
        .call(
            "servicediscovery",
            "UpdateService",
            &resource,
            ctx.cloudmap(region)
                .update_service()
                .id(id)
                .service(change)
                .send(),
        )
        .await?;
    if let Some(op) = out.operation_id() {
        poll_operation(ctx, region, op, "UpdateService", &resource).await?;
    }
    Ok(())
}

/// Deletes a Cloud Map service, retrying while ECS still deregisters its instances.
pub(crate) async fn delete_discovery_service(
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
) -> Result<()> {
    let resource = format!("Cloud Map service {name}");
    let client = ctx.cloudmap(region);
    wait_for(ctx, "DeleteService", &resource, || {
        let client = client.clone();
        let resource = resource.clone();
        async move {
            match ctx
                .call(
                    "servicediscovery",
                    "DeleteService",
                    &resource,
                    client.delete_service().id(id).send(),
                )
                .await
            {
                Ok(_) => Ok(Some(())),
                Err(e) if e.aws_code() == Some("ResourceInUse") => Ok(None),
                Err(e) if e.aws_code() == Some("ServiceNotFound") => Ok(Some(())),
                Err(e) => Err(e),
            }
        }
    })
    .await
}
