//! Pure cost estimators over a region's [`PriceTable`].
//!
//! [`estimate`] prices what a `ResourceDescriptor` carries ([`Query`]); [`estimate_attributes`]
//! prices an `EstimateCost` request; [`supports`] answers `Supports` without pricing. One
//! submodule per service holds its input rules and arithmetic.
//!
//! # Contract
//! - A month is [`HOURS_PER_MONTH`] (730) hours; amounts are USD list prices.
//! - Nothing unknown is priced at $0: an unknown type, sku or missing rate is an
//!   [`EstimateError`]. Only resources that AWS does not bill (VPC, subnet, IAM, ...) cost 0,
//!   and their `billing_detail` says so.
//! - Every input the caller did not give and we assumed is listed in `defaults_applied`.
//!   Quality is `high` without defaults, `medium` when only configuration was assumed (the
//!   estimate still prices the resource), `low` when usage was assumed (usually zero usage, so a
//!   usage-billed component is missing).
//! - The caller checks provider and region before calling; `Query::region` is not re-checked.
//! - Utilization does not change on-demand list prices; it is validated and noted only.

mod cloudwatch;
mod dynamodb;
mod ebs;
mod ec2;
mod eks;
mod elasticache;
mod elb;
mod fargate;
mod free;
mod lambda;
mod nat;
mod rds;
mod s3;
mod text;

use std::borrow::Cow;
use std::collections::HashMap;

pub use crate::estimate_error::EstimateError;
use crate::pricing::{PriceTable, Service};
use crate::resource::{Kind, Props, clip, validate_resource_type, validate_sku};
pub(crate) use text::{Cents, Usd, push_cents, push_usd, qty, usd};

/// Size assumed for an EBS volume that does not give one.
pub(crate) use ebs::DEFAULT_SIZE_GB as EBS_DEFAULT_SIZE_GB;
pub(crate) use fargate::linux_sizes as fargate_linux_sizes;

/// Hours in the month every monthly figure uses.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// What a `ResourceDescriptor` carries.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// Short name (`ec2`) or Pulumi token (`aws:ec2/instance:Instance`).
    pub resource_type: &'a str,
    /// Instance type, instance class, node type or volume type; may be empty (then read from tags).
    pub sku: &'a str,
    /// Region of the resource (checked by the caller).
    pub region: &'a str,
    /// All Pulumi properties, stringified; nested values as Go-map text.
    pub tags: &'a HashMap<String, String>,
    /// A 0..=1 fraction or 0..=100 percent; validated, does not change list prices.
    pub utilization: Option<f64>,
    /// Whether the answer shows prose: the estimate's `description` and `assumptions` are
    /// written only then (GetPricingSpec). Other answers show the cost and its arithmetic.
    pub prose: bool,
}

/// One price tier (volume-tiered rates such as Lambda duration or io2 IOPS).
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// First unit of the tier.
    pub min_quantity: f64,
    /// Last unit of the tier; 0 = unlimited.
    pub max_quantity: f64,
    /// USD per unit within the tier.
    pub rate_per_unit: f64,
    /// What the tier covers.
    pub description: String,
}

/// How much of an estimate rests on given inputs rather than defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// Every input was given.
    High,
    /// Configuration was assumed (e.g. the 8 GB gp2 root volume).
    Medium,
    /// Usage was assumed (e.g. zero Lambda requests).
    Low,
}

impl Quality {
    /// `high`, `medium` or `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::High => "high",
            Quality::Medium => "medium",
            Quality::Low => "low",
        }
    }
}

