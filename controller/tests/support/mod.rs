//! Shared test support: the AWS emulator (moto in server mode) behind the AWS fidelity layer, the
//! controller binary, the reference manifests with test-specific names, and direct SDK clients for
//! out-of-band changes and assertions.
//!
//! Everything talks to the emulator through the fidelity layer (`finfocus-aws-fidelity`), which
//! answers the way real AWS documents where moto is lenient: the controller, the SDK clients and the
//! raw JSON calls of the tests alike. Only [`Emulator::raw_endpoint`] reaches moto directly: for
//! assertions about what the layer changed before moto stored it (and the layer's own tests).
//!
//! Parallel safety: every test uses its own names (cluster, namespace, VPC id, services) and
//! its own `--instance`, so tests can share one emulator (`FINFOCUS_TEST_AWS_ENDPOINT`).

#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test support")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub mod accounts;
pub mod sink;

use finfocus_aws_fidelity::Fidelity;
use finfocus_ecs_controller::aws::{Context, ContextOptions};

/// Region every test uses.
pub const REGION: &str = "us-east-1";

/// A moto server on 127.0.0.1, killed on drop (or an external one from
/// `FINFOCUS_TEST_AWS_ENDPOINT`), behind its own fidelity layer.
pub struct Emulator {
    /// The fidelity layer: what every client of the tests talks to.
    fidelity: Fidelity,
    child: Option<Child>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

/// Sends one HTTP/1.1 request to `addr` (`127.0.0.1:PORT`, with or without `http://`) and
/// returns the status and the body (de-chunked). Bounded by a 30 s read timeout.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    let addr = addr.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// Moto does not check signatures, but it reads the service and region from this header.
fn authorization(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=testing/20240101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}

impl Emulator {
    /// Starts (or attaches to) the emulator and waits until it answers HTTP.
    pub fn start() -> Self {
        if let Ok(endpoint) = std::env::var("FINFOCUS_TEST_AWS_ENDPOINT") {
            return Self::behind_fidelity(&endpoint, None);
        }
        let port = free_port();
        let bin = repo_root().join(".venv/bin/moto_server");
        assert!(bin.exists(), "{} missing: run scripts/setup", bin.display());
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server");
        let emulator = Self::behind_fidelity(&format!("http://127.0.0.1:{port}"), Some(child));
        // Readiness: poll until the server answers an HTTP request (bounded).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if http(emulator.raw_endpoint(), "GET", "/moto-api/", &[], "").is_ok_and(|(s, _)| s > 0)
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer within 60s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }

    /// Puts a fidelity layer in front of the moto server at `raw` (its listener is bound when this
    /// returns).
    fn behind_fidelity(raw: &str, child: Option<Child>) -> Self {
        let fidelity = Fidelity::start(raw)
            .unwrap_or_else(|e| panic!("fidelity layer in front of {raw}: {e}"));
        // Opt-in network latency for every call of a test run (`FINFOCUS_FIDELITY_LATENCY_MS`).
        if let Some(delay) =
            finfocus_aws_fidelity::latency::Latency::from_env().unwrap_or_else(|e| panic!("{e}"))
        {
            fidelity.set_latency(delay);
        }
        Self { fidelity, child }
    }

    /// The endpoint URL every client uses: the fidelity layer in front of moto.
    pub fn endpoint(&self) -> &str {
        self.fidelity.endpoint()
    }

    /// Moto itself, bypassing the fidelity layer: only for assertions about what the layer
    /// changed before moto stored it.
    pub fn raw_endpoint(&self) -> &str {
        self.fidelity.upstream()
    }

    /// The fidelity layer, to script rollouts (`play_rollout`).
    pub fn fidelity(&self) -> &Fidelity {
        &self.fidelity
    }

    /// A command running the controller binary against the emulator.
    pub fn command(&self, instance: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_finfocus-ecs-controller"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            // Pricing has its own tests in the e2e crate, with the plugin built; these keep
            // the same output whether or not a plugin binary sits in the target directory.
            .env("FINFOCUS_PRICING", "off")
            .args(["--instance", instance, "--calls", "--max-attempts", "2"]);
        cmd
    }

    /// Runs the controller against another endpoint (a proxy, a closed port).
    pub fn run_at(&self, endpoint: &str, instance: &str, args: &[&str]) -> Run {
        let output = self
            .command(instance)
            .env("AWS_ENDPOINT_URL", endpoint)
            .args(args)
            .output()
            .expect("run controller");
        Run::new(output)
    }

