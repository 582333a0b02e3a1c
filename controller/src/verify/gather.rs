//! The adapter of `verify`: reads, never writes, what the manifests point at — IAM roles and
//! their policies, log groups, subnets with their routes, security groups, VPCs with their
//! DNS attributes and endpoints, ECR images, SSM parameters, Secrets Manager secrets and
//! ECS clusters — into [`Facts`]. No judgement happens here.
//!
//! A lookup that fails for a reason other than "not found" becomes [`Fact::Unknown`] with
//! the error, so the check reports it as not checked; only a failure to reach AWS at all
//! (no connection, timeout) aborts the whole verification.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::Region;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::facts::{
    Cluster, Fact, Facts, Ingress, Policy, Role, Route, SecurityGroup, Subnet, Vpc,
};
use super::policy::EXECUTION_ROLE_POLICY;
use super::refs::{Arn, EcrImage, SecretRef, role_name};
use crate::Result;
use crate::aws::Context;
use crate::manifest::{ManifestSet, ResourceSpec};

/// Pages read from any one paginated listing (bounds the work on huge accounts).
const MAX_PAGES: usize = 20;

/// Sorts a failed lookup into "missing", "unknown" or (unreachable AWS) an error.
fn classify<T>(result: Result<T>, missing: impl Fn(&str) -> bool) -> Result<Fact<T>> {
    match result {
        Ok(v) => Ok(Fact::Found(v)),
        Err(e) => match e.aws_code() {
            Some("DispatchFailure" | "TimeoutError") => Err(e),
            Some(code) if missing(code) => Ok(Fact::Missing),
            _ => Ok(Fact::Unknown(e.to_string())),
        },
    }
}

fn ec2_missing(code: &str) -> bool {
    code.contains("NotFound") || code.ends_with(".Malformed")
}

/// Reads a policy document as IAM returns it (URL-encoded JSON).
fn document(raw: &str) -> Fact<Value> {
    let decoded = percent_decode_str(raw).decode_utf8_lossy();
    serde_json::from_str(raw)
        .or_else(|_| serde_json::from_str(&decoded))
        .map_or_else(
            |e| Fact::Unknown(format!("policy document is not JSON: {e}")),
            Fact::Found,
        )
}

/// What the manifests point at, per kind.
#[derive(Default)]
struct Wanted {
    roles: BTreeSet<String>,
    log_groups: BTreeSet<(String, String)>,
    vpcs: BTreeSet<(String, String)>,
    subnets: BTreeSet<(String, String)>,
    groups: BTreeSet<(String, String)>,
    images: BTreeSet<String>,
    secrets: BTreeSet<(String, String)>,
    clusters: BTreeSet<(String, String)>,
}

fn wanted(set: &ManifestSet, default_region: &str) -> Wanted {
    let mut w = Wanted::default();
    for r in set.resources() {
        let region = r.region_or(default_region).to_owned();
        match &r.spec {
            ResourceSpec::Namespace(ns) => {
                w.vpcs.insert((region, ns.vpc.clone()));
            }
            ResourceSpec::Cluster(_) => {}
            ResourceSpec::Service(svc) => {
                let td = &svc.task_definition;
                w.clusters.insert((region.clone(), svc.cluster.clone()));
                w.roles.extend(td.execution_role_arn.iter().cloned());
                w.roles.extend(td.task_role_arn.iter().cloned());
                let account = td
                    .execution_role_arn
                    .as_deref()
                    .and_then(Arn::parse)
                    .map(|a| a.account.to_owned());
                for c in &td.container_definitions {
                    if EcrImage::parse(&c.image).is_some() {
                        w.images.insert(c.image.clone());
                    }
                    if let Some(lc) = &c.log_configuration
                        && lc.log_driver == "awslogs"
                        && let Some(opts) = &lc.options
                        && let Some(group) = opts.get("awslogs-group")
                    {
                        let at = opts.get("awslogs-region").unwrap_or(&region);
                        w.log_groups.insert((at.clone(), group.clone()));
                    }
                    for s in c.secrets.iter().flatten() {
                        if let Some(parsed) =
                            SecretRef::parse(&s.value_from, &region, account.as_deref())
                        {
                            w.secrets
                                .insert((parsed.region().to_owned(), s.value_from.clone()));
                        }
                    }
                }
                if let Some(nc) = &svc.service.network_configuration {
                    let cfg = &nc.awsvpc_configuration;
                    for id in &cfg.subnets {
                        w.subnets.insert((region.clone(), id.clone()));
                    }
                    for id in cfg.security_groups.iter().flatten() {
                        w.groups.insert((region.clone(), id.clone()));
                    }
                }
            }
        }
    }
    w
}

