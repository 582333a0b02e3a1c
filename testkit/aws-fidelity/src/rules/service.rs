//! ECS service rules (`CreateService`, `UpdateService`, `DescribeServices`).
//!
//! The emulator stores a service much as it was sent and answers it back; AWS fills in roles,
//! strategies and defaults, and refuses some combinations. The functions here take the request or
//! one `Service` object of an answer.

use serde_json::{Map, Value, json};

use super::{arn_account, default_field, is_unset, object};
use crate::call::{Api, AwsError};

/// Most services one `DescribeServices` call may name.
///
/// Source: API reference, DescribeServices, `services`: "You may specify up to 10 services to
/// describe in a single operation" (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html).
pub const DESCRIBE_SERVICES_MAX: usize = 10;

/// Most clusters one `DescribeClusters` call may name.
///
/// Source: API reference, DescribeClusters, `clusters`: a list of up to 100 cluster names or ARNs.
pub const DESCRIBE_CLUSTERS_MAX: usize = 100;

/// Refuses a describe call naming more than `max` objects in `field`.
pub fn check_describe_count(request: &Value, field: &str, max: usize) -> Result<(), AwsError> {
    let count = request
        .get(field)
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if count > max {
        return Err(AwsError::invalid(
            Api::Ecs,
            format!("{field} names {count} objects; at most {max} are allowed per call"),
        ));
    }
    Ok(())
}

/// Refuses a `CreateService` that sends both a launch type and a capacity provider strategy.
///
/// Source: API reference, CreateService, `launchType`: "If a launchType is specified, the
/// capacityProviderStrategy parameter must be omitted."
pub fn check_launch_type_exclusive(request: &Value) -> Result<(), AwsError> {
    let launch_type = request.get("launchType").is_some_and(|v| !v.is_null());
    if launch_type && !is_unset(request.get("capacityProviderStrategy")) {
        return Err(AwsError::invalid(
            Api::Ecs,
            "launchType and capacityProviderStrategy cannot both be specified",
        ));
    }
    Ok(())
}

/// The strategy a `CreateService` without `launchType` and `capacityProviderStrategy` gets: the
/// cluster's default capacity provider strategy, if it has one (else ECS uses the EC2 launch type).
///
/// Source: API reference, CreateService, `capacityProviderStrategy`: "If no
/// capacityProviderStrategy or launchType is specified, the defaultCapacityProviderStrategy for the
/// cluster is used."
pub fn default_strategy(request: &Value, cluster: &Value) -> Option<Value> {
    if !uses_cluster_default(request) {
        return None;
    }
    let strategy = cluster.get("defaultCapacityProviderStrategy")?;
    (!is_unset(Some(strategy))).then(|| strategy.clone())
}

/// Whether a `CreateService` leaves the choice to the cluster (sends neither `launchType` nor
/// `capacityProviderStrategy`).
pub fn uses_cluster_default(request: &Value) -> bool {
    let sent_launch_type = request.get("launchType").is_some_and(|v| !v.is_null());
    !sent_launch_type && is_unset(request.get("capacityProviderStrategy"))
}

/// Fields of `CreateService` the emulator drops on create but stores through `UpdateService`.
const KEPT_ONLY_BY_UPDATE: &[&str] = &[
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "healthCheckGracePeriodSeconds",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "placementConstraints",
    "placementStrategy",
];

