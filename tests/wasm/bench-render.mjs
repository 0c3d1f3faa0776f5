// Warm render time of the WASM module under Node: the basic fixture rendered 1000 times after
// a warm-up; prints the median and the 90th percentile per call, in microseconds (the number in
// docs/browser.md and docs/performance.md). Not a test: scripts/test.sh runs it to report the figure.
//
//   node tests/wasm/bench-render.mjs [CALLS]
//
// FLINK_RENDER_WASM_NODE: the wasm-bindgen --target nodejs build (default target/wasm-nodejs).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = resolve(repo, process.env.FLINK_RENDER_WASM_NODE ?? 'target/wasm-nodejs');
const { render } = createRequire(import.meta.url)(join(pkg, 'flink_render_wasm.js'));
const calls = Number(process.argv[2] ?? 1000);
const path = 'fixtures/basic-application.yaml';
const request = JSON.stringify({ inputs: [{ name: path, text: readFileSync(join(repo, path), 'utf8') }] });

for (let i = 0; i < 200; i++) render(request);
const micros = [];
for (let i = 0; i < calls; i++) {
  const start = performance.now();
  const response = render(request);
  micros.push((performance.now() - start) * 1000);
  if (i === 0 && JSON.parse(response).exitCode !== 0) throw new Error(`${path} did not render`);
}
micros.sort((a, b) => a - b);
const at = (q) => micros[Math.min(micros.length - 1, Math.floor(q * micros.length))];
console.log(`wasm render of ${path} (warm, ${calls} calls): median ${at(0.5).toFixed(0)} µs, p90 ${at(0.9).toFixed(0)} µs`);
