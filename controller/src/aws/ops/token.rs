//! Idempotency tokens (`clientToken` of ECS `CreateService`, `CreatorRequestId` of Cloud Map
//! creates) derived from the desired state, so that a create whose answer was lost, or whose
//! process was killed before the answer arrived, is recognised by AWS when it is sent again,
//! by the SDK's own retry or by the next `apply`.
//!
//! A token is a hash of what is created: the kind, the region, the identity (cluster and name,
//! namespace and name), a fingerprint of the request (settings, task definition ARN, registry,
//! tags), the UTC day, and an attempt number. It is 32 lowercase hex characters: within ECS's
//! limit of 36 ASCII characters in 33-126 and Cloud Map's maximum length of 64 (API references
//! of ECS `CreateService` `clientToken` and Cloud Map `CreatePrivateDnsNamespace` /
//! `CreateService` `CreatorRequestId`; docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html).
//!
//! Recreation after a deliberate delete: AWS answers a retried token with the object the first
//! request created, even after it was deleted (ECS keeps a deleted service as `INACTIVE` for a
//! while). The day in the hash bounds how long a token is reused; within a day, the callers
//! check that the answer is a live object and otherwise create again with the next attempt
//! number, which yields a fresh token. A process restarted on another day gets a new token;
//! the create then meets the object of the first attempt as "already exists", which the
//! callers answer by observing again.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// How many hex characters a token has.
const LEN: usize = 32;

/// What a token is for (part of the hash, so equal identities of different kinds differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Cloud Map private DNS namespace.
    Namespace,
    /// Cloud Map service.
    DiscoveryService,
    /// ECS service.
    EcsService,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Namespace => "namespace",
            Self::DiscoveryService => "cloudmap-service",
            Self::EcsService => "ecs-service",
        }
    }
}

/// The UTC day number of now (days since 1970-01-01).
pub(crate) fn today() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400)
}

/// The token of one create: equal inputs give equal tokens, any difference a different one.
pub(crate) fn derive(
    kind: Kind,
    region: &str,
    identity: &[&str],
    fingerprint: &serde_json::Value,
    day: u64,
    attempt: u32,
) -> String {
    let mut hash = Sha256::new();
    // Each part is length-prefixed so that no two different part lists hash the same bytes.
    let mut part = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    part(kind.label().as_bytes());
    part(region.as_bytes());
    for id in identity {
        part(id.as_bytes());
    }
    // serde_json writes object keys in a fixed (sorted) order, so the bytes are stable.
    part(fingerprint.to_string().as_bytes());
    part(&day.to_le_bytes());
    part(&attempt.to_le_bytes());
    let digest = hash.finalize();
    let mut out = String::with_capacity(LEN);
    for byte in digest.iter().take(LEN / 2) {
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(kind: Kind, name: &str, fingerprint: &serde_json::Value, day: u64, n: u32) -> String {
        derive(kind, "us-east-1", &["cluster", name], fingerprint, day, n)
    }

    #[test]
    fn equal_desired_state_gives_the_same_token() {
        let f = json!({"desiredCount": 2, "taskDefinition": "arn:td:1"});
        let a = token(Kind::EcsService, "api", &f, 20_000, 0);
        assert_eq!(a, token(Kind::EcsService, "api", &f.clone(), 20_000, 0));
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_hexdigit() && (33..=126).contains(&b))
        );
    }

    #[test]
    fn any_difference_gives_another_token() {
        let f = json!({"desiredCount": 2, "taskDefinition": "arn:td:1"});
        let base = token(Kind::EcsService, "api", &f, 20_000, 0);
        let others = [
            token(Kind::DiscoveryService, "api", &f, 20_000, 0),
            token(Kind::EcsService, "web", &f, 20_000, 0),
            token(
                Kind::EcsService,
                "api",
                &json!({"desiredCount": 2, "taskDefinition": "arn:td:2"}),
                20_000,
                0,
            ),
            token(Kind::EcsService, "api", &f, 20_001, 0),
            token(Kind::EcsService, "api", &f, 20_000, 1),
            derive(
                Kind::EcsService,
                "eu-west-1",
                &["cluster", "api"],
                &f,
                20_000,
                0,
            ),
        ];
        for other in others {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn identity_parts_do_not_run_together() {
        let f = json!({});
        assert_ne!(
            derive(Kind::EcsService, "r", &["ab", "c"], &f, 1, 0),
            derive(Kind::EcsService, "r", &["a", "bc"], &f, 1, 0)
        );
    }
}
