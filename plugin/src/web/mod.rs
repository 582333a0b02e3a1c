//! Web mode: everything a regional port speaks besides plain gRPC, on the same port.
//!
//! [`wrap`] takes the server's gRPC router and returns one router that dispatches by request:
//! - `Content-Type: application/grpc*` goes to gRPC, through the gRPC-Web translation
//!   (`tonic-web`), so browsers' gRPC-Web calls reach the same service;
//! - anything else goes to the HTTP side: Connect unary on the service's paths
//!   ([`connect`]), `/healthz` (GET/HEAD), `/metrics` (Prometheus/OpenMetrics text) and `/`, a
//!   small page to price a resource by hand. Other paths answer 404.
//!
//! Around everything: CORS from [`WebConfig`] (preflights answered) and request metrics by
//! method ([`crate::metrics::PluginMetrics`]). The HTTP side has a body size limit (413) and a
//! request timeout; bad input answers 4xx and never reaches the service undecoded.

mod config;
mod connect;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use tower::{Layer as _, Service, ServiceBuilder, ServiceExt as _};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use config::{
    AllowedOrigins, CORS_CREDENTIALS_ENV, CORS_ORIGINS_ENV, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_REQUEST_TIMEOUT, HEALTH_ENDPOINT_ENV, MAX_BODY_ENV, REQUEST_TIMEOUT_ENV,
    WEB_ENABLED_ENV, WebConfig, WebConfigError, parse_bool, parse_duration, parse_origins,
};

use crate::metrics::{PluginMetrics, Protocol, method_label};
use crate::region::Region;

/// Fully qualified name of the FinFocus service.
pub const SERVICE_NAME: &str = "finfocus.v1.CostSourceService";

/// Path prefix of the service's methods: `/finfocus.v1.CostSourceService/`.
pub const SERVICE_PATH_PREFIX: &str = "/finfocus.v1.CostSourceService/";

/// The outcome of an RPC as a Connect code name, left on a response by the Connect side so
/// the metrics layer can count it without re-parsing the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RpcCode(pub &'static str);

/// Why the web mode could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The settings in the environment are invalid.
    #[error("invalid web settings")]
    Config(#[source] WebConfigError),
    /// The embedded descriptor set does not decode.
    #[error("cannot read the embedded protobuf descriptor set")]
    Descriptors(#[source] prost_reflect::DescriptorError),
    /// The descriptor set lacks the service.
    #[error("the embedded descriptor set has no service {SERVICE_NAME}")]
    MissingService,
}

/// What the web side knows about the process it runs in.
#[derive(Debug, Clone)]
pub struct WebContext {
    /// The region this process serves (shown on the page).
    pub region: Region,
    /// Rows per service of the loaded price table (exported as metrics).
    pub table_sizes: Vec<(&'static str, usize)>,
}

/// [`wrap`] with the settings of the process environment ([`WebConfig::from_env`]).
pub fn wrap_from_env(grpc: Router, context: WebContext) -> Result<Router, WebError> {
    let config = WebConfig::from_env().map_err(WebError::Config)?;
    wrap(grpc, context, &config)
}

/// Adds the web mode around `grpc` (the server's router of tonic services). With web mode
/// disabled the router is returned unchanged: gRPC only, no HTTP endpoints.
pub fn wrap(grpc: Router, context: WebContext, config: &WebConfig) -> Result<Router, WebError> {
    if !config.enabled {
        return Ok(grpc);
    }
    let pool = prost_reflect::DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
        .map_err(WebError::Descriptors)?;
    let connect = connect::Connect::new(
        pool,
        SERVICE_NAME,
        grpc.clone(),
        config.max_body_bytes,
        config.request_timeout,
    )
    .ok_or(WebError::MissingService)?;
    let metrics = Arc::new(PluginMetrics::new(&context.table_sizes));

    let mut pages = Router::new()
        .route("/", get(page))
        .with_state(Arc::new(render_page(context.region)))
        .merge(
            Router::new()
                .route("/metrics", get(metrics_text))
                .with_state(metrics.clone()),
        );
    if config.health_endpoint {
        pages = pages.route("/healthz", get(healthz));
    }
    let pages = pages.layer(
        ServiceBuilder::new()
            .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                config.request_timeout,
            )),
    );
    let web = pages
        .route(
            "/finfocus.v1.CostSourceService/{method}",
            any(connect::handle).with_state(Arc::new(connect)),
        )
        .fallback(not_found);

    let switch = Switch {
        grpc: tonic_web::GrpcWebLayer::new().layer(grpc),
        web,
    };
    let service = ServiceBuilder::new()
        .layer(cors_layer(config))
        .layer(middleware::from_fn_with_state(metrics, track))
        .service(switch);
    Ok(Router::new().fallback_service(service))
}

/// The CORS policy: the configured origins, the methods and headers gRPC-Web and Connect
/// clients send, and the gRPC status headers they must read.
fn cors_layer(config: &WebConfig) -> CorsLayer {
    let origins = match &config.cors_origins {
        AllowedOrigins::Any => AllowOrigin::any(),
        AllowedOrigins::List(list) => AllowOrigin::list(list.iter().cloned()),
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_credentials(config.cors_allow_credentials)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            HeaderName::from_static("connect-protocol-version"),
            HeaderName::from_static("connect-timeout-ms"),
            HeaderName::from_static("grpc-timeout"),
            HeaderName::from_static("x-grpc-web"),
            HeaderName::from_static("x-user-agent"),
            HeaderName::from_static(crate::telemetry::TRACE_ID_HEADER),
        ])
        .expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
        ])
        .max_age(std::time::Duration::from_secs(2 * 60 * 60))
}

