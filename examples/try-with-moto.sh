#!/usr/bin/env bash
# Runs the controller against the local AWS emulator with an example repository and prints what it did.
#
#   scripts/setup                         # once: installs the emulator into .venv
#   cargo build -p finfocus-ecs-controller
#   examples/try-with-moto.sh [examples/hello]
#
# The emulator checks that subnets and security groups exist, so the example's placeholder ids are
# replaced with those of the emulator's default VPC in a temporary copy. Everything started here is
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
example=${1:-examples/hello}
bin=${FINFOCUS_BIN:-${CARGO_TARGET_DIR:-target}/debug/finfocus-ecs-controller}
venv=${FINFOCUS_VENV:-.venv}
[ -x "$bin" ] || { echo "build first: cargo build -p finfocus-ecs-controller ($bin missing)" >&2; exit 1; }
[ -x "$venv/bin/moto_server" ] || { echo "run scripts/setup first" >&2; exit 1; }

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url, seconds
  for _ in $(seq $(( $2 * 10 ))); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "no answer from $1 within $2s" >&2; return 1
}

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# The same start-up (free loopback port, readiness, AWS_* for the emulator) as the test command.
eval "$(FINFOCUS_VENV="$venv" FINFOCUS_EMULATOR_LOG="$work/moto.log" scripts/emulator start)"
pids+=("$FINFOCUS_EMULATOR_PID")
export AWS_REGION=us-east-1
read -r subnet sg < <("$venv/bin/python" - <<'PY'
import boto3
ec2 = boto3.client("ec2", region_name="us-east-1")
print(ec2.describe_subnets()["Subnets"][0]["SubnetId"],
      ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"])
PY
)
mkdir -p "$work/manifests"
for f in "$example"/*.yaml; do
  sed -e "s/subnet-0123456789abcdef0/$subnet/g" -e "s/sg-0123456789abcdef0/$sg/g" "$f" >"$work/manifests/$(basename "$f")"
done

port=$(free_port)
"$bin" validate -f "$work/manifests"
FINFOCUS_LOG=${FINFOCUS_LOG:-info} "$bin" run --source "$work/manifests" --listen "127.0.0.1:$port" \
  2>"$work/controller.log" &
pids+=($!)
wait_http "http://127.0.0.1:$port/readyz" 60
# The first passes apply; a later pass, with nothing left applying, reports the result.
for _ in $(seq 100); do
  report=$(curl -fs "http://127.0.0.1:$port/report?format=text")
  grep -qE '[0-9]+ in sync, 0 drifted, 0 missing, 0 error' <<<"$report" &&
    ! grep -q '^Applying ' <<<"$report" && break
  sleep 0.2
done
echo "--- /report?format=text"
echo "$report"
echo "--- /metrics (AWS calls)"
curl -fs "http://127.0.0.1:$port/metrics" | grep '^finfocus_controller_aws_api_calls_total' || true
