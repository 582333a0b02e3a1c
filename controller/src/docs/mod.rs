//! The generated pages of the book in `docs/`: the CLI reference from clap's `Command` and the
//! manifests reference from the JSON Schema. Both are checked in, so the book builds without
//! running Rust, and a test per page fails when the file differs from what the code renders
//! now: a new flag or manifest field cannot ship undocumented. Compiled only for tests.

mod checked_in;
mod cli;
mod manifests;
mod prose;
