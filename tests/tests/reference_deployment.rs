//! The reference deployment the controller applies (`manifests/plugin/`) and the image it runs
//! (`Dockerfile`, `plugin/healthcheck.sh`) must describe the plugin as it really is: the same 13
//! ports, each regional port serving the region DESIGN.md fixes for it, the health check script
//! the image installs, and only environment variables the plugin reads.
//!
//! The last test starts the real `serve-all`, asks each port the manifest declares (shifted to
//! a free block) which region it serves, then kills the supervisor outright and checks that no
//! region outlives it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests fail loudly on purpose"
)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use finfocus_ecs_controller::manifest::{self, ResourceSpec};
use finfocus_ecs_controller::taskdef::ContainerDefinition;
use finfocus_plugin_aws_public::proto::v1::GetPluginInfoRequest;
use finfocus_plugin_aws_public::proto::v1::cost_source_service_client::CostSourceServiceClient;
use finfocus_plugin_aws_public::region::Region;
use finfocus_plugin_aws_public::{telemetry, web};

/// The aggregator's port in the image.
const METRICS_PORT: i32 = 9090;
/// The first regional port in the image.
const BASE_PORT: i32 = 8001;
const READY_TIMEOUT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The plugin container of the reference deployment, parsed by the controller itself.
fn plugin_container() -> ContainerDefinition {
    let loaded = manifest::load(&[repo().join("manifests/plugin")]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let service = loaded
        .set
        .resources()
        .iter()
        .find_map(|r| match &r.spec {
            ResourceSpec::Service(spec) => Some(spec.clone()),
            _ => None,
        })
        .expect("an EcsService in manifests/plugin");
    let mut containers = service.task_definition.container_definitions;
    assert_eq!(containers.len(), 1, "one container: the multi-region image");
    containers.remove(0)
}

fn declared_ports(container: &ContainerDefinition) -> BTreeSet<i32> {
    container
        .port_mappings
        .iter()
        .flatten()
        .filter_map(|m| m.container_port)
        .collect()
}

#[test]
fn manifest_ports_are_the_plugin_regions_and_the_aggregator() {
    let ports = declared_ports(&plugin_container());
    let mut expected: BTreeSet<i32> = Region::ALL
        .iter()
        .map(|r| BASE_PORT + i32::from(r.port_offset()))
        .collect();
    expected.insert(METRICS_PORT);
    assert_eq!(ports, expected);
    assert_eq!(ports.len(), 13);
}

#[test]
fn image_exposes_the_manifest_ports_and_installs_its_health_check() {
    let container = plugin_container();
    let command = container
        .health_check
        .expect("a container health check")
        .command;
    assert_eq!(command, ["CMD-SHELL", "/healthcheck.sh"]);

    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("plugin/healthcheck.sh /healthcheck.sh"),
        "the plugin image installs /healthcheck.sh"
    );
    assert!(dockerfile.contains("EXPOSE 8001-8012 9090"));
    assert!(repo().join("plugin/healthcheck.sh").is_file());
}

#[test]
fn manifest_sets_only_variables_the_plugin_reads() {
    let known = [
        telemetry::LOG_LEVEL_ENV,
        web::WEB_ENABLED_ENV,
        web::HEALTH_ENDPOINT_ENV,
        web::CORS_ORIGINS_ENV,
        web::CORS_CREDENTIALS_ENV,
        web::MAX_BODY_ENV,
        web::REQUEST_TIMEOUT_ENV,
    ];
    let names: Vec<String> = plugin_container()
        .environment
        .into_iter()
        .flatten()
        .map(|kv| kv.name)
        .collect();
    assert!(!names.is_empty());
    for name in names {
        assert!(
            known.contains(&name.as_str()),
            "{name} is not read by the plugin"
        );
    }
}

/// The plugin binary built beside this test (`cargo test --workspace` builds it), or
/// `FINFOCUS_PLUGIN_BIN`.
fn plugin_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("FINFOCUS_PLUGIN_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = dir.join("finfocus-plugin-aws-public");
    assert!(
        bin.is_file(),
        "{} missing: run `cargo test --workspace` (or build the plugin first)",
        bin.display()
    );
    bin
}

/// A free block of 13 loopback ports, checked by binding each.
fn free_port_block() -> u16 {
    let start = 30_000 + u16::try_from(std::process::id() % 2_000).unwrap() * 13;
    (0..200u16)
        .map(|i| start.wrapping_add(i * 13) % 30_000 + 20_000)
        .find(|&base| (0..13).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()))
        .expect("a free block of 13 ports")
}

struct Supervisor(Child);

impl Drop for Supervisor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_declared_port_serves_its_region() {
    let base = free_port_block();
    let shift = i32::from(base) - BASE_PORT;
    let mut child = Command::new(plugin_bin())
        .args(["serve-all", "--bind", "127.0.0.1"])
        .args(["--base-port", &base.to_string()])
        .args(["--metrics-port", &(METRICS_PORT + shift).to_string()])
        .env("FINFOCUS_LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut supervisor = Supervisor(child);

    // Readiness: the supervisor prints ALL_READY once every region answers.
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("serve-all ready in time");
        if line.starts_with("ALL_READY") {
            break;
        }
    }

    let ports = declared_ports(&plugin_container());
    for port in ports.into_iter().filter(|&p| p != METRICS_PORT) {
        let offset = u16::try_from(port - BASE_PORT).unwrap();
        let expected = Region::ALL
            .into_iter()
            .find(|r| r.port_offset() == offset)
            .unwrap();
        let url = format!("http://127.0.0.1:{}", port + shift);
        let mut client = CostSourceServiceClient::connect(url).await.unwrap();
        let info = client
            .get_plugin_info(GetPluginInfoRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            info.metadata.get("region").map(String::as_str),
            Some(expected.code()),
            "port {port} of the manifest"
        );
    }

    // A supervisor killed outright (no SIGTERM to forward) must not leave regions running.
    supervisor.0.kill().unwrap();
    supervisor.0.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    for offset in 0..12u16 {
        while TcpStream::connect(("127.0.0.1", base + offset)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "region on port {} outlived the supervisor",
                base + offset
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
