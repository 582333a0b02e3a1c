//! Resources AWS does not bill on their own: VPC, subnet, security group and rules, route
//! table, internet gateway, launch template, IAM, ECS cluster. They cost 0 and say why.

use super::{Estimate, Input, Quality, Source};
use crate::resource::FreeKind;

/// The zero-cost estimate for `free`.
pub(crate) fn estimate(input: &Input<'_>, free: FreeKind) -> Estimate {
    let (what, note) = match free {
        FreeKind::Vpc => (
            "VPC",
            "endpoints, NAT gateways and traffic are billed separately",
        ),
        FreeKind::Subnet => ("subnet", "resources inside it are billed separately"),
        FreeKind::SecurityGroup => ("security group or rule", "no charge of its own"),
        FreeKind::RouteTable => ("route table or route", "no charge of its own"),
        FreeKind::InternetGateway => (
            "internet gateway",
            "data transfer is billed on the resources that send it",
        ),
        FreeKind::LaunchTemplate => (
            "launch template",
            "instances launched from it are billed separately",
        ),
        FreeKind::Iam => ("IAM resource", "IAM is offered at no additional charge"),
        FreeKind::EcsCluster => (
            "ECS cluster",
            "its tasks and container instances are billed separately",
        ),
    };
    Estimate {
        kind: input.kind.name(),
        sku: String::new(),
        unit_price: 0.0,
        unit: "",
        cost_per_month: 0.0,
        billing_mode: "zero_cost",
        billing_detail: format!("{what}: no AWS charge, cost 0 ({note})"),
        description: input.prose(|| format!("AWS {what} (no charge)")),
        source: Source::NoCharge(what),
        tiers: Vec::new(),
        assumptions: Vec::new(),
        metric_hints: &[],
        defaults_applied: Vec::new(),
        quality: Quality::High,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use crate::estimate::test_support::*;
    use crate::region::Region;

    #[test]
    fn zero_cost_types_say_so() {
        for t in [
            "aws:ec2/vpc:Vpc",
            "aws:ec2/subnet:Subnet",
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:ec2/routeTable:RouteTable",
            "aws:ec2/internetGateway:InternetGateway",
            "aws:ec2/launchTemplate:LaunchTemplate",
            "aws:iam/role:Role",
            "aws:iam/instanceProfile:InstanceProfile",
            "aws:ecs/cluster:Cluster",
            "vpc",
            "security_group",
        ] {
            let e = price(Region::UsEast1, t, "", &[]).unwrap();
            assert_eq!(e.cost_per_month, 0.0, "{t}");
            assert_eq!(e.billing_mode, "zero_cost");
            assert!(
                e.billing_detail.contains("no AWS charge"),
                "{t}: {}",
                e.billing_detail
            );
        }
    }
}
