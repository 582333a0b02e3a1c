//! Elastic Load Balancing: the load balancer's hourly fee x 730, plus its usage.
//!
//! Application, Network and Gateway Load Balancers also bill capacity units (LCU, NLCU, GLCU)
//! per hour; how many depends on traffic, so the average per hour comes from the property
//! `capacityUnits` and defaults to one (a usage assumption: quality `low`). A Classic Load
//! Balancer bills each GB it processes instead (`dataProcessedGb`, default 0).
//!
//! The type is fixed by the resource type (`aws:elb/...` is Classic, `alb`, `nlb`, `gwlb`, `clb`)
//! or read from `loadBalancerType` (`application`, the AWS default, `network`, `gateway`).

use super::{Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, qty, usd};
use crate::pricing::Service;
use crate::resource::LbType;

/// Names of the average capacity units per hour.
const CAPACITY_UNITS: &[&str] = &["capacityUnits", "lcu", "lcus", "nlcu", "glcu"];

/// The rates and words of one load balancer type.
struct Flavour {
    sku: &'static str,
    hour_item: &'static str,
    /// Item and unit of the usage rate.
    usage_item: &'static str,
    usage_unit: &'static str,
    description: &'static str,
}

const APPLICATION: Flavour = Flavour {
    sku: "application",
    hour_item: "alb_hour",
    usage_item: "alb_lcu",
    usage_unit: "LCU",
    description: "Application Load Balancer",
};
const NETWORK: Flavour = Flavour {
    sku: "network",
    hour_item: "nlb_hour",
    usage_item: "nlb_nlcu",
    usage_unit: "NLCU",
    description: "Network Load Balancer",
};
const GATEWAY: Flavour = Flavour {
    sku: "gateway",
    hour_item: "gwlb_hour",
    usage_item: "gwlb_glcu",
    usage_unit: "GLCU",
    description: "Gateway Load Balancer",
};
const CLASSIC: Flavour = Flavour {
    sku: "classic",
    hour_item: "clb_hour",
    usage_item: "clb_data_processed",
    usage_unit: "GB",
    description: "Classic Load Balancer",
};

/// Prices a load balancer of type `lb`.
pub(crate) fn estimate(input: &Input<'_>, lb: LbType) -> Result<Estimate, EstimateError> {
    let flavour = flavour(input, lb)?;
    let mut defaults = Defaults::default();
    let hourly = input.rate(Service::Elb, flavour.hour_item)?;
    let usage_rate = input.rate(Service::Elb, flavour.usage_item)?;
    let hours = hourly * HOURS_PER_MONTH;
    let classic = flavour.sku == "classic";
    let (usage_cost, usage_text) = if classic {
        let gb = match input.props.number(&["dataProcessedGb", "dataGb"])? {
            Some(gb) => gb,
            None => {
                defaults.usage("data_processed_gb", 0);
                0.0
            }
        };
        (
            gb * usage_rate,
            format!("{} GB processed x {} USD/GB", qty(gb), usd(usage_rate)),
        )
    } else {
        let units = match input.props.number(CAPACITY_UNITS)? {
            Some(units) => units,
            None => {
                defaults.usage("capacity_units", 1);
                1.0
            }
        };
        (
            units * usage_rate * HOURS_PER_MONTH,
            format!(
                "{} {} x {} USD/{}-hour x 730 h",
                qty(units),
                flavour.usage_unit,
                usd(usage_rate),
                flavour.usage_unit
            ),
        )
    };
    let monthly = hours + usage_cost;
    let (defaults_applied, quality) = defaults.into_parts();
    let assumptions = if input.prose {
        let usage = if classic {
            "GB processed are billed as given (dataProcessedGb, default 0)"
        } else {
            "capacity units are the average per hour (capacityUnits, default 1); the real count follows traffic"
        };
        vec![
            "running 730 hours a month".into(),
            usage.into(),
            "data transfer and public IPv4 addresses are billed separately".into(),
        ]
    } else {
        Vec::new()
    };
    Ok(Estimate {
        kind: "elb",
        sku: flavour.sku.to_owned(),
        unit_price: hourly,
        unit: "hour",
        cost_per_month: monthly,
        billing_mode: "per_hour",
        billing_detail: format!(
            "{} {} USD/h x 730 h = {hours:.2} USD + {usage_text} = {:.2} USD = {monthly:.2} USD/month",
            flavour.description,
            usd(hourly),
            usage_cost
        ),
        description: input.prose(|| format!("Elastic Load Balancing {}", flavour.description)),
        source: Source::Tables(&[Service::Elb]),
        tiers: Vec::new(),
        assumptions,
        metric_hints: if classic {
            &[("load_balancer_hours", "hour"), ("data_processed_gb", "GB")]
        } else {
            &[
                ("load_balancer_hours", "hour"),
                ("capacity_units", "unit-hour"),
            ]
        },
        defaults_applied,
        quality,
    })
}

