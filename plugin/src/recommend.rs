//! Recommendations priced from the served region's own table.
//!
//! [`advise`] looks at one resource (the same [`Query`] the estimators price) and proposes the
//! changes below. Each proposal is priced twice with [`estimate::estimate`], once as the resource
//! is and once with the change applied, so its saving is exactly the difference of two answers
//! this plugin gives to `GetProjectedCost`.
//!
//! | rule | change | offered when |
//! |---|---|---|
//! | [`Rule::EbsGp2ToGp3`] | EBS gp2 -> gp3, same size; gp2's baseline IOPS (3/GB, 100..16000) and, from 334 GiB, its 250 MiB/s kept by provisioning them on gp3 | gp3 costs no more |
//! | [`Rule::EbsIo1ToIo2`] | EBS io1 -> io2, same size and IOPS | io2 is cheaper (io2's IOPS tiers above 32000) |
//! | [`Rule::Ec2CurrentGeneration`] | previous-generation EC2 family -> current one, same size (t2 -> t3, m4 -> m5, ...) | the region lists the size and it costs no more |
//! | [`Rule::Ec2Graviton`] | x86 EC2 family -> Graviton, same size (m5 -> m7g, else m6g; t3 -> t4g) | as above; needs an arm64 image |
//! | [`Rule::RdsGp2ToGp3`] | RDS gp2 storage -> gp3, same size; IOPS above gp3's included baseline provisioned | gp3 costs no more |
//! | [`Rule::ElastiCacheCurrentGeneration`] | previous-generation node family -> current one, same size | as for EC2 |
//! | [`Rule::FargateGraviton`] | ECS task or service on Fargate, Linux x86_64 -> ARM64 (Graviton), same size | it costs less; needs an arm64 image |
//! | [`Rule::FargateSpot`] | ECS service on Fargate -> one task on `FARGATE` (`base: 1`), the rest 1:3 `FARGATE`:`FARGATE_SPOT` | it says it may be interrupted (`interruptible: "true"`), runs 2 or more tasks and has no Spot share yet |
//! | [`Rule::FargateRightsize`] | ECS task or service on Fargate, Linux -> the cheapest Fargate size holding what its containers reserve | the descriptor carries the reservations (`containerReservations.cpu`, `.memory`) and that size costs less |
//!
//! A change that costs the same is still offered (a newer generation, a higher baseline) with a
//! saving of 0 and the [`Advice::category`] `Performance`; one that costs more is never offered.
//! Spot tasks may be stopped at two minutes' notice, which only the service's owner can judge: the
//! Spot rule waits until the resource says it may be interrupted (a request's filter asks for
//! such resources with the tag `interruptible: "true"`).

use std::collections::HashMap;

use crate::estimate::{self, EBS_DEFAULT_SIZE_GB, Estimate, EstimateError, Query};
use crate::pricing::PriceTable;
use crate::resource::Props;
use crate::resource::gotext::same_key;

/// A kind of change this plugin recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// EBS gp2 -> gp3.
    EbsGp2ToGp3,
    /// EBS io1 -> io2.
    EbsIo1ToIo2,
    /// Previous-generation EC2 family -> current generation.
    Ec2CurrentGeneration,
    /// x86 EC2 family -> Graviton (arm64).
    Ec2Graviton,
    /// RDS gp2 storage -> gp3.
    RdsGp2ToGp3,
    /// Previous-generation ElastiCache node family -> current generation.
    ElastiCacheCurrentGeneration,
    /// ECS on Fargate, Linux x86_64 -> ARM64 (Graviton) at the same task size.
    FargateGraviton,
    /// ECS service on Fargate -> a `FARGATE_SPOT` share, when it may be interrupted.
    FargateSpot,
    /// ECS on Fargate -> the cheapest task size that holds the containers' reservations.
    FargateRightsize,
}

impl Rule {
    /// A stable short name, part of recommendation ids and metadata.
    pub fn name(self) -> &'static str {
        match self {
            Rule::EbsGp2ToGp3 => "ebs-gp2-to-gp3",
            Rule::EbsIo1ToIo2 => "ebs-io1-to-io2",
            Rule::Ec2CurrentGeneration => "ec2-current-generation",
            Rule::Ec2Graviton => "ec2-graviton",
            Rule::RdsGp2ToGp3 => "rds-gp2-to-gp3",
            Rule::ElastiCacheCurrentGeneration => "elasticache-current-generation",
            Rule::FargateGraviton => "fargate-graviton",
            Rule::FargateSpot => "fargate-spot",
            Rule::FargateRightsize => "fargate-rightsize",
        }
    }

    /// Whether applying the change needs an arm64 machine image.
    pub fn needs_arm_image(self) -> bool {
        matches!(self, Rule::Ec2Graviton | Rule::FargateGraviton)
    }
}

