//! GetRecommendations: the [`recommend`] rules over the request's `target_resources`, then the
//! request's filter, exclusions, order and page.
//!
//! # Contract
//! - Only `target_resources` are analysed (at most [`MAX_TARGETS`]); with none, the filter's
//!   `resource_type` + `sku` (+ `tags`, `region`) describe the one resource to analyse, and
//!   without those the answer is an empty list with a zero summary.
//! - A target of another provider or region is skipped (another plugin or process answers for
//!   it), as is one this plugin cannot price (unknown type or sku). A malformed target field is
//!   `INVALID_ARGUMENT` naming `target_resources[i].<field>`.
//! - Ids are stable: the same resource and rule give the same id in every call, so a client's
//!   dismissed ids in `excluded_recommendation_ids` keep them out.
//! - Money is USD over `projection_period` (`daily` = monthly x 24 / 730, `monthly`, `annual` =
//!   monthly x 12). The summary covers the returned page.
//! - `page_size` 0 means [`DEFAULT_PAGE_SIZE`], larger than [`MAX_PAGE_SIZE`] is capped,
//!   negative is `INVALID_ARGUMENT`; `page_token` is opaque and a token this plugin did not
//!   issue (or one past the end of the list) is `INVALID_ARGUMENT`.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use prost_types::Timestamp;

use crate::estimate::EstimateError;
use crate::pricing::PriceTable;
use crate::proto::v1::recommendation::ActionDetail;
use crate::proto::v1::{
    GetRecommendationsRequest, GetRecommendationsResponse, ModifyAction, Recommendation,
    RecommendationActionType, RecommendationCategory, RecommendationFilter, RecommendationImpact,
    RecommendationPriority, RecommendationSortBy, RecommendationSummary, ResourceDescriptor,
    ResourceRecommendationInfo, RightsizeAction, SortOrder,
};
use crate::recommend::{self, Advice, Category, Change, Rule};
use crate::resource::Kind;

use super::CURRENCY;
use super::descriptor;
use super::error::ServiceError;
use super::metadata;

/// Most target resources in one request.
pub const MAX_TARGETS: usize = 100;
/// Page size when the request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest page.
pub const MAX_PAGE_SIZE: usize = 1000;
/// `Recommendation.source` of every recommendation.
pub const SOURCE: &str = "aws-public";

/// Hours in the month every monthly figure uses.
const HOURS_PER_MONTH: f64 = 730.0;
/// Prefix of the page tokens this plugin issues.
const TOKEN_PREFIX: &str = "offset:";

/// The period savings are projected over.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Period {
    name: &'static str,
    /// Multiplier from a monthly amount.
    factor: f64,
}

fn period(text: &str) -> Result<Period, ServiceError> {
    let text = text.trim();
    let (name, factor) = if text.is_empty() || text.eq_ignore_ascii_case("monthly") {
        ("monthly", 1.0)
    } else if text.eq_ignore_ascii_case("daily") {
        ("daily", 24.0 / HOURS_PER_MONTH)
    } else if text.eq_ignore_ascii_case("annual") {
        ("annual", 12.0)
    } else {
        return Err(ServiceError::invalid(
            "projection_period",
            format!(
                "{:?} is not daily, monthly or annual",
                super::error::echo(text)
            ),
        ));
    };
    Ok(Period { name, factor })
}