    /// Runs the controller with `args` and returns its output.
    pub fn run(&self, instance: &str, args: &[&str]) -> Run {
        let output = self
            .command(instance)
            .args(args)
            .output()
            .expect("run controller");
        Run::new(output)
    }

    /// An SDK configuration pointing at the emulator (through the fidelity layer).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        self.sdk_config_at(self.endpoint()).await
    }

    /// An SDK configuration pointing at `endpoint`.
    pub async fn sdk_config_at(&self, endpoint: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new(REGION))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// An ECS client (for out-of-band changes and assertions).
    pub async fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.sdk_config().await)
    }

    /// A Cloud Map client.
    pub async fn cloudmap(&self) -> aws_sdk_servicediscovery::Client {
        aws_sdk_servicediscovery::Client::new(&self.sdk_config().await)
    }

    /// A controller context for library-level calls.
    pub async fn context(&self) -> Context {
        Context::from_config(
            self.sdk_config().await,
            ContextOptions {
                region: Some(REGION.into()),
                ..ContextOptions::default()
            },
        )
        .expect("context")
    }

    /// POSTs `body` to the emulator as a request of `service` (signed for it), with `headers`;
    /// panics unless it answers 200. `what` names the request in the panic.
    fn post(&self, service: &str, headers: &[(&str, &str)], body: &str, what: &str) -> String {
        let (status, answer) = self.post_at(self.endpoint(), service, headers, body, what);
        assert_eq!(status, 200, "{what}: {answer}");
        answer
    }

    /// POSTs `body` to `endpoint` as a request of `service`; returns status and body.
    fn post_at(
        &self,
        endpoint: &str,
        service: &str,
        headers: &[(&str, &str)],
        body: &str,
        what: &str,
    ) -> (u16, String) {
        let authorization = authorization(service);
        let mut all = vec![("Authorization", authorization.as_str())];
        all.extend_from_slice(headers);
        http(endpoint, "POST", "/", &all, body).unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// Calls a JSON operation of `service` (`ecs`, `servicediscovery`) at `endpoint` and returns
    /// the status and the answer, error or not.
    pub fn json_call_at(
        &self,
        endpoint: &str,
        service: &str,
        operation: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let prefix = match service {
            "ecs" => "AmazonEC2ContainerServiceV20141113",
            "servicediscovery" => "Route53AutoNaming_v20170314",
            other => panic!("no JSON target prefix for {other}"),
        };
        let target = format!("{prefix}.{operation}");
        let headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", target.as_str()),
        ];
        let (status, text) =
            self.post_at(endpoint, service, &headers, &body.to_string(), operation);
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{operation}: answer is not JSON ({e}): {text}"));
        (status, json)
    }

    fn ec2_query(&self, action: &str) -> String {
        self.post(
            "ec2",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &format!("Action={action}&Version=2016-11-15"),
            action,
        )
    }

    /// Calls an ECS operation with a JSON body, for tests that run without an async runtime.
    pub fn ecs_call(&self, operation: &str, body: &serde_json::Value) -> serde_json::Value {
        let target = format!("AmazonEC2ContainerServiceV20141113.{operation}");
        let text = self.post(
            "ecs",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", &target),
            ],
            &body.to_string(),
            operation,
        );
        serde_json::from_str(&text).unwrap()
    }

    /// Subnets and a security group of the emulator's default VPC (moto validates them).
    pub fn network(&self) -> Network {
        let pick = |xml: &str, tag: &str| -> Vec<String> {
            let open = format!("<{tag}>");
            let close = format!("</{tag}>");
            xml.split(&open)
                .skip(1)
                .filter_map(|rest| rest.split(&close).next().map(str::to_owned))
                .collect()
        };
        let subnets = pick(&self.ec2_query("DescribeSubnets"), "subnetId");
        let groups = pick(&self.ec2_query("DescribeSecurityGroups"), "groupId");
        assert!(
            subnets.len() >= 2 && !groups.is_empty(),
            "default VPC not found"
        );
        Network {
            subnets: subnets.into_iter().take(2).collect(),
            security_group: groups[0].clone(),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Default-VPC network ids.
#[derive(Debug, Clone)]
pub struct Network {
    /// Two subnet ids.
    pub subnets: Vec<String>,
    /// A security group id.
    pub security_group: String,
}

/// The output of one controller run.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn new(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The `--calls` summary (`{"total", "writes", "byOperation"}`); null when no AWS
    /// context was built.
    pub fn calls(&self) -> serde_json::Value {
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix("aws-calls: "))
            .map_or(serde_json::Value::Null, |json| {
                serde_json::from_str(json).expect("calls JSON")
            })
    }

    /// Calls that changed state.
    pub fn writes(&self) -> u64 {
        self.calls()["writes"].as_u64().unwrap_or(0)
    }

    /// Calls of one `service.Operation`.
    pub fn count(&self, op: &str) -> u64 {
        self.calls()["byOperation"][op].as_u64().unwrap_or(0)
    }

    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Test-specific names substituted into the reference manifests.
#[derive(Debug, Clone)]
pub struct Names {
    /// Short unique suffix.
    pub suffix: String,
    /// `--instance`.
    pub instance: String,
    /// ECS cluster.
    pub cluster: String,
    /// `CloudMapNamespace` metadata.name.
    pub namespace: String,
    /// Namespace DNS name.
    pub dns: String,
    /// ECS service (and task definition family).
    pub service: String,
    /// Cloud Map service.
    pub discovery: String,
    /// VPC id (moto allows one namespace per VPC).
    pub vpc: String,
}

impl Names {
    /// Unique names for test `tag`.
    pub fn new(tag: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let suffix = format!("{tag}-{}-{n}", std::process::id());
        Self {
            instance: format!("it-{suffix}"),
            cluster: format!("cluster-{suffix}"),
            namespace: format!("ns-{suffix}"),
            dns: format!("{suffix}.finfocus.test"),
            service: format!("plugin-{suffix}"),
            discovery: format!("aws-public-{suffix}"),
            vpc: format!("vpc-{suffix}"),
            suffix,
        }
    }
}

/// One test's world: the emulator, unique names, the default network and a directory for
/// its manifests.
pub struct Case {
    /// The emulator.
    pub emu: Emulator,
    /// Names (and `--instance`) of this test.
    pub names: Names,
    /// Default-VPC network ids.
    pub network: Network,
    /// The manifest directory.
    pub dir: TempDir,
}

impl Case {
    /// A case with an empty manifest directory; `tag` makes names and paths recognisable.
    pub fn new(tag: &str) -> Self {
        let emu = Emulator::start();
        let network = emu.network();
        Self {
            emu,
            names: Names::new(tag),
            network,
            dir: TempDir::new(tag),
        }
    }

    /// A case whose directory holds the reference deployment under its own names.
    pub fn with_reference(tag: &str) -> Self {
        let case = Self::new(tag);
        write_reference(&case.dir, &case.names, &case.network);
        case
    }

    /// Runs the controller as this case's instance: `args`, then `-f <dir>`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_at(self.emu.endpoint(), args)
    }

    /// The case's ECS service as the layer answers `DescribeServices` for it, as JSON.
    pub fn live_service(&self) -> serde_json::Value {
        let (status, answer) = self.emu.json_call_at(
            self.emu.endpoint(),
            "ecs",
            "DescribeServices",
            &serde_json::json!({"cluster": self.names.cluster, "services": [self.names.service]}),
        );
        assert_eq!(status, 200, "{answer}");
        answer["services"][0].clone()
    }

    /// Like [`Case::run`], against another endpoint (a proxy, a closed port).
    pub fn run_at(&self, endpoint: &str, args: &[&str]) -> Run {
        let dir = self.dir.arg();
        let mut all = args.to_vec();
        all.extend(["-f", dir.as_str()]);
        self.emu.run_at(endpoint, &self.names.instance, &all)
    }
}

