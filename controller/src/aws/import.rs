//! Reading what `import` writes manifests for: one cluster and some of its services, each with
//! the revision it runs and its Cloud Map registration ([`Inventory`]).
//!
//! Calls: `DescribeClusters` once; `ListServices` (all pages) with `--all`; `DescribeServices`
//! in batches of ten with tags; per selected service `DescribeTaskDefinition` and, when it
//! registers in Cloud Map, `GetService`, `GetNamespace` (once per namespace), their
//! `ListTagsForResource`, and `DescribeSubnets` for the VPC of its first subnet. Independent
//! reads overlap up to [`Context::concurrency`].

use std::collections::{BTreeMap, BTreeSet};

use aws_config::Region;

use super::observe::cluster::{describe_clusters, live_cluster};
use super::observe::service::describe_services;
use super::observe::{cloudmap_tags, list_ecs_service_names};
use super::read::{bounded, describe_task_definition, get_cloudmap_service, get_namespace};
use super::{Context, convert};
use crate::live::{
    Inventory, InventoryService, LiveDiscovery, LiveNamespace, Lookup, LookupError, Registration,
};
use crate::{Error, Result};

/// Which services of the cluster to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Names asked for (`--service`); empty with `all`.
    pub services: Vec<String>,
    /// Every service of the cluster (`--all`).
    pub all: bool,
    /// Tags a service must carry, all of them (`--tag KEY=VALUE`).
    pub tags: BTreeMap<String, String>,
}

