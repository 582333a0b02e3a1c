//! Field-level diff of two canonical values, with readable paths and redaction.
//!
//! Values are compared as JSON (the AWS JSON shape of the models). Lists of objects are
//! matched by a natural key when every element has a distinct one (`name`, `containerName`,
//! `type`, ...), so paths read `containerDefinitions[plugin].environment[LOG_LEVEL].value`
//! rather than by position; other lists are compared whole.
//!
//! Secret references, and environment values whose name looks secret or that the manifest lists
//! in `ecs.finfocus.io/redact-env`, are redacted in every [`Change`] with a fingerprint
//! ([`fingerprint`]): a drift report must not leak them, yet a reviewer sees that one changed.
//! Values are judged by what they hold as well as by their name ([`value_looks_secret`]): an
//! environment value that is a URL with a password or looks like a token (a known token prefix,
//! a JWT, a long high-entropy string) is redacted whatever the variable is called, and the
//! password of a URL anywhere else in a change is replaced. Other environment values are shown,
//! so a log level change reads as one.

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

    /// Redacts the environment values named in `names` as well (values already redacted stay so).
    pub fn redact_env(&mut self, names: &[String]) {
        if names.is_empty() {
            return;
        }
        let path = self.path.clone();
        self.desired = self.desired.take().map(|v| redact_with(&path, v, names));
        self.actual = self.actual.take().map(|v| redact_with(&path, v, names));
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

/// Placeholder written instead of a redacted value (followed by its fingerprint).
pub const REDACTED: &str = "(redacted)";

/// Parts of an environment variable name that make its value redacted (compared upper-case).
pub const SECRET_NAME_PARTS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "KEY",
    "CREDENTIAL",
    "PRIVATE",
    "AUTH",
    "COOKIE",
    "SESSION",
    "SIGNATURE",
    "DSN",
];

/// Whether an environment variable's name says its value is secret (`API_TOKEN`, `DB_PASSWORD`,
/// `AWS_SECRET_ACCESS_KEY`, ...).
#[must_use]
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}

/// Prefixes of tokens issued by well-known services (GitHub, Slack, Stripe, GitLab).
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxs-",
    "sk_live_",
    "rk_live_",
    "glpat-",
];

/// Shortest word judged by its entropy alone.
const ENTROPY_MIN_LEN: usize = 20;
/// Bits per character above which such a word is taken for a random token. Hexadecimal never
/// exceeds 4 (digests and commit ids stay shown); random base64 or alphanumerics of 20 or more
/// characters nearly always do.
const ENTROPY_MIN_BITS: f64 = 4.0;

/// Whether a value looks like a credential whatever the name it goes by: a URL whose userinfo
/// holds a password (`postgres://app:pw@db/app`), an AWS access key id (`AKIA...`, `ASIA...`), a
/// token with a well-known prefix ([`TOKEN_PREFIXES`]), a JWT, or a word of at least
/// [`ENTROPY_MIN_LEN`] base64-like characters, with letters and digits, whose entropy exceeds
/// [`ENTROPY_MIN_BITS`] bits per character.
#[must_use]
pub fn value_looks_secret(value: &str) -> bool {
    if url_password_span(value, 0).is_some() {
        return true;
    }
    value
        .split(|c: char| c.is_whitespace() || matches!(c, '=' | ',' | ';' | '"' | '\'' | ':'))
        .any(word_looks_secret)
}

fn word_looks_secret(word: &str) -> bool {
    let aws_key = (word.starts_with("AKIA") || word.starts_with("ASIA"))
        && word.len() == 20
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let prefixed = TOKEN_PREFIXES
        .iter()
        .any(|p| word.starts_with(p) && word.len() >= p.len() + 8);
    let b64 = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let parts: Vec<&str> = word.split('.').collect();
    let jwt = parts.len() == 3 && word.starts_with("eyJ") && parts.iter().all(|p| b64(p));
    aws_key || prefixed || jwt || high_entropy(word)
}

fn high_entropy(word: &str) -> bool {
    if word.len() < ENTROPY_MIN_LEN
        || word.starts_with('/')
        || !word.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'~')
        })
        || !word.bytes().any(|b| b.is_ascii_digit())
        || !word.bytes().any(|b| b.is_ascii_alphabetic())
    {
        return false;
    }
    let mut counts = [0u32; 256];
    for b in word.bytes() {
        counts[usize::from(b)] += 1;
    }
    #[allow(clippy::cast_precision_loss, reason = "lengths far below 2^52")]
    let len = word.len() as f64;
    let bits: f64 = counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / len;
            -p * p.log2()
        })
        .sum();
    bits > ENTROPY_MIN_BITS
}

