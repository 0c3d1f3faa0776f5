#!/usr/bin/env bash
# flink-render: build the WebAssembly module and the preview page's pkg/.
#
#   scripts/build-wasm.sh
#
# Writes
#   wasm/www/pkg/       the page's module (wasm-bindgen --target web) and example.js (the
#                       example spec the page opens with: fixtures/basic-application.yaml)
#   target/wasm-nodejs/ the same module for Node (wasm-bindgen --target nodejs; the tests use it)
#
# Idempotent; installs what it needs into the tools dir, each pinned, and reinstalls only when
# a pin changes:
#   - the rustup target wasm32-unknown-unknown
#   - wasm-bindgen-cli, the same version as the wasm-bindgen crate pin in wasm/Cargo.toml
#     (cargo install --root $FLINK_RENDER_TOOLS/cargo)
#   - wasm-opt from npm's binaryen ($FLINK_RENDER_TOOLS/binaryen; Debian's binaryen breaks
#     wasm-bindgen's modules), through npm's own registry configuration
#
# Environment:
#   FLINK_RENDER_TOOLS  where tools live (default: $HOME/.cache/flink-render-tools)
#   CARGO_TARGET_DIR    honoured (default: target)
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
TOOLS=${FLINK_RENDER_TOOLS:-$HOME/.cache/flink-render-tools}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$REPO/$TARGET_DIR

BINARYEN_VERSION=132.0.0
# The profile in Cargo.toml that tunes the module for size.
PROFILE=wasm
WEB_PKG=$REPO/wasm/www/pkg
NODE_PKG=$TARGET_DIR/wasm-nodejs
# Exactly the wasm-bindgen crate's pin ("=X.Y.Z"): the CLI refuses modules of another version.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' wasm/Cargo.toml)

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'build-wasm.sh: error: %s\n' "$*" >&2; exit 1; }

[[ -n $WASM_BINDGEN_VERSION ]] || die "wasm/Cargo.toml does not pin wasm-bindgen as \"=X.Y.Z\""
mkdir -p "$TOOLS"

step "rustup target wasm32-unknown-unknown"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "up to date"
else
  rustup target add wasm32-unknown-unknown
fi

