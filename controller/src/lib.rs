//! `finfocus-ecs-controller`: converge Amazon ECS and AWS Cloud Map toward YAML manifests.
//!
//! # Where to begin
//! Read the modules in the order a manifest travels through them. The core is pure in the
//! middle and does I/O only at the edges:
//!
//! 1. [`manifest`] reads YAML files into a validated [`manifest::ManifestSet`] (errors carry
//!    file, line, column and field; a file with any error contributes nothing): `model.rs`
//!    holds the types, `load.rs` reads (through the guarded `read.rs`) and parses, `checks.rs`
//!    checks each document and `cross.rs` what spans files. [`taskdef`] is the typed
//!    `RegisterTaskDefinition` input a service manifest embeds; [`units`] the CPU and memory
//!    amounts both the checks and [`canon`] understand.
//! 2. Two small leaves both sides share: [`ownership`] names the tags that mark a resource as
//!    this controller instance's, and [`live`] is the live-state model ([`live::LiveState`]).
//!    [`options::PlanOptions`] says what a pass is asked to do.
//! 3. [`aws::observe`] fetches the live state with as few calls as it can, counting every call
//!    in [`aws::CallCounter`]; with `--prune` it also lists every resource no manifest
//!    describes, with its tags ([`live::Unclaimed`]), and leaves the judging to the plan.
//!    [`aws::Context`] holds the clients; `aws/convert/` turns SDK types into the model and
//!    back, one file per resource kind.
//! 4. [`plan::plan`] canonicalizes both sides ([`canon`]), diffs them ([`diff`]) and orders the
//!    actions per resource, one file per kind (`plan/namespace.rs`, `cluster.rs`,
//!    `service.rs` with `discovery.rs`); `plan/orphans.rs` decides from the ownership tags
//!    which unclaimed resources are this instance's orphans. It never touches the network.
//!    Each resource gets a [`status::Status`] and [`status::Condition`]s, the words the loop
//!    and the report reuse.
//! 5. [`reconcile::observe_and_plan`] is steps 3 and 4 as every caller runs them (`plan`,
//!    `apply` and the `run` engine), including the re-read of cached Cloud Map tags before a
//!    plan writes to Cloud Map.
//! 6. [`apply::apply`] executes a [`plan::Plan`] (or [`apply::apply_resource`] one
//!    [`plan::ResourcePlan`] at a time).
//! 7. [`report::DriftReport`] renders the outcome as JSON, text or Markdown.
//!
//! The long-running controller (`run`) wraps that pipeline in a loop:
//!
//! - [`source`] follows a directory or a git repository and publishes the newest snapshot;
//! - [`runtime`] is the loop: each pass loads the snapshot, observes and plans once, and
//!   applies resources as independent tasks with per-resource backoff. Its `mod.rs` is the
//!   contract with the [`runtime::Engine`] that drives the pipeline ([`runtime::AwsEngine`] in
//!   production, so the loop's tests run on a fake under paused time); `run.rs` holds the
//!   passes, `decide.rs` what a pass does with each resource, `shutdown.rs` the stop signal.
//!   [`status::Transitions`] keeps each condition's `lastTransitionTime` from pass to pass;
//! - [`rollout`] judges, pass after pass, whether an ECS deployment the loop started
//!   completed, is still going, or was rolled back;
//! - [`wait`] is `apply --wait`: it polls the services an apply changed until their rollouts end,
//!   and [`diagnosis`] says in a few lines why one failed; [`service_deployment`] judges ECS's
//!   service deployments (blue/green, linear, canary stages, traffic, bake) where ECS reports them;
//! - [`metrics`] holds the Prometheus registry and [`http`] serves `/healthz`, `/readyz`,
//!   `/metrics` and `/report` (and takes push webhooks, [`hooks`]);
//! - [`notify`] reads the published reports and announces what changed: events to webhooks and
//!   Slack, commit statuses to GitHub, each once.
//!
//! [`import`] runs the pipeline the other way for services made elsewhere: [`aws::import`] reads
//! them into a [`live::Inventory`], and [`import::manifests`] writes the smallest manifests that
//! mean the same, which the CLI then plans to check that their first apply only adopts.
//!
//! Before a deploy, [`verify`] checks in AWS what the manifests rely on (roles, log groups,
//! network, images, secrets, capacity) and reports each problem with its fix.
//!
//! Programs the controller starts (the pricing plugin, `git`) are started through [`child`], so they
//! die with it even when it is killed. The command line lives in [`cli`] (one file per verb); `main.rs` only maps the verb's
//! result to an exit code. Errors say what failed at their own level and leave the cause to
//! `source()`; [`error_chain`] prints an error with each cause once.
//!
//! Data flows one way: no module imports one that imports it back
//! (`scripts/check-module-cycles`, run by CI).

