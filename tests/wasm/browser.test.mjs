// The preview page in a real browser: Debian's Chromium driven by playwright-core, the page
// (wasm/www, built by scripts/build-wasm.sh) served by a static server on 127.0.0.1.
//
// The example renders (the download holds exactly what the CLI renders); editing the
// TaskManager memory redraws the memory picture with the CLI's numbers; a typo shows its
// diagnostic and hint at its line within a second, and clicking it moves the caret there;
// copying an object gives its YAML; a shared link reopens the same spec; pinning a baseline
// and editing shows the changed field as the CLI's diff reports it. Any console error, page
// error or failed request fails the test. Screenshots go to target/wasm-browser/.
//
//   node --test tests/wasm/browser.test.mjs
//
// FLINK_RENDER_PLAYWRIGHT: the playwright-core package directory (default:
//   $FLINK_RENDER_TOOLS/playwright/node_modules/playwright-core, as scripts/test.sh installs it)
// FLINK_RENDER_CHROMIUM: the browser (default /usr/bin/chromium)
// FLINK_RENDER_BIN: the CLI (default target/release/flink-render)
// FLINK_RENDER_UPDATE_SCREENSHOT=1: also write wasm/screenshot.png (shown in README.md and docs/browser.md)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tools = process.env.FLINK_RENDER_TOOLS ?? join(homedir(), '.cache/flink-render-tools');
const playwrightDir = process.env.FLINK_RENDER_PLAYWRIGHT ?? join(tools, 'playwright/node_modules/playwright-core');
const { chromium } = createRequire(import.meta.url)(playwrightDir);
const chromiumPath = process.env.FLINK_RENDER_CHROMIUM ?? '/usr/bin/chromium';
const bin = resolve(repo, process.env.FLINK_RENDER_BIN ?? 'target/release/flink-render');
const www = join(repo, 'wasm/www');
const shots = join(repo, 'target/wasm-browser');
const EXAMPLE = 'fixtures/basic-application.yaml';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

/** A static file server for wasm/www on 127.0.0.1 (an ephemeral port). */
async function serve(root) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const body = readFileSync(file);
      response.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

function cli(args, input) {
  const result = spawnSync(bin, args, { cwd: repo, encoding: 'utf8', input });
  assert.equal(result.error, undefined);
  return result;
}

/** Select the first or last occurrence of `find` in the editor and type `replacement` over it. */
async function typeOver(page, find, replacement, which = 'first') {
  await page.evaluate(
    ({ find, which }) => {
      const editor = document.getElementById('spec');
      const start = which === 'last' ? editor.value.lastIndexOf(find) : editor.value.indexOf(find);
      if (start < 0) throw new Error(`${find} is not in the editor`);
      editor.focus();
      editor.setSelectionRange(start, start + find.length);
    },
    { find, which },
  );
  await page.keyboard.type(replacement);
}

async function memoryBytes(page, process, part) {
  const selector = part
    ? `#memory [data-process="${process}"] [data-part="${part}"] .size`
    : `#memory [data-process="${process}"] .total`;
  return Number(await page.getAttribute(selector, 'data-bytes'));
}

