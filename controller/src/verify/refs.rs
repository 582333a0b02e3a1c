//! Parsing the references a task definition carries — ECR image names, role ARNs and
//! `secrets[].valueFrom` — into the pieces `verify` looks up and the ARNs policies name.

/// An image in Amazon ECR: `<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    /// Registry (account) id.
    pub account: String,
    /// Region of the registry.
    pub region: String,
    /// Repository name (may contain `/`).
    pub repository: String,
    /// Tag (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// Digest (`sha256:...`).
    pub digest: Option<String>,
}

impl EcrImage {
    /// Parses an ECR image reference; `None` for other registries.
    #[must_use]
    pub fn parse(image: &str) -> Option<Self> {
        let (host, rest) = image.split_once('/')?;
        let mut labels = host.split('.');
        let account = labels.next()?;
        if labels.next()? != "dkr" || labels.next()? != "ecr" {
            return None;
        }
        let region = labels.next()?;
        if !host.ends_with(".amazonaws.com") && !host.ends_with(".amazonaws.com.cn") {
            return None;
        }
        let (name, digest) = match rest.split_once('@') {
            Some((n, d)) => (n, Some(d.to_owned())),
            None => (rest, None),
        };
        // A colon after the last slash separates the tag.
        let (repository, tag) = match name.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t.to_owned())),
            _ => (name, None),
        };
        let tag = if digest.is_none() && tag.is_none() {
            Some("latest".to_owned())
        } else {
            tag
        };
        (!repository.is_empty() && !account.is_empty()).then(|| Self {
            account: account.to_owned(),
            region: region.to_owned(),
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }

    /// The repository ARN (what image-pull permissions name).
    #[must_use]
    pub fn repository_arn(&self) -> String {
        format!(
            "arn:aws:ecr:{}:{}:repository/{}",
            self.region, self.account, self.repository
        )
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An SSM parameter: its candidate names (a name from an ARN may or may not start with
    /// `/`) and its ARN (None when the account is unknown).
    Parameter {
        /// Names to look up.
        names: Vec<String>,
        /// The parameter ARN.
        arn: Option<String>,
        /// The region it lives in.
        region: String,
    },
    /// A Secrets Manager secret: the secret ARN without a JSON key or version suffix.
    Secret {
        /// The secret ARN.
        arn: String,
        /// The region it lives in.
        region: String,
    },
}

impl SecretRef {
    /// Parses a `valueFrom`; `region` and `account` fill in a bare parameter name.
    #[must_use]
    pub fn parse(value_from: &str, region: &str, account: Option<&str>) -> Option<Self> {
        if let Some(arn) = Arn::parse(value_from) {
            return match arn.service {
                "ssm" => {
                    let name = arn.resource.strip_prefix("parameter")?;
                    let bare = name.trim_start_matches('/');
                    let mut names = vec![bare.to_owned()];
                    if bare.contains('/') || name.starts_with("//") {
                        names = vec![format!("/{bare}")];
                    } else {
                        names.push(format!("/{bare}"));
                    }
                    Some(Self::Parameter {
                        names,
                        arn: Some(value_from.to_owned()),
                        region: arn.region.to_owned(),
                    })
                }
                "secretsmanager" => {
                    // arn:aws:secretsmanager:r:a:secret:name-AbCdEf[:json-key:stage:version]
                    let base: Vec<&str> = value_from.splitn(8, ':').take(7).collect();
                    Some(Self::Secret {
                        arn: base.join(":"),
                        region: arn.region.to_owned(),
                    })
                }
                _ => None,
            };
        }
        if value_from.is_empty() {
            return None;
        }
        let arn = account.map(|a| {
            format!(
                "arn:aws:ssm:{region}:{a}:parameter/{}",
                value_from.trim_start_matches('/')
            )
        });
        Some(Self::Parameter {
            names: vec![value_from.to_owned()],
            arn,
            region: region.to_owned(),
        })
    }

    /// The region it lives in.
    #[must_use]
    pub fn region(&self) -> &str {
        match self {
            Self::Parameter { region, .. } | Self::Secret { region, .. } => region,
        }
    }

    /// The action the execution role needs on it.
    #[must_use]
    pub fn action(&self) -> &'static str {
        match self {
            Self::Parameter { .. } => "ssm:GetParameters",
            Self::Secret { .. } => "secretsmanager:GetSecretValue",
        }
    }

    /// The ARN policies must name (None when unknown).
    #[must_use]
    pub fn arn(&self) -> Option<&str> {
        match self {
            Self::Parameter { arn, .. } => arn.as_deref(),
            Self::Secret { arn, .. } => Some(arn),
        }
    }
}

/// The parts of an ARN `verify` needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// Service (`iam`, `ssm`, ...).
    pub service: &'a str,
    /// Region (empty for IAM).
    pub region: &'a str,
    /// Account id.
    pub account: &'a str,
    /// Everything after the account.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Parses `arn:partition:service:region:account:resource`.
    #[must_use]
    pub fn parse(s: &'a str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let _partition = parts.next()?;
        Some(Self {
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }
}

/// The role name of an IAM role ARN (the last path segment), or the value itself when it is
/// a bare name.
#[must_use]
pub fn role_name(role: &str) -> &str {
    match Arn::parse(role) {
        Some(arn) => arn
            .resource
            .strip_prefix("role/")
            .and_then(|p| p.rsplit('/').next())
            .unwrap_or(arn.resource),
        None => role,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

    use super::*;

    #[test]
    fn ecr_images_parse_and_other_registries_do_not() {
        let img =
            EcrImage::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.2").unwrap();
        assert_eq!(
            (
                img.account.as_str(),
                img.region.as_str(),
                img.repository.as_str(),
                img.tag.as_deref()
            ),
            ("123456789012", "us-east-1", "team/app", Some("1.2"))
        );
        assert_eq!(
            img.repository_arn(),
            "arn:aws:ecr:us-east-1:123456789012:repository/team/app"
        );
        let latest = EcrImage::parse("1.dkr.ecr.eu-west-1.amazonaws.com/app").unwrap();
        assert_eq!(latest.tag.as_deref(), Some("latest"));
        let pinned = EcrImage::parse("1.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:ab").unwrap();
        assert_eq!(
            (pinned.tag, pinned.digest.as_deref()),
            (None, Some("sha256:ab"))
        );
        assert!(EcrImage::parse("ghcr.io/finfocus/plugin:latest").is_none());
        assert!(EcrImage::parse("nginx").is_none());
        assert!(EcrImage::parse("1.dkr.ecr.us-east-1.example.com/app").is_none());
    }

    #[test]
    fn secret_references_parse() {
        let sm = SecretRef::parse(
            "arn:aws:secretsmanager:us-west-2:1:secret:db-AbCdEf:password::",
            "us-east-1",
            Some("1"),
        )
        .unwrap();
        assert_eq!(
            sm.arn(),
            Some("arn:aws:secretsmanager:us-west-2:1:secret:db-AbCdEf")
        );
        assert_eq!(
            (sm.region(), sm.action()),
            ("us-west-2", "secretsmanager:GetSecretValue")
        );
        let p = SecretRef::parse("arn:aws:ssm:us-east-1:1:parameter/app/token", "x", None).unwrap();
        assert!(matches!(&p, SecretRef::Parameter { names, .. } if names == &["/app/token"]));
        let bare = SecretRef::parse("token", "eu-west-1", Some("1")).unwrap();
        assert_eq!(bare.arn(), Some("arn:aws:ssm:eu-west-1:1:parameter/token"));
        assert_eq!(
            SecretRef::parse("token", "eu-west-1", None).unwrap().arn(),
            None
        );
        assert!(SecretRef::parse("arn:aws:s3:::bucket/x", "r", None).is_none());
    }

    #[test]
    fn role_names_come_from_the_last_path_segment() {
        assert_eq!(
            role_name("arn:aws:iam::1:role/ecsTaskExecutionRole"),
            "ecsTaskExecutionRole"
        );
        assert_eq!(
            role_name("arn:aws:iam::1:role/service/app-exec"),
            "app-exec"
        );
        assert_eq!(role_name("bare"), "bare");
    }
}
