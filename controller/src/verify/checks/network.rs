//! The network checks: the namespace's VPC and its DNS settings, subnets and security groups
//! in that VPC, inbound container ports, and each subnet's way to the image registry.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use super::Svc;
use crate::manifest::{NamespaceSpec, Resource};
use crate::verify::facts::{Fact, Facts, SecurityGroup, Subnet, Vpc};
use crate::verify::refs::EcrImage;
use crate::verify::{Area, Finding, Status};

pub(super) fn namespace(
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

pub(super) fn network(out: &mut Vec<Finding>, svc: &Svc<'_>) {
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
        .and_then(|d| svc.set.namespace_for(svc.r, &d.namespace))
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
    groups: &[&SecurityGroup],
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
