# shellcheck shell=bash
# Shared by flink-render's lifecycle Jobs (embedded at build time; runs with the deployment's
# own Flink image, which has bash, coreutils and curl but no jq).
#
# Exit codes of every lifecycle Job:
#   0  done, or nothing to do
#   2  the cluster's REST API never became ready
#   3  a step failed (the result names it)
#
# Settings, from the Job's environment: REST_URL, READY_TIMEOUT_SECONDS (overall wait for the
# REST API), READY_SUCCESSES (consecutive answers that count as ready), CONNECT_TIMEOUT_SECONDS
# and REQUEST_TIMEOUT_SECONDS (per request).

readonly EXIT_NEVER_READY=2
readonly EXIT_STEP_FAILED=3
readonly RESPONSE=/tmp/flink-render-response.json

log() {
  printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# result KEY VALUE [KEY VALUE]...: the outcome as YAML in /dev/termination-log, where
# `kubectl get pod -o yaml` shows it (.status.containerStatuses[].state.terminated.message).
result() {
  local text=""
  while (($# >= 2)); do
    text+="$1: \"$2\""$'\n'
    shift 2
  done
  printf '%s' "$text" >/dev/termination-log 2>/dev/null || true
  printf '%s' "$text" >&2
}

# fail STEP REASON: record a failed step and stop.
fail() {
  log "$1 failed: $2"
  result jobId "${JOB_ID:-}" step "$1" state FAILED reason "$2"
  exit "$EXIT_STEP_FAILED"
}

# json_string NAME: the first string value of "NAME" in the JSON on stdin.
json_string() {
  grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/'
}

# request METHOD PATH [CURL ARGS]...: the response body goes to $RESPONSE, the HTTP status
# (000 when nothing answered) to stdout.
request() {
  local method=$1 path=$2
  shift 2
  curl -sS --connect-timeout "$CONNECT_TIMEOUT_SECONDS" --max-time "$REQUEST_TIMEOUT_SECONDS" \
    -o "$RESPONSE" -w '%{http_code}' -X "$method" "$@" "$REST_URL$path" 2>/dev/null || true
}

# wait_for_rest: READY_SUCCESSES answers in a row from GET /overview before
# READY_TIMEOUT_SECONDS have passed; exit 2 otherwise.
wait_for_rest() {
  local deadline=$((SECONDS + READY_TIMEOUT_SECONDS)) successes=0
  while ((successes < READY_SUCCESSES)); do
    if ((SECONDS >= deadline)); then
      log "the REST API at $REST_URL did not become ready within ${READY_TIMEOUT_SECONDS}s"
      result jobId "${JOB_ID:-}" state NEVER_READY
      exit "$EXIT_NEVER_READY"
    fi
    if [[ $(request GET /overview) == 200 ]]; then
      successes=$((successes + 1))
      sleep 1
    else
      successes=0
      sleep 2
    fi
  done
  log "the REST API at $REST_URL is ready"
}
