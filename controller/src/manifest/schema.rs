//! The JSON Schema of a manifest document, for editors (`# yaml-language-server: $schema=...`) and
//! CI checks: derived from the same spec types the loader reads, wrapped in the document shape
//! (`apiVersion`, `kind`, `metadata`, `spec`) with one branch per kind.
//!
//! The loader is lenient where YAML writers expect it (a number where text is wanted, a numeric
//! string where a number is, `"true"` for a boolean, `null` for "not set"), so the schema says
//! the same: a schema stricter than the loader would flag manifests that apply fine.

use schemars::{SchemaGenerator, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use super::spec::{AccountSpec, ClusterSpec, EcsServiceSpec, NamespaceSpec};
use crate::{
    ANNOTATION_ADOPT, ANNOTATION_DISMISSED_RECOMMENDATIONS, ANNOTATION_DRIFT_POLICY,
    ANNOTATION_INTERRUPTIBLE, ANNOTATION_MAX_MONTHLY_COST, ANNOTATION_RECOMMENDATIONS,
    ANNOTATION_REDACT_ENV, API_VERSION,
};

/// Where the schema is published in the repository (editors and CI refer to it).
pub const PATH: &str = "schemas/manifest.schema.json";

/// The schema of one manifest document (JSON Schema draft 2020-12).
#[must_use]
pub fn document() -> Value {
    let mut schema = strict();
    lenient(&mut schema);
    schema
}

/// The schema with each field's own type, before [`lenient`] widens scalars: what a reader of
/// the manifests reference needs (a field is "text" or "a whole number", not "any scalar").
#[must_use]
pub fn strict() -> Value {
    let mut generator = SchemaGenerator::new(SchemaSettings::draft2020_12());
    let kinds: [(&str, &str, Value); 4] = [
        (
            "EcsService",
            "An ECS service, its task definition and its Cloud Map registration.",
            generator.subschema_for::<EcsServiceSpec>().to_value(),
        ),
        (
            "EcsCluster",
            "An ECS cluster.",
            generator.subschema_for::<ClusterSpec>().to_value(),
        ),
        (
            "CloudMapNamespace",
            "A Cloud Map private DNS namespace.",
            generator.subschema_for::<NamespaceSpec>().to_value(),
        ),
        (
            "AwsAccount",
            "Another AWS account, reached through a role the controller assumes.",
            generator.subschema_for::<AccountSpec>().to_value(),
        ),
    ];
    let mut defs = Map::new();
    for (name, schema) in generator.take_definitions(true) {
        defs.insert(name, schema);
    }
    let branches: Vec<Value> = kinds
        .iter()
        .map(|(kind, description, spec)| {
            json!({
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"description": description, "properties": {"spec": spec}},
            })
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/finfocus/finfocus-ecs/schemas/manifest.schema.json",
        "title": "finfocus-ecs-controller manifest",
        "description": "One document of a manifest file: an EcsService, EcsCluster, CloudMapNamespace or AwsAccount.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": false,
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"enum": kinds.iter().map(|(k, _, _)| *k).collect::<Vec<_>>()},
            "metadata": metadata(),
            "spec": {"type": "object"},
        },
        "allOf": branches,
        "$defs": defs,
    })
}

fn metadata() -> Value {
    // Descriptions here are what editors show on hover and what the manifests reference
    // (docs/src/reference/manifests.md) prints; the spec types carry theirs as doc comments.
    let flag = |description: &str| json!({"enum": ["true", "false", true, false], "description": description});
    json!({
        "type": "object",
        "required": ["name"],
        "additionalProperties": false,
        "properties": {
            "name": {
                "type": "string",
                "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$",
                "description": "The object's name: the ECS service, cluster or Cloud Map namespace name, or the account's name other objects refer to.",
            },
            "labels": {
                "type": ["object", "null"],
                "additionalProperties": {"type": ["string", "number", "boolean"]},
                "description": "Informational key-value pairs; the controller does not act on them.",
            },
            "annotations": {
                "type": ["object", "null"],
                "description": "Settings of the controller for this object. Keys under `ecs.finfocus.io/` must be one of those listed; other keys are free.",
                "properties": {
                    ANNOTATION_DRIFT_POLICY: {
                        "enum": ["enforce", "detect"],
                        "description": "`enforce` (the default) corrects drift; `detect` only reports it and never writes, not even to create a missing resource.",
                    },
                    ANNOTATION_ADOPT: flag("`\"true\"` lets the controller take over an existing resource that does not carry its ownership tags."),
                    ANNOTATION_INTERRUPTIBLE: flag("`\"true\"` says the service's tasks may be stopped at short notice, so plans may recommend a `FARGATE_SPOT` share."),
                    ANNOTATION_RECOMMENDATIONS: {
                        "enum": ["on", "off"],
                        "description": "`off` hides the pricing plugin's savings recommendations for this service.",
                    },
                    ANNOTATION_DISMISSED_RECOMMENDATIONS: {
                        "type": "string",
                        "description": "Comma-separated recommendation ids that plans leave out.",
                    },
                    ANNOTATION_REDACT_ENV: {
                        "type": "string",
                        "description": "Comma-separated environment variable names whose values plans and reports redact, besides those whose names or values look secret.",
                    },
                    ANNOTATION_MAX_MONTHLY_COST: {
                        "type": ["string", "number"],
                        "description": "A monthly budget in USD: a change that would raise the service's cost above it is held back (condition `BudgetExceeded`).",
                    },
                },
                "propertyNames": {"not": {"pattern": "^ecs\\.finfocus\\.io/(?!(drift-policy|adopt|interruptible|recommendations|dismissed-recommendations|redact-env|max-monthly-cost)$)"}},
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            },
        },
    })
}

