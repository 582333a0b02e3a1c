//! Managed ECS services, read with `DescribeServices` per cluster, and their task definitions.
//! Batches (of every cluster) and task definition reads overlap up to
//! [`Context::concurrency`]; each revision is read once per pass at most, and not at all when
//! the service records it came from the manifest as it is now
//! ([`crate::ownership::TAG_TASK_DEFINITION`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_ecs::types::ServiceField;

use crate::aws::read::{bounded, task_definition};
use crate::aws::{Context, convert};
use crate::live::{
    LiveEcsService, LiveService, LiveState, LiveTaskDefinition, Lookup, LookupError,
};
use crate::manifest::{Resource, ResourceSpec};
use crate::taskdef::TaskDefinition;
use crate::{Result, canon, ownership};

/// Describes `names` in `cluster`, ten per `DescribeServices` (the API's most), the batches
/// overlapping up to [`Context::concurrency`]. Answers are in the order of the batches.
///
/// # Errors
/// The first failing batch's error (in batch order); the batches still queued are not sent.
pub(in crate::aws) async fn describe_services(
    ctx: &Context,
    region: &str,
    cluster: &str,
    names: &[String],
) -> Result<Vec<aws_sdk_ecs::types::Service>> {
    use futures::StreamExt as _;

    let client = ctx.ecs(region);
    // Owned batches: a closure over borrowed items trips the compiler's `Send` check of the
    // engine's future (rust-lang/rust#110338).
    let batches = futures::stream::iter(names.chunks(10).map(<[String]>::to_vec))
        .map(|chunk| {
            let request = client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk.clone()))
                .include(ServiceField::Tags)
                .send();
            let resource = format!("{cluster}/{}", chunk.join(","));
            async move {
                ctx.call("ecs", "DescribeServices", &resource, request)
                    .await
            }
        })
        .buffered(ctx.concurrency());
    futures::pin_mut!(batches);
    let mut out = Vec::with_capacity(names.len());
    while let Some(answer) = batches.next().await {
        out.extend(answer?.services.unwrap_or_default());
    }
    Ok(out)
}

/// The task definitions `arns` name, read once each (cached ones cost no call), overlapping
/// up to [`Context::concurrency`].
async fn task_definitions(
    ctx: &Context,
    region: &str,
    arns: BTreeSet<String>,
) -> HashMap<String, Lookup<LiveTaskDefinition>> {
    let read = bounded(ctx, arns, |arn| async move {
        let lookup = match task_definition(ctx, region, &arn).await {
            Ok(td) => Lookup::Found(td),
            Err(e) => Lookup::Failed(LookupError::from_error(&e)),
        };
        (arn, lookup)
    })
    .await;
    read.into_iter().collect()
}

/// The task definition a service runs without reading it, when the service records that the
/// controller put that revision in place from a manifest `taskDefinition` that still has the
/// same fingerprint (see [`crate::ownership::TAG_TASK_DEFINITION`]): revisions never change, so
/// the live one is the manifest's, with role names as ECS stores them.
fn recorded_task_definition(
    service: &LiveService,
    desired: &HashMap<&str, (String, &TaskDefinition)>,
) -> Option<LiveTaskDefinition> {
    let arn = service.task_definition_arn.as_deref()?;
    let (fingerprint, definition) = desired.get(service.name.as_str())?;
    if !ownership::records_task_definition(&service.tags, arn, fingerprint) {
        return None;
    }
    Some(LiveTaskDefinition {
        arn: arn.to_owned(),
        revision: arn.rsplit(':').next()?.parse().ok()?,
        status: "ACTIVE".to_owned(),
        definition: canon::qualify_roles((*definition).clone(), arn),
    })
}

/// A described ECS service, converted, with the task definition it records (if it does).
struct Described {
    service: LiveService,
    recorded: Option<LiveTaskDefinition>,
}

impl Described {
    fn new(
        service: &aws_sdk_ecs::types::Service,
        desired: &HashMap<&str, (String, &TaskDefinition)>,
    ) -> Self {
        let service = convert::service_from_sdk(service);
        let recorded = recorded_task_definition(&service, desired);
        Self { service, recorded }
    }

    /// The service with the task definition it runs (recorded, else from `revisions`).
    fn observed(self, revisions: &HashMap<String, Lookup<LiveTaskDefinition>>) -> LiveEcsService {
        let task_definition = match self.recorded {
            Some(td) => Lookup::Found(td),
            None => self
                .service
                .task_definition_arn
                .as_ref()
                .and_then(|arn| revisions.get(arn).cloned())
                .unwrap_or(Lookup::Missing),
        };
        LiveEcsService {
            service: Lookup::Found(self.service),
            task_definition,
            ..LiveEcsService::default()
        }
    }
}

/// The described (not inactive) services of one cluster, or why they could not be read.
struct ClusterServices {
    cluster: String,
    names: Vec<String>,
    described: Result<Vec<Described>>,
}

pub(super) async fn observe_services(
    ctx: &Context,
    region: &str,
    in_region: &[&Resource],
    live: &mut LiveState,
) {
    let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut clusters_in_manifests = BTreeSet::new();
    let mut desired: HashMap<&str, (String, &TaskDefinition)> = HashMap::new();
    for r in in_region {
        match &r.spec {
            ResourceSpec::Service(svc) => {
                desired.insert(
                    r.name(),
                    (svc.task_definition.fingerprint(), &svc.task_definition),
                );
                by_cluster
                    .entry(svc.cluster.as_str())
                    .or_default()
                    .push(r.name().to_owned());
            }
            ResourceSpec::Cluster(_) => {
                clusters_in_manifests.insert(r.name().to_owned());
            }
            ResourceSpec::Namespace(_) => {}
        }
    }
    // A cluster this set creates and that does not exist yet has no services.
    let (missing, existing): (Vec<_>, Vec<_>) = by_cluster.into_iter().partition(|(cluster, _)| {
        live.clusters
            .get(*cluster)
            .is_some_and(|l| matches!(l, Lookup::Missing))
    });
    for name in missing.into_iter().flat_map(|(_, names)| names) {
        live.services.insert(name, LiveEcsService::default());
    }
    let existing: Vec<(String, Vec<String>)> = existing
        .into_iter()
        .map(|(cluster, names)| (cluster.to_owned(), names))
        .collect();
    let wanted = &desired;
    let described = bounded(ctx, existing, |(cluster, names)| async move {
        let described = describe_services(ctx, region, &cluster, &names)
            .await
            .map(|services| {
                services
                    .iter()
                    .filter(|s| s.status() != Some("INACTIVE"))
                    .map(|s| Described::new(s, wanted))
                    .collect()
            });
        ClusterServices {
            cluster,
            names,
            described,
        }
    })
    .await;
    // Each revision in use once, whatever number of services run it, and none a service
    // records.
    let arns: BTreeSet<String> = described
        .iter()
        .filter_map(|c| c.described.as_ref().ok())
        .flatten()
        .filter(|d| d.recorded.is_none())
        .filter_map(|d| d.service.task_definition_arn.clone())
        .collect();
    let revisions = task_definitions(ctx, region, arns).await;
    for ClusterServices {
        cluster,
        names,
        described,
    } in described
    {
        match described {
            Ok(services) => {
                let mut by_name: HashMap<String, Described> = services
                    .into_iter()
                    .map(|d| (d.service.name.clone(), d))
                    .collect();
                for name in names {
                    let entry = by_name
                        .remove(&name)
                        .map_or_else(LiveEcsService::default, |d| d.observed(&revisions));
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
                    let entry = if not_found && clusters_in_manifests.contains(&cluster) {
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
