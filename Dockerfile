# Images of this workspace, one target per program:
#
#   docker build --target plugin     -t finfocus-plugin-aws-public .
#   docker build --target controller -t finfocus-ecs-controller .
#
# Both are static musl binaries built with the release profile on Alpine, copied into a small
# Alpine runtime (a shell for CMD-SHELL health checks, CA certificates) and run as a non-root
# user. Base images are pinned and fully qualified, so podman/buildah resolve them without a
# registries.conf. Building needs BuildKit or buildah (for COPY --chmod) and crates.io access; the
# dependency layers are reused as long as the manifests and Cargo.lock do not change.

# ---------------------------------------------------------------------------------------------
# Builder: the toolchain, the fetched crates, and (per program below) a layer of compiled
# dependencies, all of which only change with the manifests or the lock file.
FROM docker.io/library/rust:1.90.0-alpine3.22 AS build-base
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
# musl-dev: libc headers and static libc for crates with C code (aws-lc-sys in the controller).
RUN apk add --no-cache musl-dev=~1.2
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY proto/Cargo.toml proto/
COPY plugin/Cargo.toml plugin/
COPY controller/Cargo.toml controller/
# Stub every target the manifests declare (main, lib, benches, tests, examples), so cargo can
# resolve the workspace and compile the dependency graph before any source is copied.
RUN set -eu; \
    mkdir -p proto/src; : > proto/src/lib.rs; \
    for crate in plugin controller; do \
      mkdir -p "$crate/src"; \
      printf 'fn main() {}\n' > "$crate/src/main.rs"; \
      : > "$crate/src/lib.rs"; \
      awk -v dir="$crate" ' \
        function emit() { \
          if (kind == "") return; \
          if (path == "") path = (kind == "bench" ? "benches" : kind == "test" ? "tests" : kind == "example" ? "examples" : "src/bin") "/" name ".rs"; \
          print dir "/" path; kind = "" } \
        /^\[\[(bin|bench|test|example)\]\]/ { emit(); kind = substr($0, 3, length($0) - 4); name = ""; path = ""; next } \
        /^\[/ { emit(); next } \
        kind != "" && $1 == "name" { name = $3; gsub(/"/, "", name) } \
        kind != "" && $1 == "path" { path = $3; gsub(/"/, "", path) } \
        END { emit() }' "$crate/Cargo.toml" \
      | while read -r stub; do \
          mkdir -p "$(dirname "$stub")"; \
          [ -e "$stub" ] || printf 'fn main() {}\n' > "$stub"; \
        done; \
    done
RUN cargo fetch --locked

# ---------------------------------------------------------------------------------------------
FROM build-base AS plugin-build
# The finfocus-proto crate (proto/: build.rs compiles the .proto files with protox, no protoc)
# only changes with the protocol, so it belongs to the dependency layer too.
COPY proto proto
RUN cargo build --release --locked --offline -p finfocus-plugin-aws-public --bin finfocus-plugin-aws-public
COPY plugin plugin
# Sources are newer than the stub build's outputs; touch guards against clock skew.
RUN touch plugin/src/main.rs plugin/src/lib.rs \
 && cargo build --release --locked --offline -p finfocus-plugin-aws-public --bin finfocus-plugin-aws-public \
 && mkdir -p /out \
 && cp target/release/finfocus-plugin-aws-public /out/ \
 && readelf -l /out/finfocus-plugin-aws-public > /tmp/headers \
 && if grep -q 'program interpreter' /tmp/headers; then \
      echo 'finfocus-plugin-aws-public is not static' >&2; exit 1; \
    fi

# ---------------------------------------------------------------------------------------------
FROM build-base AS controller-build
COPY proto proto
RUN cargo build --release --locked --offline -p finfocus-ecs-controller --bin finfocus-ecs-controller
COPY controller controller
RUN touch controller/src/main.rs controller/src/lib.rs \
 && cargo build --release --locked --offline -p finfocus-ecs-controller --bin finfocus-ecs-controller \
 && mkdir -p /out \
 && cp target/release/finfocus-ecs-controller /out/ \
 && readelf -l /out/finfocus-ecs-controller > /tmp/headers \
 && if grep -q 'program interpreter' /tmp/headers; then \
      echo 'finfocus-ecs-controller is not static' >&2; exit 1; \
    fi

# ---------------------------------------------------------------------------------------------
# The multi-region plugin: 12 regional processes on 8001-8012 and the metrics aggregator on
# 9090, supervised by `serve-all` (PID 1: forwards SIGTERM, drains, exits 0).
FROM docker.io/library/alpine:3.22.1 AS plugin
RUN addgroup -S -g 10001 finfocus \
 && adduser -S -D -H -u 10001 -G finfocus -s /sbin/nologin finfocus
COPY --from=plugin-build /out/finfocus-plugin-aws-public /usr/local/bin/finfocus-plugin-aws-public
# Probes every regional /healthz with busybox wget (POSIX sh, no extra packages).
COPY --chmod=0755 plugin/healthcheck.sh /healthcheck.sh
ENV FINFOCUS_PLUGIN_WEB_ENABLED=true \
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
ENTRYPOINT ["/usr/local/bin/finfocus-plugin-aws-public", "serve-all", "--bind", "0.0.0.0"]

# ---------------------------------------------------------------------------------------------
# The GitOps controller. It runs `git` for --git sources, hence the one package. The default
# arguments follow a manifests directory mounted at /manifests and serve /healthz, /readyz,
# /metrics and /report on 8080; override them, e.g.
#   run --git https://github.com/ORG/REPO.git --ref main --path manifests --listen 0.0.0.0:8080
FROM docker.io/library/alpine:3.22.1 AS controller
RUN apk add --no-cache git=~2 \
 && addgroup -S -g 10001 finfocus \
 && adduser -S -D -u 10001 -G finfocus -h /home/finfocus -s /sbin/nologin finfocus
COPY --from=controller-build /out/finfocus-ecs-controller /usr/local/bin/finfocus-ecs-controller
USER 10001:10001
WORKDIR /home/finfocus
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["wget", "-q", "-T", "2", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/finfocus-ecs-controller"]
CMD ["run", "--source", "/manifests", "--listen", "0.0.0.0:8080"]