/// The byte range of the password in the first `scheme://user:password@host` of `text` at or
/// after byte `from`.
fn url_password_span(text: &str, from: usize) -> Option<(usize, usize)> {
    let mut from = from;
    while let Some(found) = text.get(from..)?.find("://") {
        let start = from + found + 3;
        let rest = &text[start..];
        let authority = rest
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(rest.len());
        if let Some(at) = rest[..authority].rfind('@')
            && let Some(colon) = rest[..at].find(':')
            && colon + 1 < at
            && &rest[colon + 1..at] != REDACTED
        {
            return Some((start + colon + 1, start + at));
        }
        from = start;
    }
    None
}

/// `text` with the password of every URL in it replaced by [`REDACTED`].
#[must_use]
pub fn mask_url_passwords(text: &str) -> String {
    let mut out = text.to_owned();
    let mut from = 0;
    while let Some((start, end)) = url_password_span(&out, from) {
        out.replace_range(start..end, REDACTED);
        from = start + REDACTED.len();
    }
    out
}

/// Replaces URL passwords in every string of `value`.
fn mask_passwords(value: Value) -> Value {
    match value {
        Value::String(s) if url_password_span(&s, 0).is_some() => {
            Value::String(mask_url_passwords(&s))
        }
        Value::Array(items) => Value::Array(items.into_iter().map(mask_passwords).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, mask_passwords(v)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// Whether `value` is a string that [`value_looks_secret`].
fn secret_value(value: &Value) -> bool {
    value.as_str().is_some_and(value_looks_secret)
}

/// `(redacted #1a2b3c4d)`: the value hidden, with a fingerprint so that a reviewer still sees
/// whether it changed. The fingerprint is keyed with a secret drawn once per process, so it
/// compares values within one plan or report and cannot confirm a guessed value.
#[must_use]
pub fn fingerprint(value: &Value) -> Value {
    use sha2::{Digest, Sha256};
    static KEY: std::sync::OnceLock<[u8; 16]> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| *uuid::Uuid::new_v4().as_bytes());
    let text = match value {
        // Already redacted (a manifest's own list applied after the default rules).
        Value::String(s) if s.starts_with(REDACTED) => return value.clone(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let digest = Sha256::new()
        .chain_update(key)
        .chain_update(text.as_bytes())
        .finalize();
    let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    Value::String(format!("{REDACTED} #{short}"))
}

/// Redacts secret references everywhere, and environment values whose name looks secret
/// ([`looks_secret`]) or is in `names` (the manifest's `ecs.finfocus.io/redact-env`), under `path`.
#[must_use]
pub fn redact(path: &str, value: Value) -> Value {
    redact_with(path, value, &[])
}

/// [`redact`] with the environment names a manifest asks to redact as well.
#[must_use]
pub fn redact_with(path: &str, value: Value, names: &[String]) -> Value {
    mask_passwords(redact_fields(path, value, names))
}

fn redact_fields(path: &str, value: Value, names: &[String]) -> Value {
    let hidden = |name: &str| looks_secret(name) || names.iter().any(|n| n == name);
    let under = |part: &str| path.contains(&format!(".{part}")) || path.starts_with(part);
    let last = path.rsplit('.').next().unwrap_or(path);
    if under("secrets") || under("secretOptions") {
        if last == "value" || last == "valueFrom" {
            return fingerprint(&value);
        }
        return scrub(value, &|_| true);
    }
    if under("environment") {
        // `...environment[NAME].value` names the variable in the path; lists and entries carry it.
        if last == "value" {
            let name = element_name(path);
            return if name.is_none_or(hidden) || secret_value(&value) {
                fingerprint(&value)
            } else {
                value
            };
        }
        return scrub(value, &hidden);
    }
    // A whole container or task definition carries its lists deeper down.
    nested(value, &hidden)
}

/// Scrubs the `environment`, `secrets` and `secretOptions` lists found anywhere in `value`.
fn nested(value: Value, hidden: &dyn Fn(&str) -> bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match k.as_str() {
                    "secrets" | "secretOptions" => (k, scrub(v, &|_| true)),
                    "environment" => (k, scrub(v, hidden)),
                    _ => (k, nested(v, hidden)),
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| nested(v, hidden)).collect()),
        other => other,
    }
}

/// `NAME` of the last `[NAME]` in a path such as `...environment[NAME].value`.
fn element_name(path: &str) -> Option<&str> {
    let open = path.rfind('[')?;
    let close = path[open..].find(']')? + open;
    Some(&path[open + 1..close])
}

/// Fingerprints `value` / `valueFrom` of every object whose `name` is hidden.
fn scrub(value: Value, hidden: &dyn Fn(&str) -> bool) -> Value {
    match value {
        Value::Object(map) => {
            let secret = map.get("name").and_then(Value::as_str).is_none_or(hidden)
                || map.get("value").is_some_and(secret_value);
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        if secret && (k == "value" || k == "valueFrom") {
                            let hidden_value = fingerprint(&v);
                            (k, hidden_value)
                        } else {
                            (k, scrub(v, hidden))
                        }
                    })
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| scrub(v, hidden)).collect()),
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

    fn redacted(v: Option<&Value>) -> bool {
        v.and_then(Value::as_str)
            .is_some_and(|s| s.starts_with(&format!("{REDACTED} #")))
    }

    #[test]
    fn secrets_and_secret_looking_environment_values_are_fingerprinted() {
        let c = Change::new(
            "taskDefinition.containerDefinitions[p].environment[API_TOKEN].value".into(),
            Some(json!("s3cret")),
            Some(json!("old")),
            ChangeAction::RegisterRevision,
        );
        assert!(
            redacted(c.desired.as_ref()) && redacted(c.actual.as_ref()),
            "{c:?}"
        );
        // Different values, different fingerprints: the change stays visible.
        assert_ne!(c.desired, c.actual);
        let same = Change::new(c.path.clone(), Some(json!("s3cret")), None, c.action);
        assert_eq!(same.desired, c.desired, "one value, one fingerprint");
        let whole = Change::new(
            "taskDefinition.containerDefinitions[p].secrets".into(),
            Some(json!([{"name": "K", "valueFrom": "arn:x"}])),
            None,
            ChangeAction::RegisterRevision,
        );
        let desired = whole.desired.unwrap();
        assert_eq!(desired[0]["name"], "K");
        assert!(redacted(Some(&desired[0]["valueFrom"])), "{desired}");
        let other = Change::new(
            "service.desiredCount".into(),
            Some(json!(3)),
            Some(json!(1)),
            ChangeAction::Update,
        );
        assert_eq!(other.desired, Some(json!(3)));
    }

    #[test]
    fn ordinary_environment_values_are_shown() {
        let c = Change::new(
            "taskDefinition.containerDefinitions[p].environment[LOG_LEVEL].value".into(),
            Some(json!("debug")),
            Some(json!("info")),
            ChangeAction::RegisterRevision,
        );
        assert_eq!(c.desired, Some(json!("debug")));
        assert_eq!(c.actual, Some(json!("info")));
        let list = Change::new(
            "taskDefinition.containerDefinitions[p].environment".into(),
            Some(
                json!([{"name": "LOG_LEVEL", "value": "debug"}, {"name": "DB_PASSWORD", "value": "hunter2"}]),
            ),
            None,
            ChangeAction::RegisterRevision,
        );
        let desired = list.desired.unwrap();
        assert_eq!(desired[0]["value"], "debug");
        assert!(redacted(Some(&desired[1]["value"])), "{desired}");
        for name in [
            "AWS_SECRET_ACCESS_KEY",
            "github_token",
            "Password",
            "SESSION_COOKIE",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["LOG_LEVEL", "PORT", "FINFOCUS_PLUGIN_WEB_ENABLED"] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn a_manifest_can_name_more_values_to_redact() {
        let mut c = Change::new(
            "taskDefinition.containerDefinitions[p].environment[INTERNAL_URL].value".into(),
            Some(json!("https://10.0.0.1")),
            None,
            ChangeAction::RegisterRevision,
        );
        assert_eq!(c.desired, Some(json!("https://10.0.0.1")));
        c.redact_env(&["INTERNAL_URL".to_owned()]);
        assert!(redacted(c.desired.as_ref()), "{c:?}");
        // Redacting twice keeps the fingerprint of the real value.
        let before = c.desired.clone();
        c.redact_env(&["INTERNAL_URL".to_owned()]);
        assert_eq!(c.desired, before);
    }

    #[test]
    fn environment_inside_a_whole_container_is_redacted_too() {
        let c = Change::new(
            "taskDefinition.containerDefinitions[new]".into(),
            Some(json!({"name": "new", "image": "a:1",
                        "environment": [{"name": "API_KEY", "value": "k"}, {"name": "MODE", "value": "x"}],
                        "secrets": [{"name": "S", "valueFrom": "arn:s"}]})),
            None,
            ChangeAction::RegisterRevision,
        );
        let d = c.desired.unwrap();
        assert!(redacted(Some(&d["environment"][0]["value"])), "{d}");
        assert_eq!(d["environment"][1]["value"], "x");
        assert!(redacted(Some(&d["secrets"][0]["valueFrom"])), "{d}");
        assert_eq!(d["image"], "a:1");
    }
}
