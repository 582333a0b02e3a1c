//! EC2 reads of `verify`: subnets with their routes, security groups, VPCs with their DNS
//! attributes and endpoints.

use super::classify;
use crate::Result;
use crate::aws::Context;
use crate::verify::facts::{Fact, Ingress, Route, SecurityGroup, Subnet, Vpc};

fn ec2_missing(code: &str) -> bool {
    code.contains("NotFound") || code.ends_with(".Malformed")
}

pub(super) async fn subnet(
    ctx: &Context,
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Fact<Subnet>> {
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

pub(super) async fn security_group(
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

pub(super) async fn vpc(ctx: &Context, ec2: &aws_sdk_ec2::Client, id: &str) -> Result<Fact<Vpc>> {
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
