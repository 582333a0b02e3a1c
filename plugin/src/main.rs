//! `finfocus-plugin-aws-public`: parses the command line and maps the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser as _;
use finfocus_plugin_aws_public::cli::{self, Cli};

fn main() -> ExitCode {
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One plain line with the whole cause chain: start-up errors happen before the JSON
            // logger exists, and a host shows the plugin's stderr as is.
            eprintln!("error: {:#}", anyhow::Error::from(err));
            ExitCode::FAILURE
        }
    }
}
