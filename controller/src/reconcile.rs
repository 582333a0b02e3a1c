//! Observe and plan, once: the step `plan`, `apply` and the `run` engine share.
//!
//! It sits above both [`crate::aws`] (which fetches) and [`crate::plan`] (which decides), so
//! neither has to import the other for it.
//!
//! Cloud Map ownership lives in tags, which the [`Context`] caches for a while and reads in
//! batches with the (eventually consistent) Resource Groups Tagging API. When a plan would write
//! to an existing Cloud Map object and some of the tags it was judged from came from that cache
//! or from a batch, they are read again one by one and the plan is made again, so a resource a
//! person untagged meanwhile is left alone. A plan that writes nothing to Cloud Map (every
//! in-sync pass) reads each tag set once, in batches.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use crate::aws::{self, Context, LiveState};
use crate::manifest::{ManifestSet, Place};
use crate::plan::{self, Action, Plan, PlanOptions};
use crate::{Error, Result};

/// What was read in one place (account and region), and the context that read it.
#[derive(Debug)]
pub struct Observed {
    /// Where.
    pub place: Place,
    /// The manifests of that place.
    pub set: ManifestSet,
    /// What was read; empty when the place could not be read.
    pub live: LiveState,
    /// The place's context, `None` when its account's role could not be assumed.
    pub ctx: Option<Arc<Context>>,
}

/// A plan and the live state it was made from.
#[derive(Debug)]
pub struct Planned {
    /// The plan of every place, place after place, each in apply order.
    pub plan: Plan,
    /// What was observed, per place (the `run` loop tracks rollouts from it).
    pub places: Vec<Observed>,
    /// Monthly costs of the services, once priced (see [`crate::pricing`]).
    pub costs: Option<crate::pricing::Costs>,
    /// Pre-flight problems, once verified (`run --verify`, see [`crate::verify`]).
    pub warnings: Vec<crate::verify::Finding>,
}

impl Planned {
    /// What was read of the ECS service `name` in `place`.
    #[must_use]
    pub fn service(&self, place: &Place, name: &str) -> Option<&crate::live::LiveEcsService> {
        self.places
            .iter()
            .find(|o| &o.place == place)
            .and_then(|o| o.live.services.get(name))
    }
}

/// Observes the live state of `desired` and plans it, each place (account and region) with its
/// own context and side by side, so a place that cannot be read fails only its own objects.
/// Cached Cloud Map tags are read again first when a plan would write to an existing Cloud Map
/// object.
///
/// # Errors
/// [`Error::Manifest`] when two objects turn out to be one once the default region is known;
/// otherwise when the observation as a whole fails (per-resource failures are in the plan).
pub async fn observe_and_plan(
    ctx: &Context,
    desired: &ManifestSet,
    opts: &PlanOptions,
) -> Result<Planned> {
    let places = places(desired, opts)?;
    let observed = futures::future::join_all(
        places
            .into_iter()
            .map(|(place, set)| observe_place(ctx, place, set, opts)),
    )
    .await;
    let mut plan = Plan::default();
    let mut places = Vec::with_capacity(observed.len());
    for result in observed {
        let (part, observed) = result?;
        plan.resources.extend(part.resources);
        plan.errors.extend(part.errors);
        places.push(observed);
    }
    Ok(Planned {
        plan,
        places,
        costs: None,
        warnings: Vec::new(),
    })
}

