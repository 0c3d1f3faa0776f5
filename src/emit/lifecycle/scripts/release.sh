# shellcheck shell=bash
# library: revision.sh (run after common.sh and it)
# A TaskManager's preStop hook (DESIGN §5): when the pod is deleted (an upgrade replaces it, a
# suspend scales it away), keep it while the JobManager that takes over stops its job with a
# savepoint, which needs every task: wait while a JobManager of this revision runs its job and,
# after WAIT_FOR_STOP_SECONDS, only while a checkpoint or savepoint is in progress there.
# Kubernetes ends the wait at the pod's terminationGracePeriodSeconds.
#
# Settings (besides common.sh's): JOBMANAGER, REST_PORT, FLINK_RENDER_REVISION and JOB_ID, of
# the TaskManager's revision; WAIT_FOR_STOP_SECONDS.

set -u

until_stop=$((SECONDS + WAIT_FOR_STOP_SECONDS))
while survey && ((running > 0)); do
  if ((SECONDS >= until_stop)); then
    [[ $(at "$serving" GET "/jobs/$JOB_ID/checkpoints") == 200 ]] || break
    grep -q '"in_progress":[1-9]' "$RESPONSE" || break
  fi
  sleep 1
done
