# shellcheck shell=bash
# library: revision.sh (run after common.sh and it)
# A TaskManager's main container starts through this (DESIGN §5): the TaskManager runs only while
# a JobManager of its own revision runs the revision's job, so it never serves another revision's
# JobManager (which matters when an upgrade keeps the job id: last-state):
#   - it starts the TaskManager once `joinable` (as the init container, await.sh, waited);
#   - it stops it once `superseded`: the next revision's hand-over has ended the job, or that
#     revision's JobManager is ready. Left running, the TaskManager would register with the next
#     revision's JobManager as soon as this revision's goes (both answer to the same Service
#     name); stopped, it unregisters, which the next revision's hand-over waits for. Then it
#     waits again: until the rollout deletes the pod, or until an upgrade back to this revision
#     (before that rollout ended, Kubernetes scales this pod's ReplicaSet up again and keeps the
#     pod) makes it joinable, and it starts a fresh TaskManager.
# A TaskManager that exits by itself ends this with its exit status; SIGTERM stops it.
#
# Arguments: the entrypoint and its arguments. Settings (besides common.sh's): JOBMANAGER,
# REST_PORT, FLINK_RENDER_REVISION, JOB_ID.

set -u

taskmanager=""
stop_taskmanager() {
  if [[ -n $taskmanager ]]; then
    kill -TERM "$taskmanager" 2>/dev/null
    wait "$taskmanager"
    taskmanager=""
  fi
}
trap 'stop_taskmanager; exit 143' TERM INT

while :; do
  until joinable; do
    sleep 2 &
    wait $!
  done
  log "job $JOB_ID runs at the JobManager of revision $FLINK_RENDER_REVISION ($serving): starting the TaskManager"
  "$@" &
  taskmanager=$!
  while kill -0 "$taskmanager" 2>/dev/null; do
    sleep 1 &
    wait $!
    if superseded; then
      log "job $JOB_ID has ended or another revision's JobManager is ready: stopping the TaskManager"
      stop_taskmanager
      break
    fi
  done
  if [[ -n $taskmanager ]]; then
    wait "$taskmanager"
    exit $?
  fi
done
