//! Every conversion between SDK types and the manifest model lives here, one file per
//! resource kind; the shared helpers and tag conversions are in this file.
//!
//! `*_from_sdk` read live values into the model (read-only fields such as `revision`,
//! `status` or `registeredAt` are simply not carried over); `*_to_sdk` build request pieces
//! from the model. Builders with required fields return `BuildError`, which only a model
//! that skipped validation can trigger.

mod cloud_map;
mod cluster;
mod delivery;
mod service;
mod task_definition;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ecs::types as ecs;
use aws_sdk_servicediscovery::types as sd;
use aws_smithy_types::error::operation::BuildError;

pub(crate) use self::cloud_map::{
    discovery_from_get, discovery_from_sdk, dns_config_to_sdk, dns_records_to_sdk,
    namespace_from_get, namespace_from_sdk, namespace_soa_ttl,
};
pub(crate) use self::cluster::{
    cluster_capacity_from_sdk, cluster_configuration_from_sdk, cluster_configuration_to_sdk,
    cluster_settings_from_sdk, cluster_settings_to_sdk, strategy_to_sdk,
};
pub(crate) use self::service::{
    ServiceParts, service_from_sdk, service_parts, service_registry_to_sdk,
};
pub(crate) use self::task_definition::{register_parts, task_definition_from_sdk};

fn strs<T: AsRef<str>>(v: &[T]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.iter().map(|s| s.as_ref().to_owned()).collect())
}

fn map_from(m: Option<&HashMap<String, String>>) -> Option<BTreeMap<String, String>> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn map_to(m: Option<&BTreeMap<String, String>>) -> Option<HashMap<String, String>> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn list<S, T>(v: &[S], f: impl Fn(&S) -> T) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.iter().map(f).collect())
}

fn try_list<S, T>(
    v: Option<&Vec<S>>,
    f: impl Fn(&S) -> Result<T, BuildError>,
) -> Result<Option<Vec<T>>, BuildError> {
    v.map(|v| v.iter().map(f).collect()).transpose()
}

fn en<T: for<'a> From<&'a str>>(s: Option<&String>) -> Option<T> {
    s.map(|s| T::from(s.as_str()))
}

/// ECS tags as a map.
pub(crate) fn ecs_tags_from_sdk(tags: &[ecs::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// A map as ECS tags.
pub(crate) fn ecs_tags_to_sdk(tags: &BTreeMap<String, String>) -> Vec<ecs::Tag> {
    tags.iter()
        .map(|(k, v)| ecs::Tag::builder().key(k).value(v).build())
        .collect()
}

/// Cloud Map tags as a map.
pub(crate) fn cloudmap_tags_from_sdk(tags: &[sd::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// A map as Cloud Map tags.
pub(crate) fn cloudmap_tags_to_sdk(
    tags: &BTreeMap<String, String>,
) -> Result<Vec<sd::Tag>, BuildError> {
    tags.iter()
        .map(|(k, v)| sd::Tag::builder().key(k).value(v).build())
        .collect()
}

#[cfg(test)]
mod tests;
