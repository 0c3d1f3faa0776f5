# shellcheck shell=bash
# library: revision.sh (run after common.sh and it)
# A TaskManager's init container (DESIGN §5): start only once every ready JobManager is of this
# revision and one of them runs this revision's job (`joinable`). Until then the rollout keeps
# the old TaskManagers, which the old job needs to stop with a savepoint; and a new TaskManager
# never registers with the JobManager on its way out, even when an upgrade keeps the job id
# (last-state), where the old JobManager knows the job too.
#
# Settings (besides common.sh's): JOBMANAGER, REST_PORT, FLINK_RENDER_REVISION, JOB_ID.

set -u

log "waiting for a JobManager of revision $FLINK_RENDER_REVISION running job $JOB_ID"
until joinable; do
  sleep 2
done
log "job $JOB_ID runs at the JobManager of revision $FLINK_RENDER_REVISION ($serving): starting"
