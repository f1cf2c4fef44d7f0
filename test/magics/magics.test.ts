import { expect } from '@open-wc/testing';
import {
  formatMagicLine,
  MagicArgumentError,
  ownedMagic,
  parseCellMagic,
  parseMagicArguments,
  registerCellMagic,
  usageLine,
  type CellMagicSpec,
} from '../../src/magics/magics.ts';
import { SQL_MAGIC } from '../../components/sql-cell/sql-magic.ts';

function argumentError(spec: CellMagicSpec, argText: string): MagicArgumentError {
  try {
    parseMagicArguments(spec, argText);
  } catch (error) {
    expect(error).to.be.instanceOf(MagicArgumentError);
    return error as MagicArgumentError;
  }
  throw new Error(`'${argText}' parsed, but should not have`);
}

describe('magic middleware: parsing', () => {
  it('splits the %%name line from the body; only the first line counts', () => {
    expect(parseCellMagic('%%sql df --conn warehouse\nSELECT 1\n%%sql')).to.deep.equal({ name: 'sql', argText: 'df --conn warehouse', body: 'SELECT 1\n%%sql' });
    expect(parseCellMagic('%%sql')).to.deep.equal({ name: 'sql', argText: '', body: '' });
    expect(parseCellMagic('x = 1\n%%sql df')).to.equal(null);
    expect(parseCellMagic('%sql df')).to.equal(null);
    expect(parseCellMagic(' %%sql df')).to.equal(null);
  });

  it('gives a cell to a registered magic only; any other %% line is the kernel\'s', () => {
    expect(ownedMagic('%%sql\nSELECT 1')?.spec.tagName).to.equal('sql-cell');
    expect(ownedMagic('%%timeit\nsum(range(10))')).to.equal(null);
    expect(ownedMagic('print(1)')).to.equal(null);
  });

  it('parses the %%sql arguments: variable, --conn, --limit, quotes and = forms', () => {
    expect(parseMagicArguments(SQL_MAGIC, 'df --conn warehouse --limit 10')).to.deep.equal({ positionals: { var: 'df' }, options: { conn: 'warehouse', limit: 10 } });
    expect(parseMagicArguments(SQL_MAGIC, '--limit=5 totals')).to.deep.equal({ positionals: { var: 'totals' }, options: { limit: 5 } });
    expect(parseMagicArguments(SQL_MAGIC, `--conn "my warehouse"`).options.conn).to.equal('my warehouse');
    expect(parseMagicArguments(SQL_MAGIC, '')).to.deep.equal({ positionals: {}, options: {} });
  });

  it('names the wrong argument and ends with the usage line', () => {
    const usage = 'Usage: %%sql [var] [--conn NAME] [--limit N]';
    const cases: Array<[string, string]> = [
      ['--limit abc', "--limit expects a whole number, got 'abc'."],
      ['--limit -3', "--limit expects a whole number, got '-3'."],
      ['--limit', '--limit needs a value (N).'],
      ['--rows 3', 'Unknown option --rows for %%sql (it takes --conn, --limit).'],
      ['df extra', "Unexpected argument 'extra'."],
      ['1df', "'1df' is not a valid Python variable name (argument var)."],
      ['class', "'class' is a Python keyword and cannot be a variable name (argument var)."],
      ['--conn a --conn b', '--conn is given twice.'],
      ['--conn "unclosed', `Unclosed quote in '"unclosed'.`],
    ];
    for (const [argText, problem] of cases) {
      const error = argumentError(SQL_MAGIC, argText);
      expect(error.message, argText).to.equal(`${problem}\n${usage}`);
      expect(error.name).to.equal('UsageError');
    }
  });

  it('writes the line back from arguments, quoting what needs it', () => {
    expect(usageLine(SQL_MAGIC)).to.equal('%%sql [var] [--conn NAME] [--limit N]');
    expect(formatMagicLine(SQL_MAGIC, { positionals: { var: 'df' }, options: { conn: 'my warehouse', limit: 10 } })).to.equal('%%sql df --conn "my warehouse" --limit 10');
    expect(formatMagicLine(SQL_MAGIC, { positionals: {}, options: {} })).to.equal('%%sql');
    const line = formatMagicLine(SQL_MAGIC, { positionals: { var: 'x' }, options: { conn: 'a"b c' } });
    expect(parseMagicArguments(SQL_MAGIC, parseCellMagic(line)!.argText).options.conn).to.equal('a"b c');
  });

  it('refuses magic names and tags that cannot work', () => {
    expect(() => registerCellMagic({ name: 'bad name', tagName: 'x-y' })).to.throw(/cannot be a magic name/);
    expect(() => registerCellMagic({ name: 'ok', tagName: 'nodash' })).to.throw(/not a custom element name/);
  });

  it("leaves what %%sql's warm-up cannot start (arguments it refuses, a connector nobody registered) for the run to report", async () => {
    const unhandled: unknown[] = [];
    const note = (event: PromiseRejectionEvent) => unhandled.push(event.reason);
    window.addEventListener('unhandledrejection', note);
    try {
      expect(() => SQL_MAGIC.warm!('df --limit lots')).not.to.throw();
      expect(() => SQL_MAGIC.warm!('df --conn nowhere')).not.to.throw();
      // Unhandled rejections are reported in a task after the microtasks that made them.
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setTimeout(resolve));
    } finally {
      window.removeEventListener('unhandledrejection', note);
    }
    expect(unhandled).to.deep.equal([]);
  });
});
