//! Flattening an EstimateCost `google.protobuf.Struct` into the string map the estimators read.
//!
//! The host stringifies Pulumi properties the way Go's `fmt` prints them, and the estimators
//! parse that text; EstimateCost receives typed values instead, so they are rendered the same
//! way here: strings as they are, numbers with Rust's shortest round-trip form (`20`, `0.5`),
//! booleans as `true`/`false`, nested structs as `map[k:v k2:v2]` with sorted keys (Go sorts
//! map keys when printing), lists as `[a b]`. A top-level null is dropped (the property is
//! unset); a nested null prints as `<nil>`, as Go would.

use std::collections::HashMap;
use std::fmt::Write as _;

use prost_types::value::Kind;
use prost_types::{Struct, Value};

/// The attributes as property name -> text.
pub fn flatten(attributes: &Struct) -> HashMap<String, String> {
    attributes
        .fields
        .iter()
        .filter(|(_, value)| !matches!(value.kind, None | Some(Kind::NullValue(_))))
        .map(|(key, value)| {
            let mut text = String::new();
            render(&mut text, value);
            (key.clone(), text)
        })
        .collect()
}

/// Appends the Go-style text of `value`. Recursion depth is bounded by the protobuf decoder's
/// nesting limit, so hostile nesting cannot exhaust the stack.
fn render(out: &mut String, value: &Value) {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => out.push_str("<nil>"),
        Some(Kind::StringValue(s)) => out.push_str(s),
        Some(Kind::NumberValue(n)) => {
            // Writing to a String cannot fail.
            let _ = write!(out, "{n}");
        }
        Some(Kind::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Kind::StructValue(s)) => {
            let mut keys: Vec<&String> = s.fields.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                if let Some(v) = s.fields.get(key) {
                    render(out, v);
                }
            }
            out.push(']');
        }
        Some(Kind::ListValue(list)) => {
            out.push('[');
            for (i, v) in list.values.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                render(out, v);
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_types::ListValue;

    fn v(kind: Kind) -> Value {
        Value { kind: Some(kind) }
    }

    fn object(fields: &[(&str, Value)]) -> Struct {
        Struct {
            fields: fields
                .iter()
                .map(|(k, val)| ((*k).to_owned(), val.clone()))
                .collect(),
        }
    }

    #[test]
    fn renders_scalars_like_go_fmt() {
        let attrs = object(&[
            ("instanceType", v(Kind::StringValue("t3.micro".into()))),
            ("volumeSize", v(Kind::NumberValue(20.0))),
            ("ratio", v(Kind::NumberValue(0.5))),
            ("ebsOptimized", v(Kind::BoolValue(true))),
            ("gone", v(Kind::NullValue(0))),
        ]);
        let flat = flatten(&attrs);
        assert_eq!(flat["instanceType"], "t3.micro");
        assert_eq!(flat["volumeSize"], "20");
        assert_eq!(flat["ratio"], "0.5");
        assert_eq!(flat["ebsOptimized"], "true");
        assert!(!flat.contains_key("gone"));
    }

    #[test]
    fn renders_nested_maps_sorted_and_lists() {
        let root = object(&[
            ("volumeType", v(Kind::StringValue("gp3".into()))),
            ("volumeSize", v(Kind::NumberValue(20.0))),
            ("iops", v(Kind::NullValue(0))),
        ]);
        let attrs = object(&[
            ("rootBlockDevice", v(Kind::StructValue(root))),
            (
                "subnets",
                v(Kind::ListValue(ListValue {
                    values: vec![
                        v(Kind::StringValue("a".into())),
                        v(Kind::StringValue("b".into())),
                    ],
                })),
            ),
        ]);
        let flat = flatten(&attrs);
        assert_eq!(
            flat["rootBlockDevice"],
            "map[iops:<nil> volumeSize:20 volumeType:gp3]"
        );
        assert_eq!(flat["subnets"], "[a b]");
    }
}
