//! Manifest loading and validation: located errors, multi-document files, cross-file checks.

#![allow(clippy::unwrap_used, reason = "test code")]

use super::*;

const NAMESPACE: &str = "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: CloudMapNamespace
metadata:
  name: finfocus-local
spec:
  name: finfocus.local
  vpc: vpc-1
";

const CLUSTER: &str = "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata:
  name: finfocus-cluster
spec:
  settings:
    - {name: containerInsights, value: enabled}
";

fn service(extra_service: &str, namespace: &str) -> String {
    format!(
        "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: plugin
  annotations:
    ecs.finfocus.io/drift-policy: detect
spec:
  cluster: finfocus-cluster
  taskDefinition:
    family: plugin
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: 2 vCPU
    memory: 4096
    containerDefinitions:
      - name: plugin
        image: ghcr.io/finfocus/plugin:1.0.0
        portMappings:
          - containerPort: 8001
  service:
    desiredCount: 1
    launchType: FARGATE
{extra_service}    networkConfiguration:
      awsvpcConfiguration:
        subnets: [subnet-1]
        securityGroups: [sg-1]
  serviceDiscovery:
    namespace: {namespace}
    name: aws-public
    dnsConfig:
      dnsRecords: [{{type: A, ttl: 60}}]
  tags:
    team: finops
"
    )
}

fn errors(label: &str, text: &str) -> Vec<ManifestError> {
    load_str(label, text).unwrap_err()
}

#[test]
fn multi_document_file_loads_in_apply_order() {
    let text = format!(
        "{}---\n{NAMESPACE}---\n{CLUSTER}",
        service("", "finfocus-local")
    );
    let set = load_str("all.yaml", &text).unwrap();
    let kinds: Vec<Kind> = set.resources().iter().map(Resource::kind).collect();
    assert_eq!(
        kinds,
        [Kind::CloudMapNamespace, Kind::EcsCluster, Kind::EcsService]
    );
    let svc = set
        .get(&ResourceKey::new(Kind::EcsService, "plugin"))
        .unwrap();
    assert_eq!(svc.drift_policy, DriftPolicy::Detect);
    assert_eq!(svc.source.file, "all.yaml");
    assert_eq!(svc.source.line, 4);
    let ResourceSpec::Service(spec) = &svc.spec else {
        panic!("not a service")
    };
    assert_eq!(spec.task_definition.cpu.as_deref(), Some("2 vCPU"));
    // An unquoted number is read as the string AWS expects.
    assert_eq!(spec.task_definition.memory.as_deref(), Some("4096"));
    assert_eq!(spec.tags.get("team").map(String::as_str), Some("finops"));
    assert_eq!(
        spec.service_discovery.as_ref().unwrap().namespace,
        "finfocus-local"
    );
}

#[test]
fn unknown_field_is_located_and_named() {
    let text = service("    desiredCuont: 2\n", "finfocus-local");
    let errs = errors("svc.yaml", &format!("{NAMESPACE}---\n{text}"));
    assert_eq!(errs.len(), 1, "{errs:?}");
    let e = &errs[0];
    assert_eq!(e.file, "svc.yaml");
    assert_eq!(e.line, 8 + 23, "{e}");
    assert_eq!(e.column, 5);
    assert_eq!(e.field.as_deref(), Some("spec.service.desiredCuont"));
    assert!(e.message.contains("unknown field `desiredCuont`"), "{e}");
    assert!(
        e.to_string()
            .starts_with("svc.yaml:31:5: spec.service.desiredCuont: unknown field"),
        "{e}"
    );
}

#[test]
fn wrong_type_is_located_and_named() {
    let text = service("", "finfocus-local").replace("desiredCount: 1", "desiredCount: many");
    let errs = errors("svc.yaml", &text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].field.as_deref(), Some("spec.service.desiredCount"));
    assert_eq!((errs[0].line, errs[0].column), (21, 19));
}

#[test]
fn invalid_enum_value_is_located() {
    let text = service("", "finfocus-local").replace("launchType: FARGATE", "launchType: FARGATEX");
    let errs = errors("svc.yaml", &text);
    assert!(
        errs[0]
            .message
            .contains("`FARGATEX` is not one of `EC2`, `FARGATE` or `EXTERNAL`"),
        "{errs:?}"
    );
    assert_eq!(errs[0].field.as_deref(), Some("spec.service.launchType"));
    assert_eq!(errs[0].line, 22);
}