/// Answers a GetRecommendations request from `table`.
pub fn answer(
    table: &PriceTable,
    request: &GetRecommendationsRequest,
) -> Result<GetRecommendationsResponse, ServiceError> {
    let period = period(&request.projection_period)?;
    let page_size = page_size(request.page_size)?;
    let offset = decode_token(&request.page_token)?;
    if request.target_resources.len() > MAX_TARGETS {
        return Err(ServiceError::invalid(
            "target_resources",
            format!(
                "{} resources exceed the maximum of {MAX_TARGETS}",
                request.target_resources.len()
            ),
        ));
    }
    let filter = request.filter.clone().unwrap_or_default();
    let implicit;
    let targets: Vec<(String, &ResourceDescriptor)> = if request.target_resources.is_empty() {
        implicit = implicit_target(&filter);
        implicit.iter().map(|d| ("filter.".to_owned(), d)).collect()
    } else {
        request
            .target_resources
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("target_resources[{i}]."), d))
            .collect()
    };

    let mut all = Vec::new();
    for (prefix, target) in &targets {
        for advice in analyse(table, target, prefix)? {
            all.push(recommendation(table, target, &advice, period));
        }
    }
    let excluded: HashSet<&str> = request
        .excluded_recommendation_ids
        .iter()
        .map(String::as_str)
        .collect();
    all.retain(|r| matches(r, &filter) && !excluded.contains(r.id.as_str()));
    sort(&mut all, &filter);

    if offset > all.len() {
        return Err(ServiceError::invalid(
            "page_token",
            "points past the end of the list (was the request changed between pages?)",
        ));
    }
    let end = all.len().min(offset.saturating_add(page_size));
    let next_page_token = if end < all.len() {
        encode_token(end)
    } else {
        String::new()
    };
    let page: Vec<Recommendation> = all.drain(offset..end).collect();
    Ok(GetRecommendationsResponse {
        summary: Some(summary(&page, period)),
        recommendations: page,
        next_page_token,
    })
}

fn page_size(requested: i32) -> Result<usize, ServiceError> {
    match usize::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(n) => Ok(n.min(MAX_PAGE_SIZE)),
        Err(_) => Err(ServiceError::invalid("page_size", "must not be negative")),
    }
}

fn encode_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{offset}"))
}

