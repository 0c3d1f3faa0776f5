#!/usr/bin/env bash
# flink-render: the project's single test command (also what CI runs via .ci/run).
#
#   scripts/test.sh [PYTEST ARGS...]
#
# Idempotent; does all of its own set-up:
#   1. tools venv with pinned kubernetes-validate / pyyaml / yamllint / pytest
#   2. two Flink binary distributions (2.3.0 and 1.20.5) from the PyPI packages
#      apache-flink + apache-flink-libraries, installed --no-deps into separate venvs
#      (FLINK_HOME = <venv>/lib/pythonX.Y/site-packages/pyflink)
#   3. java check
#   4. cargo build --release, cargo test --workspace --release
#   5. pytest -q tests/external against target/release/flink-render
#
# Environment:
#   FLINK_RENDER_TOOLS       where the venvs live (default: $HOME/.cache/flink-render-tools)
#   FLINK_RENDER_SETUP_ONLY  if 1: stop after steps 1-3 (writes $FLINK_RENDER_TOOLS/env.sh to source)
#   PYTHON                   interpreter used to create the venvs (default: python3)
#   CARGO_TARGET_DIR         honoured when locating the built binary (default: target)
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
TOOLS=${FLINK_RENDER_TOOLS:-$HOME/.cache/flink-render-tools}
PYTHON=${PYTHON:-python3}

# Pins. Changing any of these invalidates the matching marker and triggers a reinstall.
TOOL_PINS=(kubernetes-validate==1.37.0 pyyaml==6.0.3 yamllint==1.38.0 pytest==9.2.0)
FLINK2_PINS=(apache-flink==2.3.0 apache-flink-libraries==2.3.0)
FLINK1_PINS=(apache-flink==1.20.5 apache-flink-libraries==1.20.5)

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

export FLINK_HOME_1 FLINK_HOME_2
export PATH="$TOOLS/venv/bin:$PATH"
cat >"$TOOLS/env.sh" <<ENV
# source this to run pytest tests/external by hand (written by scripts/test.sh)
export FLINK_HOME_1='$FLINK_HOME_1'
export FLINK_HOME_2='$FLINK_HOME_2'
export PATH='$TOOLS/venv/bin':"\$PATH"
export FLINK_RENDER_BIN='${CARGO_TARGET_DIR:-$REPO/target}/release/flink-render'
ENV

exec 9>&-   # set-up done: release the tools-dir lock (cargo and pytest need not hold it)

if [[ ${FLINK_RENDER_SETUP_ONLY:-0} == 1 ]]; then
  section "set-up only: done (source $TOOLS/env.sh to use it)"
  exit 0
fi

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
# no .pytest_cache / __pycache__ left in the work tree
PYTHONDONTWRITEBYTECODE=1 "$TOOLS/venv/bin/python" -m pytest -q -p no:cacheprovider tests/external "$@"

section "all tests passed (${SECONDS}s)"
