//! NAT gateways: hourly fee x 730 plus each GB processed (`dataProcessedGb`, default 0).

use super::{Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, qty, usd};
use crate::pricing::Service;

/// Prices a NAT gateway.
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let mut defaults = Defaults::default();
    let gb = match input.props.number(&["dataProcessedGb", "dataGb"])? {
        Some(gb) => gb,
        None => {
            defaults.usage("data_processed_gb", 0);
            0.0
        }
    };
    let hourly = input.rate(Service::NatGateway, "nat_gateway_hour")?;
    let per_gb = input.rate(Service::NatGateway, "nat_gateway_data_processed")?;
    let hours = hourly * HOURS_PER_MONTH;
    let monthly = hours + gb * per_gb;
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "natgateway",
        sku: String::new(),
        unit_price: hourly,
        unit: "hour",
        cost_per_month: monthly,
        billing_mode: "per_hour",
        billing_detail: format!(
            "{} USD/h x 730 h = {hours:.2} USD + {} GB processed x {} USD/GB = {monthly:.2} USD/month",
            usd(hourly),
            qty(gb),
            usd(per_gb)
        ),
        description: input.prose(|| "Amazon VPC NAT gateway".to_owned()),
        source: Source::Tables(&[Service::NatGateway]),
        tiers: Vec::new(),
        assumptions: vec!["data transfer out of AWS is billed separately".into()],
        metric_hints: &[("gateway_hours", "hour"), ("data_processed_gb", "GB")],
        defaults_applied,
        quality,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use crate::estimate::Quality;
    use crate::estimate::test_support::*;
    use crate::region::Region;

    #[test]
    fn hours_and_data() {
        let e = price(Region::UsEast1, "aws:ec2/natGateway:NatGateway", "", &[]).unwrap();
        assert_eq!(e.unit_price, 0.045);
        assert_usd(e.cost_per_month, 0.045 * 730.0);
        assert_eq!(e.quality, Quality::Low);
        let e = price(
            Region::UsEast1,
            "natgateway",
            "",
            &[("dataProcessedGb", "100")],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 0.045 * 730.0 + 4.5);
        assert_eq!(e.quality, Quality::High);
    }
}