/// A temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh directory.
    pub fn new(tag: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("finfocus-ctl-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Its path as a string argument.
    pub fn arg(&self) -> String {
        self.0.display().to_string()
    }

    /// Writes a file in it.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).expect("write manifest");
    }

    /// Reads a file of it.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).expect("read manifest")
    }

    /// Removes a file from it.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.0.join(name)).expect("remove manifest");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The reference manifest files (`manifests/plugin/*.yaml`), as `(file name, text)`.
pub fn reference_files() -> Vec<(String, String)> {
    let dir = repo_root().join("manifests/plugin");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("manifests/plugin")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Substitutes test names and placeholders into one reference manifest.
pub fn substitute(text: &str, names: &Names, network: &Network) -> String {
    text.replace(
        "name: finfocus-plugin-aws-public",
        &format!("name: {}", names.service),
    )
    .replace(
        "family: finfocus-plugin-aws-public",
        &format!("family: {}", names.service),
    )
    .replace("finfocus-cluster", &names.cluster)
    .replace("finfocus-local", &names.namespace)
    .replace("finfocus.local", &names.dns)
    .replace("name: aws-public", &format!("name: {}", names.discovery))
    .replace("VPC_ID", &names.vpc)
    .replace("SUBNET_ID_A", &network.subnets[0])
    .replace("SUBNET_ID_B", &network.subnets[1])
    .replace("SECURITY_GROUP_ID", &network.security_group)
    .replace("ACCOUNT_ID", "123456789012")
}

/// Writes the reference deployment with test-specific names into `dir`.
pub fn write_reference(dir: &TempDir, names: &Names, network: &Network) {
    for (file, text) in reference_files() {
        dir.write(&file, &substitute(&text, names, network));
    }
}

/// A small `EcsService` manifest (no discovery) for tests that need several services.
pub fn small_service(
    name: &str,
    cluster: &str,
    network: &Network,
    discovery: Option<(&str, &str)>,
) -> String {
    let discovery = discovery.map_or(String::new(), |(ns, svc)| {
        format!(
            "  serviceDiscovery:\n    namespace: {ns}\n    name: {svc}\n    dnsConfig:\n      dnsRecords: [{{type: A, ttl: 30}}]\n"
        )
    });
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: {name}
spec:
  cluster: {cluster}
  taskDefinition:
    family: {name}
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: 0.25 vCPU
    memory: 0.5 GB
    containerDefinitions:
      - name: app
        image: ghcr.io/finfocus/finfocus-plugin-aws-public:0.1.0
        portMappings: [{{containerPort: 8001}}]
  service:
    desiredCount: 2
    launchType: FARGATE
    networkConfiguration:
      awsvpcConfiguration:
        subnets: [{}]
        securityGroups: [{}]
{discovery}",
        network.subnets[0], network.security_group
    )
}

