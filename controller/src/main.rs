//! `finfocus-ecs-controller`: parse the command line, run the verb, map its result to an exit
//! code (0 ok / in sync, 2 plan has changes or verify found problems, 1 error).

use std::process::ExitCode;

use clap::Parser;
use finfocus_ecs_controller::child;
use finfocus_ecs_controller::cli::{self, Cli, LogFormat};
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("FINFOCUS_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    // Colour only on a terminal, and never under NO_COLOR (https://no-color.org).
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    // Logging is best effort: a second initialisation (impossible here) must not abort.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn main() -> ExitCode {
    // The controller starts its children through itself (see `child`); that role comes first
    // and needs neither logging nor a runtime.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == child::SHIM_ARG) {
        let error = child::exec_shim(&args[2..]);
        eprintln!("error: {:#}", anyhow::Error::new(error));
        return ExitCode::from(127);
    }
    let cli = Cli::parse_from(args);
    init_logging(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {:#}", anyhow::Error::new(e));
            ExitCode::from(1)
        }
    }
}