/// The places to read: where the manifests put objects and, with `--prune`, every account in
/// every region involved (an account whose manifests were all removed still has orphans).
fn places(desired: &ManifestSet, opts: &PlanOptions) -> Result<Vec<(Place, ManifestSet)>> {
    let mut parts = desired.partition(&opts.region).map_err(Error::Manifest)?;
    if opts.prune {
        let mut regions: BTreeSet<String> = parts.iter().map(|(p, _)| p.region.clone()).collect();
        regions.insert(opts.region.clone());
        let accounts = std::iter::once(None).chain(desired.accounts().keys().cloned().map(Some));
        let known: BTreeSet<Place> = parts.iter().map(|(p, _)| p.clone()).collect();
        for account in accounts {
            for region in &regions {
                let place = Place {
                    account: account.clone(),
                    region: region.clone(),
                };
                if !known.contains(&place) {
                    let empty =
                        ManifestSet::default().with_accounts(desired.accounts().values().cloned());
                    parts.push((place, empty));
                }
            }
        }
        parts.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(parts)
}

async fn observe_place(
    root: &Context,
    place: Place,
    set: ManifestSet,
    opts: &PlanOptions,
) -> Result<(Plan, Observed)> {
    let opts_here = PlanOptions {
        region: place.region.clone(),
        ..opts.clone()
    };
    let ctx = match root.at(&place, set.accounts()).await {
        Ok(ctx) => ctx,
        Err(e) => {
            let plan = plan::unreachable(&set, &opts_here, &crate::error_chain(&e));
            let observed = Observed {
                place,
                set,
                live: LiveState::default(),
                ctx: None,
            };
            return Ok((plan, observed));
        }
    };
    let (mut plan, live) = observe_and_plan_here(&ctx, &set, &opts_here).await?;
    // Orphans are known by their tag, which names kind and name; the place is where they were.
    let region = (place.region != opts.region).then(|| place.region.clone());
    for rp in &mut plan.resources {
        if set.get(&rp.key).is_none() {
            rp.key = rp.key.clone().at(place.account.clone(), region.clone());
        }
    }
    let observed = Observed {
        place,
        set,
        live,
        ctx: Some(ctx),
    };
    Ok((plan, observed))
}

/// Observe and plan in one place.
async fn observe_and_plan_here(
    ctx: &Context,
    desired: &ManifestSet,
    opts: &PlanOptions,
) -> Result<(Plan, LiveState)> {
    let started = Instant::now();
    let live = aws::observe(ctx, desired, opts).await?;
    let plan = plan::plan(desired, &live, opts);
    if !writes_cloud_map(&plan) {
        return Ok((plan, live));
    }
    // Both checks run: each drops the tags it concerns.
    let cached = ctx.forget_tags_read_before(started);
    let batched = ctx.forget_batched_tags();
    if !cached && !batched {
        return Ok((plan, live));
    }
    // A write is decided on tags read one by one, from AWS, during this pass.
    ctx.set_batch_tags(false);
    let observed = aws::observe(ctx, desired, opts).await;
    ctx.set_batch_tags(true);
    let live = observed?;
    let plan = plan::plan(desired, &live, opts);
    Ok((plan, live))
}

fn writes_cloud_map(plan: &Plan) -> bool {
    plan.resources
        .iter()
        .flat_map(|rp| &rp.actions)
        .any(Action::changes_existing_cloud_map)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use std::collections::BTreeMap;

    use aws_config::{BehaviorVersion, Region};

    use super::*;
    use crate::aws::ContextOptions;

    #[test]
    fn only_tags_read_before_the_observation_are_read_again() {
        let config = aws_config::SdkConfig::builder()
            .region(Region::new("us-east-1"))
            .behavior_version(BehaviorVersion::latest())
            .build();
        let ctx = Context::from_config(config, ContextOptions::default()).unwrap();
        ctx.cache_tags("arn:earlier-pass", BTreeMap::new());
        let started = Instant::now();
        ctx.cache_tags("arn:this-pass", BTreeMap::new());
        assert!(ctx.forget_tags_read_before(started));
        assert!(ctx.cached_tags("arn:earlier-pass").is_none());
        assert!(ctx.cached_tags("arn:this-pass").is_some());
        // A fresh context (the CLI's) holds only tags of its own observation: no second read.
        assert!(!ctx.forget_tags_read_before(started));
    }
}
