//! What a client sends, turned into typed input for the estimators.
//!
//! - [`validate_resource_type`] enforces the wire contract on `resource_type` (at most 256
//!   characters matching `^[a-zA-Z][a-zA-Z0-9_\-:/]*$`) and [`validate_sku`] keeps hostile skus
//!   out of lookups and error messages.
//! - [`Kind::parse`] maps short names (`ec2`, `nat_gateway`, ...) and Pulumi type tokens
//!   (`aws:ec2/instance:Instance`, ...) to the kind of resource being priced.
//! - [`Props`] reads a property bag (Pulumi properties stringified by the host, or flattened
//!   `EstimateCost` attributes): names match across spellings (`volumeSize` = `volume_size`),
//!   nested values are Go-map text parsed by [`gotext`], and bad numbers are
//!   `InvalidArgument` errors that name the offending field.

pub mod gotext;

use std::collections::HashMap;

use crate::estimate_error::EstimateError;
use gotext::{GoValue, same_key};

/// Longest accepted `resource_type` and `sku`, in characters.
pub const MAX_TYPE_LEN: usize = 256;

/// Largest accepted numeric property: far above any real size or monthly usage, small enough
/// that every monthly cost stays finite.
pub const MAX_NUMBER: f64 = 1e15;

/// Checks `resource_type` against the wire contract; `field` names it in the error
/// (`resource.resource_type`, or `resource_type` for `EstimateCost`).
pub fn validate_resource_type(
    value: &str,
    field: impl std::fmt::Display,
) -> Result<(), EstimateError> {
    let invalid = |reason: String| EstimateError::InvalidArgument {
        field: field.to_string(),
        reason,
    };
    if value.is_empty() {
        return Err(invalid("must not be empty".to_owned()));
    }
    if value.chars().nth(MAX_TYPE_LEN).is_some() {
        return Err(invalid(format!("longer than {MAX_TYPE_LEN} characters")));
    }
    let mut chars = value.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return Err(invalid("must start with an ASCII letter".to_owned()));
    }
    if let Some((i, c)) = value
        .char_indices()
        .skip(1)
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '/')))
    {
        return Err(invalid(format!(
            "character {:?} at byte {i} is not allowed (expected letters, digits, _ - : /)",
            c
        )));
    }
    Ok(())
}

/// Checks a sku (instance type, volume type, ...): at most 256 characters, no control characters.
pub fn validate_sku(value: &str, field: &str) -> Result<(), EstimateError> {
    let invalid = |reason: &str| EstimateError::InvalidArgument {
        field: field.to_owned(),
        reason: reason.to_owned(),
    };
    if value.chars().nth(MAX_TYPE_LEN).is_some() {
        return Err(invalid("longer than 256 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid("contains control characters"));
    }
    Ok(())
}

/// At most `max` characters of `s`, for echoing untrusted text in messages.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// Resources with no AWS charge of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FreeKind {
    /// VPC.
    Vpc,
    /// Subnet.
    Subnet,
    /// Security group and its rules.
    SecurityGroup,
    /// Route table, routes and associations.
    RouteTable,
    /// Internet gateway (data transfer is billed on the instances, not the gateway).
    InternetGateway,
    /// EC2 launch template.
    LaunchTemplate,
    /// IAM role, policy, attachment, instance profile.
    Iam,
    /// ECS cluster (tasks and instances are billed, the cluster is not).
    EcsCluster,
}

/// Which Elastic Load Balancer a resource type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LbType {
    /// Read from the `loadBalancerType` property (default `application`, as in AWS).
    FromProperty,
    /// Application Load Balancer.
    Application,
    /// Network Load Balancer.
    Network,
    /// Gateway Load Balancer.
    Gateway,
    /// Classic Load Balancer.
    Classic,
}

