//! Sends a fixed number of requests of one RPC to a running regional server, 8 in flight over
//! one HTTP/2 connection, and exits: the client side of `scripts/callgrind-rpc`, which counts
//! the server's instructions per request (BENCHMARKS.md).
//!
//! `cargo run --example rpc_burst -- <port> <name|projected> <requests>`

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use finfocus_plugin_aws_public::proto::v1::NameRequest;
use finfocus_plugin_aws_public::proto::v1::cost_source_service_client::CostSourceServiceClient;
use support::projected_request;
use tonic::transport::Channel;

#[path = "../benches/support/mod.rs"]
mod support;

const IN_FLIGHT: usize = 8;

#[derive(Clone, Copy)]
enum Rpc {
    Name,
    Projected,
}

async fn burst(port: u16, rpc: Rpc, requests: usize) -> anyhow::Result<()> {
    let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))?
        .connect()
        .await
        .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
    let client = CostSourceServiceClient::new(channel);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..IN_FLIGHT {
        let mut client = client.clone();
        // Spread the remainder so exactly `requests` are sent.
        let share = requests / IN_FLIGHT + usize::from(worker < requests % IN_FLIGHT);
        tasks.spawn(async move {
            for _ in 0..share {
                match rpc {
                    Rpc::Name => drop(client.name(NameRequest {}).await?),
                    Rpc::Projected => drop(client.get_projected_cost(projected_request()).await?),
                }
            }
            Ok::<_, tonic::Status>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

fn parse(args: &[String]) -> anyhow::Result<(u16, Rpc, usize)> {
    let [port, rpc, requests] = args else {
        bail!("usage: rpc_burst <port> <name|projected> <requests>");
    };
    let rpc = match rpc.as_str() {
        "name" => Rpc::Name,
        "projected" => Rpc::Projected,
        other => bail!("unknown RPC {other:?}: expected name or projected"),
    };
    Ok((
        port.parse().context("port")?,
        rpc,
        requests.parse().context("requests")?,
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = parse(&args).and_then(|(port, rpc, requests)| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(burst(port, rpc, requests))
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("rpc_burst: {err:#}");
            ExitCode::FAILURE
        }
    }
}
