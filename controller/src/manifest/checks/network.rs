//! Validation of an `EcsService`'s `awsvpcConfiguration` beyond its shape: a subnet or
//! security group listed twice is an error (ECS rejects it, and a reviewer reading the plan
//! would not notice).

use std::collections::BTreeSet;

use serde_saphyr::Location;

use super::DocCheck;
use crate::manifest::spec::EcsServiceSpec;

/// Reports every subnet and security group listed more than once in one service.
pub(super) fn check_duplicate_network(
    check: &mut DocCheck<'_>,
    svc: &EcsServiceSpec,
    at: Location,
) {
    let Some(nc) = &svc.service.network_configuration else {
        return;
    };
    let cfg = &nc.awsvpc_configuration;
    let lists = [
        ("subnets", "subnet", cfg.subnets.as_slice()),
        (
            "securityGroups",
            "security group",
            cfg.security_groups.as_deref().unwrap_or_default(),
        ),
    ];
    for (field, what, ids) in lists {
        let mut seen = BTreeSet::new();
        for (i, id) in ids.iter().enumerate() {
            if !seen.insert(id.as_str()) {
                check.error(
                    Some(at),
                    &format!("spec.service.networkConfiguration.awsvpcConfiguration.{field}[{i}]"),
                    format!("duplicate {what} `{id}`; list each once"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    fn service(subnets: &str, groups: &str) -> String {
        format!(
            "apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: app
spec:
  cluster: main
  taskDefinition:
    family: app
    networkMode: awsvpc
    containerDefinitions:
      - {{name: app, image: nginx}}
  service:
    desiredCount: 1
    networkConfiguration:
      awsvpcConfiguration:
        subnets: [{subnets}]
        securityGroups: [{groups}]
"
        )
    }

    #[test]
    fn duplicate_subnets_and_groups_are_errors() {
        assert!(
            crate::manifest::load_str("a.yaml", &service("subnet-a, subnet-b", "sg-1")).is_ok()
        );
        let errors =
            crate::manifest::load_str("a.yaml", &service("subnet-a, subnet-a", "sg-1, sg-2, sg-1"))
                .unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{shown:?}");
        assert!(
            shown[0].contains("awsvpcConfiguration.subnets[1]: duplicate subnet `subnet-a`"),
            "{shown:?}"
        );
        assert!(
            shown[1]
                .contains("awsvpcConfiguration.securityGroups[2]: duplicate security group `sg-1`"),
            "{shown:?}"
        );
        assert!(shown[0].starts_with("a.yaml:"), "{shown:?}");
    }
}
