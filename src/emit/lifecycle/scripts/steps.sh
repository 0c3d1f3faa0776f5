# shellcheck shell=bash disable=SC2317
# (a library: each step uses some of these functions; shellcheck sees the rest as unreachable)
# The JobManager's hand-over and the lifecycle Jobs (handoff.sh, savepoint.sh, submit.sh,
# stop.sh), after common.sh: waiting for the REST API and for jobs, savepoints, the checkpoint a
# next revision restores from, and stopping a job by its upgrade mode.

readonly EXIT_NEVER_READY=2

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

# duration_ms TEXT: a Flink duration (`3 s`, `3000`, `1min`, as Flink's TimeUtils reads them; a
# bare number is milliseconds) in milliseconds, or nothing when it cannot be read (`µs` among
# them: the programs stay ASCII).
duration_ms() {
  local text=${1// /} number unit
  text=${text,,}
  [[ $text =~ ^([0-9]+)([a-z]*)$ ]] || return 0
  number=$((10#${BASH_REMATCH[1]})) unit=${BASH_REMATCH[2]}
  case $unit in
    ns | nano | nanos | nanosecond | nanoseconds) printf '%s' $(((number + 999999) / 1000000)) ;;
    us | micro | micros | microsecond | microseconds) printf '%s' $(((number + 999) / 1000)) ;;
    "" | ms | milli | millis | millisecond | milliseconds) printf '%s' "$number" ;;
    s | sec | secs | second | seconds) printf '%s' $((number * 1000)) ;;
    m | min | minute | minutes) printf '%s' $((number * 60000)) ;;
    h | hour | hours) printf '%s' $((number * 3600000)) ;;
    d | day | days) printf '%s' $((number * 86400000)) ;;
  esac
}

# stats_cache_ms: how long the REST API may answer checkpoint statistics from its per-job cache:
# `rest.cache.checkpoint-statistics.timeout`, which defaults to `web.refresh-interval`, which
# defaults to 3 s, as the running JobManager is configured.
stats_cache_ms() {
  local config key text ms
  [[ $(request GET /jobmanager/config) == 200 ]] || fail lookup "GET /jobmanager/config failed"
  config=$(cat "$RESPONSE")
  for key in rest.cache.checkpoint-statistics.timeout web.refresh-interval; do
    text=$(config_value "$key" <<<"$config")
    [[ -n $text ]] || continue
    ms=$(duration_ms "$text")
    [[ -n $ms ]] || fail lookup "cannot read $key: $text"
    printf '%s' "$ms"
    return 0
  done
  printf '3000'
}

# checkpoint_points: from the checkpoint statistics on stdin (GET /jobs/<id>/checkpoints), a line
# `ID KIND PATH` for each state of the job with a location, oldest first: KIND `kept` for a
# completed checkpoint or savepoint Flink has not discarded, `discarded` for one it has,
# `restored` for the one the job started from. A checkpoint kept only in the JobManager's memory
# (`<checkpoint-not-externally-addressable>`) has no location.
checkpoint_points() {
  local entry id kind
  sed 's/"tasks":{[^{}]*}//g' | grep -o '{[^{}]*"external_path":"[^"<]*"[^{}]*}' |
    while IFS= read -r entry; do
      id=$(grep -o '[{,]"id":[0-9]*' <<<"$entry" | head -n 1 | grep -o '[0-9]*$')
      if [[ $entry == *'"restore_timestamp"'* ]]; then
        kind=restored
      elif [[ $entry == *'"status":"COMPLETED"'* && $entry == *'"discarded":false'* ]]; then
        kind=kept
      elif [[ $entry == *'"status":"COMPLETED"'* ]]; then
        kind=discarded
      else
        continue
      fi
      [[ -n $id ]] && printf '%s %s %s\n' "$id" "$kind" "$(json_string external_path <<<"$entry")"
    done | sort -n -u
}

# newest_completed JOB: the id of the newest checkpoint or savepoint JOB reports completed now,
# or nothing. Read while the job runs, the answer may come from the statistics cache: a lower
# bound for what a restore must reach.
newest_completed() {
  [[ $(request GET "/jobs/$1/checkpoints") == 200 ]] || return 0
  checkpoint_points <"$RESPONSE" | grep -v ' restored ' | tail -n 1 | cut -d' ' -f1
}

