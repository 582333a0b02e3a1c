//! The rules: small pure functions over the JSON of requests and answers, one per documented AWS
//! behaviour that the emulator does not reproduce. Each names its public source next to it.
//!
//! Kinds of rule:
//! - *request rewrites* change what reaches the emulator the way AWS changes what it stores
//!   (empty environment values dropped, `FailureThreshold` stored as 1);
//! - *checks* answer the AWS error where AWS rejects a request the emulator accepts;
//! - *answer rewrites* fill what AWS answers and the emulator leaves out (the service-linked role,
//!   defaults of new fields, `"SOA": {}` in namespace summaries);
//! - *pages* split list answers the way AWS pages them;
//! - *idempotency* answers a create repeated with the same token as AWS does (see
//!   [`idempotency`]; the layer remembers the tokens);
//! - *rollouts* play deployments forward where a test scripted it (the emulator never completes
//!   one), and *service deployments* through their lifecycle stages (see [`deployments`]).
//!
//! Rules never need the network: what a rule needs to know besides the request (the cluster's
//! default capacity provider strategy, the Cloud Map service of a registry) is passed in by
//! [`crate::route`], which reads it from the emulator.

pub mod cloudmap;
pub mod delivery;
pub mod deployments;
pub mod idempotency;
pub mod page;
pub mod rollout;
pub mod service;
pub mod sts;
pub mod tagging;
pub mod task_definition;

use serde_json::{Map, Value};

/// The object inside `value`, if it is one.
fn object(value: &mut Value) -> Option<&mut Map<String, Value>> {
    value.as_object_mut()
}

/// Partition and account of an ARN (`arn:aws:ecs:us-east-1:123456789012:service/...`).
fn arn_account(arn: Option<&Value>) -> Option<(String, String)> {
    let mut parts = arn?.as_str()?.split(':');
    let (Some("arn"), Some(partition), Some(_service), Some(_region), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    (!partition.is_empty() && !account.is_empty())
        .then(|| (partition.to_owned(), account.to_owned()))
}

/// Whether `value` is absent, null, or an empty array.
fn is_unset(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

/// Sets `key` to `default` unless it holds a value.
fn default_field(object: &mut Map<String, Value>, key: &str, default: Value) {
    if object.get(key).is_none_or(Value::is_null) {
        object.insert(key.to_owned(), default);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arn_account_reads_partition_and_account() {
        let arn = json!("arn:aws-cn:ecs:cn-north-1:123456789012:service/c/s");
        assert_eq!(
            arn_account(Some(&arn)),
            Some(("aws-cn".into(), "123456789012".into()))
        );
        assert_eq!(arn_account(Some(&json!("not-an-arn"))), None);
        assert_eq!(arn_account(Some(&json!("arn:aws:iam::"))), None);
        assert_eq!(arn_account(None), None);
    }

    #[test]
    fn unset_means_absent_null_or_empty() {
        assert!(is_unset(None));
        assert!(is_unset(Some(&Value::Null)));
        assert!(is_unset(Some(&json!([]))));
        assert!(!is_unset(Some(&json!([1]))));
        assert!(!is_unset(Some(&json!("EC2"))));
    }
}
