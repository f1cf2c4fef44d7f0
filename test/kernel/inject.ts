/**
 * kernel.inject / kernel.extract: what every kernel must do with tables. The serverless kernel runs this suite
 * (no pandas there: tables become Bento tables) and so does a remote kernel on a real Jupyter Server (pandas:
 * tables become DataFrames). Values are checked from Python, by running code, and again after extracting.
 */
import { expect } from '@open-wc/testing';
import { ColumnBuilder, ColumnTable, type Column } from '../../src/data/table.ts';
import { bindValue, readValues } from '../../src/kernel/values.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { run } from '../helpers.ts';

export interface InjectSuite {
  label: string;
  makeKernel(): Promise<Kernel>;
  dispose(kernel: Kernel): Promise<void>;
  /** Another session on the same runtime (Pyodide) or the same kernel (remote). */
  makeSibling(kernel: Kernel): Promise<Kernel>;
  disposeSibling(sibling: Kernel): Promise<void>;
  /** True when the kernel's Python has pandas: tables become DataFrames there. */
  pandas: boolean;
  /** True when the kernel's Python has the IANA zone database (zoneinfo/pytz). */
  zoneDatabase: boolean;
}

/** Runs code and returns its stdout; fails the test with the traceback when the code raised. */
export async function stdout(kernel: Kernel, code: string): Promise<string> {
  const r = await run(kernel, code);
  const error = r.outputs.find(([t]) => t === 'error')?.[1];
  if (error) throw new Error(`${error.ename}: ${error.evalue}\n${(error.traceback as string[]).join('\n').replace(/\x1b\[[0-9;]*m/g, '')}`);
  return r.stdout;
}

/** The message a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const MICROS_2024 = 1_704_110_400_123_456n; // 2024-01-01T12:00:00.123456Z
const MICROS_JULY = 1_719_835_200_000_000n; // 2024-07-01T12:00:00Z

/** One column of every type, each with a null (and NaN beside null, '' beside null, extremes of every range). */
export function everyTypeTable(): ColumnTable {
  return ColumnTable.fromArrays([
    { name: 'i8', type: 'int8', values: [-128, null, 127] },
    { name: 'i16', type: 'int16', values: [-32768, null, 32767] },
    { name: 'i32', type: 'int32', values: [-2147483648, null, 2147483647] },
    { name: 'i64', type: 'int64', values: [-(2n ** 63n), null, 2n ** 63n - 1n] },
    { name: 'u8', type: 'uint8', values: [0, null, 255] },
    { name: 'u16', type: 'uint16', values: [0, null, 65535] },
    { name: 'u32', type: 'uint32', values: [0, null, 4294967295] },
    { name: 'u64', type: 'uint64', values: [2n ** 53n + 1n, null, 2n ** 64n - 1n] },
    { name: 'f32', type: 'float32', values: [1.5, NaN, null] },
    { name: 'f64', type: 'float64', values: [-0.1, NaN, null] },
    { name: 'flag', type: 'bool', values: [true, null, false] },
    { name: 'text', type: 'string', values: ['héllo wörld 🌍 <&>', '', null] },
    { name: 'day', type: 'date', values: [new Date('2024-02-29T00:00:00Z'), null, new Date('1969-12-31T00:00:00Z')] },
    { name: 'at', type: 'timestamp', values: [MICROS_2024, null, -1n] },
    { name: 'at_utc', type: 'timestamp', values: [MICROS_2024, null, 0n], timezone: 'UTC' },
    { name: 'at_berlin', type: 'timestamp', values: [MICROS_JULY, null, 0n], timezone: 'Europe/Berlin' },
  ]);
}

