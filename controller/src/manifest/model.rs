//! The validated manifest model: kinds, keys, resources and the set they form, and the
//! located error every check reports.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::spec::{ClusterSpec, EcsServiceSpec, NamespaceSpec};

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

/// Identity of a manifest object: kind, `metadata.name`, and where it lives (`spec.account`
/// and `spec.region`, absent for the controller's own account and region). The same name may
/// be used in several places.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceKey {
    /// Kind.
    pub kind: Kind,
    /// `metadata.name`.
    pub name: String,
    /// `spec.account`: the `AwsAccount` it lives in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `spec.region`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl ResourceKey {
    /// Builds a key in the controller's own account and region.
    #[must_use]
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
            account: None,
            region: None,
        }
    }

    /// The same key in `account` and `region`.
    #[must_use]
    pub fn at(mut self, account: Option<String>, region: Option<String>) -> Self {
        self.account = account;
        self.region = region;
        self
    }

    /// Parses `<Kind>/<name>` (the ownership tag value).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let (kind, name) = s.split_once('/')?;
        Some(Self::new(Kind::parse(kind)?, name))
    }

    /// `<Kind>/<name>`: what the ownership tag records. The place is where the tag is.
    #[must_use]
    pub fn object(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

impl fmt::Display for ResourceKey {
    /// `Kind/name`, then `@account/region`, `@account` or `@region` when set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)?;
        match (&self.account, &self.region) {
            (Some(a), Some(r)) => write!(f, "@{a}/{r}"),
            (Some(a), None) => write!(f, "@{a}"),
            (None, Some(r)) => write!(f, "@{r}"),
            (None, None) => Ok(()),
        }
    }
}

/// Where objects live: an account (an `AwsAccount` name, or the controller's own) and a region.
/// The controller keeps one set of clients per place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Place {
    /// The `AwsAccount` name; `None` is the controller's own credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The region.
    pub region: String,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.account {
            Some(a) => write!(f, "{a}/{}", self.region),
            None => f.write_str(&self.region),
        }
    }
}

/// A validated `AwsAccount`: a role in another account the controller assumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// `metadata.name`, which resources name in `spec.account`.
    pub name: String,
    /// The spec.
    pub spec: super::spec::AccountSpec,
    /// Where it was defined.
    pub source: SourceLocation,
}

impl Account {
    /// The twelve-digit account id in the role ARN.
    #[must_use]
    pub fn account_id(&self) -> &str {
        self.spec.role_arn.split(':').nth(4).unwrap_or_default()
    }
}

/// What to do about drift (annotation `ecs.finfocus.io/drift-policy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftPolicy {
    /// Correct drift (the default).
    #[default]
    Enforce,
    /// Only report drift; nothing is written, not even a missing resource created.
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

/// Which of the plugin's recommendations plans show for an `EcsService`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recommendations {
    /// `ecs.finfocus.io/recommendations: "off"`: none.
    pub off: bool,
    /// `ecs.finfocus.io/dismissed-recommendations`: ids never shown.
    pub dismissed: Vec<String>,
    /// `ecs.finfocus.io/interruptible: "true"`: its tasks may be stopped, so a `FARGATE_SPOT`
    /// share may be recommended.
    pub interruptible: bool,
}

/// A monthly budget in USD, kept in cents so manifests compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthlyBudget {
    cents: u64,
}

impl MonthlyBudget {
    /// The budget in USD.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "budgets are at most 10^9 USD, exact in an f64"
    )]
    pub fn usd(self) -> f64 {
        self.cents as f64 / 100.0
    }

    /// Parses a non-negative amount with at most two decimals (`"100"`, `"72.5"`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let (whole, frac) = match text.split_once('.') {
            Some((_, "")) => return None,
            Some(parts) => parts,
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 9 || frac.len() > 2 || !digits(whole) || !digits(frac)
        {
            return None;
        }
        let whole: u64 = whole.parse().ok()?;
        let frac: u64 = format!("{frac:0<2}").parse().ok()?;
        Some(Self {
            cents: whole * 100 + frac,
        })
    }
}

