//! Shared helpers of the source and runtime tests: a real loopback `git daemon`, a work tree that commits
//! and pushes to it, the controller's `run` process and manifests for it. The emulator, temporary
//! directories and HTTP come from the shared test support (`support`).
#![allow(dead_code, reason = "each test crate uses a different subset")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use crate::support::{Emulator, TempDir, free_port};

/// Runs git with a fixed identity; panics with its stderr on failure; returns trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A `git daemon` on 127.0.0.1 serving (and accepting pushes to) the bare repositories under its base path.
pub struct GitDaemon {
    child: Child,
    port: u16,
    base: TempDir,
}

impl GitDaemon {
    /// Starts the daemon and waits until it accepts connections.
    pub fn start() -> Self {
        let base = TempDir::new("gitd");
        let mut last_error = String::new();
        // The port is picked before the daemon binds it; retry in the rare case another process took it.
        for _ in 0..5 {
            let port = free_port();
            // `git daemon` would run `git-daemon` as a child that outlives a killed `git`; start the
            // daemon itself so dropping the guard stops it.
            let mut child = Command::new(git_daemon_path())
                .args([
                    "--export-all",
                    "--reuseaddr",
                    "--enable=receive-pack",
                    "--listen=127.0.0.1",
                ])
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base.path().display()))
                .arg(base.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return Self { child, port, base };
                }
                if let Some(status) = child.try_wait().unwrap() {
                    last_error = format!("git daemon exited with {status}");
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = "git daemon did not listen within 10s".to_owned();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("cannot start git daemon: {last_error}");
    }

    /// Creates a bare repository `name.git` and returns its `git://` URL.
    pub fn create_repo(&self, name: &str) -> String {
        git(
            self.base.path(),
            &["init", "--quiet", "--bare", &format!("{name}.git")],
        );
        format!("git://127.0.0.1:{}/{name}.git", self.port)
    }
}

