//! An AWS fidelity layer for tests: an HTTP proxy on 127.0.0.1 in front of the AWS emulator (moto)
//! that answers ECS and Cloud Map JSON calls the way real AWS documents, where the emulator is
//! lenient.
//!
//! The emulator stores what it is sent and answers it back. Real AWS fills in roles and defaults,
//! applies the cluster's capacity provider strategy, drops empty environment values, pages list
//! answers and refuses some requests. A controller that only ever met the emulator can loop forever
//! against the real answers; with this layer in front of the emulator the integration tests see them.
//!
//! # Where to start
//! - [`Fidelity::start`] puts the layer in front of an emulator endpoint and gives its own endpoint;
//!   dropping the handle stops it. It runs on a runtime of its own, so synchronous tests can use it.
//! - [`rules`] holds the behaviours, each a small pure function over JSON that names its public
//!   source (AWS API reference, aws-cli examples, the issue trackers of tools that met it).
//! - `route` decides which rules apply to which operation and makes the extra emulator reads some
//!   rules need; besides scripted rollouts the layer keeps no state.
//!
//! # Guarantees
//! - Listens on 127.0.0.1 only; every emulator call has a timeout.
//! - Calls it has no rule for (EC2 query calls, the emulator's own API, other operations) pass
//!   through unchanged, so the layer can stand in for the emulator's endpoint everywhere. The one
//!   query-protocol call it judges is STS `AssumeRole` ([`rules::sts`]): granted only for a role that
//!   exists in its account and whose trust policy admits the request's external id. It also answers
//!   the Resource Groups Tagging API's `GetResources` for Cloud Map ARNs ([`rules::tagging`]), which
//!   the emulator's tagging API does not index.
//!
//! # Extending
//! A new behaviour is a function in [`rules`] with its source, a unit test, and one line in `route`.
//!
//! # Latency
//! [`Fidelity::set_latency`] adds a fixed delay to every call, like the round trip to AWS, and
//! [`Fidelity::traffic`] tells how many calls of each operation were in flight at once (see
//! [`latency`]). The harness reads the delay from `FINFOCUS_FIDELITY_LATENCY_MS`.
//!
//! # Rollouts
//! The emulator never completes a deployment. [`Fidelity::play_rollout`] scripts one service's
//! rollout: its primary deployment completes after some `DescribeServices` answers, or fails, and
//! `ListTasks` / `DescribeTasks` then answer its stopped tasks with the reasons the test gave.
//! [`Fidelity::play_deployment`] scripts a service's next *service deployment* (rolling,
//! blue/green, linear or canary) through its lifecycle stages, answered by
//! `ListServiceDeployments` / `DescribeServiceDeployments` and stopped by `StopServiceDeployment`,
//! which the emulator lacks.
//!
//! # Idempotency and lost answers
//! The layer remembers the first request and answer of each create's idempotency token
//! (`idempotency`), so creates sent again are answered as AWS answers them. With
//! [`Fidelity::lose_answers`] it loses a seeded fraction of answers after the emulator acted
//! (`faults`), and it counts the write calls it passed on ([`Fidelity::writes`]). Rollouts,
//! tokens, these counters, the namespace of each Cloud Map service it looked up (`namespaces`) and the
//! service fields the emulator drops (`kept`: Service Connect, volume and VPC Lattice configurations) are the
//! only state the layer keeps.

pub mod call;
mod deployments;
mod faults;
mod idempotency;
mod kept;
pub mod latency;
mod namespaces;
mod rollouts;
mod route;
pub mod rules;
mod server;
mod upstream;

pub use faults::LostAnswers;
pub use latency::{ALL, LATENCY_ENV, OperationTraffic, Traffic};
pub use rules::deployments::{Deployment as ServiceDeployment, Ending, Strategy};
pub use rules::rollout::{Rollout, StoppedContainer, StoppedTask};
pub use server::Fidelity;

/// Why the layer could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The emulator endpoint is not a plain `http://host:port`.
    #[error("emulator endpoint {endpoint:?} is not an http://host:port URL")]
    Upstream {
        /// The endpoint given.
        endpoint: String,
    },
    /// The loopback port could not be bound.
    #[error("cannot listen on 127.0.0.1")]
    Bind(#[source] std::io::Error),
    /// The background runtime or its thread could not start.
    #[error("cannot start the layer's runtime")]
    Runtime(#[source] std::io::Error),
}
