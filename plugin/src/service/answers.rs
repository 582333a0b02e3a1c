//! What [`CostSource`]'s handlers share: checking a descriptor, pricing it, and turning the
//! estimate into the protocol's projected, actual, pricing-spec, dry-run and batch answers.

use std::collections::BTreeMap;

use prost_types::Timestamp;

use super::{
    Assumed, CURRENCY, CostSource, DEFAULTS_APPLIED_HEADER, ESTIMATE_QUALITY_HEADER, RESOURCE,
    ServiceError, attributes, descriptor, expires_at, growth_of,
};
use super::{actual, dry_run, metadata};
use crate::estimate::{self, Estimate};
use crate::proto::v1::cost_data::Data;
use crate::proto::v1::resource_cost_result::Result as CostResult;
use crate::proto::v1::{
    ActualCostResult, BatchCostRequest, CostData, CostQueryType, DryRunResponse,
    EstimateCostRequest, EstimateCostResponse, FallbackHint, FocusPricingCategory,
    GetActualCostResponse, GetProjectedCostResponse, GrowthType, PricingSpec, PricingTier,
    ResourceCostResult, ResourceDescriptor, ResourceError, UsageMetricHint,
};
use crate::region::Region;

impl CostSource {
    pub(super) fn served(&self) -> Region {
        self.state.table.region()
    }

    /// Checks `descriptor` and prices it; `prose` is [`estimate::Query::prose`].
    pub(super) fn estimate(
        &self,
        descriptor: &ResourceDescriptor,
        prefix: &str,
        fallback_utilization: Option<f64>,
        prose: bool,
    ) -> Result<Estimate, ServiceError> {
        let query = descriptor::query(
            descriptor,
            self.served(),
            prefix,
            fallback_utilization,
            prose,
        )?;
        let estimate = estimate::estimate(&self.state.table, &query)
            .map_err(|e| ServiceError::from(e).rebased(prefix))?;
        tracing::debug!(
            kind = estimate.kind,
            sku = %estimate.sku,
            unit_price = estimate.unit_price,
            cost_per_month = estimate.cost_per_month,
            "priced"
        );
        Ok(estimate)
    }

    /// Metadata of a priced resource: the estimator's entries plus where the price comes from.
    /// The keys are fixed names within the protocol's limits and there are six of them, so only
    /// the values need bounding (`defaults_applied` grows with the block devices of an instance).
    pub(super) fn metadata(&self, estimate: &Estimate) -> BTreeMap<String, String> {
        let source = [
            ("region", self.served().code().to_owned()),
            ("data_as_of", self.state.table.data_as_of().to_owned()),
        ];
        // Inserted one by one: collecting would buffer and sort the pairs first.
        let mut map = BTreeMap::new();
        for (key, value) in estimate.metadata().into_iter().chain(source) {
            map.insert(key.to_owned(), metadata::bounded_value(value));
        }
        map
    }

    pub(super) fn projected(
        &self,
        descriptor: &ResourceDescriptor,
        prefix: &str,
        fallback_utilization: Option<f64>,
        growth_type: GrowthType,
    ) -> Result<GetProjectedCostResponse, ServiceError> {
        let estimate = self.estimate(descriptor, prefix, fallback_utilization, false)?;
        let metadata = self.metadata(&estimate);
        Ok(GetProjectedCostResponse {
            unit_price: estimate.unit_price,
            currency: CURRENCY.to_owned(),
            cost_per_month: estimate.cost_per_month,
            billing_detail: estimate.billing_detail,
            growth_type: growth_type.into(),
            pricing_category: FocusPricingCategory::Standard.into(),
            expires_at: Some(expires_at()),
            metadata,
            ..Default::default()
        })
    }

    pub(super) fn actual(
        &self,
        descriptor: &ResourceDescriptor,
        prefix: &str,
        start: Option<&Timestamp>,
        end: Option<&Timestamp>,
    ) -> Result<GetActualCostResponse, ServiceError> {
        let hours = actual::runtime_hours(start, end)?;
        let estimate = self.estimate(descriptor, prefix, None, false)?;
        Ok(GetActualCostResponse {
            results: vec![ActualCostResult {
                timestamp: start.cloned(),
                cost: actual::prorate(estimate.cost_per_month, hours),
                usage_amount: hours,
                usage_unit: "hour".to_owned(),
                source: format!(
                    "list-price estimate, no billing data: {}",
                    estimate.source_text(&self.state.table)
                ),
                expires_at: Some(expires_at()),
                ..Default::default()
            }],
            // Real spend may differ from list prices; a billing source should take precedence.
            fallback_hint: FallbackHint::Recommended.into(),
            total_count: 1,
            ..Default::default()
        })
    }

