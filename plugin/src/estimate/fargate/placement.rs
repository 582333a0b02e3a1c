//! How a service's tasks spread over capacity: `desiredCount` and the capacity provider strategy.

use super::{FARGATE, FARGATE_SPOT, MAX_PROVIDERS};
use crate::estimate::{Defaults, EstimateError, Input};

/// `desiredCount`, a whole number of tasks; 1 when absent (assumed).
pub(super) fn desired_count(
    input: &Input<'_>,
    defaults: &mut Defaults,
) -> Result<f64, EstimateError> {
    match input.props.find(&["desiredCount"]) {
        Some((key, value)) => {
            let n = input.props.number(&[key])?.unwrap_or(0.0);
            if n.fract() != 0.0 {
                return Err(input
                    .props
                    .invalid(key, value, "must be a whole number of tasks"));
            }
            Ok(n)
        }
        None => {
            defaults.config("desired_count", 1u32);
            Ok(1.0)
        }
    }
}

/// How a service's tasks are spread over capacity.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Shares {
    /// Tasks on Fargate on-demand.
    pub(super) fargate: f64,
    /// Tasks on Fargate Spot.
    pub(super) spot: f64,
    /// Tasks on other capacity (EC2 launch type or a capacity provider of EC2 instances).
    pub(super) others: Vec<(String, f64)>,
    /// Whether tasks were shared by weight.
    pub(super) split: bool,
}

/// Spreads `count` tasks by `launchType` or `capacityProviderStrategy`.
pub(super) fn placement(
    input: &Input<'_>,
    count: f64,
    defaults: &mut Defaults,
) -> Result<Shares, EstimateError> {
    let props = &input.props;
    let strategy = props.go_value(&["capacityProviderStrategy", "capacityProviderStrategies"]);
    let launch = props.find(&["launchType"]);
    if let (Some((key, _)), Some(_)) = (&strategy, launch) {
        return Err(EstimateError::InvalidArgument {
            field: props.field(key),
            reason: "a service has either a launchType or a capacityProviderStrategy, not both"
                .to_owned(),
        });
    }
    if let Some((key, value)) = launch {
        return match value.trim().to_ascii_uppercase().as_str() {
            FARGATE => Ok(Shares {
                fargate: count,
                ..Shares::default()
            }),
            other @ ("EC2" | "EXTERNAL" | "MANAGED_INSTANCES") => Ok(Shares {
                others: vec![(other.to_owned(), count)],
                ..Shares::default()
            }),
            _ => Err(props.invalid(
                key,
                value,
                "expected FARGATE, EC2, EXTERNAL or MANAGED_INSTANCES",
            )),
        };
    }
    let Some((key, value)) = strategy else {
        defaults.config("launch_type", FARGATE);
        return Ok(Shares {
            fargate: count,
            ..Shares::default()
        });
    };
    let items = value.items();
    if items.is_empty() || items.len() > MAX_PROVIDERS {
        return Err(EstimateError::InvalidArgument {
            field: props.field(key),
            reason: format!("expected 1 to {MAX_PROVIDERS} capacity providers"),
        });
    }
    // (provider, base, weight), in the order given.
    let mut providers = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let field = |inner: &str| format!("{key}[{i}].{inner}");
        let text = |inner: &str| item.get(inner).and_then(|v| v.as_text()).map(str::trim);
        let name = text("capacityProvider")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| EstimateError::InvalidArgument {
                field: props.field(&field("capacityProvider")),
                reason: "is required".to_owned(),
            })?;
        crate::resource::validate_sku(name, &props.field(&field("capacityProvider")))?;
        let number = |inner: &str| -> Result<f64, EstimateError> {
            match text(inner).filter(|t| !t.is_empty()) {
                None => Ok(0.0),
                Some(t) => {
                    let n = crate::resource::number(t)
                        .map_err(|reason| props.invalid(&field(inner), t, reason))?;
                    if n.fract() != 0.0 {
                        return Err(props.invalid(&field(inner), t, "must be a whole number"));
                    }
                    Ok(n)
                }
            }
        };
        providers.push((name, number("base")?, number("weight")?));
    }
    let mut placed: Vec<f64> = vec![0.0; providers.len()];
    let mut left = count;
    for (slot, (_, base, _)) in placed.iter_mut().zip(&providers) {
        let take = base.min(left);
        *slot = take;
        left -= take;
    }
    let total_weight: f64 = providers.iter().map(|(_, _, w)| w).sum();
    let split = left > 0.0;
    if split {
        if total_weight == 0.0 {
            return Err(EstimateError::InvalidArgument {
                field: props.field(key),
                reason: "at least one capacity provider needs a weight above 0".to_owned(),
            });
        }
        for (slot, (_, _, weight)) in placed.iter_mut().zip(&providers) {
            *slot += left * weight / total_weight;
        }
    }
    let mut shares = Shares {
        split,
        ..Shares::default()
    };
    for ((name, _, _), n) in providers.iter().zip(placed) {
        match name.to_ascii_uppercase().as_str() {
            FARGATE => shares.fargate += n,
            FARGATE_SPOT => shares.spot += n,
            _ => shares.others.push(((*name).to_owned(), n)),
        }
    }
    Ok(shares)
}
