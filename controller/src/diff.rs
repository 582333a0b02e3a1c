//! Field-level diff of two canonical values, with readable paths and redaction.
//!
//! Values are compared as JSON (the AWS JSON shape of the models). Lists of objects are
//! matched by a natural key when every element has a distinct one (`name`, `containerName`,
//! `type`, ...), so paths read `containerDefinitions[plugin].environment[LOG_LEVEL].value`
//! rather than by position; other lists are compared whole.
//!
//! Environment values and secrets are redacted in every [`Change`]: a drift report must not
//! leak them.

use serde::Serialize;
use serde_json::{Map, Value};

/// What a change leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeAction {
    /// The resource does not exist and is created.
    Create,
    /// A new task definition revision is registered.
    RegisterRevision,
    /// The resource is updated in place.
    Update,
    /// The field cannot be changed in place: the resource must be replaced.
    Replace,
    /// The resource is deleted.
    Delete,
    /// Reported only (drift policy `detect`, or not owned).
    NoOp,
}

impl ChangeAction {
    /// The action as written in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::RegisterRevision => "registerRevision",
            Self::Update => "update",
            Self::Replace => "replace",
            Self::Delete => "delete",
            Self::NoOp => "noOp",
        }
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Path, e.g. `service.desiredCount`; empty for the whole resource.
    pub path: String,
    /// Desired value (absent: the field should not be set / the resource should not exist).
    pub desired: Option<Value>,
    /// Live value (absent: not set / the resource does not exist).
    pub actual: Option<Value>,
    /// What the change leads to.
    pub action: ChangeAction,
}

impl Change {
    /// A change with values redacted as the path requires.
    #[must_use]
    pub fn new(
        path: String,
        desired: Option<Value>,
        actual: Option<Value>,
        action: ChangeAction,
    ) -> Self {
        let desired = desired.map(|v| redact(&path, v));
        let actual = actual.map(|v| redact(&path, v));
        Self {
            path,
            desired,
            actual,
            action,
        }
    }
}

/// A raw difference before an action is attached.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    /// Path of the field.
    pub path: String,
    /// Desired value.
    pub desired: Option<Value>,
    /// Live value.
    pub actual: Option<Value>,
}

/// Serializes both sides and diffs them under `prefix`.
#[must_use]
pub fn diff<T: Serialize>(prefix: &str, desired: &T, actual: &T) -> Vec<FieldDiff> {
    let d = serde_json::to_value(desired).unwrap_or(Value::Null);
    let a = serde_json::to_value(actual).unwrap_or(Value::Null);
    diff_values(prefix, &d, &a)
}

/// Diffs two JSON values; `null` and absent are the same.
#[must_use]
pub fn diff_values(prefix: &str, desired: &Value, actual: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    walk(prefix, desired, actual, &mut out);
    out
}

fn present(v: &Value) -> Option<Value> {
    (!v.is_null()).then(|| v.clone())
}

fn walk(path: &str, desired: &Value, actual: &Value, out: &mut Vec<FieldDiff>) {
    if desired == actual {
        return;
    }
    match (desired, actual) {
        (Value::Object(d), Value::Object(a)) => {
            let mut keys: Vec<&String> = d.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let dv = d.get(key).unwrap_or(&Value::Null);
                let av = a.get(key).unwrap_or(&Value::Null);
                walk(&join(path, key), dv, av, out);
            }
        }
        (Value::Array(d), Value::Array(a)) => match list_key(d, a) {
            Some(key) => {
                let index_d = index_by(d, key);
                let index_a = index_by(a, key);
                let mut ids: Vec<&String> = index_d
                    .iter()
                    .chain(index_a.iter())
                    .map(|(k, _)| k)
                    .collect();
                ids.sort();
                ids.dedup();
                for id in ids {
                    let dv = index_d
                        .iter()
                        .find(|(k, _)| k == id)
                        .map_or(&Value::Null, |(_, v)| *v);
                    let av = index_a
                        .iter()
                        .find(|(k, _)| k == id)
                        .map_or(&Value::Null, |(_, v)| *v);
                    walk(&format!("{path}[{id}]"), dv, av, out);
                }
            }
            None if d.len() == a.len()
                && d.iter().all(Value::is_object)
                && a.iter().all(Value::is_object) =>
            {
                for (i, (dv, av)) in d.iter().zip(a).enumerate() {
                    walk(&format!("{path}[{i}]"), dv, av, out);
                }
            }
            None => out.push(FieldDiff {
                path: path.to_owned(),
                desired: present(desired),
                actual: present(actual),
            }),
        },
        _ => out.push(FieldDiff {
            path: path.to_owned(),
            desired: present(desired),
            actual: present(actual),
        }),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Keys tried, in order, to match list elements.
const LIST_KEYS: &[&str] = &[
    "name",
    "containerName",
    "sourceContainer",
    "containerPath",
    "hostname",
    "namespace",
    "capacityProvider",
    "registryArn",
    "targetGroupArn",
    "type",
    "containerPort",
];

fn scalar_key(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn list_key(d: &[Value], a: &[Value]) -> Option<&'static str> {
    LIST_KEYS.iter().copied().find(|key| {
        [d, a].iter().all(|list| {
            let mut seen = Vec::with_capacity(list.len());
            list.iter().all(|v| match scalar_key(v, key) {
                Some(k) if !seen.contains(&k) => {
                    seen.push(k);
                    true
                }
                _ => false,
            })
        }) && !(d.is_empty() && a.is_empty())
    })
}

fn index_by<'a>(list: &'a [Value], key: &str) -> Vec<(String, &'a Value)> {
    list.iter()
        .filter_map(|v| scalar_key(v, key).map(|k| (k, v)))
        .collect()
}

