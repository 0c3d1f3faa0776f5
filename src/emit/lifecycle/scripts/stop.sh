# shellcheck shell=bash
# library: steps.sh (run after common.sh and it)
# Stop a FlinkSessionJob whose application or release is being deleted (opt-in with the
# annotation `flink-render.dev/stop-on-delete: enabled`; an Argo CD PreDelete and Helm pre-delete
# hook): before its session cluster goes, the running job of its name is stopped as its upgrade
# mode says (savepoint: with a savepoint, whose location the result names; otherwise
# cancelled). No such job is nothing to do. A failed stop leaves the job running and fails this
# Job, which holds up the deletion until it is resolved.
#
# Settings, from the Job's environment (besides common.sh's): JOB_NAME, UPGRADE_MODE,
# SAVEPOINT_DIR, FORMAT_TYPE, STOP_TIMEOUT_SECONDS.

set -u

wait_for_rest

job=$(running_by_name "$JOB_NAME")
if [[ -z $job ]]; then
  log "no job named $JOB_NAME is running: nothing to do"
  result jobName "$JOB_NAME" state none
  exit 0
fi
log "stopping job $job ($JOB_NAME); upgrade mode $UPGRADE_MODE"
restore=$(stop_by_upgrade_mode "$job") || exit $?
log "job $job is stopped${restore:+; its state is in $restore}"
result jobId "$job" state stopped savepoint "$restore"
