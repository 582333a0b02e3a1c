//! Planning against hand-built live states.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeMap;

use super::service::{needs_replacement, service_patch};
use super::*;
use crate::aws::{Deployment, LiveTaskDefinition, LookupError};
use crate::canon;
use crate::live::{LiveCluster, LiveDiscovery, LiveNamespace, LiveService, Unclaimed};
use crate::manifest::spec::{
    CapacityProviderStrategyItem, DnsConfig, DnsRecord, ServiceRegistry, ServiceSettings,
};
use crate::manifest::{EcsServiceSpec, Kind, load_str};
use crate::ownership::ownership_tags;

const INSTANCE: &str = "t1";

fn manifests(extra_annotations: &str) -> ManifestSet {
    load_str("m.yaml", &manifest_text(extra_annotations)).unwrap()
}

fn manifest_text(extra_annotations: &str) -> String {
    format!(
        "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: CloudMapNamespace
metadata: {{name: ns}}
spec: {{name: finfocus.local, vpc: vpc-1, description: internal}}
---
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata: {{name: c1}}
spec: {{}}
---
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: svc
  annotations: {{{extra_annotations}}}
spec:
  cluster: c1
  taskDefinition:
    family: svc
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: 2 vCPU
    memory: 4 GB
    containerDefinitions:
      - name: app
        image: img:1
        portMappings: [{{containerPort: 8001}}]
        environment: [{{name: TOKEN, value: s3cret}}]
  service:
    desiredCount: 1
    launchType: FARGATE
    networkConfiguration: {{awsvpcConfiguration: {{subnets: [subnet-1], securityGroups: [sg-1]}}}}
  serviceDiscovery:
    namespace: ns
    name: aws-public
    dnsConfig: {{dnsRecords: [{{type: A, ttl: 60}}], routingPolicy: MULTIVALUE}}
    healthCheckCustomConfig: {{failureThreshold: 1}}
"
    )
}

fn opts() -> PlanOptions {
    PlanOptions::new(INSTANCE, "us-east-1")
}

fn owned(object: &str) -> BTreeMap<String, String> {
    ownership_tags(object, INSTANCE)
}

fn service_spec(set: &ManifestSet) -> EcsServiceSpec {
    let r = set.get(&ResourceKey::new(Kind::EcsService, "svc")).unwrap();
    let ResourceSpec::Service(s) = &r.spec else {
        panic!()
    };
    (**s).clone()
}

/// A live state equal to the manifests, as AWS would describe it.
fn in_sync(set: &ManifestSet) -> LiveState {
    let spec = service_spec(set);
    let mut live = LiveState::default();
    live.namespaces.insert(
        "ns".into(),
        Lookup::Found(LiveNamespace {
            id: "ns-1".into(),
            arn: "arn:ns-1".into(),
            name: "finfocus.local".into(),
            namespace_type: "DNS_PRIVATE".into(),
            description: Some("internal".into()),
            soa_ttl: None,
            tags: owned("CloudMapNamespace/ns"),
        }),
    );
    live.clusters.insert(
        "c1".into(),
        Lookup::Found(LiveCluster {
            service_connect_namespace: None,
            configuration: None,
            arn: "arn:c1".into(),
            name: "c1".into(),
            status: "ACTIVE".into(),
            settings: vec![],
            capacity_providers: vec![],
            default_capacity_provider_strategy: vec![],
            tags: owned("EcsCluster/c1"),
        }),
    );
    let mut td = spec.task_definition.clone();
    td.cpu = Some("2048".into());
    td.memory = Some("4096".into());
    let mut settings = spec.service.clone();
    settings.service_registries = Some(vec![ServiceRegistry {
        registry_arn: "arn:srv-1".into(),
        ..ServiceRegistry::default()
    }]);
    live.services.insert(
        "svc".into(),
        LiveEcsService {
            service: Lookup::Found(LiveService {
                arn: "arn:svc".into(),
                cluster_arn: "arn:c1".into(),
                name: "svc".into(),
                status: "ACTIVE".into(),
                settings,
                task_definition_arn: Some("arn:td:1".into()),
                tags: owned("EcsService/svc"),
                running_count: 1,
                pending_count: 0,
                deployments: vec![Deployment {
                    status: "PRIMARY".into(),
                    rollout_state: Some("COMPLETED".into()),
                    rollout_state_reason: None,
                    task_definition: Some("arn:td:1".into()),
                    desired_count: 1,
                    running_count: 1,
                    failed_tasks: 0,
                }],
            }),
            task_definition: Lookup::Found(LiveTaskDefinition {
                arn: "arn:td:1".into(),
                revision: 1,
                status: "ACTIVE".into(),
                definition: td,
            }),
            discovery: Lookup::Found(LiveDiscovery {
                id: "srv-1".into(),
                arn: "arn:srv-1".into(),
                name: "aws-public".into(),
                namespace_id: "ns-1".into(),
                description: None,
                dns_config: Some(DnsConfig {
                    dns_records: vec![DnsRecord {
                        kind: "A".into(),
                        ttl: 60,
                    }],
                    routing_policy: Some("MULTIVALUE".into()),
                }),
                health_check_custom_config: Some(crate::manifest::spec::HealthCheckCustomConfig {
                    failure_threshold: Some(1),
                }),
                instance_count: Some(1),
                tags: owned("EcsService/svc"),
            }),
            namespace_id: Some("ns-1".into()),
            revisions: Lookup::Missing,
        },
    );
    live
}

fn svc_live(live: &mut LiveState) -> &mut LiveService {
    match &mut live.services.get_mut("svc").unwrap().service {
        Lookup::Found(s) => s,
        _ => panic!(),
    }
}

fn svc_plan(p: &Plan) -> &ResourcePlan {
    p.resources
        .iter()
        .find(|r| r.key.kind == Kind::EcsService)
        .unwrap()
}

