# shellcheck shell=bash
# The JobManager's main container starts through this (DESIGN §5): it adds what the init
# container handed over ($HANDOFF/restore) to the entrypoint's arguments, then runs it. An
# application (`standalone-job`) restores with --fromSavepoint; a JobManager parked by a suspend
# (`jobmanager`, no job) keeps the location in its configuration, where the JobManager that
# resumes the job reads it. Either way it publishes its revision (FLINK_RENDER_REVISION) and when
# it started in its configuration, where the TaskManagers look for a JobManager of their own
# revision (common.sh's `survey`). With HA, an application uses the job result store the init
# container chose ($HANDOFF/job-result-store, handoff.sh).
#
# Arguments: the entrypoint, its mode, then the rest of its arguments. Settings: HANDOFF,
# FLINK_RENDER_REVISION.

set -u

restore=""
[[ -f $HANDOFF/restore ]] && restore=$(cat "$HANDOFF/restore")
entrypoint=$1 mode=$2
shift 2
if [[ $mode == standalone-job ]]; then
  [[ -n $restore ]] && set -- --fromSavepoint "$restore" "$@"
  [[ -f $HANDOFF/job-result-store ]] && set -- -D "job-result-store.storage-path=$(cat "$HANDOFF/job-result-store")" "$@"
else
  # two tokens: jobmanager.sh reads a first argument other than `-D` as a host name
  set -- -D "flink-render.handoff.savepoint=${restore:-none}" "$@"
fi
set -- -D "flink-render.revision=$FLINK_RENDER_REVISION" -D "flink-render.started=$(date +%s%3N)" "$@"
exec "$entrypoint" "$mode" "$@"
