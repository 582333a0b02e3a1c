//! ECS on Fargate: task definitions (one running task) and services (their running tasks).
//!
//! A Fargate task bills its requested vCPU and GB per hour at the rates of its platform (Linux
//! x86, Linux ARM, or Windows, which adds an OS licence per vCPU-hour), plus ephemeral storage
//! above the 20 GiB every task gets. Properties, as Pulumi and the ECS API name them:
//!
//! - `cpu`: CPU units (`"2048"`) or vCPU (`"2 vCPU"`); `memory`: MiB (`"4096"`) or GB (`"4 GB"`).
//!   The pair must be a Fargate task size (see [`check_size`](size::check_size)), else
//!   `INVALID_ARGUMENT`.
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

mod placement;
mod rates;
mod size;

use std::borrow::Cow;

use self::placement::{desired_count, placement};
use self::rates::{on_demand_hourly, spot_hourly};
pub(crate) use self::size::linux_sizes;
use self::size::read_task;
use crate::estimate::{
    Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, qty, usd,
};
use crate::pricing::Service;
use crate::resource::clip;

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

#[cfg(test)]
mod tests;