    pub(super) fn pricing_spec(
        &self,
        descriptor: &ResourceDescriptor,
    ) -> Result<PricingSpec, ServiceError> {
        let estimate = self.estimate(descriptor, RESOURCE, None, true)?;
        Ok(PricingSpec {
            provider: "aws".to_owned(),
            resource_type: descriptor.resource_type.trim().to_owned(),
            sku: estimate.sku.clone(),
            region: self.served().code().to_owned(),
            billing_mode: estimate.billing_mode.to_owned(),
            rate_per_unit: estimate.unit_price,
            currency: CURRENCY.to_owned(),
            description: estimate.description.clone(),
            metric_hints: estimate
                .metric_hints
                .iter()
                .map(|(metric, unit)| UsageMetricHint {
                    metric: (*metric).to_owned(),
                    unit: (*unit).to_owned(),
                })
                .collect(),
            plugin_metadata: self.metadata(&estimate),
            source: estimate.source_text(&self.state.table),
            unit: estimate.unit.to_owned(),
            assumptions: estimate
                .assumptions
                .into_iter()
                .map(std::borrow::Cow::into_owned)
                .collect(),
            pricing_tiers: estimate
                .tiers
                .iter()
                .map(|t| PricingTier {
                    min_quantity: t.min_quantity,
                    max_quantity: t.max_quantity,
                    rate_per_unit: t.rate_per_unit,
                    description: t.description.clone(),
                })
                .collect(),
        })
    }

    pub(super) fn dry_run(&self, descriptor: &ResourceDescriptor, prefix: &str) -> DryRunResponse {
        let supported = estimate::supports(descriptor.resource_type.trim()).is_ok();
        let outcome = self.estimate(descriptor, prefix, None, false);
        dry_run::response(self.served(), supported, outcome.as_ref())
    }

    /// The estimate, and what it assumed as `(defaults_applied, estimate_quality)`: the response
    /// message has no metadata map, so the handler sends these as response metadata.
    pub(super) fn estimate_cost(
        &self,
        request: &EstimateCostRequest,
    ) -> Result<(EstimateCostResponse, Assumed), ServiceError> {
        let resource_type = request.resource_type.trim();
        descriptor::check_resource_type(resource_type, "resource_type")?;
        let attributes = request
            .attributes
            .as_ref()
            .map(attributes::flatten)
            .unwrap_or_default();
        // Pulumi inputs name the location as a region or an availability zone.
        for key in ["region", "availabilityZone"] {
            if let Some(value) = attributes.get(key) {
                descriptor::check_region(self.served(), value, format_args!("attributes.{key}"))?;
            }
        }
        // The estimator names fields as this request has them (`attributes.instanceType`).
        let estimate =
            estimate::estimate_attributes(&self.state.table, resource_type, &attributes)?;
        let [(_, defaults), (_, quality), ..] = estimate.metadata();
        if !defaults.is_empty() {
            tracing::debug!(defaults_applied = %defaults, "estimate assumed defaults");
        }
        let response = EstimateCostResponse {
            currency: CURRENCY.to_owned(),
            cost_monthly: estimate.cost_per_month,
            pricing_category: FocusPricingCategory::Standard.into(),
            spot_interruption_risk_score: 0.0,
            expires_at: Some(expires_at()),
        };
        Ok((
            response,
            [
                (DEFAULTS_APPLIED_HEADER, metadata::bounded_value(defaults)),
                (ESTIMATE_QUALITY_HEADER, quality),
            ],
        ))
    }

    /// One BatchCost entry: its cost, or the error it alone would have produced.
    pub(super) fn batch_item(
        &self,
        index: usize,
        descriptor: &ResourceDescriptor,
        request: &BatchCostRequest,
        query_type: CostQueryType,
    ) -> ResourceCostResult {
        let prefix = format!("resources[{index}].");
        let data = if request.dry_run {
            Ok(Data::DryRunResult(self.dry_run(descriptor, &prefix)))
        } else {
            match query_type {
                CostQueryType::Actual => self
                    .actual(
                        descriptor,
                        &prefix,
                        request.start.as_ref(),
                        request.end.as_ref(),
                    )
                    .map(Data::ActualCost),
                CostQueryType::Estimate => {
                    self.estimate(descriptor, &prefix, None, false).map(|e| {
                        Data::Estimate(EstimateCostResponse {
                            currency: CURRENCY.to_owned(),
                            cost_monthly: e.cost_per_month,
                            pricing_category: FocusPricingCategory::Standard.into(),
                            spot_interruption_risk_score: 0.0,
                            expires_at: Some(expires_at()),
                        })
                    })
                }
                CostQueryType::Projected | CostQueryType::Unspecified => self
                    .projected(descriptor, &prefix, None, growth_of(descriptor.growth_type))
                    .map(Data::ProjectedCost),
            }
        };
        let result = match data {
            Ok(data) => CostResult::CostData(CostData { data: Some(data) }),
            Err(err) => CostResult::Error(ResourceError {
                code: err.code() as i32,
                message: err.bounded_message(),
                resource_type_unsupported: err.resource_type_unsupported(),
            }),
        };
        ResourceCostResult {
            resource: Some(descriptor.clone()),
            result: Some(result),
        }
    }
}