/// A cluster manifest.
pub fn cluster_manifest(name: &str) -> String {
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: {name}\nspec: {{}}\n"
    )
}

/// A namespace manifest.
pub fn namespace_manifest(name: &str, dns: &str, vpc: &str) -> String {
    format!(
        "apiVersion: ecs.finfocus.io/v1alpha1\nkind: CloudMapNamespace\nmetadata:\n  name: {name}\nspec:\n  name: {dns}\n  vpc: {vpc}\n"
    )
}

/// Looks a Cloud Map service up by name, through every page (other tests of the same emulator
/// may have created hundreds).
pub async fn find_discovery(
    cloudmap: &aws_sdk_servicediscovery::Client,
    name: &str,
) -> Option<aws_sdk_servicediscovery::types::ServiceSummary> {
    let pages = cloudmap
        .list_services()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    pages
        .iter()
        .flat_map(|p| p.services())
        .find(|s| s.name() == Some(name))
        .cloned()
}

/// Looks a namespace up by DNS name, through every page.
pub async fn find_namespace(
    cloudmap: &aws_sdk_servicediscovery::Client,
    dns: &str,
) -> Option<aws_sdk_servicediscovery::types::NamespaceSummary> {
    let pages = cloudmap
        .list_namespaces()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    pages
        .iter()
        .flat_map(|p| p.namespaces())
        .find(|n| n.name() == Some(dns))
        .cloned()
}

/// Describes one ECS service (`None` when missing or inactive).
pub async fn describe_service(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    name: &str,
) -> Option<aws_sdk_ecs::types::Service> {
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(name)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .ok()?;
    out.services()
        .iter()
        .find(|s| s.status() != Some("INACTIVE"))
        .cloned()
}

/// Sets a service's desired count directly, as someone working around the controller would.
pub async fn set_desired_count(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    count: i32,
) {
    ecs.update_service()
        .cluster(cluster)
        .service(service)
        .desired_count(count)
        .send()
        .await
        .unwrap();
}