#[test]
fn invalid_yaml_is_located() {
    let errs = errors(
        "bad.yaml",
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {name: [}\n",
    );
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].line, 3, "{errs:?}");
    assert!(errs[0].column > 0);
}

#[test]
fn every_document_error_is_reported() {
    let text = "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata: {name: a}
spec: {bogus: 1}
---
apiVersion: ecs.finfocus.io/v1beta9
kind: Pod
metadata: {name: b}
spec: {}
";
    let errs = errors("two.yaml", text);
    let fields: Vec<Option<&str>> = errs.iter().map(|e| e.field.as_deref()).collect();
    assert_eq!(
        fields,
        [Some("spec.bogus"), Some("apiVersion"), Some("kind")],
        "{errs:?}"
    );
    assert_eq!(errs[1].line, 6);
    assert_eq!(errs[2].line, 7);
}

#[test]
fn missing_namespace_reference_is_an_error_at_the_reference() {
    let errs = errors(
        "svc.yaml",
        &format!("{NAMESPACE}---\n{}", service("", "nowhere")),
    );
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].field.as_deref(),
        Some("spec.serviceDiscovery.namespace")
    );
    assert!(
        errs[0]
            .message
            .contains("no CloudMapNamespace named `nowhere`")
    );
    assert_eq!((errs[0].line, errs[0].column), (8 + 28, 16));
}

#[test]
fn references_span_files_and_a_broken_file_breaks_its_dependents() {
    let good = load_sources(&[
        ("ns.yaml".into(), NAMESPACE.into()),
        ("svc.yaml".into(), service("", "finfocus-local")),
    ]);
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    assert_eq!(good.set.len(), 2);

    let broken_ns = NAMESPACE.replace("vpc: vpc-1", "vpc: \"\"");
    let loaded = load_sources(&[
        ("ns.yaml".into(), broken_ns),
        ("svc.yaml".into(), service("", "finfocus-local")),
        ("cluster.yaml".into(), CLUSTER.into()),
    ]);
    let files: Vec<&str> = loaded.errors.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(files, ["ns.yaml", "svc.yaml"], "{:?}", loaded.errors);
    assert!(
        loaded.errors[1]
            .message
            .contains("defined in ns.yaml, which has errors")
    );
    // The unrelated file still loads.
    let keys: Vec<String> = loaded
        .set
        .resources()
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(keys, ["EcsCluster/finfocus-cluster"]);

    // A namespace file that does not even parse still takes its dependents down.
    let unparsable = NAMESPACE.replace("vpc: vpc-1", "vpc: vpc-1\n  colour: blue");
    let loaded = load_sources(&[
        ("ns.yaml".into(), unparsable),
        ("svc.yaml".into(), service("", "finfocus-local")),
    ]);
    assert_eq!(loaded.errors.len(), 2, "{:?}", loaded.errors);
    assert!(loaded.set.is_empty());
}

#[test]
fn duplicates_across_files_are_errors_in_both() {
    let loaded = load_sources(&[
        ("a.yaml".into(), CLUSTER.into()),
        ("b.yaml".into(), CLUSTER.into()),
    ]);
    assert_eq!(loaded.errors.len(), 2);
    assert!(
        loaded.errors[0]
            .message
            .contains("duplicate object EcsCluster/finfocus-cluster")
    );
    assert!(
        loaded.errors[0].message.contains("b.yaml:4:9"),
        "{}",
        loaded.errors[0]
    );
    assert!(loaded.set.is_empty());
}

#[test]
fn duplicate_namespace_dns_names_are_errors() {
    let other = NAMESPACE.replace("name: finfocus-local", "name: other");
    let loaded = load_sources(&[
        ("a.yaml".into(), NAMESPACE.into()),
        ("b.yaml".into(), other),
    ]);
    assert_eq!(loaded.errors.len(), 2, "{:?}", loaded.errors);
    assert!(
        loaded.errors[0]
            .message
            .contains("namespace `finfocus.local`")
    );
}

