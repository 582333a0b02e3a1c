//! End-to-end tests of the real binary over gRPC on 127.0.0.1: started like the FinFocus host
//! starts a plugin, ready on its `PORT=` line, called with the generated tonic client.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests: a failed expectation should fail loudly"
)]

mod common;

use std::time::Duration;

use common::{Plugin, assert_usd, command, descriptor, error_detail, free_port, run_to_exit};
use finfocus_plugin_aws_public::proto::v1::cost_data::Data;
use finfocus_plugin_aws_public::proto::v1::resource_cost_result::Result as CostResult;
use finfocus_plugin_aws_public::proto::v1::{
    BatchCostRequest, CostQueryType, DismissRecommendationRequest, DryRunRequest, ErrorCategory,
    ErrorCode, EstimateCostRequest, FallbackHint, FieldSupportStatus, GetActualCostRequest,
    GetBudgetsRequest, GetPluginInfoRequest, GetPricingSpecRequest, GetProjectedCostRequest,
    NameRequest, PluginCapability, ResourceDescriptor, SupportsRequest,
};
use prost_types::value::Kind;
use prost_types::{Struct, Timestamp, Value};
use tonic::{Code, Request};

const US_EAST_1: &str = "us-east-1";

fn projected(resource: ResourceDescriptor) -> GetProjectedCostRequest {
    GetProjectedCostRequest {
        resource: Some(resource),
        ..Default::default()
    }
}

fn t3_micro() -> ResourceDescriptor {
    descriptor("aws:ec2/instance:Instance", "t3.micro", US_EAST_1, &[])
}

#[tokio::test]
async fn handshake_names_the_plugin_and_its_region() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;

    let name = client.name(NameRequest {}).await.unwrap().into_inner();
    assert_eq!(name.name, "aws-public");

    let info = client
        .get_plugin_info(GetPluginInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.name, "aws-public");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.spec_version, "v0.6.0");
    assert_eq!(info.providers, ["aws"]);
    assert_eq!(info.metadata["region"], US_EAST_1);
    assert!(!info.metadata["data_as_of"].is_empty());
    for capability in [
        PluginCapability::ProjectedCosts,
        PluginCapability::ActualCosts,
        PluginCapability::PricingSpec,
        PluginCapability::EstimateCost,
        PluginCapability::DryRun,
        PluginCapability::BatchCost,
        PluginCapability::Recommendations,
    ] {
        assert!(
            info.capabilities.contains(&(capability as i32)),
            "{capability:?} missing"
        );
    }
    assert!(
        !info
            .capabilities
            .contains(&(PluginCapability::DismissRecommendations as i32))
    );
    assert!(
        plugin.extra_stdout().is_empty(),
        "stdout carries only the PORT= line"
    );
}

#[tokio::test]
async fn prices_t3_micro_with_its_root_volume() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;

    let cost = client
        .get_projected_cost(projected(t3_micro()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cost.unit_price, 0.0104);
    assert_eq!(cost.currency, "USD");
    // The default root volume, priced on its own: 8 GB of gp2.
    let root = client
        .get_projected_cost(projected(descriptor(
            "ebs",
            "gp2",
            US_EAST_1,
            &[("size", "8")],
        )))
        .await
        .unwrap()
        .into_inner();
    assert!(root.cost_per_month > 0.0);
    assert_usd(cost.cost_per_month, 7.592 + root.cost_per_month);
    assert!(
        cost.billing_detail.contains("t3.micro"),
        "{}",
        cost.billing_detail
    );
    assert!(cost.metadata["defaults_applied"].contains("root_volume"));
    assert_eq!(cost.metadata["estimate_quality"], "medium");
    assert_eq!(cost.metadata["region"], US_EAST_1);
    assert!(cost.expires_at.is_some());

    let spec = client
        .get_pricing_spec(GetPricingSpecRequest {
            resource: Some(t3_micro()),
        })
        .await
        .unwrap()
        .into_inner()
        .spec
        .unwrap();
    assert_eq!(spec.rate_per_unit, 0.0104);
    assert_eq!(spec.billing_mode, "per_hour");
    assert_eq!(spec.unit, "hour");
    assert_eq!(spec.sku, "t3.micro");
    assert_eq!(spec.region, US_EAST_1);
    assert_eq!(spec.currency, "USD");
    assert!(spec.source.contains(US_EAST_1), "{}", spec.source);
}

