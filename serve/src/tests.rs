#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::routing::get;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::*;

const TIMEOUT: Duration = Duration::from_millis(400);

struct Server {
    addr: SocketAddr,
    /// Notified when a request to `/slow` reaches its handler.
    entered: Arc<tokio::sync::Notify>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

async fn start() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let entered = Arc::new(tokio::sync::Notify::new());
    let notify = Arc::clone(&entered);
    let router = Router::new().route("/", get(|| async { "ok" })).route(
        "/slow",
        get(move || async move {
            notify.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            "slow"
        }),
    );
    let limits = Limits {
        header_read_timeout: TIMEOUT,
        http2_max_concurrent_streams: 7,
        ..Limits::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, limits, async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        entered,
        stop: Some(stop),
        task,
    }
}

/// Reads until the server closes the connection (bounded); returns what was read and when the
/// close came.
async fn read_until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("the server closes the connection within 10 s")
        .ok();
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let server = start().await;
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let (read, after) = read_until_closed(&mut silent).await;
    assert!(read.is_empty(), "{read}");
    assert!(after >= TIMEOUT - Duration::from_millis(50), "{after:?}");
}

#[tokio::test]
async fn half_a_request_line_is_closed_after_the_header_timeout() {
    let server = start().await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HT").await.unwrap();
    let (read, after) = read_until_closed(&mut slow).await;
    // hyper answers 408 to a head that timed out, or just closes.
    assert!(
        read.is_empty() || read.starts_with("HTTP/1.1 408"),
        "{read}"
    );
    assert!(after >= TIMEOUT - Duration::from_millis(50), "{after:?}");
}

#[tokio::test]
async fn a_request_in_time_is_answered_and_an_idle_keep_alive_connection_is_closed() {
    let server = start().await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (read, after) = read_until_closed(&mut client).await;
    assert!(read.starts_with("HTTP/1.1 200"), "{read}");
    assert!(read.ends_with("ok"), "{read}");
    // Kept alive after the answer, then closed once idle for the header timeout.
    assert!(after >= TIMEOUT - Duration::from_millis(50), "{after:?}");
}

#[tokio::test]
async fn http2_connections_are_offered_the_stream_limit() {
    let server = start().await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    // The client preface and an empty SETTINGS frame (RFC 9113, section 3.4).
    client
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let mut head = [0u8; 9];
    client.read_exact(&mut head).await.unwrap();
    assert_eq!(head[3], 0x4, "the server's first frame is SETTINGS");
    let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
    let mut payload = vec![0u8; len];
    client.read_exact(&mut payload).await.unwrap();
    let settings: Vec<(u16, u32)> = payload
        .chunks_exact(6)
        .map(|s| {
            (
                u16::from_be_bytes([s[0], s[1]]),
                u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
            )
        })
        .collect();
    // SETTINGS_MAX_CONCURRENT_STREAMS is 0x3.
    assert!(settings.contains(&(0x3, 7)), "{settings:?}");
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_and_then_returns() {
    let mut server = start().await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    client
        .write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    server.entered.notified().await;
    server.stop.take().unwrap().send(()).unwrap();
    let (answer, _) = read_until_closed(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("slow"), "{answer}");
    tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("serve returns once the connection is done")
        .unwrap();
    assert!(TcpStream::connect(server.addr).await.is_err());
}
