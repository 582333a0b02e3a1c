//! ECS on Fargate: task definitions (one running task) and services (their running tasks).
//!
//! A Fargate task bills its requested vCPU and GB per hour at the rates of its platform (Linux
//! x86, Linux ARM, or Windows, which adds an OS licence per vCPU-hour), plus ephemeral storage
//! above the 20 GiB every task gets. Properties, as Pulumi and the ECS API name them:
//!
//! - `cpu`: CPU units (`"2048"`) or vCPU (`"2 vCPU"`); `memory`: MiB (`"4096"`) or GB (`"4 GB"`).
//!   The pair must be a Fargate task size (see [`check_size`]), else `INVALID_ARGUMENT`.
//! - `runtimePlatform`: `cpuArchitecture` (`X86_64`, the AWS default, or `ARM64`) and
//!   `operatingSystemFamily` (`LINUX`, the default, or `WINDOWS_SERVER_*`).
//! - `ephemeralStorage.sizeInGiB` (21..=200; absent = the free 20 GiB).
//! - `requiresCompatibilities` (task definition) and `launchType` (service): a task on EC2 (or
//!   EXTERNAL) capacity runs on instances priced as EC2 instances, so it costs 0 here and the
//!   billing detail says why. Absent, Fargate is assumed and listed in `defaults_applied`.
//! - Services: `desiredCount` (default 1, assumed) and `capacityProviderStrategy`
//!   (`[map[capacityProvider:FARGATE_SPOT weight:3 base:0] ...]`): tasks fill each provider's
//!   `base` first, the rest are shared by `weight` (a share may be a fraction of a task). The
//!   FARGATE_SPOT share is priced at the embedded Spot snapshot; other providers are EC2 capacity.
//!
//! AWS defaults (X86_64, LINUX, 20 GiB) are what an absent property means, not assumptions, so
//! they are not listed in `defaults_applied`.

use std::borrow::Cow;

use super::{Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, qty, usd};
use crate::pricing::Service;
use crate::resource::{Props, clip};

/// Billing mode of a Fargate task or service.
pub(crate) const BILLING_MODE: &str = "per_vcpu_and_gb_hour";

/// Ephemeral storage every Fargate task gets without charge, and the configurable range.
const FREE_STORAGE_GIB: f64 = 20.0;
const MIN_STORAGE_GIB: f64 = 21.0;
const MAX_STORAGE_GIB: f64 = 200.0;

/// More capacity providers than a strategy may hold (AWS allows 20); a longer list is refused.
const MAX_PROVIDERS: usize = 20;

/// Fargate's own capacity providers.
const FARGATE: &str = "FARGATE";
const FARGATE_SPOT: &str = "FARGATE_SPOT";

const METRIC_HINTS: &[(&str, &str)] = &[
    ("running_tasks", "task"),
    ("vcpu_hours", "vCPU-hour"),
    ("memory_gb_hours", "GB-hour"),
];

/// The operating system a task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Os {
    Linux,
    Windows,
}

/// The CPU architecture a task runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arch {
    X86_64,
    Arm64,
}

/// What one Fargate task requests.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Task {
    vcpu: f64,
    gb: f64,
    os: Os,
    arch: Arch,
    /// Ephemeral storage above the free 20 GiB.
    extra_storage_gib: f64,
}

impl Task {
    fn platform(&self) -> &'static str {
        match (self.os, self.arch) {
            (Os::Linux, Arch::X86_64) => "Linux/X86_64",
            (Os::Linux, Arch::Arm64) => "Linux/ARM64",
            (Os::Windows, _) => "Windows/X86_64",
        }
    }

    fn sku(&self) -> String {
        let platform = match (self.os, self.arch) {
            (Os::Linux, Arch::X86_64) => "linux-x86_64",
            (Os::Linux, Arch::Arm64) => "linux-arm64",
            (Os::Windows, _) => "windows-x86_64",
        };
        format!("{}vCPU-{}GB-{platform}", qty(self.vcpu), qty(self.gb))
    }
}

/// Prices one running task of a task definition.
pub(crate) fn estimate_task(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let mut defaults = Defaults::default();
    if let Some(other) = non_fargate_compatibility(input, &mut defaults)? {
        return Ok(no_fargate_charge(input, "ecs-task", &other, defaults));
    }
    let task = read_task(input)?;
    let (hourly, rate_detail) = on_demand_hourly(input, &task)?;
    let monthly = hourly * HOURS_PER_MONTH;
    let mut assumptions = Vec::new();
    if input.prose {
        assumptions.push("one task running the whole month (730 hours)".into());
        push_billing_assumptions(&mut assumptions, &task);
    }
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "ecs-task",
        sku: task.sku(),
        unit_price: hourly,
        unit: "hour",
        cost_per_month: monthly,
        billing_mode: BILLING_MODE,
        billing_detail: format!(
            "one Fargate task: {rate_detail} = {} USD/h x 730 h = {monthly:.2} USD/month",
            usd(hourly)
        ),
        description: input.prose(|| {
            format!(
                "Amazon ECS task on AWS Fargate ({}, {} vCPU, {} GB)",
                task.platform(),
                qty(task.vcpu),
                qty(task.gb)
            )
        }),
        source: Source::Tables(&[Service::Fargate]),
        tiers: Vec::new(),
        assumptions,
        metric_hints: METRIC_HINTS,
        defaults_applied,
        quality,
    })
}

