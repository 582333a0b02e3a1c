//! `docs/src/reference/manifests.md`: every kind, field and type a manifest may hold, read from
//! the strict JSON Schema (`manifest::schema::strict`): each field with the type it means
//! rather than the widened scalars the lenient published schema accepts.

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::prose::{code, inline, paragraphs};
use crate::manifest::schema;

/// Where the page lives, relative to the repository root.
const PATH: &str = "docs/src/reference/manifests.md";

const INTRO: &str = "# Manifests reference

<!-- Generated from the JSON Schema (controller/src/manifest/schema.rs and the spec types) by \
controller/src/docs/manifests.rs; do not edit by hand. -->

A manifest file holds one or more YAML documents (separated by `---`); a directory holds any \
number of files (`*.yaml`, `*.yml`, read recursively). Each document has the four fields below. \
The same rules, as a JSON Schema, are in `schemas/manifest.schema.json` (printed by \
`finfocus-ecs-controller schema`); editors that understand \
`# yaml-language-server: $schema=...` complete and check manifests with it.

How values are read, everywhere:

- A field that is not marked *required* may be left out, and `null` means the same as leaving \
it out.
- Any scalar is read as text where text is wanted; a number may be written as numeric text \
(`\"256\"`); a boolean may be written `\"true\"` or `\"false\"`.
- Unknown fields are errors, reported with file, line, column and the field's path (and the \
field most likely meant).
- Fields that take the AWS API's values (`taskDefinition`, `service`) use the names and \
shapes of the API's JSON, as `aws ecs register-task-definition --cli-input-json` reads them.
";

fn page(schema: &Value) -> String {
    let mut out = String::from(INTRO);
    let defs = schema["$defs"].as_object().cloned().unwrap_or_default();
    out.push_str("\n## The document\n\n");
    fields(&mut out, schema);
    out.push_str("\n## metadata\n\n");
    fields(&mut out, &schema["properties"]["metadata"]);
    out.push_str("\nAnnotations:\n\n");
    fields(
        &mut out,
        &schema["properties"]["metadata"]["properties"]["annotations"],
    );
    out.push_str("\n## Kinds\n\nThe `spec` of each kind:\n\n");
    let mut roots = Vec::new();
    for branch in schema["allOf"].as_array().into_iter().flatten() {
        let kind = branch["if"]["properties"]["kind"]["const"]
            .as_str()
            .unwrap_or_default();
        let then = &branch["then"];
        let spec = &then["properties"]["spec"];
        let _ = writeln!(
            out,
            "- {}: {} `spec`: {}.",
            code(kind),
            inline(then["description"].as_str().unwrap_or_default()),
            type_of(spec)
        );
        roots.extend(refs(spec));
    }
    out.push_str("\n## Types\n\nIn the order a reader meets them, from the kinds' `spec` down.\n");
    for name in reading_order(&defs, roots) {
        let _ = write!(out, "\n### {name}\n\n");
        let def = &defs[&name];
        for p in paragraphs(def["description"].as_str().unwrap_or_default()) {
            let _ = write!(out, "{p}\n\n");
        }
        if def.get("properties").is_some() {
            fields(&mut out, def);
        } else {
            let _ = writeln!(out, "A value of type {}.", type_of(def));
        }
    }
    out
}

