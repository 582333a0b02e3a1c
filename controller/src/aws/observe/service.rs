//! Managed ECS services, read with `DescribeServices` per cluster, and their task definitions.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::ServiceField;

use crate::Result;
use crate::aws::read::task_definition;
use crate::aws::{Context, convert};
use crate::live::{LiveEcsService, LiveService, LiveState, Lookup, LookupError};
use crate::manifest::{Resource, ResourceSpec};

pub(super) async fn describe_services(
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

pub(super) async fn observe_services(
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