/// Prices the running tasks of a service.
pub(crate) fn estimate_service(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let mut defaults = Defaults::default();
    let count = desired_count(input, &mut defaults)?;
    let shares = placement(input, count, &mut defaults)?;
    if shares.fargate == 0.0 && shares.spot == 0.0 && !shares.others.is_empty() {
        let on = shares
            .others
            .iter()
            .map(|(name, _)| clip(name, 64))
            .collect::<Vec<_>>()
            .join(", ");
        return Ok(no_fargate_charge(input, "ecs-service", &on, defaults));
    }
    let task = read_task(input)?;
    let (task_hourly, rate_detail) = on_demand_hourly(input, &task)?;
    let mut hourly = shares.fargate * task_hourly;
    let mut detail = format!(
        "per Fargate task: {rate_detail} = {} USD/h; {} x {} USD/h",
        usd(task_hourly),
        tasks(shares.fargate),
        usd(task_hourly)
    );
    let mut assumptions: Vec<Cow<'static, str>> = Vec::new();
    if shares.spot > 0.0 {
        let spot_hourly = spot_hourly(input, &task)?;
        hourly += shares.spot * spot_hourly;
        detail += &format!(
            " + {} on FARGATE_SPOT x {} USD/h",
            tasks(shares.spot),
            usd(spot_hourly)
        );
        if input.prose {
            assumptions.push(
                format!(
                    "the FARGATE_SPOT share is priced at the Fargate Spot snapshot of {}; Spot prices change, so it is indicative",
                    input.table.service_as_of(Service::FargateSpot)
                )
                .into(),
            );
            if task.extra_storage_gib > 0.0 {
                assumptions.push(
                    "Spot tasks' ephemeral storage is priced at the on-demand storage rate".into(),
                );
            }
        }
    }
    for (provider, n) in &shares.others {
        detail += &format!(
            " + {} on capacity provider {} (EC2 instances, priced as EC2) x 0 USD/h",
            tasks(*n),
            clip(provider, 64)
        );
    }
    let monthly = hourly * HOURS_PER_MONTH;
    detail += &format!(" = {} USD/h x 730 h = {monthly:.2} USD/month", usd(hourly));
    if input.prose {
        assumptions.push("the desired count of tasks runs the whole month (730 hours)".into());
        if shares.split {
            assumptions.push(
                "tasks beyond each provider's base are shared by weight; a share may be a fraction of a task"
                    .into(),
            );
        }
        push_billing_assumptions(&mut assumptions, &task);
    }
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "ecs-service",
        sku: task.sku(),
        unit_price: hourly,
        unit: "hour",
        cost_per_month: monthly,
        billing_mode: BILLING_MODE,
        billing_detail: detail,
        description: input.prose(|| {
            format!(
                "Amazon ECS service: {} task(s) on AWS Fargate ({}, {} vCPU, {} GB each)",
                qty(count),
                task.platform(),
                qty(task.vcpu),
                qty(task.gb)
            )
        }),
        source: Source::Tables(if shares.spot > 0.0 {
            &[Service::Fargate, Service::FargateSpot]
        } else {
            &[Service::Fargate]
        }),
        tiers: Vec::new(),
        assumptions,
        metric_hints: METRIC_HINTS,
        defaults_applied,
        quality,
    })
}

/// `n task(s)` for details.
fn tasks(n: f64) -> String {
    if n == 1.0 {
        "1 task".to_owned()
    } else {
        format!("{} tasks", qty(n))
    }
}

fn push_billing_assumptions(assumptions: &mut Vec<Cow<'static, str>>, task: &Task) {
    assumptions.push(
        "Fargate bills per second from image pull to task stop, with a one-minute minimum per task"
            .into(),
    );
    if task.os == Os::Windows {
        assumptions.push(
            "Windows tasks carry a longer minimum charge than Linux ones (AWS Fargate pricing)"
                .into(),
        );
    }
    assumptions.push(
        "data transfer, load balancers, logs and public IPv4 addresses are billed separately"
            .into(),
    );
}

/// A task or service that runs on EC2 (or EXTERNAL) capacity: no Fargate charge, said so.
fn no_fargate_charge(
    input: &Input<'_>,
    kind: &'static str,
    on: &str,
    defaults: Defaults,
) -> Estimate {
    let (defaults_applied, quality) = defaults.into_parts();
    Estimate {
        kind,
        sku: String::new(),
        unit_price: 0.0,
        unit: "hour",
        cost_per_month: 0.0,
        billing_mode: "zero_cost",
        billing_detail: format!(
            "runs on {on} capacity, not Fargate: its container instances are billed as EC2 \
             instances (price those), so the tasks themselves cost 0 USD/month here"
        ),
        description: input.prose(|| format!("Amazon ECS {kind} on {on} capacity")),
        source: Source::NoCharge("an ECS task on EC2 or external capacity"),
        tiers: Vec::new(),
        assumptions: Vec::new(),
        metric_hints: &[],
        defaults_applied,
        quality,
    }
}

