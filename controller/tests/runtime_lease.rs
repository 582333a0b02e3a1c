//! `run --lease-table` end to end against the AWS emulator (DynamoDB and ECS in moto): two replicas,
//! one writer; a killed leader is replaced within the lease duration plus one renewal interval; SIGTERM
//! hands over at once; a paused leader that wakes after losing the lease writes nothing; a standby stays
//! warm (manifests loaded, live state read) without writing.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod runtime_support;
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use finfocus_ecs_controller::aws::is_write_operation;
use runtime_support::{Controller, Emulator, Fixture, TempDir, converged, unique};
use serde_json::json;

/// Short leases keep the tests fast: renewals every second.
const LEASE: Duration = Duration::from_secs(3);
const TICK: Duration = Duration::from_secs(1);

/// Two replicas' sources and the service they manage.
struct Setup {
    emu: Emulator,
    fx: Fixture,
    dir: TempDir,
    web: String,
    table: String,
    instance: String,
}

impl Setup {
    fn new(label: &str) -> Self {
        let emu = Emulator::start();
        let fx = Fixture::new(&emu, label);
        let dir = TempDir::new("lease-src");
        let web = format!("{}-web", fx.prefix);
        std::fs::write(dir.path().join("base.yaml"), fx.base()).unwrap();
        let setup = Self {
            emu,
            fx,
            dir,
            web,
            table: unique("lease"),
            instance: unique("i"),
        };
        setup.image("nginx:1");
        setup
    }

    fn image(&self, image: &str) {
        std::fs::write(
            self.dir.path().join("web.yaml"),
            self.fx.service(&self.web, image, "enforce", None),
        )
        .unwrap();
    }

    /// A replica: same instance, same table, same manifests.
    fn replica(&self) -> Controller {
        let source = self.dir.path().display().to_string();
        Controller::start(
            &self.emu,
            &self.instance,
            &[
                "--source",
                &source,
                "--resync",
                "1h",
                "--retry-delay",
                "1s",
                "--lease-table",
                &self.table,
                "--lease-duration",
                "3s",
            ],
        )
    }

    /// The image the live service runs (through its task definition).
    fn live_image(&self) -> Option<String> {
        let services = self.emu.ecs_call(
            "DescribeServices",
            &json!({"cluster": self.fx.cluster(), "services": [self.web]}),
        );
        let td = services["services"][0]["taskDefinition"]
            .as_str()?
            .to_owned();
        let described = self
            .emu
            .ecs_call("DescribeTaskDefinition", &json!({"taskDefinition": td}));
        described["taskDefinition"]["containerDefinitions"][0]["image"]
            .as_str()
            .map(str::to_owned)
    }