#[test]
fn semantic_checks() {
    let cases = [
        (
            service("", "finfocus-local").replace("desiredCount: 1", "desiredCount: -1"),
            "spec.service.desiredCount",
        ),
        (
            service(
                "    deploymentController: {type: CODE_DEPLOY}\n",
                "finfocus-local",
            ),
            "spec.service.deploymentController.type",
        ),
        (
            service(
                "    deploymentController: {type: EXTERNAL}\n",
                "finfocus-local",
            ),
            "spec.service.deploymentController.type",
        ),
        (
            service("", "finfocus-local")
                .replace("networkMode: awsvpc", "networkMode: bridge")
                .replace(
                    "launchType: FARGATE",
                    "capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT}]",
                ),
            "spec.taskDefinition.networkMode",
        ),
        (
            service("", "finfocus-local").replace("type: A,", "type: SRV,"),
            "spec.serviceDiscovery",
        ),
        (
            service("", "finfocus-local")
                .replace("type: A,", "type: SRV,")
                .replace(
                    "    name: aws-public\n",
                    "    name: aws-public\n    containerName: nope\n    containerPort: 8001\n",
                ),
            "spec.serviceDiscovery.containerName",
        ),
        (
            service("", "finfocus-local")
                .replace("type: A,", "type: SRV,")
                .replace(
                    "    name: aws-public\n",
                    "    name: aws-public\n    containerName: plugin\n    containerPort: 9999\n",
                ),
            "spec.serviceDiscovery.containerPort",
        ),
        (
            service("", "finfocus-local").replace(
                "    name: aws-public\n",
                "    name: aws-public\n    port: 8001\n",
            ),
            "spec.serviceDiscovery",
        ),
        (
            service("", "finfocus-local").replace("cpu: 2 vCPU", "cpu: two"),
            "spec.taskDefinition.cpu",
        ),
        (
            service("", "finfocus-local").replace("networkMode: awsvpc", "networkMode: bridge"),
            "spec.taskDefinition.networkMode",
        ),
        (
            service("", "finfocus-local").replace("name: aws-public", "name: -bad-"),
            "spec.serviceDiscovery.name",
        ),
        (
            service("", "finfocus-local").replace("team: finops", "ecs.finfocus.io/object: x"),
            "spec.tags.ecs.finfocus.io/object",
        ),
        (
            service("", "finfocus-local")
                .replace("drift-policy: detect", "drift-policy: sometimes"),
            "metadata.annotations.ecs.finfocus.io/drift-policy",
        ),
        (
            service("", "finfocus-local").replace(
                "name: plugin\n  annotations",
                "name: bad/name\n  annotations",
            ),
            "metadata.name",
        ),
    ];
    for (text, field) in cases {
        let errs = errors("svc.yaml", &format!("{NAMESPACE}---\n{text}"));
        assert!(
            errs.iter()
                .any(|e| e.field.as_deref() == Some(field) && e.line > 0),
            "expected an error on {field}, got {errs:?}"
        );
    }
}

#[test]
fn desired_count_may_be_left_to_autoscaling() {
    let text = service("", "finfocus-local").replace("    desiredCount: 1\n", "");
    let set = load_str("svc.yaml", &format!("{NAMESPACE}---\n{text}")).unwrap();
    let r = set
        .get(&ResourceKey::new(Kind::EcsService, "plugin"))
        .unwrap();
    let ResourceSpec::Service(svc) = &r.spec else {
        panic!("not a service")
    };
    assert_eq!(svc.service.desired_count, None);
}

#[test]
fn srv_records_take_a_container_port_or_a_port() {
    for registry in [
        "    containerName: plugin\n    containerPort: 8001\n",
        "    port: 8001\n",
    ] {
        let text = service("", "finfocus-local")
            .replace("type: A,", "type: SRV,")
            .replace(
                "    name: aws-public\n",
                &format!("    name: aws-public\n{registry}"),
            );
        let set = load_str("svc.yaml", &format!("{NAMESPACE}---\n{text}")).unwrap();
        assert_eq!(set.len(), 2, "{registry}");
    }
}

