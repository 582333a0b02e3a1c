//! EC2 instances: on-demand Linux hours (shared tenancy) x 730, plus the root volume and any
//! `ebsBlockDevices` that state a size.
//!
//! The root volume comes from `rootBlockDevice` (Go-map text `map[volumeSize:20 volumeType:gp3]`
//! or flat keys `rootBlockDevice.volumeSize`, `rootVolumeSize`, `rootVolumeType`); when absent it
//! is the 8 GB gp2 volume AWS attaches by default, recorded in `defaults_applied`.

use std::borrow::Cow;

use super::ebs::{self, Volume};
use super::{
    Defaults, Estimate, EstimateError, HOURS_PER_MONTH, Input, Source, push_cents, push_usd, qty,
};
use crate::pricing::Service;
use crate::resource::clip;

/// More block devices than any instance can attach; a longer list is refused.
const MAX_BLOCK_DEVICES: usize = 128;

/// Prices an EC2 instance.
pub(crate) fn estimate(input: &Input<'_>) -> Result<Estimate, EstimateError> {
    let props = &input.props;
    let mut defaults = Defaults::default();
    let instance_type = input.require_sku(&["instanceType"], "instance type")?;
    if let Some(tenancy) = props.text(&["tenancy"])
        && !matches!(tenancy.to_ascii_lowercase().as_str(), "default" | "shared")
    {
        return Err(EstimateError::NoPrice {
            kind: "ec2",
            item: format!(
                "{} with {} tenancy (only shared-tenancy rates are embedded)",
                clip(instance_type, 64),
                clip(tenancy, 32)
            ),
        });
    }
    let hourly = input
        .table
        .price(Service::Ec2, instance_type)
        .ok_or_else(|| EstimateError::UnknownSku {
            kind: "ec2",
            sku: instance_type.to_owned(),
        })?;
    let compute = hourly * HOURS_PER_MONTH;

    let root = root_volume(input, &mut defaults)?;
    let root_priced = ebs::price_volume(input, &root, &mut defaults, "root_volume_")?;
    let mut monthly = compute + root_priced.monthly;
    // "<type> on-demand Linux <rate> USD/h x 730 h = <compute> USD + <size> GB <type> root volume
    // (<root> USD/month)", written piece by piece: this is every GetProjectedCost of an instance.
    let mut detail = String::with_capacity(160);
    detail.push_str(instance_type);
    detail.push_str(" on-demand Linux ");
    push_usd(&mut detail, hourly);
    detail.push_str(" USD/h x 730 h = ");
    push_cents(&mut detail, compute);
    detail.push_str(" USD + ");
    push_usd(&mut detail, root.size_gb);
    detail.push_str(" GB ");
    detail.push_str(&root.volume_type);
    detail.push_str(" root volume (");
    push_cents(&mut detail, root_priced.monthly);
    detail.push_str(" USD/month)");
    let mut assumptions = Vec::new();
    if input.prose {
        assumptions.extend([
            "on-demand Linux, shared tenancy, running 730 hours a month".into(),
            "data transfer and Elastic IPs are not included".into(),
        ]);
        assumptions.extend(root_priced.assumptions);
    }

    let (extra, extra_detail) = block_devices(input, &mut defaults, &mut assumptions)?;
    if extra > 0.0 {
        monthly += extra;
        detail.push_str(" + ");
        detail.push_str(&extra_detail);
        detail.push_str(" (");
        push_cents(&mut detail, extra);
        detail.push_str(" USD/month)");
    }
    detail.push_str(" = ");
    push_cents(&mut detail, monthly);
    detail.push_str(" USD/month");

    let (defaults_applied, quality) = defaults.into_parts();
    Ok(Estimate {
        kind: "ec2",
        sku: instance_type.to_owned(),
        unit_price: hourly,
        unit: "hour",
        cost_per_month: monthly,
        billing_mode: "per_hour",
        billing_detail: detail,
        description: input.prose(|| {
            format!(
                "Amazon EC2 {instance_type} on-demand instance (Linux, shared tenancy) with its root EBS volume"
            )
        }),
        source: Source::Tables(&[Service::Ec2, Service::Ebs]),
        tiers: Vec::new(),
        assumptions,
        metric_hints: &[("instance_hours", "hour"), ("root_volume_gb", "GB-month")],
        defaults_applied,
        quality,
    })
}