# restore_point JOB SEEN: where the next revision restores JOB from, once JOB has reached a
# terminal state: the newest checkpoint or savepoint it completed and kept, else the state it
# started from. Sets RESTORE (the location) and RESTORE_REASON.
#
# Flink answers GET /jobs/<id>/checkpoints from a per-job cache (`stats_cache_ms`): after any
# read in the seconds before the job ended (this step's own, the web UI's, a monitor's) it can
# still list a checkpoint as the newest when newer ones completed since, the newest one not at
# all, and its entries marked discarded as they were subsumed. So the statistics are read once
# that cache has expired since the job ended, when they are final, and cross-checked: the newest
# completed checkpoint must be kept, and not older than SEEN (`newest_completed` before the job
# was stopped). A job that completed checkpoints and has none to hand over fails the step (exit
# 3, nothing is deleted); only a job that never completed one starts the next revision empty.
restore_point() {
  local job=$1 seen=${2:-} wait_ms points newest chosen count
  wait_ms=$(stats_cache_ms) || exit $?
  log "job $job has ended: reading its checkpoints after the statistics cache (${wait_ms} ms) has expired"
  sleep $(((wait_ms + 999) / 1000 + 1))
  [[ $(request GET "/jobs/$job/checkpoints") == 200 ]] || fail checkpoints "GET /jobs/$job/checkpoints failed"
  count=$(grep -o '"counts":{[^{}]*}' "$RESPONSE" | grep -o '"completed":[0-9]*' | grep -o '[0-9]*$')
  points=$(checkpoint_points <"$RESPONSE")
  log "checkpoints of job $job: ${count:-0} completed; ${points//$'\n'/; }"
  newest=$(grep -v ' restored ' <<<"$points" | tail -n 1)
  if [[ $newest == *' discarded '* ]]; then
    fail checkpoints "the newest checkpoint of job $job (${newest%% *}) is discarded: nothing kept to restore from (execution.checkpointing.externalized-checkpoint-retention must retain checkpoints on cancellation)"
  fi
  chosen=$(grep -v ' discarded ' <<<"$points" | grep . | tail -n 1)
  if [[ -z $chosen ]]; then
    if [[ ${count:-0} != 0 || -n $seen ]]; then
      fail checkpoints "job $job completed ${count:-0} checkpoint(s)${seen:+ (the newest seen: $seen)} but lists none to restore from"
    fi
    RESTORE="" RESTORE_REASON="job $job completed no checkpoint: the next one starts empty"
    return 0
  fi
  if [[ -n $seen ]] && ((${chosen%% *} < seen)); then
    fail checkpoints "the statistics of job $job name checkpoint ${chosen%% *}, older than checkpoint $seen it had completed"
  fi
  RESTORE=${chosen#* * }
  case $chosen in
    *' restored '*) RESTORE_REASON="job $job completed no checkpoint after the state it started from (${chosen%% *})" ;;
    *) RESTORE_REASON="its latest retained checkpoint (${chosen%% *})" ;;
  esac
}

# running_by_name NAME: the id of a job named NAME that has not reached a terminal state, or
# nothing.
running_by_name() {
  [[ $(request GET /jobs/overview) == 200 ]] || return 0
  grep -o '"jid":"[0-9a-f]*","name":"[^"]*"[^{}]*"state":"[A-Z_]*"' "$RESPONSE" |
    grep -F "\"name\":\"$1\"" | grep -v '"state":"\(FINISHED\|CANCELED\|FAILED\|SUSPENDED\)"' |
    head -n 1 | sed 's/^"jid":"\([0-9a-f]*\)".*/\1/'
}

# taskmanagers_gone SECONDS: wait until the running JobManager has no TaskManager registered. Its
# TaskManagers leave once its job has ended (serve.sh), so that none is left to register with
# this revision's JobManager when that one goes; after SECONDS, go on (TaskManagers rendered
# before serve.sh existed stay until the rollout deletes them). In native mode
# (NATIVE_TASKMANAGERS: the label selector of the cluster's TaskManager pods), the JobManager
# created its TaskManagers, which outlive it (their owner is the Deployment), and the next
# JobManager would take them over with their pod spec: they are deleted first, and the wait
# lasts until no such pod is left.
taskmanagers_gone() {
  local deadline=$((SECONDS + $1))
  [[ -n ${NATIVE_TASKMANAGERS:-} ]] && delete_taskmanager_pods "$deadline"
  while [[ $(request GET /taskmanagers) == 200 ]] && ! grep -q '"taskmanagers":\[\]' "$RESPONSE"; do
    if ((SECONDS >= deadline)); then
      log "TaskManagers are still registered with the running JobManager after ${1}s: going on"
      return 0
    fi
    sleep 1
  done
  log "the running JobManager has no TaskManager left"
}

