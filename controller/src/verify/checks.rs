//! The checks: pure functions from manifests and [`Facts`] to [`Finding`]s, one function per
//! area. Each finding says what was found and, for a problem, the fix.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use super::facts::{Fact, Facts, Role, Subnet, Vpc};
use super::policy::{Decision, ECS_TASKS, EXECUTION_ROLE_POLICY, role_allows, trusts_ecs_tasks};
use super::refs::{Arn, EcrImage, SecretRef};
use super::{Area, Finding, Status};
use crate::manifest::{EcsServiceSpec, Kind, ManifestSet, NamespaceSpec, Resource, ResourceSpec};

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

fn namespace(
    out: &mut Vec<Finding>,
    r: &Resource,
    ns: &NamespaceSpec,
    facts: &Facts,
    region: &str,
) {
    let f = |status, message: String| Finding::new(r, Area::Network, status, message);
    let vpc_id = &ns.vpc;
    match facts.vpcs.get(&(region.to_owned(), vpc_id.clone())) {
        None => out.push(f(
            Status::NotChecked,
            format!("VPC {vpc_id} was not looked up"),
        )),
        Some(Fact::Unknown(e)) => out.push(f(Status::NotChecked, format!("VPC {vpc_id}: {e}"))),
        Some(Fact::Missing) => out.push(
            f(
                Status::Problem,
                format!("spec.vpc {vpc_id} does not exist in {region}"),
            )
            .with_fix("correct spec.vpc to the VPC the services run in"),
        ),
        Some(Fact::Found(vpc)) => {
            for (attr, value, flag) in [
                ("enableDnsSupport", vpc.dns_support, "--enable-dns-support"),
                (
                    "enableDnsHostnames",
                    vpc.dns_hostnames,
                    "--enable-dns-hostnames",
                ),
            ] {
                out.push(match value {
                    Some(true) => f(Status::Ok, format!("VPC {vpc_id} has {attr}")),
                    Some(false) => f(
                        Status::Problem,
                        format!(
                            "VPC {vpc_id} has {attr} off, so names in {} do not resolve (\"Service Discovery Not Resolving\")",
                            ns.name
                        ),
                    )
                    .with_fix(format!(
                        "aws ec2 modify-vpc-attribute --vpc-id {vpc_id} {flag} --region {region}"
                    )),
                    None => f(
                        Status::NotChecked,
                        format!("VPC {vpc_id}: {attr} could not be read"),
                    ),
                });
            }
        }
    }
}

fn network(out: &mut Vec<Finding>, svc: &Svc<'_>) {
    let Some(nc) = &svc.spec.service.network_configuration else {
        return;
    };
    let cfg = &nc.awsvpc_configuration;
    let facts = svc.facts;
    let key = |id: &str| (svc.region.to_owned(), id.to_owned());
    let namespace = svc
        .spec
        .service_discovery
        .as_ref()
        .and_then(|d| svc.set.namespace(&d.namespace))
        .map(|(r, ns)| (r.name(), ns.vpc.as_str()));
    // The VPC everything must share: the namespace's, else the first subnet's.
    let expected: Option<(String, String)> = namespace
        .map(|(name, vpc)| (vpc.to_owned(), format!("namespace {name}")))
        .or_else(|| {
            cfg.subnets.iter().find_map(|id| {
                facts
                    .subnets
                    .get(&key(id))
                    .and_then(Fact::found)
                    .map(|s| (s.vpc.clone(), format!("subnet {id}")))
            })
        });
    let same_vpc = |what: &str, id: &str, vpc: &str| -> Finding {
        match &expected {
            Some((want, owner)) if want != vpc => svc.problem(
                Area::Network,
                format!("{what} {id} is in {vpc}, but {owner} is in {want}"),
                format!("use a {what} of {want} in spec.service.networkConfiguration"),
            ),
            _ => svc.ok(Area::Network, format!("{what} {id} exists in {vpc}")),
        }
    };
    let mut subnets = Vec::new();
    for id in &cfg.subnets {
        out.push(match facts.subnets.get(&key(id)) {
            Some(Fact::Found(s)) => {
                subnets.push((id.as_str(), s));
                same_vpc("subnet", id, &s.vpc)
            }
            Some(Fact::Missing) => svc.problem(
                Area::Network,
                format!("subnet {id} does not exist in {}", svc.region),
                "correct spec.service.networkConfiguration.awsvpcConfiguration.subnets",
            ),
            Some(Fact::Unknown(e)) => svc.not_checked(Area::Network, format!("subnet {id}: {e}")),
            None => svc.not_checked(Area::Network, format!("subnet {id} was not looked up")),
        });
    }
    let group_ids = cfg.security_groups.clone().unwrap_or_default();
    let mut groups = Vec::new();
    for id in &group_ids {
        out.push(match facts.security_groups.get(&key(id)) {
            Some(Fact::Found(g)) => {
                groups.push(g);
                same_vpc("security group", id, &g.vpc)
            }
            Some(Fact::Missing) => svc.problem(
                Area::Network,
                format!("security group {id} does not exist in {}", svc.region),
                "correct spec.service.networkConfiguration.awsvpcConfiguration.securityGroups",
            ),
            Some(Fact::Unknown(e)) => {
                svc.not_checked(Area::Network, format!("security group {id}: {e}"))
            }
            None => svc.not_checked(
                Area::Network,
                format!("security group {id} was not looked up"),
            ),
        });
    }
    let vpc = expected
        .as_ref()
        .and_then(|(id, _)| facts.vpcs.get(&key(id)).map(|v| (id.as_str(), v)));
    ports(out, svc, &group_ids, &groups, vpc);
    for (id, subnet) in subnets {
        out.push(egress(svc, id, subnet, vpc));
    }
}