/// The kind of resource being priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// EC2 instance (with its root volume).
    Ec2,
    /// EBS volume.
    Ebs,
    /// S3 bucket.
    S3,
    /// RDS DB instance.
    Rds,
    /// Lambda function.
    Lambda,
    /// EKS cluster.
    Eks,
    /// NAT gateway.
    NatGateway,
    /// ElastiCache cluster.
    ElastiCache,
    /// DynamoDB table.
    DynamoDb,
    /// `cloudwatch` short name: a log group, or an alarm when alarm properties are present.
    CloudWatch,
    /// CloudWatch Logs log group.
    LogGroup,
    /// CloudWatch metric alarm.
    MetricAlarm,
    /// ECS task definition: one running task on Fargate.
    EcsTask,
    /// ECS service: its running tasks on Fargate / Fargate Spot, or on EC2 (no charge of its own).
    EcsService,
    /// Elastic Load Balancing, of the type the name fixes or `loadBalancerType` says.
    Elb(LbType),
    /// A resource without a charge of its own.
    Free(FreeKind),
}

/// Pulumi type tokens we price, compared ignoring ASCII case.
const TOKENS: &[(&str, Kind)] = &[
    ("aws:ec2/instance:Instance", Kind::Ec2),
    ("aws:ebs/volume:Volume", Kind::Ebs),
    ("aws:s3/bucket:Bucket", Kind::S3),
    ("aws:s3/bucketV2:BucketV2", Kind::S3),
    ("aws:rds/instance:Instance", Kind::Rds),
    ("aws:lambda/function:Function", Kind::Lambda),
    ("aws:eks/cluster:Cluster", Kind::Eks),
    ("aws:ec2/natGateway:NatGateway", Kind::NatGateway),
    ("aws:elasticache/cluster:Cluster", Kind::ElastiCache),
    ("aws:dynamodb/table:Table", Kind::DynamoDb),
    ("aws:cloudwatch/logGroup:LogGroup", Kind::LogGroup),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", Kind::MetricAlarm),
    ("aws:ecs/taskDefinition:TaskDefinition", Kind::EcsTask),
    ("aws:ecs/service:Service", Kind::EcsService),
    (
        "aws:lb/loadBalancer:LoadBalancer",
        Kind::Elb(LbType::FromProperty),
    ),
    (
        "aws:alb/loadBalancer:LoadBalancer",
        Kind::Elb(LbType::FromProperty),
    ),
    (
        "aws:elb/loadBalancer:LoadBalancer",
        Kind::Elb(LbType::Classic),
    ),
    ("aws:ec2/vpc:Vpc", Kind::Free(FreeKind::Vpc)),
    ("aws:ec2/subnet:Subnet", Kind::Free(FreeKind::Subnet)),
    (
        "aws:ec2/securityGroup:SecurityGroup",
        Kind::Free(FreeKind::SecurityGroup),
    ),
    (
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        Kind::Free(FreeKind::SecurityGroup),
    ),
    (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        Kind::Free(FreeKind::SecurityGroup),
    ),
    (
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        Kind::Free(FreeKind::SecurityGroup),
    ),
    (
        "aws:ec2/routeTable:RouteTable",
        Kind::Free(FreeKind::RouteTable),
    ),
    ("aws:ec2/route:Route", Kind::Free(FreeKind::RouteTable)),
    (
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        Kind::Free(FreeKind::RouteTable),
    ),
    (
        "aws:ec2/internetGateway:InternetGateway",
        Kind::Free(FreeKind::InternetGateway),
    ),
    (
        "aws:ec2/launchTemplate:LaunchTemplate",
        Kind::Free(FreeKind::LaunchTemplate),
    ),
    ("aws:iam/role:Role", Kind::Free(FreeKind::Iam)),
    ("aws:iam/policy:Policy", Kind::Free(FreeKind::Iam)),
    ("aws:iam/rolePolicy:RolePolicy", Kind::Free(FreeKind::Iam)),
    (
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        Kind::Free(FreeKind::Iam),
    ),
    (
        "aws:iam/instanceProfile:InstanceProfile",
        Kind::Free(FreeKind::Iam),
    ),
    ("aws:ecs/cluster:Cluster", Kind::Free(FreeKind::EcsCluster)),
];