#[test]
fn empty_account_creates_everything_in_order() {
    let set = manifests("");
    let mut live = LiveState::default();
    live.namespaces.insert("ns".into(), Lookup::Missing);
    live.clusters.insert("c1".into(), Lookup::Missing);
    let p = plan(&set, &live, &opts());
    let statuses: Vec<Status> = p.resources.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Missing; 3]);
    let steps: Vec<String> = p
        .resources
        .iter()
        .flat_map(|r| r.actions.iter().map(Action::describe))
        .collect();
    assert_eq!(
        steps,
        [
            "CreatePrivateDnsNamespace finfocus.local",
            "CreateCluster c1",
            "CreateService (Cloud Map) aws-public.finfocus.local",
            "RegisterTaskDefinition svc",
            "CreateService c1/svc",
        ]
    );
    let Action::CreateService {
        task_definition,
        registry,
        tags,
        ..
    } = &svc_plan(&p).actions[2]
    else {
        panic!()
    };
    assert_eq!(*task_definition, ArnRef::FromPreviousAction);
    assert_eq!(
        registry.as_ref().map(|r| &r.arn),
        Some(&ArnRef::FromPreviousAction)
    );
    assert_eq!(
        tags.get(crate::TAG_OBJECT).map(String::as_str),
        Some("EcsService/svc")
    );
    assert_eq!(
        tags.get(crate::TAG_INSTANCE).map(String::as_str),
        Some(INSTANCE)
    );
    assert!(p.has_changes());
}

#[test]
fn equal_live_state_plans_nothing() {
    let set = manifests("");
    let p = plan(&set, &in_sync(&set), &opts());
    for r in &p.resources {
        assert_eq!(r.status, Status::InSync, "{r:?}");
        assert!(r.actions.is_empty() && r.changes.is_empty(), "{r:?}");
    }
    assert!(!p.has_changes() && !p.has_errors());
}

#[test]
fn desired_count_drift_updates_only_that_field() {
    let set = manifests("");
    let mut live = in_sync(&set);
    svc_live(&mut live).settings.desired_count = Some(3);
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(r.status, Status::Drifted);
    assert_eq!(r.changes.len(), 1);
    assert_eq!(r.changes[0].path, "service.desiredCount");
    assert_eq!(r.changes[0].desired, Some(serde_json::json!(1)));
    assert_eq!(r.changes[0].actual, Some(serde_json::json!(3)));
    let [
        Action::UpdateService {
            patch,
            task_definition,
            registries,
            ..
        },
    ] = r.actions.as_slice()
    else {
        panic!("{:?}", r.actions)
    };
    assert_eq!(
        *patch,
        ServiceSettings {
            desired_count: Some(1),
            ..ServiceSettings::default()
        }
    );
    assert_eq!(*task_definition, None);
    assert_eq!(*registries, RegistryUpdate::Keep);
}

#[test]
fn image_drift_registers_a_revision_and_points_the_service_at_it() {
    let set = manifests("");
    let mut live = in_sync(&set);
    if let Lookup::Found(td) = &mut live.services.get_mut("svc").unwrap().task_definition {
        td.definition.container_definitions[0].image = "img:2".into();
    }
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(
        r.changes[0].path,
        "taskDefinition.containerDefinitions[app].image"
    );
    assert_eq!(r.changes[0].action, ChangeAction::RegisterRevision);
    assert!(matches!(
        r.actions[0],
        Action::RegisterTaskDefinition { .. }
    ));
    assert!(matches!(
        &r.actions[1],
        Action::UpdateService {
            task_definition: Some(ArnRef::FromPreviousAction),
            ..
        }
    ));
}

#[test]
fn environment_values_are_redacted_in_changes() {
    let set = manifests("");
    let mut live = in_sync(&set);
    if let Lookup::Found(td) = &mut live.services.get_mut("svc").unwrap().task_definition {
        td.definition.container_definitions[0]
            .environment
            .as_mut()
            .unwrap()[0]
            .value = Some("old-secret".into());
    }
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    let text = serde_json::to_string(&r.changes).unwrap();
    assert!(r.changes[0].path.ends_with("environment[TOKEN].value"));
    assert!(
        !text.contains("s3cret") && !text.contains("old-secret"),
        "{text}"
    );
    // The action still carries the real value.
    let Action::RegisterTaskDefinition { definition, .. } = &r.actions[0] else {
        panic!()
    };
    let env = definition.container_definitions[0]
        .environment
        .as_ref()
        .unwrap();
    assert_eq!(env[0].value.as_deref(), Some("s3cret"));
}

#[test]
fn launch_type_change_needs_replacement() {
    let set = manifests("");
    let mut live = in_sync(&set);
    svc_live(&mut live).settings.launch_type = Some("EC2".into());
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(r.changes[0].action, ChangeAction::Replace);
    assert!(r.actions.is_empty(), "{:?}", r.actions);
    assert!(r.blocked.as_deref().unwrap().contains("--allow-replace"));

    let p = plan(
        &set,
        &live,
        &PlanOptions {
            allow_replace: true,
            ..opts()
        },
    );
    let r = svc_plan(&p);
    let steps: Vec<String> = r.actions.iter().map(Action::describe).collect();
    assert_eq!(steps, ["DeleteService c1/svc", "CreateService c1/svc"]);
    assert!(matches!(
        r.actions[0],
        Action::DeleteService {
            scale_down: true,
            wait_inactive: true,
            ..
        }
    ));
    assert!(r.blocked.is_none());
}

