//! One `BatchCost` round trip per region (in slices of the plugin's batch limit): projected
//! monthly costs for a list of descriptors, each answer in the order asked. And one
//! `GetRecommendations` round trip per region and per 100 services: the savings the plugin sees.

use std::time::Duration;

use finfocus_proto::v1::cost_source_service_client::CostSourceServiceClient;
use finfocus_proto::v1::{
    BatchCostRequest, CostQueryType, GetRecommendationsRequest, Recommendation,
    RecommendationCategory, ResourceDescriptor, cost_data, resource_cost_result,
};
use tonic::transport::{Channel, Endpoint};

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

async fn connect(
    url: &str,
    connect_timeout: Duration,
) -> Result<CostSourceServiceClient<Channel>, String> {
    let channel = Endpoint::from_shared(url.to_owned())
        .map_err(|e| format!("{url}: {e}"))?
        .connect_timeout(connect_timeout)
        .connect()
        .await
        .map_err(|e| format!("{url}: {}", crate::error_chain(&e)))?;
    Ok(CostSourceServiceClient::new(channel))
}

/// Most targets per `GetRecommendations` call (the plugin analyses up to 100).
pub const MAX_TARGETS: usize = 100;
/// Most pages read per call: each target gets a handful of recommendations at most.
const MAX_PAGES: usize = 10;

/// The cost recommendations the plugin at `url` makes for `targets`, except `excluded` ids,
/// monthly. Performance-only ones (no saving) are left out: a plan shows what saves money.
///
/// # Errors
/// When the plugin cannot be reached or refuses the request.
pub async fn recommendations(
    url: &str,
    targets: Vec<ResourceDescriptor>,
    excluded: Vec<String>,
    connect_timeout: Duration,
) -> Result<Vec<Recommendation>, String> {
    let mut client = connect(url, connect_timeout).await?;
    let mut out = Vec::new();
    for chunk in targets.chunks(MAX_TARGETS) {
        let mut page_token = String::new();
        for _ in 0..MAX_PAGES {
            let answer = client
                .get_recommendations(GetRecommendationsRequest {
                    projection_period: "monthly".to_owned(),
                    page_token: page_token.clone(),
                    excluded_recommendation_ids: excluded.clone(),
                    target_resources: chunk.to_vec(),
                    ..GetRecommendationsRequest::default()
                })
                .await
                .map_err(|s| {
                    format!(
                        "GetRecommendations at {url}: {:?}: {}",
                        s.code(),
                        s.message()
                    )
                })?
                .into_inner();
            out.extend(
                answer
                    .recommendations
                    .into_iter()
                    .filter(|r| r.category == RecommendationCategory::Cost as i32),
            );
            if answer.next_page_token.is_empty() {
                break;
            }
            page_token = answer.next_page_token;
        }
    }
    Ok(out)
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
    let mut client = connect(url, connect_timeout).await?;
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
