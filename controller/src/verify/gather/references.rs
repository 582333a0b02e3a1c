//! Reads of what a task definition references elsewhere: log groups, ECR images and SSM
//! parameters.

use super::{MAX_PAGES, classify};
use crate::Result;
use crate::aws::Context;
use crate::verify::facts::Fact;
use crate::verify::refs::EcrImage;

/// Whether a log group named exactly `group` exists.
pub(super) async fn log_group(
    ctx: &Context,
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
) -> Result<bool> {
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = ctx
            .call(
                "logs",
                "DescribeLogGroups",
                group,
                logs.describe_log_groups()
                    .log_group_name_prefix(group)
                    .set_next_token(token.clone())
                    .send(),
            )
            .await?;
        if out
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(group))
        {
            return Ok(true);
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(false)
}

pub(super) async fn ecr_image(
    ctx: &Context,
    ecr: &aws_sdk_ecr::Client,
    image: &EcrImage,
) -> Result<Fact<()>> {
    let id = aws_sdk_ecr::types::ImageIdentifier::builder()
        .set_image_tag(image.tag.clone())
        .set_image_digest(image.digest.clone())
        .build();
    let got = ctx
        .call(
            "ecr",
            "DescribeImages",
            &image.repository,
            ecr.describe_images()
                .registry_id(&image.account)
                .repository_name(&image.repository)
                .image_ids(id)
                .send(),
        )
        .await;
    Ok(
        match classify(got, |c| {
            c == "ImageNotFoundException" || c == "RepositoryNotFoundException"
        })? {
            Fact::Found(out) if !out.image_details().is_empty() => Fact::Found(()),
            Fact::Found(_) | Fact::Missing => Fact::Missing,
            Fact::Unknown(e) => Fact::Unknown(e),
        },
    )
}

pub(super) async fn parameter(
    ctx: &Context,
    ssm: &aws_sdk_ssm::Client,
    value_from: &str,
    names: Vec<String>,
) -> Result<Fact<()>> {
    let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .set_values(Some(names))
        .build();
    let filter = match filter {
        Ok(f) => f,
        Err(e) => return Ok(Fact::Unknown(e.to_string())),
    };
    let got = ctx
        .call(
            "ssm",
            "DescribeParameters",
            value_from,
            ssm.describe_parameters().parameter_filters(filter).send(),
        )
        .await;
    Ok(match classify(got, |_| false)? {
        Fact::Found(out) if !out.parameters().is_empty() => Fact::Found(()),
        Fact::Found(_) | Fact::Missing => Fact::Missing,
        Fact::Unknown(e) => Fact::Unknown(e),
    })
}
