import { consume } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { connectorConfig, connectorNames, DEFAULT_CONNECTOR, getConnector, onConnectorsChange, QueryError } from '../../src/data/connectors.ts';
import type { ColumnTable } from '../../src/data/table.ts';
import { kernelContext } from '../../src/kernel/context.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import {
  formatMagicLine,
  invalidIdentifier,
  MagicArgumentError,
  parseCellMagic,
  parseMagicArguments,
  usageLine,
  type MagicArguments,
  type MagicCellElement,
  type MagicRunContext,
  type MagicRunResult,
} from '../../src/magics/magics.ts';
import { runInOrder } from '../../src/magics/order.ts';
import type { CellEditor } from '../bento-cell/editor.ts';
import { loadEditor, openEditorOrReport } from '../bento-cell/editor-loader.ts';
import { BentoCellCommandEvent, BentoChangeEvent, BentoErrorEvent } from '../shared/events.ts';
import { pageKernel } from '../shared/page-kernel.ts';
import '../bento-table-view/bento-table-view.ts';
import { BentoQueryEvent, RENDERED_ROWS_CAP, SQL_MAGIC } from './sql-magic.ts';
import { styles } from './sql-cell.styles.ts';
import { slottedSource } from '../shared/slotted-source.ts';

export { BentoQueryEvent, RENDERED_ROWS_CAP, SQL_MAGIC };

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

interface Shown {
  table: ColumnTable;
  totalRows: number;
  elapsedMs: number;
  truncated: boolean;
  boundTo?: string;
}

/**
 * @summary A runnable SQL query: pick a connection, write SQL, see the result as a table, and optionally bind it
 * to a Python variable. In a notebook it is how a `%%sql` cell looks; alone on a page it runs without starting
 * Python unless `into` names a variable.
 *
 * @slot - The query, as text: `<sql-cell connection="demo">SELECT 1</sql-cell>`; a query containing `<` goes in
 *   a `<script type="text/x-sql">` child.
 *
 * @event bento-query - A query finished; `event.detail` has rows, columns, elapsed time and the variable.
 * @event bento-error - A query failed; `event.error.message` says why.
 * @event bento-change - The query, connection or variable was edited.
 * @event bento-cell-command - A notebook shortcut typed in the editor.
 *
 * @csspart cell - The whole element.
 * @csspart header - Connection picker, variable and run button.
 * @csspart input - The SQL.
 * @csspart error - An error message.
 * @csspart result - The result table.
 *
 * @cssprop [--bento-cell-background=var(--bento-color-surface)] - Background when standalone.
 * @cssprop [--bento-cell-border=var(--bento-color-border)] - Border when standalone.
 * @cssprop [--bento-code-background=var(--bento-color-surface-raised)] - SQL background.
 * @cssprop [--bento-table-max-height=360px] - Height of the result table.
 */
@customElement('sql-cell')
export class SqlCell extends LitElement implements MagicCellElement {
  static override styles = styles;

  private text?: string;
  private applyingSource = false;
  private editor?: CellEditor;
  private editorOpening?: Promise<CellEditor>;
  private controller?: AbortController;
  private unsubscribeConnectors?: () => void;

  @query('.editor') private editorHost?: HTMLElement;

  @consume({ context: kernelContext, subscribe: true })
  @state()
  private contextKernel?: Kernel;
  @state() private editing = false;
  @state() private running = false;
  @state() private progressRows = 0;
  @state() private error?: string;
  @state() private editorError?: string;
  @state() private shown?: Shown;
  @state() private dropNote?: string;
  @state() private dragging = false;

