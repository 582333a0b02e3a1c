//! The creates' answers to "already exists", "in progress" and stale-token answers, without
//! network: the SDK clients get an HTTP client that answers each request with the next scripted
//! answer (status and JSON body, as AWS sends them), so errors are decoded by the SDK's own
//! deserializers into the typed errors the code matches.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};

use crate::aws::{Context, ContextOptions};
use crate::manifest::spec::ServiceSettings;

/// One request as sent: its operation (from `X-Amz-Target`) and JSON body.
#[derive(Debug, Clone)]
struct Sent {
    operation: String,
    body: Value,
}

/// Answers requests in order from a script of `(status, body)`; records what was sent.
#[derive(Debug, Clone, Default)]
struct Scripted {
    answers: Arc<Mutex<VecDeque<(u16, Value)>>>,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl Scripted {
    fn new(answers: Vec<(u16, Value)>) -> Self {
        Self {
            answers: Arc::new(Mutex::new(answers.into())),
            sent: Arc::default(),
        }
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    fn operations(&self) -> Vec<String> {
        self.sent().into_iter().map(|s| s.operation).collect()
    }
}

impl HttpConnector for Scripted {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.split_once('.'))
            .map_or_else(String::new, |(_, op)| op.to_owned());
        let body = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        self.sent.lock().unwrap().push(Sent { operation, body });
        let (status, answer) = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((500, json!({"__type": "ScriptExhausted"})));
        let mut response = HttpResponse::new(
            status.try_into().unwrap(),
            SdkBody::from(answer.to_string()),
        );
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.1");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Scripted {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

const REGION: &str = "us-east-1";

fn context(script: &Scripted) -> Context {
    let credentials = aws_sdk_ecs::config::Credentials::new("AKIDTEST", "test", None, None, "test");
    let config = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(
            credentials,
        ))
        .http_client(script.clone())
        .build();
    Context::from_config(
        config,
        ContextOptions {
            max_attempts: 1,
            wait_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_millis(10),
            ..ContextOptions::default()
        },
    )
    .unwrap()
}

fn operation_success(namespace: &str) -> (u16, Value) {
    (
        200,
        json!({"Operation": {"Id": "op", "Status": "SUCCESS", "Targets": {"NAMESPACE": namespace}}}),
    )
}

async fn create_namespace(ctx: &Context) -> crate::Result<String> {
    super::create_namespace(
        ctx,
        REGION,
        "svc.local",
        "vpc-1",
        None,
        None,
        &BTreeMap::new(),
    )
    .await
}

#[tokio::test]
async fn a_namespace_creation_in_progress_is_followed_not_repeated() {
    let script = Scripted::new(vec![
        (
            400,
            json!({"__type": "DuplicateRequest", "Message": "in progress", "DuplicateOperationId": "op-first"}),
        ),
        operation_success("ns-1"),
        (
            200,
            json!({"Namespace": {"Id": "ns-1", "Name": "svc.local"}}),
        ),
    ]);
    let id = create_namespace(&context(&script)).await.unwrap();
    assert_eq!(id, "ns-1");
    assert_eq!(
        script.operations(),
        ["CreatePrivateDnsNamespace", "GetOperation", "GetNamespace"]
    );
    assert_eq!(script.sent()[1].body["OperationId"], "op-first");
}

#[tokio::test]
async fn a_namespace_its_own_token_created_is_used() {
    // The token is derived from the request: learn it from a first, refused attempt.
    let probe = Scripted::new(vec![(
        400,
        json!({"__type": "InvalidInput", "Message": "x"}),
    )]);
    assert!(create_namespace(&context(&probe)).await.is_err());
    let token = probe.sent()[0].body["CreatorRequestId"].clone();
    assert_eq!(token.as_str().map(str::len), Some(32));

    let script = Scripted::new(vec![(
        400,
        json!({"__type": "NamespaceAlreadyExists", "Message": "exists",
               "CreatorRequestId": token, "NamespaceId": "ns-7"}),
    )]);
    let id = create_namespace(&context(&script)).await.unwrap();
    assert_eq!(id, "ns-7");
    assert_eq!(script.operations(), ["CreatePrivateDnsNamespace"]);
}

#[tokio::test]
async fn a_namespace_that_exists_under_another_token_is_observed_again() {
    let script = Scripted::new(vec![
        (
            400,
            json!({"__type": "ConflictingDomainExists", "Message": "vpc-1"}),
        ),
        (
            200,
            json!({"Namespaces": [{"Id": "ns-9", "Name": "svc.local", "Type": "DNS_PRIVATE"}]}),
        ),
    ]);
    let id = create_namespace(&context(&script)).await.unwrap();
    assert_eq!(id, "ns-9");
    assert_eq!(
        script.operations(),
        ["CreatePrivateDnsNamespace", "ListNamespaces"]
    );
    // Not found on a second look: the refusal stands.
    let script = Scripted::new(vec![
        (
            400,
            json!({"__type": "NamespaceAlreadyExists", "Message": "exists"}),
        ),
        (200, json!({"Namespaces": []})),
    ]);
    let err = create_namespace(&context(&script)).await.unwrap_err();
    assert_eq!(err.aws_code(), Some("NamespaceAlreadyExists"));
}

#[tokio::test]
async fn an_operation_naming_a_deleted_namespace_is_followed_by_a_fresh_token() {
    let script = Scripted::new(vec![
        (200, json!({"OperationId": "op-old"})),
        operation_success("ns-gone"),
        (
            400,
            json!({"__type": "NamespaceNotFound", "Message": "gone"}),
        ),
        (200, json!({"OperationId": "op-new"})),
        operation_success("ns-new"),
        (200, json!({"Namespace": {"Id": "ns-new"}})),
    ]);
    let id = create_namespace(&context(&script)).await.unwrap();
    assert_eq!(id, "ns-new");
    let sent = script.sent();
    assert_ne!(
        sent[0].body["CreatorRequestId"],
        sent[3].body["CreatorRequestId"]
    );
}

async fn create_discovery(ctx: &Context) -> crate::Result<String> {
    let spec: crate::manifest::spec::DiscoverySpec = serde_json::from_value(json!({
        "namespace": "ns", "name": "api",
        "dnsConfig": {"dnsRecords": [{"type": "A", "ttl": 30}]}
    }))
    .unwrap();
    super::create_discovery_service(ctx, REGION, "ns-1", &spec, &BTreeMap::new()).await
}

#[tokio::test]
async fn a_cloud_map_service_its_own_token_created_is_used_another_is_refused() {
    let probe = Scripted::new(vec![(
        400,
        json!({"__type": "InvalidInput", "Message": "x"}),
    )]);
    assert!(create_discovery(&context(&probe)).await.is_err());
    let token = probe.sent()[0].body["CreatorRequestId"].clone();

    let script = Scripted::new(vec![
        (
            400,
            json!({"__type": "ServiceAlreadyExists", "Message": "exists",
                   "CreatorRequestId": token, "ServiceId": "srv-1"}),
        ),
        (
            200,
            json!({"Service": {"Id": "srv-1", "Arn": "arn:aws:servicediscovery:us-east-1:1:service/srv-1"}}),
        ),
    ]);
    let arn = create_discovery(&context(&script)).await.unwrap();
    assert_eq!(arn, "arn:aws:servicediscovery:us-east-1:1:service/srv-1");
    assert_eq!(script.operations(), ["CreateService", "GetService"]);

    let script = Scripted::new(vec![(
        400,
        json!({"__type": "ServiceAlreadyExists", "Message": "exists",
               "CreatorRequestId": "someone-else", "ServiceId": "srv-2"}),
    )]);
    let err = create_discovery(&context(&script)).await.unwrap_err();
    assert_eq!(err.aws_code(), Some("ServiceAlreadyExists"));
}

async fn create_ecs_service(ctx: &Context) -> crate::Result<String> {
    super::create_service(
        ctx,
        REGION,
        "c",
        "api",
        &ServiceSettings::default(),
        "arn:aws:ecs:us-east-1:1:task-definition/api:1",
        None,
        &BTreeMap::new(),
    )
    .await
}

fn ecs_service(status: &str) -> Value {
    json!({"serviceArn": "arn:aws:ecs:us-east-1:1:service/c/api", "serviceName": "api", "status": status})
}

#[tokio::test]
async fn an_ecs_answer_naming_a_deleted_service_is_followed_by_a_fresh_token() {
    let script = Scripted::new(vec![
        (200, json!({"service": ecs_service("INACTIVE")})),
        (200, json!({"service": ecs_service("ACTIVE")})),
    ]);
    let arn = create_ecs_service(&context(&script)).await.unwrap();
    assert_eq!(arn, "arn:aws:ecs:us-east-1:1:service/c/api");
    let sent = script.sent();
    assert_eq!(sent.len(), 2);
    assert_ne!(sent[0].body["clientToken"], sent[1].body["clientToken"]);
    assert!(sent[0].body["clientToken"].as_str().unwrap().len() <= 36);
}

#[tokio::test]
async fn an_ecs_service_that_exists_is_observed_again() {
    let refused = (
        400,
        json!({"__type": "InvalidParameterException", "message": "Creation of service was not idempotent."}),
    );
    let script = Scripted::new(vec![
        refused.clone(),
        (
            200,
            json!({"services": [ecs_service("ACTIVE")], "failures": []}),
        ),
    ]);
    let arn = create_ecs_service(&context(&script)).await.unwrap();
    assert_eq!(arn, "arn:aws:ecs:us-east-1:1:service/c/api");
    assert_eq!(script.operations(), ["CreateService", "DescribeServices"]);

    // No live service of that name: the refusal was about something else and stands.
    let script = Scripted::new(vec![
        refused,
        (
            200,
            json!({"services": [ecs_service("DRAINING")], "failures": []}),
        ),
    ]);
    let err = create_ecs_service(&context(&script)).await.unwrap_err();
    assert_eq!(err.aws_code(), Some("InvalidParameterException"));
}
