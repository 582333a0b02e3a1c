//! Manifests: YAML files (many documents per file, many files per directory) into a
//! validated [`ManifestSet`].
//!
//! # Contract
//! - Every error names the file, line, column and field ([`ManifestError`]). Unknown fields,
//!   wrong types, unknown kinds, duplicate names and dangling references (a service pointing
//!   at a namespace no valid manifest defines) are errors.
//! - A file with any error contributes nothing; other files still load. [`load`] returns the
//!   good set together with every error, so a caller decides: the CLI refuses to apply
//!   anything when there is an error, the long-running controller keeps reconciling the rest.
//! - Parsing is two-staged: the private `document` module reads raw located documents, this
//!   module validates them into typed [`Resource`]s.
//! - Files are read only inside the source root and every revision is bounded by [`Limits`]
//!   (the private `read` and `limits` modules); a refusal is an error like any other.
//!
//! Locations: serde-saphyr locates syntax, type and unknown-field errors exactly; semantic
//! checks point at the value they concern when it is located (`metadata.name`, `kind`,
//! `apiVersion`, `serviceDiscovery.namespace`) and otherwise at the start of `spec`.

mod document;
mod limits;
mod read;
pub mod spec;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_saphyr::Location;

use self::document::{LocatedDocument, Problem, RawDocument, RawSpec, take_error_path};
use self::limits::DocumentCount;
pub use self::limits::Limits;
pub use self::spec::{ClusterSpec, DiscoverySpec, EcsServiceSpec, NamespaceSpec, ServiceSettings};
use crate::{ANNOTATION_ADOPT, ANNOTATION_DRIFT_POLICY, ANNOTATION_REDACT_ENV, API_VERSION};

/// The kinds of manifest objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Kind {
    /// A Cloud Map private DNS namespace (applied first).
    CloudMapNamespace,
    /// An ECS cluster.
    EcsCluster,
    /// An ECS service with its task definition and optional Cloud Map service.
    EcsService,
}

impl Kind {
    /// The kind as written in manifests and tags.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudMapNamespace => "CloudMapNamespace",
            Self::EcsCluster => "EcsCluster",
            Self::EcsService => "EcsService",
        }
    }

    /// Parses a kind as written in manifests and tags.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "CloudMapNamespace" => Some(Self::CloudMapNamespace),
            "EcsCluster" => Some(Self::EcsCluster),
            "EcsService" => Some(Self::EcsService),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identity of a manifest object: kind and `metadata.name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceKey {
    /// Kind.
    pub kind: Kind,
    /// `metadata.name`.
    pub name: String,
}

impl ResourceKey {
    /// Builds a key.
    #[must_use]
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }

    /// Parses `<Kind>/<name>` (the ownership tag value).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let (kind, name) = s.split_once('/')?;
        Some(Self::new(Kind::parse(kind)?, name))
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// What to do about drift (annotation `ecs.finfocus.io/drift-policy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftPolicy {
    /// Correct drift (the default).
    #[default]
    Enforce,
    /// Only report drift; missing resources are still created.
    Detect,
}

/// Where a manifest object was defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    /// File label (path as given).
    pub file: String,
    /// 1-based line of `metadata.name` (0 when unknown).
    pub line: u64,
    /// 1-based column (0 when unknown).
    pub column: u64,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// A typed spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceSpec {
    /// `CloudMapNamespace`.
    Namespace(NamespaceSpec),
    /// `EcsCluster`.
    Cluster(ClusterSpec),
    /// `EcsService`.
    Service(Box<EcsServiceSpec>),
}

/// One validated manifest object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Kind and name.
    pub key: ResourceKey,
    /// Region override (`spec.region`), else the controller's region.
    pub region: Option<String>,
    /// Drift policy.
    pub drift_policy: DriftPolicy,
    /// Whether an existing untagged resource may be taken over.
    pub adopt: bool,
    /// Environment variables whose values plans redact (`ecs.finfocus.io/redact-env`).
    pub redact_env: Vec<String>,
    /// Where it was defined.
    pub source: SourceLocation,
    /// `metadata.labels` (informational).
    pub labels: BTreeMap<String, String>,
    /// The spec.
    pub spec: ResourceSpec,
}

impl Resource {
    /// Kind.
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.key.kind
    }

    /// `metadata.name`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.key.name
    }

    /// Kind and name.
    #[must_use]
    pub fn key(&self) -> &ResourceKey {
        &self.key
    }

    /// The region this object lives in, given the controller's default.
    #[must_use]
    pub fn region_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.region.as_deref().unwrap_or(default)
    }
}

