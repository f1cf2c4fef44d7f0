/**
 * What every data cell shares (`<sql-cell>`, `<googlesheet-cell>`, `<graphql-cell>`): a `%%magic` line and a
 * body kept in step with a small form, an editor, Run and Cancel, a progress line, the error, binding the result
 * into the kernel (a table, or a value such as a GraphQL answer) and its preview. A subclass says which magic it
 * owns and how it fetches (`fetchData`); the fetch runs in the page, so the same cell works on every kernel.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { QueryError } from '../../src/data/connectors.ts';
import type { ColumnTable } from '../../src/data/table.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { bindValue } from '../../src/kernel/values.ts';
import { transferables } from '../../src/kernel/table-wire.ts';
import { invalidIdentifier, type MagicArguments, type MagicRunContext, type MagicRunResult } from '../../src/magics/magics.ts';
import { runInOrder } from '../../src/magics/order.ts';
import { BentoErrorEvent } from './events.ts';
import { MagicCell } from './magic-cell.ts';
import { BentoQueryEvent, RENDERED_ROWS_CAP } from './data-cell-api.ts';
import '../bento-table-view/bento-table-view.ts';
import { countInWords } from '../../src/util/words.ts';

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

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
export abstract class DataCell extends MagicCell {
  @state() protected running = false;
  @state() private progress = '';
  @state() private shown?: Shown;

  /** Python variable that receives the result, in the notebook's kernel or the page's default session. */
  @property({ reflect: true }) into = '';
  /** Run once when the element appears (a docs page that shows a result right away). */
  @property({ type: Boolean }) autorun = false;

  /** The magic line's options from the element's properties (the variable is added from `into`). */
  protected abstract optionsFromProperties(): MagicArguments['options'];
  /** The element's properties from a hand-edited magic line's options. */
  protected abstract applyOptions(options: MagicArguments['options']): void;
  /** The header's fields between the badge and the variable (a connection picker, an endpoint). */
  protected abstract renderFields(locked: boolean): TemplateResult | typeof nothing;
  /** Fetches. Throws a MagicArgumentError for wrong arguments, a QueryError (or TableError) when the source said no. */
  protected abstract fetchData(args: MagicArguments, body: string, context: DataFetchContext): Promise<DataResult>;

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (changed.has('autorun') && this.autorun && !this.running && !this.shown) void this.runFromButton();
  }

  protected argumentsFromProperties(): MagicArguments {
    return { positionals: { var: this.into || undefined }, options: this.optionsFromProperties() };
  }

  protected applyArgumentsToProperties(args: MagicArguments): void {
    this.into = args.positionals.var ?? '';
    this.applyOptions(args.options);
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
      const tableBytes = transferables(table.columns).reduce((sum, buffer) => sum + buffer.byteLength, 0);
      if (bound) {
        signal.throwIfAborted();
        await kernel!.inject(bound, table);
      }
      this.shown = { table: view, totalRows, elapsedMs: result.elapsedMs, truncated: result.truncated, notes, boundTo: bound };
      this.dispatchEvent(new BentoQueryEvent({ rows: totalRows, columns, elapsedMs: result.elapsedMs, truncated: Boolean(result.truncated), boundTo: bound }));
      const what = `${countInWords(totalRows, 'row')} × ${countInWords(columns, 'column')}${result.truncated ? ` (${result.truncated})` : ''}`;
      return { summary: this.summary(what, result, bound), tableBytes: bound ? tableBytes : undefined };
    }
    if (bound) {
      signal.throwIfAborted();
      await bindValue(kernel!, bound, result.value);
    }
    this.shown = { value: result.value, totalRows: 0, elapsedMs: result.elapsedMs, notes, boundTo: bound };
    this.dispatchEvent(new BentoQueryEvent({ rows: 0, columns: 0, elapsedMs: result.elapsedMs, truncated: false, boundTo: bound }));
    const value = result.value;
    const what = value === null ? 'null' : Array.isArray(value) ? `a list of ${countInWords(value.length, 'item')}` : typeof value === 'object' ? 'a dict' : `a ${typeof value}`;
    return { summary: this.summary(what, result, bound) };
  }

  private summary(what: string, result: DataResult, bound: string | undefined): string {
    const notes = result.notes?.length ? ` (${result.notes.join('; ')})` : '';
    return `${what} from ${result.from} in ${formatMs(result.elapsedMs)}${bound ? `, bound to ${bound}` : ''}${notes}`;
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
    if (shown.table.numRows < shown.totalRows) notes.push(`all ${countInWords(shown.totalRows)} rows are in ${shown.boundTo ?? 'the result'}, the table shows the first ${countInWords(shown.table.numRows)}`);
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
        ${this.renderHeader()} ${this.renderInput()} ${this.renderErrors()} ${this.renderResult()}
      </div>
    `;
  }
}