fn decode_token(token: &str) -> Result<usize, ServiceError> {
    if token.is_empty() {
        return Ok(0);
    }
    let invalid = || ServiceError::invalid("page_token", "not a page token issued by this plugin");
    // Real tokens are a few bytes; anything long is not one of ours.
    if token.len() > 64 {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    text.strip_prefix(TOKEN_PREFIX)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .ok_or_else(invalid)
}

/// With no targets, the filter itself may describe a resource: a type and a sku.
fn implicit_target(filter: &RecommendationFilter) -> Option<ResourceDescriptor> {
    (!filter.resource_type.trim().is_empty() && !filter.sku.trim().is_empty()).then(|| {
        ResourceDescriptor {
            provider: filter.provider.clone(),
            resource_type: filter.resource_type.clone(),
            sku: filter.sku.clone(),
            region: filter.region.clone(),
            tags: filter.tags.clone(),
            id: filter.resource_id.clone(),
            ..Default::default()
        }
    })
}

/// The advice for one target, or nothing when another plugin or process answers for it or it
/// cannot be priced; malformed fields are errors.
fn analyse(
    table: &PriceTable,
    target: &ResourceDescriptor,
    prefix: &str,
) -> Result<Vec<Advice>, ServiceError> {
    let query = match descriptor::query(target, table.region(), prefix, None, false) {
        Ok(q) => q,
        Err(ServiceError::WrongRegion { .. } | ServiceError::UnsupportedProvider { .. }) => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    };
    match recommend::advise(table, &query) {
        Ok(advice) => Ok(advice),
        Err(e @ EstimateError::InvalidArgument { .. }) => {
            Err(ServiceError::from(e).rebased(prefix))
        }
        Err(
            EstimateError::UnsupportedResourceType { .. }
            | EstimateError::UnknownSku { .. }
            | EstimateError::NoPrice { .. },
        ) => Ok(Vec::new()),
    }
}

/// A stable id: region, rule and a hash of what identifies the resource as it is.
fn recommendation_id(region: &str, rule: Rule, target: &ResourceDescriptor, sku: &str) -> String {
    let mut tags: Vec<(&String, &String)> = target.tags.iter().collect();
    tags.sort();
    let mut h = Fnv::default();
    for part in [
        target.resource_type.trim(),
        sku,
        target.id.as_str(),
        target.arn.as_str(),
    ] {
        h.write(part.as_bytes());
        h.write(&[0]);
    }
    for (k, v) in tags {
        h.write(k.as_bytes());
        h.write(&[1]);
        h.write(v.as_bytes());
        h.write(&[0]);
    }
    format!("{SOURCE}:{region}:{}:{:016x}", rule.name(), h.0)
}

/// 64-bit FNV-1a: a small, stable hash for ids (std's hasher is not stable across releases).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn recommendation(
    table: &PriceTable,
    target: &ResourceDescriptor,
    advice: &Advice,
    period: Period,
) -> Recommendation {
    let region = table.region().code();
    let current = advice.current_monthly * period.factor;
    let projected = advice.recommended_monthly * period.factor;
    let savings = advice.monthly_savings() * period.factor;
    let percent = if advice.current_monthly > 0.0 {
        advice.monthly_savings() / advice.current_monthly * 100.0
    } else {
        0.0
    };
    let category = match advice.category() {
        Category::Cost => RecommendationCategory::Cost,
        Category::Performance => RecommendationCategory::Performance,
    };
    let priority = if percent >= 25.0 {
        RecommendationPriority::High
    } else if percent > 0.0 {
        RecommendationPriority::Medium
    } else {
        RecommendationPriority::Low
    };
    let (action_type, detail) = action(advice);
    let mut meta = vec![
        ("rule".to_owned(), advice.rule.name().to_owned()),
        ("region".to_owned(), region.to_owned()),
        ("data_as_of".to_owned(), table.data_as_of().to_owned()),
        ("current_sku".to_owned(), advice.current_sku.clone()),
        ("recommended_sku".to_owned(), advice.recommended_sku.clone()),
        (
            "current_monthly_cost".to_owned(),
            format!("{}", advice.current_monthly),
        ),
        (
            "recommended_monthly_cost".to_owned(),
            format!("{}", advice.recommended_monthly),
        ),
    ];
    if advice.rule.needs_arm_image() {
        meta.push(("requires_arm64_image".to_owned(), "true".to_owned()));
    }
    let description = describe(advice);
    Recommendation {
        id: recommendation_id(region, advice.rule, target, &advice.current_sku),
        category: category.into(),
        action_type: action_type.into(),
        resource: Some(ResourceRecommendationInfo {
            id: if target.id.is_empty() {
                target.arn.clone()
            } else {
                target.id.clone()
            },
            name: name_of(&target.tags),
            provider: "aws".to_owned(),
            resource_type: target.resource_type.trim().to_owned(),
            region: region.to_owned(),
            sku: advice.current_sku.clone(),
            tags: target.tags.clone(),
            utilization: None,
        }),
        action_detail: Some(detail),
        impact: Some(RecommendationImpact {
            estimated_savings: savings,
            currency: CURRENCY.to_owned(),
            projection_period: period.name.to_owned(),
            current_cost: current,
            projected_cost: projected,
            savings_percentage: percent,
            implementation_cost: None,
            migration_effort_hours: None,
        }),
        priority: priority.into(),
        confidence_score: None,
        description,
        reasoning: advice.reasoning.clone(),
        source: SOURCE.to_owned(),
        created_at: Some(Timestamp::from(std::time::SystemTime::now())),
        metadata: metadata::bounded(meta).into_iter().collect(),
    }
}

/// "Change ec2 t2.micro to t3.micro: 0.88 USD less per month", or "...: same price".
fn describe(advice: &Advice) -> String {
    let what = match &advice.change {
        // A storage change keeps the sku (the DB instance class): name the property instead.
        Change::Config {
            kind, recommended, ..
        } if advice.current_sku == advice.recommended_sku => {
            let to = recommended
                .iter()
                .find(|(k, _)| k == kind)
                .map_or("", |(_, v)| v.as_str());
            format!("{} {} {kind} to {to}", advice.kind, advice.current_sku)
        }
        _ => format!(
            "{} {} to {}",
            advice.kind, advice.current_sku, advice.recommended_sku
        ),
    };
    match advice.category() {
        Category::Cost => format!(
            "Change {what}: {:.2} {CURRENCY} less per month",
            advice.monthly_savings()
        ),
        Category::Performance => format!("Change {what}: same price, newer or higher baseline"),
    }
}