#[test]
fn failure_threshold_other_than_one_is_a_warning() {
    let text = service("", "finfocus-local").replace(
        "      dnsRecords: [{type: A, ttl: 60}]\n",
        "      dnsRecords: [{type: A, ttl: 60}]\n    healthCheckCustomConfig: {failureThreshold: 3}\n",
    );
    let loaded = load_sources(&[("svc.yaml".into(), format!("{NAMESPACE}---\n{text}"))]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.set.len(), 2);
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert_eq!(
        w.field.as_deref(),
        Some("spec.serviceDiscovery.healthCheckCustomConfig.failureThreshold")
    );
    assert!(w.message.contains("compared as 1"), "{}", w.message);
    let one = text.replace("failureThreshold: 3", "failureThreshold: 1");
    let loaded = load_sources(&[("svc.yaml".into(), format!("{NAMESPACE}---\n{one}"))]);
    assert!(loaded.warnings.is_empty());
}

#[test]
fn a_mutable_image_tag_is_a_warning_at_the_image() {
    for (image, needle) in [
        ("ghcr.io/finfocus/plugin:latest", "mutable tag `:latest`"),
        ("ghcr.io/finfocus/plugin", "no tag"),
    ] {
        let text = service_with("ghcr.io/finfocus/plugin:1.0.0", image);
        let loaded = load_sources(&[("svc.yaml".into(), text)]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        let w = &loaded.warnings[0];
        assert_eq!(
            w.field.as_deref(),
            Some("spec.taskDefinition.containerDefinitions[0].image")
        );
        assert!(
            w.message.contains(needle) && w.message.contains("@sha256:"),
            "{}",
            w.message
        );
        assert_eq!((w.line, w.column), (25, 16), "{w:?}");
    }
}

#[test]
fn cluster_capacity_providers() {
    let ok = format!(
        "{CLUSTER}  capacityProviders: [FARGATE, FARGATE_SPOT]\n  defaultCapacityProviderStrategy:\n    - {{capacityProvider: FARGATE_SPOT, weight: 4}}\n    - {{capacityProvider: FARGATE, base: 1, weight: 1}}\n"
    );
    let set = load_str("c.yaml", &ok).unwrap();
    let r = set
        .get(&ResourceKey::new(Kind::EcsCluster, "finfocus-cluster"))
        .unwrap();
    let ResourceSpec::Cluster(c) = &r.spec else {
        panic!("not a cluster")
    };
    assert_eq!(c.capacity_providers.as_ref().unwrap().len(), 2);
    assert_eq!(
        c.default_capacity_provider_strategy.as_ref().unwrap().len(),
        2
    );

    let unlisted = ok.replace("[FARGATE, FARGATE_SPOT]", "[FARGATE]");
    let errs = errors("c.yaml", &unlisted);
    assert_eq!(
        errs[0].field.as_deref(),
        Some("spec.defaultCapacityProviderStrategy[0].capacityProvider")
    );
    let no_providers = ok.replace("  capacityProviders: [FARGATE, FARGATE_SPOT]\n", "");
    let errs = errors("c.yaml", &no_providers);
    assert_eq!(
        errs[0].field.as_deref(),
        Some("spec.defaultCapacityProviderStrategy")
    );
}

#[test]
fn spec_may_come_before_kind() {
    let text =
        "spec: {}\napiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {name: a}\n";
    let set = load_str("k.yaml", text).unwrap();
    assert_eq!(set.len(), 1);
}

#[test]
fn empty_documents_are_skipped() {
    let set = load_str("e.yaml", &format!("---\n---\n{CLUSTER}---\n")).unwrap();
    assert_eq!(set.len(), 1);
}

#[test]
fn directories_are_read_recursively_and_bad_files_reported() {
    let dir = std::env::temp_dir().join(format!("finfocus-manifest-test-{}", std::process::id()));
    let nested = dir.join("nested");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(dir.join("cluster.yaml"), CLUSTER).unwrap();
    std::fs::write(nested.join("ns.yml"), NAMESPACE).unwrap();
    std::fs::write(dir.join("notes.txt"), "not yaml").unwrap();
    std::fs::write(dir.join("broken.yaml"), "kind: [").unwrap();
    let loaded = load(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(loaded.set.len(), 2);
    assert_eq!(loaded.errors.len(), 1);
    assert!(loaded.errors[0].file.ends_with("broken.yaml"));
}

#[test]
fn hostile_input_does_not_panic() {
    let inputs = [
        "&a [*a]",
        "a: &x [*x, *x]\nb: *x\n",
        "{{{{{{{{{{{{{{{{{{{{",
        "\u{0}\u{1}",
        "- - - - - - - - -",
        "apiVersion: 1\nkind: 2\nmetadata: 3\nspec: 4\n",
        "kind: EcsService\nspec: []\n",
    ];
    for input in inputs {
        assert!(
            load_str("x.yaml", input).is_err(),
            "{input:?} should be rejected"
        );
    }
}

#[test]
fn reference_manifests_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests/plugin");
    let loaded = load(&[dir]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.set.len(), 3);
}

#[test]
fn the_aws_prefix_is_reserved_in_any_case_for_tag_keys_and_values() {
    for (tags, field) in [
        ("    AWS:team: x\n", "spec.tags.AWS:team"),
        ("    team: Aws:x\n", "spec.tags.team"),
    ] {
        let errs = errors(
            "svc.yaml",
            &format!(
                "{NAMESPACE}---\n{}",
                service("", "finfocus-local").replace("    team: finops\n", tags)
            ),
        );
        assert!(
            errs.iter().any(|e| e.field.as_deref() == Some(field)),
            "{errs:?}"
        );
    }
}

#[test]
fn tags_must_leave_room_for_the_controller_and_fit_their_record() {
    let many: String = (0..47).map(|i| format!("    k{i}: v\n")).collect();
    let errs = errors(
        "svc.yaml",
        &format!(
            "{NAMESPACE}---\n{}",
            service("", "finfocus-local").replace("    team: finops\n", &many)
        ),
    );
    assert!(
        errs.iter()
            .any(|e| e.field.as_deref() == Some("spec.tags")
                && e.message.contains("at most 44 tags")),
        "{errs:?}"
    );

    // Five 60-character keys need 304 characters in the record (256 allowed).
    let long: String = (0..5)
        .map(|i| format!("    {}{i}: v\n", "k".repeat(59)))
        .collect();
    let errs = errors(
        "svc.yaml",
        &format!(
            "{NAMESPACE}---\n{}",
            service("", "finfocus-local").replace("    team: finops\n", &long)
        ),
    );
    assert!(
        errs.iter().any(|e| e.field.as_deref() == Some("spec.tags")
            && e.message.contains("304 characters")
            && e.message.contains(crate::TAG_MANAGED_TAGS)),
        "{errs:?}"
    );
}

/// The service manifest with `from` replaced by `to` (which must be there).
fn service_with(from: &str, to: &str) -> String {
    let text = service("", "finfocus-local");
    assert!(text.contains(from), "{from}");
    format!("{NAMESPACE}---\n{}", text.replacen(from, to, 1))
}

#[test]
fn null_means_not_set_everywhere() {
    let text = service_with(
        "    family: plugin\n",
        "    family: plugin\n    pidMode: null\n    ipcMode: null\n    proxyConfiguration: null\n    \
         inferenceAccelerators: null\n    taskRoleArn: null\n    volumes: null\n",
    )
    .replace(
        "        image: ghcr.io/finfocus/plugin:1.0.0\n",
        "        image: ghcr.io/finfocus/plugin:1.0.0\n        environment: null\n        \
         healthCheck: null\n        essential: null\n        logConfiguration: null\n",
    )
    .replace(
        "    desiredCount: 1\n",
        "    desiredCount: 1\n    role: null\n    deploymentConfiguration: null\n",
    )
    .replace(
        "    name: aws-public\n",
        "    name: aws-public\n    description: null\n    healthCheckCustomConfig: null\n",
    )
    .replace("spec:\n  name: finfocus.local\n", "spec:\n  name: finfocus.local\n  properties: null\n  tags: null\n");
    let set = load_str("nulls.yaml", &text).unwrap();
    let svc = set
        .get(&ResourceKey::new(Kind::EcsService, "plugin"))
        .unwrap();
    let ResourceSpec::Service(spec) = &svc.spec else {
        panic!("not a service")
    };
    assert_eq!(spec.task_definition.pid_mode, None);
    assert_eq!(spec.task_definition.ipc_mode, None);
    assert_eq!(
        spec.task_definition.container_definitions[0].environment,
        None
    );
    assert_eq!(spec.service.role, None);
}

#[test]
fn a_required_field_set_to_null_is_an_error_at_the_null() {
    let errs = errors(
        "n.yaml",
        &service_with("    family: plugin\n", "    family: null\n"),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].field.as_deref(), Some("spec.taskDefinition.family"));
    assert_eq!(errs[0].line, 8 + 10, "{errs:?}");
    assert!(errs[0].message.contains("null means not set"), "{errs:?}");
}