/// Whether a request is gRPC or gRPC-Web (by its content type).
fn is_grpc(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

fn protocol_of(request: &Request) -> Protocol {
    match request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(HeaderValue::as_bytes)
    {
        Some(ct) if ct.starts_with(b"application/grpc-web") => Protocol::GrpcWeb,
        Some(ct) if ct.starts_with(b"application/grpc") => Protocol::Grpc,
        _ => Protocol::Connect,
    }
}

/// The code of a finished RPC: from the Connect side's marker, else from a trailers-only gRPC
/// answer (`grpc-status` in the headers), else from the HTTP status.
fn outcome_code(response: &Response) -> &'static str {
    if let Some(RpcCode(code)) = response.extensions().get::<RpcCode>() {
        return code;
    }
    if let Some(status) = response.headers().get("grpc-status") {
        let code = std::str::from_utf8(status.as_bytes())
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .map_or(tonic::Code::Unknown, tonic::Code::from);
        return connect::code_name(code);
    }
    if response.status().is_success() {
        "ok"
    } else {
        "unknown"
    }
}

/// Counts and times the service's RPCs, whatever their protocol.
async fn track(
    State(metrics): State<Arc<PluginMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(method) = request.uri().path().strip_prefix(SERVICE_PATH_PREFIX) else {
        return next.run(request).await;
    };
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let method = method_label(method);
    let protocol = protocol_of(&request);
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe(method, protocol, outcome_code(&response), started.elapsed());
    response
}

/// Dispatches a request to gRPC (and gRPC-Web) or to the HTTP side.
#[derive(Clone)]
struct Switch {
    grpc: tonic_web::GrpcWebService<Router>,
    web: Router,
}

impl Service<Request> for Switch {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Both sides are routers, which are always ready; each call uses a fresh clone.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if is_grpc(&request) {
            let grpc = self.grpc.clone();
            Box::pin(async move {
                let response = grpc.oneshot(request).await?;
                Ok(response.map(axum::body::Body::new))
            })
        } else {
            let web = self.web.clone();
            Box::pin(async move { web.oneshot(request).await })
        }
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

async fn healthz() -> Response {
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        "ok\n",
    )
        .into_response()
}

async fn metrics_text(State(metrics): State<Arc<PluginMetrics>>) -> Response {
    match metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The page, with this process's region filled in.
fn render_page(region: Region) -> String {
    include_str!("page.html").replace("{{REGION}}", region.code())
}

async fn page(State(html): State<Arc<String>>) -> Response {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                     connect-src 'self'; form-action 'none'; frame-ancestors 'none'",
                ),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        Html(html.as_str().to_owned()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn page_names_the_region_and_loads_nothing_external() {
        let html = render_page(Region::EuWest1);
        assert!(html.contains("eu-west-1"));
        assert!(!html.contains("{{REGION}}"));
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("src="));
    }

    #[test]
    fn every_type_the_page_offers_is_supported() {
        let html = render_page(Region::UsEast1);
        let mut offered = 0;
        for marker in ["data-type=\"", "<option value=\""] {
            for piece in html.split(marker).skip(1) {
                let resource_type = piece.split('"').next().unwrap();
                if resource_type.is_empty() {
                    continue;
                }
                assert!(
                    crate::estimate::supports(resource_type).is_ok(),
                    "{resource_type} is offered but not supported"
                );
                offered += 1;
            }
        }
        assert!(offered >= 20, "{offered}");
        for new in [
            "aws:ecs/taskDefinition:TaskDefinition",
            "aws:ecs/service:Service",
            "aws:lb/loadBalancer:LoadBalancer",
            "aws:elb/loadBalancer:LoadBalancer",
        ] {
            assert!(html.contains(new), "{new}");
        }
    }

    #[test]
    fn every_example_on_the_page_prices() {
        let html = render_page(Region::UsEast1);
        let table = crate::pricing::PriceTable::load(Region::UsEast1).unwrap();
        let attr = |piece: &str, name: &str| -> String {
            let start = piece.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            let len = piece[start..].find('"').unwrap();
            piece[start..start + len].to_owned()
        };
        let mut examples = 0;
        for piece in html.split("<option data-type=").skip(1) {
            let piece = format!("data-type={piece}");
            let resource_type = attr(&piece, "data-type");
            let sku = attr(&piece, "data-sku");
            // The page sends one key=value per line, split at the first '='.
            let tags: std::collections::HashMap<String, String> = attr(&piece, "data-tags")
                .split("&#10;")
                .filter_map(|line| line.split_once('='))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect();
            let query = crate::estimate::Query {
                resource_type: &resource_type,
                sku: &sku,
                region: "us-east-1",
                tags: &tags,
                utilization: None,
                prose: true,
            };
            let priced = crate::estimate::estimate(&table, &query);
            assert!(
                priced.as_ref().is_ok_and(|e| e.cost_per_month > 0.0),
                "{resource_type} {tags:?}: {priced:?}"
            );
            examples += 1;
        }
        assert!(examples >= 7, "{examples}");
    }

    #[test]
    fn grpc_and_web_requests_are_told_apart() {
        let req = |ct: &str| {
            Request::builder()
                .header(header::CONTENT_TYPE, ct)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        assert!(is_grpc(&req("application/grpc")));
        assert!(is_grpc(&req("application/grpc+proto")));
        assert!(is_grpc(&req("application/grpc-web-text")));
        assert!(!is_grpc(&req("application/json")));
        assert_eq!(
            protocol_of(&req("application/grpc-web+proto")),
            Protocol::GrpcWeb
        );
        assert_eq!(protocol_of(&req("application/grpc")), Protocol::Grpc);
        assert_eq!(protocol_of(&req("application/json")), Protocol::Connect);
    }
}