/// The root volume from `rootBlockDevice` or flat keys, else the 8 GB gp2 default.
fn root_volume<'a>(
    input: &Input<'a>,
    defaults: &mut Defaults,
) -> Result<Volume<'a>, EstimateError> {
    let props = &input.props;
    let root = props.map(&["rootBlockDevice"]);
    let size = match root.number("volumeSize")? {
        Some(size) => Some(size),
        None => props.number(&["rootVolumeSize"])?,
    };
    let size_gb = size.unwrap_or_else(|| {
        defaults.config("root_volume_size_gb", ebs::DEFAULT_SIZE_GB);
        ebs::DEFAULT_SIZE_GB
    });
    let volume_type = match root.text("volumeType") {
        Some(n) => Some((n.path(), n.value)),
        None => props
            .find(&["rootVolumeType"])
            .map(|(k, v)| (k.to_owned(), v.trim())),
    };
    let volume_type = match volume_type {
        Some((key, t)) => {
            crate::resource::validate_sku(t, &props.field(&key))?;
            ebs::lower(t)
        }
        None => {
            defaults.config("root_volume_type", ebs::DEFAULT_TYPE);
            Cow::Borrowed(ebs::DEFAULT_TYPE)
        }
    };
    Ok(Volume {
        volume_type,
        size_gb,
        iops: root.number("iops")?,
        throughput_mibps: root.number("throughput")?,
    })
}

