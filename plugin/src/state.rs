//! What one regional process starts from and every route shares: [`ServeConfig`] and
//! [`AppState`]. A leaf both [`crate::server`] (which serves) and [`crate::service`] (which
//! answers requests) use.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::pricing::{PriceTable, PricingError};
use crate::proto::v1::cost_source_service_server::SERVICE_NAME;
use crate::region::Region;

/// How long in-flight requests may run after shutdown starts, unless configured otherwise.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything a regional process needs to know before it binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// The region whose prices this process serves.
    pub region: Region,
    /// Address to bind (loopback by default; containers bind `0.0.0.0`).
    pub bind: IpAddr,
    /// Port to bind; 0 picks an ephemeral port.
    pub port: u16,
    /// Bound on the graceful drain after shutdown starts.
    pub drain_timeout: Duration,
}

impl ServeConfig {
    /// Loopback, ephemeral port, default drain: the settings of a host-launched plugin.
    #[must_use]
    pub fn new(region: Region) -> Self {
        ServeConfig {
            region,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
        }
    }

    /// The socket address to bind.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }
}

/// The state every route shares, behind one `Arc`: the configuration, the region's price
/// table and the health reporter.
pub struct AppState {
    /// The configuration the process started with.
    pub config: ServeConfig,
    /// Prices of `config.region`, loaded once.
    pub table: PriceTable,
    /// Serving status published by `grpc.health.v1.Health`.
    pub health: HealthReporter,
}

impl AppState {
    /// Loads the price table of `config.region`.
    pub fn load(config: ServeConfig) -> Result<Arc<AppState>, ServeError> {
        let table = PriceTable::load(config.region)?;
        Ok(Arc::new(AppState {
            config,
            table,
            health: HealthReporter::new(),
        }))
    }

    /// Marks the FinFocus service and the whole server (`""`) as `status`.
    pub async fn set_health(&self, status: ServingStatus) {
        for service in [SERVICE_NAME, ""] {
            self.health.set_service_status(service, status).await;
        }
    }
}

/// Why a regional process could not serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The embedded price table of the region is unusable.
    #[error("cannot load the price table")]
    Pricing(#[from] PricingError),
    /// The `PORT=` line could not be written.
    #[error("cannot announce the port on stdout")]
    Announce(#[source] std::io::Error),
    /// Accepting or serving connections failed.
    #[error("server failed")]
    Io(#[source] std::io::Error),
    /// The web mode settings are invalid or its routes cannot be built.
    #[error("cannot set up the web endpoints")]
    Web(#[from] crate::web::WebError),
}