/// The action type and its detail message.
fn action(advice: &Advice) -> (RecommendationActionType, ActionDetail) {
    match &advice.change {
        Change::Type if advice.rule.needs_arm_image() => (
            RecommendationActionType::Migrate,
            ActionDetail::Modify(ModifyAction {
                modification_type: "architecture_migration".to_owned(),
                current_config: HashMap::from([
                    ("instance_type".to_owned(), advice.current_sku.clone()),
                    ("architecture".to_owned(), "x86_64".to_owned()),
                ]),
                recommended_config: HashMap::from([
                    ("instance_type".to_owned(), advice.recommended_sku.clone()),
                    ("architecture".to_owned(), "arm64".to_owned()),
                ]),
            }),
        ),
        Change::Type => (
            RecommendationActionType::Rightsize,
            ActionDetail::Rightsize(RightsizeAction {
                current_sku: advice.current_sku.clone(),
                recommended_sku: advice.recommended_sku.clone(),
                current_instance_type: advice.current_sku.clone(),
                recommended_instance_type: advice.recommended_sku.clone(),
                projected_utilization: None,
            }),
        ),
        Change::Config {
            kind,
            current,
            recommended,
        } => {
            let map = |pairs: &[(&str, String)]| {
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect()
            };
            (
                RecommendationActionType::Modify,
                ActionDetail::Modify(ModifyAction {
                    modification_type: format!("{kind}_change"),
                    current_config: map(current),
                    recommended_config: map(recommended),
                }),
            )
        }
    }
}

/// The resource's `Name` tag, if it has one.
fn name_of(tags: &HashMap<String, String>) -> String {
    ["Name", "name"]
        .iter()
        .find_map(|k| tags.get(*k))
        .cloned()
        .unwrap_or_default()
}

/// Whether `r` passes every criterion `filter` sets.
fn matches(r: &Recommendation, f: &RecommendationFilter) -> bool {
    let Some(resource) = r.resource.as_ref() else {
        return false;
    };
    let savings = r.impact.as_ref().map_or(0.0, |i| i.estimated_savings);
    let text_ok = |want: &str, have: &str| {
        let want = want.trim();
        want.is_empty() || want.eq_ignore_ascii_case(have)
    };
    text_ok(&f.provider, &resource.provider)
        && text_ok(&f.region, &resource.region)
        && same_type(&f.resource_type, &resource.resource_type)
        && (f.category == 0 || f.category == r.category)
        && (f.action_type == 0 || f.action_type == r.action_type)
        && text_ok(&f.sku, &resource.sku)
        && f.tags
            .iter()
            .all(|(k, v)| resource.tags.get(k).is_some_and(|have| have == v))
        && (f.priority == 0 || f.priority == r.priority)
        && savings >= f.min_estimated_savings
        && text_ok(&f.source, &r.source)
        && (f.account_id.trim().is_empty() || account_of(resource) == Some(f.account_id.trim()))
        // No confidence score is claimed, so a minimum excludes everything.
        && f.min_confidence_score <= 0.0
        && text_ok(&f.resource_id, &resource.id)
}

/// Equal as text, or naming the same kind (`ec2` and `aws:ec2/instance:Instance`).
fn same_type(want: &str, have: &str) -> bool {
    let want = want.trim();
    want.is_empty()
        || want.eq_ignore_ascii_case(have)
        || Kind::parse(want).is_some_and(|k| Kind::parse(have) == Some(k))
}

/// The account field of the resource's ARN id.
fn account_of(resource: &ResourceRecommendationInfo) -> Option<&str> {
    let mut parts = resource.id.splitn(6, ':');
    (parts.next()? == "arn").then_some(())?;
    parts.nth(3).filter(|a| !a.is_empty())
}