/// Extra EBS volumes from `ebsBlockDevices` (`[map[volumeSize:100 volumeType:gp3] ...]`).
fn block_devices(
    input: &Input<'_>,
    defaults: &mut Defaults,
    assumptions: &mut Vec<Cow<'static, str>>,
) -> Result<(f64, String), EstimateError> {
    let Some((key, value)) = input.props.go_value(&["ebsBlockDevices"]) else {
        return Ok((0.0, String::new()));
    };
    let items = value.items();
    if items.len() > MAX_BLOCK_DEVICES {
        return Err(EstimateError::InvalidArgument {
            field: input.props.field(key),
            reason: format!("more than {MAX_BLOCK_DEVICES} block devices"),
        });
    }
    let mut total = 0.0;
    let mut parts = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let text = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_text())
                .filter(|t| !t.is_empty())
        };
        let Some(size_text) = text("volumeSize") else {
            assumptions.push(format!("{key}[{i}] has no volumeSize and is not priced").into());
            continue;
        };
        let field_key = format!("{key}[{i}].volumeSize");
        let size_gb = crate::resource::number(size_text)
            .map_err(|reason| input.props.invalid(&field_key, size_text, reason))?;
        let volume_type = match text("volumeType") {
            Some(t) => {
                crate::resource::validate_sku(
                    t,
                    &input.props.field(&format!("{key}[{i}].volumeType")),
                )?;
                ebs::lower(t)
            }
            None => {
                defaults.config(format!("ebs_block_device_{i}_type"), ebs::DEFAULT_TYPE);
                Cow::Borrowed(ebs::DEFAULT_TYPE)
            }
        };
        let number = |k: &str| -> Result<Option<f64>, EstimateError> {
            text(k)
                .map(|t| {
                    crate::resource::number(t).map_err(|reason| {
                        input.props.invalid(&format!("{key}[{i}].{k}"), t, reason)
                    })
                })
                .transpose()
        };
        let vol = Volume {
            volume_type,
            size_gb,
            iops: number("iops")?,
            throughput_mibps: number("throughput")?,
        };
        let priced = ebs::price_volume(input, &vol, defaults, &format!("ebs_block_device_{i}_"))?;
        total += priced.monthly;
        parts.push(format!("{} GB {}", qty(vol.size_gb), vol.volume_type));
    }
    Ok((total, parts.join(" + ")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use crate::estimate::test_support::*;
    use crate::estimate::{EstimateError, Quality};
    use crate::region::Region;

    #[test]
    fn m5_large_across_regions() {
        let expected = [
            (Region::UsEast1, 0.096),
            (Region::UsWest2, 0.096),
            (Region::EuWest1, 0.107),
            (Region::ApSoutheast1, 0.12),
            (Region::ApSoutheast2, 0.12),
            (Region::ApNortheast1, 0.124),
            (Region::ApSouth1, 0.101),
            (Region::CaCentral1, 0.107),
            (Region::SaEast1, 0.153),
            (Region::UsGovWest1, 0.121),
            (Region::UsGovEast1, 0.121),
            (Region::UsWest1, 0.112),
        ];
        for (region, hourly) in expected {
            let e = price(
                region,
                "ec2",
                "m5.large",
                &[("rootBlockDevice", "map[volumeSize:8 volumeType:gp2]")],
            )
            .unwrap();
            assert_eq!(e.unit_price, hourly, "{region}");
            assert_eq!(e.quality, Quality::High);
        }
    }

    #[test]
    fn root_volume_from_go_map_and_flat_keys() {
        let go = price(
            Region::UsEast1,
            "aws:ec2/instance:Instance",
            "t3.micro",
            &[(
                "rootBlockDevice",
                "map[deleteOnTermination:true volumeSize:20 volumeType:gp3]",
            )],
        )
        .unwrap();
        assert_usd(go.cost_per_month, 7.592 + 20.0 * 0.08);
        assert!(go.defaults_applied.is_empty());
        let flat = price(
            Region::UsEast1,
            "ec2",
            "",
            &[
                ("instanceType", "t3.micro"),
                ("rootBlockDevice.volumeSize", "20"),
                ("root_volume_type", "gp3"),
            ],
        )
        .unwrap();
        assert_usd(flat.cost_per_month, go.cost_per_month);
        let size_only = price(
            Region::UsEast1,
            "ec2",
            "t3.micro",
            &[("rootVolumeSize", "30")],
        )
        .unwrap();
        assert_usd(size_only.cost_per_month, 7.592 + 3.0);
        assert_eq!(
            size_only.defaults_applied,
            vec![("root_volume_type".into(), "gp2".into())]
        );
    }

    #[test]
    fn block_devices_are_added() {
        let e = price(
            Region::UsEast1,
            "ec2",
            "t3.micro",
            &[
                ("rootBlockDevice", "map[volumeSize:8 volumeType:gp2]"),
                ("ebsBlockDevices", "[map[deviceName:/dev/sdf volumeSize:100 volumeType:gp3] map[deviceName:/dev/sdg]]"),
            ],
        )
        .unwrap();
        assert_usd(e.cost_per_month, 7.592 + 0.8 + 8.0);
        assert!(
            e.assumptions
                .iter()
                .any(|a| a.contains("ebsBlockDevices[1]"))
        );
        let many = format!("[{}]", "map[volumeSize:1] ".repeat(200));
        let err = price(
            Region::UsEast1,
            "ec2",
            "t3.micro",
            &[("ebsBlockDevices", &many)],
        )
        .unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.tags.ebsBlockDevices"),
            "{err:?}"
        );
    }

    #[test]
    fn unknown_type_dedicated_tenancy_and_missing_sku() {
        let err = price(Region::UsEast1, "ec2", "t3.gigantic", &[]).unwrap_err();
        assert_eq!(
            err,
            EstimateError::UnknownSku {
                kind: "ec2",
                sku: "t3.gigantic".into()
            }
        );
        let err = price(
            Region::UsEast1,
            "ec2",
            "t3.micro",
            &[("tenancy", "dedicated")],
        )
        .unwrap_err();
        assert!(matches!(err, EstimateError::NoPrice { kind: "ec2", .. }));
        assert!(
            price(
                Region::UsEast1,
                "ec2",
                "t3.micro",
                &[("tenancy", "default")]
            )
            .is_ok()
        );
        let err = price(Region::UsEast1, "ec2", "", &[]).unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.sku")
        );
        let err = price(
            Region::UsEast1,
            "ec2",
            "t3.micro",
            &[("rootBlockDevice", "map[volumeSize:-1]")],
        )
        .unwrap_err();
        assert!(
            matches!(&err, EstimateError::InvalidArgument { field, .. } if field == "resource.tags.rootBlockDevice.volumeSize"),
            "{err:?}"
        );
    }

    #[test]
    fn billing_detail_spells_out_instance_and_volumes() {
        let e = price(
            Region::UsEast1,
            "ec2",
            "t3.micro",
            &[
                ("rootBlockDevice", "map[volumeSize:20 volumeType:GP3]"),
                ("ebsBlockDevices", "[map[volumeSize:100 volumeType:gp3]]"),
            ],
        )
        .unwrap();
        assert_eq!(
            e.billing_detail,
            "t3.micro on-demand Linux 0.0104 USD/h x 730 h = 7.59 USD + 20 GB gp3 root volume \
             (1.60 USD/month) + 100 GB gp3 (8.00 USD/month) = 17.19 USD/month"
        );
    }
}