/// `Some(launch types)` when `requiresCompatibilities` lists no FARGATE; absent = Fargate,
/// assumed.
fn non_fargate_compatibility(
    input: &Input<'_>,
    defaults: &mut Defaults,
) -> Result<Option<String>, EstimateError> {
    let Some((key, value)) = input.props.go_value(&["requiresCompatibilities"]) else {
        defaults.config("launch_type", FARGATE);
        return Ok(None);
    };
    let mut others = Vec::new();
    for item in value.items() {
        let Some(text) = item.as_text().map(str::trim) else {
            return Err(input.props.invalid(
                key,
                "",
                "expected a list of launch types such as [FARGATE]",
            ));
        };
        match text.to_ascii_uppercase().as_str() {
            FARGATE => return Ok(None),
            "EC2" | "EXTERNAL" | "MANAGED_INSTANCES" => others.push(text.to_ascii_uppercase()),
            _ => {
                return Err(input.props.invalid(
                    key,
                    text,
                    "expected FARGATE, EC2, EXTERNAL or MANAGED_INSTANCES",
                ));
            }
        }
    }
    if others.is_empty() {
        defaults.config("launch_type", FARGATE);
        return Ok(None);
    }
    Ok(Some(others.join("/")))
}

/// `desiredCount`, a whole number of tasks; 1 when absent (assumed).
fn desired_count(input: &Input<'_>, defaults: &mut Defaults) -> Result<f64, EstimateError> {
    match input.props.find(&["desiredCount"]) {
        Some((key, value)) => {
            let n = input.props.number(&[key])?.unwrap_or(0.0);
            if n.fract() != 0.0 {
                return Err(input
                    .props
                    .invalid(key, value, "must be a whole number of tasks"));
            }
            Ok(n)
        }
        None => {
            defaults.config("desired_count", 1u32);
            Ok(1.0)
        }
    }
}

/// How a service's tasks are spread over capacity.
#[derive(Debug, Default, PartialEq)]
struct Shares {
    /// Tasks on Fargate on-demand.
    fargate: f64,
    /// Tasks on Fargate Spot.
    spot: f64,
    /// Tasks on other capacity (EC2 launch type or a capacity provider of EC2 instances).
    others: Vec<(String, f64)>,
    /// Whether tasks were shared by weight.
    split: bool,
}

/// Spreads `count` tasks by `launchType` or `capacityProviderStrategy`.
fn placement(
    input: &Input<'_>,
    count: f64,
    defaults: &mut Defaults,
) -> Result<Shares, EstimateError> {
    let props = &input.props;
    let strategy = props.go_value(&["capacityProviderStrategy", "capacityProviderStrategies"]);
    let launch = props.find(&["launchType"]);
    if let (Some((key, _)), Some(_)) = (&strategy, launch) {
        return Err(EstimateError::InvalidArgument {
            field: props.field(key),
            reason: "a service has either a launchType or a capacityProviderStrategy, not both"
                .to_owned(),
        });
    }
    if let Some((key, value)) = launch {
        return match value.trim().to_ascii_uppercase().as_str() {
            FARGATE => Ok(Shares {
                fargate: count,
                ..Shares::default()
            }),
            other @ ("EC2" | "EXTERNAL" | "MANAGED_INSTANCES") => Ok(Shares {
                others: vec![(other.to_owned(), count)],
                ..Shares::default()
            }),
            _ => Err(props.invalid(
                key,
                value,
                "expected FARGATE, EC2, EXTERNAL or MANAGED_INSTANCES",
            )),
        };
    }
    let Some((key, value)) = strategy else {
        defaults.config("launch_type", FARGATE);
        return Ok(Shares {
            fargate: count,
            ..Shares::default()
        });
    };
    let items = value.items();
    if items.is_empty() || items.len() > MAX_PROVIDERS {
        return Err(EstimateError::InvalidArgument {
            field: props.field(key),
            reason: format!("expected 1 to {MAX_PROVIDERS} capacity providers"),
        });
    }
    // (provider, base, weight), in the order given.
    let mut providers = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let field = |inner: &str| format!("{key}[{i}].{inner}");
        let text = |inner: &str| item.get(inner).and_then(|v| v.as_text()).map(str::trim);
        let name = text("capacityProvider")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| EstimateError::InvalidArgument {
                field: props.field(&field("capacityProvider")),
                reason: "is required".to_owned(),
            })?;
        crate::resource::validate_sku(name, &props.field(&field("capacityProvider")))?;
        let number = |inner: &str| -> Result<f64, EstimateError> {
            match text(inner).filter(|t| !t.is_empty()) {
                None => Ok(0.0),
                Some(t) => {
                    let n = crate::resource::number(t)
                        .map_err(|reason| props.invalid(&field(inner), t, reason))?;
                    if n.fract() != 0.0 {
                        return Err(props.invalid(&field(inner), t, "must be a whole number"));
                    }
                    Ok(n)
                }
            }
        };
        providers.push((name, number("base")?, number("weight")?));
    }
    let mut placed: Vec<f64> = vec![0.0; providers.len()];
    let mut left = count;
    for (slot, (_, base, _)) in placed.iter_mut().zip(&providers) {
        let take = base.min(left);
        *slot = take;
        left -= take;
    }
    let total_weight: f64 = providers.iter().map(|(_, _, w)| w).sum();
    let split = left > 0.0;
    if split {
        if total_weight == 0.0 {
            return Err(EstimateError::InvalidArgument {
                field: props.field(key),
                reason: "at least one capacity provider needs a weight above 0".to_owned(),
            });
        }
        for (slot, (_, _, weight)) in placed.iter_mut().zip(&providers) {
            *slot += left * weight / total_weight;
        }
    }
    let mut shares = Shares {
        split,
        ..Shares::default()
    };
    for ((name, _, _), n) in providers.iter().zip(placed) {
        match name.to_ascii_uppercase().as_str() {
            FARGATE => shares.fargate += n,
            FARGATE_SPOT => shares.spot += n,
            _ => shares.others.push(((*name).to_owned(), n)),
        }
    }
    Ok(shares)
}

