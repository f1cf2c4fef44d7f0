/**
 * What every data cell shares (`<sql-cell>`, `<googlesheet-cell>`, `<graphql-cell>`): a `%%magic` line and a
 * body kept in step with a small form, an editor, Run and Cancel, a progress line, the error, binding the result
 * into the kernel (a table, or a value such as a GraphQL answer) and its preview. A subclass says which magic it
 * owns and how it fetches (`fetchData`); the fetch runs in the page, so the same cell works on every kernel.
 */
import { consume } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { QueryError } from '../../src/data/connectors.ts';
import type { ColumnTable } from '../../src/data/table.ts';
import { kernelContext } from '../../src/kernel/context.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { bindValue } from '../../src/kernel/values.ts';
import {
  formatMagicLine,
  invalidIdentifier,
  MagicArgumentError,
  parseCellMagic,
  parseMagicArguments,
  usageLine,
  type CellMagicSpec,
  type MagicArguments,
  type MagicCellElement,
  type MagicRunContext,
  type MagicRunResult,
} from '../../src/magics/magics.ts';
import { runInOrder } from '../../src/magics/order.ts';
import type { CellEditor, EditorLanguage } from '../bento-cell/editor.ts';
import { loadEditor, openEditorOrReport } from '../bento-cell/editor-loader.ts';
import { BentoCellCommandEvent, BentoChangeEvent, BentoErrorEvent } from './events.ts';
import { pageKernel } from './page-kernel.ts';
import { slottedSource } from './slotted-source.ts';
import { BentoQueryEvent, RENDERED_ROWS_CAP } from './data-cell-api.ts';
import '../bento-table-view/bento-table-view.ts';

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** What a subclass's fetch is given. */
export interface DataFetchContext {
  /** Aborted by Cancel, Interrupt or Restart: hand it to `fetch`. */
  signal: AbortSignal;
  /** The kernel the result goes to (starting it if needed): for a fetch that reads Python variables first. */
  kernel: () => Kernel;
  /** A short progress text for the header ("3 pages, 300 rows"). */
  progress: (text: string) => void;
}

/** What a fetch brought: a table (shown in the table view) or any JSON value (shown as JSON). */
export interface DataResult {
  table?: ColumnTable;
  value?: unknown;
  elapsedMs: number;
  /** Where it came from, for the summary line: "DuckDB (in browser)", "the sheet 'Orders'". */
  from: string;
  /** Said after the row count, e.g. "cut at --limit 10". */
  truncated?: string;
  /** Things the user should know (renamed headers, partial data), shown under the result and in the summary. */
  notes?: string[];
}

interface Shown {
  table?: ColumnTable;
  value?: unknown;
  totalRows: number;
  elapsedMs: number;
  truncated?: string;
  notes: string[];
  boundTo?: string;
}

/**
 * The base class of data cells. A subclass is registered with `@customElement`, owns one magic (`spec`) whose
 * first positional is the variable (`var`), and implements the abstract members below.
 */
export abstract class DataCell extends LitElement implements MagicCellElement {
  protected text?: string;
  private applyingSource = false;
  private editor?: CellEditor;
  private editorOpening?: Promise<CellEditor>;
  private controller?: AbortController;

  @query('.editor') private editorHost?: HTMLElement;

  @consume({ context: kernelContext, subscribe: true })
  @state()
  private contextKernel?: Kernel;
  @state() private editing = false;
  @state() protected running = false;
  @state() private progress = '';
  @state() private error?: string;
  @state() private editorError?: string;
  @state() private shown?: Shown;

  /** Python variable that receives the result, in the notebook's kernel or the page's default session. */
  @property({ reflect: true }) into = '';
  /** Run once when the element appears (a docs page that shows a result right away). */
  @property({ type: Boolean }) autorun = false;
  /** Show and edit the `%%magic` line with the body, as a notebook cell does (set by `<bento-cell>`). */
  @property({ type: Boolean, reflect: true, attribute: 'show-magic' }) showMagic = false;
  /** A kernel of its own for `into`; default: the notebook's, or the page's default session. */
  @property({ attribute: false }) kernel?: Kernel;

