//! Stage two of manifest parsing: a located tree into the typed spec, reporting every error.
//!
//! A serde deserializer over [`Node`]s that never stops at the first problem: each one is
//! recorded with its location and field path, the value it concerns is set aside, and the read
//! is repeated without it until it either succeeds or nothing new is found. Rules it applies
//! everywhere in a manifest:
//! - `null` means "not set", as the AWS CLI and SDKs read it: a field whose value is `null` is
//!   treated as absent (an error only where the field is required).
//! - Unknown fields are errors; fields that only `describe-task-definition` answers, and the
//!   ones deliberately unsupported, say why ([`note_for`]).
//! - Messages say what was expected in the words of the YAML (text, a whole number, a list),
//!   never in the implementation's types.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use serde_saphyr::Location;

use super::tree::{Entry, Node, Value};

/// Most errors reported for one document: past this many, the rest would only bury the first.
const MAX_ERRORS: usize = 100;

/// One problem found while reading.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub at: Location,
    pub field: String,
    pub message: String,
}

/// Reads a `T` from `node`, whose field path is `path`. The value comes back only when there
/// was no problem; the problems come back in document order.
pub(crate) fn read<T: DeserializeOwned>(node: &Node, path: &str) -> Read<T> {
    let reader = Reader::default();
    let mut value = None;
    loop {
        let before = reader.failed.borrow().len();
        let result = T::deserialize(NodeDe {
            node,
            path: path.to_owned(),
            r: &reader,
        });
        match result {
            Ok(v) => {
                value = Some(v);
                break;
            }
            Err(Error::Recorded) => {}
            Err(other) => reader.fail(node, node.at, path, other.to_string()),
        }
        let progressed = reader.failed.borrow().len() > before;
        if !progressed || reader.issues.borrow().len() >= MAX_ERRORS {
            break;
        }
    }
    let mut errors = reader.issues.into_inner();
    errors.sort_by_key(|i| (i.at.line(), i.at.column()));
    let warnings = reader.warnings.into_inner();
    if !errors.is_empty() {
        value = None;
    }
    Read {
        value,
        errors,
        warnings,
    }
}

/// What [`read`] found.
pub(crate) struct Read<T> {
    /// The value, when there was no error.
    pub value: Option<T>,
    pub errors: Vec<Issue>,
    /// Things accepted but ignored.
    pub warnings: Vec<Issue>,
}

#[derive(Default)]
struct Reader {
    /// Values already reported (or given up because of a reported value inside): later passes
    /// skip them.
    failed: RefCell<HashSet<*const Node>>,
    issues: RefCell<Vec<Issue>>,
    /// Mappings already warned about, and the warnings.
    warned: RefCell<HashSet<*const Node>>,
    warnings: RefCell<Vec<Issue>>,
}

impl Reader {
    /// Records a warning about `node`, once however many passes read it.
    fn warn(&self, node: &Node, at: Location, field: &str, message: String) {
        if self.warned.borrow_mut().insert(std::ptr::from_ref(node)) {
            self.warnings.borrow_mut().push(Issue {
                at,
                field: field.to_owned(),
                message,
            });
        }
    }

    fn is_failed(&self, node: &Node) -> bool {
        self.failed.borrow().contains(&std::ptr::from_ref(node))
    }

    /// Sets `node` aside and records why, once.
    fn fail(&self, node: &Node, at: Location, field: &str, message: String) {
        if self.failed.borrow_mut().insert(std::ptr::from_ref(node)) {
            self.issues.borrow_mut().push(Issue {
                at,
                field: field.to_owned(),
                message,
            });
        }
    }

    /// Sets `node` aside without a message: what is wrong inside it is already reported.
    fn give_up(&self, node: &Node) {
        self.failed.borrow_mut().insert(std::ptr::from_ref(node));
    }
}