/// Reads and checks what one task requests.
fn read_task(input: &Input<'_>) -> Result<Task, EstimateError> {
    let props = &input.props;
    let (cpu_key, cpu_text) = props.find(&["cpu"]).ok_or_else(|| required(props, "cpu"))?;
    let cpu = cpu_units(cpu_text).map_err(|reason| props.invalid(cpu_key, cpu_text, reason))?;
    let (mem_key, mem_text) = props
        .find(&["memory"])
        .ok_or_else(|| required(props, "memory"))?;
    let mib = memory_mib(mem_text).map_err(|reason| props.invalid(mem_key, mem_text, reason))?;

    let platform = props.map(&["runtimePlatform"]);
    let arch = match platform.text("cpuArchitecture") {
        None => Arch::X86_64,
        Some(n) => match n.value.to_ascii_uppercase().as_str() {
            "X86_64" => Arch::X86_64,
            "ARM64" => Arch::Arm64,
            _ => return Err(props.invalid(&n.path(), n.value, "expected X86_64 or ARM64")),
        },
    };
    let os = match platform.text("operatingSystemFamily") {
        None => Os::Linux,
        Some(n) => {
            let family = n.value.to_ascii_uppercase();
            if family == "LINUX" {
                Os::Linux
            } else if family.starts_with("WINDOWS_SERVER_") {
                if arch == Arch::Arm64 {
                    return Err(props.invalid(
                        &n.path(),
                        n.value,
                        "Windows tasks on Fargate run on X86_64 only",
                    ));
                }
                Os::Windows
            } else {
                return Err(props.invalid(
                    &n.path(),
                    n.value,
                    "expected LINUX or WINDOWS_SERVER_<version>_<FULL|CORE>",
                ));
            }
        }
    };
    check_size(cpu, mib, os).map_err(|(on_cpu, reason)| {
        if on_cpu {
            props.invalid(cpu_key, cpu_text, &reason)
        } else {
            props.invalid(mem_key, mem_text, &reason)
        }
    })?;

    let storage = props.map(&["ephemeralStorage"]);
    let extra_storage_gib = match storage.text("sizeInGiB") {
        None => 0.0,
        Some(n) => {
            let gib = crate::resource::number(n.value)
                .map_err(|reason| props.invalid(&n.path(), n.value, reason))?;
            if !(MIN_STORAGE_GIB..=MAX_STORAGE_GIB).contains(&gib) || gib.fract() != 0.0 {
                return Err(props.invalid(
                    &n.path(),
                    n.value,
                    "must be a whole number of GiB from 21 to 200 (20 GiB come without a setting)",
                ));
            }
            gib - FREE_STORAGE_GIB
        }
    };
    Ok(Task {
        vcpu: f64::from(cpu) / 1024.0,
        gb: f64::from(mib) / 1024.0,
        os,
        arch,
        extra_storage_gib,
    })
}

fn required(props: &Props<'_>, name: &str) -> EstimateError {
    EstimateError::InvalidArgument {
        field: props.field(name),
        reason: "is required for a Fargate task (CPU units or vCPU, e.g. \"2048\" or \"2 vCPU\"; memory in MiB or GB, e.g. \"4096\" or \"4 GB\")".to_owned(),
    }
}

/// Strips a case-insensitive unit suffix (`"2 vCPU"` -> `"2"`).
fn strip_unit<'t>(text: &'t str, units: &[&str]) -> Option<&'t str> {
    let t = text.trim();
    units.iter().find_map(|unit| {
        let cut = t.len().checked_sub(unit.len())?;
        (t.is_char_boundary(cut) && t[cut..].eq_ignore_ascii_case(unit)).then(|| t[..cut].trim())
    })
}

/// CPU units from `"2048"` or `"2 vCPU"`; a whole number of units.
fn cpu_units(text: &str) -> Result<u32, &'static str> {
    let units = match strip_unit(text, &["vcpu"]) {
        Some(vcpu) => crate::resource::number(vcpu)? * 1024.0,
        None => crate::resource::number(text)?,
    };
    whole(units)
}

/// MiB from `"4096"`, `"4 GB"` / `"4GB"` (GB as AWS means it here: 1024 MiB) or `"512 MiB"`.
fn memory_mib(text: &str) -> Result<u32, &'static str> {
    let mib = if let Some(gb) = strip_unit(text, &["gib", "gb"]) {
        crate::resource::number(gb)? * 1024.0
    } else if let Some(mib) = strip_unit(text, &["mib", "mb"]) {
        crate::resource::number(mib)?
    } else {
        crate::resource::number(text)?
    };
    whole(mib)
}

fn whole(v: f64) -> Result<u32, &'static str> {
    if v.fract() != 0.0 || v > f64::from(u32::MAX) {
        return Err("not a Fargate size");
    }
    // Checked above: a whole number within u32.
    Ok(v as u32)
}

