//! The active revisions of each managed ECS service's task definition family, for
//! `--keep-revisions`: listed every pass, tags read only for deregistration candidates.

use std::collections::BTreeSet;

use aws_sdk_ecs::types::{SortOrder, TaskDefinitionField, TaskDefinitionStatus};

use crate::Result;
use crate::aws::read::{PAGE_SIZE, bounded, paginate};
use crate::aws::{Context, convert};
use crate::live::{LiveState, Lookup, LookupError};
use crate::manifest::{Resource, ResourceSpec};
use crate::revisions::{self, Revision};

/// Most uncached candidates whose tags one pass reads per family; the rest wait for the next
/// pass, so a long backlog costs a bounded number of calls at a time.
const TAG_READS_PER_PASS: usize = 10;

pub(super) async fn observe_revisions(
    ctx: &Context,
    region: &str,
    in_region: &[&Resource],
    keep: u32,
    live: &mut LiveState,
) {
    // (object, family, revisions in use) of each running service; owned, so the families can
    // be read side by side (up to [`Context::concurrency`]).
    let mut wanted: Vec<(String, String, BTreeSet<String>)> = Vec::new();
    for r in in_region {
        let ResourceSpec::Service(spec) = &r.spec else {
            continue;
        };
        // Only a running service says which revisions are in use.
        let Some(service) = live.services.get(r.name()).and_then(|o| o.service.found()) else {
            continue;
        };
        let mut in_use: BTreeSet<String> = service
            .deployments
            .iter()
            .filter_map(|d| d.task_definition.clone())
            .collect();
        in_use.extend(service.task_definition_arn.clone());
        wanted.push((
            r.name().to_owned(),
            spec.task_definition.family.clone(),
            in_use,
        ));
    }
    let read_all = bounded(ctx, wanted, |(object, family, in_use)| async move {
        let lookup = match read(ctx, region, &family, keep, &in_use).await {
            Ok(found) => Lookup::Found(found),
            Err(e) => Lookup::Failed(LookupError::from_error(&e)),
        };
        (object, lookup)
    })
    .await;
    for (object, lookup) in read_all {
        if let Some(observed) = live.services.get_mut(&object) {
            observed.revisions = lookup;
        }
    }
}

async fn read(
    ctx: &Context,
    region: &str,
    family: &str,
    keep: u32,
    in_use: &BTreeSet<String>,
) -> Result<Vec<Revision>> {
    let client = ctx.ecs(region);
    let arns = paginate("ListTaskDefinitions", family, |token| {
        let client = client.clone();
        async move {
            let out = ctx
                .call(
                    "ecs",
                    "ListTaskDefinitions",
                    family,
                    client
                        .list_task_definitions()
                        .family_prefix(family)
                        .status(TaskDefinitionStatus::Active)
                        .sort(SortOrder::Desc)
                        .max_results(PAGE_SIZE)
                        .set_next_token(token)
                        .send(),
                )
                .await?;
            Ok((
                out.task_definition_arns().to_vec(),
                out.next_token().map(str::to_owned),
            ))
        }
    })
    .await?;
    // The prefix also matches longer family names.
    let mut found: Vec<Revision> = arns
        .into_iter()
        .filter_map(|arn| {
            let (f, revision) = revisions::family_revision(&arn)?;
            (f == family).then(|| Revision {
                tags: ctx.cached_tags(&arn),
                revision,
                arn,
            })
        })
        .collect();
    let unread: Vec<String> = revisions::candidates(&found, keep, in_use)
        .into_iter()
        .filter(|r| r.tags.is_none())
        .take(TAG_READS_PER_PASS)
        .map(|r| r.arn.clone())
        .collect();
    for arn in unread {
        let out = ctx
            .call(
                "ecs",
                "DescribeTaskDefinition",
                &arn,
                client
                    .describe_task_definition()
                    .task_definition(&arn)
                    .include(TaskDefinitionField::Tags)
                    .send(),
            )
            .await?;
        let tags = convert::ecs_tags_from_sdk(out.tags());
        ctx.cache_tags(&arn, tags.clone());
        if let Some(r) = found.iter_mut().find(|r| r.arn == arn) {
            r.tags = Some(tags);
        }
    }
    Ok(found)
}