/// A priced resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Canonical short name, e.g. `ec2`.
    pub kind: &'static str,
    /// Resolved sku (e.g. `t3.micro`); empty when the kind has none.
    pub sku: String,
    /// The headline rate (EC2: USD per hour of the instance itself).
    pub unit_price: f64,
    /// Unit of `unit_price`: `hour`, `GB-month`, ...
    pub unit: &'static str,
    /// Total USD per month (EC2 includes its root volume).
    pub cost_per_month: f64,
    /// `per_hour`, `per_gb_month`, `per_request_and_gb_second`, `tiered`, `zero_cost`, ...
    pub billing_mode: &'static str,
    /// Human-readable arithmetic.
    pub billing_detail: String,
    /// What is being priced; empty unless the query asked for prose ([`Query::prose`]).
    pub description: String,
    /// Where the rates come from (see [`Estimate::source_text`]).
    pub source: Source,
    /// Volume tiers of the headline rate, if tiered.
    pub tiers: Vec<Tier>,
    /// What the estimate assumes (mostly fixed sentences, so they are borrowed); empty unless the
    /// query asked for prose ([`Query::prose`]).
    pub assumptions: Vec<Cow<'static, str>>,
    /// Usage metrics that refine the estimate: (metric, unit).
    pub metric_hints: &'static [(&'static str, &'static str)],
    /// Inputs that were assumed: (name, value).
    pub defaults_applied: Vec<Assumed>,
    /// See [`Quality`].
    pub quality: Quality,
}

/// Where an estimate's rates come from. It is data rather than text because most answers do
/// not show it: [`Estimate::source_text`] writes it out for those that do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Rates of these services in the served region's table.
    Tables(&'static [Service]),
    /// A resource AWS does not bill on its own, named.
    NoCharge(&'static str),
}

impl Estimate {
    /// Metadata for responses: `defaults_applied` (`k=v,...`, empty when none),
    /// `estimate_quality`, `resource_kind` and `billing_mode`.
    pub fn metadata(&self) -> [(&'static str, String); 4] {
        let len: usize = self
            .defaults_applied
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum();
        let mut defaults = String::with_capacity(len);
        for (k, v) in &self.defaults_applied {
            if !defaults.is_empty() {
                defaults.push(',');
            }
            defaults.push_str(k);
            defaults.push('=');
            defaults.push_str(v);
        }
        [
            ("defaults_applied", defaults),
            ("estimate_quality", self.quality.as_str().to_owned()),
            ("resource_kind", self.kind.to_owned()),
            ("billing_mode", self.billing_mode.to_owned()),
        ]
    }

    /// "AWS public list prices (on-demand, USD), <region>: <service> data <dates>; ...", or why
    /// there is no rate. `table` is the one the estimate was made from.
    pub fn source_text(&self, table: &PriceTable) -> String {
        let services = match self.source {
            Source::Tables(services) => services,
            Source::NoCharge(what) => {
                return format!("AWS pricing: {what} has no charge of its own");
            }
        };
        let mut out = format!(
            "AWS public list prices (on-demand, USD), {}: ",
            table.region()
        );
        for (i, s) in services.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            out.push_str(s.name());
            out.push_str(" data ");
            out.push_str(table.service_as_of(*s));
        }
        out
    }
}

/// What `Supports` reports for a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Support {
    /// Canonical short name.
    pub kind: &'static str,
    /// Billing mode of the kind's usual configuration.
    pub billing_mode: &'static str,
}

/// Whether `resource_type` can be priced; an unknown type is
/// [`EstimateError::UnsupportedResourceType`].
pub fn supports(resource_type: &str) -> Result<Support, EstimateError> {
    let kind = parse_kind(resource_type, "resource.resource_type")?;
    let billing_mode = match kind {
        Kind::Ec2 | Kind::Rds | Kind::Eks | Kind::NatGateway | Kind::ElastiCache => "per_hour",
        Kind::Ebs | Kind::S3 => "per_gb_month",
        Kind::Lambda => "per_request_and_gb_second",
        Kind::DynamoDb => "per_capacity_unit_hour",
        Kind::CloudWatch | Kind::LogGroup => "per_gb",
        Kind::MetricAlarm => "per_alarm_month",
        Kind::Elb(_) => "per_hour",
        Kind::EcsTask | Kind::EcsService => fargate::BILLING_MODE,
        Kind::Free(_) => "zero_cost",
    };
    Ok(Support {
        kind: kind.name(),
        billing_mode,
    })
}

