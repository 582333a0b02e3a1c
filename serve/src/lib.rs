//! The HTTP serve loop the plugin's servers and the controller's `--listen` share, with the limits
//! `axum::serve` does not set: a client has [`Limits::header_read_timeout`] to send a request head
//! (or, before that, its first byte), an HTTP/2 connection may hold at most
//! [`Limits::http2_max_concurrent_streams`] streams, and HTTP/2 peers that stop answering pings
//! are dropped. [`LimitedListener`] caps the connections held at once.
//!
//! The connection handling is hyper-util's (`auto::Builder`: HTTP/1 and HTTP/2 with prior
//! knowledge on one port, `GracefulShutdown`); this crate only sets its knobs and adds the one
//! deadline hyper has no setting for: a connection that sends nothing at all. hyper-util reads the
//! first bytes to tell HTTP/1 from HTTP/2 before either protocol's own timers start, so without
//! it a silent client would be held until the connection cap pushes it out.

mod limit;

use std::future::{Future, pending};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub use self::limit::{LimitedListener, MAX_CONNECTIONS, RESERVE};

/// How long a client may take to send a request head (10 s): long enough for any real client
/// on a slow link, short enough that a socket held open by sending nothing is soon released.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Streams one HTTP/2 connection may have open at once (hyper's default is 200). Every stream
/// may carry a request body that is buffered up to the route's limit, so this bounds what one
/// connection can make the server hold.
pub const DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS: u32 = 32;
/// HTTP/2 keep-alive ping interval; a peer that does not answer within the same time is gone.
pub const DEFAULT_HTTP2_KEEP_ALIVE: Duration = Duration::from_secs(30);

/// The request body limit of servers whose endpoints take no body (the controller's, the
/// plugin's aggregator): enough for any stray form, too little to cost anything.
pub const BODYLESS_MAX_BYTES: usize = 4096;

/// The limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send the first byte after connecting, and a whole HTTP/1 request head: the
    /// first one counted from the accept, the next ones on a kept-alive connection from the
    /// end of the previous answer (so it is also the HTTP/1 idle timeout).
    pub header_read_timeout: Duration,
    /// Streams one HTTP/2 connection may have open at once.
    pub http2_max_concurrent_streams: u32,
    /// HTTP/2 ping interval and the time to answer one.
    pub http2_keep_alive: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            http2_max_concurrent_streams: DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
            http2_keep_alive: DEFAULT_HTTP2_KEEP_ALIVE,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; then accepts no more connections,
/// asks the open ones to finish (HTTP/2 GOAWAY, HTTP/1 closes after the answer in flight) and
/// returns once they have. A caller that needs a bound on that drain puts a timeout around the
/// whole future.
pub async fn serve<L, F>(mut listener: L, router: Router, limits: Limits, shutdown: F)
where
    L: Listener,
    F: Future<Output = ()> + Send,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.http2_max_concurrent_streams)
        .keep_alive_interval(limits.http2_keep_alive)
        .keep_alive_timeout(limits.http2_keep_alive);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, _addr) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let spoke = Arc::new(AtomicBool::new(false));
        let io = TokioIo::new(FirstRead {
            inner: io,
            spoke: Arc::clone(&spoke),
        });
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(
            builder
                .serve_connection_with_upgrades(io, service)
                .into_owned(),
        );
        let silent_for = limits.header_read_timeout;
        tokio::spawn(async move {
            let silent = async {
                tokio::time::sleep(silent_for).await;
                if spoke.load(Ordering::Relaxed) {
                    pending::<()>().await;
                }
            };
            tokio::select! {
                served = connection => {
                    if let Err(error) = served {
                        tracing::debug!(error = %error, "connection ended with an error");
                    }
                }
                () = silent => tracing::debug!("closed a connection that sent nothing"),
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Notes that the peer sent at least one byte.
struct FirstRead<T> {
    inner: T,
    spoke: Arc<AtomicBool>,
}

impl<T: AsyncRead + Unpin> AsyncRead for FirstRead<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.spoke.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FirstRead<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
