//! The FinFocus `CostSourceService` over gRPC, for the one region this process serves.
//!
//! Each RPC checks what it was sent (provider, resource type shape, region) before asking the
//! estimators, then turns the [`Estimate`] into the protocol's messages. Refusals become gRPC
//! statuses with a `finfocus.v1.ErrorDetail` (see [`ServiceError`]). The handlers are
//! synchronous lookups in the in-memory price table, so they run inline on the runtime.
//!
//! # Contract
//! - `Name` and `GetPluginInfo` answer the host handshake; `GetPluginInfo.metadata["region"]`
//!   names the served region, which is how the host routes requests.
//! - A resource in another region is `FAILED_PRECONDITION` (`UNSUPPORTED_REGION`), a provider
//!   other than AWS or a malformed field `INVALID_ARGUMENT` naming the field, an unknown type
//!   or SKU `NOT_FOUND`.
//! - `GetActualCost` has no billing data: it prorates the projected monthly cost over the
//!   requested time range (monthly x hours / 730; `end` must follow `start`). The request has
//!   no `ResourceDescriptor`, so the resource is named either by `resource_id` holding a JSON
//!   descriptor in proto3 JSON shape (`{"resourceType":"ec2","sku":"t3.micro",
//!   "region":"us-east-1","tags":{...}}`), or by `tags` carrying `resource_type` plus `sku`,
//!   `region`, `provider` and any properties. Without a region, the ARN's region is used.
//! - `BatchCost` accepts at most [`MAX_BATCH_SIZE`] resources and answers each one with a
//!   cost or a `ResourceError`.
//! - `GetRecommendations` proposes cheaper or newer configurations of its `target_resources`,
//!   priced from this region's table (see [`crate::recommend`] and `recommendations`).
//! - `DismissRecommendation` and budgets are `UNIMPLEMENTED`: recommendations are computed
//!   afresh on each call, so a client dismisses one by sending its id in
//!   `excluded_recommendation_ids`.

mod actual;
mod answers;
mod attributes;
mod descriptor;
mod dry_run;
mod error;
mod metadata;
mod recommendations;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use prost_types::Timestamp;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status};

use crate::estimate;
use crate::proto::v1::cost_source_service_server::{CostSourceService, CostSourceServiceServer};
use crate::proto::v1::{
    BatchCostRequest, BatchCostResponse, CostQueryType, DismissRecommendationRequest,
    DismissRecommendationResponse, DryRunRequest, DryRunResponse, EstimateCostRequest,
    EstimateCostResponse, FallbackHint, GetActualCostRequest, GetActualCostResponse,
    GetBudgetsRequest, GetBudgetsResponse, GetPluginInfoRequest, GetPluginInfoResponse,
    GetPricingSpecRequest, GetPricingSpecResponse, GetProjectedCostRequest,
    GetProjectedCostResponse, GetRecommendationsRequest, GetRecommendationsResponse, GrowthType,
    NameRequest, NameResponse, PluginCapability, ResourceDescriptor, SupportsRequest,
    SupportsResponse,
};
use crate::state::AppState;

pub use self::actual::HOURS_PER_MONTH;
pub use self::attributes::flatten as flatten_attributes;
pub use self::error::ServiceError;

/// The plugin's name in `Name` and `GetPluginInfo`.
pub const PLUGIN_NAME: &str = "aws-public";

/// The FinFocus protocol version implemented; the host compares its major.
pub const SPEC_VERSION: &str = "v0.6.0";

/// Most resources accepted in one `BatchCost` call (returned as `max_batch_size`).
pub const MAX_BATCH_SIZE: usize = 100;

/// Currency of every price.
pub const CURRENCY: &str = "USD";

/// What this plugin implements, as listed by `GetPluginInfo` and `Supports`.
pub const CAPABILITIES: [PluginCapability; 7] = [
    PluginCapability::ProjectedCosts,
    PluginCapability::ActualCosts,
    PluginCapability::PricingSpec,
    PluginCapability::EstimateCost,
    PluginCapability::DryRun,
    PluginCapability::BatchCost,
    PluginCapability::Recommendations,
];

