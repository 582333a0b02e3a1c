//! ECS task definition rules (`RegisterTaskDefinition`, `DescribeTaskDefinition`).
//!
//! AWS normalises a registered task definition (drops empty environment values, expands role names,
//! fills volume defaults) and refuses some values the emulator stores. Request rules take the
//! `RegisterTaskDefinition` body; answer rules take the `taskDefinition` object of an answer.

use serde_json::{Value, json};

use super::{arn_account, default_field, object};
use crate::call::AwsError;

/// The container definitions of a request or a task definition, mutable.
fn containers(value: &mut Value) -> impl Iterator<Item = &mut serde_json::Map<String, Value>> {
    value
        .get_mut("containerDefinitions")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// The volumes of a request or a task definition, mutable.
fn volumes(value: &mut Value) -> impl Iterator<Item = &mut serde_json::Map<String, Value>> {
    value
        .get_mut("volumes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// ECS drops environment entries whose value is empty (or missing) when it registers a revision.
///
/// Sources: terraform-provider-aws issue #39533 (a variable set to `""` or null is filtered out of
/// the registered task definition, so the configuration shows a permanent diff);
/// aws-actions/amazon-ecs-deploy-task-definition pull request #224 (an entry without `value` is
/// removed by ECS).
pub fn drop_empty_environment(request: &mut Value) {
    for container in containers(request) {
        if let Some(Value::Array(environment)) = container.get_mut("environment") {
            environment.retain(|entry| {
                entry
                    .get("value")
                    .and_then(Value::as_str)
                    .is_some_and(|value| !value.is_empty())
            });
        }
    }
}

/// Refuses a container `memory` that is not a positive number of MiB (AWS never stores
/// `memory: 0`; a container without a hard limit simply has no `memory`).
///
/// Source: ansible/ansible issue #67647 (`RegisterTaskDefinition` with a container `memory: 0` is
/// answered with a `ClientException` about the container's memory setting).
pub fn check_container_memory(request: &Value) -> Result<(), AwsError> {
    let containers = request
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for container in containers {
        let Some(memory) = container.get("memory").filter(|m| !m.is_null()) else {
            continue;
        };
        if memory.as_i64().is_none_or(|m| m <= 0) {
            let name = container.get("name").and_then(Value::as_str).unwrap_or("?");
            return Err(AwsError::client(format!(
                "container '{name}': memory {memory} is not valid, it must be a positive number of MiB"
            )));
        }
    }
    Ok(())
}

/// Refuses `autoprovision` on a task-scoped Docker volume (the scope defaults to `task`).
///
/// Sources: terraform-provider-aws pull request #5907 and aws/aws-cdk issue #26697 (a task-scoped
/// volume with `autoprovision` set is answered with a `ClientException`); API reference,
/// DockerVolumeConfiguration, `autoprovision`: only used when the scope is `shared`.
pub fn check_docker_volumes(request: &Value) -> Result<(), AwsError> {
    let volumes = request
        .get("volumes")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for volume in volumes {
        let Some(config) = volume.get("dockerVolumeConfiguration") else {
            continue;
        };
        let scope = config
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("task");
        if scope == "task" && config.get("autoprovision").is_some_and(|v| !v.is_null()) {
            let name = volume.get("name").and_then(Value::as_str).unwrap_or("?");
            return Err(AwsError::client(format!(
                "volume '{name}': autoprovision applies only to Docker volumes with scope 'shared'"
            )));
        }
    }
    Ok(())
}

/// Applies every answer rule to one `taskDefinition` object of an ECS answer.
pub fn answer(task_definition: &mut Value) {
    role_names_become_arns(task_definition);
    volume_defaults(task_definition);
    container_defaults(task_definition);
}

/// `taskRoleArn` and `executionRoleArn` given as role names are stored as full IAM role ARNs in the
/// task definition's account.
///
/// Sources: aws-actions/amazon-ecs-render-task-definition issue #19 (a maintainer: either role may be
/// given as just the role name, ECS fills in the account ID server-side when the task definition is
/// registered); capitalone/Particle-Cloud-Framework issue #128 (describe answers the full ARN for a
/// role registered by name, so comparing with the name loops).
pub fn role_names_become_arns(task_definition: &mut Value) {
    let Some((partition, account)) = arn_account(task_definition.get("taskDefinitionArn")) else {
        return;
    };
    let Some(fields) = object(task_definition) else {
        return;
    };
    for key in ["taskRoleArn", "executionRoleArn"] {
        let Some(name) = fields.get(key).and_then(Value::as_str) else {
            continue;
        };
        if !name.is_empty() && !name.starts_with("arn:") {
            let arn = format!("arn:{partition}:iam::{account}:role/{name}");
            fields.insert(key.to_owned(), json!(arn));
        }
    }
}

/// Volume defaults AWS answers: an EFS volume without `rootDirectory` mounts `/`, a Docker volume
/// without `scope` is task-scoped.
///
/// Sources: API reference, EFSVolumeConfiguration, `rootDirectory`: "If this parameter is omitted, the
/// root of the Amazon EFS volume will be used"; aws/amazon-ecs-cli issue #607 (an ECS maintainer: the
/// default scope of a Docker volume in ECS is task) and API reference, DockerVolumeConfiguration,
/// `scope`.
pub fn volume_defaults(task_definition: &mut Value) {
    for volume in volumes(task_definition) {
        if let Some(Value::Object(efs)) = volume.get_mut("efsVolumeConfiguration") {
            default_field(efs, "rootDirectory", json!("/"));
        }
        if let Some(Value::Object(docker)) = volume.get_mut("dockerVolumeConfiguration") {
            default_field(docker, "scope", json!("task"));
        }
    }
}

/// Container fields AWS answers though they were not registered: `cpu: 0`.
///
/// Source: eagletmt/hako pull request #50 (a container registered without `cpu` is answered with
/// `cpu: 0`).
pub fn container_defaults(task_definition: &mut Value) {
    for container in containers(task_definition) {
        default_field(container, "cpu", json!(0));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn empty_and_missing_environment_values_are_dropped() {
        let mut request = json!({"containerDefinitions": [{"name": "app", "environment": [
            {"name": "EMPTY", "value": ""},
            {"name": "MISSING"},
            {"name": "NULL", "value": null},
            {"name": "KEPT", "value": "1"},
        ]}]});
        drop_empty_environment(&mut request);
        assert_eq!(
            request["containerDefinitions"][0]["environment"],
            json!([{"name": "KEPT", "value": "1"}])
        );
    }

    #[test]
    fn container_memory_must_be_positive() {
        let zero = json!({"containerDefinitions": [{"name": "app", "memory": 0}]});
        let err = check_container_memory(&zero).unwrap_err();
        assert_eq!(err.code, "ClientException");
        assert!(err.message.contains("'app'"), "{}", err.message);
        assert!(
            check_container_memory(
                &json!({"containerDefinitions": [{"name": "app", "memory": 512}]})
            )
            .is_ok()
        );
        assert!(
            check_container_memory(&json!({"containerDefinitions": [{"name": "app"}]})).is_ok()
        );
    }

    #[test]
    fn task_scoped_docker_volumes_refuse_autoprovision() {
        let default_scope = json!({"volumes": [{"name": "v", "dockerVolumeConfiguration": {"autoprovision": false}}]});
        assert!(check_docker_volumes(&default_scope).is_err());
        let shared = json!({"volumes": [{"name": "v", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": true}}]});
        assert!(check_docker_volumes(&shared).is_ok());
        let plain =
            json!({"volumes": [{"name": "v", "dockerVolumeConfiguration": {"driver": "local"}}]});
        assert!(check_docker_volumes(&plain).is_ok());
    }

    #[test]
    fn role_names_are_answered_as_arns_of_the_account() {
        let mut td = json!({
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/f:1",
            "taskRoleArn": "app-role",
            "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        });
        role_names_become_arns(&mut td);
        assert_eq!(td["taskRoleArn"], "arn:aws:iam::123456789012:role/app-role");
        assert_eq!(
            td["executionRoleArn"],
            "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
        );
    }

    #[test]
    fn volume_defaults_fill_root_directory_and_scope() {
        let mut td = json!({"volumes": [
            {"name": "efs", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}},
            {"name": "docker", "dockerVolumeConfiguration": {"driver": "local"}},
            {"name": "shared", "dockerVolumeConfiguration": {"scope": "shared"}},
            {"name": "host", "host": {"sourcePath": "/data"}},
        ]});
        volume_defaults(&mut td);
        assert_eq!(
            td["volumes"][0]["efsVolumeConfiguration"]["rootDirectory"],
            "/"
        );
        assert_eq!(
            td["volumes"][1]["dockerVolumeConfiguration"]["scope"],
            "task"
        );
        assert_eq!(
            td["volumes"][2]["dockerVolumeConfiguration"]["scope"],
            "shared"
        );
        assert!(td["volumes"][3].get("dockerVolumeConfiguration").is_none());
    }

    #[test]
    fn containers_answer_cpu_zero_when_unset() {
        let mut td = json!({"containerDefinitions": [{"name": "a"}, {"name": "b", "cpu": 256}]});
        container_defaults(&mut td);
        assert_eq!(td["containerDefinitions"][0]["cpu"], 0);
        assert_eq!(td["containerDefinitions"][1]["cpu"], 256);
    }
}
