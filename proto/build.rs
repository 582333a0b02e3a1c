//! Compiles `proto/` into Rust with protox (pure Rust, no system `protoc`) and writes the
//! encoded file descriptor set that the reflection service serves.

use std::path::PathBuf;

use protox::prost::Message as _;

/// Files the crate is generated from; their imports (`google/protobuf/*`) come from protox.
const PROTOS: [&str; 3] = [
    "finfocus/v1/enums.proto",
    "finfocus/v1/costsource.proto",
    "google/rpc/status.proto",
];

/// Map fields of answers (`.package.Message.field`).
const RESPONSE_MAPS: [&str; 5] = [
    ".finfocus.v1.GetProjectedCostResponse.metadata",
    ".finfocus.v1.SupportsResponse.capabilities",
    ".finfocus.v1.PricingSpec.plugin_metadata",
    ".finfocus.v1.GetPluginInfoResponse.metadata",
    ".finfocus.v1.ErrorDetail.details",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The .proto files sit next to this crate's manifest.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    for file in PROTOS {
        println!("cargo:rerun-if-changed={}", proto_root.join(file).display());
    }

    // Imports are included so reflection clients can resolve Timestamp, Struct and Any.
    let fds = protox::compile(PROTOS, [&proto_root])?;
    std::fs::write(out_dir.join("finfocus_descriptor.bin"), fds.encode_to_vec())?;

    // Response maps are small and built on every answer: a BTreeMap skips the hasher and
    // encodes its keys in a stable order. Request maps keep the HashMap default.
    let mut builder = tonic_prost_build::configure();
    for map in RESPONSE_MAPS {
        builder = builder.btree_map(map);
    }
    builder
        .build_client(true)
        .build_server(true)
        .emit_rerun_if_changed(false)
        .compile_fds(fds)?;
    Ok(())
}