/// Prices the resource a `ResourceDescriptor` describes.
pub fn estimate(table: &PriceTable, q: &Query<'_>) -> Result<Estimate, EstimateError> {
    let kind = parse_kind(q.resource_type, "resource.resource_type")?;
    validate_sku(q.sku, "resource.sku")?;
    if let Some(u) = q.utilization
        && !(0.0..=100.0).contains(&u)
    {
        return Err(EstimateError::InvalidArgument {
            field: "resource.utilization_percentage".to_owned(),
            reason: "must be a fraction 0..=1 or a percentage 0..=100".to_owned(),
        });
    }
    let input = Input {
        table,
        kind,
        sku: q.sku.trim(),
        sku_field: Some("resource.sku"),
        props: Props::new(q.tags, "resource.tags"),
        prose: q.prose,
    };
    let mut estimate = dispatch(&input)?;
    if q.prose && q.utilization.is_some() {
        estimate
            .assumptions
            .push("utilization does not change on-demand list prices".into());
    }
    Ok(estimate)
}

/// What `EstimateCost` assumes for a kind whose sku attribute is absent: (kind, attribute,
/// name in `defaults_applied`, value). The spec treats null attributes as an empty struct and
/// leaves the plugin to decide (its FR-005); these are the smallest current-generation sizes,
/// present in every region's table, and always reported.
pub const ATTRIBUTE_DEFAULTS: [(Kind, &str, &str, &str); 3] = [
    (Kind::Ec2, "instanceType", "instance_type", "t3.micro"),
    (Kind::Rds, "instanceClass", "instance_class", "db.t3.micro"),
    (Kind::ElastiCache, "nodeType", "node_type", "cache.t3.micro"),
];

/// Prices an `EstimateCost` request: `attributes` is the request Struct flattened by the server
/// (strings as-is, numbers via `{}`, bools `true`/`false`, nested structs as Go-map text, lists as
/// `[a b]`); the sku is read from the attributes (`instanceType`, `instanceClass`, ...), else
/// taken from [`ATTRIBUTE_DEFAULTS`] and listed first in `defaults_applied`. The resource type
/// must be a Pulumi type token (`provider:module/resource:Type`) or a short name we know;
/// anything else is `InvalidArgument`. The answer shows only the cost, so the estimate carries
/// no prose.
pub fn estimate_attributes(
    table: &PriceTable,
    resource_type: &str,
    attributes: &HashMap<String, String>,
) -> Result<Estimate, EstimateError> {
    validate_resource_type(resource_type, "resource_type")?;
    let Some(kind) = Kind::parse(resource_type) else {
        if is_type_token(resource_type) {
            return Err(EstimateError::UnsupportedResourceType {
                resource_type: resource_type.to_owned(),
            });
        }
        return Err(EstimateError::InvalidArgument {
            field: "resource_type".to_owned(),
            reason: format!(
                "{:?} is neither a Pulumi type token provider:module/resource:Type \
                 (e.g. aws:ec2/instance:Instance) nor a short name this plugin knows (ec2, ebs, rds, ...)",
                clip(resource_type, 64)
            ),
        });
    };
    let props = Props::new(attributes, "attributes");
    let default = ATTRIBUTE_DEFAULTS
        .iter()
        .find(|(k, attribute, ..)| *k == kind && props.find(&[attribute]).is_none());
    let input = Input {
        table,
        kind,
        sku: default.map_or("", |(.., value)| value),
        sku_field: None,
        props,
        prose: false,
    };
    let mut estimate = dispatch(&input)?;
    if let Some((_, _, name, value)) = default {
        estimate
            .defaults_applied
            .insert(0, (Cow::Borrowed(*name), Cow::Borrowed(*value)));
        if estimate.quality == Quality::High {
            estimate.quality = Quality::Medium;
        }
    }
    Ok(estimate)
}

/// `provider:module/resource:Type`: three non-empty parts, the middle one `module/resource`.
fn is_type_token(resource_type: &str) -> bool {
    let parts: Vec<&str> = resource_type.split(':').collect();
    match parts.as_slice() {
        [provider, middle, ty] => {
            !provider.is_empty()
                && !ty.is_empty()
                && middle
                    .split_once('/')
                    .is_some_and(|(m, r)| !m.is_empty() && !r.is_empty() && !r.contains('/'))
        }
        _ => false,
    }
}

