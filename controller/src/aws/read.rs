//! Reads both [`super::observe`] and [`super::ops`] make: bounded paginated listings and task
//! definitions (cached, since revisions are immutable).

use super::Context;
use super::convert;
use crate::live::LiveTaskDefinition;
use crate::{Error, Result};

/// Most pages read from one listing (bounds a misbehaving endpoint). A listing that does not
/// end within it is an error: treating the rest as absent would plan creates (or miss
/// orphans) for what is merely unread.
const MAX_PAGES: usize = 200;

/// The largest page each listing allows, asked for explicitly: without `maxResults` ECS
/// `ListServices` and `ListClusters` answer 10 items a page (API reference, ListServices and
/// ListClusters `maxResults`: 1-100, default 10); Cloud Map `ListNamespaces` and
/// `ListServices` allow up to 100 (API reference, `MaxResults`).
pub(crate) const PAGE_SIZE: i32 = 100;

/// Reads every page of a listing: `page` fetches the page that follows a token and returns
/// its items and the next token (`None` ends the listing).
///
/// # Errors
/// The first failing page's error, or [`Error::UnexpectedResponse`] naming `operation` and
/// `resource` when the listing has not ended after [`MAX_PAGES`] pages.
pub(crate) async fn paginate<T, F, Fut>(
    operation: &'static str,
    resource: &str,
    mut page: F,
) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>)>>,
{
    let mut out = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let (items, next) = page(token).await?;
        out.extend(items);
        token = next;
        if token.is_none() {
            return Ok(out);
        }
    }
    Err(Error::UnexpectedResponse {
        operation,
        resource: resource.to_owned(),
        message: format!(
            "the listing did not end after {MAX_PAGES} pages ({} items); nothing is assumed missing",
            out.len()
        ),
    })
}

/// A task definition by ARN, from the cache or `DescribeTaskDefinition`.
pub(crate) async fn task_definition(
    ctx: &Context,
    region: &str,
    arn_or_family: &str,
) -> Result<LiveTaskDefinition> {
    if let Some(td) = ctx.cached_task_definition(arn_or_family) {
        return Ok(td);
    }
    let out = ctx
        .call(
            "ecs",
            "DescribeTaskDefinition",
            arn_or_family,
            ctx.ecs(region)
                .describe_task_definition()
                .task_definition(arn_or_family)
                .send(),
        )
        .await?;
    let td = out
        .task_definition()
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "DescribeTaskDefinition",
            resource: arn_or_family.to_owned(),
            message: "no task definition in the answer".into(),
        })?;
    let live = convert::task_definition_from_sdk(td);
    ctx.cache_task_definition(&live);
    Ok(live)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

    use std::cell::Cell;

    use super::*;

    #[tokio::test]
    async fn paginate_reads_every_page_until_the_token_ends() {
        let calls = Cell::new(0);
        let items = paginate("ListServices", "c", |token| {
            calls.set(calls.get() + 1);
            let page = token.map_or(0, |t: String| t.parse::<usize>().unwrap());
            async move {
                let next = (page < 2).then(|| (page + 1).to_string());
                Ok((vec![page], next))
            }
        })
        .await
        .unwrap();
        assert_eq!(items, [0, 1, 2]);
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test]
    async fn a_listing_that_never_ends_is_an_error_not_a_truncation() {
        let result = paginate("ListServices", "cluster-a", |_| async {
            Ok((vec![1], Some("more".to_owned())))
        })
        .await;
        let Err(Error::UnexpectedResponse {
            operation,
            resource,
            message,
        }) = result
        else {
            panic!("{result:?}")
        };
        assert_eq!(operation, "ListServices");
        assert_eq!(resource, "cluster-a");
        assert!(message.contains(&format!("{MAX_PAGES} pages")), "{message}");
    }
}