/// Every TCP `containerPort` must be open, in some listed group, to the VPC's CIDR or to a
/// referenced security group.
fn ports(
    out: &mut Vec<Finding>,
    svc: &Svc<'_>,
    group_ids: &[String],
    groups: &[&super::facts::SecurityGroup],
    vpc: Option<(&str, &Fact<Vpc>)>,
) {
    let mut wanted = BTreeSet::new();
    for c in &svc.spec.task_definition.container_definitions {
        for p in c.port_mappings.iter().flatten() {
            let tcp = p
                .protocol
                .as_deref()
                .is_none_or(|p| p.eq_ignore_ascii_case("tcp"));
            if let (Some(port), true) = (p.container_port, tcp) {
                wanted.insert(port);
            }
        }
    }
    if wanted.is_empty() {
        return;
    }
    if group_ids.is_empty() {
        out.push(svc.not_checked(
            Area::Network,
            "no securityGroups are listed, so ECS uses the VPC's default group, which verify does not read".into(),
        ));
        return;
    }
    if groups.len() < group_ids.len() {
        // A group that could not be read may be the one that opens the port.
        out.push(svc.not_checked(
            Area::Network,
            "inbound ports: not every security group exists or could be read".into(),
        ));
        return;
    }
    let Some((vpc_id, Fact::Found(vpc))) = vpc else {
        out.push(svc.not_checked(
            Area::Network,
            "inbound ports: the VPC's CIDR is unknown".into(),
        ));
        return;
    };
    let Some(cidr) = vpc.cidrs.first() else {
        out.push(svc.not_checked(
            Area::Network,
            format!("inbound ports: VPC {vpc_id} reported no IPv4 CIDR"),
        ));
        return;
    };
    let missing: Vec<i32> = wanted
        .iter()
        .copied()
        .filter(|port| {
            !groups.iter().any(|g| {
                g.ingress.iter().any(|rule| {
                    let all = rule.protocol == "-1";
                    let tcp = all || rule.protocol == "tcp" || rule.protocol == "6";
                    let in_range = all
                        || matches!((rule.from, rule.to), (Some(a), Some(b)) if a <= *port && *port <= b);
                    let source = !rule.groups.is_empty()
                        || rule.cidrs.iter().any(|c| cidr_covers(c, cidr));
                    tcp && in_range && source
                })
            })
        })
        .collect();
    let list = group_ids.join(", ");
    if missing.is_empty() {
        out.push(svc.ok(
            Area::Network,
            format!(
                "security groups {list} allow inbound TCP on all {} container ports from {cidr} or a security group",
                wanted.len()
            ),
        ));
    } else {
        let shown: Vec<String> = missing.iter().map(ToString::to_string).collect();
        let group = &group_ids[0];
        let commands: Vec<String> = missing
            .iter()
            .map(|p| {
                format!(
                    "aws ec2 authorize-security-group-ingress --group-id {group} --protocol tcp --port {p} --cidr {cidr} --region {}",
                    svc.region
                )
            })
            .collect();
        out.push(svc.problem(
            Area::Network,
            format!(
                "security groups {list} allow no inbound TCP from {cidr} or a security group on container port(s) {} (\"Ports Not Accessible\")",
                shown.join(", ")
            ),
            commands.join("; "),
        ));
    }
}

