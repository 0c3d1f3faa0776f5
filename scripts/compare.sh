#!/usr/bin/env bash
# compare.sh: side-by-side whole-process comparison (process start to exit, output to /dev/null).
#
# What it measures:
#   1. One spec: `flink-render render fixtures/basic-application.yaml` against `kubectl kustomize DIR`,
#      DIR being a kustomization whose only resource is that spec's already-rendered manifests
#      (the same objects as static YAML). Median wall time (hyperfine, warm cache) and peak RSS
#      (/usr/bin/time -v) of each, and their ratio (kustomize / flink-render).
#   2. A stream of N FlinkDeployments (N = 1000 and 10000, copies of basic-application named
#      basic-00001 ...) in one file: flink-render's median time and peak RSS, and the 10k/1k time
#      ratio. A run that exits non-zero is reported with its exit code and first stderr line.
#   3. Diagnostics at scale: the 10000-spec stream with one warning per spec (`mode` removed, so
#      each warns `mode-omitted`, as upstream's examples do) against the same stream without: the
#      median time of each and their ratio (target: within 1.5x; the terminal shows the first
#      three warnings and one line for the rest).
#   4. `helm template` of a Flink chart, only when helm and a local chart (FLINK_HELM_CHART=DIR)
#      are there; nothing is downloaded.
#
# Usage: scripts/compare.sh [--quick]
#   --quick              fewer runs (for a smoke test; the numbers are noisier)
#   FLINK_RENDER_BIN=F   use this binary instead of `cargo build --release`
#   FLINK_HELM_CHART=D   a local Flink chart directory for the helm row
set -euo pipefail

RUNS=200 STREAM_RUNS=5 WARMUP=10
case "${1:-}" in
  --quick) RUNS=20 STREAM_RUNS=2 WARMUP=2 ;;
  "") ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--quick]  (--help for more)" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
SPEC=fixtures/basic-application.yaml

# Tools: hyperfine and GNU time from the machine's own apt sources, only when missing.
apt_updated=false
need() { # need CHECK PACKAGE
  if ! command -v "$1" >/dev/null 2>&1; then
    $apt_updated || { apt-get update -qq; apt_updated=true; }
    apt-get install -y -qq "$2" >/dev/null
  fi
}
need hyperfine hyperfine
need /usr/bin/time time
command -v kubectl >/dev/null || { echo "compare.sh: kubectl is required" >&2; exit 2; }

if [[ -n "${FLINK_RENDER_BIN:-}" ]]; then
  BIN=$FLINK_RENDER_BIN