/// Placeholder written instead of a secret or environment value.
pub const REDACTED: &str = "(redacted)";

/// Redacts environment values and secret references under `path`.
#[must_use]
pub fn redact(path: &str, value: Value) -> Value {
    let sensitive = ["environment", "secrets", "secretOptions"]
        .iter()
        .any(|s| path.contains(&format!(".{s}")) || path.starts_with(s));
    if !sensitive {
        return value;
    }
    let last = path.rsplit('.').next().unwrap_or(path);
    if last == "value" || last == "valueFrom" {
        return Value::String(REDACTED.to_owned());
    }
    scrub(value)
}

fn scrub(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    if k == "value" || k == "valueFrom" {
                        (k, Value::String(REDACTED.to_owned()))
                    } else {
                        (k, scrub(v))
                    }
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(scrub).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use serde_json::json;

    use super::*;

    #[test]
    fn keyed_lists_name_the_element() {
        let d = json!({"containerDefinitions": [{"name": "plugin", "image": "a:2"}]});
        let a = json!({"containerDefinitions": [{"name": "plugin", "image": "a:1"}]});
        let diffs = diff_values("taskDefinition", &d, &a);
        assert_eq!(diffs.len(), 1);
        assert_eq!(
            diffs[0].path,
            "taskDefinition.containerDefinitions[plugin].image"
        );
        assert_eq!(diffs[0].desired, Some(json!("a:2")));
    }

    #[test]
    fn added_and_removed_elements_and_null_fields() {
        let d = json!({"environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]});
        let a = json!({"environment": [{"name": "A", "value": "1"}], "x": null});
        let diffs = diff_values("", &d, &a);
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].path, "environment[B]");
        assert_eq!(diffs[0].actual, None);
    }

    #[test]
    fn scalar_lists_compare_whole() {
        let d = json!({"subnets": ["a", "b"]});
        let a = json!({"subnets": ["a"]});
        let diffs = diff_values("service", &d, &a);
        assert_eq!(diffs[0].path, "service.subnets");
    }

    #[test]
    fn equal_values_have_no_diff() {
        let v = json!({"a": [1, 2], "b": {"c": "d"}});
        assert!(diff_values("", &v, &v).is_empty());
    }

    #[test]
    fn environment_and_secrets_are_redacted() {
        let c = Change::new(
            "taskDefinition.containerDefinitions[p].environment[TOKEN].value".into(),
            Some(json!("s3cret")),
            Some(json!("old")),
            ChangeAction::RegisterRevision,
        );
        assert_eq!(c.desired, Some(json!(REDACTED)));
        assert_eq!(c.actual, Some(json!(REDACTED)));
        let whole = Change::new(
            "taskDefinition.containerDefinitions[p].secrets".into(),
            Some(json!([{"name": "K", "valueFrom": "arn:x"}])),
            None,
            ChangeAction::RegisterRevision,
        );
        assert_eq!(
            whole.desired,
            Some(json!([{"name": "K", "valueFrom": REDACTED}]))
        );
        let other = Change::new(
            "service.desiredCount".into(),
            Some(json!(3)),
            Some(json!(1)),
            ChangeAction::Update,
        );
        assert_eq!(other.desired, Some(json!(3)));
    }
}
