//! A deliberately simple reading of IAM policy documents: effect, actions, resources and
//! wildcards. Whatever it cannot decide — a `Condition`, a permissions boundary, a document
//! it cannot read — comes back as [`Decision::Undecided`], which `verify` reports as "not
//! checked", never as passed. Service control policies are out of its view altogether.

use serde_json::Value;

use super::facts::{Fact, Role};

/// The trust principal ECS tasks assume roles through.
pub const ECS_TASKS: &str = "ecs-tasks.amazonaws.com";

/// The AWS managed policy ECS documents for task execution roles.
pub const EXECUTION_ROLE_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// The actions [`EXECUTION_ROLE_POLICY`] allows on any resource (it has no conditions), so
/// an attached copy is judged without fetching it.
const EXECUTION_ROLE_ACTIONS: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// What the simple reading concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// An unconditional `Allow` matches and no `Deny` does.
    Allowed,
    /// Nothing allows it, or an unconditional `Deny` matches.
    NotAllowed,
    /// The reading cannot tell; the reason says why.
    Undecided(String),
}

/// Whether `role` may perform `action` on `resource`.
#[must_use]
pub fn role_allows(role: &Role, action: &str, resource: &str) -> Decision {
    if let Some(boundary) = &role.boundary {
        return Decision::Undecided(format!(
            "the role has a permissions boundary ({boundary}) that verify does not evaluate"
        ));
    }
    let mut documents = Vec::new();
    let mut unreadable = Vec::new();
    for p in &role.policies {
        match &p.document {
            Fact::Found(doc) => documents.push((p.name.as_str(), doc)),
            _ => unreadable.push(p.name.as_str()),
        }
    }
    let managed_default = role.managed.iter().any(|m| m == EXECUTION_ROLE_POLICY)
        && EXECUTION_ROLE_ACTIONS
            .iter()
            .any(|a| a.eq_ignore_ascii_case(action));
    match decide(&documents, action, resource) {
        Decision::NotAllowed if managed_default => Decision::Allowed,
        Decision::NotAllowed if !unreadable.is_empty() => Decision::Undecided(format!(
            "policies {} could not be read",
            unreadable.join(", ")
        )),
        other => other,
    }
}

/// Judges `action` on `resource` against named policy documents.
#[must_use]
pub fn decide(documents: &[(&str, &Value)], action: &str, resource: &str) -> Decision {
    let mut allowed = false;
    // What the reading could not decide: a conditional Deny can take away what an Allow
    // grants, a conditional Allow may or may not grant it.
    let mut conditional_deny: Option<String> = None;
    let mut conditional_allow: Option<String> = None;
    for (name, doc) in documents {
        let Some(statements) = statements(doc) else {
            conditional_allow
                .get_or_insert_with(|| format!("policy {name} has no readable Statement"));
            continue;
        };
        for st in statements {
            if !matches_statement(st, "Action", "NotAction", action, false)
                || !matches_statement(st, "Resource", "NotResource", resource, true)
            {
                continue;
            }
            let has_condition = st.get("Condition").is_some_and(|c| !is_empty(c));
            match (st.get("Effect").and_then(Value::as_str), has_condition) {
                (Some("Deny"), false) => return Decision::NotAllowed,
                (Some("Deny"), true) => {
                    conditional_deny.get_or_insert_with(|| {
                        format!("a Deny under a Condition in policy {name} may apply")
                    });
                }
                (Some("Allow"), false) => allowed = true,
                (Some("Allow"), true) => {
                    conditional_allow.get_or_insert_with(|| {
                        format!("policy {name} allows it only under a Condition")
                    });
                }
                _ => {}
            }
        }
    }
    match (conditional_deny, conditional_allow) {
        (Some(reason), _) => Decision::Undecided(reason),
        _ if allowed => Decision::Allowed,
        (None, Some(reason)) => Decision::Undecided(reason),
        (None, None) => Decision::NotAllowed,
    }
}

/// Whether a trust policy lets ECS tasks assume the role: `Ok(true)` yes, `Ok(false)` no,
/// `Err(reason)` when only a conditional statement would.
///
/// # Errors
/// The reason the reading cannot decide.
pub fn trusts_ecs_tasks(trust: &Value) -> Result<bool, String> {
    let Some(statements) = statements(trust) else {
        return Err("the trust policy has no readable Statement".into());
    };
    let mut conditional = false;
    for st in statements {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow")
            || !matches_statement(st, "Action", "NotAction", "sts:AssumeRole", false)
        {
            continue;
        }
        let principal_ok = st.get("Principal").is_some_and(|p| {
            p.as_str() == Some("*")
                || p.get("Service")
                    .is_some_and(|s| strings(s).contains(&ECS_TASKS))
        });
        if !principal_ok {
            continue;
        }
        if st.get("Condition").is_some_and(|c| !is_empty(c)) {
            conditional = true;
        } else {
            return Ok(true);
        }
    }
    if conditional {
        Err(format!(
            "{ECS_TASKS} is trusted only under a Condition that verify does not evaluate"
        ))
    } else {
        Ok(false)
    }
}

