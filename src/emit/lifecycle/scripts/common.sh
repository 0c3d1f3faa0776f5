# shellcheck shell=bash disable=SC2317
# (SC2317: a library; each step uses some of these functions, so shellcheck sees the rest as unreachable)
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

# active STATE: whether a job in STATE has not reached a terminal state.
active() {
  case $1 in
    FINISHED | CANCELED | FAILED | SUSPENDED | "") return 1 ;;
    *) return 0 ;;
  esac
}

# wait_until_terminal JOB SECONDS: wait for JOB to reach a terminal state; fail after SECONDS.
wait_until_terminal() {
  local deadline=$((SECONDS + $2)) state
  while :; do
    [[ $(request GET "/jobs/$1") == 200 ]] || return 0
    state=$(json_string state <"$RESPONSE")
    active "$state" || return 0
    ((SECONDS < deadline)) || fail wait "job $1 is still $state after ${2}s"
    sleep 1
  done
}

# savepoint_status JOB TRIGGER SECONDS: poll an asynchronous savepoint (or stop) until it
# completes; prints its location, fails on a failure cause or after SECONDS. Called in a command
# substitution, whose subshell `fail` ends: follow the call with `|| exit $?`.
savepoint_status() {
  local deadline=$((SECONDS + $3)) location
  while :; do
    if [[ $(request GET "/jobs/$1/savepoints/$2") == 200 ]] && [[ $(json_string id <"$RESPONSE") == COMPLETED ]]; then
      location=$(json_string location <"$RESPONSE")
      [[ -n $location ]] || fail savepoint "the savepoint of job $1 failed: $(head -c 800 "$RESPONSE")"
      printf '%s' "$location"
      return 0
    fi
    ((SECONDS < deadline)) || fail savepoint "the savepoint of job $1 did not complete within ${3}s"
    sleep 1
  done
}

# all_running JOB: whether JOB and every one of its vertices run (a savepoint needs every task).
all_running() {
  [[ $(request GET "/jobs/$1") == 200 ]] || return 1
  [[ $(json_string state <"$RESPONSE") == RUNNING ]] || return 1
  ! grep -o '"status":"[A-Z_]*"' "$RESPONSE" | grep -qv '"RUNNING"'
}

# latest_retained JOB: the newest retained checkpoint or savepoint of JOB (`latest.completed`
# or `latest.savepoint`, whichever is newer and not discarded), or nothing.
latest_retained() {
  [[ $(request GET "/jobs/$1/checkpoints") == 200 ]] || return 0
  sed 's/"tasks":{}//g' "$RESPONSE" | grep -o '"\(completed\|savepoint\)":{[^{}]*}' |
    grep '"discarded":false' | grep -o '"id":[0-9]*,.*"external_path":"[^"]*"' |
    sed 's/^"id":\([0-9]*\),.*"external_path":"\([^"]*\)"$/\1 \2/' | sort -n | tail -n 1 | cut -d' ' -f2-
}

# running_by_name NAME: the id of a job named NAME that has not reached a terminal state, or
# nothing.
running_by_name() {
  [[ $(request GET /jobs/overview) == 200 ]] || return 0
  grep -o '"jid":"[0-9a-f]*","name":"[^"]*"[^{}]*"state":"[A-Z_]*"' "$RESPONSE" |
    grep -F "\"name\":\"$1\"" | grep -v '"state":"\(FINISHED\|CANCELED\|FAILED\|SUSPENDED\)"' |
    head -n 1 | sed 's/^"jid":"\([0-9a-f]*\)".*/\1/'
}

# stop_by_upgrade_mode JOB: stop JOB as UPGRADE_MODE says (savepoint: with a savepoint into
# SAVEPOINT_DIR in FORMAT_TYPE, once every task runs; otherwise cancel it) and print what a next
# revision restores from: the savepoint, the latest retained checkpoint for last-state, nothing
# for stateless. Called in a command substitution: follow the call with `|| exit $?`.
stop_by_upgrade_mode() {
  local deadline body status restore=""
  if [[ $UPGRADE_MODE == savepoint ]]; then
    deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
    until all_running "$1"; do
      ((SECONDS < deadline)) || fail stop "job $1 did not run with every task within ${STOP_TIMEOUT_SECONDS}s"
      sleep 1
    done
    body="{\"targetDirectory\":\"$SAVEPOINT_DIR\",\"drain\":false,\"formatType\":\"$FORMAT_TYPE\"}"
    status=$(request POST "/jobs/$1/stop" -H 'Content-Type: application/json' --data "$body")
    [[ $status == 202 || $status == 200 ]] || fail stop "POST /jobs/$1/stop answered $status"
    restore=$(savepoint_status "$1" "$(json_string request-id <"$RESPONSE")" "$STOP_TIMEOUT_SECONDS") || exit $?
    wait_until_terminal "$1" 60
  else
    status=$(request PATCH "/jobs/$1?mode=cancel")
    [[ $status == 202 || $status == 200 || $status == 404 || $status == 409 ]] || fail cancel "PATCH /jobs/$1 answered $status"
    wait_until_terminal "$1" "$STOP_TIMEOUT_SECONDS"
    if [[ $UPGRADE_MODE == last-state ]]; then
      restore=$(latest_retained "$1")
    fi
  fi
  printf '%s' "$restore"
}