/// Validated manifest objects in apply order (namespaces, clusters, services; by name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestSet {
    resources: Vec<Resource>,
}

impl ManifestSet {
    /// Builds a set, sorting into apply order.
    #[must_use]
    pub fn new(mut resources: Vec<Resource>) -> Self {
        resources.sort_by(|a, b| a.key.cmp(&b.key));
        Self { resources }
    }

    /// All objects in apply order.
    #[must_use]
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// Looks an object up by key.
    #[must_use]
    pub fn get(&self, key: &ResourceKey) -> Option<&Resource> {
        self.resources
            .binary_search_by(|r| r.key.cmp(key))
            .ok()
            .and_then(|i| self.resources.get(i))
    }

    /// The `CloudMapNamespace` object named `name`.
    #[must_use]
    pub fn namespace(&self, name: &str) -> Option<(&Resource, &NamespaceSpec)> {
        let r = self.get(&ResourceKey::new(Kind::CloudMapNamespace, name))?;
        match &r.spec {
            ResourceSpec::Namespace(ns) => Some((r, ns)),
            _ => None,
        }
    }

    /// Number of objects.
    #[must_use]
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether there are no objects.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

/// A located manifest error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestError {
    /// File label.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: u64,
    /// 1-based column (0 when unknown).
    pub column: u64,
    /// Field path inside the document, e.g. `spec.service.desiredCount`.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        match &self.field {
            Some(field) if !field.is_empty() => write!(f, ": {field}: {}", self.message),
            _ => write!(f, ": {}", self.message),
        }
    }
}

impl std::error::Error for ManifestError {}

/// The result of loading: the valid objects and every error.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Objects from files without errors.
    pub set: ManifestSet,
    /// All errors, in file order.
    pub errors: Vec<ManifestError>,
    /// Settings that are accepted but do not do what they say (e.g. a deprecated value AWS
    /// ignores), in file order.
    pub warnings: Vec<ManifestError>,
    /// Files read (labels), in order.
    pub files: Vec<String>,
}

impl Loaded {
    /// The set if there were no errors, else every error.
    ///
    /// # Errors
    /// [`crate::Error::Manifest`] when any file had an error.
    pub fn into_result(self) -> crate::Result<ManifestSet> {
        if self.errors.is_empty() {
            Ok(self.set)
        } else {
            Err(crate::Error::Manifest(self.errors))
        }
    }
}

/// Loads files and directories (`*.yaml`/`*.yml`, recursively, sorted; dot-files skipped)
/// under the default [`Limits`], each path confined to itself (a file to its directory).
#[must_use]
pub fn load(paths: &[PathBuf]) -> Loaded {
    load_with(paths, &Limits::default())
}

/// As [`load`], under `limits`.
#[must_use]
pub fn load_with(paths: &[PathBuf], limits: &Limits) -> Loaded {
    finish(read::read(None, paths, limits), limits)
}

/// As [`load_with`], with every path confined to `root` (e.g. a whole checkout, of which `paths`
/// is a part): nothing whose real path leaves `root` is read.
#[must_use]
pub fn load_within(root: &Path, paths: &[PathBuf], limits: &Limits) -> Loaded {
    finish(read::read(Some(root), paths, limits), limits)
}

/// Parses what was read; refusals of the reading come first.
fn finish(files: read::Files, limits: &Limits) -> Loaded {
    let mut loaded = load_sources_with(&files.sources, limits);
    let mut errors = files.errors;
    errors.iter_mut().for_each(read::clip);
    errors.append(&mut loaded.errors);
    loaded.errors = errors;
    loaded
}

/// Parses one file's text (`file_label` names it in errors).
///
/// # Errors
/// Every error found in the text.
pub fn load_str(file_label: &str, text: &str) -> Result<ManifestSet, Vec<ManifestError>> {
    let loaded = load_sources(&[(file_label.to_owned(), text.to_owned())]);
    if loaded.errors.is_empty() {
        Ok(loaded.set)
    } else {
        Err(loaded.errors)
    }
}

/// Parses several files given as `(label, text)` pairs and checks them together
/// (duplicates and references span files).
#[must_use]
pub fn load_sources(sources: &[(String, String)]) -> Loaded {
    load_sources_with(sources, &Limits::default())
}

