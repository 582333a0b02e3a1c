//! Optional service fields whose removal from a manifest converges, like server-side apply.
//!
//! `UpdateService` keeps what it is not sent (aws-cdk#30215, copilot-cli#4565), so a field
//! that leaves the manifest would stay on the service and show as drift on every pass. The
//! ECS service carries a record of the fields its manifest set at the last apply
//! ([`crate::ownership::TAG_MANAGED_FIELDS`]); for each field here:
//! - set in the manifest: compared and sent as usual;
//! - recorded but gone from the manifest: sent in its off form (the table below and
//!   `docs/src/aws-behaviours.md`), so AWS goes back to its default;
//! - neither: left to whoever set it (the live value is taken as desired).
//!
//! Fields that canon already fills with their AWS default when unset (circuit breaker,
//! percentages, grace period, ...) and lists that a plan clears with `[]` (placement, load
//! balancers, ...) converge without a record and are not listed.

use std::collections::{BTreeMap, BTreeSet};

use crate::manifest::spec::{
    CanaryConfiguration, DeploymentAlarms, DeploymentConfiguration, LinearConfiguration, Percent,
    ServiceConnectConfiguration, ServiceSettings,
};
use crate::ownership::{TAG_MANAGED_FIELDS, managed_fields_record};

/// An optional service field tracked by the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Alarms,
    Strategy,
    BakeTime,
    Canary,
    Linear,
    LifecycleHooks,
    ServiceConnect,
    Volumes,
    VpcLattice,
}

/// Every tracked field.
pub(crate) const FIELDS: [Field; 9] = [
    Field::Alarms,
    Field::Strategy,
    Field::BakeTime,
    Field::Canary,
    Field::Linear,
    Field::LifecycleHooks,
    Field::ServiceConnect,
    Field::Volumes,
    Field::VpcLattice,
];

