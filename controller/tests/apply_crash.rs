//! Crash- and retry-safe writes: `apply` of 30 services killed (SIGKILL) at seeded random
//! instants, then run again until it converges, leaves no duplicate namespace, Cloud Map service
//! or ECS service, no ECS service without its registry, and at most one extra task definition
//! revision per interrupted run; the same apply with 10% of its answers lost (the call acted,
//! the answer never arrived) converges with the same checks and no extra revision at all (a
//! registration whose answer is lost is found, not repeated). Both end with a clean `plan`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use finfocus_aws_fidelity::LostAnswers;
use support::{
    Emulator, Names, Network, TempDir, cluster_manifest, namespace_manifest, small_service,
};

/// Services per world.
const SERVICES: usize = 30;
/// Landed kills the crash test wants at least.
const LANDED_WANTED: usize = 15;
/// Worlds the crash test may use to get them.
const MAX_ROUNDS: usize = 8;
/// Kills aimed at each world's apply.
const KILLS_PER_WORLD: usize = 6;

/// A seeded generator for the kill instants (SplitMix64): a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration uniformly in `[0, max)`.
    fn below(&mut self, max: Duration) -> Duration {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX).max(1);
        Duration::from_nanos(self.next() % nanos)
    }
}

/// One deployment of 30 services with their Cloud Map services in one namespace, under its own
/// names, instance and manifest directory.
struct World {
    names: Names,
    dir: TempDir,
    services: usize,
}

impl World {
    fn new(tag: &str, network: &Network) -> Self {
        Self::with_services(tag, network, SERVICES)
    }

    fn with_services(tag: &str, network: &Network, services: usize) -> Self {
        let names = Names::new(tag);
        let dir = TempDir::new(tag);
        dir.write("00-cluster.yaml", &cluster_manifest(&names.cluster));
        dir.write(
            "01-namespace.yaml",
            &namespace_manifest(&names.namespace, &names.dns, &names.vpc),
        );
        for i in 0..services {
            let service = service_name(&names, i);
            let discovery = discovery_name(i);
            dir.write(
                &format!("10-{i:02}.yaml"),
                &small_service(
                    &service,
                    &names.cluster,
                    network,
                    Some((&names.namespace, &discovery)),
                ),
            );
        }
        Self {
            names,
            dir,
            services,
        }
    }

    fn command(&self, emu: &Emulator, args: &[&str]) -> std::process::Command {
        let mut cmd = emu.command(&self.names.instance);
        cmd.args(args).args(["-f", &self.dir.arg()]);
        cmd
    }

