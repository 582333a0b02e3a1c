//! Checks of one document: the values AWS would refuse or ignore, found before any call,
//! each located at the value it concerns.

use std::collections::BTreeMap;

use serde_saphyr::Location;

use super::document::{self, Problem, RawDocument, RawSpec};
use super::model::{
    Account, DriftPolicy, Kind, ManifestError, MonthlyBudget, Recommendations, Resource,
    ResourceKey, ResourceSpec, SourceLocation,
};
use super::spec::{AccountSpec, ClusterSpec, NamespaceSpec};
use super::tree::Node;
use crate::ownership::{MAX_TAG_VALUE, RESERVED_TAGS, TAG_MANAGED_TAGS, managed_keys_record};
use crate::{
    ANNOTATION_ADOPT, ANNOTATION_DISMISSED_RECOMMENDATIONS, ANNOTATION_DRIFT_POLICY,
    ANNOTATION_INTERRUPTIBLE, ANNOTATION_MAX_MONTHLY_COST, ANNOTATION_RECOMMENDATIONS,
    ANNOTATION_REDACT_ENV, API_VERSION,
};

mod delivery;
mod network;
mod service;

use service::check_service;

/// Per-file state while loading.
pub(super) struct FileResult {
    pub(super) label: String,
    /// Resources with the location of `metadata.name` and of the namespace and account
    /// references.
    pub(super) resources: Vec<(Resource, Refs)>,
    /// Every object whose kind and name could be read, valid or not.
    pub(super) defined: Vec<ResourceKey>,
    /// Valid `AwsAccount`s, with the location of `metadata.name`.
    pub(super) accounts: Vec<(Account, (u64, u64))>,
    /// Every `AwsAccount` whose name could be read, valid or not.
    pub(super) defined_accounts: Vec<String>,
    pub(super) errors: Vec<ManifestError>,
    pub(super) warnings: Vec<ManifestError>,
}

/// Located values needed by the cross-file checks.
#[derive(Clone, Copy)]
pub(super) struct Refs {
    pub(super) name: (u64, u64),
    pub(super) namespace_ref: Option<(u64, u64)>,
    pub(super) account_ref: Option<(u64, u64)>,
}

/// Collects the errors of one document and, when there are none, its resource.
struct DocCheck<'a> {
    label: &'a str,
    doc_at: Location,
    /// The document, to point an error at the field it names when that field is written.
    root: Option<&'a Node>,
    errors: Vec<ManifestError>,
    warnings: Vec<ManifestError>,
}

