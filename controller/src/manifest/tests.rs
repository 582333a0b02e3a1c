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
        image: ghcr.io/finfocus/plugin:latest
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
        errs[0].message.contains("unknown variant `FARGATEX`"),
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
fn kind_must_precede_spec() {
    let text =
        "spec: {}\napiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {name: a}\n";
    let errs = errors("k.yaml", text);
    assert!(errs[0].message.contains("`kind` must appear before `spec`"));
    assert_eq!(errs[0].line, 1);
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
                && e.message.contains("at most 45 tags")),
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