#[test]
fn cloud_map_ttl_is_updated_in_place_and_routing_policy_needs_replacement() {
    let set = manifests("");
    let mut live = in_sync(&set);
    let entry = live.services.get_mut("svc").unwrap();
    if let Lookup::Found(d) = &mut entry.discovery {
        d.dns_config.as_mut().unwrap().dns_records[0].ttl = 300;
    }
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(
        r.changes[0].path,
        "serviceDiscovery.dnsConfig.dnsRecords[A].ttl"
    );
    assert_eq!(r.changes[0].action, ChangeAction::Update);
    assert!(matches!(
        &r.actions[..],
        [Action::UpdateDiscoveryService { dns_records, .. }] if dns_records[0].ttl == 60
    ));

    let mut live = in_sync(&set);
    if let Lookup::Found(d) = &mut live.services.get_mut("svc").unwrap().discovery {
        d.dns_config.as_mut().unwrap().routing_policy = Some("WEIGHTED".into());
    }
    let p = plan(
        &set,
        &live,
        &PlanOptions {
            allow_replace: true,
            ..opts()
        },
    );
    let steps: Vec<String> = svc_plan(&p).actions.iter().map(Action::describe).collect();
    assert_eq!(
        steps,
        [
            "UpdateService c1/svc",
            "DeleteService (Cloud Map) aws-public",
            "CreateService (Cloud Map) aws-public.finfocus.local",
            "UpdateService c1/svc",
        ]
    );
}

#[test]
fn untagged_service_is_not_touched() {
    let set = manifests("");
    let mut live = in_sync(&set);
    let s = svc_live(&mut live);
    s.tags.clear();
    s.settings.desired_count = Some(5);
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(r.status, Status::Error);
    assert!(r.actions.is_empty());
    assert!(r.blocked.as_deref().unwrap().contains("not owned"));
    assert!(p.has_errors());

    // Another instance's resource is not ours either.
    let mut live = in_sync(&set);
    svc_live(&mut live).tags = ownership_tags("EcsService/svc", "other");
    let r = plan(&set, &live, &opts());
    assert!(
        svc_plan(&r)
            .blocked
            .as_deref()
            .unwrap()
            .contains("instance `other`")
    );
}

#[test]
fn adoption_adds_ownership_tags() {
    let set = manifests("ecs.finfocus.io/adopt: \"true\"");
    let mut live = in_sync(&set);
    svc_live(&mut live).tags = BTreeMap::from([("team".to_owned(), "x".to_owned())]);
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(r.status, Status::Drifted);
    let [Action::TagEcs { arn, tags }] = r.actions.as_slice() else {
        panic!("{:?}", r.actions)
    };
    assert_eq!(arn, "arn:svc");
    assert_eq!(tags.len(), 3);

    // Adoption does not take a resource from another controller instance.
    svc_live(&mut live).tags = ownership_tags("EcsService/svc", "other");
    let p = plan(&set, &live, &opts());
    assert_eq!(svc_plan(&p).status, Status::Error);
    assert!(svc_plan(&p).actions.is_empty());
}

#[test]
fn detect_policy_reports_without_actions() {
    let set = manifests("ecs.finfocus.io/drift-policy: detect");
    let mut live = in_sync(&set);
    svc_live(&mut live).settings.desired_count = Some(3);
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(r.status, Status::Drifted);
    assert!(r.actions.is_empty());
    assert_eq!(r.changes[0].action, ChangeAction::NoOp);
}

#[test]
fn tags_removed_from_the_manifest_are_removed_and_foreign_ones_kept() {
    let set = manifests("");
    let mut live = in_sync(&set);
    // Applied earlier with two manifest tags; another tool added `backup`.
    let mut earlier = ownership::desired_tags(
        &BTreeMap::from([
            ("team".to_owned(), "a".to_owned()),
            ("env".to_owned(), "dev".to_owned()),
        ]),
        "EcsService/svc",
        INSTANCE,
    );
    earlier.insert("backup".into(), "daily".into());
    svc_live(&mut live).tags = earlier.clone();
    let Lookup::Found(d) = &mut live.services.get_mut("svc").unwrap().discovery else {
        panic!()
    };
    d.tags = earlier;
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(r.status, Status::Drifted);
    let removed = vec![
        "env".to_owned(),
        "team".to_owned(),
        crate::TAG_MANAGED_TAGS.to_owned(),
    ];
    assert_eq!(
        r.actions,
        [
            Action::UntagCloudMap {
                arn: "arn:srv-1".into(),
                keys: removed.clone()
            },
            Action::UntagEcs {
                arn: "arn:svc".into(),
                keys: removed
            },
        ]
    );
    assert!(
        r.changes
            .iter()
            .any(|c| c.path == "tags.env" && c.desired.is_none())
    );
    assert!(!r.changes.iter().any(|c| c.path.ends_with(".backup")));
}

