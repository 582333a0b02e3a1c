//! Checks across files: duplicate objects and names, and references to namespaces no valid
//! manifest defines. Every file involved gets the error.

use std::collections::BTreeMap;

use super::checks::FileResult;
use super::model::{Kind, ManifestError, ResourceSpec};

/// Cross-file: one object per kind and name; one namespace per DNS name; one Cloud Map
/// service per namespace and name. Every file involved in a duplicate gets an error.
pub(super) fn check_duplicates(files: &mut [FileResult]) {
    type Site = (usize, usize); // (file index, resource index)
    let mut by_key: BTreeMap<String, Vec<Site>> = BTreeMap::new();
    for (fi, file) in files.iter().enumerate() {
        for (ri, (r, _)) in file.resources.iter().enumerate() {
            let region = r.region.clone().unwrap_or_default();
            let account = r
                .account
                .as_ref()
                .map(|a| format!(", account `{a}`"))
                .unwrap_or_default();
            by_key
                .entry(format!("object {}", r.key))
                .or_default()
                .push((fi, ri));
            match &r.spec {
                ResourceSpec::Namespace(ns) => by_key
                    .entry(format!(
                        "namespace `{}` (region `{region}`{account})",
                        ns.name
                    ))
                    .or_default()
                    .push((fi, ri)),
                ResourceSpec::Service(svc) => {
                    if let Some(d) = &svc.service_discovery {
                        by_key
                            .entry(format!(
                                "Cloud Map service `{}` in namespace `{}` (region `{region}`{account})",
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
/// without errors, in the same account and (when both say) region; `spec.account` must name an
/// `AwsAccount` from a file without errors.
pub(super) fn check_references(files: &mut [FileResult]) {
    // namespace name -> where each namespace of that name lives (account, region)
    type Places = Vec<(Option<String>, Option<String>)>;
    let mut namespaces: BTreeMap<String, Places> = BTreeMap::new();
    let mut accounts: BTreeMap<String, ()> = BTreeMap::new();
    let mut broken: BTreeMap<String, String> = BTreeMap::new();
    let mut broken_accounts: BTreeMap<String, String> = BTreeMap::new();
    for file in files.iter() {
        if file.errors.is_empty() {
            for (r, _) in &file.resources {
                if r.key.kind == Kind::CloudMapNamespace {
                    namespaces
                        .entry(r.key.name.clone())
                        .or_default()
                        .push((r.account.clone(), r.region.clone()));
                }
            }
            for (a, _) in &file.accounts {
                accounts.insert(a.name.clone(), ());
            }
        } else {
            for key in file
                .defined
                .iter()
                .filter(|k| k.kind == Kind::CloudMapNamespace)
            {
                broken.insert(key.name.clone(), file.label.clone());
            }
            for name in &file.defined_accounts {
                broken_accounts.insert(name.clone(), file.label.clone());
            }
        }
    }
    for file in files.iter_mut() {
        let mut errors = Vec::new();
        for (r, refs) in &file.resources {
            if let Some(account) = &r.account
                && !accounts.contains_key(account)
            {
                let (line, column) = refs.account_ref.unwrap_or(refs.name);
                errors.push(ManifestError {
                    file: file.label.clone(),
                    line,
                    column,
                    field: Some("spec.account".into()),
                    message: match broken_accounts.get(account) {
                        Some(other) => {
                            format!(
                                "AwsAccount `{account}` is defined in {other}, which has errors"
                            )
                        }
                        None => format!("no AwsAccount named `{account}` is defined"),
                    },
                });
            }
            let ResourceSpec::Service(svc) = &r.spec else {
                continue;
            };
            let Some(d) = &svc.service_discovery else {
                continue;
            };
            let (line, column) = refs.namespace_ref.unwrap_or(refs.name);
            let message = match namespaces.get(&d.namespace) {
                Some(places) => namespace_mismatch(&d.namespace, places, r),
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

/// Why none of the namespaces named `name` is where the service `r` lives, if none is.
fn namespace_mismatch(
    name: &str,
    places: &[(Option<String>, Option<String>)],
    r: &super::model::Resource,
) -> Option<String> {
    let show = |a: &Option<String>| a.as_deref().unwrap_or("(the controller's own)").to_owned();
    let same_account: Vec<&Option<String>> = places
        .iter()
        .filter(|(a, _)| *a == r.account)
        .map(|(_, region)| region)
        .collect();
    if same_account.is_empty() {
        let theirs: Vec<String> = places.iter().map(|(a, _)| show(a)).collect();
        return Some(format!(
            "namespace `{name}` is in account {}, the service in {}: references resolve in the service's own account",
            theirs.join(", "),
            show(&r.account)
        ));
    }
    let fits = |ns: &&Option<String>| match (ns, &r.region) {
        (Some(n), Some(s)) => n == s,
        _ => true,
    };
    if same_account.iter().any(fits) {
        return None;
    }
    let regions: Vec<&str> = same_account.iter().filter_map(|r| r.as_deref()).collect();
    Some(format!(
        "namespace `{name}` is in region `{}`, the service in `{}`",
        regions.join("`, `"),
        r.region.as_deref().unwrap_or_default()
    ))
}
