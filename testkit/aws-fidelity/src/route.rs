//! Which rules apply to which operation, and the extra emulator reads a rule needs.
//!
//! Every ECS and Cloud Map JSON call passes here: request checks and rewrites run first (a refused
//! request never reaches the emulator), then the emulator answers, then the answer rewrites run.
//! Anything else (EC2 query calls, the emulator's own API, calls the layer has no rule for) is
//! forwarded unchanged. Besides the rollouts tests script, the layer keeps no state of its own: what
//! it must remember (a capacity provider strategy, the availability zone rebalancing AWS chose) is
//! stored in the emulator with an `UpdateService`, which the emulator applies field by field.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::call::{Api, AwsError, Call};
use crate::deployments::StopRefused;
use crate::rules::page::{self, Paging};
use crate::rules::{
    cloudmap, delivery, deployments, rollout, service, sts, tagging, task_definition,
};
use crate::upstream::{Answer, Exchange};

/// Handles one request.
pub async fn handle(exchange: &Exchange<'_>, body: Bytes) -> Answer {
    let Some(call) = Call::from_headers(exchange.headers()) else {
        if let Some(ask) = sts::assume_role(&body) {
            return assume_role(exchange, &ask, body).await;
        }
        return exchange.forward(body).await;
    };
    // Malformed JSON is the emulator's to answer.
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return exchange.forward(body).await;
    };
    let result = match call.api {
        Api::Ecs => ecs(exchange, &call, request).await,
        Api::CloudMap => cloud_map(exchange, &call, request).await,
        Api::Tagging => tagging_api(exchange, &call, request).await,
    };
    result.unwrap_or_else(Answer::error)
}

/// `AssumeRole` as AWS grants it: the emulator's session is handed out only when the role exists
/// in its account (read with the session's own key, which acts there) and its trust policy
/// admits the request's external id ([`sts`]).
async fn assume_role(exchange: &Exchange<'_>, ask: &sts::AssumeRole, body: Bytes) -> Answer {
    let answer = exchange.forward(body).await;
    let granted = std::str::from_utf8(&answer.body).ok();
    let Some(key) = granted
        .filter(|_| answer.ok())
        .and_then(|xml| sts::element(xml, "AccessKeyId"))
    else {
        return answer;
    };
    let form = format!(
        "Action=GetRole&Version=2010-05-08&RoleName={}",
        form_urlencoded::byte_serialize(ask.role_name().as_bytes()).collect::<String>()
    );
    let role = exchange.query_as("iam", &key, form).await;
    let policy = std::str::from_utf8(&role.body)
        .ok()
        .filter(|_| role.ok())
        .and_then(|xml| sts::element(xml, "AssumeRolePolicyDocument"));
    let refusal = match policy {
        None => Some("the role does not exist".to_owned()),
        Some(policy) => sts::admits(&policy, ask.external_id.as_deref()).err(),
    };
    match refusal {
        None => answer,
        Some(why) => Answer::xml(
            http::StatusCode::FORBIDDEN,
            sts::access_denied(&ask.role_arn, &why),
        ),
    }
}

/// `GetResources` by ARN for Cloud Map resources, answered from the emulator's Cloud Map tags
/// ([`tagging`]); every other tagging call goes to the emulator.
async fn tagging_api(
    exchange: &Exchange<'_>,
    call: &Call,
    request: Value,
) -> Result<Answer, AwsError> {
    if call.operation != "GetResources" {
        return Ok(exchange.forward_json(&request).await);
    }
    let arns = tagging::cloud_map_arns(&request)
        .map_err(|message| AwsError::invalid(Api::Tagging, message))?;
    let Some(arns) = arns else {
        return Ok(exchange.forward_json(&request).await);
    };
    let mut found = Vec::with_capacity(arns.len());
    for arn in arns {
        let answer = exchange
            .call(
                Api::CloudMap,
                "ListTagsForResource",
                &json!({"ResourceARN": arn}),
            )
            .await;
        if let Some(tags) = answer.json().and_then(|v| v.get("Tags").cloned()) {
            found.push((arn, tags));
        }
    }
    Ok(Answer::json_ok(&tagging::answer(found)))
}

