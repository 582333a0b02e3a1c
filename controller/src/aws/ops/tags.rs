//! Tagging and untagging of Cloud Map and ECS resources.

use std::collections::BTreeMap;

use super::build_error;
use crate::Result;
use crate::aws::{Context, convert};

/// Adds tags to a Cloud Map resource.
pub(crate) async fn tag_cloudmap(
    ctx: &Context,
    region: &str,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    let sdk_tags =
        convert::cloudmap_tags_to_sdk(tags).map_err(|e| build_error("TagResource", arn, &e))?;
    ctx.call(
        "servicediscovery",
        "TagResource",
        arn,
        ctx.cloudmap(region)
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags))
            .send(),
    )
    .await?;
    ctx.merge_cached_tags(arn, tags);
    Ok(())
}

/// Adds tags to an ECS resource.
pub(crate) async fn tag_ecs(
    ctx: &Context,
    region: &str,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    ctx.call(
        "ecs",
        "TagResource",
        arn,
        ctx.ecs(region)
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(convert::ecs_tags_to_sdk(tags)))
            .send(),
    )
    .await?;
    Ok(())
}

/// Removes tag keys from a Cloud Map resource.
pub(crate) async fn untag_cloudmap(
    ctx: &Context,
    region: &str,
    arn: &str,
    keys: &[String],
) -> Result<()> {
    ctx.call(
        "servicediscovery",
        "UntagResource",
        arn,
        ctx.cloudmap(region)
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send(),
    )
    .await?;
    ctx.remove_cached_tags(arn, keys);
    Ok(())
}

/// Removes tag keys from an ECS resource.
pub(crate) async fn untag_ecs(
    ctx: &Context,
    region: &str,
    arn: &str,
    keys: &[String],
) -> Result<()> {
    ctx.call(
        "ecs",
        "UntagResource",
        arn,
        ctx.ecs(region)
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send(),
    )
    .await?;
    Ok(())
}
