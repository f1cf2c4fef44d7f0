import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { connectorConfig, connectorNames, DEFAULT_CONNECTOR, getConnector, onConnectorsChange, QueryError } from '../../src/data/connectors.ts';
import type { ColumnTable } from '../../src/data/table.ts';
import { DEFAULT_CHUNK_ROWS, newUploadJobId, type UploadMode } from '../../src/data/upload.ts';
import type { JobRunner } from '../../src/jobs/runner.ts';
import { jobRunner } from '../../src/jobs/worker-runner.ts';
import { TableError } from '../../src/kernel/table-wire.ts';
import { invalidIdentifier, MagicArgumentError, usageLine, type MagicArguments, type MagicRunContext, type MagicRunResult } from '../../src/magics/magics.ts';
import { runInOrder } from '../../src/magics/order.ts';
import { styles as dataCellStyles } from '../shared/data-cell.styles.ts';
import { BentoErrorEvent } from '../shared/events.ts';
import { MagicCell } from '../shared/magic-cell.ts';
import { slottedSource } from '../shared/slotted-source.ts';
import '../job-status/job-status.ts';
import { JOB_MIME, jobBundle } from '../job-status/job-summary.ts';
import { DATAFRAME_MAGIC } from '../shared/data-cell-api.ts';

const MODES: readonly UploadMode[] = ['create', 'append', 'replace'];

/** What a `%%dataframe` line asks for, checked. */
interface UploadRequest {
  df: string;
  target: string;
  connector: string;
  mode: UploadMode;
  chunkRows?: number;
}

/**
 * @summary Uploads a table from the kernel to a warehouse as a background job: `%%dataframe df --to trips`. The
 * cell reads `df` (a pandas DataFrame or a Bento table) from the kernel, checks everything it can before any job
 * starts (the arguments, the variable, its column types, whether the table exists), submits a job to the page's
 * runner and returns at once; the job's live `<job-status>` is its output. Alone on a page it uploads from the
 * page's default Python session and shows the `<job-status>` itself.
 *
 * @slot - The magic line, as text: `<dataframe-cell>%%dataframe df --to trips</dataframe-cell>`.
 *
 * @event bento-change - The magic line was edited (in the form or the editor).
 * @event bento-error - A submission was refused; `event.error.message` says why.
 * @event bento-cell-command - A notebook shortcut typed in the editor.
 *
 * @csspart cell - The whole element.
 * @csspart header - Variable, target, connection, mode and the Upload button.
 * @csspart input - The magic line.
 * @csspart error - Why the upload was refused.
 * @csspart job - The job's `<job-status>` (standalone only: in a notebook it is the cell's output).
 *
 * @cssprop [--bento-cell-background=var(--bento-color-surface)] - Background when standalone.
 * @cssprop [--bento-cell-border=var(--bento-color-border)] - Border when standalone.
 */
@customElement('dataframe-cell')
export class DataFrameCell extends MagicCell {
  static override styles = [dataCellStyles, css`.header input { max-width: 24ch; }`];

  protected readonly spec = DATAFRAME_MAGIC;
  protected readonly language = 'text';
  protected readonly label = 'Upload cell';
  protected readonly noun = 'magic line';
  protected readonly lineProperties = ['df', 'to', 'connection', 'mode', 'chunkRows'];
  protected override readonly pickerRegistry = onConnectorsChange;

  @state() private submitting = false;
  /** The job this element submitted last. */
  @state() private jobId?: string;

  /** The Python variable to upload. */
  @property({ reflect: true }) df = '';
  /** The warehouse table to write (`--to`). */
  @property({ reflect: true }) to = '';
  /** Connector name (`--conn`); default: the embedded DuckDB. */
  @property({ reflect: true }) connection = DEFAULT_CONNECTOR;
  /** `create` (default: the table must not exist), `append` or `replace`. */
  @property({ reflect: true }) mode: UploadMode = 'create';
  /** Rows per chunk (`--chunk-rows`); default 100 000. */
  @property({ type: Number, attribute: 'chunk-rows' }) chunkRows?: number;
  /** The runner the job goes to; default: the page's runner (`jobRunner()`). */
  @property({ attribute: false }) runner?: JobRunner;

