//! Checks of the progressive delivery fields of an `EcsService` and of an `EcsCluster`'s
//! Service Connect defaults: what `CreateService`/`UpdateService` would refuse, and values
//! AWS stores in another form (which would show as a change on every pass).

use std::collections::BTreeSet;

use serde_saphyr::Location;

use super::DocCheck;
use crate::manifest::spec::{ClusterSpec, EcsServiceSpec, Percent};

/// Strategies that shift traffic between two service revisions (API reference,
/// DeploymentConfiguration `strategy`).
const TRAFFIC_SHIFTING: &[&str] = &["BLUE_GREEN", "LINEAR", "CANARY"];

/// The most minutes of any bake time (API reference, DeploymentConfiguration
/// `bakeTimeInMinutes`, CanaryConfiguration and LinearConfiguration: 0 to 1440).
const MAX_BAKE_MINUTES: i32 = 1440;

fn tenths(p: Percent) -> bool {
    let scaled = p.0 * 10.0;
    (scaled - scaled.round()).abs() < 1e-6
}

pub(super) fn check_delivery(check: &mut DocCheck<'_>, svc: &EcsServiceSpec, at: Location) {
    let s = &svc.service;
    let d = s.deployment_configuration.as_ref();
    let strategy = d.and_then(|d| d.strategy.as_deref()).unwrap_or("ROLLING");
    let dc = "spec.service.deploymentConfiguration";
    if TRAFFIC_SHIFTING.contains(&strategy) {
        let advanced = s
            .load_balancers
            .iter()
            .flatten()
            .any(|l| l.advanced_configuration.is_some());
        let service_connect = s
            .service_connect_configuration
            .as_ref()
            .is_some_and(|c| c.enabled);
        if !advanced && !service_connect {
            check.error(
                Some(at),
                &format!("{dc}.strategy"),
                format!(
                    "`{strategy}` shifts traffic between two revisions: give a load balancer an advancedConfiguration (alternate target group and listener rules) or enable serviceConnectConfiguration"
                ),
            );
        }
    }
    if let Some(bake) = d.and_then(|d| d.bake_time_in_minutes)
        && !(0..=MAX_BAKE_MINUTES).contains(&bake)
    {
        check.error(
            Some(at),
            &format!("{dc}.bakeTimeInMinutes"),
            format!("must be 0-{MAX_BAKE_MINUTES}"),
        );
    }
    if let Some(c) = d.and_then(|d| d.canary_configuration.as_ref()) {
        let field = format!("{dc}.canaryConfiguration");
        if strategy != "CANARY" {
            check.error(
                Some(at),
                &field,
                format!("is only used with strategy CANARY (strategy is `{strategy}`)"),
            );
        }
        percent(
            check,
            at,
            &format!("{field}.canaryPercent"),
            c.canary_percent,
            0.1,
        );
        bake(
            check,
            at,
            &format!("{field}.canaryBakeTimeInMinutes"),
            c.canary_bake_time_in_minutes,
        );
    }
    if let Some(c) = d.and_then(|d| d.linear_configuration.as_ref()) {
        let field = format!("{dc}.linearConfiguration");
        if strategy != "LINEAR" {
            check.error(
                Some(at),
                &field,
                format!("is only used with strategy LINEAR (strategy is `{strategy}`)"),
            );
        }
        percent(
            check,
            at,
            &format!("{field}.stepPercent"),
            c.step_percent,
            3.0,
        );
        bake(
            check,
            at,
            &format!("{field}.stepBakeTimeInMinutes"),
            c.step_bake_time_in_minutes,
        );
    }
    for (i, h) in d
        .and_then(|d| d.lifecycle_hooks.as_ref())
        .iter()
        .copied()
        .flatten()
        .enumerate()
    {
        let field = format!("{dc}.lifecycleHooks[{i}]");
        if h.lifecycle_stages.is_empty() {
            check.error(
                Some(at),
                &format!("{field}.lifecycleStages"),
                "at least one stage is required",
            );
        }
        // Only Lambda functions are hook targets (API reference, DeploymentLifecycleHook).
        if !h.hook_target_arn.starts_with("arn:") || !h.hook_target_arn.contains(":lambda:") {
            check.error(
                Some(at),
                &format!("{field}.hookTargetArn"),
                "must be the ARN of a Lambda function",
            );
        }
        if h.hook_details
            .as_ref()
            .is_some_and(|v| !v.is_object() && !v.is_null())
        {
            check.error(
                Some(at),
                &format!("{field}.hookDetails"),
                "must be a mapping (ECS passes it to the hook as a JSON object)",
            );
        }
    }
    check_volumes(check, svc, at);
    check_ports(check, svc, at);
    if let Some(c) = &s.service_connect_configuration
        && let Some(ns) = &c.namespace
    {
        namespace_arn(
            check,
            at,
            "spec.service.serviceConnectConfiguration.namespace",
            ns,
        );
    }
}