/// The field list of an object schema: name, type, whether required, description, limits.
fn fields(out: &mut String, object: &Value) {
    let required: BTreeSet<&str> = object["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let empty = Map::new();
    for (name, field) in object["properties"].as_object().unwrap_or(&empty) {
        let mut line = format!("- {}: {}", code(name), type_of(field));
        if required.contains(name.as_str()) {
            line.push_str(", required");
        }
        if let Some(default) = field.get("default") {
            let _ = write!(line, ", default {}", code(&scalar(default)));
        }
        // schemars gives every unsigned number a minimum of 0, which says nothing to a reader.
        if let Some(min) = field.get("minimum").filter(|m| m.as_f64() != Some(0.0)) {
            let _ = write!(line, ", at least {min}");
        }
        if let Some(pattern) = field.get("pattern").and_then(Value::as_str) {
            let _ = write!(line, ", matching {}", code(pattern));
        }
        let text = description(field);
        let mut parts = paragraphs(&text).into_iter();
        if let Some(first) = parts.next() {
            let _ = write!(line, ". {first}");
        }
        for p in parts {
            let _ = write!(line, "\n\n  {p}");
        }
        let _ = writeln!(out, "{line}");
    }
}

/// A field's description, wherever schemars put it (beside a `$ref`, or inside an `anyOf`).
fn description(field: &Value) -> String {
    if let Some(d) = field["description"].as_str() {
        return d.to_owned();
    }
    field["anyOf"]
        .as_array()
        .into_iter()
        .flatten()
        .map(description)
        .find(|d| !d.is_empty())
        .unwrap_or_default()
}

/// What a value is, in the words of a reader: `text`, `list of [PortMapping](#portmapping)`.
fn type_of(s: &Value) -> String {
    if let Some(target) = s["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap_or(target);
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(options) = s["anyOf"].as_array().or(s["oneOf"].as_array()) {
        let kinds: Vec<String> = options
            .iter()
            .filter(|o| o["type"] != "null")
            .map(type_of)
            .collect();
        return kinds.join(" or ");
    }
    if let Some(values) = s["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| code(&scalar(v)))
            .collect();
        // `["true", "false", true, false]` is how the schema spells a lenient boolean.
        if values.iter().all(|v| v == "`true`" || v == "`false`") {
            return "boolean".into();
        }
        return format!("one of {}", values.join(", "));
    }
    if let Some(value) = s.get("const") {
        return code(&scalar(value));
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let types: Vec<String> = types
        .into_iter()
        .filter(|t| *t != "null")
        .map(|t| match t {
            "string" => "text".to_owned(),
            "integer" => "whole number".to_owned(),
            "array" => format!("list of {}", type_of(&s["items"])),
            "object" => match &s["additionalProperties"] {
                Value::Object(_) => {
                    format!("map of text to {}", type_of(&s["additionalProperties"]))
                }
                _ => "mapping".to_owned(),
            },
            other => other.to_owned(),
        })
        .collect();
    if types.is_empty() {
        return "any value".into();
    }
    // `["string", "number", "boolean"]` is the schema's "any scalar", read as text.
    if types.len() > 1 && types.contains(&"text".to_owned()) {
        return "text".into();
    }
    types.join(" or ")
}

fn scalar(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The type names a schema refers to, in the order they appear.
fn refs(s: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_refs(s, &mut found);
    found
}

fn collect_refs(s: &Value, found: &mut Vec<String>) {
    match s {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                found.push(target.rsplit('/').next().unwrap_or(target).to_owned());
            }
            map.values().for_each(|v| collect_refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, found)),
        _ => {}
    }
}

/// Breadth first from the kinds' specs, so a type follows the one that uses it; types no
/// kind reaches (none today) come last, by name, rather than vanish.
fn reading_order(defs: &Map<String, Value>, roots: Vec<String>) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    let mut queue: VecDeque<String> = roots.into();
    while let Some(name) = queue.pop_front() {
        if order.contains(&name) || !defs.contains_key(&name) {
            continue;
        }
        queue.extend(refs(&defs[&name]));
        order.push(name);
    }
    for name in defs.keys() {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    order
}

#[test]
fn manifests_reference_is_in_sync() {
    super::checked_in::assert_in_sync(PATH, &page(&schema::strict()));
}

#[test]
fn types_read_as_a_person_says_them() {
    use serde_json::json;
    assert_eq!(type_of(&json!({"type": ["string", "null"]})), "text");
    assert_eq!(
        type_of(&json!({"type": "array", "items": {"$ref": "#/$defs/PortMapping"}})),
        "list of [PortMapping](#portmapping)"
    );
    assert_eq!(
        type_of(&json!({"anyOf": [{"enum": ["enforce", "detect"]}, {"type": "null"}]})),
        "one of `enforce`, `detect`"
    );
    assert_eq!(
        type_of(&json!({"enum": ["true", "false", true, false]})),
        "boolean"
    );
    assert_eq!(
        type_of(&json!({"type": "object", "additionalProperties": {"type": "string"}})),
        "map of text to text"
    );
}
