//! Ownership: the tags that mark a live resource as this controller's, and how to read them.
//!
//! A leaf (it imports no other module of the crate) both sides use: [`crate::aws`] writes these tags and [`crate::plan`] decides from
//! them which live resources it may change or prune.
//!
//! # Managed tag keys
//! Besides the ownership tags, every managed resource carries [`TAG_MANAGED_TAGS`]: the keys of
//! the manifest's own tags at the last apply. A key recorded there and gone from the manifest is
//! removed from AWS; a key neither in the manifest nor recorded (added by another tool, or on a
//! resource tagged before the record existed) is left alone.
//!
//! A manifest without tags of its own writes no record (none is needed), and drops a record
//! left from earlier tags.
//!
//! The record is a tag value, so it uses only what AWS allows there (letters, digits, spaces
//! and `_ . : / = + - @`, at most 256 characters): the keys, sorted, separated by one space,
//! with `+` and space inside a key written `+2B` and `+20`. A manifest whose keys do not fit
//! in 256 characters is rejected when it is loaded ([`managed_keys_record`] is what is
//! measured), so a record is never cut short.

use std::collections::{BTreeMap, BTreeSet};

/// Tag key marking a resource as created (or adopted) by this controller.
pub const TAG_MANAGED_BY: &str = "ecs.finfocus.io/managed-by";
/// Value of [`TAG_MANAGED_BY`].
pub const MANAGED_BY_VALUE: &str = "finfocus-ecs-controller";
/// Tag key naming the manifest object (`<Kind>/<name>`) a resource belongs to.
pub const TAG_OBJECT: &str = "ecs.finfocus.io/object";
/// Tag key naming the controller instance that owns a resource (flag `--instance`).
pub const TAG_INSTANCE: &str = "ecs.finfocus.io/instance";
/// Tag key recording which of the manifest's tag keys the controller manages (module docs).
pub const TAG_MANAGED_TAGS: &str = "ecs.finfocus.io/managed-tags";
/// Tag key recording which optional fields of an ECS service or cluster the manifest set at
/// the last apply: their names, sorted, separated by one space (letters only, well within the
/// 256 characters of a tag value). A field recorded there and gone from the manifest is sent
/// in its "off" form; a field never recorded is left to whoever set it.
pub const TAG_MANAGED_FIELDS: &str = "ecs.finfocus.io/managed-fields";
/// Tag key on an ECS service recording the task definition revision the controller put in
/// place and a fingerprint of the manifest's `taskDefinition` it came from (`family:revision
/// <fingerprint>`). Revisions never change, so while the service runs that revision and the
/// manifest still has that fingerprint, the live task definition is the manifest's and a cold
/// pass need not read it ([`task_definition_record`]). Bookkeeping only: never part of a tag
/// diff.
pub const TAG_TASK_DEFINITION: &str = "ecs.finfocus.io/task-definition";
/// How many tags the controller adds to the manifest's own.
pub const RESERVED_TAGS: usize = 6;
/// The longest tag value AWS accepts (ECS and Cloud Map alike).
pub const MAX_TAG_VALUE: usize = 256;

/// The [`TAG_TASK_DEFINITION`] value for the revision `task_definition_arn` registered from a
/// manifest `taskDefinition` with `fingerprint`.
#[must_use]
pub fn task_definition_record(task_definition_arn: &str, fingerprint: &str) -> String {
    let revision = task_definition_arn
        .rsplit('/')
        .next()
        .unwrap_or(task_definition_arn);
    format!("{revision} {fingerprint}")
}

/// Whether `tags` (an ECS service's) record that the service's revision `task_definition_arn`
/// came from a manifest `taskDefinition` with `fingerprint`.
#[must_use]
pub fn records_task_definition(
    tags: &BTreeMap<String, String>,
    task_definition_arn: &str,
    fingerprint: &str,
) -> bool {
    tags.get(TAG_TASK_DEFINITION)
        .is_some_and(|v| *v == task_definition_record(task_definition_arn, fingerprint))
}

