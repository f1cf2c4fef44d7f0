import { html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { DEFAULT_SHEET_SOURCE, onSheetSourcesChange, readSheet, sheetSourceConfig, sheetSourceNames } from '../../src/data/sheet-sources.ts';
import { MagicArgumentError, usageLine, type MagicArguments } from '../../src/magics/magics.ts';
import { GOOGLESHEET_MAGIC } from '../shared/data-cell-api.ts';
import { DataCell, type DataFetchContext, type DataResult } from '../shared/data-cell.ts';
import { styles } from '../shared/data-cell.styles.ts';


/**
 * @summary A Google Sheet as a table: paste the sheet's URL (or id), pick the tab and range, see the table, and
 * optionally bind it to a Python variable. In a notebook it is how a `%%googlesheet` cell looks; alone on a page it
 * reads without starting Python unless `into` names a variable. Public sheets need nothing; private ones a source
 * registered with `registerSheetSource` (an API key or an access-token getter, kept in JavaScript).
 *
 * @slot - The sheet's URL or id, as text.
 *
 * @event bento-query - The sheet was read; `event.detail` has rows, columns, elapsed time and the variable.
 * @event bento-error - The read failed; `event.error.message` says why.
 * @event bento-change - The URL, an option or the variable was edited.
 * @event bento-cell-command - A notebook shortcut typed in the editor.
 *
 * @csspart cell - The whole element.
 * @csspart header - Source, tab, range, header row, variable and run button.
 * @csspart input - The sheet's URL or id.
 * @csspart error - An error message.
 * @csspart result - The result table.
 *
 * @cssprop [--bento-cell-background=var(--bento-color-surface)] - Background when standalone.
 * @cssprop [--bento-cell-border=var(--bento-color-border)] - Border when standalone.
 * @cssprop [--bento-code-background=var(--bento-color-surface-raised)] - URL background.
 * @cssprop [--bento-table-max-height=360px] - Height of the result table.
 */
@customElement('googlesheet-cell')
export class GoogleSheetCell extends DataCell {
  static override styles = styles;

  protected readonly spec = GOOGLESHEET_MAGIC;
  protected readonly language = 'text';
  protected readonly label = 'Google Sheet cell';
  protected readonly noun = 'sheet';
  protected readonly lineProperties = ['into', 'sheet', 'range', 'header', 'noHeader', 'sourceName'];
  protected override readonly pickerRegistry = onSheetSourcesChange;

  /** The tab to read; default: the one the URL's `#gid=` names, else the first. */
  @property({ reflect: true }) sheet = '';
  /** An A1 range within the tab (`A1:F`, `B3:D100`); default: all of it. */
  @property({ reflect: true }) range = '';
  /** The header's row, counted from the first row of the range; default 1. */
  @property({ type: Number }) header?: number;
  /** No header row: the columns are named by their letters. */
  @property({ type: Boolean, reflect: true, attribute: 'no-header' }) noHeader = false;
  /** The sheet source (registered with `registerSheetSource`); default `public`, for sheets shared by link. */
  @property({ reflect: true, attribute: 'source' }) sourceName = DEFAULT_SHEET_SOURCE;

  protected optionsFromProperties(): MagicArguments['options'] {
    return {
      sheet: this.sheet || undefined,
      range: this.range || undefined,
      header: this.header,
      'no-header': this.noHeader || undefined,
      source: this.sourceName === DEFAULT_SHEET_SOURCE ? undefined : this.sourceName,
    };
  }

  protected applyOptions(options: MagicArguments['options']): void {
    this.sheet = (options.sheet as string | undefined) ?? '';
    this.range = (options.range as string | undefined) ?? '';
    this.header = options.header as number | undefined;
    this.noHeader = Boolean(options['no-header']);
    this.sourceName = (options.source as string | undefined) ?? DEFAULT_SHEET_SOURCE;
  }

  protected async fetchData(args: MagicArguments, body: string, { signal, progress }: DataFetchContext): Promise<DataResult> {
    const usage = usageLine(this.spec);
    const { sheet, range, header, source } = args.options as { sheet?: string; range?: string; header?: number; source?: string };
    const noHeader = Boolean(args.options['no-header']);
    if (header !== undefined && noHeader) throw new MagicArgumentError('--header N and --no-header contradict each other: give one of them.', usage);
    if (header === 0) throw new MagicArgumentError('--header counts rows from 1 (the first row of the range); use --no-header for a sheet without one.', usage);
    if (range !== undefined && !/^[A-Za-z]{1,3}\d*(:[A-Za-z]{1,3}\d*)?$/.test(range)) {
      throw new MagicArgumentError(`--range expects A1 notation such as A1:F or B3:D100, got '${range}' (the tab goes in --sheet).`, usage);
    }
    if (!body.trim()) throw new MagicArgumentError("There is no sheet under the %%googlesheet line: put the sheet's URL or id there.", usage);
    const result = await readSheet(
      { sheet: body, tab: sheet, range, header: noHeader ? false : header, source },
      { signal, onProgress: ({ message }) => progress(message) },
    );
    return { table: result.table, elapsedMs: result.elapsedMs, from: result.source, notes: result.notes };
  }

  private onSourceChange(event: Event): void {
    this.sourceName = (event.target as HTMLSelectElement).value;
  }

  private onTextChange(event: Event, property: 'sheet' | 'range'): void {
    this[property] = (event.target as HTMLInputElement).value.trim();
  }

  private onHeaderChange(event: Event): void {
    const input = event.target as HTMLInputElement;
    const row = input.value.trim() === '' ? undefined : Number(input.value);
    const problem = row !== undefined && !(Number.isInteger(row) && row >= 1) ? 'The header row is a whole number from 1.' : '';
    input.setCustomValidity(problem);
    if (problem) {
      input.reportValidity();
      return;
    }
    this.header = row === 1 ? undefined : row;
  }

  protected renderFields(locked: boolean) {
    const names = sheetSourceNames();
    if (!names.includes(this.sourceName)) names.push(this.sourceName);
    return html`<label
        >from
        <select @change=${this.onSourceChange} ?disabled=${locked} aria-label="Sheet source">
          ${names.map((name) => html`<option value=${name} ?selected=${name === this.sourceName}>${sheetSourceConfig(name)?.label ?? name}</option>`)}
        </select>
      </label>
      <label
        >tab
        <input .value=${this.sheet} placeholder="first" aria-label="Tab" spellcheck="false" ?disabled=${locked} @change=${(e: Event) => this.onTextChange(e, 'sheet')}
      /></label>
      <label
        >range
        <input .value=${this.range} placeholder="all" aria-label="Range (A1 notation)" spellcheck="false" ?disabled=${locked} @change=${(e: Event) => this.onTextChange(e, 'range')}
      /></label>
      <label
        >header row
        <input
          class="header-row"
          type="number"
          min="1"
          .value=${this.noHeader ? '' : String(this.header ?? 1)}
          aria-label="Header row"
          ?disabled=${locked || this.noHeader}
          @change=${this.onHeaderChange}
      /></label>
      <label
        ><input
          type="checkbox"
          .checked=${this.noHeader}
          ?disabled=${locked}
          @change=${(e: Event) => {
            this.noHeader = (e.target as HTMLInputElement).checked;
            if (this.noHeader) this.header = undefined;
          }}
        />no header</label
      >`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'googlesheet-cell': GoogleSheetCell;
  }
}
