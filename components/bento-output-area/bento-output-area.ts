import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { JSONObject, JSONValue, MimeBundle } from '../../src/kernel/protocol.ts';
import { AnsiState, ansiToHtml, stripAnsi } from '../../src/notebook/ansi.ts';
import { joinSource, type DisplayDataOutput, type ErrorOutput, type ExecuteResultOutput, type Output, type StreamOutput } from '../../src/notebook/nbformat.ts';
import { droppedText, type OutputModel } from '../../src/notebook/output-model.ts';
import { loadElement } from '../shared/lazy-elements.ts';
import { renderSimpleMarkdown } from '../shared/markdown.ts';
import { loadedSanitizer, loadSanitizerFor, sanitizerPendingFor, type HtmlSanitizer } from '../shared/sanitize-loader.ts';
import { sandboxStyles, styles } from './bento-output-area.styles.ts';

/**
 * MIME types in the order they are preferred when an output offers several. Jupyter widgets
 * (`application/vnd.jupyter.widget-view+json`) are not supported and fall through to the next type offered.
 */
export const MIME_PREFERENCE = [
  'application/vnd.bento.job+json',
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/markdown',
  'text/latex',
  'application/json',
  'application/javascript',
  'text/javascript',
  'text/plain',
] as const;

/** Text longer than this (lines or characters) shows its head and tail and a "Show all" button. */
export const TEXT_LINE_LIMIT = 2000;
export const TEXT_CHAR_LIMIT = 200_000;
/** More outputs than this show the first and last OUTPUT_LIMIT / 2 and a "Show all" button. */
export const OUTPUT_LIMIT = 1000;

const HEAD_LINES = TEXT_LINE_LIMIT / 2;
const TAIL_LINES = TEXT_LINE_LIMIT / 2;
const HEAD_CHARS = TEXT_CHAR_LIMIT / 2;
const TAIL_CHARS = TEXT_CHAR_LIMIT / 2;
/**
 * Text is converted and inserted in blocks of this many lines, aligned on absolute line numbers; a block
 * whose text did not change keeps its DOM, so a stream that grows re-renders only its last block.
 */
const BLOCK_LINES = 100;

// Created on first use: the first Intl formatter of a page costs ~10 ms (measured), too much for start-up.
let numberFormat: Intl.NumberFormat | undefined;
const numbers = {
  format: (value: number): string => (numberFormat ??= new Intl.NumberFormat('en-US')).format(value),
};
/** The preferred MIME type of a bundle that this element can show, or undefined. */
export function preferredMimeType(data: MimeBundle): string | undefined {
  return MIME_PREFERENCE.find((mime) => data[mime] !== undefined && data[mime] !== null);
}