/** Python that prints {column: [normalised values]} for the table or DataFrame `name`, as JSON. */
function describeInPython(name: string): string {
  return [
    'import json as _j, math as _m, datetime as _d, sys as _s',
    'def _norm(x):',
    '    pd = _s.modules.get("pandas")',
    '    if x is None: return None',
    '    if type(x).__module__ == "numpy": x = x.item()  # pandas yields numpy scalars from nullable columns',
    '    if pd is not None:',
    '        if x is pd.NA or x is pd.NaT: return None',
    '        if isinstance(x, pd.Timestamp): x = x.to_pydatetime()',
    '    if isinstance(x, bool): return f"bool:{x}"',
    '    if isinstance(x, int): return f"int:{x}"',
    '    if isinstance(x, float): return "float:nan" if _m.isnan(x) else f"float:{x!r}"',
    '    if isinstance(x, str): return "str:" + x',
    '    if isinstance(x, _d.datetime): return "datetime:" + x.isoformat()',
    '    if isinstance(x, _d.date): return "date:" + x.isoformat()',
    '    return f"{type(x).__name__}:{x!r}"',
    `print(_j.dumps({"type": type(${name}).__name__, "columns": {str(c): [_norm(v) for v in ${name}[c]] for c in ${name}.columns}}, ensure_ascii=False))`,
  ].join('\n');
}

/** What describeInPython prints for everyTypeTable(). */
function expectedInPython(suite: InjectSuite) {
  const floatNull = suite.pandas ? 'float:nan' : null; // pandas has no float null: NaN stands for it
  return {
    type: suite.pandas ? 'DataFrame' : 'Table',
    columns: {
      i8: ['int:-128', null, 'int:127'],
      i16: ['int:-32768', null, 'int:32767'],
      i32: ['int:-2147483648', null, 'int:2147483647'],
      i64: ['int:-9223372036854775808', null, 'int:9223372036854775807'],
      u8: ['int:0', null, 'int:255'],
      u16: ['int:0', null, 'int:65535'],
      u32: ['int:0', null, 'int:4294967295'],
      u64: ['int:9007199254740993', null, 'int:18446744073709551615'],
      f32: ['float:1.5', 'float:nan', floatNull],
      f64: ['float:-0.1', 'float:nan', floatNull],
      flag: ['bool:True', null, 'bool:False'],
      text: ['str:héllo wörld 🌍 <&>', 'str:', null],
      day: ['date:2024-02-29', null, 'date:1969-12-31'],
      at: ['datetime:2024-01-01T12:00:00.123456', null, 'datetime:1969-12-31T23:59:59.999999'],
      at_utc: ['datetime:2024-01-01T12:00:00.123456+00:00', null, 'datetime:1970-01-01T00:00:00+00:00'],
      // Without a zone database the instants stay right, shown in UTC.
      at_berlin: suite.zoneDatabase
        ? ['datetime:2024-07-01T14:00:00+02:00', null, 'datetime:1970-01-01T01:00:00+01:00']
        : ['datetime:2024-07-01T12:00:00+00:00', null, 'datetime:1970-01-01T00:00:00+00:00'],
    },
  };
}

/** Every cell as a comparable string (null stays null), with each column's type and timezone. */
export function describeTable(table: ColumnTable) {
  const cell = (column: Column, row: number): string | null => {
    if (column.valid && column.valid[row] === 0) return null;
    const v = column.values[row];
    switch (column.type) {
      case 'string':
        return `str:${new TextDecoder().decode(column.values.subarray(column.offsets![row], column.offsets![row + 1]))}`;
      case 'bool':
        return `bool:${v !== 0}`;
      case 'float32':
      case 'float64':
        return Number.isNaN(v) ? 'float:nan' : `float:${v}`;
      case 'date':
        return `day:${v}`;
      case 'timestamp':
        return `us:${v}`;
      default:
        return `int:${v}`;
    }
  };
  return table.columns.map((c) => ({
    name: c.name,
    type: c.type,
    timezone: c.timezone ?? null,
    values: Array.from({ length: table.numRows }, (_, row) => cell(c, row)),
  }));
}

function small(): ColumnTable {
  return ColumnTable.fromArrays([
    { name: 'n', type: 'int64', values: [1n, 2n, 3n] },
    { name: 's', type: 'string', values: ['a', 'b', 'c'] },
  ]);
}