/// What a recommendation changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The instance or node type (a rightsize).
    Type,
    /// A configuration property, e.g. the volume type: `kind` names the modification, the maps
    /// hold the properties before and after.
    Config {
        /// `volume_type` or `storage_type`.
        kind: &'static str,
        /// Properties as they are.
        current: Vec<(&'static str, String)>,
        /// Properties as recommended.
        recommended: Vec<(&'static str, String)>,
    },
}

/// Whether a recommendation saves money or only improves the resource at the same price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Cheaper.
    Cost,
    /// Same price, newer generation or higher baseline.
    Performance,
}

/// One proposed change of one resource, priced.
#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    /// Which rule proposed it.
    pub rule: Rule,
    /// The estimator's kind of the resource, e.g. `ebs`.
    pub kind: &'static str,
    /// The sku as the resource is (instance type, volume type, DB instance class, node type).
    pub current_sku: String,
    /// The sku as recommended (the same as `current_sku` for an RDS storage change).
    pub recommended_sku: String,
    /// Monthly USD as the resource is: `GetProjectedCost.cost_per_month` of it.
    pub current_monthly: f64,
    /// Monthly USD with the change: `GetProjectedCost.cost_per_month` of the changed resource.
    pub recommended_monthly: f64,
    /// What changes.
    pub change: Change,
    /// Why, in short sentences.
    pub reasoning: Vec<String>,
}

impl Advice {
    /// `current_monthly - recommended_monthly`, never negative.
    pub fn monthly_savings(&self) -> f64 {
        round_cents_noise(self.current_monthly - self.recommended_monthly).max(0.0)
    }

    /// [`Category::Cost`] when it saves money, else [`Category::Performance`].
    pub fn category(&self) -> Category {
        if self.monthly_savings() > 0.0 {
            Category::Cost
        } else {
            Category::Performance
        }
    }
}

/// Previous-generation EC2 families and their current generation (same sizes).
const EC2_GENERATIONS: &[(&str, &str)] = &[
    ("t2", "t3"),
    ("m3", "m5"),
    ("m4", "m5"),
    ("c3", "c5"),
    ("c4", "c5"),
    ("r3", "r5"),
    ("r4", "r5"),
    ("i2", "i3"),
    ("d2", "d3"),
];

/// x86 EC2 families and their Graviton counterparts, newest first.
const EC2_GRAVITON: &[(&str, &[&str])] = &[
    ("t2", &["t4g"]),
    ("t3", &["t4g"]),
    ("t3a", &["t4g"]),
    ("m4", &["m7g", "m6g"]),
    ("m5", &["m7g", "m6g"]),
    ("m5a", &["m7g", "m6g"]),
    ("m6i", &["m7g", "m6g"]),
    ("m6a", &["m7g", "m6g"]),
    ("m7i", &["m7g"]),
    ("c4", &["c7g", "c6g"]),
    ("c5", &["c7g", "c6g"]),
    ("c5a", &["c7g", "c6g"]),
    ("c6i", &["c7g", "c6g"]),
    ("c6a", &["c7g", "c6g"]),
    ("c7i", &["c7g"]),
    ("r4", &["r7g", "r6g"]),
    ("r5", &["r7g", "r6g"]),
    ("r5a", &["r7g", "r6g"]),
    ("r6i", &["r7g", "r6g"]),
    ("r6a", &["r7g", "r6g"]),
    ("r7i", &["r7g"]),
];

/// Previous-generation ElastiCache node families and their current generation.
const ELASTICACHE_GENERATIONS: &[(&str, &str)] = &[
    ("cache.t1", "cache.t3"),
    ("cache.t2", "cache.t3"),
    ("cache.m3", "cache.m5"),
    ("cache.m4", "cache.m5"),
    ("cache.r3", "cache.r5"),
    ("cache.r4", "cache.r5"),
];