interface TextBlock {
  html: string;
  end: AnsiState;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

function countLines(text: string): number {
  if (text === '') return 0;
  return countNewlines(text) + (text.endsWith('\n') ? 0 : 1);
}

/** Index just past the `n`-th newline from `from` (or the text's length). */
function afterLine(text: string, n: number, from = 0): number {
  let index = from - 1;
  for (let i = 0; i < n; i++) {
    index = text.indexOf('\n', index + 1);
    if (index === -1) return text.length;
  }
  return index + 1;
}

/** Index where the last `n` lines start. */
function lastLinesStart(text: string, n: number): number {
  let index = text.endsWith('\n') ? text.length - 1 : text.length;
  for (let i = 0; i < n; i++) {
    index = text.lastIndexOf('\n', index - 1);
    if (index === -1) return 0;
  }
  return index + 1;
}

function formatSize(characters: number): string {
  if (characters < 1024) return `${numbers.format(characters)} characters`;
  if (characters < 1024 * 1024) return `${(characters / 1024).toFixed(0)} KB`;
  return `${(characters / 1024 / 1024).toFixed(1)} MB`;
}

function metadataFor(metadata: JSONObject | undefined, mime: string): JSONObject {
  const value = metadata?.[mime];
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

function textOf(value: JSONValue | undefined): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((line) => typeof line === 'string')) return joinSource(value as string[]);
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Puts sanitized content in a shadow root of its own (see FORBIDDEN_TAGS in shared/sanitize.ts for why). */
function sandboxed(content: DocumentFragment, kind: string, label?: string): HTMLElement {
  const frame = element('div', `sandbox ${kind}`);
  if (label) {
    // Wide HTML (a DataFrame) scrolls sideways: keyboard users must be able to reach and scroll it.
    frame.tabIndex = 0;
    frame.setAttribute('role', 'group');
    frame.setAttribute('aria-label', label);
  }
  const host = element('div', 'sandbox-root');
  const root = host.attachShadow({ mode: 'open' });
  // The content's own <style>s come as sheets (shared/sanitize.ts), after the base ones so that they win ties.
  root.adoptedStyleSheets = [sandboxStyles.styleSheet!, ...((content as { sheets?: CSSStyleSheet[] }).sheets ?? [])];
  const wrapper = element('div', 'content');
  wrapper.append(content);
  root.append(wrapper);
  frame.append(host);
  return frame;
}

function imageNode(data: MimeBundle, metadata: JSONObject | undefined, mime: string): HTMLElement {
  const base64 = textOf(data[mime]).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return element('p', 'unsupported', `This ${mime} output is not valid base64 and cannot be shown.`);
  const image = element('img');
  image.src = `data:${mime};base64,${base64}`;
  image.alt = stripAnsi(textOf(data['text/plain'])).trim() || 'Image output';
  const size = metadataFor(metadata, mime);
  const width = Number(size.width);
  const height = Number(size.height);
  if (Number.isFinite(width) && width > 0) image.width = width;
  if (Number.isFinite(height) && height > 0) image.height = height;
  if (size.unconfined === true) image.classList.add('unconfined');
  return image;
}

/** LaTeX shown as its source: no math renderer ships with Bento Lite. */
function latexNode(source: string): HTMLElement {
  let math = source.trim();
  for (const [open, close] of [['$$', '$$'], ['\\[', '\\]'], ['$', '$'], ['\\(', '\\)']]) {
    if (math.length >= open.length + close.length && math.startsWith(open) && math.endsWith(close)) {
      math = math.slice(open.length, math.length - close.length).trim();
      break;
    }
  }
  return element('pre', 'latex', math);
}

function javascriptNode(source: string): HTMLElement {
  const box = element('div', 'javascript');
  box.append(
    element('p', 'javascript-note', 'This output is JavaScript, which Bento Lite never runs. Its source:'),
    element('pre', 'javascript-source', source),
  );
  return box;
}

/**
 * An upload job's output is its live `<job-status>`, which keeps `data` at the job's last state. Its chunk is loaded
 * here: the document's watcher (lazy-elements.ts) does not see into this shadow root. Without it, the summary text.
 */
function jobNode(data: MimeBundle): HTMLElement {
  const node = Object.assign(document.createElement('job-status'), { bundle: data });
  loadElement('job-status').catch(() => (node.textContent = textOf(data['text/plain'])));
  return node;
}

/**
 * Builds the DOM for a rich (non text/plain) MIME type; undefined when it needs the sanitizer's chunk (HTML, SVG,
 * Markdown beyond the ordinary, JSON trees: loaded on first need) and that has not loaded. Text/plain is rendered as text
 * blocks instead. `host` tells the sanitizer whose content it is (an untrusted notebook's fetches nothing).
 */
function richNode(output: DisplayDataOutput | ExecuteResultOutput, mime: string, host: Node, sanitizer?: HtmlSanitizer): Node | undefined {
  const { data, metadata } = output;
  try {
    switch (mime) {
      case 'text/html':
        return sanitizer && sandboxed(sanitizer.sanitize(textOf(data[mime]), 'html', [], host), 'html', 'HTML output');
      case 'image/svg+xml':
        return sanitizer && sandboxed(sanitizer.sanitize(textOf(data[mime]), 'svg', [], host), 'svg');
      case 'image/png':
      case 'image/jpeg':
      case 'image/gif':
      case 'image/webp':
        return imageNode(data, metadata, mime);
      case 'text/markdown': {
        const markdown = textOf(data[mime]);
        const node = renderSimpleMarkdown(markdown) ?? (sanitizer?.markdownToHtml && sanitizer.sanitize(sanitizer.markdownToHtml(markdown), 'html', [], host));
        return node && sandboxed(node, 'markdown');
      }
      case 'text/latex':
        return latexNode(textOf(data[mime]));
      case 'application/json':
        return sanitizer?.jsonNode(data[mime], metadataFor(metadata, mime), host);
      case 'application/vnd.bento.job+json':
        return jobNode(data);
      default:
        return javascriptNode(textOf(data[mime]));
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return element('p', 'unsupported', `This ${mime} output could not be shown (${reason}).`);
  }
}

/** Resolves at the next animation frame, or after 100 ms in a background tab where frames never come. */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      cancelAnimationFrame(frame);
      resolve();
    };
    const timer = setTimeout(done, 100);
    const frame = requestAnimationFrame(done);
  });
}

