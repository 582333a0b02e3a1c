//! Progressive delivery fields of a service (deployment strategies, lifecycle hooks, load
//! balancer advanced configuration, Service Connect, EBS volumes, VPC Lattice), both ways.
//!
//! `DescribeServices` answers Service Connect, volume and VPC Lattice configurations only on
//! each deployment (API reference, Deployment), so they are read from the `PRIMARY` one.

use aws_sdk_ecs::types as ecs;
use aws_smithy_types::error::operation::BuildError;
use aws_smithy_types::{Document, Number};

use crate::manifest::spec::{
    AccessLogConfiguration, AdvancedConfiguration, CanaryConfiguration, CertificateAuthority,
    ClientAlias, EbsTagSpecification, HeaderMatch, KeyValueTag, LifecycleHook, LinearConfiguration,
    ManagedEbsVolume, Percent, ServiceConnectConfiguration, ServiceConnectService,
    ServiceConnectTls, ServiceVolumeConfiguration, TestTrafficHeader, TestTrafficRules,
    TimeoutConfiguration, VpcLatticeConfiguration,
};
use crate::taskdef::{LogConfiguration, Secret};

use super::{en, list, map_from, map_to};

/// JSON as a smithy document (`hookDetails`).
pub(super) fn document_from_json(v: &serde_json::Value) -> Document {
    match v {
        serde_json::Value::Null => Document::Null,
        serde_json::Value::Bool(b) => Document::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Document::Number(Number::PosInt(u)),
            (_, Some(i), _) => Document::Number(Number::NegInt(i)),
            (_, _, f) => Document::Number(Number::Float(f.unwrap_or_default())),
        },
        serde_json::Value::String(s) => Document::String(s.clone()),
        serde_json::Value::Array(a) => Document::Array(a.iter().map(document_from_json).collect()),
        serde_json::Value::Object(o) => Document::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), document_from_json(v)))
                .collect(),
        ),
    }
}

/// A smithy document as JSON.
pub(super) fn document_to_json(d: &Document) -> serde_json::Value {
    match d {
        Document::Null => serde_json::Value::Null,
        Document::Bool(b) => serde_json::Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => serde_json::Value::from(*u),
        Document::Number(Number::NegInt(i)) => serde_json::Value::from(*i),
        Document::Number(Number::Float(f)) => serde_json::Value::from(*f),
        Document::String(s) => serde_json::Value::String(s.clone()),
        Document::Array(a) => serde_json::Value::Array(a.iter().map(document_to_json).collect()),
        Document::Object(o) => serde_json::Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), document_to_json(v)))
                .collect(),
        ),
    }
}

pub(super) fn canary_from_sdk(c: &ecs::CanaryConfiguration) -> CanaryConfiguration {
    CanaryConfiguration {
        canary_percent: c.canary_percent().map(Percent),
        canary_bake_time_in_minutes: c.canary_bake_time_in_minutes(),
    }
}

pub(super) fn canary_to_sdk(c: &CanaryConfiguration) -> ecs::CanaryConfiguration {
    ecs::CanaryConfiguration::builder()
        .set_canary_percent(c.canary_percent.map(|p| p.0))
        .set_canary_bake_time_in_minutes(c.canary_bake_time_in_minutes)
        .build()
}

pub(super) fn linear_from_sdk(c: &ecs::LinearConfiguration) -> LinearConfiguration {
    LinearConfiguration {
        step_percent: c.step_percent().map(Percent),
        step_bake_time_in_minutes: c.step_bake_time_in_minutes(),
    }
}

pub(super) fn linear_to_sdk(c: &LinearConfiguration) -> ecs::LinearConfiguration {
    ecs::LinearConfiguration::builder()
        .set_step_percent(c.step_percent.map(|p| p.0))
        .set_step_bake_time_in_minutes(c.step_bake_time_in_minutes)
        .build()
}