else
  cargo build --release --quiet
  BIN=$PWD/target/release/flink-render
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# hyperfine's median of command N (0-based) in a JSON export, in milliseconds.
median_ms() { python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"] * 1e3))' "$1" "$2"; }
# Peak RSS in MiB of one run of the command (stdout discarded).
rss_mib() {
  /usr/bin/time -v "$@" >/dev/null 2>"$TMP/time.txt"
  awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$TMP/time.txt"
}
ratio() { python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print("%.1fx" % (a / b))' "$1" "$2"; }

rows=()
row() { rows+=("$(printf '%-28s | %-16s | %-17s | %s' "$@")"); }

# --- 1. One spec -------------------------------------------------------------------------------
echo "== one spec: $SPEC ($RUNS runs each, $WARMUP warm-up)" >&2
mkdir "$TMP/kust"
"$BIN" render "$SPEC" >"$TMP/kust/rendered.yaml"
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- rendered.yaml\n' \
  >"$TMP/kust/kustomization.yaml"
kubectl kustomize "$TMP/kust" >/dev/null # fail early if kustomize rejects it

hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/one.json" \
  "$BIN render $SPEC" "kubectl kustomize $TMP/kust" >&2
fr_ms=$(median_ms "$TMP/one.json" 0)
ku_ms=$(median_ms "$TMP/one.json" 1)
fr_rss=$(rss_mib "$BIN" render "$SPEC")
ku_rss=$(rss_mib kubectl kustomize "$TMP/kust")
row "one spec: median time" "$fr_ms ms" "$ku_ms ms" "$(ratio "$ku_ms" "$fr_ms")"
row "one spec: peak RSS" "$fr_rss MiB" "$ku_rss MiB" "$(ratio "$ku_rss" "$fr_rss")"

# --- 2. Streams --------------------------------------------------------------------------------
declare -A stream_ms=()
for n in 1000 10000; do
  f="$TMP/stream-$n.yaml"
  python3 - "$SPEC" "$n" "$f" <<'EOF'
import sys
spec, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = open(spec).read()
old = "\n  name: basic-application\n"
assert text.count(old) == 1, "metadata.name line not found once"
with open(out, "w") as f:
    f.write("---\n".join(text.replace(old, "\n  name: basic-%05d\n" % i) for i in range(1, n + 1)))
EOF
  echo "== stream of $n FlinkDeployments ($(du -h "$f" | cut -f1)), $STREAM_RUNS runs" >&2
  if "$BIN" render "$f" >/dev/null 2>"$TMP/err"; then
    hyperfine -N --style basic --warmup 1 --runs "$STREAM_RUNS" --export-json "$TMP/s$n.json" \
      "$BIN render $f" >&2
    stream_ms[$n]=$(median_ms "$TMP/s$n.json" 0)
    row "stream $n: median time" "${stream_ms[$n]} ms" "-" "-"
    row "stream $n: peak RSS" "$(rss_mib "$BIN" render "$f") MiB" "-" "-"
  else
    rc=$?
    echo "   flink-render exited $rc: $(head -n1 "$TMP/err")" >&2
    row "stream $n" "FAILED (exit $rc)" "-" "-"
  fi
done
if [[ -n "${stream_ms[1000]:-}" && -n "${stream_ms[10000]:-}" ]]; then
  row "stream 10k / 1k time" "$(ratio "${stream_ms[10000]}" "${stream_ms[1000]}")" "-" "(10x input)"
fi

# --- 3. Diagnostics at scale -------------------------------------------------------------------
warned="$TMP/stream-10000-warned.yaml"
grep -v '^  mode: standalone$' "$TMP/stream-10000.yaml" >"$warned"
echo "== stream of 10000 FlinkDeployments with a warning each, $STREAM_RUNS runs" >&2
if [[ -n "${stream_ms[10000]:-}" ]] && "$BIN" render "$warned" >/dev/null 2>"$TMP/err"; then
  [[ $(grep -c '^warning\[mode-omitted\]' "$TMP/err") == 4 ]] || echo "   expected 3 warnings and one folded line" >&2
  hyperfine -N --style basic --warmup 1 --runs "$STREAM_RUNS" --export-json "$TMP/warned.json" \
    "$BIN render $warned" >&2
  warned_ms=$(median_ms "$TMP/warned.json" 0)
  row "stream 10k, a warning each" "$warned_ms ms" "-" "-"
  row "warned / plain 10k time" "$(ratio "$warned_ms" "${stream_ms[10000]}")" "-" "(target 1.5x)"
else
  row "stream 10k, a warning each" "FAILED" "-" "-"
fi

# --- 4. helm template (offline only) -----------------------------------------------------------
if ! command -v helm >/dev/null 2>&1; then
  helm_note="helm template: skipped (no helm binary on PATH; nothing is downloaded)"
elif [[ ! -f "${FLINK_HELM_CHART:-/nonexistent}/Chart.yaml" ]]; then
  helm_note="helm template: skipped (no local chart: set FLINK_HELM_CHART=DIR; nothing is downloaded)"
else
  hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/helm.json" \
    "helm template flink $FLINK_HELM_CHART" >&2
  helm_ms=$(median_ms "$TMP/helm.json" 0)
  helm_note="helm template $FLINK_HELM_CHART: median $helm_ms ms ($(ratio "$helm_ms" "$fr_ms") flink-render's one spec)"
fi

# --- Report ------------------------------------------------------------------------------------
echo
printf '%-28s | %-16s | %-17s | %s\n' "what" "flink-render" "kubectl kustomize" "ratio"
printf '%s\n' "-----------------------------+------------------+-------------------+-----------"
printf '%s\n' "${rows[@]}"
echo
echo "$helm_note"
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
echo "tools: $(hyperfine --version), kubectl $(kubectl version --client 2>/dev/null | awk '/Client/ { print $3 }')"
