//! The adapter of `verify`: reads, never writes, what the manifests point at — IAM roles and
//! their policies, log groups, subnets with their routes, security groups, VPCs with their
//! DNS attributes and endpoints, ECR images, SSM parameters, Secrets Manager secrets and
//! ECS clusters — into [`Facts`]. No judgement happens here.
//!
//! A lookup that fails for a reason other than "not found" becomes [`Fact::Unknown`] with
//! the error, so the check reports it as not checked; only a failure to reach AWS at all
//! (no connection, timeout) aborts the whole verification.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::Region;

mod ec2;
mod iam;
mod references;

use super::facts::{Cluster, Fact, Facts};
use super::refs::{Arn, EcrImage, SecretRef};
use crate::Result;
use crate::aws::Context;
use crate::manifest::{ManifestSet, ResourceSpec};
use ec2::{security_group, subnet, vpc};
use iam::role;
use references::{ecr_image, log_group, parameter};

/// Pages read from any one paginated listing (bounds the work on huge accounts).
const MAX_PAGES: usize = 20;

/// Sorts a failed lookup into "missing", "unknown" or (unreachable AWS) an error.
fn classify<T>(result: Result<T>, missing: impl Fn(&str) -> bool) -> Result<Fact<T>> {
    match result {
        Ok(v) => Ok(Fact::Found(v)),
        Err(e) => match e.aws_code() {
            Some("DispatchFailure" | "TimeoutError") => Err(e),
            Some(code) if missing(code) => Ok(Fact::Missing),
            _ => Ok(Fact::Unknown(e.to_string())),
        },
    }
}

/// What the manifests point at, per kind.
#[derive(Default)]
struct Wanted {
    roles: BTreeSet<String>,
    log_groups: BTreeSet<(String, String)>,
    vpcs: BTreeSet<(String, String)>,
    subnets: BTreeSet<(String, String)>,
    groups: BTreeSet<(String, String)>,
    images: BTreeSet<String>,
    secrets: BTreeSet<(String, String)>,
    clusters: BTreeSet<(String, String)>,
}

fn wanted(set: &ManifestSet, default_region: &str) -> Wanted {
    let mut w = Wanted::default();
    for r in set.resources() {
        let region = r.region_or(default_region).to_owned();
        match &r.spec {
            ResourceSpec::Namespace(ns) => {
                w.vpcs.insert((region, ns.vpc.clone()));
            }
            ResourceSpec::Cluster(_) => {}
            ResourceSpec::Service(svc) => {
                let td = &svc.task_definition;
                w.clusters.insert((region.clone(), svc.cluster.clone()));
                w.roles.extend(td.execution_role_arn.iter().cloned());
                w.roles.extend(td.task_role_arn.iter().cloned());
                let account = td
                    .execution_role_arn
                    .as_deref()
                    .and_then(Arn::parse)
                    .map(|a| a.account.to_owned());
                for c in &td.container_definitions {
                    if EcrImage::parse(&c.image).is_some() {
                        w.images.insert(c.image.clone());
                    }
                    if let Some(lc) = &c.log_configuration
                        && lc.log_driver == "awslogs"
                        && let Some(opts) = &lc.options
                        && let Some(group) = opts.get("awslogs-group")
                    {
                        let at = opts.get("awslogs-region").unwrap_or(&region);
                        w.log_groups.insert((at.clone(), group.clone()));
                    }
                    for s in c.secrets.iter().flatten() {
                        if let Some(parsed) =
                            SecretRef::parse(&s.value_from, &region, account.as_deref())
                        {
                            w.secrets
                                .insert((parsed.region().to_owned(), s.value_from.clone()));
                        }
                    }
                }
                if let Some(nc) = &svc.service.network_configuration {
                    let cfg = &nc.awsvpc_configuration;
                    for id in &cfg.subnets {
                        w.subnets.insert((region.clone(), id.clone()));
                    }
                    for id in cfg.security_groups.iter().flatten() {
                        w.groups.insert((region.clone(), id.clone()));
                    }
                }
            }
        }
    }
    w
}