    /// Runs `apply` until it exits 0 (bounded); returns how many runs it took.
    fn converge(&self, emu: &Emulator) -> usize {
        for pass in 1..=10 {
            let out = self.command(emu, &["apply"]).output().expect("run apply");
            if out.status.success() {
                return pass;
            }
            eprintln!(
                "apply pass {pass} did not converge:\n{}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .filter(|l| !l.starts_with("aws-calls"))
                    .take(5)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        panic!("apply did not converge in 10 runs");
    }

    /// `plan` exits 0: nothing left to change.
    fn plan_is_clean(&self, emu: &Emulator) {
        let out = self.command(emu, &["plan"]).output().expect("run plan");
        assert_eq!(
            out.status.code(),
            Some(0),
            "plan after convergence is not clean\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Removes the world's Cloud Map services and namespace from the emulator (directly, not through
/// the layer), so the tests sharing it list a short account. The ECS services stay in the
/// world's own cluster.
fn remove_cloud_map(emu: &Emulator, account: &Account) {
    let raw = emu.raw_endpoint();
    for arn in account.discovery.values().flatten() {
        let id = arn.rsplit('/').next().unwrap_or_default();
        let (status, answer) = emu.json_call_at(
            raw,
            "servicediscovery",
            "DeleteService",
            &serde_json::json!({"Id": id}),
        );
        assert_eq!(status, 200, "{answer}");
    }
    for id in &account.namespace_ids {
        let (status, answer) = emu.json_call_at(
            raw,
            "servicediscovery",
            "DeleteNamespace",
            &serde_json::json!({"Id": id}),
        );
        assert_eq!(status, 200, "{answer}");
    }
}

fn service_name(names: &Names, i: usize) -> String {
    format!("s{i:02}-{}", names.suffix)
}

fn discovery_name(i: usize) -> String {
    format!("d{i:02}")
}

/// What the account holds for one world.
#[derive(Debug, Default)]
struct Account {
    /// Namespaces with the world's DNS name.
    namespaces: usize,
    /// Their ids.
    namespace_ids: Vec<String>,
    /// Cloud Map services in that namespace, by name.
    discovery: BTreeMap<String, Vec<String>>,
    /// Live (`ACTIVE`) ECS services of the world's cluster, by name, with their registry ARNs.
    services: BTreeMap<String, Vec<Vec<String>>>,
    /// Task definition revisions by family.
    revisions: BTreeMap<String, usize>,
}

async fn account(emu: &Emulator, world: &World) -> Account {
    let ecs = emu.ecs().await;
    let cloudmap = emu.cloudmap().await;
    let names = &world.names;
    let mut found = Account::default();

    let pages = cloudmap
        .list_namespaces()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    let ours: Vec<_> = pages
        .iter()
        .flat_map(|p| p.namespaces())
        .filter(|n| n.name() == Some(names.dns.as_str()))
        .collect();
    found.namespaces = ours.len();
    let ids: Vec<&str> = ours.iter().filter_map(|n| n.id()).collect();
    found.namespace_ids = ids.iter().map(|id| (*id).to_owned()).collect();

    let filter = aws_sdk_servicediscovery::types::ServiceFilter::builder()
        .name(aws_sdk_servicediscovery::types::ServiceFilterName::NamespaceId)
        .set_values(Some(ids.iter().map(|id| (*id).to_owned()).collect()))
        .condition(aws_sdk_servicediscovery::types::FilterCondition::In)
        .build()
        .unwrap();
    let pages = cloudmap
        .list_services()
        .filters(filter)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    for s in pages.iter().flat_map(|p| p.services()) {
        found
            .discovery
            .entry(s.name().unwrap_or_default().to_owned())
            .or_default()
            .push(s.arn().unwrap_or_default().to_owned());
    }

    let arns = ecs
        .list_services()
        .cluster(&names.cluster)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    for chunk in arns.chunks(10) {
        let out = ecs
            .describe_services()
            .cluster(&names.cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .unwrap();
        for s in out.services() {
            if s.status() != Some("ACTIVE") {
                continue;
            }
            found
                .services
                .entry(s.service_name().unwrap_or_default().to_owned())
                .or_default()
                .push(
                    s.service_registries()
                        .iter()
                        .filter_map(|r| r.registry_arn().map(str::to_owned))
                        .collect(),
                );
        }
    }

    for i in 0..world.services {
        let family = service_name(names, i);
        let revisions = ecs
            .list_task_definitions()
            .family_prefix(&family)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        // The prefix also matches longer family names; count this family's own revisions.
        let own = revisions
            .iter()
            .filter(|arn| {
                arn.rsplit_once('/')
                    .is_some_and(|(_, r)| r.rsplit_once(':').is_some_and(|(f, _)| f == family))
            })
            .count();
        found.revisions.insert(family, own);
    }
    found
}

/// Asserts no duplicates or orphans; `extra_allowed` bounds the task definition revisions beyond
/// one per family, in all and (`per_family`) for each family. Returns the extra revisions found.
fn check(account: &Account, world: &World, extra_allowed: usize, per_family: usize) -> usize {
    assert_eq!(
        account.namespaces, 1,
        "namespaces named {}",
        world.names.dns
    );
    assert_eq!(
        account.discovery.len(),
        world.services,
        "{:?}",
        account.discovery
    );
    for (name, arns) in &account.discovery {
        assert_eq!(arns.len(), 1, "Cloud Map service {name}: {arns:?}");
    }
    assert_eq!(
        account.services.len(),
        world.services,
        "{:?}",
        account.services.keys()
    );
    for i in 0..world.services {
        let name = service_name(&world.names, i);
        let live = &account.services[&name];
        assert_eq!(live.len(), 1, "ECS service {name}: {live:?}");
        let registry = &account.discovery[&discovery_name(i)][0];
        assert_eq!(&live[0], &vec![registry.clone()], "registry of {name}");
    }
    let mut extra = 0;
    for (family, revisions) in &account.revisions {
        assert!(*revisions >= 1, "no revision of {family}");
        assert!(
            *revisions <= 1 + per_family,
            "{family}: {revisions} revisions"
        );
        extra += revisions - 1;
    }
    assert!(
        extra <= extra_allowed,
        "{extra} extra task definition revisions, at most {extra_allowed} allowed: {:?}",
        account.revisions
    );
    extra
}

/// How one killed run ended.
enum Kill {
    /// The run finished by itself before the kill point (with this success).
    Finished(bool),
    /// Killed while running, after this many writes of its own.
    Killed(u64),
}

/// Runs `apply` on `world` and kills it (SIGKILL) once the fidelity layer has passed on `at`
/// writes of this run, plus a random part of a typical call's length, so the kill lands before,
/// during or after a write call. Bounded: a run that neither finishes nor reaches the point
/// within 60 s fails the test.
fn kill_after_writes(emu: &Emulator, world: &World, at: u64, jitter: Duration) -> Kill {
    let before = emu.fidelity().writes();
    let mut child = world
        .command(emu, &["apply"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn apply");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Kill::Finished(status.success());
        }
        if emu.fidelity().writes() - before >= at {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "apply neither finished nor wrote"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(jitter);
    // Counted only if the process is still running when the signal is sent.
    if let Some(status) = child.try_wait().expect("try_wait") {
        return Kill::Finished(status.success());
    }
    child.kill().expect("SIGKILL apply");
    child.wait().expect("reap apply");
    Kill::Killed(emu.fidelity().writes() - before)
}

#[test]
fn apply_killed_at_random_instants_converges_without_duplicates_or_orphans() {
    let emu = Emulator::start();
    let network = emu.network();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut rng = Rng(0x5EED_C4A5);

    // One uninterrupted apply of a world: how many writes it makes and how long it takes.
    let calibration = World::new("crash-cal", &network);
    let (started, writes_before) = (Instant::now(), emu.fidelity().writes());
    calibration.converge(&emu);
    let (full, total_writes) = (started.elapsed(), emu.fidelity().writes() - writes_before);
    remove_cloud_map(&emu, &runtime.block_on(account(&emu, &calibration)));
    // The mean time between writes: kills land at a random point within it.
    let gap = full / u32::try_from(total_writes.max(1)).unwrap_or(u32::MAX);
    eprintln!("one uninterrupted apply of {SERVICES} services: {full:?}, {total_writes} writes");

    let (mut kills, mut landed, mut extra_total, mut rounds) = (0, 0, 0, 0);
    let mut points = Vec::new();
    while landed < LANDED_WANTED && rounds < MAX_ROUNDS {
        rounds += 1;
        let world = World::new(&format!("crash{rounds}"), &network);
        let (mut landed_here, mut done) = (0, 0);
        // Kill points drawn uniformly over the whole apply (its writes), in order: run n is
        // killed when the world's writes reach point n, so the kills cover the beginning, the
        // middle and the end of the apply.
        let mut kill_points: Vec<u64> = (0..KILLS_PER_WORLD)
            .map(|_| 1 + rng.next() % total_writes.max(1))
            .collect();
        kill_points.sort_unstable();
        for point in kill_points {
            let at = point.saturating_sub(done).max(1);
            match kill_after_writes(&emu, &world, at, rng.below(gap)) {
                Kill::Finished(true) => break,
                Kill::Finished(false) => {}
                Kill::Killed(writes) => {
                    kills += 1;
                    if writes > 0 {
                        landed += 1;
                        landed_here += 1;
                        points.push(done + writes);
                    }
                    done += writes;
                }
            }
        }
        world.converge(&emu);
        let found = runtime.block_on(account(&emu, &world));
        // A registration is interrupted once at most: the next run reuses its revision.
        extra_total += check(&found, &world, landed_here, 1);
        world.plan_is_clean(&emu);
        remove_cloud_map(&emu, &found);
    }
    eprintln!(
        "crash: {rounds} world(s) of {SERVICES} services, {kills} kills, {landed} landed mid-apply \
         (process running and at least one write sent), {extra_total} extra task definition \
         revision(s); writes in the world at each kill (one uninterrupted apply: {total_writes}): {points:?}"
    );
    assert!(
        landed >= LANDED_WANTED,
        "only {landed} of {kills} kills landed mid-apply in {rounds} worlds"
    );
}

#[test]
fn apply_with_lost_answers_converges_without_duplicates() {
    let emu = Emulator::start();
    let network = emu.network();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = World::new("lost", &network);

    emu.fidelity().lose_answers(Some(LostAnswers {
        rate: 0.1,
        seed: 0x10_57,
        only: Vec::new(),
    }));
    let lost_before = emu.fidelity().lost_answers();
    let passes = world.converge(&emu);
    let lost = emu.fidelity().lost_answers() - lost_before;
    emu.fidelity().lose_answers(None);

    assert!(lost > 0, "no answer was lost");
    // With about 60 creates at 10%, some create's answer is lost (all kept: 0.9^60 < 0.2%) and
    // its retry is answered from the token, not run twice.
    let replayed = emu.fidelity().replayed_creates();
    assert!(replayed > 0, "no create was repeated after a lost answer");
    let found = runtime.block_on(account(&emu, &world));
    // A registration whose answer is lost is not repeated blindly: the family's latest revision
    // is looked at first and reused when it is the one registered, so no revision is extra.
    let extra = check(&found, &world, 0, 0);
    world.plan_is_clean(&emu);
    remove_cloud_map(&emu, &found);
    eprintln!(
        "lost answers: {lost} lost at 10%, {replayed} create(s) answered from their token, \
         converged in {passes} apply run(s), {extra} extra task definition revision(s)"
    );
}

#[test]
fn a_service_deleted_and_created_again_the_same_day_is_created_not_replayed() {
    let emu = Emulator::start();
    let network = emu.network();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = World::with_services("recreate", &network, 1);
    world.converge(&emu);
    let name = service_name(&world.names, 0);
    runtime.block_on(async {
        let ecs = emu.ecs().await;
        ecs.delete_service()
            .cluster(&world.names.cluster)
            .service(&name)
            .force(true)
            .send()
            .await
            .unwrap();
    });

    // The same desired state on the same day derives the same token: its replay names the
    // deleted (INACTIVE) service, and the controller creates again with a fresh token.
    let replays = emu.fidelity().replayed_creates();
    let out = world.command(&emu, &["apply"]).output().expect("run apply");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(emu.fidelity().replayed_creates(), replays + 1);
    let calls = calls_of(&out);
    assert_eq!(calls["byOperation"]["ecs.CreateService"], 2, "{calls}");
    let found = runtime.block_on(account(&emu, &world));
    check(&found, &world, 0, 0);
    world.plan_is_clean(&emu);
    remove_cloud_map(&emu, &found);
}

#[test]
fn layer_answers_repeated_tokens_like_aws_where_moto_does_not() {
    let emu = Emulator::start();
    let names = Names::new("tokens");
    let layer = emu.endpoint();
    let raw = emu.raw_endpoint();
    let cm = |endpoint: &str, op: &str, body: &serde_json::Value| {
        emu.json_call_at(endpoint, "servicediscovery", op, body)
    };

    // Namespace: the same token and request answer the first operation; moto alone refuses.
    let create =
        serde_json::json!({"Name": names.dns, "Vpc": names.vpc, "CreatorRequestId": "ns-t1"});
    let (status, first) = cm(layer, "CreatePrivateDnsNamespace", &create);
    assert_eq!(status, 200, "{first}");
    let (status, again) = cm(layer, "CreatePrivateDnsNamespace", &create);
    assert_eq!(
        (status, &again["OperationId"]),
        (200, &first["OperationId"])
    );
    let (status, moto) = cm(raw, "CreatePrivateDnsNamespace", &create);
    assert_eq!(status, 400, "moto runs the retry again: {moto}");
    let mut other = create.clone();
    other["Description"] = "other".into();
    let (status, refused) = cm(layer, "CreatePrivateDnsNamespace", &other);
    assert_eq!(status, 400);
    assert_eq!(refused["__type"], "NamespaceAlreadyExists");
    assert_eq!(refused["CreatorRequestId"], "ns-t1");

    // Cloud Map service: the same token answers the same service; other parameters are refused
    // with the service's id.
    let (_, op) = cm(
        layer,
        "GetOperation",
        &serde_json::json!({"OperationId": first["OperationId"]}),
    );
    let namespace = op["Operation"]["Targets"]["NAMESPACE"].clone();
    let service = serde_json::json!({"Name": "d", "NamespaceId": namespace, "CreatorRequestId": "svc-t1",
        "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 30}]}});
    let (status, first) = cm(layer, "CreateService", &service);
    assert_eq!(status, 200, "{first}");
    let (_, again) = cm(layer, "CreateService", &service);
    assert_eq!(again["Service"]["Id"], first["Service"]["Id"]);
    let mut other = service.clone();
    other["Description"] = "other".into();
    let (status, refused) = cm(layer, "CreateService", &other);
    assert_eq!(status, 400);
    assert_eq!(refused["__type"], "ServiceAlreadyExists");
    assert_eq!(refused["ServiceId"], first["Service"]["Id"]);

    // ECS service: the same token answers the service; another create of the live name is
    // refused, where moto replaces the service.
    emu.ecs_call(
        "CreateCluster",
        &serde_json::json!({"clusterName": names.cluster}),
    );
    let ecs = |endpoint: &str, body: &serde_json::Value| {
        emu.json_call_at(endpoint, "ecs", "CreateService", body)
    };
    let create = serde_json::json!({"cluster": names.cluster, "serviceName": names.service,
        "desiredCount": 0, "launchType": "FARGATE", "clientToken": "ecs-t1"});
    let (status, first) = ecs(layer, &create);
    assert_eq!(status, 200, "{first}");
    let (status, again) = ecs(layer, &create);
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["service"]["serviceArn"],
        first["service"]["serviceArn"]
    );
    for changed in [
        serde_json::json!({"desiredCount": 1}),
        serde_json::json!({"clientToken": "ecs-t2"}),
    ] {
        let mut other = create.clone();
        for (k, v) in changed.as_object().unwrap() {
            other[k] = v.clone();
        }
        let (status, refused) = ecs(layer, &other);
        assert_eq!(status, 400, "{refused}");
        assert_eq!(refused["__type"], "InvalidParameterException");
    }
    let mut other = create.clone();
    other["clientToken"] = "ecs-t3".into();
    let (status, _) = ecs(raw, &other);
    assert_eq!(status, 200, "moto replaces a live service");
    assert_eq!(emu.fidelity().replayed_creates(), 3);
}

#[test]
fn a_registration_whose_answer_is_lost_is_found_not_repeated() {
    let emu = Emulator::start();
    let network = emu.network();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = World::with_services("lostreg", &network, 2);
    // Every registration acts and its answer never arrives; retried blindly, each would leave
    // one more revision (RegisterTaskDefinition takes no idempotency token).
    emu.fidelity().lose_answers(Some(LostAnswers {
        rate: 1.0,
        seed: 3,
        only: vec!["RegisterTaskDefinition".into()],
    }));
    let out = world.command(&emu, &["apply"]).output().expect("run apply");
    let lost = emu.fidelity().lost_answers();
    emu.fidelity().lose_answers(None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(lost >= 2, "{lost} answers lost");
    let calls = calls_of(&out);
    assert_eq!(
        calls["byOperation"]["ecs.RegisterTaskDefinition"].as_u64(),
        Some(2),
        "one registration per family: {calls}"
    );
    let found = runtime.block_on(account(&emu, &world));
    assert_eq!(check(&found, &world, 0, 0), 0);
    world.plan_is_clean(&emu);
    remove_cloud_map(&emu, &found);
}

#[test]
fn a_lost_answer_acts_but_never_arrives() {
    let emu = Emulator::start();
    let names = Names::new("lostone");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let config = aws_sdk_ecs::config::Builder::from(&emu.sdk_config().await)
            .retry_config(aws_sdk_ecs::config::retry::RetryConfig::disabled())
            .build();
        let ecs = aws_sdk_ecs::Client::from_conf(config);
        emu.fidelity().lose_answers(Some(LostAnswers {
            rate: 1.0,
            seed: 1,
            only: Vec::new(),
        }));
        let writes = emu.fidelity().writes();
        let lost = ecs
            .create_cluster()
            .cluster_name(&names.cluster)
            .send()
            .await;
        emu.fidelity().lose_answers(None);
        let e = lost.expect_err("the answer was lost");
        assert!(
            matches!(
                e,
                aws_sdk_ecs::error::SdkError::DispatchFailure(_)
                    | aws_sdk_ecs::error::SdkError::ResponseError(_)
            ),
            "{e:?}"
        );
        assert_eq!(emu.fidelity().lost_answers(), 1);
        assert_eq!(emu.fidelity().writes(), writes + 1);
        let found = ecs
            .describe_clusters()
            .clusters(&names.cluster)
            .send()
            .await
            .unwrap();
        assert_eq!(found.clusters().len(), 1, "the call acted");
    });
}

/// The `--calls` summary of a controller run.
fn calls_of(out: &std::process::Output) -> serde_json::Value {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("aws-calls: "))
        .map(|json| serde_json::from_str(json).unwrap())
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn creates_whose_every_answer_is_lost_are_found_by_the_next_run_not_repeated() {
    let emu = Emulator::start();
    let network = emu.network();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = World::with_services("alllost", &network, 1);

    // Every answer of the creates is lost: each acts once, its retries (same token) are
    // answered from the token, and those answers are lost too, so the run fails. The first run
    // stops at the namespace and the Cloud Map service, the second (which finds them) at the
    // ECS service.
    let replays = emu.fidelity().replayed_creates();
    emu.fidelity().lose_answers(Some(LostAnswers {
        rate: 1.0,
        seed: 1,
        only: vec!["CreatePrivateDnsNamespace".into(), "CreateService".into()],
    }));
    let first = world.command(&emu, &["apply"]).output().expect("run apply");
    let second = world.command(&emu, &["apply"]).output().expect("run apply");
    emu.fidelity().lose_answers(None);
    assert!(!first.status.success() && !second.status.success());
    let (first, second) = (calls_of(&first), calls_of(&second));
    assert!(
        first["byOperation"]["servicediscovery.CreatePrivateDnsNamespace"].as_u64() >= Some(1),
        "{first}"
    );
    assert!(
        second["byOperation"]["ecs.CreateService"].as_u64() >= Some(1),
        "{second}"
    );
    assert!(
        emu.fidelity().replayed_creates() >= replays + 3,
        "the SDK's retries were answered from their tokens"
    );

    // The next run observes what those creates made and creates nothing of the kind again.
    let out = world.command(&emu, &["apply"]).output().expect("run apply");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = calls_of(&out);
    for op in [
        "servicediscovery.CreatePrivateDnsNamespace",
        "servicediscovery.CreateService",
        "ecs.CreateService",
    ] {
        assert!(calls["byOperation"][op].is_null(), "{op} again: {calls}");
    }
    let found = runtime.block_on(account(&emu, &world));
    check(&found, &world, 0, 0);
    world.plan_is_clean(&emu);
    remove_cloud_map(&emu, &found);
}
