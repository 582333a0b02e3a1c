//! The proxy's HTTP side: a loopback listener, a runtime of its own on a background thread, and the
//! handle that stops both when dropped.

use std::future::IntoFuture;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tokio::sync::oneshot;

use crate::Error;
use crate::call::Call;
use crate::faults::{self, Faults, LostAnswers};
use crate::idempotency::{self, Tokens};
use crate::kept::KeptFields;
use crate::latency::{Latency, Traffic};
use crate::namespaces::ServiceNamespaces;
use crate::rollouts::Rollouts;
use crate::rules::deployments::Deployment as ServiceDeployment;
use crate::rules::rollout::Rollout;
use crate::upstream::{Exchange, Upstream};

/// Largest request body the layer reads (task definitions are the largest ECS requests, far below).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A running fidelity layer in front of one emulator. Dropping it stops the layer.
#[derive(Debug)]
pub struct Fidelity {
    endpoint: String,
    upstream: String,
    rollouts: Arc<Rollouts>,
    latency: Arc<Latency>,
    faults: Arc<Faults>,
    tokens: Arc<Tokens>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Fidelity {
    /// Starts the layer on a free port of 127.0.0.1 in front of the emulator at `upstream`
    /// (`http://127.0.0.1:PORT`). It accepts connections as soon as this returns.
    pub fn start(upstream: &str) -> Result<Self, Error> {
        Self::start_on_port(upstream, 0)
    }

    /// Like [`Fidelity::start`], on `port` of 127.0.0.1 (0: any free port).
    pub fn start_on_port(upstream: &str, port: u16) -> Result<Self, Error> {
        let client = Upstream::new(upstream)?;
        let upstream = client.endpoint().to_owned();
        // Bound before returning, so the endpoint is ready without any waiting by the caller.
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).map_err(Error::Bind)?;
        listener.set_nonblocking(true).map_err(Error::Bind)?;
        let address = listener.local_addr().map_err(Error::Bind)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let rollouts = Arc::new(Rollouts::default());
        let latency = Arc::new(Latency::default());
        let faults = Arc::new(Faults::default());
        let tokens = Arc::new(Tokens::default());
        let app = router(Arc::new(Shared {
            upstream: client,
            rollouts: Arc::clone(&rollouts),
            latency: Arc::clone(&latency),
            tokens: Arc::clone(&tokens),
            faults: Arc::clone(&faults),
            namespaces: ServiceNamespaces::default(),
            kept: KeptFields::default(),
        }));
        let thread = std::thread::Builder::new()
            .name("aws-fidelity".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    // Stops on the handle's drop; open connections end with the runtime.
                    tokio::select! {
                        _ = axum::serve(listener, app).into_future() => {}
                        _ = stopped => {}
                    }
                });
            })
            .map_err(Error::Runtime)?;
        Ok(Self {
            endpoint: format!("http://{address}"),
            upstream,
            rollouts,
            latency,
            faults,
            tokens,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The layer's endpoint (`http://127.0.0.1:PORT`): give it to clients as their AWS endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The emulator's endpoint behind the layer.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// Scripts the rollout of the ECS service named `service` (any cluster): from now on its
    /// primary deployment completes or fails as `rollout` says, counted in `DescribeServices`
    /// answers that carry it.
    pub fn play_rollout(&self, service: &str, rollout: Rollout) {
        self.rollouts.script(service, rollout);
    }

    /// Scripts the next service deployment of the ECS service named `service` (any cluster): the
    /// next `CreateService` or `UpdateService` of it starts a deployment that
    /// `ListServiceDeployments` / `DescribeServiceDeployments` answer, one lifecycle step further
    /// per `DescribeServiceDeployments` answer, ending as the script says (see
    /// [`crate::rules::deployments`]).
    pub fn play_deployment(&self, service: &str, deployment: ServiceDeployment) {
        self.rollouts.deployments().script(service, deployment);
    }

    /// Adds `delay` to every call answered from now on (zero: none), like a network round trip
    /// to AWS (see [`crate::latency`]).
    pub fn set_latency(&self, delay: std::time::Duration) {
        self.latency.set(delay);
    }

    /// Calls per operation since the start or the last [`Fidelity::reset_traffic`], with the most
    /// that were in flight at once.
    pub fn traffic(&self) -> Traffic {
        self.latency.snapshot()
    }

    /// Forgets the traffic recorded so far.
    pub fn reset_traffic(&self) {
        self.latency.reset();
    }

    /// From now on loses the answers of a seeded fraction of ECS and Cloud Map calls after the
    /// emulator acted on them (`None`: no more). The client sees the connection cut mid-answer.
    pub fn lose_answers(&self, config: Option<LostAnswers>) {
        self.faults.set_lost_answers(config);
    }

    /// How many answers were lost so far.
    pub fn lost_answers(&self) -> u64 {
        self.faults.lost()
    }

    /// How many ECS and Cloud Map write calls (creates, updates, deletes, tags) the layer has
    /// passed on so far.
    pub fn writes(&self) -> u64 {
        self.faults.writes()
    }

    /// How many creates repeating an earlier one (same idempotency token, same parameters) were
    /// answered with what the earlier one created.
    pub fn replayed_creates(&self) -> u64 {
        self.tokens.replays()
    }
}

/// What every request handler shares.
#[derive(Debug)]
struct Shared {
    upstream: Upstream,
    rollouts: Arc<Rollouts>,
    latency: Arc<Latency>,
    tokens: Arc<Tokens>,
    faults: Arc<Faults>,
    namespaces: ServiceNamespaces,
    kept: KeptFields,
}

impl Drop for Fidelity {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The proxy: every method and path goes to [`route::handle`].
fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(proxy).with_state(shared)
}

async fn proxy(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let operation = Call::from_headers(&parts.headers).map_or_else(
        || "other".to_owned(),
        |c| format!("{}.{}", c.api.signing_name(), c.operation),
    );
    let _in_flight = shared.latency.enter(operation);
    shared.latency.wait().await;
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(e) => return (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()).into_response(),
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), ToString::to_string);
    let exchange = Exchange::new(
        &shared.upstream,
        &shared.rollouts,
        &shared.namespaces,
        &shared.kept,
        parts.method,
        path,
        parts.headers,
    );
    let lose = shared.faults.on_request(exchange.headers());
    let answer = idempotency::handle(&shared.tokens, &exchange, body).await;
    if lose {
        return (answer.status, answer.headers, faults::cut_body()).into_response();
    }
    (answer.status, answer.headers, answer.body).into_response()
}
