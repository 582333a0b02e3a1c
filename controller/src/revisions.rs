//! Which old task definition revisions of a managed family `--keep-revisions N` deregisters.
//!
//! A leaf both sides use: [`crate::aws::observe`] reads the tags of the candidates it returns,
//! [`crate::plan`] decides from them which to deregister.
//!
//! # Rules
//! - The newest `N` active revisions of the family are kept.
//! - A revision the ECS service uses is kept: its task definition, and the task definition of
//!   every deployment it still lists. During a rollout that is the new revision (`PRIMARY`)
//!   and the one being replaced (`ACTIVE`), which is also the target the deployment circuit
//!   breaker rolls back to; once the rollout completes, ECS drops the old deployment and it
//!   may go on a later pass.
//! - When the same plan registers a revision, the newest active one is kept too: the
//!   registration reuses it when it already matches the manifest.
//! - Only revisions this controller instance registered for this very manifest object (its
//!   ownership tags) are deregistered; revisions registered by hand or by other tools stay.

use std::collections::{BTreeMap, BTreeSet};

use crate::ownership;

/// One active revision of a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// ARN (`...:task-definition/family:revision`).
    pub arn: String,
    /// Revision number.
    pub revision: i32,
    /// Tags, when read (only candidates are read).
    pub tags: Option<BTreeMap<String, String>>,
}

/// The family and revision of a task definition ARN (`...:task-definition/family:3`).
#[must_use]
pub fn family_revision(arn: &str) -> Option<(&str, i32)> {
    let name = arn.rsplit_once(":task-definition/")?.1;
    let (family, revision) = name.rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

/// The revisions that may go under the rules above, oldest first, before ownership is known.
#[must_use]
pub fn candidates<'a>(
    revisions: &'a [Revision],
    keep: u32,
    in_use: &BTreeSet<String>,
) -> Vec<&'a Revision> {
    let mut newest_first: Vec<&Revision> = revisions.iter().collect();
    newest_first.sort_by_key(|r| std::cmp::Reverse(r.revision));
    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
    let mut out: Vec<&Revision> = newest_first
        .into_iter()
        .skip(keep)
        .filter(|r| !in_use.contains(&r.arn))
        .collect();
    out.reverse();
    out
}

/// The revisions to deregister: candidates whose tags are known and name this instance and
/// this manifest object (`<Kind>/<name>`), oldest first.
#[must_use]
pub fn to_deregister(
    revisions: &[Revision],
    keep: u32,
    in_use: &BTreeSet<String>,
    instance: &str,
    object: &str,
) -> Vec<String> {
    candidates(revisions, keep, in_use)
        .into_iter()
        .filter(|r| {
            r.tags.as_ref().is_some_and(|tags| {
                ownership::owned_by(tags, instance)
                    && tags.get(ownership::TAG_OBJECT).map(String::as_str) == Some(object)
            })
        })
        .map(|r| r.arn.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &str = "EcsService/web";

    fn arn(n: i32) -> String {
        format!("arn:aws:ecs:us-east-1:1:task-definition/web:{n}")
    }

    fn revisions(numbers: &[i32], owner: &str) -> Vec<Revision> {
        numbers
            .iter()
            .map(|&n| Revision {
                arn: arn(n),
                revision: n,
                tags: Some(ownership::ownership_tags(OBJECT, owner)),
            })
            .collect()
    }

    fn used(numbers: &[i32]) -> BTreeSet<String> {
        numbers.iter().map(|&n| arn(n)).collect()
    }

    #[test]
    fn the_newest_n_and_every_revision_in_use_are_kept() {
        let all = revisions(&[3, 1, 5, 2, 4, 6], "i");
        // Rolling out 6 from 2 (the circuit breaker's target): both stay.
        let gone = to_deregister(&all, 2, &used(&[6, 2]), "i", OBJECT);
        assert_eq!(gone, [arn(1), arn(3), arn(4)]);
    }

    #[test]
    fn a_service_on_an_old_revision_keeps_it() {
        let all = revisions(&[1, 2, 3], "i");
        let gone = to_deregister(&all, 1, &used(&[1]), "i", OBJECT);
        assert_eq!(gone, [arn(2)]);
    }

    #[test]
    fn only_this_instances_revisions_of_this_object_go() {
        let mut all = revisions(&[1, 2], "other");
        all.extend(revisions(&[3], "i"));
        all.push(Revision {
            arn: arn(4),
            revision: 4,
            tags: Some(BTreeMap::new()),
        });
        all.push(Revision {
            arn: arn(5),
            revision: 5,
            tags: Some(ownership::ownership_tags("EcsService/api", "i")),
        });
        all.push(Revision {
            arn: arn(6),
            revision: 6,
            tags: None,
        });
        all.extend(revisions(&[7, 8], "i"));
        let gone = to_deregister(&all, 1, &used(&[8]), "i", OBJECT);
        assert_eq!(gone, [arn(3), arn(7)]);
    }

    #[test]
    fn keeping_more_than_exist_deregisters_nothing() {
        let all = revisions(&[1, 2], "i");
        assert!(candidates(&all, 5, &BTreeSet::new()).is_empty());
        assert!(to_deregister(&all, 0, &used(&[1, 2]), "i", OBJECT).is_empty());
    }

    #[test]
    fn arns_parse_into_family_and_revision() {
        assert_eq!(family_revision(&arn(12)), Some(("web", 12)));
        assert_eq!(
            family_revision("arn:aws:ecs:us-east-1:1:task-definition/a:b:3"),
            Some(("a:b", 3))
        );
        assert_eq!(family_revision("arn:aws:ecs:us-east-1:1:cluster/web"), None);
        assert_eq!(family_revision("arn:x:task-definition/web:latest"), None);
    }
}