/// gp2 delivers 3 IOPS per GiB, between these bounds.
const GP2_IOPS_PER_GB: f64 = 3.0;
const GP2_MIN_IOPS: f64 = 100.0;
const GP2_MAX_IOPS: f64 = 16_000.0;
/// From this size a gp2 volume sustains its maximum throughput of [`GP2_MAX_MIBPS`].
const GP2_FULL_THROUGHPUT_GB: f64 = 334.0;
const GP2_MAX_MIBPS: f64 = 250.0;
/// What every gp3 volume includes.
const GP3_BASE_IOPS: f64 = 3_000.0;
const GP3_BASE_MIBPS: f64 = 125.0;
/// RDS gp3 includes 3000 IOPS below 400 GB and 12000 from 400 GB.
const RDS_GP3_LARGE_GB: f64 = 400.0;
const RDS_GP3_SMALL_IOPS: f64 = 3_000.0;
const RDS_GP3_LARGE_IOPS: f64 = 12_000.0;
/// RDS gp2 tops out at 64000 IOPS.
const RDS_GP2_MAX_IOPS: f64 = 64_000.0;
/// Default RDS storage size of the estimator when `allocatedStorage` is not given.
const RDS_DEFAULT_STORAGE_GB: f64 = 20.0;

/// Whether any rule looks at resources of the estimator's `kind` (`ec2`, `ebs`, ...).
pub fn covers(kind: &str) -> bool {
    matches!(
        kind,
        "ebs" | "ec2" | "rds" | "elasticache" | "ecs-task" | "ecs-service"
    )
}

/// The recommendations for the resource `q` describes, priced from `table`.
///
/// An error is the estimator's answer for the resource itself (an unknown sku, a malformed
/// property); a change whose target this region does not list is simply not offered.
pub fn advise(table: &PriceTable, q: &Query<'_>) -> Result<Vec<Advice>, EstimateError> {
    let current = estimate::estimate(table, q)?;
    let props = Props::new(q.tags, "resource.tags");
    let mut out = Vec::new();
    match current.kind {
        "ebs" => advise_ebs(table, q, &props, &current, &mut out)?,
        "ec2" => advise_ec2(table, q, &current, &mut out),
        "rds" => advise_rds(table, q, &props, &current, &mut out)?,
        "elasticache" => advise_elasticache(table, q, &current, &mut out),
        "ecs-task" | "ecs-service" => advise_fargate(table, q, &props, &current, &mut out),
        _ => {}
    }
    Ok(out)
}

fn advise_ebs(
    table: &PriceTable,
    q: &Query<'_>,
    props: &Props<'_>,
    current: &Estimate,
    out: &mut Vec<Advice>,
) -> Result<(), EstimateError> {
    let size = props
        .number(&["size", "volumeSize"])?
        .unwrap_or(EBS_DEFAULT_SIZE_GB);
    match current.sku.as_str() {
        "gp2" => {
            let iops = (size * GP2_IOPS_PER_GB).clamp(GP2_MIN_IOPS, GP2_MAX_IOPS);
            let mibps = if size >= GP2_FULL_THROUGHPUT_GB {
                GP2_MAX_MIBPS
            } else {
                GP3_BASE_MIBPS
            };
            let gp3_iops = iops.max(GP3_BASE_IOPS);
            let mut tags = without(q.tags, &["iops", "throughput"]);
            tags.insert("iops".to_owned(), fmt_number(gp3_iops));
            tags.insert("throughput".to_owned(), fmt_number(mibps));
            let mut reasoning = vec![format!(
                "gp3 costs less per GB-month than gp2 in {} and includes {} IOPS and {} MiB/s",
                q.region,
                fmt_number(GP3_BASE_IOPS),
                fmt_number(GP3_BASE_MIBPS)
            )];
            if iops > GP3_BASE_IOPS || mibps > GP3_BASE_MIBPS {
                reasoning.push(format!(
                    "the gp2 baseline of this {} GB volume is kept: {} IOPS and {} MiB/s provisioned on gp3",
                    fmt_number(size),
                    fmt_number(gp3_iops),
                    fmt_number(mibps)
                ));
            }
            let config = |t: &str, iops: f64, mibps: f64| {
                vec![
                    ("volume_type", t.to_owned()),
                    ("size_gb", fmt_number(size)),
                    ("iops", fmt_number(iops)),
                    ("throughput_mibps", fmt_number(mibps)),
                ]
            };
            let change = Change::Config {
                kind: "volume_type",
                current: config("gp2", iops, mibps),
                recommended: config("gp3", gp3_iops, mibps),
            };
            let alt = Query {
                sku: "gp3",
                tags: &tags,
                ..*q
            };
            push_if_no_dearer(
                table,
                Rule::EbsGp2ToGp3,
                current,
                &alt,
                change,
                reasoning,
                out,
            );
        }
        "io1" => {
            let iops = props.number(&["iops"])?;
            let config = |t: &str| {
                let mut c = vec![("volume_type", t.to_owned()), ("size_gb", fmt_number(size))];
                if let Some(iops) = iops {
                    c.push(("iops", fmt_number(iops)));
                }
                c
            };
            let change = Change::Config {
                kind: "volume_type",
                current: config("io1"),
                recommended: config("io2"),
            };
            let alt = Query { sku: "io2", ..*q };
            let reasoning = vec![
                "io2 prices provisioned IOPS above 32000 in cheaper tiers than io1, for the same size and IOPS".to_owned(),
                "io2 is also designed for 99.999% durability against io1's 99.8-99.9%".to_owned(),
            ];
            if let Ok(e) = estimate::estimate(table, &alt)
                && e.cost_per_month < current.cost_per_month
            {
                out.push(advice(Rule::EbsIo1ToIo2, current, &e, change, reasoning));
            }
        }
        _ => {}
    }
    Ok(())
}