/** `rows` rows of int64, float64, string and timestamp, with nulls sprinkled in, built column by column. */
export function largeTable(rows: number): ColumnTable {
  const ids = new BigInt64Array(rows);
  const scores = new Float64Array(rows);
  const scoreValid = new Uint8Array(rows).fill(1);
  const stamps = new BigInt64Array(rows);
  const labels: Array<string | null> = [];
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(i) * 3n - 7n;
    if (i % 1000 === 999) scoreValid[i] = 0;
    else scores[i] = i / 4;
    stamps[i] = MICROS_2024 + BigInt(i) * 1_000_001n;
    labels.push(i % 7 === 3 ? null : `row ${i}${i % 5 === 0 ? ' é ✓' : ''}`);
  }
  const text = ColumnTable.fromArrays([{ name: 'label', type: 'string', values: labels }]).columns[0];
  return new ColumnTable(
    [
      { name: 'id', type: 'int64', values: ids },
      { name: 'score', type: 'float64', values: scores, valid: scoreValid },
      text,
      { name: 'at', type: 'timestamp', values: stamps },
    ],
    rows,
  );
}

export function tableInjection(suite: InjectSuite) {
  describe(`${suite.label}: tables in and out`, () => {
    let kernel: Kernel;
    before(async () => {
      kernel = await suite.makeKernel();
      await kernel.ready();
    });
    after(async () => suite.dispose(kernel));

    it('binds every type with nulls, checked from Python, and extracts it back unchanged', async () => {
      const table = everyTypeTable();
      const before = describeTable(table);
      await kernel.inject('every', table);
      const seen = JSON.parse(await stdout(kernel, describeInPython('every')));
      expect(seen).to.deep.equal(expectedInPython(suite));

      const back = describeTable(await kernel.extract('every'));
      const expected = before.map((column) =>
        // pandas keeps NaN for a float null, and reads NaN back as null (as pyarrow's from_pandas does).
        suite.pandas && column.type.startsWith('float') ? { ...column, values: column.values.map((v) => (v === 'float:nan' ? null : v)) } : column,
      );
      expect(back).to.deep.equal(expected);
    });

    it('keeps 64-bit integers beyond 2^53 exact', async () => {
      const table = ColumnTable.fromArrays([
        { name: 'big', type: 'int64', values: [2n ** 62n + 1n, -(2n ** 62n) - 1n] },
        { name: 'ubig', type: 'uint64', values: [2n ** 63n + 1n, 2n ** 64n - 2n] },
      ]);
      await kernel.inject('big', table);
      expect(await stdout(kernel, 'print(big["big"][0] == 2**62 + 1, big["ubig"][1] == 2**64 - 2, big["big"][1] + 2**62 + 1)')).to.equal('True True 0\n');
      const back = await kernel.extract('big');
      expect(back.value(0, 0)).to.equal(2n ** 62n + 1n);
      expect(back.value(1, 1)).to.equal(2n ** 64n - 2n);
    });

    it('transfers a table of 200,000 rows and gets every value back', async () => {
      const rows = 200_000;
      const expected = describeTable(largeTable(rows));
      await kernel.inject('large', largeTable(rows));
      const summary = await stdout(
        kernel,
        [
          'ids = [v for v in large["id"]]',
          'labels = list(large["label"])',
          'scores = list(large["score"])',
          'print(len(large), sum(ids), sum(1 for v in labels if v is None), sum(1 for v in scores if v is None or v != v))',
          'print(labels[5], labels[3], repr(large["at"][1]))',
        ].join('\n'),
      );
      const sumIds = Array.from({ length: rows }, (_, i) => i * 3 - 7).reduce((a, b) => a + b, 0);
      const nullLabels = Array.from({ length: rows }, (_, i) => i).filter((i) => i % 7 === 3).length;
      const lines = summary.trim().split('\n');
      expect(lines[0]).to.equal(`${rows} ${sumIds} ${nullLabels} ${rows / 1000}`);
      expect(lines[1]).to.match(/^row 5 é ✓ None (datetime\.datetime\(2024, 1, 1, 12, 0, 1, 123457\)|Timestamp\('2024-01-01 12:00:01\.123457'\))$/);
      const back = describeTable(await kernel.extract('large'));
      expect(back.map((c) => [c.name, c.type])).to.deep.equal(expected.map((c) => [c.name, c.type]));
      for (let c = 0; c < expected.length; c++) {
        const mismatch = expected[c].values.findIndex((v, row) => back[c].values[row] !== v);
        expect(mismatch, `first differing row of ${expected[c].name}`).to.equal(-1);
      }
    });

    it('leaves the old value in place when Python cannot convert a column (invalid UTF-8)', async () => {
      await stdout(kernel, 'kept = "previous value"');
      const broken = new ColumnTable(
        [
          { name: 'fine', type: 'int32', values: Int32Array.from([1, 2]) },
          { name: 'text', type: 'string', values: Uint8Array.from([0x61, 0xff, 0x62]), offsets: Int32Array.from([0, 1, 3]) },
        ],
        2,
      );
      const error = await rejection(kernel.inject('kept', broken));
      expect(error.name).to.equal('TableError');
      expect(error.message).to.match(/Could not bind the table to 'kept': column 'text', row 1: the text is not valid UTF-8\. Nothing was bound/);
      expect(await stdout(kernel, 'print(kept)')).to.equal('previous value\n');
    });

    it('leaves the old value in place when the table is malformed (checks bypassed)', async () => {
      await stdout(kernel, 'kept = "previous value"');
      const wrongLength = Object.assign(Object.create(ColumnTable.prototype), {
        numRows: 5,
        columns: [{ name: 'x', type: 'int64', values: new BigInt64Array(2) }],
      }) as ColumnTable;
      expect((await rejection(kernel.inject('kept', wrongLength))).message).to.match(/column 'x' has 2 rows, the table 5/);
      const disordered = Object.assign(Object.create(ColumnTable.prototype), {
        numRows: 3,
        columns: [{ name: 's', type: 'string', values: new TextEncoder().encode('abcd'), offsets: Int32Array.from([0, 3, 1, 4]) }],
      }) as ColumnTable;
      expect((await rejection(kernel.inject('kept', disordered))).message).to.match(/column 's', row 1: its offsets are not in ascending order/);
      const farFuture = ColumnTable.fromArrays([{ name: 'when', type: 'date', values: [0, 3_000_000] }]);
      expect((await rejection(kernel.inject('kept', farFuture))).message).to.match(/column 'when', row 1: day 3000000 is outside the dates Python can hold/);
      expect(await stdout(kernel, 'print(kept)')).to.equal('previous value\n');
    });

    it('refuses names Python cannot bind, in JavaScript and again in Python', async () => {
      for (const [name, reason] of [
        ['class', /'class' as a Python variable name: it is a Python keyword/],
        ['1x', /"1x" as a Python variable name: a name is letters, digits and _/],
        ['a-b', /"a-b" as a Python variable name/],
        ['', /"" as a Python variable name/],
      ] as const) {
        const error = await rejection(kernel.inject(name, small()));
        expect(error.name).to.equal('TableError');
        expect(error.message).to.match(reason);
      }
      await kernel.inject('ünïcode_name', small());
      expect(await stdout(kernel, 'print(len(ünïcode_name))')).to.equal('3\n');
      // Python spells identifiers NFKC-normalised: the ligature in 'ﬁle' reads as 'fi' in code.
      await kernel.inject('ﬁle', small());
      expect(await stdout(kernel, 'print(len(file))')).to.equal('3\n');
      expect((await kernel.extract('ﬁle')).numRows).to.equal(3);
      const python = await stdout(
        kernel,
        [
          'import bento_table',
          'for bad in ("class", "1x", "None"):',
          '    try:',
          '        bento_table.bind(globals(), bad, {"version": 1, "numRows": 0, "columns": []}, [])',
          '    except bento_table.TableError as exc:',
          '        print(exc)',
        ].join('\n'),
      );
      expect(python).to.equal(
        "'class' is a Python keyword, not a variable name\n'1x' is not a valid Python variable name\n'None' is a Python keyword, not a variable name\n",
      );
    });

    it('replaces a variable of another kind, and an empty table is a table', async () => {
      await stdout(kernel, 'swap = [1, 2, 3]');
      await kernel.inject('swap', new ColumnTable([{ name: 'only', type: 'float64', values: new Float64Array(0) }], 0));
      expect(await stdout(kernel, 'print(type(swap).__name__, len(swap), list(swap.columns))')).to.equal(
        `${suite.pandas ? 'DataFrame' : 'Table'} 0 ['only']\n`,
      );
      const back = await kernel.extract('swap');
      expect(back.numRows).to.equal(0);
      expect(back.columnNames).to.deep.equal(['only']);
    });

    it('says why extract failed: no such variable, or not a table', async () => {
      const missing = await rejection(kernel.extract('no_such_variable'));
      expect(missing.name).to.equal('TableError');
      expect(missing.message).to.equal("Could not read 'no_such_variable' as a table: there is no variable 'no_such_variable' in this kernel.");
      await stdout(kernel, 'not_a_table = [1, 2]');
      expect((await rejection(kernel.extract('not_a_table'))).message).to.match(/it is a builtins\.list, not a table: extract takes a pandas DataFrame/);
    });

    it('decodes a json column cell by cell: lists and dicts in Python, nulls as None', async () => {
      const tags = new ColumnBuilder('tags', 'string', { encoding: 'json' });
      for (const value of ['["a","b"]', '["c","d"]', null, '{"k":[1,2.5,null]}']) tags.push(value);
      const ids = new ColumnBuilder('id', 'int32');
      for (const id of [1, 2, 3, 4]) ids.push(id);
      await kernel.inject('tagged', new ColumnTable([ids.finish(), tags.finish()], 4));
      const rows = suite.pandas ? 'tagged["tags"].tolist()' : 'list(tagged["tags"])';
      expect(await stdout(kernel, `print(repr(${rows}), type(${rows}[0]).__name__)`)).to.equal(
        "[['a', 'b'], ['c', 'd'], None, {'k': [1, 2.5, None]}] list\n",
      );
    });

    it('binds a JSON value as a dict, and reads variables back as JSON, all or nothing', async () => {
      const answer = { data: { orders: [{ id: 1, tags: ['x'] }], total: 1.5, ok: true, none: null, text: 'é "q" \u0000' } };
      await bindValue(kernel, 'answer', answer);
      expect(await stdout(kernel, 'print(type(answer).__name__, answer["data"]["orders"][0]["tags"], answer["data"]["none"], answer["data"]["text"] == "é \\"q\\" \\x00")')).to.equal(
        'dict [\'x\'] None True\n',
      );
      await stdout(kernel, 'import datetime\nlimit = 5\nname = "Ada"\nwhen = datetime.date(2024, 2, 29)\nnested = {"a": [1, None, (2, 3)]}\nkeep = "old"');
      expect(await readValues(kernel, ['limit', 'name', 'when', 'nested', 'answer'])).to.deep.equal({
        limit: 5,
        name: 'Ada',
        when: '2024-02-29',
        nested: { a: [1, null, [2, 3]] },
        answer,
      });
      const missing = await rejection(readValues(kernel, ['limit', 'no_such_name']));
      expect(missing.message).to.equal("Could not read 'no_such_name' from Python: there is no variable 'no_such_name' in this kernel.");
      await stdout(kernel, 'class Thing: pass\nthing = Thing()\nnan = float("nan")');
      expect((await rejection(readValues(kernel, ['thing']))).message).to.match(/'thing' holds a __main__\.Thing; a value sent from Python is str, int, float, bool, None, list or dict/);
      expect((await rejection(readValues(kernel, ['nan']))).message).to.match(/'nan' is not JSON \(Out of range float values/);
      // A value that is not JSON text fails in Python, and the variable keeps its old value.
      const bad = new ColumnBuilder('keep', 'string', { encoding: 'json' });
      bad.push('{not json');
      const failure = await rejection(kernel.inject('keep', new ColumnTable([bad.finish()], 1), { value: true }));
      expect(failure.message).to.match(/Could not bind the table to 'keep': column 'keep', row 0: the text is not JSON\. Nothing was bound/);
      expect(await stdout(kernel, 'print(keep)')).to.equal('old\n');
    });

    it('waits for a cell running in another session before binding', async () => {
      const other = await suite.makeSibling(kernel);
      try {
        await other.ready();
        let answer!: (text: string) => void;
        let running!: ReturnType<typeof run>;
        await new Promise<void>((asked) => {
          running = run(other, 'reply = input("go? ")\nprint("cell done:", reply)', {
            onInput: () => {
              asked();
              return new Promise<string>((resolve) => (answer = resolve));
            },
          });
        });
        let injected = false;
        const injecting = kernel.inject('waited', small()).then(() => {
          injected = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(injected, 'the injection waited for the cell').to.be.false;
        answer('yes');
        expect((await running).stdout).to.equal('cell done: yes\n');
        await injecting;
        expect(await stdout(kernel, 'print(len(waited))')).to.equal('3\n');
      } finally {
        await suite.disposeSibling(other);
      }
    });
  });
}