pub mod apply;
pub mod aws;
pub mod canon;
pub mod child;
pub mod cli;
pub mod diagnosis;
pub mod diff;
#[cfg(test)]
mod docs;
pub mod hooks;
pub mod http;
pub mod import;
pub mod lease;
pub mod live;
pub mod manifest;
pub mod markdown;
pub mod metrics;
pub mod notify;
pub mod options;
pub mod ownership;
pub mod plan;
pub mod pricing;
pub mod reconcile;
pub mod report;
pub mod revisions;
pub mod rollout;
pub mod runtime;
pub mod service_deployment;
pub mod source;
pub mod status;
pub mod taskdef;
pub mod ui;
pub mod units;
pub mod verify;
pub mod wait;

/// API version every manifest document must declare.
pub const API_VERSION: &str = "ecs.finfocus.io/v1alpha1";
pub use ownership::{MANAGED_BY_VALUE, TAG_INSTANCE, TAG_MANAGED_BY, TAG_MANAGED_TAGS, TAG_OBJECT};
/// Annotation selecting the drift policy (`enforce` or `detect`).
pub const ANNOTATION_DRIFT_POLICY: &str = "ecs.finfocus.io/drift-policy";
/// Annotation allowing the controller to take over an existing untagged resource.
pub const ANNOTATION_ADOPT: &str = "ecs.finfocus.io/adopt";
/// Annotation listing environment variables (comma-separated names) whose values plans and
/// reports redact, besides those whose names look secret.
pub const ANNOTATION_REDACT_ENV: &str = "ecs.finfocus.io/redact-env";
/// Annotation capping an `EcsService`'s monthly cost in USD: a change that would raise it
/// above is not applied (condition `BudgetExceeded`).
pub const ANNOTATION_MAX_MONTHLY_COST: &str = "ecs.finfocus.io/max-monthly-cost";
/// Annotation hiding the plugin's recommendations for an `EcsService` in plans (`"off"`).
pub const ANNOTATION_RECOMMENDATIONS: &str = "ecs.finfocus.io/recommendations";
/// Annotation listing recommendation ids (comma-separated) a team has dismissed; plans leave
/// them out (the plugin's `excluded_recommendation_ids`).
pub const ANNOTATION_DISMISSED_RECOMMENDATIONS: &str = "ecs.finfocus.io/dismissed-recommendations";
/// Annotation saying an `EcsService`'s tasks may be interrupted (`"true"`), so plans may
/// recommend a `FARGATE_SPOT` share.
pub const ANNOTATION_INTERRUPTIBLE: &str = "ecs.finfocus.io/interruptible";
/// Default controller instance id.
pub const DEFAULT_INSTANCE: &str = "default";

