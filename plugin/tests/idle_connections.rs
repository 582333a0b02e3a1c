//! Slow clients against a regional port (issue 30, finding 5): with the process limited to 256
//! file descriptors, 300 connections that send nothing must not keep the image's health check
//! (`plugin/healthcheck.sh`) from passing, a gRPC client still gets answers, and the idle
//! connections are closed after the header read timeout.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::{BIN, Plugin};
use finfocus_plugin_aws_public::proto::v1::NameRequest;

const IDLE: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_check_passes_beside_300_idle_connections_at_256_descriptors() {
    let mut cmd = common::command("sh");
    // `ulimit -n` as in the report; `exec` keeps the plugin's PID the shell's.
    cmd.args(["-c", "ulimit -n 256 && exec \"$0\" \"$@\"", BIN]);
    let plugin = Plugin::spawn(cmd).unwrap_or_else(|f| panic!("plugin did not start: {f:#?}"));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", plugin.pid())).unwrap();
    assert!(
        limits
            .lines()
            .any(|l| l.starts_with("Max open files") && l.contains(" 256 ")),
        "{limits}"
    );

    let opened = std::time::Instant::now();
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|_| TcpStream::connect(("127.0.0.1", plugin.port)).unwrap())
        .collect();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/healthcheck.sh");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("sh")
            .arg(script)
            .env("FINFOCUS_HEALTHCHECK_PORTS", plugin.port.to_string())
            .env("FINFOCUS_HEALTHCHECK_BIN", BIN)
            .env("FINFOCUS_HEALTHCHECK_TIMEOUT", "2")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "health check failed beside {IDLE} idle connections: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut client = plugin.client().await;
    let answer = tokio::time::timeout(Duration::from_secs(10), client.name(NameRequest {}))
        .await
        .expect("a gRPC answer within 10 s");
    assert!(answer.is_ok(), "{answer:?}");

    // Connections that never sent a byte are closed once the header read timeout passes, so
    // they do not hold descriptors until newcomers push them out.
    let deadline = opened + finfocus_serve::DEFAULT_HEADER_READ_TIMEOUT + Duration::from_secs(5);
    let still_open = tokio::task::spawn_blocking(move || {
        idle.into_iter()
            .filter(|mut s| {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
                    .unwrap();
                let mut buf = [0u8; 64];
                matches!(
                    std::io::Read::read(&mut s, &mut buf),
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
                )
            })
            .count()
    })
    .await
    .unwrap();
    assert_eq!(
        still_open, 0,
        "idle connections still open after the header timeout"
    );
}
