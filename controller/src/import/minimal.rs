//! The smallest form of a value that means the same: object members are left out one at a
//! time, keeping each removal only when the canonical form ([`crate::canon`]) is unchanged.
//!
//! The canonical form is the one place that knows AWS's defaults (`essential: true`,
//! `protocol: tcp`, `hostPort` equal to `containerPort` in `awsvpc` mode, ...), so asking it is
//! both simpler and safer than a second list of defaults: whatever is left out here compares
//! equal by construction, and the plan of the imported manifest is clean on those fields.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One step from the root to a value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(root: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |node, step| match (node, step) {
        (Value::Object(map), Step::Key(k)) => map.get_mut(k),
        (Value::Array(items), Step::Index(i)) => items.get_mut(*i),
        _ => None,
    })
}

/// `value` without every member that `canon` would put back (or take away) on its own.
/// Members are tried outside in, so a block that is all defaults goes at once; array
/// elements are kept (their members are tried), since their count is meaningful.
#[must_use]
pub fn minimal<T, F>(value: &T, canon: F) -> T
where
    T: Serialize + DeserializeOwned + Clone + PartialEq,
    F: Fn(T) -> T,
{
    let target = canon(value.clone());
    let Ok(mut tree) = serde_json::to_value(value) else {
        return value.clone();
    };
    let same =
        |tree: &Value| serde_json::from_value::<T>(tree.clone()).is_ok_and(|t| canon(t) == target);
    prune(&mut tree, &mut Vec::new(), &same);
    serde_json::from_value(tree).unwrap_or_else(|_| value.clone())
}

fn prune(root: &mut Value, path: &mut Vec<Step>, same: &dyn Fn(&Value) -> bool) {
    let children: Vec<Step> = match at_mut(root, path) {
        Some(Value::Object(map)) => map.keys().cloned().map(Step::Key).collect(),
        Some(Value::Array(items)) => (0..items.len()).map(Step::Index).collect(),
        _ => return,
    };
    for child in children {
        if let Step::Key(key) = &child {
            let Some(Value::Object(map)) = at_mut(root, path) else {
                return;
            };
            let Some(removed) = map.remove(key) else {
                continue;
            };
            if same(root) {
                continue;
            }
            if let Some(Value::Object(map)) = at_mut(root, path) {
                map.insert(key.clone(), removed);
            }
        }
        path.push(child);
        prune(root, path, same);
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;
    use crate::canon;
    use crate::taskdef::TaskDefinition;

    fn td(json: serde_json::Value) -> TaskDefinition {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn defaults_the_canonical_form_fills_are_left_out_and_the_rest_kept() {
        // What DescribeTaskDefinition answers for a small awsvpc task (aws-cli
        // `examples/ecs/describe-task-definition.rst` shape): defaults spelled out.
        let live = td(serde_json::json!({
            "family": "web",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{
                "name": "web", "image": "nginx", "cpu": 0, "essential": true,
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                "environment": [], "mountPoints": [], "volumesFrom": [],
                "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5,
                                 "retries": 3, "startPeriod": 0}
            }],
            "volumes": [], "placementConstraints": []
        }));
        let out = minimal(&live, canon::task_definition);
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            serde_json::json!({
                "family": "web",
                "networkMode": "awsvpc",
                "requiresCompatibilities": ["FARGATE"],
                "cpu": "256", "memory": "512",
                "containerDefinitions": [{
                    "name": "web", "image": "nginx",
                    "portMappings": [{"containerPort": 80}],
                    "healthCheck": {"command": ["CMD", "true"]}
                }]
            })
        );
        assert_eq!(canon::task_definition(out), canon::task_definition(live));
    }

    #[test]
    fn a_value_that_differs_from_the_default_is_kept() {
        // In bridge mode the host port defaults to 0 (dynamic), so a fixed one stays; an
        // explicit `bridge` goes, since it is the default network mode.
        let live = td(serde_json::json!({
            "family": "api", "networkMode": "bridge",
            "containerDefinitions": [{
                "name": "api", "image": "api:1", "essential": false, "memory": 256,
                "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "udp"},
                                 {"containerPort": 9090, "hostPort": 0, "protocol": "tcp"}]
            }]
        }));
        let out = serde_json::to_value(minimal(&live, canon::task_definition)).unwrap();
        assert_eq!(
            out,
            serde_json::json!({
                "family": "api",
                "containerDefinitions": [{
                    "name": "api", "image": "api:1", "essential": false, "memory": 256,
                    "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "udp"},
                                     {"containerPort": 9090}]
                }]
            })
        );
    }
}