/**
 * @summary Shows the outputs of a notebook cell: streams, rich displays, results and errors, as Jupyter does,
 * without ever running code from them.
 *
 * @remarks Nothing in an output executes: HTML, SVG and Markdown are sanitized with DOMPurify (no script, no
 * event handlers, no javascript: URLs, no frames, embeds or forms) and each lives in a shadow root of its own;
 * JavaScript outputs are shown as source. Long text shows its head and tail with a "Show all" button, and an
 * area attached to a growing `model` repaints at most once per animation frame.
 *
 * @csspart output - Every output's box (also carries one of `stream`, `result`, `display`, `error`).
 * @csspart stream - A stdout or stderr stream output.
 * @csspart stderr - A stderr stream output (also `stream`).
 * @csspart result - An execute_result output.
 * @csspart display - A display_data output.
 * @csspart error - An error output: summary and traceback.
 * @csspart show-all - The "Show all" buttons of truncated text and of very many outputs.
 * @csspart notice - The note saying earlier stream text was dropped to bound memory.
 *
 * @cssprop [--bento-color-surface-raised=#ffffff] - Output background.
 * @cssprop [--bento-color-on-surface=#1f2328] - Text.
 * @cssprop [--bento-color-muted=#59636e] - Notes and JSON summaries.
 * @cssprop [--bento-color-border=#d1d9e0] - Hairlines, buttons.
 * @cssprop [--bento-color-primary=#0969da] - Links, buttons, focus rings.
 * @cssprop [--bento-color-error=#c4202b] - Error name and border.
 * @cssprop [--bento-color-error-surface=#fff0ef] - Error background.
 * @cssprop [--bento-color-warning=#8a5c00] - stderr border and tint.
 * @cssprop [--bento-ansi-red=#c4202b] - Terminal colours: `--bento-ansi-{black,red,green,yellow,blue,magenta,cyan,white}`.
 * @cssprop [--bento-ansi-bright-red=#a40e26] - Bright terminal colours: `--bento-ansi-bright-{black,...,white}`.
 * @cssprop [--bento-font-sans=system-ui] - Body font.
 * @cssprop [--bento-font-mono=ui-monospace] - Text output font.
 * @cssprop [--bento-font-size=14px] - Body size.
 * @cssprop [--bento-font-size-small=12px] - Notes and buttons.
 * @cssprop [--bento-font-size-code=13px] - Text outputs.
 * @cssprop [--bento-line-height=1.5] - Line height.
 * @cssprop [--bento-space-1=4px] - Spacing scale (`--bento-space-1` to `--bento-space-3` are used).
 * @cssprop [--bento-radius=6px] - Button corners.
 */
@customElement('bento-output-area')
export class BentoOutputArea extends LitElement {
  static override styles = styles;

  private unsubscribe?: () => void;
  private subscribedModel?: OutputModel;
  private modelChanged = false;
  /** Rendered rich outputs by output object: an output is sanitized and built once, not on every repaint. */
  private richNodes = new WeakMap<Output, Node>();
  /** Outputs whose long text the user chose to show in full. */
  private expandedTexts = new WeakSet<Output>();
  private showAllOutputs = false;
  /** Settles once the sanitizer an output waits for has loaded (or failed to). */
  private sanitizerError?: string;
  /** Converted text blocks of the last render, by ANSI state and text; swapped on every render. */
  private textBlocks = new Map<string, TextBlock>();
  private nextTextBlocks = new Map<string, TextBlock>();
  private readonly onShowAllOutputs = () => {
    this.showAllOutputs = true;
    this.requestUpdate();
  };

  /** The outputs to show, as in an .ipynb cell. Assign a new array to repaint; ignored while `model` is set. */
  @property({ attribute: false }) outputs: readonly Output[] = [];

  /** A live model (e.g. of a running cell): shown instead of `outputs` and repainted when it changes. */
  @property({ attribute: false }) model?: OutputModel;

  /** Accessible name of the outputs region; make it unique per cell, e.g. "Output of cell 3". */
  @property() label = 'Output';

