#!/usr/bin/env bash
# Installs a release of finfocus-ecs for the runner: downloads the archive for RUNNER_ARCH and its
# .sha256, refuses it unless the checksum matches, unpacks it under RUNNER_TEMP and puts it on
# GITHUB_PATH. Output `controller`: the controller's path.
#
# Env: INPUT_VERSION (`0.1.0` or `v0.1.0`; empty: ACTION_REF, the ref the action is used at),
# RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT; FINFOCUS_RELEASES, the base URL
# of the release downloads (a mirror, or a local server in tests; https, or http on loopback only).
set -euo pipefail

fail() {
  echo "::error title=finfocus-ecs install::$*"
  exit 1
}

version=${INPUT_VERSION:-${ACTION_REF:-}}
[ -n "$version" ] || fail "no version: set the action's 'version' input (e.g. 0.1.0)"
version="v${version#v}"
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] ||
  fail "'${version#v}' is not a release version (e.g. 0.1.0); the action is used at '${ACTION_REF:-}', so set its 'version' input"

[ "${RUNNER_OS:-Linux}" = Linux ] || fail "runs on Linux runners only (this one is ${RUNNER_OS})"
case "${RUNNER_ARCH:-}" in
  X64) target=x86_64-unknown-linux-gnu ;;
  ARM64) target=aarch64-unknown-linux-gnu ;;
  *) fail "no release binary for runner architecture '${RUNNER_ARCH:-}' (X64 and ARM64 have one)" ;;
esac

base=${FINFOCUS_RELEASES:-https://github.com/finfocus/finfocus-ecs/releases/download}
base=${base%/}
# A checksum fetched over the same plain-text channel as the archive proves nothing.
[[ $base =~ ^https:// || $base =~ ^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$) ]] ||
  fail "FINFOCUS_RELEASES must be an https URL (or http on loopback): $base"

name="finfocus-ecs-$version-$target"
home="${RUNNER_TEMP:?RUNNER_TEMP is not set}/finfocus-ecs"
dir="$home/$name"
controller="$dir/finfocus-ecs-controller"

if [ ! -x "$controller" ]; then
  work=$(mktemp -d "$RUNNER_TEMP/finfocus-ecs-download.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  for file in "$name.tar.gz" "$name.tar.gz.sha256"; do
    curl --fail --silent --show-error --location --retry 3 --max-time 300 \
      -o "$work/$file" "$base/$version/$file" ||
      fail "downloading $base/$version/$file failed"
  done
  # The .sha256 is `sha256sum` output for the archive: its first field is the digest.
  read -r expected _ <"$work/$name.tar.gz.sha256" || true
  [[ ${expected:-} =~ ^[0-9a-f]{64}$ ]] || fail "$name.tar.gz.sha256 holds no SHA-256 digest"
  actual=$(sha256sum "$work/$name.tar.gz" | cut -d' ' -f1)
  [ "$actual" = "$expected" ] ||
    fail "checksum mismatch for $name.tar.gz: expected $expected, got $actual; nothing installed"
  mkdir -p "$home"
  tar -xzf "$work/$name.tar.gz" -C "$work"
  [ -x "$work/$name/finfocus-ecs-controller" ] || fail "$name.tar.gz has no $name/finfocus-ecs-controller"
  rm -rf "$dir"
  mv "$work/$name" "$dir"
fi

echo "$dir" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
echo "controller=$controller" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
"$controller" --version