step "wasm-bindgen-cli $WASM_BINDGEN_VERSION ($TOOLS/cargo)"
WASM_BINDGEN=$TOOLS/cargo/bin/wasm-bindgen
if [[ "$("$WASM_BINDGEN" --version 2>/dev/null)" == "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  echo "up to date: $WASM_BINDGEN"
else
  t0=$SECONDS
  # --locked first; the crate index served here can lag the CLI's lockfile, then resolve afresh.
  cargo install --root "$TOOLS/cargo" --locked --version "$WASM_BINDGEN_VERSION" wasm-bindgen-cli \
    || cargo install --root "$TOOLS/cargo" --version "$WASM_BINDGEN_VERSION" wasm-bindgen-cli
  echo "  done in $((SECONDS - t0)) s"
fi

step "binaryen $BINARYEN_VERSION from npm ($TOOLS/binaryen)"
BINARYEN=$TOOLS/binaryen
WASM_OPT=$BINARYEN/node_modules/.bin/wasm-opt
if [[ -f $BINARYEN/.flink-render-installed && "$(cat "$BINARYEN/.flink-render-installed")" == "binaryen@$BINARYEN_VERSION" && -x $WASM_OPT ]]; then
  echo "up to date: $WASM_OPT"
else
  rm -rf "$BINARYEN"
  mkdir -p "$BINARYEN"
  npm install --prefix "$BINARYEN" --no-audit --no-fund --no-update-notifier "binaryen@$BINARYEN_VERSION" </dev/null
  printf '%s' "binaryen@$BINARYEN_VERSION" >"$BINARYEN/.flink-render-installed"
fi

# Code generation, measured against the gzipped-size budget (scripts/test.sh) and the warm
# render time (tests/wasm/bench-render.mjs). The profile's opt-level "z" keeps the module small,
# but at "z" LLVM inlines next to nothing (a threshold of 5): every Vec::push, String::push_str
# and BTreeMap step of an allocation-heavy render stays a call, and the module ran 2.5x slower
# than at opt-level 3. An inline threshold of 40 (opt-level "s" uses 50) buys most of the gap
# back for a fraction of the size: opt-level 3 would be ~270 µs but ~160 KB gzipped over the
# budget. rustflags cannot live in a profile, so they are set here, and only these:
# CARGO_ENCODED_RUSTFLAGS outranks RUSTFLAGS and any config, so the module is the same whatever
# the environment (with --target they reach only the wasm32 compilations, not build scripts).
WASM_RUSTFLAGS=(-Cllvm-args=-inline-threshold=40)
if [[ -n ${RUSTFLAGS:-} || -n ${CARGO_ENCODED_RUSTFLAGS:-} ]]; then
  echo "build-wasm.sh: note: RUSTFLAGS/CARGO_ENCODED_RUSTFLAGS are ignored for the module (it uses ${WASM_RUSTFLAGS[*]})" >&2
fi
LOCKED=()
[[ -f Cargo.lock ]] && LOCKED=(--locked)
step "cargo build --target wasm32-unknown-unknown --profile $PROFILE -p flink-render-wasm (${WASM_RUSTFLAGS[*]})"
CARGO_ENCODED_RUSTFLAGS=$(IFS=$'\x1f'; echo "${WASM_RUSTFLAGS[*]}") \
  cargo build --target wasm32-unknown-unknown --profile "$PROFILE" -p flink-render-wasm "${LOCKED[@]}"
MODULE=$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/flink_render_wasm.wasm

# wasm-opt may use only what rustc's wasm32 target already uses, so the module runs wherever
# rustc's own output runs (Node 20 and current browsers).
FEATURES=(--enable-bulk-memory --enable-multivalue --enable-mutable-globals
          --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext)
# -O3, not -Oz: on this module it is ~5 % faster for ~0.5 % more bytes; reordering functions
# (most called first) and locals then gzips ~4 KB smaller.
WASM_OPT_FLAGS=(-O3 --reorder-functions --reorder-locals)
EXAMPLE=fixtures/basic-application.yaml
# wasm-opt (binaryen compiled to WebAssembly) takes a minute or two: skip the packaging when
# nothing that goes into it changed since the last build.
STAMP_FILE=$TARGET_DIR/wasm-pkg.stamp
stamp="module $(sha256sum <"$MODULE") example $(sha256sum <"$EXAMPLE")
wasm-bindgen $WASM_BINDGEN_VERSION binaryen $BINARYEN_VERSION ${WASM_OPT_FLAGS[*]} ${FEATURES[*]}"
packaged() {
  [[ -f $STAMP_FILE && "$(cat "$STAMP_FILE")" == "$stamp" ]] || return 1
  local file
  for file in "$WEB_PKG"/{flink_render_wasm.js,flink_render_wasm_bg.wasm,example.js} "$NODE_PKG"/{flink_render_wasm.js,flink_render_wasm_bg.wasm}; do
    [[ -f $file ]] || return 1
  done
}

if packaged; then
  step "wasm-bindgen, wasm-opt: up to date (${WEB_PKG#"$REPO"/}, ${NODE_PKG#"$REPO"/})"
else
  rm -f "$STAMP_FILE"
  for target in web nodejs; do
    out=$([[ $target == web ]] && echo "$WEB_PKG" || echo "$NODE_PKG")
    step "wasm-bindgen --target $target → ${out#"$REPO"/}"
    rm -rf "$out"
    "$WASM_BINDGEN" --target "$target" --no-typescript --out-dir "$out" "$MODULE"
  done
  step "wasm-opt ${WASM_OPT_FLAGS[*]}"
  "$WASM_OPT" "${WASM_OPT_FLAGS[@]}" "${FEATURES[@]}" "$WEB_PKG/flink_render_wasm_bg.wasm" -o "$WEB_PKG/flink_render_wasm_bg.wasm.opt"
  # The targets differ only in their JavaScript glue, so the module is usually the same: then
  # it is optimized once.
  if cmp -s "$WEB_PKG/flink_render_wasm_bg.wasm" "$NODE_PKG/flink_render_wasm_bg.wasm"; then
    cp "$WEB_PKG/flink_render_wasm_bg.wasm.opt" "$NODE_PKG/flink_render_wasm_bg.wasm"
  else
    "$WASM_OPT" "${WASM_OPT_FLAGS[@]}" "${FEATURES[@]}" "$NODE_PKG/flink_render_wasm_bg.wasm" -o "$NODE_PKG/flink_render_wasm_bg.wasm"
  fi
  mv "$WEB_PKG/flink_render_wasm_bg.wasm.opt" "$WEB_PKG/flink_render_wasm_bg.wasm"

  # The example the page opens with, as a module (no fetch needed).
  node -e '
    const fs = require("fs");
    const [source, target] = process.argv.slice(1);
    const text = fs.readFileSync(source, "utf8");
    fs.writeFileSync(target, "// Generated by scripts/build-wasm.sh from " + source + "\nexport default " + JSON.stringify(text) + ";\n");
  ' "$EXAMPLE" "$WEB_PKG/example.js"
  printf '%s' "$stamp" >"$STAMP_FILE"
fi

raw=$(wc -c <"$WEB_PKG/flink_render_wasm_bg.wasm")
gzipped=$(gzip -c "$WEB_PKG/flink_render_wasm_bg.wasm" | wc -c)
step "built: flink_render_wasm_bg.wasm is $raw bytes, $gzipped gzipped"
