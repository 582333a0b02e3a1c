//! The web mode of a regional port, against the real binary on 127.0.0.1: Connect JSON,
//! gRPC-Web, `/healthz`, `/metrics`, the HTML page, CORS, and HTTP bad input (405, 415, 413,
//! 400, garbage) that must never take the process down.
//!
//! Requests are written by hand over a `TcpStream` (HTTP/1.1, `Connection: close`), so the
//! tests can send exactly the malformed input a hostile client would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests fail loudly on purpose"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use finfocus_plugin_aws_public::pricing::{PriceTable, Service};
use finfocus_plugin_aws_public::proto::v1::NameResponse;
use finfocus_plugin_aws_public::region::Region;
use prost::Message as _;

const BIN: &str = env!("CARGO_BIN_EXE_finfocus-plugin-aws-public");
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const IO_TIMEOUT: Duration = Duration::from_secs(10);
const SERVICE: &str = "/finfocus.v1.CostSourceService";

/// A regional server started like the FinFocus host starts it, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a process that never printed `PORT=` left behind.
#[derive(Debug)]
struct Refused {
    status: ExitStatus,
    stderr: String,
}

fn lines_of(reader: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Starts `serve --region <region> --port 0` with only `env` in its environment.
fn try_start(region: Region, env: &[(&str, &str)]) -> Result<Server, Refused> {
    let mut child = Command::new(BIN)
        .args(["serve", "--region", region.code(), "--port", "0"])
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the plugin");
    let stdout = lines_of(child.stdout.take().unwrap());
    let stderr_lines = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let sink = stderr_lines.clone();
        let stderr = lines_of(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in stderr {
                sink.lock().unwrap().push(line);
            }
        });
    }
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match stdout.recv_timeout(left) {
            Ok(line) => {
                if let Some(port) = line.strip_prefix("PORT=") {
                    return Ok(Server {
                        child,
                        port: port.trim().parse().unwrap(),
                    });
                }
            }
            Err(_) => {
                // stdout closed (the process exited) or the bound elapsed.
                let status = match child.try_wait().unwrap() {
                    Some(status) => status,
                    None if Instant::now() < deadline => child.wait().unwrap(),
                    None => {
                        let _ = child.kill();
                        panic!("no PORT= line within {READY_TIMEOUT:?}");
                    }
                };
                // Give the stderr reader a moment to drain the closed pipe.
                let drain_deadline = Instant::now() + Duration::from_secs(5);
                while Instant::now() < drain_deadline && Arc::strong_count(&stderr_lines) > 1 {
                    std::thread::sleep(Duration::from_millis(10));
                }
                let stderr = stderr_lines.lock().unwrap().join("\n");
                return Err(Refused { status, stderr });
            }
        }
    }
}

fn start(env: &[(&str, &str)]) -> Server {
    try_start(Region::UsEast1, env).expect("the plugin starts")
}

/// An HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Decodes a chunked body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = std::str::from_utf8(&raw[..eol]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
}

