//! Sending: one courier per target, each with its own queue, so a receiver that is down delays
//! only its own messages, never a pass or another target. A failed post is retried with
//! exponential backoff (jittered) while the failure may pass (timeouts, connection errors, 408,
//! 429, 5xx); any other answer is final.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Request, StatusCode, Uri};
use backon::{ExponentialBuilder, Retryable};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::metrics::Metrics;

/// The HTTP(S) client every courier shares.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A client that speaks HTTPS with the system's trust roots (and HTTP, which the targets allow
/// on loopback only).
///
/// # Errors
/// No trust roots could be loaded.
pub fn client() -> std::io::Result<HttpClient> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

/// How a courier retries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The first delay (doubling, jittered).
    pub first: Duration,
    /// The longest delay.
    pub max: Duration,
    /// Retries after the first attempt.
    pub retries: usize,
    /// The time limit of one attempt.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            retries: 8,
            timeout: Duration::from_secs(10),
        }
    }
}

/// One message to post.
#[derive(Debug, Clone)]
pub struct Message {
    /// Where (never logged: it may hold a credential).
    pub url: Uri,
    /// Headers besides `content-type: application/json` and `user-agent`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: Bytes,
    /// What it is, for logs (`Applied EcsService/web`).
    pub what: String,
}

/// Why a post failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Failure {
    message: String,
    retryable: bool,
}

/// Messages a courier holds at most; beyond, new ones are dropped (and counted).
const QUEUE: usize = 256;

/// Posts one target's messages in order.
#[derive(Debug, Clone)]
pub struct Courier {
    label: String,
    queue: mpsc::Sender<Message>,
    metrics: Arc<Metrics>,
}

impl Courier {
    /// Starts the courier of the target `label`.
    #[must_use]
    pub fn spawn(
        label: String,
        client: HttpClient,
        policy: RetryPolicy,
        metrics: Arc<Metrics>,
    ) -> (Self, JoinHandle<()>) {
        let (queue, mut inbox) = mpsc::channel::<Message>(QUEUE);
        let task = tokio::spawn({
            let label = label.clone();
            let metrics = Arc::clone(&metrics);
            async move {
                while let Some(message) = inbox.recv().await {
                    let result = deliver(&client, &message, policy, &label, &metrics).await;
                    match result {
                        Ok(()) => {
                            tracing::info!(target_name = %label, what = %message.what, "notified");
                            metrics.count_notification(&label, "sent");
                        }
                        Err(err) => {
                            tracing::warn!(target_name = %label, what = %message.what, error = %err, "notification not delivered");
                            metrics.count_notification(&label, "failed");
                        }
                    }
                }
            }
        });
        (
            Self {
                label,
                queue,
                metrics,
            },
            task,
        )
    }

    /// Queues `message` without waiting; a full queue (or a stopped courier) drops it.
    pub fn post(&self, message: Message) {
        let (message, why) = match self.queue.try_send(message) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(m)) => (m, "queue full"),
            // Only when the courier has ended, i.e. the controller is stopping.
            Err(mpsc::error::TrySendError::Closed(m)) => (m, "courier stopped"),
        };
        tracing::warn!(target_name = %self.label, what = %message.what, why, "notification dropped");
        self.metrics.count_notification(&self.label, "dropped");
    }
}

async fn deliver(
    client: &HttpClient,
    message: &Message,
    policy: RetryPolicy,
    label: &str,
    metrics: &Metrics,
) -> Result<(), Failure> {
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.first)
        .with_max_delay(policy.max)
        .with_max_times(policy.retries)
        .with_jitter();
    (|| attempt(client, message, policy.timeout))
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|failure: &Failure| failure.retryable)
        .notify(|failure: &Failure, after: Duration| {
            metrics.count_notification(label, "retried");
            tracing::debug!(target_name = %label, error = %failure, retry_in_ms = after.as_millis(), "notification failed; retrying");
        })
        .await
}

async fn attempt(client: &HttpClient, message: &Message, limit: Duration) -> Result<(), Failure> {
    let mut request = Request::post(message.url.clone())
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("finfocus-ecs-controller/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in &message.headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Full::new(message.body.clone()))
        .map_err(|e| Failure {
            message: format!("cannot build the request: {e}"),
            retryable: false,
        })?;
    let answer = match tokio::time::timeout(limit, client.request(request)).await {
        Err(_) => {
            return Err(Failure {
                message: format!("no answer within {limit:?}"),
                retryable: true,
            });
        }
        Ok(Err(err)) => {
            return Err(Failure {
                message: format!("cannot connect: {err}"),
                retryable: true,
            });
        }
        Ok(Ok(answer)) => answer,
    };
    let status = answer.status();
    if status.is_success() {
        return Ok(());
    }
    Err(Failure {
        message: format!("answered {status}"),
        retryable: status.is_server_error()
            || matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT
            ),
    })
}
