//! Stage one of manifest parsing: one YAML document into a raw, located structure.
//!
//! `kind` decides the type of `spec`, so the document is read by a hand-written visitor that
//! picks the spec type once `kind` is known; this keeps serde-saphyr's locations (a buffered
//! `#[serde(tag = "kind")]` enum would lose them). `kind` must therefore come before `spec`,
//! which every Kubernetes-style manifest does anyway.
//!
//! Field paths: serde-saphyr reports line and column but not the path of the failing field,
//! so the document is deserialized through `serde_path_to_error`. Because the deserializer
//! type is generic inside `Deserialize`, the path cannot travel inside the error value; it is
//! left in a thread-local slot that the caller reads right after the failure on the same
//! thread (see [`take_error_path`]).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::spec::{
    ClusterSpec, DnsConfig, HealthCheckCustomConfig, NamespaceSpec, ServiceSettings,
};
use crate::taskdef::TaskDefinition;

/// A problem found while reading a document that is not a YAML/serde error (those abort the
/// document); the loader turns it into a located `ManifestError`.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// Where, when known (otherwise the document start is used).
    pub location: Option<Location>,
    /// Field path.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// `metadata` of a document.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMetadata {
    pub name: Spanned<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `spec.serviceDiscovery` with the namespace reference located.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawDiscovery {
    pub namespace: Spanned<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub dns_config: DnsConfig,
    #[serde(default)]
    pub health_check_custom_config: Option<HealthCheckCustomConfig>,
    #[serde(default)]
    pub container_name: Option<String>,
    #[serde(default)]
    pub container_port: Option<i32>,
    #[serde(default)]
    pub port: Option<i32>,
}

/// `spec` of an `EcsService` as read.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawServiceSpec {
    #[serde(default)]
    pub region: Option<String>,
    pub cluster: String,
    pub task_definition: TaskDefinition,
    pub service: ServiceSettings,
    #[serde(default)]
    pub service_discovery: Option<RawDiscovery>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The spec, typed by kind.
#[derive(Debug, Clone)]
pub(crate) enum RawSpec {
    Namespace(NamespaceSpec),
    Cluster(ClusterSpec),
    Service(Box<RawServiceSpec>),
}

/// One document as read.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawDocument {
    pub api_version: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub metadata: Option<RawMetadata>,
    pub spec: Option<Spanned<RawSpec>>,
    pub problems: Vec<Problem>,
}

/// Kinds this controller knows.
pub(crate) const KINDS: &[&str] = &["CloudMapNamespace", "EcsCluster", "EcsService"];
const FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec"];

/// A document together with its own location (the mapping start).
pub(crate) struct LocatedDocument(pub Spanned<RawDocument>);

thread_local! {
    static ERROR_PATH: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The field path of the last document that failed to deserialize on this thread.
pub(crate) fn take_error_path() -> Option<String> {
    ERROR_PATH.with(|slot| slot.borrow_mut().take())
}

impl<'de> Deserialize<'de> for LocatedDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_path_to_error::deserialize::<_, Spanned<RawDocument>>(deserializer) {
            Ok(doc) => Ok(Self(doc)),
            Err(err) => {
                let path = clean_path(err.path());
                ERROR_PATH.with(|slot| *slot.borrow_mut() = Some(path));
                Err(err.into_inner())
            }
        }
    }
}

/// Drops the `value` segments that `Spanned` wrappers add, so paths read like the YAML.
fn clean_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    let mut out = String::new();
    let mut names: Vec<String> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Map { key } => {
                let spanned_inner = key == "value"
                    && (i == 0
                        || matches!(
                            names.as_slice(),
                            [a] if a == "spec" || a == "kind" || a == "apiVersion"
                        )
                        || matches!(names.as_slice(), [a, b] if a == "metadata" && b == "name")
                        || matches!(
                            names.as_slice(),
                            [a, b, c] if a == "spec" && b == "serviceDiscovery" && c == "namespace"
                        ));
                if spanned_inner {
                    continue;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
                names.push(key.clone());
            }
            Segment::Seq { index } => {
                out.push_str(&format!("[{index}]"));
                names.push(format!("[{index}]"));
            }
            Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
                names.push(variant.clone());
            }
            // The parser failed before the key was known: the path ends at the parent.
            Segment::Unknown => {}
        }
    }
    out
}

impl<'de> Deserialize<'de> for RawDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = RawDocument;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a manifest document (a mapping with apiVersion, kind, metadata and spec)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDocument, A::Error> {
        let mut doc = RawDocument::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "apiVersion" => set_once(&mut map, &mut doc.api_version, "apiVersion")?,
                "kind" => set_once(&mut map, &mut doc.kind, "kind")?,
                "metadata" => set_once(&mut map, &mut doc.metadata, "metadata")?,
                "spec" => {
                    if doc.spec.is_some() {
                        return Err(de::Error::duplicate_field("spec"));
                    }
                    doc.spec = read_spec(&mut map, &mut doc)?;
                }
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            }
        }
        Ok(doc)
    }
}

/// Reads the value of a field that may appear only once.
fn set_once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    field: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(field));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

fn read_spec<'de, A: MapAccess<'de>>(
    map: &mut A,
    doc: &mut RawDocument,
) -> Result<Option<Spanned<RawSpec>>, A::Error> {
    let Some(kind) = doc.kind.as_ref() else {
        let skipped: Spanned<IgnoredAny> = map.next_value()?;
        doc.problems.push(Problem {
            location: Some(skipped.referenced),
            field: "spec".into(),
            message: "`kind` must appear before `spec`".into(),
        });
        return Ok(None);
    };
    let spec = match kind.value.as_str() {
        "CloudMapNamespace" => {
            let s: Spanned<NamespaceSpec> = map.next_value()?;
            Spanned::new(RawSpec::Namespace(s.value), s.referenced, s.defined)
        }
        "EcsCluster" => {
            let s: Spanned<ClusterSpec> = map.next_value()?;
            Spanned::new(RawSpec::Cluster(s.value), s.referenced, s.defined)
        }
        "EcsService" => {
            let s: Spanned<RawServiceSpec> = map.next_value()?;
            Spanned::new(RawSpec::Service(Box::new(s.value)), s.referenced, s.defined)
        }
        // The unknown kind is reported by validation at the `kind` location.
        _ => {
            let _: IgnoredAny = map.next_value()?;
            return Ok(None);
        }
    };
    Ok(Some(spec))
}
