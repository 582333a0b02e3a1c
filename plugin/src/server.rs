//! One regional plugin process: the shared state, the router, and the serve loop with the host
//! launch contract (one `PORT=<n>` line on stdout, graceful drain on shutdown).
//!
//! # One port, one router
//! Every protocol this process speaks is a route of the single [`axum::Router`] built by
//! [`router`]: today the FinFocus `CostSourceService`, `grpc.health.v1.Health` and server
//! reflection (v1 and v1alpha), all tonic services turned into axum routes. [`serve`] hands
//! that router to `web::wrap_from_env`, which adds the HTTP side (gRPC-Web, Connect JSON,
//! `/healthz`, `/metrics`, the pricing page) around it, so everything shares one listener.
//!
//! # Shutdown
//! When the shutdown future resolves, health turns `NOT_SERVING`, the listener stops
//! accepting, open HTTP/2 connections receive GOAWAY, and in-flight requests get
//! [`ServeConfig::drain_timeout`] to finish before [`serve`] returns anyway.

mod listener;

pub use finfocus_serve::{LimitedListener, MAX_CONNECTIONS, RESERVE};

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;

use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tonic_health::ServingStatus;
use tonic_health::server::HealthService;
use tower::ServiceBuilder;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::proto;
use crate::service::CostSource;
pub use crate::state::{AppState, DEFAULT_DRAIN_TIMEOUT, ServeConfig, ServeError};
use crate::telemetry;

use self::listener::CoalescingListener;

/// The largest gRPC request message decoded (1 MiB, as the web mode's body limit). Requests are
/// small (at most 100 resources); tonic refuses a message announcing more as soon as it reads
/// the 5-byte prefix, before buffering any of it.
pub const MAX_REQUEST_MESSAGE_BYTES: usize = crate::web::DEFAULT_MAX_BODY_BYTES;
/// How long one gRPC request may take, reading its message included: a stream that announces
/// a message and never finishes it is dropped, with what it buffered.
pub const GRPC_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// gRPC requests handled at once by one process; more wait, holding no request buffer.
pub const GRPC_MAX_CONCURRENT_REQUESTS: usize = 256;

/// The router of one regional process: every gRPC service, behind one request-tracing layer,
/// a per-request time limit ([`GRPC_REQUEST_TIMEOUT`]) and a limit on requests in flight
/// ([`GRPC_MAX_CONCURRENT_REQUESTS`]).
///
/// The tracing layer covers the routes added here; routes a caller merges into the returned
/// router need their own layer (axum applies a layer to the routes present when `layer` is
/// called). Health reports `SERVING` once [`serve`] (or a caller) runs
/// [`AppState::set_health`].
pub fn router(state: Arc<AppState>) -> axum::Router {
    let mut routes = tonic::service::Routes::builder();
    routes
        .add_service(tonic_health::pb::health_server::HealthServer::new(
            HealthService::from_health_reporter(state.health.clone()),
        ))
        .add_service(
            CostSource::new(Arc::clone(&state))
                .into_server()
                .max_decoding_message_size(MAX_REQUEST_MESSAGE_BYTES),
        );
    add_reflection(&mut routes);
    routes.routes().prepare().into_axum_router().layer(
        ServiceBuilder::new()
            .layer(
                TraceLayer::new_for_grpc()
                    .make_span_with(telemetry::request_span)
                    .on_response(DefaultOnResponse::new().level(Level::INFO))
                    .on_failure(DefaultOnFailure::new().level(Level::WARN)),
            )
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                http::StatusCode::REQUEST_TIMEOUT,
                GRPC_REQUEST_TIMEOUT,
            ))
            .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                GRPC_MAX_CONCURRENT_REQUESTS,
            )),
    )
}

/// Adds server reflection (v1 and v1alpha) over our descriptors and the health service's.
fn add_reflection(routes: &mut tonic::service::RoutesBuilder) {
    let builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    // The descriptor sets are compiled in; a failure here is a build defect, caught by the
    // tests, and must not take pricing down with it.
    match builder().build_v1() {
        Ok(v1) => {
            routes.add_service(v1);
        }
        Err(err) => tracing::error!(error = %err, "reflection v1 disabled"),
    }
    match builder().build_v1alpha() {
        Ok(v1alpha) => {
            routes.add_service(v1alpha);
        }
        Err(err) => tracing::error!(error = %err, "reflection v1alpha disabled"),
    }
}

