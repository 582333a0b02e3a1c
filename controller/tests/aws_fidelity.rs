//! The controller against AWS's real answers: each test applies one variant of a service through
//! the AWS fidelity layer (`finfocus-aws-fidelity`, in front of the emulator), then checks that it
//! stays quiet: `plan` exits 0 three times and a second `apply` makes no write call. The last tests
//! check the layer itself against the emulator (what it refuses, what it changes before moto
//! stores it), bypassing it through `raw_endpoint` where they compare.
//!
//! The behaviours and their sources are listed in `docs/src/aws-behaviours.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use finfocus_aws_fidelity::{Rollout, StoppedContainer, StoppedTask};
use serde_json::{Value, json};
use support::{Case, Run, describe_service, stays_quiet, write_operations};

/// Applies the case's manifests (must converge), then: `plan` exits 0 three times without writes,
/// and a second `apply` calls no write operation. Returns the first apply.
#[track_caller]
fn converges_then_stays_quiet(case: &Case) -> Run {
    let applied = case.run(&["apply"]);
    applied.expect_code(0);
    stays_quiet(case);
    applied
}

/// One service variant: pieces of YAML put into a small Fargate service with its cluster and
/// (when it has discovery) namespace.
#[derive(Default)]
struct Variant<'a> {
    /// `EcsCluster` spec body lines (2-space indent), or empty for `{}`.
    cluster: &'a str,
    /// Extra `CloudMapNamespace` spec lines (2-space indent).
    namespace: &'a str,
    /// Extra `taskDefinition` lines (4-space indent).
    task: &'a str,
    /// Extra container lines (8-space indent).
    container: &'a str,
    /// `service` lines (4-space indent); the network configuration is added.
    service: &'a str,
    /// Extra `serviceDiscovery` lines (4-space indent); `None`: no discovery.
    discovery: Option<&'a str>,
    /// The discovery's DNS records.
    records: &'a str,
}

/// Writes the variant's manifests into the case's directory.
fn write_variant(case: &Case, v: &Variant) {
    let (names, network) = (&case.names, &case.network);
    let cluster_spec = if v.cluster.is_empty() {
        " {}\n".to_owned()
    } else {
        format!("\n{}", v.cluster)
    };
    let mut yaml = format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: {cluster}\nspec:{cluster_spec}",
        cluster = names.cluster
    );
    let discovery = match v.discovery {
        None => String::new(),
        Some(extra) => {
            yaml.push_str(&format!(
                "---\napiVersion: ecs.finfocus.io/v1alpha1\nkind: CloudMapNamespace\nmetadata:\n  name: {ns}\nspec:\n  name: {dns}\n  vpc: {vpc}\n{extra_ns}",
                ns = names.namespace,
                dns = names.dns,
                vpc = names.vpc,
                extra_ns = v.namespace,
            ));
            let records = if v.records.is_empty() {
                "[{type: A, ttl: 60}]"
            } else {
                v.records
            };
            format!(
                "  serviceDiscovery:\n    namespace: {ns}\n    name: {svc}\n    dnsConfig:\n      dnsRecords: {records}\n{extra}",
                ns = names.namespace,
                svc = names.discovery,
            )
        }
    };
    yaml.push_str(&format!(
        "---
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: {service}
spec:
  cluster: {cluster}
  taskDefinition:
    family: {service}
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: \"256\"
    memory: \"512\"
{task}    containerDefinitions:
      - name: app
        image: ghcr.io/finfocus/finfocus-plugin-aws-public:0.1.0
        portMappings: [{{containerPort: 8001}}]
{container}  service:
{settings}    networkConfiguration:
      awsvpcConfiguration:
        subnets: [{subnet}]
        securityGroups: [{sg}]
        assignPublicIp: DISABLED
{discovery}",
        service = names.service,
        cluster = names.cluster,
        task = v.task,
        container = v.container,
        settings = v.service,
        subnet = network.subnets[0],
        sg = network.security_group,
    ));
    case.dir.write("manifests.yaml", &yaml);
}

/// The live service runs on the FARGATE_SPOT strategy and carries no launch type.
fn runs_on_fargate_spot_without_launch_type(case: &Case) {
    let live = case.live_service();
    assert!(live.get("launchType").is_none(), "{live}");
    assert_eq!(
        live["capacityProviderStrategy"][0]["capacityProvider"],
        "FARGATE_SPOT"
    );
}