  /** The magic this element owns. */
  protected abstract readonly spec: CellMagicSpec;
  /** The editor's language for the body. */
  protected abstract readonly language: EditorLanguage;
  /** The short badge at the left of the header ("SQL"), and the group's accessible name ("SQL cell"). */
  protected abstract readonly badge: string;
  protected abstract readonly label: string;
  /** What Run fetches, for buttons and messages: "query", "sheet". */
  protected abstract readonly noun: string;
  /** Properties that appear in the magic line: a change to one rewrites it. */
  protected abstract readonly lineProperties: readonly string[];
  /** The magic line's options from the element's properties (the variable is added from `into`). */
  protected abstract optionsFromProperties(): MagicArguments['options'];
  /** The element's properties from a hand-edited magic line's options. */
  protected abstract applyOptions(options: MagicArguments['options']): void;
  /** The header's fields between the badge and the variable (a connection picker, an endpoint). */
  protected abstract renderFields(locked: boolean): TemplateResult | typeof nothing;
  /** Fetches. Throws a MagicArgumentError for wrong arguments, a QueryError (or TableError) when the source said no. */
  protected abstract fetchData(args: MagicArguments, body: string, context: DataFetchContext): Promise<DataResult>;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.text === undefined) this.text = `${this.magicLine()}\n${slottedSource(this)}`;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.cancel();
    this.editor?.destroy();
    this.editor = undefined;
    this.editorOpening = undefined;
  }

  protected override willUpdate(changed: PropertyValues): void {
    // A host page or the form changed an argument: the magic line follows. (Arguments read from a new source
    // must not rewrite it: that text is the user's.)
    const lineChanged = changed.has('into') || this.lineProperties.some((name) => changed.has(name));
    if (!this.applyingSource && lineChanged && this.text !== undefined) {
      if (!this.parsedArguments().error) this.setText(`${this.magicLine()}\n${this.body}`, false);
    }
  }

  protected override updated(changed: PropertyValues): void {
    this.applyingSource = false;
    if (changed.has('autorun') && this.autorun && !this.running && !this.shown) void this.runFromButton();
  }

  protected magicLine(): string {
    return formatMagicLine(this.spec, { positionals: { var: this.into || undefined }, options: this.optionsFromProperties() });
  }

  /** The body below the magic line (the query, the sheet, ...). */
  get body(): string {
    const text = this.text ?? '';
    return parseCellMagic(text)?.body ?? text;
  }

  protected parsedArguments(): { args?: MagicArguments; error?: MagicArgumentError } {
    const magic = parseCellMagic(this.text ?? '');
    if (!magic || magic.name !== this.spec.name) return { error: new MagicArgumentError(`The cell must start with the %%${this.spec.name} line.`, usageLine(this.spec)) };
    try {
      return { args: parseMagicArguments(this.spec, magic.argText) };
    } catch (error) {
      if (error instanceof MagicArgumentError) return { error };
      throw error;
    }
  }

  /** Replaces the text; `fromUser` keeps the editor as is (it is where the text came from). */
  protected setText(text: string, fromUser: boolean): void {
    this.text = text;
    if (!fromUser) this.editor?.setText(this.editorText());
    this.dispatchEvent(new BentoChangeEvent());
    this.requestUpdate();
  }

  private editorText(): string {
    return this.showMagic ? (this.text ?? '') : this.body;
  }

  private activeKernel(): Kernel {
    return this.kernel ?? this.contextKernel ?? pageKernel();
  }

  private async openEditor(): Promise<CellEditor> {
    if (this.editor) return this.editor;
    this.editorOpening ??= (async () => {
      const { createEditor } = await loadEditor().catch((error: unknown) => {
        this.editorOpening = undefined; // not kept: the next edit tries again
        throw error;
      });
      this.editing = true;
      await this.updateComplete;
      this.editor = createEditor(this.editorHost!, this.shadowRoot!, this.editorText(), this.language, {
        onChange: (text) => {
          this.setText(this.showMagic ? text : `${this.magicLine()}\n${text}`, true);
          if (this.showMagic) this.applyArguments();
        },
        onCommand: (command) => {
          this.dispatchEvent(new BentoCellCommandEvent(command));
          if (!this.showMagic && command.startsWith('run')) void this.runFromButton();
          return true;
        },
        complete: async () => undefined,
      });
      return this.editor;
    })();
    return this.editorOpening;
  }

  /** Reflects a hand-edited magic line in the form. */
  private applyArguments(): void {
    const { args } = this.parsedArguments();
    if (!args) return;
    this.applyingSource = true;
    this.into = args.positionals.var ?? '';
    this.applyOptions(args.options);
  }

  protected async runFromButton(): Promise<void> {
    // In a cell, the cell runs it: in its turn, with its outputs.
    if (this.showMagic) {
      this.dispatchEvent(new BentoCellCommandEvent('run'));
      return;
    }
    try {
      await this.run();
    } catch {
      // Shown in the element (standalone) or as the cell's output (in a notebook).
    }
  }

  private onIntoChange(event: Event): void {
    const input = event.target as HTMLInputElement;
    const name = input.value.trim();
    const problem = name ? invalidIdentifier(name) : null;
    input.setCustomValidity(problem ?? '');
    if (problem) {
      input.reportValidity();
      return;
    }
    this.into = name;
  }

  /** The source as a notebook saves it: the magic line, then the body. */
  get source(): string {
    return this.text ?? '';
  }

  set source(text: string) {
    this.text = text;
    this.editor?.setText(this.editorText());
    this.applyArguments();
    this.requestUpdate();
  }

  get isEditing(): boolean {
    return Boolean(this.editor?.view.hasFocus);
  }

  /** Whether a fetch is running. */
  get isRunning(): boolean {
    return this.running;
  }

  get hasResult(): boolean {
    return this.shown !== undefined;
  }

  /** The table on show (its first RENDERED_ROWS_CAP rows), if the result is a table. */
  get result(): ColumnTable | undefined {
    return this.shown?.table;
  }

  /** The value on show, if the result is not a table. */
  get resultValue(): unknown {
    return this.shown?.value;
  }

  async edit(): Promise<void> {
    const editor = await openEditorOrReport(this, () => this.openEditor(), (message) => (this.editorError = message));
    if (!editor) return;
    this.editing = true;
    await this.updateComplete;
    editor.focus();
  }

  stopEditing(): void {
    this.editor?.view.contentDOM.blur();
  }

  /**
   * Fetches and binds the result to the variable when there is one. Rejects with a MagicArgumentError (wrong
   * arguments), a QueryError (the source said no) or a TableError (the kernel could not take it); nothing is
   * bound then.
   */
  async run(context: Partial<MagicRunContext> = {}): Promise<MagicRunResult> {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    context.signal?.addEventListener('abort', () => controller.abort(context.signal?.reason), { once: true });
    this.running = true;
    this.error = undefined;
    this.progress = '';
    try {
      const { args, error } = this.parsedArguments();
      if (!args) throw error;
      const name = args.positionals.var;
      let kernel: Kernel | undefined;
      const kernelOf = () => (kernel ??= (context.kernel ?? (() => this.activeKernel()))());
      if (name) kernelOf();
      const work = async (): Promise<MagicRunResult> => {
        const result = await this.fetchData(args, this.body, { signal: controller.signal, kernel: kernelOf, progress: (text) => (this.progress = text) });
        return this.bindAndShow(result, name, kernel, controller.signal);
      };
      // Only a result bound into a kernel has to wait its turn there; a fetch alone never waits for Python.
      return await (kernel && !context.kernel ? runInOrder(kernel, 'magic', work) : work());
    } catch (error) {
      const cancelled = controller.signal.aborted;
      const failure = cancelled && !(error instanceof QueryError) ? new QueryError(`${this.noun[0].toUpperCase()}${this.noun.slice(1)} cancelled.`, { cancelled: true }) : error;
      const message = failure instanceof Error ? failure.message : String(failure);
      this.error = failure instanceof Error && failure.name === 'UsageError' ? `UsageError: ${message}` : message;
      this.dispatchEvent(new BentoErrorEvent({ message, source: this.spec.name }));
      throw failure;
    } finally {
      if (this.controller === controller) {
        this.controller = undefined;
        this.running = false;
        this.progress = '';
      }
    }
  }

  private async bindAndShow(result: DataResult, name: string | undefined, kernel: Kernel | undefined, signal: AbortSignal): Promise<MagicRunResult> {
    const notes = result.notes ?? [];
    const table = result.table;
    const bound = name && kernel ? name : undefined;
    if (table) {
      // The kernel may take the table's buffers (a transfer): what the view shows must be a copy of its own.
      const view = bound || table.numRows > RENDERED_ROWS_CAP ? table.head(RENDERED_ROWS_CAP) : table;
      const totalRows = table.numRows;
      const columns = table.columns.length;
      if (bound) {
        signal.throwIfAborted();
        await kernel!.inject(bound, table);
      }
      this.shown = { table: view, totalRows, elapsedMs: result.elapsedMs, truncated: result.truncated, notes, boundTo: bound };
      this.dispatchEvent(new BentoQueryEvent({ rows: totalRows, columns, elapsedMs: result.elapsedMs, truncated: Boolean(result.truncated), boundTo: bound }));
      const what = `${count(totalRows, 'row')} × ${count(columns, 'column')}${result.truncated ? ` (${result.truncated})` : ''}`;
      return { summary: this.summary(what, result, bound) };
    }
    if (bound) {
      signal.throwIfAborted();
      await bindValue(kernel!, bound, result.value);
    }
    this.shown = { value: result.value, totalRows: 0, elapsedMs: result.elapsedMs, notes, boundTo: bound };
    this.dispatchEvent(new BentoQueryEvent({ rows: 0, columns: 0, elapsedMs: result.elapsedMs, truncated: false, boundTo: bound }));
    const value = result.value;
    const what = value === null ? 'null' : Array.isArray(value) ? `a list of ${count(value.length, 'item')}` : typeof value === 'object' ? 'a dict' : `a ${typeof value}`;
    return { summary: this.summary(what, result, bound) };
  }

  private summary(what: string, result: DataResult, bound: string | undefined): string {
    const notes = result.notes?.length ? ` (${result.notes.join('; ')})` : '';
    return `${what} from ${result.from} in ${formatMs(result.elapsedMs)}${bound ? `, bound to ${bound}` : ''}${notes}`;
  }

  cancel(): void {
    this.controller?.abort();
  }

  private renderHeader() {
    // While the magic line does not parse, the form would overwrite what the user wrote: it waits.
    const locked = this.parsedArguments().error !== undefined;
    return html`
      <div class="header" part="header">
        <span class="badge" aria-hidden="true">${this.badge}</span>
        ${this.renderFields(locked || this.running)}
        <label
          >into
          <input
            .value=${this.into}
            placeholder="variable"
            aria-label="Python variable for the result"
            spellcheck="false"
            ?disabled=${locked || this.running}
            @change=${this.onIntoChange}
        /></label>
        ${this.running
          ? html`<button @click=${() => this.cancel()} aria-label=${`Cancel the ${this.noun}`}>■ Cancel</button>
              <span class="status" role="status">running${this.progress ? `, ${this.progress}` : ''}…</span>`
          : html`<button class="run" @click=${this.runFromButton} aria-label=${`Run the ${this.noun}`}>▶ Run</button>`}
        ${this.renderHeaderNote()}
      </div>
    `;
  }

  /** Something the subclass says at the end of the header (a dropped file's name). */
  protected renderHeaderNote(): TemplateResult | typeof nothing {
    return nothing;
  }

  private renderInput() {
    return html`
      <div class="editor" part="input" ?hidden=${!this.editing}></div>
      ${this.editing
        ? nothing
        : html`<pre
            class="static"
            part="input"
            tabindex=${this.showMagic ? -1 : 0}
            title="Click or press Enter to edit"
            aria-label=${`${this.label}: ${this.noun}`}
            @click=${() => this.edit()}
            @keydown=${(event: KeyboardEvent) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                void this.edit();
              }
            }}
            .textContent=${this.editorText()}
          ></pre>`}
    `;
  }

  private renderResult() {
    const shown = this.shown;
    if (!shown) return nothing;
    const notes = [formatMs(shown.elapsedMs)];
    if (shown.truncated) notes.push(shown.truncated);
    notes.push(...shown.notes);
    if (!shown.table) {
      if (shown.boundTo) notes.push(`bound to ${shown.boundTo}`);
      return html`<pre class="value" part="result" tabindex="0" aria-label="Result">${JSON.stringify(shown.value, null, 2)}</pre>
        <span class="note">${notes.join(' · ')}</span>`;
    }
    if (shown.table.numRows < shown.totalRows) notes.push(`all ${shown.totalRows.toLocaleString('en-US')} rows are in ${shown.boundTo ?? 'the result'}, the table shows the first ${shown.table.numRows.toLocaleString('en-US')}`);
    else if (shown.boundTo) notes.push(`bound to ${shown.boundTo}`);
    return html`<bento-table-view part="result" .table=${shown.table} .totalRows=${shown.totalRows} .note=${notes.join(' · ')}></bento-table-view>`;
  }

  /** Extra attributes of the cell's frame (drag and drop), for a subclass. */
  protected frameClass(): string {
    return '';
  }

  override render() {
    return html`
      <div class="cell ${this.frameClass()}" part="cell" role="group" aria-label=${this.label}>
        ${this.renderHeader()} ${this.renderInput()}
        ${this.editorError ? html`<div class="error" role="alert">${this.editorError}</div>` : nothing}
        ${this.error && !this.showMagic ? html`<pre class="error" part="error" role="alert">${this.error}</pre>` : nothing}
        ${this.renderResult()}
      </div>
    `;
  }
}
