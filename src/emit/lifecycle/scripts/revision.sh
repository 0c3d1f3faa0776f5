# shellcheck shell=bash disable=SC2034
# (a library: the steps read some of the variables `survey` sets)
# The TaskManagers' side of the hand-over (await.sh, serve.sh, release.sh), after common.sh.
# They ask each ready JobManager directly: JOBMANAGER (the JobManagers' headless Service, which
# resolves to the ready ones) on REST_PORT. A JobManager of an application cluster publishes its revision (`flink-render.revision`, a digest
# of the rendered JobManager and TaskManager pod templates that FLINK_RENDER_REVISION carries) and
# when it started (`flink-render.started`, milliseconds) in its configuration (start.sh).

# at ADDRESS METHOD PATH [CURL ARGS]...: `request` to the JobManager at ADDRESS.
at() {
  local address=$1
  shift
  [[ $address == *:* ]] && address="[$address]"
  REST_URL="http://$address:$REST_PORT" request "$@"
}

# survey: what the ready JobManagers say of this revision and its job JOB_ID. Sets `others` (how
# many are of another revision), `silent` (how many do not answer), `running` (how many of this
# revision run JOB_ID, submitted after the JobManager started: with high availability a standby's
# REST API answers for its leader, whose job is older), `ended` (how many of this revision list
# JOB_ID in a terminal state) and `serving` (the address of one that runs it).
survey() {
  local address config started line state start
  others=0 silent=0 running=0 ended=0 serving=""
  while read -r address; do
    [[ -n $address ]] || continue
    if [[ $(at "$address" GET /jobmanager/config) != 200 ]]; then
      silent=$((silent + 1))
      continue
    fi
    config=$(cat "$RESPONSE")
    if [[ $(config_value flink-render.revision <<<"$config") != "$FLINK_RENDER_REVISION" ]]; then
      others=$((others + 1))
      continue
    fi
    started=$(config_value flink-render.started <<<"$config")
    [[ $(at "$address" GET /jobs/overview) == 200 ]] || continue
    line=$(grep -o "\"jid\":\"$JOB_ID\",\"name\":\"[^\"]*\"[^{}]*\"state\":\"[A-Z_]*\"" "$RESPONSE" | head -n 1)
    [[ -n $line ]] || continue
    state=${line##*\"state\":\"}
    state=${state%\"}
    start=$(grep -o '"start-time":[0-9]*' <<<"$line" | cut -d: -f2)
    if ! active "$state"; then
      ended=$((ended + 1))
    elif ((${start:-0} >= ${started:-0})); then
      running=$((running + 1))
      serving=$address
    fi
  done <<<"$(getent ahosts "$JOBMANAGER" 2>/dev/null | cut -d' ' -f1 | sort -u)"
}

# joinable: whether a TaskManager of this revision may start: every ready JobManager is of this
# revision and one runs its job.
joinable() {
  survey
  ((others == 0 && silent == 0 && running > 0))
}

# superseded: whether a TaskManager of this revision must stop: its job has ended (the next
# revision's hand-over stopped it), or a JobManager of another revision is ready.
superseded() {
  survey
  ((others > 0 || (ended > 0 && running == 0)))
}
