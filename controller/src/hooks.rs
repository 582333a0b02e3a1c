//! Push webhooks: `POST /hooks/git` on `run --listen` makes a git source fetch at once instead of
//! at its next `--interval`. Pure: [`judge`] decides from a request's headers and body what it
//! asks for; [`crate::http`] answers it and wakes the source.
//!
//! - **GitHub** signs the body: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with
//!   the webhook's secret; the event is `X-GitHub-Event` (`push`, `ping`).
//! - **GitLab** sends the secret itself: `X-Gitlab-Token`; the event is `X-Gitlab-Event`
//!   (`Push Hook`).
//!
//! Both are compared in constant time. A push to another ref is accepted and ignored; a push
//! names its ref in the body's `ref` (`refs/heads/main`), and the repository's default branch in
//! `repository.default_branch` (GitHub) or `project.default_branch` (GitLab), which is what the
//! source's `HEAD` follows.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The largest webhook body accepted (GitHub caps its payloads at 25 MB; a push of manifests is
/// far smaller, and a larger body is refused with 413 before it is read).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What a webhook request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A signed push to the followed ref: fetch now.
    Fetch {
        /// The pushed ref (`refs/heads/main`).
        reference: String,
        /// The commit the push leads to, when the payload says.
        after: Option<String>,
    },
    /// A signed request that asks for nothing (a push to another ref, another event), and why.
    Ignore(String),
    /// GitHub's `ping`, sent when the webhook is created.
    Ping,
    /// No signature, or a wrong one: nothing happens.
    Unauthorized,
}

