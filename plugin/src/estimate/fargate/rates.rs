//! Hourly rates of one task: on demand (per platform) and Fargate Spot.

use super::{Arch, Os, Task};
use crate::estimate::{EstimateError, Input, qty, usd};
use crate::pricing::Service;

/// On-demand USD per hour of one task, and its arithmetic.
pub(super) fn on_demand_hourly(
    input: &Input<'_>,
    task: &Task,
) -> Result<(f64, String), EstimateError> {
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
pub(super) fn spot_hourly(input: &Input<'_>, task: &Task) -> Result<f64, EstimateError> {
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
