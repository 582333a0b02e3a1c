//! Pruning: which unclaimed live resources are this instance's orphans, and their deletes.

use serde_json::Value;

use super::{Action, Condition, ResourcePlan, Status, owned_by};
use crate::diff::{Change, ChangeAction};
use crate::live::{OrphanTarget, Unclaimed};
use crate::manifest::{DriftPolicy, Kind, ResourceKey};
use crate::ownership;

/// A resource owned by this controller instance whose manifest is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The manifest object it belonged to (from the `ecs.finfocus.io/object` tag).
    pub key: ResourceKey,
    /// Region.
    pub region: String,
    /// What it is.
    pub target: OrphanTarget,
}

impl Orphan {
    /// Delete order: ECS services, then Cloud Map services, then namespaces, then clusters.
    #[must_use]
    pub fn delete_rank(&self) -> u8 {
        match self.target {
            OrphanTarget::EcsService { .. } => 0,
            OrphanTarget::DiscoveryService { .. } => 1,
            OrphanTarget::Namespace { .. } => 2,
            OrphanTarget::Cluster { .. } => 3,
        }
    }

    /// The kind of the orphaned object.
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.key.kind
    }
}

/// The unclaimed resources this instance owns, in delete order: they are its orphans.
#[must_use]
pub fn orphans(unclaimed: &[Unclaimed], instance: &str) -> Vec<Orphan> {
    let mut orphans: Vec<Orphan> = unclaimed
        .iter()
        .filter(|u| owned_by(&u.tags, instance))
        .filter_map(|u| {
            Some(Orphan {
                // The object tag names the manifest object; absent or malformed, not ours to prune.
                key: u
                    .tags
                    .get(ownership::TAG_OBJECT)
                    .and_then(|v| ResourceKey::parse(v))?,
                region: u.region.clone(),
                target: u.target.clone(),
            })
        })
        .collect();
    orphans.sort_by(|a, b| (a.delete_rank(), &a.key).cmp(&(b.delete_rank(), &b.key)));
    orphans
}

pub(super) fn plan_orphan(orphan: &Orphan, pruned_clusters: &[&str]) -> ResourcePlan {
    let mut rp = ResourcePlan::new(orphan.key.clone(), &orphan.region, DriftPolicy::Enforce);
    rp.status = Status::Drifted;
    let (what, action) = match &orphan.target {
        OrphanTarget::EcsService {
            cluster,
            name,
            desired_count,
            ..
        } => (
            format!("ECS service {cluster}/{name}"),
            Action::DeleteService {
                cluster: cluster.clone(),
                name: name.clone(),
                scale_down: *desired_count > 0,
                wait_inactive: pruned_clusters.contains(&cluster.as_str()),
            },
        ),
        OrphanTarget::DiscoveryService { id, name, .. } => (
            format!("Cloud Map service `{name}`"),
            Action::DeleteDiscoveryService {
                id: id.clone(),
                name: name.clone(),
            },
        ),
        OrphanTarget::Namespace { id, name, .. } => (
            format!("namespace `{name}`"),
            Action::DeleteNamespace {
                id: id.clone(),
                name: name.clone(),
            },
        ),
        OrphanTarget::Cluster { name, .. } => (
            format!("cluster `{name}`"),
            Action::DeleteCluster { name: name.clone() },
        ),
    };
    let arn = orphan.target.arn().to_owned();
    rp.arn = Some(arn.clone());
    rp.changes.push(Change::new(
        String::new(),
        None,
        Some(Value::String(arn)),
        ChangeAction::Delete,
    ));
    rp.conditions.push(Condition::new(
        "InSync",
        false,
        "Orphaned",
        format!("{what} is owned by this controller but no manifest describes it; pruned"),
    ));
    rp.actions.push(action);
    rp
}