/// Sends raw bytes, reads until the server closes, parses the answer.
fn exchange(port: u16, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    // The server may answer (413) before reading everything; a failed write is then expected.
    let _ = stream.write_all(request);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(&raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

/// A request with `Connection: close`, the given extra header lines and body.
fn request(method: &str, path: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    if !body.is_empty() || method == "POST" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn connect_json(port: u16, method: &str, body: &str) -> Answer {
    exchange(
        port,
        &request(
            "POST",
            &format!("{SERVICE}/{method}"),
            &[
                "Content-Type: application/json",
                "Connect-Protocol-Version: 1",
            ],
            body.as_bytes(),
        ),
    )
}

fn projected_cost_body(region: &str, sku: &str) -> String {
    serde_json::json!({
        "resource": {
            "provider": "aws",
            "resourceType": "aws:ec2/instance:Instance",
            "sku": sku,
            "region": region,
        }
    })
    .to_string()
}

fn m5_large_price(region: Region) -> f64 {
    PriceTable::load(region)
        .unwrap()
        .price(Service::Ec2, "m5.large")
        .expect("m5.large is priced in every region")
}

#[test]
fn healthz_answers_get_and_head_only() {
    let server = start(&[]);
    let get = exchange(server.port, &request("GET", "/healthz", &[], b""));
    assert_eq!(get.status, 200);
    assert_eq!(get.text(), "ok\n");
    let head = exchange(server.port, &request("HEAD", "/healthz", &[], b""));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
    let post = exchange(server.port, &request("POST", "/healthz", &[], b""));
    assert_eq!(post.status, 405);
    let unknown = exchange(server.port, &request("GET", "/nothing-here", &[], b""));
    assert_eq!(unknown.status, 404);
}

#[test]
fn healthz_can_be_turned_off_without_losing_connect() {
    let server = start(&[("FINFOCUS_PLUGIN_HEALTH_ENDPOINT", "false")]);
    let get = exchange(server.port, &request("GET", "/healthz", &[], b""));
    assert_eq!(get.status, 404);
    let answer = connect_json(server.port, "Name", "{}");
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[test]
fn web_mode_off_leaves_plain_grpc() {
    let server = start(&[("FINFOCUS_PLUGIN_WEB_ENABLED", "false")]);
    let get = exchange(server.port, &request("GET", "/healthz", &[], b""));
    assert_ne!(get.text(), "ok\n");
    assert_eq!(get.header("content-type"), Some("application/grpc"));
    let answer = connect_json(server.port, "Name", "{}");
    assert_ne!(answer.header("content-type"), Some("application/json"));
    let metrics = exchange(server.port, &request("GET", "/metrics", &[], b""));
    assert!(!metrics.text().contains("finfocus_plugin"));
}

#[test]
fn connect_json_prices_a_resource_in_the_proto3_json_mapping() {
    let server = start(&[]);
    let answer = connect_json(
        server.port,
        "GetProjectedCost",
        &projected_cost_body("us-east-1", "m5.large"),
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let json = answer.json();
    assert_eq!(
        json["unitPrice"].as_f64(),
        Some(m5_large_price(Region::UsEast1))
    );
    assert_eq!(json["currency"], "USD");
    assert!(json["costPerMonth"].as_f64().unwrap() > 0.0);
    // lowerCamelCase names, enums by name.
    assert!(json.get("billingDetail").is_some(), "{json}");
    assert!(json.get("billing_detail").is_none(), "{json}");
    assert_eq!(json["pricingCategory"], "FOCUS_PRICING_CATEGORY_STANDARD");
    assert_eq!(json["metadata"]["region"], "us-east-1");

    let info = connect_json(server.port, "GetPluginInfo", "");
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.json()["metadata"]["region"], "us-east-1");
    assert!(
        info.json()["specVersion"]
            .as_str()
            .unwrap()
            .starts_with("v0.")
    );
}

#[test]
fn connect_json_recommends_and_reports_estimate_defaults() {
    let server = start(&[]);
    let body = serde_json::json!({
        "targetResources": [
            {"provider": "aws", "resourceType": "ebs", "sku": "gp2", "tags": {"size": "100"}}
        ],
        "projectionPeriod": "annual",
    });
    let answer = connect_json(server.port, "GetRecommendations", &body.to_string());
    assert_eq!(answer.status, 200, "{}", answer.text());
    let json = answer.json();
    let rec = &json["recommendations"][0];
    assert_eq!(rec["category"], "RECOMMENDATION_CATEGORY_COST");
    assert_eq!(rec["actionType"], "RECOMMENDATION_ACTION_TYPE_MODIFY");
    assert_eq!(rec["modify"]["recommendedConfig"]["volume_type"], "gp3");
    // 100 GB x (0.10 - 0.08) USD x 12 months.
    let savings = rec["impact"]["estimatedSavings"].as_f64().unwrap();
    assert!((savings - 24.0).abs() < 1e-9, "{json}");
    assert_eq!(json["summary"]["totalRecommendations"], 1);
    assert_eq!(
        json["summary"]["countByCategory"]["RECOMMENDATION_CATEGORY_COST"],
        1
    );

    let estimate = connect_json(
        server.port,
        "EstimateCost",
        r#"{"resourceType":"aws:ec2/instance:Instance"}"#,
    );
    assert_eq!(estimate.status, 200, "{}", estimate.text());
    assert!(
        estimate
            .header("x-finfocus-defaults-applied")
            .is_some_and(|v| v.starts_with("instance_type=t3.micro,")),
        "{:?}",
        estimate.headers
    );
}

#[test]
fn connect_errors_use_connect_codes_and_carry_the_error_detail() {
    let server = start(&[]);
    let other_region = connect_json(
        server.port,
        "GetProjectedCost",
        &projected_cost_body("eu-west-1", "m5.large"),
    );
    assert_eq!(other_region.status, 400, "{}", other_region.text());
    let json = other_region.json();
    assert_eq!(json["code"], "failed_precondition");
    assert!(json["message"].as_str().unwrap().contains("eu-west-1"));
    let detail = &json["details"][0];
    assert_eq!(detail["type"], "finfocus.v1.ErrorDetail");
    assert!(!detail["value"].as_str().unwrap().is_empty());
    assert_eq!(detail["debug"]["code"], "ERROR_CODE_UNSUPPORTED_REGION");

    let unknown_sku = connect_json(
        server.port,
        "GetProjectedCost",
        &projected_cost_body("us-east-1", "m99.gigantic"),
    );
    assert_eq!(unknown_sku.status, 404, "{}", unknown_sku.text());
    assert_eq!(unknown_sku.json()["code"], "not_found");

    let unimplemented = connect_json(server.port, "GetBudgets", "{}");
    assert_eq!(unimplemented.status, 501, "{}", unimplemented.text());
    assert_eq!(unimplemented.json()["code"], "unimplemented");
}

#[test]
fn bad_http_input_gets_4xx_and_never_crashes() {
    let server = start(&[]);
    let port = server.port;
    let path = format!("{SERVICE}/GetProjectedCost");

    let get = exchange(port, &request("GET", &path, &[], b""));
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));

    let text = exchange(
        port,
        &request("POST", &path, &["Content-Type: text/plain"], b"{}"),
    );
    assert_eq!(text.status, 415);
    assert!(
        text.header("accept-post")
            .unwrap()
            .contains("application/json")
    );
    assert!(
        text.json()["message"]
            .as_str()
            .unwrap()
            .contains("text/plain")
    );

    let missing = exchange(port, &request("POST", &path, &[], b"{}"));
    assert_eq!(missing.status, 415);

    // Declared too large: refused before the body is read.
    let declared = exchange(
        port,
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            (1 << 20) + 1
        )
        .as_bytes(),
    );
    assert_eq!(declared.status, 413);
    assert_eq!(declared.json()["code"], "resource_exhausted");

    // Streamed too large (chunked, no length).
    let chunk = vec![b' '; 64 * 1024];
    let mut streamed = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..20 {
        streamed.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        streamed.extend_from_slice(&chunk);
        streamed.extend_from_slice(b"\r\n");
    }
    streamed.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(exchange(port, &streamed).status, 413);

    let malformed = connect_json(port, "GetProjectedCost", r#"{"resource": {"sku": "#);
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["code"], "invalid_argument");
    let message = malformed.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("malformed JSON"), "{message}");
    assert!(message.contains("GetProjectedCostRequest"), "{message}");

    let wrong_type = connect_json(port, "GetProjectedCost", r#"{"resource": {"sku": 7}}"#);
    assert_eq!(wrong_type.status, 400, "{}", wrong_type.text());
    let not_object = connect_json(port, "GetProjectedCost", "[1,2,3]");
    assert_eq!(not_object.status, 400, "{}", not_object.text());
    let trailing = connect_json(port, "Name", "{} {}");
    assert_eq!(trailing.status, 400, "{}", trailing.text());

    let unknown = connect_json(port, "NoSuchMethod", "{}");
    assert_eq!(unknown.status, 404);

    let timeout = exchange(
        port,
        &request(
            "POST",
            &format!("{SERVICE}/Name"),
            &["Content-Type: application/json", "Connect-Timeout-Ms: soon"],
            b"{}",
        ),
    );
    assert_eq!(timeout.status, 400);

    let compressed = exchange(
        port,
        &request(
            "POST",
            &format!("{SERVICE}/Name"),
            &["Content-Type: application/json", "Content-Encoding: gzip"],
            b"{}",
        ),
    );
    assert!(compressed.status >= 400 && compressed.status < 600);

    // Not HTTP at all.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let _ = stream.write_all(b"\x00\x01garbage\r\n\r\n");
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);

    // Still serving.
    let health = exchange(port, &request("GET", "/healthz", &[], b""));
    assert_eq!(health.status, 200);
    let ok = connect_json(port, "Name", "{}");
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["name"], "aws-public");
}