/// Whether a tag key belongs to the controller or to AWS and is never written from a manifest
/// nor removed as a manifest tag.
#[must_use]
pub fn reserved_key(key: &str) -> bool {
    key.starts_with("ecs.finfocus.io/") || aws_reserved(key)
}

/// Whether a tag key or value starts with `aws:` in any case, which AWS reserves for itself.
#[must_use]
pub fn aws_reserved(text: &str) -> bool {
    text.get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
}

/// The [`TAG_MANAGED_TAGS`] value recording `keys` (see the module docs for the encoding).
#[must_use]
pub fn managed_keys_record<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    let keys: BTreeSet<&str> = keys.into_iter().collect();
    let encoded: Vec<String> = keys
        .into_iter()
        .map(|k| k.replace('+', "+2B").replace(' ', "+20"))
        .collect();
    encoded.join(" ")
}

/// The keys a [`TAG_MANAGED_TAGS`] value records; the inverse of [`managed_keys_record`].
#[must_use]
pub fn recorded_keys(record: &str) -> BTreeSet<String> {
    record
        .split(' ')
        .filter(|k| !k.is_empty())
        .map(|k| k.replace("+20", " ").replace("+2B", "+"))
        .collect()
}

/// Every tag a managed resource should carry: the manifest's own, the ownership tags and the
/// record of the manifest's keys.
#[must_use]
pub fn desired_tags(
    manifest: &BTreeMap<String, String>,
    object: &str,
    instance: &str,
) -> BTreeMap<String, String> {
    let mut tags = manifest.clone();
    tags.extend(ownership_tags(object, instance));
    // No record means no managed keys, so a manifest without tags writes none.
    if !manifest.is_empty() {
        tags.insert(
            TAG_MANAGED_TAGS.to_owned(),
            managed_keys_record(manifest.keys().map(String::as_str)),
        );
    }
    tags
}

/// How a live resource's tags get to the desired ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagDelta {
    /// Tags to add or set to another value.
    pub add: BTreeMap<String, String>,
    /// Keys to remove: recorded as managed, still live, no longer desired.
    pub remove: Vec<String>,
}

impl TagDelta {
    /// Whether nothing needs to change.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// Compares desired tags (from [`desired_tags`]) with live ones. Only keys the live record
/// names are ever removed, so tags of other tools and of resources without a record stay.
#[must_use]
pub fn tag_delta(desired: &BTreeMap<String, String>, live: &BTreeMap<String, String>) -> TagDelta {
    let add = desired
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let recorded = live
        .get(TAG_MANAGED_TAGS)
        .map(|r| recorded_keys(r))
        .unwrap_or_default();
    let mut remove: Vec<String> = recorded
        .into_iter()
        .filter(|k| !reserved_key(k) && live.contains_key(k) && !desired.contains_key(k))
        .collect();
    // The manifest has no tags (or recorded fields) left: the record goes with them.
    for record in [TAG_MANAGED_TAGS, TAG_MANAGED_FIELDS] {
        if live.contains_key(record) && !desired.contains_key(record) {
            remove.push(record.to_owned());
        }
    }
    TagDelta { add, remove }
}

/// The [`TAG_MANAGED_FIELDS`] value naming `fields`, or `None` when there are none.
#[must_use]
pub fn managed_fields_record<'a>(fields: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let fields: BTreeSet<&str> = fields.into_iter().collect();
    (!fields.is_empty()).then(|| fields.into_iter().collect::<Vec<_>>().join(" "))
}