/// Reads `cluster` and the services `selection` names in `region`.
///
/// # Errors
/// [`Error::Conflict`] when the cluster or a service asked for by name does not exist (or is
/// not active); [`Error::Aws`] when a read fails. A Cloud Map read that fails is recorded in
/// the service's [`Registration`] instead, so the other services are still written.
pub async fn inventory(
    ctx: &Context,
    region: &str,
    cluster: &str,
    selection: &Selection,
) -> Result<Inventory> {
    let clusters = describe_clusters(ctx, region, &[cluster.to_owned()]).await?;
    let Some(found) = clusters
        .iter()
        .find(|c| c.cluster_name() == Some(cluster) && c.status() != Some("INACTIVE"))
    else {
        return Err(Error::Conflict {
            resource: format!("cluster `{cluster}` in {region}"),
            message: "no such active cluster".into(),
        });
    };
    let live_cluster = live_cluster(found);
    let names = if selection.all {
        list_ecs_service_names(ctx, region, cluster).await?
    } else {
        selection.services.clone()
    };
    let described = describe_services(ctx, region, cluster, &names).await?;
    let mut services = Vec::new();
    let mut missing = Vec::new();
    for name in &names {
        let active = described
            .iter()
            .find(|s| s.service_name() == Some(name) && s.status() == Some("ACTIVE"));
        match active {
            Some(s) => services.push(convert::service_from_sdk(s)),
            None if !selection.all => missing.push(name.clone()),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(Error::Conflict {
            resource: format!("cluster `{cluster}` in {region}"),
            message: format!("no active service named {}", missing.join(", ")),
        });
    }
    services.retain(|s| selection.tags.iter().all(|(k, v)| s.tags.get(k) == Some(v)));
    let read = bounded(ctx, services, |service| async move {
        let arn = service.task_definition_arn.clone().unwrap_or_default();
        let (task_definition, unmodelled) = task_definition(ctx, region, &arn).await?;
        let registration = match service.settings.service_registries.as_deref() {
            Some([registry, ..]) => Some(registration(ctx, region, registry, &service).await),
            _ => None,
        };
        Ok::<_, Error>(InventoryService {
            service,
            task_definition,
            unmodelled,
            registration,
        })
    })
    .await;
    Ok(Inventory {
        region: region.to_owned(),
        cluster: live_cluster,
        services: read.into_iter().collect::<Result<_>>()?,
    })
}

/// A revision and the fields of it the manifest model does not hold.
async fn task_definition(
    ctx: &Context,
    region: &str,
    arn: &str,
) -> Result<(crate::live::LiveTaskDefinition, Vec<String>)> {
    let td = describe_task_definition(ctx, region, arn).await?;
    let mut unmodelled = Vec::new();
    if td.proxy_configuration().is_some() {
        unmodelled.push("proxyConfiguration".to_owned());
    }
    if !td.inference_accelerators().is_empty() {
        unmodelled.push("inferenceAccelerators".to_owned());
    }
    if td
        .volumes()
        .iter()
        .any(|v| v.fsx_windows_file_server_volume_configuration().is_some())
    {
        unmodelled.push("volumes[].fsxWindowsFileServerVolumeConfiguration".to_owned());
    }
    Ok((convert::task_definition_from_sdk(&td), unmodelled))
}

async fn registration(
    ctx: &Context,
    region: &str,
    registry: &crate::manifest::spec::ServiceRegistry,
    service: &crate::live::LiveService,
) -> Registration {
    let discovery = discovery(ctx, region, &registry.registry_arn).await;
    let namespace = match &discovery {
        Lookup::Found(d) => namespace(ctx, region, &d.namespace_id).await,
        Lookup::Missing => Lookup::Missing,
        Lookup::Failed(e) => Lookup::Failed(e.clone()),
    };
    let subnet = service
        .settings
        .network_configuration
        .as_ref()
        .and_then(|n| n.awsvpc_configuration.subnets.first());
    let vpc = match subnet {
        Some(subnet) => subnet_vpc(ctx, region, subnet).await,
        None => None,
    };
    Registration {
        registry: registry.clone(),
        discovery,
        namespace,
        vpc,
    }
}

fn not_found(e: &Error) -> bool {
    matches!(e, Error::Aws { code, .. } if code.ends_with("NotFound"))
}

async fn discovery(ctx: &Context, region: &str, registry_arn: &str) -> Lookup<LiveDiscovery> {
    // `arn:aws:servicediscovery:REGION:ACCOUNT:service/srv-...`
    let id = registry_arn.rsplit('/').next().unwrap_or(registry_arn);
    let read = async {
        let service = get_cloudmap_service(ctx, region, id)
            .await?
            .ok_or_else(|| Error::UnexpectedResponse {
                operation: "GetService",
                resource: id.to_owned(),
                message: "no service in the answer".into(),
            })?;
        let mut live = convert::discovery_from_get(&service);
        live.tags = cloudmap_tags(ctx, region, &live.arn).await?;
        Ok::<_, Error>(live)
    };
    match read.await {
        Ok(d) => Lookup::Found(d),
        Err(e) if not_found(&e) => Lookup::Missing,
        Err(e) => Lookup::Failed(LookupError::from_error(&e)),
    }
}

async fn namespace(ctx: &Context, region: &str, id: &str) -> Lookup<LiveNamespace> {
    let read = async {
        let namespace =
            get_namespace(ctx, region, id)
                .await?
                .ok_or_else(|| Error::UnexpectedResponse {
                    operation: "GetNamespace",
                    resource: id.to_owned(),
                    message: "no namespace in the answer".into(),
                })?;
        let mut live = convert::namespace_from_get(&namespace);
        live.tags = cloudmap_tags(ctx, region, &live.arn).await?;
        Ok::<_, Error>(live)
    };
    match read.await {
        Ok(n) => Lookup::Found(n),
        Err(e) if not_found(&e) => Lookup::Missing,
        Err(e) => Lookup::Failed(LookupError::from_error(&e)),
    }
}

/// The VPC of `subnet`, or `None` when it cannot be read (the caller writes a placeholder and
/// says so).
async fn subnet_vpc(ctx: &Context, region: &str, subnet: &str) -> Option<String> {
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(ctx.sdk_config())
            .region(Region::new(region.to_owned()))
            .build(),
    );
    let out = ctx
        .call(
            "ec2",
            "DescribeSubnets",
            subnet,
            ec2.describe_subnets().subnet_ids(subnet).send(),
        )
        .await
        .ok()?;
    let vpcs: BTreeSet<&str> = out.subnets().iter().filter_map(|s| s.vpc_id()).collect();
    vpcs.into_iter().next().map(str::to_owned)
}