#[test]
fn keep_revisions_deregisters_old_owned_revisions_not_the_one_in_use() {
    let set = manifests("");
    let mut live = in_sync(&set);
    let revision = |n: i32, object: &str| crate::revisions::Revision {
        arn: format!("arn:td:{n}"),
        revision: n,
        tags: Some(owned(object)),
    };
    live.services.get_mut("svc").unwrap().revisions = Lookup::Found(vec![
        revision(1, "EcsService/svc"),
        revision(2, "EcsService/svc"),
        revision(3, "EcsService/other"),
        revision(4, "EcsService/svc"),
        revision(5, "EcsService/svc"),
    ]);
    let keep = PlanOptions {
        keep_revisions: Some(1),
        ..opts()
    };
    let p = plan(&set, &live, &keep);
    let r = svc_plan(&p);
    assert_eq!(r.status, Status::Drifted);
    let gone: Vec<&str> = r
        .actions
        .iter()
        .map(|a| match a {
            Action::DeregisterTaskDefinition { arn } => arn.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    // 1 runs, 5 is the newest, 3 belongs to another object.
    assert_eq!(gone, ["arn:td:2", "arn:td:4"]);
    assert!(r.changes.iter().all(
        |c| c.action == ChangeAction::Delete && c.path.starts_with("taskDefinitionRevisions.")
    ));

    // A plan that registers a revision keeps the newest: the registration may reuse it.
    let mut changed = in_sync(&set);
    let Lookup::Found(td) = &mut changed.services.get_mut("svc").unwrap().task_definition else {
        panic!()
    };
    td.definition.container_definitions[0].image = "img:0".into();
    changed.services.get_mut("svc").unwrap().revisions = live.services["svc"].revisions.clone();
    let none = PlanOptions {
        keep_revisions: Some(0),
        ..opts()
    };
    let r = svc_plan(&plan(&set, &changed, &none)).clone();
    assert!(matches!(
        r.actions[0],
        Action::RegisterTaskDefinition { .. }
    ));
    let gone: Vec<&str> = r
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::DeregisterTaskDefinition { arn } => Some(arn.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(gone, ["arn:td:2", "arn:td:4"]);

    // Off by default, and `detect` only reports.
    assert!(svc_plan(&plan(&set, &live, &opts())).actions.is_empty());
    let detect = manifests("ecs.finfocus.io/drift-policy: detect");
    assert!(svc_plan(&plan(&detect, &live, &keep)).actions.is_empty());
}

#[test]
fn under_detect_a_missing_tag_record_is_no_drift() {
    let text = manifest_text("ecs.finfocus.io/drift-policy: detect").replace(
        "  serviceDiscovery:\n",
        "  tags: {team: a}\n  serviceDiscovery:\n",
    );
    let set = load_str("m.yaml", &text).unwrap();
    let mut live = in_sync(&set);
    // Tagged before the record existed.
    let mut tags = owned("EcsService/svc");
    tags.insert("team".into(), "a".into());
    svc_live(&mut live).tags = tags.clone();
    let Lookup::Found(d) = &mut live.services.get_mut("svc").unwrap().discovery else {
        panic!()
    };
    d.tags = tags;
    let r = svc_plan(&plan(&set, &live, &opts())).clone();
    assert_eq!(r.status, Status::InSync, "{:?}", r.changes);

    // Under `enforce` the record is written once.
    let set = load_str(
        "m.yaml",
        &text.replace("drift-policy: detect", "drift-policy: enforce"),
    )
    .unwrap();
    let r = svc_plan(&plan(&set, &live, &opts())).clone();
    assert_eq!(r.status, Status::Drifted);
    assert!(
        r.changes
            .iter()
            .all(|c| c.path.ends_with(crate::TAG_MANAGED_TAGS)),
        "{:?}",
        r.changes
    );
}

#[test]
fn detect_policy_never_creates() {
    let set = manifests("ecs.finfocus.io/drift-policy: detect");
    let mut live = in_sync(&set);
    live.services
        .insert("svc".into(), LiveEcsService::default());
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert_eq!(r.status, Status::Missing);
    assert!(r.actions.is_empty(), "{:?}", r.actions);
    assert!(r.changes.iter().all(|c| c.action == ChangeAction::NoOp));
    assert!(r.conditions.iter().any(|c| c.reason == "DetectOnly"));
}

#[test]
fn lookup_failure_is_an_error_for_that_resource_only() {
    let set = manifests("");
    let mut live = in_sync(&set);
    live.services.get_mut("svc").unwrap().service = Lookup::Failed(LookupError {
        operation: "DescribeServices".into(),
        code: "ThrottlingException".into(),
        message: "Rate exceeded".into(),
    });
    let p = plan(&set, &live, &opts());
    assert_eq!(svc_plan(&p).status, Status::Error);
    assert!(
        svc_plan(&p)
            .blocked
            .as_deref()
            .unwrap()
            .contains("DescribeServices: ThrottlingException")
    );
    assert_eq!(p.resources[0].status, Status::InSync);
}

#[test]
fn rollout_in_progress_is_progressing() {
    let set = manifests("");
    let mut live = in_sync(&set);
    svc_live(&mut live).deployments[0].rollout_state = Some("IN_PROGRESS".into());
    let p = plan(&set, &live, &opts());
    assert_eq!(svc_plan(&p).status, Status::Progressing);
    assert!(!p.has_changes());
}

#[test]
fn prune_deletes_orphans_in_safe_order_only_when_asked() {
    let set = manifests("");
    let mut live = in_sync(&set);
    let orphan = |kind: Kind, target: OrphanTarget| Unclaimed {
        region: "us-east-1".into(),
        tags: owned(&ResourceKey::new(kind, "old").to_string()),
        target,
    };
    let foreign = |tags: BTreeMap<String, String>, name: &str| Unclaimed {
        region: "us-east-1".into(),
        target: OrphanTarget::Cluster {
            name: name.into(),
            arn: format!("arn:{name}"),
        },
        tags,
    };
    // What another instance owns or nobody manages is left alone.
    live.unclaimed = vec![
        foreign(ownership_tags("EcsCluster/theirs", "other"), "theirs"),
        foreign(BTreeMap::from([("team".into(), "x".into())]), "untagged"),
        orphan(
            Kind::EcsService,
            OrphanTarget::EcsService {
                cluster: "c1".into(),
                name: "old".into(),
                arn: "arn:old".into(),
                desired_count: 2,
            },
        ),
        orphan(
            Kind::EcsService,
            OrphanTarget::DiscoveryService {
                id: "srv-old".into(),
                arn: "arn:srv-old".into(),
                name: "old".into(),
            },
        ),
        orphan(
            Kind::CloudMapNamespace,
            OrphanTarget::Namespace {
                id: "ns-old".into(),
                arn: "arn:ns-old".into(),
                name: "old.local".into(),
            },
        ),
        orphan(
            Kind::EcsCluster,
            OrphanTarget::Cluster {
                name: "old".into(),
                arn: "arn:c-old".into(),
            },
        ),
    ];
    // Listed in reverse: the plan orders orphans by delete rank.
    live.unclaimed.reverse();
    let p = plan(&set, &live, &opts());
    assert_eq!(p.resources.len(), 3, "no prune without the flag");
    let p = plan(
        &set,
        &live,
        &PlanOptions {
            prune: true,
            ..opts()
        },
    );
    let steps: Vec<String> = p.resources[3..]
        .iter()
        .flat_map(|r| r.actions.iter().map(Action::describe))
        .collect();
    assert_eq!(
        steps,
        [
            "DeleteService c1/old",
            "DeleteService (Cloud Map) old",
            "DeleteNamespace old.local",
            "DeleteCluster old"
        ]
    );
    assert!(matches!(
        p.resources[3].actions[0],
        Action::DeleteService {
            scale_down: true,
            ..
        }
    ));
    assert!(p.has_changes());
}

#[test]
fn namespace_description_and_tags_update_in_place() {
    let set = manifests("");
    let mut live = in_sync(&set);
    if let Lookup::Found(ns) = live.namespaces.get_mut("ns").unwrap() {
        ns.description = Some("changed".into());
        ns.tags.remove(crate::TAG_OBJECT);
    }
    let p = plan(&set, &live, &opts());
    let r = &p.resources[0];
    let paths: Vec<&str> = r.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["spec.description", "tags.ecs.finfocus.io/object"]);
    assert!(matches!(r.actions[0], Action::UpdateNamespace { .. }));
    assert!(matches!(r.actions[1], Action::TagCloudMap { .. }));
}

/// The manifests with `from` replaced by `to` in their text.
fn manifests_replacing(pairs: &[(&str, &str)]) -> ManifestSet {
    let mut text = manifest_text("");
    for (from, to) in pairs {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    load_str("m.yaml", &text).unwrap()
}

fn only_update(r: &ResourcePlan) -> (&ServiceSettings, &RegistryUpdate, bool) {
    let [
        Action::UpdateService {
            patch,
            registries,
            force_new_deployment,
            ..
        },
    ] = r.actions.as_slice()
    else {
        panic!("{:?}", r.actions)
    };
    (patch, registries, *force_new_deployment)
}

#[test]
fn service_linked_role_and_fields_aws_added_are_no_drift() {
    let set = manifests("");
    let mut live = in_sync(&set);
    let s = svc_live(&mut live);
    // What DescribeServices answers for a Fargate service created without `role`
    // (aws-cli examples/ecs/create-service.rst) plus fields ECS added since.
    s.settings.role = Some(
        "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
            .into(),
    );
    s.settings.availability_zone_rebalancing = Some("ENABLED".into());
    s.settings.deployment_configuration = Some(crate::manifest::spec::DeploymentConfiguration {
        strategy: Some("ROLLING".into()),
        bake_time_in_minutes: Some(0),
        maximum_percent: Some(200),
        minimum_healthy_percent: Some(100),
        ..Default::default()
    });
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert!(r.changes.is_empty(), "{:?}", r.changes);
    assert!(r.actions.is_empty(), "{:?}", r.actions);
}

#[test]
fn omitted_desired_count_is_created_with_one_and_never_compared() {
    let set = manifests_replacing(&[("    desiredCount: 1\n", "")]);
    let mut live = in_sync(&set);
    svc_live(&mut live).settings.desired_count = Some(9);
    let p = plan(&set, &live, &opts());
    assert!(
        svc_plan(&p).changes.is_empty(),
        "{:?}",
        svc_plan(&p).changes
    );

    // A replacement keeps the count autoscaling chose.
    svc_live(&mut live).settings.scheduling_strategy = Some("DAEMON".into());
    let p = plan(
        &set,
        &live,
        &PlanOptions {
            allow_replace: true,
            ..opts()
        },
    );
    let Some(Action::CreateService { settings, .. }) = svc_plan(&p).actions.last() else {
        panic!("{:?}", svc_plan(&p).actions)
    };
    assert_eq!(settings.desired_count, Some(9));
}

#[test]
fn no_launch_type_accepts_the_cluster_default_strategy() {
    let set = manifests_replacing(&[("    launchType: FARGATE\n", "")]);
    let mut live = in_sync(&set);
    let s = svc_live(&mut live);
    s.settings.launch_type = None;
    s.settings.capacity_provider_strategy = Some(vec![CapacityProviderStrategyItem {
        capacity_provider: "FARGATE".into(),
        weight: Some(1),
        base: Some(0),
    }]);
    s.settings.platform_version = Some("LATEST".into());
    let p = plan(&set, &live, &opts());
    assert!(
        svc_plan(&p).changes.is_empty(),
        "{:?}",
        svc_plan(&p).changes
    );
}

#[test]
fn launch_type_to_capacity_strategy_is_updated_in_place_with_a_new_deployment() {
    let set = manifests_replacing(&[(
        "launchType: FARGATE",
        "capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]",
    )]);
    let mut live = in_sync(&set);
    let s = svc_live(&mut live);
    s.settings.capacity_provider_strategy = None;
    s.settings.launch_type = Some("FARGATE".into());
    let p = plan(&set, &live, &opts());
    let r = svc_plan(&p);
    assert!(r.blocked.is_none(), "{:?}", r.blocked);
    assert!(
        r.changes.iter().all(|c| c.action == ChangeAction::Update),
        "{:?}",
        r.changes
    );
    let (patch, registries, force) = only_update(r);
    assert!(force, "a strategy change alone starts no deployment");
    assert_eq!(*registries, RegistryUpdate::Keep);
    assert_eq!(
        *patch,
        ServiceSettings {
            capacity_provider_strategy: Some(vec![CapacityProviderStrategyItem {
                capacity_provider: "FARGATE_SPOT".into(),
                weight: Some(1),
                base: Some(0),
            }]),
            ..ServiceSettings::default()
        }
    );

    // The other way round (strategy to launch type) still needs a replacement.
    let set = manifests("");
    let mut live = in_sync(&set);
    let s = svc_live(&mut live);
    s.settings.launch_type = None;
    s.settings.capacity_provider_strategy = Some(vec![CapacityProviderStrategyItem {
        capacity_provider: "FARGATE".into(),
        weight: Some(1),
        base: Some(0),
    }]);
    let p = plan(&set, &live, &opts());
    assert!(svc_plan(&p).blocked.is_some());
}

#[test]
fn srv_registry_carries_the_container_port() {
    let set = manifests_replacing(&[
        ("{type: A, ttl: 60}", "{type: SRV, ttl: 60}"),
        (
            "    name: aws-public\n",
            "    name: aws-public\n    containerName: app\n    containerPort: 8001\n",
        ),
    ]);
    // Created from scratch: the registry of CreateService names the container port.
    let p = plan(&set, &LiveState::default(), &opts());
    let Some(Action::CreateService {
        registry: Some(registry),
        ..
    }) = svc_plan(&p).actions.last()
    else {
        panic!("{:?}", svc_plan(&p).actions)
    };
    assert_eq!(registry.container_name.as_deref(), Some("app"));
    assert_eq!(registry.container_port, Some(8001));

    // Live without the port: the registries are set again, with the port.
    let mut live = in_sync(&set);
    if let Some(Lookup::Found(d)) = live.services.get_mut("svc").map(|s| &mut s.discovery) {
        d.dns_config.as_mut().unwrap().dns_records[0].kind = "SRV".into();
    }
    let p = plan(&set, &live, &opts());
    let (patch, registries, _) = only_update(svc_plan(&p));
    assert_eq!(*patch, ServiceSettings::default());
    let RegistryUpdate::Set(r) = registries else {
        panic!("{registries:?}")
    };
    assert_eq!(
        r.entry("arn:srv-1".into()),
        ServiceRegistry {
            registry_arn: "arn:srv-1".into(),
            container_name: Some("app".into()),
            container_port: Some(8001),
            port: None,
        }
    );

    // Live with the port: nothing to do.
    svc_live(&mut live).settings.service_registries = Some(vec![r.entry("arn:srv-1".into())]);
    let p = plan(&set, &live, &opts());
    assert!(
        svc_plan(&p).actions.is_empty(),
        "{:?}",
        svc_plan(&p).actions
    );
}

#[test]
fn role_names_in_the_manifest_match_the_arns_ecs_stores() {
    let set = manifests_replacing(&[(
        "    networkMode: awsvpc\n",
        "    networkMode: awsvpc\n    executionRoleArn: ecsTaskExecutionRole\n",
    )]);
    let mut live = in_sync(&set);
    let services = live.services.get_mut("svc").unwrap();
    let Lookup::Found(td) = &mut services.task_definition else {
        panic!()
    };
    td.arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/svc:1".into();
    td.definition.execution_role_arn =
        Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole".into());
    let p = plan(&set, &live, &opts());
    assert!(
        svc_plan(&p).changes.is_empty(),
        "{:?}",
        svc_plan(&p).changes
    );
}

#[test]
fn cluster_capacity_providers_are_put_when_they_differ() {
    let text = "\
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsCluster
metadata: {name: c1}
spec:
  capacityProviders: [FARGATE_SPOT, FARGATE]
  defaultCapacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]
";
    let set = load_str("c.yaml", text).unwrap();
    let mut live = LiveState::default();
    let cluster = LiveCluster {
        service_connect_namespace: None,
        configuration: None,
        arn: "arn:c1".into(),
        name: "c1".into(),
        status: "ACTIVE".into(),
        settings: vec![],
        capacity_providers: vec![],
        default_capacity_provider_strategy: vec![],
        tags: owned("EcsCluster/c1"),
    };
    live.clusters
        .insert("c1".into(), Lookup::Found(cluster.clone()));
    let p = plan(&set, &live, &opts());
    let r = &p.resources[0];
    let paths: Vec<&str> = r.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.capacityProviders",
            "spec.defaultCapacityProviderStrategy"
        ]
    );
    let [
        Action::PutClusterCapacityProviders {
            capacity_providers,
            default_capacity_provider_strategy,
            ..
        },
    ] = r.actions.as_slice()
    else {
        panic!("{:?}", r.actions)
    };
    assert_eq!(*capacity_providers, ["FARGATE", "FARGATE_SPOT"]);
    assert_eq!(default_capacity_provider_strategy[0].base, Some(0));

    // As AWS reports it afterwards (any order, explicit base): nothing to do.
    live.clusters.insert(
        "c1".into(),
        Lookup::Found(LiveCluster {
            service_connect_namespace: None,
            configuration: None,
            capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
            default_capacity_provider_strategy: vec![CapacityProviderStrategyItem {
                capacity_provider: "FARGATE_SPOT".into(),
                weight: Some(1),
                base: Some(0),
            }],
            ..cluster.clone()
        }),
    );
    let p = plan(&set, &live, &opts());
    assert!(p.resources[0].actions.is_empty(), "{:?}", p.resources[0]);

    // A cluster manifest that says nothing about capacity never compares it.
    let bare = load_str("c.yaml", &text.replace("  capacityProviders: [FARGATE_SPOT, FARGATE]\n  defaultCapacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]\n", "  {}\n").replace("spec:\n  {}", "spec: {}")).unwrap();
    let p = plan(&bare, &live, &opts());
    assert!(p.resources[0].changes.is_empty(), "{:?}", p.resources[0]);
}

