//! Independent reads of a pass overlap, within `--aws-concurrency`, and the result does not
//! depend on it.
//!
//! 30 services (three `DescribeServices` batches, 30 task definition revisions, 31 Cloud Map
//! tag sets) are converged with `apply` and their revision records removed, as an earlier version
//! left them; then the fidelity layer adds 50 ms to every call, like a round trip to AWS, and a
//! cold `plan` runs with `--aws-concurrency 2` and with 1. The layer records how many calls of each
//! operation were in flight at once: with 2, the batches and the task definition reads each overlap
//! two at a time and never more than two calls per endpoint are in flight; with 1, nothing of one
//! endpoint overlaps. Both plans print the same report and make the same
//! calls. (Against loopback without the delay a call ends before the next one starts, so the peak
//! would not show the overlap; with it the peak is exact, however loaded the machine is.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests fail loudly"
)]

mod runtime_support;
mod support;

use std::time::Duration;

use finfocus_aws_fidelity::{ALL, Traffic};
use runtime_support::{Emulator, Fixture, TempDir, unique};

const SERVICES: usize = 30;

/// Calls and peak in flight of one operation (`ecs.DescribeServices`), `(0, 0)` when unseen.
fn seen(traffic: &Traffic, operation: &str) -> (u64, u64) {
    traffic
        .get(operation)
        .map_or((0, 0), |t| (t.calls, t.max_in_flight))
}

/// A JSON report without the lines that carry the time it was made.
fn untimed(report: &str) -> String {
    report
        .lines()
        .filter(|l| !l.contains("\"generatedAt\"") && !l.contains("\"lastTransitionTime\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_cold_plan_overlaps_its_reads_up_to_the_bound_and_answers_the_same() {
    let emu = Emulator::start();
    let fx = Fixture::new(&emu, "conc");
    let dir = TempDir::new("conc");
    dir.write("base.yaml", &fx.base());
    for i in 0..SERVICES {
        let name = format!("{}-s{i:02}", fx.prefix);
        // A distinct image per service: a revision of its own to read.
        dir.write(
            &format!("s{i:02}.yaml"),
            &fx.service(&name, &format!("nginx:1.{i}"), "enforce", None),
        );
    }
    let instance = unique("conc");
    let manifests = dir.arg();
    emu.run(&instance, &["apply", "-f", &manifests])
        .expect_code(0);
    // As an earlier version left them: services that do not record their revision, whose task
    // definitions a cold pass therefore reads.
    let cluster = format!("{}-cluster", fx.prefix);
    let listed = emu.ecs_call(
        "ListServices",
        &serde_json::json!({"cluster": cluster, "maxResults": 100}),
    );
    for arn in listed["serviceArns"].as_array().unwrap() {
        emu.ecs_call(
            "UntagResource",
            &serde_json::json!({"resourceArn": arn, "tagKeys": ["ecs.finfocus.io/task-definition"]}),
        );
    }

    let fidelity = emu.fidelity();
    fidelity.set_latency(Duration::from_millis(50));
    let plan = |concurrency: &str| {
        fidelity.reset_traffic();
        let run = emu.run(
            &instance,
            &[
                "plan",
                "-f",
                &manifests,
                "-o",
                "json",
                "--aws-concurrency",
                concurrency,
            ],
        );
        run.expect_code(0);
        (run, fidelity.traffic())
    };
    let (overlapped, wide) = plan("2");
    let (sequential, narrow) = plan("1");
    fidelity.set_latency(Duration::ZERO);

    let batches = SERVICES.div_ceil(10) as u64;
    let services = SERVICES as u64;
    // Bounded overlap: calls overlap, never more than two at once per endpoint (ECS, Cloud Map,
    // the tagging API). Which kinds of one endpoint overlap each other depends on arrival order;
    // each kind is only held to the bound and to its number of calls. The Cloud Map services'
    // tags come in one batch; the namespace's, alone, by itself.
    assert!((3..=6).contains(&wide[ALL].max_in_flight), "{wide:#?}");
    for (operation, calls) in [
        ("ecs.DescribeServices", batches),
        ("ecs.DescribeTaskDefinition", services),
        ("servicediscovery.ListTagsForResource", 1),
        ("tagging.GetResources", 1),
    ] {
        let (seen_calls, most) = seen(&wide, operation);
        assert_eq!(seen_calls, calls, "{operation}: {wide:#?}");
        assert!((1..=2).contains(&most), "{operation}: {wide:#?}");
    }
    // The same pass, one call at a time per endpoint.
    assert!(narrow[ALL].max_in_flight <= 3, "{narrow:#?}");
    assert_eq!(seen(&narrow, "ecs.DescribeServices"), (batches, 1));
    // Every revision once, even when reads overlap; the same calls either way.
    assert_eq!(overlapped.calls(), sequential.calls());
    assert_eq!(overlapped.writes(), 0);
    // What a pass observes does not depend on the order answers arrive in.
    let (a, b) = (untimed(&overlapped.stdout), untimed(&sequential.stdout));
    assert!(a == b, "the reports differ:\n{a}\n---\n{b}");
    assert!(a.contains(&format!("\"{}-s29\"", fx.prefix)), "{a}");
    assert!(a.contains("\"inSync\": 32"), "{a}");
}
