//! Web mode settings, read once from the environment before anything binds.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `FINFOCUS_PLUGIN_WEB_ENABLED` | `true` | gRPC-Web, Connect, `/metrics`, `/` (and `/healthz`) on the gRPC port |
//! | `FINFOCUS_PLUGIN_HEALTH_ENDPOINT` | `true` | serve `/healthz` (needs web mode) |
//! | `FINFOCUS_CORS_ALLOWED_ORIGINS` | `*` | comma list of origins (`https://app.example.com`), or `*` |
//! | `FINFOCUS_CORS_ALLOW_CREDENTIALS` | `false` | send `Access-Control-Allow-Credentials: true`; refused with `*` |
//! | `FINFOCUS_PLUGIN_MAX_BODY_BYTES` | `1048576` | larger HTTP request bodies get 413 |
//! | `FINFOCUS_PLUGIN_REQUEST_TIMEOUT` | `30s` | bound of one HTTP request (Connect: also caps `Connect-Timeout-Ms`) |

use std::time::Duration;

use http::HeaderValue;

/// `FINFOCUS_PLUGIN_WEB_ENABLED`.
pub const WEB_ENABLED_ENV: &str = "FINFOCUS_PLUGIN_WEB_ENABLED";
/// `FINFOCUS_PLUGIN_HEALTH_ENDPOINT`.
pub const HEALTH_ENDPOINT_ENV: &str = "FINFOCUS_PLUGIN_HEALTH_ENDPOINT";
/// `FINFOCUS_CORS_ALLOWED_ORIGINS`.
pub const CORS_ORIGINS_ENV: &str = "FINFOCUS_CORS_ALLOWED_ORIGINS";
/// `FINFOCUS_CORS_ALLOW_CREDENTIALS`.
pub const CORS_CREDENTIALS_ENV: &str = "FINFOCUS_CORS_ALLOW_CREDENTIALS";
/// `FINFOCUS_PLUGIN_MAX_BODY_BYTES`.
pub const MAX_BODY_ENV: &str = "FINFOCUS_PLUGIN_MAX_BODY_BYTES";
/// `FINFOCUS_PLUGIN_REQUEST_TIMEOUT`.
pub const REQUEST_TIMEOUT_ENV: &str = "FINFOCUS_PLUGIN_REQUEST_TIMEOUT";

/// Default request body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
/// Default request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Which origins may call the web endpoints from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any origin (`*`).
    Any,
    /// Exactly these origins (possibly none).
    List(Vec<HeaderValue>),
}

/// The web mode settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// Serve gRPC-Web, Connect, `/metrics` and `/` next to gRPC.
    pub enabled: bool,
    /// Serve `/healthz` (only with `enabled`).
    pub health_endpoint: bool,
    /// CORS origins.
    pub cors_origins: AllowedOrigins,
    /// CORS credentials (never with [`AllowedOrigins::Any`]).
    pub cors_allow_credentials: bool,
    /// Request body limit in bytes.
    pub max_body_bytes: usize,
    /// Bound of one HTTP request.
    pub request_timeout: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            enabled: true,
            health_endpoint: true,
            cors_origins: AllowedOrigins::Any,
            cors_allow_credentials: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// An invalid web setting; the process refuses to start with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebConfigError {
    /// A boolean variable holds something else.
    #[error("{name}={value:?} is not a boolean: use true or false")]
    Bool {
        /// The variable.
        name: &'static str,
        /// Its (shortened) value.
        value: String,
    },
    /// A numeric variable holds something else.
    #[error("{name}={value:?} is not a positive number")]
    Number {
        /// The variable.
        name: &'static str,
        /// Its (shortened) value.
        value: String,
    },
    /// A duration variable holds something else.
    #[error("{name}={value:?} is not a duration such as 30s, 500ms or 2m")]
    Duration {
        /// The variable.
        name: &'static str,
        /// Its (shortened) value.
        value: String,
    },
    /// An entry of the origin list is not an origin.
    #[error(
        "{CORS_ORIGINS_ENV}: {origin:?} is not an origin such as https://app.example.com (scheme and host, no path)"
    )]
    Origin {
        /// The offending entry (shortened).
        origin: String,
    },
    /// `*` together with credentials, which browsers reject and which would expose every origin.
    #[error(
        "{CORS_ORIGINS_ENV}=* cannot be combined with {CORS_CREDENTIALS_ENV}=true: list the allowed origins explicitly"
    )]
    WildcardWithCredentials,
}

fn shorten(value: &str) -> String {
    value.chars().take(64).collect()
}

/// Parses a boolean setting: `true/false`, `1/0`, `yes/no`, `on/off` (any case).
pub fn parse_bool(name: &'static str, value: &str) -> Result<bool, WebConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(WebConfigError::Bool {
            name,
            value: shorten(value),
        }),
    }
}

/// Parses a duration written `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let err = || {
        format!(
            "invalid duration {:?}: use e.g. 30s, 500ms, 2m",
            shorten(text)
        )
    };
    if digits.is_empty() || digits.len() > 9 {
        return Err(err());
    }
    let n: u64 = digits.parse().map_err(|_| err())?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(err()),
    }
}