    /// Polls until the live service runs `image`, up to `limit`.
    fn wait_image(&self, image: &str, limit: Duration, ctl: &Controller) {
        let deadline = Instant::now() + limit;
        while self.live_image().as_deref() != Some(image) {
            assert!(
                Instant::now() < deadline,
                "{image} not live within {limit:?}; log:\n{}",
                ctl.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// AWS write calls a replica made (every answer counted), from `/metrics`.
fn writes(ctl: &Controller) -> u64 {
    ctl.metrics()
        .lines()
        .filter_map(|line| line.strip_prefix("finfocus_controller_aws_api_calls_total{"))
        .filter_map(|rest| {
            let operation = rest.split("operation=\"").nth(1)?.split('"').next()?;
            let count = rest.rsplit(' ').next()?.parse::<u64>().ok()?;
            is_write_operation(operation).then_some(count)
        })
        .sum()
}

/// AWS read calls of one operation a replica made, from `/metrics`.
fn calls(ctl: &Controller, operation: &str) -> u64 {
    ctl.metrics()
        .lines()
        .filter(|l| {
            l.starts_with("finfocus_controller_aws_api_calls_total{")
                && l.contains(&format!("operation=\"{operation}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Polls until `done` holds, up to `limit`; returns how long it took.
fn wait_for(
    limit: Duration,
    what: &str,
    ctl: &Controller,
    mut done: impl FnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "not {what} within {limit:?}; log:\n{}",
            ctl.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

fn signal(ctl: &Controller, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &ctl.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {sig}");
}

/// Starts the first replica, lets it lead and converge, then starts the standby.
fn leader_and_standby(setup: &Setup) -> (Controller, Controller) {
    let a = setup.replica();
    wait_for(Duration::from_secs(30), "leading", &a, || a.leads());
    a.wait_report(Duration::from_secs(90), "converged", converged);
    let b = setup.replica();
    wait_for(Duration::from_secs(30), "standing by", &b, || {
        b.get("/readyz") == (200, "standby\n".to_owned())
    });
    (a, b)
}

#[test]
fn one_replica_writes_and_a_killed_leader_is_replaced() {
    let setup = Setup::new("lease-kill");
    let (a, b) = leader_and_standby(&setup);
    assert!(writes(&a) > 0, "the leader created the service");
    let (status, body) = b.get("/report");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("standby"), "{body}");

    // Both replicas see the edit; only the leader applies it.
    setup.image("nginx:2");
    setup.wait_image("nginx:2", Duration::from_secs(60), &a);
    assert!(!b.leads());
    assert_eq!(writes(&b), 0, "the standby wrote:\n{}", b.logs());

    // kill -9: no release, so the standby must wait the lease out. A change lands meanwhile.
    signal(&a, "-KILL");
    let killed = Instant::now();
    setup.image("nginx:3");
    let took = wait_for(Duration::from_secs(30), "taking over", &b, || b.leads());
    let bound = LEASE + TICK + TICK;
    assert!(
        killed.elapsed() <= bound + Duration::from_secs(1),
        "takeover took {took:?}, more than the lease plus one interval ({bound:?})"
    );
    setup.wait_image("nginx:3", Duration::from_secs(60), &b);
    assert!(writes(&b) > 0);
    b.wait_report(Duration::from_secs(30), "converged", converged);
    drop(a);
    assert_eq!(b.terminate(), Some(0));
}

#[test]
fn sigterm_hands_the_lease_over_at_once() {
    let setup = Setup::new("lease-term");
    let (a, b) = leader_and_standby(&setup);
    let stopping = Instant::now();
    assert_eq!(a.terminate(), Some(0));
    wait_for(Duration::from_secs(30), "taking over", &b, || b.leads());
    // Without the release the standby would wait a whole lease (3s) after A's last renewal.
    assert!(
        stopping.elapsed() < LEASE,
        "hand-over took {:?}",
        stopping.elapsed()
    );
    setup.image("nginx:2");
    setup.wait_image("nginx:2", Duration::from_secs(60), &b);
    assert_eq!(b.terminate(), Some(0));
}

#[test]
fn a_paused_leader_that_wakes_after_losing_the_lease_writes_nothing() {
    let setup = Setup::new("lease-stop");
    let (a, b) = leader_and_standby(&setup);
    let before = writes(&a);
    signal(&a, "-STOP");
    wait_for(Duration::from_secs(30), "taking over", &b, || b.leads());
    // The paused leader's watcher queues this edit; when it wakes it would apply it if it still trusted
    // its old lease.
    setup.image("nginx:2");
    setup.wait_image("nginx:2", Duration::from_secs(60), &b);
    signal(&a, "-CONT");
    wait_for(Duration::from_secs(30), "stepping down", &a, || !a.leads());
    setup.image("nginx:3");
    setup.wait_image("nginx:3", Duration::from_secs(60), &b);
    // A full pass of A's would have had time to run: it still wrote nothing.
    wait_for(Duration::from_secs(10), "standing by", &a, || {
        a.get("/readyz") == (200, "standby\n".to_owned())
    });
    assert_eq!(writes(&a), before, "the woken leader wrote:\n{}", a.logs());
    assert!(
        a.logs().contains("lost the lease"),
        "the woken leader did not notice:\n{}",
        a.logs()
    );
    assert_eq!(a.terminate(), Some(0));
    assert_eq!(b.terminate(), Some(0));
}

#[test]
fn a_standby_stays_warm_and_writes_nothing() {
    let setup = Setup::new("lease-warm");
    let (a, b) = leader_and_standby(&setup);
    // The standby loaded the cluster, the namespace and the service, and read their live state.
    wait_for(Duration::from_secs(30), "warm", &b, || {
        b.metric("finfocus_controller_standby_resources") == 3
    });
    assert!(b.metric("finfocus_controller_standby_passes_total{result=\"ok\"}") >= 1);
    assert!(calls(&b, "DescribeServices") > 0, "{}", b.metrics());
    assert!(
        b.logs().contains("standby: manifests loaded"),
        "{}",
        b.logs()
    );

    // A new revision reaches the standby as well; only the leader acts on it.
    std::fs::write(
        setup.dir.path().join("api.yaml"),
        setup.fx.service(
            &format!("{}-api", setup.fx.prefix),
            "nginx:1",
            "enforce",
            None,
        ),
    )
    .unwrap();
    wait_for(Duration::from_secs(30), "warm again", &b, || {
        b.metric("finfocus_controller_standby_resources") == 4
    });
    a.wait_report(Duration::from_secs(90), "converged", converged);
    assert!(!b.leads());
    assert_eq!(writes(&b), 0, "the standby wrote:\n{}", b.logs());
    // Its own observations are never published as the leader's report.
    let (status, body) = b.get("/report");
    assert_eq!(status, 503, "{body}");
    assert_eq!(a.terminate(), Some(0));
    assert_eq!(b.terminate(), Some(0));
}
