// The memory picture: for each rendered cluster, the JobManager's and the TaskManager's
// process memory as one bar each, split into the parts Flink computes at start-up (what
// `flink-render memory --format json` prints), with every part's size. Both bars of a cluster
// share one scale, so their lengths compare.

const MIB = 1024 * 1024;

/** Flink's parts, in the order of its memory model diagrams, grouped as Flink groups them. */
const PARTS = {
  jobmanager: [
    { key: 'jvmHeap', label: 'JVM heap', group: 'heap' },
    { key: 'offHeap', label: 'Off-heap', group: 'direct' },
    { key: 'jvmMetaspace', label: 'JVM metaspace', group: 'jvm' },
    { key: 'jvmOverhead', label: 'JVM overhead', group: 'jvm' },
  ],
  taskmanager: [
    { key: 'frameworkHeap', label: 'Framework heap', group: 'heap' },
    { key: 'taskHeap', label: 'Task heap', group: 'heap' },
    { key: 'frameworkOffHeap', label: 'Framework off-heap', group: 'direct' },
    { key: 'taskOffHeap', label: 'Task off-heap', group: 'direct' },
    { key: 'network', label: 'Network', group: 'direct' },
    { key: 'managed', label: 'Managed', group: 'managed' },
    { key: 'jvmMetaspace', label: 'JVM metaspace', group: 'jvm' },
    { key: 'jvmOverhead', label: 'JVM overhead', group: 'jvm' },
  ],
};

const PROCESS_NAMES = { jobmanager: 'JobManager', taskmanager: 'TaskManager' };

/** A size for people: MiB with up to one decimal, GiB from 1 GiB on. */
export function formatBytes(bytes) {
  const mib = bytes / MIB;
  if (mib >= 1024) return `${trim(mib / 1024, 2)} GiB`;
  return `${trim(mib, 1)} MiB`;
}

function trim(value, decimals) {
  return Number(value.toFixed(decimals)).toString();
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Draw `clusters` (the parsed JSON `flink-render memory --format json` prints) into `root`.
 * @param {HTMLElement} root
 * @param {object[]} clusters
 */
export function drawMemory(root, clusters) {
  const blocks = clusters.map((cluster) => {
    const block = element('section', 'cluster');
    block.dataset.cluster = cluster.name;
    const title = cluster.namespace ? `${cluster.namespace}/${cluster.name}` : cluster.name;
    block.append(element('h2', '', `Memory of ${title}`));
    const scale = Math.max(cluster.jobmanager.totalProcess, cluster.taskmanager.totalProcess);
    for (const process of ['jobmanager', 'taskmanager']) {
      block.append(drawProcess(process, cluster[process], scale));
    }
    return block;
  });
  root.replaceChildren(...blocks);
}

function drawProcess(process, memory, scale) {
  const figure = element('figure', 'process');
  figure.dataset.process = process;
  const caption = element('figcaption');
  caption.append(element('strong', '', PROCESS_NAMES[process]), ' ');
  const total = element('span', 'total', formatBytes(memory.totalProcess));
  total.dataset.bytes = String(memory.totalProcess);
  caption.append(total, element('span', 'hint', ' total process memory'));
  figure.append(caption);

  const bar = element('div', 'bar');
  bar.style.width = `${(100 * memory.totalProcess) / scale}%`;
  const legend = element('ul', 'legend');
  for (const part of PARTS[process]) {
    const bytes = memory[part.key] ?? 0;
    const share = (100 * bytes) / memory.totalProcess;
    const segment = element('div', `segment ${part.group} ${part.key}`);
    segment.style.width = `${share}%`;
    segment.title = `${part.label}: ${formatBytes(bytes)} (${bytes} bytes, ${share.toFixed(1)}%)`;
    if (share >= 9) segment.textContent = part.label;
    bar.append(segment);

    const item = element('li', '');
    item.dataset.part = part.key;
    item.append(element('span', `swatch ${part.group} ${part.key}`), element('span', 'label', part.label), ' ');
    const size = element('span', 'size', formatBytes(bytes));
    size.dataset.bytes = String(bytes);
    item.append(size);
    legend.append(item);
  }
  figure.append(bar, legend, element('code', 'jvm-args', memory.jvmArgs));
  return figure;
}
