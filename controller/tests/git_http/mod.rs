//! A small HTTP server on 127.0.0.1 for the git credential tests: it serves bare repositories
//! through `git http-backend` (CGI) behind Basic authentication, or answers every request with a
//! redirect or a 401, and records the `Authorization` header of every request it receives.
#![allow(dead_code, reason = "each test crate uses a different subset")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the server answers.
#[derive(Clone)]
pub enum Mode {
    /// Serves the repositories under this root; requests without this exact `Authorization`
    /// value get a 401 asking for Basic credentials.
    Serve {
        root: PathBuf,
        authorization: String,
    },
    /// Every request is redirected (302) to this base URL plus the request's path.
    Redirect(String),
    /// Every request gets a 401 asking for Basic credentials.
    Unauthorized,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET /repo.git/info/refs?service=git-upload-pack`
    pub line: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// The server; stopped when dropped.
pub struct GitHttp {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Lets a test hold the server's first request until it has looked at the client's processes.
pub struct Hold {
    /// Receives once the first request has arrived (and is being held).
    pub arrived: Receiver<()>,
    /// Send to let the request be answered.
    pub release: SyncSender<()>,
}

impl GitHttp {
    /// Starts the server.
    pub fn start(mode: Mode) -> Self {
        Self::start_inner(mode, None)
    }

    /// Starts the server, holding its first request until released (see [`Hold`]).
    pub fn start_held(mode: Mode) -> (Self, Hold) {
        let (arrived_tx, arrived) = sync_channel(1);
        let (release, release_rx) = sync_channel(1);
        let server = Self::start_inner(mode, Some((arrived_tx, release_rx)));
        (server, Hold { arrived, release })
    }

    fn start_inner(mode: Mode, mut hold: Option<(SyncSender<()>, Receiver<()>)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let held = hold.take();
                    // Errors of one connection (a client that gave up) do not stop the server.
                    let _ = answer(stream, &mode, &seen, held);
                }
            })
        };
        Self {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for GitHttp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking `accept` so the thread sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A bare repository `name.git` under `root`; returns its path.
pub fn bare_repo(root: &Path, name: &str) -> PathBuf {
    let path = root.join(format!("{name}.git"));
    let out = Command::new("git")
        .args(["init", "--quiet", "--bare", "-b", "main"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

fn answer(
    stream: TcpStream,
    mode: &Mode,
    seen: &Mutex<Vec<Seen>>,
    hold: Option<(SyncSender<()>, Receiver<()>)>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let line = line.trim_end().to_owned();
    let mut headers = Vec::new();
    // At most 100 header lines: a bounded loop.
    for _ in 0..100 {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let body = read_body(
        &mut reader,
        header("content-length"),
        header("transfer-encoding"),
    )?;
    let authorization = header("authorization");
    seen.lock().unwrap().push(Seen {
        line: line.clone(),
        authorization: authorization.clone(),
    });
    if let Some((arrived, release)) = hold {
        arrived.send(()).unwrap();
        release.recv_timeout(Duration::from_secs(60)).unwrap();
    }
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut out = stream;
    let unauthorized = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n\
                         Content-Length: 0\r\nConnection: close\r\n\r\n";
    match mode {
        Mode::Unauthorized => out.write_all(unauthorized),
        Mode::Redirect(to) => write!(
            out,
            "HTTP/1.1 302 Found\r\nLocation: {to}{target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Mode::Serve {
            root,
            authorization: expected,
        } => {
            if authorization.as_deref() != Some(expected.as_str()) {
                return out.write_all(unauthorized);
            }
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let cgi = http_backend(root, method, path, query, &headers, &body)?;
            out.write_all(&cgi)
        }
    }
}

fn read_body(
    reader: &mut BufReader<TcpStream>,
    length: Option<String>,
    encoding: Option<String>,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if encoding.is_some_and(|e| e.eq_ignore_ascii_case("chunked")) {
        // At most 10 000 chunks: a bounded loop.
        for _ in 0..10_000 {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = length.and_then(|l| l.parse::<usize>().ok()) {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(body)
}

/// Runs `git http-backend` for one request and turns its CGI answer into an HTTP response.
fn http_backend(
    root: &Path,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<Vec<u8>> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let mut child = Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    child.stdin.take().unwrap().write_all(body)?;
    let output = child.wait_with_output()?;
    let text = output.stdout;
    let split = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4))
        .or_else(|| text.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)))
        .unwrap_or((text.len(), 0));
    let (head, rest) = (&text[..split.0], &text[split.0 + split.1..]);
    let head = String::from_utf8_lossy(head);
    let mut status = "200 OK".to_owned();
    let mut response = Vec::new();
    let mut lines = Vec::new();
    for h in head.lines() {
        match h.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_owned(),
            Some(_) => lines.push(h.to_owned()),
            None => {}
        }
    }
    write!(response, "HTTP/1.1 {status}\r\n")?;
    for h in lines {
        write!(response, "{h}\r\n")?;
    }
    write!(
        response,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        rest.len()
    )?;
    response.extend_from_slice(rest);
    Ok(response)
}
