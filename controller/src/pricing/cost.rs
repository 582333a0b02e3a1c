//! The monthly cost of a service before and after a plan, and the plan's total: plain data the
//! report renders. A side that could not be priced is `None` and the reason is kept.

use serde::{Deserialize, Serialize};

/// Currency of every amount (the plugin prices in USD).
pub const CURRENCY: &str = "USD";

/// One service's monthly cost as it runs (`before`) and once the plan is applied (`after`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCost {
    /// Live monthly cost; 0 for a service that does not exist yet; `None` when unknown.
    pub before: Option<f64>,
    /// Monthly cost once applied; `None` when unknown.
    pub after: Option<f64>,
    /// `after - before`, when both are known.
    pub delta: Option<f64>,
    /// `USD`.
    pub currency: String,
    /// The plugin's `estimate_quality` (`high`, `medium`, `low`), the lower of both sides.
    pub quality: Option<String>,
    /// Why a side is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
    /// What the plugin recommends for the service as its manifest wants it, cheapest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub savings: Vec<Saving>,
}

/// One recommendation of the plugin: a change of the manifest and what it would save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Saving {
    /// The plugin's stable id (what `ecs.finfocus.io/dismissed-recommendations` lists).
    pub id: String,
    /// What to change, in the plugin's words.
    pub description: String,
    /// USD per month saved: the difference of the plugin's two monthly prices.
    pub monthly: f64,
    /// Whether the change needs arm64 images of the containers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_arm64_images: bool,
}

impl ServiceCost {
    /// A cost from both sides, rounded to cents.
    #[must_use]
    pub fn new(before: Option<f64>, after: Option<f64>) -> Self {
        let before = before.map(cents);
        let after = after.map(cents);
        Self {
            before,
            after,
            delta: before.zip(after).map(|(b, a)| cents(a - b)),
            currency: CURRENCY.to_owned(),
            quality: None,
            unknown: None,
            savings: Vec::new(),
        }
    }

    /// Whether both sides are known.
    #[must_use]
    pub fn is_known(&self) -> bool {
        self.delta.is_some()
    }
}

/// The sum over every service whose cost is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostTotal {
    /// Sum of `before`.
    pub before: f64,
    /// Sum of `after`.
    pub after: f64,
    /// `after - before`.
    pub delta: f64,
    /// `USD`.
    pub currency: String,
    /// Services left out because their cost is unknown.
    pub unknown: usize,
    /// Sum over services of each one's largest monthly saving.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub savings: f64,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl CostTotal {
    /// Sums `costs`; unknown ones are counted, not added.
    #[must_use]
    pub fn of<'a>(costs: impl IntoIterator<Item = &'a ServiceCost>) -> Self {
        let (mut before, mut after, mut unknown, mut savings) = (0.0, 0.0, 0, 0.0);
        for c in costs {
            // Recommendations of one service overlap (ARM64 at a smaller size is not the sum of
            // both savings), so each service counts its largest one.
            savings += c.savings.iter().map(|s| s.monthly).fold(0.0, f64::max);
            match (c.before, c.after) {
                (Some(b), Some(a)) => {
                    before += b;
                    after += a;
                }
                _ => unknown += 1,
            }
        }
        Self {
            before: cents(before),
            after: cents(after),
            delta: cents(after - before),
            currency: CURRENCY.to_owned(),
            unknown,
            savings: cents(savings),
        }
    }
}

/// Rounded to cents (what every rendering shows), so sums and deltas agree with the text.
#[must_use]
pub fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

/// `72.08 -> 144.16 USD/month (+72.08)`, or what is unknown.
#[must_use]
pub fn describe(cost: &ServiceCost) -> String {
    match (cost.before, cost.after) {
        (Some(b), Some(a)) => format!(
            "{b:.2} -> {a:.2} {}/month ({})",
            cost.currency,
            signed(a - b)
        ),
        _ => format!(
            "unknown ({})",
            cost.unknown.as_deref().unwrap_or("no price")
        ),
    }
}

/// `+72.08`, `-36.04` or `+0.00`.
#[must_use]
pub fn signed(delta: f64) -> String {
    let d = cents(delta);
    if d < 0.0 {
        format!("{d:.2}")
    } else {
        format!("+{:.2}", d.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_and_totals_are_in_cents() {
        let doubled = ServiceCost::new(Some(72.0802), Some(144.1604));
        assert_eq!(describe(&doubled), "72.08 -> 144.16 USD/month (+72.08)");
        let new = ServiceCost::new(Some(0.0), Some(36.0401));
        let mut unknown = ServiceCost::new(Some(10.0), None);
        unknown.unknown = Some("no plugin".into());
        assert_eq!(describe(&unknown), "unknown (no plugin)");
        let total = CostTotal::of([&doubled, &new, &unknown]);
        assert_eq!(total.before, 72.08);
        assert_eq!(total.after, 180.2);
        assert_eq!(total.delta, 108.12);
        assert_eq!(total.unknown, 1);
        assert_eq!(total.savings, 0.0);
        // A service's recommendations overlap: the total takes the largest of each.
        let saving = |monthly: f64| Saving {
            id: format!("id-{monthly}"),
            description: String::new(),
            monthly,
            needs_arm64_images: false,
        };
        let mut both = doubled.clone();
        both.savings = vec![saving(36.85), saving(28.82)];
        let mut one = new.clone();
        one.savings = vec![saving(1.5)];
        assert_eq!(CostTotal::of([&both, &one]).savings, 38.35);
        assert_eq!(signed(-36.04), "-36.04");
        assert_eq!(signed(-0.001), "+0.00");
    }
}