impl Field {
    /// The name written in the record (the last segment of the field's path).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Alarms => "alarms",
            Self::Strategy => "strategy",
            Self::BakeTime => "bakeTimeInMinutes",
            Self::Canary => "canaryConfiguration",
            Self::Linear => "linearConfiguration",
            Self::LifecycleHooks => "lifecycleHooks",
            Self::ServiceConnect => "serviceConnectConfiguration",
            Self::Volumes => "volumeConfigurations",
            Self::VpcLattice => "vpcLatticeConfigurations",
        }
    }

    /// The field's value as JSON (null when unset).
    fn get(self, s: &ServiceSettings) -> serde_json::Value {
        fn j<T: serde::Serialize>(v: Option<&T>) -> serde_json::Value {
            v.and_then(|v| serde_json::to_value(v).ok())
                .unwrap_or(serde_json::Value::Null)
        }
        let d = s.deployment_configuration.as_ref();
        match self {
            Self::Alarms => j(d.and_then(|d| d.alarms.as_ref())),
            Self::Strategy => j(d.and_then(|d| d.strategy.as_ref())),
            Self::BakeTime => j(d.and_then(|d| d.bake_time_in_minutes.as_ref())),
            Self::Canary => j(d.and_then(|d| d.canary_configuration.as_ref())),
            Self::Linear => j(d.and_then(|d| d.linear_configuration.as_ref())),
            Self::LifecycleHooks => j(d.and_then(|d| d.lifecycle_hooks.as_ref())),
            Self::ServiceConnect => j(s.service_connect_configuration.as_ref()),
            Self::Volumes => j(s.volume_configurations.as_ref()),
            Self::VpcLattice => j(s.vpc_lattice_configurations.as_ref()),
        }
    }

    fn is_set(self, s: &ServiceSettings) -> bool {
        !self.get(s).is_null()
    }

    /// Copies the field from `from` into `to`.
    fn copy(self, from: &ServiceSettings, to: &mut ServiceSettings) {
        let d_from = from.deployment_configuration.clone().unwrap_or_default();
        match self {
            Self::ServiceConnect => {
                to.service_connect_configuration
                    .clone_from(&from.service_connect_configuration);
            }
            Self::Volumes => to
                .volume_configurations
                .clone_from(&from.volume_configurations),
            Self::VpcLattice => to
                .vpc_lattice_configurations
                .clone_from(&from.vpc_lattice_configurations),
            _ => {
                let d = to
                    .deployment_configuration
                    .get_or_insert_with(DeploymentConfiguration::default);
                match self {
                    Self::Alarms => d.alarms = d_from.alarms,
                    Self::Strategy => d.strategy = d_from.strategy,
                    Self::BakeTime => d.bake_time_in_minutes = d_from.bake_time_in_minutes,
                    Self::Canary => d.canary_configuration = d_from.canary_configuration,
                    Self::Linear => d.linear_configuration = d_from.linear_configuration,
                    Self::LifecycleHooks => d.lifecycle_hooks = d_from.lifecycle_hooks,
                    _ => {}
                }
            }
        }
    }

    /// Sets the field to its off form (see `docs/src/aws-behaviours.md` for the sources).
    pub(crate) fn set_off(self, s: &mut ServiceSettings) {
        match self {
            Self::ServiceConnect => {
                s.service_connect_configuration = Some(ServiceConnectConfiguration {
                    enabled: false,
                    ..ServiceConnectConfiguration::default()
                });
            }
            Self::Volumes => s.volume_configurations = Some(Vec::new()),
            Self::VpcLattice => s.vpc_lattice_configurations = Some(Vec::new()),
            _ => {
                let d = s
                    .deployment_configuration
                    .get_or_insert_with(DeploymentConfiguration::default);
                match self {
                    Self::Alarms => {
                        d.alarms = Some(DeploymentAlarms {
                            alarm_names: Vec::new(),
                            enable: false,
                            rollback: false,
                        });
                    }
                    Self::Strategy => d.strategy = Some("ROLLING".to_owned()),
                    Self::BakeTime => d.bake_time_in_minutes = Some(0),
                    Self::Canary => {
                        d.canary_configuration = Some(CanaryConfiguration {
                            canary_percent: Some(Percent(CANARY_PERCENT)),
                            canary_bake_time_in_minutes: Some(CANARY_BAKE_MINUTES),
                        });
                    }
                    Self::Linear => {
                        d.linear_configuration = Some(LinearConfiguration {
                            step_percent: Some(Percent(LINEAR_STEP_PERCENT)),
                            step_bake_time_in_minutes: Some(LINEAR_STEP_BAKE_MINUTES),
                        });
                    }
                    Self::LifecycleHooks => d.lifecycle_hooks = Some(Vec::new()),
                    _ => {}
                }
            }
        }
    }
}

/// Defaults of `canaryConfiguration` and `linearConfiguration` (API reference,
/// CanaryConfiguration and LinearConfiguration), also their off forms.
pub(crate) const CANARY_PERCENT: f64 = 5.0;
/// See [`CANARY_PERCENT`].
pub(crate) const CANARY_BAKE_MINUTES: i32 = 10;
/// See [`CANARY_PERCENT`].
pub(crate) const LINEAR_STEP_PERCENT: f64 = 10.0;
/// See [`CANARY_PERCENT`].
pub(crate) const LINEAR_STEP_BAKE_MINUTES: i32 = 6;

/// The service's tags with the record of the fields `settings` sets (none: no record).
pub(crate) fn tags_with_record(
    tags: &BTreeMap<String, String>,
    settings: &ServiceSettings,
) -> BTreeMap<String, String> {
    let mut out = tags.clone();
    let set = FIELDS
        .iter()
        .filter(|f| f.is_set(settings))
        .map(|f| f.name());
    if let Some(record) = managed_fields_record(set) {
        out.insert(TAG_MANAGED_FIELDS.to_owned(), record);
    }
    out
}