  override connectedCallback(): void {
    super.connectedCallback();
    this.subscribe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.subscribedModel = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('model')) this.subscribe();
    // "Show all outputs" holds until the outputs are cleared (a new run), not on every new output.
    if (changed.has('model') || (this.model ? this.model.outputs : this.outputs).length === 0) this.showAllOutputs = false;
  }

  /** Also waits for the sanitizer when an output waits for it, so that what it resolves to shows that output. */
  protected override async getUpdateComplete(): Promise<boolean> {
    let complete = await super.getUpdateComplete();
    for (let pending = sanitizerPendingFor(this); pending; pending = sanitizerPendingFor(this)) {
      await pending;
      complete = await super.getUpdateComplete();
    }
    return complete;
  }

  /** Model changes repaint once per animation frame however many messages arrived in between. */
  protected override async scheduleUpdate(): Promise<void> {
    if (this.modelChanged) await nextFrame();
    this.modelChanged = false;
    super.scheduleUpdate();
  }

  private subscribe(): void {
    if (!this.isConnected || this.subscribedModel === this.model) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.subscribedModel = this.model;
    if (!this.model) return;
    this.unsubscribe = this.model.subscribe(() => {
      this.modelChanged = true;
      this.requestUpdate();
    });
    this.requestUpdate();
  }

  private waitForSanitizer(markdown: boolean): void {
    loadSanitizerFor(
      this,
      (reason) => {
        this.sanitizerError = `HTML, SVG, Markdown and JSON outputs cannot be shown: their renderer did not load (${reason}).`;
        this.requestUpdate();
      },
      markdown,
    );
  }


  /**
   * An output whose type needs the sanitizer, before it has loaded: its text/plain form when it has one (as a
   * plain-text frontend shows it), never its markup.
   */
  private renderUnsanitized(output: DisplayDataOutput | ExecuteResultOutput, part: string): TemplateResult {
    const plain = output.data?.['text/plain'];
    const note = this.sanitizerError ? html`<p class="unsupported">${this.sanitizerError}</p>` : nothing;
    return html`<div part=${part} class="output pending">${note}${plain === undefined ? nothing : this.renderText(textOf(plain), output, 0)}</div>`;
  }

  private renderOutput(output: Output): TemplateResult {
    switch (output.output_type) {
      case 'stream':
        return this.renderStream(output);
      case 'error':
        return this.renderError(output);
      case 'display_data':
      case 'execute_result':
        return this.renderRich(output);
      default:
        return html`<div part="output" class="output"><p class="unsupported">An output of unknown type "${String((output as { output_type?: unknown }).output_type)}" is not shown.</p></div>`;
    }
  }

  private renderStream(output: StreamOutput): TemplateResult {
    const stderr = output.name === 'stderr';
    const dropped = droppedText(output);
    const notice = dropped.characters
      ? html`<p part="notice" class="notice">
          Earlier output was dropped to save memory: ${numbers.format(dropped.lines)} lines (${formatSize(dropped.characters)}).
        </p>`
      : nothing;
    return html`<div part=${stderr ? 'output stream stderr' : 'output stream'} class="output stream ${stderr ? 'stderr' : 'stdout'}">
      ${notice}${this.renderText(joinSource(output.text), output, dropped.lines)}
    </div>`;
  }

  private renderError(output: ErrorOutput): TemplateResult {
    const traceback = (output.traceback ?? []).join('\n');
    const evalue = stripAnsi(String(output.evalue ?? ''));
    return html`<div part="output error" class="output error">
      <p class="error-summary" role="alert">
        <strong class="ename">${stripAnsi(String(output.ename ?? 'Error'))}</strong>${evalue ? html`: <span class="evalue">${evalue}</span>` : nothing}
      </p>
      ${traceback ? this.renderText(traceback, output, 0) : nothing}
    </div>`;
  }

  private renderRich(output: DisplayDataOutput | ExecuteResultOutput): TemplateResult {
    const part = output.output_type === 'execute_result' ? 'output result' : 'output display';
    const data = output.data ?? {};
    const mime = preferredMimeType(data);
    if (mime === undefined) {
      const offered = Object.keys(data).join(', ') || 'none';
      return html`<div part=${part} class="output"><p class="unsupported">This output has no format Bento Lite can show (offered: ${offered}).</p></div>`;
    }
    if (mime === 'text/plain') return html`<div part=${part} class="output">${this.renderText(textOf(data[mime]), output, 0)}</div>`;
    let node = this.richNodes.get(output);
    if (!node) {
      node = richNode(output, mime, this, loadedSanitizer());
      if (!node) {
        if (!this.sanitizerError) this.waitForSanitizer(mime === 'text/markdown');
        return this.renderUnsanitized(output, part);
      }
      this.richNodes.set(output, node);
    }
    return html`<div part=${part} class="output rich">${node}</div>`;
  }

  /** Text with ANSI colours; long text shows its head and tail until the user asks for all of it. */
  private renderText(text: string, owner: Output, firstLine: number): TemplateResult {
    const lines = countLines(text);
    if (this.expandedTexts.has(owner) || (text.length <= TEXT_CHAR_LIMIT && lines <= TEXT_LINE_LIMIT)) {
      return html`<pre>${this.renderBlocks(text, firstLine)}</pre>`;
    }
    const headEnd = Math.min(afterLine(text, HEAD_LINES), HEAD_CHARS);
    const tailStart = Math.max(lastLinesStart(text, TAIL_LINES), text.length - TAIL_CHARS, headEnd);
    const head = text.slice(0, headEnd);
    const tail = text.slice(tailStart);
    // The tail's blocks stay aligned on absolute line numbers, so they keep their DOM as the text grows.
    const tailFirstLine = firstLine + countNewlines(text) - countNewlines(tail);
    const size = lines <= TEXT_LINE_LIMIT ? `, ${formatSize(text.length)}` : '';
    const showAll = () => {
      this.expandedTexts.add(owner);
      this.requestUpdate();
    };
    return html`<pre>${this.renderBlocks(head, firstLine)}</pre>
      <div class="elided">
        <button part="show-all" type="button" @click=${showAll}>
          Show all (${numbers.format(lines)} ${lines === 1 ? 'line' : 'lines'}${size})
        </button>
      </div>
      <pre>${this.renderBlocks(tail, tailFirstLine)}</pre>`;
  }

  /**
   * Text as blocks of BLOCK_LINES lines aligned on absolute line numbers (`firstLine` is the number of the
   * text's first line), each converted from ANSI once and kept while its text and starting style are unchanged.
   */
  private renderBlocks(text: string, firstLine: number): unknown {
    const blocks: Array<{ key: number; html: string }> = [];
    let state = new AnsiState();
    let start = 0;
    let line = firstLine;
    while (start < text.length) {
      const linesInBlock = BLOCK_LINES - (line % BLOCK_LINES);
      const end = afterLine(text, linesInBlock, start);
      const slice = text.slice(start, end);
      const cacheKey = `${state.key}\u0000${slice}`;
      let block = this.nextTextBlocks.get(cacheKey) ?? this.textBlocks.get(cacheKey);
      if (!block) {
        const endState = state.clone();
        block = { html: ansiToHtml(slice, endState), end: endState };
      }
      this.nextTextBlocks.set(cacheKey, block);
      blocks.push({ key: Math.floor(line / BLOCK_LINES), html: block.html });
      state = block.end;
      line += linesInBlock;
      start = end;
    }
    // Each block is a box of its own, so a change to the last block re-lays out that block, not the whole text.
    return repeat(blocks, (block) => block.key, (block) => html`<span class="block">${unsafeHTML(block.html)}</span>`);
  }

  override render(): unknown {
    const outputs = this.model ? this.model.outputs : this.outputs;
    if (outputs.length === 0) return nothing;
    this.nextTextBlocks = new Map();
    const indexed = outputs.map((output, index) => ({ output, index }));
    const truncated = !this.showAllOutputs && outputs.length > OUTPUT_LIMIT;
    // Templates are built here, not in repeat()'s callback (which runs after render() returns), so that every
    // text block is looked up while this render's block cache is current.
    const rendered = (items: typeof indexed) => items.map(({ output, index }) => ({ index, template: this.renderOutput(output) }));
    const head = rendered(truncated ? indexed.slice(0, OUTPUT_LIMIT / 2) : indexed);
    const tail = rendered(truncated ? indexed.slice(-OUTPUT_LIMIT / 2) : []);
    const result = html`<div class="outputs" role="region" aria-label=${this.label}>
      ${repeat(head, (item) => item.index, (item) => item.template)}
      ${truncated
        ? html`<div class="elided">
            <button part="show-all" type="button" @click=${this.onShowAllOutputs}>
              Show all (${numbers.format(outputs.length)} outputs)
            </button>
          </div>`
        : nothing}
      ${repeat(tail, (item) => item.index, (item) => item.template)}
    </div>`;
    this.textBlocks = this.nextTextBlocks;
    return result;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'bento-output-area': BentoOutputArea;
  }
}