/// One validated manifest object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Kind and name.
    pub key: ResourceKey,
    /// Region override (`spec.region`), else the controller's region.
    pub region: Option<String>,
    /// `spec.account`: the `AwsAccount` it lives in, else the controller's own.
    pub account: Option<String>,
    /// Drift policy.
    pub drift_policy: DriftPolicy,
    /// Whether an existing untagged resource may be taken over.
    pub adopt: bool,
    /// Environment variables whose values plans redact (`ecs.finfocus.io/redact-env`).
    pub redact_env: Vec<String>,
    /// `ecs.finfocus.io/max-monthly-cost`: the monthly cost a change may not raise it above.
    pub max_monthly_cost: Option<MonthlyBudget>,
    /// `ecs.finfocus.io/recommendations`, `ecs.finfocus.io/dismissed-recommendations` and
    /// `ecs.finfocus.io/interruptible`.
    pub recommendations: Recommendations,
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

    /// Where this object lives, given the controller's default region.
    #[must_use]
    pub fn place(&self, default_region: &str) -> Place {
        Place {
            account: self.account.clone(),
            region: self.region_or(default_region).to_owned(),
        }
    }
}

/// Validated manifest objects in apply order (namespaces, clusters, services; by name), and
/// the accounts they may live in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestSet {
    resources: Vec<Resource>,
    accounts: BTreeMap<String, Account>,
}

impl ManifestSet {
    /// Builds a set, sorting into apply order.
    #[must_use]
    pub fn new(mut resources: Vec<Resource>) -> Self {
        resources.sort_by(|a, b| a.key.cmp(&b.key));
        Self {
            resources,
            accounts: BTreeMap::new(),
        }
    }

    /// The same set with these `AwsAccount`s.
    #[must_use]
    pub fn with_accounts(mut self, accounts: impl IntoIterator<Item = Account>) -> Self {
        self.accounts = accounts.into_iter().map(|a| (a.name.clone(), a)).collect();
        self
    }

    /// All objects in apply order.
    #[must_use]
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The `AwsAccount`s, by name.
    #[must_use]
    pub fn accounts(&self) -> &BTreeMap<String, Account> {
        &self.accounts
    }

    /// Looks an object up by key.
    #[must_use]
    pub fn get(&self, key: &ResourceKey) -> Option<&Resource> {
        self.resources
            .binary_search_by(|r| r.key.cmp(key))
            .ok()
            .and_then(|i| self.resources.get(i))
    }

    /// The `CloudMapNamespace` object named `name` in the same account and region as `from`
    /// (references resolve where the referring object lives).
    #[must_use]
    pub fn namespace_for(
        &self,
        from: &Resource,
        name: &str,
    ) -> Option<(&Resource, &NamespaceSpec)> {
        self.resources.iter().find_map(|r| match &r.spec {
            ResourceSpec::Namespace(ns)
                if r.name() == name && r.account == from.account && r.region == from.region =>
            {
                Some((r, ns))
            }
            _ => None,
        })
    }

    /// Splits the set by where its objects live, given the controller's region. Within a part
    /// kind and name are unique (an object that writes the default region is the same object as
    /// one that does not say, which only the default region shows). Parts come in place order;
    /// each holds the accounts.
    ///
    /// # Errors
    /// The objects that turn out to be the same object once the default region is known, each
    /// located, naming the other.
    pub fn partition(
        &self,
        default_region: &str,
    ) -> Result<Vec<(Place, Self)>, Vec<ManifestError>> {
        let mut parts: BTreeMap<Place, Vec<Resource>> = BTreeMap::new();
        for r in &self.resources {
            parts
                .entry(r.place(default_region))
                .or_default()
                .push(r.clone());
        }
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(parts.len());
        for (place, resources) in parts {
            let mut seen: BTreeMap<(Kind, &str), &Resource> = BTreeMap::new();
            for r in &resources {
                if let Some(first) = seen.insert((r.kind(), r.name()), r) {
                    for (here, other) in [(r, first), (first, r)] {
                        errors.push(ManifestError {
                            file: here.source.file.clone(),
                            line: here.source.line,
                            column: here.source.column,
                            field: Some("spec.region".into()),
                            message: format!(
                                "{} {} is also defined at {} (`{default_region}` is the controller's region)",
                                r.kind(),
                                r.name(),
                                other.source
                            ),
                        });
                    }
                }
            }
            let mut set = Self::new(resources);
            set.accounts.clone_from(&self.accounts);
            out.push((place, set));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
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
