//! The FinFocus conformance checks, re-expressed against our binary launched the way the
//! FinFocus host launches it (`<binary> --port=<n>` with `FINFOCUS_PLUGIN_PORT=<n>`, ready on the
//! `PORT=` line, spoken to over plain gRPC on 127.0.0.1).
//!
//! Two suites certify a plugin:
//! - the host's `finfocus plugin conformance` (rshade/finfocus, `internal/conformance/`):
//!   protocol, error, context and performance checks ([`host_checks`]);
//! - the spec SDK's level suites (rshade/finfocus-spec, `sdk/go/testing/`): Basic
//!   ([`spec_basic_level`]), Standard ([`spec_standard_level`]) and Advanced
//!   ([`spec_advanced_level`]), each including the checks of `spec_validation.go`,
//!   `rpc_correctness.go`, `performance.go` and `concurrency.go` at their level.
//!
//! Each check keeps the suite's request and acceptance rule; its name is the suite's name for
//! it. Recommendation checks run twice: with the suite's own request (no target resources, so
//! an empty answer) and with a mixed list of target resources, so that the filters, pages and
//! summaries are checked on real recommendations too.
//!
//! The host package's `CheckProtocolVersion` (version.go) is a helper that none of its checks
//! calls, so there is nothing of it to port.
//!
//! # Checks that do not apply to a real plugin
//! [`NOT_APPLICABLE`] lists them with the reason; [`not_applicable_inputs_get_honest_answers`]
//! shows what this plugin answers to their inputs instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests: a failed expectation should fail loudly"
)]

mod common;

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use common::{BIN, Plugin, assert_usd, command, descriptor, free_port};
use finfocus_plugin_aws_public::proto::v1::cost_source_service_client::CostSourceServiceClient;
use finfocus_plugin_aws_public::proto::v1::recommendation::ActionDetail;
use finfocus_plugin_aws_public::proto::v1::{
    EstimateCostRequest, GetActualCostRequest, GetActualCostResponse, GetBudgetsRequest,
    GetPluginInfoRequest, GetPricingSpecRequest, GetProjectedCostRequest,
    GetRecommendationsRequest, GetRecommendationsResponse, NameRequest, Recommendation,
    RecommendationActionType, RecommendationCategory, RecommendationFilter, ResourceDescriptor,
    SupportsRequest,
};
use prost_types::Timestamp;
use tonic::transport::Channel;
use tonic::{Code, Request};

type Client = CostSourceServiceClient<Channel>;

/// Checks written for the spec's mock plugin only, and why they do not apply to this one.
pub const NOT_APPLICABLE: &[(&str, &str)] = &[
    (
        "host GetProjectedCost_PermissionDenied (resource type forbidden:resource)",
        "only the mock maps this made-up type to PERMISSION_DENIED; a real plugin has no such type \
         and answers NOT_FOUND, never a simulated refusal",
    ),
    (
        "host GetProjectedCost_InternalError (resource type error:internal)",
        "a mock trigger for INTERNAL; this plugin answers NOT_FOUND for the unknown type",
    ),
    (
        "host GetProjectedCost_Unavailable (resource type error:unavailable)",
        "a mock trigger for UNAVAILABLE; the price tables are compiled in, so this plugin is never \
         unavailable and answers NOT_FOUND for the unknown type",
    ),
    (
        "spec Basic EstimateCostRejectsUnsupportedResource (aws:lambda/function:Function is NOT_FOUND)",
        "the mock prices only EC2; this plugin prices Lambda, so the request is answered with a \
         cost. The check's intent (a well-formed type the plugin does not price is NOT_FOUND) is \
         checked with aws:foo/bar:Baz",
    ),
];

/// Starts the binary as the host does: an allocated port as `--port=<n>` and
/// `FINFOCUS_PLUGIN_PORT`, the host's environment otherwise (which may carry `REGION`).
///
/// The port is free when allocated but may be taken (by a parallel test's connection) before the
/// plugin binds it; like a host whose launch failed, try again with another port, a few times.
fn host_launch(region: Option<&str>) -> Plugin {
    let mut failures = Vec::new();
    for _ in 0..5 {
        let port = free_port().to_string();
        let mut cmd = command(BIN);
        cmd.arg(format!("--port={port}"))
            .env("FINFOCUS_PLUGIN_PORT", &port);
        if let Some(region) = region {
            cmd.env("REGION", region);
        }
        match Plugin::spawn(cmd) {
            Ok(plugin) => {
                assert_eq!(plugin.port.to_string(), port, "listens on the host's port");
                return plugin;
            }
            Err(failed)
                if failed
                    .stderr
                    .iter()
                    .any(|l| l.contains("Address already in use")) =>
            {
                failures.push(failed);
            }
            Err(failed) => panic!("plugin did not start: {failed:#?}"),
        }
    }
    panic!("every allocated port was taken before the plugin bound it: {failures:#?}")
}

