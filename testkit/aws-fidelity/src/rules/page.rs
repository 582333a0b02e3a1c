//! Pagination of list operations the way AWS pages them: a default page size, a largest page, a
//! `nextToken` to continue, and an error for a page size above the API's maximum. The emulator
//! answers every item at once and ignores the page size.

use serde_json::{Value, json};

use crate::call::{Api, AwsError};

/// How one list operation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// The API.
    pub api: Api,
    /// The answer's list field.
    pub items: &'static str,
    /// The request's page size field.
    pub size_field: &'static str,
    /// The request's and answer's continuation token field.
    pub token_field: &'static str,
    /// Page size when the request sets none.
    pub default: usize,
    /// Largest page size the API accepts.
    pub max: usize,
}

impl Paging {
    const fn ecs(items: &'static str, default: usize) -> Self {
        Self {
            api: Api::Ecs,
            items,
            size_field: "maxResults",
            token_field: "nextToken",
            default,
            max: 100,
        }
    }

    const fn cloud_map(items: &'static str) -> Self {
        Self {
            api: Api::CloudMap,
            items,
            size_field: "MaxResults",
            token_field: "NextToken",
            default: 100,
            max: 100,
        }
    }
}

/// The paging of `operation`, if the layer pages it.
///
/// Sources (API reference, the `maxResults` / `MaxResults` request field of each operation):
/// ECS ListServices returns up to 10 results unless `maxResults` (1-100) says otherwise;
/// ListClusters, ListTaskDefinitions and ListTaskDefinitionFamilies up to 100 (1-100); Cloud Map
/// ListNamespaces and ListServices up to 100 (1-100).
pub fn paging(api: Api, operation: &str) -> Option<Paging> {
    match (api, operation) {
        (Api::Ecs, "ListServices") => Some(Paging::ecs("serviceArns", 10)),
        (Api::Ecs, "ListClusters") => Some(Paging::ecs("clusterArns", 100)),
        (Api::Ecs, "ListTaskDefinitions") => Some(Paging::ecs("taskDefinitionArns", 100)),
        (Api::Ecs, "ListTaskDefinitionFamilies") => Some(Paging::ecs("families", 100)),
        (Api::CloudMap, "ListNamespaces") => Some(Paging::cloud_map("Namespaces")),
        (Api::CloudMap, "ListServices") => Some(Paging::cloud_map("Services")),
        _ => None,
    }
}

/// Prefix of the tokens the layer hands out.
const TOKEN_PREFIX: &str = "fidelity-page-";

/// The page a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Items to skip.
    pub offset: usize,
    /// Items to answer at most.
    pub size: usize,
}

/// Reads the page size and token of a list request and removes them, so the emulator answers the
/// whole list. A page size outside 1..=max or a token the layer did not hand out is the AWS error.
pub fn take_page(paging: &Paging, request: &mut Value) -> Result<Page, AwsError> {
    let fields = request.as_object_mut();
    let (size, token) = match fields {
        Some(fields) => (
            fields.remove(paging.size_field),
            fields.remove(paging.token_field),
        ),
        None => (None, None),
    };
    let size = match size.filter(|v| !v.is_null()) {
        None => paging.default,
        Some(value) => match value.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if (1..=paging.max).contains(&n) => n,
            _ => {
                return Err(AwsError::invalid(
                    paging.api,
                    format!(
                        "{} must be between 1 and {}, not {value}",
                        paging.size_field, paging.max
                    ),
                ));
            }
        },
    };
    let offset = match token.as_ref().and_then(Value::as_str) {
        None => 0,
        Some(token) => token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                AwsError::invalid(
                    paging.api,
                    format!("{} '{token}' is not valid", paging.token_field),
                )
            })?,
    };
    Ok(Page { offset, size })
}

/// Cuts the emulator's whole list down to the page and adds the token of the next one.
pub fn cut(paging: &Paging, page: Page, answer: &mut Value) {
    let Some(fields) = answer.as_object_mut() else {
        return;
    };
    let Some(Value::Array(items)) = fields.get_mut(paging.items) else {
        return;
    };
    let total = items.len();
    let start = page.offset.min(total);
    let end = start.saturating_add(page.size).min(total);
    let kept: Vec<Value> = items.drain(start..end).collect();
    *items = kept;
    fields.remove(paging.token_field);
    if end < total {
        fields.insert(
            paging.token_field.to_owned(),
            json!(format!("{TOKEN_PREFIX}{end}")),
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    fn arns(n: usize) -> Value {
        json!({"serviceArns": (0..n).map(|i| format!("s{i}")).collect::<Vec<_>>()})
    }

    #[test]
    fn list_services_pages_by_ten_by_default() {
        let paging = paging(Api::Ecs, "ListServices").unwrap();
        let mut request = json!({"cluster": "c"});
        let page = take_page(&paging, &mut request).unwrap();
        assert_eq!(
            page,
            Page {
                offset: 0,
                size: 10
            }
        );
        let mut answer = arns(25);
        cut(&paging, page, &mut answer);
        assert_eq!(answer["serviceArns"].as_array().unwrap().len(), 10);
        assert_eq!(answer["nextToken"], "fidelity-page-10");

        let mut next = json!({"cluster": "c", "nextToken": "fidelity-page-20", "maxResults": 10});
        let page = take_page(&paging, &mut next).unwrap();
        assert_eq!(
            next,
            json!({"cluster": "c"}),
            "paging fields do not reach the emulator"
        );
        let mut answer = arns(25);
        cut(&paging, page, &mut answer);
        assert_eq!(
            answer["serviceArns"],
            json!(["s20", "s21", "s22", "s23", "s24"])
        );
        assert!(answer.get("nextToken").is_none());
    }

    #[test]
    fn page_size_above_the_maximum_is_refused() {
        let paging = paging(Api::Ecs, "ListServices").unwrap();
        for bad in [json!(101), json!(0), json!(-1), json!("10")] {
            let mut request = json!({"maxResults": bad});
            let err = take_page(&paging, &mut request).unwrap_err();
            assert_eq!(err.code, "InvalidParameterException");
        }
        let mut largest = json!({"maxResults": 100});
        assert_eq!(take_page(&paging, &mut largest).unwrap().size, 100);
    }

    #[test]
    fn unknown_tokens_are_refused() {
        let paging = paging(Api::CloudMap, "ListNamespaces").unwrap();
        let mut request = json!({"NextToken": "abc"});
        let err = take_page(&paging, &mut request).unwrap_err();
        assert_eq!(err.code, "InvalidInput");
    }

    #[test]
    fn cloud_map_pages_by_one_hundred() {
        let paging = paging(Api::CloudMap, "ListNamespaces").unwrap();
        let page = take_page(&paging, &mut json!({})).unwrap();
        let mut answer = json!({"Namespaces": (0..150).collect::<Vec<_>>()});
        cut(&paging, page, &mut answer);
        assert_eq!(answer["Namespaces"].as_array().unwrap().len(), 100);
        assert_eq!(answer["NextToken"], "fidelity-page-100");
    }

    #[test]
    fn other_operations_are_not_paged() {
        assert_eq!(paging(Api::Ecs, "DescribeServices"), None);
        assert_eq!(paging(Api::CloudMap, "GetNamespace"), None);
    }
}