/// Serves `config.region` on `listener` until `shutdown` resolves, then drains.
///
/// Loads the region's table, prints `PORT=<n>` on stdout (the readiness signal the host
/// waits for), and serves HTTP/2 (and HTTP/1.1 for future HTTP routes) on the listener.
pub async fn serve<F>(
    config: ServeConfig,
    listener: TcpListener,
    shutdown: F,
) -> Result<(), ServeError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let drain_timeout = config.drain_timeout;
    let state = AppState::load(config)?;
    let local = listener.local_addr().map_err(ServeError::Io)?;
    // gRPC-Web, Connect, /healthz, /metrics and / on the same port (FINFOCUS_PLUGIN_WEB_*).
    let app = crate::web::wrap_from_env(
        router(Arc::clone(&state)),
        crate::web::WebContext {
            region: state.config.region,
            table_sizes: state.table.sizes(),
        },
    )?;
    state.set_health(ServingStatus::Serving).await;
    announce(local.port())?;
    tracing::info!(
        region = %state.config.region,
        addr = %local,
        data_as_of = state.table.data_as_of(),
        "serving"
    );

    let (draining_tx, draining_rx) = tokio::sync::oneshot::channel::<()>();
    let health_state = Arc::clone(&state);
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: draining in-flight requests");
        health_state.set_health(ServingStatus::NotServing).await;
        let _ = draining_tx.send(());
    };
    // Headers, data and trailers of a small answer leave in one write (see `listener`).
    // At most `MAX_CONNECTIONS` open: idle clients cannot use up the descriptors the health
    // check needs (see `limit`).
    let listener = CoalescingListener(LimitedListener::new(listener.tap_io(|tcp| {
        // Unary gRPC answers are small; Nagle would hold them back.
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
    })));
    // Header read timeout, HTTP/2 stream limit and graceful drain: `finfocus_serve`.
    let server = finfocus_serve::serve(listener, app, finfocus_serve::Limits::default(), signal);
    tokio::pin!(server);

    tokio::select! {
        // Checked first so a finished server is never polled again below.
        biased;
        () = &mut server => {}
        Ok(()) = draining_rx => {
            if tokio::time::timeout(drain_timeout, &mut server).await.is_err() {
                tracing::warn!(
                    timeout_secs = drain_timeout.as_secs_f64(),
                    "drain timed out; closing the remaining connections"
                );
            }
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Writes the single `PORT=<n>` line and flushes it, so a host reading a pipe sees it now.
fn announce(port: u16) -> Result<(), ServeError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "PORT={port}")
        .and_then(|()| out.flush())
        .map_err(ServeError::Announce)
}

/// Listens for Ctrl-C (SIGINT) and SIGTERM (the ECS and host stop signal) from the moment it is
/// called, and resolves on the first of them.
///
/// The handlers are installed here, not on the first poll, so calling this before the `PORT=`
/// line means a stop signal sent right after readiness still drains instead of killing the
/// process. Call it inside a Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            tokio::select! {
                () = first_of(interrupt, "SIGINT") => {},
                () = first_of(terminate, "SIGTERM") => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}

/// Waits for one delivery of `signal`; never resolves if it could not be installed.
#[cfg(unix)]
async fn first_of(signal: std::io::Result<tokio::signal::unix::Signal>, name: &'static str) {
    match signal {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err(err) => {
            tracing::warn!(error = %err, signal = name, "cannot listen for the signal");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use std::time::Duration;

    use super::*;
    use crate::proto::v1::NameRequest;
    use crate::proto::v1::cost_source_service_client::CostSourceServiceClient;
    use crate::region::Region;

    #[test]
    fn reflection_descriptors_are_valid() {
        let builder = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        assert!(builder().build_v1().is_ok());
        assert!(builder().build_v1alpha().is_ok());
    }

    #[tokio::test]
    async fn serves_until_shutdown_then_returns() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            ServeConfig::new(Region::EuWest1),
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        let mut client = CostSourceServiceClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .unwrap();
        let name = client.name(NameRequest {}).await.unwrap().into_inner();
        assert_eq!(name.name, crate::service::PLUGIN_NAME);
        // An idle client connection must not hold the drain open.
        stop.send(()).unwrap();
        let result = tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("serve returns within the bound")
            .unwrap();
        assert!(result.is_ok(), "{result:?}");
    }
}
