//! EKS clusters: the control-plane hourly fee x 730.
//!
//! Extended support (a Kubernetes version past standard support) adds its own hourly fee on top
//! of the standard one. Whether a cluster is in extended support depends on its version's
//! calendar, not on its properties (`upgradePolicy` only allows it), so it is charged only when
//! the tag `extendedSupport` is true. Worker nodes and Fargate pods are priced separately.

use super::{Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, usd};
use crate::pricing::Service;

/// Prices an EKS cluster.
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let mut defaults = Defaults::default();
    let extended = match input.props.flag(&["extendedSupport"])? {
        Some(e) => e,
        None => {
            defaults.config("extended_support", false);
            false
        }
    };
    let standard = input.rate(Service::Eks, "cluster_standard_support")?;
    let mut hourly = standard;
    let mut detail = format!("cluster {} USD/h", usd(standard));
    if extended {
        let extra = input.rate(Service::Eks, "cluster_extended_support")?;
        hourly += extra;
        detail += &format!(" + extended support {} USD/h", usd(extra));
    }
    let monthly = hourly * HOURS_PER_MONTH;
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "eks",
        sku: if extended {
            "extended-support"
        } else {
            "standard-support"
        }
        .to_owned(),
        unit_price: hourly,
        unit: "hour",
        cost_per_month: monthly,
        billing_mode: "per_hour",
        billing_detail: format!("{detail} x 730 h = {monthly:.2} USD/month"),
        description: input.prose(|| "Amazon EKS cluster control plane".to_owned()),
        source: Source::Tables(&[Service::Eks]),
        tiers: Vec::new(),
        assumptions: vec!["worker nodes, Fargate pods and add-ons are priced separately".into()],
        metric_hints: &[("cluster_hours", "hour")],
        defaults_applied,
        quality,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use crate::estimate::test_support::*;
    use crate::region::Region;

    #[test]
    fn standard_and_extended_support() {
        let e = price(Region::UsEast1, "aws:eks/cluster:Cluster", "", &[]).unwrap();
        assert_eq!(e.unit_price, 0.1);
        assert_usd(e.cost_per_month, 73.0);
        let e = price(Region::UsEast1, "eks", "", &[("extendedSupport", "true")]).unwrap();
        assert_usd(e.unit_price, 0.6);
        assert_usd(e.cost_per_month, 438.0);
        assert!(e.defaults_applied.is_empty());
    }
}