/// The desired settings with each tracked field the manifest leaves out settled: off when
/// `recorded`, else the live value. Returns the fields turned off.
pub(crate) fn settle(
    mut desired: ServiceSettings,
    live: &ServiceSettings,
    recorded: &BTreeSet<String>,
) -> (ServiceSettings, Vec<Field>) {
    let mut off = Vec::new();
    for f in FIELDS {
        if f.is_set(&desired) {
            continue;
        }
        if recorded.contains(f.name()) {
            f.set_off(&mut desired);
            off.push(f);
        } else {
            f.copy(live, &mut desired);
        }
    }
    (desired, off)
}

/// Writes the off form of each turned-off field that still differs into the patch: canon
/// compares an off form as absent, and an absent field is not sent.
pub(crate) fn send_off(
    patch: &mut ServiceSettings,
    off: &[Field],
    desired: &ServiceSettings,
    live: &ServiceSettings,
) {
    for f in off {
        if f.get(desired) != f.get(live) {
            if f.is_deployment() && patch.deployment_configuration.is_none() {
                patch
                    .deployment_configuration
                    .clone_from(&desired.deployment_configuration);
            }
            f.set_off(patch);
        }
    }
}

impl Field {
    fn is_deployment(self) -> bool {
        !matches!(
            self,
            Self::ServiceConnect | Self::Volumes | Self::VpcLattice
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    fn with_alarms() -> ServiceSettings {
        let mut s = ServiceSettings::default();
        Field::Alarms.set_off(&mut s);
        s.deployment_configuration.as_mut().unwrap().alarms = Some(DeploymentAlarms {
            alarm_names: vec!["a".into()],
            enable: true,
            rollback: true,
        });
        s
    }

    #[test]
    fn a_recorded_field_left_out_is_turned_off_and_an_unrecorded_one_taken_from_live() {
        let live = with_alarms();
        let recorded = BTreeSet::from(["alarms".to_owned()]);
        let (desired, off) = settle(ServiceSettings::default(), &live, &recorded);
        assert_eq!(off, [Field::Alarms]);
        let alarms = desired.deployment_configuration.unwrap().alarms.unwrap();
        assert!(alarms.alarm_names.is_empty() && !alarms.enable && !alarms.rollback);

        let (desired, off) = settle(ServiceSettings::default(), &live, &BTreeSet::new());
        assert!(off.is_empty());
        assert_eq!(
            desired.deployment_configuration,
            live.deployment_configuration
        );
    }

    #[test]
    fn every_field_has_an_off_form_and_a_distinct_name() {
        let mut s = ServiceSettings::default();
        let mut names = BTreeSet::new();
        for f in FIELDS {
            assert!(!f.is_set(&s), "{f:?}");
            f.set_off(&mut s);
            assert!(f.is_set(&s), "{f:?}");
            assert!(names.insert(f.name()), "{f:?}");
        }
        let record = tags_with_record(&BTreeMap::new(), &s);
        let value = &record[TAG_MANAGED_FIELDS];
        assert!(value.len() <= crate::ownership::MAX_TAG_VALUE, "{value}");
        assert!(value.chars().all(|c| c.is_ascii_alphabetic() || c == ' '));
        assert_eq!(
            crate::ownership::recorded_fields(&record).len(),
            FIELDS.len()
        );
    }

    #[test]
    fn the_off_form_is_sent_even_where_canon_drops_it() {
        let mut patch = ServiceSettings::default();
        let desired = ServiceSettings::default();
        let live = with_alarms();
        send_off(
            &mut patch,
            &[Field::Alarms, Field::ServiceConnect],
            &desired,
            &live,
        );
        let alarms = patch.deployment_configuration.unwrap().alarms.unwrap();
        assert!(!alarms.enable);
        // Service Connect was equal on both sides: nothing sent.
        assert!(patch.service_connect_configuration.is_none());
    }
}