/// Parses the origin list: `*`, or comma-separated `scheme://host[:port]` entries.
pub fn parse_origins(value: &str) -> Result<AllowedOrigins, WebConfigError> {
    let entries: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.contains(&"*") {
        return Ok(AllowedOrigins::Any);
    }
    let mut origins = Vec::with_capacity(entries.len());
    for entry in entries {
        let invalid = || WebConfigError::Origin {
            origin: shorten(entry),
        };
        let host = entry
            .strip_prefix("https://")
            .or_else(|| entry.strip_prefix("http://"))
            .ok_or_else(invalid)?;
        if host.is_empty() || host.contains(['/', '?', '#', ' ', '@']) {
            return Err(invalid());
        }
        origins.push(HeaderValue::from_str(entry).map_err(|_| invalid())?);
    }
    Ok(AllowedOrigins::List(origins))
}

impl WebConfig {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<WebConfig, WebConfigError> {
        WebConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `get` (the environment, or a map in tests). Unset and blank
    /// variables take their defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<WebConfig, WebConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let defaults = WebConfig::default();
        let enabled = get(WEB_ENABLED_ENV)
            .map(|v| parse_bool(WEB_ENABLED_ENV, &v))
            .transpose()?
            .unwrap_or(defaults.enabled);
        let health_endpoint = get(HEALTH_ENDPOINT_ENV)
            .map(|v| parse_bool(HEALTH_ENDPOINT_ENV, &v))
            .transpose()?
            .unwrap_or(defaults.health_endpoint);
        let cors_allow_credentials = get(CORS_CREDENTIALS_ENV)
            .map(|v| parse_bool(CORS_CREDENTIALS_ENV, &v))
            .transpose()?
            .unwrap_or(defaults.cors_allow_credentials);
        let cors_origins = match get(CORS_ORIGINS_ENV) {
            Some(v) => parse_origins(&v)?,
            None => defaults.cors_origins,
        };
        if cors_allow_credentials && cors_origins == AllowedOrigins::Any {
            return Err(WebConfigError::WildcardWithCredentials);
        }
        let max_body_bytes = match get(MAX_BODY_ENV) {
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(WebConfigError::Number {
                        name: MAX_BODY_ENV,
                        value: shorten(&v),
                    });
                }
            },
            None => defaults.max_body_bytes,
        };
        let request_timeout = match get(REQUEST_TIMEOUT_ENV) {
            Some(v) => match parse_duration(&v) {
                Ok(d) if !d.is_zero() => d,
                _ => {
                    return Err(WebConfigError::Duration {
                        name: REQUEST_TIMEOUT_ENV,
                        value: shorten(&v),
                    });
                }
            },
            None => defaults.request_timeout,
        };
        Ok(WebConfig {
            enabled,
            health_endpoint,
            cors_origins,
            cors_allow_credentials,
            max_body_bytes,
            request_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<WebConfig, WebConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        WebConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_design() {
        let c = config(&[]).unwrap();
        assert_eq!(c, WebConfig::default());
        assert!(c.enabled && c.health_endpoint);
        assert_eq!(c.cors_origins, AllowedOrigins::Any);
        assert_eq!(c.max_body_bytes, 1 << 20);
        assert_eq!(c.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn reads_every_variable() {
        let c = config(&[
            (WEB_ENABLED_ENV, "false"),
            (HEALTH_ENDPOINT_ENV, "0"),
            (
                CORS_ORIGINS_ENV,
                "https://a.example.com, http://localhost:3000",
            ),
            (CORS_CREDENTIALS_ENV, "TRUE"),
            (MAX_BODY_ENV, "2048"),
            (REQUEST_TIMEOUT_ENV, "500ms"),
        ])
        .unwrap();
        assert!(!c.enabled && !c.health_endpoint && c.cors_allow_credentials);
        assert_eq!(
            c.cors_origins,
            AllowedOrigins::List(vec![
                HeaderValue::from_static("https://a.example.com"),
                HeaderValue::from_static("http://localhost:3000"),
            ])
        );
        assert_eq!(c.max_body_bytes, 2048);
        assert_eq!(c.request_timeout, Duration::from_millis(500));
    }

    #[test]
    fn wildcard_with_credentials_is_refused_with_a_clear_message() {
        for origins in [None, Some("*"), Some("https://a.example.com,*")] {
            let mut vars = vec![(CORS_CREDENTIALS_ENV, "true")];
            if let Some(o) = origins {
                vars.push((CORS_ORIGINS_ENV, o));
            }
            let err = config(&vars).unwrap_err();
            assert_eq!(err, WebConfigError::WildcardWithCredentials);
            let text = err.to_string();
            assert!(
                text.contains(CORS_ORIGINS_ENV) && text.contains(CORS_CREDENTIALS_ENV),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_values_are_named() {
        let err = config(&[(WEB_ENABLED_ENV, "maybe")]).unwrap_err();
        assert!(err.to_string().contains(WEB_ENABLED_ENV), "{err}");
        let err = config(&[(CORS_ORIGINS_ENV, "app.example.com")]).unwrap_err();
        assert!(err.to_string().contains("app.example.com"), "{err}");
        assert!(config(&[(CORS_ORIGINS_ENV, "https://a.example.com/path")]).is_err());
        assert!(config(&[(CORS_ORIGINS_ENV, "https://")]).is_err());
        assert!(config(&[(MAX_BODY_ENV, "0")]).is_err());
        assert!(config(&[(MAX_BODY_ENV, "-1")]).is_err());
        assert!(config(&[(REQUEST_TIMEOUT_ENV, "soon")]).is_err());
        assert!(config(&[(REQUEST_TIMEOUT_ENV, "0s")]).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        for bad in ["", "s", "1.5s", "10d", "-1s", "9999999999s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
