//! The checks: pure functions from manifests and [`Facts`] to [`Finding`]s, one function per
//! area. Each finding says what was found and, for a problem, the fix.

use std::collections::BTreeSet;

use super::facts::{Fact, Facts, Role};
use super::policy::{Decision, ECS_TASKS, EXECUTION_ROLE_POLICY, role_allows, trusts_ecs_tasks};
use super::refs::{Arn, EcrImage, SecretRef};
use super::{Area, Finding, Status};
use crate::manifest::{EcsServiceSpec, Kind, ManifestSet, Resource, ResourceSpec};

/// Checks every resource of `set` against `facts`; problems first, then "not checked",
/// then passes, each group in manifest order.
#[must_use]
pub fn check(set: &ManifestSet, facts: &Facts, default_region: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in set.resources() {
        let region = r.region_or(default_region);
        match &r.spec {
            ResourceSpec::Namespace(ns) => namespace(&mut out, r, ns, facts, region),
            ResourceSpec::Cluster(_) => {}
            ResourceSpec::Service(spec) => {
                let svc = Svc {
                    r,
                    spec,
                    region,
                    set,
                    facts,
                };
                roles(&mut out, &svc);
                logs(&mut out, &svc);
                network(&mut out, &svc);
                images(&mut out, &svc);
                secrets(&mut out, &svc);
                capacity(&mut out, &svc);
            }
        }
    }
    // Stable: manifest order is kept inside each status.
    out.sort_by_key(|f| f.status);
    out
}

/// One service under check.
struct Svc<'a> {
    r: &'a Resource,
    spec: &'a EcsServiceSpec,
    region: &'a str,
    set: &'a ManifestSet,
    facts: &'a Facts,
}

impl Svc<'_> {
    fn finding(&self, area: Area, status: Status, message: String) -> Finding {
        Finding::new(self.r, area, status, message)
    }

    fn ok(&self, area: Area, message: String) -> Finding {
        self.finding(area, Status::Ok, message)
    }

    fn problem(&self, area: Area, message: String, fix: impl Into<String>) -> Finding {
        self.finding(area, Status::Problem, message).with_fix(fix)
    }

    fn not_checked(&self, area: Area, message: String) -> Finding {
        self.finding(area, Status::NotChecked, message)
    }

    fn execution_role(&self) -> Option<&str> {
        self.spec.task_definition.execution_role_arn.as_deref()
    }

    /// The account of the execution role (what a bare parameter name's ARN needs).
    fn account(&self) -> Option<&str> {
        self.execution_role()
            .and_then(Arn::parse)
            .map(|a| a.account)
    }

    fn ecr_images(&self) -> Vec<EcrImage> {
        let mut seen = BTreeSet::new();
        self.spec
            .task_definition
            .container_definitions
            .iter()
            .filter_map(|c| EcrImage::parse(&c.image))
            .filter(|i| seen.insert(i.repository_arn()))
            .collect()
    }

    /// `(container, group, region, create-group)` of every `awslogs` container.
    fn log_groups(&self) -> Vec<(&str, Option<&str>, &str, bool)> {
        self.spec
            .task_definition
            .container_definitions
            .iter()
            .filter_map(|c| {
                let lc = c.log_configuration.as_ref()?;
                (lc.log_driver == "awslogs").then(|| {
                    let opt = |k: &str| {
                        lc.options
                            .as_ref()
                            .and_then(|o| o.get(k))
                            .map(String::as_str)
                    };
                    (
                        c.name.as_str(),
                        opt("awslogs-group"),
                        opt("awslogs-region").unwrap_or(self.region),
                        opt("awslogs-create-group") == Some("true"),
                    )
                })
            })
            .collect()
    }

    /// `(container, valueFrom)` of every secret.
    fn secret_refs(&self) -> Vec<(&str, &str)> {
        self.spec
            .task_definition
            .container_definitions
            .iter()
            .flat_map(|c| {
                c.secrets
                    .iter()
                    .flatten()
                    .map(|s| (c.name.as_str(), s.value_from.as_str()))
            })
            .collect()
    }
}