/// Widens scalar types the way the loader reads them.
fn lenient(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(kind) = map.get("type").cloned() {
                let types: Vec<&str> = match &kind {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                let mut wider: Vec<&str> = Vec::new();
                for t in &types {
                    let extra: &[&str] = match *t {
                        // Any scalar is read as text.
                        "string" => &["string", "number", "boolean"],
                        // Numbers may be written as numeric text.
                        "integer" => &["integer", "string"],
                        "number" => &["number", "string"],
                        "boolean" => &["boolean", "string"],
                        _ => &[],
                    };
                    for e in extra.iter().chain(std::iter::once(t)) {
                        if !wider.contains(e) {
                            wider.push(e);
                        }
                    }
                }
                if !wider.is_empty() && wider.len() != types.len() {
                    // Numeric text must still be a number, and `"true"`/`"false"` the only text booleans.
                    let numeric = types.iter().any(|t| *t == "integer" || *t == "number");
                    let boolean = types.contains(&"boolean");
                    let text = types.contains(&"string");
                    map.insert(
                        "type".into(),
                        Value::Array(wider.iter().map(|t| json!(t)).collect()),
                    );
                    if !text && (numeric || boolean) && !map.contains_key("pattern") {
                        let pattern = match (numeric, boolean) {
                            (true, false) => "^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$",
                            (false, true) => "^(true|false)$",
                            _ => "^(\\s*-?[0-9]+(\\.[0-9]+)?\\s*|true|false)$",
                        };
                        map.insert("pattern".into(), json!(pattern));
                    }
                }
            }
            // `null` means "not set" anywhere a field is optional, which every non-required one is.
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (name, prop) in props.iter_mut() {
                    if !required.contains(name) {
                        allow_null(prop);
                    }
                }
            }
            for v in map.values_mut() {
                lenient(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(lenient),
        _ => {}
    }
}

fn allow_null(prop: &mut Value) {
    let Value::Object(map) = prop else {
        return;
    };
    match map.get_mut("type") {
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push(json!("null"));
            }
        }
        Some(Value::String(t)) => {
            let t = t.clone();
            map.insert("type".into(), json!([t, "null"]));
        }
        _ => {
            // A `$ref`, `enum`, `const` or composition: wrap it.
            let inner = Value::Object(std::mem::take(map));
            map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
        }
    }
}

/// The schema as the file under [`PATH`] holds it.
#[must_use]
pub fn pretty() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn every_kind_has_a_branch_and_the_file_is_in_sync() {
        let schema = document();
        let kinds = schema["properties"]["kind"]["enum"].as_array().unwrap();
        assert_eq!(kinds.len(), 4);
        assert_eq!(schema["allOf"].as_array().unwrap().len(), 4);
        let checked_in = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(PATH),
        )
        .unwrap_or_default();
        assert!(
            checked_in == pretty(),
            "{PATH} is out of date: run `cargo run -p finfocus-ecs-controller -- schema > {PATH}`"
        );
    }

    #[test]
    fn scalars_are_as_lenient_as_the_loader() {
        let mut s = json!({"type": "object", "required": ["a"], "properties": {
            "a": {"type": "string"}, "n": {"type": "integer"}, "b": {"type": "boolean"},
            "r": {"$ref": "#/$defs/X"}}});
        lenient(&mut s);
        assert_eq!(
            s["properties"]["a"]["type"],
            json!(["string", "number", "boolean"])
        );
        assert_eq!(
            s["properties"]["n"]["type"],
            json!(["integer", "string", "null"])
        );
        assert!(s["properties"]["n"]["pattern"].is_string());
        assert_eq!(
            s["properties"]["b"]["type"],
            json!(["boolean", "string", "null"])
        );
        assert_eq!(s["properties"]["r"]["anyOf"][1], json!({"type": "null"}));
    }
}
