# shellcheck shell=bash
# A TaskManager's preStop hook (DESIGN §5): when the pod is deleted (an upgrade replaces it, a
# suspend scales it away), keep it while the JobManager that takes over stops its job with a
# savepoint, which needs every task: wait while the job runs and, after WAIT_FOR_STOP_SECONDS,
# only while a checkpoint or savepoint is in progress. Kubernetes ends the wait at the pod's
# terminationGracePeriodSeconds.
#
# Settings (besides common.sh's): JOB_ID, the job of the TaskManager's revision;
# WAIT_FOR_STOP_SECONDS.

set -u

until_stop=$((SECONDS + WAIT_FOR_STOP_SECONDS))
while [[ $(request GET "/jobs/$JOB_ID") == 200 ]] && active "$(json_string state <"$RESPONSE")"; do
  if ((SECONDS >= until_stop)); then
    [[ $(request GET "/jobs/$JOB_ID/checkpoints") == 200 ]] || break
    grep -q '"in_progress":[1-9]' "$RESPONSE" || break
  fi
  sleep 1
done
