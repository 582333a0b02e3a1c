//! `import` round trips through the fidelity layer: services made directly through the AWS APIs
//! (as Terraform, the console or a script would), in many shapes, are imported; the files
//! validate, the first `apply` writes nothing but tags, and `plan` is clean afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use serde_json::{Value, json};
use support::{Case, Names, reference_files, stays_quiet, substitute, write_operations};

/// Makes resources the way a tool other than the controller would: plain API calls.
struct Maker<'a> {
    case: &'a Case,
}

impl Maker<'_> {
    fn ecs(&self, operation: &str, body: &Value) -> Value {
        self.case.emu.ecs_call(operation, body)
    }

    fn cloudmap(&self, operation: &str, body: &Value) -> Value {
        let (status, answer) = self.case.emu.json_call_at(
            self.case.emu.endpoint(),
            "servicediscovery",
            operation,
            body,
        );
        assert_eq!(status, 200, "{operation}: {answer}");
        answer
    }

    fn register(&self, td: &Value) -> String {
        let out = self.ecs("RegisterTaskDefinition", td);
        out["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A private DNS namespace; returns its id.
    fn namespace(&self, dns: &str, vpc: &str) -> String {
        let op = self.cloudmap(
            "CreatePrivateDnsNamespace",
            &json!({"Name": dns, "Vpc": vpc, "Properties": {"DnsProperties": {"SOA": {"TTL": 30}}}}),
        );
        let done = self.cloudmap("GetOperation", &json!({"OperationId": op["OperationId"]}));
        done["Operation"]["Targets"]["NAMESPACE"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A Cloud Map service; returns its ARN.
    fn discovery(&self, name: &str, namespace_id: &str, records: &Value) -> String {
        let out = self.cloudmap(
            "CreateService",
            &json!({
                "Name": name,
                "NamespaceId": namespace_id,
                "DnsConfig": {"DnsRecords": records, "RoutingPolicy": "MULTIVALUE"},
                "HealthCheckCustomConfig": {"FailureThreshold": 1}
            }),
        );
        out["Service"]["Arn"].as_str().unwrap().to_owned()
    }

    fn service(&self, body: Value) {
        self.ecs("CreateService", &body);
    }
}

/// The reference deployment's task definition (the deployment guide's Terraform example) under
/// this case's names, in the `RegisterTaskDefinition` JSON shape.
fn guide_task_definition(names: &Names, case: &Case) -> Value {
    let files: Vec<(String, String)> = reference_files()
        .into_iter()
        .map(|(name, text)| (name, substitute(&text, names, &case.network)))
        .collect();
    let set = finfocus_ecs_controller::manifest::load_sources(&files)
        .into_result()
        .unwrap();
    let td = set
        .resources()
        .iter()
        .find_map(|r| match &r.spec {
            finfocus_ecs_controller::manifest::ResourceSpec::Service(s) => {
                Some(s.task_definition.clone())
            }
            _ => None,
        })
        .unwrap();
    serde_json::to_value(td).unwrap()
}

/// Runs `import` (which takes no `-f`) as the case's instance.
fn import(case: &Case, args: &[&str]) -> support::Run {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    case.emu.run(&case.names.instance, &all)
}

fn awsvpc(case: &Case) -> Value {
    json!({"awsvpcConfiguration": {
        "subnets": case.network.subnets,
        "securityGroups": [case.network.security_group],
        "assignPublicIp": "DISABLED"
    }})
}

#[test]
fn services_of_many_shapes_are_imported_and_adopted_with_tag_writes_only() {
    let case = Case::new("import-shapes");
    let names = &case.names;
    let make = Maker { case: &case };
    let cluster = &names.cluster;
    make.ecs(
        "CreateCluster",
        &json!({
            "clusterName": cluster,
            "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
            "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
            "settings": [{"name": "containerInsights", "value": "enabled"}],
            "tags": [{"key": "team", "value": "platform"}]
        }),
    );
    let ns = make.namespace(&names.dns, &names.vpc);

    // 1. The deployment guide's Terraform deployment: Fargate, awsvpc, an A record.
    let guide = format!("guide-{}", names.suffix);
    let mut td = guide_task_definition(names, &case);
    td["family"] = json!(guide);
    let arn = make.register(&td);
    let registry = make.discovery(&guide, &ns, &json!([{"Type": "A", "TTL": 60}]));
    make.service(json!({
        "cluster": cluster, "serviceName": guide, "taskDefinition": arn,
        "desiredCount": 1, "launchType": "FARGATE", "platformVersion": "LATEST",
        "networkConfiguration": awsvpc(&case),
        "serviceRegistries": [{"registryArn": registry}],
        "propagateTags": "SERVICE", "enableECSManagedTags": true,
        "tags": [{"key": "app", "value": "pricing"}]
    }));

    // 2. EC2 with bridge networking and dynamic host ports, placed by spread and binpack.
    let bridge = format!("bridge-{}", names.suffix);
    let arn = make.register(&json!({
        "family": bridge,
        "networkMode": "bridge",
        "requiresCompatibilities": ["EC2"],
        "containerDefinitions": [{
            "name": "api", "image": "public.ecr.aws/docker/library/httpd:2.4",
            "memory": 512, "memoryReservation": 128, "cpu": 128, "essential": true,
            "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"},
                             {"containerPort": 8125, "hostPort": 0, "protocol": "udp"}],
            "links": [], "dockerLabels": {"com.example.tier": "api"},
            "ulimits": [{"name": "nofile", "softLimit": 4096, "hardLimit": 8192}]
        }]
    }));
    make.service(json!({
        "cluster": cluster, "serviceName": bridge, "taskDefinition": arn,
        "desiredCount": 3, "launchType": "EC2",
        "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"},
                              {"type": "binpack", "field": "memory"}],
        "placementConstraints": [{"type": "distinctInstance"}]
    }));

    // 3. Behind a load balancer with the circuit breaker.
    let balanced = format!("lb-{}", names.suffix);
    let arn = make.register(&json!({
        "family": balanced,
        "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "512", "memory": "1024",
        "containerDefinitions": [{
            "name": "web", "image": "public.ecr.aws/nginx/nginx:1.27",
            "portMappings": [{"containerPort": 8080, "protocol": "tcp", "name": "http"}],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost:8080/ || exit 1"],
                            "interval": 15, "retries": 2}
        }]
    }));
    make.service(json!({
        "cluster": cluster, "serviceName": balanced, "taskDefinition": arn,
        "desiredCount": 2, "launchType": "FARGATE",
        "networkConfiguration": awsvpc(&case),
        "loadBalancers": [{
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
            "containerName": "web", "containerPort": 8080}],
        "healthCheckGracePeriodSeconds": 60,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "maximumPercent": 150, "minimumHealthyPercent": 50}
    }));

    // 4. Secrets and log configuration (values stay references).
    let secretive = format!("secrets-{}", names.suffix);
    let arn = make.register(&json!({
        "family": secretive,
        "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "containerDefinitions": [{
            "name": "worker", "image": "ghcr.io/example/worker:3",
            "environment": [{"name": "QUEUE", "value": "jobs"}],
            "secrets": [{"name": "DB_PASSWORD",
                         "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/worker", "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "worker"},
                "secretOptions": [{"name": "api-key",
                                   "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/log-key"}]}
        }]
    }));
    make.service(json!({
        "cluster": cluster, "serviceName": secretive, "taskDefinition": arn,
        "desiredCount": 1, "launchType": "FARGATE", "networkConfiguration": awsvpc(&case)
    }));

    // 5. SRV records naming a container port.
    let srv = format!("srv-{}", names.suffix);
    let arn = make.register(&json!({
        "family": srv,
        "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "containerDefinitions": [{"name": "grpc", "image": "ghcr.io/example/grpc:1",
                                  "portMappings": [{"containerPort": 50051}]}]
    }));
    let registry = make.discovery(
        &srv,
        &ns,
        &json!([{"Type": "SRV", "TTL": 30}, {"Type": "A", "TTL": 30}]),
    );
    make.service(json!({
        "cluster": cluster, "serviceName": srv, "taskDefinition": arn,
        "desiredCount": 1, "launchType": "FARGATE", "networkConfiguration": awsvpc(&case),
        "serviceRegistries": [{"registryArn": registry, "containerName": "grpc", "containerPort": 50051}]
    }));

    // 6. A capacity provider strategy instead of a launch type.
    let spot = format!("spot-{}", names.suffix);
    let arn = make.register(&json!({
        "family": spot,
        "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "1024", "memory": "2048",
        "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        "containerDefinitions": [{"name": "batch", "image": "ghcr.io/example/batch:9",
                                  "command": ["run", "--all"]}]
    }));
    make.service(json!({
        "cluster": cluster, "serviceName": spot, "taskDefinition": arn,
        "desiredCount": 4,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                                     {"capacityProvider": "FARGATE_SPOT", "weight": 3}],
        "networkConfiguration": awsvpc(&case)
    }));

    let dir = case.dir.arg();
    let imported = import(&case, &["--cluster", cluster, "--all", "-o", &dir]);
    imported.expect_code(0);
    assert_eq!(imported.writes(), 0, "import wrote: {}", imported.calls());
    for service in [&guide, &bridge, &balanced, &secretive, &srv, &spot] {
        let text = case.dir.read(&format!("service-{service}.yaml"));
        assert!(
            text.contains(":service/") && text.contains("ecs.finfocus.io/adopt: \"true\""),
            "{text}"
        );
    }
    assert!(
        imported.stderr.contains(&format!(
            "imported 6 service(s) of cluster `{cluster}` (8 file(s) in {dir})"
        )),
        "{}",
        imported.stderr
    );
    let srv_text = case.dir.read(&format!("service-{srv}.yaml"));
    assert!(srv_text.contains("containerPort: 50051"), "{srv_text}");
    assert!(srv_text.contains("type: SRV"), "{srv_text}");
    let secret_text = case.dir.read(&format!("service-{secretive}.yaml"));
    assert!(
        secret_text.contains("valueFrom: arn:aws:secretsmanager"),
        "{secret_text}"
    );

    case.run(&["validate"]).expect_code(0);
    let adopted = case.run(&["apply"]);
    adopted.expect_code(0);
    let writes = write_operations(&adopted);
    assert!(
        writes
            .iter()
            .all(|op| op == "ecs.TagResource" || op == "servicediscovery.TagResource"),
        "the first apply did more than tag: {writes:?}\n{}",
        adopted.stdout
    );
    assert!(
        !writes.is_empty(),
        "nothing was adopted: {}",
        adopted.stdout
    );
    stays_quiet(&case);
}

