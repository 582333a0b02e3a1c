//! ECS clusters: create, update settings and capacity providers, delete.

use std::collections::BTreeMap;

use super::build_error;
use crate::Result;
use crate::aws::{Context, convert};
use crate::manifest::spec::{CapacityProviderStrategyItem, ClusterConfiguration, ClusterSetting};

/// Creates a cluster; returns its ARN.
pub(crate) async fn create_cluster(
    ctx: &Context,
    region: &str,
    name: &str,
    settings: &[ClusterSetting],
    capacity_providers: Option<&[String]>,
    default_strategy: Option<&[CapacityProviderStrategyItem]>,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let strategy = default_strategy
        .map(convert::strategy_to_sdk)
        .transpose()
        .map_err(|e| build_error("CreateCluster", name, &e))?;
    let out = ctx
        .call(
            "ecs",
            "CreateCluster",
            name,
            ctx.ecs(region)
                .create_cluster()
                .cluster_name(name)
                .set_settings(
                    (!settings.is_empty()).then(|| convert::cluster_settings_to_sdk(settings)),
                )
                .set_capacity_providers(capacity_providers.map(<[String]>::to_vec))
                .set_default_capacity_provider_strategy(strategy)
                .set_tags(Some(convert::ecs_tags_to_sdk(tags)))
                .send(),
        )
        .await?;
    Ok(out
        .cluster()
        .and_then(|c| c.cluster_arn())
        .unwrap_or_default()
        .to_owned())
}

/// `UpdateCluster`: the configuration and/or the default Service Connect namespace (`""`
/// removes it: API reference, ClusterServiceConnectDefaultsRequest `namespace`).
pub(crate) async fn update_cluster_configuration(
    ctx: &Context,
    region: &str,
    name: &str,
    configuration: Option<&ClusterConfiguration>,
    service_connect_namespace: Option<&str>,
) -> Result<()> {
    let defaults = service_connect_namespace
        .map(|ns| {
            aws_sdk_ecs::types::ClusterServiceConnectDefaultsRequest::builder()
                .namespace(ns)
                .build()
        })
        .transpose()
        .map_err(|e| build_error("UpdateCluster", name, &e))?;
    ctx.call(
        "ecs",
        "UpdateCluster",
        name,
        ctx.ecs(region)
            .update_cluster()
            .cluster(name)
            .set_configuration(configuration.map(convert::cluster_configuration_to_sdk))
            .set_service_connect_defaults(defaults)
            .send(),
    )
    .await?;
    Ok(())
}

/// Updates cluster settings.
pub(crate) async fn update_cluster_settings(
    ctx: &Context,
    region: &str,
    name: &str,
    settings: &[ClusterSetting],
) -> Result<()> {
    ctx.call(
        "ecs",
        "UpdateClusterSettings",
        name,
        ctx.ecs(region)
            .update_cluster_settings()
            .cluster(name)
            .set_settings(Some(convert::cluster_settings_to_sdk(settings)))
            .send(),
    )
    .await?;
    Ok(())
}

/// Sets a cluster's capacity providers and default strategy (both replaced whole).
pub(crate) async fn put_cluster_capacity_providers(
    ctx: &Context,
    region: &str,
    name: &str,
    capacity_providers: &[String],
    default_strategy: &[CapacityProviderStrategyItem],
) -> Result<()> {
    let strategy = convert::strategy_to_sdk(default_strategy)
        .map_err(|e| build_error("PutClusterCapacityProviders", name, &e))?;
    ctx.call(
        "ecs",
        "PutClusterCapacityProviders",
        name,
        ctx.ecs(region)
            .put_cluster_capacity_providers()
            .cluster(name)
            .set_capacity_providers(Some(capacity_providers.to_vec()))
            .set_default_capacity_provider_strategy(Some(strategy))
            .send(),
    )
    .await?;
    Ok(())
}

/// Deletes a cluster.
pub(crate) async fn delete_cluster(ctx: &Context, region: &str, name: &str) -> Result<()> {
    ctx.call(
        "ecs",
        "DeleteCluster",
        name,
        ctx.ecs(region).delete_cluster().cluster(name).send(),
    )
    .await?;
    Ok(())
}