fn advise_ec2(table: &PriceTable, q: &Query<'_>, current: &Estimate, out: &mut Vec<Advice>) {
    let Some((family, size)) = current.sku.split_once('.') else {
        return;
    };
    if let Some((_, next)) = EC2_GENERATIONS.iter().find(|(f, _)| *f == family) {
        let target = format!("{next}.{size}");
        let alt = Query { sku: &target, ..*q };
        let reasoning = vec![format!(
            "{family} is a previous-generation family; {next} is its current generation, same size, at no higher on-demand price in {}",
            q.region
        )];
        push_if_no_dearer(
            table,
            Rule::Ec2CurrentGeneration,
            current,
            &alt,
            Change::Type,
            reasoning,
            out,
        );
    }
    if let Some((_, targets)) = EC2_GRAVITON.iter().find(|(f, _)| *f == family) {
        // The newest Graviton family the region lists in this size.
        let priced = targets.iter().find_map(|t| {
            let target = format!("{t}.{size}");
            let alt = Query { sku: &target, ..*q };
            estimate::estimate(table, &alt).ok().map(|e| (*t, e))
        });
        if let Some((graviton, e)) = priced
            && round_cents_noise(current.cost_per_month - e.cost_per_month) >= 0.0
        {
            let reasoning = vec![
                format!(
                    "{graviton} runs on AWS Graviton (arm64) at a lower on-demand price than {family} in {}",
                    q.region
                ),
                "needs an arm64 machine image and arm64 builds of the software on it".to_owned(),
            ];
            out.push(advice(
                Rule::Ec2Graviton,
                current,
                &e,
                Change::Type,
                reasoning,
            ));
        }
    }
}

/// Fargate bills ARM64 tasks at lower vCPU and GB rates than x86_64 ones of the same size
/// (Linux only: Windows tasks run on x86_64). Tasks on EC2 capacity cost 0 here and get nothing.
fn advise_fargate(
    table: &PriceTable,
    q: &Query<'_>,
    props: &Props<'_>,
    current: &Estimate,
    out: &mut Vec<Advice>,
) {
    let platform = props.map(&["runtimePlatform"]);
    let is = |field: &str, value: &str| {
        platform
            .text(field)
            .is_none_or(|n| n.value.eq_ignore_ascii_case(value))
    };
    // Tasks on EC2 capacity cost 0 here; Windows tasks have neither ARM64 nor the smaller sizes.
    if current.cost_per_month <= 0.0 || !is("operatingSystemFamily", "LINUX") {
        return;
    }
    if current.kind == "ecs-service" {
        advise_fargate_spot(table, q, props, current, out);
    }
    advise_fargate_size(table, q, props, current, out);
    if !is("cpuArchitecture", "X86_64") {
        return;
    }
    let mut tags = without(
        q.tags,
        &["runtimePlatform", "runtimePlatform.cpuArchitecture"],
    );
    tags.insert(
        "runtimePlatform.cpuArchitecture".to_owned(),
        "ARM64".to_owned(),
    );
    let alt = Query { tags: &tags, ..*q };
    let Ok(arm) = estimate::estimate(table, &alt) else {
        return;
    };
    if round_cents_noise(current.cost_per_month - arm.cost_per_month) > 0.0 {
        let reasoning = vec![
            format!(
                "Fargate bills ARM64 (AWS Graviton) tasks at lower vCPU and GB rates than x86_64 ones of the same size in {}",
                q.region
            ),
            "needs arm64 (or multi-architecture) images of every container".to_owned(),
        ];
        out.push(advice(
            Rule::FargateGraviton,
            current,
            &arm,
            Change::Type,
            reasoning,
        ));
    }
}

