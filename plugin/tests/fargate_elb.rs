//! End-to-end: the real binary prices ECS on Fargate and Elastic Load Balancing over gRPC on
//! 127.0.0.1, the way the controller and the FinFocus host ask it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests: a failed expectation should fail loudly"
)]

mod common;

use common::{Plugin, assert_usd, descriptor, error_detail};
use finfocus_plugin_aws_public::proto::v1::{
    EstimateCostRequest, GetPricingSpecRequest, GetProjectedCostRequest, ResourceDescriptor,
    SupportsRequest,
};
use prost_types::value::Kind;
use prost_types::{Struct, Value};
use tonic::Code;

const TASK: &str = "aws:ecs/taskDefinition:TaskDefinition";
const SERVICE: &str = "aws:ecs/service:Service";

fn projected(resource: ResourceDescriptor) -> GetProjectedCostRequest {
    GetProjectedCostRequest {
        resource: Some(resource),
        ..Default::default()
    }
}

/// The deployment guide's task: 2 vCPU, 4 GB, Fargate, us-east-1.
fn guide_task() -> ResourceDescriptor {
    descriptor(
        TASK,
        "",
        "us-east-1",
        &[
            ("cpu", "2048"),
            ("memory", "4096"),
            ("requiresCompatibilities", "[FARGATE]"),
        ],
    )
}

#[tokio::test]
async fn the_guides_task_costs_72_08_a_month() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;

    let cost = client
        .get_projected_cost(projected(guide_task()))
        .await
        .unwrap()
        .into_inner();
    // 730 h x (2 x 0.04048 + 4 x 0.004445)
    assert_usd(cost.cost_per_month, 72.0802);
    assert_eq!(format!("{:.2}", cost.cost_per_month), "72.08");
    assert_usd(cost.unit_price, 0.09874);
    assert_eq!(cost.currency, "USD");
    assert!(
        cost.billing_detail.ends_with("x 730 h = 72.08 USD/month"),
        "{}",
        cost.billing_detail
    );
    assert_eq!(cost.metadata["resource_kind"], "ecs-task");
    assert_eq!(cost.metadata["estimate_quality"], "high");
    assert_eq!(cost.metadata["defaults_applied"], "");

    // The same task as a one-task service.
    let service = client
        .get_projected_cost(projected(descriptor(
            SERVICE,
            "",
            "us-east-1",
            &[
                ("cpu", "2 vCPU"),
                ("memory", "4 GB"),
                ("desiredCount", "1"),
                ("launchType", "FARGATE"),
            ],
        )))
        .await
        .unwrap()
        .into_inner();
    assert_usd(service.cost_per_month, 72.0802);
    assert_eq!(service.metadata["resource_kind"], "ecs-service");

    let supported = client
        .supports(SupportsRequest {
            resource: Some(guide_task()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(supported.supported, "{}", supported.reason);

    let spec = client
        .get_pricing_spec(GetPricingSpecRequest {
            resource: Some(guide_task()),
        })
        .await
        .unwrap()
        .into_inner()
        .spec
        .unwrap();
    assert_eq!(spec.billing_mode, "per_vcpu_and_gb_hour");
    assert_usd(spec.rate_per_unit, 0.09874);
    assert_eq!(spec.sku, "2vCPU-4GB-linux-x86_64");
    assert!(
        spec.source.contains("fargate data 2025-10-27"),
        "{}",
        spec.source
    );
    assert!(
        spec.assumptions
            .iter()
            .any(|a| a.contains("per second") && a.contains("one-minute minimum")),
        "{:?}",
        spec.assumptions
    );
}

#[tokio::test]
async fn estimate_cost_prices_a_service_and_checks_its_size() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;
    let value = |kind| Value { kind: Some(kind) };
    let attributes = |memory: f64| Struct {
        fields: [
            ("cpu".to_owned(), value(Kind::StringValue("2048".into()))),
            ("memory".to_owned(), value(Kind::NumberValue(memory))),
            ("desiredCount".to_owned(), value(Kind::NumberValue(2.0))),
            (
                "launchType".to_owned(),
                value(Kind::StringValue("FARGATE".into())),
            ),
        ]
        .into(),
    };
    let estimate = client
        .estimate_cost(EstimateCostRequest {
            resource_type: SERVICE.to_owned(),
            attributes: Some(attributes(4096.0)),
        })
        .await
        .unwrap()
        .into_inner();
    assert_usd(estimate.cost_monthly, 2.0 * 72.0802);

    let err = client
        .estimate_cost(EstimateCostRequest {
            resource_type: SERVICE.to_owned(),
            attributes: Some(attributes(3072.0)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(error_detail(&err).details["field"], "attributes.memory");
}

#[tokio::test]
async fn arm_in_another_region_matches_its_row() {
    let plugin = Plugin::start(&["--region", "ap-south-1"], &[]);
    let mut client = plugin.client().await;
    let cost = client
        .get_projected_cost(projected(descriptor(
            TASK,
            "",
            "ap-south-1",
            &[
                ("cpu", "1 vCPU"),
                ("memory", "2 GB"),
                ("runtimePlatform", "map[cpuArchitecture:ARM64]"),
            ],
        )))
        .await
        .unwrap()
        .into_inner();
    // fargate.csv ap-south-1: linux_arm_vcpu 0.02383, linux_arm_memory 0.00261.
    assert_usd(cost.cost_per_month, 730.0 * (0.02383 + 2.0 * 0.00261));
}

#[tokio::test]
async fn load_balancers_answer_their_hourly_rate() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;
    let alb = descriptor("aws:lb/loadBalancer:LoadBalancer", "", "us-east-1", &[]);
    let supported = client
        .supports(SupportsRequest {
            resource: Some(alb.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(supported.supported, "{}", supported.reason);
    let cost = client
        .get_projected_cost(projected(alb))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cost.unit_price, 0.0225);
    assert_usd(cost.cost_per_month, 730.0 * (0.0225 + 0.008));
    assert_eq!(cost.metadata["defaults_applied"], "capacity_units=1");
    assert_eq!(cost.metadata["estimate_quality"], "low");

    let classic = client
        .get_projected_cost(projected(descriptor(
            "aws:elb/loadBalancer:LoadBalancer",
            "",
            "us-east-1",
            &[("dataProcessedGb", "0")],
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(classic.unit_price, 0.025);
    assert_usd(classic.cost_per_month, 730.0 * 0.025);
    assert_eq!(classic.metadata["estimate_quality"], "high");
}
