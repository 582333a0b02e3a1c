#!/usr/bin/env bash
# Keeps one pull-request comment per marker: finds the comment that carries MARKER among the pull
# request's comments (every page) and updates it, or creates it. Output `comment-url`.
#
# Env: INPUT_COMMENT (`true` to comment), GITHUB_TOKEN, BODY_FILE, MARKER, GITHUB_EVENT_NAME,
# GITHUB_EVENT_PATH, GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_OUTPUT.
# A failed comment is a warning: the plan is in the job summary either way.
set -euo pipefail

if [ "${INPUT_COMMENT:-true}" != true ]; then
  exit 0
fi
case "${GITHUB_EVENT_NAME:-}" in
  pull_request | pull_request_target) ;;
  *)
    echo "finfocus-ecs: not a pull request (${GITHUB_EVENT_NAME:-no event}): no comment"
    exit 0
    ;;
esac
[ -s "${BODY_FILE:-}" ] || {
  echo "::warning title=finfocus-ecs comment::nothing to comment (the run step wrote no body)"
  exit 0
}
number=$(jq -r '.pull_request.number // empty' "${GITHUB_EVENT_PATH:?GITHUB_EVENT_PATH is not set}")
[[ $number =~ ^[0-9]+$ ]] || {
  echo "::warning title=finfocus-ecs comment::the event names no pull request: no comment"
  exit 0
}
api="${GITHUB_API_URL:-https://api.github.com}"
repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
[ -n "${GITHUB_TOKEN:-}" ] || {
  echo "::warning title=finfocus-ecs comment::no github-token: no comment"
  exit 0
}

# GitHub refuses comment bodies over 65,536 characters; the job summary keeps the whole plan.
limit=60000
body=$(cat "$BODY_FILE")
if [ "${#body}" -gt "$limit" ]; then
  body="${body:0:$limit}

… cut at $limit characters: the whole result is in the job summary."
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The token goes to curl in a header file, never on a command line other processes can read.
printf 'Authorization: Bearer %s\n' "$GITHUB_TOKEN" >"$scratch/auth"

github() {
  local method=$1 url=$2 data=${3:-}
  local args=(--silent --show-error --location --retry 3 --max-time 60 -X "$method"
    -H @"$scratch/auth"
    -H "Accept: application/vnd.github+json"
    -H "X-GitHub-Api-Version: 2022-11-28"
    -H "User-Agent: finfocus-ecs-action"
    -o "$scratch/answer" -w '%{http_code}')
  if [ -n "$data" ]; then
    args+=(-H "Content-Type: application/json" --data-binary @"$data")
  fi
  local status
  status=$(curl "${args[@]}" "$url") || status=000
  case "$status" in
    2??) return 0 ;;
    *)
      echo "::warning title=finfocus-ecs comment::$method $url answered $status: $(head -c 300 "$scratch/answer" 2>/dev/null)"
      return 1
      ;;
  esac
}

# The first comment (oldest first) that carries the marker, looked for on every page.
id=""
page=1
while [ -z "$id" ]; do
  github GET "$api/repos/$repo/issues/$number/comments?per_page=100&page=$page" || exit 0
  id=$(jq -r --arg marker "$MARKER" \
    'first(.[] | select(.body != null and (.body | contains($marker))) | .id) // empty' "$scratch/answer")
  [ "$(jq 'length' "$scratch/answer")" -eq 100 ] || break
  page=$((page + 1))
done

jq -n --arg body "$body" '{body: $body}' >"$scratch/request.json"
if [ -n "$id" ]; then
  github PATCH "$api/repos/$repo/issues/comments/$id" "$scratch/request.json" || exit 0
  verb=updated
else
  github POST "$api/repos/$repo/issues/$number/comments" "$scratch/request.json" || exit 0
  verb=created
fi
url=$(jq -r '.html_url // empty' "$scratch/answer")
echo "comment-url=$url" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
echo "finfocus-ecs: $verb $url"
