//! Progressive delivery fields through the AWS fidelity layer: each optional service field is set,
//! applied, changed, applied, removed and applied once, and after every apply `plan` stays clean;
//! after the removal the live value is at its off form (`docs/src/aws-behaviours.md`, "Progressive
//! delivery and removals that converge"). The blue/green example validates, plans and applies.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use serde_json::{Value, json};
use support::{Case, stays_quiet};

const ACCOUNT: &str = "123456789012";

fn alb(kind: &str, name: &str) -> String {
    format!("arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:{kind}/{name}")
}

/// One optional field: the manifest lines that set it (`service` lines at 4 spaces, `task` lines
/// for the task definition at 4 spaces), a changed value, and what the live service must answer
/// once the field has left the manifest.
struct FieldCase {
    name: &'static str,
    set: (String, String),
    changed: (String, String),
    /// Checks the live service (as the layer answers it) after the removal.
    off: fn(&Value),
}

fn primary(live: &Value) -> Value {
    live["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == "PRIMARY")
        .cloned()
        .unwrap()
}

fn is_empty_or_absent(v: &Value) -> bool {
    v.is_null() || v.as_array().is_some_and(Vec::is_empty)
}

fn hook(stage: &str) -> String {
    format!(
        "    deploymentConfiguration:\n      lifecycleHooks:\n        - hookTargetArn: arn:aws:lambda:us-east-1:{ACCOUNT}:function:check\n          roleArn: arn:aws:iam::{ACCOUNT}:role/hooks\n          lifecycleStages: [{stage}]\n          hookDetails: {{path: /healthz}}\n"
    )
}

fn service_connect(alias_port: u16) -> String {
    format!(
        "    serviceConnectConfiguration:\n      enabled: true\n      namespace: arn:aws:servicediscovery:us-east-1:{ACCOUNT}:namespace/ns-sc\n      services:\n        - portName: http\n          discoveryName: app\n          clientAliases:\n            - port: {alias_port}\n              testTrafficRules: {{header: {{name: x-canary, value: {{exact: \"1\"}}}}}}\n          timeout: {{idleTimeoutSeconds: 60}}\n"
    )
}

const EBS_VOLUME: &str = "    volumes:\n      - {name: data, configuredAtLaunch: true}\n";

fn ebs(size: u16) -> String {
    format!(
        "    volumeConfigurations:\n      - name: data\n        managedEBSVolume: {{roleArn: arn:aws:iam::{ACCOUNT}:role/ebs, sizeInGiB: {size}, volumeType: gp3, filesystemType: ext4}}\n"
    )
}

fn lattice(group: &str) -> String {
    format!(
        "    vpcLatticeConfigurations:\n      - {{roleArn: arn:aws:iam::{ACCOUNT}:role/lattice, targetGroupArn: arn:aws:vpc-lattice:us-east-1:{ACCOUNT}:targetgroup/{group}, portName: http}}\n"
    )
}

/// A load balancer with the second target group a traffic-shifting strategy needs.
fn load_balancer(green: &str) -> String {
    format!(
        "    loadBalancers:\n      - targetGroupArn: {blue}\n        containerName: app\n        containerPort: 8001\n        advancedConfiguration:\n          alternateTargetGroupArn: {green}\n          productionListenerRule: {prod}\n          roleArn: arn:aws:iam::{ACCOUNT}:role/lb\n",
        blue = alb("targetgroup", "blue/1"),
        green = alb("targetgroup", green),
        prod = alb("listener-rule", "app/a/1/2/3"),
    )
}

fn cases() -> Vec<FieldCase> {
    let none = String::new;
    vec![
        FieldCase {
            name: "alarms",
            set: ("    deploymentConfiguration:\n      alarms: {alarmNames: [errors], enable: true, rollback: true}\n".into(), none()),
            changed: ("    deploymentConfiguration:\n      alarms: {alarmNames: [latency], enable: true, rollback: false}\n".into(), none()),
            off: |live| {
                assert_eq!(
                    live["deploymentConfiguration"]["alarms"],
                    json!({"alarmNames": [], "enable": false, "rollback": false})
                );
            },
        },
        FieldCase {
            name: "bakeTimeInMinutes",
            set: ("    deploymentConfiguration: {bakeTimeInMinutes: 5}\n".into(), none()),
            changed: ("    deploymentConfiguration: {bakeTimeInMinutes: 15}\n".into(), none()),
            off: |live| assert_eq!(live["deploymentConfiguration"]["bakeTimeInMinutes"], 0),
        },
        FieldCase {
            name: "strategy and canaryConfiguration",
            set: (format!("    deploymentConfiguration:\n      strategy: CANARY\n      canaryConfiguration: {{canaryPercent: 20, canaryBakeTimeInMinutes: 3}}\n{}", load_balancer("green/2")), none()),
            changed: (format!("    deploymentConfiguration:\n      strategy: CANARY\n      canaryConfiguration: {{canaryPercent: 12.5}}\n{}", load_balancer("green/2")), none()),
            off: |live| {
                let d = &live["deploymentConfiguration"];
                assert_eq!(d["strategy"], "ROLLING");
                assert_eq!(
                    d["canaryConfiguration"],
                    json!({"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10})
                );
            },
        },
        FieldCase {
            name: "strategy and linearConfiguration",
            set: (format!("    deploymentConfiguration:\n      strategy: LINEAR\n      linearConfiguration: {{stepPercent: 25, stepBakeTimeInMinutes: 2}}\n{}", load_balancer("green/2")), none()),
            changed: (format!("    deploymentConfiguration:\n      strategy: LINEAR\n      linearConfiguration: {{stepPercent: 50}}\n{}", load_balancer("green/2")), none()),
            off: |live| {
                let d = &live["deploymentConfiguration"];
                assert_eq!(d["strategy"], "ROLLING");
                assert_eq!(
                    d["linearConfiguration"],
                    json!({"stepPercent": 10.0, "stepBakeTimeInMinutes": 6})
                );
            },
        },
        FieldCase {
            name: "lifecycleHooks",
            set: (hook("PRE_SCALE_UP"), none()),
            changed: (hook("POST_SCALE_UP"), none()),
            off: |live| {
                assert!(
                    is_empty_or_absent(&live["deploymentConfiguration"]["lifecycleHooks"]),
                    "{live}"
                );
            },
        },
        FieldCase {
            name: "serviceConnectConfiguration",
            set: (service_connect(80), none()),
            changed: (service_connect(8080), none()),
            off: |live| {
                assert_eq!(
                    primary(live)["serviceConnectConfiguration"],
                    json!({"enabled": false})
                );
            },
        },
        FieldCase {
            name: "volumeConfigurations",
            set: (ebs(20), EBS_VOLUME.into()),
            changed: (ebs(40), EBS_VOLUME.into()),
            off: |live| {
                assert!(is_empty_or_absent(&primary(live)["volumeConfigurations"]), "{live}");
            },
        },
        FieldCase {
            name: "vpcLatticeConfigurations",
            set: (lattice("tg-1"), none()),
            changed: (lattice("tg-2"), none()),
            off: |live| {
                assert!(
                    is_empty_or_absent(&primary(live)["vpcLatticeConfigurations"]),
                    "{live}"
                );
            },
        },
    ]
}

/// A Fargate service with a named port mapping and `service`/`task` lines added.
fn write(case: &Case, service: &str, task: &str) {
    let (n, net) = (&case.names, &case.network);
    case.dir.write(
        "manifests.yaml",
        &format!(
            "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata:
  name: {cluster}
spec: {{}}
---
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: {service_name}
spec:
  cluster: {cluster}
  taskDefinition:
    family: {service_name}
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: \"256\"
    memory: \"512\"
{task}    containerDefinitions:
      - name: app
        image: ghcr.io/finfocus/finfocus-plugin-aws-public:0.1.0
        portMappings: [{{name: http, containerPort: 8001}}]
  service:
    desiredCount: 1
    launchType: FARGATE
{service}    networkConfiguration:
      awsvpcConfiguration:
        subnets: [{subnet}]
        securityGroups: [{sg}]
",
            cluster = n.cluster,
            service_name = n.service,
            subnet = net.subnets[0],
            sg = net.security_group,
        ),
    );
}

#[track_caller]
fn apply(case: &Case, what: &str) {
    let run = case.run(&["apply"]);
    assert_eq!(
        run.code, 0,
        "{what}: apply failed\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
}

#[test]
fn every_optional_field_converges_when_set_changed_and_removed() {
    let case = Case::new("pd-fields");
    write(&case, "", "");
    apply(&case, "base");
    for field in cases() {
        write(&case, &field.set.0, &field.set.1);
        apply(&case, field.name);
        stays_quiet(&case);
        let set = case.live_service();

        write(&case, &field.changed.0, &field.changed.1);
        apply(&case, field.name);
        stays_quiet(&case);
        assert_ne!(
            case.live_service(),
            set,
            "{}: the change reached the service",
            field.name
        );

        write(&case, "", "");
        apply(&case, field.name);
        stays_quiet(&case);
        (field.off)(&case.live_service());
    }
}

#[test]
fn a_field_the_manifest_never_set_is_left_to_whoever_set_it() {
    let case = Case::new("pd-foreign");
    write(&case, "", "");
    apply(&case, "base");
    // Another tool turns alarms on; the manifest never named them.
    let (status, answer) = case.emu.json_call_at(
        case.emu.endpoint(),
        "ecs",
        "UpdateService",
        &json!({"cluster": case.names.cluster, "service": case.names.service,
                "deploymentConfiguration": {"alarms": {"alarmNames": ["theirs"], "enable": true, "rollback": true}}}),
    );
    assert_eq!(status, 200, "{answer}");
    stays_quiet(&case);
    assert_eq!(
        case.live_service()["deploymentConfiguration"]["alarms"]["alarmNames"],
        json!(["theirs"])
    );
}

#[test]
fn advanced_configuration_changes_and_leaves_with_its_load_balancer() {
    let case = Case::new("pd-advanced");
    let lb = load_balancer;
    write(&case, &lb("green/2"), "");
    apply(&case, "set");
    stays_quiet(&case);
    write(&case, &lb("green/3"), "");
    apply(&case, "change");
    stays_quiet(&case);
    assert_eq!(
        case.live_service()["loadBalancers"][0]["advancedConfiguration"]["alternateTargetGroupArn"],
        alb("targetgroup", "green/3")
    );
    write(&case, "", "");
    apply(&case, "remove");
    stays_quiet(&case);
    assert!(is_empty_or_absent(&case.live_service()["loadBalancers"]));
}

#[test]
fn blue_green_example_validates_plans_and_applies() {
    let case = Case::new("pd-example");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/blue-green");
    for file in ["cluster.yaml", "service.yaml"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let text = text
            .replace("bg-cluster", &case.names.cluster)
            .replace("bg-web", &case.names.service)
            .replace("subnet-0123456789abcdef0", &case.network.subnets[0])
            .replace("sg-0123456789abcdef0", &case.network.security_group);
        case.dir.write(file, &text);
    }
    case.run(&["validate"]).expect_code(0);
    let plan = case.run(&["plan"]);
    assert!(plan.stdout.contains(&case.names.service), "{}", plan.stdout);
    apply(&case, "example");
    stays_quiet(&case);
    let live = case.live_service();
    let d = &live["deploymentConfiguration"];
    assert_eq!(d["strategy"], "BLUE_GREEN");
    assert_eq!(d["bakeTimeInMinutes"], 10);
    assert_eq!(
        d["lifecycleHooks"][0]["lifecycleStages"],
        json!(["POST_TEST_TRAFFIC_SHIFT"])
    );
    assert!(
        live["loadBalancers"][0]["advancedConfiguration"]["testListenerRule"]
            .as_str()
            .is_some_and(|r| r.contains("listener-rule")),
        "{live}"
    );
}

#[test]
fn the_layer_stores_a_service_connect_namespace_name_as_its_arn() {
    let case = Case::new("pd-ns-arn");
    write(&case, "", "");
    apply(&case, "base");
    let name = format!("sc-{}", case.names.suffix);
    let (status, answer) = case.emu.json_call_at(
        case.emu.endpoint(),
        "servicediscovery",
        "CreateHttpNamespace",
        &json!({"Name": name}),
    );
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = case.emu.json_call_at(
        case.emu.endpoint(),
        "ecs",
        "UpdateService",
        &json!({"cluster": case.names.cluster, "service": case.names.service,
                "serviceConnectConfiguration": {"enabled": true, "namespace": name}}),
    );
    assert_eq!(status, 200, "{answer}");
    let namespace =
        primary(&case.live_service())["serviceConnectConfiguration"]["namespace"].clone();
    assert!(
        namespace.as_str().is_some_and(
            |arn| arn.starts_with("arn:aws:servicediscovery:") && arn.contains(":namespace/")
        ),
        "{namespace}"
    );
}

fn write_cluster(case: &Case, spec: &str) {
    case.dir.write(
        "manifests.yaml",
        &format!(
            "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: {}\nspec:{spec}",
            case.names.cluster
        ),
    );
}

fn live_cluster(case: &Case) -> Value {
    let (status, answer) = case.emu.json_call_at(
        case.emu.endpoint(),
        "ecs",
        "DescribeClusters",
        &json!({"clusters": [case.names.cluster], "include": ["CONFIGURATIONS", "TAGS"]}),
    );
    assert_eq!(status, 200, "{answer}");
    answer["clusters"][0].clone()
}

#[test]
fn cluster_configuration_and_service_connect_defaults_converge_when_set_changed_and_removed() {
    let case = Case::new("pd-cluster");
    let ns = |id: &str| format!("arn:aws:servicediscovery:us-east-1:{ACCOUNT}:namespace/{id}");
    let spec = |id: &str, group: &str| {
        format!(
            "\n  serviceConnectDefaults: {{namespace: {}}}\n  configuration:\n    executeCommandConfiguration:\n      logging: OVERRIDE\n      logConfiguration: {{cloudWatchLogGroupName: {group}}}\n    managedStorageConfiguration: {{kmsKeyId: key-1}}\n",
            ns(id)
        )
    };
    write_cluster(&case, &spec("ns-1", "exec-a"));
    apply(&case, "set");
    stays_quiet(&case);
    assert_eq!(
        live_cluster(&case)["serviceConnectDefaults"]["namespace"],
        ns("ns-1")
    );

    write_cluster(&case, &spec("ns-2", "exec-b"));
    apply(&case, "change");
    stays_quiet(&case);
    let live = live_cluster(&case);
    assert_eq!(live["serviceConnectDefaults"]["namespace"], ns("ns-2"));
    assert_eq!(
        live["configuration"]["executeCommandConfiguration"]["logConfiguration"]["cloudWatchLogGroupName"],
        "exec-b"
    );

    write_cluster(&case, " {}\n");
    apply(&case, "remove");
    stays_quiet(&case);
    let live = live_cluster(&case);
    let namespace = live["serviceConnectDefaults"]["namespace"]
        .as_str()
        .unwrap_or("");
    assert!(namespace.is_empty(), "{live}");
    assert_eq!(
        live["configuration"]["executeCommandConfiguration"]["logging"], "DEFAULT",
        "{live}"
    );
    assert!(
        live["configuration"]["managedStorageConfiguration"]
            .get("kmsKeyId")
            .is_none(),
        "{live}"
    );
}
