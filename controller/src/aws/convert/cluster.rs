//! ECS clusters: settings, capacity providers and default strategy, both ways.

use aws_sdk_ecs::types as ecs;
use aws_smithy_types::error::operation::BuildError;

use crate::manifest::spec::{CapacityProviderStrategyItem, ClusterSetting};

/// Cluster settings read from AWS.
pub(crate) fn cluster_settings_from_sdk(c: &ecs::Cluster) -> Vec<ClusterSetting> {
    c.settings()
        .iter()
        .map(|s| ClusterSetting {
            name: s.name().map(|n| n.as_str().to_owned()).unwrap_or_default(),
            value: s.value().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Capacity providers of a cluster as AWS reports them.
pub(crate) fn cluster_capacity_from_sdk(
    c: &ecs::Cluster,
) -> (Vec<String>, Vec<CapacityProviderStrategyItem>) {
    (
        c.capacity_providers().to_vec(),
        c.default_capacity_provider_strategy()
            .iter()
            .map(strategy_item_from_sdk)
            .collect(),
    )
}

pub(super) fn strategy_item_from_sdk(
    c: &ecs::CapacityProviderStrategyItem,
) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem {
        capacity_provider: c.capacity_provider().to_owned(),
        weight: Some(c.weight()),
        base: Some(c.base()),
    }
}

/// A capacity provider strategy for a request.
pub(crate) fn strategy_to_sdk(
    items: &[CapacityProviderStrategyItem],
) -> Result<Vec<ecs::CapacityProviderStrategyItem>, BuildError> {
    items
        .iter()
        .map(|c| {
            ecs::CapacityProviderStrategyItem::builder()
                .capacity_provider(&c.capacity_provider)
                .set_weight(c.weight)
                .set_base(c.base)
                .build()
        })
        .collect()
}

/// Cluster settings for a request.
pub(crate) fn cluster_settings_to_sdk(settings: &[ClusterSetting]) -> Vec<ecs::ClusterSetting> {
    settings
        .iter()
        .map(|s| {
            ecs::ClusterSetting::builder()
                .name(s.name.as_str().into())
                .value(&s.value)
                .build()
        })
        .collect()
}