fn parse_kind(resource_type: &str, field: &str) -> Result<Kind, EstimateError> {
    validate_resource_type(resource_type, field)?;
    Kind::parse(resource_type).ok_or_else(|| EstimateError::UnsupportedResourceType {
        resource_type: resource_type.to_owned(),
    })
}

fn dispatch(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let mut estimate = match input.kind {
        Kind::Ec2 => ec2::estimate(input),
        Kind::Ebs => ebs::estimate(input),
        Kind::S3 => s3::estimate(input),
        Kind::Rds => rds::estimate(input),
        Kind::Lambda => lambda::estimate(input),
        Kind::Eks => eks::estimate(input),
        Kind::NatGateway => nat::estimate(input),
        Kind::ElastiCache => elasticache::estimate(input),
        Kind::DynamoDb => dynamodb::estimate(input),
        Kind::CloudWatch => cloudwatch::estimate_auto(input),
        Kind::LogGroup => cloudwatch::estimate_log_group(input),
        Kind::MetricAlarm => cloudwatch::estimate_alarm(input),
        Kind::Elb(lb) => elb::estimate(input, lb),
        Kind::EcsTask => fargate::estimate_task(input),
        Kind::EcsService => fargate::estimate_service(input),
        Kind::Free(free) => Ok(free::estimate(input, free)),
    }?;
    if !estimate.cost_per_month.is_finite() || !estimate.unit_price.is_finite() {
        // Inputs are bounded, so this means a table or arithmetic bug; never return NaN/inf.
        return Err(EstimateError::InvalidArgument {
            field: input.props.field("*"),
            reason: "inputs produce a cost out of range".to_owned(),
        });
    }
    estimate.cost_per_month = round_money(estimate.cost_per_month);
    if !input.prose {
        // Estimators may skip building them (EC2 does, on the hot path); none may show them.
        estimate.assumptions.clear();
    }
    Ok(estimate)
}

/// What every estimator reads: the table, the kind, the sku and the property bag.
pub(crate) struct Input<'a> {
    table: &'a PriceTable,
    kind: Kind,
    /// Trimmed, validated sku from the descriptor; empty when not given.
    sku: &'a str,
    /// Where a missing sku is reported: `resource.sku`, or `None` for the first sku property.
    sku_field: Option<&'static str>,
    props: Props<'a>,
    /// See [`Query::prose`].
    prose: bool,
}

impl<'a> Input<'a> {
    /// `text()` when the answer shows prose, else an empty string that costs nothing.
    fn prose(&self, text: impl FnOnce() -> String) -> String {
        if self.prose { text() } else { String::new() }
    }

    /// The sku: the descriptor's, else the first of the property `names`; validated.
    fn sku_from(&self, names: &[&str]) -> Result<Option<&'a str>, EstimateError> {
        if !self.sku.is_empty() {
            return Ok(Some(self.sku));
        }
        match self.props.find(names) {
            Some((key, value)) => {
                validate_sku(value, &self.props.field(key))?;
                Ok(Some(value.trim()))
            }
            None => Ok(None),
        }
    }

    /// The sku, or an `InvalidArgument` naming where it should have been.
    fn require_sku(&self, names: &[&str], what: &str) -> Result<&'a str, EstimateError> {
        self.sku_from(names)?.ok_or_else(|| {
            let name = names.first().copied().unwrap_or("sku");
            EstimateError::InvalidArgument {
                field: self
                    .sku_field
                    .map_or_else(|| self.props.field(name), str::to_owned),
                reason: format!("{what} is required (sku or property {name})"),
            }
        })
    }

    /// A rate that must exist for a known item, else `NoPrice`.
    fn rate(&self, service: Service, item: &str) -> Result<f64, EstimateError> {
        self.table
            .price(service, item)
            .ok_or_else(|| EstimateError::NoPrice {
                kind: self.kind.name(),
                item: format!("{} {}", service.name(), clip(item, 128)),
            })
    }
}

/// An input that was assumed: `(name, value)`. Both are usually fixed text, so they borrow.
pub type Assumed = (Cow<'static, str>, Cow<'static, str>);

