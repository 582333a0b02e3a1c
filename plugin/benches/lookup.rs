//! Price lookup and estimate latency, and the start-up cost of loading one region's table.
//!
//! Std only: each measurement runs `RUNS` times; a run times `ITERS` operations with
//! `Instant` and reports ns/op; the median run is printed. `black_box` keeps the optimiser
//! from hoisting the work out of the loop.
//!
//! `cargo bench -p finfocus-plugin-aws-public --bench lookup`

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark should stop loudly on any failure"
)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use finfocus_plugin_aws_public::estimate::{Query, estimate};
use finfocus_plugin_aws_public::pricing::{PriceTable, Service};
use finfocus_plugin_aws_public::region::Region;

const RUNS: usize = 15;

/// Median ns per operation of `RUNS` runs of `iters` calls of `op`.
fn median_ns(iters: u32, mut op: impl FnMut(u32)) -> f64 {
    let mut per_op: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..iters {
                op(i);
            }
            start.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .collect();
    per_op.sort_by(f64::total_cmp);
    per_op[RUNS / 2]
}

fn main() {
    let load_us = median_ns(20, |_| {
        black_box(PriceTable::load(black_box(Region::UsEast1)).unwrap());
    }) / 1000.0;
    let table = PriceTable::load(Region::UsEast1).unwrap();
    let rows: usize = table.sizes().iter().map(|(_, n)| n).sum();
    println!("table load us-east-1 ({rows} rows): {load_us:.1} us (median of {RUNS})");
    let all_load_us = median_ns(5, |_| {
        for region in Region::ALL {
            black_box(PriceTable::load(region).unwrap());
        }
    }) / 1000.0;
    println!("table load all 12 regions, sequentially: {all_load_us:.1} us");

    let same = median_ns(2_000_000, |_| {
        black_box(table.price(Service::Ec2, black_box("m5.large")));
    });
    println!("ec2 lookup, one key: {same:.1} ns/op");

    // Every instance type in turn, so branch prediction and caches see the real spread.
    let keys: Vec<&str> = table.rows(Service::Ec2).iter().map(|(k, _)| *k).collect();
    let spread = median_ns(2_000_000, |i| {
        let key = keys[i as usize % keys.len()];
        black_box(table.price(Service::Ec2, black_box(key)));
    });
    println!(
        "ec2 lookup, all {} keys in turn: {spread:.1} ns/op",
        keys.len()
    );

    let tags: HashMap<String, String> = [
        ("instanceType", "t3.micro"),
        (
            "rootBlockDevice",
            "map[deleteOnTermination:true volumeSize:20 volumeType:gp3]",
        ),
        ("tags", "map[Name:web team:finops]"),
        ("availabilityZone", "us-east-1a"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let query = Query {
        resource_type: "aws:ec2/instance:Instance",
        sku: "t3.micro",
        region: "us-east-1",
        tags: &tags,
        utilization: None,
        prose: false,
    };
    let cost = median_ns(200_000, |_| {
        black_box(estimate(&table, black_box(&query)).unwrap());
    });
    println!(
        "estimate() of an EC2 descriptor (t3.micro + 20 GB gp3 root), cost only: {cost:.1} ns/op"
    );
    let query = Query {
        prose: true,
        ..query
    };
    let full = median_ns(200_000, |_| {
        black_box(estimate(&table, black_box(&query)).unwrap());
    });
    println!("estimate() of the same descriptor with description and assumptions: {full:.1} ns/op");
}
