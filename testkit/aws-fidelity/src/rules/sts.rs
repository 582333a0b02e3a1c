//! STS `AssumeRole`, which the emulator grants for any role ARN, even one that does not exist
//! (moto's `assume_role` says so). AWS grants it only when the role exists and its trust policy
//! lets the caller in; a role that asks for an external id (`sts:ExternalId` condition) refuses
//! a request without that id. Both refusals are `AccessDenied` ("User: ... is not authorized to
//! perform: sts:AssumeRole on resource: ..."):
//! - <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html> (errors; the
//!   role's trust policy decides);
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html>
//!   (the `sts:ExternalId` condition).
//!
//! The emulator speaks the query protocol for STS and IAM: form-encoded requests, XML answers.

use serde_json::Value;

/// What an `AssumeRole` request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// `RoleArn`.
    pub role_arn: String,
    /// `ExternalId`, when sent.
    pub external_id: Option<String>,
}

impl AssumeRole {
    /// The role's name (the last part of its ARN, after any path).
    pub fn role_name(&self) -> &str {
        self.role_arn.rsplit('/').next().unwrap_or_default()
    }
}

/// The `AssumeRole` request a form body holds, if it is one.
pub fn assume_role(body: &[u8]) -> Option<AssumeRole> {
    let mut action = None;
    let mut role_arn = None;
    let mut external_id = None;
    for (key, value) in form_urlencoded::parse(body) {
        match key.as_ref() {
            "Action" => action = Some(value.into_owned()),
            "RoleArn" => role_arn = Some(value.into_owned()),
            "ExternalId" => external_id = Some(value.into_owned()),
            _ => {}
        }
    }
    (action.as_deref() == Some("AssumeRole")).then_some(AssumeRole {
        role_arn: role_arn?,
        external_id,
    })
}

/// The text of the first `<tag>` element of an XML answer, unescaped.
pub fn element(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(
        xml[start..end]
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Whether a trust policy lets a request with `external_id` in: when any statement requires
/// `sts:ExternalId`, the request must send one of the values it names. The document may come
/// URL-encoded, as IAM returns it.
pub fn admits(policy: &str, external_id: Option<&str>) -> Result<(), String> {
    let decoded = percent_encoding::percent_decode_str(policy).decode_utf8_lossy();
    let document: Value = serde_json::from_str(policy)
        .or_else(|_| serde_json::from_str(&decoded))
        .map_err(|e| format!("the role's trust policy is not JSON: {e}"))?;
    let statements = match &document["Statement"] {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let required: Vec<String> = statements
        .iter()
        .filter_map(|s| {
            s.get("Condition")?
                .get("StringEquals")?
                .get("sts:ExternalId")
        })
        .flat_map(|v| match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    if required.is_empty() || external_id.is_some_and(|id| required.iter().any(|r| r == id)) {
        Ok(())
    } else {
        Err("the trust policy requires an external id the request does not send".into())
    }
}

/// The XML error AWS answers for a refused `AssumeRole` (HTTP 403).
pub fn access_denied(role_arn: &str, why: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on \
         resource: {role_arn} ({why})</Message></Error><RequestId>fidelity-layer</RequestId></ErrorResponse>"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn reads_the_request_and_the_trust_policy() {
        let body = b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fops%2Fdeploy&RoleSessionName=s&ExternalId=abc";
        let ask = assume_role(body).unwrap();
        assert_eq!(ask.role_arn, "arn:aws:iam::111111111111:role/ops/deploy");
        assert_eq!(ask.role_name(), "deploy");
        assert_eq!(ask.external_id.as_deref(), Some("abc"));
        assert_eq!(assume_role(b"Action=GetCallerIdentity"), None);

        let open = r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
        assert!(admits(open, None).is_ok());
        let guarded = r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}"#;
        assert!(admits(guarded, Some("abc")).is_ok());
        assert!(admits(guarded, Some("xyz")).is_err());
        assert!(admits(guarded, None).is_err());
        let encoded: String =
            percent_encoding::utf8_percent_encode(guarded, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert!(admits(&encoded, None).is_err());
        assert_eq!(
            element("<a><B>x &amp; &quot;y&quot;</B></a>", "B").as_deref(),
            Some("x & \"y\"")
        );
    }
}
