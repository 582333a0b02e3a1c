//! The words the planner, the `run` loop and the drift report share about one resource: its
//! [`Status`], its [`Condition`]s, and when each condition last changed ([`Transitions`]).
//!
//! A leaf module: it knows nothing of manifests, AWS or the loop, so every stage can use it.
//! The serialized forms are the report's JSON (`"InSync"`, `"True"`, RFC 3339 times).

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Status of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// Live matches desired.
    InSync,
    /// Live differs from desired (or an owned orphan is to be deleted).
    Drifted,
    /// The resource does not exist.
    Missing,
    /// In sync, and a deployment is rolling out (or the loop is applying it).
    Progressing,
    /// It could not be observed, is not owned, or is otherwise blocked.
    Error,
}

impl Status {
    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InSync => "InSync",
            Self::Drifted => "Drifted",
            Self::Missing => "Missing",
            Self::Progressing => "Progressing",
            Self::Error => "Error",
        }
    }

    /// Whether the resource counts as in sync (a rollout in progress does).
    #[must_use]
    pub fn is_in_sync(self) -> bool {
        matches!(self, Self::InSync | Self::Progressing)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition in the Kubernetes style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type: `Observed`, `Owned`, `ReplacementRequired`, `DriftPolicy` (planner);
    /// `Applied`, `Progressing`, `Degraded` (the `run` loop); `ManifestsValid`, `SourceSynced`
    /// (the source).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the condition holds (`True` or `False` in reports).
    #[serde(with = "true_false")]
    pub status: bool,
    /// Machine-readable reason (CamelCase).
    pub reason: String,
    /// Human-readable message.
    pub message: String,
    /// When the condition last changed status or reason; `None` until a report stamps it.
    #[serde(with = "rfc3339_opt")]
    pub last_transition_time: Option<SystemTime>,
}

impl Condition {
    /// A condition not yet stamped with a transition time.
    #[must_use]
    pub fn new(kind: &str, status: bool, reason: &str, message: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            status,
            reason: reason.to_owned(),
            message: message.into(),
            last_transition_time: None,
        }
    }

    /// The condition `run` puts on a resource whose apply is in flight.
    #[must_use]
    pub fn applying() -> Self {
        Self::new("Applied", false, "Applying", "an apply is in progress")
    }

    /// Whether this is the condition of [`Condition::applying`].
    #[must_use]
    pub fn is_applying(&self) -> bool {
        self.kind == "Applied" && !self.status && self.reason == "Applying"
    }
}

/// A point in time in RFC 3339 (UTC, `Z`).
#[must_use]
pub fn rfc3339(at: SystemTime) -> String {
    aws_smithy_types::DateTime::from(at)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// The point in time an RFC 3339 text names, when it names one.
#[must_use]
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let at =
        aws_smithy_types::DateTime::from_str(text, aws_smithy_types::date_time::Format::DateTime)
            .ok()?;
    SystemTime::try_from(at).ok()
}

/// Remembers, from one report to the next, when each condition of each resource last changed,
/// so `lastTransitionTime` moves only when a condition's status or reason does.
#[derive(Debug, Default)]
pub struct Transitions {
    /// `(resource, condition type)` -> (status, reason, since) as of the previous report.
    last: HashMap<(String, String), (bool, String, SystemTime)>,
}

impl Transitions {
    /// Stamps the conditions of one report: a condition that held with the same status and
    /// reason in the previous report keeps its time; any other gets its own time, or `now`
    /// when it has none. Conditions absent from this report are forgotten.
    pub fn stamp<'a>(
        &mut self,
        resources: impl IntoIterator<Item = (String, &'a mut Vec<Condition>)>,
        now: SystemTime,
    ) {
        let mut seen = HashMap::with_capacity(self.last.len());
        for (resource, conditions) in resources {
            for c in conditions.iter_mut() {
                let id = (resource.clone(), c.kind.clone());
                let since = match self.last.get(&id) {
                    Some((status, reason, since)) if *status == c.status && *reason == c.reason => {
                        *since
                    }
                    _ => c.last_transition_time.unwrap_or(now),
                };
                c.last_transition_time = Some(since);
                seen.insert(id, (c.status, c.reason.clone(), since));
            }
        }
        self.last = seen;
    }
}

/// `bool` as the strings `True` / `False`.
mod true_false {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *value { "True" } else { "False" })
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match String::deserialize(d)?.as_str() {
            "True" => Ok(true),
            "False" => Ok(false),
            other => Err(D::Error::custom(format!(
                "expected \"True\" or \"False\", found {other:?}"
            ))),
        }
    }
}

/// An optional time as an RFC 3339 string (`null` when unset).
mod rfc3339_opt {
    use std::time::SystemTime;

    use aws_smithy_types::DateTime;
    use aws_smithy_types::date_time::Format;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => s.serialize_str(&super::rfc3339(*at)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        let at = DateTime::from_str(&text, Format::DateTime).map_err(D::Error::custom)?;
        SystemTime::try_from(at).map(Some).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn serialized_in_the_report_shape_and_back() {
        let mut c = Condition::new("Owned", true, "Owned", "tagged");
        c.last_transition_time = Some(at(1_735_689_600));
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            json!({"type": "Owned", "status": "True", "reason": "Owned", "message": "tagged",
                   "lastTransitionTime": "2025-01-01T00:00:00Z"})
        );
        assert_eq!(serde_json::from_value::<Condition>(v).unwrap(), c);
        assert_eq!(
            serde_json::to_value(Status::InSync).unwrap(),
            json!("InSync")
        );
        assert!(
            serde_json::from_value::<Condition>(json!({"type": "Owned", "status": "yes",
            "reason": "", "message": "", "lastTransitionTime": null}))
            .is_err()
        );
    }

    #[test]
    fn transition_time_moves_only_with_status_or_reason() {
        let mut book = Transitions::default();
        let round = |book: &mut Transitions, status: bool, reason: &str, now: u64| {
            let mut conditions = vec![Condition::new("Applied", status, reason, "m")];
            book.stamp([("EcsService/web".to_owned(), &mut conditions)], at(now));
            conditions[0].last_transition_time.unwrap()
        };
        assert_eq!(round(&mut book, false, "Applying", 1), at(1));
        assert_eq!(round(&mut book, false, "Applying", 2), at(1), "unchanged");
        assert_eq!(round(&mut book, false, "BackingOff", 3), at(3), "reason");
        assert_eq!(round(&mut book, true, "BackingOff", 4), at(4), "status");
        // A round without the condition forgets it.
        book.stamp([("EcsService/web".to_owned(), &mut Vec::new())], at(5));
        assert_eq!(round(&mut book, true, "BackingOff", 6), at(6));
    }
}