/// As [`load_sources`], under `limits` (of which the byte and file limits concern reading and
/// are not checked here).
#[must_use]
pub fn load_sources_with(sources: &[(String, String)], limits: &Limits) -> Loaded {
    let mut documents = DocumentCount::new(limits);
    let mut files: Vec<FileResult> = sources
        .iter()
        .map(|(label, text)| parse_file(label, text, limits, &mut documents))
        .collect();
    check_duplicates(&mut files);
    check_references(&mut files);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut resources = Vec::new();
    for mut file in files {
        warnings.append(&mut file.warnings);
        if file.errors.is_empty() {
            resources.extend(file.resources.into_iter().map(|(r, _)| r));
        } else {
            errors.extend(file.errors);
        }
    }
    errors.iter_mut().for_each(read::clip);
    Loaded {
        set: ManifestSet::new(resources),
        errors,
        warnings,
        files: sources.iter().map(|(label, _)| label.clone()).collect(),
    }
}

/// Per-file state while loading.
struct FileResult {
    label: String,
    /// Resources with the location of `metadata.name` and of the namespace reference.
    resources: Vec<(Resource, Refs)>,
    /// Every object whose kind and name could be read, valid or not.
    defined: Vec<ResourceKey>,
    errors: Vec<ManifestError>,
    warnings: Vec<ManifestError>,
}

/// Located values needed by the cross-file checks.
#[derive(Clone, Copy)]
struct Refs {
    name: (u64, u64),
    namespace_ref: Option<(u64, u64)>,
}

fn parse_file(
    label: &str,
    text: &str,
    limits: &Limits,
    documents: &mut DocumentCount,
) -> FileResult {
    let mut result = FileResult {
        label: label.to_owned(),
        resources: Vec::new(),
        defined: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut reader = Cursor::new(text.as_bytes());
    for (index, item) in
        serde_saphyr::read_with_options::<_, LocatedDocument>(&mut reader, limits.yaml_options())
            .enumerate()
    {
        if let Err(message) = documents.admit(index) {
            // The file is refused as a whole: the errors of its documents would only bury why.
            result.errors.clear();
            result.resources.clear();
            result.errors.push(ManifestError {
                file: label.to_owned(),
                line: 0,
                column: 0,
                field: None,
                message,
            });
            break;
        }
        match item {
            Ok(LocatedDocument(doc)) => {
                let at = doc.referenced;
                validate_document(label, doc.value, at, &mut result);
            }
            Err(e) => {
                let field = take_error_path().filter(|p| !p.is_empty());
                result.errors.push(yaml_error(label, &e, field));
            }
        }
    }
    result
}

fn yaml_error(label: &str, e: &serde_saphyr::Error, field: Option<String>) -> ManifestError {
    let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
    let mut message = e.without_snippet().to_string();
    // The plain rendering repeats the location; it is already in the structured fields.
    let suffix = format!(" at line {line}, column {column}");
    if let Some(stripped) = message.strip_suffix(&suffix) {
        message = stripped.to_owned();
    }
    ManifestError {
        file: label.to_owned(),
        line,
        column,
        field,
        message,
    }
}

/// Collects the errors of one document and, when there are none, its resource.
struct DocCheck<'a> {
    label: &'a str,
    doc_at: Location,
    errors: Vec<ManifestError>,
    warnings: Vec<ManifestError>,
}

impl DocCheck<'_> {
    fn located(&self, at: Option<Location>, field: &str, message: String) -> ManifestError {
        let at = at.filter(|l| l.line() > 0).unwrap_or(self.doc_at);
        ManifestError {
            file: self.label.to_owned(),
            line: at.line(),
            column: at.column(),
            field: (!field.is_empty()).then(|| field.to_owned()),
            message,
        }
    }

    fn error(&mut self, at: Option<Location>, field: &str, message: impl Into<String>) {
        let e = self.located(at, field, message.into());
        self.errors.push(e);
    }

    fn warn(&mut self, at: Option<Location>, field: &str, message: impl Into<String>) {
        let w = self.located(at, field, message.into());
        self.warnings.push(w);
    }
}