/// Changes the first container of the task definition `service` runs with `edit`, registers
/// the result as a new revision and puts it on the service, as someone working around the
/// controller would; returns the new revision's ARN.
pub async fn deploy_rogue_revision(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    edit: impl FnOnce(&mut aws_sdk_ecs::types::ContainerDefinition),
) -> String {
    let current = describe_service(ecs, cluster, service).await.unwrap();
    let td = ecs
        .describe_task_definition()
        .task_definition(current.task_definition().unwrap())
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .clone();
    let mut container = td.container_definitions()[0].clone();
    edit(&mut container);
    let rogue = ecs
        .register_task_definition()
        .family(td.family().unwrap())
        .set_network_mode(td.network_mode().cloned())
        .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
        .set_cpu(td.cpu().map(str::to_owned))
        .set_memory(td.memory().map(str::to_owned))
        .set_execution_role_arn(td.execution_role_arn().map(str::to_owned))
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    let arn = rogue
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned();
    ecs.update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(&arn)
        .send()
        .await
        .unwrap();
    arn
}

/// A proxy in front of the emulator that answers every ECS request whose target ends with
/// `.{operation}` with a `ThrottlingException`, and forwards everything else.
pub struct ThrottlingProxy {
    endpoint: String,
    throttled: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 8192];
    let header_end = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}

impl ThrottlingProxy {
    /// Starts the proxy on a free port.
    pub fn start(upstream: &str, operation: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let suffix = format!(
            "amazonec2containerservicev20141113.{}",
            operation.to_ascii_lowercase()
        );
        let throttled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = throttled.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut client) = stream else { continue };
                let upstream = upstream.clone();
                let suffix = suffix.clone();
                let counter = counter.clone();
                std::thread::spawn(move || {
                    let Ok(request) = read_request(&mut client) else {
                        return;
                    };
                    let head_end = request
                        .windows(4)
                        .position(|w| w == b"\r\n\r\n")
                        .unwrap_or(0);
                    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
                    let throttle = head
                        .lines()
                        .any(|l| l.starts_with("x-amz-target:") && l.trim_end().ends_with(&suffix));
                    if throttle {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
                        let answer = format!(
                            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n\
                             x-amzn-ErrorType: ThrottlingException\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = client.write_all(answer.as_bytes());
                        return;
                    }
                    // Forward with `Connection: close` so the answer ends at EOF.
                    let first_line_end =
                        request.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
                    let mut forwarded = request[..first_line_end].to_vec();
                    forwarded.extend_from_slice(b"Connection: close\r\n");
                    forwarded.extend_from_slice(&request[first_line_end..]);
                    let Ok(mut server) = TcpStream::connect(&upstream) else {
                        return;
                    };
                    if server.write_all(&forwarded).is_err() {
                        return;
                    }
                    let mut answer = Vec::new();
                    let _ = server.read_to_end(&mut answer);
                    let _ = client.write_all(&answer);
                });
            }
        });
        Self {
            endpoint,
            throttled,
        }
    }

    /// The proxy's endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// How many requests were throttled.
    pub fn throttled(&self) -> usize {
        self.throttled.load(Ordering::SeqCst)
    }
}

/// Operation name prefixes that change AWS state.
const WRITE_PREFIXES: [&str; 8] = [
    "Create",
    "Update",
    "Register",
    "Deregister",
    "Delete",
    "Put",
    "Tag",
    "Untag",
];

/// The operations of a run's `--calls` summary that change state.
pub fn write_operations(run: &Run) -> Vec<String> {
    let calls = run.calls();
    let Some(by_operation) = calls["byOperation"].as_object() else {
        return Vec::new();
    };
    by_operation
        .keys()
        .filter(|op| {
            let name = op.split_once('.').map_or(op.as_str(), |(_, name)| name);
            WRITE_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        })
        .cloned()
        .collect()
}

/// `plan` exits 0 three times without writes and `apply` calls no write operation.
#[track_caller]
pub fn stays_quiet(case: &Case) {
    for pass in 1..=3 {
        let plan = case.run(&["plan"]);
        assert_eq!(
            plan.code, 0,
            "plan {pass} after apply is not clean\n--- stdout\n{}\n--- stderr\n{}",
            plan.stdout, plan.stderr
        );
        assert_eq!(plan.writes(), 0, "plan {pass} wrote: {}", plan.calls());
    }
    let again = case.run(&["apply"]);
    again.expect_code(0);
    assert_eq!(again.writes(), 0, "re-apply wrote: {}", again.calls());
    let writes = write_operations(&again);
    assert!(
        writes.is_empty(),
        "re-apply wrote {writes:?}\n--- stdout\n{}\n--- calls\n{}",
        again.stdout,
        again.calls()
    );
}
