# shellcheck shell=bash
# library: steps.sh (run after common.sh and it)
# The JobManager's init container (DESIGN §5): before this revision's JobManager starts, hand the
# state over from the one that runs now, which the `<name>-rest` Service still reaches (a new
# pod is not ready while its init container runs). By upgrade mode (FO §7.1):
#   savepoint   stop the running job with a savepoint and start from it; a failed stop leaves
#               the old job running and this pod never ready, so the rollout stops visibly;
#   last-state  with HA and the same job id, leave the job running (its stored graph goes: see
#               `handed_over`): the new JobManager runs this revision's job under that id and
#               HA restores its latest checkpoint; else cancel it and
#               start from its latest retained checkpoint, read once final (common.sh's
#               `restore_point`: a job that completed checkpoints and has none to hand over
#               fails this step, and only one that never completed any starts empty);
#   stateless   cancel it and start empty.
# A JobManager parked by a suspend (session mode, no job) hands over the savepoint it keeps in
# its configuration (`flink-render.handoff.savepoint`). With no JobManager running, this is the
# first start: `initialSavepointPath`, if any; and so is a new `savepointRedeployNonce` (the
# running JobManager has the last one in its configuration), after the running job is cancelled.
# Once a job is stopped, this waits for the old TaskManagers to leave the old JobManager (they do
# when their job ends: serve.sh), so that none registers with this revision's JobManager. The
# result goes to $HANDOFF/restore for the main container, and as YAML to /dev/termination-log.
#
# Settings, from the environment (besides common.sh's): JOB_ID (empty when suspending),
# UPGRADE_MODE, HIGH_AVAILABILITY (true or false), HA_CONFIG_MAP (Kubernetes HA only: the
# ConfigMap holding the job graphs), JOB_RESULT_STORE (HA only), SAVEPOINT_DIR, FORMAT_TYPE,
# INITIAL_SAVEPOINT, REDEPLOY_NONCE (the spec's savepointRedeployNonce, or empty),
# HANDOFF (a directory shared with the main container), PROBE_ATTEMPTS, STOP_TIMEOUT_SECONDS,
# RELEASE_TIMEOUT_SECONDS (how long to wait for the old TaskManagers to leave),
# NATIVE_TASKMANAGERS (native mode only: the label selector of the cluster's TaskManager pods,
# which the hand-over deletes once their job has stopped: steps.sh's `taskmanagers_gone`).

set -u

readonly PARKED_KEY=flink-render.handoff.savepoint
readonly REDEPLOY_KEY=flink-render.savepoint-redeploy-nonce
seen="" store=""

# handed_over PATH REASON: record where the new JobManager restores from (PATH may be empty).
# With Kubernetes HA, the stored job graphs go first (steps.sh's `clear_job_graphs`), on every
# path: a job stopped on the way has none left, one that keeps its id must not be recovered
# with its old graph, and a first start must not recover a graph an earlier cluster of this
# name left behind. With HA, the JobManager also gets its job result store ($HANDOFF/job-result-
# store): the running JobManager's when it recovers the running job, else a new directory below
# JOB_RESULT_STORE. Flink refuses to run a job id its store lists as ended, and a resume runs
# the id the suspend stopped (as the operator does, each deploy gets a store of its own).
handed_over() {
  [[ -n ${HA_CONFIG_MAP:-} ]] && clear_job_graphs
  if [[ -n ${JOB_RESULT_STORE:-} ]]; then
    printf '%s' "${store:-$JOB_RESULT_STORE/$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}" >"$HANDOFF/job-result-store"
  fi
  printf '%s' "$1" >"$HANDOFF/restore"
  log "restore from: ${1:-nothing} ($2)"
  result jobId "$JOB_ID" restore "$1" reason "$2"
  exit 0
}

present=false
for ((attempt = 1; attempt <= PROBE_ATTEMPTS; attempt++)); do
  if [[ $(request GET /overview) == 200 ]]; then
    present=true
    break
  fi
  sleep 2
done
if [[ $present == false ]]; then
  handed_over "$INITIAL_SAVEPOINT" "no JobManager answers: first start"
fi

# what the running JobManager says of itself: a JobManager parked by a suspend keeps the
# savepoint in its configuration, and every one the savepointRedeployNonce it started with
[[ $(request GET /jobmanager/config) == 200 ]] || fail lookup "GET /jobmanager/config failed"
config=$(cat "$RESPONSE")
parked=$(config_value "$PARKED_KEY" <<<"$config")
running_nonce=$(config_value "$REDEPLOY_KEY" <<<"$config")