/// Checks a task size against the table of valid Fargate CPU and memory combinations
/// (AWS, "Amazon ECS task definition invalid CPU or memory errors",
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html>).
/// The error says which field is wrong (`true` = cpu) and why.
fn check_size(cpu: u32, mib: u32, os: Os) -> Result<(), (bool, String)> {
    const GB: u32 = 1024;
    // (cpu units, smallest MiB, largest MiB, step MiB); 256 units allow 512 MiB, 1 GB, 2 GB.
    const SIZES: [(u32, u32, u32, u32); 7] = [
        (256, 512, 2 * GB, 0),
        (512, GB, 4 * GB, GB),
        (1024, 2 * GB, 8 * GB, GB),
        (2048, 4 * GB, 16 * GB, GB),
        (4096, 8 * GB, 30 * GB, GB),
        (8192, 16 * GB, 60 * GB, 4 * GB),
        (16384, 32 * GB, 120 * GB, 8 * GB),
    ];
    let Some(&(_, low, high, step)) = SIZES.iter().find(|s| s.0 == cpu) else {
        return Err((
            true,
            "not a Fargate task size: use 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units \
             (0.25 to 16 vCPU)"
                .to_owned(),
        ));
    };
    if os == Os::Windows && !matches!(cpu, 1024 | 2048 | 4096) {
        return Err((
            true,
            "Windows tasks on Fargate take 1024, 2048 or 4096 CPU units (1, 2 or 4 vCPU)"
                .to_owned(),
        ));
    }
    let fits = if step == 0 {
        matches!(mib, 512 | 1024 | 2048)
    } else {
        (low..=high).contains(&mib) && (mib - low).is_multiple_of(step)
    };
    if fits {
        return Ok(());
    }
    let allowed = if step == 0 {
        "512, 1024 or 2048 MiB".to_owned()
    } else {
        format!("{low} to {high} MiB in steps of {step}")
    };
    Err((
        false,
        format!("{mib} MiB is not a Fargate size for {cpu} CPU units: use {allowed}"),
    ))
}

/// On-demand USD per hour of one task, and its arithmetic.
fn on_demand_hourly(input: &Input<'_>, task: &Task) -> Result<(f64, String), EstimateError> {
    let (vcpu_item, gb_item) = match (task.os, task.arch) {
        (Os::Linux, Arch::X86_64) => ("linux_x86_vcpu", "linux_x86_memory"),
        (Os::Linux, Arch::Arm64) => ("linux_arm_vcpu", "linux_arm_memory"),
        (Os::Windows, _) => ("windows_x86_vcpu", "windows_x86_memory"),
    };
    let vcpu_rate = input.rate(Service::Fargate, vcpu_item)?;
    let gb_rate = input.rate(Service::Fargate, gb_item)?;
    let mut hourly = task.vcpu * vcpu_rate + task.gb * gb_rate;
    let mut detail = format!(
        "{} {} vCPU x {} USD/h + {} GB x {} USD/h",
        task.platform(),
        qty(task.vcpu),
        usd(vcpu_rate),
        qty(task.gb),
        usd(gb_rate)
    );
    if task.os == Os::Windows {
        let licence = input.rate(Service::Fargate, "windows_os_license")?;
        hourly += task.vcpu * licence;
        detail += &format!(
            " + Windows licence {} vCPU x {} USD/h",
            qty(task.vcpu),
            usd(licence)
        );
    }
    if task.extra_storage_gib > 0.0 {
        let storage = input.rate(Service::Fargate, "ephemeral_storage")?;
        hourly += task.extra_storage_gib * storage;
        detail += &format!(
            " + {} GiB ephemeral storage above the free 20 x {} USD/h",
            qty(task.extra_storage_gib),
            usd(storage)
        );
    }
    Ok((hourly, detail))
}

