//! What a request is (which JSON API, which operation) and the error answers AWS gives.
//!
//! ECS and Cloud Map both speak the AWS JSON 1.1 protocol: one `POST /` whose `X-Amz-Target` header
//! names the operation (`AmazonEC2ContainerServiceV20141113.CreateService`,
//! `Route53AutoNaming_v20170314.ListNamespaces`). Errors are a 400 with a JSON body whose `__type`
//! names the exception; the SDKs read the message from `message` (ECS) or `Message` (Cloud Map).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;

/// The `X-Amz-Target` prefix of ECS operations.
pub const ECS_TARGET: &str = "AmazonEC2ContainerServiceV20141113";
/// The `X-Amz-Target` prefix of Cloud Map operations.
pub const CLOUD_MAP_TARGET: &str = "Route53AutoNaming_v20170314";
/// The `X-Amz-Target` prefix of Resource Groups Tagging API operations.
pub const TAGGING_TARGET: &str = "ResourceGroupsTaggingAPI_20170126";

/// The JSON APIs the layer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Amazon ECS.
    Ecs,
    /// AWS Cloud Map (service discovery).
    CloudMap,
    /// The Resource Groups Tagging API.
    Tagging,
}

impl Api {
    /// The `X-Amz-Target` prefix.
    pub fn target(self) -> &'static str {
        match self {
            Self::Ecs => ECS_TARGET,
            Self::CloudMap => CLOUD_MAP_TARGET,
            Self::Tagging => TAGGING_TARGET,
        }
    }

    /// The SigV4 signing name (the emulator routes requests by it).
    pub fn signing_name(self) -> &'static str {
        match self {
            Self::Ecs => "ecs",
            Self::CloudMap => "servicediscovery",
            Self::Tagging => "tagging",
        }
    }

    /// The exception AWS answers for a parameter it rejects.
    pub fn invalid_parameter(self) -> &'static str {
        match self {
            Self::Ecs | Self::Tagging => "InvalidParameterException",
            Self::CloudMap => "InvalidInput",
        }
    }
}

/// One ECS or Cloud Map call, read from the `X-Amz-Target` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The API.
    pub api: Api,
    /// The operation (`CreateService`).
    pub operation: String,
}

impl Call {
    /// The call a request makes, or `None` for anything else (EC2 query calls, the emulator's own API).
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let target = headers.get("x-amz-target")?.to_str().ok()?;
        let (prefix, operation) = target.split_once('.')?;
        let api = [Api::Ecs, Api::CloudMap, Api::Tagging]
            .into_iter()
            .find(|api| api.target() == prefix)?;
        Some(Self {
            api,
            operation: operation.to_owned(),
        })
    }
}

/// An error answer the way AWS gives it: status, exception name and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The API that answers (decides the message field's spelling).
    pub api: Api,
    /// The exception name (`InvalidParameterException`, `ClientException`, `InvalidInput`).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl AwsError {
    /// The API's "invalid parameter" exception with `message`.
    pub fn invalid(api: Api, message: impl Into<String>) -> Self {
        Self {
            api,
            code: api.invalid_parameter(),
            message: message.into(),
        }
    }

    /// The exception `code` of `api` with `message`.
    pub fn new(api: Api, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            api,
            code,
            message: message.into(),
        }
    }

    /// ECS `ClientException` (what `RegisterTaskDefinition` answers for a bad definition).
    pub fn client(message: impl Into<String>) -> Self {
        Self {
            api: Api::Ecs,
            code: "ClientException",
            message: message.into(),
        }
    }

    /// The HTTP answer: 400, JSON body, and the `x-amzn-errortype` header the SDKs also read.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, Bytes) {
        let message_field = match self.api {
            Api::Ecs => "message",
            Api::Tagging => "Message",
            Api::CloudMap => "Message",
        };
        let body = json!({"__type": self.code, message_field: self.message}).to_string();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        (StatusCode::BAD_REQUEST, headers, Bytes::from(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_target_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("Route53AutoNaming_v20170314.ListNamespaces"),
        );
        assert_eq!(
            Call::from_headers(&headers),
            Some(Call {
                api: Api::CloudMap,
                operation: "ListNamespaces".into()
            })
        );
        headers.insert("x-amz-target", HeaderValue::from_static("Other.Op"));
        assert_eq!(Call::from_headers(&headers), None);
        assert_eq!(Call::from_headers(&HeaderMap::new()), None);
    }

    #[test]
    fn error_answers_name_the_exception() {
        let (status, headers, body) = AwsError::invalid(Api::Ecs, "bad").into_parts();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers["x-amzn-errortype"], "InvalidParameterException");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(body["__type"], "InvalidParameterException");
        assert_eq!(body["message"], "bad");
        let (_, _, body) = AwsError::invalid(Api::CloudMap, "bad").into_parts();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(body["Message"], "bad");
        assert_eq!(body["__type"], "InvalidInput");
    }
}