[[ $(request GET /jobs/overview) == 200 ]] || fail lookup "GET /jobs/overview failed"
jobs=$(grep -o '"jid":"[0-9a-f]*","name":"[^"]*"[^{}]*"state":"[A-Z_]*"' "$RESPONSE" |
  sed 's/^"jid":"\([0-9a-f]*\)".*"state":"\([A-Z_]*\)"$/\1 \2/')
old="" old_state=""
while read -r jid state; do
  [[ -z $jid ]] && continue
  if active "$state"; then
    old=$jid old_state=$state
    break
  fi
  [[ -z $old ]] && old=$jid old_state=$state
done <<<"$jobs"

# a new savepointRedeployNonce: cancel, and start from initialSavepointPath (FO §7.1)
if [[ -n $REDEPLOY_NONCE && $REDEPLOY_NONCE != "$running_nonce" ]]; then
  if [[ -n $old ]] && active "$old_state"; then
    request PATCH "/jobs/$old?mode=cancel" >/dev/null
    wait_until_terminal "$old" "$STOP_TIMEOUT_SECONDS"
    taskmanagers_gone "$RELEASE_TIMEOUT_SECONDS"
  fi
  handed_over "$INITIAL_SAVEPOINT" "savepointRedeployNonce $REDEPLOY_NONCE: from initialSavepointPath"
fi

if grep -q "\"key\":\"$PARKED_KEY\"" <<<"$config"; then
  [[ $parked == none ]] && parked=""
  [[ $UPGRADE_MODE == stateless && -n $JOB_ID ]] && handed_over "" "resumed stateless"
  handed_over "$parked" "the suspended cluster's savepoint"
fi
[[ -n $old ]] || handed_over "" "the running JobManager has no job"

# (not in native mode, where the running JobManager's TaskManagers would run this revision's job
# with their pod spec: there last-state cancels and restores the latest retained checkpoint)
if [[ $old == "$JOB_ID" && $HIGH_AVAILABILITY == true && -z ${NATIVE_TASKMANAGERS:-} ]] && active "$old_state"; then
  store=$(config_value job-result-store.storage-path <<<"$config")
  handed_over "" "job $old keeps its id: high availability restores its latest checkpoint"
fi
log "the running JobManager has job $old ($old_state); upgrade mode $UPGRADE_MODE"

if ! active "$old_state"; then
  taskmanagers_gone "$RELEASE_TIMEOUT_SECONDS"
  [[ $UPGRADE_MODE == stateless ]] && handed_over "" "job $old is $old_state; stateless"
  restore_point "$old" ""
  handed_over "$RESTORE" "job $old is $old_state: $RESTORE_REASON"
fi

case $UPGRADE_MODE in
  savepoint)
    deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
    until all_running "$old"; do
      ((SECONDS < deadline)) || fail stop "job $old did not run with every task within ${STOP_TIMEOUT_SECONDS}s"
      sleep 1
    done
    trigger=$(printf '%s/%s' "$old" "$JOB_ID" | sha256sum | cut -c1-32)
    body="{\"targetDirectory\":\"$SAVEPOINT_DIR\",\"drain\":false,\"formatType\":\"$FORMAT_TYPE\",\"triggerId\":\"$trigger\"}"
    status=$(request POST "/jobs/$old/stop" -H 'Content-Type: application/json' --data "$body")
    [[ $status == 202 || $status == 200 ]] || fail stop "POST /jobs/$old/stop answered $status: $(head -c 500 "$RESPONSE")"
    log "stopping job $old with a savepoint into $SAVEPOINT_DIR"
    # `fail` in the command substitution ends only its subshell: pass its exit code on
    location=$(savepoint_status "$old" "$(json_string request-id <"$RESPONSE")" "$STOP_TIMEOUT_SECONDS") || exit $?
    wait_until_terminal "$old" 60
    taskmanagers_gone "$RELEASE_TIMEOUT_SECONDS"
    handed_over "$location" "job $old stopped with a savepoint"
    ;;
  *)
    [[ $UPGRADE_MODE == stateless ]] || seen=$(newest_completed "$old")
    status=$(request PATCH "/jobs/$old?mode=cancel")
    [[ $status == 202 || $status == 200 || $status == 404 || $status == 409 ]] || fail cancel "PATCH /jobs/$old answered $status"
    wait_until_terminal "$old" "$STOP_TIMEOUT_SECONDS"
    if [[ $UPGRADE_MODE == stateless ]]; then
      taskmanagers_gone "$RELEASE_TIMEOUT_SECONDS"
      handed_over "" "job $old cancelled; stateless"
    fi
    restore_point "$old" "$seen"
    taskmanagers_gone "$RELEASE_TIMEOUT_SECONDS"
    handed_over "$RESTORE" "job $old cancelled: $RESTORE_REASON"
    ;;
esac