/// Fargate Spot USD per hour of one task (Linux x86 only: the snapshot has no other platform).
fn spot_hourly(input: &Input<'_>, task: &Task) -> Result<f64, EstimateError> {
    if (task.os, task.arch) != (Os::Linux, Arch::X86_64) {
        return Err(EstimateError::NoPrice {
            kind: "ecs-service",
            item: format!(
                "FARGATE_SPOT on {} (the embedded Spot snapshot covers Linux/X86_64 only)",
                task.platform()
            ),
        });
    }
    let vcpu = input.rate(Service::FargateSpot, "spot_linux_x86_vcpu")?;
    let gb = input.rate(Service::FargateSpot, "spot_linux_x86_memory")?;
    let mut hourly = task.vcpu * vcpu + task.gb * gb;
    if task.extra_storage_gib > 0.0 {
        // The Spot snapshot has vCPU and GB rates only; storage is priced at the on-demand rate.
        hourly += task.extra_storage_gib * input.rate(Service::Fargate, "ephemeral_storage")?;
    }
    Ok(hourly)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use std::collections::HashMap;

    use super::*;
    use crate::estimate::test_support::*;
    use crate::estimate::{EstimateError, Quality};
    use crate::region::Region;

    const TASK: &str = "aws:ecs/taskDefinition:TaskDefinition";
    const SERVICE: &str = "aws:ecs/service:Service";

    fn field_of(err: &EstimateError) -> &str {
        match err {
            EstimateError::InvalidArgument { field, .. } => field,
            other => panic!("not an InvalidArgument: {other:?}"),
        }
    }

    #[test]
    fn the_guides_task_is_72_08_a_month() {
        // 2 vCPU, 4 GB, Linux x86, us-east-1: 730 x (2 x 0.04048 + 4 x 0.004445).
        let e = price(
            Region::UsEast1,
            TASK,
            "",
            &[
                ("cpu", "2048"),
                ("memory", "4096"),
                ("requiresCompatibilities", "[FARGATE]"),
            ],
        )
        .unwrap();
        assert_eq!(e.kind, "ecs-task");
        assert_eq!(e.sku, "2vCPU-4GB-linux-x86_64");
        assert_usd(e.unit_price, 2.0 * 0.04048 + 4.0 * 0.004445);
        assert_usd(e.cost_per_month, 72.0802);
        assert_eq!(format!("{:.2}", e.cost_per_month), "72.08");
        assert_eq!(e.billing_mode, "per_vcpu_and_gb_hour");
        assert_eq!(e.quality, Quality::High);
        assert!(e.defaults_applied.is_empty());
        assert_eq!(
            e.billing_detail,
            "one Fargate task: Linux/X86_64 2 vCPU x 0.04048 USD/h + 4 GB x 0.004445 USD/h \
             = 0.09874 USD/h x 730 h = 72.08 USD/month"
        );
        assert!(
            e.assumptions
                .iter()
                .any(|a| a.contains("one-minute minimum"))
        );
        assert!(e.assumptions.iter().any(|a| a.contains("per second")));
    }

    #[test]
    fn vcpu_and_gb_spellings_equal_units_and_mib() {
        let units = price(
            Region::UsEast1,
            "ecs-task",
            "",
            &[("cpu", "2048"), ("memory", "4096")],
        )
        .unwrap();
        for (cpu, memory) in [
            ("2 vCPU", "4 GB"),
            ("2vcpu", "4GB"),
            ("2 VCPU", "4 GiB"),
            ("2048", "4096 MiB"),
        ] {
            let e = price(
                Region::UsEast1,
                "ecs-task",
                "",
                &[("cpu", cpu), ("memory", memory)],
            )
            .unwrap();
            assert_eq!(e.cost_per_month, units.cost_per_month, "{cpu} / {memory}");
        }
        let quarter = price(
            Region::UsEast1,
            "ecs-task",
            "",
            &[("cpu", ".25 vCPU"), ("memory", "0.5 GB")],
        )
        .unwrap();
        assert_usd(quarter.unit_price, 0.25 * 0.04048 + 0.5 * 0.004445);
        assert_eq!(quarter.sku, "0.25vCPU-0.5GB-linux-x86_64");
    }

    #[test]
    fn no_requires_compatibilities_assumes_fargate() {
        let e = price(
            Region::UsEast1,
            "ecs-task",
            "",
            &[("cpu", "256"), ("memory", "512")],
        )
        .unwrap();
        let meta: HashMap<_, _> = e.metadata().into_iter().collect();
        assert_eq!(meta["defaults_applied"], "launch_type=FARGATE");
        assert_eq!(e.quality, Quality::Medium);
        assert_usd(e.cost_per_month, 730.0 * (0.25 * 0.04048 + 0.5 * 0.004445));
    }

    #[test]
    fn arm_matches_its_rows_in_every_region() {
        // fargate.csv linux_arm_vcpu / linux_arm_memory per region.
        let expected = [
            (Region::UsEast1, 0.03238, 0.00356),
            (Region::ApSouth1, 0.02383, 0.00261),
            (Region::UsGovWest1, 0.0374304, 0.0040866),
        ];
        let platform = "map[cpuArchitecture:ARM64 operatingSystemFamily:LINUX]";
        for (region, vcpu, gb) in expected {
            let e = price(
                region,
                TASK,
                "",
                &[
                    ("cpu", "1024"),
                    ("memory", "2048"),
                    ("runtimePlatform", platform),
                ],
            )
            .unwrap();
            assert_usd(e.unit_price, vcpu + 2.0 * gb);
            assert_usd(e.cost_per_month, 730.0 * (vcpu + 2.0 * gb));
            assert_eq!(e.sku, "1vCPU-2GB-linux-arm64");
        }
    }

    #[test]
    fn x86_matches_its_rows_in_other_regions() {
        // fargate.csv linux_x86_vcpu / linux_x86_memory.
        let expected = [
            (Region::EuWest1, 0.04048, 0.004445),
            (Region::ApSouth1, 0.04256, 0.004655),
            (Region::UsGovEast1, 0.0486, 0.0053),
        ];
        for (region, vcpu, gb) in expected {
            let e = price(region, TASK, "", &[("cpu", "2 vCPU"), ("memory", "4 GB")]).unwrap();
            assert_usd(e.cost_per_month, 730.0 * (2.0 * vcpu + 4.0 * gb));
        }
    }

    #[test]
    fn windows_adds_the_os_licence_per_vcpu() {
        let e = price(
            Region::UsEast1,
            TASK,
            "",
            &[
                ("cpu", "2048"),
                ("memory", "4096"),
                (
                    "runtimePlatform",
                    "map[cpuArchitecture:X86_64 operatingSystemFamily:WINDOWS_SERVER_2022_CORE]",
                ),
            ],
        )
        .unwrap();
        let hourly = 2.0 * 0.046552 + 4.0 * 0.00511175 + 2.0 * 0.046;
        assert_usd(e.unit_price, hourly);
        assert_usd(e.cost_per_month, 730.0 * hourly);
        assert_eq!(e.sku, "2vCPU-4GB-windows-x86_64");
        assert!(
            e.billing_detail
                .contains("Windows licence 2 vCPU x 0.046 USD/h")
        );
        assert!(e.assumptions.iter().any(|a| a.contains("Windows")));
        // Windows needs 1 to 4 vCPU and X86_64.
        let err = price(
            Region::UsEast1,
            TASK,
            "",
            &[
                ("cpu", "512"),
                ("memory", "1024"),
                (
                    "runtimePlatform",
                    "map[operatingSystemFamily:WINDOWS_SERVER_2019_FULL]",
                ),
            ],
        )
        .unwrap_err();
        assert_eq!(field_of(&err), "resource.tags.cpu");
        let err = price(
            Region::UsEast1,
            TASK,
            "",
            &[
                ("cpu", "1024"),
                ("memory", "2048"),
                (
                    "runtimePlatform",
                    "map[cpuArchitecture:ARM64 operatingSystemFamily:WINDOWS_SERVER_2019_FULL]",
                ),
            ],
        )
        .unwrap_err();
        assert_eq!(
            field_of(&err),
            "resource.tags.runtimePlatform.operatingSystemFamily"
        );
    }

    #[test]
    fn ephemeral_storage_is_billed_above_20_gib() {
        let base = [("cpu", "1024"), ("memory", "2048")];
        let plain = price(Region::UsEast1, TASK, "", &base).unwrap();
        let mut with = base.to_vec();
        with.push(("ephemeralStorage", "map[sizeInGiB:50]"));
        let e = price(Region::UsEast1, TASK, "", &with).unwrap();
        assert_usd(
            e.cost_per_month - plain.cost_per_month,
            30.0 * 0.000111 * 730.0,
        );
        assert!(
            e.billing_detail
                .contains("30 GiB ephemeral storage above the free 20")
        );
        for bad in ["20", "201", "21.5", "x"] {
            let value = format!("map[sizeInGiB:{bad}]");
            let mut with = base.to_vec();
            with.push(("ephemeralStorage", &value));
            let err = price(Region::UsEast1, TASK, "", &with).unwrap_err();
            assert_eq!(
                field_of(&err),
                "resource.tags.ephemeralStorage.sizeInGiB",
                "{bad}"
            );
        }
    }

    #[test]
    fn invalid_fargate_sizes_name_the_field() {
        let cases = [
            ("3000", "4096", "resource.tags.cpu"),
            ("3 vCPU", "6 GB", "resource.tags.cpu"),
            ("0.3 vCPU", "1 GB", "resource.tags.cpu"),
            ("256", "4096", "resource.tags.memory"),
            ("256", "1536", "resource.tags.memory"),
            ("2048", "3 GB", "resource.tags.memory"),
            ("2048", "17 GB", "resource.tags.memory"),
            ("4096", "4500", "resource.tags.memory"),
            ("8192", "18 GB", "resource.tags.memory"),
            ("16384", "36 GB", "resource.tags.memory"),
            ("lots", "4096", "resource.tags.cpu"),
            ("2048", "-1", "resource.tags.memory"),
        ];
        for (cpu, memory, field) in cases {
            let err = price(
                Region::UsEast1,
                TASK,
                "",
                &[("cpu", cpu), ("memory", memory)],
            )
            .unwrap_err();
            assert_eq!(field_of(&err), field, "{cpu} / {memory}");
        }
        let err = price(Region::UsEast1, TASK, "", &[("memory", "4096")]).unwrap_err();
        assert_eq!(field_of(&err), "resource.tags.cpu");
        let err = price(Region::UsEast1, TASK, "", &[("cpu", "2048")]).unwrap_err();
        assert_eq!(field_of(&err), "resource.tags.memory");
        // The edges of the table are valid.
        for (cpu, memory) in [
            ("256", "2048"),
            ("512", "4096"),
            ("4096", "30720"),
            ("8192", "61440"),
            ("16384", "120 GB"),
        ] {
            assert!(
                price(
                    Region::UsEast1,
                    TASK,
                    "",
                    &[("cpu", cpu), ("memory", memory)]
                )
                .is_ok(),
                "{cpu} / {memory}"
            );
        }
        assert!(
            !check_size(8192, 18 * 1024, Os::Linux).unwrap_err().0,
            "memory is wrong"
        );
    }

    #[test]
    fn ec2_compatibility_costs_nothing_and_says_why() {
        let e = price(
            Region::UsEast1,
            TASK,
            "",
            &[("requiresCompatibilities", "[EC2]"), ("cpu", "any")],
        )
        .unwrap();
        assert_eq!(e.cost_per_month, 0.0);
        assert_eq!(e.billing_mode, "zero_cost");
        assert!(e.billing_detail.contains("EC2"), "{}", e.billing_detail);
        assert!(e.billing_detail.contains("billed as EC2 instances"));
    }

    #[test]
    fn service_multiplies_by_desired_count() {
        let e = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[
                ("cpu", "2048"),
                ("memory", "4096"),
                ("desiredCount", "2"),
                ("launchType", "FARGATE"),
            ],
        )
        .unwrap();
        assert_eq!(e.kind, "ecs-service");
        assert_usd(e.cost_per_month, 144.1604);
        assert_eq!(e.quality, Quality::High);
        assert!(
            e.billing_detail.ends_with("= 144.16 USD/month"),
            "{}",
            e.billing_detail
        );
        // Without a count or launch type: one task on Fargate, both assumed.
        let e = price(
            Region::UsEast1,
            "ecs-service",
            "",
            &[("cpu", "2048"), ("memory", "4096")],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 72.0802);
        let meta: HashMap<_, _> = e.metadata().into_iter().collect();
        assert_eq!(
            meta["defaults_applied"],
            "desired_count=1,launch_type=FARGATE"
        );
        assert_eq!(e.quality, Quality::Medium);
        let e = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[("cpu", "2048"), ("memory", "4096"), ("desiredCount", "0")],
        )
        .unwrap();
        assert_eq!(e.cost_per_month, 0.0);
        let err = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[("cpu", "2048"), ("memory", "4096"), ("desiredCount", "1.5")],
        )
        .unwrap_err();
        assert_eq!(field_of(&err), "resource.tags.desiredCount");
    }

    #[test]
    fn ec2_launch_type_is_zero_with_the_reason() {
        let e = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[("launchType", "EC2"), ("desiredCount", "3")],
        )
        .unwrap();
        assert_eq!(e.cost_per_month, 0.0);
        assert_eq!(e.unit_price, 0.0);
        assert!(
            e.billing_detail
                .starts_with("runs on EC2 capacity, not Fargate"),
            "{}",
            e.billing_detail
        );
        let err = price(Region::UsEast1, SERVICE, "", &[("launchType", "LAMBDA")]).unwrap_err();
        assert_eq!(field_of(&err), "resource.tags.launchType");
    }

    #[test]
    fn fargate_spot_share_is_priced_at_the_snapshot() {
        // base 1 on FARGATE, then 1:3 -> of 5 tasks: FARGATE 1 + 1, FARGATE_SPOT 3.
        let strategy = "[map[base:1 capacityProvider:FARGATE weight:1] \
                        map[capacityProvider:FARGATE_SPOT weight:3]]";
        let e = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[
                ("cpu", "1024"),
                ("memory", "2048"),
                ("desiredCount", "5"),
                ("capacityProviderStrategy", strategy),
            ],
        )
        .unwrap();
        let on_demand = 0.04048 + 2.0 * 0.004445;
        let spot = 0.01288561 + 2.0 * 0.00141493;
        assert_usd(e.unit_price, 2.0 * on_demand + 3.0 * spot);
        assert_usd(e.cost_per_month, 730.0 * (2.0 * on_demand + 3.0 * spot));
        assert!(
            e.billing_detail.contains("3 tasks on FARGATE_SPOT x"),
            "{}",
            e.billing_detail
        );
        assert!(
            e.assumptions
                .iter()
                .any(|a| a.contains("Fargate Spot snapshot of 2026-09-29")),
            "{:?}",
            e.assumptions
        );
        let source = e.source_text(&table(Region::UsEast1));
        assert!(source.contains("fargate_spot data 2026-09-29"), "{source}");
    }

    #[test]
    fn strategy_shares_by_weight_and_names_other_providers() {
        let strategy =
            "[map[capacityProvider:FARGATE weight:1] map[capacityProvider:my-asg weight:1]]";
        let e = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[
                ("cpu", "2048"),
                ("memory", "4096"),
                ("desiredCount", "4"),
                ("capacityProviderStrategy", strategy),
            ],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 2.0 * 72.0802);
        assert!(
            e.billing_detail
                .contains("2 tasks on capacity provider my-asg"),
            "{}",
            e.billing_detail
        );
        // Everything on an EC2 capacity provider: zero, said so.
        let e = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[(
                "capacityProviderStrategy",
                "[map[capacityProvider:my-asg weight:1]]",
            )],
        )
        .unwrap();
        assert_eq!(e.cost_per_month, 0.0);
        assert!(e.billing_detail.contains("my-asg"));
        // Errors name the field.
        let cases = [
            (
                "[map[capacityProvider:FARGATE weight:0]]",
                "resource.tags.capacityProviderStrategy",
            ),
            (
                "[map[weight:1]]",
                "resource.tags.capacityProviderStrategy[0].capacityProvider",
            ),
            (
                "[map[capacityProvider:FARGATE weight:x]]",
                "resource.tags.capacityProviderStrategy[0].weight",
            ),
        ];
        for (strategy, field) in cases {
            let err = price(
                Region::UsEast1,
                SERVICE,
                "",
                &[
                    ("cpu", "256"),
                    ("memory", "512"),
                    ("capacityProviderStrategy", strategy),
                ],
            )
            .unwrap_err();
            assert_eq!(field_of(&err), field, "{strategy}");
        }
        let err = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[
                ("launchType", "FARGATE"),
                (
                    "capacityProviderStrategy",
                    "[map[capacityProvider:FARGATE weight:1]]",
                ),
            ],
        )
        .unwrap_err();
        assert_eq!(field_of(&err), "resource.tags.capacityProviderStrategy");
    }

    #[test]
    fn spot_on_arm_has_no_rate_rather_than_a_guess() {
        let err = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[
                ("cpu", "1024"),
                ("memory", "2048"),
                ("runtimePlatform", "map[cpuArchitecture:ARM64]"),
                (
                    "capacityProviderStrategy",
                    "[map[capacityProvider:FARGATE_SPOT weight:1]]",
                ),
            ],
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                EstimateError::NoPrice {
                    kind: "ecs-service",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn estimate_cost_attributes_price_the_same() {
        let table = table(Region::UsEast1);
        let attrs = tags(&[
            ("cpu", "2048"),
            ("memory", "4096"),
            ("desiredCount", "1"),
            ("launchType", "FARGATE"),
        ]);
        let e = crate::estimate::estimate_attributes(&table, SERVICE, &attrs).unwrap();
        assert_usd(e.cost_per_month, 72.0802);
        let err = crate::estimate::estimate_attributes(&table, SERVICE, &tags(&[("cpu", "2048")]))
            .unwrap_err();
        assert_eq!(field_of(&err), "attributes.memory");
    }
}