/// Errors travelling through serde while reading.
#[derive(Debug)]
pub(crate) enum Error {
    /// A problem already recorded: the value it was in cannot be built.
    Recorded,
    /// A required field is absent.
    MissingField(&'static str),
    /// A problem to record where it surfaces.
    Message(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Recorded => f.write_str("invalid value"),
            Self::MissingField(field) => write!(f, "required field `{field}` is missing"),
            Self::Message(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::Message(msg.to_string())
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::Message(format!("expected {exp}, found {}", unexpected(&unexp)))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::Message(format!("expected {exp}, found {}", unexpected(&unexp)))
    }

    fn invalid_length(len: usize, exp: &dyn de::Expected) -> Self {
        Self::Message(format!("expected {exp}, found {len} items"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::Message(format!(
            "`{variant}` is not one of {}",
            one_of(expected.iter().copied())
        ))
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        Self::Message(format!("unknown field `{field}`"))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::MissingField(field)
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::Message(format!("`{field}` is given more than once"))
    }
}

fn unexpected(u: &de::Unexpected<'_>) -> String {
    use de::Unexpected as U;
    match u {
        U::Bool(b) => format!("`{b}`"),
        U::Unsigned(n) => format!("`{n}`"),
        U::Signed(n) => format!("`{n}`"),
        U::Float(n) => format!("`{n}`"),
        U::Char(c) => format!("the text `{c}`"),
        U::Str(s) => format!("the text `{s}`"),
        U::Unit | U::Option => "null".to_owned(),
        U::Seq => "a list".to_owned(),
        U::Map => "a mapping".to_owned(),
        _ => "another kind of value".to_owned(),
    }
}

/// `` `a`, `b` and `c` ``.
fn one_of_all(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// `` `a`, `b` or `c` ``.
fn one_of<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values.map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        None => "nothing".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// What the value found is, in the words of the YAML.
fn found(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Int(_) | Value::Float(_) => format!("`{}`", node.scalar_text().unwrap_or_default()),
        Value::Str(s) => format!("the text `{s}`"),
        Value::Seq(_) => "a list".to_owned(),
        Value::Map(_) => "a mapping".to_owned(),
    }
}

/// The deserializer of one node.
struct NodeDe<'a> {
    node: &'a Node,
    path: String,
    r: &'a Reader,
}

impl NodeDe<'_> {
    /// Records that the value is not what was expected.
    fn mismatch(&self, expected: &str) -> Error {
        self.r.fail(
            self.node,
            self.node.at,
            &self.path,
            format!("expected {expected}, found {}", found(self.node)),
        );
        Error::Recorded
    }

    fn integer(&self, min: i128, max: i128) -> Result<i128, Error> {
        let n = match &self.node.value {
            Value::Int(n) => Some(*n),
            // A quoted number is read as the number, as the YAML parser does.
            Value::Str(s) => s.trim().parse::<i128>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(_) => Err(self.mismatch(&format!("a whole number from {min} to {max}"))),
            None => Err(self.mismatch("a whole number")),
        }
    }
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

macro_rules! integers {
    ($($method:ident => $visit:ident: $ty:ty),+ $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let n = self.integer(<$ty>::MIN.into(), <$ty>::MAX.into())?;
            // In range by the check above.
            visitor.$visit(<$ty>::try_from(n).map_err(|_| Error::Recorded)?)
        }
    )+};
}

impl<'de> Deserializer<'de> for NodeDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(n) => match i64::try_from(*n) {
                Ok(n) => visitor.visit_i64(n),
                Err(_) => visitor.visit_i128(*n),
            },
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqDe::new(items, &self.path, self.r)),
            Value::Map(entries) => {
                visitor.visit_map(MapDe::new(entries.iter().collect(), &self.path, self.r))
            }
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Str(s) if s == "true" => visitor.visit_bool(true),
            Value::Str(s) if s == "false" => visitor.visit_bool(false),
            _ => Err(self.mismatch("`true` or `false`")),
        }
    }

    integers! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "a manifest number written as an integer into a decimal field"
    )]
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Int(n) => visitor.visit_f64(*n as f64),
            Value::Str(s) => match s.trim().parse::<f64>() {
                Ok(f) => visitor.visit_f64(f),
                Err(_) => Err(self.mismatch("a number")),
            },
            _ => Err(self.mismatch("a number")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.scalar_text() {
            Some(text) => visitor.visit_string(text),
            None => Err(self.mismatch("text")),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            visitor.visit_unit()
        } else {
            Err(self.mismatch("null"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Seq(items) => visitor.visit_seq(SeqDe::new(items, &self.path, self.r)),
            _ => Err(self.mismatch("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Map(entries) => {
                visitor.visit_map(MapDe::new(entries.iter().collect(), &self.path, self.r))
            }
            _ => Err(self.mismatch("a mapping of names to values")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let Value::Map(entries) = &self.node.value else {
            return Err(self.mismatch("a mapping"));
        };
        let mut kept = Vec::new();
        // Fields that are absent on purpose: set aside earlier (reported), or null (not set).
        let mut set_aside: Vec<&str> = Vec::new();
        let mut nulls: Vec<&Entry> = Vec::new();
        let mut whole_is_elsewhere = false;
        let mut ignored: Vec<&Entry> = Vec::new();
        for entry in entries {
            let path = child_path(&self.path, &entry.key);
            if self.r.is_failed(&entry.value) {
                set_aside.push(&entry.key);
                continue;
            }
            if fields.contains(&entry.key.as_str()) {
                if entry.value.is_null() {
                    nulls.push(entry);
                } else {
                    kept.push(entry);
                }
                continue;
            }
            match note_for(name, &entry.key, &entry.value) {
                Note::NotSet => {}
                Note::Ignored => ignored.push(entry),
                Note::Refuse(message) => {
                    self.r.fail(&entry.value, entry.key_at, &path, message);
                }
                Note::Wrapped(message) => {
                    whole_is_elsewhere = true;
                    self.r.fail(&entry.value, entry.key_at, &path, message);
                }
                Note::Unknown => {
                    let mut message = format!("unknown field `{}`", entry.key);
                    if let Some(close) = closest(&entry.key, fields) {
                        message.push_str(&format!("; did you mean `{close}`?"));
                    }
                    self.r.fail(&entry.value, entry.key_at, &path, message);
                }
            }
        }
        if let Some(first) = ignored.first() {
            let names: Vec<&str> = ignored.iter().map(|e| e.key.as_str()).collect();
            let them = if names.len() == 1 { "it" } else { "them" };
            self.r.warn(
                self.node,
                first.key_at,
                &self.path,
                format!(
                    "ignored {}: only `aws ecs describe-task-definition` answers {them}, \
                     `register-task-definition` does not take {them}; delete {them} from the \
                     manifest",
                    one_of_all(&names),
                ),
            );
        }
        let result = visitor.visit_map(MapDe::new(kept, &self.path, self.r));
        match result {
            Ok(v) => Ok(v),
            Err(Error::Recorded) => Err(Error::Recorded),
            Err(Error::MissingField(field))
                if whole_is_elsewhere
                    || set_aside.iter().any(|k| k.eq_ignore_ascii_case(field)) =>
            {
                self.r.give_up(self.node);
                Err(Error::Recorded)
            }
            Err(Error::MissingField(field)) => {
                let path = child_path(&self.path, field);
                match nulls.iter().find(|e| e.key.eq_ignore_ascii_case(field)) {
                    Some(entry) => self.r.fail(
                        self.node,
                        entry.value.at,
                        &path,
                        "is required, and null means not set".to_owned(),
                    ),
                    None => self.r.fail(
                        self.node,
                        self.node.at,
                        &path,
                        "required field is missing".to_owned(),
                    ),
                }
                Err(Error::Recorded)
            }
            Err(other) => {
                self.r
                    .fail(self.node, self.node.at, &self.path, other.to_string());
                Err(Error::Recorded)
            }
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(self.mismatch(&one_of(variants.iter().copied()))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// The items of a list, without those set aside.
struct SeqDe<'a> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: &'a str,
    r: &'a Reader,
}

impl<'a> SeqDe<'a> {
    fn new(items: &'a [Node], path: &'a str, r: &'a Reader) -> Self {
        Self {
            items: items.iter().enumerate(),
            path,
            r,
        }
    }
}

impl<'de> SeqAccess<'de> for SeqDe<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((index, node)) = self.items.by_ref().find(|(_, n)| !self.r.is_failed(n)) else {
            return Ok(None);
        };
        let path = format!("{}[{index}]", self.path);
        read_value(seed, node, path, self.r).map(Some)
    }
}

/// The entries of a mapping, without those set aside.
struct MapDe<'a> {
    entries: std::vec::IntoIter<&'a Entry>,
    current: Option<&'a Entry>,
    path: &'a str,
    r: &'a Reader,
}

impl<'a> MapDe<'a> {
    fn new(entries: Vec<&'a Entry>, path: &'a str, r: &'a Reader) -> Self {
        Self {
            entries: entries.into_iter(),
            current: None,
            path,
            r,
        }
    }
}

impl<'de> MapAccess<'de> for MapDe<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let r = self.r;
        let Some(entry) = self.entries.by_ref().find(|e| !r.is_failed(&e.value)) else {
            return Ok(None);
        };
        self.current = Some(entry);
        let key: de::value::StrDeserializer<'_, Error> = entry.key.as_str().into_deserializer();
        match seed.deserialize(key) {
            Ok(k) => Ok(Some(k)),
            Err(Error::Recorded) => Err(Error::Recorded),
            Err(e) => {
                let path = child_path(self.path, &entry.key);
                r.fail(&entry.value, entry.key_at, &path, e.to_string());
                Err(Error::Recorded)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(entry) = self.current.take() else {
            return Err(Error::Message("a value without a key".to_owned()));
        };
        let path = child_path(self.path, &entry.key);
        read_value(seed, &entry.value, path, self.r)
    }
}

/// Reads one value; a problem the value's own reader raised is recorded at the value.
fn read_value<'de, T: DeserializeSeed<'de>>(
    seed: T,
    node: &Node,
    path: String,
    r: &Reader,
) -> Result<T::Value, Error> {
    let result = seed.deserialize(NodeDe {
        node,
        path: path.clone(),
        r,
    });
    match result {
        Ok(v) => Ok(v),
        Err(Error::Recorded) => Err(Error::Recorded),
        Err(e) => {
            r.fail(node, node.at, &path, e.to_string());
            Err(Error::Recorded)
        }
    }
}

/// How a field the type does not have is answered.
enum Note {
    /// Accepted as not set (`null`, or an empty list for a feature that is gone).
    NotSet,
    /// Read-only output of `describe-task-definition`: ignored, with one warning per mapping.
    Ignored,
    /// Refused with a reason.
    Refuse(String),
    /// Refused, and the mapping it is in is not what it should be: the fields missing from it
    /// are consequences, not more errors.
    Wrapped(String),
    /// An unknown field.
    Unknown,
}

/// Where AWS documents the end of App Mesh.
const APP_MESH_END: &str =
    "https://docs.aws.amazon.com/app-mesh/latest/userguide/what-is-app-mesh.html";
/// Where AWS documents that Elastic Inference is no longer available.
const ELASTIC_INFERENCE_END: &str =
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ElasticInferenceAccelerator.html";

/// Fields of `DescribeTaskDefinition`'s answer that `RegisterTaskDefinition` does not take.
pub(crate) const DESCRIBE_ONLY: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

/// Why a field that `type_name` does not have is refused, or that it is harmless.
fn note_for(type_name: &str, field: &str, value: &Node) -> Note {
    let empty = match &value.value {
        Value::Null => true,
        Value::Seq(items) => items.is_empty(),
        _ => false,
    };
    match (type_name, field) {
        ("TaskDefinition", f) if DESCRIBE_ONLY.contains(&f) => {
            if value.is_null() {
                Note::NotSet
            } else {
                Note::Ignored
            }
        }
        ("TaskDefinition", "taskDefinition") => Note::Wrapped(
            "this is `aws ecs describe-task-definition` output: put the mapping under its \
             `taskDefinition` here instead, without its read-only fields, and its tags under \
             spec.tags"
                .to_owned(),
        ),
        ("TaskDefinition", "tags") if empty => Note::NotSet,
        ("TaskDefinition", "tags") => Note::Refuse(
            "the task definition's tags come from spec.tags (a mapping of key: value), which \
             tags the service, its task definition revisions and its Cloud Map service alike"
                .to_owned(),
        ),
        ("TaskDefinition", "proxyConfiguration") if value.is_null() => Note::NotSet,
        ("TaskDefinition", "proxyConfiguration") => Note::Refuse(format!(
            "App Mesh's proxy configuration is not supported: AWS ended support for App Mesh on \
             30 September 2026 ({APP_MESH_END}); ECS Service Connect replaces it"
        )),
        ("TaskDefinition", "inferenceAccelerators") if empty => Note::NotSet,
        ("TaskDefinition", "inferenceAccelerators") => Note::Refuse(format!(
            "Elastic Inference accelerators are not supported: Amazon Elastic Inference is no \
             longer available ({ELASTIC_INFERENCE_END})"
        )),
        ("Volume", "fsxWindowsFileServerVolumeConfiguration") if value.is_null() => Note::NotSet,
        ("Volume", "fsxWindowsFileServerVolumeConfiguration") => Note::Refuse(
            "FSx for Windows File Server volumes are not supported by this controller yet"
                .to_owned(),
        ),
        ("ServiceSettings", "cluster") => {
            Note::Refuse("the cluster is set by spec.cluster".to_owned())
        }
        ("ServiceSettings", "serviceName") => {
            Note::Refuse("the service is named by metadata.name".to_owned())
        }
        ("ServiceSettings", "taskDefinition") => {
            Note::Refuse("the service runs spec.taskDefinition".to_owned())
        }
        ("ServiceSettings", "serviceRegistries") => Note::Refuse(
            "the service registers its tasks in the Cloud Map service of spec.serviceDiscovery"
                .to_owned(),
        ),
        ("ServiceSettings", "tags") => {
            Note::Refuse("the service's tags come from spec.tags".to_owned())
        }
        _ => Note::Unknown,
    }
}

/// The field a misspelt `key` most likely meant: the same but for case, or at most two edits
/// away.
fn closest(key: &str, fields: &[&'static str]) -> Option<&'static str> {
    if let Some(same) = fields.iter().find(|f| f.eq_ignore_ascii_case(key)) {
        return Some(same);
    }
    fields
        .iter()
        .map(|f| (edit_distance(key, f), *f))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j] + 1).min(row[j + 1] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