/// Every `UpdateService` field that drifts alone yields a patch with exactly that field.
#[test]
fn each_drifting_field_is_carried_by_the_patch_alone() {
    use crate::manifest::spec::{
        AwsVpcConfiguration, DeploymentConfiguration, LoadBalancer, NetworkConfiguration,
        PlacementStrategy,
    };
    use crate::taskdef::PlacementConstraint;
    let base = canon::service(ServiceSettings {
        desired_count: Some(1),
        launch_type: Some("FARGATE".into()),
        network_configuration: Some(NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets: vec!["subnet-1".into()],
                ..AwsVpcConfiguration::default()
            },
        }),
        availability_zone_rebalancing: Some("ENABLED".into()),
        ..ServiceSettings::default()
    });
    type Drift = fn(&mut ServiceSettings);
    let cases: Vec<(&str, Drift)> = vec![
        ("desiredCount", |s| s.desired_count = Some(5)),
        ("capacityProviderStrategy", |s| {
            s.capacity_provider_strategy = Some(vec![CapacityProviderStrategyItem {
                capacity_provider: "FARGATE".into(),
                weight: Some(1),
                base: Some(0),
            }]);
        }),
        ("platformVersion", |s| {
            s.platform_version = Some("1.4.0".into())
        }),
        ("deploymentConfiguration", |s| {
            s.deployment_configuration = Some(DeploymentConfiguration {
                maximum_percent: Some(150),
                ..s.deployment_configuration.clone().unwrap()
            });
        }),
        ("placementConstraints", |s| {
            s.placement_constraints = Some(vec![PlacementConstraint {
                kind: "distinctInstance".into(),
                expression: None,
            }]);
        }),
        ("placementStrategy", |s| {
            s.placement_strategy = Some(vec![PlacementStrategy {
                kind: "spread".into(),
                field: Some("attribute:ecs.availability-zone".into()),
            }]);
        }),
        ("networkConfiguration", |s| {
            s.network_configuration
                .as_mut()
                .unwrap()
                .awsvpc_configuration
                .subnets = vec!["subnet-2".into()];
        }),
        ("healthCheckGracePeriodSeconds", |s| {
            s.health_check_grace_period_seconds = Some(60);
        }),
        ("enableECSManagedTags", |s| {
            s.enable_ecs_managed_tags = Some(true)
        }),
        ("propagateTags", |s| {
            s.propagate_tags = Some("SERVICE".into())
        }),
        ("enableExecuteCommand", |s| {
            s.enable_execute_command = Some(true)
        }),
        ("loadBalancers", |s| {
            s.load_balancers = Some(vec![LoadBalancer {
                target_group_arn: Some("arn:tg".into()),
                container_name: Some("app".into()),
                container_port: Some(8001),
                ..LoadBalancer::default()
            }]);
        }),
        ("availabilityZoneRebalancing", |s| {
            s.availability_zone_rebalancing = Some("DISABLED".into());
        }),
    ];
    let patched = |p: &ServiceSettings| -> Vec<String> {
        let Value::Object(fields) = serde_json::to_value(p).unwrap() else {
            panic!()
        };
        fields.keys().cloned().collect()
    };
    for (field, drift) in cases {
        let mut desired = base.clone();
        drift(&mut desired);
        let desired = canon::service(desired);
        assert_ne!(desired, base, "case `{field}` must drift");
        // The manifest changed the field: the patch sets it.
        assert_eq!(patched(&service_patch(&desired, &base)), [field], "{field}");
        // The live service drifted away from the manifest: the patch sets it back.
        assert_eq!(
            patched(&service_patch(&base, &desired)),
            [field],
            "{field} back"
        );
    }
    assert_eq!(service_patch(&base, &base), ServiceSettings::default());
}

