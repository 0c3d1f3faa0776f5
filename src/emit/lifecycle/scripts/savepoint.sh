# shellcheck shell=bash
# Take a savepoint of a running job for a `savepointTriggerNonce` (FO §7.1): wait for the REST
# API and for every vertex of the job to run, then trigger the savepoint into a directory named
# after the nonce, with a trigger id derived from it (a retry never takes a second savepoint),
# and wait for it. A savepoint already in that directory means there is nothing to do.
#
# Settings, from the Job's environment (besides common.sh's): JOB_ID, NONCE, TRIGGER_ID,
# SAVEPOINT_DIR, FORMAT_TYPE (CANONICAL or NATIVE), RUNNING_TIMEOUT_SECONDS (for the job to run)
# and SAVEPOINT_TIMEOUT_SECONDS.

set -u

wait_for_rest
target="${SAVEPOINT_DIR%/}/nonce-$NONCE"

# the job's vertices all RUNNING (a savepoint needs every task)
deadline=$((SECONDS + RUNNING_TIMEOUT_SECONDS))
while :; do
  status=$(request GET "/jobs/$JOB_ID")
  if [[ $status == 200 ]] && ! grep -o '"status":"[A-Z_]*"' "$RESPONSE" | grep -qv '"RUNNING"'; then
    state=$(json_string state <"$RESPONSE")
    [[ $state == RUNNING ]] && break
  fi
  ((SECONDS < deadline)) || fail wait "job $JOB_ID did not run within ${RUNNING_TIMEOUT_SECONDS}s (GET /jobs/$JOB_ID answered $status)"
  sleep 2
done

# a savepoint in the nonce's directory (the job's savepoint history) is this nonce's
if [[ $(request GET "/jobs/$JOB_ID/checkpoints") == 200 ]]; then
  taken=$(grep -o "\"external_path\":\"${target}/[^\"]*\"" "$RESPONSE" | head -n 1 | sed 's/.*:"\(.*\)"$/\1/')
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

deadline=$((SECONDS + SAVEPOINT_TIMEOUT_SECONDS))
while :; do
  if [[ $(request GET "/jobs/$JOB_ID/savepoints/$trigger") == 200 ]] && [[ $(json_string id <"$RESPONSE") == COMPLETED ]]; then
    location=$(json_string location <"$RESPONSE")
    [[ -n $location ]] || fail savepoint "the savepoint failed: $(head -c 800 "$RESPONSE")"
    log "savepoint completed: $location"
    result jobId "$JOB_ID" savepoint "$location" state COMPLETED
    exit 0
  fi
  ((SECONDS < deadline)) || fail savepoint "the savepoint did not complete within ${SAVEPOINT_TIMEOUT_SECONDS}s"
  sleep 2
done
