#!/usr/bin/env bash
# Runs the action's command and turns its answer into a comment body, the job summary and outputs.
# Never fails the step itself: output `failed` says why the action fails, after the comment step.
#
# Env: INPUT_COMMAND (plan|verify|apply), INPUT_PATH (files or directories, separated by
# whitespace), INPUT_MAX_COST_INCREASE, INPUT_ARGS (more arguments, split on whitespace; with
# `apply`, --wait, --timeout and --wait-until go to the apply alone, the rest to its plan too),
# FINFOCUS_CONTROLLER (default: on PATH), RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, and the
# default GITHUB_* variables for the comment's footer.
# Outputs: exit-code, changes, cost-delta, failed, body (a file), marker (the comment's hidden key).
set -euo pipefail

controller=${FINFOCUS_CONTROLLER:-finfocus-ecs-controller}
command=${INPUT_COMMAND:-plan}
out=$(mktemp -d "${RUNNER_TEMP:?RUNNER_TEMP is not set}/finfocus-ecs-run.XXXXXX")
output() { echo "$1=$2" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"; }

case "$command" in
  plan | verify | apply) ;;
  *)
    output failed "command must be plan, verify or apply, not '$command'"
    exit 0
    ;;
esac
# Word splitting is what separates the paths and arguments; globbing is not wanted.
set -f
# shellcheck disable=SC2206
paths=(${INPUT_PATH:-manifests})
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-})
set +f
[ ${#paths[@]} -gt 0 ] || paths=(manifests)
# `apply` runs a plan first: the flags only `apply` knows (following the rollouts) are kept for it.
planned=() waiting=()
for ((i = 0; i < ${#extra[@]}; i++)); do
  case "${extra[i]}" in
    --wait | --timeout=* | --wait-until=*) waiting+=("${extra[i]}") ;;
    --timeout | --wait-until)
      waiting+=("${extra[i]}" "${extra[i + 1]:-}")
      i=$((i + 1))
      ;;
    *) planned+=("${extra[i]}") ;;
  esac
done
files=()
for p in "${paths[@]}"; do files+=(-f "$p"); done
limit=()
if [ -n "${INPUT_MAX_COST_INCREASE:-}" ]; then
  [[ $INPUT_MAX_COST_INCREASE =~ ^[0-9]+(\.[0-9]+)?$ ]] || {
    output failed "max-cost-increase must be a number of USD, not '$INPUT_MAX_COST_INCREASE'"
    exit 0
  }
  [ "$command" = verify ] || limit=(--max-cost-increase "$INPUT_MAX_COST_INCREASE")
fi
revision=()
[ -z "${GITHUB_SHA:-}" ] || revision=(--revision "$GITHUB_SHA")

# The command's stderr goes to the log, and its error and warning lines into the body.
run() {
  local code=0
  "$@" 2>"$out/last.err" || code=$?
  cat "$out/last.err" >&2
  cat "$out/last.err" >>"$out/stderr"
  return "$code"
}

# The plan as Markdown for the body and JSON for the outputs, from one run.
plan() {
  run "$controller" plan "${files[@]}" -o markdown --report "$out/report.json" \
    "${revision[@]}" "${limit[@]}" "$@" >"$out/result.md"
}

code=0
case "$command" in
  verify)
    run "$controller" verify "${files[@]}" -o markdown --report "$out/report.json" "${extra[@]}" \
      >"$out/result.md" || code=$?
    ;;
  plan)
    plan "${extra[@]}" || code=$?
    ;;
  apply)
    # The plan first: it is what the comment shows, and its cost gate stops the apply.
    plan "${planned[@]}" || code=$?
    if [ "$code" -eq 0 ] || { [ "$code" -eq 2 ] && [ -s "$out/report.json" ]; }; then
      code=0
      run "$controller" apply "${files[@]}" "${planned[@]}" "${waiting[@]}" >"$out/apply.txt" || code=$?
      cp "$out/last.err" "$out/apply.err"
    fi
    ;;
esac

# Usage errors exit 2 too; a command that ran has written its report.
refused=false
if [ "$code" -eq 2 ] && [ ! -s "$out/report.json" ]; then
  refused=true
fi

changes="" delta=""
if [ -s "$out/report.json" ]; then
  if [ "$command" = verify ]; then
    changes=$(jq -r '.summary.problems' "$out/report.json")
  else
    changes=$(jq -r '[.resources[] | select(any(.changes[]; .action != "noOp"))] | length' "$out/report.json")
    delta=$(jq -r '.summary.cost.delta // empty' "$out/report.json")
  fi
fi

failed=""
case "$refused:$command:$code" in
  true:*) failed="$command refused its arguments (see the log)" ;;
  *:plan:0 | *:plan:2 | *:verify:0 | *:apply:0) ;;
  *:3) failed="the plan raises the monthly cost by $delta USD, above max-cost-increase $INPUT_MAX_COST_INCREASE" ;;
  *:verify:2) failed="verify found $changes problem(s)" ;;
  *:apply:*)
    if [ -s "$out/apply.txt" ]; then
      failed="apply did not converge (exit $code)"
    else
      failed="plan failed (exit $code)"
    fi
    ;;
  *) failed="$command failed (exit $code)" ;;
esac

case "$refused:$command:$code" in
  false:plan:0 | false:apply:0) verdict="✅ exit $code" ;;
  false:plan:2) verdict="📝 exit 2: changes to apply" ;;
  false:verify:0) verdict="✅ exit 0: no problems" ;;
  *) verdict="❌ exit $code: $failed" ;;
esac

# The hidden marker keys the sticky comment: one per command and path, so a plan and a verify
# of the same pull request keep a comment each.
marker="<!-- finfocus-ecs:$command:${paths[*]} -->"
body="$out/body.md"
{
  echo "$marker"
  echo "## finfocus-ecs \`$command\` of \`${paths[*]}\`"
  echo
  echo "$verdict"
  echo
  cat "$out/result.md"
  if grep -qE '^(error|warning): ' "$out/stderr" 2>/dev/null; then
    echo
    echo '```text'
    grep -E '^(error|warning): ' "$out/stderr" | head -n 50
    echo '```'
  fi
  if [ -s "$out/apply.txt" ]; then
    echo
    echo "<details><summary>apply</summary>"
    echo
    echo '```text'
    cat "$out/apply.txt"
    if [ "$code" -ne 0 ]; then
      # Why it failed: a rollout's end is on stderr, after its progress lines.
      tail -n 20 "$out/apply.err"
    fi
    echo '```'
    echo "</details>"
  fi
  echo
  footer="${GITHUB_SHA:+commit ${GITHUB_SHA:0:12}}"
  if [ -n "${GITHUB_RUN_ID:-}" ]; then
    footer="$footer${footer:+ · }[run ${GITHUB_RUN_ID}](${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID})"
  fi
  [ -z "$footer" ] || echo "<sub>$footer</sub>"
} >"$body"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  # The summary has no use for the marker.
  tail -n +2 "$body" >>"$GITHUB_STEP_SUMMARY"
fi

output exit-code "$code"
output changes "$changes"
output cost-delta "$delta"
output failed "$failed"
output body "$body"
output marker "$marker"
echo "finfocus-ecs $command: exit $code, changes ${changes:-?}, cost delta ${delta:-unpriced}"
