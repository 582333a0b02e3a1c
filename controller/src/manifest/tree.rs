//! Stage one of manifest parsing: one YAML document into a located tree.
//!
//! serde-saphyr parses the YAML (anchors, merge keys, the parser budgets of [`super::Limits`])
//! into [`Node`]s that keep where every value and every mapping key is. Typed reading happens
//! afterwards, over the tree (the `typed` module), so that one pass can report every error of a
//! document instead of stopping at the first, and can treat `null` as "not set" everywhere.
//!
//! Scalars keep the text they were written as (numbers and booleans included): a string field
//! given `1.10` or `007` gets exactly that text, as the YAML parser would give it.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// One located YAML value.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Where the value is used (an alias: the alias).
    pub at: Location,
    /// Where the value is written (an alias: its anchor), for its source text.
    defined: Location,
    /// The source text of a number or boolean, filled by [`Node::fill_text`].
    pub text: Option<String>,
    pub value: Value,
}

/// A YAML value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One mapping entry with its key's location.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_at: Location,
    pub value: Node,
}

impl Node {
    /// The entry `key` of a mapping.
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value at `key` of a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// A scalar as text: strings as they are, numbers and booleans as written.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(self.text.clone().unwrap_or_else(|| b.to_string())),
            Value::Int(n) => Some(self.text.clone().unwrap_or_else(|| n.to_string())),
            Value::Float(f) => Some(self.text.clone().unwrap_or_else(|| f.to_string())),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// Whether the value is `null` (or `~`, or empty).
    pub(crate) fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The location of a field path as errors write it (`spec.service.desiredCount`,
    /// `spec.taskDefinition.containerDefinitions[0].image`): its value when present, else the
    /// nearest enclosing value that is.
    pub(crate) fn locate(&self, path: &str) -> Location {
        let mut node = self;
        for part in path.split('.') {
            let (name, indexes) = match part.find('[') {
                Some(i) => part.split_at(i),
                None => (part, ""),
            };
            if !name.is_empty() {
                match node.get(name) {
                    Some(next) => node = next,
                    None => return node.at,
                }
            }
            for index in indexes
                .split(['[', ']'])
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse::<usize>().ok())
            {
                match &node.value {
                    Value::Seq(items) if index < items.len() => node = &items[index],
                    _ => return node.at,
                }
            }
        }
        node.at
    }

    /// Fills the source text of numbers and booleans from the file's text (`chars` maps
    /// character offsets to byte offsets when the text is not ASCII).
    pub(crate) fn fill_text(&mut self, source: &Source<'_>) {
        if matches!(self.value, Value::Bool(_) | Value::Int(_) | Value::Float(_)) {
            let span = self.defined.span();
            self.text = source
                .slice(span.offset(), span.len())
                .filter(|text| same_scalar(&self.value, text))
                .map(str::to_owned);
            return;
        }
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| n.fill_text(source)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| e.value.fill_text(source)),
            _ => {}
        }
    }
}

/// Whether `text` is a way of writing `value` (a guard against a span that does not cover
/// exactly the scalar, e.g. one that came through a merge key).
fn same_scalar(value: &Value, text: &str) -> bool {
    let t = text.trim();
    match value {
        Value::Bool(b) => t.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        Value::Int(n) => {
            let digits = t.trim_start_matches('+');
            digits.parse::<i128>().ok() == Some(*n)
        }
        Value::Float(f) => t.parse::<f64>().ok() == Some(*f),
        _ => false,
    }
}

/// A file's text, indexed by character for span lookups.
pub(crate) struct Source<'a> {
    text: &'a str,
    /// Byte offset of each character, only when the text is not ASCII.
    chars: Option<Vec<usize>>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let chars = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Self { text, chars }
    }

    fn slice(&self, offset: u64, len: u64) -> Option<&'a str> {
        let offset = usize::try_from(offset).ok()?;
        let len = usize::try_from(len).ok()?;
        let byte = |i: usize| match &self.chars {
            None => Some(i),
            Some(chars) => chars
                .get(i)
                .copied()
                .or((i == chars.len()).then_some(self.text.len())),
        };
        self.text
            .get(byte(offset)?..byte(offset.checked_add(len)?)?)
    }
}

thread_local! {
    /// The path (innermost segment first) of the value the parser failed in.
    static ERROR_PATH: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn push_error_segment(segment: String) {
    ERROR_PATH.with(|p| p.borrow_mut().push(segment));
}

/// The field path of the last document that failed to parse on this thread (`metadata.name`),
/// empty when the failure was outside any field. Clears it.
pub(crate) fn take_error_path() -> String {
    let segments = ERROR_PATH.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let mut out = String::new();
    for segment in segments.iter().rev() {
        if !segment.starts_with('[') && !out.is_empty() {
            out.push('.');
        }
        out.push_str(segment);
    }
    out
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Self {
            at: spanned.referenced,
            defined: spanned.defined,
            text: None,
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        match i128::try_from(v) {
            Ok(v) => Ok(Value::Int(v)),
            Err(_) => Ok(Value::Str(v.to_string())),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            match seq.next_element::<Node>() {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(Value::Seq(items)),
                Err(e) => {
                    push_error_segment(format!("[{}]", items.len()));
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let name = match key.value {
                Value::Str(s) => s,
                Value::Int(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Null => "null".to_owned(),
                Value::Seq(_) | Value::Map(_) => {
                    return Err(de::Error::custom(
                        "a mapping key must be a name, not a list or a mapping",
                    ));
                }
            };
            match map.next_value::<Node>() {
                Ok(value) => entries.push(Entry {
                    key: name,
                    key_at: key.at,
                    value,
                }),
                Err(e) => {
                    push_error_segment(name);
                    return Err(e);
                }
            }
        }
        Ok(Value::Map(entries))
    }
}
