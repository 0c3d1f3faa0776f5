# shellcheck shell=bash
# library: steps.sh (run after common.sh and it)
# Submit a FlinkSessionJob to its session cluster (FO §7.2): wait for the REST API, do nothing
# when the job id is known already, else download the jar, upload it, hand over from the job's
# previous revision (a running job of the same name: stopped with a savepoint, or cancelled and
# restored from its latest retained checkpoint, or cancelled, by upgrade mode, FO §7.1), run it
# with the fixed job id and the prepared request body, and delete the upload. A failed stop
# leaves the previous revision running and fails this Job.
#
# Settings, from the Job's environment (besides common.sh's): JOB_ID, JOB_NAME, JAR_URI,
# RUN_REQUEST (the JSON body of POST /jars/<id>/run), UPGRADE_MODE, SAVEPOINT_DIR, FORMAT_TYPE,
# DOWNLOAD_TIMEOUT_SECONDS, RUNNING_TIMEOUT_SECONDS, STOP_TIMEOUT_SECONDS, and ARTIFACT_CA_BUNDLE
# (optional: the CA certificates a private artifact server is trusted with).

set -u

wait_for_rest

status=$(request GET "/jobs/$JOB_ID")
case $status in
  200)
    state=$(json_string state <"$RESPONSE")
    log "job $JOB_ID is known to the cluster already ($state): nothing to do"
    result jobId "$JOB_ID" state "$state"
    exit 0
    ;;
  404) ;;
  *) fail lookup "GET /jobs/$JOB_ID answered $status" ;;
esac

log "downloading $JAR_URI"
download=(--proto '=http,https' --max-redirs 5 --retry 2)
if [[ -n ${ARTIFACT_CA_BUNDLE:-} ]]; then
  download+=(--cacert "$ARTIFACT_CA_BUNDLE")
fi
curl -fsSL "${download[@]}" --connect-timeout "$CONNECT_TIMEOUT_SECONDS" --max-time "$DOWNLOAD_TIMEOUT_SECONDS" \
  -o /tmp/job.jar "$JAR_URI" || fail download "cannot download $JAR_URI"

status=$(request POST /jars/upload -H 'Expect:' -F 'jarfile=@/tmp/job.jar;type=application/java-archive')
[[ $status == 200 ]] || fail upload "POST /jars/upload answered $status"
jar_id=$(json_string filename <"$RESPONSE")
jar_id=${jar_id##*/}
[[ -n $jar_id ]] || fail upload "the upload answer names no jar"

# the previous revision: a running job of the same name
previous=$(running_by_name "$JOB_NAME")
if [[ -n $previous ]]; then
  log "job $previous runs the previous revision; upgrade mode $UPGRADE_MODE"
  restore=$(stop_by_upgrade_mode "$previous") || {
    code=$?
    request DELETE "/jars/$jar_id" >/dev/null
    exit "$code"
  }
  if [[ -n $restore ]]; then
    log "restoring from $restore"
    RUN_REQUEST="${RUN_REQUEST%\}},\"savepointPath\":\"$restore\"}"
  fi
fi

log "running $jar_id as job $JOB_ID"
status=$(request POST "/jars/$jar_id/run" -H 'Content-Type: application/json' --data "$RUN_REQUEST")
run_answer=$(cat "$RESPONSE")
request DELETE "/jars/$jar_id" >/dev/null
case $status in
  200) ;;
  400)
    if [[ $run_answer == *"already been submitted"* ]]; then
      log "job $JOB_ID was submitted meanwhile: nothing to do"
    else
      fail run "POST /jars/$jar_id/run answered 400: ${run_answer:0:500}"
    fi
    ;;
  *) fail run "POST /jars/$jar_id/run answered $status: ${run_answer:0:500}" ;;
esac

deadline=$((SECONDS + RUNNING_TIMEOUT_SECONDS))
state=SUBMITTED
while ((SECONDS < deadline)); do
  [[ $(request GET "/jobs/$JOB_ID") == 200 ]] && state=$(json_string state <"$RESPONSE")
  case $state in
    RUNNING | FINISHED) break ;;
    FAILED | CANCELED | CANCELLING | FAILING) fail start "job $JOB_ID is $state" ;;
  esac
  sleep 2
done
log "job $JOB_ID is $state"
result jobId "$JOB_ID" state "$state"