pub(super) fn hook_from_sdk(h: &ecs::DeploymentLifecycleHook) -> LifecycleHook {
    LifecycleHook {
        hook_target_arn: h.hook_target_arn().unwrap_or_default().to_owned(),
        role_arn: h.role_arn().unwrap_or_default().to_owned(),
        lifecycle_stages: h
            .lifecycle_stages()
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        hook_details: h.hook_details().map(document_to_json),
    }
}

pub(super) fn hook_to_sdk(h: &LifecycleHook) -> ecs::DeploymentLifecycleHook {
    ecs::DeploymentLifecycleHook::builder()
        .hook_target_arn(&h.hook_target_arn)
        .role_arn(&h.role_arn)
        .set_lifecycle_stages(Some(
            h.lifecycle_stages
                .iter()
                .map(|s| s.as_str().into())
                .collect(),
        ))
        .set_hook_details(h.hook_details.as_ref().map(document_from_json))
        .build()
}

pub(super) fn advanced_from_sdk(a: &ecs::AdvancedConfiguration) -> AdvancedConfiguration {
    AdvancedConfiguration {
        alternate_target_group_arn: a
            .alternate_target_group_arn()
            .unwrap_or_default()
            .to_owned(),
        production_listener_rule: a.production_listener_rule().map(str::to_owned),
        test_listener_rule: a.test_listener_rule().map(str::to_owned),
        role_arn: a.role_arn().map(str::to_owned),
    }
}

pub(super) fn advanced_to_sdk(a: &AdvancedConfiguration) -> ecs::AdvancedConfiguration {
    ecs::AdvancedConfiguration::builder()
        .alternate_target_group_arn(&a.alternate_target_group_arn)
        .set_production_listener_rule(a.production_listener_rule.clone())
        .set_test_listener_rule(a.test_listener_rule.clone())
        .set_role_arn(a.role_arn.clone())
        .build()
}

fn log_from_sdk(l: &ecs::LogConfiguration) -> LogConfiguration {
    LogConfiguration {
        log_driver: l.log_driver().as_str().to_owned(),
        options: map_from(l.options()),
        secret_options: list(l.secret_options(), |s| Secret {
            name: s.name().to_owned(),
            value_from: s.value_from().to_owned(),
        }),
    }
}

