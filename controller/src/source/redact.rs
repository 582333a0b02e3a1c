//! Keeping credentials out of logs and errors.
//!
//! A repository URL may carry credentials (`https://user:token@host/repo.git`) and a token may come from
//! the environment. [`SecretUrl`] only ever displays the URL with its userinfo replaced, and [`Redactor`]
//! scrubs every known secret from text that came back from `git` before it is logged or returned.

use std::fmt;

/// The placeholder that replaces a secret.
const MASK: &str = "***";

/// A repository URL whose `Display` and `Debug` never show the userinfo.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    raw: String,
}

impl SecretUrl {
    /// Wraps a URL as given on the command line.
    #[must_use]
    pub fn new(raw: impl Into<String>) -> Self {
        Self { raw: raw.into() }
    }

    /// The URL with credentials, for handing to `git` through its environment only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The URL with any userinfo replaced by `***`.
    #[must_use]
    pub fn redacted(&self) -> String {
        match userinfo_span(&self.raw) {
            Some((start, end)) => format!("{}{MASK}{}", &self.raw[..start], &self.raw[end..]),
            None => self.raw.clone(),
        }
    }

    /// The secrets this URL carries: the whole userinfo and, when long enough to be worth hiding on their
    /// own, its user and password parts.
    fn secrets(&self) -> Vec<String> {
        let Some((start, end)) = userinfo_span(&self.raw) else {
            return Vec::new();
        };
        let info = &self.raw[start..end];
        let mut out = vec![info.to_owned()];
        for part in info.split(':') {
            // Short user names such as `git` are not secret, and masking them would garble messages.
            if part.len() >= 4 {
                out.push(part.to_owned());
            }
        }
        out
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

/// The byte range of the userinfo in `scheme://userinfo@host/...`, if any.
fn userinfo_span(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_len].rfind('@')?;
    Some((start, start + at))
}

/// Replaces known secrets in text with `***`.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for the credentials of `url` plus any extra secrets (such as a token from the environment).
    #[must_use]
    pub fn new(url: &SecretUrl, extra: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = url
            .secrets()
            .into_iter()
            .chain(extra)
            .filter(|s| !s.is_empty())
            .collect();
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// `text` with every secret replaced.
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_without_userinfo_is_unchanged() {
        for url in [
            "https://example.com/org/repo.git",
            "git://127.0.0.1:9418/repo.git",
            "git@example.com:org/repo.git",
            "/srv/git/repo.git",
        ] {
            assert_eq!(SecretUrl::new(url).redacted(), url);
        }
    }

    #[test]
    fn userinfo_is_masked_in_display_and_debug() {
        let url = SecretUrl::new("https://bot:s3cr3t-token@example.com/org/repo.git?x=a@b");
        assert_eq!(
            url.to_string(),
            "https://***@example.com/org/repo.git?x=a@b"
        );
        let debug = format!("{url:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert_eq!(
            url.expose(),
            "https://bot:s3cr3t-token@example.com/org/repo.git?x=a@b"
        );
    }

    #[test]
    fn token_only_userinfo_is_masked() {
        let url = SecretUrl::new("https://ghp_abcdef123456@example.com/repo");
        assert_eq!(url.redacted(), "https://***@example.com/repo");
    }

    #[test]
    fn redactor_scrubs_userinfo_parts_and_extra_secrets() {
        let url = SecretUrl::new("https://bot:s3cr3t-token@example.com/repo.git");
        let r = Redactor::new(&url, ["env-token-value".to_owned()]);
        let text = "fatal: unable to access 'https://bot:s3cr3t-token@example.com/repo.git/': \
                    password s3cr3t-token rejected; env-token-value too";
        let out = r.redact(text);
        assert!(!out.contains("s3cr3t-token"), "{out}");
        assert!(!out.contains("env-token-value"), "{out}");
        assert!(out.contains("https://***@example.com/repo.git"), "{out}");
        // `bot` is short and not a secret on its own: the rest of the message stays readable.
        assert_eq!(
            Redactor::new(&url, []).redact("robot ran"),
            "robot ran",
            "short user names are not masked inside other words"
        );
    }

    #[test]
    fn empty_secrets_are_ignored() {
        let r = Redactor::new(&SecretUrl::new("https://example.com/r"), [String::new()]);
        assert_eq!(r.redact("unchanged"), "unchanged");
    }
}