fn sort(all: &mut [Recommendation], f: &RecommendationFilter) {
    let by = RecommendationSortBy::try_from(f.sort_by).unwrap_or_default();
    let order = SortOrder::try_from(f.sort_order).unwrap_or_default();
    let descending = match order {
        SortOrder::Desc => true,
        SortOrder::Asc => false,
        // Largest first for amounts and urgency, oldest first otherwise.
        SortOrder::Unspecified => matches!(
            by,
            RecommendationSortBy::EstimatedSavings | RecommendationSortBy::Priority
        ),
    };
    let key = |r: &Recommendation| -> f64 {
        match by {
            RecommendationSortBy::EstimatedSavings => {
                r.impact.as_ref().map_or(0.0, |i| i.estimated_savings)
            }
            RecommendationSortBy::Priority => f64::from(r.priority),
            // Every recommendation is made now and claims no confidence: nothing to order by.
            RecommendationSortBy::Unspecified
            | RecommendationSortBy::CreatedAt
            | RecommendationSortBy::Confidence => 0.0,
        }
    };
    // Stable: equal keys keep the order of the targets and rules.
    all.sort_by(|a, b| {
        let o = key(a).partial_cmp(&key(b)).unwrap_or(Ordering::Equal);
        if descending { o.reverse() } else { o }
    });
}