/// The `UpdateService` body that makes the emulator store what AWS keeps from a `CreateService`
/// (the emulator's create ignores these fields), including the `availabilityZoneRebalancing` AWS
/// picks when the request has none.
///
/// Source for the rebalancing default: terraform-provider-aws pull request #44117 (ECS changed the
/// default: a create without `availabilityZoneRebalancing` gets `ENABLED` when the service supports
/// it); daemon services do not rebalance (developer guide, service-rebalancing.html).
pub fn create_follow_up(request: &Value) -> Value {
    let mut body = Map::new();
    body.insert(
        "cluster".into(),
        request.get("cluster").cloned().unwrap_or(json!("default")),
    );
    body.insert(
        "service".into(),
        request.get("serviceName").cloned().unwrap_or(Value::Null),
    );
    for field in KEPT_ONLY_BY_UPDATE {
        if let Some(value) = request.get(*field).filter(|v| !v.is_null()) {
            body.insert((*field).to_owned(), value.clone());
        }
    }
    let daemon = request.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON");
    let rebalancing = request
        .get("availabilityZoneRebalancing")
        .filter(|v| v.is_string())
        .cloned()
        .unwrap_or_else(|| json!(if daemon { "DISABLED" } else { "ENABLED" }));
    body.insert("availabilityZoneRebalancing".into(), rebalancing);
    Value::Object(body)
}

/// Fields `UpdateService` refuses on services whose deployments another controller runs.
///
/// Source: API reference, UpdateService: with the blue/green (`CODE_DEPLOY`) controller only the
/// desired count, deployment configuration, health check grace period, placement, managed tags and
/// tag propagation can be updated (task definition, network configuration, platform version and load
/// balancers need a new CodeDeploy deployment); with the `EXTERNAL` controller the same, and the
/// launch type too (they need a new task set). Service registries and capacity provider strategies
/// are likewise not in the list of what can be updated.
fn refused_by_controller(controller: &str) -> &'static [&'static str] {
    match controller {
        "CODE_DEPLOY" => &[
            "taskDefinition",
            "networkConfiguration",
            "platformVersion",
            "loadBalancers",
            "serviceRegistries",
            "capacityProviderStrategy",
        ],
        "EXTERNAL" => &[
            "taskDefinition",
            "networkConfiguration",
            "platformVersion",
            "loadBalancers",
            "serviceRegistries",
            "capacityProviderStrategy",
            "launchType",
        ],
        _ => &[],
    }
}

/// Whether checking this `UpdateService` needs the current service (it touches a field some
/// deployment controller refuses).
pub fn update_needs_current(request: &Value) -> bool {
    refused_by_controller("EXTERNAL")
        .iter()
        .any(|field| request.get(*field).is_some_and(|v| !v.is_null()))
}

/// Refuses an `UpdateService` that changes what the service's deployment controller does not let
/// `UpdateService` change. `current` is the service as `DescribeServices` answers it.
pub fn check_update(request: &Value, current: &Value) -> Result<(), AwsError> {
    let controller = current
        .pointer("/deploymentController/type")
        .and_then(Value::as_str)
        .unwrap_or("ECS");
    let refused: Vec<&str> = refused_by_controller(controller)
        .iter()
        .copied()
        .filter(|field| request.get(*field).is_some_and(|v| !v.is_null()))
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(AwsError::invalid(
        Api::Ecs,
        format!(
            "services with the {controller} deployment controller cannot update {} with UpdateService",
            refused.join(", ")
        ),
    ))
}

/// Whether a Cloud Map service (`GetService` answer's `Service`) has an SRV record.
pub fn has_srv_record(discovery: &Value) -> bool {
    discovery
        .pointer("/DnsConfig/DnsRecords")
        .and_then(Value::as_array)
        .is_some_and(|records| {
            records
                .iter()
                .any(|r| r.get("Type").and_then(Value::as_str) == Some("SRV"))
        })
}

