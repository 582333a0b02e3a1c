//! EBS volumes: storage per GB-month, plus provisioned performance where AWS bills it:
//! gp3 IOPS above the free 3000 baseline and throughput above the free 125 MiB/s, io1 IOPS, and
//! io2 IOPS in three volume tiers (up to 32,000; 32,001-64,000; above 64,000).
//!
//! The feed prices gp3 throughput per GiBps-month (40.96 in us-east-1); one MiB/s costs
//! 1/1024 of that (0.04). [`price_volume`] is shared with EC2 root and block-device volumes.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{Cents, Defaults, Estimate, EstimateError, Input, Source, Tier, Usd, qty};
use crate::pricing::Service;

/// Volume types AWS sells; a known type missing from a region's table is `NoPrice`.
const KNOWN_TYPES: [&str; 7] = ["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"];
/// Free gp3 performance included in the storage price.
const GP3_FREE_IOPS: f64 = 3000.0;
const GP3_FREE_MIBPS: f64 = 125.0;
/// MiB/s per GiB/s, to turn the feed's GiBps-month throughput rate into a MiB/s rate.
const MIB_PER_GIB: f64 = 1024.0;
/// io1/io2 need an IOPS figure; when absent we assume the smallest AWS accepts.
const MIN_PIOPS: f64 = 100.0;
/// EBS size when none is given (the size AWS proposes for a new root volume).
pub(crate) const DEFAULT_SIZE_GB: f64 = 8.0;
/// EBS type when none is given (the CreateVolume API default).
pub(crate) const DEFAULT_TYPE: &str = "gp2";

/// A volume to price.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Volume<'a> {
    /// Lower-case type; borrowed unless it had to be lower-cased.
    pub volume_type: Cow<'a, str>,
    pub size_gb: f64,
    pub iops: Option<f64>,
    pub throughput_mibps: Option<f64>,
}

/// `volume_type` in lower case, borrowing it when it already is.
pub(crate) fn lower(volume_type: &str) -> Cow<'_, str> {
    if volume_type.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(volume_type.to_ascii_lowercase())
    } else {
        Cow::Borrowed(volume_type)
    }
}

/// Performance billed on top of storage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Extra {
    /// gp3 IOPS above the free baseline, at `rate` USD per IOPS-month.
    Gp3Iops { above: f64, rate: f64 },
    /// gp3 throughput above the free baseline, at `rate` USD per MiBps-month.
    Gp3Throughput { above: f64, rate: f64 },
    /// io1 provisioned IOPS at `rate` USD per IOPS-month.
    Piops { iops: f64, rate: f64 },
    /// io2 provisioned IOPS across the volume tiers, `cost` USD in all.
    TieredIops { iops: f64, cost: f64 },
}

/// A priced volume. Its arithmetic is written out by [`Priced::detail`] only for answers that
/// show it (an EC2 instance's root volume does not).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Priced {
    /// USD per GB-month of storage.
    pub storage_rate: f64,
    /// USD per month, storage plus performance.
    pub monthly: f64,
    /// Performance charges, in billing order.
    pub extras: Vec<Extra>,
    /// io2 IOPS tiers, else empty.
    pub tiers: Vec<Tier>,
    pub assumptions: Vec<Cow<'static, str>>,
}

impl Priced {
    /// `100 GB gp3 x 0.08 USD/GB-month + 1000 IOPS above 3000 x 0.005 USD/IOPS-month ...`.
    pub(crate) fn detail(&self, vol: &Volume<'_>) -> String {
        let mut out = format!(
            "{} GB {} x {} USD/GB-month",
            Usd(vol.size_gb),
            vol.volume_type,
            Usd(self.storage_rate)
        );
        for extra in &self.extras {
            // Writing to a String cannot fail.
            let _ = match *extra {
                Extra::Gp3Iops { above, rate } => write!(
                    out,
                    " + {} IOPS above {GP3_FREE_IOPS} x {} USD/IOPS-month",
                    Usd(above),
                    Usd(rate)
                ),
                Extra::Gp3Throughput { above, rate } => write!(
                    out,
                    " + {} MiB/s above {GP3_FREE_MIBPS} x {} USD/MiBps-month",
                    Usd(above),
                    Usd(rate)
                ),
                Extra::Piops { iops, rate } => {
                    write!(out, " + {} IOPS x {} USD/IOPS-month", Usd(iops), Usd(rate))
                }
                Extra::TieredIops { iops, cost } => {
                    write!(out, " + {} IOPS tiered = {} USD", Usd(iops), Usd(cost))
                }
            };
        }
        out
    }
}

