//! The controller's HTTP endpoints on `--listen`: health, readiness, metrics and the latest drift report.
//!
//! | path | answers |
//! |---|---|
//! | `/healthz` | 200 while the process runs |
//! | `/readyz` | 200 once the first pass completed, 503 before; with a lease, a standby answers 200 `standby` once it reached the lease table |
//! | `/metrics` | Prometheus text (OpenMetrics) |
//! | `/report` | the latest drift report: JSON, or `?format=markdown` / `?format=text`; 503 before the first pass. With a lease, the header `finfocus-lease-role` says `leader` or `standby`: a standby serves the last report it made while it led, or 503 |
//! | `/` | the status page ([`crate::ui`]); `/ui/fragment`, `/ui/style.css` and `/ui/app.js` are its parts; with `FINFOCUS_UI_TOKEN`, these and `/events` need `Authorization: Bearer <token>` or basic auth with the token as password |
//! | `/events` | Server-Sent Events: `report` each time a pass publishes a report (and once on connecting); a connection lasts at most 10 minutes (browsers reconnect) |
//! | `POST /hooks/git` | with a webhook secret and a git source: a signed push to the followed ref fetches at once (202); another ref or event 202 and ignored; GitHub's `ping` 200; a missing or wrong signature 401 and nothing happens; a body over 1 MiB 413 ([`crate::hooks`]); 404 without a secret |
//!
//! [`router`] builds the app (tests drive it with `tower::ServiceExt::oneshot`); [`serve`] runs it until
//! the shared shutdown signal, with the limits of `finfocus_serve` (the plugin's servers run the
//! same loop): a client has 10 s to send a request head (or anything at all after connecting; it
//! is also the idle timeout of a kept-alive connection), at most [`MAX_CONNECTIONS`] are held
//! (accepting one more closes the one idle longest, so `/healthz` always gets in), HTTP/2
//! connections get at most 32 streams, and a request body over [`MAX_BODY_BYTES`] is refused
//! with 413 before it is read (only the webhook takes one, up to [`crate::hooks::MAX_BODY_BYTES`]).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::net::TcpListener;

use crate::hooks::Verdict;
use crate::metrics::Metrics;
use crate::runtime::{ReportReceiver, Shutdown};

/// What the handlers read.
#[derive(Clone)]
pub struct HttpState {
    /// The newest published report.
    pub reports: ReportReceiver,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// The lease, when `run` competes for one.
    pub lease: Option<crate::lease::Gate>,
    /// The push webhook, when a secret is configured for a git source.
    pub hook: Option<Hook>,
    /// The status page.
    pub ui: Ui,
}

/// What the status page needs besides the report.
#[derive(Clone, Default)]
pub struct Ui {
    /// The controller instance.
    pub instance: String,
    /// The time between passes.
    pub resync: std::time::Duration,
    /// `FINFOCUS_UI_TOKEN`: when set, the page and its parts need it (never logged).
    pub token: Option<Arc<str>>,
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ui")
            .field("instance", &self.instance)
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .finish_non_exhaustive()
    }
}

/// What `POST /hooks/git` needs: the shared secret, the ref the source follows and how to wake it.
#[derive(Clone)]
pub struct Hook {
    /// The webhook secret (never logged).
    pub secret: Arc<[u8]>,
    /// The ref the git source follows.
    pub followed: String,
    /// Wakes the git source for a fetch.
    pub wake: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("followed", &self.followed)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for HttpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpState")
            .field("ready", &self.reports.borrow().is_some())
            .finish_non_exhaustive()
    }
}

/// Connections `--listen` holds at once.
pub use finfocus_serve::MAX_CONNECTIONS;

/// The largest request body accepted; the endpoints take none, so this only bounds what a
/// client may send before it is refused.
pub const MAX_BODY_BYTES: usize = finfocus_serve::BODYLESS_MAX_BYTES;

