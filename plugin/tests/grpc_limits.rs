//! The regional process under held gRPC streams (issue 30, finding 4): one HTTP/2 connection
//! with 25 streams, each announcing a 4 MiB message, sending all of it but the last byte and never
//! finishing. The process's resident memory must stay bounded, and it keeps answering.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use common::Plugin;
use finfocus_plugin_aws_public::proto::v1::NameRequest;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const STREAMS: usize = 25;
const ANNOUNCED: usize = 4 << 20;
const CHUNK: usize = 64 << 10;
/// Growth allowed beyond the baseline; the unbounded server grew by about 100 MB here.
const MAX_GROWTH_KB: u64 = 30 * 1024;

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// A request body that sends what arrives on `rx` and ends only when `rx`'s sender is dropped.
fn body(rx: tokio::sync::mpsc::Receiver<Bytes>) -> Body {
    Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (Ok::<_, Infallible>(item), rx))
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_grpc_streams_do_not_grow_the_process_without_bound() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;
    // Warm: one real request, so the baseline includes what serving costs anyway.
    client.name(NameRequest {}).await.unwrap();
    let baseline = rss_kb(plugin.pid());

    let http2 = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Body>();
    let mut senders = Vec::new();
    let mut held = Vec::new();
    for _ in 0..STREAMS {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let request = http::Request::post(format!(
            "{}/finfocus.v1.CostSourceService/GetProjectedCost",
            plugin.uri()
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(body(rx))
        .unwrap();
        held.push(tokio::spawn(http2.request(request)));
        senders.push(tokio::spawn(async move {
            let mut prefix = vec![0u8];
            prefix.extend_from_slice(&u32::try_from(ANNOUNCED).unwrap().to_be_bytes());
            if tx.send(Bytes::from(prefix)).await.is_err() {
                return tx;
            }
            let chunk = Bytes::from(vec![b'x'; CHUNK]);
            let mut left = ANNOUNCED - 1;
            while left > 0 {
                let n = left.min(CHUNK);
                // The server refusing the stream drops the body: nothing more is sent.
                if tx.send(chunk.slice(..n)).await.is_err() {
                    break;
                }
                left -= n;
            }
            // The last byte is never sent; the stream stays open while `tx` lives.
            tx
        }));
    }
    // Each sender ends once the server has taken its bytes or refused them (bounded).
    let mut open = Vec::new();
    for sender in senders {
        let tx = tokio::time::timeout(Duration::from_secs(60), sender)
            .await
            .expect("the server took or refused every stream's bytes within 60 s")
            .unwrap();
        open.push(tx);
    }
    let grown = rss_kb(plugin.pid()).saturating_sub(baseline);
    eprintln!("RSS grew by {grown} kB under {STREAMS} held streams");
    assert!(
        grown < MAX_GROWTH_KB,
        "RSS grew by {grown} kB (limit {MAX_GROWTH_KB} kB)"
    );
    // The process still answers beside the held streams.
    let answer = tokio::time::timeout(Duration::from_secs(10), client.name(NameRequest {}))
        .await
        .expect("answers within 10 s");
    assert!(answer.is_ok(), "{answer:?}");
    drop(open);
    for h in held {
        h.abort();
    }
}

#[tokio::test]
async fn http2_clients_are_offered_a_small_stream_limit() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let plugin = Plugin::start(&[], &[]);
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", plugin.port))
        .await
        .unwrap();
    // The HTTP/2 client preface and an empty SETTINGS frame (RFC 9113, section 3.4); the
    // server's first frame is its SETTINGS.
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let mut head = [0u8; 9];
    tcp.read_exact(&mut head).await.unwrap();
    assert_eq!(head[3], 0x4, "SETTINGS first");
    let mut payload = vec![0u8; usize::from(head[1]) << 8 | usize::from(head[2])];
    tcp.read_exact(&mut payload).await.unwrap();
    let streams = payload
        .chunks_exact(6)
        .find(|s| s[..2] == [0, 3])
        .map(|s| u32::from_be_bytes([s[2], s[3], s[4], s[5]]));
    assert_eq!(
        streams,
        Some(finfocus_serve::DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS)
    );
}
