//! `rollback SERVICE (-f PATH... | --cluster C)`: asks ECS to stop the service's deployment in
//! progress and roll it back to the revision it replaces (`StopServiceDeployment`, `stopType:
//! ROLLBACK`), whatever strategy it runs with.
//!
//! With manifests, the service is acted on where they put it: its cluster, region and
//! `AwsAccount` (whose role is assumed). A name declared in several places is told apart as the
//! plan names it, `web@production/eu-west-1`.
//!
//! Exit codes: 0 rollback requested, 2 nothing in progress (nothing was called but the read),
//! 1 error (no such service in the manifests, a name in several places, AWS refused).

use std::path::PathBuf;

use clap::Args;

use super::validate::load;
use super::{Exit, GlobalArgs};
use crate::Result;
use crate::aws::{Context, deployments};
use crate::manifest::{Kind, ManifestSet, Place, Resource, ResourceSpec};

/// Options of `rollback`.
#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    /// The ECS service name (`metadata.name` of its `EcsService`); where the manifests declare it
    /// in several places, as the plan names it (`web@production/eu-west-1`, `web@staging`).
    pub service: String,
    /// Manifest files or directories declaring the service: its cluster, region and account come
    /// from there.
    #[arg(short = 'f', long = "filename", num_args = 1.., required_unless_present = "cluster", conflicts_with = "cluster")]
    pub files: Vec<PathBuf>,
    /// The service's cluster, instead of manifests (the region is `--region` or the default; the
    /// controller's own account).
    #[arg(long)]
    pub cluster: Option<String>,
}

/// Rolls back the deployment in progress of one service.
///
/// # Errors
/// When AWS cannot be configured, an account's role cannot be assumed or a call fails.
pub async fn rollback(global: &GlobalArgs, args: &RollbackArgs) -> Result<Exit> {
    let declared = match &args.cluster {
        Some(_) => None,
        None => {
            let Some(loaded) = load(&args.files, &global.limits.limits()) else {
                return Ok(Exit::Failed);
            };
            match find(&loaded.set, &args.service) {
                Ok((resource, cluster)) => Some((resource.clone(), cluster.to_owned(), loaded.set)),
                Err(message) => {
                    eprintln!("error: {message}");
                    return Ok(Exit::Failed);
                }
            }
        }
    };
    let ctx = global.context().await?;
    let result = async {
        let (placed, cluster, name) = match &declared {
            Some((resource, cluster, set)) => {
                let place: Place = resource.place(ctx.region());
                let placed = ctx.at(&place, set.accounts()).await?;
                (Some(placed), cluster.clone(), resource.name().to_owned())
            }
            None => (
                None,
                args.cluster.clone().unwrap_or_default(),
                args.service.clone(),
            ),
        };
        let acting: &Context = placed.as_deref().unwrap_or(&ctx);
        let region = acting.region().to_owned();
        let who = format!("{cluster}/{name}");
        let going = deployments::in_progress(acting, &region, &cluster, &name).await?;
        if going.is_empty() {
            println!("nothing to roll back: {who} has no service deployment in progress");
            return Ok(Exit::NothingInProgress);
        }
        for arn in &going {
            deployments::roll_back(acting, &region, arn).await?;
            println!("rollback requested: {who}: {arn}");
        }
        Ok(Exit::Ok)
    }
    .await;
    global.report_calls(&ctx);
    result
}

/// The `EcsService` that `wanted` names, and its cluster: a name declared once, or
/// `name@place` as plans print it.
fn find<'a>(
    set: &'a ManifestSet,
    wanted: &str,
) -> std::result::Result<(&'a Resource, &'a str), String> {
    let name = wanted.split_once('@').map_or(wanted, |(name, _)| name);
    let services: Vec<(&Resource, &str)> = set
        .resources()
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::Service(spec) if r.kind() == Kind::EcsService && r.name() == name => {
                Some((r, spec.cluster.as_str()))
            }
            _ => None,
        })
        .collect();
    let exact = format!("{}/{wanted}", Kind::EcsService.as_str());
    match services.as_slice() {
        [] => Err(format!("no EcsService named {name} in the manifests given")),
        _ if wanted.contains('@') => services
            .iter()
            .find(|(r, _)| r.key.to_string() == exact)
            .copied()
            .ok_or_else(|| format!("no {exact} in the manifests given; {}", listed(&services))),
        [one] => Ok(*one),
        _ => Err(format!(
            "EcsService {name} is declared in several places; name one as the plan does: {}",
            listed(&services)
        )),
    }
}

fn listed(services: &[(&Resource, &str)]) -> String {
    let ids: Vec<String> = services
        .iter()
        .map(|(r, _)| {
            let id = r.key.to_string();
            id.split_once('/')
                .map_or(id.clone(), |(_, rest)| rest.to_owned())
        })
        .collect();
    format!("declared as {}", ids.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::find;
    use crate::manifest::load_str;

    fn service(name: &str, cluster: &str, place: &str) -> String {
        format!(
            "apiVersion: ecs.finfocus.io/v1alpha1\nkind: EcsService\nmetadata:\n  name: {name}\n\
             spec:\n  cluster: {cluster}\n{place}  taskDefinition:\n    family: {name}\n    \
             containerDefinitions:\n      - name: app\n        image: nginx:1.27\n        memory: 128\n  \
             service:\n    desiredCount: 1\n"
        )
    }

    #[test]
    fn a_name_in_several_places_is_named_as_the_plan_names_it() {
        let text = [
            "apiVersion: ecs.finfocus.io/v1alpha1\nkind: AwsAccount\nmetadata:\n  name: prod\n\
             spec:\n  roleArn: arn:aws:iam::222222222222:role/deploy\n"
                .to_owned(),
            service("web", "own", ""),
            service("web", "theirs", "  account: prod\n  region: eu-west-1\n"),
            service("api", "own", ""),
        ]
        .join("---\n");
        let set = load_str("all.yaml", &text).unwrap();

        let (api, cluster) = find(&set, "api").unwrap();
        assert_eq!(
            (api.key.to_string().as_str(), cluster),
            ("EcsService/api", "own")
        );
        let (web, cluster) = find(&set, "web@prod/eu-west-1").unwrap();
        assert_eq!(web.account.as_deref(), Some("prod"));
        assert_eq!(cluster, "theirs");
        assert_eq!(
            find(&set, "web@").map(|(_, c)| c),
            Err(
                "no EcsService/web@ in the manifests given; declared as web, web@prod/eu-west-1"
                    .into()
            )
        );

        let ambiguous = find(&set, "web").unwrap_err();
        assert!(ambiguous.contains("several places"), "{ambiguous}");
        assert!(ambiguous.contains("web, web@prod/eu-west-1"), "{ambiguous}");
        assert!(
            find(&set, "web@prod")
                .unwrap_err()
                .contains("no EcsService/web@prod")
        );
        assert_eq!(
            find(&set, "db").unwrap_err(),
            "no EcsService named db in the manifests given"
        );
    }
}