/// Prices one volume. `label` prefixes default names (`root_volume_` for EC2).
pub(crate) fn price_volume(
    input: &Input<'_>,
    vol: &Volume<'_>,
    defaults: &mut Defaults,
    label: &str,
) -> Result<Priced, EstimateError> {
    let t = &*vol.volume_type;
    let storage_rate = match input.table.price(Service::Ebs, t) {
        Some(rate) => rate,
        None if KNOWN_TYPES.contains(&t) => {
            return Err(EstimateError::NoPrice {
                kind: "ebs",
                item: format!("{t} volume storage"),
            });
        }
        None => {
            return Err(EstimateError::UnknownSku {
                kind: "ebs",
                sku: t.to_owned(),
            });
        }
    };
    let mut monthly = storage_rate * vol.size_gb;
    let mut extras = Vec::new();
    let mut tiers = Vec::new();
    let mut assumptions = Vec::new();
    let extra = |item: &str| input.rate(Service::EbsExtras, item);
    match t {
        "gp3" => {
            let iops = vol.iops.unwrap_or(GP3_FREE_IOPS);
            if iops > GP3_FREE_IOPS {
                let rate = extra("gp3_iops")?;
                let above = iops - GP3_FREE_IOPS;
                monthly += above * rate;
                extras.push(Extra::Gp3Iops { above, rate });
            }
            let mibps = vol.throughput_mibps.unwrap_or(GP3_FREE_MIBPS);
            if mibps > GP3_FREE_MIBPS {
                let rate = extra("gp3_throughput")? / MIB_PER_GIB;
                let above = mibps - GP3_FREE_MIBPS;
                monthly += above * rate;
                extras.push(Extra::Gp3Throughput { above, rate });
            }
            assumptions.push("gp3 includes 3000 IOPS and 125 MiB/s at no charge".into());
        }
        "io1" | "io2" => {
            let iops = match vol.iops {
                Some(iops) => iops,
                None => {
                    defaults.config(format!("{label}iops"), MIN_PIOPS);
                    MIN_PIOPS
                }
            };
            if t == "io1" {
                let rate = extra("io1_iops")?;
                monthly += iops * rate;
                extras.push(Extra::Piops { iops, rate });
            } else {
                let bands = [
                    (
                        Some(32_000.0),
                        extra("io2_iops_tier1_first_32000")?,
                        "first 32,000 IOPS",
                    ),
                    (
                        Some(64_000.0),
                        extra("io2_iops_tier2_32001_64000")?,
                        "IOPS 32,001-64,000",
                    ),
                    (
                        None,
                        extra("io2_iops_tier3_over_64000")?,
                        "IOPS above 64,000",
                    ),
                ];
                let spec: Vec<(Option<f64>, f64)> =
                    bands.iter().map(|(u, r, _)| (*u, *r)).collect();
                let cost = super::tiered_cost(iops, &spec);
                monthly += cost;
                extras.push(Extra::TieredIops { iops, cost });
                let mut lower = 0.0;
                for (upper, rate, what) in bands {
                    tiers.push(Tier {
                        min_quantity: lower,
                        max_quantity: upper.unwrap_or(0.0),
                        rate_per_unit: rate,
                        description: format!("io2 {what}, USD per IOPS-month"),
                    });
                    lower = upper.unwrap_or(0.0);
                }
            }
        }
        "standard" => {
            assumptions.push("magnetic volume I/O request charges are not included".into())
        }
        "gp2" if vol.iops.is_some() => {
            assumptions.push("gp2 performance is included in the storage price".into())
        }
        _ => {}
    }
    Ok(Priced {
        storage_rate,
        monthly,
        extras,
        tiers,
        assumptions,
    })
}