/// The router with every endpoint.
pub fn router(state: HttpState) -> Router {
    let reads = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/report", get(report))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ));
    let hooks = Router::new().route("/hooks/git", post(git_hook)).layer(
        tower_http::limit::RequestBodyLimitLayer::new(crate::hooks::MAX_BODY_BYTES),
    );
    let page = Router::new()
        .route("/", get(status_page))
        .route("/ui/fragment", get(status_fragment))
        .route(
            "/ui/style.css",
            get(|| async { asset("text/css; charset=utf-8", crate::ui::STYLE) }),
        )
        .route(
            "/ui/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", crate::ui::SCRIPT) }),
        )
        .route("/events", get(events))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard_page,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ));
    reads.merge(hooks).merge(page).with_state(state)
}

/// The page's policy: its own origin only (no inline script or style, no eval), never framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Checks the UI token, when there is one, and adds the page's security headers.
async fn guard_page(
    State(state): State<HttpState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(token) = &state.ui.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::hooks::credential);
        let ok = given.is_some_and(|given| {
            subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into()
        });
        if !ok {
            return (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    "Basic realm=\"finfocus-ecs\", charset=\"UTF-8\"",
                )],
                "the status page needs the token of FINFOCUS_UI_TOKEN\n",
            )
                .into_response();
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn page_of<'a>(
    state: &'a HttpState,
    report: Option<&'a crate::report::DriftReport>,
) -> crate::ui::Page<'a> {
    crate::ui::Page {
        instance: &state.ui.instance,
        resync: state.ui.resync,
        report,
    }
}

async fn status_page(State(state): State<HttpState>) -> Response {
    let view = state.reports.borrow().clone();
    let html = crate::ui::page(&page_of(&state, view.as_deref().and_then(|v| v.drift())));
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

async fn status_fragment(State(state): State<HttpState>) -> Response {
    let view = state.reports.borrow().clone();
    let html = crate::ui::fragment(&page_of(&state, view.as_deref().and_then(|v| v.drift())));
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// How long one `/events` connection lasts; the browser reconnects on its own.
const EVENTS_LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);

/// `/events`: a `report` event now and after each pass, until the loop stops or the lifetime ends.
async fn events(
    State(state): State<HttpState>,
) -> axum::response::sse::Sse<
    impl futures::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let deadline = tokio::time::Instant::now() + EVENTS_LIFETIME;
    let stream = futures::stream::unfold(
        (state.reports.clone(), true),
        move |(mut reports, first)| async move {
            if !first {
                match tokio::time::timeout_at(deadline, reports.changed()).await {
                    Ok(Ok(())) => {}
                    // The loop stopped, or this connection has lasted long enough.
                    _ => return None,
                }
            }
            let stamp = reports
                .borrow_and_update()
                .as_deref()
                .and_then(|v| v.drift().map(|r| r.generated_at.clone()))
                .unwrap_or_default();
            Some((
                Ok(Event::default().event("report").data(stamp)),
                (reports, false),
            ))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(5)))
}

