// The preview page: every edit re-renders the spec with the WASM module (debounced) and shows
// the objects, the diagnostics at their lines, the memory picture and, against a pinned
// baseline, what changes. Everything runs in the browser; the page needs only static files.

import init, { diff, memoryBreakdown, render } from './pkg/flink_render_wasm.js';
import example from './pkg/example.js';
import { Editor } from './editor.js';
import { drawMemory } from './memory.js';
import { decodeState, encodeState } from './share.js';

/** The names the inputs are reported under (a diagnostic's `source`). */
const SPEC_NAME = 'spec.yaml';
const DEFAULTS_NAME = 'operator-defaults.yaml';
const BASELINE_NAME = 'baseline.yaml';
const DEBOUNCE_MS = 150;

const $ = (id) => document.getElementById(id);
const namespaceInput = $('namespace');
const defaultsInput = $('defaults');
const omittedModeInput = $('omitted-mode');
const editor = new Editor($('editor'), schedule);

/** The last rendering without errors: {stdout, objects}. */
let lastGood = null;
/** The pinned baseline's rendering (a YAML stream), or null. */
let baseline = null;
/** Objects the user folded, by kind and name, kept across re-renders. */
const folded = new Set();
let pending;
let writtenHash = '';

function call(command, request) {
  return JSON.parse(command(JSON.stringify(request)));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function currentRequest() {
  const request = { inputs: [{ name: SPEC_NAME, text: editor.value }] };
  const namespace = namespaceInput.value.trim();
  if (namespace) request.namespace = namespace;
  if (omittedModeInput.value !== 'native') request.omittedMode = omittedModeInput.value;
  if (defaultsInput.value.trim()) request.defaults = { name: DEFAULTS_NAME, text: defaultsInput.value };
  return request;
}

function schedule() {
  clearTimeout(pending);
  pending = setTimeout(update, DEBOUNCE_MS);
}

function update() {
  clearTimeout(pending);
  const request = currentRequest();
  const rendered = call(render, request);
  const valid = rendered.exitCode === 0;
  showDiagnostics(rendered);
  if (valid) {
    lastGood = rendered;
    drawObjects(rendered.objects);
    drawMemory($('memory'), JSON.parse(call(memoryBreakdown, request).stdout));
  }
  document.body.classList.toggle('stale', !valid && lastGood !== null);
  $('stale').hidden = valid || lastGood === null;
  $('download').disabled = lastGood === null;
  $('pin').disabled = !valid && baseline === null;
  if (baseline !== null) showChanges(request, valid);
  saveToFragment();
}

function showDiagnostics(rendered) {
  const diagnostics = rendered.diagnostics;
  editor.mark(diagnostics.filter((diagnostic) => diagnostic.source === SPEC_NAME));
  const list = $('diagnostics');
  const items = diagnostics.map((diagnostic) => {
    const item = element('li', diagnostic.severity);
    item.dataset.source = diagnostic.source;
    item.dataset.line = String(diagnostic.line);
    const where = diagnostic.line > 0 ? `${diagnostic.line}:${diagnostic.column}` : '';
    const source = diagnostic.source === SPEC_NAME ? '' : `${diagnostic.source} `;
    item.append(
      element('span', 'where', `${source}${where}`),
      element('span', 'severity', diagnostic.severity),
      element('code', 'code', diagnostic.code),
      element('span', 'message', diagnostic.message),
    );
    if (diagnostic.path) item.append(element('code', 'path', diagnostic.path));
    if (diagnostic.hint) item.append(element('div', 'hint', diagnostic.hint));
    if (diagnostic.line > 0) {
      item.tabIndex = 0;
      item.title = 'Go to the line';
      const jump = () => jumpTo(diagnostic);
      item.addEventListener('click', jump);
      item.addEventListener('keydown', (event) => event.key === 'Enter' && jump());
    }
    return item;
  });
  if (rendered.error) items.push(element('li', 'error', rendered.error));
  if (items.length === 0) items.push(element('li', 'none', 'No problems found.'));
  list.replaceChildren(...items);

  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const parts = [];
  if (rendered.exitCode === 0) parts.push(plural(rendered.objects.length, 'object'));
  if (errors) parts.push(plural(errors, 'error'));
  if (warnings) parts.push(plural(warnings, 'warning'));
  setStatus(parts.join(' · '), errors > 0 ? 'error' : '');
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function setStatus(text, kind = '') {
  const status = $('status');
  status.textContent = text;
  status.className = `status ${kind}`;
}

function jumpTo(diagnostic) {
  if (diagnostic.source === DEFAULTS_NAME) {
    $('defaults-panel').open = true;
    const starts = defaultsInput.value.split('\n').slice(0, diagnostic.line - 1);
    const offset = starts.reduce((sum, line) => sum + line.length + 1, 0) + Math.max(diagnostic.column - 1, 0);
    defaultsInput.focus();
    defaultsInput.setSelectionRange(offset, offset);
    return;
  }
  editor.jumpTo(diagnostic.line, diagnostic.column);
}

function objectKey(object) {
  return `${object.kind}/${object.namespace ?? ''}/${object.name}`;
}

function drawObjects(objects) {
  const sections = objects.map((object) => {
    const section = element('details', 'object');
    section.open = !folded.has(objectKey(object));
    section.dataset.kind = object.kind;
    section.dataset.name = object.name;
    section.addEventListener('toggle', () => {
      if (section.open) folded.delete(objectKey(object));
      else folded.add(objectKey(object));
    });
    const summary = element('summary');
    summary.append(
      element('span', 'kind', object.kind),
      element('span', 'name', object.namespace ? `${object.namespace}/${object.name}` : object.name),
    );
    const copy = element('button', 'copy', 'Copy');
    copy.type = 'button';
    copy.title = `Copy this ${object.kind} as YAML`;
    copy.addEventListener('click', (event) => {
      event.preventDefault();
      copyText(object.yaml).then((done) => flash(copy, done ? 'Copied' : 'Copy failed'));
    });
    summary.append(copy);
    const code = element('pre');
    code.append(element('code', '', object.yaml));
    section.append(summary, code);
    return section;
  });
  $('objects').replaceChildren(...sections);
}

function flash(button, text) {
  const label = button.dataset.label ?? button.textContent;
  button.dataset.label = label;
  button.textContent = text;
  setTimeout(() => (button.textContent = label), 1500);
}

/** Copy to the clipboard; falls back to a selection copy where the Clipboard API is refused. */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const scratch = element('textarea');
    scratch.value = text;
    scratch.style.position = 'fixed';
    scratch.style.opacity = '0';
    document.body.append(scratch);
    scratch.select();
    const done = document.execCommand('copy');
    scratch.remove();
    return done;
  }
}

