//! AWS Cloud Map rules (`ListNamespaces`, `CreateService`, `GetService`, `ListServices`).

use serde_json::{Value, json};

use super::{default_field, object};
use crate::call::{Api, AwsError};

/// Cloud Map no longer honours `HealthCheckCustomConfig.FailureThreshold`: whatever is sent, the
/// service stores 1. Applied to `CreateService` requests and to `Service` objects of answers.
///
/// Source: API reference, HealthCheckCustomConfig, `FailureThreshold`: "This parameter is no longer
/// supported and is always set to 1" (docs.aws.amazon.com/cloud-map/latest/api/API_HealthCheckCustomConfig.html;
/// the SDKs mark the field deprecated with the same words).
pub fn failure_threshold_is_one(service: &mut Value) {
    if let Some(Value::Object(config)) = service.get_mut("HealthCheckCustomConfig") {
        config.insert("FailureThreshold".into(), json!(1));
    }
}

/// What a `CreateService` meets among the services of the same name (`services`, as `GetService`
/// answers them): `Ok(None)` when the name is free in the namespace, `Ok(Some(service))` when it is a retry
/// of the request that created `service` (same non-empty `CreatorRequestId`), else the
/// `ServiceAlreadyExists` error. The emulator creates a second service of the same name instead.
///
/// Source: API reference, CreateService: `CreatorRequestId` lets a failed request be retried
/// without running the operation twice, and the `ServiceAlreadyExists` error answers a service name
/// that already exists.
pub fn existing_service(request: &Value, services: &[Value]) -> Result<Option<Value>, AwsError> {
    let same = |service: &&Value, key: &str| service.get(key) == request.get(key);
    let Some(existing) = services
        .iter()
        .find(|service| same(service, "Name") && same(service, "NamespaceId"))
    else {
        return Ok(None);
    };
    let retry = request
        .get("CreatorRequestId")
        .and_then(Value::as_str)
        .is_some_and(|id| {
            !id.is_empty() && existing.get("CreatorRequestId").and_then(Value::as_str) == Some(id)
        });
    if retry {
        return Ok(Some(existing.clone()));
    }
    let name = request.get("Name").and_then(Value::as_str).unwrap_or("?");
    let id = existing.get("Id").and_then(Value::as_str).unwrap_or("?");
    Err(AwsError::new(
        Api::CloudMap,
        "ServiceAlreadyExists",
        format!("a service named {name} already exists in this namespace: {id}"),
    ))
}

/// The `CreateService` request body carries the service's fields at the top level.
pub fn create_request(request: &mut Value) {
    failure_threshold_is_one(request);
}

/// Applies every answer rule to one `Service` object of a Cloud Map answer.
pub fn service_answer(service: &mut Value) {
    failure_threshold_is_one(service);
    service_type(service);
}

/// A Cloud Map service answers its `Type`: `DNS_HTTP` when it has a DNS configuration (discoverable
/// by DNS and by API), else `HTTP`; its `DnsConfig` repeats the namespace id.
///
/// Source: aws-cli `awscli/examples/servicediscovery/create-service.rst` (a service created with
/// `--dns-config` answers `"Type": "DNS_HTTP"` and a `DnsConfig` carrying `NamespaceId`) and
/// `get-service.rst` (an HTTP service answers `"Type": "HTTP"`).
pub fn service_type(service: &mut Value) {
    let namespace = service.get("NamespaceId").cloned();
    let dns = service
        .get("DnsConfig")
        .is_some_and(|d| d.get("DnsRecords").is_some());
    let Some(fields) = object(service) else {
        return;
    };
    default_field(fields, "Type", json!(if dns { "DNS_HTTP" } else { "HTTP" }));
    if let (Some(Value::Object(config)), Some(namespace)) = (fields.get_mut("DnsConfig"), namespace)
    {
        default_field(config, "NamespaceId", namespace);
    }
}

