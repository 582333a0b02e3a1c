//! Budgets: a service's `ecs.finfocus.io/max-monthly-cost` holds back a change that would raise
//! its monthly cost above it, and `plan --max-cost-increase` gates a plan's total increase.
//!
//! Pure: it reads the costs [`super::Pricer`] found and edits the plan before it is applied. A
//! cost that is unknown never blocks anything (pricing never fails a plan).

use super::Costs;
use super::cost::{CostTotal, ServiceCost};
use crate::manifest::{Kind, ManifestSet};
use crate::plan::Plan;
use crate::status::{Condition, Status};

/// Condition type (and reason) of a change held back by its budget.
pub const BUDGET_EXCEEDED: &str = "BudgetExceeded";

/// Holds back the changes of every service whose cost would rise above its budget: the
/// resource becomes `Error` with a `BudgetExceeded` condition naming both amounts, and its
/// actions are dropped. Returns how many were held back.
pub fn enforce(plan: &mut Plan, set: &ManifestSet, costs: &Costs) -> usize {
    let mut held = 0;
    for rp in &mut plan.resources {
        if rp.key.kind != Kind::EcsService || rp.actions.is_empty() {
            continue;
        }
        let Some(budget) = set.get(&rp.key).and_then(|r| r.max_monthly_cost) else {
            continue;
        };
        let Some(cost) = costs.get(&rp.key.to_string()) else {
            continue;
        };
        if let Some(message) = breach(cost, budget.usd()) {
            rp.status = Status::Error;
            rp.actions.clear();
            rp.blocked = Some(message.clone());
            rp.conditions.push(Condition::new(
                BUDGET_EXCEEDED,
                false,
                BUDGET_EXCEEDED,
                message,
            ));
            held += 1;
        }
    }
    held
}

/// Why `cost` breaks `budget`, if it does: known, above the budget, and higher than now (a
/// change that lowers an over-budget service is let through).
fn breach(cost: &ServiceCost, budget: f64) -> Option<String> {
    let (before, after) = (cost.before?, cost.after?);
    (after > budget && after > before).then(|| {
        format!(
            "the change would raise the monthly cost to {after:.2} {cur}, above the budget of \
             {budget:.2} {cur} (ecs.finfocus.io/max-monthly-cost); it is not applied",
            cur = cost.currency
        )
    })
}

/// The plan's total increase when it is above `max` (the `--max-cost-increase` gate).
#[must_use]
pub fn increase_above(costs: &Costs, max: f64) -> Option<f64> {
    let total = CostTotal::of(costs.values());
    (total.delta > max).then_some(total.delta)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn only_a_known_rise_above_the_budget_breaks_it() {
        let rise = ServiceCost::new(Some(72.08), Some(144.16));
        let message = breach(&rise, 100.0).unwrap_or_default();
        assert!(message.contains("144.16 USD"), "{message}");
        assert!(message.contains("budget of 100.00 USD"), "{message}");
        assert_eq!(breach(&rise, 150.0), None);
        // Lowering an over-budget service is allowed; unknown never blocks.
        assert_eq!(
            breach(&ServiceCost::new(Some(300.0), Some(200.0)), 100.0),
            None
        );
        assert_eq!(breach(&ServiceCost::new(Some(0.0), None), 100.0), None);
    }

    #[test]
    fn budgets_parse_as_usd_with_cents() {
        use crate::manifest::MonthlyBudget;
        let usd = |s: &str| MonthlyBudget::parse(s).map(MonthlyBudget::usd);
        assert_eq!(usd("100"), Some(100.0));
        assert_eq!(usd("72.5"), Some(72.5));
        assert_eq!(usd("0.07"), Some(0.07));
        for bad in [
            "",
            "-1",
            "1e3",
            "1.234",
            "ten",
            ".5",
            "1.",
            "1000000000",
            "NaN",
        ] {
            assert_eq!(usd(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_bad_budget_annotation_is_a_manifest_error_naming_it() {
        let doc = |budget: &str| {
            format!(
                "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata:
  name: c
  annotations: {{ecs.finfocus.io/max-monthly-cost: \"{budget}\"}}
spec: {{}}
"
            )
        };
        let set = crate::manifest::load_str("c.yaml", &doc("100.50")).unwrap_or_default();
        let budget = set.resources()[0].max_monthly_cost.map(|b| b.usd());
        assert_eq!(budget, Some(100.5));
        let errors = crate::manifest::load_str("c.yaml", &doc("ten")).unwrap_err();
        assert_eq!(
            errors[0].field.as_deref(),
            Some("metadata.annotations.ecs.finfocus.io/max-monthly-cost")
        );
        assert!(
            errors[0].message.contains("found `ten`"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn the_gate_compares_the_total_increase() {
        let costs: Costs = [
            ("a".to_owned(), ServiceCost::new(Some(72.08), Some(144.16))),
            ("b".to_owned(), ServiceCost::new(Some(0.0), Some(10.0))),
            ("c".to_owned(), ServiceCost::new(Some(5.0), None)),
        ]
        .into();
        assert_eq!(increase_above(&costs, 50.0), Some(82.08));
        assert_eq!(increase_above(&costs, 82.08), None);
    }
}
