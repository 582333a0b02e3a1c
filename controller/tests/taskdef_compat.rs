//! Task definitions people wrote (public `task-definition.json` files, see
//! `fixtures/task-definitions/SOURCES.md`), each wrapped in an `EcsService` manifest: every one
//! validates, applies through the fidelity layer and then plans clean, or is refused with a
//! reason that says what to do.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use std::path::PathBuf;

use support::{Case, Network, cluster_manifest};

/// What a fixture must do.
enum Expect {
    /// Validates without a warning, applies, plans clean.
    Applies,
    /// The same, with one warning naming the `describe-task-definition` fields it ignores.
    AppliesWithWarning,
    /// `validate` refuses it with a message containing this.
    Refused(&'static str),
    /// Validates with the warning, but is not applied: the emulator refuses it where AWS's own
    /// documentation reads both ways (the reason is in SOURCES.md).
    ValidatesWithWarning,
}

const FIXTURES: &[(&str, Expect)] = &[
    ("appmesh-xray-exec.json", Expect::Applies),
    (
        "opentelemetry-describe-wrapped.json",
        Expect::Refused("this is `aws ecs describe-task-definition` output"),
    ),
    ("php-nginx-bridge-describe.json", Expect::AppliesWithWarning),
    ("circleci-minimal.json", Expect::Applies),
    ("github-ci-sdk-dump.json", Expect::AppliesWithWarning),
    ("fargate-infra-nulls.json", Expect::Applies),
    ("spring-redis-placeholders.json", Expect::Applies),
    ("testapp-sdk-dump.json", Expect::AppliesWithWarning),
    (
        "ecogrid-describe-healthcheck.json",
        Expect::AppliesWithWarning,
    ),
    ("aethernet-efs.json", Expect::Applies),
    (
        "cashflow-secrets-ulimits.json",
        Expect::Refused("the task definition's tags come from spec.tags"),
    ),
    // An EC2 task whose container sets only `memoryReservation`: moto wants `memory` too.
    (
        "booklending-bridge-sdk-dump.json",
        Expect::ValidatesWithWarning,
    ),
    // A task `cpu` of 0: ECS takes 128 units at least for a task-level size.
    (
        "allcollate-ec2-awsvpc.json",
        Expect::Refused("`0` is not a CPU amount"),
    ),
    ("recsys-fargate-minimal.json", Expect::Applies),
    ("langgraph-healthcheck.json", Expect::Applies),
    ("firelens-cloudwatch.json", Expect::Applies),
    (
        "appmesh-firelens-colorteller.json",
        Expect::Refused("AWS ended support for App Mesh on 30 September 2026"),
    ),
];

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/task-definitions")
}

/// The placeholder values of the files replaced by values AWS accepts (listed in SOURCES.md).
fn substitute(text: &str) -> String {
    text.replace("${AWS_ACCOUNT_ID}", "123456789012")
        .replace("${ECS_EXECUTION_ROLENAME}", "ecsTaskExecutionRole")
        .replace("ACCOUNT_ID", "123456789012")
        .replace("XXXXXXXXXXXX", "123456789012")
        .replace(
            "<taskRoleArn>",
            "arn:aws:iam::123456789012:role/ecsTaskRole",
        )
        .replace(
            "<executionRoleArn>",
            "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        )
        .replace("<region>", "us-east-1")
        .replace("REGION", "us-east-1")
        .replace("\"PLACEHOLDER\"", "\"nginx:latest\"")
}

/// An `EcsService` manifest running the file's task definition, pasted as it is (JSON is YAML),
/// with the launch type and network its task definition asks for.
fn wrap(name: &str, cluster: &str, network: &Network, json: &str) -> String {
    let td: serde_json::Value = serde_json::from_str(json).unwrap();
    let fargate = td["requiresCompatibilities"]
        .as_array()
        .is_some_and(|c| c.iter().any(|v| v == "FARGATE"));
    let awsvpc = td["networkMode"] == "awsvpc";
    let mut service = format!(
        "    desiredCount: 1\n    launchType: {}\n",
        if fargate { "FARGATE" } else { "EC2" }
    );
    if awsvpc {
        service.push_str(&format!(
            "    networkConfiguration:\n      awsvpcConfiguration:\n        subnets: [{}]\n        securityGroups: [{}]\n",
            network.subnets[0], network.security_group
        ));
    }
    let pasted: String = json.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsService\nmetadata:\n  name: {name}\nspec:\n  cluster: {cluster}\n  taskDefinition:\n{pasted}  service:\n{service}"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn task_definitions_people_wrote_apply_or_are_refused_with_a_reason() {
    let case = Case::new("compat");
    let (names, network, dir) = (&case.names, &case.network, &case.dir);
    dir.write("00-cluster.yaml", &cluster_manifest(&names.cluster));
    let mut alone = Vec::new();
    for (i, (file, expect)) in FIXTURES.iter().enumerate() {
        let json = substitute(&std::fs::read_to_string(fixture_dir().join(file)).unwrap());
        let manifest = wrap(
            &format!("compat{i}-{}", names.suffix),
            &names.cluster,
            network,
            &json,
        );
        let yaml = format!("{file}.yaml");
        match expect {
            Expect::Refused(_) | Expect::ValidatesWithWarning => {
                alone.push((yaml, manifest, expect))
            }
            Expect::Applies | Expect::AppliesWithWarning => dir.write(&yaml, &manifest),
        }
    }

    // The files that apply: one warning per pasted describe output, naming what it ignores.
    let validate = case.run(&["validate"]);
    validate.expect_code(0);
    for (file, expect) in FIXTURES {
        // Task definitions people write often run `:latest`; that warning is checked on its own below.
        let warned = validate.stderr.lines().any(|l| {
            l.starts_with("warning")
                && l.contains(&format!("{file}.yaml:"))
                && !l.contains("`:latest`")
        });
        match expect {
            Expect::AppliesWithWarning => assert!(
                warned
                    && validate.stderr.contains("ignored `")
                    && validate.stderr.contains("describe-task-definition"),
                "{file}: expected a warning:\n{}",
                validate.stderr
            ),
            Expect::Applies => {
                assert!(!warned, "{file}: no warning expected:\n{}", validate.stderr)
            }
            Expect::Refused(_) | Expect::ValidatesWithWarning => {}
        }
    }
    assert!(
        validate
            .stderr
            .contains("circleci-demo:latest` names the mutable tag `:latest`"),
        "{}",
        validate.stderr
    );
    let apply = case.run(&["apply"]);
    apply.expect_code(0);
    let plan = case.run(&["plan"]);
    assert_eq!(
        plan.code, 0,
        "a second look must find nothing to change:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    // The others, each on its own and without an AWS call: refused with the reason, or valid.
    for (yaml, manifest, expect) in alone {
        let dir = support::TempDir::new("compat-alone");
        dir.write(&yaml, &manifest);
        let out = case
            .emu
            .run(&names.instance, &["validate", "-f", &dir.arg()]);
        match expect {
            Expect::Refused(reason) => {
                assert_eq!(out.code, 1, "{yaml}: {}", out.stderr);
                assert!(
                    out.stderr.contains(&format!("{yaml}:")) && out.stderr.contains(reason),
                    "{yaml}: expected `{reason}` in\n{}",
                    out.stderr
                );
            }
            _ => {
                assert_eq!(out.code, 0, "{yaml}: {}", out.stderr);
                assert!(out.stderr.contains("ignored `"), "{yaml}: {}", out.stderr);
            }
        }
        assert_eq!(out.calls(), serde_json::Value::Null, "{yaml}: no AWS call");
    }
}