/// The namespace ids a `ListServices` request's `Filters` ask for, if they name any: only the
/// `NAMESPACE_ID` filter narrows the listing (conditions `EQ`, the default, and `IN`); without it every
/// service is listed. The emulator ignores filters and answers the services of all namespaces.
///
/// Source: API reference, ListServices `Filters` and ServiceFilter (`NAMESPACE_ID` with the namespace
/// ids in `Values`; `EQ` is the default condition).
pub fn namespace_filter(filters: Option<&Value>) -> Option<Vec<String>> {
    let filters = filters.and_then(Value::as_array)?;
    let mut wanted: Option<Vec<String>> = None;
    for filter in filters {
        let condition = filter
            .get("Condition")
            .and_then(Value::as_str)
            .unwrap_or("EQ");
        if filter.get("Name").and_then(Value::as_str) != Some("NAMESPACE_ID")
            || !matches!(condition, "EQ" | "IN")
        {
            continue;
        }
        let values: Vec<String> = filter
            .get("Values")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        // Several NAMESPACE_ID filters must all hold: keep what they share.
        wanted = Some(match wanted {
            None => values,
            Some(before) => before.into_iter().filter(|v| values.contains(v)).collect(),
        });
    }
    wanted
}

/// One service of a `ListServices` answer as AWS answers it: a `ServiceSummary` carries no
/// `NamespaceId` or `CreatorRequestId`, and its `DnsConfig` no namespace (those are only in
/// `GetService`), whatever the emulator version adds; the answer rules of services apply.
///
/// Source: API reference, ServiceSummary (no NamespaceId, no CreatorRequestId); aws-cli
/// `awscli/examples/servicediscovery/list-services.rst` (the summary's `DnsConfig` has
/// `RoutingPolicy` and `DnsRecords` only).
pub fn service_summary(service: &mut Value) {
    if let Some(fields) = object(service) {
        fields.remove("NamespaceId");
        fields.remove("CreatorRequestId");
        if let Some(Value::Object(dns)) = fields.get_mut("DnsConfig") {
            dns.remove("NamespaceId");
        }
    }
    failure_threshold_is_one(service);
    service_type(service);
}