/// `git-daemon` in git's exec path.
fn git_daemon_path() -> PathBuf {
    let out = Command::new("git").arg("--exec-path").output().unwrap();
    assert!(out.status.success(), "git --exec-path failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("git-daemon")
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A work tree that commits files and pushes them to a remote.
pub struct WorkTree {
    dir: TempDir,
    url: String,
}

impl WorkTree {
    /// An empty work tree whose pushes go to `url`, branch `main`.
    pub fn new(url: &str) -> Self {
        let dir = TempDir::new("worktree");
        git(dir.path(), &["init", "--quiet", "-b", "main"]);
        Self {
            dir,
            url: url.to_owned(),
        }
    }

    /// The work tree directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (or replaces) a file, creating parent directories.
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Commits everything and pushes to `main`; returns the commit id.
    pub fn commit_and_push(&self, message: &str) -> String {
        git(self.dir.path(), &["add", "--all"]);
        git(
            self.dir.path(),
            &["commit", "--quiet", "--allow-empty", "-m", message],
        );
        git(
            self.dir.path(),
            &["push", "--quiet", "--force", &self.url, "main:main"],
        );
        git(self.dir.path(), &["rev-parse", "HEAD"])
    }
}

/// A unique suffix for resource names, so tests can share one emulator.
pub fn unique(label: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{label}-{:x}{:x}{}",
        std::process::id() % 4096,
        nanos % 65536,
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// A `run` process of the controller binary.
pub struct Controller {
    child: Child,
    port: u16,
    log: PathBuf,
    _logdir: TempDir,
}

impl Controller {
    /// Starts `finfocus-ecs-controller --instance <instance> run <args> --listen 127.0.0.1:<free>` against
    /// the emulator, and waits until it listens (bounded).
    pub fn start(emu: &Emulator, instance: &str, args: &[impl AsRef<std::ffi::OsStr>]) -> Self {
        Self::start_with_env(emu, instance, args, &[])
    }

    /// [`Controller::start`] with extra environment variables.
    pub fn start_with_env(
        emu: &Emulator,
        instance: &str,
        args: &[impl AsRef<std::ffi::OsStr>],
        env: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let logdir = TempDir::new("ctl-log");
        let log = logdir.path().join("stderr.log");
        let child = emu
            .command(instance)
            .arg("run")
            .args(args)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("FINFOCUS_LOG", "info,aws=warn")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut ctl = Self {
            child,
            port,
            log,
            _logdir: logdir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = ctl.child.try_wait().unwrap() {
                panic!("controller exited early ({status}):\n{}", ctl.logs());
            }
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "controller did not listen:\n{}",
                ctl.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        ctl
    }

    /// GET on the controller's HTTP port.
    pub fn get(&self, path: &str) -> (u16, String) {
        crate::support::http(&format!("127.0.0.1:{}", self.port), "GET", path, &[], "").unwrap()
    }

    /// The latest report, if one was published.
    pub fn report(&self) -> Option<finfocus_ecs_controller::report::DriftReport> {
        let (status, body) = self.get("/report");
        (status == 200).then(|| serde_json::from_str(&body).unwrap())
    }

    /// Polls `/report` until `done` holds, up to `limit`; returns that report or panics with the last one
    /// and the controller's log.
    pub fn wait_report(
        &self,
        limit: Duration,
        what: &str,
        mut done: impl FnMut(&finfocus_ecs_controller::report::DriftReport) -> bool,
    ) -> finfocus_ecs_controller::report::DriftReport {
        let deadline = Instant::now() + limit;
        let mut last = None;
        loop {
            if let Some(report) = self.report() {
                if done(&report) {
                    return report;
                }
                last = Some(report);
            }
            if Instant::now() > deadline {
                panic!(
                    "not {what} within {limit:?}; last report:\n{}\nlog:\n{}",
                    last.map(|r| serde_json::to_string_pretty(&r).unwrap())
                        .unwrap_or_default(),
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `/metrics` text.
    pub fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics");
        assert_eq!(status, 200);
        body
    }

    /// A metric's value: the first line that starts with `prefix` (labels included), 0 when absent.
    pub fn metric(&self, prefix: &str) -> u64 {
        self.metrics()
            .lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next()?.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Passes that completed (`finfocus_controller_passes_total{result="ok"}`).
    pub fn passes(&self) -> u64 {
        self.metric("finfocus_controller_passes_total{result=\"ok\"} ")
    }

    /// Whether this replica says it leads (`finfocus_controller_leader{instance} 1`).
    pub fn leads(&self) -> bool {
        self.metrics()
            .lines()
            .any(|l| l.starts_with("finfocus_controller_leader{") && l.ends_with(" 1"))
    }

    /// The controller's log so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The port `--listen` serves on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits (bounded) for the exit; returns the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "no exit within 40s of SIGTERM:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether every manifest resource of a report converged (in sync, or rolling out: the emulator never
/// finishes deployments) with no pending change.
pub fn converged(report: &finfocus_ecs_controller::report::DriftReport) -> bool {
    !report.resources.is_empty()
        && report.resources.iter().all(|r| {
            r.kind == "Source"
                || (matches!(r.status.as_str(), "InSync" | "Progressing") && r.changes.is_empty())
        })
}

/// One resource of a report by kind and name.
pub fn resource<'a>(
    report: &'a finfocus_ecs_controller::report::DriftReport,
    kind: &str,
    name: &str,
) -> Option<&'a finfocus_ecs_controller::report::ResourceReport> {
    report
        .resources
        .iter()
        .find(|r| r.kind == kind && r.name == name)
}

/// Manifests for one cluster, one namespace and some services on the emulator's default network.
pub struct Fixture {
    /// Unique prefix of every name.
    pub prefix: String,
    /// Subnet id.
    pub subnet: String,
    /// Security group id.
    pub security_group: String,
}

impl Fixture {
    /// A fixture with unique names.
    pub fn new(emu: &Emulator, label: &str) -> Self {
        let network = emu.network();
        Self {
            prefix: unique(label),
            subnet: network.subnets[0].clone(),
            security_group: network.security_group,
        }
    }

    /// The cluster name.
    pub fn cluster(&self) -> String {
        format!("{}-cluster", self.prefix)
    }

    /// The cluster and namespace documents.
    pub fn base(&self) -> String {
        format!(
            "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {{name: {p}-cluster}}\nspec: {{}}\n---\n\
             apiVersion: ecs.finfocus.io/v1alpha1\nkind: CloudMapNamespace\nmetadata: {{name: {p}-ns}}\n\
             spec: {{name: {p}.local, vpc: vpc-{p}}}\n",
            p = self.prefix
        )
    }

    /// One service document; `policy` is `enforce` or `detect`; `cluster` overrides the fixture's.
    pub fn service(&self, name: &str, image: &str, policy: &str, cluster: Option<&str>) -> String {
        format!(
            "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsService\n\
             metadata:\n  name: {name}\n  annotations: {{ecs.finfocus.io/drift-policy: {policy}}}\n\
             spec:\n  cluster: {cluster}\n  taskDefinition:\n    family: {name}\n    networkMode: awsvpc\n\
             \x20   requiresCompatibilities: [FARGATE]\n    cpu: \"256\"\n    memory: \"512\"\n\
             \x20   containerDefinitions:\n      - name: app\n        image: {image}\n        essential: true\n\
             \x20       portMappings: [{{containerPort: 8080, protocol: tcp}}]\n\
             \x20 service:\n    desiredCount: 1\n    launchType: FARGATE\n    networkConfiguration:\n\
             \x20     awsvpcConfiguration: {{subnets: [{subnet}], securityGroups: [{sg}], assignPublicIp: DISABLED}}\n\
             \x20 serviceDiscovery:\n    namespace: {p}-ns\n    name: {name}\n\
             \x20   dnsConfig: {{dnsRecords: [{{type: A, ttl: 60}}], routingPolicy: MULTIVALUE}}\n",
            cluster = cluster.map_or_else(|| self.cluster(), str::to_owned),
            subnet = self.subnet,
            sg = self.security_group,
            p = self.prefix,
        )
    }
}

/// The `run` arguments that follow `main` under `manifests/` of `url`, fetching every `interval`
/// and reconciling everything every `resync`, checked out in `workdir`.
pub fn follow_git(url: &str, workdir: &TempDir, interval: &str, resync: &str) -> Vec<String> {
    [
        "--git",
        url,
        "--ref",
        "main",
        "--path",
        "manifests",
        "--interval",
        interval,
        "--resync",
        resync,
        "--workdir",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([workdir.path().display().to_string()])
    .collect()
}

/// Options of a git source following `main` under `manifests/` of `url`, checked out in `workdir`.
pub fn git_options(
    url: &str,
    workdir: &TempDir,
) -> finfocus_ecs_controller::source::GitSourceOptions {
    use finfocus_ecs_controller::source::{GitSourceOptions, SecretUrl};
    let mut opts = GitSourceOptions::new(SecretUrl::new(url), workdir.path().to_path_buf());
    opts.reference = "main".to_owned();
    opts.path = "manifests".into();
    opts.timeout = Duration::from_secs(30);
    opts.token = None;
    opts
}
