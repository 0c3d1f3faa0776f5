// The spec editor: a plain textarea (no wrapping) with a line-number gutter and a backdrop
// behind the text that marks the lines diagnostics point at and shows their message after
// the line's end. Gutter and backdrop follow the textarea's scrolling.

export class Editor {
  /**
   * @param {HTMLElement} root  the .editor element holding .gutter, .backdrop and the textarea
   * @param {(text: string) => void} onInput  called on every edit
   */
  constructor(root, onInput) {
    this.textarea = root.querySelector('textarea');
    this.gutter = root.querySelector('.gutter');
    this.backdrop = root.querySelector('.backdrop');
    this.lines = root.querySelector('.backdrop .lines');
    this.marks = new Map();
    this.lineCount = 0;
    this.textarea.addEventListener('input', () => {
      this.#redraw();
      onInput(this.value);
    });
    this.textarea.addEventListener('scroll', () => this.#follow());
    this.textarea.addEventListener('keydown', (event) => {
      if (event.key === 'Tab' && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault(); // YAML indents with spaces; keep focus in the editor
        document.execCommand('insertText', false, '  ');
      }
    });
  }

  get value() {
    return this.textarea.value;
  }

  set value(text) {
    this.textarea.value = text;
    this.#redraw();
  }

  /**
   * Mark lines: diagnostics of this editor's input, each {severity, line, message}.
   * @param {{severity: string, line: number, message: string}[]} diagnostics
   */
  mark(diagnostics) {
    this.marks = new Map();
    for (const diagnostic of diagnostics) {
      if (diagnostic.line < 1) continue;
      const list = this.marks.get(diagnostic.line) ?? [];
      list.push(diagnostic);
      this.marks.set(diagnostic.line, list);
    }
    this.#redraw();
  }

  /** Put the caret at a 1-based line and column and scroll it into view. */
  jumpTo(line, column = 1) {
    const starts = lineStarts(this.value);
    const start = starts[Math.min(Math.max(line, 1), starts.length) - 1];
    const end = this.value.indexOf('\n', start);
    const lineLength = (end === -1 ? this.value.length : end) - start;
    const offset = start + Math.min(Math.max(column - 1, 0), lineLength);
    this.textarea.focus({ preventScroll: true });
    this.textarea.setSelectionRange(offset, offset);
    const lineHeight = parseFloat(getComputedStyle(this.textarea).lineHeight);
    const top = (line - 1) * lineHeight;
    const visible = this.textarea.clientHeight;
    if (top < this.textarea.scrollTop || top + lineHeight > this.textarea.scrollTop + visible) {
      this.textarea.scrollTop = Math.max(0, top - visible / 3);
    }
    this.#follow();
  }

  #redraw() {
    const texts = this.value.split('\n');
    if (texts.length !== this.lineCount) {
      this.lineCount = texts.length;
      const numbers = document.createDocumentFragment();
      for (let line = 1; line <= texts.length; line++) {
        const number = document.createElement('div');
        number.className = 'ln';
        number.textContent = String(line);
        numbers.append(number);
      }
      this.gutter.replaceChildren(numbers);
    }
    for (const number of this.gutter.querySelectorAll('.ln.error, .ln.warning')) {
      number.classList.remove('error', 'warning');
      number.removeAttribute('title');
    }
    const lines = document.createDocumentFragment();
    texts.forEach((text, index) => {
      const marks = this.marks.get(index + 1);
      const line = document.createElement('div');
      line.className = 'line';
      const ghost = document.createElement('span');
      ghost.className = 'ghost';
      ghost.textContent = text || ' ';
      line.append(ghost);
      if (marks) {
        const severity = marks.some((mark) => mark.severity === 'error') ? 'error' : 'warning';
        line.classList.add(severity);
        const lens = document.createElement('span');
        lens.className = 'lens';
        lens.textContent = '  ' + marks.map((mark) => mark.message).join(' · ');
        line.append(lens);
        const number = this.gutter.children[index];
        number?.classList.add(severity);
        number?.setAttribute('title', marks.map((mark) => mark.message).join('\n'));
      }
      lines.append(line);
    });
    this.lines.replaceChildren(lines);
    this.#follow();
  }

  #follow() {
    this.gutter.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollLeft = this.textarea.scrollLeft;
  }
}

/** The offset where each line starts. */
function lineStarts(text) {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
    starts.push(index + 1);
  }
  return starts;
}