/// Refuses service registries that point at a Cloud Map service with SRV records without saying
/// which port to register. `srv` tells, per entry of `serviceRegistries`, whether its Cloud Map
/// service has an SRV record.
///
/// Source: API reference, ServiceRegistry (`containerName`, `containerPort`, `port`): with an SRV
/// record ECS needs a port for each instance, either `containerName` + `containerPort` from the task
/// definition or `port` (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceRegistry.html).
pub fn check_registries(request: &Value, srv: &[bool]) -> Result<(), AwsError> {
    let registries = request
        .get("serviceRegistries")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (registry, has_srv) in registries.iter().zip(srv) {
        let named = |key: &str| registry.get(key).is_some_and(|v| !v.is_null());
        let has_port = named("port") || (named("containerName") && named("containerPort"));
        if *has_srv && !has_port {
            let arn = registry
                .get("registryArn")
                .and_then(Value::as_str)
                .unwrap_or("?");
            return Err(AwsError::invalid(
                Api::Ecs,
                format!(
                    "service registry {arn} has an SRV record: containerName and containerPort, or port, must be given"
                ),
            ));
        }
    }
    Ok(())
}

/// Applies every answer rule to one `Service` object of an ECS answer.
pub fn answer(service: &mut Value) {
    external_has_no_task_definition(service);
    strategy_replaces_launch_type(service);
    service_linked_role(service);
    defaults(service);
}

/// Services in awsvpc mode created without `role` answer with ECS's service-linked role.
///
/// Source: aws-cli `awscli/examples/ecs/create-service.rst`, Example 1: a Fargate service created
/// without `--role` answers `roleArn:
/// arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`; API
/// reference, CreateService, `role`: awsvpc services must not pass a role, ECS uses its
/// service-linked role.
pub fn service_linked_role(service: &mut Value) {
    let awsvpc = service
        .pointer("/networkConfiguration/awsvpcConfiguration")
        .is_some_and(Value::is_object);
    let has_role = service.get("roleArn").is_some_and(Value::is_string);
    let account = arn_account(service.get("serviceArn"));
    let (true, false, Some((partition, account)), Some(service)) =
        (awsvpc, has_role, account, object(service))
    else {
        return;
    };
    service.insert(
        "roleArn".into(),
        json!(format!(
            "arn:{partition}:iam::{account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
        )),
    );
}

/// A service that runs on a capacity provider strategy has no launch type, in the service and in its
/// deployments.
///
/// Source: API reference, Service, `launchType` and `capacityProviderStrategy` (one or the other), and
/// CreateService, `launchType`: "If a launchType is specified, the capacityProviderStrategy parameter
/// must be omitted."
pub fn strategy_replaces_launch_type(service: &mut Value) {
    if is_unset(service.get("capacityProviderStrategy")) {
        return;
    }
    let Some(fields) = object(service) else {
        return;
    };
    fields.remove("launchType");
    if let Some(Value::Array(deployments)) = fields.get_mut("deployments") {
        for deployment in deployments.iter_mut().filter_map(Value::as_object_mut) {
            deployment.remove("launchType");
        }
    }
}

/// An `EXTERNAL` service has no task definition of its own: task sets carry it.
///
/// Source: API reference, CreateService, `taskDefinition`: required for the `ECS` and `CODE_DEPLOY`
/// deployment controllers; with `EXTERNAL` the task definition is given per task set
/// (CreateTaskSet).
pub fn external_has_no_task_definition(service: &mut Value) {
    let external = service
        .pointer("/deploymentController/type")
        .and_then(Value::as_str)
        == Some("EXTERNAL");
    if let (true, Some(fields)) = (external, object(service)) {
        fields.remove("taskDefinition");
    }
}

/// Whether a service runs on Fargate (launch type or a FARGATE / FARGATE_SPOT capacity provider).
fn on_fargate(service: &Value) -> bool {
    let launch_type = service.get("launchType").and_then(Value::as_str) == Some("FARGATE");
    let provider = service
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
        .is_some_and(|items| {
            items.iter().any(|item| {
                item.get("capacityProvider")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.starts_with("FARGATE"))
            })
        });
    launch_type || provider
}