/// Reads every fact the manifests point at.
///
/// # Errors
/// When AWS cannot be reached at all.
pub(super) async fn gather(ctx: &Context, set: &ManifestSet) -> Result<Facts> {
    let w = wanted(set, ctx.region());
    let mut facts = Facts::default();
    let mut clients = Clients::new(ctx);
    for arn in &w.roles {
        facts
            .roles
            .insert(arn.clone(), role(ctx, &clients.iam, arn).await?);
    }
    for (region, group) in &w.log_groups {
        let logs = clients.logs(region);
        let fact = classify(log_group(ctx, &logs, group).await, |_| false)?;
        let fact = match fact {
            Fact::Found(true) => Fact::Found(()),
            Fact::Found(false) => Fact::Missing,
            Fact::Missing => Fact::Missing,
            Fact::Unknown(e) => Fact::Unknown(e),
        };
        facts
            .log_groups
            .insert((region.clone(), group.clone()), fact);
    }
    let mut vpcs = w.vpcs.clone();
    for (region, id) in &w.subnets {
        let ec2 = clients.ec2(region);
        let fact = subnet(ctx, &ec2, id).await?;
        if let Fact::Found(s) = &fact {
            vpcs.insert((region.clone(), s.vpc.clone()));
        }
        facts.subnets.insert((region.clone(), id.clone()), fact);
    }
    for (region, id) in &w.groups {
        let ec2 = clients.ec2(region);
        let fact = security_group(ctx, &ec2, id).await?;
        if let Fact::Found(g) = &fact {
            vpcs.insert((region.clone(), g.vpc.clone()));
        }
        facts
            .security_groups
            .insert((region.clone(), id.clone()), fact);
    }
    for (region, id) in &vpcs {
        let ec2 = clients.ec2(region);
        facts
            .vpcs
            .insert((region.clone(), id.clone()), vpc(ctx, &ec2, id).await?);
    }
    for image in &w.images {
        let Some(parsed) = EcrImage::parse(image) else {
            continue;
        };
        let ecr = clients.ecr(&parsed.region);
        facts
            .images
            .insert(image.clone(), ecr_image(ctx, &ecr, &parsed).await?);
    }
    for (region, value_from) in &w.secrets {
        let fact = match SecretRef::parse(value_from, region, None) {
            Some(SecretRef::Parameter { names, .. }) => {
                let ssm = clients.ssm(region);
                parameter(ctx, &ssm, value_from, names).await?
            }
            Some(SecretRef::Secret { arn, .. }) => {
                let sm = clients.secretsmanager(region);
                let r = ctx
                    .call(
                        "secretsmanager",
                        "DescribeSecret",
                        &arn,
                        sm.describe_secret().secret_id(&arn).send(),
                    )
                    .await;
                classify(r.map(|_| ()), |c| c == "ResourceNotFoundException")?
            }
            None => continue,
        };
        facts
            .secrets
            .insert((region.clone(), value_from.clone()), fact);
    }
    for (region, name) in &w.clusters {
        let ecs = ctx.ecs(region);
        let r = ctx
            .call(
                "ecs",
                "DescribeClusters",
                name,
                ecs.describe_clusters().clusters(name).send(),
            )
            .await;
        let fact = classify(r, |c| c.contains("NotFound"))?;
        let fact = match fact {
            Fact::Found(out) => out
                .clusters()
                .iter()
                .find(|c| c.cluster_name() == Some(name.as_str()) && c.status() == Some("ACTIVE"))
                .map_or(Fact::Missing, |c| {
                    Fact::Found(Cluster {
                        capacity_providers: c.capacity_providers().to_vec(),
                    })
                }),
            Fact::Missing => Fact::Missing,
            Fact::Unknown(e) => Fact::Unknown(e),
        };
        facts.clusters.insert((region.clone(), name.clone()), fact);
    }
    Ok(facts)
}

/// Clients per region, built on demand from the context's configuration.
struct Clients<'a> {
    ctx: &'a Context,
    iam: aws_sdk_iam::Client,
    ec2: BTreeMap<String, aws_sdk_ec2::Client>,
    logs: BTreeMap<String, aws_sdk_cloudwatchlogs::Client>,
    ecr: BTreeMap<String, aws_sdk_ecr::Client>,
    ssm: BTreeMap<String, aws_sdk_ssm::Client>,
    secretsmanager: BTreeMap<String, aws_sdk_secretsmanager::Client>,
}