#[tokio::test]
async fn supports_dry_run_and_estimate_cost() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;

    let yes = client
        .supports(SupportsRequest {
            resource: Some(t3_micro()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(yes.supported, "{}", yes.reason);
    assert_eq!(yes.capabilities.get("projected_costs"), Some(&true));
    let no = client
        .supports(SupportsRequest {
            resource: Some(descriptor("aws:foo/bar:Baz", "", US_EAST_1, &[])),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!no.supported);
    assert!(no.reason.contains("aws:foo/bar:Baz"), "{}", no.reason);

    let dry = client
        .dry_run(DryRunRequest {
            resource: Some(t3_micro()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(dry.configuration_valid && dry.resource_type_supported);
    let sku = dry
        .field_mappings
        .iter()
        .find(|m| m.field_name == "sku")
        .unwrap();
    assert!(sku.condition_description.contains("t3.micro"));
    assert!(
        dry.field_mappings
            .iter()
            .any(|m| m.field_name.starts_with("tags.root_volume")
                && m.support_status == FieldSupportStatus::Conditional as i32),
        "the assumed root volume is reported: {:?}",
        dry.field_mappings
    );

    let gp3 = client
        .get_pricing_spec(GetPricingSpecRequest {
            resource: Some(descriptor("ebs", "gp3", US_EAST_1, &[("size", "20")])),
        })
        .await
        .unwrap()
        .into_inner()
        .spec
        .unwrap();
    assert_eq!(gp3.rate_per_unit, 0.08);
    let value = |kind| Value { kind: Some(kind) };
    let root = Struct {
        fields: [
            ("volumeSize".to_owned(), value(Kind::NumberValue(20.0))),
            (
                "volumeType".to_owned(),
                value(Kind::StringValue("gp3".into())),
            ),
        ]
        .into(),
    };
    let estimate = client
        .estimate_cost(EstimateCostRequest {
            resource_type: "aws:ec2/instance:Instance".to_owned(),
            attributes: Some(Struct {
                fields: [
                    (
                        "instanceType".to_owned(),
                        value(Kind::StringValue("t3.micro".into())),
                    ),
                    ("rootBlockDevice".to_owned(), value(Kind::StructValue(root))),
                ]
                .into(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(estimate.currency, "USD");
    assert_usd(estimate.cost_monthly, 7.592 + 20.0 * 0.08);

    // Null attributes are an empty struct: the documented default type, reported.
    let defaulted = client
        .estimate_cost(EstimateCostRequest {
            resource_type: "aws:ec2/instance:Instance".to_owned(),
            attributes: None,
        })
        .await
        .unwrap();
    let defaults = defaulted
        .metadata()
        .get("x-finfocus-defaults-applied")
        .unwrap();
    assert!(
        defaults
            .to_str()
            .unwrap()
            .starts_with("instance_type=t3.micro,"),
        "{defaults:?}"
    );
    assert_eq!(
        defaulted
            .metadata()
            .get("x-finfocus-estimate-quality")
            .unwrap(),
        "medium"
    );
    assert_usd(defaulted.into_inner().cost_monthly, 7.592 + 8.0 * 0.1);
    let malformed = client
        .estimate_cost(EstimateCostRequest {
            resource_type: "invalid-format".to_owned(),
            attributes: None,
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(error_detail(&malformed).details["field"], "resource_type");
}

#[tokio::test]
async fn actual_cost_prorates_the_monthly_cost() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;
    let monthly = client
        .get_projected_cost(projected(t3_micro()))
        .await
        .unwrap()
        .into_inner()
        .cost_per_month;
    let start = Timestamp {
        seconds: 1_700_000_000,
        nanos: 0,
    };
    let end = Timestamp {
        seconds: start.seconds + 73 * 3600,
        nanos: 0,
    };

    let by_tags = GetActualCostRequest {
        start: Some(start),
        end: Some(end),
        tags: [
            ("resource_type", "aws:ec2/instance:Instance"),
            ("sku", "t3.micro"),
            ("region", US_EAST_1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        ..Default::default()
    };
    let actual = client
        .get_actual_cost(by_tags.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(actual.results.len(), 1);
    let result = &actual.results[0];
    assert_usd(result.cost, monthly * 73.0 / 730.0);
    assert_usd(result.usage_amount, 73.0);
    assert_eq!(result.usage_unit, "hour");
    assert_eq!(result.timestamp, Some(start));
    assert_eq!(actual.fallback_hint, FallbackHint::Recommended as i32);

    let by_json = GetActualCostRequest {
        resource_id: r#"{"resourceType":"ec2","sku":"t3.micro","region":"us-east-1"}"#.to_owned(),
        start: Some(start),
        end: Some(end),
        ..Default::default()
    };
    let actual = client.get_actual_cost(by_json).await.unwrap().into_inner();
    assert_usd(actual.results[0].cost, monthly * 73.0 / 730.0);

    let backwards = GetActualCostRequest {
        start: Some(end),
        end: Some(start),
        ..by_tags.clone()
    };
    let err = client.get_actual_cost(backwards).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(error_detail(&err).code(), ErrorCode::InvalidTimeRange);
    let unnamed = GetActualCostRequest {
        start: Some(start),
        end: Some(end),
        ..Default::default()
    };
    let err = client.get_actual_cost(unnamed).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(error_detail(&err).details["field"], "tags.resource_type");

    // Named only by an opaque id: nothing to price it from, another source must answer.
    let opaque = GetActualCostRequest {
        resource_id: "i-0123456789abcdef0".to_owned(),
        start: Some(start),
        end: Some(end),
        ..Default::default()
    };
    let answer = client
        .get_actual_cost(opaque.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(answer.results.is_empty());
    assert_eq!(answer.fallback_hint, FallbackHint::Required as i32);
    let err = client
        .get_actual_cost(GetActualCostRequest {
            start: Some(end),
            end: Some(start),
            ..opaque
        })
        .await
        .unwrap_err();
    assert_eq!(error_detail(&err).code(), ErrorCode::InvalidTimeRange);
}

#[tokio::test]
async fn batch_cost_answers_each_resource_and_enforces_its_limit() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;
    let request = BatchCostRequest {
        resources: vec![
            t3_micro(),
            descriptor("ec2", "t9.enormous", US_EAST_1, &[]),
            descriptor("aws:foo/bar:Baz", "", US_EAST_1, &[]),
            descriptor("ec2", "t3.micro", "eu-west-1", &[]),
        ],
        query_type: CostQueryType::Projected as i32,
        ..Default::default()
    };
    let response = client.batch_cost(request).await.unwrap().into_inner();
    assert!(response.max_batch_size > 0);
    assert_eq!(response.results.len(), 4);
    match &response.results[0].result {
        Some(CostResult::CostData(data)) => match &data.data {
            Some(Data::ProjectedCost(p)) => assert_eq!(p.unit_price, 0.0104),
            other => panic!("projected cost expected, got {other:?}"),
        },
        other => panic!("cost expected, got {other:?}"),
    }
    let error = |i: usize| match &response.results[i].result {
        Some(CostResult::Error(e)) => e.clone(),
        other => panic!("error expected at {i}, got {other:?}"),
    };
    assert_eq!(error(1).code, Code::NotFound as i32);
    assert!(!error(1).resource_type_unsupported);
    assert!(
        error(1).message.contains("t9.enormous"),
        "{}",
        error(1).message
    );
    assert_eq!(error(2).code, Code::NotFound as i32);
    assert!(error(2).resource_type_unsupported);
    assert_eq!(error(3).code, Code::FailedPrecondition as i32);
    assert_eq!(
        response.results[1].resource.as_ref().unwrap().sku,
        "t9.enormous"
    );

    let estimate = BatchCostRequest {
        resources: vec![t3_micro()],
        query_type: CostQueryType::Estimate as i32,
        ..Default::default()
    };
    let response = client.batch_cost(estimate).await.unwrap().into_inner();
    match &response.results[0].result {
        Some(CostResult::CostData(data)) => match &data.data {
            Some(Data::Estimate(e)) => assert!(e.cost_monthly > 7.592),
            other => panic!("estimate expected, got {other:?}"),
        },
        other => panic!("cost expected, got {other:?}"),
    }

    let max = usize::try_from(response.max_batch_size).unwrap();
    let too_many = BatchCostRequest {
        resources: vec![t3_micro(); max + 1],
        ..Default::default()
    };
    let err = client.batch_cost(too_many).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        error_detail(&err).details["max_batch_size"],
        max.to_string()
    );
}

#[tokio::test]
async fn bad_input_gets_the_right_code_and_detail() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;

    let malformed = client
        .get_projected_cost(projected(descriptor("ec2; rm -rf", "t3.micro", "", &[])))
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert!(malformed.message().contains("resource.resource_type"));
    assert_eq!(
        error_detail(&malformed).details["field"],
        "resource.resource_type"
    );

    let unknown_type = client
        .get_projected_cost(projected(descriptor("aws:foo/bar:Baz", "", "", &[])))
        .await
        .unwrap_err();
    assert_eq!(unknown_type.code(), Code::NotFound);
    let detail = error_detail(&unknown_type);
    assert_eq!(detail.code(), ErrorCode::InvalidResource);
    assert_eq!(detail.category(), ErrorCategory::Permanent);
    assert_eq!(detail.details["resource_type"], "aws:foo/bar:Baz");

    let unknown_sku = client
        .get_projected_cost(projected(descriptor("ec2", "t9.enormous", "", &[])))
        .await
        .unwrap_err();
    assert_eq!(unknown_sku.code(), Code::NotFound);
    let detail = error_detail(&unknown_sku);
    assert_eq!(detail.code(), ErrorCode::ResourceNotFound);
    assert_eq!(detail.category(), ErrorCategory::Permanent);
    assert_eq!(detail.details["sku"], "t9.enormous");
    assert_eq!(detail.details["resource_type"], "ec2");

    let wrong_region = client
        .get_projected_cost(projected(descriptor("ec2", "t3.micro", "eu-west-1", &[])))
        .await
        .unwrap_err();
    assert_eq!(wrong_region.code(), Code::FailedPrecondition);
    let detail = error_detail(&wrong_region);
    assert_eq!(detail.code(), ErrorCode::UnsupportedRegion);
    assert_eq!(detail.details["plugin_region"], US_EAST_1);
    assert_eq!(detail.details["resource_region"], "eu-west-1");

    let mut gcp = t3_micro();
    gcp.provider = "gcp".to_owned();
    let err = client.get_projected_cost(projected(gcp)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(error_detail(&err).details["field"], "resource.provider");

    let missing = client
        .get_pricing_spec(GetPricingSpecRequest { resource: None })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);

    // A request over the 1 MiB decoding limit is refused before it is read.
    let over = client
        .get_projected_cost(projected(descriptor("ec2", &"x".repeat(1 << 20), "", &[])))
        .await
        .unwrap_err();
    assert_eq!(over.code(), Code::OutOfRange, "{}", over.message());
    // Hostile strings: a 512 KiB SKU and tag, control characters, odd Unicode. Never a panic.
    let huge = "x".repeat(1 << 19);
    let hostile = [
        descriptor("ec2", &huge, "", &[]),
        descriptor("ec2", "t3.micro\0\n", "", &[]),
        descriptor("ec2", "", "", &[("instanceType", huge.as_str())]),
        descriptor("ebs", "gp3", "", &[("size", "1e400")]),
        descriptor("ebs", "gp3", "", &[("size", "map[[[[")]),
        descriptor("ec2", "t3.micro", "\u{202e}1-tsae-su", &[]),
        descriptor(&"a".repeat(300), "", "", &[]),
    ];
    for resource in hostile {
        let err = client
            .get_projected_cost(projected(resource))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{}", err.message());
        assert!(err.message().len() < 2048, "messages stay short");
    }
    // Still serving.
    let cost = client
        .get_projected_cost(projected(t3_micro()))
        .await
        .unwrap();
    assert_eq!(cost.into_inner().unit_price, 0.0104);
}

#[tokio::test]
async fn unimplemented_rpcs_say_so() {
    let plugin = Plugin::start(&[], &[]);
    let mut client = plugin.client().await;
    let err = client
        .dismiss_recommendation(DismissRecommendationRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
    let err = client.get_budgets(GetBudgetsRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
}

#[tokio::test]
async fn health_and_reflection_answer() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest as AlphaReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as AlphaResponse;

    let plugin = Plugin::start(&[], &[]);
    let channel = plugin.channel().await;

    let mut health = HealthClient::new(channel.clone());
    for service in ["", "finfocus.v1.CostSourceService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(status.status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "no.such.Service".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    let mut reflection = ServerReflectionClient::new(channel.clone());
    let requests = [
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "finfocus.v1.CostSourceService".to_owned(),
            )),
        },
    ];
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    match responses.message().await.unwrap().unwrap().message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
            assert!(
                names.contains(&"finfocus.v1.CostSourceService"),
                "{names:?}"
            );
            assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
        }
        other => panic!("service list expected, got {other:?}"),
    }
    match responses.message().await.unwrap().unwrap().message_response {
        Some(MessageResponse::FileDescriptorResponse(files)) => {
            assert!(!files.file_descriptor_proto.is_empty());
        }
        other => panic!("file descriptor expected, got {other:?}"),
    }

    let mut alpha = AlphaClient::new(channel);
    let mut responses = alpha
        .server_reflection_info(tokio_stream::iter([AlphaReflectionRequest {
            host: String::new(),
            message_request: Some(AlphaRequest::ListServices(String::new())),
        }]))
        .await
        .unwrap()
        .into_inner();
    match responses.message().await.unwrap().unwrap().message_response {
        Some(AlphaResponse::ListServicesResponse(list)) => {
            assert!(
                list.service
                    .iter()
                    .any(|s| s.name == "finfocus.v1.CostSourceService")
            );
        }
        other => panic!("service list expected, got {other:?}"),
    }
}

#[tokio::test]
async fn another_region_serves_its_own_prices() {
    for args in [&["--region", "eu-west-1"][..], &[][..]] {
        let env: &[(&str, &str)] = if args.is_empty() {
            &[("REGION", "eu-west-1")]
        } else {
            &[]
        };
        let plugin = Plugin::start(args, env);
        let mut client = plugin.client().await;
        let info = client
            .get_plugin_info(GetPluginInfoRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(info.metadata["region"], "eu-west-1");
        let cost = client
            .get_projected_cost(projected(descriptor(
                "aws:ec2/instance:Instance",
                "m5.large",
                "eu-west-1",
                &[],
            )))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(cost.unit_price, 0.107);
        let err = client
            .get_projected_cost(projected(t3_micro()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(error_detail(&err).details["plugin_region"], "eu-west-1");
    }
}

#[tokio::test]
async fn executable_name_suffix_selects_the_region() {
    let dir = common::scratch_dir("region-suffix");
    let link = dir.join("finfocus-plugin-aws-public-eu-west-1");
    std::os::unix::fs::symlink(common::BIN, &link).unwrap();
    let plugin = Plugin::spawn(command(&link)).unwrap();
    let mut client = plugin.client().await;
    let info = client
        .get_plugin_info(GetPluginInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.metadata["region"], "eu-west-1");
}

#[test]
fn port_priority_flag_then_host_env_then_legacy_env() {
    let (a, b, c) = (free_port(), free_port(), free_port());
    let (b_s, c_s) = (b.to_string(), c.to_string());
    let flag = format!("--port={a}");
    let all = Plugin::start(&[&flag], &[("FINFOCUS_PLUGIN_PORT", &b_s), ("PORT", &c_s)]);
    assert_eq!(all.port, a);
    drop(all);
    let envs = Plugin::start(&[], &[("FINFOCUS_PLUGIN_PORT", &b_s), ("PORT", &c_s)]);
    assert_eq!(envs.port, b);
    drop(envs);
    let legacy = Plugin::start(&[], &[("PORT", &c_s)]);
    assert_eq!(legacy.port, c);
    drop(legacy);
    let ephemeral = Plugin::start(&[], &[]);
    assert_ne!(ephemeral.port, 0);
}

#[test]
fn bad_settings_fail_before_listening() {
    for (args, env, needle) in [
        (&["--region", "mars-1"][..], &[][..], "region"),
        (
            &[][..],
            &[("FINFOCUS_LOG_LEVEL", "chatty")][..],
            "FINFOCUS_LOG_LEVEL",
        ),
        (&[][..], &[("PORT", "http")][..], "PORT"),
    ] {
        let mut cmd = command(common::BIN);
        cmd.args(args).envs(env.iter().copied());
        let failed = run_to_exit(cmd);
        let status = failed.status.expect("exited");
        assert!(!status.success(), "{args:?} {env:?}");
        let stderr = failed.stderr.join("\n");
        assert!(stderr.contains(needle), "{needle} not in {stderr}");
        assert!(
            failed.stdout.is_empty(),
            "no PORT= line: {:?}",
            failed.stdout
        );
    }
}

#[tokio::test]
async fn logs_are_json_with_the_trace_id() {
    let plugin = Plugin::start(&[], &[("FINFOCUS_LOG_LEVEL", "info")]);
    let mut client = plugin.client().await;
    let mut request = Request::new(NameRequest {});
    request
        .metadata_mut()
        .insert("x-finfocus-trace-id", "trace-7f3a9".parse().unwrap());
    client.name(request).await.unwrap();
    let line = plugin
        .wait_log(Duration::from_secs(10), |l| l.contains("trace-7f3a9"))
        .expect("a log line with the trace id");
    let json: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
    assert_eq!(json["span"]["trace_id"], "trace-7f3a9", "{line}");
    assert_eq!(
        json["span"]["path"], "/finfocus.v1.CostSourceService/Name",
        "{line}"
    );
}

#[test]
fn sigterm_drains_and_exits_zero() {
    // Signalled right after the PORT= line, as a host stopping a plugin it just started would:
    // the handler must already be installed. A few rounds, because that window is short.
    for _ in 0..5 {
        let mut plugin = Plugin::start(&[], &[]);
        let status = plugin
            .terminate(Duration::from_secs(15))
            .expect("exited within the bound");
        assert!(status.success(), "{status:?}");
    }
}