/// Judges a webhook request: `header` looks a request header up (case-insensitively), `body` is
/// the raw body, `secret` the shared secret and `followed` the ref the git source follows
/// (`HEAD`, `main`, `refs/heads/main`, ...).
#[must_use]
pub fn judge<'a>(
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
    secret: &[u8],
    followed: &str,
) -> Verdict {
    let (event, default_branch_at) = if let Some(signature) = header("x-hub-signature-256") {
        if !github_signed(signature, body, secret) {
            return Verdict::Unauthorized;
        }
        (
            header("x-github-event").unwrap_or_default(),
            "/repository/default_branch",
        )
    } else if let Some(token) = header("x-gitlab-token") {
        if !bool::from(token.as_bytes().ct_eq(secret)) || secret.is_empty() {
            return Verdict::Unauthorized;
        }
        (
            header("x-gitlab-event").unwrap_or_default(),
            "/project/default_branch",
        )
    } else {
        return Verdict::Unauthorized;
    };
    match event {
        "ping" => return Verdict::Ping,
        "push" | "Push Hook" => {}
        other => return Verdict::Ignore(format!("event `{other}` is not a push")),
    }
    let Ok(payload) = serde_json::from_slice::<Value>(body) else {
        return Verdict::Ignore("the push payload is not JSON".into());
    };
    let Some(reference) = payload.get("ref").and_then(Value::as_str) else {
        return Verdict::Ignore("the push names no ref".into());
    };
    let default_branch = payload.pointer(default_branch_at).and_then(Value::as_str);
    if !follows(followed, reference, default_branch) {
        return Verdict::Ignore(format!(
            "a push to {reference}, not the followed {followed}"
        ));
    }
    Verdict::Fetch {
        reference: reference.to_owned(),
        after: payload
            .get("after")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

/// Whether `signature` (`sha256=<hex>`) is the HMAC-SHA256 of `body` with `secret`.
fn github_signed(signature: &str, body: &[u8], secret: &[u8]) -> bool {
    let Some(hex) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Some(expected) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    !secret.is_empty() && mac.verify_slice(&expected).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether a push to `reference` moves what the source follows: `followed` as a full ref, a
/// branch name, or `HEAD` (the repository's default branch, when the payload names it).
fn follows(followed: &str, reference: &str, default_branch: Option<&str>) -> bool {
    let branch = reference.strip_prefix("refs/heads/");
    match followed {
        "HEAD" => match default_branch {
            Some(default) => branch == Some(default),
            // A payload without its default branch: fetching costs one `git fetch`.
            None => branch.is_some(),
        },
        full if full.starts_with("refs/") => reference == full,
        name => branch == Some(name) || reference == format!("refs/tags/{name}"),
    }
}

/// The secret of an `Authorization` header: a bearer token, or the password of basic
/// credentials (any user name), as a browser sends it for a page behind basic auth.
#[must_use]
pub fn credential(authorization: &str) -> Option<String> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_owned())
}

/// The `X-Hub-Signature-256` value GitHub would send for `body` (for tests and tools).
#[must_use]
pub fn github_signature(body: &[u8], secret: &[u8]) -> String {
    // HMAC takes keys of any length, so this never returns early.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const SECRET: &[u8] = b"s3cret";

    fn judged(headers: &[(&str, &str)], body: &str, followed: &str) -> Verdict {
        let map: BTreeMap<String, &str> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), *v))
            .collect();
        judge(
            |name| map.get(name).copied(),
            body.as_bytes(),
            SECRET,
            followed,
        )
    }

    fn push(reference: &str) -> String {
        format!(
            r#"{{"ref":"{reference}","after":"abc123","repository":{{"default_branch":"main"}}}}"#
        )
    }

    #[test]
    fn a_signed_github_push_to_the_followed_ref_fetches() {
        let body = push("refs/heads/main");
        let signature = github_signature(body.as_bytes(), SECRET);
        let headers = [
            ("X-Hub-Signature-256", signature.as_str()),
            ("X-GitHub-Event", "push"),
        ];
        let fetch = Verdict::Fetch {
            reference: "refs/heads/main".into(),
            after: Some("abc123".into()),
        };
        for followed in ["HEAD", "main", "refs/heads/main"] {
            assert_eq!(judged(&headers, &body, followed), fetch, "{followed}");
        }
        assert!(matches!(
            judged(&headers, &body, "release"),
            Verdict::Ignore(_)
        ));
        let ping = [
            ("X-Hub-Signature-256", signature.as_str()),
            ("X-GitHub-Event", "ping"),
        ];
        assert_eq!(judged(&ping, &body, "HEAD"), Verdict::Ping);
    }

    #[test]
    fn a_missing_or_wrong_signature_is_refused() {
        let body = push("refs/heads/main");
        let other = github_signature(body.as_bytes(), b"other");
        let tampered = github_signature(b"{}", SECRET);
        for headers in [
            vec![("X-GitHub-Event", "push")],
            vec![
                ("X-Hub-Signature-256", other.as_str()),
                ("X-GitHub-Event", "push"),
            ],
            vec![
                ("X-Hub-Signature-256", tampered.as_str()),
                ("X-GitHub-Event", "push"),
            ],
            vec![
                ("X-Hub-Signature-256", "sha256=zz"),
                ("X-GitHub-Event", "push"),
            ],
            vec![
                ("X-Hub-Signature-256", "sha1=00"),
                ("X-GitHub-Event", "push"),
            ],
            vec![("X-Gitlab-Token", "wrong"), ("X-Gitlab-Event", "Push Hook")],
        ] {
            assert_eq!(
                judged(&headers, &body, "HEAD"),
                Verdict::Unauthorized,
                "{headers:?}"
            );
        }
        // An empty secret signs nothing.
        let unsigned = github_signature(body.as_bytes(), b"");
        let map = BTreeMap::from([("x-hub-signature-256", unsigned.as_str())]);
        assert_eq!(
            judge(|n| map.get(n).copied(), body.as_bytes(), b"", "HEAD"),
            Verdict::Unauthorized
        );
    }

    #[test]
    fn a_gitlab_push_carries_the_token() {
        let body = r#"{"ref":"refs/heads/main","after":"def","project":{"default_branch":"main"}}"#;
        let headers = [
            ("X-Gitlab-Token", "s3cret"),
            ("X-Gitlab-Event", "Push Hook"),
        ];
        assert_eq!(
            judged(&headers, body, "HEAD"),
            Verdict::Fetch {
                reference: "refs/heads/main".into(),
                after: Some("def".into())
            }
        );
        let tag = [
            ("X-Gitlab-Token", "s3cret"),
            ("X-Gitlab-Event", "Tag Push Hook"),
        ];
        assert!(matches!(judged(&tag, body, "HEAD"), Verdict::Ignore(_)));
    }
}
