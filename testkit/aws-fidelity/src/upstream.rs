//! The emulator behind the layer: forwards requests to it and makes the extra reads some rules need
//! (the cluster of a `CreateService`, the Cloud Map service of a registry).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::Error;
use crate::call::{Api, AwsError};
use crate::kept::KeptFields;
use crate::namespaces::ServiceNamespaces;
use crate::rollouts::Rollouts;

/// Longest wait for one emulator answer, so no request of the layer hangs.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// Headers that belong to one connection, not to the request.
const HOP_BY_HOP: [HeaderName; 4] = [
    header::HOST,
    header::CONNECTION,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
];

/// One HTTP answer, buffered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers (without the hop-by-hop ones).
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Answer {
    /// Whether the call succeeded.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The body as JSON, if it succeeded and is JSON.
    pub fn json(&self) -> Option<Value> {
        self.ok()
            .then(|| serde_json::from_slice(&self.body).ok())
            .flatten()
    }

    /// Rewrites a successful JSON answer in place; other answers stay as they are.
    pub fn edit(&mut self, rewrite: impl FnOnce(&mut Value)) {
        let Some(mut value) = self.json() else {
            return;
        };
        rewrite(&mut value);
        self.body = Bytes::from(value.to_string());
    }

    /// The AWS error answer.
    pub fn error(error: AwsError) -> Self {
        let (status, headers, body) = error.into_parts();
        Self {
            status,
            headers,
            body,
        }
    }

    /// A 200 answer with a JSON body (for calls the layer answers itself).
    pub fn json_ok(value: &Value) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        Self {
            status: StatusCode::OK,
            headers,
            body: Bytes::from(value.to_string()),
        }
    }

    /// An answer with an XML body (the query protocol's errors).
    pub fn xml(status: StatusCode, body: String) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        Self {
            status,
            headers,
            body: Bytes::from(body),
        }
    }

    /// The answer when the emulator cannot be reached.
    fn unreachable(message: String) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        Self {
            status: StatusCode::BAD_GATEWAY,
            headers,
            body: Bytes::from(message),
        }
    }
}

/// The emulator's endpoint and a client for it.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Upstream {
    /// A client for `endpoint` (`http://127.0.0.1:PORT`).
    pub fn new(endpoint: &str) -> Result<Self, Error> {
        let base = endpoint.trim_end_matches('/');
        let valid = base
            .strip_prefix("http://")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
        if !valid || base.parse::<http::Uri>().is_err() {
            return Err(Error::Upstream {
                endpoint: endpoint.to_owned(),
            });
        }
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: base.to_owned(),
        })
    }

    /// The emulator's endpoint.
    pub fn endpoint(&self) -> &str {
        &self.base
    }

    /// Sends one request to the emulator and buffers its answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Answer {
        let uri = format!("{}{path}", self.base);
        let mut builder = Request::builder().method(method).uri(&uri);
        for (name, value) in headers {
            if !HOP_BY_HOP.contains(name) {
                builder = builder.header(name, value);
            }
        }
        let request = match builder.body(Full::new(body)) {
            Ok(request) => request,
            Err(e) => return Answer::unreachable(format!("cannot build request to {uri}: {e}")),
        };
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok::<_, String>((parts, body))
        };
        match tokio::time::timeout(UPSTREAM_TIMEOUT, exchange).await {
            Ok(Ok((parts, body))) => {
                let mut headers = parts.headers;
                for name in &HOP_BY_HOP {
                    headers.remove(name);
                }
                Answer {
                    status: parts.status,
                    headers,
                    body,
                }
            }
            Ok(Err(e)) => Answer::unreachable(format!("emulator at {} failed: {e}", self.base)),
            Err(_) => Answer::unreachable(format!(
                "emulator at {} did not answer within {UPSTREAM_TIMEOUT:?}",
                self.base
            )),
        }
    }
}

/// One request being handled: where it came from, so extra calls can be made in its name.
#[derive(Debug)]
pub struct Exchange<'a> {
    upstream: &'a Upstream,
    rollouts: &'a Rollouts,
    namespaces: &'a ServiceNamespaces,
    kept: &'a KeptFields,
    method: Method,
    path: String,
    headers: HeaderMap,
}

