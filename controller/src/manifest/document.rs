//! One document of a manifest file: its located tree ([`super::tree`]) read into the raw
//! parts the checks need, every problem of the document collected on the way.
//!
//! `kind` decides the type of `spec`; since the whole document is a tree by now, the order of
//! the top-level fields does not matter.

use std::collections::BTreeMap;

use serde_saphyr::Location;

use super::spec::{AccountSpec, ClusterSpec, EcsServiceSpec, NamespaceSpec};
use super::tree::{Node, Value};
use super::typed;

/// A problem found while reading a document; the loader turns it into a located
/// `ManifestError`.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// Where, when known (otherwise the document start is used).
    pub location: Option<Location>,
    /// Field path.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A text value with where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub value: String,
    pub at: Location,
}

/// `metadata` of a document.
#[derive(Debug, Clone)]
pub(crate) struct RawMetadata {
    pub name: Located,
    pub annotations: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

/// The spec, typed by kind.
#[derive(Debug, Clone)]
pub(crate) enum RawSpec {
    Account(AccountSpec),
    Namespace(NamespaceSpec),
    Cluster(ClusterSpec),
    Service(Box<EcsServiceSpec>),
}

/// One document as read.
#[derive(Debug, Clone)]
pub(crate) struct RawDocument<'a> {
    /// The whole document, to locate the fields later checks name.
    pub root: &'a Node,
    pub api_version: Option<Located>,
    pub kind: Option<Located>,
    /// `metadata.name` when it could be read, even if the rest of `metadata` could not.
    pub metadata: Option<RawMetadata>,
    /// Whether the document has a `metadata` field at all.
    pub has_metadata: bool,
    /// The typed spec and where it starts; `None` when absent or invalid.
    pub spec: Option<(RawSpec, Location)>,
    /// Whether the document has a `spec` field at all.
    pub has_spec: bool,
    pub problems: Vec<Problem>,
    /// Settings accepted but ignored.
    pub warnings: Vec<Problem>,
}

/// Kinds this controller knows.
pub(crate) const KINDS: &[&str] = &[
    ACCOUNT_KIND,
    "CloudMapNamespace",
    "EcsCluster",
    "EcsService",
];
/// The kind that describes an account rather than an AWS object.
pub(crate) const ACCOUNT_KIND: &str = "AwsAccount";
const FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec"];

/// Reads a document's parts, collecting every problem.
pub(crate) fn read_document(root: &Node) -> RawDocument<'_> {
    let mut doc = RawDocument {
        root,
        api_version: None,
        kind: None,
        metadata: None,
        has_metadata: false,
        spec: None,
        has_spec: false,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let Value::Map(entries) = &root.value else {
        doc.problems.push(Problem {
            location: Some(root.at),
            field: String::new(),
            message: "a manifest document is a mapping with apiVersion, kind, metadata and spec"
                .to_owned(),
        });
        return doc;
    };
    for entry in entries {
        if !FIELDS.contains(&entry.key.as_str()) {
            doc.problems.push(Problem {
                location: Some(entry.key_at),
                field: entry.key.clone(),
                message: format!(
                    "unknown field `{}`, expected apiVersion, kind, metadata or spec",
                    entry.key
                ),
            });
        }
    }
    doc.api_version = text_field(root, "apiVersion", &mut doc.problems);
    doc.kind = text_field(root, "kind", &mut doc.problems);
    if let Some(metadata) = root.get("metadata") {
        doc.has_metadata = true;
        doc.metadata = read_metadata(metadata, &mut doc.problems);
    }
    if let Some(spec) = root.get("spec") {
        doc.has_spec = true;
        let kind = doc.kind.as_ref().map(|k| k.value.as_str());
        doc.spec = read_spec(kind, spec, &mut doc.problems, &mut doc.warnings);
    }
    doc
}

/// A top-level field that must be text.
fn text_field(root: &Node, field: &str, problems: &mut Vec<Problem>) -> Option<Located> {
    let node = root.get(field)?;
    match &node.value {
        Value::Str(s) => Some(Located {
            value: s.clone(),
            at: node.at,
        }),
        _ => {
            problems.push(Problem {
                location: Some(node.at),
                field: field.to_owned(),
                message: "expected text".to_owned(),
            });
            None
        }
    }
}

fn read_metadata(node: &Node, problems: &mut Vec<Problem>) -> Option<RawMetadata> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(
        dead_code,
        reason = "the name is read from the tree, with its location"
    )]
    struct Metadata {
        name: String,
        #[serde(default)]
        annotations: BTreeMap<String, String>,
        #[serde(default)]
        labels: BTreeMap<String, String>,
    }
    let read = typed::read::<Metadata>(node, "metadata");
    push_issues(problems, read.errors);
    let metadata = read.value;
    // The name is kept even when the rest of metadata is invalid: other files may refer to it.
    let name = node.get("name").and_then(|n| {
        Some(Located {
            value: n.scalar_text()?,
            at: n.at,
        })
    })?;
    let (annotations, labels) =
        metadata.map_or_else(Default::default, |m| (m.annotations, m.labels));
    Some(RawMetadata {
        name,
        annotations,
        labels,
    })
}

fn read_spec(
    kind: Option<&str>,
    node: &Node,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> Option<(RawSpec, Location)> {
    fn typed<T: serde::de::DeserializeOwned>(
        node: &Node,
        problems: &mut Vec<Problem>,
        warnings: &mut Vec<Problem>,
    ) -> Option<T> {
        let read = typed::read::<T>(node, "spec");
        push_issues(problems, read.errors);
        push_issues(warnings, read.warnings);
        read.value
    }
    let spec = match kind? {
        ACCOUNT_KIND => RawSpec::Account(typed(node, problems, warnings)?),
        "CloudMapNamespace" => RawSpec::Namespace(typed(node, problems, warnings)?),
        "EcsCluster" => RawSpec::Cluster(typed(node, problems, warnings)?),
        "EcsService" => RawSpec::Service(Box::new(typed(node, problems, warnings)?)),
        // The unknown kind is reported by validation at the `kind` location.
        _ => return None,
    };
    Some((spec, node.at))
}

fn push_issues(problems: &mut Vec<Problem>, issues: Vec<typed::Issue>) {
    problems.extend(issues.into_iter().map(|i| Problem {
        location: Some(i.at),
        field: i.field,
        message: i.message,
    }));
}