  override connectedCallback(): void {
    // The slotted text may be the whole `%%dataframe` line rather than a body.
    if (this.text === undefined) {
      const slotted = slottedSource(this);
      if (slotted.startsWith('%%')) this.source = slotted;
    }
    super.connectedCallback();
  }

  /** A `%%dataframe` cell has no body: its text is the line alone. */
  protected override joinLine(line: string, body: string): string {
    return body ? `${line}\n${body}` : line;
  }

  protected argumentsFromProperties(): MagicArguments {
    return {
      positionals: { df: this.df || undefined },
      options: { to: this.to || undefined, conn: this.connection === DEFAULT_CONNECTOR ? undefined : this.connection, mode: this.mode === 'create' ? undefined : this.mode, 'chunk-rows': this.chunkRows },
    };
  }

  protected applyArgumentsToProperties(args: MagicArguments): void {
    this.df = args.positionals.df ?? '';
    this.to = (args.options.to as string | undefined) ?? '';
    this.connection = (args.options.conn as string | undefined) ?? DEFAULT_CONNECTOR;
    const mode = args.options.mode as UploadMode | undefined;
    this.mode = mode && MODES.includes(mode) ? mode : 'create';
    this.chunkRows = args.options['chunk-rows'] as number | undefined;
  }

  /** The request a parsed line makes, or a MagicArgumentError naming the argument that is wrong. */
  private requestFrom(args: MagicArguments): UploadRequest {
    const usage = usageLine(DATAFRAME_MAGIC);
    const df = args.positionals.df;
    if (!df) throw new MagicArgumentError('%%dataframe needs the variable to upload (argument df), e.g. %%dataframe df --to trips.', usage);
    const target = args.options.to as string | undefined;
    if (!target) throw new MagicArgumentError(`--to is missing: name the table to write, e.g. %%dataframe ${df} --to trips.`, usage);
    const mode = (args.options.mode as string | undefined) ?? 'create';
    if (!MODES.includes(mode as UploadMode)) throw new MagicArgumentError(`--mode must be create, append or replace, not '${mode}'.`, usage);
    const chunkRows = args.options['chunk-rows'] as number | undefined;
    if (chunkRows !== undefined && chunkRows < 1) throw new MagicArgumentError('--chunk-rows must be at least 1.', usage);
    if (this.body.trim()) throw new MagicArgumentError('%%dataframe takes no text below its line; remove it (put Python in a cell of its own).', usage);
    return { df, target, connector: (args.options.conn as string | undefined) ?? DEFAULT_CONNECTOR, mode: mode as UploadMode, chunkRows };
  }

  private onField(name: 'df' | 'to' | 'connection' | 'mode' | 'chunkRows', event: Event): void {
    const input = event.target as HTMLInputElement | HTMLSelectElement;
    const value = input.value.trim();
    if (name === 'df' && value && input instanceof HTMLInputElement) {
      const problem = invalidIdentifier(value);
      input.setCustomValidity(problem ?? '');
      if (problem) {
        input.reportValidity();
        return;
      }
    }
    if (name === 'chunkRows') this.chunkRows = value ? Number(value) : undefined;
    else if (name === 'mode') this.mode = value as UploadMode;
    else this[name] = value || (name === 'connection' ? DEFAULT_CONNECTOR : '');
  }

  /** True while the element itself shows the job it submitted (standalone; in a notebook the output shows it). */
  get hasResult(): boolean {
    return !this.showMagic && this.jobId !== undefined;
  }

  /** The id of the job submitted last. */
  get lastJobId(): string | undefined {
    return this.jobId;
  }