/// Errors of the controller library. Each names what failed; AWS errors name the operation
/// and the resource.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Manifests failed validation; nothing was applied.
    #[error("{} invalid manifest(s): {}", .0.len(), first_error(.0))]
    Manifest(Vec<manifest::ManifestError>),
    /// An AWS API call failed (after the SDK's own retries).
    #[error("{operation} on {resource}: {code}: {message}")]
    Aws {
        /// API operation, e.g. `UpdateService`.
        operation: &'static str,
        /// The resource the call was about, e.g. `finfocus-cluster/finfocus-plugin-aws-public`.
        resource: String,
        /// AWS error code (`ThrottlingException`, ...) or the SDK failure class.
        code: String,
        /// Human-readable message from AWS, or the SDK error with its causes.
        message: String,
        /// The SDK error, kept for inspection. It is not the `source()`: `message` already
        /// says what it says, and a chain would print it twice.
        sdk_error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An asynchronous AWS operation reported failure.
    #[error("{operation} on {resource} failed: {message}")]
    OperationFailed {
        /// API operation that started the asynchronous work.
        operation: &'static str,
        /// The resource the call was about.
        resource: String,
        /// The failure reported by AWS.
        message: String,
    },
    /// Waiting for an asynchronous AWS operation took longer than allowed.
    #[error("timed out after {seconds}s waiting for {operation} on {resource}")]
    Timeout {
        /// What was awaited.
        operation: &'static str,
        /// The resource the call was about.
        resource: String,
        /// The bound that was exceeded.
        seconds: u64,
    },
    /// The live state contradicts what an action expects (e.g. a namespace vanished).
    #[error("{resource}: {message}")]
    Conflict {
        /// The resource concerned.
        resource: String,
        /// What is wrong.
        message: String,
    },
    /// AWS answered with a shape the controller cannot use (a missing id or ARN).
    #[error("{operation} on {resource}: unexpected response: {message}")]
    UnexpectedResponse {
        /// API operation.
        operation: &'static str,
        /// The resource the call was about.
        resource: String,
        /// What was missing or malformed.
        message: String,
    },
    /// An `AwsAccount` cannot be acted in: it is not defined, or its role cannot be assumed.
    /// Only the objects in that account are affected.
    #[error("account {account}: {message}")]
    Account {
        /// The `AwsAccount` name.
        account: String,
        /// What went wrong.
        message: String,
    },
    /// No AWS region could be determined.
    #[error("no AWS region configured: pass --region or set AWS_REGION")]
    NoRegion,
    /// An endpoint setting (`AWS_ENDPOINT_URL` or a service's own) is present but empty; the SDK
    /// would fail on it at the first call.
    #[error("{0} is set but empty: unset it, or set it to the endpoint's URL")]
    EmptyEndpoint(String),
    /// Some resources did not converge during `apply`.
    #[error("{failed} of {total} resource(s) did not converge")]
    NotConverged {
        /// Resources that failed or were blocked.
        failed: usize,
        /// Resources in the plan.
        total: usize,
    },
    /// Writing output failed.
    #[error("writing output")]
    Io(#[source] std::io::Error),
    /// Writing a file the command was asked to write (e.g. `--report`) failed.
    #[error("writing {}", .path.display())]
    WriteFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Serializing a report failed.
    #[error("serializing report")]
    Json(#[source] serde_json::Error),
}

fn first_error(errors: &[manifest::ManifestError]) -> String {
    errors.first().map(ToString::to_string).unwrap_or_default()
}

impl Error {
    /// A short, stable label for metrics (`finfocus_controller_reconcile_total{result=...}`).
    #[must_use]
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::Manifest(_) => "manifest",
            Self::Aws { code, .. } => aws_code_label(code),
            Self::OperationFailed { .. } => "aws_operation_failed",
            Self::Timeout { .. } => "timeout",
            Self::Conflict { .. } => "conflict",
            Self::UnexpectedResponse { .. } => "aws_unexpected_response",
            Self::Account { .. } => "account",
            Self::NoRegion | Self::EmptyEndpoint(_) => "config",
            Self::NotConverged { .. } => "not_converged",
            Self::Io(_) | Self::WriteFile { .. } => "io",
            Self::Json(_) => "json",
        }
    }

    /// The AWS error code, when this is an AWS API error.
    #[must_use]
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            Self::Aws { code, .. } => Some(code),
            _ => None,
        }
    }
}

fn aws_code_label(code: &str) -> &'static str {
    match code {
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded" => "aws_throttling",
        c if c.contains("NotFound") || c == "NamespaceNotFound" || c == "ServiceNotFound" => {
            "aws_not_found"
        }
        "InvalidParameterException"
        | "InvalidInput"
        | "ValidationException"
        | "ClientException" => "aws_validation",
        "AccessDeniedException" | "AccessDenied" => "aws_access_denied",
        "ServerException" | "InternalFailure" | "ServiceUnavailable" => "aws_server",
        "DispatchFailure" | "TimeoutError" => "aws_network",
        _ => "aws_other",
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes, outermost first, joined by `: ` (what `{:#}` of `anyhow` prints).
/// Error messages here never repeat their `source()`, so each cause shows once; use this where
/// an error becomes text that outlives it (stderr, logs, a report).
#[must_use]
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_shows_once() {
        let io = Error::Io(std::io::Error::other("disk full"));
        assert_eq!(error_chain(&io), "writing output: disk full");
        assert_eq!(
            format!("{:#}", anyhow::Error::new(io)),
            "writing output: disk full"
        );
        let aws = Error::Aws {
            operation: "UpdateService",
            resource: "c/s".into(),
            code: "InvalidParameterException".into(),
            message: "bad revision".into(),
            sdk_error: "InvalidParameterException: bad revision".into(),
        };
        assert_eq!(
            error_chain(&aws),
            "UpdateService on c/s: InvalidParameterException: bad revision"
        );
    }
}