#[test]
fn replacement_fields_never_reach_the_patch() {
    let base = canon::service(ServiceSettings {
        launch_type: Some("EC2".into()),
        ..ServiceSettings::default()
    });
    let mut other = base.clone();
    other.launch_type = Some("FARGATE".into());
    other.role = Some("custom".into());
    other.scheduling_strategy = Some("DAEMON".into());
    other.deployment_controller = Some(crate::manifest::spec::DeploymentController {
        kind: Some("EXTERNAL".into()),
    });
    assert_eq!(service_patch(&other, &base), ServiceSettings::default());
    for field in [
        "launchType",
        "role",
        "schedulingStrategy",
        "deploymentController",
    ] {
        assert!(needs_replacement(field, &other), "{field}");
    }
}

#[test]
fn a_create_summarizes_what_it_makes() {
    let set = manifests("");
    let mut live = LiveState::default();
    live.namespaces.insert("ns".into(), Lookup::Missing);
    live.clusters.insert("c1".into(), Lookup::Missing);
    let p = plan(&set, &live, &opts());
    let created: Vec<_> = svc_plan(&p)
        .changes
        .iter()
        .filter(|c| c.path.is_empty())
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0].action, ChangeAction::Create);
    assert_eq!(created[0].actual, None);
    let what = created[0].desired.as_ref().unwrap();
    assert_eq!(what["family"], "svc");
    assert_eq!(what["cpu"], "2048");
    assert_eq!(what["memory"], "4096");
    assert_eq!(
        what["containers"],
        serde_json::json!(["app: img:1 (ports 8001/tcp)"])
    );
    assert_eq!(what["desiredCount"], 1);
    assert_eq!(what["launchType"], "FARGATE");
    assert_eq!(what["discovery"], "aws-public.finfocus.local");
    // Environment values never appear in a summary.
    assert!(!what.to_string().contains("s3cret"), "{what}");
    let cluster = &p.resources[1].changes[0];
    assert_eq!(cluster.desired.as_ref().unwrap()["name"], "c1");
}

