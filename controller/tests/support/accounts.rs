//! Accounts in the emulator: roles the controller assumes, calls made in another account, and
//! manifests that put objects in a place (`spec.account`, `spec.region`).

use serde_json::{Value, json};

use super::{Emulator, http};

pub const STAGING: &str = "111111111111";
pub const PRODUCTION: &str = "222222222222";
pub const GHOST: &str = "333333333333";
pub const OWN: &str = "123456789012";

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn authorization(key: &str, region: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={key}/20240101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}

pub fn element(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..end].to_owned())
}

/// An access key that acts in `account`: moto hands one out for any role ARN there (straight to
/// the emulator, which does not ask whether the role exists).
pub fn key_in(emu: &Emulator, account: &str) -> String {
    if account == OWN {
        return "testing".into();
    }
    let body = form(&[
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", &format!("arn:aws:iam::{account}:role/bootstrap")),
        ("RoleSessionName", "setup"),
    ]);
    let xml = query(emu, "testing", "sts", &body);
    element(&xml, "AccessKeyId").expect("AccessKeyId")
}

/// A query-protocol call (`Action=...`) of `service` straight to the emulator, as the holder of
/// `key`; panics unless it answers 200, else returns the XML answer.
fn query(emu: &Emulator, key: &str, service: &str, body: &str) -> String {
    let auth = authorization(key, "us-east-1", service);
    let (status, xml) = http(
        emu.raw_endpoint(),
        "POST",
        "/",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body,
    )
    .unwrap();
    assert_eq!(status, 200, "{service}: {xml}");
    xml
}

/// Creates the role the controller assumes in `account`, trusting the controller's account,
/// with an external id condition when one is given.
pub fn create_role(emu: &Emulator, account: &str, name: &str, external_id: Option<&str>) {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{OWN}:root")},
        "Action": "sts:AssumeRole",
    });
    if let Some(id) = external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    let policy = json!({"Version": "2012-10-17", "Statement": [statement]}).to_string();
    let body = form(&[
        ("Action", "CreateRole"),
        ("Version", "2010-05-08"),
        ("RoleName", name),
        ("AssumeRolePolicyDocument", &policy),
    ]);
    query(emu, &key_in(emu, account), "iam", &body);
}

/// An ECS call in `account` and `region`, through the fidelity layer.
pub fn ecs_in(emu: &Emulator, account: &str, region: &str, operation: &str, body: &Value) -> Value {
    let auth = authorization(&key_in(emu, account), region, "ecs");
    let target = format!("AmazonEC2ContainerServiceV20141113.{operation}");
    let (status, text) = http(
        emu.endpoint(),
        "POST",
        "/",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", &target),
        ],
        &body.to_string(),
    )
    .unwrap();
    assert_eq!(status, 200, "{operation}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The service `name` of `cluster` in `account`/`region`: its status and desired count, or
/// `None` when it is not there.
pub fn service_in(
    emu: &Emulator,
    account: &str,
    region: &str,
    cluster: &str,
    name: &str,
) -> Option<(String, i64)> {
    let clusters = ecs_in(
        emu,
        account,
        region,
        "DescribeClusters",
        &json!({"clusters": [cluster]}),
    );
    if clusters["clusters"].as_array().is_none_or(Vec::is_empty) {
        return None;
    }
    let answer = ecs_in(
        emu,
        account,
        region,
        "DescribeServices",
        &json!({"cluster": cluster, "services": [name]}),
    );
    let service = answer["services"].as_array()?.first()?.clone();
    Some((
        service["status"].as_str()?.to_owned(),
        service["desiredCount"].as_i64()?,
    ))
}

pub fn account(name: &str, id: &str, role: &str, external_id: Option<&str>) -> String {
    let external = external_id.map_or(String::new(), |e| format!("\n  externalId: {e}"));
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: AwsAccount\nmetadata:\n  name: {name}\nspec:\n  roleArn: arn:aws:iam::{id}:role/{role}{external}\n"
    )
}

/// Where a manifest puts its object: `spec.account` and `spec.region` lines (or none).
pub fn place(account: Option<&str>, region: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(a) = account {
        out.push_str(&format!("  account: {a}\n"));
    }
    if let Some(r) = region {
        out.push_str(&format!("  region: {r}\n"));
    }
    out
}

pub fn cluster(name: &str, at: &str) -> String {
    let spec = if at.is_empty() {
        " {}\n".to_owned()
    } else {
        format!("\n{at}")
    };
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: {name}\nspec:{spec}"
    )
}

/// An EC2-launched bridge-mode service (no subnets, which each account's VPC would need).
pub fn service(name: &str, cluster: &str, desired: u32, at: &str) -> String {
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: {name}
spec:
{at}  cluster: {cluster}
  taskDefinition:
    family: {name}
    networkMode: bridge
    requiresCompatibilities: [EC2]
    containerDefinitions:
      - name: app
        image: ghcr.io/finfocus/finfocus-plugin-aws-public:v0.1.0
        memory: 256
        portMappings: [{{containerPort: 8001}}]
  service:
    desiredCount: {desired}
    launchType: EC2
"
    )
}
