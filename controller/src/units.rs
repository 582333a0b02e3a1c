//! Task CPU and memory amounts in the units ECS stores (`"2 vCPU"` -> `"2048"`, `"4 GB"` ->
//! `"4096"`): a leaf [`crate::manifest`] (which refuses what is not an amount) and
//! [`crate::canon`] (which compares amounts) both use.

/// Normalizes a task CPU amount to CPU units: `"2048"`, `"2 vCPU"`, `"0.25 vcpu"`.
/// Returns `None` when the text is not a CPU amount.
#[must_use]
pub fn normalize_cpu(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(number) = t.strip_suffix("vcpu") {
        return scaled(number.trim(), 1024.0);
    }
    let number = t.strip_suffix("cpu units").unwrap_or(&t).trim();
    integral(number)
}

/// Normalizes a task memory amount to MiB: `"4096"`, `"4 GB"`, `"4GiB"`, `"512 MB"`.
/// Returns `None` when the text is not a memory amount.
#[must_use]
pub fn normalize_memory(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    for (suffix, factor) in [("gib", 1024.0), ("gb", 1024.0), ("mib", 1.0), ("mb", 1.0)] {
        if let Some(number) = t.strip_suffix(suffix) {
            return scaled(number.trim(), factor);
        }
    }
    integral(&t)
}

fn integral(text: &str) -> Option<String> {
    let n: u64 = text.parse().ok()?;
    (n > 0).then(|| n.to_string())
}

fn scaled(text: &str, factor: f64) -> Option<String> {
    let n: f64 = text.parse().ok()?;
    let value = n * factor;
    // Only whole units are valid; reject fractions and absurd values.
    if !((1.0..=16_777_216.0).contains(&value) && value.fract() == 0.0) {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "range and integrality checked above"
    )]
    let whole = value as u64;
    Some(whole.to_string())
}
