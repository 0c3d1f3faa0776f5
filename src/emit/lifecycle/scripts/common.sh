# shellcheck shell=bash disable=SC2317
# (a library: each step uses some of these functions; shellcheck sees the rest as unreachable)
# Shared by flink-render's lifecycle steps (embedded at build time; runs with the deployment's
# own Flink image, which has bash, coreutils and curl but no jq). A step names the library it
# runs with besides this one in a `# library:` line: steps.sh (the JobManager's hand-over and the
# lifecycle Jobs) or revision.sh (the TaskManagers' side).
#
# Exit codes of every lifecycle Job:
#   0  done, or nothing to do
#   2  the cluster's REST API never became ready
#   3  a step failed (the result names it)
#
# Settings, from the Job's environment: REST_URL, READY_TIMEOUT_SECONDS (overall wait for the
# REST API), READY_SUCCESSES (consecutive answers that count as ready), CONNECT_TIMEOUT_SECONDS
# and REQUEST_TIMEOUT_SECONDS (per request).

readonly EXIT_STEP_FAILED=3
readonly RESPONSE=${FLINK_RENDER_RESPONSE:-/tmp/flink-render-response.json}

log() {
  printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# result KEY VALUE [KEY VALUE]...: the outcome as YAML in /dev/termination-log, where
# `kubectl get pod -o yaml` shows it (.status.containerStatuses[].state.terminated.message).
result() {
  local text="" value
  while (($# >= 2)); do
    value=${2//\\/\\\\}
    value=${value//\"/\\\"}
    value=${value//$'\n'/\\n}
    text+="$1: \"$value\""$'\n'
    shift 2
  done
  printf '%s' "$text" >/dev/termination-log 2>/dev/null || true
  printf '%s' "$text" >&2
}

# fail STEP REASON: record a failed step and stop.
fail() {
  log "$1 failed: $2"
  # the kubelet keeps 4096 bytes of the termination log
  result jobId "${JOB_ID:-}" step "$1" state FAILED reason "${2:0:1500}"
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

# active STATE: whether a job in STATE has not reached a terminal state.
active() {
  case $1 in
    FINISHED | CANCELED | FAILED | SUSPENDED | "") return 1 ;;
    *) return 0 ;;
  esac
}

# config_value KEY: the value of KEY in the configuration on stdin (the JSON of GET
# /jobmanager/config), or nothing.
config_value() {
  grep -o "\"key\":\"$1\",\"value\":\"[^\"]*\"" | head -n 1 | sed 's/.*"value":"\(.*\)"$/\1/'
}