#[test]
fn every_error_of_a_document_is_reported_at_once() {
    let text = service_with("    desiredCount: 1\n", "    desiredCuont: 1\n")
        .replace("    networkMode: awsvpc\n", "    networkMode: awsvpc\n    pidMode: tasks\n")
        .replace(
            "        portMappings:\n          - containerPort: 8001\n",
            "        cpu: lots\n        portMappings:\n          - containerPort: 8001\n      - name: second\n        essential: maybe\n",
        )
        .replace("    launchType: FARGATE\n", "    launchType: FARGATEX\n");
    let errs = errors("many.yaml", &text);
    for expected in [
        "spec.taskDefinition.pidMode",
        "spec.taskDefinition.containerDefinitions[0].cpu",
        "spec.taskDefinition.containerDefinitions[1].essential",
        "spec.taskDefinition.containerDefinitions[1].image",
        "spec.service.desiredCuont",
        "spec.service.launchType",
    ] {
        let e = errs
            .iter()
            .find(|e| e.field.as_deref() == Some(expected))
            .unwrap_or_else(|| panic!("no error for {expected}: {errs:#?}"));
        assert!(e.line > 8 && e.column > 0, "{e}");
    }
    assert_eq!(errs.len(), 6, "{errs:#?}");
}

#[test]
fn describe_output_fields_are_ignored_with_one_warning_naming_them() {
    let text = service_with(
        "    family: plugin\n",
        "    family: plugin\n    taskDefinitionArn: arn:aws:ecs:us-east-1:123456789012:task-definition/plugin:7\n    \
         revision: 7\n    status: ACTIVE\n    requiresAttributes: [{name: ecs.capability.task-eni}]\n    \
         compatibilities: [EC2, FARGATE]\n    registeredAt: '2025-01-01T00:00:00Z'\n    \
         registeredBy: arn:aws:iam::123456789012:root\n    deregisteredAt: null\n",
    );
    let loaded = load_sources(&[("d.yaml".to_owned(), text)]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert_eq!(w.field.as_deref(), Some("spec.taskDefinition"));
    assert_eq!(w.line, 8 + 11, "{w}");
    for field in [
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
    ] {
        assert!(w.message.contains(&format!("`{field}`")), "{w}");
    }
    assert!(w.message.contains("describe-task-definition"), "{w}");
}

#[test]
fn the_whole_describe_answer_is_refused_with_how_to_unwrap_it() {
    let text = service_with(
        "    family: plugin\n",
        "    taskDefinition:\n      family: plugin\n    tags: []\n",
    );
    let errs = errors("w.yaml", &text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        errs[0].field.as_deref(),
        Some("spec.taskDefinition.taskDefinition")
    );
    assert!(errs[0].message.contains("describe-task-definition"));
}

#[test]
fn unsupported_fields_say_why_with_a_source() {
    let app_mesh = service_with(
        "    family: plugin\n",
        "    family: plugin\n    proxyConfiguration: {type: APPMESH, containerName: envoy}\n",
    );
    let errs = errors("p.yaml", &app_mesh);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].message.contains("App Mesh")
            && errs[0].message.contains("30 September 2026")
            && errs[0].message.contains("https://docs.aws.amazon.com/"),
        "{errs:#?}"
    );
    let inference = service_with(
        "    family: plugin\n",
        "    family: plugin\n    inferenceAccelerators: [{deviceName: d1, deviceType: eia2.medium}]\n",
    );
    let errs = errors("i.yaml", &inference);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].message.contains("Elastic Inference")
            && errs[0].message.contains("https://docs.aws.amazon.com/"),
        "{errs:#?}"
    );
}