#[test]
fn a_secret_looking_value_is_not_written_and_the_manifest_fails_validate() {
    let case = Case::new("import-secret");
    let names = &case.names;
    let make = Maker { case: &case };
    make.ecs("CreateCluster", &json!({"clusterName": names.cluster}));
    let arn = make.register(&json!({
        "family": names.service,
        "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "containerDefinitions": [{"name": "app", "image": "app:1", "environment": [
            {"name": "STRIPE_API_KEY", "value": "sk_live_51HxYzAbCdEfGhIjKlMnOp"},
            {"name": "REGION_NAME", "value": "us-east-1"}]}]
    }));
    make.service(json!({
        "cluster": names.cluster, "serviceName": names.service, "taskDefinition": arn,
        "desiredCount": 1, "launchType": "FARGATE", "networkConfiguration": awsvpc(&case)
    }));

    let imported = import(
        &case,
        &["--cluster", &names.cluster, "--service", &names.service],
    );
    imported.expect_code(2);
    assert!(!imported.stdout.contains("sk_live_"), "{}", imported.stdout);
    assert!(
        imported.stdout.contains("value: us-east-1"),
        "{}",
        imported.stdout
    );
    assert!(
        imported.stderr.contains(&format!(
            "placeholder: EcsService/{}: spec.taskDefinition.containerDefinitions[app].environment[STRIPE_API_KEY]",
            names.service
        )),
        "{}",
        imported.stderr
    );
    case.dir.write("all.yaml", &imported.stdout);
    let invalid = case.run(&["validate"]);
    invalid.expect_code(1);
    assert!(
        invalid.stderr.contains("`STRIPE_API_KEY` looked secret"),
        "{}",
        invalid.stderr
    );
}