/// Short names, compared ignoring ASCII case, `_` and `-` (`nat_gateway` = `natgateway`).
const SHORT_NAMES: &[(&str, Kind)] = &[
    ("ec2", Kind::Ec2),
    ("instance", Kind::Ec2),
    ("ebs", Kind::Ebs),
    ("volume", Kind::Ebs),
    ("s3", Kind::S3),
    ("bucket", Kind::S3),
    ("rds", Kind::Rds),
    ("dbinstance", Kind::Rds),
    ("lambda", Kind::Lambda),
    ("eks", Kind::Eks),
    ("natgateway", Kind::NatGateway),
    ("elasticache", Kind::ElastiCache),
    ("dynamodb", Kind::DynamoDb),
    ("cloudwatch", Kind::CloudWatch),
    ("loggroup", Kind::LogGroup),
    ("metricalarm", Kind::MetricAlarm),
    ("ecstask", Kind::EcsTask),
    ("taskdefinition", Kind::EcsTask),
    ("ecsservice", Kind::EcsService),
    ("elb", Kind::Elb(LbType::FromProperty)),
    ("loadbalancer", Kind::Elb(LbType::FromProperty)),
    ("alb", Kind::Elb(LbType::Application)),
    ("nlb", Kind::Elb(LbType::Network)),
    ("gwlb", Kind::Elb(LbType::Gateway)),
    ("clb", Kind::Elb(LbType::Classic)),
    ("vpc", Kind::Free(FreeKind::Vpc)),
    ("subnet", Kind::Free(FreeKind::Subnet)),
    ("securitygroup", Kind::Free(FreeKind::SecurityGroup)),
    ("securitygrouprule", Kind::Free(FreeKind::SecurityGroup)),
    ("routetable", Kind::Free(FreeKind::RouteTable)),
    ("internetgateway", Kind::Free(FreeKind::InternetGateway)),
    ("launchtemplate", Kind::Free(FreeKind::LaunchTemplate)),
    ("iam", Kind::Free(FreeKind::Iam)),
    ("iamrole", Kind::Free(FreeKind::Iam)),
    ("iampolicy", Kind::Free(FreeKind::Iam)),
    ("instanceprofile", Kind::Free(FreeKind::Iam)),
    ("ecscluster", Kind::Free(FreeKind::EcsCluster)),
];

impl Kind {
    /// The kind named by a short name or Pulumi token, if we know it. Does not validate;
    /// call [`validate_resource_type`] first.
    pub fn parse(resource_type: &str) -> Option<Kind> {
        if resource_type.contains(':') {
            TOKENS
                .iter()
                .find(|(token, _)| token.eq_ignore_ascii_case(resource_type))
                .map(|(_, kind)| *kind)
        } else {
            SHORT_NAMES
                .iter()
                .find(|(name, _)| same_key(name, resource_type))
                .map(|(_, kind)| *kind)
        }
    }

    /// Canonical short name, e.g. `ec2`, `natgateway`, `cloudwatch`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ec2 => "ec2",
            Kind::Ebs => "ebs",
            Kind::S3 => "s3",
            Kind::Rds => "rds",
            Kind::Lambda => "lambda",
            Kind::Eks => "eks",
            Kind::NatGateway => "natgateway",
            Kind::ElastiCache => "elasticache",
            Kind::DynamoDb => "dynamodb",
            Kind::CloudWatch | Kind::LogGroup | Kind::MetricAlarm => "cloudwatch",
            Kind::EcsTask => "ecs-task",
            Kind::EcsService => "ecs-service",
            Kind::Elb(_) => "elb",
            Kind::Free(free) => match free {
                FreeKind::Vpc => "vpc",
                FreeKind::Subnet => "subnet",
                FreeKind::SecurityGroup => "securitygroup",
                FreeKind::RouteTable => "routetable",
                FreeKind::InternetGateway => "internetgateway",
                FreeKind::LaunchTemplate => "launchtemplate",
                FreeKind::Iam => "iam",
                FreeKind::EcsCluster => "ecscluster",
            },
        }
    }
}

/// A property bag: Pulumi properties (GetProjectedCost tags) or EstimateCost attributes.
#[derive(Debug, Clone, Copy)]
pub struct Props<'a> {
    bag: &'a HashMap<String, String>,
    /// Field path prefix used in errors: `resource.tags` or `attributes`.
    field: &'static str,
}