/// Namespace summaries of `ListNamespaces` carry an empty `SOA` (the SDKs read its TTL as 0): the
/// SOA TTL is only in `GetNamespace`. The summary's `HttpProperties` carry the namespace's `HttpName`.
///
/// Source: aws-cli `awscli/examples/servicediscovery/list-namespaces.rst` (every summary, private DNS
/// ones included, answers `"DnsProperties": {"HostedZoneId": ..., "SOA": {}}` and
/// `"HttpProperties": {"HttpName": <name>}`); `get-namespace.rst` answers the TTL.
pub fn namespace_summary(namespace: &mut Value) {
    let name = namespace.get("Name").cloned();
    let Some(fields) = object(namespace) else {
        return;
    };
    default_field(fields, "Properties", json!({}));
    let Some(Value::Object(properties)) = fields.get_mut("Properties") else {
        return;
    };
    default_field(properties, "DnsProperties", json!({}));
    if let Some(Value::Object(dns)) = properties.get_mut("DnsProperties") {
        dns.insert("SOA".into(), json!({}));
    }
    if let Some(name) = name {
        default_field(properties, "HttpProperties", json!({}));
        if let Some(Value::Object(http)) = properties.get_mut("HttpProperties") {
            default_field(http, "HttpName", name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_threshold_is_stored_and_answered_as_one() {
        let mut request = json!({"Name": "s", "HealthCheckCustomConfig": {"FailureThreshold": 5}});
        create_request(&mut request);
        assert_eq!(request["HealthCheckCustomConfig"]["FailureThreshold"], 1);
        let mut without = json!({"Name": "s"});
        create_request(&mut without);
        assert!(without.get("HealthCheckCustomConfig").is_none());
    }

    #[test]
    fn a_second_service_of_the_same_name_is_refused_unless_it_is_a_retry() {
        let existing =
            json!({"Id": "srv-1", "Name": "api", "NamespaceId": "ns-1", "CreatorRequestId": "r-1"});
        let others = [
            json!({"Id": "srv-2", "Name": "api", "NamespaceId": "ns-2"}),
            existing.clone(),
        ];
        let new_name = json!({"Name": "web", "NamespaceId": "ns-1"});
        assert_eq!(existing_service(&new_name, &others), Ok(None));
        let retry = json!({"Name": "api", "NamespaceId": "ns-1", "CreatorRequestId": "r-1"});
        assert_eq!(existing_service(&retry, &others), Ok(Some(existing)));
        for conflict in [
            json!({"Name": "api", "NamespaceId": "ns-1"}),
            json!({"Name": "api", "NamespaceId": "ns-1", "CreatorRequestId": "r-2"}),
        ] {
            let err = existing_service(&conflict, &others).err();
            assert_eq!(err.map(|e| e.code), Some("ServiceAlreadyExists"));
        }
    }

    #[test]
    fn list_services_filters_name_the_wanted_namespaces() {
        let eq = json!([{"Name": "NAMESPACE_ID", "Values": ["ns-1"], "Condition": "EQ"}]);
        assert_eq!(namespace_filter(Some(&eq)), Some(vec!["ns-1".to_owned()]));
        let default_condition = json!([{"Name": "NAMESPACE_ID", "Values": ["ns-2"]}]);
        assert_eq!(
            namespace_filter(Some(&default_condition)),
            Some(vec!["ns-2".to_owned()])
        );
        let within =
            json!([{"Name": "NAMESPACE_ID", "Values": ["ns-1", "ns-2"], "Condition": "IN"}]);
        assert_eq!(
            namespace_filter(Some(&within)),
            Some(vec!["ns-1".to_owned(), "ns-2".to_owned()])
        );
        assert_eq!(namespace_filter(None), None);
        let owner = json!([{"Name": "RESOURCE_OWNER", "Values": ["SELF"]}]);
        assert_eq!(namespace_filter(Some(&owner)), None);
    }

    #[test]
    fn summaries_carry_no_namespace_or_request_id() {
        let mut summary = json!({
            "Id": "srv-1",
            "Name": "api",
            "NamespaceId": "ns-1",
            "CreatorRequestId": "r-1",
            "DnsConfig": {"NamespaceId": "ns-1", "DnsRecords": [{"Type": "A", "TTL": 60}]},
        });
        service_summary(&mut summary);
        assert_eq!(
            summary,
            json!({
                "Id": "srv-1",
                "Name": "api",
                "Type": "DNS_HTTP",
                "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 60}]},
            })
        );
    }

    #[test]
    fn summaries_answer_an_empty_soa() {
        let mut summary = json!({
            "Name": "finfocus.local",
            "Properties": {"DnsProperties": {"HostedZoneId": "Z1", "SOA": {"TTL": 30}}},
        });
        namespace_summary(&mut summary);
        assert_eq!(
            summary["Properties"]["DnsProperties"],
            json!({"HostedZoneId": "Z1", "SOA": {}})
        );
        assert_eq!(
            summary["Properties"]["HttpProperties"]["HttpName"],
            "finfocus.local"
        );
    }

    #[test]
    fn services_answer_their_type_and_namespace() {
        let mut dns =
            json!({"NamespaceId": "ns-1", "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 60}]}});
        service_answer(&mut dns);
        assert_eq!(dns["Type"], "DNS_HTTP");
        assert_eq!(dns["DnsConfig"]["NamespaceId"], "ns-1");
        let mut http = json!({"NamespaceId": "ns-1", "Type": null});
        service_answer(&mut http);
        assert_eq!(http["Type"], "HTTP");
    }
}
