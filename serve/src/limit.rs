//! A cap on the connections one listener holds open, that still lets a newcomer in.
//!
//! Idle clients (connections that send nothing, or a request and then nothing) would otherwise
//! each hold a file descriptor for good; at the process's descriptor limit `accept` fails and the
//! health check can no longer connect. [`LimitedListener`] keeps at most [`MAX_CONNECTIONS`]
//! connections: accepting one more closes the connection that has gone longest without sending
//! a byte (counted from its accept), so a health check or a client arriving behind hundreds of idle
//! connections is served at once and the idle ones are the ones that go. A closed connection's
//! descriptor is released when its server task sees the error; meanwhile up to
//! [`RESERVE`] more connections may be open, and past that `accept` waits for one to close
//! (newcomers wait in the kernel's backlog, which costs the process no descriptor).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// Connections one listener keeps open before it closes the least recently active one.
pub const MAX_CONNECTIONS: usize = 128;
/// Connections allowed beyond [`MAX_CONNECTIONS`] while closed ones are being released.
pub const RESERVE: usize = 32;

/// Wraps a listener so it holds at most [`MAX_CONNECTIONS`] connections (see the module doc).
#[derive(Debug)]
pub struct LimitedListener<L> {
    inner: L,
    table: Arc<Table>,
    max: usize,
    reserve: usize,
}

impl<L> LimitedListener<L> {
    /// The default limits.
    pub fn new(inner: L) -> Self {
        Self::with_limits(inner, MAX_CONNECTIONS, RESERVE)
    }

    /// `max` connections before the least recently active is closed, `reserve` more at most.
    pub fn with_limits(inner: L, max: usize, reserve: usize) -> Self {
        Self {
            inner,
            table: Arc::new(Table {
                clock: AtomicU64::new(0),
                open: Mutex::new(Open::default()),
                freed: Notify::new(),
            }),
            max: max.max(1),
            reserve,
        }
    }
}

#[derive(Debug)]
struct Table {
    /// Advances on every accept and every read that brings bytes: the order of activity, with
    /// no ties (a clock would give many connections the same tick).
    clock: AtomicU64,
    open: Mutex<Open>,
    freed: Notify,
}

#[derive(Debug, Default)]
struct Open {
    next: u64,
    slots: HashMap<u64, Arc<Slot>>,
}

#[derive(Debug, Default)]
struct Slot {
    /// The table's clock at the last read that brought bytes (or the accept).
    active: AtomicU64,
    closed: AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl Table {
    fn now(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // A panic while holding the lock leaves the map consistent: keep using it.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<L: Listener> Listener for LimitedListener<L> {
    type Io = Tracked<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // Past the reserve, wait for a connection to go before taking another.
        loop {
            let freed = self.table.freed.notified();
            if self.table.lock().slots.len() < self.max + self.reserve {
                break;
            }
            freed.await;
        }
        let (io, addr) = self.inner.accept().await;
        let slot = Arc::new(Slot::default());
        slot.active.store(self.table.now(), Ordering::Relaxed);
        let id = {
            let mut open = self.table.lock();
            let live = open
                .slots
                .values()
                .filter(|s| !s.closed.load(Ordering::Relaxed))
                .count();
            if live >= self.max
                && let Some(victim) = open
                    .slots
                    .values()
                    .filter(|s| !s.closed.load(Ordering::Relaxed))
                    .min_by_key(|s| s.active.load(Ordering::Relaxed))
            {
                victim.close();
            }
            open.next += 1;
            let id = open.next;
            open.slots.insert(id, Arc::clone(&slot));
            id
        };
        let io = Tracked {
            io,
            slot,
            id,
            table: Arc::clone(&self.table),
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl Slot {
    fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        let waker = self
            .reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A connection of a [`LimitedListener`]: reads and writes fail once it has been closed to make
/// room, so the server drops it; dropping it frees its place.
#[derive(Debug)]
pub struct Tracked<T> {
    io: T,
    slot: Arc<Slot>,
    id: u64,
    table: Arc<Table>,
}

fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "closed to make room for a newer connection",
    )
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        self.table.lock().slots.remove(&self.id);
        self.table.freed.notify_waiters();
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.slot.closed.load(Ordering::Relaxed) {
            return Poll::Ready(Err(closed()));
        }
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.io).poll_read(cx, buf);
        match &poll {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.slot.active.store(this.table.now(), Ordering::Relaxed);
            }
            Poll::Pending => {
                *this
                    .slot
                    .reader
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cx.waker().clone());
                // Closed between the check above and storing the waker: wake now.
                if this.slot.closed.load(Ordering::Relaxed) {
                    cx.waker().wake_by_ref();
                }
            }
            Poll::Ready(_) => {}
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.slot.closed.load(Ordering::Relaxed) {
            return Poll::Ready(Err(closed()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    #[tokio::test]
    async fn a_newcomer_closes_the_least_recently_active_connection() {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let mut listener = LimitedListener::with_limits(tcp, 2, 1);
        let mut idle = TcpStream::connect(addr).await.unwrap();
        let (mut idle_server, _) = listener.accept().await;
        let mut busy = TcpStream::connect(addr).await.unwrap();
        let (mut busy_server, _) = listener.accept().await;
        busy.write_all(b"x").await.unwrap();
        let mut one = [0; 1];
        busy_server.read_exact(&mut one).await.unwrap();

        let _newcomer = TcpStream::connect(addr).await.unwrap();
        let (_newcomer_server, _) = listener.accept().await;
        let bound = std::time::Duration::from_secs(10);
        let err = tokio::time::timeout(bound, idle_server.read(&mut one))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionAborted);
        drop(idle_server);
        let mut rest = Vec::new();
        let read = tokio::time::timeout(bound, idle.read_to_end(&mut rest)).await;
        assert_eq!(read.unwrap().unwrap(), 0, "closed");
        // The active one is untouched.
        busy.write_all(b"y").await.unwrap();
        tokio::time::timeout(bound, busy_server.read_exact(&mut one))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&one, b"y");
    }
}
