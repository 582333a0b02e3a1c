//! IAM reads of `verify`: a role, its trust policy and its attached and inline policies.

use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::{MAX_PAGES, classify};
use crate::Result;
use crate::aws::Context;
use crate::verify::facts::{Fact, Policy, Role};
use crate::verify::policy::EXECUTION_ROLE_POLICY;
use crate::verify::refs::role_name;

/// Reads a policy document as IAM returns it (URL-encoded JSON).
fn document(raw: &str) -> Fact<Value> {
    let decoded = percent_decode_str(raw).decode_utf8_lossy();
    serde_json::from_str(raw)
        .or_else(|_| serde_json::from_str(&decoded))
        .map_or_else(
            |e| Fact::Unknown(format!("policy document is not JSON: {e}")),
            Fact::Found,
        )
}

pub(super) async fn role(
    ctx: &Context,
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<Fact<Role>> {
    let name = role_name(arn);
    let got = ctx
        .call("iam", "GetRole", arn, iam.get_role().role_name(name).send())
        .await;
    let out = match classify(got, |c| c == "NoSuchEntity")? {
        Fact::Found(out) => out,
        Fact::Missing => return Ok(Fact::Missing),
        Fact::Unknown(e) => return Ok(Fact::Unknown(e)),
    };
    let Some(r) = out.role() else {
        return Ok(Fact::Unknown("GetRole answered without a role".into()));
    };
    let mut role = Role {
        trust: r
            .assume_role_policy_document()
            .and_then(|d| document(d).found().cloned()),
        boundary: r
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned),
        ..Role::default()
    };
    // Attached managed policies.
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let listed = ctx
            .call(
                "iam",
                "ListAttachedRolePolicies",
                arn,
                iam.list_attached_role_policies()
                    .role_name(name)
                    .set_marker(marker.clone())
                    .send(),
            )
            .await;
        let out = match classify(listed, |_| false)? {
            Fact::Found(out) => out,
            _ => {
                role.policies.push(Policy {
                    name: "(attached policies)".into(),
                    document: Fact::Unknown("ListAttachedRolePolicies failed".into()),
                });
                break;
            }
        };
        role.managed.extend(
            out.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned)),
        );
        marker = out.marker().map(str::to_owned);
        if !out.is_truncated() || marker.is_none() {
            break;
        }
    }
    for policy_arn in role.managed.clone() {
        // Its content is known (see `policy`), no need to read it.
        if policy_arn == EXECUTION_ROLE_POLICY {
            continue;
        }
        let document = managed_document(ctx, iam, &policy_arn).await?;
        role.policies.push(Policy {
            name: policy_arn,
            document,
        });
    }
    // Inline policies.
    let listed = ctx
        .call(
            "iam",
            "ListRolePolicies",
            arn,
            iam.list_role_policies().role_name(name).send(),
        )
        .await;
    match classify(listed, |_| false)? {
        Fact::Found(out) => {
            if out.is_truncated() {
                role.policies.push(Policy {
                    name: "(more inline policies)".into(),
                    document: Fact::Unknown("too many inline policies to read".into()),
                });
            }
            for policy in out.policy_names() {
                let got = ctx
                    .call(
                        "iam",
                        "GetRolePolicy",
                        arn,
                        iam.get_role_policy()
                            .role_name(name)
                            .policy_name(policy)
                            .send(),
                    )
                    .await;
                let document = match classify(got, |_| false)? {
                    Fact::Found(out) => document(out.policy_document()),
                    Fact::Missing => Fact::Missing,
                    Fact::Unknown(e) => Fact::Unknown(e),
                };
                role.policies.push(Policy {
                    name: policy.clone(),
                    document,
                });
            }
        }
        _ => role.policies.push(Policy {
            name: "(inline policies)".into(),
            document: Fact::Unknown("ListRolePolicies failed".into()),
        }),
    }
    Ok(Fact::Found(role))
}

async fn managed_document(
    ctx: &Context,
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<Fact<Value>> {
    let got = ctx
        .call(
            "iam",
            "GetPolicy",
            arn,
            iam.get_policy().policy_arn(arn).send(),
        )
        .await;
    let version = match classify(got, |c| c == "NoSuchEntity")? {
        Fact::Found(out) => out
            .policy()
            .and_then(|p| p.default_version_id())
            .map(str::to_owned),
        Fact::Missing => return Ok(Fact::Missing),
        Fact::Unknown(e) => return Ok(Fact::Unknown(e)),
    };
    let Some(version) = version else {
        return Ok(Fact::Unknown(
            "GetPolicy answered without a default version".into(),
        ));
    };
    let got = ctx
        .call(
            "iam",
            "GetPolicyVersion",
            arn,
            iam.get_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send(),
        )
        .await;
    Ok(match classify(got, |c| c == "NoSuchEntity")? {
        Fact::Found(out) => out.policy_version().and_then(|v| v.document()).map_or_else(
            || Fact::Unknown("policy version without a document".into()),
            document,
        ),
        Fact::Missing => Fact::Missing,
        Fact::Unknown(e) => Fact::Unknown(e),
    })
}
