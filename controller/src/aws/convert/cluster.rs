//! ECS clusters: settings, capacity providers and default strategy, both ways.

use aws_sdk_ecs::types as ecs;
use aws_smithy_types::error::operation::BuildError;

use crate::manifest::spec::{
    CapacityProviderStrategyItem, ClusterConfiguration, ClusterSetting,
    ExecuteCommandConfiguration, ExecuteCommandLogConfiguration, ManagedStorageConfiguration,
};

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

/// A cluster's execute command and managed storage configuration, as AWS reports it.
pub(crate) fn cluster_configuration_from_sdk(
    c: &ecs::ClusterConfiguration,
) -> ClusterConfiguration {
    ClusterConfiguration {
        execute_command_configuration: c.execute_command_configuration().map(|e| {
            ExecuteCommandConfiguration {
                kms_key_id: e.kms_key_id().map(str::to_owned),
                logging: e.logging().map(|l| l.as_str().to_owned()),
                log_configuration: e
                    .log_configuration()
                    .map(|l| ExecuteCommandLogConfiguration {
                        cloud_watch_log_group_name: l
                            .cloud_watch_log_group_name()
                            .map(str::to_owned),
                        cloud_watch_encryption_enabled: Some(l.cloud_watch_encryption_enabled()),
                        s3_bucket_name: l.s3_bucket_name().map(str::to_owned),
                        s3_encryption_enabled: Some(l.s3_encryption_enabled()),
                        s3_key_prefix: l.s3_key_prefix().map(str::to_owned),
                    }),
            }
        }),
        managed_storage_configuration: c.managed_storage_configuration().map(|m| {
            ManagedStorageConfiguration {
                kms_key_id: m.kms_key_id().map(str::to_owned),
                fargate_ephemeral_storage_kms_key_id: m
                    .fargate_ephemeral_storage_kms_key_id()
                    .map(str::to_owned),
            }
        }),
    }
}

/// A cluster configuration for a request.
pub(crate) fn cluster_configuration_to_sdk(c: &ClusterConfiguration) -> ecs::ClusterConfiguration {
    ecs::ClusterConfiguration::builder()
        .set_execute_command_configuration(c.execute_command_configuration.as_ref().map(|e| {
            ecs::ExecuteCommandConfiguration::builder()
                .set_kms_key_id(e.kms_key_id.clone())
                .set_logging(e.logging.as_deref().map(Into::into))
                .set_log_configuration(e.log_configuration.as_ref().map(|l| {
                    ecs::ExecuteCommandLogConfiguration::builder()
                        .set_cloud_watch_log_group_name(l.cloud_watch_log_group_name.clone())
                        .set_cloud_watch_encryption_enabled(l.cloud_watch_encryption_enabled)
                        .set_s3_bucket_name(l.s3_bucket_name.clone())
                        .set_s3_encryption_enabled(l.s3_encryption_enabled)
                        .set_s3_key_prefix(l.s3_key_prefix.clone())
                        .build()
                }))
                .build()
        }))
        .set_managed_storage_configuration(c.managed_storage_configuration.as_ref().map(|m| {
            ecs::ManagedStorageConfiguration::builder()
                .set_kms_key_id(m.kms_key_id.clone())
                .set_fargate_ephemeral_storage_kms_key_id(
                    m.fargate_ephemeral_storage_kms_key_id.clone(),
                )
                .build()
        }))
        .build()
}