/// A value an estimator assumed, as text.
pub(crate) trait AssumedValue {
    fn into_text(self) -> Cow<'static, str>;
}

impl AssumedValue for &'static str {
    fn into_text(self) -> Cow<'static, str> {
        Cow::Borrowed(self)
    }
}

impl AssumedValue for String {
    fn into_text(self) -> Cow<'static, str> {
        Cow::Owned(self)
    }
}

impl AssumedValue for bool {
    fn into_text(self) -> Cow<'static, str> {
        Cow::Borrowed(if self { "true" } else { "false" })
    }
}

impl AssumedValue for f64 {
    fn into_text(self) -> Cow<'static, str> {
        // Most assumed numbers are small integers (zero usage, the 8 GB root volume).
        const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        if self.fract() == 0.0 && self.is_sign_positive() && self < 10.0 {
            Cow::Borrowed(DIGITS[self as usize])
        } else {
            Cow::Owned(usd(self))
        }
    }
}

impl AssumedValue for u32 {
    fn into_text(self) -> Cow<'static, str> {
        f64::from(self).into_text()
    }
}

/// The defaults an estimator applied, and the quality they leave.
#[derive(Debug, Default)]
pub(crate) struct Defaults {
    applied: Vec<Assumed>,
    usage: bool,
}

impl Defaults {
    /// A configuration value was assumed: the estimate still prices the resource.
    fn config(&mut self, name: impl Into<Cow<'static, str>>, value: impl AssumedValue) {
        self.applied.push((name.into(), value.into_text()));
    }

    /// A usage value was assumed (usually zero): a usage-billed part may be missing.
    fn usage(&mut self, name: impl Into<Cow<'static, str>>, value: impl AssumedValue) {
        self.applied.push((name.into(), value.into_text()));
        self.usage = true;
    }

    fn quality(&self) -> Quality {
        match (self.applied.is_empty(), self.usage) {
            (true, _) => Quality::High,
            (false, false) => Quality::Medium,
            (false, true) => Quality::Low,
        }
    }

    fn into_parts(self) -> (Vec<Assumed>, Quality) {
        let quality = self.quality();
        (self.applied, quality)
    }
}

/// Removes float noise from a monthly total (`8.392000000000001` -> `8.392`).
fn round_money(amount: f64) -> f64 {
    (amount * 1e10).round() / 1e10
}

/// Prices `quantity` across consecutive tiers `(upper bound or None for the last, rate)`.
pub(crate) fn tiered_cost(quantity: f64, tiers: &[(Option<f64>, f64)]) -> f64 {
    let mut cost = 0.0;
    let mut lower = 0.0;
    for (upper, rate) in tiers {
        let top = upper.unwrap_or(f64::INFINITY);
        if quantity > lower {
            cost += (quantity.min(top) - lower) * rate;
        }
        lower = top;
    }
    cost
}

#[cfg(test)]
pub(crate) mod test_support {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;
    use crate::region::Region;

    /// The embedded table of `region`, parsed once per call.
    pub fn table(region: Region) -> PriceTable {
        PriceTable::load(region).unwrap()
    }

    /// A tag map from pairs.
    pub fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Prices `resource_type`/`sku`/`tags` in `region`.
    pub fn price(
        region: Region,
        resource_type: &str,
        sku: &str,
        pairs: &[(&str, &str)],
    ) -> Result<Estimate, EstimateError> {
        let tags = tags(pairs);
        estimate(
            &table(region),
            &Query {
                resource_type,
                sku,
                region: region.code(),
                tags: &tags,
                utilization: None,
                prose: true,
            },
        )
    }