/// The task definition the service runs, as moto stored it (bypassing the layer).
fn raw_task_definition(case: &Case) -> Value {
    let arn = case.live_service()["taskDefinition"].clone();
    let (status, answer) = case.emu.json_call_at(
        case.emu.raw_endpoint(),
        "ecs",
        "DescribeTaskDefinition",
        &json!({"taskDefinition": arn}),
    );
    assert_eq!(status, 200, "{answer}");
    answer["taskDefinition"].clone()
}

const SERVICE_LINKED_ROLE: &str =
    "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS";

// ------------------------------------------------------------------ the controller, per variant

#[test]
fn reference_deployment_stays_quiet_on_real_answers() {
    let case = Case::with_reference("fid-ref");
    converges_then_stays_quiet(&case);
    assert_eq!(case.live_service()["roleArn"], SERVICE_LINKED_ROLE);
}

#[test]
fn service_without_role_accepts_the_service_linked_role() {
    let case = Case::new("fid-role");
    write_variant(
        &case,
        &Variant {
            service: "    desiredCount: 1\n    launchType: FARGATE\n",
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
    assert_eq!(case.live_service()["roleArn"], SERVICE_LINKED_ROLE);
}

#[test]
fn service_without_launch_type_runs_on_the_cluster_default_strategy() {
    let case = Case::new("fid-default-cp");
    write_variant(
        &case,
        &Variant {
            cluster: "  capacityProviders: [FARGATE, FARGATE_SPOT]\n  defaultCapacityProviderStrategy:\n    - {capacityProvider: FARGATE_SPOT, weight: 1}\n",
            service: "    desiredCount: 1\n",
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
    runs_on_fargate_spot_without_launch_type(&case);
}

#[test]
fn empty_environment_values_do_not_register_revisions() {
    let case = Case::new("fid-env");
    write_variant(
        &case,
        &Variant {
            container: "        environment:\n          - {name: EMPTY, value: \"\"}\n          - {name: LEVEL, value: info}\n",
            service: "    desiredCount: 1\n    launchType: FARGATE\n",
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
    // The layer dropped the empty value before moto stored the revision, as ECS does.
    let stored = raw_task_definition(&case);
    assert_eq!(
        stored["containerDefinitions"][0]["environment"],
        json!([{"name": "LEVEL", "value": "info"}])
    );
}

#[test]
fn role_names_compare_equal_to_their_arns() {
    let case = Case::new("fid-role-names");
    write_variant(
        &case,
        &Variant {
            task: "    taskRoleArn: app-task-role\n    executionRoleArn: ecsTaskExecutionRole\n",
            service: "    desiredCount: 1\n    launchType: FARGATE\n",
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
    let arn = case.live_service()["taskDefinition"].clone();
    let (_, answer) = case.emu.json_call_at(
        case.emu.endpoint(),
        "ecs",
        "DescribeTaskDefinition",
        &json!({"taskDefinition": arn}),
    );
    assert_eq!(
        answer["taskDefinition"]["taskRoleArn"],
        "arn:aws:iam::123456789012:role/app-task-role"
    );
}

#[test]
fn namespace_soa_ttl_is_compared_with_the_full_namespace() {
    let case = Case::new("fid-soa");
    write_variant(
        &case,
        &Variant {
            namespace: "  properties:\n    dnsProperties:\n      soa: {ttl: 30}\n",
            service: "    desiredCount: 1\n    launchType: FARGATE\n",
            discovery: Some(""),
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
}

#[test]
fn failure_threshold_other_than_one_is_accepted_and_compared_as_one() {
    let case = Case::new("fid-threshold");
    write_variant(
        &case,
        &Variant {
            service: "    desiredCount: 1\n    launchType: FARGATE\n",
            discovery: Some("    healthCheckCustomConfig:\n      failureThreshold: 5\n"),
            ..Variant::default()
        },
    );
    let validated = case.run(&["validate"]);
    validated.expect_code(0);
    let output = format!("{}{}", validated.stdout, validated.stderr);
    assert!(
        output.contains("failureThreshold"),
        "a warning names the field: {output}"
    );
    converges_then_stays_quiet(&case);
    // Cloud Map stores 1 whatever is sent: so does moto behind the layer.
    let (_, listed) = case.emu.json_call_at(
        case.emu.raw_endpoint(),
        "servicediscovery",
        "ListServices",
        &json!({}),
    );
    let stored = listed["Services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Name"] == case.names.discovery.as_str())
        .cloned()
        .expect("Cloud Map service created");
    assert_eq!(stored["HealthCheckCustomConfig"]["FailureThreshold"], 1);
}

#[test]
fn srv_records_register_with_container_name_and_port() {
    let case = Case::new("fid-srv");
    write_variant(
        &case,
        &Variant {
            service: "    desiredCount: 1\n    launchType: FARGATE\n",
            discovery: Some("    containerName: app\n    containerPort: 8001\n"),
            records: "[{type: SRV, ttl: 60}]",
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
    let registry = &case.live_service()["serviceRegistries"][0];
    assert_eq!(registry["containerName"], "app");
    assert_eq!(registry["containerPort"], 8001);
}

#[test]
fn code_deploy_and_external_services_are_refused_before_any_call() {
    // ECS refuses UpdateService of their task definition, network, platform version, registries
    // and strategy (the layer answers so): the controller refuses them at validate instead of
    // planning updates that would fail on every pass.
    for controller in ["CODE_DEPLOY", "EXTERNAL"] {
        let case = Case::new("fid-controller");
        let settings = format!(
            "    desiredCount: 1\n    launchType: FARGATE\n    deploymentController: {{type: {controller}}}\n"
        );
        write_variant(
            &case,
            &Variant {
                service: &settings,
                ..Variant::default()
            },
        );
        let validated = case.run(&["validate"]);
        validated.expect_code(1);
        let output = format!("{}{}", validated.stdout, validated.stderr);
        assert!(
            output.contains("deploymentController") && output.contains(controller),
            "{output}"
        );
        let applied = case.run(&["apply"]);
        applied.expect_code(1);
        assert!(write_operations(&applied).is_empty(), "{}", applied.calls());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn omitted_desired_count_follows_autoscaling() {
    let case = Case::new("fid-autoscale");
    write_variant(
        &case,
        &Variant {
            service: "    launchType: FARGATE\n",
            ..Variant::default()
        },
    );
    let applied = case.run(&["apply"]);
    applied.expect_code(0);
    let ecs = case.emu.ecs().await;
    let created = describe_service(&ecs, &case.names.cluster, &case.names.service)
        .await
        .unwrap();
    assert_eq!(created.desired_count(), 1, "created with one task");
    // Application Auto Scaling changes the count out of band: no drift, nothing written.
    support::set_desired_count(&ecs, &case.names.cluster, &case.names.service, 4).await;
    stays_quiet(&case);
    let after = describe_service(&ecs, &case.names.cluster, &case.names.service)
        .await
        .unwrap();
    assert_eq!(after.desired_count(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn set_desired_count_changed_out_of_band_is_corrected() {
    let case = Case::new("fid-count");
    write_variant(
        &case,
        &Variant {
            service: "    desiredCount: 2\n    launchType: FARGATE\n",
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
    let ecs = case.emu.ecs().await;
    support::set_desired_count(&ecs, &case.names.cluster, &case.names.service, 5).await;
    let plan = case.run(&["plan"]);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("service.desiredCount: 5 -> 2"),
        "{}",
        plan.stdout
    );
    let corrected = case.run(&["apply"]);
    corrected.expect_code(0);
    assert_eq!(
        corrected.count("ecs.UpdateService"),
        1,
        "{}",
        corrected.calls()
    );
    stays_quiet(&case);
    let after = describe_service(&ecs, &case.names.cluster, &case.names.service)
        .await
        .unwrap();
    assert_eq!(after.desired_count(), 2);
}

#[test]
fn launch_type_to_capacity_provider_strategy_updates_in_place() {
    let case = Case::new("fid-to-cp");
    let cluster = "  capacityProviders: [FARGATE, FARGATE_SPOT]\n";
    write_variant(
        &case,
        &Variant {
            cluster,
            service: "    desiredCount: 1\n    launchType: FARGATE\n",
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
    write_variant(
        &case,
        &Variant {
            cluster,
            service: "    desiredCount: 1\n    capacityProviderStrategy:\n      - {capacityProvider: FARGATE_SPOT, weight: 1}\n",
            ..Variant::default()
        },
    );
    let moved = case.run(&["apply"]);
    moved.expect_code(0);
    assert_eq!(moved.count("ecs.UpdateService"), 1, "{}", moved.calls());
    assert_eq!(moved.count("ecs.DeleteService"), 0, "{}", moved.calls());
    assert_eq!(moved.count("ecs.CreateService"), 0, "{}", moved.calls());
    stays_quiet(&case);
    runs_on_fargate_spot_without_launch_type(&case);
}

#[test]
fn volumes_and_new_service_fields_stay_quiet() {
    let case = Case::new("fid-volumes");
    write_variant(
        &case,
        &Variant {
            task: "    volumes:\n      - name: shared\n        efsVolumeConfiguration: {fileSystemId: fs-0123456789abcdef0}\n      - name: scratch\n        dockerVolumeConfiguration: {driver: local}\n",
            container: "        memoryReservation: 128\n",
            service: "    desiredCount: 1\n    launchType: FARGATE\n    deploymentConfiguration: {maximumPercent: 150, minimumHealthyPercent: 50}\n",
            ..Variant::default()
        },
    );
    converges_then_stays_quiet(&case);
    let live = case.live_service();
    assert_eq!(live["deploymentConfiguration"]["maximumPercent"], 150);
    assert_eq!(live["deploymentConfiguration"]["strategy"], "ROLLING");
    assert_eq!(live["availabilityZoneRebalancing"], "ENABLED");
}

#[test]
fn services_beyond_the_first_list_page_are_found() {
    // ListServices answers 10 ARNs a page by default: 12 services need two pages, and the orphan
    // sorts last, on the second page.
    let case = Case::new("fid-pages");
    let (names, network) = (&case.names, &case.network);
    let mut all = support::cluster_manifest(&names.cluster);
    let service_names: Vec<String> = (0..12)
        .map(|i| format!("{}-{i:02}", names.service))
        .collect();
    for name in &service_names {
        all.push_str("---\n");
        all.push_str(&support::small_service(name, &names.cluster, network, None));
    }
    case.dir.write("manifests.yaml", &all);
    converges_then_stays_quiet(&case);

    let orphan = service_names.last().unwrap();
    let kept = all
        .split("---\n")
        .filter(|doc| !doc.contains(&format!("name: {orphan}\n")))
        .collect::<Vec<_>>()
        .join("---\n");
    case.dir.write("manifests.yaml", &kept);
    let pruned = case.run(&["apply", "--prune"]);
    pruned.expect_code(0);
    assert_eq!(pruned.count("ecs.DeleteService"), 1, "{}", pruned.stdout);
    assert!(pruned.count("ecs.ListServices") >= 2, "{}", pruned.calls());
}

// ------------------------------------------------------------------ the layer against the emulator

/// Calls `operation` through the layer and returns status and answer.
fn through_layer(case: &Case, service: &str, operation: &str, body: Value) -> (u16, Value) {
    case.emu
        .json_call_at(case.emu.endpoint(), service, operation, &body)
}

/// Creates the case's cluster and a registered task definition through the layer.
fn cluster_and_task_definition(case: &Case) -> String {
    let (status, _) = through_layer(
        case,
        "ecs",
        "CreateCluster",
        json!({"clusterName": case.names.cluster}),
    );
    assert_eq!(status, 200);
    let (status, answer) = through_layer(
        case,
        "ecs",
        "RegisterTaskDefinition",
        json!({
            "family": case.names.service,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "nginx"}],
        }),
    );
    assert_eq!(status, 200, "{answer}");
    answer["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn layer_refuses_what_aws_refuses() {
    let case = Case::new("fid-refuse");
    cluster_and_task_definition(&case);

    let (status, answer) = through_layer(
        &case,
        "ecs",
        "RegisterTaskDefinition",
        json!({"family": "zero", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 0}]}),
    );
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("ClientException"))
    );

    let (status, answer) = through_layer(
        &case,
        "ecs",
        "ListServices",
        json!({"cluster": case.names.cluster, "maxResults": 101}),
    );
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["__type"], "InvalidParameterException");

    let eleven: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let (status, _) = through_layer(
        &case,
        "ecs",
        "DescribeServices",
        json!({"cluster": case.names.cluster, "services": eleven}),
    );
    assert_eq!(status, 400);

    let (status, answer) = through_layer(
        &case,
        "servicediscovery",
        "ListNamespaces",
        json!({"MaxResults": 500}),
    );
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("InvalidInput"))
    );

    // Moto accepts all of these; the same calls straight to moto prove the layer answered.
    let (status, _) = case.emu.json_call_at(
        case.emu.raw_endpoint(),
        "ecs",
        "ListServices",
        &json!({"cluster": case.names.cluster, "maxResults": 101}),
    );
    assert_eq!(status, 200);
}

/// Creates the case's private DNS namespace through the layer and returns its id.
fn namespace_id(case: &Case) -> Value {
    let (status, ns) = through_layer(
        case,
        "servicediscovery",
        "CreatePrivateDnsNamespace",
        json!({"Name": case.names.dns, "Vpc": case.names.vpc}),
    );
    assert_eq!(status, 200, "{ns}");
    let (_, namespaces) = through_layer(case, "servicediscovery", "ListNamespaces", json!({}));
    namespaces["Namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["Name"] == case.names.dns.as_str())
        .map(|n| n["Id"].clone())
        .unwrap()
}

#[test]
fn layer_refuses_a_second_cloud_map_service_of_the_same_name() {
    let case = Case::new("fid-sd-twice");
    let namespace_id = namespace_id(&case);
    let create = |request_id: &str| {
        through_layer(
            &case,
            "servicediscovery",
            "CreateService",
            json!({"Name": case.names.discovery, "NamespaceId": namespace_id,
                   "CreatorRequestId": request_id,
                   "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 60}]}}),
        )
    };
    let (status, first) = create("request-1");
    assert_eq!(status, 200, "{first}");
    // A retry of the same request answers the same service.
    let (status, retried) = create("request-1");
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["Service"]["Id"], first["Service"]["Id"]);
    let (status, second) = create("request-2");
    assert_eq!(status, 400, "{second}");
    assert_eq!(second["__type"], "ServiceAlreadyExists");
    // Moto holds one service of that name (it would have made three).
    let (_, listed) = case.emu.json_call_at(
        case.emu.raw_endpoint(),
        "servicediscovery",
        "ListServices",
        &json!({}),
    );
    let named = listed["Services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Name"] == case.names.discovery.as_str())
        .count();
    assert_eq!(named, 1);
}

/// Creates a Cloud Map service named `name` in `namespace` through the layer; returns its id.
fn cloud_map_service(case: &Case, namespace: &Value, name: &str) -> Value {
    let (status, created) = through_layer(
        case,
        "servicediscovery",
        "CreateService",
        json!({"Name": name, "NamespaceId": namespace,
               "CreatorRequestId": request_id(namespace, name),
               "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 60}]}}),
    );
    assert_eq!(status, 200, "{created}");
    created["Service"]["Id"].clone()
}

/// The `CreatorRequestId` [`cloud_map_service`] sends.
fn request_id(namespace: &Value, name: &str) -> String {
    format!("create-{}-{name}", namespace.as_str().unwrap_or_default())
}

/// Service ids of a Cloud Map `ListServices` answer.
fn listed_ids(answer: &Value) -> Vec<Value> {
    answer["Services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Id"].clone())
        .collect()
}

#[test]
fn layer_filters_cloud_map_services_by_namespace_and_answers_aws_summaries() {
    let case = Case::new("fid-sd-filter");
    let first = namespace_id(&case);
    let (status, other) = through_layer(
        &case,
        "servicediscovery",
        "CreatePrivateDnsNamespace",
        json!({"Name": format!("other.{}", case.names.dns), "Vpc": format!("{}-b", case.names.vpc)}),
    );
    assert_eq!(status, 200, "{other}");
    let (_, namespaces) = through_layer(&case, "servicediscovery", "ListNamespaces", json!({}));
    let second = namespaces["Namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["Name"] == format!("other.{}", case.names.dns).as_str())
        .map(|n| n["Id"].clone())
        .unwrap();
    // The same name in both namespaces, as two apps of one account may have.
    let in_first = cloud_map_service(&case, &first, &case.names.discovery);
    let in_second = cloud_map_service(&case, &second, &case.names.discovery);

    let filter = |ids: Value, condition: &str| {
        let (status, answer) = through_layer(
            &case,
            "servicediscovery",
            "ListServices",
            json!({"Filters": [{"Name": "NAMESPACE_ID", "Values": ids, "Condition": condition}]}),
        );
        assert_eq!(status, 200, "{answer}");
        answer
    };
    let answer = filter(json!([first]), "EQ");
    assert_eq!(listed_ids(&answer), vec![in_first.clone()]);
    assert_eq!(
        listed_ids(&filter(json!([second]), "EQ")),
        vec![in_second.clone()]
    );
    let both = listed_ids(&filter(json!([first, second]), "IN"));
    assert!(
        both.contains(&in_first) && both.contains(&in_second),
        "{both:?}"
    );
    // AWS's summaries carry neither the namespace nor the creator request id, whatever the emulator adds.
    let summary = &answer["Services"][0];
    assert!(summary.get("NamespaceId").is_none(), "{summary}");
    assert!(summary.get("CreatorRequestId").is_none(), "{summary}");
    assert_eq!(summary["Name"], case.names.discovery.as_str());
    assert_eq!(summary["Type"], "DNS_HTTP");
}

/// What the layer reads from the emulator, asked of the emulator itself: when a new emulator version
/// answers these in another shape, this test names the field instead of every apply test failing on
/// a service that seems to be missing.
#[test]
fn emulator_answers_what_the_layer_reads() {
    let case = Case::new("fid-emu-shape");
    let namespace = namespace_id(&case);
    let id = cloud_map_service(&case, &namespace, &case.names.discovery);
    let raw = |operation: &str, body: Value| {
        let (status, answer) = case.emu.json_call_at(
            case.emu.raw_endpoint(),
            "servicediscovery",
            operation,
            &body,
        );
        assert_eq!(status, 200, "{operation}: {answer}");
        answer
    };
    // ListServices: every service of the account and region with its Id and Name (filters ignored
    // or applied: the layer applies them again either way).
    let listed = raw("ListServices", json!({}));
    let summary = listed["Services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Id"] == id)
        .unwrap_or_else(|| panic!("ListServices lists no service {id}: {listed}"));
    assert_eq!(summary["Name"], case.names.discovery.as_str(), "{summary}");
    // GetService: the namespace and the creator request id (ListServices filter, CreateService retry).
    let service = raw("GetService", json!({"Id": id}));
    assert_eq!(service["Service"]["NamespaceId"], namespace, "{service}");
    assert_eq!(
        service["Service"]["CreatorRequestId"],
        request_id(&namespace, &case.names.discovery).as_str(),
        "{service}"
    );
}

#[test]
fn layer_refuses_srv_registries_without_a_port() {
    let case = Case::new("fid-srv-refuse");
    let td = cluster_and_task_definition(&case);
    let namespace_id = namespace_id(&case);
    let (status, discovery) = through_layer(
        &case,
        "servicediscovery",
        "CreateService",
        json!({"Name": case.names.discovery, "NamespaceId": namespace_id,
               "DnsConfig": {"DnsRecords": [{"Type": "SRV", "TTL": 60}], "RoutingPolicy": "MULTIVALUE"}}),
    );
    assert_eq!(status, 200, "{discovery}");
    let registry = discovery["Service"]["Arn"].clone();
    let network = json!({"awsvpcConfiguration": {"subnets": [case.network.subnets[0]], "securityGroups": [case.network.security_group]}});
    let create = |name: &str, registry_entry: Value| {
        through_layer(
            &case,
            "ecs",
            "CreateService",
            json!({"cluster": case.names.cluster, "serviceName": name, "taskDefinition": td,
                   "desiredCount": 1, "launchType": "FARGATE", "networkConfiguration": network,
                   "serviceRegistries": [registry_entry]}),
        )
    };
    let (status, answer) = create("no-port", json!({"registryArn": registry}));
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["__type"], "InvalidParameterException");
    let (status, answer) = create(
        "with-port",
        json!({"registryArn": registry, "containerName": "app", "containerPort": 8001}),
    );
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn layer_limits_updates_of_code_deploy_and_external_services() {
    let case = Case::new("fid-controllers");
    let td = cluster_and_task_definition(&case);
    for controller in ["CODE_DEPLOY", "EXTERNAL"] {
        let name = format!("{}-{}", case.names.service, controller.to_lowercase());
        let (status, answer) = through_layer(
            &case,
            "ecs",
            "CreateService",
            json!({"cluster": case.names.cluster, "serviceName": name, "taskDefinition": td,
                   "desiredCount": 1, "launchType": "EC2",
                   "deploymentController": {"type": controller}}),
        );
        assert_eq!(status, 200, "{answer}");
        if controller == "EXTERNAL" {
            assert!(
                answer["service"].get("taskDefinition").is_none(),
                "{answer}"
            );
        }
        let (status, answer) = through_layer(
            &case,
            "ecs",
            "UpdateService",
            json!({"cluster": case.names.cluster, "service": name, "taskDefinition": td}),
        );
        assert_eq!(status, 400, "{controller}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(controller));
        let (status, answer) = through_layer(
            &case,
            "ecs",
            "UpdateService",
            json!({"cluster": case.names.cluster, "service": name, "desiredCount": 3}),
        );
        assert_eq!(status, 200, "{controller}: {answer}");
    }
}

#[test]
fn layer_changes_what_moto_stores_the_way_aws_does() {
    let case = Case::new("fid-stored");
    cluster_and_task_definition(&case);
    let (status, answer) = through_layer(
        &case,
        "ecs",
        "RegisterTaskDefinition",
        json!({"family": format!("{}-roles", case.names.service), "taskRoleArn": "app-role",
               "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128,
                   "environment": [{"name": "EMPTY", "value": ""}, {"name": "SET", "value": "1"}]}]}),
    );
    assert_eq!(status, 200, "{answer}");
    let layer = &answer["taskDefinition"];
    assert_eq!(
        layer["taskRoleArn"],
        "arn:aws:iam::123456789012:role/app-role"
    );
    let (_, raw) = case.emu.json_call_at(
        case.emu.raw_endpoint(),
        "ecs",
        "DescribeTaskDefinition",
        &json!({"taskDefinition": layer["taskDefinitionArn"]}),
    );
    // Moto keeps the name (the layer expands it in answers) and got no empty value to store.
    assert_eq!(raw["taskDefinition"]["taskRoleArn"], "app-role");
    assert_eq!(
        raw["taskDefinition"]["containerDefinitions"][0]["environment"],
        json!([{"name": "SET", "value": "1"}])
    );
}

/// The primary deployment of the case's service, as the layer answers it (one `DescribeServices`).
fn primary_deployment(case: &Case) -> Value {
    let live = case.live_service();
    live["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == "PRIMARY")
        .cloned()
        .unwrap_or_else(|| panic!("no primary deployment: {live}"))
}

#[test]
fn layer_plays_scripted_rollouts_forward() {
    let case = Case::new("fid-rollout");
    write_variant(
        &case,
        &Variant {
            service: "    desiredCount: 2\n    launchType: FARGATE\n",
            ..Variant::default()
        },
    );
    case.run(&["apply"]).expect_code(0);
    // Unscripted, the emulator's deployment never ends.
    assert_eq!(primary_deployment(&case)["rolloutState"], "IN_PROGRESS");

    let fidelity = case.emu.fidelity();
    fidelity.play_rollout(&case.names.service, Rollout::Complete { after_polls: 2 });
    assert_eq!(primary_deployment(&case)["rolloutState"], "IN_PROGRESS");
    let completed = primary_deployment(&case);
    assert_eq!(completed["rolloutState"], "COMPLETED");
    assert_eq!(completed["runningCount"], 2);
    // The controller reads the completed rollout as in sync and stays quiet.
    stays_quiet(&case);

    let reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s)";
    fidelity.play_rollout(
        &case.names.service,
        Rollout::Fail {
            after_polls: 1,
            tasks: vec![StoppedTask {
                stop_code: "TaskFailedToStart".into(),
                stopped_reason: reason.into(),
                containers: vec![StoppedContainer {
                    name: "app".into(),
                    exit_code: None,
                    reason: Some("CannotPullContainerError".into()),
                }],
            }],
        },
    );
    let failed = primary_deployment(&case);
    assert_eq!(failed["rolloutState"], "FAILED");
    assert_eq!(failed["failedTasks"], 1);
    let (status, listed) = through_layer(
        &case,
        "ecs",
        "ListTasks",
        json!({"cluster": case.names.cluster, "serviceName": case.names.service, "desiredStatus": "STOPPED"}),
    );
    assert_eq!(status, 200, "{listed}");
    let arns = listed["taskArns"].as_array().unwrap().clone();
    assert_eq!(arns.len(), 1, "{listed}");
    let (status, described) = through_layer(
        &case,
        "ecs",
        "DescribeTasks",
        json!({"cluster": case.names.cluster, "tasks": arns}),
    );
    assert_eq!(status, 200, "{described}");
    let task = &described["tasks"][0];
    assert_eq!(task["stoppedReason"], reason);
    assert_eq!(task["stopCode"], "TaskFailedToStart");
    assert_eq!(task["group"], format!("service:{}", case.names.service));
    assert_eq!(task["startedBy"], failed["id"]);
    assert_eq!(task["containers"][0]["reason"], "CannotPullContainerError");
}
