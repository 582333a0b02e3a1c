//! The write operations [`crate::apply`] performs, one function per AWS operation (plus
//! the polling that makes asynchronous Cloud Map operations synchronous).
//!
//! Idempotency: creates carry a `CreatorRequestId`/`clientToken` derived from the desired
//! state ([`token`]), so a create sent again after a lost answer (by the SDK's retry or by the
//! next `apply` after a crash) is recognised by AWS and not run twice. An "already exists" or
//! "in progress" answer to a create is met by observing again, not by failing the pass; a
//! second `apply` observes what the first created (by name) and does not create it again.

mod cluster;
mod discovery;
mod namespace;
mod service;
mod tags;
mod task_definition;
mod token;

#[cfg(test)]
mod tests;

pub(crate) use self::cluster::{
    create_cluster, delete_cluster, put_cluster_capacity_providers, update_cluster_configuration,
    update_cluster_settings,
};
pub(crate) use self::discovery::{
    create_discovery_service, delete_discovery_service, update_discovery_service,
};
pub(crate) use self::namespace::{
    create_namespace, delete_namespace, namespace_id, update_namespace,
};
pub(crate) use self::service::{ServiceUpdate, create_service, delete_service, update_service};
pub(crate) use self::tags::{tag_cloudmap, tag_ecs, untag_cloudmap, untag_ecs};
pub(crate) use self::task_definition::{deregister_task_definition, register_task_definition};

use std::time::{Duration, Instant};

use aws_sdk_servicediscovery::types::{OperationStatus, OperationTargetType};
use aws_smithy_types::error::operation::BuildError;

use crate::aws::Context;
use crate::{Error, Result};

fn build_error(operation: &'static str, resource: &str, e: &BuildError) -> Error {
    Error::Conflict {
        resource: resource.to_owned(),
        message: format!("cannot build {operation} request: {e}"),
    }
}

/// The typed service error inside an [`Error::Aws`], for the fields an error carries (the id
/// of the namespace or service that already exists, the operation already in progress).
fn service_error<E>(e: &Error) -> Option<&E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let Error::Aws { sdk_error, .. } = e else {
        return None;
    };
    sdk_error
        .downcast_ref::<aws_sdk_servicediscovery::error::SdkError<
            E,
            aws_sdk_servicediscovery::config::http::HttpResponse,
        >>()?
        .as_service_error()
}

/// A fresh id for updates (`UpdaterRequestId`): the SDK's retries of one request reuse it, and
/// an update sent twice changes nothing more than once.
fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Waits with doubling delays (capped at 10 s) until `check` yields a value or the context's
/// wait timeout passes.
async fn wait_for<T, F, Fut>(
    ctx: &Context,
    operation: &'static str,
    resource: &str,
    mut check: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let timeout = ctx.options().wait_timeout;
    let started = Instant::now();
    let mut delay = ctx.options().poll_interval.max(Duration::from_millis(10));
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if started.elapsed() >= timeout {
            return Err(Error::Timeout {
                operation,
                resource: resource.to_owned(),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(delay.min(timeout.saturating_sub(started.elapsed()))).await;
        delay = delay.saturating_mul(2).min(Duration::from_secs(10));
    }
}

/// Polls a Cloud Map operation until it succeeds; returns its targets.
async fn poll_operation(
    ctx: &Context,
    region: &str,
    operation_id: &str,
    started_by: &'static str,
    resource: &str,
) -> Result<std::collections::HashMap<OperationTargetType, String>> {
    let client = ctx.cloudmap(region);
    wait_for(ctx, started_by, resource, || {
        let client = client.clone();
        async move {
            let out = ctx
                .call(
                    "servicediscovery",
                    "GetOperation",
                    resource,
                    client.get_operation().operation_id(operation_id).send(),
                )
                .await?;
            let Some(op) = out.operation() else {
                return Err(Error::UnexpectedResponse {
                    operation: "GetOperation",
                    resource: resource.to_owned(),
                    message: "no operation in the answer".into(),
                });
            };
            match op.status() {
                Some(OperationStatus::Success) => {
                    Ok(Some(op.targets().cloned().unwrap_or_default()))
                }
                Some(OperationStatus::Fail) => Err(Error::OperationFailed {
                    operation: started_by,
                    resource: resource.to_owned(),
                    message: format!(
                        "{}: {}",
                        op.error_code().unwrap_or("Unknown"),
                        op.error_message().unwrap_or("no message")
                    ),
                }),
                _ => Ok(None),
            }
        }
    })
    .await
}