fn log_to_sdk(l: &LogConfiguration) -> Result<ecs::LogConfiguration, BuildError> {
    let secrets = l
        .secret_options
        .as_ref()
        .map(|ss| {
            ss.iter()
                .map(|s| {
                    ecs::Secret::builder()
                        .name(&s.name)
                        .value_from(&s.value_from)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    ecs::LogConfiguration::builder()
        .log_driver(l.log_driver.as_str().into())
        .set_options(map_to(l.options.as_ref()))
        .set_secret_options(secrets)
        .build()
}

/// A Service Connect configuration as `DescribeServices` reports it on a deployment.
pub(super) fn service_connect_from_sdk(
    c: &ecs::ServiceConnectConfiguration,
) -> ServiceConnectConfiguration {
    ServiceConnectConfiguration {
        enabled: c.enabled(),
        namespace: c.namespace().map(str::to_owned),
        services: list(c.services(), |s| ServiceConnectService {
            port_name: s.port_name().to_owned(),
            discovery_name: s.discovery_name().map(str::to_owned),
            client_aliases: list(s.client_aliases(), |a| ClientAlias {
                port: a.port(),
                dns_name: a.dns_name().map(str::to_owned),
                test_traffic_rules: a.test_traffic_rules().map(|t| TestTrafficRules {
                    header: t.header().map(|h| TestTrafficHeader {
                        name: h.name().to_owned(),
                        value: h.value().map(|v| HeaderMatch {
                            exact: v.exact().to_owned(),
                        }),
                    }),
                }),
            }),
            ingress_port_override: s.ingress_port_override(),
            timeout: s.timeout().map(|t| TimeoutConfiguration {
                idle_timeout_seconds: t.idle_timeout_seconds(),
                per_request_timeout_seconds: t.per_request_timeout_seconds(),
            }),
            tls: s.tls().map(|t| ServiceConnectTls {
                issuer_certificate_authority: CertificateAuthority {
                    aws_pca_authority_arn: t
                        .issuer_certificate_authority()
                        .and_then(|a| a.aws_pca_authority_arn())
                        .map(str::to_owned),
                },
                kms_key: t.kms_key().map(str::to_owned),
                role_arn: t.role_arn().map(str::to_owned),
            }),
        }),
        log_configuration: c.log_configuration().map(log_from_sdk),
        access_log_configuration: c
            .access_log_configuration()
            .map(|a| AccessLogConfiguration {
                format: Some(a.format().as_str().to_owned()),
                include_query_parameters: a
                    .include_query_parameters()
                    .map(|i| i.as_str().to_owned()),
            }),
    }
}

fn client_alias_to_sdk(a: &ClientAlias) -> Result<ecs::ServiceConnectClientAlias, BuildError> {
    let rules = a
        .test_traffic_rules
        .as_ref()
        .map(|t| -> Result<_, BuildError> {
            let header = t
                .header
                .as_ref()
                .map(|h| -> Result<_, BuildError> {
                    let value = h
                        .value
                        .as_ref()
                        .map(|v| {
                            ecs::ServiceConnectTestTrafficHeaderMatchRules::builder()
                                .exact(&v.exact)
                                .build()
                        })
                        .transpose()?;
                    ecs::ServiceConnectTestTrafficHeaderRules::builder()
                        .name(&h.name)
                        .set_value(value)
                        .build()
                })
                .transpose()?;
            Ok(ecs::ServiceConnectTestTrafficRules::builder()
                .set_header(header)
                .build())
        })
        .transpose()?;
    ecs::ServiceConnectClientAlias::builder()
        .port(a.port)
        .set_dns_name(a.dns_name.clone())
        .set_test_traffic_rules(rules)
        .build()
}

fn service_connect_service_to_sdk(
    s: &ServiceConnectService,
) -> Result<ecs::ServiceConnectService, BuildError> {
    let aliases = s
        .client_aliases
        .as_ref()
        .map(|aliases| aliases.iter().map(client_alias_to_sdk).collect())
        .transpose()?;
    ecs::ServiceConnectService::builder()
        .port_name(&s.port_name)
        .set_discovery_name(s.discovery_name.clone())
        .set_client_aliases(aliases)
        .set_ingress_port_override(s.ingress_port_override)
        .set_timeout(s.timeout.as_ref().map(|t| {
            ecs::TimeoutConfiguration::builder()
                .set_idle_timeout_seconds(t.idle_timeout_seconds)
                .set_per_request_timeout_seconds(t.per_request_timeout_seconds)
                .build()
        }))
        .set_tls(s.tls.as_ref().map(|t| {
            ecs::ServiceConnectTlsConfiguration::builder()
                .issuer_certificate_authority(
                    ecs::ServiceConnectTlsCertificateAuthority::builder()
                        .set_aws_pca_authority_arn(
                            t.issuer_certificate_authority.aws_pca_authority_arn.clone(),
                        )
                        .build(),
                )
                .set_kms_key(t.kms_key.clone())
                .set_role_arn(t.role_arn.clone())
                .build()
        }))
        .build()
}

/// A Service Connect configuration for a request.
pub(super) fn service_connect_to_sdk(
    c: &ServiceConnectConfiguration,
) -> Result<ecs::ServiceConnectConfiguration, BuildError> {
    let services = c
        .services
        .as_ref()
        .map(|ss| ss.iter().map(service_connect_service_to_sdk).collect())
        .transpose()?;
    let access = c
        .access_log_configuration
        .as_ref()
        .map(|a| {
            ecs::ServiceConnectAccessLogConfiguration::builder()
                .set_format(en(a.format.as_ref()))
                .set_include_query_parameters(en(a.include_query_parameters.as_ref()))
                .build()
        })
        .transpose()?;
    Ok(ecs::ServiceConnectConfiguration::builder()
        .enabled(c.enabled)
        .set_namespace(c.namespace.clone())
        .set_services(services)
        .set_log_configuration(c.log_configuration.as_ref().map(log_to_sdk).transpose()?)
        .set_access_log_configuration(access)
        .build())
}

pub(super) fn volume_from_sdk(v: &ecs::ServiceVolumeConfiguration) -> ServiceVolumeConfiguration {
    ServiceVolumeConfiguration {
        name: v.name().to_owned(),
        managed_ebs_volume: v.managed_ebs_volume().map(|e| ManagedEbsVolume {
            role_arn: e.role_arn().to_owned(),
            encrypted: e.encrypted(),
            kms_key_id: e.kms_key_id().map(str::to_owned),
            volume_type: e.volume_type().map(str::to_owned),
            size_in_gib: e.size_in_gib(),
            snapshot_id: e.snapshot_id().map(str::to_owned),
            volume_initialization_rate: e.volume_initialization_rate(),
            iops: e.iops(),
            throughput: e.throughput(),
            tag_specifications: list(e.tag_specifications(), |t| EbsTagSpecification {
                resource_type: Some(t.resource_type().as_str().to_owned()),
                tags: list(t.tags(), |tag| KeyValueTag {
                    key: tag.key().unwrap_or_default().to_owned(),
                    value: tag.value().unwrap_or_default().to_owned(),
                }),
                propagate_tags: t.propagate_tags().map(|p| p.as_str().to_owned()),
            }),
            filesystem_type: e.filesystem_type().map(|f| f.as_str().to_owned()),
        }),
    }
}

pub(super) fn volume_to_sdk(
    v: &ServiceVolumeConfiguration,
) -> Result<ecs::ServiceVolumeConfiguration, BuildError> {
    let ebs = v
        .managed_ebs_volume
        .as_ref()
        .map(|e| -> Result<_, BuildError> {
            let specs = e
                .tag_specifications
                .as_ref()
                .map(|specs| {
                    specs
                        .iter()
                        .map(|t| {
                            ecs::EbsTagSpecification::builder()
                                .set_resource_type(en(t.resource_type.as_ref()))
                                .set_tags(t.tags.as_ref().map(|tags| {
                                    tags.iter()
                                        .map(|tag| {
                                            ecs::Tag::builder()
                                                .key(&tag.key)
                                                .value(&tag.value)
                                                .build()
                                        })
                                        .collect()
                                }))
                                .set_propagate_tags(en(t.propagate_tags.as_ref()))
                                .build()
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?;
            ecs::ServiceManagedEbsVolumeConfiguration::builder()
                .role_arn(&e.role_arn)
                .set_encrypted(e.encrypted)
                .set_kms_key_id(e.kms_key_id.clone())
                .set_volume_type(e.volume_type.clone())
                .set_size_in_gib(e.size_in_gib)
                .set_snapshot_id(e.snapshot_id.clone())
                .set_volume_initialization_rate(e.volume_initialization_rate)
                .set_iops(e.iops)
                .set_throughput(e.throughput)
                .set_tag_specifications(specs)
                .set_filesystem_type(en(e.filesystem_type.as_ref()))
                .build()
        })
        .transpose()?;
    ecs::ServiceVolumeConfiguration::builder()
        .name(&v.name)
        .set_managed_ebs_volume(ebs)
        .build()
}

pub(super) fn lattice_from_sdk(l: &ecs::VpcLatticeConfiguration) -> VpcLatticeConfiguration {
    VpcLatticeConfiguration {
        role_arn: l.role_arn().to_owned(),
        target_group_arn: l.target_group_arn().to_owned(),
        port_name: l.port_name().to_owned(),
    }
}

pub(super) fn lattice_to_sdk(
    l: &VpcLatticeConfiguration,
) -> Result<ecs::VpcLatticeConfiguration, BuildError> {
    ecs::VpcLatticeConfiguration::builder()
        .role_arn(&l.role_arn)
        .target_group_arn(&l.target_group_arn)
        .port_name(&l.port_name)
        .build()
}
