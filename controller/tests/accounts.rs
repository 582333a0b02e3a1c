//! Many accounts and regions from one repository: `AwsAccount` roles assumed through STS, the
//! same names in three places, failure isolation, and prune that stays in its place.
//!
//! The emulator acts in an assumed role's account; the fidelity layer refuses `AssumeRole` as
//! AWS does (a role that does not exist, an external id its trust policy does not admit).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use finfocus_aws_fidelity::{ServiceDeployment, Strategy};
use serde_json::{Value, json};
use support::Case;
use support::accounts::{
    GHOST, OWN, PRODUCTION, STAGING, account, cluster, create_role, ecs_in, place, service,
    service_in,
};

fn statuses(run: &support::Run) -> Vec<(String, String, Option<String>)> {
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!("plan JSON: {e}\n{}\n{}", run.stdout, run.stderr);
    });
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                r["account"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn the_same_names_in_three_places_converge_where_their_manifests_say_and_a_refused_account_stays_alone()
 {
    let case = Case::new("accounts");
    let (emu, dir) = (&case.emu, &case.dir);
    let s = &case.names.suffix;
    let (role, cl, web, extra) = (
        format!("deploy-{s}"),
        format!("c-{s}"),
        format!("web-{s}"),
        format!("extra-{s}"),
    );
    create_role(emu, STAGING, &role, None);
    create_role(emu, PRODUCTION, &role, Some("prod-7f3a"));

    dir.write(
        "accounts.yaml",
        &[
            account("staging", STAGING, &role, None),
            account("production", PRODUCTION, &role, Some("prod-7f3a")),
        ]
        .join("---\n"),
    );
    dir.write("ghost.yaml", &account("ghost", GHOST, &role, None));
    let own = place(None, None);
    let staging = place(Some("staging"), None);
    let production = place(Some("production"), Some("us-west-2"));
    let ghost = place(Some("ghost"), None);
    // The same cluster and service names in three places, each with its own desired count.
    for (file, at, desired) in [
        ("own", &own, 1),
        ("staging", &staging, 2),
        ("production", &production, 3),
    ] {
        dir.write(&format!("{file}-cluster.yaml"), &cluster(&cl, at));
        dir.write(
            &format!("{file}-web.yaml"),
            &service(&web, &cl, desired, at),
        );
    }
    for (file, at) in [("own", &own), ("staging", &staging)] {
        dir.write(&format!("{file}-extra.yaml"), &service(&extra, &cl, 1, at));
    }
    dir.write("ghost-cluster.yaml", &cluster(&cl, &ghost));
    case.run(&["validate"]).expect_code(0);

    // The ghost account's role does not exist: its cluster fails, every other object converges.
    let applied = case.run(&["apply"]);
    applied.expect_code(1);
    let all = format!("{}{}", applied.stdout, applied.stderr);
    assert!(
        all.contains("ghost") && all.contains("AccessDenied"),
        "{all}"
    );
    assert_eq!(
        service_in(emu, OWN, "us-east-1", &cl, &web),
        Some(("ACTIVE".into(), 1))
    );
    assert_eq!(
        service_in(emu, STAGING, "us-east-1", &cl, &web),
        Some(("ACTIVE".into(), 2))
    );
    assert_eq!(
        service_in(emu, PRODUCTION, "us-west-2", &cl, &web),
        Some(("ACTIVE".into(), 3))
    );
    // Nothing landed where no manifest put it.
    assert_eq!(service_in(emu, PRODUCTION, "us-east-1", &cl, &web), None);
    assert_eq!(service_in(emu, OWN, "us-west-2", &cl, &web), None);
    assert_eq!(service_in(emu, GHOST, "us-east-1", &cl, &web), None);

    // A clean plan everywhere but the ghost account, whose cluster says why.
    let plan = case.run(&["plan", "-o", "json"]);
    plan.expect_code(1);
    let seen = statuses(&plan);
    assert_eq!(seen.len(), 9, "{seen:?}");
    // Services stay `Progressing`: the emulator never finishes a deployment.
    let converged = |status: &str| status == "InSync" || status == "Progressing";
    for (id, status, account) in &seen {
        if account.as_deref() == Some("ghost") {
            assert_eq!(status, "Error", "{id}");
        } else {
            assert!(converged(status), "{id}: {status}");
        }
    }
    assert!(
        seen.iter().any(
            |(id, _, a)| id == &format!("EcsService/{web}@production/us-west-2")
                && a.as_deref() == Some("production")
        ),
        "{seen:?}"
    );
    assert!(
        plan.stdout.contains("AccountUnavailable"),
        "{}",
        plan.stdout
    );

    dir.remove("ghost.yaml");
    dir.remove("ghost-cluster.yaml");
    case.run(&["plan"]).expect_code(0);

    // Prune stays in its place: staging's `extra` goes, the same name in the own account stays.
    dir.remove("staging-extra.yaml");
    let pruning = case.run(&["plan", "--prune"]);
    pruning.expect_code(2);
    assert!(
        pruning
            .stdout
            .contains(&format!("EcsService/{extra}@staging")),
        "{}",
        pruning.stdout
    );
    assert_eq!(
        pruning.stdout.matches(" delete").count(),
        1,
        "{}",
        pruning.stdout
    );
    case.run(&["apply", "--prune"]).expect_code(0);
    assert!(
        service_in(emu, STAGING, "us-east-1", &cl, &extra)
            .is_none_or(|(status, _)| status != "ACTIVE")
    );
    assert_eq!(
        service_in(emu, OWN, "us-east-1", &cl, &extra),
        Some(("ACTIVE".into(), 1))
    );
    case.run(&["plan", "--prune"]).expect_code(0);

    // An external id the production role's trust policy does not admit: only production fails.
    dir.write(
        "accounts.yaml",
        &[
            account("staging", STAGING, &role, None),
            account("production", PRODUCTION, &role, Some("wrong-id")),
        ]
        .join("---\n"),
    );
    let refused = case.run(&["plan", "-o", "json"]);
    refused.expect_code(1);
    for (id, status, account) in statuses(&refused) {
        if account.as_deref() == Some("production") {
            assert_eq!(status, "Error", "{id}");
        } else {
            assert!(converged(&status), "{id}: {status}");
        }
    }
}

#[test]
fn rollback_acts_in_the_account_and_region_the_manifests_give() {
    let case = Case::new("acct-rollback");
    let (emu, dir) = (&case.emu, &case.dir);
    let s = &case.names.suffix;
    let (role, cl, web) = (format!("deploy-{s}"), format!("c-{s}"), format!("web-{s}"));
    create_role(emu, STAGING, &role, None);
    let staging = place(Some("staging"), Some("us-west-2"));
    dir.write("accounts.yaml", &account("staging", STAGING, &role, None));
    dir.write("cluster.yaml", &cluster(&cl, &staging));
    dir.write("web.yaml", &service(&web, &cl, 1, &staging));
    // A bake far longer than the test: the deployment is still in progress when rolled back.
    emu.fidelity().play_deployment(
        &web,
        ServiceDeployment::succeed(Some(Strategy::Canary)).bake_steps(10_000),
    );
    case.run(&["apply"]).expect_code(0);

    let rollback = case.run(&["rollback", &web]);
    rollback.expect_code(0);
    assert!(
        rollback
            .stdout
            .contains(&format!("rollback requested: {cl}/{web}")),
        "{}\n{}",
        rollback.stdout,
        rollback.stderr
    );
    assert_eq!(rollback.count("sts.AssumeRole"), 1, "{}", rollback.stderr);
    // The deployment in staging's us-west-2 is the one rolling back.
    let listed = ecs_in(
        emu,
        STAGING,
        "us-west-2",
        "ListServiceDeployments",
        &json!({"cluster": cl, "service": web}),
    );
    let arn = listed["serviceDeployments"][0]["serviceDeploymentArn"].clone();
    let described = ecs_in(
        emu,
        STAGING,
        "us-west-2",
        "DescribeServiceDeployments",
        &json!({"serviceDeploymentArns": [arn]}),
    );
    assert_eq!(
        described["serviceDeployments"][0]["status"], "ROLLBACK_REQUESTED",
        "{described}"
    );
}

/// A pass over 3 accounts x 2 regions x `BENCH_SERVICES` services per place (100 unless set):
/// `apply` from nothing, then cold `plan`s (a new process, no caches) with the fidelity layer
/// adding 0, 250 and 500 ms to every call; the difference of the last two divided by 250 ms is the
/// number of round trips a pass waits for, whatever the emulator's own speed. Ignored by default:
///
/// ```text
/// cargo test -p finfocus-ecs-controller --test accounts -- --ignored --nocapture
/// ```
#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn bench_a_pass_over_three_accounts_and_two_regions() {
    let per_place: usize = std::env::var("BENCH_SERVICES")
        .ok()
        .map_or(100, |v| v.parse().expect("BENCH_SERVICES: a count"));
    let case = Case::new("accounts-bench");
    let (emu, dir) = (&case.emu, &case.dir);
    let s = &case.names.suffix;
    let role = format!("deploy-{s}");
    let accounts = [("a1", STAGING), ("a2", PRODUCTION), ("a3", "444444444444")];
    let mut docs = Vec::new();
    for (name, id) in accounts {
        create_role(emu, id, &role, None);
        docs.push(account(name, id, &role, None));
    }
    dir.write("accounts.yaml", &docs.join("---\n"));
    let cl = format!("c-{s}");
    for (name, _) in accounts {
        for region in ["us-east-1", "us-west-2"] {
            let at = place(Some(name), Some(region));
            let mut text = vec![cluster(&cl, &at)];
            text.extend((0..per_place).map(|i| service(&format!("svc{i:03}-{s}"), &cl, 1, &at)));
            dir.write(&format!("{name}-{region}.yaml"), &text.join("---\n"));
        }
    }
    let services = per_place * accounts.len() * 2;
    let started = std::time::Instant::now();
    case.run(&["apply"]).expect_code(0);
    println!("BENCH services {services}");
    println!("BENCH apply_seconds {:.2}", started.elapsed().as_secs_f64());

    let cold_plan = |latency_ms: u64| {
        emu.fidelity()
            .set_latency(std::time::Duration::from_millis(latency_ms));
        let started = std::time::Instant::now();
        let run = case.run(&["plan"]);
        let seconds = started.elapsed().as_secs_f64();
        emu.fidelity().set_latency(std::time::Duration::ZERO);
        run.expect_code(0);
        (seconds, run.calls()["total"].as_u64().unwrap())
    };
    let (fast, calls) = cold_plan(0);
    // Two latencies well above the emulator's own time per call: below that, calls queue in the
    // (serial) emulator and the added latency hides behind the queue.
    let (slow, _) = cold_plan(250);
    let (slower, _) = cold_plan(500);
    println!("BENCH cold_plan_calls {calls}");
    println!("BENCH cold_plan_seconds {fast:.2}");
    println!("BENCH cold_plan_seconds_latency_250ms {slow:.2}");
    println!("BENCH cold_plan_seconds_latency_500ms {slower:.2}");
    println!("BENCH cold_plan_round_trips {:.1}", (slower - slow) / 0.250);
}