/// The spec suites' resource: `CreateResourceDescriptor("aws", "ec2", "t3.micro", "us-east-1")`.
fn suite_resource() -> ResourceDescriptor {
    descriptor(
        "ec2",
        "t3.micro",
        "us-east-1",
        &[("environment", "test"), ("app", "integration-test")],
    )
}

/// The host suite's resource.
fn host_resource(resource_type: &str, sku: &str) -> ResourceDescriptor {
    descriptor(resource_type, sku, "us-east-1", &[])
}

fn projected(resource: ResourceDescriptor) -> GetProjectedCostRequest {
    GetProjectedCostRequest {
        resource: Some(resource),
        ..Default::default()
    }
}

/// `CreateTimeRange(hours)`: from `hours` ago to now.
fn time_range(hours: u64) -> (Timestamp, Timestamp) {
    let end = SystemTime::now();
    let start = end - Duration::from_secs(hours * 3600);
    (start.into(), end.into())
}

fn actual(resource_id: &str, start: Timestamp, end: Timestamp) -> GetActualCostRequest {
    GetActualCostRequest {
        resource_id: resource_id.to_owned(),
        start: Some(start),
        end: Some(end),
        ..Default::default()
    }
}

/// Average latency of `n` sequential calls.
async fn average<F, Fut, T>(n: u32, mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    let mut total = Duration::ZERO;
    for _ in 0..n {
        let started = Instant::now();
        call().await.expect("call succeeds");
        total += started.elapsed();
    }
    total / n
}

/// `n` concurrent Name calls; every one must succeed. Returns the names.
async fn concurrent_names(client: &Client, n: usize) -> Vec<String> {
    let calls = (0..n).map(|_| {
        let mut c = client.clone();
        tokio::spawn(async move { c.name(NameRequest {}).await })
    });
    let mut names = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        names.push(
            call.await
                .unwrap()
                .expect("concurrent Name")
                .into_inner()
                .name,
        );
    }
    names
}

/// `ValidateActualCostResponse`: every result has a timestamp, no negative amounts, a source.
fn assert_valid_actual(response: &GetActualCostResponse) {
    for (i, r) in response.results.iter().enumerate() {
        assert!(r.timestamp.is_some(), "result[{i}] timestamp");
        assert!(
            r.cost >= 0.0 && r.usage_amount >= 0.0,
            "result[{i}] amounts"
        );
        assert!(!r.source.is_empty(), "result[{i}] source");
    }
}

