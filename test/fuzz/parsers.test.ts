// What a notebook's author types and a reader runs: magic argument lines for every magic Bento Lite ships, and the
// text the data cells read in JavaScript (a %%graphql body and its `# variables:` line, a %%googlesheet reference, a
// sheet's CSV, a GraphQL query with its path and paging options). Whatever the text, the parsers answer or refuse with
// their usage or query error, never another exception. Fixed seeds: a failure prints its seed and path to replay.
import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import '../../components/dataframe-cell/dataframe-magic.ts';
import '../../components/googlesheet-cell/googlesheet-magic.ts';
import '../../components/graphql-cell/graphql-magic.ts';
import '../../components/sql-cell/sql-magic.ts';
import { DATAFRAME_MAGIC, GOOGLESHEET_MAGIC, GRAPHQL_MAGIC, SQL_MAGIC } from '../../components/shared/data-cell-api.ts';
import { QueryError } from '../../src/data/connectors.ts';
import { parseGraphQLBody } from '../../src/data/graphql.ts';
import { registerGraphQLEndpoint, runGraphQL, unregisterGraphQLEndpoint } from '../../src/data/graphql-endpoints.ts';
import { parseCsv, parseSheetReference } from '../../src/data/sheets.ts';
import { cellMagic, formatMagicLine, invalidIdentifier, MagicArgumentError, parseCellMagic, parseMagicArguments, usageLine, type CellMagicSpec } from '../../src/magics/magics.ts';
import { REMOTE_MAGIC } from '../../src/placement/farm-out.ts';

const SPECS = [SQL_MAGIC, GRAPHQL_MAGIC, GOOGLESHEET_MAGIC, DATAFRAME_MAGIC, REMOTE_MAGIC];
const RUNS = { seed: 0x5eed0005, numRuns: 1000, includeErrorInReport: true };

/** What ran, for the one summary line this file logs. */
const tried = { lines: { cases: 0, refusals: 0, parsed: 0 }, cellTexts: 0, bodies: { cases: 0, refusals: 0 }, runs: 0, references: { cases: 0, refusals: 0 }, csv: 0 };
after(() => {
  const { lines, bodies, references } = tried;
  console.log(
    `fuzz parsers: ${lines.cases + tried.cellTexts + bodies.cases + tried.runs + references.cases + tried.csv} texts tried: ` +
      `${lines.cases} magic argument lines for ${SPECS.length} magics (${lines.refusals} refused with a usage error, ${lines.parsed} parsed), ` +
      `${tried.cellTexts} cell texts, ${bodies.cases} GraphQL bodies (${bodies.refusals} refused), ${tried.runs} GraphQL queries run (all refused), ` +
      `${references.cases} sheet references (${references.refusals} refused), ${tried.csv} CSV texts`,
  );
});

/** Words an argument line is made of: the spec's own flags (right and wrong), names, numbers, quotes, unicode. */
function word(spec: CellMagicSpec): fc.Arbitrary<string> {
  const flags = Object.entries(spec.options ?? {}).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);
  return fc.oneof(
    fc.constantFrom(...flags, ...flags.map((flag) => `${flag}=`), '--', '-', '-1', '--unknown', '-x', '--=', '---limit'),
    fc.constantFrom('df', 'result_1', '_', 'class', 'None', 'print', 'été', '名前', '𝔘nicode', '1abc', 'a-b', 'a.b', '0', '42', '007', '-5', '1e3', 'create', 'a,b', ',', ''),
    fc.constantFrom('"a b"', "'c d'", '"unclosed', "'unclosed", '"esc\\"aped"', '"back\\\\slash"', '""', "''", '"\'"', `'"'`, '\\', '"\\'),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
  );
}

const separator = fc.constantFrom(' ', '  ', '\t', '=', '', '\u00a0', '\u3000');

function argumentLine(spec: CellMagicSpec): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.tuple(word(spec), separator), { maxLength: 8 }).map((parts) => parts.map(([w, s]) => w + s).join('')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  );
}

