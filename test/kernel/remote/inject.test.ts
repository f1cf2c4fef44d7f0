import { expect } from '@open-wc/testing';
import { ColumnTable } from '../../../src/data/table.ts';
import { RemoteKernel } from '../../../src/kernel/remote/kernel.ts';
import { JupyterServer } from '../../../src/kernel/remote/server.ts';
import { describeTable, everyTypeTable, largeTable, rejection, stdout, tableInjection } from '../inject.ts';
import { jupyterServer } from './server.ts';

// The very suite the serverless kernel passes, against a real Jupyter Server whose Python has pandas.
tableInjection({
  label: 'Jupyter Server (ipykernel, pandas)',
  makeKernel: async () => new RemoteKernel({ server: jupyterServer(), kernelName: 'python3' }),
  dispose: (kernel) => kernel.shutdown(),
  // A second connection (its own session) to the same kernel; shutting it down would end the kernel.
  makeSibling: async (kernel) => new RemoteKernel({ server: jupyterServer(), kernelId: (kernel as RemoteKernel).id }),
  disposeSibling: async () => {},
  pandas: true,
  zoneDatabase: true,
});

describe('Jupyter Server kernel: tables as DataFrames', () => {
  let kernel: RemoteKernel;
  before(async () => {
    kernel = new RemoteKernel({ server: jupyterServer() });
    await kernel.ready();
  });
  after(() => kernel.shutdown());

  it('gives each column the pandas dtype the type maps to (nullable where the column has nulls)', async () => {
    await kernel.inject('df', everyTypeTable());
    const plain = ColumnTable.fromArrays([
      { name: 'n', type: 'int32', values: [1, 2] },
      { name: 'ok', type: 'bool', values: [true, false] },
      { name: 'x', type: 'float32', values: [1, 2] },
    ]);
    await kernel.inject('plain', plain);
    const out = await stdout(kernel, 'import json\nprint(json.dumps(df.dtypes.astype(str).to_dict()))\nprint(json.dumps(plain.dtypes.astype(str).to_dict()))');
    const [withNulls, withoutNulls] = out.trim().split('\n').map((line) => JSON.parse(line));
    expect(withNulls).to.deep.equal({
      i8: 'Int8',
      i16: 'Int16',
      i32: 'Int32',
      i64: 'Int64',
      u8: 'UInt8',
      u16: 'UInt16',
      u32: 'UInt32',
      u64: 'UInt64',
      f32: 'float32',
      f64: 'float64',
      flag: 'boolean',
      text: 'object',
      day: 'object',
      at: 'datetime64[ns]',
      at_utc: 'datetime64[ns, UTC]',
      at_berlin: 'datetime64[ns, Europe/Berlin]',
    });
    expect(withoutNulls).to.deep.equal({ n: 'int32', ok: 'bool', x: 'float32' });
    expect(await stdout(kernel, 'print(df["text"][2] is None, df["at"].isna()[1], df["i64"][1] is __import__("pandas").NA)')).to.equal('True True True\n');
    // The DataFrame is the user's to change.
    expect(await stdout(kernel, 'plain.loc[0, "n"] = 7\nprint(plain["n"].tolist())')).to.equal('[7, 2]\n');
  });

  it('extracts DataFrames made in Python: index as columns, categories, strings, timezones', async () => {
    await stdout(
      kernel,
      [
        'import pandas as pd',
        'made = pd.DataFrame({',
        '    "city": pd.Categorical(["Oslo", "Lima", None]),',
        '    "temp": [3.5, None, 21.0],',
        '    "when": pd.to_datetime(["2024-01-01 00:00", None, "2024-06-01 12:30"]).tz_localize("Asia/Tokyo"),',
        '    "note": pd.array(["a", None, "ü"], dtype="string"),',
        '}, index=pd.Index(["x", "y", "z"], name="key"))',
      ].join('\n'),
    );
    const back = await kernel.extract('made');
    expect(describeTable(back)).to.deep.equal([
      { name: 'key', type: 'string', timezone: null, values: ['str:x', 'str:y', 'str:z'] },
      { name: 'city', type: 'string', timezone: null, values: ['str:Oslo', 'str:Lima', null] },
      { name: 'temp', type: 'float64', timezone: null, values: ['float:3.5', null, 'float:21'] },
      { name: 'when', type: 'timestamp', timezone: 'Asia/Tokyo', values: ['us:1704034800000000', null, 'us:1717212600000000'] },
      { name: 'note', type: 'string', timezone: null, values: ['str:a', null, 'str:ü'] },
    ]);
    expect(back.columns.map((c) => c.sourceType)).to.deep.equal(['object', 'category', 'float64', 'datetime64[ns, Asia/Tokyo]', 'string']);
    await stdout(kernel, 'odd = pd.DataFrame({"span": pd.to_timedelta([1, 2], unit="s")})');
    expect((await rejection(kernel.extract('odd'))).message).to.match(/column 'span' has dtype timedelta64\[ns\], which a table cannot carry; convert it first/);
  });

  it('sends a large table in several messages (the server refuses WebSocket messages over 10 MiB)', async () => {
    const rows = 600_000; // about 19 MB of buffers
    const expected = describeTable(largeTable(rows));
    await kernel.inject('big', largeTable(rows));
    expect(await stdout(kernel, 'print(big.shape, big["id"].iloc[-1], big["label"].iloc[5])')).to.equal(`(${rows}, 4) ${(rows - 1) * 3 - 7} row 5 é ✓\n`);
    const back = describeTable(await kernel.extract('big'));
    for (let c = 0; c < expected.length; c++) {
      expect(back[c].values.findIndex((v, row) => expected[c].values[row] !== v), expected[c].name).to.equal(-1);
    }
  });

  it('registers the comm target again after a restart', async () => {
    await kernel.inject('first', everyTypeTable());
    await kernel.restart();
    expect(await stdout(kernel, 'import sys\nprint("bento_table" in sys.modules)')).to.equal('False\n');
    await kernel.inject('second', everyTypeTable());
    expect(await stdout(kernel, 'print(type(second).__name__, len(second))')).to.equal('DataFrame 3\n');
  });

  it('registers again when another client restarted the kernel behind its back', async () => {
    await kernel.inject('first', everyTypeTable());
    const other = new RemoteKernel({ server: new JupyterServer(jupyterServer()), kernelId: kernel.id });
    await other.ready();
    await other.restart();
    await kernel.inject('second', everyTypeTable());
    expect(await stdout(kernel, 'print(type(second).__name__, "first" in globals())')).to.equal('DataFrame False\n');
    expect(describeTable(await kernel.extract('second'))[0].values).to.deep.equal(['int:-128', null, 'int:127']);
  });

  it('still speaks JSON text for everything else after binary frames', async () => {
    await kernel.inject('small', ColumnTable.fromArrays([{ name: 'v', type: 'int8', values: [1] }]));
    const r = await stdout(kernel, 'print("text frames", 1 + 1)');
    expect(r).to.equal('text frames 2\n');
    expect((await kernel.complete('sma', 3)).matches).to.include('small');
  });
});