/// Something the execution role must be allowed to do.
struct Need {
    what: String,
    requests: Vec<(&'static str, String)>,
    fix: String,
}

fn execution_needs(svc: &Svc<'_>) -> Vec<Need> {
    let account = svc.account().unwrap_or("ACCOUNT_ID");
    let mut needs = Vec::new();
    for img in svc.ecr_images() {
        let repo = img.repository_arn();
        needs.push(Need {
            what: format!("pull images from ECR repository {}", img.repository),
            requests: vec![
                ("ecr:GetAuthorizationToken", "*".to_owned()),
                ("ecr:BatchCheckLayerAvailability", repo.clone()),
                ("ecr:GetDownloadUrlForLayer", repo.clone()),
                ("ecr:BatchGetImage", repo),
            ],
            fix: format!("attach {EXECUTION_ROLE_POLICY} to the execution role"),
        });
    }
    for (container, group, region, _) in svc.log_groups() {
        let Some(group) = group else { continue };
        needs.push(Need {
            what: format!("write container {container}'s logs to {group}"),
            requests: ["logs:CreateLogStream", "logs:PutLogEvents"]
                .into_iter()
                .map(|a| {
                    (
                        a,
                        format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:ecs/{container}/task"),
                    )
                })
                .collect(),
            fix: format!("attach {EXECUTION_ROLE_POLICY} to the execution role"),
        });
    }
    for (container, value_from) in svc.secret_refs() {
        let Some(secret) = SecretRef::parse(value_from, svc.region, svc.account()) else {
            continue;
        };
        let Some(arn) = secret.arn() else { continue };
        needs.push(Need {
            what: format!("read container {container}'s secret {value_from}"),
            requests: vec![(secret.action(), arn.to_owned())],
            fix: format!(
                "allow {} on {arn} in a policy of the execution role",
                secret.action()
            ),
        });
    }
    needs
}

/// Combines decisions: any "no" wins, then any "cannot tell".
fn judge(role: &Role, requests: &[(&'static str, String)]) -> Decision {
    let mut undecided = None;
    for (action, resource) in requests {
        match role_allows(role, action, resource) {
            Decision::NotAllowed => return Decision::NotAllowed,
            Decision::Undecided(r) => undecided = Some(r),
            Decision::Allowed => {}
        }
    }
    undecided.map_or(Decision::Allowed, Decision::Undecided)
}

fn roles(out: &mut Vec<Finding>, svc: &Svc<'_>) {
    let td = &svc.spec.task_definition;
    let needs = execution_needs(svc);
    match td.execution_role_arn.as_deref() {
        None if !needs.is_empty() => out.push(svc.problem(
            Area::Roles,
            format!(
                "spec.taskDefinition.executionRoleArn is not set, but the task needs one to {}",
                needs.iter().map(|n| n.what.as_str()).collect::<Vec<_>>().join("; ")
            ),
            format!(
                "set spec.taskDefinition.executionRoleArn to a role that trusts {ECS_TASKS} and has {EXECUTION_ROLE_POLICY}"
            ),
        )),
        None => {}
        Some(arn) => {
            if let Some(role) = role_exists_and_trusts(out, svc, "executionRoleArn", arn) {
                for need in &needs {
                    out.push(match judge(role, &need.requests) {
                        Decision::Allowed => svc.ok(
                            Area::Roles,
                            format!("execution role {arn} may {}", need.what),
                        ),
                        Decision::NotAllowed => svc.problem(
                            Area::Roles,
                            format!(
                                "execution role {arn} may not {} (needs {})",
                                need.what,
                                need.requests
                                    .iter()
                                    .map(|(a, _)| *a)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            need.fix.clone(),
                        ),
                        Decision::Undecided(why) => svc.not_checked(
                            Area::Roles,
                            format!("whether execution role {arn} may {}: {why}", need.what),
                        ),
                    });
                }
            }
        }
    }
    if let Some(arn) = td.task_role_arn.as_deref() {
        role_exists_and_trusts(out, svc, "taskRoleArn", arn);
    }
}

fn role_exists_and_trusts<'f>(
    out: &mut Vec<Finding>,
    svc: &Svc<'f>,
    field: &str,
    arn: &str,
) -> Option<&'f Role> {
    match svc.facts.roles.get(arn) {
        None => {
            out.push(svc.not_checked(Area::Roles, format!("{field} {arn} was not looked up")));
            None
        }
        Some(Fact::Unknown(e)) => {
            out.push(svc.not_checked(Area::Roles, format!("{field} {arn}: {e}")));
            None
        }
        Some(Fact::Missing) => {
            out.push(svc.problem(
                Area::Roles,
                format!("{field} {arn} does not exist"),
                format!(
                    "create the role (trusting {ECS_TASKS}) or correct spec.taskDefinition.{field}"
                ),
            ));
            None
        }
        Some(Fact::Found(role)) => {
            out.push(match role.trust.as_ref().map(trusts_ecs_tasks) {
                None => svc.not_checked(
                    Area::Roles,
                    format!("{field} {arn}: its trust policy could not be read"),
                ),
                Some(Ok(true)) => svc.ok(
                    Area::Roles,
                    format!("{field} {arn} exists and trusts {ECS_TASKS}"),
                ),
                Some(Ok(false)) => svc.problem(
                    Area::Roles,
                    format!("{field} {arn} does not trust {ECS_TASKS}, so tasks cannot assume it"),
                    format!(
                        "add a trust statement allowing sts:AssumeRole to the service principal {ECS_TASKS}"
                    ),
                ),
                Some(Err(why)) => svc.not_checked(Area::Roles, format!("{field} {arn}: {why}")),
            });
            Some(role)
        }
    }
}

fn logs(out: &mut Vec<Finding>, svc: &Svc<'_>) {
    for (container, group, region, create) in svc.log_groups() {
        let Some(group) = group else {
            out.push(svc.problem(
                Area::Logs,
                format!("container {container} uses the awslogs driver without awslogs-group"),
                "set logConfiguration.options.awslogs-group",
            ));
            continue;
        };
        let key = (region.to_owned(), group.to_owned());
        out.push(match svc.facts.log_groups.get(&key) {
            Some(Fact::Found(())) => svc.ok(
                Area::Logs,
                format!("log group {group} exists in {region}"),
            ),
            Some(Fact::Missing) if create => create_group(svc, group, region),
            Some(Fact::Missing) => svc.problem(
                Area::Logs,
                format!(
                    "log group {group} (container {container}) does not exist in {region}; tasks fail to start"
                ),
                format!(
                    "aws logs create-log-group --log-group-name {group} --region {region}, or set awslogs-create-group: \"true\""
                ),
            ),
            Some(Fact::Unknown(e)) => {
                svc.not_checked(Area::Logs, format!("log group {group} in {region}: {e}"))
            }
            None => svc.not_checked(Area::Logs, format!("log group {group} was not looked up")),
        });
    }
}

/// A missing group with `awslogs-create-group: "true"`: fine if the execution role may
/// create it.
fn create_group(svc: &Svc<'_>, group: &str, region: &str) -> Finding {
    let Some(arn) = svc.execution_role() else {
        return svc.problem(
            Area::Logs,
            format!("log group {group} does not exist and there is no execution role to create it"),
            format!("aws logs create-log-group --log-group-name {group} --region {region}"),
        );
    };
    let Some(Fact::Found(role)) = svc.facts.roles.get(arn) else {
        return svc.not_checked(
            Area::Logs,
            format!("log group {group} does not exist; whether {arn} may create it is unknown"),
        );
    };
    let account = svc.account().unwrap_or("ACCOUNT_ID");
    let resource = format!("arn:aws:logs:{region}:{account}:log-group:{group}:*");
    match role_allows(role, "logs:CreateLogGroup", &resource) {
        Decision::Allowed => svc.ok(
            Area::Logs,
            format!("log group {group} does not exist yet; the execution role may create it"),
        ),
        Decision::NotAllowed => svc.problem(
            Area::Logs,
            format!(
                "log group {group} does not exist and execution role {arn} may not logs:CreateLogGroup"
            ),
            format!(
                "aws logs create-log-group --log-group-name {group} --region {region}, or allow logs:CreateLogGroup on {resource}"
            ),
        ),
        Decision::Undecided(why) => svc.not_checked(
            Area::Logs,
            format!("log group {group} does not exist; whether {arn} may create it: {why}"),
        ),
    }
}

fn images(out: &mut Vec<Finding>, svc: &Svc<'_>) {
    let mut seen = BTreeSet::new();
    for c in &svc.spec.task_definition.container_definitions {
        let image = c.image.as_str();
        if !seen.insert(image) {
            continue;
        }
        if EcrImage::parse(image).is_none() {
            out.push(svc.not_checked(
                Area::Images,
                format!("image {image} is not in Amazon ECR; only ECR images are checked"),
            ));
            continue;
        }
        out.push(match svc.facts.images.get(image) {
            Some(Fact::Found(())) => svc.ok(Area::Images, format!("image {image} exists")),
            Some(Fact::Missing) => svc.problem(
                Area::Images,
                format!(
                    "image {image} (container {}) is not in its ECR repository",
                    c.name
                ),
                "push the image, or correct the tag or digest in containerDefinitions[].image",
            ),
            Some(Fact::Unknown(e)) => svc.not_checked(Area::Images, format!("image {image}: {e}")),
            None => svc.not_checked(Area::Images, format!("image {image} was not looked up")),
        });
    }
}

fn secrets(out: &mut Vec<Finding>, svc: &Svc<'_>) {
    for (container, value_from) in svc.secret_refs() {
        let Some(secret) = SecretRef::parse(value_from, svc.region, svc.account()) else {
            out.push(svc.problem(
                Area::Secrets,
                format!(
                    "container {container}: valueFrom {value_from} is neither an SSM parameter nor a Secrets Manager secret"
                ),
                "use an SSM parameter name or ARN, or a Secrets Manager secret ARN",
            ));
            continue;
        };
        let key = (secret.region().to_owned(), value_from.to_owned());
        out.push(match svc.facts.secrets.get(&key) {
            Some(Fact::Found(())) => svc.ok(Area::Secrets, format!("secret {value_from} exists")),
            Some(Fact::Missing) => svc.problem(
                Area::Secrets,
                format!(
                    "secret {value_from} (container {container}) does not exist in {}",
                    secret.region()
                ),
                match secret {
                    SecretRef::Parameter { .. } => format!(
                        "aws ssm put-parameter --name {value_from} --type SecureString --value ... --region {}",
                        secret.region()
                    ),
                    SecretRef::Secret { .. } => {
                        "create the secret in Secrets Manager, or correct secrets[].valueFrom".to_owned()
                    }
                },
            ),
            Some(Fact::Unknown(e)) => svc.not_checked(Area::Secrets, format!("secret {value_from}: {e}")),
            None => svc.not_checked(Area::Secrets, format!("secret {value_from} was not looked up")),
        });
    }
}

fn capacity(out: &mut Vec<Finding>, svc: &Svc<'_>) {
    let name = svc.spec.cluster.as_str();
    let manifest = svc.set.resources().iter().find_map(|r| match &r.spec {
        ResourceSpec::Cluster(c)
            if r.kind() == Kind::EcsCluster
                && r.name() == name
                && r.region_or(svc.region) == svc.region =>
        {
            Some(c)
        }
        _ => None,
    });
    let live = svc
        .facts
        .clusters
        .get(&(svc.region.to_owned(), name.to_owned()));
    out.push(match live {
        Some(Fact::Found(_)) => svc.ok(Area::Capacity, format!("cluster {name} exists")),
        _ if manifest.is_some() => svc.ok(
            Area::Capacity,
            format!("cluster {name} is defined in the manifests"),
        ),
        Some(Fact::Missing) => svc.problem(
            Area::Capacity,
            format!(
                "cluster {name} does not exist in {} and no EcsCluster manifest defines it",
                svc.region
            ),
            format!("add an EcsCluster manifest named {name}, or correct spec.cluster"),
        ),
        Some(Fact::Unknown(e)) => svc.not_checked(Area::Capacity, format!("cluster {name}: {e}")),
        None => svc.not_checked(Area::Capacity, format!("cluster {name} was not looked up")),
    });
    // Providers the cluster manifest declares are attached by `apply`.
    let declared = manifest
        .and_then(|c| c.capacity_providers.as_ref())
        .map_or(&[][..], Vec::as_slice);
    for item in svc.spec.service.capacity_provider_strategy.iter().flatten() {
        let cp = item.capacity_provider.as_str();
        let fix = if manifest.is_some() {
            format!("add {cp} to spec.capacityProviders of EcsCluster/{name}")
        } else {
            format!(
                "aws ecs put-cluster-capacity-providers --cluster {name} --capacity-providers {cp} --default-capacity-provider-strategy capacityProvider={cp} --region {}",
                svc.region
            )
        };
        out.push(match live {
            _ if declared.iter().any(|p| p == cp) => svc.ok(
                Area::Capacity,
                format!("capacity provider {cp} is declared on EcsCluster/{name}"),
            ),
            Some(Fact::Found(c)) if c.capacity_providers.iter().any(|p| p == cp) => svc.ok(
                Area::Capacity,
                format!("capacity provider {cp} is attached to cluster {name}"),
            ),
            Some(Fact::Found(_)) => svc.problem(
                Area::Capacity,
                format!("capacity provider {cp} is not attached to cluster {name}"),
                fix,
            ),
            Some(Fact::Missing) if manifest.is_some() => svc.problem(
                Area::Capacity,
                format!(
                    "cluster {name} will be created without capacity provider {cp}, which the strategy names"
                ),
                fix,
            ),
            Some(Fact::Unknown(e)) => svc.not_checked(
                Area::Capacity,
                format!("capacity provider {cp} on cluster {name}: {e}"),
            ),
            _ => svc.not_checked(
                Area::Capacity,
                format!("capacity provider {cp}: cluster {name} could not be read"),
            ),
        });
    }
}

mod network;

pub use self::network::cidr_covers;
use self::network::{namespace, network};

#[cfg(test)]
mod tests;