  /** Connector name (registered with `registerConnector`); default: the embedded DuckDB. */
  @property({ reflect: true }) connection = DEFAULT_CONNECTOR;
  /** Python variable that receives the result, in the notebook's kernel or the page's default session. */
  @property({ reflect: true }) into = '';
  /** Keep at most this many rows. */
  @property({ type: Number }) limit?: number;
  /** Run once when the element appears (a docs page that shows a result right away). */
  @property({ type: Boolean }) autorun = false;
  /** Show and edit the `%%sql` line with the query, as a notebook cell does (set by `<bento-cell>`). */
  @property({ type: Boolean, reflect: true, attribute: 'show-magic' }) showMagic = false;
  /** A kernel of its own for `into`; default: the notebook's, or the page's default session. */
  @property({ attribute: false }) kernel?: Kernel;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.text === undefined) {
      const query = slottedSource(this);
      this.text = `${this.magicLine()}\n${query}`;
    }
    this.unsubscribeConnectors = onConnectorsChange(() => this.requestUpdate());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribeConnectors?.();
    this.cancel();
    this.editor?.destroy();
    this.editor = undefined;
    this.editorOpening = undefined;
  }

  protected override willUpdate(changed: PropertyValues): void {
    // A host page or the form changed an argument: the `%%sql` line follows. (Arguments read from a new
    // source must not rewrite it: that text is the user's.)
    if (!this.applyingSource && (changed.has('connection') || changed.has('into') || changed.has('limit')) && this.text !== undefined) {
      if (!this.parsedArguments().error) this.setText(`${this.magicLine()}\n${this.body}`, false);
    }
  }

  protected override updated(changed: PropertyValues): void {
    this.applyingSource = false;
    if (changed.has('autorun') && this.autorun && !this.running && !this.shown) void this.runFromButton();
  }

  private magicLine(): string {
    return formatMagicLine(SQL_MAGIC, {
      positionals: { var: this.into || undefined },
      options: { conn: this.connection === DEFAULT_CONNECTOR ? undefined : this.connection, limit: this.limit },
    });
  }

  /** The query below the `%%sql` line. */
  get body(): string {
    const text = this.text ?? '';
    return parseCellMagic(text)?.body ?? text;
  }

  private parsedArguments(): { args?: MagicArguments; error?: MagicArgumentError } {
    const magic = parseCellMagic(this.text ?? '');
    if (!magic || magic.name !== SQL_MAGIC.name) return { error: new MagicArgumentError('The cell must start with the %%sql line.', usageLine(SQL_MAGIC)) };
    try {
      return { args: parseMagicArguments(SQL_MAGIC, magic.argText) };
    } catch (error) {
      if (error instanceof MagicArgumentError) return { error };
      throw error;
    }
  }

  /** Replaces the text; `fromUser` keeps the editor as is (it is where the text came from). */
  private setText(text: string, fromUser: boolean): void {
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
      this.editor = createEditor(this.editorHost!, this.shadowRoot!, this.editorText(), 'sql', {
        onChange: (text) => {
          const full = this.showMagic ? text : `${this.magicLine()}\n${text}`;
          this.setText(full, true);
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

  /** Reflects a hand-edited `%%sql` line in the form (connection, variable, limit). */
  private applyArguments(): void {
    const { args } = this.parsedArguments();
    if (!args) return;
    this.applyingSource = true;
    this.into = args.positionals.var ?? '';
    this.connection = (args.options.conn as string | undefined) ?? DEFAULT_CONNECTOR;
    this.limit = args.options.limit as number | undefined;
  }

  private async runFromButton(): Promise<void> {
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

  private onConnectionChange(event: Event): void {
    this.connection = (event.target as HTMLSelectElement).value;
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

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    this.dragging = true;
  }

  private async onDrop(event: DragEvent): Promise<void> {
    this.dragging = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    await this.addFiles(files);
  }

  /** The source as a notebook saves it: the `%%sql` line, then the query. */
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

  /** Whether a query is running. */
  get isRunning(): boolean {
    return this.running;
  }

  get hasResult(): boolean {
    return this.shown !== undefined;
  }

  /** The result on show (the first RENDERED_ROWS_CAP rows), if any. */
  get result(): ColumnTable | undefined {
    return this.shown?.table;
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
   * Makes dropped files queryable on this cell's connector and, when the query is empty, writes one that reads
   * the first of them.
   */
  async addFiles(files: File[]): Promise<string[]> {
    const names: string[] = [];
    try {
      const connector = await getConnector(this.connection);
      if (!connector.registerFile) throw new QueryError(`${connector.label} cannot read dropped files; drop them on a DuckDB cell.`);
      for (const file of files) names.push(await connector.registerFile(file));
      this.dropNote = `Now queryable: ${names.map((n) => `'${n}'`).join(', ')}`;
      if (!this.body.trim()) this.setText(`${this.magicLine()}\nSELECT * FROM '${names[0]}'`, false);
    } catch (error) {
      this.dropNote = error instanceof Error ? error.message : String(error);
    }
    return names;
  }

  /**
   * Runs the query; binds the result to the variable when there is one. Rejects with a MagicArgumentError
   * (wrong arguments) or a QueryError (the source said no), and nothing is bound then.
   */
  async run(context: Partial<MagicRunContext> = {}): Promise<MagicRunResult> {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    context.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    this.running = true;
    this.error = undefined;
    this.progressRows = 0;
    try {
      const { args, error } = this.parsedArguments();
      if (!args) throw error;
      const query = this.body.trim();
      if (!query) throw new MagicArgumentError('There is no query under the %%sql line.', usageLine(SQL_MAGIC));
      const name = args.positionals.var;
      const connectorName = (args.options.conn as string | undefined) ?? DEFAULT_CONNECTOR;
      const limit = args.options.limit as number | undefined;
      const kernel = name ? (context.kernel ?? (() => this.activeKernel()))() : undefined;
      const work = async (): Promise<MagicRunResult> => {
        const connector = await getConnector(connectorName);
        const result = await connector.query(query, { signal: controller.signal, limit, onProgress: ({ rows }) => (this.progressRows = rows) });
        const table = result.table;
        // The kernel may take the table's buffers (a transfer): what the view shows must be a copy of its own.
        const view = name || table.numRows > RENDERED_ROWS_CAP ? table.head(RENDERED_ROWS_CAP) : table;
        const totalRows = table.numRows;
        const columns = table.columns.length;
        if (kernel && name) {
          controller.signal.throwIfAborted();
          await kernel.inject(name, table);
        }
        this.shown = { table: view, totalRows, elapsedMs: result.elapsedMs, truncated: result.truncated, boundTo: name };
        this.dispatchEvent(new BentoQueryEvent({ rows: totalRows, columns, elapsedMs: result.elapsedMs, truncated: result.truncated, boundTo: name }));
        const label = connectorConfig(connectorName)?.label ?? connectorName;
        return {
          summary:
            `${totalRows.toLocaleString('en-US')} ${totalRows === 1 ? 'row' : 'rows'} × ${columns} ${columns === 1 ? 'column' : 'columns'}` +
            `${result.truncated ? ` (cut at --limit ${limit})` : ''} from ${label} in ${formatMs(result.elapsedMs)}${name ? `, bound to ${name}` : ''}`,
        };
      };
      // Only a result bound into a kernel has to wait its turn there; a query alone never waits for Python.
      return await (kernel && !context.kernel ? runInOrder(kernel, 'magic', work) : work());
    } catch (error) {
      const cancelled = controller.signal.aborted;
      const failure = cancelled && !(error instanceof QueryError) ? new QueryError('Query cancelled.', { cancelled: true }) : error;
      const message = failure instanceof Error ? failure.message : String(failure);
      this.error = failure instanceof Error && failure.name === 'UsageError' ? `UsageError: ${message}` : message;
      this.dispatchEvent(new BentoErrorEvent({ message, source: 'sql' }));
      throw failure;
    } finally {
      if (this.controller === controller) {
        this.controller = undefined;
        this.running = false;
      }
    }
  }

  cancel(): void {
    this.controller?.abort();
  }

  private renderHeader() {
    const names = connectorNames();
    if (!names.includes(this.connection)) names.push(this.connection);
    // While the %%sql line does not parse, the form would overwrite what the user wrote: it waits.
    const locked = this.parsedArguments().error !== undefined;
    return html`
      <div class="header" part="header">
        <span class="badge" aria-hidden="true">SQL</span>
        <label
          >on
          <select @change=${this.onConnectionChange} ?disabled=${locked || this.running} aria-label="Connection">
            ${names.map((name) => html`<option value=${name} ?selected=${name === this.connection}>${connectorConfig(name)?.label ?? name}</option>`)}
          </select>
        </label>
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
          ? html`<button @click=${() => this.cancel()} aria-label="Cancel the query">■ Cancel</button>
              <span class="status" role="status">running${this.progressRows ? `, ${this.progressRows.toLocaleString('en-US')} rows so far` : ''}…</span>`
          : html`<button class="run" @click=${this.runFromButton} aria-label="Run the query">▶ Run</button>`}
        ${this.dropNote ? html`<span class="note" role="status">${this.dropNote}</span>` : nothing}
      </div>
    `;
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
            aria-label="SQL query"
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
    const notes = [`${formatMs(shown.elapsedMs)}`];
    if (shown.truncated) notes.push(`cut at the limit`);
    if (shown.table.numRows < shown.totalRows) notes.push(`all ${shown.totalRows.toLocaleString('en-US')} rows are in ${shown.boundTo ?? 'the result'}, the table shows the first ${shown.table.numRows.toLocaleString('en-US')}`);
    else if (shown.boundTo) notes.push(`bound to ${shown.boundTo}`);
    return html`<bento-table-view part="result" .table=${shown.table} .totalRows=${shown.totalRows} .note=${notes.join(' · ')}></bento-table-view>`;
  }

  override render() {
    return html`
      <div
        class="sql ${this.dragging ? 'dragging' : ''}"
        part="cell"
        role="group"
        aria-label="SQL cell"
        @dragover=${this.onDragOver}
        @dragleave=${() => (this.dragging = false)}
        @drop=${this.onDrop}
      >
        ${this.renderHeader()} ${this.renderInput()}
        ${this.editorError ? html`<div class="error" role="alert">${this.editorError}</div>` : nothing}
        ${this.error && !this.showMagic ? html`<pre class="error" part="error" role="alert">${this.error}</pre>` : nothing}
        ${this.renderResult()}
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sql-cell': SqlCell;
  }
  interface GlobalEventHandlersEventMap {
    'bento-query': BentoQueryEvent;
  }
}