/// The strategy the Spot rule recommends: the first task on `FARGATE`, the others 1:3.
const SPOT_STRATEGY: &str =
    "[map[base:1 capacityProvider:FARGATE weight:1] map[capacityProvider:FARGATE_SPOT weight:3]]";

fn advise_fargate_spot(
    table: &PriceTable,
    q: &Query<'_>,
    props: &Props<'_>,
    current: &Estimate,
    out: &mut Vec<Advice>,
) {
    let says_so = props
        .find(&["interruptible"])
        .is_some_and(|(_, v)| v.eq_ignore_ascii_case("true"));
    let strategy = props.find(&["capacityProviderStrategy"]).map(|(_, v)| v);
    if !says_so || strategy.is_some_and(|s| s.contains("FARGATE_SPOT")) {
        return;
    }
    let mut tags = without(q.tags, &["launchType", "capacityProviderStrategy"]);
    tags.insert(
        "capacityProviderStrategy".to_owned(),
        SPOT_STRATEGY.to_owned(),
    );
    let alt = Query { tags: &tags, ..*q };
    let Ok(spot) = estimate::estimate(table, &alt) else {
        return;
    };
    if round_cents_noise(current.cost_per_month - spot.cost_per_month) > 0.0 {
        let reasoning = vec![
            format!(
                "FARGATE_SPOT bills the same task size at the Spot rate, below the on-demand rate in {}",
                q.region
            ),
            "the first task stays on FARGATE; Spot tasks can be stopped with a two-minute warning, so the service must tolerate losing them".to_owned(),
        ];
        let change = Change::Config {
            kind: "capacity_provider_strategy",
            current: vec![(
                "capacity_provider_strategy",
                strategy
                    .unwrap_or("[map[capacityProvider:FARGATE weight:1]]")
                    .to_owned(),
            )],
            recommended: vec![("capacity_provider_strategy", SPOT_STRATEGY.to_owned())],
        };
        out.push(advice(Rule::FargateSpot, current, &spot, change, reasoning));
    }
}

/// A whole number of CPU units or MiB, as the controller sends them.
fn units(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

fn advise_fargate_size(
    table: &PriceTable,
    q: &Query<'_>,
    props: &Props<'_>,
    current: &Estimate,
    out: &mut Vec<Advice>,
) {
    let reserved = props.map(&["containerReservations"]);
    let (Some(cpu), Some(mib)) = (
        reserved.text("cpu").and_then(|n| units(n.value)),
        reserved.text("memory").and_then(|n| units(n.value)),
    ) else {
        return;
    };
    // The cheapest valid size holding both: the estimator prices each candidate, so the
    // saving is again the difference of two of its own answers.
    let best = estimate::fargate_linux_sizes()
        .into_iter()
        .filter(|&(c, m)| c >= cpu && m >= mib)
        .filter_map(|(c, m)| {
            let mut tags = without(q.tags, &["cpu", "memory"]);
            tags.insert("cpu".to_owned(), c.to_string());
            tags.insert("memory".to_owned(), m.to_string());
            let alt = Query { tags: &tags, ..*q };
            estimate::estimate(table, &alt).ok()
        })
        .min_by(|a, b| a.cost_per_month.total_cmp(&b.cost_per_month));
    if let Some(smaller) = best
        && round_cents_noise(current.cost_per_month - smaller.cost_per_month) > 0.0
    {
        let reasoning = vec![
            format!(
                "its containers reserve {cpu} CPU units and {mib} MiB; {} is the cheapest Fargate size that holds them in {}",
                smaller.sku, q.region
            ),
            "a task larger than its containers' reservations pays for capacity no container asks for".to_owned(),
        ];
        out.push(advice(
            Rule::FargateRightsize,
            current,
            &smaller,
            Change::Type,
            reasoning,
        ));
    }
}

fn advise_rds(
    table: &PriceTable,
    q: &Query<'_>,
    props: &Props<'_>,
    current: &Estimate,
    out: &mut Vec<Advice>,
) -> Result<(), EstimateError> {
    let iops = props.number(&["iops"])?;
    // The estimator's default: io1 when IOPS are given, else gp2.
    let storage_type = props
        .text(&["storageType"])
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| if iops.is_some() { "io1" } else { "gp2" }.to_owned());
    if storage_type != "gp2" {
        return Ok(());
    }
    let size = props
        .number(&["allocatedStorage"])?
        .unwrap_or(RDS_DEFAULT_STORAGE_GB);
    let gp2_iops = (size * GP2_IOPS_PER_GB).min(RDS_GP2_MAX_IOPS);
    let included = if size >= RDS_GP3_LARGE_GB {
        RDS_GP3_LARGE_IOPS
    } else {
        RDS_GP3_SMALL_IOPS
    };
    let mut tags = without(q.tags, &["storageType", "iops"]);
    tags.insert("storageType".to_owned(), "gp3".to_owned());
    let mut reasoning = vec![format!(
        "RDS gp3 storage includes {} IOPS at this size, against gp2's 3 IOPS per GB ({} here)",
        fmt_number(included),
        fmt_number(gp2_iops)
    )];
    let config = |t: &str| {
        vec![
            ("storage_type", t.to_owned()),
            ("allocated_storage_gb", fmt_number(size)),
        ]
    };
    let mut recommended = config("gp3");
    if gp2_iops > included {
        tags.insert("iops".to_owned(), fmt_number(gp2_iops));
        recommended.push(("iops", fmt_number(gp2_iops)));
        reasoning.push(format!(
            "{} IOPS are provisioned on gp3 to keep gp2's baseline",
            fmt_number(gp2_iops)
        ));
    }
    let alt = Query { tags: &tags, ..*q };
    let change = Change::Config {
        kind: "storage_type",
        current: config("gp2"),
        recommended,
    };
    push_if_no_dearer(
        table,
        Rule::RdsGp2ToGp3,
        current,
        &alt,
        change,
        reasoning,
        out,
    );
    Ok(())
}

