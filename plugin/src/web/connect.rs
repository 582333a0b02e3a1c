//! Connect unary (`POST /finfocus.v1.CostSourceService/<Method>`, JSON or binary protobuf),
//! served by transcoding to gRPC and calling the same in-process gRPC router.
//!
//! A request is validated (method, content type, size, JSON), re-encoded as a framed gRPC
//! request (headers become metadata, `Connect-Timeout-Ms` becomes `grpc-timeout`) and sent
//! through the gRPC router; the answer is decoded and written back in the proto3 JSON mapping
//! (lowerCamelCase names, enum names, 64-bit integers as strings) or as binary protobuf. gRPC
//! errors become Connect's error JSON `{"code","message","details"}` with the HTTP status of
//! the Connect protocol; the `finfocus.v1.ErrorDetail` of a status travels in `details`, with
//! a readable `debug` copy.
//!
//! The messages are described at run time from the embedded descriptor set (prost-reflect),
//! so every RPC of the service, present or future, is reachable without per-method code.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::BodyExt;
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, MethodDescriptor, SerializeOptions,
};
use tower::ServiceExt as _;

use super::RpcCode;

/// The two Connect unary codecs we speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Json,
    Proto,
}

impl Codec {
    fn content_type(self) -> &'static str {
        match self {
            Codec::Json => "application/json",
            Codec::Proto => "application/proto",
        }
    }
}

/// Connect's name of a gRPC code.
pub(crate) fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "canceled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

/// The HTTP status the Connect protocol assigns to a gRPC code.
pub(crate) fn http_status(code: tonic::Code) -> StatusCode {
    use tonic::Code;
    match code {
        Code::Ok => StatusCode::OK,
        // 499 "client closed request" has no constant; it is always a valid status code.
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
    }
}

/// A Connect error response: an HTTP status and `{"code","message","details"}`.
#[derive(Debug)]
pub(crate) struct ConnectError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<serde_json::Value>,
    extra_headers: Vec<(HeaderName, HeaderValue)>,
}

impl ConnectError {
    fn new(status: StatusCode, code: tonic::Code, message: impl Into<String>) -> ConnectError {
        ConnectError {
            status,
            code: code_name(code),
            message: message.into(),
            details: Vec::new(),
            extra_headers: Vec::new(),
        }
    }

    fn from_code(code: tonic::Code, message: impl Into<String>) -> ConnectError {
        ConnectError::new(http_status(code), code, message)
    }

    fn with_header(mut self, name: HeaderName, value: &'static str) -> ConnectError {
        self.extra_headers
            .push((name, HeaderValue::from_static(value)));
        self
    }
}

impl IntoResponse for ConnectError {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("code".into(), self.code.into());
        if !self.message.is_empty() {
            body.insert("message".into(), self.message.into());
        }
        if !self.details.is_empty() {
            body.insert("details".into(), self.details.into());
        }
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            serde_json::Value::Object(body).to_string(),
        )
            .into_response();
        for (name, value) in self.extra_headers {
            response.headers_mut().insert(name, value);
        }
        response.extensions_mut().insert(RpcCode(self.code));
        response
    }
}

/// The Connect endpoint: the service's methods and the gRPC router it forwards to.
#[derive(Debug)]
pub(crate) struct Connect {
    pool: DescriptorPool,
    methods: HashMap<String, MethodDescriptor>,
    grpc: Router,
    max_body_bytes: usize,
    timeout: Duration,
}

/// Request headers that are about HTTP or Connect itself and never become gRPC metadata.
fn is_transport_header(name: &str) -> bool {
    matches!(
        name,
        "host"
            | "content-type"
            | "content-length"
            | "content-encoding"
            | "accept"
            | "accept-encoding"
            | "connection"
            | "keep-alive"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "origin"
            | "referer"
            | "cookie"
    ) || ["grpc-", "connect-", "sec-", "access-control-", "proxy-"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Parses `Connect-Timeout-Ms`: 1 to 10 ASCII digits.
fn parse_timeout_ms(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?;
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().map(Duration::from_millis)
}

/// Finds the error behind a body read failure: an exceeded length limit or anything else.
fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = e.source();
    }
    false
}

impl Connect {
    /// Builds the endpoint for `service` of the descriptor set.
    pub(crate) fn new(
        pool: DescriptorPool,
        service: &str,
        grpc: Router,
        max_body_bytes: usize,
        timeout: Duration,
    ) -> Option<Connect> {
        let methods = pool
            .get_service_by_name(service)?
            .methods()
            .map(|m| (m.name().to_owned(), m))
            .collect();
        Some(Connect {
            pool,
            methods,
            grpc,
            max_body_bytes,
            timeout,
        })
    }