/// The load balancer type: fixed by the resource type, or `loadBalancerType`.
fn flavour(input: &Input<'_>, lb: LbType) -> Result<&'static Flavour, EstimateError> {
    let fixed = match lb {
        LbType::FromProperty => None,
        LbType::Application => Some(&APPLICATION),
        LbType::Network => Some(&NETWORK),
        LbType::Gateway => Some(&GATEWAY),
        LbType::Classic => Some(&CLASSIC),
    };
    let Some((key, value)) = input.props.find(&["loadBalancerType"]) else {
        return Ok(fixed.unwrap_or(&APPLICATION));
    };
    let named = match value.trim().to_ascii_lowercase().as_str() {
        "application" => &APPLICATION,
        "network" => &NETWORK,
        "gateway" => &GATEWAY,
        "classic" => &CLASSIC,
        _ => {
            return Err(input.props.invalid(
                key,
                value,
                "expected application, network, gateway or classic",
            ));
        }
    };
    match fixed {
        Some(f) if f.sku != named.sku => Err(input.props.invalid(
            key,
            value,
            &format!("the resource type names a {} load balancer", f.sku),
        )),
        _ => Ok(named),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use std::collections::HashMap;

    use crate::estimate::test_support::*;
    use crate::estimate::{EstimateError, Quality};
    use crate::region::Region;

    #[test]
    fn alb_defaults_to_one_lcu_and_says_so() {
        let e = price(Region::UsEast1, "aws:lb/loadBalancer:LoadBalancer", "", &[]).unwrap();
        assert_eq!(e.kind, "elb");
        assert_eq!(e.sku, "application");
        assert_eq!(e.unit_price, 0.0225);
        assert_usd(e.cost_per_month, 0.0225 * 730.0 + 0.008 * 730.0);
        assert_eq!(e.cost_per_month, 22.265);
        assert_eq!(e.quality, Quality::Low);
        let meta: HashMap<_, _> = e.metadata().into_iter().collect();
        assert_eq!(meta["defaults_applied"], "capacity_units=1");
        assert_eq!(meta["estimate_quality"], "low");
        assert!(
            e.billing_detail
                .starts_with("Application Load Balancer 0.0225 USD/h x 730 h = ")
                && e.billing_detail
                    .contains("+ 1 LCU x 0.008 USD/LCU-hour x 730 h = 5.84 USD"),
            "{}",
            e.billing_detail
        );
    }

    #[test]
    fn nlb_and_gateway_with_given_capacity_units() {
        let e = price(
            Region::UsEast1,
            "aws:lb/loadBalancer:LoadBalancer",
            "",
            &[("loadBalancerType", "network"), ("capacityUnits", "10")],
        )
        .unwrap();
        assert_eq!(e.sku, "network");
        assert_usd(e.cost_per_month, 0.0225 * 730.0 + 10.0 * 0.006 * 730.0);
        assert_eq!(e.quality, Quality::High);
        assert!(e.defaults_applied.is_empty());
        let e = price(Region::EuWest1, "gwlb", "", &[("capacityUnits", "2")]).unwrap();
        assert_eq!(e.unit_price, 0.014);
        assert_usd(e.cost_per_month, 0.014 * 730.0 + 2.0 * 0.004 * 730.0);
    }

    #[test]
    fn classic_bills_hours_and_gb_processed() {
        let e = price(
            Region::UsEast1,
            "aws:elb/loadBalancer:LoadBalancer",
            "",
            &[],
        )
        .unwrap();
        assert_eq!(e.sku, "classic");
        assert_eq!(e.unit_price, 0.025);
        assert_usd(e.cost_per_month, 18.25);
        assert_eq!(e.quality, Quality::Low);
        let e = price(Region::SaEast1, "clb", "", &[("dataProcessedGb", "100")]).unwrap();
        assert_usd(e.cost_per_month, 0.034 * 730.0 + 100.0 * 0.011);
        assert_eq!(e.quality, Quality::High);
    }

    #[test]
    fn every_region_answers_its_own_hourly_rate() {
        // elb.csv alb_hour per region.
        let expected = [
            (Region::UsEast1, 0.0225),
            (Region::UsWest2, 0.0225),
            (Region::EuWest1, 0.0252),
            (Region::ApSoutheast1, 0.0252),
            (Region::ApSoutheast2, 0.0252),
            (Region::ApNortheast1, 0.0243),
            (Region::ApSouth1, 0.0239),
            (Region::CaCentral1, 0.02475),
            (Region::SaEast1, 0.034),
            (Region::UsGovWest1, 0.032),
            (Region::UsGovEast1, 0.032),
            (Region::UsWest1, 0.0252),
        ];
        for (region, hourly) in expected {
            let e = price(region, "alb", "", &[("capacityUnits", "0")]).unwrap();
            assert_eq!(e.unit_price, hourly, "{region}");
            assert_usd(e.cost_per_month, hourly * 730.0);
        }
    }

    #[test]
    fn bad_type_and_units_name_the_field() {
        let err = price(
            Region::UsEast1,
            "aws:lb/loadBalancer:LoadBalancer",
            "",
            &[("loadBalancerType", "fancy")],
        )
        .unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.tags.loadBalancerType"),
            "{err:?}"
        );
        let err = price(
            Region::UsEast1,
            "alb",
            "",
            &[("loadBalancerType", "network")],
        )
        .unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.tags.loadBalancerType"),
            "{err:?}"
        );
        let err = price(Region::UsEast1, "nlb", "", &[("capacityUnits", "-1")]).unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.tags.capacityUnits"),
            "{err:?}"
        );
    }
}