  /**
   * Checks and submits the upload; resolves once the job is recorded, not when it ends. Rejects before any job
   * starts with a MagicArgumentError (wrong arguments), a QueryError (an unknown connector, one that cannot
   * receive uploads), a TableError (no such variable, not a table, a column type the kernel cannot hand over) or
   * an UploadError (a column type or value the warehouse cannot take, a target that exists under `create`).
   */
  async run(context: Partial<MagicRunContext> = {}): Promise<MagicRunResult> {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    context.signal?.addEventListener('abort', () => controller.abort(context.signal?.reason), { once: true });
    const { signal } = controller;
    this.submitting = true;
    this.error = undefined;
    try {
      const { args, error } = this.parsedArguments();
      if (!args) throw error;
      const request = this.requestFrom(args);
      const connector = await getConnector(request.connector);
      if (!connector.uploads) {
        throw new MagicArgumentError(`--conn ${request.connector}: ${connector.label} cannot receive uploads; name a DuckDB or ClickHouse connector.`, usageLine(DATAFRAME_MAGIC));
      }
      signal.throwIfAborted();
      const kernel = (context.kernel ?? (() => this.activeKernel()))();
      // Alone on a page the read waits its turn among the page's runs; in a notebook the cell already did.
      const read = () => kernel.extract(request.df);
      const table: ColumnTable = await (context.kernel ? read() : runInOrder(kernel, 'magic', read));
      signal.throwIfAborted();
      if (table.columns.length === 0) throw new TableError(`'${request.df}' has no columns; there is nothing to upload.`);
      // The warehouse's own checks, before any job: a job is only made for an upload that can start.
      const plan = { jobId: newUploadJobId(), target: request.target, mode: request.mode, schema: table.schema, chunkRows: request.chunkRows ?? DEFAULT_CHUNK_ROWS, totalRows: table.numRows };
      await connector.uploads.check(plan, table);
      signal.throwIfAborted();
      const runner = this.runner ?? jobRunner();
      // The table was extracted for this job alone: its buffers go to the worker without a copy.
      const jobArguments = { connector: request.connector, target: request.target, mode: request.mode, source: request.df, ...(request.chunkRows ? { chunkRows: request.chunkRows } : {}) };
      const record = await runner.submit(table, jobArguments, { transfer: true });
      this.jobId = record.id;
      const bundle = jobBundle(record);
      return { summary: bundle['text/plain'], data: { [JOB_MIME]: bundle[JOB_MIME] } };
    } catch (error) {
      const failure = signal.aborted ? new QueryError('Upload cancelled before it started: no job was made.', { cancelled: true }) : error;
      const message = failure instanceof Error ? failure.message : String(failure);
      this.error = failure instanceof Error && failure.name === 'UsageError' ? `UsageError: ${message}` : message;
      this.dispatchEvent(new BentoErrorEvent({ message, source: DATAFRAME_MAGIC.name }));
      throw failure;
    } finally {
      if (this.controller === controller) {
        this.controller = undefined;
        this.submitting = false;
      }
    }
  }

  private renderHeader() {
    const locked = this.parsedArguments().error !== undefined || this.submitting;
    const names = connectorNames();
    if (!names.includes(this.connection)) names.push(this.connection);
    const field = (name: 'df' | 'to', label: string, placeholder: string) =>
      html`<input .value=${this[name]} placeholder=${placeholder} aria-label=${label} spellcheck="false" ?disabled=${locked} @change=${(e: Event) => this.onField(name, e)} />`;
    return html`<div class="header" part="header">
      <span class="badge" aria-hidden="true">${this.badge}</span>
      <label>${field('df', 'Python variable to upload', 'df')}</label>
      <label>to ${field('to', 'Table to write', 'table')}</label>
      <label
        >on
        <select aria-label="Connection" ?disabled=${locked} @change=${(e: Event) => this.onField('connection', e)}>
          ${names.map((name) => html`<option value=${name} ?selected=${name === this.connection}>${connectorConfig(name)?.label ?? name}</option>`)}
        </select></label
      >
      <label
        >mode
        <select aria-label="Mode" ?disabled=${locked} @change=${(e: Event) => this.onField('mode', e)}>
          ${MODES.map((mode) => html`<option value=${mode} ?selected=${mode === this.mode}>${mode}</option>`)}
        </select></label
      >
      ${this.submitting
        ? html`<span class="status" role="status">checking…</span>`
        : html`<button class="run" @click=${this.runFromButton} aria-label="Upload the table">▲ Upload</button>`}
    </div>`;
  }

  protected override renderInput() {
    // Alone on a page the form is the whole cell; the line shows while it is edited, and in a notebook.
    if (!this.showMagic && !this.isEditorOpen) return nothing;
    return super.renderInput();
  }

  override render() {
    return html`<div class="cell" part="cell" role="group" aria-label="Upload cell">
      ${this.renderHeader()} ${this.renderInput()}
      ${this.renderErrors()}
      ${this.jobId && !this.showMagic ? html`<job-status part="job" job-id=${this.jobId} .runner=${this.runner}></job-status>` : nothing}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dataframe-cell': DataFrameCell;
  }
}
