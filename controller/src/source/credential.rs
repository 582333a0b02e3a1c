//! What git is told about the remote: the URL without credentials, and the credentials for a
//! helper that answers only the configured protocol and host.
//!
//! git hands the remote URL to its transport helper (`git remote-https <name> <url>`) as an
//! argument, which every local user can read in `/proc/<pid>/cmdline`; a password in the URL would
//! be there. So the userinfo of an http(s) URL is taken out here and given to git's credential
//! machinery instead, through the environment of the child only.

use percent_encoding::percent_decode_str;

use super::{SecretUrl, SourceError};

/// The user name answered with a token when the URL names none.
const DEFAULT_USERNAME: &str = "x-access-token";

/// The remote as git sees it.
#[derive(Clone)]
pub(crate) struct Remote {
    /// The URL without any password (and without userinfo at all for http(s)).
    pub url: String,
    /// `scheme://host[:port]` the credentials belong to, and the user name and password.
    pub credential: Option<Credential>,
}

/// Credentials for one protocol and host.
#[derive(Clone)]
pub(crate) struct Credential {
    /// `scheme://host[:port]`, git's `credential.<url>` context: git consults the helper only for
    /// requests to this protocol, host and port, so a redirect elsewhere gets nothing.
    pub scope: String,
    pub username: String,
    pub password: String,
}

impl Remote {
    /// Splits `url` into what git may see and the credentials, adding `token` (from
    /// `FINFOCUS_GIT_TOKEN`) and `username` (from `FINFOCUS_GIT_USERNAME`).
    ///
    /// Credentials go over https, or over plain http to a loopback address only (the tests' git
    /// servers, where nothing crosses a network). A password in any other kind of URL is refused:
    /// ssh and git would put it on a command line or send it nowhere useful.
    ///
    /// # Errors
    /// [`SourceError::InsecureCredentials`] for credentials that would go over plain http to
    /// another host or in a non-http URL.
    pub fn new(
        url: &SecretUrl,
        token: Option<&str>,
        username: Option<&str>,
    ) -> Result<Self, SourceError> {
        let raw = url.expose();
        let refuse = |why| {
            Err(SourceError::InsecureCredentials {
                url: url.redacted(),
                why,
            })
        };
        let Some((scheme, rest)) = raw.split_once("://") else {
            // scp-like `user@host:path` or a local path: no password can be written there.
            return Ok(Self {
                url: raw.to_owned(),
                credential: None,
            });
        };
        let scheme = scheme.to_ascii_lowercase();
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (userinfo, host) = match rest[..authority_len].rsplit_once('@') {
            Some((info, host)) => (Some(info), host),
            None => (None, &rest[..authority_len]),
        };
        let is_http = scheme == "https" || scheme == "http";
        if !is_http {
            if userinfo.is_some_and(|info| info.contains(':')) {
                return refuse("a password in the URL is only sent over https");
            }
            // A user name (`ssh://git@host/...`) is no secret and ssh needs it; a token from the
            // environment is for https only.
            return Ok(Self {
                url: raw.to_owned(),
                credential: None,
            });
        }
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let (url_user, url_password) = match userinfo {
            None => (None, None),
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (Some(decode(user)), Some(decode(password))),
                None => (Some(decode(info)), None),
            },
        };
        let stripped = format!("{scheme}://{host}{}", &rest[authority_len..]);
        let password = url_password.or_else(|| token.map(str::to_owned));
        if url_user.is_none() && password.is_none() {
            return Ok(Self {
                url: stripped,
                credential: None,
            });
        }
        if scheme == "http" && !is_loopback(host) {
            return refuse("credentials are never sent over plain http (use https)");
        }
        let username = url_user
            .or_else(|| username.map(str::to_owned))
            .unwrap_or_else(|| DEFAULT_USERNAME.to_owned());
        Ok(Self {
            url: stripped,
            credential: Some(Credential {
                scope: format!("{scheme}://{}", host.to_ascii_lowercase()),
                username,
                // A lone user name may itself be the token (`https://<token>@host`).
                password: password.unwrap_or_default(),
            }),
        })
    }
}

/// Whether `host` (`name[:port]` or `[v6]:port`) is this machine.
fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn remote(url: &str, token: Option<&str>) -> Result<Remote, SourceError> {
        Remote::new(&SecretUrl::new(url), token, None)
    }

    #[test]
    fn userinfo_leaves_https_urls_and_becomes_a_scoped_credential() {
        let r = remote(
            "https://bot:s3cr%40t@Git.Example.com:8443/org/repo.git",
            None,
        )
        .unwrap();
        assert_eq!(r.url, "https://Git.Example.com:8443/org/repo.git");
        let c = r.credential.unwrap();
        assert_eq!(c.scope, "https://git.example.com:8443");
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("bot", "s3cr@t")
        );
    }

    #[test]
    fn a_token_from_the_environment_is_scoped_to_the_url() {
        let r = remote("https://example.com/r.git", Some("tok")).unwrap();
        assert_eq!(r.url, "https://example.com/r.git");
        let c = r.credential.unwrap();
        assert_eq!(c.scope, "https://example.com");
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("x-access-token", "tok")
        );
        assert!(
            remote("https://example.com/r.git", None)
                .unwrap()
                .credential
                .is_none()
        );
    }

    #[test]
    fn credentials_are_refused_over_plain_http_except_to_loopback() {
        for url in ["http://u:p@example.com/r", "http://u:p@10.0.0.1:80/r"] {
            let err = remote(url, None).err().unwrap();
            assert!(
                matches!(err, SourceError::InsecureCredentials { .. }),
                "{url}"
            );
            assert!(!err.to_string().contains(":p@"), "{err}");
        }
        assert!(remote("http://example.com/r", Some("tok")).is_err());
        assert!(remote("http://example.com/r", None).is_ok());
        for url in [
            "http://u:p@127.0.0.1:9/r",
            "http://u:p@localhost/r",
            "http://u:p@[::1]:9/r",
        ] {
            assert!(remote(url, None).unwrap().credential.is_some(), "{url}");
        }
    }

    #[test]
    fn other_transports_keep_their_user_name_and_refuse_a_password() {
        let r = remote("ssh://git@example.com/r.git", Some("tok")).unwrap();
        assert_eq!(r.url, "ssh://git@example.com/r.git");
        assert!(r.credential.is_none(), "the token is for https only");
        assert!(remote("ssh://git:pw@example.com/r.git", None).is_err());
        let scp = remote("git@example.com:org/r.git", None).unwrap();
        assert_eq!(scp.url, "git@example.com:org/r.git");
    }
}