impl DocCheck<'_> {
    fn located(&self, at: Option<Location>, field: &str, message: String) -> ManifestError {
        let at = at.filter(|l| l.line() > 0).unwrap_or(self.doc_at);
        // A check that only knows the start of `spec` is pointed at the field it names.
        let at = match self.root {
            Some(root) if !field.is_empty() => {
                let exact = root.locate(field);
                if exact.line() > 0 && (exact.line(), exact.column()) > (at.line(), at.column()) {
                    exact
                } else {
                    at
                }
            }
            _ => at,
        };
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

pub(super) fn validate_document(label: &str, doc: RawDocument<'_>, out: &mut FileResult) {
    let doc_at = doc.root.at;
    let mut check = DocCheck {
        label,
        doc_at,
        root: None,
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
    for Problem {
        location,
        field,
        message,
    } in &doc.warnings
    {
        check.warn(*location, field, message.clone());
    }
    out.warnings.append(&mut check.warnings);
    check.root = Some(doc.root);
    match &doc.api_version {
        None if doc.root.get("apiVersion").is_none() => {
            check.error(None, "apiVersion", "missing field `apiVersion`");
        }
        Some(v) if v.value != API_VERSION => check.error(
            Some(v.at),
            "apiVersion",
            format!(
                "unsupported apiVersion `{}`, expected `{API_VERSION}`",
                v.value
            ),
        ),
        _ => {}
    }
    let kind = match &doc.kind {
        None => {
            if doc.root.get("kind").is_none() {
                check.error(None, "kind", "missing field `kind`");
            }
            None
        }
        Some(k) => {
            let kind = Kind::parse(&k.value);
            if kind.is_none() && k.value != document::ACCOUNT_KIND {
                check.error(
                    Some(k.at),
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
        if !doc.has_metadata {
            check.error(None, "metadata", "missing field `metadata`");
        }
        out.errors.append(&mut check.errors);
        return;
    };
    let name_at = metadata.name.at;
    let name = metadata.name.value.clone();
    if let Some(kind) = kind {
        out.defined.push(ResourceKey::new(kind, name.clone()));
    } else if doc
        .kind
        .as_ref()
        .is_some_and(|k| k.value == document::ACCOUNT_KIND)
    {
        out.defined_accounts.push(name.clone());
    }
    if !valid_name(&name) {
        check.error(
            Some(name_at),
            "metadata.name",
            "must be 1-255 letters, digits, hyphens or underscores, starting with a letter or digit",
        );
    }
    let Annotations {
        drift_policy,
        adopt,
        redact_env,
        max_monthly_cost,
        recommendations,
    } = check_annotations(&mut check, &metadata.annotations, name_at);
    let Some((spec, spec_at)) = doc.spec else {
        let account = doc
            .kind
            .as_ref()
            .is_some_and(|k| k.value == document::ACCOUNT_KIND);
        if (kind.is_some() || account) && !doc.has_spec {
            check.error(None, "spec", "missing field `spec`");
        }
        out.errors.append(&mut check.errors);
        return;
    };
    // Checks of values are meaningful only on a spec read whole.
    if !check.errors.is_empty() {
        out.errors.append(&mut check.errors);
        return;
    }
    let (region, account, typed, namespace_ref) = match spec {
        RawSpec::Account(spec) => {
            check_account(&mut check, &spec, spec_at);
            if drift_policy != DriftPolicy::Enforce
                || adopt
                || max_monthly_cost.is_some()
                || !redact_env.is_empty()
                || recommendations != Recommendations::default()
            {
                check.error(
                    Some(name_at),
                    "metadata.annotations",
                    "an AwsAccount takes no ecs.finfocus.io/ annotations",
                );
            }
            out.warnings.append(&mut check.warnings);
            if check.errors.is_empty() {
                let source = SourceLocation {
                    file: label.to_owned(),
                    line: name_at.line(),
                    column: name_at.column(),
                };
                out.accounts.push((
                    Account { name, spec, source },
                    (name_at.line(), name_at.column()),
                ));
            } else {
                out.errors.append(&mut check.errors);
            }
            return;
        }
        RawSpec::Namespace(ns) => {
            check_namespace(&mut check, &ns, spec_at);
            check_tags(&mut check, &ns.tags, spec_at);
            (
                ns.region.clone(),
                ns.account.clone(),
                ResourceSpec::Namespace(ns),
                None,
            )
        }
        RawSpec::Cluster(cluster) => {
            check_cluster(&mut check, &cluster, spec_at);
            check_tags(&mut check, &cluster.tags, spec_at);
            (
                cluster.region.clone(),
                cluster.account.clone(),
                ResourceSpec::Cluster(cluster),
                None,
            )
        }
        RawSpec::Service(svc) => {
            let namespace_ref = svc.service_discovery.as_ref().map(|_| {
                let at = doc.root.locate("spec.serviceDiscovery.namespace");
                (at.line(), at.column())
            });
            check_service(&mut check, &svc, spec_at);
            delivery::check_delivery(&mut check, &svc, spec_at);
            network::check_duplicate_network(&mut check, &svc, spec_at);
            check_tags(&mut check, &svc.tags, spec_at);
            (
                svc.region.clone(),
                svc.account.clone(),
                ResourceSpec::Service(svc),
                namespace_ref,
            )
        }
    };
    if let Some(account) = &account
        && !valid_name(account)
    {
        check.error(
            Some(spec_at),
            "spec.account",
            format!("`{account}` is not an AwsAccount name"),
        );
    }
    let account_ref = account.as_ref().map(|_| {
        let at = doc.root.locate("spec.account");
        (at.line(), at.column())
    });
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
            key: ResourceKey::new(kind, name).at(account.clone(), region.clone()),
            region,
            account,
            drift_policy,
            adopt,
            redact_env,
            max_monthly_cost,
            recommendations,
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
            account_ref,
        },
    ));
}

/// What STS accepts of an `AssumeRole` request, checked before any call: the role ARN's shape,
/// the external id's length and characters, the session length's range
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
fn check_account(check: &mut DocCheck<'_>, spec: &AccountSpec, at: Location) {
    if !valid_role_arn(&spec.role_arn) {
        check.error(
            Some(at),
            "spec.roleArn",
            format!(
                "`{}` is not an IAM role ARN (arn:aws:iam::<12-digit account id>:role/<name>)",
                spec.role_arn
            ),
        );
    }
    if let Some(id) = &spec.external_id {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c);
        if !(2..=1224).contains(&id.len()) || !id.chars().all(allowed) {
            check.error(
                Some(at),
                "spec.externalId",
                "must be 2-1224 letters, digits or +=,.@:/-_",
            );
        }
    }
    if let Some(seconds) = spec.session_duration_seconds
        && !(900..=43_200).contains(&seconds)
    {
        check.error(
            Some(at),
            "spec.sessionDurationSeconds",
            "must be between 900 and 43200",
        );
    }
}

/// `arn:<partition>:iam::<12 digits>:role/<path/>name`.
fn valid_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty() && !n.ends_with('/'))
    )
}