macro_rules! regional_client {
    ($name:ident, $krate:ident) => {
        fn $name(&mut self, region: &str) -> $krate::Client {
            let config = self.ctx.sdk_config();
            self.$name
                .entry(region.to_owned())
                .or_insert_with(|| {
                    $krate::Client::from_conf(
                        $krate::config::Builder::from(config)
                            .region(Region::new(region.to_owned()))
                            .build(),
                    )
                })
                .clone()
        }
    };
}

impl<'a> Clients<'a> {
    fn new(ctx: &'a Context) -> Self {
        // IAM is global; the SDK resolves its endpoint from any region.
        Self {
            ctx,
            iam: aws_sdk_iam::Client::new(ctx.sdk_config()),
            ec2: BTreeMap::new(),
            logs: BTreeMap::new(),
            ecr: BTreeMap::new(),
            ssm: BTreeMap::new(),
            secretsmanager: BTreeMap::new(),
        }
    }

    regional_client!(ec2, aws_sdk_ec2);
    regional_client!(logs, aws_sdk_cloudwatchlogs);
    regional_client!(ecr, aws_sdk_ecr);
    regional_client!(ssm, aws_sdk_ssm);
    regional_client!(secretsmanager, aws_sdk_secretsmanager);
}

async fn role(ctx: &Context, iam: &aws_sdk_iam::Client, arn: &str) -> Result<Fact<Role>> {
    let name = role_name(arn);
    let got = ctx
        .call("iam", "GetRole", arn, iam.get_role().role_name(name).send())
        .await;
    let out = match classify(got, |c| c == "NoSuchEntity")? {
        Fact::Found(out) => out,
        Fact::Missing => return Ok(Fact::Missing),
        Fact::Unknown(e) => return Ok(Fact::Unknown(e)),
    };
    let Some(r) = out.role() else {
        return Ok(Fact::Unknown("GetRole answered without a role".into()));
    };
    let mut role = Role {
        trust: r
            .assume_role_policy_document()
            .and_then(|d| document(d).found().cloned()),
        boundary: r
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned),
        ..Role::default()
    };
    // Attached managed policies.
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let listed = ctx
            .call(
                "iam",
                "ListAttachedRolePolicies",
                arn,
                iam.list_attached_role_policies()
                    .role_name(name)
                    .set_marker(marker.clone())
                    .send(),
            )
            .await;
        let out = match classify(listed, |_| false)? {
            Fact::Found(out) => out,
            _ => {
                role.policies.push(Policy {
                    name: "(attached policies)".into(),
                    document: Fact::Unknown("ListAttachedRolePolicies failed".into()),
                });
                break;
            }
        };
        role.managed.extend(
            out.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned)),
        );
        marker = out.marker().map(str::to_owned);
        if !out.is_truncated() || marker.is_none() {
            break;
        }
    }
    for policy_arn in role.managed.clone() {
        // Its content is known (see `policy`), no need to read it.
        if policy_arn == EXECUTION_ROLE_POLICY {
            continue;
        }
        let document = managed_document(ctx, iam, &policy_arn).await?;
        role.policies.push(Policy {
            name: policy_arn,
            document,
        });
    }
    // Inline policies.
    let listed = ctx
        .call(
            "iam",
            "ListRolePolicies",
            arn,
            iam.list_role_policies().role_name(name).send(),
        )
        .await;
    match classify(listed, |_| false)? {
        Fact::Found(out) => {
            if out.is_truncated() {
                role.policies.push(Policy {
                    name: "(more inline policies)".into(),
                    document: Fact::Unknown("too many inline policies to read".into()),
                });
            }
            for policy in out.policy_names() {
                let got = ctx
                    .call(
                        "iam",
                        "GetRolePolicy",
                        arn,
                        iam.get_role_policy()
                            .role_name(name)
                            .policy_name(policy)
                            .send(),
                    )
                    .await;
                let document = match classify(got, |_| false)? {
                    Fact::Found(out) => document(out.policy_document()),
                    Fact::Missing => Fact::Missing,
                    Fact::Unknown(e) => Fact::Unknown(e),
                };
                role.policies.push(Policy {
                    name: policy.clone(),
                    document,
                });
            }
        }
        _ => role.policies.push(Policy {
            name: "(inline policies)".into(),
            document: Fact::Unknown("ListRolePolicies failed".into()),
        }),
    }
    Ok(Fact::Found(role))
}

