# shellcheck shell=bash
# A TaskManager's init container (DESIGN §5): start only once the cluster knows this revision's
# job, that is once this revision's JobManager has taken over. Until then the rollout keeps the
# old TaskManagers, which the old job needs to stop with a savepoint; and a new TaskManager
# registers with the new JobManager, not with the one on its way out.
#
# Settings (besides common.sh's): JOB_ID.

set -u

log "waiting for job $JOB_ID at $REST_URL"
until [[ $(request GET "/jobs/$JOB_ID") == 200 ]]; do
  sleep 2
done
log "job $JOB_ID is known to the cluster: starting"