/// Words of the implementation that must never reach a user.
fn rust_type_names(message: &str) -> Vec<String> {
    const WORDS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "usize", "isize",
        "f32", "f64", "bool", "String", "str", "Option", "Vec", "BTreeMap", "HashMap", "struct",
        "enum", "variant", "newtype", "unit", "Some", "None",
    ];
    let mut found: Vec<String> = message
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| WORDS.contains(w))
        .map(str::to_owned)
        .collect();
    if message.contains("::") || message.contains('<') && message.contains('>') {
        found.push("a path or generic".to_owned());
    }
    found
}

#[test]
fn error_messages_never_name_implementation_types() {
    let bad: Vec<String> = vec![
        service_with("desiredCount: 1", "desiredCount: many"),
        service_with("desiredCount: 1", "desiredCount: 99999999999"),
        service_with("desiredCount: 1", "desiredCount: [1]"),
        service_with("launchType: FARGATE", "launchType: FARGATEX"),
        service_with("launchType: FARGATE", "launchType: {a: b}"),
        service_with("    family: plugin\n", "    family: [plugin]\n"),
        service_with("    family: plugin\n", "    family: null\n"),
        service_with("    family: plugin\n", "    family: plugin\n    pidMode: 3\n"),
        service_with("    family: plugin\n", "    family: plugin\n    volumes: {a: 1}\n"),
        service_with("    family: plugin\n", "    family: plugin\n    ephemeralStorage: 20\n"),
        service_with(
            "    family: plugin\n",
            "    family: plugin\n    ephemeralStorage: {sizeInGiB: twenty}\n",
        ),
        service_with("        image: ghcr.io/finfocus/plugin:1.0.0\n", ""),
        service_with(
            "        image: ghcr.io/finfocus/plugin:1.0.0\n",
            "        image: ghcr.io/finfocus/plugin:1.0.0\n        essential: maybe\n        \
             environment: {A: b}\n        dockerLabels: {a: [1]}\n        healthCheck: {interval: 30}\n        \
             ulimits: [{name: nofile, softLimit: 1.5, hardLimit: 2}]\n        command: echo\n",
        ),
        service_with("          - containerPort: 8001\n", "          - containerPort: x\n"),
        service_with("          - containerPort: 8001\n", "          - 8001\n"),
        service_with("    containerDefinitions:\n", "    containerDefinitions: {}\n    x:\n"),
        service_with("dnsRecords: [{type: A, ttl: 60}]", "dnsRecords: [{type: MX, ttl: sixty}]"),
        service_with("dnsRecords: [{type: A, ttl: 60}]", "dnsRecords: A"),
        service_with("  tags:\n    team: finops\n", "  tags: [team]\n"),
        service_with("  cluster: finfocus-cluster\n", "  cluster: {name: x}\n"),
        NAMESPACE.replace("  vpc: vpc-1\n", "  vpc: vpc-1\n  properties: {dnsProperties: {soa: {ttl: long}}}\n"),
        CLUSTER.replace("    - {name: containerInsights, value: enabled}\n", "    - containerInsights\n"),
        CLUSTER.replace("spec:\n", "spec: 5\n").replace("  settings:\n    - {name: containerInsights, value: enabled}\n", ""),
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: [a]\nspec: {}\n".to_owned(),
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {name: a, annotations: {x: [1]}}\nspec: {}\n".to_owned(),
    ];
    for text in &bad {
        let errs = errors("bad.yaml", text);
        assert!(!errs.is_empty(), "{text}");
        for e in &errs {
            let names = rust_type_names(&e.to_string());
            assert!(names.is_empty(), "`{e}` names {names:?}");
            assert!(e.line > 0, "unlocated: {e}");
        }
    }
}