test('the preview page in Chromium', { timeout: 120_000 }, async (t) => {
  mkdirSync(shots, { recursive: true });
  const server = await serve(www);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = mkdtempSync(join(tmpdir(), 'flink-render-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  t.after(async () => {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });

  const problems = [];
  const watch = (page) => {
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    page.on('response', (response) => response.status() >= 400 && problems.push(`HTTP ${response.status()}: ${response.url()}`));
    return page;
  };
  const page = watch(await context.newPage());

  await t.test('the example renders', async () => {
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-ready="true"]');
    const example = readFileSync(join(repo, EXAMPLE), 'utf8');
    assert.equal(await page.inputValue('#spec'), example);
    const rendered = cli(['render', EXAMPLE]).stdout;
    const objects = rendered.split('\n---\n').length;
    assert.equal(await page.locator('#objects .object').count(), objects);
    const kinds = rendered.split('\n---\n').map((document) => document.match(/^kind: (\w+)$/m)[1]);
    const first = kinds.indexOf('Deployment');
    assert.equal(await page.getAttribute(`#objects .object >> nth=${first}`, 'data-kind'), 'Deployment');
    assert.equal(await page.locator('#diagnostics li.none').count(), 1);
    await page.screenshot({ path: join(shots, 'example.png') });
  });

  await t.test('the download holds the stream', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.equal(download.suggestedFilename(), 'basic-application.yaml');
    const saved = join(shots, 'download.yaml');
    await download.saveAs(saved);
    assert.equal(readFileSync(saved, 'utf8'), cli(['render', EXAMPLE]).stdout);
  });

  await t.test('copying an object gives its YAML', async () => {
    const directory = join(shots, 'objects');
    rmSync(directory, { recursive: true, force: true });
    assert.equal(cli(['render', EXAMPLE, '--output-dir', directory]).status, 0);
    await page.click('#objects .object[data-kind="ConfigMap"] .copy');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, readFileSync(join(directory, 'configmap_flink-config-basic-application.yaml'), 'utf8'));
  });

  await t.test('editing the TaskManager memory redraws the picture', async () => {
    assert.equal(await memoryBytes(page, 'taskmanager'), 2048 * 1024 * 1024);
    const managedBefore = await memoryBytes(page, 'taskmanager', 'managed');
    await typeOver(page, '2048m', '4096m', 'last');
    await page.waitForFunction(
      () => document.querySelector('#memory [data-process="taskmanager"] .total')?.dataset.bytes === String(4096 * 1024 * 1024),
    );
    const edited = readFileSync(join(repo, EXAMPLE), 'utf8').replace(/2048m(?![\s\S]*2048m)/, '4096m');
    assert.equal(await page.inputValue('#spec'), edited);
    const [expected] = JSON.parse(cli(['memory', '-', '--format', 'json'], edited).stdout);
    for (const part of ['managed', 'network', 'taskHeap', 'frameworkHeap', 'jvmOverhead']) {
      assert.equal(await memoryBytes(page, 'taskmanager', part), expected.taskmanager[part], part);
    }
    assert.notEqual(await memoryBytes(page, 'taskmanager', 'managed'), managedBefore);
    assert.equal(await memoryBytes(page, 'jobmanager'), expected.jobmanager.totalProcess);
    assert.match(await page.textContent('#memory [data-process="taskmanager"] [data-part="managed"] .size'), /MiB|GiB/);
    await page.screenshot({ path: join(shots, 'memory-edited.png') });
  });

  await t.test('a typo shows its diagnostic at its line within a second', async () => {
    const line = (await page.inputValue('#spec')).split('\n').findIndex((text) => text.includes('parallelism: 2')) + 1;
    await typeOver(page, 'parallelism: 2', 'paralelism: 2');
    const typed = Date.now();
    await page.waitForSelector(`#diagnostics li.error[data-line="${line}"]`, { timeout: 1000 });
    await page.waitForSelector(`#editor .gutter .ln.error`, { timeout: 1000 });
    const elapsed = Date.now() - typed;
    assert.ok(elapsed < 1000, `the diagnostic took ${elapsed} ms`);
    const marked = await page.evaluate(() => [...document.querySelectorAll('#editor .gutter .ln.error')].map((n) => Number(n.textContent)));
    assert.deepEqual(marked, [line]);
    assert.match(await page.textContent('#editor .backdrop .line.error .lens'), /unknown field `paralelism`/);
    const item = page.locator(`#diagnostics li.error[data-line="${line}"]`);
    assert.match(await item.textContent(), /unknown-field/);
    assert.equal(await item.locator('.hint').textContent(), 'did you mean `parallelism`?');
    assert.equal(await page.isVisible('#stale'), true);
    await page.screenshot({ path: join(shots, 'diagnostic.png') });

    await page.evaluate(() => document.getElementById('spec').setSelectionRange(0, 0));
    await item.click();
    const caretLine = await page.evaluate(() => {
      const editor = document.getElementById('spec');
      return editor.value.slice(0, editor.selectionStart).split('\n').length;
    });
    assert.equal(caretLine, line);

    await typeOver(page, 'paralelism: 2', 'parallelism: 2');
    await page.waitForSelector('#diagnostics li.none');
    assert.equal(await page.locator('#editor .gutter .ln.error').count(), 0);
  });

  await t.test('without mode, the page renders native, or standalone with its option', async () => {
    const names = () => page.evaluate(() => [...document.querySelectorAll('#objects .object .name')].map((n) => n.textContent));
    await typeOver(page, 'mode: standalone', '# mode omitted');
    await page.waitForFunction(() => [...document.querySelectorAll('#objects .object .name')].some((n) => n.textContent === 'pod-template-basic-application'));
    assert.ok(!(await names()).includes('basic-application-taskmanager'), 'native: no TaskManager Deployment');
    await page.selectOption('#omitted-mode', 'standalone');
    await page.waitForFunction(() => [...document.querySelectorAll('#objects .object .name')].some((n) => n.textContent === 'basic-application-taskmanager'));
    assert.match(await page.textContent('#diagnostics'), /mode-omitted-standalone/);
    await page.selectOption('#omitted-mode', 'native');
    await typeOver(page, '# mode omitted', 'mode: standalone');
    await page.waitForSelector('#diagnostics li.none');
  });

  await t.test('a shared link reopens the same spec', async () => {
    await page.fill('#namespace', 'team-a');
    await page.waitForFunction(() => document.querySelector('#objects .object .name')?.textContent.startsWith('team-a/'));
    await page.click('#share');
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Link copied'));
    const link = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(link, page.url());
    assert.match(link, /#z=[A-Za-z0-9_-]+$/);
    const spec = await page.inputValue('#spec');

    const reopened = watch(await context.newPage());
    await reopened.goto(link);
    await reopened.waitForSelector('body[data-ready="true"]');
    assert.equal(await reopened.inputValue('#spec'), spec);
    assert.equal(await reopened.inputValue('#namespace'), 'team-a');
    assert.equal(
      await reopened.textContent('#memory [data-process="taskmanager"] .total'),
      await page.textContent('#memory [data-process="taskmanager"] .total'),
    );
    await reopened.close();
    await page.fill('#namespace', '');
  });

  await t.test('pin and edit shows the changed field', async () => {
    await page.waitForFunction(() => !document.querySelector('#objects .object .name')?.textContent.startsWith('team-a/'));
    const baseline = await page.inputValue('#spec');
    await page.click('#pin');
    await page.waitForSelector('#changes .none');
    await typeOver(page, 'image: flink:2.2', 'image: flink:2.2.1');
    await page.waitForSelector('#changes article.change');
    const edited = await page.inputValue('#spec');

    const scratch = mkdtempSync(join(tmpdir(), 'flink-render-browser-diff-'));
    writeFileSync(join(scratch, 'baseline.yaml'), cli(['render', '-'], baseline).stdout);
    const report = cli(['diff', '-', '--against', join(scratch, 'baseline.yaml')], edited).stdout;
    rmSync(scratch, { recursive: true, force: true });
    const headers = report.split('\n').filter((line) => /^[~+-] /.test(line));
    assert.deepEqual(await page.locator('#changes article.change h3').allTextContents(), headers);
    const shown = await page.textContent('#changes .body');
    assert.ok(
      shown.includes('spec.template.spec.containers[flink-main-container].image: flink:2.2 → flink:2.2.1'),
      shown,
    );
    assert.ok(shown.includes(report.trimEnd().split('\n').at(-1)), 'the summary line');
    await page.screenshot({ path: join(shots, 'changes.png') });
    if (process.env.FLINK_RENDER_UPDATE_SCREENSHOT === '1') copyFileSync(join(shots, 'changes.png'), join(repo, 'wasm/screenshot.png'));
  });

  assert.deepEqual(problems, []);
});
