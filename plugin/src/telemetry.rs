//! Logging: JSON lines on stderr, a level from `FINFOCUS_LOG_LEVEL`, and one span per request
//! that carries the caller's trace id.
//!
//! stdout belongs to the host launch contract (the single `PORT=` line), so every log line goes
//! to stderr. The request span is made by [`request_span`] from the `x-finfocus-trace-id`
//! metadata; the JSON formatter prints the current span's fields on every line logged inside
//! it, so all lines of one request carry its trace id.

use std::fmt;
use std::str::FromStr;

use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Environment variable that selects the log level.
pub const LOG_LEVEL_ENV: &str = "FINFOCUS_LOG_LEVEL";

/// gRPC metadata key (an HTTP/2 header) through which the host passes its trace id.
pub const TRACE_ID_HEADER: &str = "x-finfocus-trace-id";

/// Longest trace id copied into logs; longer values are cut so a client cannot flood the log.
const MAX_TRACE_ID_LEN: usize = 128;

/// How much the plugin logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Everything, including per-request pricing details.
    Debug,
    /// Start, stop and one line per request (the default).
    #[default]
    Info,
    /// Only problems.
    Warn,
    /// Only failures.
    Error,
}

/// A `FINFOCUS_LOG_LEVEL` value that is not one of the four levels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {LOG_LEVEL_ENV} {0:?}: expected debug, info, warn or error")]
pub struct InvalidLogLevel(pub String);

impl FromStr for LogLevel {
    type Err = InvalidLogLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "debug" => Ok(LogLevel::Debug),
            "info" => Ok(LogLevel::Info),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "error" => Ok(LogLevel::Error),
            _ => Err(InvalidLogLevel(s.chars().take(64).collect())),
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        })
    }
}

impl LogLevel {
    /// Reads the level from the value of [`LOG_LEVEL_ENV`]; unset or blank means `info`.
    pub fn from_env_value(value: Option<&str>) -> Result<LogLevel, InvalidLogLevel> {
        match value {
            Some(v) if !v.trim().is_empty() => v.parse(),
            _ => Ok(LogLevel::default()),
        }
    }

    /// The filter: this crate and the request tracer at the chosen level, the libraries below
    /// (hyper, h2, tonic) at `warn` at most, because their debug output drowns the requests.
    fn filter(self) -> EnvFilter {
        let others = match self {
            LogLevel::Error => "error",
            _ => "warn",
        };
        EnvFilter::new(format!(
            "{others},finfocus_plugin_aws_public={self},tower_http={self}"
        ))
    }
}

/// A global subscriber was already installed (only possible when embedding the crate).
#[derive(Debug, thiserror::Error)]
#[error("cannot install the log subscriber")]
pub struct TelemetryError(#[source] Box<dyn std::error::Error + Send + Sync + 'static>);

/// Installs the JSON-lines subscriber on stderr. Call once, before anything logs.
pub fn init(level: LogLevel) -> Result<(), TelemetryError> {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .with_env_filter(level.filter())
        .try_init()
        .map_err(TelemetryError)
}

/// The span of one HTTP/2 request: its path (for gRPC, `/package.Service/Method`) and the
/// caller's trace id when one was sent.
pub fn request_span<B>(request: &http::Request<B>) -> Span {
    let span = tracing::info_span!(
        "request",
        path = %request.uri().path(),
        trace_id = tracing::field::Empty,
    );
    if let Some(trace_id) = trace_id(request.headers()) {
        span.record("trace_id", trace_id);
    }
    span
}

/// The trace id header, if it is visible ASCII, cut to 128 characters.
pub fn trace_id(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(TRACE_ID_HEADER)?.to_str().ok()?.trim();
    if value.is_empty() {
        return None;
    }
    // to_str() only accepts visible ASCII, so any byte index is a char boundary.
    Some(&value[..value.len().min(MAX_TRACE_ID_LEN)])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn parses_levels_and_refuses_others() {
        assert_eq!(LogLevel::from_env_value(None), Ok(LogLevel::Info));
        assert_eq!(LogLevel::from_env_value(Some(" ")), Ok(LogLevel::Info));
        assert_eq!(LogLevel::from_env_value(Some("DEBUG")), Ok(LogLevel::Debug));
        assert_eq!(LogLevel::from_env_value(Some("warn")), Ok(LogLevel::Warn));
        assert_eq!(LogLevel::from_env_value(Some("error")), Ok(LogLevel::Error));
        let err = LogLevel::from_env_value(Some("verbose")).unwrap_err();
        assert!(err.to_string().contains("FINFOCUS_LOG_LEVEL"), "{err}");
        assert!(err.to_string().contains("verbose"), "{err}");
    }

    #[test]
    fn trace_id_is_bounded_and_optional() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(trace_id(&headers), None);
        headers.insert(TRACE_ID_HEADER, "abc-123".parse().unwrap());
        assert_eq!(trace_id(&headers), Some("abc-123"));
        headers.insert(TRACE_ID_HEADER, "x".repeat(4096).parse().unwrap());
        assert_eq!(trace_id(&headers).unwrap().len(), MAX_TRACE_ID_LEN);
        headers.insert(
            TRACE_ID_HEADER,
            http::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        );
        assert_eq!(trace_id(&headers), None, "non-ASCII ids are dropped");
    }
}
