import { expect } from '@open-wc/testing';
import { ColumnTable } from '../../../src/data/table.ts';
import { PyodideKernel } from '../../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../../src/kernel/pyodide/runtime.ts';
import { pyodideKernelForSuite, run, testRuntimeOptions } from '../../helpers.ts';
import { describeTable, rejection, stdout, tableInjection } from '../inject.ts';

// Pyodide here has no pandas (only the core packages ship): injected tables become Bento tables.
const runtime = new PyodideRuntime(testRuntimeOptions());
tableInjection({
  label: 'Pyodide',
  makeKernel: async () => new PyodideKernel({ runtime }),
  dispose: async (kernel) => {
    await kernel.shutdown();
    runtime.terminate();
  },
  makeSibling: async (kernel) => new PyodideKernel({ runtime: (kernel as PyodideKernel).runtime }),
  disposeSibling: (sibling) => sibling.shutdown(),
  pandas: false,
  zoneDatabase: false,
});

function people(rows: number): ColumnTable {
  return ColumnTable.fromArrays([
    { name: 'id', type: 'int64', values: Array.from({ length: rows }, (_, i) => BigInt(i)) },
    { name: 'name', type: 'string', values: Array.from({ length: rows }, (_, i) => (i === 1 ? '<b>Bold & "quoted"</b>' : i === 2 ? null : `person ${i}`)) },
    { name: 'score', type: 'float64', values: Array.from({ length: rows }, (_, i) => (i === 2 ? null : i / 2)) },
    { name: 'joined', type: 'date', values: Array.from({ length: rows }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i))) },
  ]);
}