impl<'a> Props<'a> {
    /// Wraps `bag`; errors name fields as `<field>.<key>`.
    pub fn new(bag: &'a HashMap<String, String>, field: &'static str) -> Props<'a> {
        Props { bag, field }
    }

    /// The first present, non-blank property among `names` (any spelling), as `(key, value)`.
    ///
    /// An exact key wins; otherwise the smallest matching key, so the choice never depends on
    /// hash order.
    pub fn find(&self, names: &[&str]) -> Option<(&'a str, &'a str)> {
        for name in names {
            if let Some((k, v)) = self.bag.get_key_value(*name)
                && !v.trim().is_empty()
            {
                return Some((k.as_str(), v.as_str()));
            }
            let found = self
                .bag
                .iter()
                .filter(|(k, v)| same_key(k, name) && !v.trim().is_empty())
                .min_by(|a, b| a.0.cmp(b.0));
            if let Some((k, v)) = found {
                return Some((k.as_str(), v.as_str()));
            }
        }
        None
    }

    /// The trimmed text of the first present property among `names`.
    pub fn text(&self, names: &[&str]) -> Option<&'a str> {
        self.find(names).map(|(_, v)| v.trim())
    }

    /// The full field path of `key`, for errors.
    pub fn field(&self, key: &str) -> String {
        format!("{}.{}", self.field, clip(key, 64))
    }

    /// A non-negative number (see [`number`]) from the first present property among `names`.
    pub fn number(&self, names: &[&str]) -> Result<Option<f64>, EstimateError> {
        self.find(names)
            .map(|(k, v)| number(v).map_err(|reason| self.invalid(k, v, reason)))
            .transpose()
    }

    /// A boolean (`true`/`false`, `1`/`0`, `yes`/`no`, any case).
    pub fn flag(&self, names: &[&str]) -> Result<Option<bool>, EstimateError> {
        self.find(names)
            .map(|(k, v)| match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(self.invalid(k, v, "expected true or false")),
            })
            .transpose()
    }

    /// A map property such as `rootBlockDevice`, its Go-map text parsed once.
    pub fn map<'s>(&self, outer: &'s [&'s str]) -> MapProp<'a, 's> {
        MapProp {
            props: *self,
            outer,
            parsed: self.go_value(outer),
        }
    }

    /// The Go-text value of the first present property among `names`, parsed.
    pub fn go_value(&self, names: &[&str]) -> Option<(&'a str, GoValue<'a>)> {
        self.find(names).map(|(k, v)| (k, gotext::parse(v)))
    }

    /// An `InvalidArgument` error for property `key`.
    pub fn invalid(&self, key: &str, value: &str, reason: &str) -> EstimateError {
        EstimateError::InvalidArgument {
            field: self.field(key),
            reason: format!("{reason} (got {:?})", clip(value, 64)),
        }
    }
}

/// A map property and the values nested in it (see [`Props::map`]).
#[derive(Debug)]
pub struct MapProp<'a, 's> {
    props: Props<'a>,
    outer: &'s [&'s str],
    parsed: Option<(&'a str, GoValue<'a>)>,
}

impl<'a> MapProp<'a, '_> {
    /// The nested value `inner`: a flat key `outer.inner` wins, then the entry `inner` of the
    /// Go-map text of `outer` (e.g. `rootBlockDevice` = `map[volumeSize:20]`). Blank is absent.
    pub fn text(&self, inner: &str) -> Option<Nested<'a>> {
        let flat = self.props.bag.iter().find(|(k, v)| {
            !v.trim().is_empty()
                && k.split_once('.').is_some_and(|(a, b)| {
                    same_key(b, inner) && self.outer.iter().any(|o| same_key(a, o))
                })
        });
        if let Some((k, v)) = flat {
            return Some(Nested {
                key: k,
                inner: None,
                value: v.trim(),
            });
        }
        let (key, value) = self.parsed.as_ref()?;
        let GoValue::Map(entries) = value else {
            return None;
        };
        let (inner_key, found) = entries.iter().find(|(k, _)| same_key(k, inner))?;
        let found = found.as_text()?.trim();
        (!found.is_empty()).then_some(Nested {
            key,
            inner: Some(inner_key),
            value: found,
        })
    }

    /// A nested non-negative number (see [`MapProp::text`] and [`number`]).
    pub fn number(&self, inner: &str) -> Result<Option<f64>, EstimateError> {
        self.text(inner)
            .map(|n| {
                number(n.value).map_err(|reason| self.props.invalid(&n.path(), n.value, reason))
            })
            .transpose()
    }
}

