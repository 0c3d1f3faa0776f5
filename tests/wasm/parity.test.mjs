// The WASM module prints what the native CLI prints, byte for byte, with the same exit code:
// every fixture rendered (YAML and JSON), validated and its memory printed, as the golden test
// runs it (`# flink-render: ARGS` lines; upstream examples with --namespace default); every
// invalid fixture's `validate --format json`; `diff` (report and JSON Patch) of every fixture
// against the basic fixture's rendering; `schema` for both kinds, as JSON Schema and CRD.
//
//   node --test tests/wasm/
//
// FLINK_RENDER_BIN: the CLI (default target/release/flink-render);
// FLINK_RENDER_WASM_NODE: the wasm-bindgen --target nodejs build (default target/wasm-nodejs),
// both made by scripts/test.sh (cargo build --release, scripts/build-wasm.sh).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = resolve(repo, process.env.FLINK_RENDER_BIN ?? 'target/release/flink-render');
const pkg = resolve(repo, process.env.FLINK_RENDER_WASM_NODE ?? 'target/wasm-nodejs');
const wasm = createRequire(import.meta.url)(join(pkg, 'flink_render_wasm.js'));

// not-utf8.yaml is rejected while the CLI reads the file; a JavaScript string is always
// Unicode text, so that check has no counterpart in the module.
const CLI_ONLY = new Set(['fixtures/invalid/not-utf8.yaml']);

