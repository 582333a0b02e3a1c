//! Progressive delivery fields of a service that the emulator drops or replaces.
//!
//! - `serviceConnectConfiguration`, `volumeConfigurations` and `vpcLatticeConfigurations`: the
//!   emulator neither stores them on create nor answers them. AWS answers them on each deployment
//!   of `DescribeServices` (API reference, Deployment), and `UpdateService` keeps them when they
//!   are not sent (API reference, UpdateService: only the parameters given change). The layer
//!   keeps them (`crate::kept`) and answers them on the `PRIMARY` deployment.
//! - `deploymentConfiguration.alarms`: the emulator replaces the whole deployment configuration
//!   on `UpdateService`; AWS keeps the alarms when the request's configuration has none
//!   (aws-cdk#30215, copilot-cli#4565), so they are carried into the request.

use serde_json::{Map, Value};

/// Service fields the emulator drops, kept by the layer.
pub const KEPT_FIELDS: &[&str] = &[
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

/// The kept fields a `CreateService` or `UpdateService` request sends.
pub fn sent_fields(request: &Value) -> Map<String, Value> {
    KEPT_FIELDS
        .iter()
        .filter_map(|f| {
            request
                .get(*f)
                .filter(|v| !v.is_null())
                .map(|v| ((*f).to_owned(), v.clone()))
        })
        .collect()
}

/// `cluster/service` of a request or of a `Service` object of an answer (names, not ARNs).
pub fn service_key(cluster: Option<&Value>, service: Option<&Value>) -> Option<String> {
    let last = |v: Option<&Value>| v?.as_str()?.rsplit('/').next().map(str::to_owned);
    let cluster = last(cluster).unwrap_or_else(|| "default".to_owned());
    Some(format!("{cluster}/{}", last(service)?))
}

/// Puts the kept fields on the `PRIMARY` deployment of one `Service` object.
pub fn answer_kept(service: &mut Value, kept: &Map<String, Value>) {
    let Some(Value::Array(deployments)) = service.get_mut("deployments") else {
        return;
    };
    for deployment in deployments.iter_mut().filter_map(Value::as_object_mut) {
        if deployment.get("status").and_then(Value::as_str) != Some("PRIMARY") {
            continue;
        }
        for (field, value) in kept {
            deployment.insert(field.clone(), value.clone());
        }
    }
}

/// Carries the current alarms into an `UpdateService` whose deployment configuration has none.
/// `current` is the service as the emulator answers it.
pub fn keep_alarms(request: &mut Value, current: &Value) {
    let Some(alarms) = current
        .pointer("/deploymentConfiguration/alarms")
        .filter(|v| !v.is_null())
        .cloned()
    else {
        return;
    };
    if let Some(Value::Object(config)) = request.get_mut("deploymentConfiguration")
        && config.get("alarms").is_none_or(Value::is_null)
    {
        config.insert("alarms".into(), alarms);
    }
}

/// Whether an `UpdateService` needs the current service for [`keep_alarms`].
pub fn update_needs_alarms(request: &Value) -> bool {
    request
        .get("deploymentConfiguration")
        .is_some_and(|c| c.is_object() && c.get("alarms").is_none_or(Value::is_null))
}

/// Where a request names a Service Connect namespace: a service's configuration, a cluster's
/// defaults.
pub const NAMESPACE_POINTERS: &[&str] = &[
    "/serviceConnectConfiguration/namespace",
    "/serviceConnectDefaults/namespace",
];

/// The namespace a request names by name rather than ARN, if any.
pub fn namespace_named(request: &Value) -> Option<(&'static str, String)> {
    NAMESPACE_POINTERS.iter().find_map(|pointer| {
        let name = request.pointer(pointer)?.as_str()?;
        (!name.is_empty() && !name.starts_with("arn:")).then(|| (*pointer, name.to_owned()))
    })
}

/// Stores a Service Connect namespace given by name as its ARN, as ECS answers it.
///
/// Source: API reference, ServiceConnectConfiguration and ClusterServiceConnectDefaultsRequest
/// `namespace` ("the namespace name or full Amazon Resource Name (ARN)"); aws-cli
/// `awscli/examples/ecs/update-cluster.rst`, Example 2: `--service-connect-defaults namespace=test`
/// answers `serviceConnectDefaults.namespace` as `arn:aws:servicediscovery:...:namespace/ns-...`.
/// `namespaces` is the Cloud Map `ListNamespaces` answer's `Namespaces`; a name no namespace has is
/// left as sent.
pub fn namespace_as_arn(request: &mut Value, pointer: &str, namespaces: &[Value]) {
    let Some(slot) = request.pointer_mut(pointer) else {
        return;
    };
    let Some(name) = slot.as_str() else {
        return;
    };
    let arn = namespaces
        .iter()
        .find(|n| n.get("Name").and_then(Value::as_str) == Some(name))
        .and_then(|n| n.get("Arn").cloned());
    if let Some(arn) = arn {
        *slot = arn;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;
    use serde_json::json;

    #[test]
    fn kept_fields_are_answered_on_the_primary_deployment() {
        let request = json!({"serviceConnectConfiguration": {"enabled": true}, "desiredCount": 1});
        let kept = sent_fields(&request);
        assert_eq!(kept.len(), 1);
        let mut service = json!({"deployments": [{"status": "PRIMARY"}, {"status": "ACTIVE"}]});
        answer_kept(&mut service, &kept);
        assert_eq!(
            service["deployments"][0]["serviceConnectConfiguration"],
            json!({"enabled": true})
        );
        assert!(
            service["deployments"][1]
                .get("serviceConnectConfiguration")
                .is_none()
        );
    }

    #[test]
    fn keys_are_names_whether_arns_or_names_were_sent() {
        let by_arn = service_key(
            Some(&json!("arn:aws:ecs:us-east-1:123456789012:cluster/c")),
            Some(&json!("arn:aws:ecs:us-east-1:123456789012:service/c/s")),
        );
        assert_eq!(by_arn.as_deref(), Some("c/s"));
        assert_eq!(
            service_key(None, Some(&json!("s"))).as_deref(),
            Some("default/s")
        );
        assert_eq!(service_key(None, None), None);
    }

    #[test]
    fn namespace_names_are_stored_as_arns() {
        let arn = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1";
        let namespaces = [json!({"Id": "ns-1", "Name": "shop.local", "Arn": arn})];
        let mut service =
            json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "shop.local"}});
        let (pointer, name) = namespace_named(&service).unwrap();
        assert_eq!(name, "shop.local");
        namespace_as_arn(&mut service, pointer, &namespaces);
        assert_eq!(service["serviceConnectConfiguration"]["namespace"], arn);
        assert!(
            namespace_named(&service).is_none(),
            "an ARN is kept as sent"
        );

        let mut cluster = json!({"serviceConnectDefaults": {"namespace": "other"}});
        let (pointer, _) = namespace_named(&cluster).unwrap();
        namespace_as_arn(&mut cluster, pointer, &namespaces);
        assert_eq!(cluster["serviceConnectDefaults"]["namespace"], "other");
    }

    #[test]
    fn alarms_not_sent_are_kept() {
        let current = json!({"deploymentConfiguration": {"alarms": {"alarmNames": ["a"], "enable": true, "rollback": true}}});
        let mut request = json!({"deploymentConfiguration": {"maximumPercent": 200}});
        assert!(update_needs_alarms(&request));
        keep_alarms(&mut request, &current);
        assert_eq!(
            request["deploymentConfiguration"]["alarms"]["alarmNames"],
            json!(["a"])
        );

        let off = json!({"alarmNames": [], "enable": false, "rollback": false});
        let mut sent = json!({"deploymentConfiguration": {"alarms": off}});
        assert!(!update_needs_alarms(&sent));
        keep_alarms(&mut sent, &current);
        assert_eq!(sent["deploymentConfiguration"]["alarms"]["enable"], false);
    }
}
