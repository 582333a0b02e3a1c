//! Executing a [`Plan`]: resources in plan order, each resource's actions in order.
//!
//! # Guarantees
//! - Idempotent: every action is planned from the live state, so running `apply` again after
//!   a success makes no write call; after a failure midway, the next `apply` observes what
//!   was done and continues (a task definition registered before a failed `CreateService` is
//!   reused, not registered again).
//! - One failing resource does not stop the others; it is reported in [`ApplyOutcome`].
//! - A resource whose plan is blocked (not owned, replacement not allowed, lookup failed)
//!   runs the actions it may (in-place updates) and is then reported as not converged.

use std::collections::BTreeMap;

use crate::aws::{Context, ops};
use crate::manifest::ResourceKey;
use crate::plan::{Action, ArnRef, Plan, RegistryUpdate, ResourcePlan};
use crate::{Error, Result, ownership};

/// What happened to one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceOutcome {
    /// Executed steps, in order (e.g. `RegisterTaskDefinition finfocus (revision reused)`).
    pub done: Vec<String>,
    /// The task definition ARN this apply registered (or reused) or put on the ECS service;
    /// `None` when it touched no task definition. Rollout tracking starts from it.
    pub task_definition: Option<String>,
}

/// What happened to every resource of a plan.
#[derive(Debug, Default)]
pub struct ApplyOutcome {
    /// Per resource, in plan order.
    pub resources: Vec<(ResourceKey, Result<ResourceOutcome>)>,
}

impl ApplyOutcome {
    /// Whether every resource converged.
    #[must_use]
    pub fn converged(&self) -> bool {
        self.resources.iter().all(|(_, r)| r.is_ok())
    }

    /// The resources that did not converge, with their error.
    #[must_use]
    pub fn failures(&self) -> Vec<(&ResourceKey, &Error)> {
        self.resources
            .iter()
            .filter_map(|(k, r)| r.as_ref().err().map(|e| (k, e)))
            .collect()
    }
}

/// Applies a whole plan in order.
///
/// # Errors
/// None today: per-resource failures are in the outcome (see [`ApplyOutcome::converged`]).
pub async fn apply(ctx: &Context, plan: &Plan) -> Result<ApplyOutcome> {
    let mut outcome = ApplyOutcome::default();
    for rp in &plan.resources {
        let result = apply_resource(ctx, rp).await;
        match &result {
            Ok(o) => tracing::info!(resource = %rp.key, steps = o.done.len(), "applied"),
            Err(e) => tracing::warn!(resource = %rp.key, error = %e, "not converged"),
        }
        outcome.resources.push((rp.key.clone(), result));
    }
    Ok(outcome)
}

/// ARNs produced by earlier actions of the same resource.
#[derive(Default)]
struct Produced {
    task_definition: Option<String>,
    registry: Option<String>,
}

fn resolve(r: &ArnRef, produced: Option<&String>, what: &str, key: &ResourceKey) -> Result<String> {
    match r {
        ArnRef::Known(arn) => Ok(arn.clone()),
        ArnRef::FromPreviousAction => produced.cloned().ok_or_else(|| Error::Conflict {
            resource: key.to_string(),
            message: format!("the plan uses a {what} that no earlier action produced"),
        }),
    }
}