/// The field names a [`TAG_MANAGED_FIELDS`] tag records (none without the tag).
#[must_use]
pub fn recorded_fields(tags: &BTreeMap<String, String>) -> BTreeSet<String> {
    tags.get(TAG_MANAGED_FIELDS)
        .map(|r| {
            r.split(' ')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_record_round_trips_keys_with_spaces_and_pluses() {
        let keys = ["team", "cost center", "a+b", "x+20y", "aws-ish:k/v=1@"];
        let record = managed_keys_record(keys);
        assert!(!record.contains("  "), "{record}");
        assert_eq!(
            recorded_keys(&record),
            keys.iter()
                .map(|k| (*k).to_owned())
                .collect::<BTreeSet<_>>()
        );
        assert_eq!(managed_keys_record([]), "");
        assert!(recorded_keys("").is_empty());
    }

    #[test]
    fn the_record_uses_only_the_tag_value_charset() {
        let record = managed_keys_record(["cost center", "a+b", "team"]);
        assert_eq!(record, "a+2Bb cost+20center team");
        assert!(
            record
                .chars()
                .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c))
        );
    }

    #[test]
    fn a_key_removed_from_the_manifest_is_removed_when_recorded() {
        let desired = desired_tags(&tags(&[("team", "a")]), "EcsCluster/c", "i");
        let mut live = desired_tags(&tags(&[("team", "a"), ("env", "dev")]), "EcsCluster/c", "i");
        live.insert("owner".into(), "someone-else".into());
        let delta = tag_delta(&desired, &live);
        assert_eq!(delta.remove, ["env"]);
        assert_eq!(
            delta.add,
            tags(&[(TAG_MANAGED_TAGS, "team")]),
            "only the record changes"
        );
    }

    #[test]
    fn unrecorded_keys_are_left_alone() {
        // Tagged before the record existed: nothing is known to be managed.
        let desired = desired_tags(&tags(&[("team", "a")]), "EcsCluster/c", "i");
        let mut live = ownership_tags("EcsCluster/c", "i");
        live.insert("env".into(), "dev".into());
        live.insert("team".into(), "a".into());
        let delta = tag_delta(&desired, &live);
        assert!(delta.remove.is_empty());
        assert_eq!(delta.add, tags(&[(TAG_MANAGED_TAGS, "team")]));
    }

    #[test]
    fn reserved_and_absent_keys_are_never_removed() {
        let desired = desired_tags(&BTreeMap::new(), "EcsCluster/c", "i");
        let mut live = desired.clone();
        live.insert(
            TAG_MANAGED_TAGS.into(),
            "aws:cloudformation:stack-name ecs.finfocus.io/instance gone".into(),
        );
        live.insert("aws:cloudformation:stack-name".into(), "s".into());
        let delta = tag_delta(&desired, &live);
        assert_eq!(
            delta.remove,
            [TAG_MANAGED_TAGS],
            "only the stale record goes"
        );
        assert!(delta.add.is_empty());
    }

    #[test]
    fn removing_every_manifest_tag_removes_the_record_too() {
        let desired = desired_tags(&BTreeMap::new(), "EcsCluster/c", "i");
        assert!(!desired.contains_key(TAG_MANAGED_TAGS));
        let live = desired_tags(&tags(&[("env", "dev")]), "EcsCluster/c", "i");
        let delta = tag_delta(&desired, &live);
        assert_eq!(delta.remove, ["env", TAG_MANAGED_TAGS]);
        assert!(delta.add.is_empty());
    }

    #[test]
    fn the_fields_record_round_trips_and_goes_when_empty() {
        let record = managed_fields_record(["strategy", "alarms"]).unwrap_or_default();
        assert_eq!(record, "alarms strategy");
        assert!(record.len() <= MAX_TAG_VALUE);
        let live = tags(&[(TAG_MANAGED_FIELDS, &record)]);
        assert_eq!(
            recorded_fields(&live),
            ["alarms", "strategy"]
                .iter()
                .map(|f| (*f).to_owned())
                .collect::<BTreeSet<_>>()
        );
        assert_eq!(managed_fields_record([]), None);
        let delta = tag_delta(&BTreeMap::new(), &live);
        assert_eq!(delta.remove, [TAG_MANAGED_FIELDS]);
    }

    #[test]
    fn in_sync_tags_need_nothing() {
        let desired = desired_tags(&tags(&[("team", "a")]), "EcsCluster/c", "i");
        let mut live = desired.clone();
        live.insert("other-tool".into(), "x".into());
        assert!(tag_delta(&desired, &live).is_empty());
    }
}