fn advise_elasticache(
    table: &PriceTable,
    q: &Query<'_>,
    current: &Estimate,
    out: &mut Vec<Advice>,
) {
    let Some((family, size)) = current.sku.rsplit_once('.') else {
        return;
    };
    let Some((_, next)) = ELASTICACHE_GENERATIONS.iter().find(|(f, _)| *f == family) else {
        return;
    };
    let target = format!("{next}.{size}");
    let alt = Query { sku: &target, ..*q };
    let reasoning = vec![format!(
        "{family} is a previous-generation node family; {next} is its current generation, same size, at no higher price in {}",
        q.region
    )];
    push_if_no_dearer(
        table,
        Rule::ElastiCacheCurrentGeneration,
        current,
        &alt,
        Change::Type,
        reasoning,
        out,
    );
}

/// Prices `alt` and keeps the change when it costs no more than `current`.
fn push_if_no_dearer(
    table: &PriceTable,
    rule: Rule,
    current: &Estimate,
    alt: &Query<'_>,
    change: Change,
    reasoning: Vec<String>,
    out: &mut Vec<Advice>,
) {
    // A target the region does not list is not offered.
    let Ok(e) = estimate::estimate(table, alt) else {
        return;
    };
    if round_cents_noise(current.cost_per_month - e.cost_per_month) >= 0.0 {
        out.push(advice(rule, current, &e, change, reasoning));
    }
}

fn advice(
    rule: Rule,
    current: &Estimate,
    recommended: &Estimate,
    change: Change,
    reasoning: Vec<String>,
) -> Advice {
    Advice {
        rule,
        kind: current.kind,
        current_sku: current.sku.clone(),
        recommended_sku: recommended.sku.clone(),
        current_monthly: current.cost_per_month,
        recommended_monthly: recommended.cost_per_month,
        change,
        reasoning,
    }
}

