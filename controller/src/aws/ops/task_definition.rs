//! Task definitions: reuse a matching active revision or register a new one.

use std::collections::BTreeMap;

use super::build_error;
use crate::aws::{Context, convert, read};
use crate::live::LiveTaskDefinition;
use crate::taskdef::TaskDefinition;
use crate::{Error, Result, canon};

/// Returns a revision equal to `definition`: the family's latest active revision when it
/// already matches (a previous apply may have registered it), otherwise a new one.
pub(crate) async fn register_task_definition(
    ctx: &Context,
    region: &str,
    definition: &TaskDefinition,
    tags: &BTreeMap<String, String>,
) -> Result<(String, bool)> {
    let family = &definition.family;
    match read::task_definition(ctx, region, family).await {
        Ok(latest)
            if latest.status == "ACTIVE"
                && canon::task_definition(latest.definition.clone())
                    == canon::task_definition(canon::qualify_roles(
                        definition.clone(),
                        &latest.arn,
                    )) =>
        {
            return Ok((latest.arn, false));
        }
        Ok(_) => {}
        // No revision yet: AWS answers ClientException, moto TaskDefinitionNotFound.
        Err(e) if matches!(e.aws_code(), Some(c) if c == "ClientException" || c.contains("NotFound")) =>
            {}
        Err(e) => return Err(e),
    }
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
    Ok((live.arn, true))
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
