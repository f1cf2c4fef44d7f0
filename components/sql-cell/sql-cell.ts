import { consume } from '@lit/context';
import { html, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { connectorConfig, connectorNames, DEFAULT_CONNECTOR, getConnector, onConnectorsChange, QueryError } from '../../src/data/connectors.ts';
import { jobSettled, uploadsReadBy } from '../../src/jobs/uploads-read.ts';
import { kernelContext } from '../../src/kernel/context.ts';
import { idleMoment, kernelStatus, pageLoaded, started } from '../../src/util/later.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { MagicArgumentError, usageLine, type MagicArguments } from '../../src/magics/magics.ts';
import { SQL_MAGIC } from '../shared/data-cell-api.ts';
import { DataCell, type DataFetchContext, type DataResult } from '../shared/data-cell.ts';
import { styles } from '../shared/data-cell.styles.ts';
import { countInWords } from '../../src/util/words.ts';

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
export class SqlCell extends DataCell {
  static override styles = styles;

  protected readonly spec = SQL_MAGIC;
  protected readonly language = 'sql';
  protected readonly label = 'SQL cell';
  protected readonly noun = 'query';
  protected readonly lineProperties = ['into', 'connection', 'limit'];
  protected override readonly pickerRegistry = onConnectorsChange;

  @state() private dropNote?: string;
  @state() private dragging = false;

  /** Connector name (registered with `registerConnector`); default: the embedded DuckDB. */
  @property({ reflect: true }) connection = DEFAULT_CONNECTOR;
  /** Keep at most this many rows. */
  @property({ type: Number }) limit?: number;

  /** The notebook's kernel when this is a notebook's cell: DuckDB is prepared once it has started (prepareWhenIdle). */
  @consume({ context: kernelContext, subscribe: true })
  @state()
  private notebookKernel?: Kernel;
  /** The connection whose preparation is under way or done, so each is prepared once per cell. */
  private preparing?: string;
  private stopPreparing?: () => void;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('dragover', this.onDragOver);
    this.addEventListener('dragleave', this.onDragLeave);
    this.addEventListener('drop', this.onDrop);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopPreparing?.();
    this.preparing = undefined;
    this.removeEventListener('dragover', this.onDragOver);
    this.removeEventListener('dragleave', this.onDragLeave);
    this.removeEventListener('drop', this.onDrop);
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (this.preparing !== this.connection) this.prepareWhenIdle();
  }

  /**
   * Starts the embedded DuckDB of this cell's connection (download, compile, its tables) while the page has nothing
   * else to do, so the first Run only queries: in a notebook once its kernel has started (never while Python boots,
   * which needs the cores more), alone on a page once the page has loaded. Server connections are not opened early.
   */
  private prepareWhenIdle(): void {
    if (connectorConfig(this.connection)?.kind !== 'duckdb') return;
    const inNotebook = (this.getRootNode() as ShadowRoot).host?.localName === 'bento-cell';
    const kernel = this.kernel ?? this.notebookKernel;
    // A notebook hands its kernel over once it has made it; updated() comes back here then.
    if (inNotebook && !kernel) return;
    this.stopPreparing?.();
    const name = this.connection;
    this.preparing = name;
    const stop = new AbortController();
    this.stopPreparing = () => stop.abort();
    void (async () => {
      if (kernel) await kernelStatus(kernel, started, stop.signal);
      else await pageLoaded();
      await idleMoment(stop.signal);
      if (stop.signal.aborted) return;
      const connector = await getConnector(name);
      if (!stop.signal.aborted) await connector.prepare?.();
    })().catch(() => {
      // The first Run starts it again and says what went wrong.
      if (this.preparing === name && !stop.signal.aborted) this.preparing = undefined;
    });
  }

  protected optionsFromProperties(): MagicArguments['options'] {
    return { conn: this.connection === DEFAULT_CONNECTOR ? undefined : this.connection, limit: this.limit };
  }

  protected applyOptions(options: MagicArguments['options']): void {
    this.connection = (options.conn as string | undefined) ?? DEFAULT_CONNECTOR;
    this.limit = options.limit as number | undefined;
  }

  protected async fetchData(args: MagicArguments, body: string, { signal, progress }: DataFetchContext): Promise<DataResult> {
    const query = body.trim();
    if (!query) throw new MagicArgumentError('There is no query under the %%sql line.', usageLine(this.spec));
    const connectorName = (args.options.conn as string | undefined) ?? DEFAULT_CONNECTOR;
    const limit = args.options.limit as number | undefined;
    await this.untilUploadsDone(connectorName, query, signal, progress);
    const connector = await getConnector(connectorName);
    const result = await connector.query(query, { signal, limit, onProgress: ({ rows }) => progress(`${countInWords(rows)} rows so far`) });
    return {
      table: result.table,
      elapsedMs: result.elapsedMs,
      from: connectorConfig(connectorName)?.label ?? connectorName,
      truncated: result.truncated ? `cut at --limit ${limit}` : undefined,
    };
  }

  /**
   * Waits for the page's upload jobs still writing a table this query reads (a `%%dataframe` cell above, on *Run
   * all*), saying so in the header; refuses to query a table whose upload failed, was cancelled or paused meanwhile.
   */
  private async untilUploadsDone(connector: string, query: string, signal: AbortSignal, progress: (text: string) => void): Promise<void> {
    for (const { runner, job } of await uploadsReadBy(connector, query)) {
      const { target, source } = job.arguments;
      const waiting = ({ progress: { rows, totalRows } }: typeof job) =>
        progress(`waiting for the upload to ${target}: ${countInWords(rows)} of ${countInWords(totalRows)} rows`);
      waiting(job);
      const ended = await jobSettled(runner, job.id, { signal, onChange: waiting });
      if (ended.state !== 'succeeded') {
        const how = ended.state === 'paused' ? 'is paused' : ended.state === 'cancelled' ? 'was cancelled' : 'failed';
        const why = ended.error?.message ? ` (${ended.error.message.replace(/\.$/, '')})` : '';
        throw new QueryError(
          `This query reads ${target}, but the upload of ${source ?? 'a table'} to it (job ${job.id}) ${how}${why}. ` +
            `The query was not run: retry or resume the upload, then run it again.`,
        );
      }
    }
  }

  private onConnectionChange(event: Event): void {
    this.connection = (event.target as HTMLSelectElement).value;
  }

  private readonly onDragOver = (event: DragEvent): void => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    this.dragging = true;
  };

  private readonly onDragLeave = (): void => {
    this.dragging = false;
  };

  private readonly onDrop = async (event: DragEvent): Promise<void> => {
    this.dragging = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    await this.addFiles(files);
  };

  protected override frameClass(): string {
    return this.dragging ? 'dragging' : '';
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

  protected renderFields(locked: boolean) {
    const names = connectorNames();
    if (!names.includes(this.connection)) names.push(this.connection);
    return html`<label
      >on
      <select @change=${this.onConnectionChange} ?disabled=${locked} aria-label="Connection">
        ${names.map((name) => html`<option value=${name} ?selected=${name === this.connection}>${connectorConfig(name)?.label ?? name}</option>`)}
      </select>
    </label>`;
  }

  protected override renderHeaderNote() {
    return this.dropNote ? html`<span class="note" role="status">${this.dropNote}</span>` : super.renderHeaderNote();
  }
}

/** Resolves once `kernel` has started (or failed to): a kernel not started yet is waited for, never started here. */
declare global {
  interface HTMLElementTagNameMap {
    'sql-cell': SqlCell;
  }
}
