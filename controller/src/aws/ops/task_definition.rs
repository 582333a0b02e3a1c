//! Task definitions: reuse a matching active revision or register a new one.

use std::collections::BTreeMap;

use super::build_error;
use crate::aws::{Context, convert, read};
use crate::live::LiveTaskDefinition;
use crate::taskdef::TaskDefinition;
use crate::{Error, Result, canon};

/// Returns a revision equal to `definition`: the family's latest active revision when it
/// already matches (a previous apply may have registered it), otherwise a new one.
///
/// `RegisterTaskDefinition` takes no idempotency token, so a registration whose answer is lost
/// after ECS acted would, retried blindly, leave an extra revision each time. The SDK's retries
/// are therefore off for this call; a failure that may have acted (a transport error, a 5xx,
/// throttling) is followed by a look at the family's latest revision, reused when it equals
/// `definition`, before registering again (up to [`crate::aws::ContextOptions::max_attempts`]).
pub(crate) async fn register_task_definition(
    ctx: &Context,
    region: &str,
    definition: &TaskDefinition,
    tags: &BTreeMap<String, String>,
) -> Result<(String, bool)> {
    if let Some(arn) = matching_latest(ctx, region, definition).await? {
        return Ok((arn, false));
    }
    let attempts = ctx.options().max_attempts.max(1);
    let mut attempt = 1;
    loop {
        match register(ctx, region, definition, tags).await {
            Ok(arn) => return Ok((arn, true)),
            Err(e) if attempt < attempts && may_have_acted(&e) => {
                tracing::debug!(error = %e, attempt, "registration failed; looking before retrying");
                tokio::time::sleep(RETRY_DELAY * attempt).await;
                if let Some(arn) = matching_latest(ctx, region, definition).await? {
                    return Ok((arn, true));
                }
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The wait before looking again after a failed registration, times the attempt number.
const RETRY_DELAY: std::time::Duration = std::time::Duration::from_millis(200);

/// Whether a failed call may have acted before its answer was lost or refused: transport
/// failures, server errors and throttling are retried; a refusal of the request is not.
fn may_have_acted(e: &Error) -> bool {
    matches!(
        e.aws_code(),
        Some(
            "ResponseError"
                | "DispatchFailure"
                | "TimeoutError"
                | "ServerException"
                | "InternalFailure"
                | "ServiceUnavailableException"
                | "ThrottlingException"
                | "Throttling"
                | "TooManyRequestsException"
        )
    )
}

/// The family's latest active revision when it equals `definition` (role names compared as the
/// ARNs ECS stores).
async fn matching_latest(
    ctx: &Context,
    region: &str,
    definition: &TaskDefinition,
) -> Result<Option<String>> {
    match read::task_definition(ctx, region, &definition.family).await {
        Ok(latest)
            if latest.status == "ACTIVE"
                && canon::task_definition(latest.definition.clone())
                    == canon::task_definition(canon::qualify_roles(
                        definition.clone(),
                        &latest.arn,
                    )) =>
        {
            Ok(Some(latest.arn))
        }
        Ok(_) => Ok(None),
        // No revision yet: AWS answers ClientException, moto TaskDefinitionNotFound.
        Err(e) if matches!(e.aws_code(), Some(c) if c == "ClientException" || c.contains("NotFound")) => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// One `RegisterTaskDefinition` call, without the SDK's retries.
async fn register(
    ctx: &Context,
    region: &str,
    definition: &TaskDefinition,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let family = &definition.family;
    let parts = convert::register_parts(definition)
        .map_err(|e| build_error("RegisterTaskDefinition", family, &e))?;
    let out = ctx
        .call(
            "ecs",
            "RegisterTaskDefinition",
            family,
            ctx.ecs(region)
                .register_task_definition()
                .family(family)
                .set_task_role_arn(definition.task_role_arn.clone())
                .set_execution_role_arn(definition.execution_role_arn.clone())
                .set_network_mode(definition.network_mode.as_deref().map(Into::into))
                .set_container_definitions(Some(parts.containers))
                .set_volumes(parts.volumes)
                .set_placement_constraints(parts.placement_constraints)
                .set_requires_compatibilities(
                    definition
                        .requires_compatibilities
                        .as_ref()
                        .map(|cs| cs.iter().map(|c| c.as_str().into()).collect()),
                )
                .set_cpu(definition.cpu.clone())
                .set_memory(definition.memory.clone())
                .set_pid_mode(definition.pid_mode.as_deref().map(Into::into))
                .set_ipc_mode(definition.ipc_mode.as_deref().map(Into::into))
                .set_ephemeral_storage(parts.ephemeral_storage)
                .set_runtime_platform(parts.runtime_platform)
                .set_enable_fault_injection(definition.enable_fault_injection)
                .set_tags(Some(convert::ecs_tags_to_sdk(tags)))
                .customize()
                .config_override(
                    aws_sdk_ecs::config::Builder::default()
                        .retry_config(aws_config::retry::RetryConfig::disabled()),
                )
                .send(),
        )
        .await?;
    let td = out
        .task_definition()
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: "RegisterTaskDefinition",
            resource: family.clone(),
            message: "no task definition in the answer".into(),
        })?;
    let live: LiveTaskDefinition = convert::task_definition_from_sdk(td);
    ctx.cache_task_definition(&live);
    Ok(live.arn)
}

/// Deregisters one revision (it becomes `INACTIVE`; tasks already running it keep running).
pub(crate) async fn deregister_task_definition(
    ctx: &Context,
    region: &str,
    arn: &str,
) -> Result<()> {
    ctx.call(
        "ecs",
        "DeregisterTaskDefinition",
        arn,
        ctx.ecs(region)
            .deregister_task_definition()
            .task_definition(arn)
            .send(),
    )
    .await?;
    Ok(())
}
