//! Managed ECS clusters, read with `DescribeClusters`.

use aws_sdk_ecs::types::ClusterField;

use crate::Result;
use crate::aws::{Context, convert};
use crate::live::{LiveCluster, LiveState, Lookup, LookupError};
use crate::manifest::{Kind, Resource};

pub(in crate::aws) async fn describe_clusters(
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
                    .include(ClusterField::Configurations)
                    .send(),
            )
            .await?;
        out.extend(resp.clusters().iter().cloned());
    }
    Ok(out)
}

pub(in crate::aws) fn live_cluster(c: &aws_sdk_ecs::types::Cluster) -> LiveCluster {
    let (capacity_providers, default_capacity_provider_strategy) =
        convert::cluster_capacity_from_sdk(c);
    LiveCluster {
        capacity_providers,
        default_capacity_provider_strategy,
        arn: c.cluster_arn().unwrap_or_default().to_owned(),
        name: c.cluster_name().unwrap_or_default().to_owned(),
        status: c.status().unwrap_or_default().to_owned(),
        settings: convert::cluster_settings_from_sdk(c),
        service_connect_namespace: c
            .service_connect_defaults()
            .and_then(|d| d.namespace())
            .map(str::to_owned),
        configuration: c
            .configuration()
            .map(convert::cluster_configuration_from_sdk),
        tags: convert::ecs_tags_from_sdk(c.tags()),
    }
}

pub(super) async fn observe_clusters(
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