/// A value found inside a map property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nested<'a> {
    /// The flat key (`rootBlockDevice.volumeSize`) or the map property's key.
    pub key: &'a str,
    /// The entry key inside the map, when the value came from Go-map text.
    pub inner: Option<&'a str>,
    /// Trimmed value text.
    pub value: &'a str,
}

impl Nested<'_> {
    /// `outer.inner` key path, for errors.
    pub fn path(&self) -> String {
        match self.inner {
            Some(inner) => format!("{}.{inner}", self.key),
            None => self.key.to_owned(),
        }
    }
}

/// Parses a non-negative decimal no larger than [`MAX_NUMBER`]; the error is a short reason.
pub fn number(text: &str) -> Result<f64, &'static str> {
    let t = text.trim();
    if t.len() > 64 {
        return Err("not a number");
    }
    let v: f64 = t.parse().map_err(|_| "not a number")?;
    if !v.is_finite() {
        return Err("not a finite number");
    }
    if v < 0.0 {
        return Err("must not be negative");
    }
    if v > MAX_NUMBER {
        return Err("too large");
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    fn bag(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn resource_type_follows_the_wire_contract() {
        let field = "resource.resource_type";
        for ok in ["ec2", "aws:ec2/instance:Instance", "a", "A_b-c:d/e9"] {
            assert!(validate_resource_type(ok, field).is_ok(), "{ok}");
        }
        assert!(validate_resource_type(&"a".repeat(256), field).is_ok());
        for bad in [
            "",
            "9ec2",
            ":x",
            "ec2 instance",
            "ec2.x",
            "ec2\0",
            "ü",
            &"a".repeat(257),
        ] {
            let err = validate_resource_type(bad, field).unwrap_err();
            assert!(
                matches!(&err, EstimateError::InvalidArgument { field: f, .. } if f == field),
                "{bad:?}: {err}"
            );
        }
        let huge = format!("a{}", "\0".repeat(1 << 20));
        let err = validate_resource_type(&huge, field).unwrap_err();
        assert!(err.to_string().len() < 200, "errors stay short");
    }

    #[test]
    fn sku_rejects_control_and_oversized() {
        assert!(validate_sku("t3.micro", "resource.sku").is_ok());
        assert!(validate_sku("", "resource.sku").is_ok());
        assert!(validate_sku("t3\0micro", "resource.sku").is_err());
        assert!(validate_sku(&"x".repeat(1 << 20), "resource.sku").is_err());
    }

    #[test]
    fn kinds_from_short_names_and_tokens() {
        assert_eq!(Kind::parse("ec2"), Some(Kind::Ec2));
        assert_eq!(Kind::parse("EC2"), Some(Kind::Ec2));
        assert_eq!(Kind::parse("nat_gateway"), Some(Kind::NatGateway));
        assert_eq!(Kind::parse("nat-gateway"), Some(Kind::NatGateway));
        assert_eq!(Kind::parse("aws:ec2/instance:Instance"), Some(Kind::Ec2));
        assert_eq!(Kind::parse("aws:s3/bucketV2:BucketV2"), Some(Kind::S3));
        assert_eq!(
            Kind::parse("aws:ec2/natGateway:NatGateway"),
            Some(Kind::NatGateway)
        );
        assert_eq!(
            Kind::parse("aws:cloudwatch/metricAlarm:MetricAlarm"),
            Some(Kind::MetricAlarm)
        );
        assert_eq!(
            Kind::parse("aws:lb/loadBalancer:LoadBalancer"),
            Some(Kind::Elb(LbType::FromProperty))
        );
        assert_eq!(
            Kind::parse("aws:elb/loadBalancer:LoadBalancer"),
            Some(Kind::Elb(LbType::Classic))
        );
        assert_eq!(Kind::parse("nlb"), Some(Kind::Elb(LbType::Network)));
        assert_eq!(
            Kind::parse("aws:ecs/taskDefinition:TaskDefinition"),
            Some(Kind::EcsTask)
        );
        assert_eq!(Kind::parse("ecs-task"), Some(Kind::EcsTask));
        assert_eq!(
            Kind::parse("aws:ecs/service:Service"),
            Some(Kind::EcsService)
        );
        assert_eq!(Kind::parse("ecs_service"), Some(Kind::EcsService));
        assert_eq!(Kind::EcsTask.name(), "ecs-task");
        assert_eq!(
            Kind::parse("aws:ec2/vpc:Vpc"),
            Some(Kind::Free(FreeKind::Vpc))
        );
        assert_eq!(
            Kind::parse("aws:iam/role:Role"),
            Some(Kind::Free(FreeKind::Iam))
        );
        assert_eq!(Kind::parse("aws:ec2/vpcEndpoint:VpcEndpoint"), None);
        assert_eq!(
            Kind::parse("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"),
            None
        );
        assert_eq!(Kind::parse("gcp:compute/instance:Instance"), None);
        assert_eq!(Kind::parse("kubernetes"), None);
        assert_eq!(Kind::NatGateway.name(), "natgateway");
        assert_eq!(Kind::LogGroup.name(), "cloudwatch");
    }

    #[test]
    fn props_match_spellings_and_nested_text() {
        let tags = bag(&[
            ("volume_size", "20"),
            ("rootBlockDevice", "map[volumeSize:30 volumeType:gp3]"),
            ("ebsOptimized", "TRUE"),
            ("blank", "  "),
        ]);
        let props = Props::new(&tags, "resource.tags");
        assert_eq!(props.number(&["volumeSize"]).unwrap(), Some(20.0));
        assert_eq!(props.flag(&["ebsOptimized"]).unwrap(), Some(true));
        assert_eq!(props.text(&["blank"]), None);
        assert_eq!(props.number(&["missing"]).unwrap(), None);
        let root = props.map(&["rootBlockDevice"]);
        assert_eq!(root.number("volumeSize").unwrap(), Some(30.0));
        let n = root.text("volume_type").unwrap();
        assert_eq!(
            (n.path().as_str(), n.value),
            ("rootBlockDevice.volumeType", "gp3")
        );
        let err = Props::new(
            &bag(&[("rootBlockDevice", "map[volumeSize:x]")]),
            "resource.tags",
        )
        .map(&["rootBlockDevice"])
        .number("volumeSize")
        .unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.tags.rootBlockDevice.volumeSize")
        );
        let flat = bag(&[
            ("rootBlockDevice.volumeSize", "50"),
            ("rootBlockDevice", "map[volumeSize:9]"),
        ]);
        let props = Props::new(&flat, "attributes");
        let root = props.map(&["rootBlockDevice"]);
        assert_eq!(
            root.number("volumeSize").unwrap(),
            Some(50.0),
            "flat key wins"
        );
        assert_eq!(root.text("volumeType"), None);
    }

    #[test]
    fn bad_numbers_name_the_field() {
        for bad in [
            "-1",
            "NaN",
            "inf",
            "1e400",
            "twenty",
            "1e16",
            &"9".repeat(1 << 20),
        ] {
            let tags = bag(&[("volumeSize", bad)]);
            let err = Props::new(&tags, "resource.tags")
                .number(&["volumeSize"])
                .unwrap_err();
            match err {
                EstimateError::InvalidArgument { field, reason } => {
                    assert_eq!(field, "resource.tags.volumeSize");
                    assert!(reason.len() < 200);
                }
                other => panic!("{other:?}"),
            }
        }
        let tags = bag(&[("multiAz", "perhaps")]);
        assert!(Props::new(&tags, "attributes").flag(&["multiAz"]).is_err());
        assert_eq!(number("1e3"), Ok(1000.0));
        assert_eq!(number(" 8 "), Ok(8.0));
    }

    #[test]
    fn clip_is_char_safe() {
        assert_eq!(clip("äöü", 2), "äö...");
        assert_eq!(clip("ab", 2), "ab");
    }
}
