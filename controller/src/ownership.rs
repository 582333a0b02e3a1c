//! Ownership: the tags that mark a live resource as this controller's, and how to read them.
//!
//! A leaf both sides use: [`crate::aws`] writes these tags and [`crate::plan`] decides from
//! them which live resources it may change or prune.

use std::collections::BTreeMap;

use crate::manifest::ResourceKey;

/// Tag key marking a resource as created (or adopted) by this controller.
pub const TAG_MANAGED_BY: &str = "ecs.finfocus.io/managed-by";
/// Value of [`TAG_MANAGED_BY`].
pub const MANAGED_BY_VALUE: &str = "finfocus-ecs-controller";
/// Tag key naming the manifest object (`<Kind>/<name>`) a resource belongs to.
pub const TAG_OBJECT: &str = "ecs.finfocus.io/object";
/// Tag key naming the controller instance that owns a resource (flag `--instance`).
pub const TAG_INSTANCE: &str = "ecs.finfocus.io/instance";

/// The ownership tags every managed resource carries.
#[must_use]
pub fn ownership_tags(object: &str, instance: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED_BY.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (TAG_OBJECT.to_owned(), object.to_owned()),
        (TAG_INSTANCE.to_owned(), instance.to_owned()),
    ])
}

/// Whether tags mark a resource as managed by some instance of this controller.
#[must_use]
pub fn managed(tags: &BTreeMap<String, String>) -> bool {
    tags.get(TAG_MANAGED_BY).map(String::as_str) == Some(MANAGED_BY_VALUE)
}

/// Whether tags mark a resource as owned by this controller instance.
#[must_use]
pub fn owned_by(tags: &BTreeMap<String, String>, instance: &str) -> bool {
    managed(tags) && tags.get(TAG_INSTANCE).map(String::as_str) == Some(instance)
}

/// The manifest object a resource's tags name (`None` when absent or malformed).
#[must_use]
pub fn object_key(tags: &BTreeMap<String, String>) -> Option<ResourceKey> {
    tags.get(TAG_OBJECT).and_then(|v| ResourceKey::parse(v))
}
