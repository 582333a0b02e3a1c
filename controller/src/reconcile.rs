//! Observe and plan, once: the step `plan`, `apply` and the `run` engine share.
//!
//! It sits above both [`crate::aws`] (which fetches) and [`crate::plan`] (which decides), so
//! neither has to import the other for it.
//!
//! Cloud Map ownership lives in tags, which the [`Context`] caches for a while. When a plan
//! would write to an existing Cloud Map object and some of the tags it was judged from came
//! from that cache, they are read again and the plan is made again, so a resource a person
//! untagged meanwhile is left alone. A one-shot CLI context starts empty, so every tag it
//! uses was read during its own observation and nothing is read twice.

use std::time::Instant;

use crate::Result;
use crate::aws::{self, Context, LiveState};
use crate::manifest::ManifestSet;
use crate::plan::{self, Action, Plan, PlanOptions};

/// A plan and the live state it was made from.
#[derive(Debug)]
pub struct Planned {
    /// The plan.
    pub plan: Plan,
    /// What was observed (the `run` loop tracks rollouts from it).
    pub live: LiveState,
    /// Monthly costs of the services, once priced (see [`crate::pricing`]).
    pub costs: Option<crate::pricing::Costs>,
    /// Pre-flight problems, once verified (`run --verify`, see [`crate::verify`]).
    pub warnings: Vec<crate::verify::Finding>,
}

/// Observes the live state of `desired` and plans it, re-reading cached Cloud Map tags first
/// when the plan would write to an existing Cloud Map object.
///
/// # Errors
/// When the observation as a whole fails (per-resource failures are in the plan).
pub async fn observe_and_plan(
    ctx: &Context,
    desired: &ManifestSet,
    opts: &PlanOptions,
) -> Result<Planned> {
    let started = Instant::now();
    let live = aws::observe(ctx, desired, opts).await?;
    let plan = plan::plan(desired, &live, opts);
    if !writes_cloud_map(&plan) || !ctx.forget_tags_read_before(started) {
        return Ok(Planned {
            plan,
            live,
            costs: None,
            warnings: Vec::new(),
        });
    }
    let live = aws::observe(ctx, desired, opts).await?;
    let plan = plan::plan(desired, &live, opts);
    Ok(Planned {
        plan,
        live,
        costs: None,
        warnings: Vec::new(),
    })
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