async fn managed_document(
    ctx: &Context,
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<Fact<Value>> {
    let got = ctx
        .call(
            "iam",
            "GetPolicy",
            arn,
            iam.get_policy().policy_arn(arn).send(),
        )
        .await;
    let version = match classify(got, |c| c == "NoSuchEntity")? {
        Fact::Found(out) => out
            .policy()
            .and_then(|p| p.default_version_id())
            .map(str::to_owned),
        Fact::Missing => return Ok(Fact::Missing),
        Fact::Unknown(e) => return Ok(Fact::Unknown(e)),
    };
    let Some(version) = version else {
        return Ok(Fact::Unknown(
            "GetPolicy answered without a default version".into(),
        ));
    };
    let got = ctx
        .call(
            "iam",
            "GetPolicyVersion",
            arn,
            iam.get_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send(),
        )
        .await;
    Ok(match classify(got, |c| c == "NoSuchEntity")? {
        Fact::Found(out) => out.policy_version().and_then(|v| v.document()).map_or_else(
            || Fact::Unknown("policy version without a document".into()),
            document,
        ),
        Fact::Missing => Fact::Missing,
        Fact::Unknown(e) => Fact::Unknown(e),
    })
}

/// Whether a log group named exactly `group` exists.
async fn log_group(
    ctx: &Context,
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
) -> Result<bool> {
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = ctx
            .call(
                "logs",
                "DescribeLogGroups",
                group,
                logs.describe_log_groups()
                    .log_group_name_prefix(group)
                    .set_next_token(token.clone())
                    .send(),
            )
            .await?;
        if out
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(group))
        {
            return Ok(true);
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(false)
}

async fn subnet(ctx: &Context, ec2: &aws_sdk_ec2::Client, id: &str) -> Result<Fact<Subnet>> {
    use aws_sdk_ec2::types::Filter;
    let got = ctx
        .call(
            "ec2",
            "DescribeSubnets",
            id,
            ec2.describe_subnets().subnet_ids(id).send(),
        )
        .await;
    let vpc = match classify(got, ec2_missing)? {
        Fact::Found(out) => match out.subnets().first().and_then(|s| s.vpc_id()) {
            Some(vpc) => vpc.to_owned(),
            None => return Ok(Fact::Missing),
        },
        Fact::Missing => return Ok(Fact::Missing),
        Fact::Unknown(e) => return Ok(Fact::Unknown(e)),
    };
    let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
    let explicit = ctx
        .call(
            "ec2",
            "DescribeRouteTables",
            id,
            ec2.describe_route_tables()
                .filters(filter("association.subnet-id", id))
                .send(),
        )
        .await;
    let mut routes = match classify(explicit, |_| false)? {
        Fact::Found(out) => out.route_tables().first().map(|t| read_routes(t.routes())),
        _ => return Ok(Fact::Found(Subnet { vpc, routes: None })),
    };
    if routes.is_none() {
        // No explicit association: the VPC's main route table applies.
        let main = ctx
            .call(
                "ec2",
                "DescribeRouteTables",
                &vpc,
                ec2.describe_route_tables()
                    .filters(filter("vpc-id", &vpc))
                    .filters(filter("association.main", "true"))
                    .send(),
            )
            .await;
        routes = match classify(main, |_| false)? {
            Fact::Found(out) => Some(
                out.route_tables()
                    .first()
                    .map(|t| read_routes(t.routes()))
                    .unwrap_or_default(),
            ),
            _ => None,
        };
    }
    Ok(Fact::Found(Subnet { vpc, routes }))
}

fn read_routes(routes: &[aws_sdk_ec2::types::Route]) -> Vec<Route> {
    routes
        .iter()
        .map(|r| Route {
            destination: r.destination_cidr_block().unwrap_or_default().to_owned(),
            target: r
                .nat_gateway_id()
                .or(r.gateway_id())
                .or(r.transit_gateway_id())
                .or(r.network_interface_id())
                .or(r.instance_id())
                .or(r.vpc_peering_connection_id())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

async fn security_group(
    ctx: &Context,
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Fact<SecurityGroup>> {
    let got = ctx
        .call(
            "ec2",
            "DescribeSecurityGroups",
            id,
            ec2.describe_security_groups().group_ids(id).send(),
        )
        .await;
    Ok(match classify(got, ec2_missing)? {
        Fact::Found(out) => out.security_groups().first().map_or(Fact::Missing, |g| {
            Fact::Found(SecurityGroup {
                vpc: g.vpc_id().unwrap_or_default().to_owned(),
                ingress: g
                    .ip_permissions()
                    .iter()
                    .map(|p| Ingress {
                        protocol: p.ip_protocol().unwrap_or("-1").to_owned(),
                        from: p.from_port(),
                        to: p.to_port(),
                        cidrs: p
                            .ip_ranges()
                            .iter()
                            .filter_map(|r| r.cidr_ip().map(str::to_owned))
                            .collect(),
                        groups: p
                            .user_id_group_pairs()
                            .iter()
                            .filter_map(|g| g.group_id().map(str::to_owned))
                            .collect(),
                    })
                    .collect(),
            })
        }),
        Fact::Missing => Fact::Missing,
        Fact::Unknown(e) => Fact::Unknown(e),
    })
}

async fn vpc(ctx: &Context, ec2: &aws_sdk_ec2::Client, id: &str) -> Result<Fact<Vpc>> {
    use aws_sdk_ec2::types::{Filter, VpcAttributeName};
    let got = ctx
        .call(
            "ec2",
            "DescribeVpcs",
            id,
            ec2.describe_vpcs().vpc_ids(id).send(),
        )
        .await;
    let mut vpc = match classify(got, ec2_missing)? {
        Fact::Found(out) => match out.vpcs().first() {
            Some(v) => {
                let mut cidrs: Vec<String> =
                    v.cidr_block().map(str::to_owned).into_iter().collect();
                for assoc in v.cidr_block_association_set() {
                    if let Some(c) = assoc.cidr_block()
                        && !cidrs.iter().any(|x| x == c)
                    {
                        cidrs.push(c.to_owned());
                    }
                }
                Vpc {
                    cidrs,
                    ..Vpc::default()
                }
            }
            None => return Ok(Fact::Missing),
        },
        Fact::Missing => return Ok(Fact::Missing),
        Fact::Unknown(e) => return Ok(Fact::Unknown(e)),
    };
    for attr in [
        VpcAttributeName::EnableDnsSupport,
        VpcAttributeName::EnableDnsHostnames,
    ] {
        let got = ctx
            .call(
                "ec2",
                "DescribeVpcAttribute",
                id,
                ec2.describe_vpc_attribute()
                    .vpc_id(id)
                    .attribute(attr.clone())
                    .send(),
            )
            .await;
        if let Fact::Found(out) = classify(got, |_| false)? {
            if attr == VpcAttributeName::EnableDnsSupport {
                vpc.dns_support = out.enable_dns_support().and_then(|v| v.value());
            } else {
                vpc.dns_hostnames = out.enable_dns_hostnames().and_then(|v| v.value());
            }
        }
    }
    let got = ctx
        .call(
            "ec2",
            "DescribeVpcEndpoints",
            id,
            ec2.describe_vpc_endpoints()
                .filters(Filter::builder().name("vpc-id").values(id).build())
                .send(),
        )
        .await;
    if let Fact::Found(out) = classify(got, |_| false)? {
        vpc.endpoints = Some(
            out.vpc_endpoints()
                .iter()
                .filter(|e| e.vpc_id() == Some(id))
                .filter_map(|e| e.service_name().map(str::to_owned))
                .collect(),
        );
    }
    Ok(Fact::Found(vpc))
}

async fn ecr_image(ctx: &Context, ecr: &aws_sdk_ecr::Client, image: &EcrImage) -> Result<Fact<()>> {
    let id = aws_sdk_ecr::types::ImageIdentifier::builder()
        .set_image_tag(image.tag.clone())
        .set_image_digest(image.digest.clone())
        .build();
    let got = ctx
        .call(
            "ecr",
            "DescribeImages",
            &image.repository,
            ecr.describe_images()
                .registry_id(&image.account)
                .repository_name(&image.repository)
                .image_ids(id)
                .send(),
        )
        .await;
    Ok(
        match classify(got, |c| {
            c == "ImageNotFoundException" || c == "RepositoryNotFoundException"
        })? {
            Fact::Found(out) if !out.image_details().is_empty() => Fact::Found(()),
            Fact::Found(_) | Fact::Missing => Fact::Missing,
            Fact::Unknown(e) => Fact::Unknown(e),
        },
    )
}

async fn parameter(
    ctx: &Context,
    ssm: &aws_sdk_ssm::Client,
    value_from: &str,
    names: Vec<String>,
) -> Result<Fact<()>> {
    let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .set_values(Some(names))
        .build();
    let filter = match filter {
        Ok(f) => f,
        Err(e) => return Ok(Fact::Unknown(e.to_string())),
    };
    let got = ctx
        .call(
            "ssm",
            "DescribeParameters",
            value_from,
            ssm.describe_parameters().parameter_filters(filter).send(),
        )
        .await;
    Ok(match classify(got, |_| false)? {
        Fact::Found(out) if !out.parameters().is_empty() => Fact::Found(()),
        Fact::Found(_) | Fact::Missing => Fact::Missing,
        Fact::Unknown(e) => Fact::Unknown(e),
    })
}