/// How long a client may cache an answer: the tables only change with a new release.
const PRICE_VALIDITY: Duration = Duration::from_secs(24 * 3600);

/// Response metadata of `EstimateCost` listing the inputs it assumed (`name=value,...`, empty
/// when none), as `defaults_applied` does in the metadata of other answers.
pub const DEFAULTS_APPLIED_HEADER: &str = "x-finfocus-defaults-applied";

/// Response metadata of `EstimateCost`: `high`, `medium` or `low`, as `estimate_quality`.
pub const ESTIMATE_QUALITY_HEADER: &str = "x-finfocus-estimate-quality";

/// What an `EstimateCost` answer assumed: (metadata name, value) pairs sent as response metadata.
type Assumed = [(&'static str, String); 2];

/// Where a descriptor sits in single-resource requests, for field paths in errors.
const RESOURCE: &str = "resource.";

/// The `CostSourceService` implementation over the shared [`AppState`].
#[derive(Clone)]
pub struct CostSource {
    state: Arc<AppState>,
}

impl CostSource {
    /// A service answering from `state`'s price table.
    pub fn new(state: Arc<AppState>) -> Self {
        CostSource { state }
    }

    /// The tonic server wrapping this service, ready to be added to a router.
    pub fn into_server(self) -> CostSourceServiceServer<CostSource> {
        CostSourceServiceServer::new(self)
    }
}

/// GetActualCost for a resource named only by an opaque id or ARN: no billing data and no type
/// to price, so no results and another source is required.
fn unpriceable_actual(dry_run: bool) -> GetActualCostResponse {
    GetActualCostResponse {
        fallback_hint: FallbackHint::Required.into(),
        dry_run_result: dry_run.then(|| DryRunResponse {
            configuration_valid: false,
            configuration_errors: vec![
                "resource_id names no resource type: send tags resource_type (with sku, region) \
                 or a JSON ResourceDescriptor in resource_id"
                    .to_owned(),
            ],
            resource_type_supported: false,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The time until which an answer may be cached.
fn expires_at() -> Timestamp {
    (SystemTime::now() + PRICE_VALIDITY).into()
}

/// A growth type from the wire, `NONE` when unset or unknown.
fn growth_of(value: i32) -> GrowthType {
    match GrowthType::try_from(value) {
        Ok(GrowthType::Unspecified) | Err(_) => GrowthType::None,
        Ok(g) => g,
    }
}

/// The `resource` of a request, which every single-resource RPC needs.
fn required(resource: Option<&ResourceDescriptor>) -> Result<&ResourceDescriptor, ServiceError> {
    resource.ok_or_else(|| ServiceError::invalid("resource", "is required"))
}

#[tonic::async_trait]
impl CostSourceService for CostSource {
    async fn name(&self, _: Request<NameRequest>) -> Result<Response<NameResponse>, Status> {
        Ok(Response::new(NameResponse {
            name: PLUGIN_NAME.to_owned(),
        }))
    }

    async fn get_plugin_info(
        &self,
        _: Request<GetPluginInfoRequest>,
    ) -> Result<Response<GetPluginInfoResponse>, Status> {
        Ok(Response::new(GetPluginInfoResponse {
            name: PLUGIN_NAME.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            spec_version: SPEC_VERSION.to_owned(),
            providers: vec!["aws".to_owned()],
            metadata: metadata::bounded([
                ("region".to_owned(), self.served().code().to_owned()),
                (
                    "data_as_of".to_owned(),
                    self.state.table.data_as_of().to_owned(),
                ),
                ("currency".to_owned(), CURRENCY.to_owned()),
                ("hours_per_month".to_owned(), HOURS_PER_MONTH.to_string()),
            ]),
            capabilities: CAPABILITIES.iter().map(|c| (*c).into()).collect(),
        }))
    }

    async fn supports(
        &self,
        request: Request<SupportsRequest>,
    ) -> Result<Response<SupportsResponse>, Status> {
        let request = request.into_inner();
        let resource = required(request.resource.as_ref())?;
        descriptor::check_provider(&resource.provider, "resource.provider")?;
        descriptor::check_resource_type(&resource.resource_type, "resource.resource_type")?;
        descriptor::check_region(self.served(), &resource.region, "resource.region")?;
        let response = match estimate::supports(resource.resource_type.trim()) {
            Ok(support) => {
                // Recommendations only for the kinds a rule looks at.
                let offered: Vec<PluginCapability> = CAPABILITIES
                    .into_iter()
                    .filter(|c| {
                        *c != PluginCapability::Recommendations
                            || crate::recommend::covers(support.kind)
                    })
                    .collect();
                SupportsResponse {
                    supported: true,
                    reason: format!(
                        "{} is priced from AWS public list prices ({})",
                        support.kind, support.billing_mode
                    ),
                    capabilities: offered.iter().map(|c| (capability_key(*c), true)).collect(),
                    supported_metrics: Vec::new(),
                    capabilities_enum: offered.iter().map(|c| (*c).into()).collect(),
                }
            }
            Err(err @ estimate::EstimateError::UnsupportedResourceType { .. }) => {
                SupportsResponse {
                    supported: false,
                    reason: ServiceError::from(err).bounded_message(),
                    ..Default::default()
                }
            }
            Err(err) => return Err(ServiceError::from(err).into()),
        };
        Ok(Response::new(response))
    }

    async fn get_projected_cost(
        &self,
        request: Request<GetProjectedCostRequest>,
    ) -> Result<Response<GetProjectedCostResponse>, Status> {
        let request = request.into_inner();
        let resource = required(request.resource.as_ref())?;
        if request.dry_run {
            return Ok(Response::new(GetProjectedCostResponse {
                currency: CURRENCY.to_owned(),
                dry_run_result: Some(self.dry_run(resource, RESOURCE)),
                ..Default::default()
            }));
        }
        // A zero request-level utilisation is proto3's "unset".
        let utilization =
            (request.utilization_percentage != 0.0).then_some(request.utilization_percentage);
        let growth = match growth_of(request.growth_type) {
            GrowthType::None => growth_of(resource.growth_type),
            g => g,
        };
        Ok(Response::new(self.projected(
            resource,
            RESOURCE,
            utilization,
            growth,
        )?))
    }

    async fn get_pricing_spec(
        &self,
        request: Request<GetPricingSpecRequest>,
    ) -> Result<Response<GetPricingSpecResponse>, Status> {
        let request = request.into_inner();
        let resource = required(request.resource.as_ref())?;
        let spec = self.pricing_spec(resource)?;
        Ok(Response::new(GetPricingSpecResponse { spec: Some(spec) }))
    }

    async fn estimate_cost(
        &self,
        request: Request<EstimateCostRequest>,
    ) -> Result<Response<EstimateCostResponse>, Status> {
        let (answer, assumed) = self.estimate_cost(request.get_ref())?;
        let mut response = Response::new(answer);
        for (name, value) in assumed {
            // Values are our own names and numbers; one that is not a valid header is dropped.
            if let Ok(value) = MetadataValue::try_from(value.as_str()) {
                response.metadata_mut().insert(name, value);
            }
        }
        Ok(response)
    }

    async fn get_actual_cost(
        &self,
        request: Request<GetActualCostRequest>,
    ) -> Result<Response<GetActualCostResponse>, Status> {
        let request = request.into_inner();
        if !request.dry_run {
            // A bad range is refused whatever the resource.
            actual::runtime_hours(request.start.as_ref(), request.end.as_ref())?;
        }
        let prefix = actual::field_prefix(&request);
        let Some(resource) = actual::descriptor(&request)? else {
            return Ok(Response::new(unpriceable_actual(request.dry_run)));
        };
        if request.dry_run {
            return Ok(Response::new(GetActualCostResponse {
                dry_run_result: Some(self.dry_run(&resource, prefix)),
                ..Default::default()
            }));
        }
        let response = self.actual(
            &resource,
            prefix,
            request.start.as_ref(),
            request.end.as_ref(),
        )?;
        Ok(Response::new(response))
    }

    async fn dry_run(
        &self,
        request: Request<DryRunRequest>,
    ) -> Result<Response<DryRunResponse>, Status> {
        let request = request.into_inner();
        let resource = required(request.resource.as_ref())?;
        Ok(Response::new(CostSource::dry_run(self, resource, RESOURCE)))
    }

    async fn batch_cost(
        &self,
        request: Request<BatchCostRequest>,
    ) -> Result<Response<BatchCostResponse>, Status> {
        let request = request.into_inner();
        if request.resources.len() > MAX_BATCH_SIZE {
            return Err(ServiceError::BatchTooLarge {
                len: request.resources.len(),
                max: MAX_BATCH_SIZE,
            }
            .into());
        }
        let query_type = CostQueryType::try_from(request.query_type).map_err(|_| {
            ServiceError::invalid(
                "query_type",
                format!("unknown CostQueryType {}", request.query_type),
            )
        })?;
        let results = request
            .resources
            .iter()
            .enumerate()
            .map(|(i, d)| self.batch_item(i, d, &request, query_type))
            .collect();
        Ok(Response::new(BatchCostResponse {
            results,
            // MAX_BATCH_SIZE is a small constant.
            max_batch_size: i32::try_from(MAX_BATCH_SIZE).unwrap_or(i32::MAX),
        }))
    }

    async fn get_recommendations(
        &self,
        request: Request<GetRecommendationsRequest>,
    ) -> Result<Response<GetRecommendationsResponse>, Status> {
        let response = recommendations::answer(&self.state.table, request.get_ref())?;
        Ok(Response::new(response))
    }

    async fn dismiss_recommendation(
        &self,
        _: Request<DismissRecommendationRequest>,
    ) -> Result<Response<DismissRecommendationResponse>, Status> {
        Err(Status::unimplemented(
            "recommendations are computed afresh on every call: send dismissed ids in \
             GetRecommendationsRequest.excluded_recommendation_ids",
        ))
    }

    async fn get_budgets(
        &self,
        _: Request<GetBudgetsRequest>,
    ) -> Result<Response<GetBudgetsResponse>, Status> {
        Err(Status::unimplemented(
            "budgets are not offered by the aws-public plugin",
        ))
    }
}

/// The key of a capability in `SupportsResponse.capabilities`, e.g. `projected_costs`.
fn capability_key(capability: PluginCapability) -> String {
    capability
        .as_str_name()
        .trim_start_matches("PLUGIN_CAPABILITY_")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use prost_types::value::Kind;
    use prost_types::{Struct, Value};
    use tonic::Code;

    use super::*;
    use crate::proto::v1::resource_cost_result::Result as CostResult;
    use crate::region::Region;
    use crate::state::ServeConfig;

    fn service(region: Region) -> CostSource {
        CostSource::new(AppState::load(ServeConfig::new(region)).unwrap())
    }

    fn text(s: &str) -> Value {
        Value {
            kind: Some(Kind::StringValue(s.to_owned())),
        }
    }

    #[test]
    fn estimate_cost_checks_the_location_attributes() {
        let svc = service(Region::UsEast1);
        let request = |zone: &str| EstimateCostRequest {
            resource_type: "aws:ec2/instance:Instance".to_owned(),
            attributes: Some(Struct {
                fields: [
                    ("instanceType".to_owned(), text("t3.micro")),
                    ("availabilityZone".to_owned(), text(zone)),
                ]
                .into(),
            }),
        };
        let (ok, _) = svc.estimate_cost(&request("us-east-1b")).unwrap();
        assert!(ok.cost_monthly > 7.592);
        let err = svc.estimate_cost(&request("eu-west-1a")).unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
    }

    #[test]
    fn batch_errors_name_the_entry() {
        let svc = service(Region::UsEast1);
        let hostile = ResourceDescriptor {
            resource_type: "ec2".to_owned(),
            sku: "t3.micro\u{0}".to_owned(),
            ..Default::default()
        };
        let request = BatchCostRequest::default();
        let result = svc.batch_item(3, &hostile, &request, CostQueryType::Projected);
        match result.result {
            Some(CostResult::Error(e)) => {
                assert_eq!(e.code, Code::InvalidArgument as i32);
                assert!(e.message.contains("resources[3].sku"), "{}", e.message);
            }
            other => panic!("error expected, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn supports_says_no_to_unknown_types_and_refuses_other_regions() {
        let svc = service(Region::EuWest1);
        let ask = |resource_type: &str, region: &str| {
            Request::new(SupportsRequest {
                resource: Some(ResourceDescriptor {
                    resource_type: resource_type.to_owned(),
                    region: region.to_owned(),
                    ..Default::default()
                }),
            })
        };
        let no = svc
            .supports(ask("aws:foo/bar:Baz", "eu-west-1"))
            .await
            .unwrap()
            .into_inner();
        assert!(!no.supported);
        let yes = svc.supports(ask("ec2", "")).await.unwrap().into_inner();
        assert!(yes.supported);
        assert_eq!(yes.capabilities_enum.len(), CAPABILITIES.len());
        assert!(yes.capabilities["recommendations"]);
        let lambda = svc.supports(ask("lambda", "")).await.unwrap().into_inner();
        assert_eq!(lambda.capabilities_enum.len(), CAPABILITIES.len() - 1);
        assert!(!lambda.capabilities.contains_key("recommendations"));
        let err = svc.supports(ask("ec2", "us-east-1")).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
    }

    #[test]
    fn projected_metadata_keeps_the_protocol_limits() {
        let svc = service(Region::UsEast1);
        // 128 block devices without a type: `defaults_applied` lists each assumed type.
        let devices = vec!["map[volumeSize:10]"; 128].join(" ");
        let descriptor = ResourceDescriptor {
            resource_type: "aws:ec2/instance:Instance".to_owned(),
            sku: "t3.micro".to_owned(),
            tags: [("ebsBlockDevices".to_owned(), format!("[{devices}]"))].into(),
            ..Default::default()
        };
        let answer = svc
            .projected(&descriptor, RESOURCE, None, GrowthType::None)
            .unwrap();
        let keys: Vec<_> = answer.metadata.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "billing_mode",
                "data_as_of",
                "defaults_applied",
                "estimate_quality",
                "region",
                "resource_kind"
            ]
        );
        assert!(keys.iter().all(|k| metadata::valid_key(k)));
        let defaults = &answer.metadata["defaults_applied"];
        assert_eq!(defaults.len(), metadata::MAX_VALUE_LEN);
        assert!(defaults.starts_with("root_volume_size_gb=8,root_volume_type=gp2,"));
        assert_eq!(answer.metadata["region"], "us-east-1");
    }

    #[test]
    fn only_the_pricing_spec_carries_prose() {
        let svc = service(Region::UsEast1);
        let descriptor = ResourceDescriptor {
            resource_type: "ec2".to_owned(),
            sku: "m5.large".to_owned(),
            ..Default::default()
        };
        let spec = svc.pricing_spec(&descriptor).unwrap();
        assert!(
            spec.description.contains("m5.large"),
            "{}",
            spec.description
        );
        assert!(!spec.assumptions.is_empty());
        assert!(spec.source.contains("us-east-1"), "{}", spec.source);
        let brief = svc.estimate(&descriptor, RESOURCE, None, false).unwrap();
        assert!(brief.description.is_empty() && brief.assumptions.is_empty());
        let projected = svc
            .projected(&descriptor, RESOURCE, None, GrowthType::None)
            .unwrap();
        assert_eq!(projected.billing_detail, brief.billing_detail);
        assert!(
            projected
                .billing_detail
                .starts_with("m5.large on-demand Linux 0.096 USD/h x 730 h = 70.08 USD"),
            "{}",
            projected.billing_detail
        );
    }
}