/// Reads every fact the manifests point at.
///
/// # Errors
/// When AWS cannot be reached at all.
pub(super) async fn gather(ctx: &Context, set: &ManifestSet) -> Result<Facts> {
    let w = wanted(set, ctx.region());
    let mut facts = Facts::default();
    let mut clients = Clients::new(ctx);
    for arn in &w.roles {
        facts
            .roles
            .insert(arn.clone(), role(ctx, &clients.iam, arn).await?);
    }
    for (region, group) in &w.log_groups {
        let logs = clients.logs(region);
        let fact = classify(log_group(ctx, &logs, group).await, |_| false)?;
        let fact = match fact {
            Fact::Found(true) => Fact::Found(()),
            Fact::Found(false) => Fact::Missing,
            Fact::Missing => Fact::Missing,
            Fact::Unknown(e) => Fact::Unknown(e),
        };
        facts
            .log_groups
            .insert((region.clone(), group.clone()), fact);
    }
    let mut vpcs = w.vpcs.clone();
    for (region, id) in &w.subnets {
        let ec2 = clients.ec2(region);
        let fact = subnet(ctx, &ec2, id).await?;
        if let Fact::Found(s) = &fact {
            vpcs.insert((region.clone(), s.vpc.clone()));
        }
        facts.subnets.insert((region.clone(), id.clone()), fact);
    }
    for (region, id) in &w.groups {
        let ec2 = clients.ec2(region);
        let fact = security_group(ctx, &ec2, id).await?;
        if let Fact::Found(g) = &fact {
            vpcs.insert((region.clone(), g.vpc.clone()));
        }
        facts
            .security_groups
            .insert((region.clone(), id.clone()), fact);
    }
    for (region, id) in &vpcs {
        let ec2 = clients.ec2(region);
        facts
            .vpcs
            .insert((region.clone(), id.clone()), vpc(ctx, &ec2, id).await?);
    }
    for image in &w.images {
        let Some(parsed) = EcrImage::parse(image) else {
            continue;
        };
        let ecr = clients.ecr(&parsed.region);
        facts
            .images
            .insert(image.clone(), ecr_image(ctx, &ecr, &parsed).await?);
    }
    for (region, value_from) in &w.secrets {
        let fact = match SecretRef::parse(value_from, region, None) {
            Some(SecretRef::Parameter { names, .. }) => {
                let ssm = clients.ssm(region);
                parameter(ctx, &ssm, value_from, names).await?
            }
            Some(SecretRef::Secret { arn, .. }) => {
                let sm = clients.secretsmanager(region);
                let r = ctx
                    .call(
                        "secretsmanager",
                        "DescribeSecret",
                        &arn,
                        sm.describe_secret().secret_id(&arn).send(),
                    )
                    .await;
                classify(r.map(|_| ()), |c| c == "ResourceNotFoundException")?
            }
            None => continue,
        };
        facts
            .secrets
            .insert((region.clone(), value_from.clone()), fact);
    }
    for (region, name) in &w.clusters {
        let ecs = ctx.ecs(region);
        let r = ctx
            .call(
                "ecs",
                "DescribeClusters",
                name,
                ecs.describe_clusters().clusters(name).send(),
            )
            .await;
        let fact = classify(r, |c| c.contains("NotFound"))?;
        let fact = match fact {
            Fact::Found(out) => out
                .clusters()
                .iter()
                .find(|c| c.cluster_name() == Some(name.as_str()) && c.status() == Some("ACTIVE"))
                .map_or(Fact::Missing, |c| {
                    Fact::Found(Cluster {
                        capacity_providers: c.capacity_providers().to_vec(),
                    })
                }),
            Fact::Missing => Fact::Missing,
            Fact::Unknown(e) => Fact::Unknown(e),
        };
        facts.clusters.insert((region.clone(), name.clone()), fact);
    }
    Ok(facts)
}

/// Clients per region, built on demand from the context's configuration.
struct Clients<'a> {
    ctx: &'a Context,
    iam: aws_sdk_iam::Client,
    ec2: BTreeMap<String, aws_sdk_ec2::Client>,
    logs: BTreeMap<String, aws_sdk_cloudwatchlogs::Client>,
    ecr: BTreeMap<String, aws_sdk_ecr::Client>,
    ssm: BTreeMap<String, aws_sdk_ssm::Client>,
    secretsmanager: BTreeMap<String, aws_sdk_secretsmanager::Client>,
}

macro_rules! regional_client {
    ($name:ident, $krate:ident) => {
        fn $name(&mut self, region: &str) -> $krate::Client {
            let config = self.ctx.sdk_config();
            self.$name
                .entry(region.to_owned())
                .or_insert_with(|| {
                    $krate::Client::from_conf(
                        $krate::config::Builder::from(config)
                            .region(Region::new(region.to_owned()))
                            .build(),
                    )
                })
                .clone()
        }
    };
}

impl<'a> Clients<'a> {
    fn new(ctx: &'a Context) -> Self {
        // IAM is global; the SDK resolves its endpoint from any region.
        Self {
            ctx,
            iam: aws_sdk_iam::Client::new(ctx.sdk_config()),
            ec2: BTreeMap::new(),
            logs: BTreeMap::new(),
            ecr: BTreeMap::new(),
            ssm: BTreeMap::new(),
            secretsmanager: BTreeMap::new(),
        }
    }

    regional_client!(ec2, aws_sdk_ec2);
    regional_client!(logs, aws_sdk_cloudwatchlogs);
    regional_client!(ecr, aws_sdk_ecr);
    regional_client!(ssm, aws_sdk_ssm);
    regional_client!(secretsmanager, aws_sdk_secretsmanager);
}
