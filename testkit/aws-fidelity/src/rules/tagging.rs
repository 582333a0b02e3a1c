//! The Resource Groups Tagging API's `GetResources` for Cloud Map resources, which the emulator's
//! tagging API does not index: the tags of up to 100 resources named by ARN in one call.
//!
//! - `ResourceARNList` takes 1 to 100 ARNs and cannot be combined with `TagFilters` or
//!   `ResourceTypeFilters`; an ARN of a resource that does not exist is no error, it is left out of
//!   the answer (<https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html>).
//! - Cloud Map namespaces and services are resources the tagging API reports
//!   (<https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html>).
//!
//! The layer answers such a request from the emulator's own Cloud Map tags
//! (`ListTagsForResource` per ARN); any other `GetResources` goes to the emulator.

use serde_json::{Value, json};

/// Most ARNs one `GetResources` takes.
pub const MAX_ARNS: usize = 100;

/// What a `GetResources` request asks the layer to answer: the Cloud Map ARNs of its
/// `ResourceARNList`, or `None` when it is a request for the emulator (filters, other services).
/// An ARN list over the limit is refused as AWS refuses it.
pub fn cloud_map_arns(request: &Value) -> Result<Option<Vec<String>>, String> {
    let Some(list) = request.get("ResourceARNList").and_then(Value::as_array) else {
        return Ok(None);
    };
    let arns: Vec<String> = list
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if !arns
        .iter()
        .all(|a| a.starts_with("arn:aws:servicediscovery:"))
    {
        return Ok(None);
    }
    if arns.is_empty() || arns.len() > MAX_ARNS {
        return Err(format!(
            "ResourceARNList must hold between 1 and {MAX_ARNS} ARNs, not {}",
            arns.len()
        ));
    }
    if request.get("TagFilters").is_some() || request.get("ResourceTypeFilters").is_some() {
        return Err(
            "ResourceARNList cannot be combined with TagFilters or ResourceTypeFilters".into(),
        );
    }
    Ok(Some(arns))
}

/// The answer: each resource found with its tags (`Tags` as Cloud Map answers them, `Key` and
/// `Value`), in the order asked; resources not found are left out.
pub fn answer(found: Vec<(String, Value)>) -> Value {
    let mappings: Vec<Value> = found
        .into_iter()
        .map(|(arn, tags)| json!({"ResourceARN": arn, "Tags": tags}))
        .collect();
    json!({"PaginationToken": "", "ResourceTagMappingList": mappings})
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn answers_cloud_map_arn_lists_and_leaves_the_rest_to_the_emulator() {
        let ns = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1";
        let asked = json!({"ResourceARNList": [ns]});
        assert_eq!(cloud_map_arns(&asked).unwrap(), Some(vec![ns.to_owned()]));
        let other = json!({"ResourceARNList": ["arn:aws:ecs:us-east-1:123456789012:cluster/c"]});
        assert_eq!(cloud_map_arns(&other).unwrap(), None);
        assert_eq!(cloud_map_arns(&json!({"TagFilters": []})).unwrap(), None);
        let many: Vec<String> = (0..101).map(|i| format!("{ns}{i}")).collect();
        assert!(cloud_map_arns(&json!({"ResourceARNList": many})).is_err());
        assert!(cloud_map_arns(&json!({"ResourceARNList": [ns], "TagFilters": []})).is_err());
        let tags = json!([{"Key": "k", "Value": "v"}]);
        assert_eq!(
            answer(vec![(ns.to_owned(), tags.clone())])["ResourceTagMappingList"][0],
            json!({"ResourceARN": ns, "Tags": tags})
        );
    }
}