#[test]
fn tags_filter_the_services_and_existing_files_are_kept_without_force() {
    let case = Case::new("import-select");
    let names = &case.names;
    let make = Maker { case: &case };
    make.ecs("CreateCluster", &json!({"clusterName": names.cluster}));
    for (name, team) in [("alpha", "a"), ("beta", "b"), ("gamma", "a")] {
        let family = format!("{name}-{}", names.suffix);
        let arn = make.register(&json!({
            "family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "app:1"}]
        }));
        make.service(json!({
            "cluster": names.cluster, "serviceName": family, "taskDefinition": arn,
            "desiredCount": 1, "launchType": "FARGATE", "networkConfiguration": awsvpc(&case),
            "tags": [{"key": "team", "value": team}]
        }));
    }
    let dir = case.dir.arg();
    let run = import(
        &case,
        &[
            "--cluster",
            &names.cluster,
            "--all",
            "--tag",
            "team=a",
            "-o",
            &dir,
        ],
    );
    run.expect_code(0);
    let mut files: Vec<String> = std::fs::read_dir(case.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let s = &names.suffix;
    assert_eq!(
        files,
        [
            format!("cluster-{}.yaml", names.cluster),
            format!("service-alpha-{s}.yaml"),
            format!("service-gamma-{s}.yaml"),
        ]
    );

    // A second import into the same directory refuses before writing anything.
    case.dir
        .write(&format!("service-alpha-{s}.yaml"), "# mine\n");
    let again = import(&case, &["--cluster", &names.cluster, "--all", "-o", &dir]);
    again.expect_code(1);
    assert!(
        again.stderr.contains("pass --force to overwrite"),
        "{}",
        again.stderr
    );
    assert_eq!(
        case.dir.read(&format!("service-alpha-{s}.yaml")),
        "# mine\n"
    );
    assert!(
        !case
            .dir
            .path()
            .join(format!("service-beta-{s}.yaml"))
            .exists()
    );
    import(
        &case,
        &["--cluster", &names.cluster, "--all", "-o", &dir, "--force"],
    )
    .expect_code(0);
    assert!(
        case.dir
            .read(&format!("service-alpha-{s}.yaml"))
            .contains("kind: EcsService")
    );
    assert!(
        case.dir
            .path()
            .join(format!("service-beta-{s}.yaml"))
            .exists()
    );

    // A service that does not exist is an error naming it, and nothing is written.
    let missing = import(&case, &["--cluster", &names.cluster, "--service", "nope"]);
    missing.expect_code(1);
    assert!(
        missing.stderr.contains("no active service named nope"),
        "{}",
        missing.stderr
    );
    assert!(missing.stdout.is_empty());
}
