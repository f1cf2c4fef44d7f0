import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { columnValue, type Column, type ColumnTable } from '../../src/data/table.ts';
import { styles } from './bento-table-view.styles.ts';
import { countInWords } from '../../src/util/words.ts';

/** Rows kept above and below the visible ones, so a quick scroll shows rows rather than gaps. */
const OVERSCAN = 10;
const NUMERIC = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float32', 'float64']);

/** How a value reads in a cell: dates as YYYY-MM-DD, timestamps in UTC to the microsecond they carry, floats as floats. */
export function formatCell(column: Column, row: number): string {
  const value = columnValue(column, row);
  if (value === null) return 'null';
  // A float that happens to be whole still reads as a float (14.0), as pandas prints it.
  if (typeof value === 'number' && (column.type === 'float64' || column.type === 'float32') && Number.isInteger(value)) return value.toFixed(1);
  if (!(value instanceof Date)) return String(value);
  const iso = value.toISOString();
  if (column.type === 'date') return iso.slice(0, 10);
  const micros = Number(((column.values as BigInt64Array)[row] % 1_000_000n + 1_000_000n) % 1_000_000n);
  const fraction = micros ? `.${String(micros).padStart(6, '0').replace(/0+$/, '')}` : '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}`;
}

type SortDirection = 'ascending' | 'descending';

/**
 * @summary A table of query results that stays fast at any size: only the rows in view are in the DOM
 * (virtual scrolling), columns sort on a header click, and a footer says how many rows there are.
 *
 * @csspart viewport - The scrolling box.
 * @csspart footer - The row count and notes under the table.
 *
 * @cssprop [--bento-table-max-height=360px] - Height of the scrolling box.
 * @cssprop [--bento-table-row-height=26px] - Height of one row (rows are laid out at this fixed height).
 * @cssprop [--bento-table-background=var(--bento-color-surface)] - Background.
 * @cssprop [--bento-table-header-background=var(--bento-color-surface-raised)] - Header background.
 * @cssprop [--bento-table-border=var(--bento-color-border)] - Border colour.
 * @cssprop [--bento-table-stripe] - Background of every other row.
 */
@customElement('bento-table-view')
export class BentoTableView extends LitElement {
  static override styles = styles;

  private rowHeight = 26;
  private resizeObserver?: ResizeObserver;
  private sortCache = new WeakMap<Column, Map<SortDirection, Uint32Array>>();

  @query('.viewport') private viewport?: HTMLElement;

  @state() private first = 0;
  @state() private visibleCount = 20;
  @state() private sort?: { column: number; direction: SortDirection };

