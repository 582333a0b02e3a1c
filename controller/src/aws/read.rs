//! Reads several parts of [`super`] make: bounded paginated listings, task definitions
//! (cached, since revisions are immutable), one ECS service by name, and [`bounded`] for reads
//! that do not depend on each other.

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

/// Runs `work` on every item, at most [`Context::concurrency`] at once; the results come in the
/// order of `items`, whatever order the answers arrive in, so what a pass observes does not
/// depend on timing.
pub(crate) async fn bounded<I, T, F, Fut>(ctx: &Context, items: I, work: F) -> Vec<T>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = T>,
{
    use futures::StreamExt as _;
    futures::stream::iter(items)
        .map(work)
        .buffered(ctx.concurrency())
        .collect()
        .await
}

/// The ECS service `name` of `cluster` as `DescribeServices` answers it, whatever its status
/// (`ACTIVE`, `DRAINING`, `INACTIVE`); empty when ECS does not know it.
///
/// # Errors
/// [`Error::Aws`] when `DescribeServices` fails.
pub(crate) async fn service(
    ctx: &Context,
    region: &str,
    cluster: &str,
    name: &str,
) -> Result<Vec<aws_sdk_ecs::types::Service>> {
    let out = ctx
        .call(
            "ecs",
            "DescribeServices",
            &format!("{cluster}/{name}"),
            ctx.ecs(region)
                .describe_services()
                .cluster(cluster)
                .services(name)
                .send(),
        )
        .await?;
    Ok(out.services.unwrap_or_default())
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
    let live = convert::task_definition_from_sdk(
        &describe_task_definition(ctx, region, arn_or_family).await?,
    );
    ctx.cache_task_definition(&live);
    Ok(live)
}

/// `DescribeTaskDefinition` as AWS answers it (no cache), for callers that read more than the
/// model holds.
pub(crate) async fn describe_task_definition(
    ctx: &Context,
    region: &str,
    arn_or_family: &str,
) -> Result<aws_sdk_ecs::types::TaskDefinition> {
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
    out.task_definition
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "DescribeTaskDefinition",
            resource: arn_or_family.to_owned(),
            message: "no task definition in the answer".into(),
        })
}

/// `GetService` (Cloud Map) as AWS answers it; `None` when the answer holds no service.
pub(crate) async fn get_cloudmap_service(
    ctx: &Context,
    region: &str,
    id: &str,
) -> Result<Option<aws_sdk_servicediscovery::types::Service>> {
    let out = ctx
        .call(
            "servicediscovery",
            "GetService",
            id,
            ctx.cloudmap(region).get_service().id(id).send(),
        )
        .await?;
    Ok(out.service)
}

/// `GetNamespace` as AWS answers it; `None` when the answer holds no namespace.
pub(crate) async fn get_namespace(
    ctx: &Context,
    region: &str,
    id: &str,
) -> Result<Option<aws_sdk_servicediscovery::types::Namespace>> {
    let out = ctx
        .call(
            "servicediscovery",
            "GetNamespace",
            id,
            ctx.cloudmap(region).get_namespace().id(id).send(),
        )
        .await?;
    Ok(out.namespace)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

    use std::cell::Cell;
    use std::time::Duration;

    use super::*;
    use crate::aws::ContextOptions;

    fn context(concurrency: usize) -> Context {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        Context::from_config(
            config,
            ContextOptions {
                concurrency,
                ..ContextOptions::default()
            },
        )
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn bounded_overlaps_up_to_the_bound_and_keeps_the_order_of_the_items() {
        let ctx = context(3);
        let (now, peak) = (Cell::new(0), Cell::new(0));
        let started = tokio::time::Instant::now();
        // Later items answer sooner: the output must still follow the input.
        let out = bounded(&ctx, 0..12u64, |i| {
            let (now, peak) = (&now, &peak);
            async move {
                now.set(now.get() + 1);
                peak.set(peak.get().max(now.get()));
                tokio::time::sleep(Duration::from_millis(100 - i)).await;
                now.set(now.get() - 1);
                i
            }
        })
        .await;
        assert_eq!(out, (0..12).collect::<Vec<_>>());
        assert_eq!(peak.get(), 3);
        // Four rounds of three, not twelve one after another.
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
    }

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
