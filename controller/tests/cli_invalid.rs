//! Bad input: invalid YAML, wrong types, unknown fields, duplicates and dangling references
//! are reported with file, line and column, exit 1, and nothing is changed in AWS.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use support::{Case, cluster_manifest, find_namespace, namespace_manifest, small_service};

#[tokio::test(flavor = "multi_thread")]
async fn invalid_manifests_change_nothing() {
    let case = Case::new("invalid");
    let (emu, names, network, dir) = (&case.emu, &case.names, &case.network, &case.dir);
    // A valid file next to the broken ones: it must not be applied either.
    dir.write(
        "ok.yaml",
        &format!(
            "{}---\n{}",
            cluster_manifest(&names.cluster),
            namespace_manifest(&names.namespace, &names.dns, &names.vpc)
        ),
    );
    let svc = small_service(
        &names.service,
        &names.cluster,
        network,
        Some(("no-such-namespace", "x")),
    );
    dir.write("dangling.yaml", &svc);
    dir.write(
        "typo.yaml",
        &small_service("other", &names.cluster, network, None)
            .replace("desiredCount: 2", "desiredCount: 2\n    desiredCuont: 3"),
    );
    dir.write(
        "types.yaml",
        &small_service("third", &names.cluster, network, None)
            .replace("desiredCount: 2", "desiredCount: two"),
    );
    dir.write(
        "syntax.yaml",
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {name: [\n",
    );
    dir.write("dupe.yaml", &cluster_manifest(&names.cluster));

    let validate = case.run(&["validate"]);
    validate.expect_code(1);
    let err = &validate.stderr;
    let path = |f: &str| dir.path().join(f).display().to_string();
    for expected in [
        format!(
            "{}:25:16: spec.serviceDiscovery.namespace: no CloudMapNamespace named `no-such-namespace` is defined",
            path("dangling.yaml")
        ),
        format!(
            "{}:19:5: spec.service.desiredCuont: unknown field `desiredCuont`",
            path("typo.yaml")
        ),
        format!(
            "{}:18:19: spec.service.desiredCount: expected a whole number, found the text `two`",
            path("types.yaml")
        ),
        format!("{}:3:18: metadata.name", path("syntax.yaml")),
        format!(
            "{}:4:9: metadata.name: duplicate object EcsCluster/{}",
            path("dupe.yaml"),
            names.cluster
        ),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in\n{err}");
    }
    assert_eq!(
        validate.calls(),
        serde_json::Value::Null,
        "validate must not call AWS"
    );

    for verb in ["plan", "apply"] {
        let run = case.run(&[verb]);
        run.expect_code(1);
        assert!(run.stderr.contains("nothing was applied"), "{}", run.stderr);
        assert_eq!(
            run.calls(),
            serde_json::Value::Null,
            "{verb} must not call AWS: {}",
            run.stderr
        );
    }
    let cloudmap = emu.cloudmap().await;
    assert!(find_namespace(&cloudmap, &names.dns).await.is_none());
    let ecs = emu.ecs().await;
    let clusters = ecs
        .describe_clusters()
        .clusters(&names.cluster)
        .send()
        .await
        .unwrap();
    assert!(
        clusters.clusters().is_empty(),
        "the valid file must not be applied either"
    );
}

#[test]
fn validate_accepts_the_reference_manifests() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests/plugin");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_finfocus-ecs-controller"))
        .args(["validate", "-f"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("3 resource(s) in 3 file(s) are valid"),
        "{stdout}"
    );
}