/// Prices an EBS volume (`aws:ebs/volume:Volume` or `ebs`).
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let mut defaults = Defaults::default();
    let props = &input.props;
    let volume_type = match input.sku_from(&["type", "volumeType"])? {
        Some(t) => lower(t),
        None => {
            defaults.config("volume_type", DEFAULT_TYPE);
            Cow::Borrowed(DEFAULT_TYPE)
        }
    };
    let size_gb = match props.number(&["size", "volumeSize"])? {
        Some(size) => size,
        None => {
            defaults.config("size_gb", DEFAULT_SIZE_GB);
            DEFAULT_SIZE_GB
        }
    };
    let vol = Volume {
        volume_type,
        size_gb,
        iops: props.number(&["iops"])?,
        throughput_mibps: props.number(&["throughput"])?,
    };
    let priced = price_volume(input, &vol, &mut defaults, "")?;
    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "ebs",
        billing_detail: format!(
            "{} = {} USD/month",
            priced.detail(&vol),
            Cents(priced.monthly)
        ),
        description: input.prose(|| {
            format!(
                "Amazon EBS {} volume, {} GB",
                vol.volume_type,
                qty(vol.size_gb)
            )
        }),
        sku: vol.volume_type.into_owned(),
        unit_price: priced.storage_rate,
        unit: "GB-month",
        cost_per_month: priced.monthly,
        billing_mode: "per_gb_month",
        source: Source::Tables(&[Service::Ebs, Service::EbsExtras]),
        tiers: priced.tiers,
        assumptions: priced.assumptions,
        metric_hints: &[("storage_gb", "GB-month")],
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
    fn storage_rates_from_the_feed() {
        let e = price(
            Region::UsEast1,
            "aws:ebs/volume:Volume",
            "gp3",
            &[("size", "100")],
        )
        .unwrap();
        assert_eq!(e.unit_price, 0.08);
        assert_usd(e.cost_per_month, 8.0);
        assert_eq!(e.quality, Quality::High);
        let e = price(
            Region::UsEast1,
            "ebs",
            "",
            &[("type", "st1"), ("size", "500")],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 500.0 * 0.045);
        let e = price(
            Region::UsEast1,
            "ebs",
            "",
            &[("volumeType", "sc1"), ("volumeSize", "1000")],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 15.0);
    }

    #[test]
    fn defaults_are_8_gb_gp2() {
        let e = price(Region::UsEast1, "ebs", "", &[]).unwrap();
        assert_eq!(e.sku, "gp2");
        assert_usd(e.cost_per_month, 0.8);
        assert_eq!(e.quality, Quality::Medium);
        assert_eq!(
            e.defaults_applied,
            vec![
                ("volume_type".into(), "gp2".into()),
                ("size_gb".into(), "8".into())
            ]
        );
    }

    #[test]
    fn gp3_performance_above_baseline() {
        // 40.96 USD per GiBps-month = 0.04 per MiB/s-month.
        let e = price(
            Region::UsEast1,
            "ebs",
            "gp3",
            &[("size", "100"), ("iops", "5000"), ("throughput", "250")],
        )
        .unwrap();
        assert_usd(
            e.cost_per_month,
            100.0 * 0.08 + 2000.0 * 0.005 + 125.0 * 0.04,
        );
        let baseline = price(
            Region::UsEast1,
            "ebs",
            "gp3",
            &[("size", "100"), ("iops", "3000"), ("throughput", "125")],
        )
        .unwrap();
        assert_usd(baseline.cost_per_month, 8.0);
    }

    #[test]
    fn provisioned_iops_volumes() {
        let e = price(
            Region::UsEast1,
            "ebs",
            "io1",
            &[("size", "100"), ("iops", "1000")],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 100.0 * 0.125 + 1000.0 * 0.065);
        let e = price(
            Region::UsEast1,
            "ebs",
            "io2",
            &[("size", "10"), ("iops", "70000")],
        )
        .unwrap();
        let iops = 32_000.0 * 0.065 + 32_000.0 * 0.0455 + 6_000.0 * 0.03185;
        assert_usd(e.cost_per_month, 10.0 * 0.125 + iops);
        assert_eq!(e.tiers.len(), 3);
        assert_eq!(e.tiers[2].max_quantity, 0.0);
        let e = price(Region::UsEast1, "ebs", "io1", &[("size", "10")]).unwrap();
        assert!(e.defaults_applied.contains(&("iops".into(), "100".into())));
    }

    #[test]
    fn gaps_and_unknown_types_are_errors() {
        // io2 is absent from the sa-east-1 EBS feed.
        let err = price(Region::SaEast1, "ebs", "io2", &[("size", "10")]).unwrap_err();
        assert!(
            matches!(err, EstimateError::NoPrice { kind: "ebs", .. }),
            "{err:?}"
        );
        let err = price(Region::UsEast1, "ebs", "gp9", &[]).unwrap_err();
        assert!(
            matches!(err, EstimateError::UnknownSku { kind: "ebs", .. }),
            "{err:?}"
        );
        let err = price(Region::UsEast1, "ebs", "gp3", &[("size", "-5")]).unwrap_err();
        assert!(matches!(err, EstimateError::InvalidArgument { .. }));
    }

    #[test]
    fn billing_detail_spells_out_each_charge() {
        let detail = |sku: &str, tags: &[(&str, &str)]| {
            price(Region::UsEast1, "ebs", sku, tags)
                .unwrap()
                .billing_detail
        };
        assert_eq!(
            detail(
                "gp3",
                &[("size", "100"), ("iops", "4000"), ("throughput", "250")]
            ),
            "100 GB gp3 x 0.08 USD/GB-month + 1000 IOPS above 3000 x 0.005 USD/IOPS-month \
             + 125 MiB/s above 125 x 0.04 USD/MiBps-month = 18.00 USD/month"
        );
        assert_eq!(
            detail("io1", &[("size", "10"), ("iops", "1000")]),
            "10 GB io1 x 0.125 USD/GB-month + 1000 IOPS x 0.065 USD/IOPS-month = 66.25 USD/month"
        );
        assert_eq!(
            detail("IO2", &[("size", "10"), ("iops", "40000")]),
            "10 GB io2 x 0.125 USD/GB-month + 40000 IOPS tiered = 2444 USD = 2445.25 USD/month"
        );
    }
}
