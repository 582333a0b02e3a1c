//! Real AWS answers (public samples, see `controller/tests/fixtures/aws/SOURCES.md`) decoded by
//! the SDK's own deserializers, converted to the model and canonicalized, then compared with
//! the manifest that would have produced them: there must be no difference.
//!
//! The SDK clients get an HTTP client that answers every request with the canned body, so the
//! answer goes through exactly the decoding a live call does; nothing else is faked.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

use super::convert;
use crate::canon;
use crate::live::{LiveNamespace, LiveState, Lookup};
use crate::manifest::{Kind, ManifestSet, ResourceKey, ResourceSpec, load_str};
use crate::plan::{PlanOptions, Status, plan};

/// Answers every request with one canned JSON body.
#[derive(Debug, Clone)]
struct Replay(&'static str);

impl HttpConnector for Replay {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let status = 200.try_into().unwrap();
        HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(self.0))))
    }
}

impl HttpClient for Replay {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// One SDK configuration for both clients: fixed region and credentials, the canned answer.
fn config(body: &'static str) -> aws_config::SdkConfig {
    let credentials =
        aws_sdk_ecs::config::Credentials::new("AKIDFIXTURE", "fixture", None, None, "fixture");
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(
            credentials,
        ))
        .http_client(Replay(body))
        .build()
}

fn ecs(body: &'static str) -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&config(body))
}

fn cloudmap(body: &'static str) -> aws_sdk_servicediscovery::Client {
    aws_sdk_servicediscovery::Client::new(&config(body))
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/aws/", $name))
    };
}

const INSTANCE: &str = "fixtures";

fn manifests(text: &str) -> ManifestSet {
    load_str("fixture.yaml", text).unwrap()
}

fn service_spec(set: &ManifestSet, name: &str) -> crate::manifest::EcsServiceSpec {
    let r = set.get(&ResourceKey::new(Kind::EcsService, name)).unwrap();
    let ResourceSpec::Service(s) = &r.spec else {
        panic!("not a service")
    };
    (**s).clone()
}

/// An `EcsService` manifest with the given `service:` and `taskDefinition:` extras.
fn ecs_service(name: &str, cluster: &str, family: &str, td_extra: &str, service: &str) -> String {
    format!(
        "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata: {{name: {name}}}
spec:
  cluster: {cluster}
  taskDefinition:
    family: {family}
{td_extra}    containerDefinitions:
      - {{name: app, image: app}}
  service:
{service}"
    )
}

/// The manifest's service settings against the live ones, as the planner compares them.
fn assert_no_service_diff(
    manifest: &crate::manifest::ServiceSettings,
    live: &crate::manifest::ServiceSettings,
) {
    let desired = canon::service(canon::service_against_live(manifest.clone(), live));
    let live = canon::service(live.clone());
    let diffs = crate::diff::diff("service", &desired, &live);
    assert!(diffs.is_empty(), "{diffs:?}");
}

#[tokio::test]
async fn describe_services_sample_matches_its_manifest() {
    let out = ecs(fixture!("ecs-describe-services.json"))
        .describe_services()
        .services("my-http-service")
        .send()
        .await
        .unwrap();
    let live = convert::service_from_sdk(&out.services()[0]);
    assert_eq!(live.name, "my-http-service");
    assert_eq!(
        live.task_definition_arn.as_deref(),
        Some("arn:aws:ecs:us-west-2:123456789012:task-definition/amazon-ecs-sample:1")
    );
    let set = manifests(&ecs_service(
        "my-http-service",
        "default",
        "amazon-ecs-sample",
        "",
        "    desiredCount: 10\n",
    ));
    assert_no_service_diff(
        &service_spec(&set, "my-http-service").service,
        &live.settings,
    );
}

/// The Fargate service of `create-service.rst` was created without `role`; ECS answers with
/// the service-linked role, which must not be a (replacement) difference.
#[tokio::test]
async fn fargate_service_with_the_service_linked_role_matches_its_manifest() {
    let out = ecs(fixture!("ecs-describe-services-fargate.json"))
        .describe_services()
        .cluster("MyCluster")
        .services("MyService")
        .send()
        .await
        .unwrap();
    let live = convert::service_from_sdk(&out.services()[0]);
    assert!(
        live.settings
            .role
            .as_deref()
            .unwrap()
            .ends_with("/AWSServiceRoleForECS")
    );
    assert_eq!(live.tags.get("key1").map(String::as_str), Some("value1"));
    let set = manifests(&ecs_service(
        "MyService",
        "MyCluster",
        "sample-fargate",
        "    networkMode: awsvpc\n    requiresCompatibilities: [FARGATE]\n",
        "    desiredCount: 2
    launchType: FARGATE
    platformVersion: LATEST
    networkConfiguration:
      awsvpcConfiguration:
        subnets: [subnet-12344321]
        securityGroups: [sg-12344321]
        assignPublicIp: ENABLED
",
    ));
    let spec = service_spec(&set, "MyService");
    assert_no_service_diff(&spec.service, &live.settings);
    // The same manifest without desiredCount leaves the count alone.
    let mut autoscaled = spec.service.clone();
    autoscaled.desired_count = None;
    assert_no_service_diff(&autoscaled, &live.settings);
}