fn account_doc(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: AwsAccount\nmetadata:\n  name: {name}\nspec:\n{spec}"
    )
}

fn cluster_at(name: &str, place: &str) -> String {
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: {name}\nspec:\n{place}"
    )
}

#[test]
fn accounts_are_checked_as_sts_would_and_referenced_by_name() {
    let good = account_doc(
        "prod",
        "  roleArn: arn:aws:iam::222222222222:role/ops/finfocus-ecs\n  externalId: prod-7f3a\n  sessionDurationSeconds: 3600\n",
    );
    let set = load_str(
        "a.yaml",
        &format!("{good}---\n{}", cluster_at("c", "  account: prod\n")),
    )
    .unwrap();
    assert_eq!(set.accounts()["prod"].account_id(), "222222222222");
    let r = &set.resources()[0];
    assert_eq!(r.key.to_string(), "EcsCluster/c@prod");
    assert_eq!(r.key.object(), "EcsCluster/c");

    for (spec, field) in [
        ("  roleArn: arn:aws:iam::2222:role/x\n", "spec.roleArn"),
        (
            "  roleArn: arn:aws:iam::222222222222:user/x\n",
            "spec.roleArn",
        ),
        (
            "  roleArn: arn:aws:iam::222222222222:role/x\n  externalId: \"a b\"\n",
            "spec.externalId",
        ),
        (
            "  roleArn: arn:aws:iam::222222222222:role/x\n  sessionDurationSeconds: 60\n",
            "spec.sessionDurationSeconds",
        ),
        (
            "  roleArn: arn:aws:iam::222222222222:role/x\n  region: us-east-1\n",
            "spec.region",
        ),
    ] {
        let found = errors("a.yaml", &account_doc("prod", spec));
        assert!(
            found.iter().any(|e| e.field.as_deref() == Some(field)),
            "{spec}: {found:?}"
        );
    }
    let dangling = errors("c.yaml", &cluster_at("c", "  account: nowhere\n"));
    assert_eq!(dangling[0].field.as_deref(), Some("spec.account"));
    assert!(
        dangling[0]
            .message
            .contains("no AwsAccount named `nowhere`"),
        "{dangling:?}"
    );
}

