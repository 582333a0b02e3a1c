//! Slow clients against `run --listen`: connections that send half a request line or nothing at
//! all are closed after the header read timeout (10 s), the connection cap holds while they are
//! open (the process holds no more than the cap and its reserve), and `/healthz` answers beside
//! them at once.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use finfocus_ecs_controller::http::MAX_CONNECTIONS;
use runtime_support::{Controller, Emulator, TempDir, unique};

const SLOW: usize = 300;
/// The controller's header read timeout (`finfocus_serve::DEFAULT_HEADER_READ_TIMEOUT`).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// Whether the server closed `stream` by `deadline` (EOF or reset); `false` when it is still open.
fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    stream
        .set_read_timeout(Some(left.max(Duration::from_millis(1))))
        .unwrap();
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            // A 408 answer to the half request comes before the close.
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_clients_are_closed_after_the_header_timeout_and_the_cap_holds() {
    let emu = Emulator::start();
    let source = TempDir::new("http-limits");
    let ctl = Controller::start(&emu, &unique("i"), &["--source", &source.arg()]);
    let addr = format!("127.0.0.1:{}", ctl.port());
    let baseline = open_descriptors(ctl.pid());

    // Two thirds send half a request line, the rest nothing at all.
    let opened = Instant::now();
    let mut slow: Vec<TcpStream> = (0..SLOW)
        .map(|i| {
            let mut s = TcpStream::connect(&addr).unwrap();
            if i % 3 != 0 {
                s.write_all(b"GET /healthz HT").unwrap();
            }
            s
        })
        .collect();

    // The health check gets in beside them at once, and the process holds at most the cap
    // (plus the reserve of connections being released).
    let (status, body) = ctl.get("/healthz");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let held = open_descriptors(ctl.pid());
    assert!(
        held <= baseline + MAX_CONNECTIONS + finfocus_serve::RESERVE,
        "{held} descriptors open (baseline {baseline}, cap {MAX_CONNECTIONS})"
    );

    // The newest connections are within the cap: still open shortly before the timeout...
    let before = opened + HEADER_TIMEOUT - Duration::from_secs(2);
    let newest = SLOW - 50;
    for (i, s) in slow.iter_mut().enumerate().skip(newest) {
        assert!(
            !closed_by(s, before),
            "connection {i} closed before the header timeout"
        );
    }
    // ...and every connection is closed soon after it.
    let after = opened + HEADER_TIMEOUT + Duration::from_secs(5);
    let still_open: Vec<usize> = slow
        .iter_mut()
        .enumerate()
        .filter_map(|(i, s)| (!closed_by(s, after)).then_some(i))
        .collect();
    assert!(
        still_open.is_empty(),
        "{} connection(s) still open 5 s after the header timeout: {still_open:?}",
        still_open.len()
    );
    assert!(open_descriptors(ctl.pid()) <= baseline + 2);
    assert_eq!(ctl.get("/healthz").0, 200);
    assert_eq!(ctl.terminate(), Some(0));
}