/// Applies one resource's actions in order.
///
/// # Errors
/// The first failing action's error, or [`Error::Conflict`] when the plan is blocked.
pub async fn apply_resource(ctx: &Context, rp: &ResourcePlan) -> Result<ResourceOutcome> {
    let placed = if rp.actions.is_empty() {
        None
    } else {
        ctx.acting_in(&rp.place())?
    };
    let ctx = placed.as_deref().unwrap_or(ctx);
    let region = rp.region.as_str();
    let mut outcome = ResourceOutcome::default();
    let mut produced = Produced::default();
    for action in &rp.actions {
        let mut note = action.describe();
        match action {
            Action::CreateNamespace {
                name,
                vpc,
                description,
                soa_ttl,
                tags,
            } => {
                let id = ops::create_namespace(
                    ctx,
                    region,
                    name,
                    vpc,
                    description.as_deref(),
                    *soa_ttl,
                    tags,
                )
                .await?;
                note = format!("{note} ({id})");
            }
            Action::UpdateNamespace {
                id,
                name,
                description,
                soa_ttl,
            } => {
                ops::update_namespace(ctx, region, id, name, description.as_deref(), *soa_ttl)
                    .await?
            }
            Action::TagCloudMap { arn, tags } => ops::tag_cloudmap(ctx, region, arn, tags).await?,
            Action::TagEcs { arn, tags } => ops::tag_ecs(ctx, region, arn, tags).await?,
            Action::UntagCloudMap { arn, keys } => {
                ops::untag_cloudmap(ctx, region, arn, keys).await?
            }
            Action::UntagEcs { arn, keys } => ops::untag_ecs(ctx, region, arn, keys).await?,
            Action::CreateCluster {
                name,
                settings,
                capacity_providers,
                default_capacity_provider_strategy,
                tags,
            } => {
                ops::create_cluster(
                    ctx,
                    region,
                    name,
                    settings,
                    capacity_providers.as_deref(),
                    default_capacity_provider_strategy.as_deref(),
                    tags,
                )
                .await?;
            }
            Action::PutClusterCapacityProviders {
                name,
                capacity_providers,
                default_capacity_provider_strategy,
            } => {
                ops::put_cluster_capacity_providers(
                    ctx,
                    region,
                    name,
                    capacity_providers,
                    default_capacity_provider_strategy,
                )
                .await?;
            }
            Action::UpdateClusterSettings { name, settings } => {
                ops::update_cluster_settings(ctx, region, name, settings).await?;
            }
            Action::UpdateClusterConfiguration {
                name,
                configuration,
                service_connect_namespace,
            } => {
                ops::update_cluster_configuration(
                    ctx,
                    region,
                    name,
                    configuration.as_ref(),
                    service_connect_namespace.as_deref(),
                )
                .await?;
            }
            Action::CreateDiscoveryService {
                namespace,
                namespace_id,
                spec,
                tags,
            } => {
                let id = match namespace_id {
                    Some(id) => id.clone(),
                    None => ops::namespace_id(ctx, region, namespace)
                        .await?
                        .ok_or_else(|| Error::Conflict {
                            resource: rp.key.to_string(),
                            message: format!(
                                "namespace `{namespace}` does not exist (yet) in {region}"
                            ),
                        })?,
                };
                let arn = ops::create_discovery_service(ctx, region, &id, spec, tags).await?;
                produced.registry = Some(arn);
            }
            Action::UpdateDiscoveryService {
                id,
                name,
                description,
                dns_records,
            } => {
                ops::update_discovery_service(
                    ctx,
                    region,
                    id,
                    name,
                    description.as_deref(),
                    dns_records,
                )
                .await?;
            }
            Action::DeleteDiscoveryService { id, name } => {
                ops::delete_discovery_service(ctx, region, id, name).await?
            }
            Action::RegisterTaskDefinition { definition, tags } => {
                let (arn, registered) =
                    ops::register_task_definition(ctx, region, definition, tags).await?;
                note = if registered {
                    format!("{note} -> {arn}")
                } else {
                    format!("{note}: reused {arn}")
                };
                outcome.task_definition = Some(arn.clone());
                produced.task_definition = Some(arn);
            }
            Action::DeregisterTaskDefinition { arn } => {
                ops::deregister_task_definition(ctx, region, arn).await?;
            }
            Action::CreateService {
                cluster,
                name,
                settings,
                task_definition,
                registry,
                tags,
            } => {
                let td = resolve(
                    task_definition,
                    produced.task_definition.as_ref(),
                    "task definition",
                    &rp.key,
                )?;
                let reg = registry
                    .as_ref()
                    .map(|r| {
                        resolve(
                            &r.arn,
                            produced.registry.as_ref(),
                            "Cloud Map service",
                            &rp.key,
                        )
                        .map(|arn| r.entry(arn))
                    })
                    .transpose()?;
                let mut tags = tags.clone();
                if let Some(fingerprint) = &rp.task_definition_fingerprint {
                    tags.insert(
                        ownership::TAG_TASK_DEFINITION.to_owned(),
                        ownership::task_definition_record(&td, fingerprint),
                    );
                }
                ops::create_service(
                    ctx,
                    region,
                    cluster,
                    name,
                    settings,
                    &td,
                    reg.as_ref(),
                    &tags,
                )
                .await?;
                outcome.task_definition = Some(td);
            }
            Action::UpdateService {
                cluster,
                name,
                patch,
                task_definition,
                registries,
                force_new_deployment,
            } => {
                let td = task_definition
                    .as_ref()
                    .map(|r| {
                        resolve(
                            r,
                            produced.task_definition.as_ref(),
                            "task definition",
                            &rp.key,
                        )
                    })
                    .transpose()?;
                let regs = match registries {
                    RegistryUpdate::Keep => None,
                    RegistryUpdate::Clear => Some(Vec::new()),
                    RegistryUpdate::Set(r) => Some(vec![r.entry(resolve(
                        &r.arn,
                        produced.registry.as_ref(),
                        "Cloud Map service",
                        &rp.key,
                    )?)]),
                };
                ops::update_service(
                    ctx,
                    region,
                    cluster,
                    name,
                    &ops::ServiceUpdate {
                        patch,
                        task_definition: td.as_deref(),
                        service_registries: regs.as_deref(),
                        force_new_deployment: *force_new_deployment,
                    },
                )
                .await?;
                // The new revision is recorded on the service, so that a cold pass need not
                // read it (see `ownership::TAG_TASK_DEFINITION`).
                if let (Some(td), Some(fingerprint), Some(service)) =
                    (&td, &rp.task_definition_fingerprint, &rp.arn)
                {
                    let record = BTreeMap::from([(
                        ownership::TAG_TASK_DEFINITION.to_owned(),
                        ownership::task_definition_record(td, fingerprint),
                    )]);
                    ops::tag_ecs(ctx, region, service, &record).await?;
                }
                if td.is_some() {
                    outcome.task_definition = td;
                }
            }
            Action::DeleteService {
                cluster,
                name,
                scale_down,
                wait_inactive,
            } => {
                ops::delete_service(ctx, region, cluster, name, *scale_down, *wait_inactive).await?
            }
            Action::DeleteNamespace { id, name } => {
                ops::delete_namespace(ctx, region, id, name).await?
            }
            Action::DeleteCluster { name } => ops::delete_cluster(ctx, region, name).await?,
        }
        tracing::debug!(resource = %rp.key, step = %note, "done");
        outcome.done.push(note);
    }
    if let Some(reason) = &rp.blocked {
        return Err(Error::Conflict {
            resource: rp.key.to_string(),
            message: reason.clone(),
        });
    }
    Ok(outcome)
}