/// Applies `rule` to the object under `key` of an answer.
fn each_in(answer: &mut Answer, key: &str, rule: fn(&mut Value)) {
    answer.edit(|value| match value.get_mut(key) {
        Some(Value::Array(items)) => items.iter_mut().for_each(rule),
        Some(item @ Value::Object(_)) => rule(item),
        _ => {}
    });
}

async fn ecs(exchange: &Exchange<'_>, call: &Call, mut request: Value) -> Result<Answer, AwsError> {
    if let Some(paging) = page::paging(call.api, &call.operation) {
        return list(exchange, &paging, request, |_| {}).await;
    }
    let answer = match call.operation.as_str() {
        "RegisterTaskDefinition" => {
            task_definition::check_container_memory(&request)?;
            task_definition::check_docker_volumes(&request)?;
            task_definition::drop_empty_environment(&mut request);
            let mut answer = exchange.forward_json(&request).await;
            each_in(&mut answer, "taskDefinition", task_definition::answer);
            answer
        }
        "DescribeTaskDefinition" | "DeregisterTaskDefinition" => {
            let mut answer = exchange.forward_json(&request).await;
            each_in(&mut answer, "taskDefinition", task_definition::answer);
            answer
        }
        "CreateService" => {
            namespace_as_arn(exchange, &mut request).await;
            create_service(exchange, request).await?
        }
        "UpdateService" => {
            namespace_as_arn(exchange, &mut request).await;
            update_service(exchange, request).await?
        }
        "CreateCluster" | "UpdateCluster" => {
            namespace_as_arn(exchange, &mut request).await;
            exchange.forward_json(&request).await
        }
        "DescribeServices" => {
            service::check_describe_count(&request, "services", service::DESCRIBE_SERVICES_MAX)?;
            let mut answer = exchange.forward_json(&request).await;
            each_in(&mut answer, "services", service::answer);
            answer.edit(|value| {
                let Some(Value::Array(services)) = value.get_mut("services") else {
                    return;
                };
                for live in services {
                    rollout::start_deployment(live);
                    answer_kept(exchange, live);
                    let name = live
                        .get("serviceName")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if let Some((script, polls)) = exchange.rollouts().poll(name) {
                        rollout::play(live, &script, polls);
                    }
                }
            });
            answer
        }
        "ListServiceDeployments" => list_service_deployments(exchange, &request).await?,
        "DescribeServiceDeployments" => describe_service_deployments(exchange, &request)?,
        "StopServiceDeployment" => stop_service_deployment(exchange, &request)?,
        "ListTasks" => list_tasks(exchange, request).await,
        "DescribeTasks" => describe_tasks(exchange, request).await,
        "DeleteService" => {
            let mut answer = exchange.forward_json(&request).await;
            each_in(&mut answer, "service", service::answer);
            answer
        }
        "DescribeClusters" => {
            service::check_describe_count(&request, "clusters", service::DESCRIBE_CLUSTERS_MAX)?;
            exchange.forward_json(&request).await
        }
        _ => exchange.forward_json(&request).await,
    };
    Ok(answer)
}

async fn create_service(exchange: &Exchange<'_>, mut request: Value) -> Result<Answer, AwsError> {
    service::check_launch_type_exclusive(&request)?;
    if service::uses_cluster_default(&request) {
        let cluster = request.get("cluster").cloned().unwrap_or(json!("default"));
        let clusters = exchange
            .call(
                Api::Ecs,
                "DescribeClusters",
                &json!({"clusters": [cluster]}),
            )
            .await;
        let strategy = clusters
            .json()
            .and_then(|v| v.pointer("/clusters/0").cloned())
            .and_then(|cluster| service::default_strategy(&request, &cluster));
        if let (Some(strategy), Some(fields)) = (strategy, request.as_object_mut()) {
            fields.insert("capacityProviderStrategy".into(), strategy);
        }
    }
    check_srv_registries(exchange, &request).await?;
    let mut answer = exchange.forward_json(&request).await;
    if answer.ok()
        && let Some(key) = delivery::service_key(request.get("cluster"), request.get("serviceName"))
    {
        exchange.kept().forget(&key);
        exchange.kept().store(&key, delivery::sent_fields(&request));
    }
    if answer.ok() {
        // The emulator's create drops these fields; its update stores them.
        let stored = exchange
            .call(
                Api::Ecs,
                "UpdateService",
                &service::create_follow_up(&request),
            )
            .await;
        answer = stored;
    }
    each_in(&mut answer, "service", service::answer);
    answer.edit(|value| {
        if let Some(live) = value.get_mut("service") {
            answer_kept(exchange, live);
        }
    });
    if let Some(created) = answer.json().and_then(|v| v.get("service").cloned()) {
        exchange.rollouts().deployments().start(&created, true);
    }
    Ok(answer)
}