/// `IsValidSemVer` (golang.org/x/mod/semver): `v` then MAJOR.MINOR.PATCH, optional suffixes.
fn is_semver(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

/// The billing modes `spec_validation.go` accepts (schemas/pricing_spec.schema.json).
const VALID_BILLING_MODES: &[&str] = &[
    "per_hour",
    "per_minute",
    "per_second",
    "per_day",
    "per_week",
    "per_month",
    "per_year",
    "per_gb_month",
    "per_gb_hour",
    "per_gb_day",
    "per_tb_month",
    "per_request",
    "per_operation",
    "per_transaction",
    "per_message",
    "per_event",
    "per_gb_transfer",
    "per_gb_egress",
    "per_gb_ingress",
    "per_cpu_hour",
    "per_cpu_second",
    "per_core_hour",
    "per_vcpu_hour",
    "per_memory_gb_hour",
    "per_memory_gib_hour",
    "per_rcu",
    "per_wcu",
    "per_dtu",
    "per_iops",
    "per_io_operation",
    "per_provisioned_iops",
    "per_endpoint_hour",
    "per_vpc_hour",
    "per_nat_gateway_hour",
    "per_load_balancer_hour",
    "per_connection_hour",
    "per_invocation",
    "per_execution",
    "per_gb_second",
    "per_million_requests",
    "per_license",
    "per_seat",
    "per_user",
    "on_demand",
    "reserved",
    "spot",
    "savings_plan",
    "flat_rate",
    "tiered",
    "volume",
    "graduated",
];

// ---------------------------------------------------------------------------------------------
// The host's `finfocus plugin conformance`
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn host_checks() {
    let plugin = host_launch(None);
    let mut client = plugin.client().await;

    // Name_ReturnsPluginIdentifier, Name_ReturnsProtocolVersion.
    let name = client.name(NameRequest {}).await.unwrap().into_inner();
    assert!(!name.name.is_empty());

    // GetProjectedCost_ValidResource: a cost and a currency.
    let cost = client
        .get_projected_cost(projected(host_resource(
            "aws:ec2/instance:Instance",
            "t3.micro",
        )))
        .await
        .unwrap()
        .into_inner();
    assert!(!cost.currency.is_empty());
    assert!(cost.cost_per_month > 0.0);

    // GetProjectedCost_InvalidResource: NOT_FOUND or INVALID_ARGUMENT.
    let err = client
        .get_projected_cost(projected(host_resource("invalid:resource", "non-existent")))
        .await
        .unwrap_err();
    assert!(
        matches!(err.code(), Code::NotFound | Code::InvalidArgument),
        "{err:?}"
    );

    // Context_Cancellation: the host's client cancels before the call, so the Canceled status
    // comes from its own client library. What the plugin must do is shrug off calls the client
    // abandons, before or during the exchange: after 50 of them it still answers.
    for i in 0..50 {
        let mut c = client.clone();
        let call = tokio::spawn(async move {
            c.get_projected_cost(projected(host_resource(
                "aws:ec2/instance:Instance",
                "t3.micro",
            )))
            .await
        });
        for _ in 0..i % 5 {
            tokio::task::yield_now().await;
        }
        call.abort();
    }
    // On a busy machine the server may meet many streams reset before it accepted them and close
    // that connection (HTTP/2 rapid-reset protection); what matters is that the plugin itself
    // still serves, so the remaining checks use a new connection, as a host's next check would.
    drop(client);
    let mut client = plugin.client().await;
    client
        .name(NameRequest {})
        .await
        .expect("serves after cancellations");

    // Timeout_Respected: Name with a 10 ms deadline succeeds or is DEADLINE_EXCEEDED/CANCELLED.
    let mut request = Request::new(NameRequest {});
    request.set_timeout(Duration::from_millis(10));
    if let Err(status) = client.name(request).await {
        assert!(
            matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
            "{status:?}"
        );
    }

    // Batch_Handling: five sequential GetProjectedCost calls all succeed.
    for _ in 0..5 {
        client
            .get_projected_cost(projected(host_resource(
                "aws:ec2/instance:Instance",
                "t3.micro",
            )))
            .await
            .expect("sequential call");
    }
}

#[tokio::test]
async fn not_applicable_inputs_get_honest_answers() {
    assert_eq!(NOT_APPLICABLE.len(), 4);
    let plugin = host_launch(None);
    let mut client = plugin.client().await;
    for mock_only in ["forbidden:resource", "error:internal", "error:unavailable"] {
        let err = client
            .get_projected_cost(projected(host_resource(mock_only, "any")))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{mock_only}");
    }
    let lambda = client
        .estimate_cost(EstimateCostRequest {
            resource_type: "aws:lambda/function:Function".to_owned(),
            attributes: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lambda.currency, "USD");
    let unknown = client
        .estimate_cost(EstimateCostRequest {
            resource_type: "aws:foo/bar:Baz".to_owned(),
            attributes: None,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

// ---------------------------------------------------------------------------------------------
// The spec SDK's levels
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn spec_basic_level() {
    let plugin = host_launch(None);
    let mut client = plugin.client().await;

    // NameReturnsValidResponse / RPCCorrectness_NameRPC: non-empty, at most 100 characters.
    let name = client.name(NameRequest {}).await.unwrap().into_inner().name;
    assert!(!name.is_empty() && name.len() <= 100);

    // GetPluginInfoReturnsValidResponse: name, version, SemVer spec_version.
    let info = client
        .get_plugin_info(GetPluginInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(!info.name.is_empty() && !info.version.is_empty());
    assert!(is_semver(&info.spec_version), "{}", info.spec_version);

    // GetPluginInfoPerformance: each of 10 calls within 100 ms.
    for i in 0..10 {
        let started = Instant::now();
        client
            .get_plugin_info(GetPluginInfoRequest {})
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(took <= Duration::from_millis(100), "call {i}: {took:?}");
    }

    // SupportsHandlesValidInput / RPCCorrectness_SupportsRPC: a reason when unsupported.
    let supports = client
        .supports(SupportsRequest {
            resource: Some(suite_resource()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(supports.supported || !supports.reason.is_empty());
    // SupportsGranularDiscovery: supported => enum capabilities and the legacy map.
    assert!(supports.supported);
    assert!(!supports.capabilities_enum.is_empty());
    assert!(!supports.capabilities.is_empty());

    // SupportsHandlesNilResource / RPCCorrectness_NilResource: an error or supported=false.
    match client.supports(SupportsRequest { resource: None }).await {
        Err(status) => assert_eq!(status.code(), Code::InvalidArgument),
        Ok(r) => assert!(!r.into_inner().supported),
    }

    // GetProjectedCostHandlesValidResource / RPCCorrectness_GetProjectedCostRPC.
    let cost = client
        .get_projected_cost(projected(suite_resource()))
        .await
        .unwrap()
        .into_inner();
    assert!(cost.unit_price >= 0.0 && cost.cost_per_month >= 0.0);
    assert_eq!(cost.currency.len(), 3);

    // GetPricingSpecReturnsCompleteResponse, SpecValidation_ValidPricingSpec,
    // SpecValidation_BillingModeEnum, SpecValidation_RequiredFields, RPCCorrectness_GetPricingSpecRPC.
    let spec = client
        .get_pricing_spec(GetPricingSpecRequest {
            resource: Some(suite_resource()),
        })
        .await
        .unwrap()
        .into_inner()
        .spec
        .expect("a PricingSpec");
    for (field, value) in [
        ("provider", &spec.provider),
        ("resource_type", &spec.resource_type),
        ("billing_mode", &spec.billing_mode),
        ("currency", &spec.currency),
        ("unit", &spec.unit),
    ] {
        assert!(!value.is_empty(), "{field} is empty");
    }
    assert!(!spec.assumptions.is_empty());
    assert!(
        VALID_BILLING_MODES.contains(&spec.billing_mode.as_str()),
        "{}",
        spec.billing_mode
    );
    assert_eq!(spec.currency.len(), 3);
    assert!(spec.rate_per_unit >= 0.0);

    // GetPricingSpecHandlesDefaultFields: no sku, no region: a spec or INVALID_ARGUMENT.
    let minimal = ResourceDescriptor {
        provider: "aws".to_owned(),
        resource_type: "ec2".to_owned(),
        ..Default::default()
    };
    match client
        .get_pricing_spec(GetPricingSpecRequest {
            resource: Some(minimal),
        })
        .await
    {
        Ok(r) => assert!(r.into_inner().spec.is_some()),
        Err(status) => assert_eq!(status.code(), Code::InvalidArgument),
    }

    // EstimateCostHandlesValidResource: null attributes (FR-005) give a valid estimate.
    let estimate = client
        .estimate_cost(EstimateCostRequest {
            resource_type: "aws:ec2/instance:Instance".to_owned(),
            attributes: None,
        })
        .await
        .unwrap();
    assert!(
        estimate
            .metadata()
            .get("x-finfocus-defaults-applied")
            .is_some_and(|v| v.to_str().unwrap().contains("instance_type=t3.micro")),
        "the assumed type is reported"
    );
    let estimate = estimate.into_inner();
    assert_eq!(estimate.currency.len(), 3);
    assert!(estimate.cost_monthly >= 0.0);

    // EstimateCostRejectsInvalidFormat.
    let err = client
        .estimate_cost(EstimateCostRequest {
            resource_type: "invalid-format".to_owned(),
            attributes: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // RPCCorrectness_InvalidTimeRange: end before start is refused.
    let (start, end) = time_range(24);
    let err = client
        .get_actual_cost(actual("test-resource", end, start))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // RPCCorrectness_GetBudgetsRPC: UNIMPLEMENTED is the answer of a plugin without budgets.
    let err = client.get_budgets(GetBudgetsRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);

    // GetRecommendations_EmptyPlugin, _Basic, _SummaryCalculation: the suite's request, and
    // the same checks on real recommendations.
    let empty = client
        .get_recommendations(GetRecommendationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(empty.summary.is_some());
    assert_well_formed(&empty);
    let mixed = client
        .get_recommendations(with_targets(GetRecommendationsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(mixed.recommendations.len() >= 6, "{mixed:?}");
    assert_well_formed(&mixed);
}

/// `_Basic` and `_SummaryCalculation`: required fields, and a summary that adds up.
fn assert_well_formed(response: &GetRecommendationsResponse) {
    for (i, r) in response.recommendations.iter().enumerate() {
        assert!(!r.id.is_empty(), "{i}: id");
        assert_ne!(r.category, 0, "{i}: category");
        assert_ne!(r.action_type, 0, "{i}: action_type");
        assert!(r.resource.is_some(), "{i}: resource");
        assert!(r.impact.is_some(), "{i}: impact");
    }
    let summary = response.summary.as_ref().expect("summary");
    assert_eq!(
        summary.total_recommendations as usize,
        response.recommendations.len()
    );
    let sum: f64 = response
        .recommendations
        .iter()
        .map(|r| r.impact.as_ref().unwrap().estimated_savings)
        .sum();
    assert!((summary.total_estimated_savings - sum).abs() <= 0.01);
}

/// A mixed list of target resources with at least one recommendation per rule.
fn mixed_targets(region: &str) -> Vec<ResourceDescriptor> {
    vec![
        descriptor("aws:ebs/volume:Volume", "gp2", region, &[("size", "100")]),
        descriptor("ebs", "gp2", region, &[("size", "2000")]),
        descriptor("ebs", "io1", region, &[("size", "1000"), ("iops", "50000")]),
        descriptor("aws:ec2/instance:Instance", "t2.micro", region, &[]),
        descriptor("ec2", "m4.large", region, &[]),
        descriptor("ec2", "m5.large", region, &[]),
        descriptor(
            "aws:rds/instance:Instance",
            "db.t3.micro",
            region,
            &[("storageType", "gp2"), ("allocatedStorage", "100")],
        ),
        descriptor("elasticache", "cache.r4.large", region, &[]),
    ]
}

fn with_targets(request: GetRecommendationsRequest) -> GetRecommendationsRequest {
    GetRecommendationsRequest {
        target_resources: mixed_targets("us-east-1"),
        ..request
    }
}

fn filtered(filter: RecommendationFilter) -> GetRecommendationsRequest {
    GetRecommendationsRequest {
        filter: Some(filter),
        ..Default::default()
    }
}

#[tokio::test]
async fn spec_standard_level() {
    let plugin = host_launch(None);
    let mut client = plugin.client().await;

    // GetActualCostHandlesValidTimeRange / RPCCorrectness_GetActualCostRPC: resource_id
    // "test-resource" over 24 h: success (valid results) or NOT_FOUND / UNAVAILABLE.
    let (start, end) = time_range(24);
    match client
        .get_actual_cost(actual("test-resource", start, end))
        .await
    {
        Ok(r) => assert_valid_actual(r.get_ref()),
        Err(status) => assert!(
            matches!(status.code(), Code::NotFound | Code::Unavailable),
            "{status:?}"
        ),
    }
    // GetActualCostRejectsInvalidTimeRange.
    assert!(
        client
            .get_actual_cost(actual("test-resource", end, start))
            .await
            .is_err()
    );

    // GetPricingSpecConsistency: three calls, same rate and currency.
    let mut specs = Vec::new();
    for _ in 0..3 {
        let spec = client
            .get_pricing_spec(GetPricingSpecRequest {
                resource: Some(suite_resource()),
            })
            .await
            .unwrap()
            .into_inner()
            .spec
            .unwrap();
        specs.push((spec.rate_per_unit, spec.currency));
    }
    assert!(specs.windows(2).all(|w| w[0] == w[1]), "{specs:?}");

    // EstimateCostIsDeterministic: three calls, the same cost.
    let estimate = EstimateCostRequest {
        resource_type: "aws:ec2/instance:Instance".to_owned(),
        attributes: None,
    };
    let mut costs = Vec::new();
    for _ in 0..3 {
        costs.push(
            client
                .estimate_cost(estimate.clone())
                .await
                .unwrap()
                .into_inner()
                .cost_monthly,
        );
    }
    assert!(costs.windows(2).all(|w| w[0] == w[1]), "{costs:?}");

    // EstimateCostHandlesConcurrentRequests: 10 at once, none fails.
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let mut c = client.clone();
            let r = estimate.clone();
            tokio::spawn(async move { c.estimate_cost(r).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("concurrent EstimateCost");
    }

    // GetRecommendations filters, pagination and action details: the suite's requests as they
    // are, then with target resources.
    for targets in [false, true] {
        let ask = |request: GetRecommendationsRequest| {
            let mut c = client.clone();
            let request = if targets {
                with_targets(request)
            } else {
                request
            };
            async move { c.get_recommendations(request).await }
        };
        recommendation_checks(ask, targets).await;
    }

    // Performance_*Latency at the Standard thresholds (average of 10 calls).
    latencies(&client, 1).await;

    // Concurrency_ParallelRequests_Standard and Concurrency_ResponseConsistency.
    let names = concurrent_names(&client, 10).await;
    assert_eq!(names.len(), 10);
    let names = concurrent_names(&client, 10).await;
    assert!(names.windows(2).all(|w| w[0] == w[1]), "{names:?}");
}

/// The Standard level's recommendation checks; `ask` sends a request (with or without targets).
async fn recommendation_checks<F, Fut>(ask: F, targets: bool)
where
    F: Fn(GetRecommendationsRequest) -> Fut,
    Fut: Future<Output = Result<tonic::Response<GetRecommendationsResponse>, tonic::Status>>,
{
    let list = |r: tonic::Response<GetRecommendationsResponse>| r.into_inner();
    let cost = RecommendationCategory::Cost as i32;
    let rightsize = RecommendationActionType::Rightsize as i32;

    // _FilterByCategory.
    let r = list(
        ask(filtered(RecommendationFilter {
            category: cost,
            ..Default::default()
        }))
        .await
        .unwrap(),
    );
    assert!(r.recommendations.iter().all(|x| x.category == cost));
    assert_eq!(!r.recommendations.is_empty(), targets);

    // _FilterByActionType and _RightsizeAction: rightsize details with both types.
    let r = list(
        ask(filtered(RecommendationFilter {
            action_type: rightsize,
            ..Default::default()
        }))
        .await
        .unwrap(),
    );
    assert_eq!(!r.recommendations.is_empty(), targets);
    for x in &r.recommendations {
        assert_eq!(x.action_type, rightsize);
        let Some(ActionDetail::Rightsize(d)) = &x.action_detail else {
            panic!("rightsize details missing: {x:?}")
        };
        assert!(!d.current_sku.is_empty() || !d.current_instance_type.is_empty());
        assert!(!d.recommended_sku.is_empty() || !d.recommended_instance_type.is_empty());
    }

    // _FilterNoMatches: an unknown provider gives an empty list and a zero summary.
    let r = list(
        ask(filtered(RecommendationFilter {
            provider: "nonexistent-provider-xyz".to_owned(),
            ..Default::default()
        }))
        .await
        .unwrap(),
    );
    assert!(r.recommendations.is_empty());
    assert_eq!(r.summary.unwrap().total_recommendations, 0);

    // _FilterByProvider and _FilterCombined.
    for category in [0, cost] {
        let r = list(
            ask(filtered(RecommendationFilter {
                provider: "aws".to_owned(),
                category,
                ..Default::default()
            }))
            .await
            .unwrap(),
        );
        assert_eq!(!r.recommendations.is_empty(), targets);
        for x in &r.recommendations {
            assert_eq!(x.resource.as_ref().unwrap().provider, "aws");
            assert!(category == 0 || x.category == category);
        }
    }

    // _KubernetesAction and _CommitmentAction: none here, which the suite accepts.
    for action in [
        RecommendationActionType::AdjustRequests,
        RecommendationActionType::PurchaseCommitment,
    ] {
        let r = list(
            ask(filtered(RecommendationFilter {
                action_type: action as i32,
                ..Default::default()
            }))
            .await
            .unwrap(),
        );
        assert!(r.recommendations.is_empty());
    }

    // _Pagination_FirstPage, _NextPage, _LastPage with page_size 5.
    let page = |token: String| GetRecommendationsRequest {
        page_size: 5,
        page_token: token,
        ..Default::default()
    };
    let first = list(ask(page(String::new())).await.unwrap());
    assert!(first.recommendations.len() <= 5);
    assert_eq!(!first.next_page_token.is_empty(), targets);
    let mut seen: Vec<Recommendation> = first.recommendations;
    let mut token = first.next_page_token;
    let mut pages = 1;
    while !token.is_empty() {
        assert!(pages < 100, "no last page within 100 pages");
        let next = list(ask(page(token)).await.unwrap());
        assert!(
            !next.recommendations.is_empty(),
            "a next page token led to an empty page"
        );
        seen.extend(next.recommendations);
        token = next.next_page_token;
        pages += 1;
    }
    let whole = list(ask(GetRecommendationsRequest::default()).await.unwrap());
    assert_eq!(
        seen.iter().map(|r| &r.id).collect::<Vec<_>>(),
        whole
            .recommendations
            .iter()
            .map(|r| &r.id)
            .collect::<Vec<_>>(),
        "the pages hold the list once, in order"
    );

    // _Pagination_InvalidToken.
    let err = ask(page("invalid-token-not-base64".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // excluded_recommendation_ids keeps dismissed recommendations out.
    if let Some(first) = whole.recommendations.first() {
        let r = list(
            ask(GetRecommendationsRequest {
                excluded_recommendation_ids: vec![first.id.clone()],
                ..Default::default()
            })
            .await
            .unwrap(),
        );
        assert_eq!(r.recommendations.len(), whole.recommendations.len() - 1);
        assert!(r.recommendations.iter().all(|x| x.id != first.id));
    }
}

/// Performance_*Latency: the average of 10 calls within the Standard (`level` 1) or Advanced
/// (`level` 2) threshold of each method.
async fn latencies(client: &Client, level: usize) {
    let ms = |standard: u64, advanced: u64| {
        Duration::from_millis(if level == 1 { standard } else { advanced })
    };
    let c = client.clone();
    let name = average(10, || {
        let mut c = c.clone();
        async move { c.name(NameRequest {}).await }
    })
    .await;
    assert!(name <= ms(100, 50), "Name {name:?}");
    let supports = average(10, || {
        let mut c = c.clone();
        async move {
            c.supports(SupportsRequest {
                resource: Some(suite_resource()),
            })
            .await
        }
    })
    .await;
    assert!(supports <= ms(50, 25), "Supports {supports:?}");
    let info = average(10, || {
        let mut c = c.clone();
        async move { c.get_plugin_info(GetPluginInfoRequest {}).await }
    })
    .await;
    assert!(info <= ms(100, 50), "GetPluginInfo {info:?}");
    let projected_cost = average(10, || {
        let mut c = c.clone();
        async move { c.get_projected_cost(projected(suite_resource())).await }
    })
    .await;
    assert!(
        projected_cost <= ms(200, 100),
        "GetProjectedCost {projected_cost:?}"
    );
    let spec = average(10, || {
        let mut c = c.clone();
        async move {
            c.get_pricing_spec(GetPricingSpecRequest {
                resource: Some(suite_resource()),
            })
            .await
        }
    })
    .await;
    assert!(spec <= ms(200, 100), "GetPricingSpec {spec:?}");
    // GetBudgets is UNIMPLEMENTED here; its latency is that of the refusal.
    let mut total = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let _ = c.clone().get_budgets(GetBudgetsRequest {}).await;
        total += started.elapsed();
    }
    assert!(total / 10 <= ms(5000, 2000), "GetBudgets {:?}", total / 10);
}

#[tokio::test]
async fn spec_advanced_level() {
    let plugin = host_launch(None);
    let mut client = plugin.client().await;

    // PerformanceBaseline: Name within 100 ms.
    let started = Instant::now();
    client.name(NameRequest {}).await.unwrap();
    assert!(started.elapsed() <= Duration::from_millis(100));

    // ConcurrentRequestHandling: 10 concurrent Name calls.
    assert_eq!(concurrent_names(&client, 10).await.len(), 10);

    // LargeDataHandling: 30 days for "large-dataset-test": success within 10 s, or
    // INVALID_ARGUMENT / RESOURCE_EXHAUSTED.
    let (start, end) = time_range(720);
    let started = Instant::now();
    match client
        .get_actual_cost(actual("large-dataset-test", start, end))
        .await
    {
        Ok(r) => {
            assert!(started.elapsed() <= Duration::from_secs(10));
            assert_valid_actual(r.get_ref());
        }
        Err(status) => assert!(
            matches!(
                status.code(),
                Code::InvalidArgument | Code::ResourceExhausted
            ),
            "{status:?}"
        ),
    }

    // EstimateCostPerformance: within 500 ms.
    let started = Instant::now();
    client
        .estimate_cost(EstimateCostRequest {
            resource_type: "aws:ec2/instance:Instance".to_owned(),
            attributes: None,
        })
        .await
        .unwrap();
    assert!(started.elapsed() <= Duration::from_millis(500));

    // Performance_*Latency at the Advanced thresholds.
    latencies(&client, 2).await;

    // Performance_BaselineVariance: Name's average over 20 calls at most 10% over 100 ms.
    let c = client.clone();
    let name = average(20, || {
        let mut c = c.clone();
        async move { c.name(NameRequest {}).await }
    })
    .await;
    assert!(name <= Duration::from_millis(110), "{name:?}");

    // Concurrency_ParallelRequests_Advanced: 50 concurrent Name calls.
    assert_eq!(concurrent_names(&client, 50).await.len(), 50);
}

// ---------------------------------------------------------------------------------------------
// Recommendations priced from our own tables, in two regions
// ---------------------------------------------------------------------------------------------

/// The resource a recommendation proposes, as a descriptor to price with GetProjectedCost.
fn recommended_resource(current: &ResourceDescriptor, r: &Recommendation) -> ResourceDescriptor {
    let mut d = current.clone();
    match r.action_detail.as_ref().expect("action detail") {
        ActionDetail::Rightsize(a) => d.sku.clone_from(&a.recommended_sku),
        ActionDetail::Modify(m) => {
            let c = &m.recommended_config;
            if let Some(t) = c.get("instance_type") {
                d.sku.clone_from(t);
            } else if let Some(t) = c.get("volume_type") {
                d.sku.clone_from(t);
                for (key, tag) in [("iops", "iops"), ("throughput_mibps", "throughput")] {
                    if let Some(v) = c.get(key) {
                        d.tags.insert(tag.to_owned(), v.clone());
                    }
                }
            } else if let Some(t) = c.get("storage_type") {
                d.tags.insert("storageType".to_owned(), t.clone());
                if let Some(v) = c.get("iops") {
                    d.tags.insert("iops".to_owned(), v.clone());
                }
            } else {
                panic!("unknown modification {m:?}");
            }
        }
        other => panic!("unexpected action {other:?}"),
    }
    d
}

/// Every recommendation's saving is the difference of two GetProjectedCost answers of the same
/// process, and every rule is represented. Returns (rule, "<resource type> <sku>", monthly
/// savings).
async fn savings_match_projected_costs(region: &str) -> Vec<(String, String, f64)> {
    let plugin = host_launch(Some(region));
    let mut client = plugin.client().await;
    let targets = mixed_targets(region);
    let response = client
        .get_recommendations(GetRecommendationsRequest {
            target_resources: targets.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_well_formed(&response);
    let mut seen = Vec::new();
    for r in &response.recommendations {
        let resource = r.resource.as_ref().unwrap();
        assert_eq!(resource.region, region);
        let current = targets
            .iter()
            .find(|t| {
                t.resource_type == resource.resource_type
                    && t.sku == resource.sku
                    && t.tags == resource.tags
            })
            .expect("the target the recommendation is about");
        let price = |d: ResourceDescriptor| {
            let mut c = client.clone();
            async move {
                c.get_projected_cost(projected(d))
                    .await
                    .unwrap()
                    .into_inner()
                    .cost_per_month
            }
        };
        let before = price(current.clone()).await;
        let after = price(recommended_resource(current, r)).await;
        let impact = r.impact.as_ref().unwrap();
        assert_eq!(impact.projection_period, "monthly");
        assert_usd(impact.current_cost, before);
        assert_usd(impact.projected_cost, after);
        assert!(
            (impact.estimated_savings - (before - after)).abs() < 1e-6,
            "{}: {} vs {before} - {after}",
            r.id,
            impact.estimated_savings
        );
        assert!(impact.estimated_savings >= 0.0);
        let rule = r.metadata["rule"].clone();
        if rule == "ec2-graviton" {
            assert_eq!(r.metadata["requires_arm64_image"], "true");
        }
        let what = format!("{} {}", resource.resource_type, resource.sku);
        seen.push((rule, what, impact.estimated_savings));
    }
    for rule in [
        "ebs-gp2-to-gp3",
        "ebs-io1-to-io2",
        "ec2-current-generation",
        "ec2-graviton",
        "rds-gp2-to-gp3",
        "elasticache-current-generation",
    ] {
        assert!(
            seen.iter().any(|(r, ..)| r == rule),
            "{rule} missing in {region}: {seen:?}"
        );
    }
    seen
}

#[tokio::test]
async fn recommendations_for_a_mixed_list_in_two_regions() {
    let us = savings_match_projected_costs("us-east-1").await;
    let eu = savings_match_projected_costs("eu-west-1").await;
    let saving = |list: &[(String, String, f64)], rule: &str, what: &str| {
        list.iter()
            .find(|(r, w, _)| r == rule && w == what)
            .map(|(.., v)| *v)
            .unwrap_or_else(|| panic!("{rule} for {what} missing: {list:?}"))
    };
    // 100 GB gp2 -> gp3: 100 x (0.10 - 0.08) in us-east-1, 100 x (0.11 - 0.088) in eu-west-1.
    assert_usd(
        saving(&us, "ebs-gp2-to-gp3", "aws:ebs/volume:Volume gp2"),
        2.0,
    );
    assert_usd(
        saving(&eu, "ebs-gp2-to-gp3", "aws:ebs/volume:Volume gp2"),
        2.2,
    );
    // t2.micro -> t3.micro: (0.0116 - 0.0104) x 730 in us-east-1.
    assert_usd(
        saving(
            &us,
            "ec2-current-generation",
            "aws:ec2/instance:Instance t2.micro",
        ),
        0.876,
    );
    // RDS gp2 -> gp3 storage costs the same per GB-month: a performance change, no saving.
    for list in [&us, &eu] {
        assert_usd(
            saving(
                list,
                "rds-gp2-to-gp3",
                "aws:rds/instance:Instance db.t3.micro",
            ),
            0.0,
        );
    }
}
