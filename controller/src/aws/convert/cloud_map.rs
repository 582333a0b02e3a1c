//! Cloud Map: namespaces and services into the model, DNS settings into requests.

use std::collections::BTreeMap;

use aws_sdk_servicediscovery::types as sd;
use aws_smithy_types::error::operation::BuildError;

use crate::live::{LiveDiscovery, LiveNamespace};
use crate::manifest::spec::{DnsConfig, DnsRecord, HealthCheckCustomConfig};

use super::en;
/// Reads a namespace summary (tags are filled in by the caller). The SOA TTL is not read
/// from it: `ListNamespaces` answers `"SOA": {}` (aws-cli
/// `examples/servicediscovery/list-namespaces.rst`), which the SDK reads as TTL 0; the caller
/// reads it with `GetNamespace` when a manifest sets it.
pub(crate) fn namespace_from_sdk(n: &sd::NamespaceSummary) -> LiveNamespace {
    LiveNamespace {
        id: n.id().unwrap_or_default().to_owned(),
        arn: n.arn().unwrap_or_default().to_owned(),
        name: n.name().unwrap_or_default().to_owned(),
        namespace_type: n
            .r#type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        description: n.description().map(str::to_owned),
        soa_ttl: None,
        tags: BTreeMap::new(),
    }
}

/// The SOA TTL in a `GetNamespace` answer (`None` when it carries no SOA).
pub(crate) fn namespace_soa_ttl(n: &sd::Namespace) -> Option<i64> {
    n.properties()
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.soa())
        .map(sd::Soa::ttl)
}

fn dns_config_from_sdk(d: &sd::DnsConfig) -> DnsConfig {
    DnsConfig {
        dns_records: d
            .dns_records()
            .iter()
            .map(|r| DnsRecord {
                kind: r.r#type().as_str().to_owned(),
                ttl: r.ttl(),
            })
            .collect(),
        routing_policy: d.routing_policy().map(|p| p.as_str().to_owned()),
    }
}

/// Deprecated by AWS (always 1) but part of the AWS JSON shape the manifests use.
#[allow(deprecated, reason = "failureThreshold is kept for the AWS JSON shape")]
fn health_check_from_sdk(h: &sd::HealthCheckCustomConfig) -> HealthCheckCustomConfig {
    HealthCheckCustomConfig {
        failure_threshold: h.failure_threshold(),
    }
}

/// Reads a Cloud Map service summary (tags are filled in by the caller).
pub(crate) fn discovery_from_sdk(s: &sd::ServiceSummary, namespace_id: &str) -> LiveDiscovery {
    LiveDiscovery {
        id: s.id().unwrap_or_default().to_owned(),
        arn: s.arn().unwrap_or_default().to_owned(),
        name: s.name().unwrap_or_default().to_owned(),
        namespace_id: namespace_id.to_owned(),
        description: s.description().map(str::to_owned),
        dns_config: s.dns_config().map(dns_config_from_sdk),
        health_check_custom_config: s.health_check_custom_config().map(health_check_from_sdk),
        instance_count: s.instance_count(),
        tags: BTreeMap::new(),
    }
}

/// Reads a `GetService` answer, which names its namespace (tags are filled in by the caller).
pub(crate) fn discovery_from_get(s: &sd::Service) -> LiveDiscovery {
    LiveDiscovery {
        id: s.id().unwrap_or_default().to_owned(),
        arn: s.arn().unwrap_or_default().to_owned(),
        name: s.name().unwrap_or_default().to_owned(),
        namespace_id: s.namespace_id().unwrap_or_default().to_owned(),
        description: s.description().map(str::to_owned),
        dns_config: s.dns_config().map(dns_config_from_sdk),
        health_check_custom_config: s.health_check_custom_config().map(health_check_from_sdk),
        instance_count: s.instance_count(),
        tags: BTreeMap::new(),
    }
}

/// Reads a `GetNamespace` answer, SOA TTL included (tags are filled in by the caller).
pub(crate) fn namespace_from_get(n: &sd::Namespace) -> LiveNamespace {
    LiveNamespace {
        id: n.id().unwrap_or_default().to_owned(),
        arn: n.arn().unwrap_or_default().to_owned(),
        name: n.name().unwrap_or_default().to_owned(),
        namespace_type: n
            .r#type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        description: n.description().map(str::to_owned),
        soa_ttl: namespace_soa_ttl(n),
        tags: BTreeMap::new(),
    }
}

/// DNS records for a request.
pub(crate) fn dns_records_to_sdk(records: &[DnsRecord]) -> Result<Vec<sd::DnsRecord>, BuildError> {
    records
        .iter()
        .map(|r| {
            sd::DnsRecord::builder()
                .r#type(r.kind.as_str().into())
                .ttl(r.ttl)
                .build()
        })
        .collect()
}

/// A DNS config for `CreateService`.
pub(crate) fn dns_config_to_sdk(d: &DnsConfig) -> Result<sd::DnsConfig, BuildError> {
    sd::DnsConfig::builder()
        .set_dns_records(Some(dns_records_to_sdk(&d.dns_records)?))
        .set_routing_policy(en(d.routing_policy.as_ref()))
        .build()
}
