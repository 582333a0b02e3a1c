#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
use std::collections::HashMap;

use super::size::check_size;
use super::*;
use crate::estimate::test_support::*;
use crate::estimate::{EstimateError, Quality};
use crate::region::Region;

const TASK: &str = "aws:ecs/taskDefinition:TaskDefinition";
const SERVICE: &str = "aws:ecs/service:Service";

fn field_of(err: &EstimateError) -> &str {
    match err {
        EstimateError::InvalidArgument { field, .. } => field,
        other => panic!("not an InvalidArgument: {other:?}"),
    }
}

#[test]
fn the_guides_task_is_72_08_a_month() {
    // 2 vCPU, 4 GB, Linux x86, us-east-1: 730 x (2 x 0.04048 + 4 x 0.004445).
    let e = price(
        Region::UsEast1,
        TASK,
        "",
        &[
            ("cpu", "2048"),
            ("memory", "4096"),
            ("requiresCompatibilities", "[FARGATE]"),
        ],
    )
    .unwrap();
    assert_eq!(e.kind, "ecs-task");
    assert_eq!(e.sku, "2vCPU-4GB-linux-x86_64");
    assert_usd(e.unit_price, 2.0 * 0.04048 + 4.0 * 0.004445);
    assert_usd(e.cost_per_month, 72.0802);
    assert_eq!(format!("{:.2}", e.cost_per_month), "72.08");
    assert_eq!(e.billing_mode, "per_vcpu_and_gb_hour");
    assert_eq!(e.quality, Quality::High);
    assert!(e.defaults_applied.is_empty());
    assert_eq!(
        e.billing_detail,
        "one Fargate task: Linux/X86_64 2 vCPU x 0.04048 USD/h + 4 GB x 0.004445 USD/h \
         = 0.09874 USD/h x 730 h = 72.08 USD/month"
    );
    assert!(
        e.assumptions
            .iter()
            .any(|a| a.contains("one-minute minimum"))
    );
    assert!(e.assumptions.iter().any(|a| a.contains("per second")));
}

#[test]
fn vcpu_and_gb_spellings_equal_units_and_mib() {
    let units = price(
        Region::UsEast1,
        "ecs-task",
        "",
        &[("cpu", "2048"), ("memory", "4096")],
    )
    .unwrap();
    for (cpu, memory) in [
        ("2 vCPU", "4 GB"),
        ("2vcpu", "4GB"),
        ("2 VCPU", "4 GiB"),
        ("2048", "4096 MiB"),
    ] {
        let e = price(
            Region::UsEast1,
            "ecs-task",
            "",
            &[("cpu", cpu), ("memory", memory)],
        )
        .unwrap();
        assert_eq!(e.cost_per_month, units.cost_per_month, "{cpu} / {memory}");
    }
    let quarter = price(
        Region::UsEast1,
        "ecs-task",
        "",
        &[("cpu", ".25 vCPU"), ("memory", "0.5 GB")],
    )
    .unwrap();
    assert_usd(quarter.unit_price, 0.25 * 0.04048 + 0.5 * 0.004445);
    assert_eq!(quarter.sku, "0.25vCPU-0.5GB-linux-x86_64");
}

#[test]
fn no_requires_compatibilities_assumes_fargate() {
    let e = price(
        Region::UsEast1,
        "ecs-task",
        "",
        &[("cpu", "256"), ("memory", "512")],
    )
    .unwrap();
    let meta: HashMap<_, _> = e.metadata().into_iter().collect();
    assert_eq!(meta["defaults_applied"], "launch_type=FARGATE");
    assert_eq!(e.quality, Quality::Medium);
    assert_usd(e.cost_per_month, 730.0 * (0.25 * 0.04048 + 0.5 * 0.004445));
}

#[test]
fn arm_matches_its_rows_in_every_region() {
    // fargate.csv linux_arm_vcpu / linux_arm_memory per region.
    let expected = [
        (Region::UsEast1, 0.03238, 0.00356),
        (Region::ApSouth1, 0.02383, 0.00261),
        (Region::UsGovWest1, 0.0374304, 0.0040866),
    ];
    let platform = "map[cpuArchitecture:ARM64 operatingSystemFamily:LINUX]";
    for (region, vcpu, gb) in expected {
        let e = price(
            region,
            TASK,
            "",
            &[
                ("cpu", "1024"),
                ("memory", "2048"),
                ("runtimePlatform", platform),
            ],
        )
        .unwrap();
        assert_usd(e.unit_price, vcpu + 2.0 * gb);
        assert_usd(e.cost_per_month, 730.0 * (vcpu + 2.0 * gb));
        assert_eq!(e.sku, "1vCPU-2GB-linux-arm64");
    }
}

