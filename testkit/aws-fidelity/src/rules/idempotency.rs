//! Idempotency tokens of creates, which the emulator ignores: AWS answers a create sent again
//! with the same token and the same parameters with what the first one created, and refuses the
//! same token with other parameters. The emulator instead runs every request again (a second
//! namespace refused as `ConflictingDomainExists`, an ECS service silently replaced).
//!
//! The pure part lives here (which field holds the token, whether two requests are the same,
//! the refusal); [`crate::idempotency`] remembers the first request and answer of each token.
//!
//! Sources:
//! - ECS: "Ensuring idempotency" (docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html):
//!   `CreateService` takes a `clientToken`; a retry of a successful request with the same token and
//!   the same parameters succeeds without further action. A second create of a name that exists
//!   is refused with `InvalidParameterException` "Creation of service was not idempotent."
//!   (hashicorp/terraform-provider-aws#2283 and #14489 quote the answer).
//! - Cloud Map: API reference, `CreatePrivateDnsNamespace` / `CreateHttpNamespace` /
//!   `CreateService`, `CreatorRequestId`: lets a failed request be retried without running the
//!   operation twice; the errors `NamespaceAlreadyExists` and `ServiceAlreadyExists` carry the
//!   `CreatorRequestId` of the existing resource and its `NamespaceId` / `ServiceId`.

use serde_json::{Map, Value, json};

use super::object;
use crate::call::{Api, AwsError, Call};

/// The token a create carries, if the operation takes one and the request sets it.
pub fn token(call: &Call, request: &Value) -> Option<String> {
    let field = match (call.api, call.operation.as_str()) {
        (Api::Ecs, "CreateService") => "clientToken",
        (
            Api::CloudMap,
            "CreatePrivateDnsNamespace"
            | "CreatePublicDnsNamespace"
            | "CreateHttpNamespace"
            | "CreateService",
        ) => "CreatorRequestId",
        _ => return None,
    };
    request
        .get(field)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Whether `again` repeats `first` (same parameters, same token).
pub fn same_request(first: &Value, again: &Value) -> bool {
    first == again
}

/// ECS refuses a `CreateService` for a name whose service is `ACTIVE` or `DRAINING` (one that
/// is `INACTIVE`, deleted, may be created again); `existing` is that service as
/// `DescribeServices` answers it.
pub fn check_ecs_name_free(existing: Option<&Value>) -> Result<(), AwsError> {
    let status = existing
        .and_then(|s| s.get("status"))
        .and_then(Value::as_str);
    match status {
        Some("ACTIVE" | "DRAINING") => Err(not_idempotent()),
        _ => Ok(()),
    }
}

fn not_idempotent() -> AwsError {
    AwsError::invalid(Api::Ecs, "Creation of service was not idempotent.")
}

/// The refusal of a token sent again with other parameters, and the fields the error carries
/// (`first_answer` is what the first request was answered).
pub fn mismatch(call: &Call, token: &str, first_answer: &Value) -> (AwsError, Map<String, Value>) {
    let mut fields = Map::new();
    match (call.api, call.operation.as_str()) {
        (Api::CloudMap, "CreateService") => {
            fields.insert("CreatorRequestId".into(), json!(token));
            if let Some(id) = first_answer.pointer("/Service/Id") {
                fields.insert("ServiceId".into(), id.clone());
            }
            let error = AwsError::new(
                Api::CloudMap,
                "ServiceAlreadyExists",
                "the CreatorRequestId was used to create a service with other parameters",
            );
            (error, fields)
        }
        (Api::CloudMap, _) => {
            fields.insert("CreatorRequestId".into(), json!(token));
            let error = AwsError::new(
                Api::CloudMap,
                "NamespaceAlreadyExists",
                "the CreatorRequestId was used to create a namespace with other parameters",
            );
            (error, fields)
        }
        // Only creates carry tokens; the tagging API has none.
        (Api::Ecs | Api::Tagging, _) => (not_idempotent(), fields),
    }
}

/// The body of an error answer with the extra `fields` the exception carries.
pub fn error_body(error_body: &[u8], fields: Map<String, Value>) -> Option<Vec<u8>> {
    let mut body: Value = serde_json::from_slice(error_body).ok()?;
    object(&mut body)?.extend(fields);
    serde_json::to_vec(&body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(api: Api, operation: &str) -> Call {
        Call {
            api,
            operation: operation.into(),
        }
    }

    #[test]
    fn tokens_are_read_from_each_create() {
        let ecs = call(Api::Ecs, "CreateService");
        assert_eq!(
            token(&ecs, &json!({"clientToken": "t1"})).as_deref(),
            Some("t1")
        );
        assert_eq!(token(&ecs, &json!({"clientToken": ""})), None);
        assert_eq!(token(&ecs, &json!({})), None);
        let ns = call(Api::CloudMap, "CreatePrivateDnsNamespace");
        assert_eq!(
            token(&ns, &json!({"CreatorRequestId": "t2"})).as_deref(),
            Some("t2")
        );
        let update = call(Api::Ecs, "UpdateService");
        assert_eq!(token(&update, &json!({"clientToken": "t3"})), None);
    }

    #[test]
    fn a_repeat_is_the_same_request() {
        let first = json!({"serviceName": "api", "clientToken": "t", "desiredCount": 1});
        assert!(same_request(&first, &first.clone()));
        let other = json!({"serviceName": "api", "clientToken": "t", "desiredCount": 2});
        assert!(!same_request(&first, &other));
    }

    #[test]
    fn an_ecs_name_is_free_only_when_absent_or_inactive() {
        assert_eq!(check_ecs_name_free(None), Ok(()));
        assert_eq!(
            check_ecs_name_free(Some(&json!({"status": "INACTIVE"}))),
            Ok(())
        );
        for status in ["ACTIVE", "DRAINING"] {
            let err = check_ecs_name_free(Some(&json!({"status": status}))).err();
            assert_eq!(err.map(|e| e.code), Some("InvalidParameterException"));
        }
    }

    #[test]
    fn a_token_with_other_parameters_is_refused_with_the_documented_error() {
        let (error, fields) = mismatch(
            &call(Api::CloudMap, "CreateService"),
            "t",
            &json!({"Service": {"Id": "srv-1"}}),
        );
        assert_eq!(error.code, "ServiceAlreadyExists");
        assert_eq!(fields["ServiceId"], "srv-1");
        assert_eq!(fields["CreatorRequestId"], "t");
        let (error, _) = mismatch(&call(Api::CloudMap, "CreateHttpNamespace"), "t", &json!({}));
        assert_eq!(error.code, "NamespaceAlreadyExists");
        let (error, fields) = mismatch(&call(Api::Ecs, "CreateService"), "t", &json!({}));
        assert_eq!(error.code, "InvalidParameterException");
        assert!(fields.is_empty());
    }

    #[test]
    fn error_bodies_carry_the_extra_fields() {
        let (_, _, body) = AwsError::new(Api::CloudMap, "ServiceAlreadyExists", "m").into_parts();
        let mut fields = Map::new();
        fields.insert("ServiceId".into(), json!("srv-1"));
        let body = error_body(&body, fields).unwrap_or_default();
        let body: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(body["__type"], "ServiceAlreadyExists");
        assert_eq!(body["ServiceId"], "srv-1");
    }
}