#[tokio::test]
async fn describe_task_definition_sample_matches_its_manifest() {
    let out = ecs(fixture!("ecs-describe-task-definition.json"))
        .describe_task_definition()
        .task_definition("hello_world:8")
        .send()
        .await
        .unwrap();
    let live = convert::task_definition_from_sdk(out.task_definition().unwrap());
    assert_eq!(live.revision, 8);
    let text = "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata: {name: hello}
spec:
  cluster: default
  taskDefinition:
    family: hello_world
    containerDefinitions:
      - name: wordpress
        image: wordpress
        cpu: 10
        memory: 500
        links: [mysql]
        portMappings: [{containerPort: 80, hostPort: 80}]
      - name: mysql
        image: mysql
        cpu: 10
        memory: 500
        environment: [{name: MYSQL_ROOT_PASSWORD, value: password}]
  service:
    desiredCount: 1
";
    let spec = service_spec(&manifests(text), "hello");
    let desired = canon::task_definition(canon::qualify_roles(spec.task_definition, &live.arn));
    let diffs = crate::diff::diff(
        "taskDefinition",
        &desired,
        &canon::task_definition(live.definition),
    );
    assert!(diffs.is_empty(), "{diffs:?}");
}

#[tokio::test]
async fn list_services_sample_names_the_service() {
    let out = ecs(fixture!("ecs-list-services.json"))
        .list_services()
        .cluster("MyCluster")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = out
        .service_arns()
        .iter()
        .map(|a| a.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["MyService"]);
    assert_eq!(out.next_token(), None);
}

const NAMESPACE: &str = "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: CloudMapNamespace
metadata: {name: local}
spec:
  name: local
  vpc: vpc-1
";

fn live_namespace(summary: &aws_sdk_servicediscovery::types::NamespaceSummary) -> LiveNamespace {
    let mut ns = convert::namespace_from_sdk(summary);
    // Tags come from ListTagsForResource, which the samples do not cover.
    ns.tags = crate::aws::ownership_tags("CloudMapNamespace/local", INSTANCE);
    ns
}

fn namespace_plan(text: &str, ns: LiveNamespace) -> crate::plan::ResourcePlan {
    let set = manifests(text);
    let mut live = LiveState::default();
    live.namespaces.insert("local".into(), Lookup::Found(ns));
    let mut p = plan(&set, &live, &PlanOptions::new(INSTANCE, "us-west-2"));
    p.resources.remove(0)
}

/// `ListNamespaces` answers `"SOA": {}`: the SDK reads TTL 0, which must not be taken for
/// the namespace's TTL. The TTL comes from `GetNamespace` instead.
#[tokio::test]
async fn list_namespaces_sample_has_no_soa_ttl_and_get_namespace_does() {
    let out = cloudmap(fixture!("servicediscovery-list-namespaces.json"))
        .list_namespaces()
        .send()
        .await
        .unwrap();
    let summary = &out.namespaces()[0];
    let empty_soa = summary
        .properties()
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.soa());
    assert_eq!(
        empty_soa.map(aws_sdk_servicediscovery::types::Soa::ttl),
        Some(0)
    );
    let ns = live_namespace(summary);
    assert_eq!(ns.soa_ttl, None);
    assert_eq!(ns.namespace_type, "DNS_PRIVATE");

    // A manifest without SOA matches the summary alone.
    let r = namespace_plan(NAMESPACE, ns.clone());
    assert_eq!(r.status, Status::InSync, "{:?}", r.changes);

    // A manifest with an SOA TTL matches once GetNamespace has told it.
    let got = cloudmap(fixture!("servicediscovery-get-namespace-private.json"))
        .get_namespace()
        .id("ns-abcd1234xmpl5678")
        .send()
        .await
        .unwrap();
    let ttl = convert::namespace_soa_ttl(got.namespace().unwrap());
    assert_eq!(ttl, Some(15));
    let with_soa = format!("{NAMESPACE}  properties: {{dnsProperties: {{soa: {{ttl: 15}}}}}}\n");
    let r = namespace_plan(
        &with_soa,
        LiveNamespace {
            soa_ttl: ttl,
            ..ns.clone()
        },
    );
    assert_eq!(r.status, Status::InSync, "{:?}", r.changes);
    // Without it, the summary's empty SOA would have meant an update every pass.
    let r = namespace_plan(&with_soa, ns);
    assert_eq!(r.status, Status::Drifted);

    // An HTTP namespace answers `"DnsProperties": {}`: no TTL at all.
    let http = cloudmap(fixture!("servicediscovery-get-namespace.json"))
        .get_namespace()
        .id("ns-abcd1234xmpl5678")
        .send()
        .await
        .unwrap();
    assert_eq!(convert::namespace_soa_ttl(http.namespace().unwrap()), None);
}

#[tokio::test]
async fn cloud_map_service_samples_match_their_manifest() {
    let out = cloudmap(fixture!("servicediscovery-list-services.json"))
        .list_services()
        .send()
        .await
        .unwrap();
    let live = convert::discovery_from_sdk(&out.services()[0], "ns-1");
    assert_eq!(live.name, "myservice");
    let text = format!(
        "{NAMESPACE}---\n{}  serviceDiscovery:
    namespace: local
    name: myservice
    dnsConfig:
      dnsRecords: [{{type: A, ttl: 60}}]
",
        ecs_service(
            "svc",
            "c",
            "f",
            "    networkMode: awsvpc\n",
            "    networkConfiguration: {awsvpcConfiguration: {subnets: [subnet-1]}}\n",
        )
    );
    let desired = service_spec(&manifests(&text), "svc")
        .service_discovery
        .unwrap();
    let live_spec = crate::plan::live_discovery_spec(&desired, &live);
    let diffs = crate::diff::diff(
        "serviceDiscovery",
        &canon::discovery(desired),
        &canon::discovery(live_spec),
    );
    assert!(diffs.is_empty(), "{diffs:?}");

    // GetService tells the namespace of a service (used to tell same-named services apart).
    let got = cloudmap(fixture!("servicediscovery-get-service.json"))
        .get_service()
        .id("srv-abcd1234xmpl5678")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.service().and_then(|s| s.namespace_id()),
        Some("ns-abcd1234xmpl5678")
    );
}
