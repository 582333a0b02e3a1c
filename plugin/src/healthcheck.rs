//! `healthcheck`: the dependency-free probe behind `/healthcheck.sh`. It asks every regional
//! server's `/healthz` at once and succeeds only when all answer 200.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::probe::Prober;
use crate::region::Region;

/// Options of `healthcheck`, the dependency-free probe behind `/healthcheck.sh`.
#[derive(Debug, Clone, clap::Args)]
pub struct HealthcheckArgs {
    /// Host the regional servers listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port of the first region; the 12 regions use base-port..base-port+11.
    #[arg(long, env = "FINFOCUS_PLUGIN_BASE_PORT", default_value_t = 8001)]
    pub base_port: u16,
    /// Explicit ports to probe instead (comma or space separated).
    #[arg(long, value_parser = parse_ports)]
    pub ports: Option<Ports>,
    /// Bound of each probe, e.g. `2s`.
    #[arg(long, default_value = "2s", value_parser = crate::web::parse_duration)]
    pub timeout: Duration,
}

/// A list of ports given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports(pub Vec<u16>);

/// Parses `8001,8002 8003`.
pub fn parse_ports(text: &str) -> Result<Ports, String> {
    let ports = text
        .split([',', ' '])
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u16>().map_err(|_| format!("invalid port {p:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    if ports.is_empty() {
        return Err("no ports given".into());
    }
    Ok(Ports(ports))
}

/// Some regional `/healthz` did not answer 200.
#[derive(Debug, thiserror::Error)]
pub enum HealthcheckError {
    /// These ports are unhealthy.
    #[error("unhealthy ports: {0:?}")]
    Unhealthy(Vec<u16>),
    /// The base port leaves no room for one port per region.
    #[error("base port {0} leaves no room for {n} ports", n = Region::ALL.len())]
    BasePort(u16),
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

/// Probes every port's `/healthz` concurrently; `Ok` only when all answer 200. Each failure
/// is also printed on stderr, one line per port.
pub fn healthcheck(args: &HealthcheckArgs) -> Result<(), HealthcheckError> {
    let ports = match &args.ports {
        Some(Ports(ports)) => ports.clone(),
        None => Region::ALL
            .into_iter()
            .map(|region| args.base_port.checked_add(region.port_offset()))
            .collect::<Option<Vec<_>>>()
            .ok_or(HealthcheckError::BasePort(args.base_port))?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(HealthcheckError::Runtime)?;
    let prober = Prober::new(args.timeout);
    let results = runtime.block_on(futures::future::join_all(ports.iter().map(|port| {
        let prober = &prober;
        let addr = SocketAddr::new(args.host, *port);
        async move { (*port, prober.healthy(addr).await) }
    })));
    let unhealthy: Vec<u16> = results
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(port, _)| port)
        .collect();
    if unhealthy.is_empty() {
        return Ok(());
    }
    for port in &unhealthy {
        eprintln!(
            "healthcheck: http://{}/healthz is not healthy",
            SocketAddr::new(args.host, *port)
        );
    }
    Err(HealthcheckError::Unhealthy(unhealthy))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn port_lists_parse() {
        assert_eq!(
            parse_ports("8001,8002 8003").unwrap(),
            Ports(vec![8001, 8002, 8003])
        );
        assert!(parse_ports("").is_err());
        assert!(parse_ports("80a").is_err());
        assert!(parse_ports("70000").is_err());
    }
}