  /** The rows to show. */
  @property({ attribute: false }) table?: ColumnTable;
  /** Rows the whole result has, when `table` holds only the first of them. */
  @property({ type: Number, attribute: 'total-rows' }) totalRows?: number;
  /** Extra words for the footer (elapsed time, where the data went). */
  @property() note = '';
  /** Accessible name of the table. */
  @property() label = 'Query result';

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => this.measure());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('table')) {
      this.sort = undefined;
      this.first = 0;
      if (this.viewport) this.viewport.scrollTop = 0;
    }
  }

  protected override firstUpdated(): void {
    const height = parseFloat(getComputedStyle(this).getPropertyValue('--bento-table-row-height'));
    if (height > 0) this.rowHeight = height;
    if (this.viewport) this.resizeObserver?.observe(this.viewport);
  }

  private measure(): void {
    if (!this.viewport) return;
    this.visibleCount = Math.ceil(this.viewport.clientHeight / this.rowHeight) + 1;
    this.onScroll();
  }

  private onScroll(): void {
    if (!this.viewport) return;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / this.rowHeight) - OVERSCAN);
    if (first !== this.first) this.first = first;
  }

  /** Row order for the current sort, computed once per column and direction. */
  private order(): Uint32Array | undefined {
    if (!this.sort || !this.table) return undefined;
    const column = this.table.columns[this.sort.column];
    let byDirection = this.sortCache.get(column);
    if (!byDirection) this.sortCache.set(column, (byDirection = new Map()));
    let order = byDirection.get(this.sort.direction);
    if (!order) {
      order = sortedOrder(column, this.table.numRows, this.sort.direction);
      byDirection.set(this.sort.direction, order);
    }
    return order;
  }

  private toggleSort(index: number): void {
    const current = this.sort?.column === index ? this.sort.direction : undefined;
    this.sort = current === undefined ? { column: index, direction: 'ascending' } : current === 'ascending' ? { column: index, direction: 'descending' } : undefined;
  }

  private renderRows() {
    const table = this.table!;
    const order = this.order();
    const last = Math.min(table.numRows, this.first + this.visibleCount + 2 * OVERSCAN);
    const rows = [];
    for (let i = this.first; i < last; i++) {
      const row = order ? order[i] : i;
      rows.push(html`<tr class="row" aria-rowindex=${i + 2}>
        <td class="index">${row}</td>
        ${table.columns.map((column) => {
          const text = formatCell(column, row);
          const isNull = column.valid?.[row] === 0;
          return html`<td class=${isNull ? 'null' : NUMERIC.has(column.type) ? 'num' : ''} title=${text.length > 40 ? text : nothing}>${text}</td>`;
        })}
      </tr>`);
    }
    const above = this.first * this.rowHeight;
    const below = (table.numRows - last) * this.rowHeight;
    return html`${above ? html`<tr class="spacer" aria-hidden="true"><td style="height:${above}px"></td></tr>` : nothing}${rows}${below
      ? html`<tr class="spacer" aria-hidden="true"><td style="height:${below}px"></td></tr>`
      : nothing}`;
  }

  override render() {
    const table = this.table;
    if (!table) return nothing;
    const total = this.totalRows ?? table.numRows;
    const shown = table.numRows < total ? `showing the first ${countInWords(table.numRows)}` : '';
    return html`
      <div class="viewport" part="viewport" tabindex="0" @scroll=${this.onScroll} style="--_height:${Math.min(table.numRows + 1, 14) * this.rowHeight + 2}px">
        <table aria-label=${this.label} aria-rowcount=${table.numRows + 1}>
          <thead>
            <tr aria-rowindex="1">
              <th class="index" scope="col"><span class="visually-hidden">row</span></th>
              ${table.columns.map((column, index) => {
                const sorted = this.sort?.column === index ? this.sort.direction : undefined;
                return html`<th scope="col" aria-sort=${sorted ?? 'none'} title=${column.sourceType ?? column.type}>
                  <button @click=${() => this.toggleSort(index)} aria-label="${column.name}, ${column.type}: sort">
                    ${column.name} <span class="type">${column.type}</span>
                    <span class="arrow" aria-hidden="true">${sorted === 'ascending' ? '▲' : sorted === 'descending' ? '▼' : ''}</span>
                  </button>
                </th>`;
              })}
            </tr>
          </thead>
          <tbody>
            ${this.renderRows()}
          </tbody>
        </table>
      </div>
      <div class="footer" part="footer" role="status">
        <span>${countInWords(total, 'row')} × ${countInWords(table.columns.length, 'column')}${shown ? ` (${shown})` : ''}</span>
        ${this.note ? html`<span>${this.note}</span>` : nothing}
      </div>
    `;
  }
}

/** Indexes 0..n-1 ordered by a column's values; nulls last in either direction. */
function sortedOrder(column: Column, numRows: number, direction: SortDirection): Uint32Array {
  const order = new Uint32Array(numRows);
  for (let i = 0; i < numRows; i++) order[i] = i;
  const sign = direction === 'ascending' ? 1 : -1;
  const valid = column.valid;
  let key: (i: number) => number | bigint | string;
  if (column.type === 'string') {
    const strings = new Array<string>(numRows);
    for (let i = 0; i < numRows; i++) strings[i] = columnValue(column, i) as string;
    key = (i) => strings[i];
  } else {
    const values = column.values;
    key = (i) => values[i];
  }
  order.sort((a, b) => {
    const aNull = valid ? valid[a] === 0 : false;
    const bNull = valid ? valid[b] === 0 : false;
    if (aNull || bNull) return aNull === bNull ? a - b : aNull ? 1 : -1;
    const x = key(a);
    const y = key(b);
    // NaN sorts after every number, before nulls.
    if (x !== x || y !== y) return x !== x ? (y !== y ? a - b : 1) : -1;
    return x < y ? -sign : x > y ? sign : a - b;
  });
  return order;
}

declare global {
  interface HTMLElementTagNameMap {
    'bento-table-view': BentoTableView;
  }
}
