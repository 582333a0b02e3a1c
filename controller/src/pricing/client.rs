//! One `BatchCost` round trip per region (in slices of the plugin's batch limit): projected
//! monthly costs for a list of descriptors, each answer in the order asked.

use std::time::Duration;

use finfocus_proto::v1::cost_source_service_client::CostSourceServiceClient;
use finfocus_proto::v1::{
    BatchCostRequest, CostQueryType, ResourceDescriptor, cost_data, resource_cost_result,
};
use tonic::transport::Endpoint;

/// Most descriptors per `BatchCost` call (the plugin answers `max_batch_size` 100).
pub const MAX_BATCH: usize = 100;

/// A projected monthly price.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// USD per month.
    pub monthly: f64,
    /// `estimate_quality` from the answer's metadata, when given.
    pub quality: Option<String>,
}

/// Prices `resources` at the plugin at `url`; one entry per resource, an error message where
/// the plugin could not price it. The caller bounds the whole call with its timeout.
///
/// # Errors
/// When the plugin cannot be reached or refuses the batch as a whole.
pub async fn batch_cost(
    url: &str,
    resources: Vec<ResourceDescriptor>,
    connect_timeout: Duration,
) -> Result<Vec<Result<Price, String>>, String> {
    let channel = Endpoint::from_shared(url.to_owned())
        .map_err(|e| format!("{url}: {e}"))?
        .connect_timeout(connect_timeout)
        .connect()
        .await
        .map_err(|e| format!("{url}: {}", crate::error_chain(&e)))?;
    let mut client = CostSourceServiceClient::new(channel);
    let mut out = Vec::with_capacity(resources.len());
    let mut rest = resources;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(MAX_BATCH));
        let asked = rest.len();
        let request = BatchCostRequest {
            resources: rest,
            query_type: CostQueryType::Projected.into(),
            ..BatchCostRequest::default()
        };
        let answer = client
            .batch_cost(request)
            .await
            .map_err(|s| format!("BatchCost at {url}: {:?}: {}", s.code(), s.message()))?
            .into_inner();
        if answer.results.len() != asked {
            return Err(format!(
                "BatchCost at {url}: {} answers for {asked} resources",
                answer.results.len()
            ));
        }
        out.extend(answer.results.into_iter().map(|r| match r.result {
            Some(resource_cost_result::Result::CostData(data)) => match data.data {
                Some(cost_data::Data::ProjectedCost(p)) => Ok(Price {
                    monthly: p.cost_per_month,
                    quality: p.metadata.get("estimate_quality").cloned(),
                }),
                _ => Err("the plugin answered without a projected cost".to_owned()),
            },
            Some(resource_cost_result::Result::Error(e)) => Err(e.message),
            None => Err("the plugin answered nothing".to_owned()),
        }));
        rest = tail;
    }
    Ok(out)
}