/// Whether IPv4 range `outer` contains all of `inner`.
#[must_use]
pub fn cidr_covers(outer: &str, inner: &str) -> bool {
    let parse = |s: &str| -> Option<(u32, u32)> {
        let (ip, len) = s.split_once('/')?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        let len: u32 = len.parse().ok()?;
        (len <= 32).then_some((u32::from(ip), len))
    };
    let (Some((o, ol)), Some((i, il))) = (parse(outer), parse(inner)) else {
        return false;
    };
    let mask = if ol == 0 { 0 } else { u32::MAX << (32 - ol) };
    ol <= il && (o & mask) == (i & mask)
}

/// How tasks in `subnet` reach the image registry (and logs and secrets): a NAT gateway,
/// an internet gateway with a public IP, or VPC endpoints.
fn egress(svc: &Svc<'_>, id: &str, subnet: &Subnet, vpc: Option<(&str, &Fact<Vpc>)>) -> Finding {
    let public = svc
        .spec
        .service
        .network_configuration
        .as_ref()
        .and_then(|n| n.awsvpc_configuration.assign_public_ip.as_deref())
        == Some("ENABLED");
    let Some(routes) = &subnet.routes else {
        return svc.not_checked(
            Area::Network,
            format!("subnet {id}: its route table could not be read"),
        );
    };
    let default = routes.iter().find(|r| r.destination == "0.0.0.0/0");
    let target = default.map_or("", |r| r.target.as_str());
    if target.starts_with("nat-") {
        return svc.ok(
            Area::Network,
            format!("subnet {id} reaches the internet through {target}"),
        );
    }
    if public && target.starts_with("igw-") {
        return svc.ok(
            Area::Network,
            format!("subnet {id} reaches the internet through {target} with a public IP"),
        );
    }
    if !target.is_empty() && !target.starts_with("igw-") {
        return svc.not_checked(
            Area::Network,
            format!(
                "subnet {id}: the default route goes to {target}, which verify does not follow"
            ),
        );
    }
    // No usable way out: only VPC endpoints can carry the pulls.
    let why = if target.starts_with("igw-") {
        format!("its default route goes to {target}, but assignPublicIp is not ENABLED")
    } else {
        "it has no default route".to_owned()
    };
    let fix = format!(
        "route 0.0.0.0/0 of subnet {id}'s route table to a NAT gateway, or add the VPC endpoints listed"
    );
    let foreign: Vec<&str> = svc
        .spec
        .task_definition
        .container_definitions
        .iter()
        .filter(|c| EcrImage::parse(&c.image).is_none())
        .map(|c| c.image.as_str())
        .collect();
    if !foreign.is_empty() {
        return svc.problem(
            Area::Network,
            format!(
                "subnet {id} cannot reach {} ({why}), so the container fails to start (\"Container Fails to Start\")",
                foreign.join(", ")
            ),
            fix,
        );
    }
    let Some((
        _,
        Fact::Found(Vpc {
            endpoints: Some(endpoints),
            ..
        }),
    )) = vpc
    else {
        return svc.not_checked(
            Area::Network,
            format!("subnet {id}: {why}, and the VPC's endpoints could not be read"),
        );
    };
    let region = svc.region;
    let mut needed = vec!["ecr.api", "ecr.dkr", "s3"];
    if !svc.log_groups().is_empty() {
        needed.push("logs");
    }
    let refs = svc.secret_refs();
    if refs
        .iter()
        .any(|(_, v)| v.starts_with("arn:aws:secretsmanager:"))
    {
        needed.push("secretsmanager");
    }
    if refs
        .iter()
        .any(|(_, v)| !v.starts_with("arn:aws:secretsmanager:"))
    {
        needed.push("ssm");
    }
    let missing: Vec<String> = needed
        .iter()
        .map(|s| format!("com.amazonaws.{region}.{s}"))
        .filter(|name| !endpoints.contains(name))
        .collect();
    if missing.is_empty() {
        svc.ok(
            Area::Network,
            format!("subnet {id} reaches ECR, S3 and the rest through VPC endpoints"),
        )
    } else {
        svc.problem(
            Area::Network,
            format!(
                "subnet {id}: {why}, and the VPC lacks endpoints {} (\"Container Fails to Start\")",
                missing.join(", ")
            ),
            fix,
        )
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

#[cfg(test)]
mod tests;