/// Rewrites a Service Connect namespace sent by name into its ARN, as ECS stores it.
async fn namespace_as_arn(exchange: &Exchange<'_>, request: &mut Value) {
    let Some((pointer, _)) = delivery::namespace_named(request) else {
        return;
    };
    let namespaces = exchange
        .call(Api::CloudMap, "ListNamespaces", &json!({}))
        .await
        .json()
        .and_then(|v| v.get("Namespaces").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    delivery::namespace_as_arn(request, pointer, &namespaces);
}

/// Answers the fields the layer keeps for this service on its primary deployment.
fn answer_kept(exchange: &Exchange<'_>, live: &mut Value) {
    if let Some(key) = delivery::service_key(live.get("clusterArn"), live.get("serviceName")) {
        delivery::answer_kept(live, &exchange.kept().get(&key));
    }
}

async fn update_service(exchange: &Exchange<'_>, mut request: Value) -> Result<Answer, AwsError> {
    if delivery::update_needs_alarms(&request) {
        let cluster = request.get("cluster").cloned().unwrap_or(json!("default"));
        let name = request
            .get("service")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(current) = current_service(exchange, &cluster, &name).await {
            delivery::keep_alarms(&mut request, &current);
        }
    }
    if service::update_needs_current(&request) {
        let cluster = request.get("cluster").cloned().unwrap_or(json!("default"));
        let name = request.get("service").cloned().unwrap_or(Value::Null);
        let current = exchange
            .call(
                Api::Ecs,
                "DescribeServices",
                &json!({"cluster": cluster, "services": [name]}),
            )
            .await;
        if let Some(current) = current
            .json()
            .and_then(|v| v.pointer("/services/0").cloned())
        {
            service::check_update(&request, &current)?;
        }
    }
    check_srv_registries(exchange, &request).await?;
    let mut answer = exchange.forward_json(&request).await;
    if answer.ok()
        && let Some(key) = delivery::service_key(request.get("cluster"), request.get("service"))
    {
        exchange.kept().store(&key, delivery::sent_fields(&request));
    }
    each_in(&mut answer, "service", service::answer);
    each_in(&mut answer, "service", rollout::start_deployment);
    answer.edit(|value| {
        if let Some(live) = value.get_mut("service") {
            answer_kept(exchange, live);
        }
    });
    if let Some(updated) = answer.json().and_then(|v| v.get("service").cloned()) {
        exchange.rollouts().deployments().start(&updated, false);
    }
    Ok(answer)
}

/// The service `name` of `cluster` as the emulator answers it.
async fn current_service(exchange: &Exchange<'_>, cluster: &Value, name: &str) -> Option<Value> {
    exchange
        .call(
            Api::Ecs,
            "DescribeServices",
            &json!({"cluster": cluster, "services": [name]}),
        )
        .await
        .json()
        .and_then(|v| v.pointer("/services/0").cloned())
}

/// `ListServiceDeployments`: the emulator has no such operation. An unknown service is refused as
/// AWS refuses it; a service with a scripted deployment lists it, others list none.
async fn list_service_deployments(
    exchange: &Exchange<'_>,
    request: &Value,
) -> Result<Answer, AwsError> {
    let cluster = request.get("cluster").cloned().unwrap_or(json!("default"));
    let name = request
        .get("service")
        .and_then(Value::as_str)
        .map(|s| s.rsplit('/').next().unwrap_or(s))
        .unwrap_or_default();
    if current_service(exchange, &cluster, name).await.is_none() {
        return Err(AwsError::new(
            Api::Ecs,
            "ServiceNotFoundException",
            "Service not found.",
        ));
    }
    let listed: Vec<Value> = exchange
        .rollouts()
        .deployments()
        .brief(name)
        .into_iter()
        .filter(|b| {
            deployments::status_matches(
                request,
                b.get("status").and_then(Value::as_str).unwrap_or(""),
            )
        })
        .collect();
    Ok(Answer::json_ok(&json!({"serviceDeployments": listed})))
}

/// `DescribeServiceDeployments`: each answer that carries a scripted deployment moves it on.
fn describe_service_deployments(
    exchange: &Exchange<'_>,
    request: &Value,
) -> Result<Answer, AwsError> {
    let arns: Vec<&str> = request
        .get("serviceDeploymentArns")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if arns.len() > deployments::DESCRIBE_MAX {
        return Err(AwsError::invalid(
            Api::Ecs,
            format!(
                "serviceDeploymentArns can have at most {} items.",
                deployments::DESCRIBE_MAX
            ),
        ));
    }
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for arn in arns {
        match exchange.rollouts().deployments().describe(arn) {
            Some(deployment) => found.push(deployment),
            None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
        }
    }
    Ok(Answer::json_ok(
        &json!({"serviceDeployments": found, "failures": failures}),
    ))
}

/// `StopServiceDeployment` of a scripted deployment.
fn stop_service_deployment(exchange: &Exchange<'_>, request: &Value) -> Result<Answer, AwsError> {
    let arn = request
        .get("serviceDeploymentArn")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let how = match request.get("stopType").and_then(Value::as_str) {
        None | Some("ROLLBACK") => deployments::StopType::Rollback,
        Some("ABORT") => deployments::StopType::Abort,
        Some(other) => {
            return Err(AwsError::invalid(
                Api::Ecs,
                format!("Invalid stopType: {other}"),
            ));
        }
    };
    match exchange.rollouts().deployments().stop(arn, how) {
        Ok(()) => Ok(Answer::json_ok(&json!({"serviceDeploymentArn": arn}))),
        Err(StopRefused::NotFound) => Err(AwsError::new(
            Api::Ecs,
            "ServiceDeploymentNotFoundException",
            format!("The service deployment {arn} does not exist."),
        )),
        Err(StopRefused::Finished) => Err(AwsError::new(
            Api::Ecs,
            "ConflictException",
            format!("The service deployment {arn} has already finished and cannot be stopped."),
        )),
    }
}

/// The stopped tasks of a failed scripted rollout of `name`, if it has failed.
async fn scripted_stopped_tasks(
    exchange: &Exchange<'_>,
    cluster: &Value,
    name: &str,
) -> Vec<Value> {
    let Some((script, polls)) = exchange.rollouts().peek(name) else {
        return Vec::new();
    };
    let stopped = script.stopped(polls);
    if stopped.is_empty() {
        return Vec::new();
    }
    match current_service(exchange, cluster, name).await {
        Some(mut live) => {
            rollout::start_deployment(&mut live);
            rollout::stopped_tasks(&live, stopped)
        }
        None => Vec::new(),
    }
}

/// `ListTasks` of a service whose scripted rollout failed also lists its stopped tasks.
async fn list_tasks(exchange: &Exchange<'_>, request: Value) -> Answer {
    let mut answer = exchange.forward_json(&request).await;
    let stopped_wanted = request.get("desiredStatus").and_then(Value::as_str) == Some("STOPPED");
    let Some(name) = request.get("serviceName").and_then(Value::as_str) else {
        return answer;
    };
    if !stopped_wanted {
        return answer;
    }
    let cluster = request.get("cluster").cloned().unwrap_or(json!("default"));
    let tasks = scripted_stopped_tasks(exchange, &cluster, name).await;
    answer.edit(|value| {
        if let Some(Value::Array(arns)) = value.get_mut("taskArns") {
            arns.extend(tasks.iter().filter_map(|t| t.get("taskArn").cloned()));
        }
    });
    answer
}

/// `DescribeTasks` answers the layer's stopped tasks itself and asks the emulator for the others.
async fn describe_tasks(exchange: &Exchange<'_>, mut request: Value) -> Answer {
    let cluster = request.get("cluster").cloned().unwrap_or(json!("default"));
    let wanted: Vec<String> = request
        .get("tasks")
        .and_then(Value::as_array)
        .map(|arns| {
            arns.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let (own, others): (Vec<String>, Vec<String>) = wanted
        .into_iter()
        .partition(|arn| rollout::task_service(arn).is_some());
    if own.is_empty() {
        return exchange.forward_json(&request).await;
    }
    let mut services: Vec<&str> = own
        .iter()
        .filter_map(|arn| rollout::task_service(arn))
        .collect();
    services.sort_unstable();
    services.dedup();
    let mut found = Vec::new();
    for name in services {
        found.extend(
            scripted_stopped_tasks(exchange, &cluster, name)
                .await
                .into_iter()
                .filter(|t| {
                    t.get("taskArn")
                        .and_then(Value::as_str)
                        .is_some_and(|a| own.iter().any(|o| o == a))
                }),
        );
    }
    let failures: Vec<Value> = own
        .iter()
        .filter(|arn| {
            !found
                .iter()
                .any(|t| t.get("taskArn").and_then(Value::as_str) == Some(arn.as_str()))
        })
        .map(|arn| json!({"arn": arn, "reason": "MISSING"}))
        .collect();
    if others.is_empty() {
        return Answer::json_ok(&json!({"tasks": found, "failures": failures}));
    }
    if let Some(fields) = request.as_object_mut() {
        fields.insert("tasks".into(), json!(others));
    }
    let mut answer = exchange.forward_json(&request).await;
    answer.edit(|value| {
        if let Some(Value::Array(tasks)) = value.get_mut("tasks") {
            tasks.extend(found);
        }
        if let Some(Value::Array(missing)) = value.get_mut("failures") {
            missing.extend(failures);
        }
    });
    answer
}

/// Reads the Cloud Map service of each registry of a service request and checks the SRV rule.
async fn check_srv_registries(exchange: &Exchange<'_>, request: &Value) -> Result<(), AwsError> {
    let registries = request
        .get("serviceRegistries")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut srv = Vec::with_capacity(registries.len());
    for registry in registries {
        let id = registry
            .get("registryArn")
            .and_then(Value::as_str)
            .and_then(|arn| arn.rsplit('/').next());
        let has_srv = match id {
            Some(id) => exchange
                .call(Api::CloudMap, "GetService", &json!({"Id": id}))
                .await
                .json()
                .and_then(|v| v.get("Service").cloned())
                .is_some_and(|discovery| service::has_srv_record(&discovery)),
            None => false,
        };
        srv.push(has_srv);
    }
    service::check_registries(request, &srv)
}

async fn cloud_map(
    exchange: &Exchange<'_>,
    call: &Call,
    mut request: Value,
) -> Result<Answer, AwsError> {
    if let Some(paging) = page::paging(call.api, &call.operation) {
        return match call.operation.as_str() {
            "ListServices" => list_cloud_map_services(exchange, &paging, request).await,
            _ => list(exchange, &paging, request, cloudmap::namespace_summary).await,
        };
    }
    let answer = match call.operation.as_str() {
        "CreateService" => {
            let same_name = cloud_map_services_named(exchange, request.get("Name")).await;
            let mut answer = match cloudmap::existing_service(&request, &same_name)? {
                // A retry of the request that created it: the same service, not a second one.
                Some(existing) => {
                    exchange
                        .call(Api::CloudMap, "GetService", &json!({"Id": existing["Id"]}))
                        .await
                }
                None => {
                    cloudmap::create_request(&mut request);
                    exchange.forward_json(&request).await
                }
            };
            each_in(&mut answer, "Service", cloudmap::service_answer);
            answer
        }
        "GetService" => {
            let mut answer = exchange.forward_json(&request).await;
            each_in(&mut answer, "Service", cloudmap::service_answer);
            answer
        }
        _ => exchange.forward_json(&request).await,
    };
    Ok(answer)
}

/// The Cloud Map services named `name`, each as `GetService` answers it (with its namespace and
/// `CreatorRequestId`, which AWS's `ListServices` summaries do not carry).
async fn cloud_map_services_named(exchange: &Exchange<'_>, name: Option<&Value>) -> Vec<Value> {
    let listed = exchange
        .call(Api::CloudMap, "ListServices", &json!({}))
        .await
        .json()
        .and_then(|v| v.get("Services").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    let mut found = Vec::new();
    for summary in listed.iter().filter(|s| s.get("Name") == name) {
        if let Some(service) = get_cloud_map_service(exchange, summary.get("Id")).await {
            found.push(service);
        }
    }
    found
}

/// One Cloud Map service as the emulator's `GetService` answers it; its namespace is remembered.
async fn get_cloud_map_service(exchange: &Exchange<'_>, id: Option<&Value>) -> Option<Value> {
    let id = id?.as_str()?;
    let service = exchange
        .call(Api::CloudMap, "GetService", &json!({"Id": id}))
        .await
        .json()?
        .get("Service")?
        .clone();
    if let Some(namespace) = service.get("NamespaceId").and_then(Value::as_str) {
        exchange.namespaces().remember(id, namespace);
    }
    Some(service)
}

/// The namespace of Cloud Map service `id` (remembered, else read with `GetService`).
async fn cloud_map_service_namespace(
    exchange: &Exchange<'_>,
    id: Option<&Value>,
) -> Option<String> {
    let id_text = id?.as_str()?;
    if let Some(known) = exchange.namespaces().get(id_text) {
        return Some(known);
    }
    get_cloud_map_service(exchange, id)
        .await?
        .get("NamespaceId")?
        .as_str()
        .map(str::to_owned)
}

/// Cloud Map `ListServices`: the emulator answers every service of the account and region; the layer
/// applies the `NAMESPACE_ID` filter itself, reading each service's namespace with `GetService`
/// (summaries carry none), then answers one page of AWS-shaped summaries.
async fn list_cloud_map_services(
    exchange: &Exchange<'_>,
    paging: &Paging,
    mut request: Value,
) -> Result<Answer, AwsError> {
    let wanted = page::take_page(paging, &mut request)?;
    let namespaces = cloudmap::namespace_filter(request.get("Filters"));
    let answer = exchange.forward_json(&request).await;
    let Some(mut value) = answer.json() else {
        return Ok(answer);
    };
    if let (Some(namespaces), Some(Value::Array(items))) = (namespaces, value.get_mut(paging.items))
    {
        let mut kept = Vec::with_capacity(items.len());
        for item in items.drain(..) {
            let namespace = cloud_map_service_namespace(exchange, item.get("Id")).await;
            if namespace.is_some_and(|n| namespaces.contains(&n)) {
                kept.push(item);
            }
        }
        *items = kept;
    }
    page::cut(paging, wanted, &mut value);
    if let Some(Value::Array(items)) = value.get_mut(paging.items) {
        items.iter_mut().for_each(cloudmap::service_summary);
    }
    Ok(Answer::json_ok(&value))
}

/// A list call: the emulator answers everything, the layer answers one page of it, each item
/// rewritten by `rule`.
async fn list(
    exchange: &Exchange<'_>,
    paging: &Paging,
    mut request: Value,
    rule: fn(&mut Value),
) -> Result<Answer, AwsError> {
    let wanted = page::take_page(paging, &mut request)?;
    let mut answer = exchange.forward_json(&request).await;
    answer.edit(|value| {
        page::cut(paging, wanted, value);
        if let Some(Value::Array(items)) = value.get_mut(paging.items) {
            items.iter_mut().for_each(rule);
        }
    });
    Ok(answer)
}