function download() {
  if (lastGood === null) return;
  const deployment = lastGood.objects.find((object) => object.kind === 'Deployment');
  const link = element('a');
  link.href = URL.createObjectURL(new Blob([lastGood.stdout], { type: 'application/yaml' }));
  link.download = `${deployment?.name ?? 'flink-render'}.yaml`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

function togglePin() {
  const pin = $('pin');
  if (baseline !== null) {
    baseline = null;
    pin.textContent = 'Pin as baseline';
    pin.classList.remove('pinned');
    $('changes').hidden = true;
    update();
    return;
  }
  const rendered = call(render, currentRequest());
  if (rendered.exitCode !== 0) return;
  baseline = rendered.stdout;
  pin.textContent = 'Unpin baseline';
  pin.classList.add('pinned');
  $('changes').hidden = false;
  update();
}

/** The `diff` of the current spec against the baseline: the CLI's report, one card per object. */
function showChanges(request, valid) {
  const body = $('changes').querySelector('.body');
  if (!valid) {
    body.replaceChildren(element('p', 'hint', 'Fix the errors to compare with the baseline.'));
    return;
  }
  const result = call(diff, { ...request, against: { name: BASELINE_NAME, text: baseline } });
  if (result.exitCode === 0) {
    body.replaceChildren(element('p', 'none', 'No changes: the rendering equals the baseline.'));
    return;
  }
  if (result.exitCode !== 1) {
    body.replaceChildren(element('p', 'error', result.error ?? 'diff failed'));
    return;
  }
  const blocks = reportBlocks(result.stdout);
  const cards = result.changes.map((change, index) => {
    const card = element('article', `change ${change.change}`);
    card.dataset.kind = change.kind;
    card.dataset.name = change.name;
    const [header, ...lines] = blocks[index] ?? [];
    card.append(element('h3', '', header ?? `${change.kind} ${change.name}`));
    if (lines.length) {
      const pre = element('pre');
      for (const line of lines) {
        const trimmed = line.trimStart();
        const kind = /^- /.test(trimmed) && line.startsWith('        ') ? 'removed'
          : /^\+ /.test(trimmed) && line.startsWith('        ') ? 'added'
          : line.startsWith('    ') && !line.startsWith('     ') ? 'field' : 'context';
        pre.append(element('span', kind, `${line}\n`));
      }
      card.append(pre);
    }
    return card;
  });
  const summary = result.stdout.trimEnd().split('\n').filter((line) => /^\d+ changed, /.test(line));
  body.replaceChildren(...cards, element('p', 'summary', summary.join('')));
}

/** The report's per-object blocks: a header line (`~ Kind name`) and the lines under it. */
function reportBlocks(report) {
  const blocks = [];
  for (const line of report.split('\n')) {
    if (/^[~+-] /.test(line)) blocks.push([line]);
    else if (line.startsWith(' ') && blocks.length) blocks[blocks.length - 1].push(line);
  }
  return blocks;
}

async function saveToFragment() {
  const state = { spec: editor.value };
  if (namespaceInput.value) state.namespace = namespaceInput.value;
  if (omittedModeInput.value !== 'native') state.omittedMode = omittedModeInput.value;
  if (defaultsInput.value) state.defaults = defaultsInput.value;
  const hash = await encodeState(state);
  if (hash !== location.hash) {
    writtenHash = hash;
    history.replaceState(null, '', hash);
  }
}

async function share() {
  await saveToFragment();
  const done = await copyText(location.href);
  setStatus(done ? 'Link copied: it holds the spec, compressed; nothing is uploaded.' : `Copy this link: ${location.href}`);
}

function load(state) {
  editor.value = state.spec;
  namespaceInput.value = state.namespace ?? '';
  omittedModeInput.value = state.omittedMode === 'standalone' ? 'standalone' : 'native';
  defaultsInput.value = state.defaults ?? '';
  if (defaultsInput.value) $('defaults-panel').open = true;
  update();
}

async function main() {
  await init();
  const shared = await decodeState(location.hash);
  load(shared ?? { spec: example });
  window.addEventListener('hashchange', async () => {
    if (location.hash === writtenHash) return;
    const state = await decodeState(location.hash);
    if (state) load(state);
  });
  namespaceInput.addEventListener('input', schedule);
  omittedModeInput.addEventListener('change', schedule);
  defaultsInput.addEventListener('input', schedule);
  $('pin').addEventListener('click', togglePin);
  $('download').addEventListener('click', download);
  $('share').addEventListener('click', share);
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  setStatus(`The module failed to load: ${error}`, 'error');
  console.error(error);
});