/// The service's plan after its container's environment changed from `live_env` in AWS.
fn plan_with_live_env(annotations: &str, name: &str, live_value: &str) -> ResourcePlan {
    let text = manifest_text(annotations).replace(
        "environment: [{name: TOKEN, value: s3cret}]",
        &format!("environment: [{{name: TOKEN, value: s3cret}}, {{name: {name}, value: wanted}}]"),
    );
    let set = load_str("m.yaml", &text).unwrap();
    let mut live = in_sync(&set);
    if let Lookup::Found(td) = &mut live.services.get_mut("svc").unwrap().task_definition {
        td.definition.container_definitions[0]
            .environment
            .as_mut()
            .unwrap()
            .iter_mut()
            .filter(|e| e.name == name)
            .for_each(|e| e.value = Some(live_value.into()));
    }
    svc_plan(&plan(&set, &live, &opts())).clone()
}

#[test]
fn ordinary_environment_changes_are_visible_and_secret_ones_fingerprinted() {
    let r = plan_with_live_env("", "LOG_LEVEL", "info");
    assert_eq!(r.changes.len(), 1, "{:?}", r.changes);
    assert!(r.changes[0].path.ends_with("environment[LOG_LEVEL].value"));
    assert_eq!(r.changes[0].desired, Some(serde_json::json!("wanted")));
    assert_eq!(r.changes[0].actual, Some(serde_json::json!("info")));

    let r = plan_with_live_env("", "DB_PASSWORD", "old");
    let text = serde_json::to_string(&r.changes).unwrap();
    assert!(
        !text.contains("wanted") && !text.contains("\"old\""),
        "{text}"
    );
    assert!(text.contains("(redacted) #"), "{text}");
    assert_ne!(
        r.changes[0].desired, r.changes[0].actual,
        "the change stays visible"
    );
}