    /// Asserts two USD amounts agree to 1e-9.
    #[track_caller]
    pub fn assert_usd(got: f64, want: f64) {
        assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::test_support::*;
    use super::*;
    use crate::region::Region;

    #[test]
    fn t3_micro_in_us_east_1_includes_its_root_volume() {
        let e = price(
            Region::UsEast1,
            "aws:ec2/instance:Instance",
            "t3.micro",
            &[],
        )
        .unwrap();
        assert_eq!(e.kind, "ec2");
        assert_eq!(e.sku, "t3.micro");
        assert_eq!(e.unit_price, 0.0104);
        assert_eq!(e.unit, "hour");
        assert_eq!(e.cost_per_month, 8.392);
        assert_eq!(e.billing_mode, "per_hour");
        assert_eq!(e.quality, Quality::Medium);
        let meta: HashMap<_, _> = e.metadata().into_iter().collect();
        assert_eq!(
            meta["defaults_applied"],
            "root_volume_size_gb=8,root_volume_type=gp2"
        );
        assert_eq!(meta["estimate_quality"], "medium");
        assert!(
            e.billing_detail.contains("0.0104 USD/h x 730 h"),
            "{}",
            e.billing_detail
        );
        let source = e.source_text(&table(Region::UsEast1));
        assert!(source.contains("us-east-1"), "{source}");
    }

    #[test]
    fn unknown_types_and_hostile_input_are_errors_not_panics() {
        let err = price(Region::UsEast1, "aws:foo/bar:Baz", "", &[]).unwrap_err();
        assert!(matches!(err, EstimateError::UnsupportedResourceType { .. }));
        let err = price(Region::UsEast1, "ec2 instance", "", &[]).unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.resource_type")
        );
        let err = price(Region::UsEast1, &"a".repeat(257), "", &[]).unwrap_err();
        assert!(matches!(err, EstimateError::InvalidArgument { .. }));
        let huge = "m".repeat(1 << 20);
        let err = price(Region::UsEast1, "ec2", &huge, &[]).unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.sku")
        );
        let err = price(Region::UsEast1, "ec2", "t3.micro\0", &[]).unwrap_err();
        assert!(matches!(err, EstimateError::InvalidArgument { .. }));
        let err = price(Region::UsEast1, "ec2", "", &[("instanceType", "t3\0micro")]).unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.tags.instanceType")
        );
        // A 1 MB tag value, deep Go-maps and NULs in every property of every kind.
        let big = "9".repeat(1 << 20);
        let deep = format!(
            "{}x{}",
            "map[volumeSize:".repeat(50_000),
            "]".repeat(50_000)
        );
        let kinds = [
            "ec2",
            "ebs",
            "s3",
            "rds",
            "lambda",
            "eks",
            "natgateway",
            "elasticache",
            "dynamodb",
            "cloudwatch",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "elb",
            "aws:elb/loadBalancer:LoadBalancer",
            "ecs-task",
            "ecs-service",
            "vpc",
        ];
        let keys = [
            "instanceType",
            "rootBlockDevice",
            "ebsBlockDevices",
            "size",
            "volumeSize",
            "type",
            "iops",
            "throughput",
            "storageClass",
            "sizeGb",
            "engine",
            "instanceClass",
            "multiAz",
            "allocatedStorage",
            "storageType",
            "memorySize",
            "architectures",
            "requestsPerMonth",
            "avgDurationMs",
            "ephemeralStorage",
            "nodeType",
            "numCacheNodes",
            "billingMode",
            "readCapacity",
            "writeCapacity",
            "tableClass",
            "storageGb",
            "ingestionGb",
            "dataProcessedGb",
            "period",
            "metricQueries",
            "extendedSupport",
            "tenancy",
            "cpu",
            "memory",
            "runtimePlatform",
            "ephemeralStorage",
            "desiredCount",
            "launchType",
            "capacityProviderStrategy",
            "requiresCompatibilities",
            "loadBalancerType",
            "capacityUnits",
        ];
        for value in [
            big.as_str(),
            deep.as_str(),
            "\0",
            "map[\0:\0]",
            "[[[[",
            "-0",
            "1e15",
        ] {
            let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (*k, value)).collect();
            for kind in kinds {
                // Any result is fine as long as it is a value or a typed error.
                let _ = price(Region::UsEast1, kind, "", &pairs);
                let _ = price(Region::UsEast1, kind, "t3.micro", &pairs);
            }
        }
    }

    #[test]
    fn utilization_is_validated() {
        let tags = tags(&[]);
        let table = table(Region::UsEast1);
        let mut q = Query {
            resource_type: "eks",
            sku: "",
            region: "us-east-1",
            tags: &tags,
            utilization: Some(0.5),
            prose: true,
        };
        let e = estimate(&table, &q).unwrap();
        assert!(e.assumptions.iter().any(|a| a.contains("utilization")));
        q.utilization = Some(f64::NAN);
        assert!(estimate(&table, &q).is_err());
        q.utilization = Some(-1.0);
        assert!(estimate(&table, &q).is_err());
    }

    #[test]
    fn supports_names_kinds() {
        assert_eq!(
            supports("aws:ec2/instance:Instance").unwrap(),
            Support {
                kind: "ec2",
                billing_mode: "per_hour"
            }
        );
        assert_eq!(
            supports("aws:ec2/vpc:Vpc").unwrap().billing_mode,
            "zero_cost"
        );
        assert_eq!(
            supports("lambda").unwrap().billing_mode,
            "per_request_and_gb_second"
        );
        assert_eq!(
            supports("aws:lb/loadBalancer:LoadBalancer").unwrap(),
            Support {
                kind: "elb",
                billing_mode: "per_hour"
            }
        );
        assert_eq!(
            supports("aws:ecs/taskDefinition:TaskDefinition").unwrap(),
            Support {
                kind: "ecs-task",
                billing_mode: "per_vcpu_and_gb_hour"
            }
        );
        assert_eq!(supports("ecs-service").unwrap().kind, "ecs-service");
        assert!(matches!(
            supports("azure-vm"),
            Err(EstimateError::UnsupportedResourceType { .. })
        ));
    }

    #[test]
    fn estimate_attributes_reads_the_sku_from_attributes() {
        let table = table(Region::UsEast1);
        let attrs = tags(&[
            ("instanceType", "t3.micro"),
            ("rootBlockDevice", "map[volumeSize:20 volumeType:gp3]"),
        ]);
        let e = estimate_attributes(&table, "aws:ec2/instance:Instance", &attrs).unwrap();
        assert_usd(e.cost_per_month, 0.0104 * 730.0 + 20.0 * 0.08);
        assert_eq!(e.quality, Quality::High);
        // No attributes: the documented default type, reported first.
        let e = estimate_attributes(&table, "aws:ec2/instance:Instance", &tags(&[])).unwrap();
        assert_usd(e.cost_per_month, 0.0104 * 730.0 + 8.0 * 0.1);
        assert_eq!(e.sku, "t3.micro");
        assert_eq!(e.quality, Quality::Medium);
        let meta: HashMap<_, _> = e.metadata().into_iter().collect();
        assert!(
            meta["defaults_applied"].starts_with("instance_type=t3.micro,"),
            "{}",
            meta["defaults_applied"]
        );
        for (kind, ..) in ATTRIBUTE_DEFAULTS {
            for region in Region::ALL {
                let t = super::test_support::table(region);
                let e = estimate_attributes(&t, kind.name(), &tags(&[])).unwrap();
                assert!(e.cost_per_month > 0.0, "{kind:?} in {region}");
            }
        }
        // Malformed types are invalid; well-formed unknown tokens are unsupported.
        for bad in [
            "invalid-format",
            "aws:ec2:Instance",
            "aws/ec2/instance",
            "aws:ec2/a/b:C",
        ] {
            let err = estimate_attributes(&table, bad, &attrs).unwrap_err();
            assert!(
                matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource_type"),
                "{bad}: {err:?}"
            );
        }
        let err = estimate_attributes(&table, "aws:foo/bar:Baz", &attrs).unwrap_err();
        assert!(matches!(err, EstimateError::UnsupportedResourceType { .. }));
        let err = estimate_attributes(&table, "", &attrs).unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource_type")
        );
    }

    #[test]
    fn helpers_format_and_tier() {
        assert_eq!(round_money(8.392000000000001), 8.392);
        let tiers = [(Some(10.0), 1.0), (Some(20.0), 0.5), (None, 0.25)];
        assert_usd(tiered_cost(5.0, &tiers), 5.0);
        assert_usd(tiered_cost(15.0, &tiers), 12.5);
        assert_usd(tiered_cost(30.0, &tiers), 17.5);
        assert_usd(tiered_cost(0.0, &tiers), 0.0);
    }
}
