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
# With Kubernetes HA (HA_OWNER: the JobManager's Deployment), Flink's HA ConfigMaps get that
# Deployment as their owner, so that garbage collection removes them with the application
# (kubectl delete, Argo CD's prune, helm uninstall), as the operator deletes them with a
# FlinkDeployment, while a rollout or a suspend, which keep the Deployment, keeps them: every 10 s
# while the JobManager runs, the maps Flink made since are given the owner (a merge patch).
#
# In native mode the entrypoint runs `bash -c "kubernetes-jobmanager.sh <mode> <args>"` (as
# Flink's client writes it): the same settings go into that line as dynamic properties, the
# restore point as `execution.savepoint.path` (what Flink's application entrypoint reads).
#
# Arguments: the entrypoint, its mode (or `bash -c LINE` in native mode), then the rest of its
# arguments. Settings: HANDOFF, FLINK_RENDER_REVISION, HA_OWNER (Kubernetes HA only).

set -u

own_ha_config_maps() {
  local account=/var/run/secrets/kubernetes.io/serviceaccount host=${KUBERNETES_SERVICE_HOST:-kubernetes.default.svc}
  local api namespace uid="" owned=" " name body
  [[ $host == *:* ]] && host="[$host]"
  api="https://$host:${KUBERNETES_SERVICE_PORT:-443}"
  namespace=$(cat "$account/namespace") || return
  kube() {
    curl -sS --max-time 10 --cacert "$account/ca.crt" -H "Authorization: Bearer $(cat "$account/token")" "$@" 2>/dev/null
  }
  while [[ -z $uid ]]; do
    uid=$(kube "$api/apis/apps/v1/namespaces/$namespace/deployments/$HA_OWNER" |
      grep -o '"uid":[[:space:]]*"[^"]*"' | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')
    [[ -n $uid ]] || sleep 10
  done
  body="{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"$HA_OWNER\",\"uid\":\"$uid\"}]}}"
  while :; do
    for name in $(kube "$api/api/v1/namespaces/$namespace/configmaps?labelSelector=app%3D$HA_OWNER,type%3Dflink-native-kubernetes" |
      grep -o "\"name\":[[:space:]]*\"$HA_OWNER-[^\"]*config-map\"" | sed 's/.*"\([^"]*\)"$/\1/' | sort -u); do
      [[ $owned == *" $name "* ]] && continue
      kube -f -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' --data "$body" \
        "$api/api/v1/namespaces/$namespace/configmaps/$name" && owned+="$name "
    done
    sleep 10
  done
}
[[ -n ${HA_OWNER:-} ]] && own_ha_config_maps &

restore=""
[[ -f $HANDOFF/restore ]] && restore=$(cat "$HANDOFF/restore")
entrypoint=$1 mode=$2
shift 2
started=$(date +%s%3N)
if [[ $mode == bash && ${1:-} == -c ]]; then
  line=$2 properties=()
  if [[ $line == *" kubernetes-application "* ]]; then
    [[ -n $restore ]] && properties+=("-Dexecution.savepoint.path=$restore")
    [[ -f $HANDOFF/job-result-store ]] && properties+=("-Djob-result-store.storage-path=$(cat "$HANDOFF/job-result-store")")
  else
    properties+=("-Dflink-render.handoff.savepoint=${restore:-none}")
  fi
  properties+=("-Dflink-render.revision=$FLINK_RENDER_REVISION" "-Dflink-render.started=$started")
  exec "$entrypoint" bash -c "$line$(printf ' %q' "${properties[@]}")"
fi
if [[ $mode == standalone-job ]]; then
  [[ -n $restore ]] && set -- --fromSavepoint "$restore" "$@"
  [[ -f $HANDOFF/job-result-store ]] && set -- -D "job-result-store.storage-path=$(cat "$HANDOFF/job-result-store")" "$@"
else
  # two tokens: jobmanager.sh reads a first argument other than `-D` as a host name
  set -- -D "flink-render.handoff.savepoint=${restore:-none}" "$@"
fi
set -- -D "flink-render.revision=$FLINK_RENDER_REVISION" -D "flink-render.started=$started" "$@"
exec "$entrypoint" "$mode" "$@"
