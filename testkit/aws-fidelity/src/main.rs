//! `finfocus-aws-fidelity --upstream http://127.0.0.1:PORT [--port N] [--latency-ms MS] [--lose-answers RATE --seed N]`: runs the fidelity layer in
//! front of a running emulator until SIGINT or SIGTERM, for manual runs of the controller against
//! AWS-like answers. Prints `AWS_ENDPOINT_URL=<endpoint>` once it accepts connections.

use anyhow::Context as _;
use clap::Parser;
use finfocus_aws_fidelity::{Fidelity, LostAnswers};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    version,
    about = "AWS fidelity layer in front of the AWS emulator (127.0.0.1 only)"
)]
struct Args {
    /// The emulator's endpoint.
    #[arg(long, env = "FINFOCUS_EMULATOR_ENDPOINT")]
    upstream: String,
    /// Port on 127.0.0.1 to listen on (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Milliseconds added to every call, like a round trip to AWS.
    #[arg(long, env = "FINFOCUS_FIDELITY_LATENCY_MS", default_value = "0", value_parser = finfocus_aws_fidelity::latency::parse_millis)]
    latency_ms: std::time::Duration,
    /// Fraction (0 to 1) of ECS and Cloud Map answers to lose after the emulator acted.
    #[arg(long, env = "FINFOCUS_FIDELITY_LOSE_ANSWERS", default_value_t = 0.0)]
    lose_answers: f64,
    /// Seed deciding which answers are lost.
    #[arg(long, env = "FINFOCUS_FIDELITY_SEED", default_value_t = 0)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let fidelity = Fidelity::start_on_port(&args.upstream, args.port)
        .with_context(|| format!("starting in front of {}", args.upstream))?;
    fidelity.set_latency(args.latency_ms);
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.lose_answers),
        "--lose-answers must be between 0 and 1, got {}",
        args.lose_answers
    );
    if args.lose_answers > 0.0 {
        fidelity.lose_answers(Some(LostAnswers {
            rate: args.lose_answers,
            seed: args.seed,
            only: Vec::new(),
        }));
    }
    println!("AWS_ENDPOINT_URL={}", fidelity.endpoint());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("signal runtime")?;
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("SIGTERM handler")?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        anyhow::Ok(())
    })?;
    drop(fidelity);
    Ok(())
}