/// `tags` without the properties `names` (any spelling).
fn without(tags: &HashMap<String, String>, names: &[&str]) -> HashMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !names.iter().any(|n| same_key(k, n)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A number as the host would send it: `3000`, `0.5`.
fn fmt_number(n: f64) -> String {
    format!("{n}")
}

/// A USD difference with float noise below a millionth of a cent removed.
fn round_cents_noise(amount: f64) -> f64 {
    let r = (amount * 1e8).round() / 1e8;
    if r == 0.0 { 0.0 } else { r }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;
    use crate::region::Region;

    fn advise_in(
        region: Region,
        resource_type: &str,
        sku: &str,
        pairs: &[(&str, &str)],
    ) -> Vec<Advice> {
        let table = PriceTable::load(region).unwrap();
        let tags: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let q = Query {
            resource_type,
            sku,
            region: region.code(),
            tags: &tags,
            utilization: None,
            prose: false,
        };
        advise(&table, &q).unwrap()
    }

    fn rules(advice: &[Advice]) -> Vec<Rule> {
        advice.iter().map(|a| a.rule).collect()
    }

    #[test]
    fn gp2_moves_to_gp3_keeping_its_baseline() {
        let small = advise_in(Region::UsEast1, "ebs", "gp2", &[("size", "100")]);
        assert_eq!(rules(&small), [Rule::EbsGp2ToGp3]);
        // 100 GB: 10.00 on gp2, 8.00 on gp3 (baseline within gp3's included 3000 IOPS).
        assert!((small[0].monthly_savings() - 2.0).abs() < 1e-9);
        assert_eq!(small[0].category(), Category::Cost);
        let big = advise_in(Region::UsEast1, "ebs", "gp2", &[("size", "2000")]);
        // 2000 GB gp2 = 200.00; gp3 = 160.00 + 3000 extra IOPS x 0.005 + 125 MiB/s x 0.04.
        let Change::Config { recommended, .. } = &big[0].change else {
            panic!("a config change")
        };
        assert!(recommended.contains(&("iops", "6000".to_owned())));
        assert!(recommended.contains(&("throughput_mibps", "250".to_owned())));
        assert!(big[0].recommended_monthly > 160.0 && big[0].monthly_savings() > 0.0);
    }

    #[test]
    fn io1_moves_to_io2_only_where_cheaper() {
        let low = advise_in(
            Region::UsEast1,
            "ebs",
            "io1",
            &[("size", "100"), ("iops", "10000")],
        );
        assert!(low.is_empty(), "same price up to 32000 IOPS: {low:?}");
        let high = advise_in(
            Region::UsEast1,
            "ebs",
            "io1",
            &[("size", "1000"), ("iops", "50000")],
        );
        assert_eq!(rules(&high), [Rule::EbsIo1ToIo2]);
        assert!(high[0].monthly_savings() > 0.0);
    }

    #[test]
    fn ec2_previous_generation_and_graviton() {
        let t2 = advise_in(Region::UsEast1, "ec2", "t2.micro", &[]);
        assert_eq!(rules(&t2), [Rule::Ec2CurrentGeneration, Rule::Ec2Graviton]);
        assert_eq!(t2[0].recommended_sku, "t3.micro");
        assert_eq!(t2[1].recommended_sku, "t4g.micro");
        let m5 = advise_in(Region::UsEast1, "ec2", "m5.large", &[]);
        assert_eq!(rules(&m5), [Rule::Ec2Graviton]);
        assert_eq!(m5[0].recommended_sku, "m7g.large");
        assert!(Rule::Ec2Graviton.needs_arm_image());
        // Already Graviton, or no same-size target: nothing.
        assert!(advise_in(Region::UsEast1, "ec2", "m7g.large", &[]).is_empty());
        let big = advise_in(Region::UsEast1, "ec2", "m5.24xlarge", &[]);
        assert!(big.is_empty(), "{big:?}");
    }

    #[test]
    fn fargate_x86_services_move_to_arm64_at_the_list_price_difference() {
        let service = |pairs: &[(&str, &str)]| {
            let mut all = vec![("cpu", "2048"), ("memory", "4096"), ("desiredCount", "2")];
            all.extend_from_slice(pairs);
            advise_in(Region::UsEast1, "aws:ecs/service:Service", "", &all)
        };
        let x86 = service(&[]);
        assert_eq!(rules(&x86), [Rule::FargateGraviton]);
        // 2 tasks x (2 vCPU x (0.04048 - 0.03238) + 4 GB x (0.004445 - 0.00356)) x 730 h.
        assert!((x86[0].monthly_savings() - 28.82).abs() < 0.005, "{x86:?}");
        assert_eq!(x86[0].recommended_sku, "2vCPU-4GB-linux-arm64");
        assert!(Rule::FargateGraviton.needs_arm_image());
        let explicit = service(&[("runtimePlatform.cpuArchitecture", "X86_64")]);
        assert_eq!(explicit, x86);
        // Already ARM64, Windows, or on EC2 capacity (priced as instances): nothing.
        assert!(service(&[("runtimePlatform.cpuArchitecture", "ARM64")]).is_empty());
        let windows = "map[operatingSystemFamily:WINDOWS_SERVER_2022_CORE]";
        assert!(service(&[("runtimePlatform", windows)]).is_empty());
        assert!(service(&[("launchType", "EC2")]).is_empty());
    }

    #[test]
    fn fargate_spot_only_for_services_that_say_they_may_be_interrupted() {
        // Linux x86_64: the embedded Spot snapshot's platform.
        let service = |count: &str, pairs: &[(&str, &str)]| {
            let mut all = vec![("cpu", "1024"), ("memory", "2048"), ("desiredCount", count)];
            all.extend_from_slice(pairs);
            advise_in(Region::UsEast1, "aws:ecs/service:Service", "", &all)
        };
        assert_eq!(
            rules(&service("4", &[])),
            [Rule::FargateGraviton],
            "not without consent"
        );
        let spot = service("4", &[("interruptible", "true")]);
        assert_eq!(rules(&spot), [Rule::FargateSpot, Rule::FargateGraviton]);
        assert!(spot[0].monthly_savings() > 0.0);
        // Already with a Spot share, or a single task (it stays on FARGATE): no Spot advice.
        let shared = "[map[capacityProvider:FARGATE_SPOT weight:1]]";
        let with_share = service(
            "4",
            &[
                ("interruptible", "true"),
                ("capacityProviderStrategy", shared),
            ],
        );
        // (ARM64 on Spot has no price in the snapshot, so nothing is offered for it either.)
        assert!(with_share.is_empty(), "{with_share:?}");
        let single = service("1", &[("interruptible", "true")]);
        assert_eq!(rules(&single), [Rule::FargateGraviton]);
    }

    #[test]
    fn fargate_tasks_larger_than_their_containers_reserve_shrink_to_the_cheapest_size_holding_them()
    {
        let task = |pairs: &[(&str, &str)]| {
            let mut all = vec![
                ("cpu", "4096"),
                ("memory", "16384"),
                ("runtimePlatform.cpuArchitecture", "ARM64"),
            ];
            all.extend_from_slice(pairs);
            advise_in(
                Region::UsEast1,
                "aws:ecs/taskDefinition:TaskDefinition",
                "",
                &all,
            )
        };
        assert!(task(&[]).is_empty(), "no reservations known");
        let smaller = task(&[
            ("containerReservations.cpu", "600"),
            ("containerReservations.memory", "3000"),
        ]);
        assert_eq!(rules(&smaller), [Rule::FargateRightsize]);
        // 600 units need 1024; 3000 MiB need 3 GB, which 1024 units allow.
        assert_eq!(smaller[0].recommended_sku, "1vCPU-3GB-linux-arm64");
        // Reservations that fill the task: nothing.
        assert!(
            task(&[
                ("containerReservations.cpu", "4096"),
                ("containerReservations.memory", "16384"),
            ])
            .is_empty()
        );
    }

    #[test]
    fn rds_gp2_storage_moves_to_gp3_at_the_same_price() {
        let a = advise_in(
            Region::UsEast1,
            "rds",
            "db.t3.micro",
            &[("allocatedStorage", "100"), ("storageType", "gp2")],
        );
        assert_eq!(rules(&a), [Rule::RdsGp2ToGp3]);
        assert_eq!(a[0].monthly_savings(), 0.0);
        assert_eq!(a[0].category(), Category::Performance);
        assert!(
            advise_in(
                Region::UsEast1,
                "rds",
                "db.t3.micro",
                &[("storageType", "gp3")]
            )
            .is_empty()
        );
        // Multi-AZ gp3 is 0.001 USD/GB-month dearer than gp2 in eu-west-1: not offered there.
        let multi_az = [
            ("allocatedStorage", "100"),
            ("storageType", "gp2"),
            ("multiAz", "true"),
        ];
        assert!(advise_in(Region::EuWest1, "rds", "db.t3.micro", &multi_az).is_empty());
        assert_eq!(
            rules(&advise_in(Region::UsEast1, "rds", "db.t3.micro", &multi_az)),
            [Rule::RdsGp2ToGp3]
        );
        // Above 4000 GB, keeping gp2's 3 IOPS/GB on gp3 means paying for IOPS beyond the
        // included 12000: dearer, so not offered.
        let big = advise_in(
            Region::UsEast1,
            "rds",
            "db.t3.micro",
            &[("allocatedStorage", "5000"), ("storageType", "gp2")],
        );
        assert!(big.is_empty(), "{big:?}");
    }

    #[test]
    fn elasticache_previous_generation() {
        let a = advise_in(Region::UsEast1, "elasticache", "cache.r4.large", &[]);
        assert_eq!(rules(&a), [Rule::ElastiCacheCurrentGeneration]);
        assert_eq!(a[0].recommended_sku, "cache.r5.large");
        assert!(a[0].monthly_savings() > 0.0);
    }
}
