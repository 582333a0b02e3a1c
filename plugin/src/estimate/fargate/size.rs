//! Reading a task's size and platform from its properties, checked against the Fargate task sizes.

use super::{Arch, FREE_STORAGE_GIB, MAX_STORAGE_GIB, MIN_STORAGE_GIB, Os, Task};
use crate::estimate::{EstimateError, Input};
use crate::resource::Props;

/// Reads and checks what one task requests.
pub(super) fn read_task(input: &Input<'_>) -> Result<Task, EstimateError> {
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
const GB: u32 = 1024;
/// (cpu units, smallest MiB, largest MiB, step MiB); 256 units allow 512 MiB, 1 GB, 2 GB.
const SIZES: [(u32, u32, u32, u32); 7] = [
    (256, 512, 2 * GB, 0),
    (512, GB, 4 * GB, GB),
    (1024, 2 * GB, 8 * GB, GB),
    (2048, 4 * GB, 16 * GB, GB),
    (4096, 8 * GB, 30 * GB, GB),
    (8192, 16 * GB, 60 * GB, 4 * GB),
    (16384, 32 * GB, 120 * GB, 8 * GB),
];

/// Every Linux Fargate task size as (CPU units, MiB), smallest CPU first.
pub(crate) fn linux_sizes() -> Vec<(u32, u32)> {
    SIZES
        .iter()
        .flat_map(|&(cpu, low, high, step)| {
            let mibs: Vec<u32> = if step == 0 {
                vec![512, GB, 2 * GB]
            } else {
                (low..=high).step_by(step as usize).collect()
            };
            mibs.into_iter().map(move |mib| (cpu, mib))
        })
        .collect()
}

pub(super) fn check_size(cpu: u32, mib: u32, os: Os) -> Result<(), (bool, String)> {
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