    /// Checks everything about the request before its body is read.
    fn preflight(
        &self,
        method_name: &str,
        request: &Request,
    ) -> Result<(MethodDescriptor, Codec, Duration), ConnectError> {
        if request.method() != Method::POST {
            return Err(ConnectError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                tonic::Code::Unimplemented,
                format!(
                    "{} is not allowed: Connect unary calls use POST",
                    request.method()
                ),
            )
            .with_header(header::ALLOW, "POST"));
        }
        let method = self.methods.get(method_name).cloned().ok_or_else(|| {
            ConnectError::new(
                StatusCode::NOT_FOUND,
                tonic::Code::Unimplemented,
                format!(
                    "unknown method {:?} of finfocus.v1.CostSourceService",
                    method_name.chars().take(64).collect::<String>()
                ),
            )
        })?;
        let headers = request.headers();
        let media_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let codec = match media_type.as_str() {
            "application/json" => Codec::Json,
            "application/proto" => Codec::Proto,
            "" => {
                return Err(unsupported_media_type(
                    "missing Content-Type: send application/json (or application/proto)".into(),
                ));
            }
            other => {
                return Err(unsupported_media_type(format!(
                    "unsupported Content-Type {:?}: send application/json (or application/proto)",
                    other.chars().take(64).collect::<String>()
                )));
            }
        };
        if let Some(version) = headers.get("connect-protocol-version")
            && version.as_bytes() != b"1"
        {
            return Err(ConnectError::from_code(
                tonic::Code::InvalidArgument,
                "unsupported Connect-Protocol-Version: expected 1",
            ));
        }
        if let Some(encoding) = headers.get(header::CONTENT_ENCODING)
            && !encoding.as_bytes().eq_ignore_ascii_case(b"identity")
        {
            return Err(ConnectError::from_code(
                tonic::Code::Unimplemented,
                "compressed request bodies are not supported: send identity",
            ));
        }
        let timeout = match headers.get("connect-timeout-ms") {
            None => self.timeout,
            Some(value) => parse_timeout_ms(value)
                .ok_or_else(|| {
                    ConnectError::from_code(
                        tonic::Code::InvalidArgument,
                        "Connect-Timeout-Ms must be 1 to 10 digits",
                    )
                })?
                .min(self.timeout),
        };
        if let Some(length) = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            && length > self.max_body_bytes as u64
        {
            return Err(self.too_large());
        }
        Ok((method, codec, timeout))
    }

    fn too_large(&self) -> ConnectError {
        ConnectError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            tonic::Code::ResourceExhausted,
            format!("request body exceeds {} bytes", self.max_body_bytes),
        )
    }

    /// Decodes the body into the method's input message and re-encodes it as protobuf.
    fn decode_input(
        &self,
        method: &MethodDescriptor,
        codec: Codec,
        body: &[u8],
    ) -> Result<Vec<u8>, ConnectError> {
        let input = method.input();
        let message = match codec {
            Codec::Json => {
                // An empty body is the empty message, as for a `{}`.
                let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
                    b"{}"
                } else {
                    body
                };
                let mut deserializer = serde_json::Deserializer::from_slice(body);
                let options = DeserializeOptions::new().deny_unknown_fields(false);
                DynamicMessage::deserialize_with_options(input.clone(), &mut deserializer, &options)
                    .and_then(|m| deserializer.end().map(|()| m))
                    .map_err(|e| {
                        ConnectError::from_code(
                            tonic::Code::InvalidArgument,
                            format!("malformed JSON for {}: {e}", input.full_name()),
                        )
                    })?
            }
            Codec::Proto => DynamicMessage::decode(input.clone(), body).map_err(|e| {
                ConnectError::from_code(
                    tonic::Code::InvalidArgument,
                    format!("malformed protobuf for {}: {e}", input.full_name()),
                )
            })?,
        };
        Ok(message.encode_to_vec())
    }

    /// Encodes the method's output (protobuf bytes from gRPC) in the request's codec.
    fn encode_output(
        &self,
        method: &MethodDescriptor,
        codec: Codec,
        message: Bytes,
    ) -> Result<Bytes, ConnectError> {
        match codec {
            Codec::Proto => Ok(message),
            Codec::Json => {
                let decoded = DynamicMessage::decode(method.output(), message).map_err(|e| {
                    ConnectError::from_code(
                        tonic::Code::Internal,
                        format!("the service answered an undecodable message: {e}"),
                    )
                })?;
                let mut out = Vec::with_capacity(256);
                let mut serializer = serde_json::Serializer::new(&mut out);
                decoded
                    .serialize_with_options(&mut serializer, &SerializeOptions::new())
                    .map_err(|e| {
                        ConnectError::from_code(
                            tonic::Code::Internal,
                            format!("cannot write the answer as JSON: {e}"),
                        )
                    })?;
                Ok(Bytes::from(out))
            }
        }
    }

    /// Turns a gRPC status into a Connect error, with its details.
    fn status_error(&self, status: &tonic::Status) -> ConnectError {
        let mut error = ConnectError::from_code(status.code(), status.message());
        if status.details().is_empty() {
            return error;
        }
        let Ok(rich) = crate::proto::rpc::Status::decode(status.details()) else {
            return error;
        };
        for any in rich.details {
            let type_name = any
                .type_url
                .rsplit_once('/')
                .map_or(any.type_url.as_str(), |(_, name)| name)
                .to_owned();
            let mut detail = serde_json::Map::new();
            detail.insert(
                "value".into(),
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .encode(&any.value)
                    .into(),
            );
            if let Some(desc) = self.pool.get_message_by_name(&type_name)
                && let Ok(message) = DynamicMessage::decode(desc, any.value.as_slice())
                && let Ok(debug) = serde_json::to_value(&message)
            {
                detail.insert("debug".into(), debug);
            }
            detail.insert("type".into(), type_name.into());
            error.details.push(serde_json::Value::Object(detail));
        }
        error
    }

    /// Serves one Connect call.
    async fn call(&self, method_name: &str, request: Request) -> Result<Response, ConnectError> {
        let (method, codec, timeout) = self.preflight(method_name, &request)?;
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, self.max_body_bytes)
            .await
            .map_err(|e| {
                if is_length_limit(&e) {
                    self.too_large()
                } else {
                    ConnectError::from_code(
                        tonic::Code::InvalidArgument,
                        "the request body could not be read",
                    )
                }
            })?;
        let message = self.decode_input(&method, codec, &body)?;

        let mut framed = BytesMut::with_capacity(5 + message.len());
        framed.put_u8(0);
        framed.put_u32(u32::try_from(message.len()).map_err(|_| self.too_large())?);
        framed.put_slice(&message);

        let mut grpc_request = http::Request::new(Body::from(framed.freeze()));
        *grpc_request.method_mut() = Method::POST;
        *grpc_request.uri_mut() = parts.uri.clone();
        *grpc_request.version_mut() = Version::HTTP_2;
        let headers = grpc_request.headers_mut();
        for (name, value) in &parts.headers {
            if !is_transport_header(name.as_str()) {
                headers.append(name.clone(), value.clone());
            }
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/grpc"),
        );
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        if let Ok(value) = HeaderValue::from_str(&format!("{}m", timeout.as_millis().max(1))) {
            headers.insert("grpc-timeout", value);
        }

        let exchange = async {
            let response = self
                .grpc
                .clone()
                .oneshot(grpc_request)
                .await
                .map_err(|never| match never {})?;
            let (head, body) = response.into_parts();
            if let Some(status) = tonic::Status::from_header_map(&head.headers)
                && status.code() != tonic::Code::Ok
            {
                return Err(self.status_error(&status));
            }
            let collected = body.collect().await.map_err(|_| {
                ConnectError::from_code(tonic::Code::Internal, "the service's answer was cut short")
            })?;
            let trailers = collected.trailers().cloned().unwrap_or_default();
            let status = tonic::Status::from_header_map(&trailers)
                .or_else(|| tonic::Status::from_header_map(&head.headers))
                .ok_or_else(|| {
                    ConnectError::from_code(
                        tonic::Code::Internal,
                        "the service sent no grpc-status",
                    )
                })?;
            if status.code() != tonic::Code::Ok {
                return Err(self.status_error(&status));
            }
            Ok((head.headers, collected.to_bytes(), trailers))
        };
        let (grpc_headers, data, trailers) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| {
                ConnectError::from_code(
                    tonic::Code::DeadlineExceeded,
                    format!("no answer within {} ms", timeout.as_millis()),
                )
            })??;

        let message = unframe(data)?;
        let body = self.encode_output(&method, codec, message)?;
        let mut response = Response::new(Body::from(body));
        let headers = response.headers_mut();
        copy_metadata(&grpc_headers, headers, None);
        copy_metadata(&trailers, headers, Some("trailer-"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(codec.content_type()),
        );
        response.extensions_mut().insert(RpcCode("ok"));
        Ok(response)
    }
}