/** Parses, and checks that an answer keeps to the spec, or that the refusal is a usage error ending with the usage line. */
function parseChecked(spec: CellMagicSpec, line: string, counts: { cases: number; refusals: number; parsed: number }) {
  counts.cases++;
  let parsed;
  try {
    parsed = parseMagicArguments(spec, line);
  } catch (error) {
    if (!(error instanceof MagicArgumentError)) throw new Error(`Expected a MagicArgumentError, got ${String(error)}`, { cause: error });
    expect(error.message.endsWith(`\nUsage: ${usageLine(spec)}`), 'the refusal ends with the usage line').to.be.true;
    expect(error.problem.trim(), 'the refusal says what is wrong').not.to.equal('');
    counts.refusals++;
    return undefined;
  }
  counts.parsed++;
  for (const [name, value] of Object.entries(parsed.options)) {
    const option = spec.options?.[name];
    expect(option, `--${name} is an option of %%${spec.name}`).not.to.equal(undefined);
    if (option!.type === 'flag') expect(value).to.equal(true);
    if (option!.type === 'int') expect(Number.isSafeInteger(value) && (value as number) >= 0, `--${name} is a whole number`).to.be.true;
    if (option!.type === 'string') expect(value).to.be.a('string');
  }
  for (const positional of spec.positionals ?? []) {
    const value = parsed.positionals[positional.name];
    if (value !== undefined && positional.kind === 'identifier') expect(invalidIdentifier(value), `${positional.name} is a Python name`).to.equal(null);
  }
  expect(Object.keys(parsed.positionals).every((name) => spec.positionals?.some((p) => p.name === name))).to.be.true;
  return parsed;
}

describe('fuzz: magic argument lines', () => {
  it('every data cell magic is registered under its name', () => {
    for (const spec of [SQL_MAGIC, GRAPHQL_MAGIC, GOOGLESHEET_MAGIC, DATAFRAME_MAGIC]) expect(cellMagic(spec.name)).to.equal(spec);
  });

  for (const spec of SPECS) {
    it(`%%${spec.name}: any argument line parses to what the spec allows or is refused with its usage`, () => {
      const counts = tried.lines;
      fc.assert(
        fc.property(argumentLine(spec), (line) => {
          const parsed = parseChecked(spec, line, counts);
          // What a form writes back from parsed arguments parses to the same arguments. An empty value (`--conn=`) is
          // written as no option at all, which is what the cells make of it.
          if (!parsed) return;
          const given = { ...parsed, options: Object.fromEntries(Object.entries(parsed.options).filter(([, value]) => value !== '')) };
          expect(parseMagicArguments(spec, formatMagicLine(spec, parsed).slice(`%%${spec.name}`.length)), 'formatMagicLine round trip').to.deep.equal(given);
        }),
        RUNS,
      );
    });
  }

  // Found by this fuzzer: an int option took any run of digits, so 400 nines became Infinity (an upload of zero chunks)
  // and 20 digits lost precision; numbers past Number.MAX_SAFE_INTEGER are now refused with a MagicArgumentError.
  it('int options refuse numbers too large to hold exactly', () => {
    for (const spec of SPECS) {
      for (const [name, option] of Object.entries(spec.options ?? {})) {
        if (option.type !== 'int') continue;
        for (const digits of ['9007199254740993', '9'.repeat(400)]) parseChecked(spec, `--${name} ${digits}`, { cases: 0, refusals: 0, parsed: 0 });
      }
    }
  });

  it('parseCellMagic takes any cell text apart or leaves it to the kernel, never throws', () => {
    const magicName = fc.constantFrom(...SPECS.map((spec) => spec.name), 'timeit', 'SQL', 'sql-x', '', '1sql', 'été');
    fc.assert(
      fc.property(fc.constantFrom('%%', '%', ' %%', '%%%', '\uFEFF%%', ''), magicName, fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('\n', '\r\n', '\r', ''), fc.string({ unit: 'binary', maxLength: 40 }), (prefix, name, args, newline, body) => {
        tried.cellTexts++;
        const source = `${prefix}${name}${args}${newline}${body}`;
        const magic = parseCellMagic(source);
        if (magic === null) return;
        expect(source.startsWith(`%%${magic.name}`)).to.be.true;
        expect(magic.argText).not.to.contain('\n');
        expect(source.endsWith(magic.body)).to.be.true;
        const spec = cellMagic(magic.name);
        if (spec) parseChecked(spec, magic.argText, { cases: 0, refusals: 0, parsed: 0 });
      }),
      RUNS,
    );
  });
});

