# Images of this workspace, one target per program:
#
#   docker build --target plugin     -t finfocus-plugin-aws-public .
#   docker build --target controller -t finfocus-ecs-controller .
#
# Debian bookworm throughout: the release binaries are built (glibc) in the official Rust image
# and copied into debian:bookworm-slim, which keeps a shell for the CMD-SHELL health checks, gets
# CA certificates and runs the programs as the non-root user 10001. Both base images are build
# arguments (RUST_IMAGE, RUNTIME_IMAGE), so a mirror or another base can be chosen without editing
# this file; they must stay glibc-compatible with each other (same Debian release or newer at run
# time). Names are fully qualified, so podman/buildah resolve them without a registries.conf.
#
# Dependency caching: BuildKit/buildah cache mounts (RUN --mount=type=cache) for cargo's registry
# and for the target directory, instead of cargo-chef. The whole workspace is copied in one step
# (so every member's manifest is there and members can be added without touching this file), and
# cargo's own fingerprints decide what to rebuild: after a source change only the changed crates
# compile. cargo-chef would first have to be compiled in the builder, and its cooked dependency
# layer (the whole target directory, ~1 GB) would be stored as an image layer on every
# dependency change; the cache mount is never stored in the image. Measured numbers are in
# BENCHMARKS.md ("Images"). Needs BuildKit (Docker 23+ default) or podman/buildah.

ARG RUST_IMAGE=docker.io/library/rust:1.95.0-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
# Builder: the toolchain and the workspace sources. Nothing is excluded but what .dockerignore
# lists (target directories, VCS and local tool state).
FROM ${RUST_IMAGE} AS build
# The cargo profile of both binaries. Users and releases get `release`; CI builds its test images
# with `image-test` (Cargo.toml: no LTO, many codegen units), which compiles in a fraction of the
# time. The output directory is the profile's name, except `dev`'s, which is `debug`.
ARG CARGO_PROFILE=release
# An ENV, so the build stages below (FROM build) see it too.
ENV CARGO_PROFILE=${CARGO_PROFILE}
WORKDIR /src
COPY . .

# Each program is built in its own stage so `--target plugin` does not compile the controller's
# AWS SDK. The target directory is one shared cache: dependencies both programs use with the same
# features compile once. The binary is copied out inside the same RUN, as the cache mount is not
# part of the layer.
FROM build AS plugin-build
RUN --mount=type=cache,id=finfocus-ecs-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=finfocus-ecs-target,target=/src/target,sharing=locked \
    cargo build --profile "$CARGO_PROFILE" --locked -p finfocus-plugin-aws-public --bin finfocus-plugin-aws-public \
 && dir=$CARGO_PROFILE && if [ "$dir" = dev ]; then dir=debug; fi \
 && install -D -m 0755 "target/$dir/finfocus-plugin-aws-public" /out/finfocus-plugin-aws-public

FROM build AS controller-build
# The commit `--version` names (the build context has no .git): --build-arg FINFOCUS_BUILD_COMMIT=<sha>.
ARG FINFOCUS_BUILD_COMMIT=unknown
RUN --mount=type=cache,id=finfocus-ecs-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=finfocus-ecs-target,target=/src/target,sharing=locked \
    cargo build --profile "$CARGO_PROFILE" --locked -p finfocus-ecs-controller --bin finfocus-ecs-controller \
 && dir=$CARGO_PROFILE && if [ "$dir" = dev ]; then dir=debug; fi \
 && install -D -m 0755 "target/$dir/finfocus-ecs-controller" /out/finfocus-ecs-controller

# ---------------------------------------------------------------------------------------------
# Runtime base: CA certificates and the user both images run as.
FROM ${RUNTIME_IMAGE} AS runtime
# Debian stable keeps only the current version of a package in its archive, so pinned versions
# would stop building at the next point release; the base image tag selects the release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 finfocus \
 && useradd --system --uid 10001 --gid finfocus --home-dir /home/finfocus --create-home \
      --shell /usr/sbin/nologin finfocus

# ---------------------------------------------------------------------------------------------
# The multi-region plugin: 12 regional processes on 8001-8012 and the metrics aggregator on
# 9090, supervised by `serve-all` (PID 1: forwards SIGTERM, drains, exits 0).
FROM runtime AS plugin
COPY --from=plugin-build /out/finfocus-plugin-aws-public /usr/local/bin/finfocus-plugin-aws-public
# Probes every regional /healthz with the binary's own `healthcheck` subcommand (POSIX sh).
COPY --chmod=0755 plugin/healthcheck.sh /healthcheck.sh
# Listening on every interface is what a container needs; FINFOCUS_PLUGIN_BIND=127.0.0.1 keeps
# it to loopback when run with the host's network (as scripts/image-test does).
ENV FINFOCUS_PLUGIN_BIND=0.0.0.0 \
    FINFOCUS_PLUGIN_WEB_ENABLED=true \
    FINFOCUS_PLUGIN_HEALTH_ENDPOINT=true \
    FINFOCUS_LOG_LEVEL=info \
    FINFOCUS_CORS_ALLOWED_ORIGINS=* \
    FINFOCUS_PLUGIN_BASE_PORT=8001 \
    FINFOCUS_PLUGIN_METRICS_PORT=9090 \
    FINFOCUS_PLUGIN_STOP_TIMEOUT=30s
USER 10001:10001
EXPOSE 8001-8012 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/healthcheck.sh"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/finfocus-plugin-aws-public", "serve-all"]

# ---------------------------------------------------------------------------------------------
# The GitOps controller. It runs `git` for --git sources; wget is its health probe. The default
# arguments follow a manifests directory mounted at /manifests and serve /healthz, /readyz,
# /metrics and /report on 8080; override them, e.g.
#   run --git https://github.com/ORG/REPO.git --ref main --path manifests --listen 0.0.0.0:8080
FROM runtime AS controller
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git wget \
 && rm -rf /var/lib/apt/lists/*
COPY --from=controller-build /out/finfocus-ecs-controller /usr/local/bin/finfocus-ecs-controller
USER 10001:10001
WORKDIR /home/finfocus
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["wget", "-q", "-t", "1", "-T", "2", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/finfocus-ecs-controller"]
CMD ["run", "--source", "/manifests", "--listen", "0.0.0.0:8080"]