/// Fields real `DescribeServices` answers always carry, with the values AWS gives a service that did
/// not set them.
///
/// Sources: aws-cli `awscli/examples/ecs/create-service.rst` and `update-service.rst` (answers carry
/// `deploymentConfiguration` with `maximumPercent: 200`, `minimumHealthyPercent: 100` and a
/// `deploymentCircuitBreaker` of `enable: false, rollback: false`, `enableECSManagedTags: false`,
/// `enableExecuteCommand: false`, `healthCheckGracePeriodSeconds: 0`, empty `placementConstraints` and
/// `placementStrategy`); developer guide, deployment-type-ecs.html (`ROLLING` is the default
/// `deploymentConfiguration.strategy` of the ECS controller); API reference, CreateService,
/// `platformVersion` (Fargate services without one run `LATEST`); API reference,
/// DeploymentConfiguration (daemon services default to `maximumPercent: 100`,
/// `minimumHealthyPercent: 0`). `bakeTimeInMinutes` is only given for blue/green strategies, so it
/// is not filled.
pub fn defaults(service: &mut Value) {
    let fargate = on_fargate(service);
    let controller = service
        .pointer("/deploymentController/type")
        .and_then(Value::as_str)
        .unwrap_or("ECS")
        .to_owned();
    let daemon = service.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON");
    let Some(fields) = object(service) else {
        return;
    };
    default_field(fields, "enableECSManagedTags", json!(false));
    default_field(fields, "enableExecuteCommand", json!(false));
    default_field(fields, "healthCheckGracePeriodSeconds", json!(0));
    default_field(fields, "placementConstraints", json!([]));
    default_field(fields, "placementStrategy", json!([]));
    default_field(fields, "propagateTags", json!("NONE"));
    if fargate {
        default_field(fields, "platformVersion", json!("LATEST"));
    }
    if controller != "ECS" {
        return;
    }
    default_field(fields, "deploymentConfiguration", json!({}));
    if let Some(Value::Object(config)) = fields.get_mut("deploymentConfiguration") {
        let (max, min) = if daemon { (100, 0) } else { (200, 100) };
        default_field(config, "maximumPercent", json!(max));
        default_field(config, "minimumHealthyPercent", json!(min));
        default_field(
            config,
            "deploymentCircuitBreaker",
            json!({"enable": false, "rollback": false}),
        );
        default_field(config, "strategy", json!("ROLLING"));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    fn fargate_service() -> Value {
        json!({
            "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/s",
            "serviceName": "s",
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
            "deploymentController": {"type": "ECS"},
            "deployments": [{"id": "d", "launchType": "FARGATE"}],
        })
    }

    #[test]
    fn awsvpc_service_without_role_answers_the_service_linked_role() {
        let mut service = fargate_service();
        service_linked_role(&mut service);
        assert_eq!(
            service["roleArn"],
            "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
        );
    }

    #[test]
    fn given_role_and_bridge_services_keep_theirs() {
        let mut with_role = fargate_service();
        with_role["roleArn"] = json!("arn:aws:iam::123456789012:role/mine");
        service_linked_role(&mut with_role);
        assert_eq!(with_role["roleArn"], "arn:aws:iam::123456789012:role/mine");

        let mut bridge = json!({"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/s"});
        service_linked_role(&mut bridge);
        assert!(bridge.get("roleArn").is_none());
    }

    #[test]
    fn cluster_default_strategy_applies_only_without_launch_type_and_strategy() {
        let cluster = json!({"defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]});
        let strategy = default_strategy(&json!({"serviceName": "s"}), &cluster);
        assert_eq!(
            strategy,
            Some(json!([{"capacityProvider": "FARGATE", "weight": 1}]))
        );
        assert_eq!(
            default_strategy(&json!({"launchType": "FARGATE"}), &cluster),
            None
        );
        let own = json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT"}]});
        assert_eq!(default_strategy(&own, &cluster), None);
        assert_eq!(
            default_strategy(&json!({}), &json!({"defaultCapacityProviderStrategy": []})),
            None
        );
        assert_eq!(default_strategy(&json!({}), &json!({})), None);
    }

    #[test]
    fn launch_type_and_strategy_are_exclusive() {
        let both = json!({"launchType": "FARGATE", "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]});
        let err = check_launch_type_exclusive(&both).unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
        assert!(check_launch_type_exclusive(&json!({"launchType": "FARGATE"})).is_ok());
        assert!(
            check_launch_type_exclusive(
                &json!({"launchType": "EC2", "capacityProviderStrategy": []})
            )
            .is_ok()
        );
    }

    #[test]
    fn strategy_removes_launch_type_from_service_and_deployments() {
        let mut service = fargate_service();
        service["capacityProviderStrategy"] = json!([{"capacityProvider": "FARGATE", "weight": 1}]);
        strategy_replaces_launch_type(&mut service);
        assert!(service.get("launchType").is_none());
        assert!(service["deployments"][0].get("launchType").is_none());

        let mut plain = fargate_service();
        strategy_replaces_launch_type(&mut plain);
        assert_eq!(plain["launchType"], "FARGATE");
    }

    #[test]
    fn create_follow_up_carries_dropped_fields_and_rebalancing_default() {
        let request = json!({
            "cluster": "c", "serviceName": "s",
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}],
            "deploymentConfiguration": {"maximumPercent": 150},
            "desiredCount": 3,
        });
        let body = create_follow_up(&request);
        assert_eq!(body["cluster"], "c");
        assert_eq!(body["service"], "s");
        assert_eq!(
            body["capacityProviderStrategy"],
            request["capacityProviderStrategy"]
        );
        assert_eq!(body["deploymentConfiguration"]["maximumPercent"], 150);
        assert_eq!(body["availabilityZoneRebalancing"], "ENABLED");
        assert!(
            body.get("desiredCount").is_none(),
            "create stored it already"
        );

        let daemon = create_follow_up(&json!({"serviceName": "d", "schedulingStrategy": "DAEMON"}));
        assert_eq!(daemon["availabilityZoneRebalancing"], "DISABLED");
        assert_eq!(daemon["cluster"], "default");
        let chosen = create_follow_up(
            &json!({"serviceName": "s", "availabilityZoneRebalancing": "DISABLED"}),
        );
        assert_eq!(chosen["availabilityZoneRebalancing"], "DISABLED");
    }

    #[test]
    fn code_deploy_refuses_task_definition_and_network_updates() {
        let current = json!({"deploymentController": {"type": "CODE_DEPLOY"}});
        for field in [
            "taskDefinition",
            "networkConfiguration",
            "platformVersion",
            "serviceRegistries",
            "capacityProviderStrategy",
        ] {
            let request = json!({"service": "s", field: "x"});
            assert!(update_needs_current(&request), "{field}");
            let err = check_update(&request, &current).unwrap_err();
            assert!(err.message.contains(field), "{}", err.message);
        }
        let scale = json!({"service": "s", "desiredCount": 2, "deploymentConfiguration": {}});
        assert!(!update_needs_current(&scale));
        assert!(check_update(&scale, &current).is_ok());
    }

    #[test]
    fn external_refuses_launch_type_and_ecs_allows_all() {
        let external = json!({"deploymentController": {"type": "EXTERNAL"}});
        let request = json!({"service": "s", "launchType": "FARGATE"});
        assert!(check_update(&request, &external).is_err());
        let ecs = json!({"deploymentController": {"type": "ECS"}});
        let all = json!({"taskDefinition": "t:2", "networkConfiguration": {}, "capacityProviderStrategy": []});
        assert!(check_update(&all, &ecs).is_ok());
        assert!(check_update(&all, &json!({})).is_ok());
    }

    #[test]
    fn external_services_answer_without_task_definition() {
        let mut service =
            json!({"taskDefinition": "t:1", "deploymentController": {"type": "EXTERNAL"}});
        external_has_no_task_definition(&mut service);
        assert!(service.get("taskDefinition").is_none());
        let mut ecs = json!({"taskDefinition": "t:1", "deploymentController": {"type": "ECS"}});
        external_has_no_task_definition(&mut ecs);
        assert_eq!(ecs["taskDefinition"], "t:1");
    }

    #[test]
    fn srv_registries_need_a_port() {
        let arn = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1";
        let bare = json!({"serviceRegistries": [{"registryArn": arn}]});
        let err = check_registries(&bare, &[true]).unwrap_err();
        assert!(err.message.contains(arn), "{}", err.message);
        assert!(
            check_registries(&bare, &[false]).is_ok(),
            "A records need no port"
        );
        let container = json!({"serviceRegistries": [{"registryArn": arn, "containerName": "app", "containerPort": 8080}]});
        assert!(check_registries(&container, &[true]).is_ok());
        let port = json!({"serviceRegistries": [{"registryArn": arn, "port": 8080}]});
        assert!(check_registries(&port, &[true]).is_ok());
        let half = json!({"serviceRegistries": [{"registryArn": arn, "containerName": "app"}]});
        assert!(check_registries(&half, &[true]).is_err());
    }

    #[test]
    fn srv_record_is_read_from_the_dns_config() {
        assert!(has_srv_record(
            &json!({"DnsConfig": {"DnsRecords": [{"Type": "A"}, {"Type": "SRV"}]}})
        ));
        assert!(!has_srv_record(
            &json!({"DnsConfig": {"DnsRecords": [{"Type": "A"}]}})
        ));
        assert!(!has_srv_record(&json!({})));
    }

    #[test]
    fn describe_counts_are_limited() {
        let eleven: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
        let err = check_describe_count(
            &json!({"services": eleven}),
            "services",
            DESCRIBE_SERVICES_MAX,
        );
        assert!(err.is_err());
        let ten: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
        assert!(
            check_describe_count(&json!({"services": ten}), "services", DESCRIBE_SERVICES_MAX)
                .is_ok()
        );
    }

    #[test]
    fn defaults_fill_only_what_is_missing() {
        let mut service = fargate_service();
        service["deploymentConfiguration"] = json!({"maximumPercent": 150});
        service["enableExecuteCommand"] = json!(true);
        defaults(&mut service);
        let config = &service["deploymentConfiguration"];
        assert_eq!(config["maximumPercent"], 150);
        assert_eq!(config["minimumHealthyPercent"], 100);
        assert_eq!(
            config["deploymentCircuitBreaker"],
            json!({"enable": false, "rollback": false})
        );
        assert_eq!(config["strategy"], "ROLLING");
        assert!(config.get("bakeTimeInMinutes").is_none());
        assert_eq!(service["enableExecuteCommand"], true);
        assert_eq!(service["enableECSManagedTags"], false);
        assert_eq!(service["healthCheckGracePeriodSeconds"], 0);
        assert_eq!(service["platformVersion"], "LATEST");

        let mut daemon = json!({"schedulingStrategy": "DAEMON", "launchType": "EC2"});
        defaults(&mut daemon);
        assert_eq!(daemon["deploymentConfiguration"]["maximumPercent"], 100);
        assert_eq!(
            daemon["deploymentConfiguration"]["minimumHealthyPercent"],
            0
        );
        assert!(daemon.get("platformVersion").is_none());

        let mut code_deploy = json!({"deploymentController": {"type": "CODE_DEPLOY"}});
        defaults(&mut code_deploy);
        assert!(code_deploy.get("deploymentConfiguration").is_none());
    }

    #[test]
    fn fargate_capacity_providers_get_a_platform_version() {
        let mut service = json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]});
        defaults(&mut service);
        assert_eq!(service["platformVersion"], "LATEST");
        let mut pinned = json!({"launchType": "FARGATE", "platformVersion": "1.4.0"});
        defaults(&mut pinned);
        assert_eq!(pinned["platformVersion"], "1.4.0");
    }
}
