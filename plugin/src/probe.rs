//! Loopback HTTP probes of the regional servers: a small pooled client with a bound on every
//! request, used by the supervisor (readiness, liveness), the aggregator (scrapes, `/healthz`)
//! and the `healthcheck` verb.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::http::StatusCode;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Largest regional exposition read; a few KiB in practice.
const MAX_SCRAPE_BYTES: usize = 4 << 20;

/// A failed GET against a regional process.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The URL could not be built (never expected for an IP and a port).
    #[error("invalid probe url {url}")]
    Url {
        /// The offending URL.
        url: String,
        /// Why it is invalid.
        #[source]
        source: http::uri::InvalidUri,
    },
    /// Connecting or sending failed.
    #[error("request to {url} failed")]
    Request {
        /// The URL asked.
        url: String,
        /// The client's error.
        #[source]
        source: hyper_util::client::legacy::Error,
    },
    /// The body could not be read or was larger than allowed.
    #[error("reading the answer of {url} failed")]
    Body {
        /// The URL asked.
        url: String,
        /// The body error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No answer within the timeout.
    #[error("{url} did not answer within {timeout:?}")]
    Timeout {
        /// The URL asked.
        url: String,
        /// The bound that elapsed.
        timeout: Duration,
    },
}

/// A small pooled HTTP/1.1 client for loopback probes and scrapes.
#[derive(Debug, Clone)]
pub struct Prober {
    client: Client<HttpConnector, Empty<Bytes>>,
    timeout: Duration,
}

impl Prober {
    /// A client whose every request (connect, send, read) is bounded by `timeout`.
    pub fn new(timeout: Duration) -> Prober {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Prober { client, timeout }
    }

    /// GETs `http://addr/path` and returns the status and the body.
    pub async fn get(
        &self,
        addr: SocketAddr,
        path: &str,
    ) -> Result<(StatusCode, Bytes), ProbeError> {
        let url = format!("http://{addr}{path}");
        let uri: http::Uri = url.parse().map_err(|source| ProbeError::Url {
            url: url.clone(),
            source,
        })?;
        let fetch = async {
            let response = self
                .client
                .get(uri)
                .await
                .map_err(|source| ProbeError::Request {
                    url: url.clone(),
                    source,
                })?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_SCRAPE_BYTES)
                .collect()
                .await
                .map_err(|source| ProbeError::Body {
                    url: url.clone(),
                    source,
                })?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(self.timeout, fetch)
            .await
            .map_err(|_| ProbeError::Timeout {
                url: url.clone(),
                timeout: self.timeout,
            })?
    }

    /// Whether `http://addr/healthz` answers 200 in time.
    pub async fn healthy(&self, addr: SocketAddr) -> bool {
        matches!(self.get(addr, "/healthz").await, Ok((StatusCode::OK, _)))
    }
}

/// The address to reach a server bound to `bind` from this host: an unspecified bind address
/// (`0.0.0.0`, `::`) is reached over loopback.
pub fn probe_ip(bind: IpAddr) -> IpAddr {
    match bind {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn probe_ip_turns_unspecified_into_loopback() {
        assert_eq!(
            probe_ip("0.0.0.0".parse().unwrap()),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            probe_ip("::".parse().unwrap()),
            IpAddr::V6(Ipv6Addr::LOCALHOST)
        );
        assert_eq!(
            probe_ip("10.1.2.3".parse().unwrap()),
            "10.1.2.3".parse::<IpAddr>().unwrap()
        );
    }
}