/// What the `ecs.finfocus.io/` annotations of a document say.
struct Annotations {
    drift_policy: DriftPolicy,
    adopt: bool,
    redact_env: Vec<String>,
    max_monthly_cost: Option<MonthlyBudget>,
    recommendations: Recommendations,
}

fn comma_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

fn check_annotations(
    check: &mut DocCheck<'_>,
    annotations: &BTreeMap<String, String>,
    at: Location,
) -> Annotations {
    let mut policy = DriftPolicy::Enforce;
    let mut adopt = false;
    let mut redact_env = Vec::new();
    let mut budget = None;
    let mut recommendations = Recommendations::default();
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
            ANNOTATION_ADOPT | ANNOTATION_INTERRUPTIBLE => {
                let flag = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        check.error(
                            Some(at),
                            &field,
                            format!("expected \"true\" or \"false\", found `{other}`"),
                        );
                        false
                    }
                };
                if key == ANNOTATION_ADOPT {
                    adopt = flag;
                } else {
                    recommendations.interruptible = flag;
                }
            }
            ANNOTATION_RECOMMENDATIONS => match value.as_str() {
                "on" => recommendations.off = false,
                "off" => recommendations.off = true,
                other => check.error(
                    Some(at),
                    &field,
                    format!("expected \"on\" or \"off\", found `{other}`"),
                ),
            },
            ANNOTATION_DISMISSED_RECOMMENDATIONS => {
                recommendations.dismissed = comma_list(value);
                if recommendations.dismissed.is_empty() {
                    check.error(
                        Some(at),
                        &field,
                        "expected comma-separated recommendation ids, as plans show them",
                    );
                }
            }
            ANNOTATION_REDACT_ENV => {
                redact_env = comma_list(value);
                if redact_env.is_empty() {
                    check.error(
                        Some(at),
                        &field,
                        "expected comma-separated environment variable names, e.g. \"INTERNAL_URL,TENANT\"",
                    );
                }
            }
            ANNOTATION_MAX_MONTHLY_COST => match MonthlyBudget::parse(value) {
                Some(b) => budget = Some(b),
                None => check.error(
                    Some(at),
                    &field,
                    format!(
                        "expected an amount in USD such as \"100\" or \"72.50\", found `{value}`"
                    ),
                ),
            },
            k if k.starts_with("ecs.finfocus.io/") => check.error(
                Some(at),
                &field,
                format!(
                    "unknown annotation, expected `{ANNOTATION_DRIFT_POLICY}`, `{ANNOTATION_ADOPT}`, `{ANNOTATION_MAX_MONTHLY_COST}`, `{ANNOTATION_REDACT_ENV}`, `{ANNOTATION_RECOMMENDATIONS}`, `{ANNOTATION_DISMISSED_RECOMMENDATIONS}` or `{ANNOTATION_INTERRUPTIBLE}`"
                ),
            ),
            _ => {}
        }
    }
    Annotations {
        drift_policy: policy,
        adopt,
        redact_env,
        max_monthly_cost: budget,
        recommendations,
    }
}

fn check_tags(check: &mut DocCheck<'_>, tags: &BTreeMap<String, String>, at: Location) {
    for (key, value) in tags {
        let field = format!("spec.tags.{key}");
        if crate::ownership::reserved_key(key) {
            check.error(Some(at), &field, "tag key prefix is reserved");
        } else if key.is_empty() || key.chars().count() > 128 {
            check.error(Some(at), &field, "tag keys must be 1-128 characters");
        } else if value.chars().count() > MAX_TAG_VALUE {
            check.error(
                Some(at),
                &field,
                "tag values must be at most 256 characters",
            );
        } else if crate::ownership::aws_reserved(value) {
            check.error(
                Some(at),
                &field,
                "tag values may not start with `aws:` (reserved by AWS)",
            );
        }
    }
    // AWS allows 50 tags per resource; four are the controller's.
    let most = 50 - RESERVED_TAGS;
    if tags.len() > most {
        check.error(
            Some(at),
            "spec.tags",
            format!("at most {most} tags (AWS allows 50, {RESERVED_TAGS} are reserved)"),
        );
    }
    // The keys are recorded in one tag value so that a key removed later is removed in AWS.
    let record = managed_keys_record(tags.keys().map(String::as_str))
        .chars()
        .count();
    if record > MAX_TAG_VALUE {
        check.error(
            Some(at),
            "spec.tags",
            format!(
                "the tag keys take {record} characters when recorded in {TAG_MANAGED_TAGS} (one space between keys), at most {MAX_TAG_VALUE}: use fewer or shorter keys"
            ),
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
    } else if ns.vpc == super::VPC_PLACEHOLDER {
        check.error(
            Some(at),
            "spec.vpc",
            "`import` could not learn this namespace's VPC (Cloud Map does not report it): write the VPC id its hosted zone is associated with",
        );
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
    delivery::check_cluster_delivery(check, cluster, at);
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
