//! A spawned plugin process for integration tests: started like the FinFocus host starts it,
//! ready when it prints `PORT=<n>`, killed when dropped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    reason = "test support: failures should be loud; not every test uses every helper"
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use finfocus_plugin_aws_public::proto::v1::cost_source_service_client::CostSourceServiceClient;
use finfocus_plugin_aws_public::proto::v1::{ErrorDetail, ResourceDescriptor};
use finfocus_plugin_aws_public::proto::{ERROR_DETAIL_TYPE_URL, rpc};
use prost::Message as _;
use tonic::transport::Channel;

/// The plugin binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_finfocus-plugin-aws-public");

/// How long a process may take to print `PORT=`; generous for a loaded CI machine.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Variables a test process must not inherit from the developer's shell.
const CONTROLLED_ENV: [&str; 5] = [
    "REGION",
    "FINFOCUS_PLUGIN_PORT",
    "PORT",
    "FINFOCUS_LOG_LEVEL",
    "RUST_LOG",
];

/// A `Command` for `program` with a clean plugin environment.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for var in CONTROLLED_ENV {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A running plugin process.
pub struct Plugin {
    child: Child,
    /// The port from the `PORT=` line.
    pub port: u16,
    /// Lines the process printed on stdout after `PORT=` (there should be none).
    stdout: Receiver<String>,
    /// Log lines (stderr).
    stderr: Receiver<String>,
}

/// What a process printed before it exited without becoming ready.
#[derive(Debug)]
pub struct Failed {
    /// Its exit status, if it exited.
    pub status: Option<ExitStatus>,
    /// Its stdout lines.
    pub stdout: Vec<String>,
    /// Its stderr lines.
    pub stderr: Vec<String>,
}

fn lines(reader: impl std::io::Read + Send + 'static) -> Receiver<String> {
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

impl Plugin {
    /// Starts the real binary with `args` and extra `env`.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Plugin {
        let mut cmd = command(BIN);
        cmd.args(args).envs(env.iter().copied());
        Plugin::spawn(cmd).unwrap_or_else(|f| panic!("plugin did not start: {f:#?}"))
    }

    /// Spawns `cmd` and waits (bounded) for its `PORT=` line.
    pub fn spawn(mut cmd: Command) -> Result<Plugin, Failed> {
        let mut child = cmd.spawn().expect("spawn the plugin");
        let stdout = lines(child.stdout.take().expect("piped stdout"));
        let stderr = lines(child.stderr.take().expect("piped stderr"));
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut early = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match stdout.recv_timeout(left) {
                Ok(line) => match line.strip_prefix("PORT=") {
                    Some(port) => {
                        let port = port.parse().expect("PORT=<u16>");
                        return Ok(Plugin {
                            child,
                            port,
                            stdout,
                            stderr,
                        });
                    }
                    None => early.push(line),
                },
                Err(RecvTimeoutError::Disconnected) | Err(RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    // The pipe closes with the process; read what it said until then (bounded).
                    let mut logs = Vec::new();
                    while let Ok(line) = stderr.recv_timeout(Duration::from_secs(5)) {
                        logs.push(line);
                    }
                    return Err(Failed {
                        status,
                        stdout: early,
                        stderr: logs,
                    });
                }
            }
        }
    }

    /// The OS process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The plugin's URI.
    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A connected channel.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.uri())
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .connect()
            .await
            .expect("connect to the plugin")
    }

    /// A FinFocus client.
    pub async fn client(&self) -> CostSourceServiceClient<Channel> {
        CostSourceServiceClient::new(self.channel().await)
    }

    /// Waits (bounded) for a log line satisfying `pred`.
    pub fn wait_log(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if pred(&line) => return Some(line),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Extra stdout lines printed after `PORT=` so far.
    pub fn extra_stdout(&self) -> Vec<String> {
        self.stdout.try_iter().collect()
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        self.wait_exit(timeout)
    }

    /// Polls (bounded) for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd` to completion (bounded), for start-up failures.
pub fn run_to_exit(cmd: Command) -> Failed {
    match Plugin::spawn(cmd) {
        Ok(mut plugin) => {
            let status = plugin.terminate(Duration::from_secs(10));
            panic!(
                "expected a start-up failure, but it listened on {} ({status:?})",
                plugin.port
            )
        }
        Err(failed) => failed,
    }
}

/// A free port right now (bound and released; good enough on a test machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A descriptor for `resource_type`/`sku` in `region` with `tags`.
pub fn descriptor(
    resource_type: &str,
    sku: &str,
    region: &str,
    tags: &[(&str, &str)],
) -> ResourceDescriptor {
    ResourceDescriptor {
        provider: "aws".to_owned(),
        resource_type: resource_type.to_owned(),
        sku: sku.to_owned(),
        region: region.to_owned(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<HashMap<_, _>>(),
        ..Default::default()
    }
}

/// The FinFocus ErrorDetail inside a status, decoded the way a Go client does it:
/// `grpc-status-details-bin` -> google.rpc.Status -> Any -> ErrorDetail.
pub fn error_detail(status: &tonic::Status) -> ErrorDetail {
    let envelope = rpc::Status::decode(status.details()).expect("google.rpc.Status in details");
    assert_eq!(envelope.code, status.code() as i32, "envelope code");
    let any = envelope
        .details
        .iter()
        .find(|a| a.type_url == ERROR_DETAIL_TYPE_URL)
        .expect("an ErrorDetail Any");
    ErrorDetail::decode(any.value.as_slice()).expect("ErrorDetail")
}

/// A directory under the target dir for files a test creates.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts two USD amounts agree to 1e-9.
#[track_caller]
pub fn assert_usd(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}