#[test]
fn smaller_body_limit_from_the_environment() {
    let server = start(&[("FINFOCUS_PLUGIN_MAX_BODY_BYTES", "64")]);
    let big = format!(r#"{{"resource": {{"sku": "{}"}}}}"#, "x".repeat(100));
    assert_eq!(
        connect_json(server.port, "GetProjectedCost", &big).status,
        413
    );
    assert_eq!(connect_json(server.port, "Name", "{}").status, 200);
}

#[test]
fn cors_preflight_is_answered_for_any_origin_by_default() {
    let server = start(&[]);
    let answer = exchange(
        server.port,
        &request(
            "OPTIONS",
            &format!("{SERVICE}/GetProjectedCost"),
            &[
                "Origin: https://app.example.com",
                "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: content-type, connect-protocol-version",
            ],
            b"",
        ),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    assert!(
        answer
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    let allowed = answer.header("access-control-allow-headers").unwrap();
    assert!(allowed.contains("content-type") && allowed.contains("connect-protocol-version"));

    let simple = exchange(
        server.port,
        &request(
            "POST",
            &format!("{SERVICE}/Name"),
            &[
                "Origin: https://app.example.com",
                "Content-Type: application/json",
            ],
            b"{}",
        ),
    );
    assert_eq!(simple.status, 200);
    assert_eq!(simple.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn cors_origin_list_with_credentials() {
    let server = start(&[
        (
            "FINFOCUS_CORS_ALLOWED_ORIGINS",
            "https://app.example.com, http://localhost:3000",
        ),
        ("FINFOCUS_CORS_ALLOW_CREDENTIALS", "true"),
    ]);
    let preflight = |origin: &str| {
        exchange(
            server.port,
            &request(
                "OPTIONS",
                &format!("{SERVICE}/Name"),
                &[
                    &format!("Origin: {origin}"),
                    "Access-Control-Request-Method: POST",
                ],
                b"",
            ),
        )
    };
    let allowed = preflight("http://localhost:3000");
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(
        allowed.header("access-control-allow-credentials"),
        Some("true")
    );
    let refused = preflight("https://evil.example.com");
    assert_eq!(refused.header("access-control-allow-origin"), None);
}

#[test]
fn cors_wildcard_with_credentials_is_refused_at_start_up() {
    let refused = match try_start(
        Region::UsEast1,
        &[("FINFOCUS_CORS_ALLOW_CREDENTIALS", "true")],
    ) {
        Ok(_) => panic!("a wildcard origin with credentials must not start"),
        Err(refused) => refused,
    };
    assert!(!refused.status.success());
    assert!(
        refused.stderr.contains("FINFOCUS_CORS_ALLOWED_ORIGINS")
            && refused.stderr.contains("FINFOCUS_CORS_ALLOW_CREDENTIALS"),
        "{}",
        refused.stderr
    );
    let bad_origin = try_start(
        Region::UsEast1,
        &[("FINFOCUS_CORS_ALLOWED_ORIGINS", "app.example.com")],
    );
    assert!(bad_origin.is_err(), "an origin without a scheme is refused");
}

#[test]
fn metrics_count_requests_errors_latency_and_table_sizes() {
    let server = start(&[]);
    let port = server.port;
    assert_eq!(
        connect_json(
            port,
            "GetProjectedCost",
            &projected_cost_body("us-east-1", "m5.large")
        )
        .status,
        200
    );
    assert_eq!(
        connect_json(
            port,
            "GetProjectedCost",
            &projected_cost_body("us-east-1", "m99.gigantic")
        )
        .status,
        404
    );
    let frame = [0u8, 0, 0, 0, 0];
    let grpc_web = exchange(
        port,
        &request(
            "POST",
            &format!("{SERVICE}/Name"),
            &["Content-Type: application/grpc-web+proto", "X-Grpc-Web: 1"],
            &frame,
        ),
    );
    assert_eq!(grpc_web.status, 200);

    let answer = exchange(port, &request("GET", "/metrics", &[], b""));
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = answer.text();
    assert!(
        text.contains(
            r#"finfocus_plugin_requests_total{method="GetProjectedCost",protocol="connect"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"finfocus_plugin_requests_total{method="Name",protocol="grpc_web"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"finfocus_plugin_request_errors_total{method="GetProjectedCost",code="not_found"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"finfocus_plugin_request_duration_seconds_count{method="GetProjectedCost"} 2"#
        ),
        "{text}"
    );
    let table = PriceTable::load(Region::UsEast1).unwrap();
    for (service, rows) in table.sizes() {
        let line = format!(r#"finfocus_plugin_pricing_table_rows{{service="{service}"}} {rows}"#);
        assert!(text.contains(&line), "missing {line}");
    }
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn grpc_web_reaches_the_service_over_http1() {
    let server = start(&[]);
    let answer = exchange(
        server.port,
        &request(
            "POST",
            &format!("{SERVICE}/Name"),
            &["Content-Type: application/grpc-web+proto", "X-Grpc-Web: 1"],
            &[0, 0, 0, 0, 0],
        ),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("application/grpc-web+proto")
    );
    let body = &answer.body;
    assert_eq!(body[0], 0, "a data frame comes first");
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    let name = NameResponse::decode(&body[5..5 + len]).unwrap();
    assert_eq!(name.name, "aws-public");
    let trailers = String::from_utf8_lossy(&body[5 + len + 5..]).to_string();
    assert_eq!(body[5 + len], 0x80, "then the trailer frame");
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
}

#[test]
fn page_prices_a_resource_by_hand_without_external_assets() {
    let server = try_start(Region::EuWest1, &[]).unwrap();
    let answer = exchange(server.port, &request("GET", "/", &[], b""));
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        answer
            .header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = answer.text();
    assert!(html.contains("eu-west-1"));
    assert!(html.contains("<form"));
    assert!(html.contains("fetch(\"/finfocus.v1.CostSourceService/\""));
    assert!(html.contains("application/json"));
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "no external assets"
    );
}