fn validate_document(label: &str, doc: RawDocument, doc_at: Location, out: &mut FileResult) {
    let mut check = DocCheck {
        label,
        doc_at,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for Problem {
        location,
        field,
        message,
    } in &doc.problems
    {
        check.error(*location, field, message.clone());
    }
    match &doc.api_version {
        None => check.error(None, "apiVersion", "missing field `apiVersion`"),
        Some(v) if v.value != API_VERSION => check.error(
            Some(v.referenced),
            "apiVersion",
            format!(
                "unsupported apiVersion `{}`, expected `{API_VERSION}`",
                v.value
            ),
        ),
        Some(_) => {}
    }
    let kind = match &doc.kind {
        None => {
            check.error(None, "kind", "missing field `kind`");
            None
        }
        Some(k) => {
            let kind = Kind::parse(&k.value);
            if kind.is_none() {
                check.error(
                    Some(k.referenced),
                    "kind",
                    format!(
                        "unknown kind `{}`, expected one of {}",
                        k.value,
                        document::KINDS.join(", ")
                    ),
                );
            }
            kind
        }
    };
    let Some(metadata) = doc.metadata else {
        check.error(None, "metadata", "missing field `metadata`");
        out.errors.append(&mut check.errors);
        return;
    };
    let name_at = metadata.name.referenced;
    let name = metadata.name.value.clone();
    if let Some(kind) = kind {
        out.defined.push(ResourceKey::new(kind, name.clone()));
    }
    if !valid_name(&name) {
        check.error(
            Some(name_at),
            "metadata.name",
            "must be 1-255 letters, digits, hyphens or underscores, starting with a letter or digit",
        );
    }
    let (drift_policy, adopt, redact_env) =
        check_annotations(&mut check, &metadata.annotations, name_at);
    let Some(spec) = doc.spec else {
        if kind.is_some() && doc.problems.is_empty() {
            check.error(None, "spec", "missing field `spec`");
        }
        out.errors.append(&mut check.errors);
        return;
    };
    let spec_at = spec.referenced;
    let (region, typed, namespace_ref) = match spec.value {
        RawSpec::Namespace(ns) => {
            check_namespace(&mut check, &ns, spec_at);
            check_tags(&mut check, &ns.tags, spec_at);
            (ns.region.clone(), ResourceSpec::Namespace(ns), None)
        }
        RawSpec::Cluster(cluster) => {
            check_cluster(&mut check, &cluster, spec_at);
            check_tags(&mut check, &cluster.tags, spec_at);
            (cluster.region.clone(), ResourceSpec::Cluster(cluster), None)
        }
        RawSpec::Service(raw) => {
            let raw = *raw;
            let namespace_ref = raw.service_discovery.as_ref().map(|d| {
                (
                    d.namespace.referenced.line(),
                    d.namespace.referenced.column(),
                )
            });
            let svc = EcsServiceSpec {
                region: raw.region,
                cluster: raw.cluster,
                task_definition: raw.task_definition,
                service: raw.service,
                service_discovery: raw.service_discovery.map(|d| DiscoverySpec {
                    namespace: d.namespace.value,
                    name: d.name,
                    description: d.description,
                    dns_config: d.dns_config,
                    health_check_custom_config: d.health_check_custom_config,
                    container_name: d.container_name,
                    container_port: d.container_port,
                    port: d.port,
                }),
                tags: raw.tags,
            };
            check_service(&mut check, &svc, spec_at);
            check_tags(&mut check, &svc.tags, spec_at);
            (
                svc.region.clone(),
                ResourceSpec::Service(Box::new(svc)),
                namespace_ref,
            )
        }
    };
    if let Some(region) = &region
        && !valid_region(region)
    {
        check.error(
            Some(spec_at),
            "spec.region",
            format!("`{region}` is not a region name"),
        );
    }
    out.warnings.append(&mut check.warnings);
    if !check.errors.is_empty() {
        out.errors.append(&mut check.errors);
        return;
    }
    let Some(kind) = kind else { return };
    out.resources.push((
        Resource {
            key: ResourceKey::new(kind, name),
            region,
            drift_policy,
            adopt,
            redact_env,
            source: SourceLocation {
                file: label.to_owned(),
                line: name_at.line(),
                column: name_at.column(),
            },
            labels: metadata.labels,
            spec: typed,
        },
        Refs {
            name: (name_at.line(), name_at.column()),
            namespace_ref,
        },
    ));
}

fn check_annotations(
    check: &mut DocCheck<'_>,
    annotations: &BTreeMap<String, String>,
    at: Location,
) -> (DriftPolicy, bool, Vec<String>) {
    let mut policy = DriftPolicy::Enforce;
    let mut adopt = false;
    let mut redact_env = Vec::new();
    for (key, value) in annotations {
        let field = format!("metadata.annotations.{key}");
        match key.as_str() {
            ANNOTATION_DRIFT_POLICY => match value.as_str() {
                "enforce" => policy = DriftPolicy::Enforce,
                "detect" => policy = DriftPolicy::Detect,
                other => check.error(
                    Some(at),
                    &field,
                    format!("unknown drift policy `{other}`, expected `enforce` or `detect`"),
                ),
            },
            ANNOTATION_ADOPT => match value.as_str() {
                "true" => adopt = true,
                "false" => adopt = false,
                other => check.error(
                    Some(at),
                    &field,
                    format!("expected \"true\" or \"false\", found `{other}`"),
                ),
            },
            ANNOTATION_REDACT_ENV => {
                redact_env = value
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
                    .collect();
                if redact_env.is_empty() {
                    check.error(
                        Some(at),
                        &field,
                        "expected comma-separated environment variable names, e.g. \"INTERNAL_URL,TENANT\"",
                    );
                }
            }
            k if k.starts_with("ecs.finfocus.io/") => check.error(
                Some(at),
                &field,
                format!(
                    "unknown annotation, expected `{ANNOTATION_DRIFT_POLICY}`, `{ANNOTATION_ADOPT}` or `{ANNOTATION_REDACT_ENV}`"
                ),
            ),
            _ => {}
        }
    }
    (policy, adopt, redact_env)
}

fn check_tags(check: &mut DocCheck<'_>, tags: &BTreeMap<String, String>, at: Location) {
    for (key, value) in tags {
        let field = format!("spec.tags.{key}");
        if key.starts_with("ecs.finfocus.io/") || key.starts_with("aws:") {
            check.error(Some(at), &field, "tag key prefix is reserved");
        } else if key.is_empty() || key.chars().count() > 128 {
            check.error(Some(at), &field, "tag keys must be 1-128 characters");
        } else if value.chars().count() > 256 {
            check.error(
                Some(at),
                &field,
                "tag values must be at most 256 characters",
            );
        }
    }
    // AWS allows 50 tags per resource; three are the controller's.
    if tags.len() > 47 {
        check.error(
            Some(at),
            "spec.tags",
            "at most 47 tags (AWS allows 50, 3 are reserved)",
        );
    }
}

fn check_namespace(check: &mut DocCheck<'_>, ns: &NamespaceSpec, at: Location) {
    if !valid_dns_name(&ns.name) {
        check.error(
            Some(at),
            "spec.name",
            format!("`{}` is not a DNS name", ns.name),
        );
    }
    if ns.vpc.trim().is_empty() {
        check.error(Some(at), "spec.vpc", "must not be empty");
    }
    if let Some(p) = &ns.properties
        && !(0..=2_147_483_647).contains(&p.dns_properties.soa.ttl)
    {
        check.error(
            Some(at),
            "spec.properties.dnsProperties.soa.ttl",
            "must be between 0 and 2147483647",
        );
    }
}

/// The default strategy may only name providers the cluster is associated with
/// (PutClusterCapacityProviders refuses anything else), so it needs `capacityProviders`.
fn check_cluster(check: &mut DocCheck<'_>, cluster: &ClusterSpec, at: Location) {
    let Some(strategy) = &cluster.default_capacity_provider_strategy else {
        return;
    };
    let Some(providers) = &cluster.capacity_providers else {
        check.error(
            Some(at),
            "spec.defaultCapacityProviderStrategy",
            "needs spec.capacityProviders listing every provider it names",
        );
        return;
    };
    for (i, item) in strategy.iter().enumerate() {
        if !providers.contains(&item.capacity_provider) {
            check.error(
                Some(at),
                &format!("spec.defaultCapacityProviderStrategy[{i}].capacityProvider"),
                format!(
                    "`{}` is not in spec.capacityProviders",
                    item.capacity_provider
                ),
            );
        }
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one linear list of checks over the parts of a service"
)]
fn check_service(check: &mut DocCheck<'_>, svc: &EcsServiceSpec, at: Location) {
    let td = &svc.task_definition;
    if svc.cluster.trim().is_empty() || !valid_name(&svc.cluster) {
        check.error(Some(at), "spec.cluster", "must be a cluster name");
    }
    if !valid_name(&td.family) {
        check.error(
            Some(at),
            "spec.taskDefinition.family",
            "must be 1-255 letters, digits, hyphens or underscores",
        );
    }
    if td.container_definitions.is_empty() {
        check.error(
            Some(at),
            "spec.taskDefinition.containerDefinitions",
            "at least one container is required",
        );
    }
    let mut names = BTreeSet::new();
    for (i, c) in td.container_definitions.iter().enumerate() {
        if !names.insert(c.name.as_str()) {
            check.error(
                Some(at),
                &format!("spec.taskDefinition.containerDefinitions[{i}].name"),
                format!("duplicate container name `{}`", c.name),
            );
        }
        let mut env = BTreeSet::new();
        for (j, kv) in c.environment.iter().flatten().enumerate() {
            if !env.insert(kv.name.as_str()) {
                check.error(
                    Some(at),
                    &format!("spec.taskDefinition.containerDefinitions[{i}].environment[{j}].name"),
                    format!("duplicate environment variable `{}`", kv.name),
                );
            }
        }
        for (j, p) in c.port_mappings.iter().flatten().enumerate() {
            if p.container_port.is_none() && p.container_port_range.is_none() {
                check.error(
                    Some(at),
                    &format!("spec.taskDefinition.containerDefinitions[{i}].portMappings[{j}]"),
                    "containerPort or containerPortRange is required",
                );
            }
        }
    }
    if let Some(cpu) = &td.cpu
        && crate::canon::normalize_cpu(cpu).is_none()
    {
        check.error(
            Some(at),
            "spec.taskDefinition.cpu",
            format!("`{cpu}` is not a CPU amount (e.g. 2048, \"2 vCPU\")"),
        );
    }
    if let Some(memory) = &td.memory
        && crate::canon::normalize_memory(memory).is_none()
    {
        check.error(
            Some(at),
            "spec.taskDefinition.memory",
            format!("`{memory}` is not a memory amount (e.g. 4096, \"4 GB\")"),
        );
    }
    let s = &svc.service;
    let awsvpc = td.network_mode.as_deref() == Some("awsvpc");
    // Without `desiredCount` the service starts with one task and the count is left to
    // whoever scales it (Application Auto Scaling); DAEMON services ignore it.
    if s.desired_count.is_some_and(|n| n < 0) {
        check.error(Some(at), "spec.service.desiredCount", "must be >= 0");
    }
    if let Some(kind) = s
        .deployment_controller
        .as_ref()
        .and_then(|d| d.kind.as_deref())
        .filter(|k| *k != "ECS")
    {
        // CODE_DEPLOY services change their task definition, network, platform version,
        // registries and capacity strategy only through CodeDeploy deployments, and EXTERNAL
        // services have no task definition at all (API reference, UpdateService and
        // DeploymentController): the controller would plan updates ECS refuses, every pass.
        check.error(
            Some(at),
            "spec.service.deploymentController.type",
            format!(
                "`{kind}` is not supported: this controller rolls out task definitions itself and manages ECS deployments only; omit deploymentController or set type ECS"
            ),
        );
    }
    let fargate_strategy = s
        .capacity_provider_strategy
        .iter()
        .flatten()
        .any(|c| c.capacity_provider == "FARGATE" || c.capacity_provider == "FARGATE_SPOT");
    if fargate_strategy && !awsvpc {
        check.error(
            Some(at),
            "spec.taskDefinition.networkMode",
            "FARGATE capacity providers need networkMode `awsvpc`",
        );
    }
    if s.launch_type.is_some() && s.capacity_provider_strategy.is_some() {
        check.error(
            Some(at),
            "spec.service.launchType",
            "launchType and capacityProviderStrategy are mutually exclusive",
        );
    }
    if s.launch_type.as_deref() == Some("FARGATE") {
        if !awsvpc {
            check.error(
                Some(at),
                "spec.taskDefinition.networkMode",
                "FARGATE services need networkMode `awsvpc`",
            );
        }
        if let Some(compat) = &td.requires_compatibilities
            && !compat.iter().any(|c| c == "FARGATE")
        {
            check.error(
                Some(at),
                "spec.taskDefinition.requiresCompatibilities",
                "must include FARGATE for a FARGATE service",
            );
        }
    }
    if awsvpc && s.network_configuration.is_none() {
        check.error(
            Some(at),
            "spec.service.networkConfiguration",
            "required when the task definition uses networkMode `awsvpc`",
        );
    }
    if let Some(nc) = &s.network_configuration
        && nc.awsvpc_configuration.subnets.is_empty()
    {
        check.error(
            Some(at),
            "spec.service.networkConfiguration.awsvpcConfiguration.subnets",
            "at least one subnet is required",
        );
    }
    if let Some(d) = &svc.service_discovery {
        if !valid_dns_label(&d.name) {
            check.error(
                Some(at),
                "spec.serviceDiscovery.name",
                format!("`{}` is not a DNS label", d.name),
            );
        }
        if d.dns_config.dns_records.is_empty() {
            check.error(
                Some(at),
                "spec.serviceDiscovery.dnsConfig.dnsRecords",
                "at least one record is required",
            );
        }
        let mut kinds = BTreeSet::new();
        for (i, r) in d.dns_config.dns_records.iter().enumerate() {
            let field = format!("spec.serviceDiscovery.dnsConfig.dnsRecords[{i}]");
            if !kinds.insert(r.kind.as_str()) {
                check.error(
                    Some(at),
                    &field,
                    format!("duplicate record type `{}`", r.kind),
                );
            }
            if !(0..=2_147_483_647).contains(&r.ttl) {
                check.error(
                    Some(at),
                    &format!("{field}.ttl"),
                    "must be between 0 and 2147483647",
                );
            }
            if (r.kind == "A" || r.kind == "AAAA") && !awsvpc {
                check.error(
                    Some(at),
                    &format!("{field}.type"),
                    "A/AAAA records need networkMode `awsvpc` (use SRV otherwise)",
                );
            }
        }
        check_registry_port(check, svc, d, kinds.contains("SRV"), at);
        if let Some(threshold) = d
            .health_check_custom_config
            .as_ref()
            .and_then(|h| h.failure_threshold)
            .filter(|t| *t != 1)
        {
            check.warn(
                Some(at),
                "spec.serviceDiscovery.healthCheckCustomConfig.failureThreshold",
                format!(
                    "is deprecated and always 1 in Cloud Map, whatever is sent; {threshold} is compared as 1"
                ),
            );
        }
    }
}

/// An `SRV` record needs a port: `containerName` + `containerPort` (a port mapping of that
/// container), or `port` in `awsvpc` mode (API reference, ECS ServiceRegistry). Without an
/// `SRV` record the fields mean nothing and are refused.
fn check_registry_port(
    check: &mut DocCheck<'_>,
    svc: &EcsServiceSpec,
    d: &DiscoverySpec,
    srv: bool,
    at: Location,
) {
    let awsvpc = svc.task_definition.network_mode.as_deref() == Some("awsvpc");
    let field = "spec.serviceDiscovery";
    let named = d.container_name.is_some() || d.container_port.is_some();
    if !srv {
        if named || d.port.is_some() {
            check.error(
                Some(at),
                field,
                "containerName, containerPort and port are only used by SRV records",
            );
        }
        return;
    }
    if named && d.port.is_some() {
        check.error(
            Some(at),
            &format!("{field}.port"),
            "give either containerName and containerPort, or port",
        );
        return;
    }
    match (&d.container_name, d.container_port, d.port) {
        (Some(name), Some(port), None) => {
            let container = svc
                .task_definition
                .container_definitions
                .iter()
                .find(|c| &c.name == name);
            match container {
                None => check.error(
                    Some(at),
                    &format!("{field}.containerName"),
                    format!("no container named `{name}` in the task definition"),
                ),
                Some(c) => {
                    let mapped = c
                        .port_mappings
                        .iter()
                        .flatten()
                        .any(|p| p.container_port == Some(port));
                    if !mapped {
                        check.error(
                            Some(at),
                            &format!("{field}.containerPort"),
                            format!("container `{name}` has no port mapping for {port}"),
                        );
                    }
                }
            }
        }
        (None, None, Some(port)) => {
            if !awsvpc {
                check.error(
                    Some(at),
                    &format!("{field}.port"),
                    "port is only for networkMode `awsvpc`; give containerName and containerPort",
                );
            } else if !(1..=65_535).contains(&port) {
                check.error(Some(at), &format!("{field}.port"), "must be 1-65535");
            }
        }
        _ => check.error(
            Some(at),
            field,
            if awsvpc {
                "an SRV record needs containerName and containerPort, or port"
            } else {
                "an SRV record needs containerName and containerPort"
            },
        ),
    }
}

/// Cross-file: one object per kind and name; one namespace per DNS name; one Cloud Map
/// service per namespace and name. Every file involved in a duplicate gets an error.
fn check_duplicates(files: &mut [FileResult]) {
    type Site = (usize, usize); // (file index, resource index)
    let mut by_key: BTreeMap<String, Vec<Site>> = BTreeMap::new();
    for (fi, file) in files.iter().enumerate() {
        for (ri, (r, _)) in file.resources.iter().enumerate() {
            let region = r.region.clone().unwrap_or_default();
            by_key
                .entry(format!("object {}", r.key))
                .or_default()
                .push((fi, ri));
            match &r.spec {
                ResourceSpec::Namespace(ns) => by_key
                    .entry(format!("namespace `{}` (region `{region}`)", ns.name))
                    .or_default()
                    .push((fi, ri)),
                ResourceSpec::Service(svc) => {
                    if let Some(d) = &svc.service_discovery {
                        by_key
                            .entry(format!(
                                "Cloud Map service `{}` in namespace `{}`",
                                d.name, d.namespace
                            ))
                            .or_default()
                            .push((fi, ri));
                    }
                }
                ResourceSpec::Cluster(_) => {}
            }
        }
    }
    let mut new_errors: Vec<(usize, ManifestError)> = Vec::new();
    for (what, sites) in by_key {
        if sites.len() < 2 {
            continue;
        }
        let describe = |&(fi, ri): &Site| -> Option<String> {
            let file = files.get(fi)?;
            let (_, refs) = file.resources.get(ri)?;
            Some(format!("{}:{}:{}", file.label, refs.name.0, refs.name.1))
        };
        let all: Vec<String> = sites.iter().filter_map(describe).collect();
        for site in &sites {
            let Some(file) = files.get(site.0) else {
                continue;
            };
            let Some((_, refs)) = file.resources.get(site.1) else {
                continue;
            };
            let here = describe(site).unwrap_or_default();
            let others: Vec<&str> = all
                .iter()
                .filter(|s| **s != here)
                .map(String::as_str)
                .collect();
            new_errors.push((
                site.0,
                ManifestError {
                    file: file.label.clone(),
                    line: refs.name.0,
                    column: refs.name.1,
                    field: Some("metadata.name".into()),
                    message: format!("duplicate {what}, also defined at {}", others.join(", ")),
                },
            ));
        }
    }
    for (fi, error) in new_errors {
        if let Some(file) = files.get_mut(fi) {
            file.errors.push(error);
        }
    }
}

/// Cross-file: `serviceDiscovery.namespace` must name a `CloudMapNamespace` from a file
/// without errors, in the same region when both say.
fn check_references(files: &mut [FileResult]) {
    let mut namespaces: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut broken: BTreeMap<String, String> = BTreeMap::new();
    for file in files.iter() {
        if file.errors.is_empty() {
            for (r, _) in &file.resources {
                if r.key.kind == Kind::CloudMapNamespace {
                    namespaces.insert(r.key.name.clone(), r.region.clone());
                }
            }
        } else {
            for key in file
                .defined
                .iter()
                .filter(|k| k.kind == Kind::CloudMapNamespace)
            {
                broken.insert(key.name.clone(), file.label.clone());
            }
        }
    }
    for file in files.iter_mut() {
        let mut errors = Vec::new();
        for (r, refs) in &file.resources {
            let ResourceSpec::Service(svc) = &r.spec else {
                continue;
            };
            let Some(d) = &svc.service_discovery else {
                continue;
            };
            let (line, column) = refs.namespace_ref.unwrap_or(refs.name);
            let message = match namespaces.get(&d.namespace) {
                Some(Some(ns_region)) if r.region.as_ref().is_some_and(|rr| rr != ns_region) => {
                    Some(format!(
                        "namespace `{}` is in region `{ns_region}`, the service in `{}`",
                        d.namespace,
                        r.region.as_deref().unwrap_or_default()
                    ))
                }
                Some(_) => None,
                None => Some(match broken.get(&d.namespace) {
                    Some(other) => format!(
                        "namespace `{}` is defined in {other}, which has errors",
                        d.namespace
                    ),
                    None => format!("no CloudMapNamespace named `{}` is defined", d.namespace),
                }),
            };
            if let Some(message) = message {
                errors.push(ManifestError {
                    file: file.label.clone(),
                    line,
                    column,
                    field: Some("spec.serviceDiscovery.namespace".into()),
                    message,
                });
            }
        }
        file.errors.extend(errors);
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    first_ok
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn valid_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn valid_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty() && name.len() <= 253 && name.split('.').all(valid_dns_label)
}

fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests;
