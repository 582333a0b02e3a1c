//! End-to-end tests across both programs of the workspace; the tests live in `tests/tests/`.
//!
//! They check that what the controller deploys (`manifests/plugin/`, the `Dockerfile`) and what
//! the plugin serves agree: ports, regions, health check and environment variables.