#[test]
fn the_redact_env_annotation_hides_more_values() {
    let r = plan_with_live_env(
        "ecs.finfocus.io/redact-env: \"TENANT, OTHER\"",
        "TENANT",
        "old",
    );
    let text = serde_json::to_string(&r.changes).unwrap();
    assert!(
        r.changes[0].path.ends_with("environment[TENANT].value"),
        "{text}"
    );
    assert!(
        !text.contains("wanted") && !text.contains("\"old\""),
        "{text}"
    );
    assert!(text.contains("(redacted) #"), "{text}");
    let bad = load_str(
        "m.yaml",
        &manifest_text("ecs.finfocus.io/redact-env: \" , \""),
    )
    .unwrap_err();
    assert!(
        bad[0].to_string().contains("ecs.finfocus.io/redact-env"),
        "{}",
        bad[0]
    );
}

/// The service's plan when the manifest sets `name` to `desired` and AWS holds `live`.
fn plan_with_env(name: &str, desired: &str, live_value: &str) -> ResourcePlan {
    let text = manifest_text("").replace(
        "environment: [{name: TOKEN, value: s3cret}]",
        &format!(
            "environment: [{{name: TOKEN, value: s3cret}}, {{name: {name}, value: {desired:?}}}]"
        ),
    );
    let set = load_str("m.yaml", &text).unwrap();
    let mut live = in_sync(&set);
    if let Lookup::Found(td) = &mut live.services.get_mut("svc").unwrap().task_definition {
        td.definition.container_definitions[0]
            .environment
            .as_mut()
            .unwrap()
            .iter_mut()
            .filter(|e| e.name == name)
            .for_each(|e| e.value = Some(live_value.into()));
    }
    svc_plan(&plan(&set, &live, &opts())).clone()
}

#[test]
fn values_that_look_secret_are_redacted_in_plans_and_reports_whatever_their_name() {
    let cases = [
        (
            "DATABASE_URL",
            "postgres://app:Sup3rS3cretPw@db.internal:5432/app",
            "Sup3rS3cretPw",
        ),
        (
            "UPSTREAM",
            "https://bot:gh0stPassw0rd@git.example.com/x",
            "gh0stPassw0rd",
        ),
        ("AWS_ID", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        (
            "GH",
            "ghp_1234567890abcdefghijABCDEFGHIJ123456",
            "ghp_1234567890",
        ),
        (
            "SLACK",
            "xoxb-123456789012-abcdefghijkl",
            "xoxb-123456789012",
        ),
        (
            "STRIPE",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "sk_live_4eC39",
        ),
        ("GITLAB", "glpat-xxxxxxxxxxxxxxxxxxxx", "glpat-xxxx"),
        (
            "HEADER",
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "eyJhbGciOiJIUzI1NiJ9",
        ),
        (
            "OPAQUE",
            "q8Zr2LmX0vB7nK4tW9yH3sD6",
            "q8Zr2LmX0vB7nK4tW9yH3sD6",
        ),
    ];
    for (name, value, secret) in cases {
        let r = plan_with_env(name, value, "old");
        assert_eq!(r.changes.len(), 1, "{name}: {:?}", r.changes);
        let json = serde_json::to_string(&r.changes).unwrap();
        assert!(!json.contains(secret), "{name}: {json}");
        assert!(json.contains("(redacted) #"), "{name}: {json}");
        let report = crate::report::DriftReport::from_plan(
            &Plan {
                resources: vec![r],
                ..Plan::default()
            },
            None,
        );
        let shown = [
            serde_json::to_string(&report).unwrap(),
            crate::report::render_text(&report),
            crate::report::render_markdown(&report),
        ];
        for out in shown {
            assert!(!out.contains(secret), "{name}: {out}");
        }
    }
    // Ordinary values stay readable: names, paths, versions, ids and digests.
    for value in [
        "info",
        "https://api.example.com/v1/things",
        "/var/lib/app/data",
        "550e8400-e29b-41d4-a716-446655440000",
        "0123456789abcdef0123456789abcdef01234567",
        "eu-west-1",
    ] {
        let r = plan_with_env("SETTING", value, "old");
        assert_eq!(
            r.changes[0].desired,
            Some(serde_json::json!(value)),
            "{value}"
        );
    }
}
