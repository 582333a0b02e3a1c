//! A listener whose connections let HTTP/2 send a small answer in one write.
//!
//! h2 keeps a DATA payload of 256 bytes or more as its own buffer, to send it with a vectored
//! write, when the socket supports vectored writes; until that buffer is written it accepts no
//! further frame. A unary gRPC answer of a few hundred bytes (a `GetProjectedCost` answer is
//! about 360) then costs two `writev` calls, headers and data first and the trailers next, and
//! the client two reads. When the socket says it has no vectored writes, h2 copies payloads
//! below 1 KiB into its write buffer instead, so headers, data and trailers (and the frames of
//! other streams ready at the same time) leave in one write. Larger payloads are still sent
//! from their own buffer, in a second write: bulk answers pay one extra call per flush, small
//! ones save one.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Wraps a listener so that its connections report no vectored writes (see the module doc).
#[derive(Debug)]
pub struct CoalescingListener<L>(pub L);

impl<L: Listener> Listener for CoalescingListener<L> {
    type Io = ScalarWrites<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.0.accept().await;
        (ScalarWrites(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A connection that passes everything through but answers `false` to
/// [`AsyncWrite::is_write_vectored`], so writers copy small buffers together.
#[derive(Debug)]
pub struct ScalarWrites<T>(T);

impl<T: AsyncRead + Unpin> AsyncRead for ScalarWrites<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ScalarWrites<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    #[tokio::test]
    async fn accepted_connections_hide_vectored_writes_and_pass_bytes_through() {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let mut listener = CoalescingListener(tcp);
        assert_eq!(listener.local_addr().unwrap(), addr);
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, peer) = listener.accept().await;
        assert_eq!(peer, client.local_addr().unwrap());
        // The plain socket offers vectored writes; the wrapper is what turns them off.
        assert!(client.is_write_vectored());
        assert!(!server.is_write_vectored());

        client.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        server.write_all(b"pong").await.unwrap();
        server.flush().await.unwrap();
        server.shutdown().await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer, b"pong");
    }
}