/** What a query text may be made of: GraphQL and SQL syntax, `# variables:` lines with JSON right and wrong. */
const queryPiece = fc.oneof(
  fc.constantFrom('{ shop { name } }', 'query ($after: String) { orders(first: 5, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }', 'SELECT {name} FROM t WHERE x = $x', '--', '/*', '*/', "'", '"', '`', '{', '}', '$', '$after:', '#', '\n', '\r\n', '\u0000', '\uD800', '\uFEFF'),
  fc.constantFrom('# variables: {"first": 10}', '# variables: []', '# variables: null', '# variables: {"a": 1', '#variables:', '  # VARIABLES : {"__proto__": {"x": 1}}', '# variables: {"a": 1e999}', '# variables: "text"', '# variables: {}'),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const queryText = fc.array(queryPiece, { maxLength: 8 }).map((pieces) => pieces.join(''));

function expectQueryError(error: unknown): void {
  if (!(error instanceof QueryError)) throw new Error(`Expected a QueryError, got ${String(error)}`, { cause: error });
  expect(error.message.trim(), 'the error says what is wrong').not.to.equal('');
}

describe('fuzz: query text read in JavaScript', () => {
  const server = (window as unknown as { __bentoGraphQL: { downUrl: string } }).__bentoGraphQL;
  before(() => registerGraphQLEndpoint({ name: 'fuzz-down', url: server.downUrl, timeoutMs: 2_000 }));
  after(() => unregisterGraphQLEndpoint('fuzz-down'));

  it('parseGraphQLBody: the query as written and an object of variables, or a QueryError', () => {
    const counts = tried.bodies;
    fc.assert(
      fc.property(queryText, (body) => {
        counts.cases++;
        try {
          const { query, variables } = parseGraphQLBody(body);
          expect(query).to.equal(body);
          expect(Object.getPrototypeOf(variables) === Object.prototype || Object.getPrototypeOf(variables) === null, 'variables are a plain object').to.be.true;
        } catch (error) {
          expectQueryError(error);
          counts.refusals++;
        }
      }),
      RUNS,
    );
  });

  it('runGraphQL refuses bad text and options with a QueryError, before or after reaching for the endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        queryText,
        fc.record({
          endpoint: fc.constantFrom('fuzz-down', 'nowhere', ''),
          path: fc.option(fc.oneof(fc.constantFrom('data.orders.nodes', '.', '..', 'data..x', ' ', 'edges.0.node', '__proto__.x'), fc.string({ maxLength: 10 })), { nil: undefined }),
          paginate: fc.boolean(),
          maxPages: fc.option(fc.oneof(fc.integer(), fc.double(), fc.constant(Number.NaN)), { nil: undefined }),
          variables: fc.option(fc.oneof(fc.object(), fc.anything()), { nil: undefined }),
        }),
        async (query, options) => {
          tried.runs++;
          const run = runGraphQL(query, options as never);
          let outcome: unknown;
          try {
            await run;
          } catch (error) {
            outcome = error;
          }
          expectQueryError(outcome);
        },
      ),
      { ...RUNS, seed: 0x5eed0006, numRuns: 200, timeout: 5_000 },
    );
  });

  it('parseSheetReference: a sheet id (and tab) or a QueryError saying what to paste', () => {
    const reference = fc.oneof(
      fc.constantFrom('https://docs.google.com/spreadsheets/d/abc_DEF-1/edit#gid=12', 'https://docs.google.com/spreadsheets/d/e/2PACX/pubhtml', 'docs.google.com/spreadsheets/d/x', '# a comment', 'abc-_123', 'http://', 'javascript:alert(1)', 'https://x/spreadsheets/d/%zz/', 'https://docs.google.com/spreadsheets/d/id?gid=abc'),
      fc.webUrl({ withFragments: true, withQueryParameters: true }),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const counts = tried.references;
    fc.assert(
      fc.property(fc.array(fc.tuple(reference, fc.constantFrom('\n', '\r\n', ' \n', '')), { minLength: 1, maxLength: 3 }), (lines) => {
        counts.cases++;
        const text = lines.map(([line, end]) => line + end).join('');
        try {
          const { id, gid } = parseSheetReference(text);
          expect(id).to.match(/^[\w-]+$/);
          if (gid !== undefined) expect(gid).to.be.a('string');
        } catch (error) {
          expectQueryError(error);
          counts.refusals++;
        }
      }),
      RUNS,
    );
  });

  it('parseCsv reads any text into rows of fields, and reads back what a CSV writer wrote', () => {
    const field = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', '"', '""', ',', '\n', '\r\n', '\r', 'a"b', ' x '));
    const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        tried.csv++;
        const rows = parseCsv(text);
        expect(rows.every((row) => row.every((value) => typeof value === 'string'))).to.be.true;
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (rows) => {
        tried.csv++;
        expect(parseCsv(rows.map((row) => row.map(quote).join(',')).join('\r\n'))).to.deep.equal(rows);
      }),
      RUNS,
    );
  });
});