#[test]
fn x86_matches_its_rows_in_other_regions() {
    // fargate.csv linux_x86_vcpu / linux_x86_memory.
    let expected = [
        (Region::EuWest1, 0.04048, 0.004445),
        (Region::ApSouth1, 0.04256, 0.004655),
        (Region::UsGovEast1, 0.0486, 0.0053),
    ];
    for (region, vcpu, gb) in expected {
        let e = price(region, TASK, "", &[("cpu", "2 vCPU"), ("memory", "4 GB")]).unwrap();
        assert_usd(e.cost_per_month, 730.0 * (2.0 * vcpu + 4.0 * gb));
    }
}

#[test]
fn windows_adds_the_os_licence_per_vcpu() {
    let e = price(
        Region::UsEast1,
        TASK,
        "",
        &[
            ("cpu", "2048"),
            ("memory", "4096"),
            (
                "runtimePlatform",
                "map[cpuArchitecture:X86_64 operatingSystemFamily:WINDOWS_SERVER_2022_CORE]",
            ),
        ],
    )
    .unwrap();
    let hourly = 2.0 * 0.046552 + 4.0 * 0.00511175 + 2.0 * 0.046;
    assert_usd(e.unit_price, hourly);
    assert_usd(e.cost_per_month, 730.0 * hourly);
    assert_eq!(e.sku, "2vCPU-4GB-windows-x86_64");
    assert!(
        e.billing_detail
            .contains("Windows licence 2 vCPU x 0.046 USD/h")
    );
    assert!(e.assumptions.iter().any(|a| a.contains("Windows")));
    // Windows needs 1 to 4 vCPU and X86_64.
    let err = price(
        Region::UsEast1,
        TASK,
        "",
        &[
            ("cpu", "512"),
            ("memory", "1024"),
            (
                "runtimePlatform",
                "map[operatingSystemFamily:WINDOWS_SERVER_2019_FULL]",
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(field_of(&err), "resource.tags.cpu");
    let err = price(
        Region::UsEast1,
        TASK,
        "",
        &[
            ("cpu", "1024"),
            ("memory", "2048"),
            (
                "runtimePlatform",
                "map[cpuArchitecture:ARM64 operatingSystemFamily:WINDOWS_SERVER_2019_FULL]",
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(
        field_of(&err),
        "resource.tags.runtimePlatform.operatingSystemFamily"
    );
}

#[test]
fn ephemeral_storage_is_billed_above_20_gib() {
    let base = [("cpu", "1024"), ("memory", "2048")];
    let plain = price(Region::UsEast1, TASK, "", &base).unwrap();
    let mut with = base.to_vec();
    with.push(("ephemeralStorage", "map[sizeInGiB:50]"));
    let e = price(Region::UsEast1, TASK, "", &with).unwrap();
    assert_usd(
        e.cost_per_month - plain.cost_per_month,
        30.0 * 0.000111 * 730.0,
    );
    assert!(
        e.billing_detail
            .contains("30 GiB ephemeral storage above the free 20")
    );
    for bad in ["20", "201", "21.5", "x"] {
        let value = format!("map[sizeInGiB:{bad}]");
        let mut with = base.to_vec();
        with.push(("ephemeralStorage", &value));
        let err = price(Region::UsEast1, TASK, "", &with).unwrap_err();
        assert_eq!(
            field_of(&err),
            "resource.tags.ephemeralStorage.sizeInGiB",
            "{bad}"
        );
    }
}

#[test]
fn invalid_fargate_sizes_name_the_field() {
    let cases = [
        ("3000", "4096", "resource.tags.cpu"),
        ("3 vCPU", "6 GB", "resource.tags.cpu"),
        ("0.3 vCPU", "1 GB", "resource.tags.cpu"),
        ("256", "4096", "resource.tags.memory"),
        ("256", "1536", "resource.tags.memory"),
        ("2048", "3 GB", "resource.tags.memory"),
        ("2048", "17 GB", "resource.tags.memory"),
        ("4096", "4500", "resource.tags.memory"),
        ("8192", "18 GB", "resource.tags.memory"),
        ("16384", "36 GB", "resource.tags.memory"),
        ("lots", "4096", "resource.tags.cpu"),
        ("2048", "-1", "resource.tags.memory"),
    ];
    for (cpu, memory, field) in cases {
        let err = price(
            Region::UsEast1,
            TASK,
            "",
            &[("cpu", cpu), ("memory", memory)],
        )
        .unwrap_err();
        assert_eq!(field_of(&err), field, "{cpu} / {memory}");
    }
    let err = price(Region::UsEast1, TASK, "", &[("memory", "4096")]).unwrap_err();
    assert_eq!(field_of(&err), "resource.tags.cpu");
    let err = price(Region::UsEast1, TASK, "", &[("cpu", "2048")]).unwrap_err();
    assert_eq!(field_of(&err), "resource.tags.memory");
    // The edges of the table are valid.
    for (cpu, memory) in [
        ("256", "2048"),
        ("512", "4096"),
        ("4096", "30720"),
        ("8192", "61440"),
        ("16384", "120 GB"),
    ] {
        assert!(
            price(
                Region::UsEast1,
                TASK,
                "",
                &[("cpu", cpu), ("memory", memory)]
            )
            .is_ok(),
            "{cpu} / {memory}"
        );
    }
    assert!(
        !check_size(8192, 18 * 1024, Os::Linux).unwrap_err().0,
        "memory is wrong"
    );
}

#[test]
fn ec2_compatibility_costs_nothing_and_says_why() {
    let e = price(
        Region::UsEast1,
        TASK,
        "",
        &[("requiresCompatibilities", "[EC2]"), ("cpu", "any")],
    )
    .unwrap();
    assert_eq!(e.cost_per_month, 0.0);
    assert_eq!(e.billing_mode, "zero_cost");
    assert!(e.billing_detail.contains("EC2"), "{}", e.billing_detail);
    assert!(e.billing_detail.contains("billed as EC2 instances"));
}

#[test]
fn service_multiplies_by_desired_count() {
    let e = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[
            ("cpu", "2048"),
            ("memory", "4096"),
            ("desiredCount", "2"),
            ("launchType", "FARGATE"),
        ],
    )
    .unwrap();
    assert_eq!(e.kind, "ecs-service");
    assert_usd(e.cost_per_month, 144.1604);
    assert_eq!(e.quality, Quality::High);
    assert!(
        e.billing_detail.ends_with("= 144.16 USD/month"),
        "{}",
        e.billing_detail
    );
    // Without a count or launch type: one task on Fargate, both assumed.
    let e = price(
        Region::UsEast1,
        "ecs-service",
        "",
        &[("cpu", "2048"), ("memory", "4096")],
    )
    .unwrap();
    assert_usd(e.cost_per_month, 72.0802);
    let meta: HashMap<_, _> = e.metadata().into_iter().collect();
    assert_eq!(
        meta["defaults_applied"],
        "desired_count=1,launch_type=FARGATE"
    );
    assert_eq!(e.quality, Quality::Medium);
    let e = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[("cpu", "2048"), ("memory", "4096"), ("desiredCount", "0")],
    )
    .unwrap();
    assert_eq!(e.cost_per_month, 0.0);
    let err = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[("cpu", "2048"), ("memory", "4096"), ("desiredCount", "1.5")],
    )
    .unwrap_err();
    assert_eq!(field_of(&err), "resource.tags.desiredCount");
}

#[test]
fn ec2_launch_type_is_zero_with_the_reason() {
    let e = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[("launchType", "EC2"), ("desiredCount", "3")],
    )
    .unwrap();
    assert_eq!(e.cost_per_month, 0.0);
    assert_eq!(e.unit_price, 0.0);
    assert!(
        e.billing_detail
            .starts_with("runs on EC2 capacity, not Fargate"),
        "{}",
        e.billing_detail
    );
    let err = price(Region::UsEast1, SERVICE, "", &[("launchType", "LAMBDA")]).unwrap_err();
    assert_eq!(field_of(&err), "resource.tags.launchType");
}

#[test]
fn fargate_spot_share_is_priced_at_the_snapshot() {
    // base 1 on FARGATE, then 1:3 -> of 5 tasks: FARGATE 1 + 1, FARGATE_SPOT 3.
    let strategy = "[map[base:1 capacityProvider:FARGATE weight:1] \
                    map[capacityProvider:FARGATE_SPOT weight:3]]";
    let e = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[
            ("cpu", "1024"),
            ("memory", "2048"),
            ("desiredCount", "5"),
            ("capacityProviderStrategy", strategy),
        ],
    )
    .unwrap();
    let on_demand = 0.04048 + 2.0 * 0.004445;
    let spot = 0.01288561 + 2.0 * 0.00141493;
    assert_usd(e.unit_price, 2.0 * on_demand + 3.0 * spot);
    assert_usd(e.cost_per_month, 730.0 * (2.0 * on_demand + 3.0 * spot));
    assert!(
        e.billing_detail.contains("3 tasks on FARGATE_SPOT x"),
        "{}",
        e.billing_detail
    );
    assert!(
        e.assumptions
            .iter()
            .any(|a| a.contains("Fargate Spot snapshot of 2026-09-29")),
        "{:?}",
        e.assumptions
    );
    let source = e.source_text(&table(Region::UsEast1));
    assert!(source.contains("fargate_spot data 2026-09-29"), "{source}");
}

#[test]
fn strategy_shares_by_weight_and_names_other_providers() {
    let strategy = "[map[capacityProvider:FARGATE weight:1] map[capacityProvider:my-asg weight:1]]";
    let e = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[
            ("cpu", "2048"),
            ("memory", "4096"),
            ("desiredCount", "4"),
            ("capacityProviderStrategy", strategy),
        ],
    )
    .unwrap();
    assert_usd(e.cost_per_month, 2.0 * 72.0802);
    assert!(
        e.billing_detail
            .contains("2 tasks on capacity provider my-asg"),
        "{}",
        e.billing_detail
    );
    // Everything on an EC2 capacity provider: zero, said so.
    let e = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[(
            "capacityProviderStrategy",
            "[map[capacityProvider:my-asg weight:1]]",
        )],
    )
    .unwrap();
    assert_eq!(e.cost_per_month, 0.0);
    assert!(e.billing_detail.contains("my-asg"));
    // Errors name the field.
    let cases = [
        (
            "[map[capacityProvider:FARGATE weight:0]]",
            "resource.tags.capacityProviderStrategy",
        ),
        (
            "[map[weight:1]]",
            "resource.tags.capacityProviderStrategy[0].capacityProvider",
        ),
        (
            "[map[capacityProvider:FARGATE weight:x]]",
            "resource.tags.capacityProviderStrategy[0].weight",
        ),
    ];
    for (strategy, field) in cases {
        let err = price(
            Region::UsEast1,
            SERVICE,
            "",
            &[
                ("cpu", "256"),
                ("memory", "512"),
                ("capacityProviderStrategy", strategy),
            ],
        )
        .unwrap_err();
        assert_eq!(field_of(&err), field, "{strategy}");
    }
    let err = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[
            ("launchType", "FARGATE"),
            (
                "capacityProviderStrategy",
                "[map[capacityProvider:FARGATE weight:1]]",
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(field_of(&err), "resource.tags.capacityProviderStrategy");
}

#[test]
fn spot_on_arm_has_no_rate_rather_than_a_guess() {
    let err = price(
        Region::UsEast1,
        SERVICE,
        "",
        &[
            ("cpu", "1024"),
            ("memory", "2048"),
            ("runtimePlatform", "map[cpuArchitecture:ARM64]"),
            (
                "capacityProviderStrategy",
                "[map[capacityProvider:FARGATE_SPOT weight:1]]",
            ),
        ],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            EstimateError::NoPrice {
                kind: "ecs-service",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn estimate_cost_attributes_price_the_same() {
    let table = table(Region::UsEast1);
    let attrs = tags(&[
        ("cpu", "2048"),
        ("memory", "4096"),
        ("desiredCount", "1"),
        ("launchType", "FARGATE"),
    ]);
    let e = crate::estimate::estimate_attributes(&table, SERVICE, &attrs).unwrap();
    assert_usd(e.cost_per_month, 72.0802);
    let err = crate::estimate::estimate_attributes(&table, SERVICE, &tags(&[("cpu", "2048")]))
        .unwrap_err();
    assert_eq!(field_of(&err), "attributes.memory");
}