fn percent(check: &mut DocCheck<'_>, at: Location, field: &str, p: Option<Percent>, min: f64) {
    if let Some(p) = p
        && (!(min..=100.0).contains(&p.0) || !tenths(p))
    {
        check.error(
            Some(at),
            field,
            format!("must be a multiple of 0.1 from {min:.1} to 100.0"),
        );
    }
}

fn bake(check: &mut DocCheck<'_>, at: Location, field: &str, minutes: Option<i32>) {
    if minutes.is_some_and(|m| !(0..=MAX_BAKE_MINUTES).contains(&m)) {
        check.error(Some(at), field, format!("must be 0-{MAX_BAKE_MINUTES}"));
    }
}

/// A task definition volume with `configuredAtLaunch: true` gets its configuration from the
/// service, and a service volume configuration must name such a volume (API reference,
/// ServiceVolumeConfiguration `name`; developer guide, ebs-volumes.html).
fn check_volumes(check: &mut DocCheck<'_>, svc: &EcsServiceSpec, at: Location) {
    let at_launch: BTreeSet<&str> = svc
        .task_definition
        .volumes
        .iter()
        .flatten()
        .filter(|v| v.configured_at_launch == Some(true))
        .filter_map(|v| v.name.as_deref())
        .collect();
    let configured: Vec<&str> = svc
        .service
        .volume_configurations
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    for name in &at_launch {
        if !configured.contains(name) {
            check.error(
                Some(at),
                "spec.service.volumeConfigurations",
                format!(
                    "task definition volume `{name}` is configuredAtLaunch: give it an entry here"
                ),
            );
        }
    }
    for (i, name) in configured.iter().enumerate() {
        if !at_launch.contains(name) {
            check.error(
                Some(at),
                &format!("spec.service.volumeConfigurations[{i}].name"),
                format!("no task definition volume `{name}` with configuredAtLaunch: true"),
            );
        }
    }
}

/// Service Connect and VPC Lattice name a port mapping by its `name` (API reference,
/// ServiceConnectService and VpcLatticeConfiguration `portName`).
fn check_ports(check: &mut DocCheck<'_>, svc: &EcsServiceSpec, at: Location) {
    let names: BTreeSet<&str> = svc
        .task_definition
        .container_definitions
        .iter()
        .flat_map(|c| c.port_mappings.iter().flatten())
        .filter_map(|p| p.name.as_deref())
        .collect();
    let s = &svc.service;
    let connect = s
        .service_connect_configuration
        .iter()
        .flat_map(|c| c.services.iter().flatten())
        .map(|c| c.port_name.as_str());
    for (i, port) in connect.enumerate() {
        if !names.contains(port) {
            check.error(
                Some(at),
                &format!("spec.service.serviceConnectConfiguration.services[{i}].portName"),
                format!("no port mapping of the task definition is named `{port}`"),
            );
        }
    }
    for (i, l) in s.vpc_lattice_configurations.iter().flatten().enumerate() {
        if !names.contains(l.port_name.as_str()) {
            check.error(
                Some(at),
                &format!("spec.service.vpcLatticeConfigurations[{i}].portName"),
                format!(
                    "no port mapping of the task definition is named `{}`",
                    l.port_name
                ),
            );
        }
    }
}

/// A Service Connect namespace may be sent by name, but ECS stores and answers its ARN (API
/// reference, ServiceConnectConfiguration and ClusterServiceConnectDefaults `namespace`): a
/// name would differ from the live ARN on every pass, so the ARN is required.
fn namespace_arn(check: &mut DocCheck<'_>, at: Location, field: &str, namespace: &str) {
    if !(namespace.starts_with("arn:") && namespace.contains(":servicediscovery:")) {
        check.error(
            Some(at),
            field,
            format!(
                "`{namespace}`: give the Cloud Map namespace ARN (arn:aws:servicediscovery:<region>:<account>:namespace/ns-...); ECS answers the ARN, so a name would show as a change on every pass"
            ),
        );
    }
}