/// `POST /hooks/git`: judges the request ([`crate::hooks::judge`]) and wakes the git source for a
/// signed push to the followed ref. Answers at once; the fetch and the pass follow.
async fn git_hook(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(hook) = &state.hook else {
        return (
            StatusCode::NOT_FOUND,
            "no webhook: set FINFOCUS_WEBHOOK_SECRET (or --webhook-secret-file) and follow a git repository\n",
        )
            .into_response();
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let verdict = crate::hooks::judge(header, &body, &hook.secret, &hook.followed);
    match verdict {
        Verdict::Fetch { reference, after } => {
            state.metrics.count_webhook("fetch");
            tracing::info!(reference = %reference, after = after.as_deref().unwrap_or_default(), "push webhook: fetching");
            hook.wake.notify_one();
            (StatusCode::ACCEPTED, "fetching\n").into_response()
        }
        Verdict::Ignore(why) => {
            state.metrics.count_webhook("ignored");
            tracing::debug!(reason = %why, "push webhook ignored");
            (StatusCode::ACCEPTED, format!("ignored: {why}\n")).into_response()
        }
        Verdict::Ping => {
            state.metrics.count_webhook("ping");
            (StatusCode::OK, "pong\n").into_response()
        }
        Verdict::Unauthorized => {
            state.metrics.count_webhook("unauthorized");
            tracing::warn!("push webhook refused: missing or wrong signature");
            (StatusCode::UNAUTHORIZED, "missing or wrong signature\n").into_response()
        }
    }
}

/// Serves [`router`] on `listener` until `shutdown`, then lets open requests finish.
pub async fn serve(listener: TcpListener, state: HttpState, mut shutdown: Shutdown) {
    finfocus_serve::serve(
        finfocus_serve::LimitedListener::new(listener),
        router(state),
        finfocus_serve::Limits::default(),
        async move { shutdown.wait().await },
    )
    .await;
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// The role header of `/report` under a lease.
const ROLE_HEADER: &str = "finfocus-lease-role";

/// Whether this replica leads: `None` without a lease.
fn leading(state: &HttpState) -> Option<bool> {
    state.lease.as_ref().map(|gate| gate.status().leading)
}

async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if let Some(gate) = &state.lease {
        let status = gate.status();
        if !status.leading {
            return if status.contacted {
                (StatusCode::OK, "standby\n")
            } else {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "waiting for the lease table\n",
                )
            };
        }
    }
    if state.reports.borrow().is_some() {
        (StatusCode::OK, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first reconcile pass\n",
        )
    }
}

async fn metrics(State(state): State<HttpState>) -> Response {
    match state.metrics.encode() {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cannot encode metrics\n").into_response(),
    }
}

/// `/report` query parameters.
#[derive(Debug, Deserialize)]
struct ReportQuery {
    format: Option<String>,
}

async fn report(State(state): State<HttpState>, Query(query): Query<ReportQuery>) -> Response {
    let mut response = report_body(&state, &query);
    if let Some(leading) = leading(&state) {
        response.headers_mut().insert(
            ROLE_HEADER,
            header::HeaderValue::from_static(if leading { "leader" } else { "standby" }),
        );
    }
    response
}

