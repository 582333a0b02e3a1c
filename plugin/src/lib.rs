//! `finfocus-plugin-aws-public`: a FinFocus cost plugin that serves public AWS list prices.
//!
//! Where to begin:
//! - [`region`] names the served regions ([`region::Region::ALL`]) and their fixed ports.
//! - [`pricing`] holds the embedded per-region price tables; a process loads only its own region.
//! - [`resource`] turns what a client sends (short names, Pulumi tokens, Pulumi properties, Go-map
//!   text) into a typed query; [`estimate`] prices it. Both are pure and unit-tested, and
//!   both return [`estimate_error::EstimateError`].
//! - [`recommend`] proposes cheaper or newer configurations, priced by [`estimate`].
//! - [`offer`] rebuilds the tables from AWS Price List bulk offer files.
//! - [`service`] implements the FinFocus `CostSourceService` over gRPC over the shared
//!   [`state::AppState`]; [`server`] is the host launch contract (port selection, `PORT=`
//!   line, logs, graceful stop).
//! - `serve-all` (the container's job): [`supervisor`] runs one process per region and records
//!   their state in a [`fleet`]; [`aggregator`] serves the container's `/metrics` and `/healthz`
//!   from that fleet; both reach the regions through [`probe`], as does the [`healthcheck`] verb.

pub mod aggregator;
pub mod cli;
pub mod estimate;
pub mod estimate_error;
pub mod fleet;
pub mod healthcheck;
pub mod metrics;
pub mod offer;
pub mod pricing;
pub mod probe;
pub mod proto;
pub mod recommend;
pub mod region;
pub mod resource;
pub mod server;
pub mod service;
pub mod state;
pub mod supervisor;
pub mod telemetry;
pub mod web;