/// A cluster's default Service Connect namespace is stored as an ARN, like a service's.
pub(super) fn check_cluster_delivery(
    check: &mut DocCheck<'_>,
    cluster: &ClusterSpec,
    at: Location,
) {
    if let Some(d) = &cluster.service_connect_defaults {
        namespace_arn(
            check,
            at,
            "spec.serviceConnectDefaults.namespace",
            &d.namespace,
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use crate::manifest::{ManifestError, load_str};

    const ALB: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012";

    /// A valid blue/green service; `edit` rewrites it into the case under test.
    fn blue_green() -> String {
        format!(
            "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: web
spec:
  cluster: c
  taskDefinition:
    family: web
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: \"256\"
    memory: \"512\"
    containerDefinitions:
      - name: web
        image: nginx
        portMappings: [{{name: http, containerPort: 80}}]
    volumes:
      - {{name: data, configuredAtLaunch: true}}
  service:
    launchType: FARGATE
    deploymentConfiguration:
      strategy: BLUE_GREEN
      bakeTimeInMinutes: 10
      lifecycleHooks:
        - hookTargetArn: arn:aws:lambda:us-east-1:123456789012:function:check
          roleArn: arn:aws:iam::123456789012:role/hooks
          lifecycleStages: [POST_TEST_TRAFFIC_SHIFT]
    loadBalancers:
      - targetGroupArn: {ALB}:targetgroup/blue/1
        containerName: web
        containerPort: 80
        advancedConfiguration:
          alternateTargetGroupArn: {ALB}:targetgroup/green/2
          productionListenerRule: {ALB}:listener-rule/app/a/1/2/3
          testListenerRule: {ALB}:listener-rule/app/a/1/2/4
          roleArn: arn:aws:iam::123456789012:role/lb
    volumeConfigurations:
      - name: data
        managedEBSVolume: {{roleArn: arn:aws:iam::123456789012:role/ebs, sizeInGiB: 10, volumeType: gp3}}
    networkConfiguration:
      awsvpcConfiguration:
        subnets: [subnet-1]
"
        )
    }

    fn without_advanced_configuration() -> String {
        let text = blue_green();
        let start = text.find("        advancedConfiguration:").unwrap();
        let end = text.find("    volumeConfigurations:").unwrap();
        format!("{}{}", &text[..start], &text[end..])
    }

    fn errors(text: &str) -> Vec<ManifestError> {
        load_str("svc.yaml", text).unwrap_err()
    }

    #[test]
    fn a_complete_blue_green_service_validates() {
        let set = load_str("svc.yaml", &blue_green()).unwrap();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn each_refusal_names_file_line_column_and_field() {
        let canary = "strategy: CANARY\n      canaryConfiguration: {canaryPercent: 0.05}";
        let linear = "strategy: LINEAR\n      linearConfiguration: {stepPercent: 2.5}";
        let cases: Vec<(String, &str, &str)> = vec![
            (
                without_advanced_configuration(),
                "spec.service.deploymentConfiguration.strategy",
                "advancedConfiguration",
            ),
            (
                blue_green().replace("strategy: BLUE_GREEN", canary),
                "spec.service.deploymentConfiguration.canaryConfiguration.canaryPercent",
                "0.1 to 100.0",
            ),
            (
                blue_green().replace("strategy: BLUE_GREEN", linear),
                "spec.service.deploymentConfiguration.linearConfiguration.stepPercent",
                "3.0 to 100.0",
            ),
            (
                blue_green().replace(
                    "strategy: BLUE_GREEN",
                    "strategy: BLUE_GREEN\n      canaryConfiguration: {canaryPercent: 10}",
                ),
                "spec.service.deploymentConfiguration.canaryConfiguration",
                "only used with strategy CANARY",
            ),
            (
                blue_green().replace("bakeTimeInMinutes: 10", "bakeTimeInMinutes: 2000"),
                "spec.service.deploymentConfiguration.bakeTimeInMinutes",
                "0-1440",
            ),
            (
                blue_green().replace(
                    "arn:aws:lambda:us-east-1:123456789012:function:check",
                    "arn:aws:sns:us-east-1:123456789012:topic",
                ),
                "spec.service.deploymentConfiguration.lifecycleHooks[0].hookTargetArn",
                "Lambda",
            ),
            (
                blue_green().replace(
                    "      - name: data\n        managedEBSVolume",
                    "      - name: other\n        managedEBSVolume",
                ),
                "spec.service.volumeConfigurations",
                "`data` is configuredAtLaunch",
            ),
            (
                blue_green().replace(
                    "      - name: data\n        managedEBSVolume",
                    "      - name: other\n        managedEBSVolume",
                ),
                "spec.service.volumeConfigurations[0].name",
                "no task definition volume `other`",
            ),
            (
                blue_green().replace(
                    "    networkConfiguration:",
                    "    serviceConnectConfiguration:\n      enabled: true\n      namespace: arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1\n      services: [{portName: grpc}]\n    networkConfiguration:",
                ),
                "spec.service.serviceConnectConfiguration.services[0].portName",
                "`grpc`",
            ),
            (
                blue_green().replace(
                    "    networkConfiguration:",
                    "    serviceConnectConfiguration: {enabled: true, namespace: shop.local}\n    networkConfiguration:",
                ),
                "spec.service.serviceConnectConfiguration.namespace",
                "ARN",
            ),
            (
                blue_green().replace(
                    "    networkConfiguration:",
                    "    vpcLatticeConfigurations: [{roleArn: r, targetGroupArn: t, portName: web}]\n    networkConfiguration:",
                ),
                "spec.service.vpcLatticeConfigurations[0].portName",
                "`web`",
            ),
        ];
        for (text, field, words) in cases {
            let errs = errors(&text);
            let found = errs.iter().find(|e| e.field.as_deref() == Some(field));
            let Some(e) = found else {
                panic!("expected an error on {field}, got {errs:?}");
            };
            assert!(e.message.contains(words), "{field}: {}", e.message);
            // Located at the field the error names: its line holds the field's key, or the key
            // ends the line before (a block value starts on the next line).
            let key = field
                .rsplit('.')
                .next()
                .and_then(|last| last.split('[').next())
                .unwrap_or_default();
            let index = usize::try_from(e.line.saturating_sub(1)).unwrap_or(usize::MAX);
            let line = text.lines().nth(index).unwrap_or_default();
            let before = index
                .checked_sub(1)
                .and_then(|i| text.lines().nth(i))
                .unwrap_or_default();
            let at_key = line.contains(key) || before.trim_end().ends_with(&format!("{key}:"));
            assert!(e.line > 6 && at_key, "{e} points at: {line}");
            let at = format!("svc.yaml:{}:{}: ", e.line, e.column);
            assert!(e.column > 0 && e.to_string().starts_with(&at), "{e}");
        }
    }

    #[test]
    fn enumerations_take_only_the_spelling_aws_stores() {
        for (from, to) in [
            ("volumeType: gp3", "volumeType: GP3"),
            ("[POST_TEST_TRAFFIC_SHIFT]", "[post_test_traffic_shift]"),
        ] {
            let errs = errors(&blue_green().replace(from, to));
            assert!(
                errs.iter().any(|e| e.line > 0
                    && e.message.contains(&format!(
                        "`{}` is not one of",
                        to.rsplit([' ', '['])
                            .next()
                            .unwrap_or_default()
                            .trim_end_matches(']')
                    ))),
                "{to}: {errs:?}"
            );
        }
    }

    #[test]
    fn a_cluster_namespace_given_by_name_is_refused() {
        let cluster = "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata:
  name: c
spec:
  serviceConnectDefaults: {namespace: shop.local}
  configuration:
    executeCommandConfiguration: {logging: DEFAULT}
";
        let errs = errors(cluster);
        assert!(
            errs.iter().any(|e| e.field.as_deref()
                == Some("spec.serviceConnectDefaults.namespace")
                && e.line == 6
                && e.message.contains("ARN")),
            "{errs:?}"
        );
        assert_eq!(errs.len(), 1, "the configuration itself is valid: {errs:?}");
    }
}