/// The one message of a unary gRPC answer: a 5-byte prefix (uncompressed flag, length) and the
/// message.
fn unframe(mut data: Bytes) -> Result<Bytes, ConnectError> {
    let broken = || ConnectError::from_code(tonic::Code::Internal, "malformed gRPC answer frame");
    if data.len() < 5 || data[0] != 0 {
        return Err(broken());
    }
    let length = u32::from_be_bytes([data[1], data[2], data[3], data[4]]) as usize;
    if data.len() != 5 + length {
        return Err(broken());
    }
    Ok(data.split_off(5))
}

/// Copies custom gRPC metadata into the Connect answer, optionally prefixing names.
fn copy_metadata(from: &HeaderMap, to: &mut HeaderMap, prefix: Option<&str>) {
    for (name, value) in from {
        let n = name.as_str();
        if n.starts_with("grpc-")
            || matches!(
                n,
                "content-type" | "content-length" | "date" | "transfer-encoding" | "te"
            )
        {
            continue;
        }
        let name = match prefix {
            None => name.clone(),
            Some(prefix) => match HeaderName::from_bytes(format!("{prefix}{n}").as_bytes()) {
                Ok(name) => name,
                Err(_) => continue,
            },
        };
        to.append(name, value.clone());
    }
}

fn unsupported_media_type(message: String) -> ConnectError {
    ConnectError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        tonic::Code::InvalidArgument,
        message,
    )
    .with_header(
        HeaderName::from_static("accept-post"),
        "application/json, application/proto",
    )
}

