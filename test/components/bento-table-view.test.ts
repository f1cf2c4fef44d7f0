import { expect, fixture, html } from '@open-wc/testing';
import '../../components/bento-table-view/bento-table-view.ts';
import type { BentoTableView } from '../../components/bento-table-view/bento-table-view.ts';
import { ColumnTable } from '../../src/data/table.ts';
import { waitFor } from '../helpers.ts';

function bigTable(rows: number): ColumnTable {
  const ids = new BigInt64Array(rows);
  const scores = new Float64Array(rows);
  const names: string[] = [];
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(i);
    scores[i] = (i * 7919) % 1000;
    names.push(`name ${String(rows - i).padStart(6, '0')}`);
  }
  return ColumnTable.fromArrays([
    { name: 'id', type: 'int64', values: ids as unknown as ArrayLike<bigint> },
    { name: 'score', type: 'float64', values: scores },
    { name: 'name', type: 'string', values: names },
  ]);
}

const bodyRows = (view: BentoTableView) => [...view.shadowRoot!.querySelectorAll('tbody tr.row')];
const cellTexts = (row: Element) => [...row.querySelectorAll('td')].map((td) => td.textContent!.trim());

describe('<bento-table-view>', () => {
  it('puts only the rows in view into the DOM, whatever the size, and says how many there are', async () => {
    const view = await fixture<BentoTableView>(html`<bento-table-view .table=${bigTable(100_000)}></bento-table-view>`);
    const rows = bodyRows(view);
    expect(rows.length).to.be.greaterThan(5).and.lessThan(80);
    expect(cellTexts(rows[0])).to.deep.equal(['0', '0', '0.0', 'name 100000']);
    expect(view.shadowRoot!.querySelector('.footer')!.textContent).to.contain('100,000 rows × 3 columns');
    expect(view.shadowRoot!.querySelector('table')!.getAttribute('aria-rowcount')).to.equal('100001');

    const viewport = view.shadowRoot!.querySelector<HTMLElement>('.viewport')!;
    viewport.scrollTop = 26 * 50_000;
    viewport.dispatchEvent(new Event('scroll'));
    await waitFor(() => cellTexts(bodyRows(view)[0])[0] !== '0', 'rows follow the scroll');
    const first = Number(cellTexts(bodyRows(view)[0])[0]);
    expect(first).to.be.within(49_900, 50_000);
    expect(bodyRows(view).length).to.be.lessThan(80);
  });

  it('sorts on a header click: ascending, descending, then back to the source order', async () => {
    const view = await fixture<BentoTableView>(html`<bento-table-view .table=${bigTable(1000)}></bento-table-view>`);
    const header = () => view.shadowRoot!.querySelectorAll('thead th')[3] as HTMLElement;
    header().querySelector('button')!.click();
    await view.updateComplete;
    expect(header().getAttribute('aria-sort')).to.equal('ascending');
    expect(cellTexts(bodyRows(view)[0])[3]).to.equal('name 000001');
    header().querySelector('button')!.click();
    await view.updateComplete;
    expect(header().getAttribute('aria-sort')).to.equal('descending');
    expect(cellTexts(bodyRows(view)[0])[3]).to.equal('name 001000');
    header().querySelector('button')!.click();
    await view.updateComplete;
    expect(header().getAttribute('aria-sort')).to.equal('none');
    expect(cellTexts(bodyRows(view)[0])[1]).to.equal('0');
  });

  it('shows nulls as null, sorts them last, and prints dates and timestamps in UTC', async () => {
    const table = ColumnTable.fromArrays([
      { name: 'n', type: 'int32', values: [3, null, 1] },
      { name: 'day', type: 'date', values: [new Date('2024-02-29T00:00:00Z'), null, new Date('1969-12-31T00:00:00Z')] },
      { name: 'at', type: 'timestamp', values: [1_700_000_000_123_456n as unknown as Date, null, new Date('2024-01-01T12:30:00Z')] },
    ]);
    const view = await fixture<BentoTableView>(html`<bento-table-view .table=${table}></bento-table-view>`);
    expect(bodyRows(view).map(cellTexts)).to.deep.equal([
      ['0', '3', '2024-02-29', '2023-11-14 22:13:20.123456'],
      ['1', 'null', 'null', 'null'],
      ['2', '1', '1969-12-31', '2024-01-01 12:30:00'],
    ]);
    view.shadowRoot!.querySelectorAll<HTMLButtonElement>('thead th button')[0].click();
    await view.updateComplete;
    expect(bodyRows(view).map((r) => cellTexts(r)[1])).to.deep.equal(['1', '3', 'null']);
    view.shadowRoot!.querySelectorAll<HTMLButtonElement>('thead th button')[0].click();
    await view.updateComplete;
    expect(bodyRows(view).map((r) => cellTexts(r)[1])).to.deep.equal(['3', '1', 'null']);
  });

  it('says when it shows only the first rows of a larger result', async () => {
    const view = await fixture<BentoTableView>(html`<bento-table-view .table=${bigTable(10)} total-rows="1000000" note="bound to df"></bento-table-view>`);
    const footer = view.shadowRoot!.querySelector('.footer')!.textContent!;
    expect(footer).to.contain('1,000,000 rows × 3 columns (showing the first 10)');
    expect(footer).to.contain('bound to df');
  });

  it('is accessible', async () => {
    const view = await fixture<BentoTableView>(html`<bento-table-view .table=${bigTable(20)}></bento-table-view>`);
    await expect(view).to.be.accessible();
  });
});
