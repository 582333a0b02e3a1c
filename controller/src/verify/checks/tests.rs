//! Table tests: one world where every check passes, and one mutation per failure, each
//! expected to produce exactly the problem it plants.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use serde_json::json;

use super::*;
use crate::verify::facts::{Cluster, Ingress, Policy, Route, SecurityGroup, Subnet, Vpc};
use crate::verify::policy::EXECUTION_ROLE_POLICY;

const R: &str = "us-east-1";
const EXEC: &str = "arn:aws:iam::111122223333:role/exec";
const TASK: &str = "arn:aws:iam::111122223333:role/task";
const IMAGE: &str = "111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1.0";
const SM: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";

const MANIFESTS: &str = r#"apiVersion: ecs.finfocus.io/v1alpha1
kind: CloudMapNamespace
metadata: {name: ns}
spec: {name: app.local, vpc: vpc-1}
---
apiVersion: ecs.finfocus.io/v1alpha1
kind: EcsService
metadata:
  name: app
spec:
  cluster: main
  taskDefinition:
    family: app
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    cpu: "256"
    memory: "512"
    executionRoleArn: arn:aws:iam::111122223333:role/exec
    taskRoleArn: arn:aws:iam::111122223333:role/task
    containerDefinitions:
      - name: app
        image: 111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1.0
        portMappings: [{containerPort: 8001}, {containerPort: 9090, protocol: tcp}]
        logConfiguration:
          logDriver: awslogs
          options: {awslogs-group: /ecs/app, awslogs-region: us-east-1, awslogs-stream-prefix: ecs}
        secrets:
          - {name: TOKEN, valueFrom: /app/token}
          - {name: DB, valueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}
  service:
    desiredCount: 1
    capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]
    networkConfiguration:
      awsvpcConfiguration:
        subnets: [subnet-a]
        securityGroups: [sg-1]
        assignPublicIp: DISABLED
  serviceDiscovery:
    namespace: ns
    name: app
    dnsConfig: {dnsRecords: [{type: A, ttl: 60}]}
"#;

fn k(id: &str) -> (String, String) {
    (R.to_owned(), id.to_owned())
}

fn trust(service: &str) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
}