/// The axum handler of `POST /finfocus.v1.CostSourceService/{method}`.
pub(crate) async fn handle(
    State(connect): State<Arc<Connect>>,
    Path(method): Path<String>,
    request: Request,
) -> Response {
    match connect.call(&method, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn every_code_has_a_connect_name_and_status() {
        assert_eq!(code_name(tonic::Code::InvalidArgument), "invalid_argument");
        assert_eq!(
            http_status(tonic::Code::InvalidArgument),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(code_name(tonic::Code::Cancelled), "canceled");
        assert_eq!(http_status(tonic::Code::Cancelled).as_u16(), 499);
        assert_eq!(http_status(tonic::Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            http_status(tonic::Code::FailedPrecondition),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            http_status(tonic::Code::Unimplemented),
            StatusCode::NOT_IMPLEMENTED
        );
        assert_eq!(
            http_status(tonic::Code::DeadlineExceeded),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(
            http_status(tonic::Code::ResourceExhausted),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            http_status(tonic::Code::Unauthenticated),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            http_status(tonic::Code::Unavailable),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn timeouts_are_digits_only() {
        assert_eq!(
            parse_timeout_ms(&HeaderValue::from_static("1500")),
            Some(Duration::from_millis(1500))
        );
        for bad in ["", "-1", "1.5", "12345678901", "10s"] {
            assert_eq!(
                parse_timeout_ms(&HeaderValue::from_str(bad).unwrap()),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn frames_are_checked() {
        let mut ok = vec![0u8, 0, 0, 0, 3];
        ok.extend_from_slice(b"abc");
        assert_eq!(
            unframe(Bytes::from(ok)).unwrap(),
            Bytes::from_static(b"abc")
        );
        assert!(unframe(Bytes::from_static(&[0, 0, 0, 0])).is_err());
        assert!(
            unframe(Bytes::from_static(&[1, 0, 0, 0, 0])).is_err(),
            "compressed"
        );
        assert!(
            unframe(Bytes::from_static(&[0, 0, 0, 0, 9, 1])).is_err(),
            "short"
        );
    }

    #[test]
    fn transport_headers_are_not_forwarded() {
        for name in [
            "content-type",
            "connect-timeout-ms",
            "grpc-timeout",
            "host",
            "origin",
        ] {
            assert!(is_transport_header(name), "{name}");
        }
        for name in ["x-finfocus-trace-id", "authorization", "user-agent"] {
            assert!(!is_transport_header(name), "{name}");
        }
    }

    #[test]
    fn metadata_and_trailers_are_copied_with_prefix() {
        let mut from = HeaderMap::new();
        from.insert("grpc-status", HeaderValue::from_static("0"));
        from.insert("content-type", HeaderValue::from_static("application/grpc"));
        from.insert("x-finfocus-trace-id", HeaderValue::from_static("t1"));
        let mut to = HeaderMap::new();
        copy_metadata(&from, &mut to, Some("trailer-"));
        assert_eq!(to.len(), 1);
        assert_eq!(to["trailer-x-finfocus-trace-id"], "t1");
    }
}
