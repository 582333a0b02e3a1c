#!/bin/sh
# Container health check of the multi-region plugin image (installed as /healthcheck.sh).
#
# Exits 0 only when every regional /healthz answers 200; otherwise prints the failing ports
# on stderr and exits 1 (2 for a usage error). All ports are probed in parallel, so the whole
# check takes at most one probe timeout (ECS allows 5 s by default).
#
# The probe is the plugin binary's own `healthcheck` subcommand when the binary is present
# (no extra package needed); otherwise wget (busybox or GNU).
#
# Settings (environment):
#   FINFOCUS_HEALTHCHECK_HOST     host to probe                      (default 127.0.0.1)
#   FINFOCUS_HEALTHCHECK_PORTS    space/comma separated port list    (default: 12 ports from the base)
#   FINFOCUS_PLUGIN_BASE_PORT     port of the first region           (default 8001, as serve-all)
#   FINFOCUS_HEALTHCHECK_TIMEOUT  whole seconds per probe            (default 2)
#   FINFOCUS_HEALTHCHECK_BIN      plugin binary                      (default /usr/local/bin/finfocus-plugin-aws-public)
set -u

host=${FINFOCUS_HEALTHCHECK_HOST:-127.0.0.1}
base=${FINFOCUS_PLUGIN_BASE_PORT:-8001}
timeout=${FINFOCUS_HEALTHCHECK_TIMEOUT:-2}
bin=${FINFOCUS_HEALTHCHECK_BIN:-/usr/local/bin/finfocus-plugin-aws-public}

case $base in
  '' | *[!0-9]*) echo "healthcheck: FINFOCUS_PLUGIN_BASE_PORT must be a number" >&2; exit 2 ;;
esac
case $timeout in
  '' | *[!0-9]*) echo "healthcheck: FINFOCUS_HEALTHCHECK_TIMEOUT must be whole seconds" >&2; exit 2 ;;
esac

if [ -n "${FINFOCUS_HEALTHCHECK_PORTS:-}" ]; then
  ports=$(printf '%s' "$FINFOCUS_HEALTHCHECK_PORTS" | tr ',' ' ')
else
  ports=""
  i=0
  while [ "$i" -lt 12 ]; do
    ports="$ports $((base + i))"
    i=$((i + 1))
  done
fi
for port in $ports; do
  case $port in
    *[!0-9]*) echo "healthcheck: invalid port '$port'" >&2; exit 2 ;;
  esac
done
[ -n "$(printf '%s' "$ports" | tr -d ' ')" ] || { echo "healthcheck: no ports to check" >&2; exit 2; }

if [ -x "$bin" ]; then
  # $ports is deliberately unquoted: echo joins the words with single spaces.
  # shellcheck disable=SC2086
  out=$("$bin" healthcheck --host "$host" --ports "$(echo $ports)" --timeout "${timeout}s" 2>&1)
  status=$?
  if [ "$status" -ne 0 ]; then
    # One line per unhealthy port; anything else (a usage error) is shown whole.
    lines=$(printf '%s\n' "$out" | grep '^healthcheck:')
    printf '%s\n' "${lines:-$out}" >&2
  fi
  exit "$status"
fi

command -v wget >/dev/null 2>&1 || { echo "healthcheck: neither $bin nor wget found" >&2; exit 2; }
# GNU wget retries failed reads up to 20 times; busybox wget has no retries (and no -t).
tries=""
if wget --help 2>&1 | grep -q -- '--tries'; then
  tries="-t 1"
fi

probes=""
for port in $ports; do
  # $tries is deliberately unquoted: empty or two words.
  # shellcheck disable=SC2086
  wget -q $tries -T "$timeout" -O /dev/null "http://$host:$port/healthz" 2>/dev/null &
  probes="$probes $!:$port"
done

status=0
for probe in $probes; do
  pid=${probe%%:*}
  port=${probe#*:}
  if ! wait "$pid"; then
    echo "healthcheck: http://$host:$port/healthz is not healthy" >&2
    status=1
  fi
done
exit "$status"