fn secrets_policy() -> Policy {
    Policy {
        name: "secrets".into(),
        document: Fact::Found(json!({"Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "arn:aws:ssm:us-east-1:111122223333:parameter/app/*"},
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-*"}
        ]})),
    }
}

/// The world in which every check passes.
fn good() -> Facts {
    let mut f = Facts::default();
    f.roles.insert(
        EXEC.into(),
        Fact::Found(Role {
            trust: Some(trust(ECS_TASKS)),
            managed: vec![EXECUTION_ROLE_POLICY.into()],
            policies: vec![secrets_policy()],
            boundary: None,
        }),
    );
    f.roles.insert(
        TASK.into(),
        Fact::Found(Role {
            trust: Some(trust(ECS_TASKS)),
            ..Role::default()
        }),
    );
    f.log_groups.insert(k("/ecs/app"), Fact::Found(()));
    f.vpcs.insert(
        k("vpc-1"),
        Fact::Found(Vpc {
            cidrs: vec!["10.0.0.0/16".into()],
            dns_support: Some(true),
            dns_hostnames: Some(true),
            endpoints: Some(Vec::new()),
        }),
    );
    f.subnets.insert(
        k("subnet-a"),
        Fact::Found(Subnet {
            vpc: "vpc-1".into(),
            routes: Some(vec![
                Route {
                    destination: "10.0.0.0/16".into(),
                    target: "local".into(),
                },
                Route {
                    destination: "0.0.0.0/0".into(),
                    target: "nat-1".into(),
                },
            ]),
        }),
    );
    f.security_groups.insert(
        k("sg-1"),
        Fact::Found(SecurityGroup {
            vpc: "vpc-1".into(),
            ingress: vec![
                Ingress {
                    protocol: "tcp".into(),
                    from: Some(8001),
                    to: Some(8012),
                    cidrs: vec!["10.0.0.0/16".into()],
                    groups: vec![],
                },
                Ingress {
                    protocol: "tcp".into(),
                    from: Some(9090),
                    to: Some(9090),
                    cidrs: vec![],
                    groups: vec!["sg-clients".into()],
                },
            ],
        }),
    );
    f.images.insert(IMAGE.into(), Fact::Found(()));
    f.secrets.insert(k("/app/token"), Fact::Found(()));
    f.secrets.insert(k(SM), Fact::Found(()));
    f.clusters.insert(
        k("main"),
        Fact::Found(Cluster {
            capacity_providers: vec!["FARGATE".into()],
        }),
    );
    f
}

fn run(manifests: &str, facts: &Facts) -> Vec<Finding> {
    let set = crate::manifest::load_str("app.yaml", manifests).unwrap();
    check(&set, facts, R)
}

fn exec(f: &mut Facts) -> &mut Role {
    match f.roles.get_mut(EXEC) {
        Some(Fact::Found(r)) => r,
        _ => unreachable!("the good world has the execution role"),
    }
}

fn vpc1(f: &mut Facts) -> &mut Vpc {
    match f.vpcs.get_mut(&k("vpc-1")) {
        Some(Fact::Found(v)) => v,
        _ => unreachable!("the good world has vpc-1"),
    }
}

fn subnet_a(f: &mut Facts) -> &mut Subnet {
    match f.subnets.get_mut(&k("subnet-a")) {
        Some(Fact::Found(s)) => s,
        _ => unreachable!("the good world has subnet-a"),
    }
}

fn sg1(f: &mut Facts) -> &mut SecurityGroup {
    match f.security_groups.get_mut(&k("sg-1")) {
        Some(Fact::Found(g)) => g,
        _ => unreachable!("the good world has sg-1"),
    }
}

#[test]
fn the_good_world_passes_every_area() {
    let findings = run(MANIFESTS, &good());
    let open: Vec<&Finding> = findings.iter().filter(|f| f.status != Status::Ok).collect();
    assert!(open.is_empty(), "{open:#?}");
    for area in [
        Area::Roles,
        Area::Logs,
        Area::Network,
        Area::Images,
        Area::Secrets,
        Area::Capacity,
    ] {
        assert!(
            findings.iter().any(|f| f.area == area),
            "no finding in {area:?}"
        );
    }
    let f = &findings[0];
    assert!(f.location.starts_with("app.yaml:3:"), "{}", f.location);
}

type Mutation = fn(&mut String, &mut Facts);

#[test]
fn each_planted_problem_is_found_with_a_fix() {
    let cases: &[(&str, Mutation, Area, &str)] = &[
        (
            "execution role missing",
            |_, f| {
                f.roles.insert(EXEC.into(), Fact::Missing);
            },
            Area::Roles,
            "executionRoleArn arn:aws:iam::111122223333:role/exec does not exist",
        ),
        (
            "role without trust",
            |_, f| exec(f).trust = Some(trust("ec2.amazonaws.com")),
            Area::Roles,
            "does not trust ecs-tasks.amazonaws.com",
        ),
        (
            "task role without trust",
            |_, f| {
                f.roles.insert(
                    TASK.into(),
                    Fact::Found(Role {
                        trust: Some(trust("lambda.amazonaws.com")),
                        ..Role::default()
                    }),
                );
            },
            Area::Roles,
            "taskRoleArn",
        ),
        (
            "no image pull policy",
            |_, f| exec(f).managed.clear(),
            Area::Roles,
            "may not pull images from ECR repository app",
        ),
        (
            "secret not named by the role",
            |_, f| exec(f).policies.clear(),
            Area::Roles,
            "may not read container app's secret /app/token",
        ),
        (
            "no execution role at all",
            |m, _| {
                *m = m.replace(
                    "    executionRoleArn: arn:aws:iam::111122223333:role/exec\n",
                    "",
                )
            },
            Area::Roles,
            "executionRoleArn is not set",
        ),
        (
            "log group missing",
            |_, f| {
                f.log_groups.insert(k("/ecs/app"), Fact::Missing);
            },
            Area::Logs,
            "log group /ecs/app (container app) does not exist",
        ),
        (
            "log group to create without permission",
            |m, f| {
                *m = m.replace(
                    "awslogs-stream-prefix: ecs}",
                    "awslogs-stream-prefix: ecs, awslogs-create-group: \"true\"}",
                );
                f.log_groups.insert(k("/ecs/app"), Fact::Missing);
            },
            Area::Logs,
            "may not logs:CreateLogGroup",
        ),
        (
            "VPC without DNS hostnames",
            |_, f| vpc1(f).dns_hostnames = Some(false),
            Area::Network,
            "enableDnsHostnames off",
        ),
        (
            "VPC without DNS support",
            |_, f| vpc1(f).dns_support = Some(false),
            Area::Network,
            "enableDnsSupport off",
        ),
        (
            "namespace VPC missing",
            |_, f| {
                f.vpcs.insert(k("vpc-1"), Fact::Missing);
            },
            Area::Network,
            "spec.vpc vpc-1 does not exist",
        ),
        (
            "subnet in another VPC",
            |_, f| subnet_a(f).vpc = "vpc-2".into(),
            Area::Network,
            "subnet subnet-a is in vpc-2, but namespace ns is in vpc-1",
        ),
        (
            "security group in another VPC",
            |_, f| sg1(f).vpc = "vpc-2".into(),
            Area::Network,
            "security group sg-1 is in vpc-2",
        ),
        (
            "subnet missing",
            |_, f| {
                f.subnets.insert(k("subnet-a"), Fact::Missing);
            },
            Area::Network,
            "subnet subnet-a does not exist",
        ),
        (
            "security group missing",
            |_, f| {
                f.security_groups.insert(k("sg-1"), Fact::Missing);
            },
            Area::Network,
            "security group sg-1 does not exist",
        ),
        (
            "port 9090 closed",
            |_, f| {
                sg1(f).ingress.pop();
            },
            Area::Network,
            "on container port(s) 9090",
        ),
        (
            "ports open to another network only",
            |_, f| sg1(f).ingress[0].cidrs = vec!["192.168.0.0/16".into()],
            Area::Network,
            "port(s) 8001 ",
        ),
        (
            "udp does not open tcp",
            |_, f| sg1(f).ingress[0].protocol = "udp".into(),
            Area::Network,
            "port(s) 8001",
        ),
        (
            "private subnet without NAT or endpoints",
            |_, f| subnet_a(f).routes.as_mut().unwrap()[1].target = "igw-1".into(),
            Area::Network,
            "lacks endpoints com.amazonaws.us-east-1.ecr.api",
        ),
        (
            "private subnet without NAT, image elsewhere",
            |m, f| {
                *m = m.replace(IMAGE, "ghcr.io/acme/app:1");
                subnet_a(f).routes.as_mut().unwrap().pop();
            },
            Area::Network,
            "cannot reach ghcr.io/acme/app:1 (it has no default route)",
        ),
        (
            "image missing",
            |_, f| {
                f.images.insert(IMAGE.into(), Fact::Missing);
            },
            Area::Images,
            "is not in its ECR repository",
        ),
        (
            "SSM parameter missing",
            |_, f| {
                f.secrets.insert(k("/app/token"), Fact::Missing);
            },
            Area::Secrets,
            "secret /app/token (container app) does not exist",
        ),
        (
            "Secrets Manager secret missing",
            |_, f| {
                f.secrets.insert(k(SM), Fact::Missing);
            },
            Area::Secrets,
            "db-AbCdEf (container app) does not exist",
        ),
        (
            "cluster missing",
            |_, f| {
                f.clusters.insert(k("main"), Fact::Missing);
            },
            Area::Capacity,
            "cluster main does not exist",
        ),
        (
            "capacity provider not attached",
            |_, f| {
                f.clusters
                    .insert(k("main"), Fact::Found(Cluster::default()));
            },
            Area::Capacity,
            "capacity provider FARGATE is not attached to cluster main",
        ),
        (
            "cluster manifest without the provider",
            |m, f| {
                m.push_str("---\napiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {name: main}\nspec: {}\n");
                f.clusters.insert(k("main"), Fact::Missing);
            },
            Area::Capacity,
            "cluster main will be created without capacity provider FARGATE",
        ),
    ];
    for (name, mutate, area, needle) in cases {
        let mut manifests = MANIFESTS.to_owned();
        let mut facts = good();
        mutate(&mut manifests, &mut facts);
        let findings = run(&manifests, &facts);
        let problems: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.status == Status::Problem)
            .collect();
        assert!(
            problems
                .iter()
                .any(|f| f.area == *area && f.message.contains(needle) && f.fix.is_some()),
            "{name}: expected a {area:?} problem containing {needle:?}, got {problems:#?}"
        );
        assert!(
            problems.iter().all(|f| f.location.starts_with("app.yaml:")),
            "{name}"
        );
    }
}

type Fixed = fn(&mut String, &mut Facts);

#[test]
fn alternatives_that_also_pass() {
    let cases: &[(&str, Fixed)] = &[
        ("port open to 0.0.0.0/0 for all traffic", |_, f| {
            sg1(f).ingress = vec![Ingress {
                protocol: "-1".into(),
                cidrs: vec!["0.0.0.0/0".into()],
                ..Ingress::default()
            }];
        }),
        ("private subnet with the VPC endpoints", |_, f| {
            subnet_a(f).routes.as_mut().unwrap().pop();
            vpc1(f).endpoints = Some(
                ["ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "ssm"]
                    .iter()
                    .map(|s| format!("com.amazonaws.us-east-1.{s}"))
                    .collect(),
            );
        }),
        ("public IP through an internet gateway", |m, f| {
            *m = m.replace("assignPublicIp: DISABLED", "assignPublicIp: ENABLED");
            subnet_a(f).routes.as_mut().unwrap()[1].target = "igw-1".into();
        }),
        ("log group created by a role allowed to", |m, f| {
            *m = m.replace(
                "awslogs-stream-prefix: ecs}",
                "awslogs-stream-prefix: ecs, awslogs-create-group: \"true\"}",
            );
            f.log_groups.insert(k("/ecs/app"), Fact::Missing);
            exec(f).policies.push(Policy { name: "logs".into(), document: Fact::Found(json!({"Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]})) });
        }),
        (
            "strategy provider declared on the cluster manifest",
            |m, f| {
                m.push_str("---\napiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {name: main}\nspec: {capacityProviders: [FARGATE]}\n");
                f.clusters
                    .insert(k("main"), Fact::Found(Cluster::default()));
            },
        ),
        ("cluster only in the manifests, no strategy", |m, f| {
            m.push_str("---\napiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsCluster\nmetadata: {name: main}\nspec: {}\n");
            *m = m.replace(
                "    capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]\n",
                "    launchType: FARGATE\n",
            );
            f.clusters.insert(k("main"), Fact::Missing);
        }),
        ("pull permissions from an inline policy", |_, f| {
            let r = exec(f);
            r.managed.clear();
            r.policies.push(Policy { name: "pull".into(), document: Fact::Found(json!({"Statement": [{"Effect": "Allow", "Action": ["ecr:*", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})) });
        }),
    ];
    for (name, fix) in cases {
        let mut manifests = MANIFESTS.to_owned();
        let mut facts = good();
        fix(&mut manifests, &mut facts);
        let findings = run(&manifests, &facts);
        let open: Vec<&Finding> = findings.iter().filter(|f| f.status != Status::Ok).collect();
        assert!(open.is_empty(), "{name}: {open:#?}");
    }
}

#[test]
fn what_cannot_be_decided_is_not_checked_never_passed() {
    let cases: &[(&str, Mutation, &str)] = &[
        (
            "role lookup denied",
            |_, f| {
                f.roles
                    .insert(TASK.into(), Fact::Unknown("AccessDenied".into()));
            },
            "taskRoleArn",
        ),
        (
            "conditional policy",
            |_, f| {
                exec(f).policies = vec![Policy {
                    name: "cond".into(),
                    document: Fact::Found(
                        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}),
                    ),
                }];
            },
            "Condition",
        ),
        (
            "permissions boundary",
            |_, f| exec(f).boundary = Some("arn:aws:iam::111122223333:policy/b".into()),
            "permissions boundary",
        ),
        (
            "image outside ECR",
            |m, _| *m = m.replace(IMAGE, "ghcr.io/acme/app:1"),
            "only ECR images are checked",
        ),
        (
            "default route to a transit gateway",
            |_, f| subnet_a(f).routes.as_mut().unwrap()[1].target = "tgw-1".into(),
            "tgw-1",
        ),
        (
            "security group unreadable",
            |_, f| {
                f.security_groups
                    .insert(k("sg-1"), Fact::Unknown("AccessDenied".into()));
            },
            "not every security group",
        ),
    ];
    for (name, mutate, needle) in cases {
        let mut manifests = MANIFESTS.to_owned();
        let mut facts = good();
        mutate(&mut manifests, &mut facts);
        let findings = run(&manifests, &facts);
        assert!(
            findings
                .iter()
                .any(|f| f.status == Status::NotChecked && f.message.contains(needle)),
            "{name}: {findings:#?}"
        );
        assert!(
            findings.iter().all(|f| f.status != Status::Problem),
            "{name}: nothing here is a problem: {findings:#?}"
        );
    }
}

#[test]
fn cidr_cover() {
    for (outer, inner, want) in [
        ("0.0.0.0/0", "10.0.0.0/16", true),
        ("10.0.0.0/8", "10.1.0.0/16", true),
        ("10.0.0.0/16", "10.0.0.0/16", true),
        ("10.0.0.0/24", "10.0.0.0/16", false),
        ("10.1.0.0/16", "10.0.0.0/16", false),
        ("junk", "10.0.0.0/16", false),
    ] {
        assert_eq!(cidr_covers(outer, inner), want, "{outer} covers {inner}");
    }
}