fn report_body(state: &HttpState, query: &ReportQuery) -> Response {
    let Some(report) = state.reports.borrow().clone() else {
        if leading(state) == Some(false) {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "standby: another replica holds the lease and this one has no report of its own\n",
            )
                .into_response();
        }
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "no report yet: the first pass has not completed\n",
        )
            .into_response();
    };
    match query.format.as_deref().unwrap_or("json") {
        "json" => ([(header::CONTENT_TYPE, "application/json")], report.json()).into_response(),
        "markdown" | "md" => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            report.markdown(),
        )
            .into_response(),
        "text" => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            report.text(),
        )
            .into_response(),
        _ => (
            StatusCode::BAD_REQUEST,
            "unknown format: use json, markdown or text\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tokio::sync::watch;
    use tower::ServiceExt;

    use super::*;
    use crate::runtime::ReportView;

    struct Fixed;

    impl ReportView for Fixed {
        fn json(&self) -> String {
            "{\"revision\":\"abc\"}".to_owned()
        }
        fn text(&self) -> String {
            "text report".to_owned()
        }
        fn markdown(&self) -> String {
            "## markdown report".to_owned()
        }
    }

    fn state(ready: bool) -> (HttpState, watch::Sender<Option<Arc<dyn ReportView>>>) {
        let initial: Option<Arc<dyn ReportView>> =
            ready.then(|| Arc::new(Fixed) as Arc<dyn ReportView>);
        let (tx, rx) = watch::channel(initial);
        let metrics = Arc::new(Metrics::new());
        metrics
            .reconcile
            .count("EcsService", crate::metrics::ReconcileResult::InSync);
        (
            HttpState {
                reports: rx,
                metrics,
                lease: None,
                hook: None,
                ui: Ui::default(),
            },
            tx,
        )
    }

    async fn get(state: &HttpState, uri: &str) -> (StatusCode, String, String) {
        let response = router(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    async fn post_hook(state: &HttpState, headers: &[(&str, String)], body: &str) -> StatusCode {
        let mut request = Request::post("/hooks/git");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        router(state.clone())
            .oneshot(request.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap()
            .status()
    }

    async fn get_with(state: &HttpState, uri: &str, auth: Option<&str>) -> Response {
        let mut request = Request::get(uri);
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        router(state.clone())
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_status_page_is_served_with_its_security_headers() {
        let (state, _tx) = state(true);
        for (uri, content_type) in [
            ("/", "text/html; charset=utf-8"),
            ("/ui/fragment", "text/html; charset=utf-8"),
            ("/ui/style.css", "text/css; charset=utf-8"),
            ("/ui/app.js", "text/javascript; charset=utf-8"),
        ] {
            let response = get_with(&state, uri, None).await;
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            let headers = response.headers();
            assert_eq!(headers[header::CONTENT_TYPE], content_type, "{uri}");
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(csp.starts_with("default-src 'self'"), "{csp}");
            assert!(
                csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"),
                "{csp}"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff");
        }
        let (_, _, page) = get(&state, "/").await;
        assert!(page.contains("<main id=\"main\">"), "{page}");
    }

    #[tokio::test]
    async fn a_ui_token_guards_the_page_but_not_health_or_metrics() {
        use base64::Engine as _;
        let (mut state, _tx) = state(true);
        state.ui.token = Some(Arc::from("t0ken"));
        for uri in ["/", "/ui/fragment", "/ui/app.js", "/events"] {
            let refused = get_with(&state, uri, None).await;
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{uri}");
            assert!(
                refused.headers()[header::WWW_AUTHENTICATE]
                    .to_str()
                    .unwrap()
                    .starts_with("Basic ")
            );
            let wrong = get_with(&state, uri, Some("Bearer nope")).await;
            assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{uri}");
        }
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("anyone:t0ken")
        );
        for auth in ["Bearer t0ken", basic.as_str()] {
            assert_eq!(
                get_with(&state, "/", Some(auth)).await.status(),
                StatusCode::OK,
                "{auth}"
            );
        }
        assert_eq!(
            get_with(&state, "/healthz", None).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            get_with(&state, "/metrics", None).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn events_announce_a_report_at_once_and_after_each_pass() {
        let (state, tx) = state(true);
        let response = get_with(&state, "/events", None).await;
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        let mut body = response.into_body().into_data_stream();
        use futures::StreamExt as _;
        let first = body.next().await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).contains("event: report"));
        tx.send_replace(Some(Arc::new(Fixed)));
        let next = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&next).contains("event: report"));
        // The stream ends when the loop stops publishing.
        drop(tx);
        let end = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .unwrap();
        assert!(end.is_none());
    }

    #[tokio::test]
    async fn the_webhook_wakes_the_source_only_for_a_signed_push() {
        let (mut state, _tx) = state(true);
        let body = r#"{"ref":"refs/heads/main","after":"abc"}"#;
        let signed = crate::hooks::github_signature(body.as_bytes(), b"k");
        let push = [
            ("x-github-event", "push".to_owned()),
            ("x-hub-signature-256", signed),
        ];
        // No secret configured: no webhook.
        assert_eq!(post_hook(&state, &push, body).await, StatusCode::NOT_FOUND);

        let wake = Arc::new(tokio::sync::Notify::new());
        state.hook = Some(Hook {
            secret: Arc::from(b"k".as_slice()),
            followed: "main".into(),
            wake: Arc::clone(&wake),
        });
        let unsigned = [("x-github-event", "push".to_owned())];
        assert_eq!(
            post_hook(&state, &unsigned, body).await,
            StatusCode::UNAUTHORIZED
        );
        // Nothing was woken: a permit would be waiting.
        let woken = tokio::time::timeout(std::time::Duration::ZERO, wake.notified());
        assert!(woken.await.is_err());
        assert_eq!(post_hook(&state, &push, body).await, StatusCode::ACCEPTED);
        wake.notified().await;
        let text = state.metrics.encode().unwrap();
        assert!(
            text.contains("finfocus_controller_webhooks_total{result=\"fetch\"} 1"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_request_body_over_the_limit_is_refused_before_it_is_read() {
        let (state, _tx) = state(true);
        let request = |len: usize| {
            Request::get("/healthz")
                .header(header::CONTENT_LENGTH, len)
                .body(Body::from(vec![b'x'; len]))
                .unwrap()
        };
        let small = router(state.clone()).oneshot(request(16)).await.unwrap();
        assert_eq!(small.status(), StatusCode::OK);
        let large = router(state)
            .oneshot(request(MAX_BODY_BYTES + 1))
            .await
            .unwrap();
        assert_eq!(large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn health_is_always_ok_and_readiness_follows_the_first_report() {
        let (state, tx) = state(false);
        assert_eq!(get(&state, "/healthz").await.0, StatusCode::OK);
        assert_eq!(
            get(&state, "/readyz").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            get(&state, "/report").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        tx.send_replace(Some(Arc::new(Fixed)));
        assert_eq!(get(&state, "/readyz").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn report_is_served_in_each_format() {
        let (state, _tx) = state(true);
        let (status, ct, body) = get(&state, "/report").await;
        assert_eq!(
            (status, ct.as_str(), body.as_str()),
            (StatusCode::OK, "application/json", "{\"revision\":\"abc\"}")
        );
        let (_, ct, body) = get(&state, "/report?format=markdown").await;
        assert!(ct.starts_with("text/markdown"));
        assert_eq!(body, "## markdown report");
        let (_, ct, body) = get(&state, "/report?format=text").await;
        assert!(ct.starts_with("text/plain"));
        assert_eq!(body, "text report");
        assert_eq!(
            get(&state, "/report?format=xml").await.0,
            StatusCode::BAD_REQUEST
        );
    }

    #[tokio::test]
    async fn metrics_are_prometheus_text() {
        let (state, _tx) = state(true);
        let (status, ct, body) = get(&state, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(ct.starts_with("application/openmetrics-text"));
        assert!(
            body.contains(
                "finfocus_controller_reconcile_total{kind=\"EcsService\",result=\"in_sync\"} 1"
            ),
            "{body}"
        );
        assert!(body.ends_with("# EOF\n"));
    }

    #[tokio::test]
    async fn a_standby_says_so_on_readyz_and_report() {
        use crate::lease::{Gate, Status};
        let (mut state, reports) = state(false);
        let (lease, rx) = watch::channel(Status::default());
        state.lease = Some(Gate::new(rx, std::time::Duration::from_secs(1)));
        assert_eq!(
            get(&state, "/readyz").await.0,
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready before reaching the lease table"
        );
        lease.send_replace(Status {
            contacted: true,
            ..Status::default()
        });
        assert_eq!(
            get(&state, "/readyz").await,
            (
                StatusCode::OK,
                "text/plain; charset=utf-8".to_owned(),
                "standby\n".to_owned()
            )
        );
        let response = router(state.clone())
            .oneshot(Request::get("/report").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[ROLE_HEADER], "standby");

        // A report of its own (from an earlier lead) is served, marked as a standby's.
        reports.send_replace(Some(Arc::new(Fixed)));
        let response = router(state.clone())
            .oneshot(Request::get("/report").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[ROLE_HEADER], "standby");

        lease.send_replace(Status {
            contacted: true,
            leading: true,
            until: Some(tokio::time::Instant::now() + std::time::Duration::from_secs(60)),
        });
        let response = router(state.clone())
            .oneshot(Request::get("/report").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.headers()[ROLE_HEADER], "leader");
        assert_eq!(get(&state, "/readyz").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn serve_stops_on_shutdown() {
        let (state, _tx) = state(true);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (trigger, shutdown) = Shutdown::channel();
        let server = tokio::spawn(serve(listener, state, shutdown));
        trigger.trigger();
        tokio::time::timeout(std::time::Duration::from_secs(5), server)
            .await
            .expect("the server stops within 5s")
            .unwrap();
    }
}