function cli(args) {
  const result = spawnSync(bin, args, { cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(result.error, undefined, `${bin} ${args.join(' ')}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function call(command, request) {
  return JSON.parse(wasm[command](JSON.stringify(request)));
}

function listFixtures(dir, extensions) {
  return readdirSync(join(repo, dir))
    .filter((file) => extensions.some((ext) => file.endsWith(ext)))
    .sort()
    .map((file) => `${dir}/${file}`);
}

/// The extra arguments of `# flink-render: ARGS` lines, as tests/golden.rs reads them.
function fixtureArgs(path) {
  const text = readFileSync(resolve(repo, path), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('# flink-render:'))
    .flatMap((line) => line.slice('# flink-render:'.length).split(/\s+/).filter(Boolean));
}

/// The request for `path` plus CLI arguments (--namespace NS, --omitted-mode MODE, --defaults FILE, --reference FILE).
function request(path, args, extra = {}) {
  const options = { inputs: [{ name: path, text: readFileSync(resolve(repo, path), 'utf8') }], ...extra };
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '--namespace') options.namespace = args[i + 1];
    else if (args[i] === '--omitted-mode') options.omittedMode = args[i + 1];
    else if (args[i] === '--defaults') options.defaults = { name: args[i + 1], text: readFileSync(resolve(repo, args[i + 1]), 'utf8') };
    else if (args[i] === '--reference') options.references = [...(options.references ?? []), { name: args[i + 1], text: readFileSync(resolve(repo, args[i + 1]), 'utf8') }];
    else throw new Error(`${path}: unsupported fixture argument ${args[i]}`);
  }
  return options;
}

function assertSame(label, native, response) {
  assert.equal(response.stdout, native.stdout, `${label}: stdout differs`);
  assert.equal(response.exitCode, native.code, `${label}: exit code differs (${native.stderr})`);
  if (native.code === 2) assert.equal(`error: ${response.error}\n`, native.stderr, `${label}: error differs`);
}

const valid = listFixtures('fixtures', ['.yaml', '.json']).map((path) => [path, fixtureArgs(path)]);
const upstream = listFixtures('fixtures/upstream', ['.yaml']).map((path) => [path, ['--namespace', 'default']]);
// Fixtures for the KRM function (`# flink-render: krm`) are the KRM shell's, not the module's.
const invalid = listFixtures('fixtures/invalid', ['.yaml', '.json', '.txt'])
  .filter((path) => !CLI_ONLY.has(path))
  .filter((path) => fixtureArgs(path)[0] !== 'krm');

test('the module and the CLI were built', () => {
  assert.ok(existsSync(bin), `${bin} missing: cargo build --release`);
  assert.ok(valid.length > 25 && upstream.length > 20 && invalid.length > 50, 'fixtures found');
});

for (const [path, args] of [...valid, ...upstream]) {
  test(`render, validate and memory agree: ${path}`, () => {
    assertSame(`render ${path}`, cli(['render', path, ...args]), call('render', request(path, args)));
    assertSame(
      `render --format json ${path}`,
      cli(['render', path, ...args, '--format', 'json']),
      call('render', request(path, args, { format: 'json' })),
    );
    const validate = call('validate', request(path, args));
    assertSame(`validate ${path}`, cli(['validate', path, ...args, '--format', 'json']), validate);
    assert.equal(JSON.stringify(validate.diagnostics, null, 2) + '\n', validate.stdout);
    assertSame(`memory ${path}`, cli(['memory', path, ...args, '--format', 'json']), call('memoryBreakdown', request(path, args)));
  });
}

for (const path of invalid) {
  test(`invalid input gives the same diagnostics: ${path}`, () => {
    const args = fixtureArgs(path);
    const validate = call('validate', request(path, args));
    assertSame(`validate ${path}`, cli(['validate', path, ...args, '--format', 'json']), validate);
    assert.ok(validate.diagnostics.some((d) => d.severity === 'error'), `${path}: no error`);
    const render = call('render', request(path, args));
    assertSame(`render ${path}`, cli(['render', path, ...args]), render);
    assert.deepEqual(render.diagnostics, validate.diagnostics);
  });
}

test('diff agrees with the CLI, as a report and as JSON Patch', (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'flink-render-wasm-diff-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const committedPath = join(scratch, 'committed.yaml');
  const committed = cli(['render', 'fixtures/basic-application.yaml']).stdout;
  writeFileSync(committedPath, committed);
  const against = { name: committedPath, text: committed };
  let differing = 0;
  for (const [path, args] of valid) {
    for (const format of ['text', 'json-patch']) {
      const native = cli(['diff', path, ...args, '--against', committedPath, '--format', format]);
      const response = call('diff', request(path, args, { against, format }));
      assertSame(`diff --format ${format} ${path}`, native, response);
      if (native.code === 1 && native.stdout) differing += 1;
      assert.equal(response.changes.length > 0, native.code === 1 && native.stdout !== '', path);
    }
  }
  assert.ok(differing > 40, `only ${differing} diffs differ`);

  const twice = committed + committed;
  writeFileSync(committedPath, twice);
  const native = cli(['diff', 'fixtures/basic-application.yaml', '--against', committedPath]);
  assert.equal(native.code, 2);
  assertSame('diff against a stream holding objects twice', native, call('diff', request('fixtures/basic-application.yaml', [], { against: { name: committedPath, text: twice } })));
});

test('schema agrees with the CLI', () => {
  for (const kind of ['FlinkDeployment', 'FlinkSessionJob']) {
    assertSame(`schema --kind ${kind}`, cli(['schema', '--kind', kind]), call('schema', { kind }));
    assertSame(`schema --kind ${kind} --crd`, cli(['schema', '--kind', kind, '--crd']), call('schema', { kind, crd: true }));
  }
});

test('bad defaults stop the run, reported against the defaults file', (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'flink-render-wasm-defaults-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const defaults = join(scratch, 'defaults.yaml');
  writeFileSync(defaults, 'podTemplate: [1\n');
  const native = cli(['validate', 'fixtures/basic-application.yaml', '--defaults', defaults, '--format', 'json']);
  const response = call('validate', request('fixtures/basic-application.yaml', ['--defaults', defaults]));
  assertSame('validate with broken defaults', native, response);
  assert.equal(response.diagnostics[0].source, defaults);
  assert.ok(native.stderr.includes(defaults));
});