#[test]
fn the_same_name_lives_in_several_places_and_references_stay_in_their_account() {
    let prod = account_doc("prod", "  roleArn: arn:aws:iam::222222222222:role/x\n");
    let text = [
        prod.clone(),
        cluster_at("c", "  region: us-east-1\n"),
        cluster_at("c", "  account: prod\n"),
        cluster_at("c", "  account: prod\n  region: eu-west-1\n"),
    ]
    .join("---\n");
    let set = load_str("a.yaml", &text).unwrap();
    let parts = set.partition("us-west-2").unwrap();
    let places: Vec<String> = parts.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(places, ["us-east-1", "prod/eu-west-1", "prod/us-west-2"]);
    assert!(
        parts
            .iter()
            .all(|(_, s)| s.len() == 1 && s.accounts().contains_key("prod"))
    );

    // Saying the default region and not saying it are one place: the default region decides.
    let twice = [
        cluster_at("c", "  region: us-east-1\n"),
        cluster_at("c", "  {}\n"),
    ]
    .join("---\n");
    let set = load_str("b.yaml", &twice.replace("spec:\n  {}", "spec: {}")).unwrap();
    assert_eq!(set.partition("us-west-2").map(|p| p.len()), Ok(2));
    let clash = set.partition("us-east-1").unwrap_err();
    assert_eq!(clash.len(), 2, "{clash:?}");
    assert!(
        clash[0].message.contains("also defined at b.yaml"),
        "{clash:?}"
    );

    // A service in the own account cannot use a namespace that lives in `prod`.
    let ns = "apiVersion: ecs.finfocus.io/v1alpha1\nkind: CloudMapNamespace\nmetadata:\n  name: ns\nspec:\n  name: finfocus.local\n  vpc: vpc-1\n  account: prod\n";
    let found = load_sources(&[
        ("p.yaml".into(), prod),
        ("ns.yaml".into(), ns.into()),
        ("svc.yaml".into(), service("", "ns")),
    ])
    .errors;
    assert!(
        found.iter().any(|e| e.file == "svc.yaml"
            && e.field.as_deref() == Some("spec.serviceDiscovery.namespace")
            && e.message.contains("own account")),
        "{found:?}"
    );
}
