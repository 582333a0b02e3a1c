//! The facts `verify` judges: what AWS said about every role, log group, network piece,
//! image, secret and cluster the manifests name. Plain data, filled by [`super::gather`]
//! and read by [`super::checks`], so the checks are pure and tested without a network.
//!
//! Every lookup ends in a [`Fact`]: found (with what matters), missing, or unknown (the
//! lookup itself failed, e.g. access denied) — an unknown fact yields a "not checked"
//! finding, never a pass.

use std::collections::BTreeMap;

use serde_json::Value;

/// The outcome of one lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact<T> {
    /// The thing exists; what was learnt about it.
    Found(T),
    /// AWS said it does not exist.
    Missing,
    /// The lookup failed for another reason (the message says which).
    Unknown(String),
}

impl<T> Fact<T> {
    /// The found value, if any.
    #[must_use]
    pub fn found(&self) -> Option<&T> {
        match self {
            Self::Found(v) => Some(v),
            _ => None,
        }
    }
}

/// A regional key: `(region, id or name)`.
pub type Regional = (String, String);

/// Everything gathered for one verification.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// IAM roles by ARN as written in the manifests.
    pub roles: BTreeMap<String, Fact<Role>>,
    /// CloudWatch Logs groups by `(region, name)`.
    pub log_groups: BTreeMap<Regional, Fact<()>>,
    /// VPCs by `(region, id)`.
    pub vpcs: BTreeMap<Regional, Fact<Vpc>>,
    /// Subnets by `(region, id)`.
    pub subnets: BTreeMap<Regional, Fact<Subnet>>,
    /// Security groups by `(region, id)`.
    pub security_groups: BTreeMap<Regional, Fact<SecurityGroup>>,
    /// ECR images by the image reference as written.
    pub images: BTreeMap<String, Fact<()>>,
    /// SSM parameters and Secrets Manager secrets by `(region, valueFrom as written)`.
    pub secrets: BTreeMap<Regional, Fact<()>>,
    /// ECS clusters by `(region, name)`.
    pub clusters: BTreeMap<Regional, Fact<Cluster>>,
}

/// An IAM role.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Role {
    /// The trust policy (`AssumeRolePolicyDocument`, decoded).
    pub trust: Option<Value>,
    /// ARNs of the attached managed policies.
    pub managed: Vec<String>,
    /// Policy documents: inline ones and those of the attached managed policies.
    pub policies: Vec<Policy>,
    /// The permissions boundary ARN, when one is set (it is not evaluated).
    pub boundary: Option<String>,
}

/// One policy document of a role.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Inline policy name or managed policy ARN.
    pub name: String,
    /// The document, when it could be read.
    pub document: Fact<Value>,
}

/// A VPC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vpc {
    /// IPv4 CIDR blocks (primary first).
    pub cidrs: Vec<String>,
    /// `enableDnsSupport` (None when it could not be read).
    pub dns_support: Option<bool>,
    /// `enableDnsHostnames` (None when it could not be read).
    pub dns_hostnames: Option<bool>,
    /// Service names of the VPC endpoints in it, e.g. `com.amazonaws.us-east-1.ecr.dkr`
    /// (None when they could not be listed).
    pub endpoints: Option<Vec<String>>,
}

/// A subnet and the routes of its route table (explicit association, else the VPC's main
/// table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subnet {
    /// The VPC it belongs to.
    pub vpc: String,
    /// Routes (None when the route table could not be read).
    pub routes: Option<Vec<Route>>,
}

/// One route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    /// Destination CIDR (`0.0.0.0/0`), empty for prefix-list routes.
    pub destination: String,
    /// Target id: `nat-...`, `igw-...`, `tgw-...`, `local`, ...
    pub target: String,
}

/// A security group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityGroup {
    /// The VPC it belongs to.
    pub vpc: String,
    /// Inbound rules.
    pub ingress: Vec<Ingress>,
}

/// One inbound rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingress {
    /// `tcp`, `udp`, `icmp`, `-1` (all) or a protocol number.
    pub protocol: String,
    /// First port (None for all-traffic rules).
    pub from: Option<i32>,
    /// Last port.
    pub to: Option<i32>,
    /// IPv4 source ranges.
    pub cidrs: Vec<String>,
    /// Source security groups.
    pub groups: Vec<String>,
}

/// An ECS cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// Capacity providers attached to it.
    pub capacity_providers: Vec<String>,
}
