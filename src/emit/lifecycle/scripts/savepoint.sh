# shellcheck shell=bash
# library: steps.sh (run after common.sh and it)
# Take a savepoint of a running job for a `savepointTriggerNonce` (FO §7.1): wait for the REST
# API and for every vertex of the job to run, then trigger the savepoint into a directory named
# after the nonce, with a trigger id derived from it (a retry never takes a second savepoint),
# and wait for it. A savepoint already in that directory means there is nothing to do.
#
# The job is the one the cluster runs (an application cluster runs one), or on a session
# cluster the running job named JOB_NAME: the Job's spec names no job id, so a new revision of
# the job does not change it (a Job's spec cannot change).
#
# Settings, from the Job's environment (besides common.sh's): JOB_NAME (empty for an
# application cluster), NONCE, TRIGGER_ID, SAVEPOINT_DIR, FORMAT_TYPE (CANONICAL or NATIVE),
# RUNNING_TIMEOUT_SECONDS (for the job to run) and SAVEPOINT_TIMEOUT_SECONDS.

set -u

wait_for_rest
target="${SAVEPOINT_DIR%/}/nonce-$NONCE"

# the running job, with every vertex RUNNING (a savepoint needs every task)
JOB_ID=""
deadline=$((SECONDS + RUNNING_TIMEOUT_SECONDS))
while :; do
  if [[ $(request GET /jobs/overview) == 200 ]]; then
    JOB_ID=$(grep -o '"jid":"[0-9a-f]*","name":"[^"]*"[^{}]*"state":"RUNNING"' "$RESPONSE" |
      { if [[ -n $JOB_NAME ]]; then grep -F "\"name\":\"$JOB_NAME\""; else cat; fi; } |
      head -n 1 | sed 's/^"jid":"\([0-9a-f]*\)".*/\1/')
    [[ -n $JOB_ID ]] && all_running "$JOB_ID" && break
  fi
  ((SECONDS < deadline)) || fail wait "no running job${JOB_NAME:+ named $JOB_NAME} within ${RUNNING_TIMEOUT_SECONDS}s"
  sleep 2
done

# a savepoint in the nonce's directory (the job's savepoint history) is this nonce's
if [[ $(request GET "/jobs/$JOB_ID/checkpoints") == 200 ]]; then
  # Flink reports file:///a/b as file:/a/b: match the path without its scheme and leading slashes
  within=${target#*://}
  within=${within#"${within%%[!/]*}"}
  taken=$(grep -o "\"external_path\":\"[^\"]*${within}/[^\"]*\"" "$RESPONSE" | head -n 1 | sed 's/.*:"\(.*\)"$/\1/')
  if [[ -n $taken ]]; then
    log "savepoint for nonce $NONCE exists already: $taken"
    result jobId "$JOB_ID" savepoint "$taken" state COMPLETED
    exit 0
  fi
fi

body="{\"target-directory\":\"$target\",\"cancel-job\":false,\"formatType\":\"$FORMAT_TYPE\",\"triggerId\":\"$TRIGGER_ID\"}"
status=$(request POST "/jobs/$JOB_ID/savepoints" -H 'Content-Type: application/json' --data "$body")
[[ $status == 202 || $status == 200 ]] || fail trigger "POST /jobs/$JOB_ID/savepoints answered $status: $(head -c 500 "$RESPONSE")"
trigger=$(json_string request-id <"$RESPONSE")
log "savepoint $trigger of job $JOB_ID into $target"

location=$(savepoint_status "$JOB_ID" "$trigger" "$SAVEPOINT_TIMEOUT_SECONDS") || exit $?
log "savepoint completed: $location"
result jobId "$JOB_ID" savepoint "$location" state COMPLETED
