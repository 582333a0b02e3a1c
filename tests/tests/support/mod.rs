//! What the end-to-end tests share: the programs of the workspace, the AWS emulator behind the
//! fidelity layer, a case with its manifest directory, and small HTTP helpers.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "shared by several test binaries, each using part of it; tests fail loudly"
)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use finfocus_aws_fidelity::Fidelity;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A program of the workspace in the target directory, next to this test's own directory.
pub fn program(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join(name);
    assert!(
        bin.is_file(),
        "{} missing: run `cargo test --workspace` (or `cargo build` first)",
        bin.display()
    );
    bin
}

/// The emulator behind the fidelity layer; a moto server started here is killed on drop.
pub struct Emulator {
    /// The layer in front of the emulator.
    pub fidelity: Fidelity,
    child: Option<Child>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn emulator() -> Emulator {
    if let Ok(endpoint) = std::env::var("FINFOCUS_TEST_AWS_ENDPOINT") {
        return Emulator {
            fidelity: Fidelity::start(&endpoint).unwrap(),
            child: None,
        };
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = repo().join(".venv/bin/moto_server");
    assert!(bin.exists(), "{} missing: run scripts/setup", bin.display());
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Readiness: the server accepts connections (bounded).
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen within 60s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Emulator {
        fidelity: Fidelity::start(&format!("http://127.0.0.1:{port}")).unwrap(),
        child: Some(child),
    }
}

/// A cluster and the guide's task (2 vCPU, 4 GB, us-east-1) as a service of `count` tasks.
pub fn service_yaml(
    case: &Case,
    cluster: &str,
    name: &str,
    count: u32,
    budget: Option<&str>,
) -> String {
    format!(
        "{}---\n{}",
        cluster_doc(cluster),
        service_doc(case, cluster, name, count, budget)
    )
}

pub fn cluster_doc(cluster: &str) -> String {
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata:
  name: {cluster}
spec: {{}}
"
    )
}

pub fn service_doc(
    case: &Case,
    cluster: &str,
    name: &str,
    count: u32,
    budget: Option<&str>,
) -> String {
    let (subnet, group) = (&case.network.0, &case.network.1);
    let annotations = budget.map_or_else(String::new, |b| {
        format!("  annotations:\n    ecs.finfocus.io/max-monthly-cost: \"{b}\"\n")
    });
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: {name}
{annotations}spec:
  cluster: {cluster}
  taskDefinition:
    family: {name}
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: \"2048\"
    memory: \"4096\"
    containerDefinitions:
      - name: app
        image: public.ecr.aws/nginx/nginx:1.27-alpine
        essential: true
  service:
    desiredCount: {count}
    launchType: FARGATE
    networkConfiguration:
      awsvpcConfiguration:
        subnets: [{subnet}]
        securityGroups: [{group}]
"
    )
}

pub struct Case {
    /// The emulator behind the layer.
    pub emu: Emulator,
    /// The manifest directory.
    pub dir: PathBuf,
    /// The controller instance id.
    pub instance: String,
    /// A subnet and a security group of the emulator's default VPC (it checks them).
    pub network: (String, String),
}

/// The first `<tag>` value of an EC2 query `action` answer (moto routes on the credential scope).
pub fn ec2_first(endpoint: &str, action: &str, tag: &str) -> String {
    let addr = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = format!("Action={action}&Version=2016-11-15");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let open = format!("<{tag}>");
    answer
        .split(&open)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no {tag} in the {action} answer: {answer}"))
        .to_owned()
}

impl Case {
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("finfocus-cost-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let emu = emulator();
        let network = (
            ec2_first(emu.fidelity.endpoint(), "DescribeSubnets", "subnetId"),
            ec2_first(emu.fidelity.endpoint(), "DescribeSecurityGroups", "groupId"),
        );
        Self {
            emu,
            dir,
            instance: format!("cost-{tag}-{}", std::process::id()),
            network,
        }
    }

    pub fn write(&self, yaml: &str) {
        std::fs::write(self.dir.join("app.yaml"), yaml).unwrap();
    }

    /// The controller at `bin` with no pricing configuration at all, pointed at the emulator.
    pub fn command(&self, bin: &Path) -> Command {
        let mut cmd = Command::new(bin);
        cmd.env_clear()
            .env("AWS_ENDPOINT_URL", self.emu.fidelity.endpoint())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .args(["--instance", &self.instance]);
        cmd
    }

    /// Runs the controller with no pricing configuration at all on the case's manifests.
    pub fn run(&self, args: &[&str]) -> Output {
        let dir = self.dir.to_str().unwrap();
        self.command(&program("finfocus-ecs-controller"))
            .args(args)
            .args(["-f", dir])
            .output()
            .unwrap()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One HTTP/1.1 GET on loopback; `None` while nothing listens yet.
pub fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// Kills the controller if a test fails before it is stopped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