# delete_taskmanager_pods DEADLINE: delete the pods NATIVE_TASKMANAGERS selects and wait until
# none is left (or SECONDS reaches DEADLINE).
delete_taskmanager_pods() {
  local deadline=$1 namespace status names name query
  namespace=$(cat "$ACCOUNT/namespace" 2>/dev/null) ||
    fail native "no service-account credentials in $ACCOUNT: a native JobManager needs the pod's token"
  query="labelSelector=$(sed 's/=/%3D/g; s/,/%2C/g' <<<"$NATIVE_TASKMANAGERS")"
  while :; do
    status=$(kube GET "/api/v1/namespaces/$namespace/pods?$query")
    if [[ $status == 000 ]] && ((SECONDS < deadline)); then
      sleep 1 # no answer (the API server unreachable for a moment): ask again
      continue
    fi
    [[ $status == 200 ]] || fail native "GET pods?$query answered $status: $(head -c 300 "$RESPONSE")"
    names=$(grep -o '"name":[[:space:]]*"[^"]*-taskmanager-[0-9]*-[0-9]*"' "$RESPONSE" | sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
    [[ -n $names ]] || break
    for name in $names; do
      status=$(kube DELETE "/api/v1/namespaces/$namespace/pods/$name")
      [[ $status == 200 || $status == 202 || $status == 404 || $status == 000 ]] ||
        fail native "DELETE pods/$name answered $status: $(head -c 300 "$RESPONSE")"
    done
    log "deleted the TaskManager pods $(tr '\n' ' ' <<<"$names")"
    if ((SECONDS >= deadline)); then
      log "TaskManager pods are still there: going on"
      return 0
    fi
    sleep 1
  done
  log "no TaskManager pod is left"
}

# stop_by_upgrade_mode JOB: stop JOB as UPGRADE_MODE says (savepoint: with a savepoint into
# SAVEPOINT_DIR in FORMAT_TYPE, once every task runs; otherwise cancel it) and print what a next
# revision restores from: the savepoint, the latest retained checkpoint for last-state, nothing
# for stateless. Called in a command substitution: follow the call with `|| exit $?`.
stop_by_upgrade_mode() {
  local deadline body status seen restore=""
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
    seen=$(newest_completed "$1")
    status=$(request PATCH "/jobs/$1?mode=cancel")
    [[ $status == 202 || $status == 200 || $status == 404 || $status == 409 ]] || fail cancel "PATCH /jobs/$1 answered $status"
    wait_until_terminal "$1" "$STOP_TIMEOUT_SECONDS"
    if [[ $UPGRADE_MODE == last-state ]]; then
      restore_point "$1" "$seen"
      log "job $1: $RESTORE_REASON"
      restore=$RESTORE
    fi
  fi
  printf '%s' "$restore"
}

# Kubernetes HA keeps what a JobManager recovers in ConfigMaps, which the pod's own service
# account reads and writes (the rendered Role): the API as in-cluster clients reach it.
readonly ACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount

# kube METHOD PATH [CURL ARGS]...: a request to the Kubernetes API with the pod's token; the
# body goes to $RESPONSE, the HTTP status (000 when nothing answered) to stdout.
kube() {
  local method=$1 path=$2 host=${KUBERNETES_SERVICE_HOST:-kubernetes.default.svc}
  shift 2
  [[ $host == *:* ]] && host="[$host]"
  curl -sS --connect-timeout "$CONNECT_TIMEOUT_SECONDS" --max-time "$REQUEST_TIMEOUT_SECONDS" \
    --cacert "$ACCOUNT/ca.crt" -H "Authorization: Bearer $(cat "$ACCOUNT/token" 2>/dev/null)" \
    -o "$RESPONSE" -w '%{http_code}' -X "$method" "$@" \
    "https://$host:${KUBERNETES_SERVICE_PORT:-443}$path" 2>/dev/null || true
}

# clear_job_graphs: remove every stored job graph (`jobGraph-<id>` in Flink 1.x,
# `executionPlan-<id>` in 2.x) from the Kubernetes HA ConfigMap HA_CONFIG_MAP, keeping the
# checkpoints and the leader entries, as the operator does before every deploy with HA
# (FlinkUtils#deleteJobGraphInKubernetesHA): a JobManager that finds no graph runs this
# revision's job under the same id, restoring the latest checkpoint HA keeps for that id, where
# it would otherwise recover the previous revision's graph. Flink does not watch these entries,
# so a JobManager still running the job is not disturbed.
clear_job_graphs() {
  local namespace status keys body="" key
  namespace=$(cat "$ACCOUNT/namespace" 2>/dev/null) ||
    fail ha "no service-account credentials in $ACCOUNT: Kubernetes HA needs the pod's token"
  status=$(kube GET "/api/v1/namespaces/$namespace/configmaps/$HA_CONFIG_MAP")
  [[ $status == 404 ]] && return 0
  [[ $status == 200 ]] || fail ha "GET configmaps/$HA_CONFIG_MAP answered $status: $(head -c 300 "$RESPONSE")"
  keys=$(grep -o '"\(jobGraph\|executionPlan\)-[0-9a-f]*"' "$RESPONSE" | sort -u)
  [[ -n $keys ]] || return 0
  for key in $keys; do
    body+="${body:+,}$key:null"
  done
  status=$(kube PATCH "/api/v1/namespaces/$namespace/configmaps/$HA_CONFIG_MAP" \
    -H 'Content-Type: application/merge-patch+json' --data "{\"data\":{$body}}")
  [[ $status == 200 || $status == 404 ]] ||
    fail ha "PATCH configmaps/$HA_CONFIG_MAP answered $status: $(head -c 300 "$RESPONSE")"
  log "removed the stored job graphs from $HA_CONFIG_MAP: $(tr -d '"' <<<"$keys" | tr '\n' ' ')"
}