impl<'a> Exchange<'a> {
    /// The exchange of one incoming request.
    pub fn new(
        upstream: &'a Upstream,
        rollouts: &'a Rollouts,
        namespaces: &'a ServiceNamespaces,
        kept: &'a KeptFields,
        method: Method,
        path: String,
        headers: HeaderMap,
    ) -> Self {
        Self {
            upstream,
            rollouts,
            namespaces,
            kept,
            method,
            path,
            headers,
        }
    }

    /// The rollouts tests scripted.
    pub fn rollouts(&self) -> &Rollouts {
        self.rollouts
    }

    /// The namespaces of the Cloud Map services looked up so far.
    pub fn namespaces(&self) -> &ServiceNamespaces {
        self.namespaces
    }

    /// The service fields the emulator drops, kept by the layer.
    pub fn kept(&self) -> &KeptFields {
        self.kept
    }

    /// The incoming request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Forwards the request unchanged.
    pub async fn forward(&self, body: Bytes) -> Answer {
        self.upstream
            .send(self.method.clone(), &self.path, &self.headers, body)
            .await
    }

    /// Forwards the request with `body` in place of its own.
    pub async fn forward_json(&self, body: &Value) -> Answer {
        self.forward(Bytes::from(body.to_string())).await
    }

    /// Makes another call to the emulator in the caller's account and region.
    pub async fn call(&self, api: Api, operation: &str, body: &Value) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        let target = format!("{}.{operation}", api.target());
        let authorization = authorization(&self.headers, api);
        for (name, value) in [("x-amz-target", target), ("authorization", authorization)] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        self.upstream
            .send(Method::POST, "/", &headers, Bytes::from(body.to_string()))
            .await
    }
}

impl Exchange<'_> {
    /// Makes a query-protocol call (`Action=...` form) to the emulator's `service` (`iam`) as
    /// the holder of `access_key`: the emulator acts in that key's account.
    pub async fn query_as(&self, service: &str, access_key: &str, form: String) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={access_key}/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        if let Ok(value) = HeaderValue::from_str(&authorization) {
            headers.insert(header::AUTHORIZATION, value);
        }
        self.upstream
            .send(Method::POST, "/", &headers, Bytes::from(form))
            .await
    }
}

/// An `Authorization` header for `api` with the credential scope (access key, date, region) of the
/// incoming request: the emulator routes by the signing name and picks account and region from the
/// scope; it does not check signatures.
fn authorization(headers: &HeaderMap, api: Api) -> String {
    let scope = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|v| v.split([',', ' ']).next())
        .map(|credential| credential.split('/').collect::<Vec<_>>())
        .filter(|parts| parts.len() == 5);
    let (key, date, region) = match &scope {
        Some(parts) => (parts[0], parts[1], parts[2]),
        None => ("testing", "20240101", "us-east-1"),
    };
    format!(
        "AWS4-HMAC-SHA256 Credential={key}/{date}/{region}/{}/aws4_request, SignedHeaders=host, Signature=0",
        api.signing_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_calls_keep_the_callers_scope_with_their_own_service() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20261128/eu-west-1/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
            ),
        );
        assert_eq!(
            authorization(&headers, Api::CloudMap),
            "AWS4-HMAC-SHA256 Credential=AKID/20261128/eu-west-1/servicediscovery/aws4_request, SignedHeaders=host, Signature=0"
        );
        assert!(authorization(&HeaderMap::new(), Api::Ecs).contains("/us-east-1/ecs/"));
    }

    #[test]
    fn upstream_must_be_a_plain_http_endpoint() {
        assert!(Upstream::new("http://127.0.0.1:5000").is_ok());
        assert!(Upstream::new("http://127.0.0.1:5000/").is_ok());
        assert!(Upstream::new("https://example.com").is_err());
        assert!(Upstream::new("http://127.0.0.1:5000/path").is_err());
        assert!(Upstream::new("127.0.0.1:5000").is_err());
    }

    #[test]
    fn edits_apply_only_to_successful_json() {
        let mut ok = Answer {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(br#"{"a":1}"#),
        };
        ok.edit(|v| v["a"] = serde_json::json!(2));
        assert_eq!(&ok.body[..], br#"{"a":2}"#);
        let mut failed = Answer::error(AwsError::invalid(Api::Ecs, "no"));
        let before = failed.body.clone();
        failed.edit(|v| v["a"] = serde_json::json!(2));
        assert_eq!(failed.body, before);
    }
}