describe('Pyodide: the Bento table (no pandas)', () => {
  const suite = pyodideKernelForSuite();

  it('has columns, len, shape, dtypes, rows as tuples and list-like columns', async () => {
    await suite.kernel.inject('t', people(30));
    const out = await stdout(
      suite.kernel,
      [
        'print(type(t).__module__, type(t).__name__)',
        'print(t.columns, len(t), t.shape)',
        'print(t.dtypes)',
        'print(next(iter(t)))',
        'rows = list(t)',
        'print(len(rows), rows[2])',
        'c = t["name"]',
        'print(len(c), c[0], c[-1], c[2], c.nulls, c.type)',
        'print(c[:2].tolist(), list(t["id"])[-3:])',
        'print(t.row(29), t[["id", "score"]].columns, len(t[10:15]))',
        'print(t.head(2).shape, t.tail(3)["id"].tolist(), "name" in t)',
        'print(t.to_dict()["score"][:3])',
        'try:\n    t["nope"]\nexcept KeyError as e:\n    print(e)',
      ].join('\n'),
    );
    expect(out.split('\n')).to.deep.equal([
      'bento_table Table',
      "['id', 'name', 'score', 'joined'] 30 (30, 4)",
      "{'id': 'int64', 'name': 'string', 'score': 'float64', 'joined': 'date'}",
      "(0, 'person 0', 0.0, datetime.date(2024, 1, 1))",
      '30 (2, None, None, datetime.date(2024, 1, 3))',
      '30 person 0 person 29 None 1 string',
      "['person 0', '<b>Bold & \"quoted\"</b>'] [27, 28, 29]",
      "(29, 'person 29', 14.5, datetime.date(2024, 1, 30)) ['id', 'score'] 5",
      '(2, 4) [27, 28, 29] True',
      '[0.0, 0.5, None]',
      "\"no column 'nope'; the columns are 'id', 'name', 'score', 'joined'\"",
      '',
    ]);
  });

  it('prints as a text table with head and tail and its shape; shows as escaped HTML', async () => {
    await suite.kernel.inject('t', people(30));
    const r = await run(suite.kernel, 't');
    const result = r.outputs.find(([type]) => type === 'execute_result')![1];
    const text: string = result.data['text/plain'];
    const lines = text.split('\n');
    expect(lines[0]).to.match(/^\s+id\s+name\s+score\s+joined$/);
    expect(lines[1]).to.match(/^\s*0\s+0\s+person 0\s+0\.0\s+2024-01-01$/);
    expect(lines[3]).to.match(/^\s*2\s+2\s+None\s+None\s+2024-01-03$/);
    expect(lines[6]).to.match(/^\.\.\.\s+\.\.\.\s+\.\.\.\s+\.\.\.\s+\.\.\.$/);
    expect(lines.at(-3)).to.match(/^\s*29\s+29\s+person 29\s+14\.5\s+2024-01-30$/);
    expect(lines.at(-1)).to.equal('[30 rows x 4 columns]');
    expect(lines).to.have.length(1 + 5 + 1 + 5 + 2);
    const html: string = result.data['text/html'];
    expect(html).to.contain('&lt;b&gt;Bold &amp; &quot;quoted&quot;&lt;/b&gt;');
    expect(html).not.to.contain('<b>Bold');
    expect(html).to.contain('30 rows × 4 columns');
    expect((html.match(/<tr>/g) ?? []).length).to.equal(1 + 5 + 1 + 5);
    const short = await run(suite.kernel, 't.head(3)');
    expect(short.outputs.find(([type]) => type === 'execute_result')![1].data['text/plain']).to.match(/\n2\s+2\s+None\s+None\s+2024-01-03\n\n\[3 rows x 4 columns\]$/);
  });

  it('to_pandas() says plainly that pandas is missing', async () => {
    await suite.kernel.inject('t', people(3));
    const r = await run(suite.kernel, 't.to_pandas()');
    const error = r.outputs.find(([type]) => type === 'error')![1];
    expect(error.ename).to.equal('ImportError');
    expect(error.evalue).to.match(/^Table\.to_pandas\(\) needs pandas, which is not installed in this Python\. In the in-browser kernel, run `import pandas`/);
  });

  it('keeps NaN apart from null, and a named zone without tzdata as UTC-aware values that keep the zone name', async () => {
    const table = ColumnTable.fromArrays([
      { name: 'x', type: 'float64', values: [NaN, null, 1] },
      { name: 'at', type: 'timestamp', values: [0n, 1n, 2n], timezone: 'Europe/Berlin' },
    ]);
    await suite.kernel.inject('t', table);
    expect(await stdout(suite.kernel, 'print(t["x"].tolist(), t["at"].timezone, t["at"][0].isoformat())')).to.equal(
      "[nan, None, 1.0] Europe/Berlin 1970-01-01T00:00:00+00:00\n",
    );
  });

  it('extracts a table built in Python with Table.from_dict', async () => {
    await stdout(
      suite.kernel,
      [
        'import datetime',
        'from bento_table import Table',
        'built = Table.from_dict({',
        '    "n": [1, None, 3],',
        '    "ok": [True, False, None],',
        '    "label": ["α", None, ""],',
        '    "at": [datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone.utc), None, datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)],',
        '    "day": [datetime.date(2000, 1, 1), None, None],',
        '}, types={"n": "int16"})',
      ].join('\n'),
    );
    const back = describeTable(await suite.kernel.extract('built'));
    expect(back).to.deep.equal([
      { name: 'n', type: 'int16', timezone: null, values: ['int:1', null, 'int:3'] },
      { name: 'ok', type: 'bool', timezone: null, values: ['bool:true', 'bool:false', null] },
      { name: 'label', type: 'string', timezone: null, values: ['str:α', null, 'str:'] },
      { name: 'at', type: 'timestamp', timezone: 'UTC', values: ['us:1704110400000000', null, 'us:0'] },
      { name: 'day', type: 'date', timezone: null, values: ['day:10957', null, null] },
    ]);
  });

  it('transfers the buffers (the table is handed over), and says so if it is injected again', async () => {
    const table = people(4);
    await suite.kernel.inject('t', table);
    expect(table.columns[0].values.byteLength).to.equal(0);
    const again = await rejection(suite.kernel.inject('t2', table));
    expect(again.message).to.match(/its buffers were already handed over \(inject transfers a table's buffers to the kernel\)/);
  });
});
