//! ElastiCache clusters: node-hours of one node type x nodes x 730, per engine
//! (redis, valkey, memcached).

use super::{Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, qty, usd};
use crate::pricing::Service;
use crate::resource::clip;

/// Prices an ElastiCache cluster.
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let props = &input.props;
    let mut defaults = Defaults::default();
    let node_type = input.require_sku(&["nodeType"], "node type")?;
    let engine = match props.text(&["engine"]).map(str::to_ascii_lowercase) {
        None => {
            defaults.config("engine", "redis");
            "redis"
        }
        Some(e) => match e.as_str() {
            "redis" => "redis",
            "valkey" => "valkey",
            "memcached" => "memcached",
            _ => {
                return Err(EstimateError::NoPrice {
                    kind: "elasticache",
                    item: format!("engine {}", clip(&e, 64)),
                });
            }
        },
    };
    let nodes = match props.number(&["numCacheNodes"])? {
        Some(n) => n,
        None => {
            defaults.config("num_cache_nodes", 1);
            1.0
        }
    };
    let hourly = input
        .table
        .price(Service::ElastiCache, &format!("node_{engine}:{node_type}"))
        .ok_or_else(|| EstimateError::UnknownSku {
            kind: "elasticache",
            sku: node_type.to_owned(),
        })?;
    let monthly = hourly * nodes * HOURS_PER_MONTH;
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "elasticache",
        sku: node_type.to_owned(),
        unit_price: hourly,
        unit: "hour",
        cost_per_month: monthly,
        billing_mode: "per_hour",
        billing_detail: format!(
            "{} x {node_type} {engine} {} USD/h x 730 h = {monthly:.2} USD/month",
            qty(nodes),
            usd(hourly)
        ),
        description: input.prose(|| format!("Amazon ElastiCache ({engine}) {node_type} cluster")),
        source: Source::Tables(&[Service::ElastiCache]),
        tiers: Vec::new(),
        assumptions: vec![
            "on-demand nodes running 730 hours a month; backups and data transfer not included"
                .into(),
        ],
        metric_hints: &[("node_hours", "hour")],
        defaults_applied,
        quality,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use crate::estimate::test_support::*;
    use crate::estimate::{EstimateError, Quality};
    use crate::region::Region;

    #[test]
    fn node_hours_per_engine() {
        let e = price(
            Region::UsEast1,
            "aws:elasticache/cluster:Cluster",
            "",
            &[
                ("nodeType", "cache.t3.micro"),
                ("engine", "redis"),
                ("numCacheNodes", "2"),
            ],
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.017);
        assert_usd(e.cost_per_month, 0.017 * 2.0 * 730.0);
        assert_eq!(e.quality, Quality::High);
        let e = price(Region::UsEast1, "elasticache", "cache.m5.large", &[]).unwrap();
        assert_eq!(e.unit_price, 0.156);
        assert_eq!(e.quality, Quality::Medium);
        let err = price(Region::UsEast1, "elasticache", "cache.zz.large", &[]).unwrap_err();
        assert!(matches!(
            err,
            EstimateError::UnknownSku {
                kind: "elasticache",
                ..
            }
        ));
        let err = price(
            Region::UsEast1,
            "elasticache",
            "cache.t3.micro",
            &[("engine", "etcd")],
        )
        .unwrap_err();
        assert!(matches!(err, EstimateError::NoPrice { .. }));
    }
}