fn summary(page: &[Recommendation], period: Period) -> RecommendationSummary {
    let mut s = RecommendationSummary {
        total_recommendations: i32::try_from(page.len()).unwrap_or(i32::MAX),
        currency: CURRENCY.to_owned(),
        projection_period: period.name.to_owned(),
        ..Default::default()
    };
    for r in page {
        let savings = r.impact.as_ref().map_or(0.0, |i| i.estimated_savings);
        s.total_estimated_savings += savings;
        let category = RecommendationCategory::try_from(r.category)
            .unwrap_or_default()
            .as_str_name()
            .to_owned();
        let action = RecommendationActionType::try_from(r.action_type)
            .unwrap_or_default()
            .as_str_name()
            .to_owned();
        *s.count_by_category.entry(category.clone()).or_default() += 1;
        *s.savings_by_category.entry(category).or_default() += savings;
        *s.count_by_action_type.entry(action.clone()).or_default() += 1;
        *s.savings_by_action_type.entry(action).or_default() += savings;
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use tonic::Code;

    use super::*;
    use crate::region::Region;

    fn target(resource_type: &str, sku: &str, tags: &[(&str, &str)]) -> ResourceDescriptor {
        ResourceDescriptor {
            provider: "aws".to_owned(),
            resource_type: resource_type.to_owned(),
            sku: sku.to_owned(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        }
    }

    fn mixed() -> Vec<ResourceDescriptor> {
        vec![
            target("ebs", "gp2", &[("size", "100")]),
            target("aws:ec2/instance:Instance", "t2.micro", &[]),
            target("ec2", "m4.large", &[]),
            target("ec2", "m5.large", &[]),
            target(
                "rds",
                "db.t3.micro",
                &[("storageType", "gp2"), ("allocatedStorage", "50")],
            ),
            // Another provider, another region, an unknown sku: skipped.
            ResourceDescriptor {
                provider: "gcp".to_owned(),
                ..target("ec2", "t2.micro", &[])
            },
            ResourceDescriptor {
                region: "eu-west-1".to_owned(),
                ..target("ec2", "t2.micro", &[])
            },
            target("ec2", "t9.enormous", &[]),
        ]
    }

    fn ask(request: GetRecommendationsRequest) -> Result<GetRecommendationsResponse, ServiceError> {
        answer(&PriceTable::load(Region::UsEast1).unwrap(), &request)
    }

    #[test]
    fn no_targets_is_an_empty_list_with_a_zero_summary() {
        let r = ask(GetRecommendationsRequest::default()).unwrap();
        assert!(r.recommendations.is_empty());
        let s = r.summary.unwrap();
        assert_eq!(s.total_recommendations, 0);
        assert_eq!(s.total_estimated_savings, 0.0);
        assert!(r.next_page_token.is_empty());
    }

    #[test]
    fn pages_cover_the_list_once_with_stable_ids() {
        let all = ask(GetRecommendationsRequest {
            target_resources: mixed(),
            ..Default::default()
        })
        .unwrap();
        // gp2->gp3, t2->t3, t2->t4g, m4->m5, m4->m7g, m5->m7g, rds gp2->gp3.
        assert_eq!(all.recommendations.len(), 7);
        let mut seen = Vec::new();
        let mut token = String::new();
        for _ in 0..10 {
            let page = ask(GetRecommendationsRequest {
                target_resources: mixed(),
                page_size: 3,
                page_token: token.clone(),
                ..Default::default()
            })
            .unwrap();
            assert!(page.recommendations.len() <= 3);
            seen.extend(page.recommendations.into_iter().map(|r| r.id));
            token = page.next_page_token;
            if token.is_empty() {
                break;
            }
        }
        let ids: Vec<_> = all.recommendations.iter().map(|r| r.id.clone()).collect();
        assert_eq!(seen, ids);
        let err = ask(GetRecommendationsRequest {
            page_token: "invalid-token-not-base64".to_owned(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(err.detail().details["field"], "page_token");
    }

    #[test]
    fn exclusions_and_filters_apply() {
        let all = ask(GetRecommendationsRequest {
            target_resources: mixed(),
            ..Default::default()
        })
        .unwrap();
        let first = all.recommendations[0].id.clone();
        let fewer = ask(GetRecommendationsRequest {
            target_resources: mixed(),
            excluded_recommendation_ids: vec![first.clone()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(fewer.recommendations.len(), 6);
        assert!(fewer.recommendations.iter().all(|r| r.id != first));
        let rightsize = ask(GetRecommendationsRequest {
            target_resources: mixed(),
            filter: Some(RecommendationFilter {
                action_type: RecommendationActionType::Rightsize.into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(rightsize.recommendations.len(), 2, "t2->t3 and m4->m5");
        let performance = ask(GetRecommendationsRequest {
            target_resources: mixed(),
            filter: Some(RecommendationFilter {
                category: RecommendationCategory::Performance.into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(performance.recommendations.len(), 1, "RDS gp2->gp3");
        assert_eq!(
            performance.recommendations[0].description,
            "Change rds db.t3.micro storage_type to gp3: same price, newer or higher baseline"
        );
    }

    #[test]
    fn malformed_targets_name_the_field() {
        let err = ask(GetRecommendationsRequest {
            target_resources: vec![
                target("ebs", "gp2", &[]),
                target("ebs", "gp2", &[("size", "lots")]),
            ],
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            err.detail().details["field"],
            "target_resources[1].tags.size"
        );
        let err = ask(GetRecommendationsRequest {
            target_resources: vec![target("ebs", "gp2", &[]); MAX_TARGETS + 1],
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.detail().details["field"], "target_resources");
        let err = ask(GetRecommendationsRequest {
            projection_period: "weekly".to_owned(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.detail().details["field"], "projection_period");
    }

    #[test]
    fn a_filter_with_type_and_sku_names_the_resource_when_there_are_no_targets() {
        let r = ask(GetRecommendationsRequest {
            filter: Some(RecommendationFilter {
                resource_type: "ec2".to_owned(),
                sku: "t2.medium".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
        let skus: Vec<_> = r
            .recommendations
            .iter()
            .map(|r| r.resource.as_ref().unwrap().sku.as_str())
            .collect();
        assert_eq!(skus, ["t2.medium", "t2.medium"], "t3 and t4g");
        let Some(ActionDetail::Rightsize(a)) = &r.recommendations[0].action_detail else {
            panic!("rightsize expected")
        };
        assert_eq!(a.recommended_instance_type, "t3.medium");
        assert!(
            r.recommendations[0]
                .description
                .starts_with("Change ec2 t2.medium to t3.medium: "),
            "{}",
            r.recommendations[0].description
        );
    }

    #[test]
    fn annual_projection_scales_the_monthly_savings() {
        let request = |period: &str| GetRecommendationsRequest {
            target_resources: vec![target("ebs", "gp2", &[("size", "100")])],
            projection_period: period.to_owned(),
            ..Default::default()
        };
        let monthly = ask(request("")).unwrap().recommendations[0]
            .impact
            .clone()
            .unwrap();
        let annual = ask(request("annual")).unwrap().recommendations[0]
            .impact
            .clone()
            .unwrap();
        assert!((monthly.estimated_savings - 2.0).abs() < 1e-9);
        assert!((annual.estimated_savings - 24.0).abs() < 1e-9);
        assert_eq!(annual.projection_period, "annual");
    }
}