fn statements(doc: &Value) -> Option<Vec<&Value>> {
    match doc.get("Statement")? {
        Value::Array(list) => Some(list.iter().collect()),
        one @ Value::Object(_) => Some(vec![one]),
        _ => None,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether `value` falls under the statement's `positive` list (or outside its `negative`
/// one). Actions compare case-insensitively, resources case-sensitively.
fn matches_statement(
    st: &Value,
    positive: &str,
    negative: &str,
    value: &str,
    case_sensitive: bool,
) -> bool {
    let hit = |patterns: &Value| {
        strings(patterns)
            .iter()
            .any(|p| wildcard(p, value, case_sensitive))
    };
    if let Some(p) = st.get(positive) {
        hit(p)
    } else if let Some(n) = st.get(negative) {
        !hit(n)
    } else {
        false
    }
}

/// IAM wildcard match: `*` any run of characters, `?` one character.
#[must_use]
pub fn wildcard(pattern: &str, value: &str, case_sensitive: bool) -> bool {
    let norm = |s: &str| {
        if case_sensitive {
            s.chars().collect::<Vec<_>>()
        } else {
            s.to_ascii_lowercase().chars().collect()
        }
    };
    let (p, v) = (norm(pattern), norm(value));
    // Iterative matcher with backtracking to the last `*`: linear in practice, no recursion.
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::verify::facts::Policy;

    #[test]
    fn wildcards_match_like_iam() {
        let cases = [
            ("*", "anything", true, true),
            ("ecr:*", "ecr:BatchGetImage", false, true),
            ("ECR:batch*", "ecr:BatchGetImage", false, true),
            ("logs:Create*", "logs:PutLogEvents", false, false),
            (
                "arn:aws:logs:*:*:log-group:/ecs/*",
                "arn:aws:logs:us-east-1:1:log-group:/ecs/a:*",
                true,
                true,
            ),
            (
                "arn:aws:ssm:*:*:parameter/app/?",
                "arn:aws:ssm:r:1:parameter/app/xy",
                true,
                false,
            ),
            (
                "arn:aws:ssm:*:*:parameter/APP",
                "arn:aws:ssm:r:1:parameter/app",
                true,
                false,
            ),
        ];
        for (pattern, value, cs, want) in cases {
            assert_eq!(wildcard(pattern, value, cs), want, "{pattern} vs {value}");
        }
    }

    #[test]
    fn decisions_follow_effect_conditions_and_resources() {
        let allow = json!({"Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": "arn:aws:ssm:*:*:parameter/app/*"}]});
        let deny = json!({"Statement": {"Effect": "Deny", "Action": "ssm:*", "Resource": "*"}});
        let cond = json!({"Statement": [{"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/app": "x"}}}]});
        let not_action =
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]});
        let arn = "arn:aws:ssm:us-east-1:1:parameter/app/token";
        let other = "arn:aws:ssm:us-east-1:1:parameter/db/token";
        assert_eq!(
            decide(&[("a", &allow)], "ssm:GetParameters", arn),
            Decision::Allowed
        );
        assert_eq!(
            decide(&[("a", &allow)], "ssm:GetParameters", other),
            Decision::NotAllowed
        );
        assert_eq!(
            decide(&[("a", &allow), ("d", &deny)], "ssm:GetParameters", arn),
            Decision::NotAllowed
        );
        assert!(matches!(
            decide(&[("c", &cond)], "ssm:GetParameters", arn),
            Decision::Undecided(r) if r.contains("Condition")
        ));
        let cond_deny = json!({"Statement": [{"Effect": "Deny", "Action": "ssm:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]});
        assert!(matches!(
            decide(&[("a", &allow), ("cd", &cond_deny)], "ssm:GetParameters", arn),
            Decision::Undecided(r) if r.contains("Deny")
        ));
        assert_eq!(
            decide(&[("n", &not_action)], "ssm:GetParameters", arn),
            Decision::Allowed
        );
        assert_eq!(
            decide(&[("n", &not_action)], "iam:PassRole", arn),
            Decision::NotAllowed
        );
        assert!(matches!(
            decide(
                &[("x", &json!({"Version": "2012-10-17"}))],
                "ssm:GetParameters",
                arn
            ),
            Decision::Undecided(_)
        ));
    }

    #[test]
    fn managed_execution_policy_and_boundaries() {
        let mut role = Role {
            managed: vec![EXECUTION_ROLE_POLICY.into()],
            ..Role::default()
        };
        assert_eq!(
            role_allows(&role, "ecr:BatchGetImage", "arn:x"),
            Decision::Allowed
        );
        assert_eq!(
            role_allows(&role, "secretsmanager:GetSecretValue", "arn:x"),
            Decision::NotAllowed
        );
        role.policies.push(Policy {
            name: "arn:aws:iam::1:policy/p".into(),
            document: Fact::Unknown("AccessDenied".into()),
        });
        assert!(matches!(
            role_allows(&role, "secretsmanager:GetSecretValue", "arn:x"),
            Decision::Undecided(_)
        ));
        role.boundary = Some("arn:aws:iam::1:policy/b".into());
        assert!(matches!(
            role_allows(&role, "ecr:BatchGetImage", "arn:x"),
            Decision::Undecided(_)
        ));
    }

    #[test]
    fn trust_needs_ecs_tasks_without_conditions() {
        let ok = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", ECS_TASKS]}, "Action": "sts:AssumeRole"}]});
        let ec2 = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let cond = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": ECS_TASKS}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}]});
        assert_eq!(trusts_ecs_tasks(&ok), Ok(true));
        assert_eq!(trusts_ecs_tasks(&ec2), Ok(false));
        assert!(trusts_ecs_tasks(&cond).is_err());
        assert!(trusts_ecs_tasks(&json!({})).is_err());
    }
}
