// Untrusted notebooks: 1,000 mutations of the real fixtures through `<bento-notebook>`'s load(), and more through
// parseNotebook alone. Each must be refused with a NotebookFormatError that says what is wrong, or load into a notebook
// whose toJSON() is valid nbformat 4.5 and keeps every cell's source. Fixed seeds: a failure prints its seed and path,
// and `fc.assert(..., { seed, path })` replays it.
import { expect, fixture, html } from '@open-wc/testing';
import fc from 'fast-check';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { NotebookFormatError, parseNotebook, serializeNotebook } from '../../src/notebook/ipynb.ts';
import { joinSource, type MultilineString } from '../../src/notebook/nbformat.ts';
import { testRuntimeOptions } from '../helpers.ts';
import { fixtureText, JUPYTER_DOCS_NOTEBOOKS } from '../notebook/fixtures.ts';
import { validate, type Schema } from '../notebook/schema.ts';

const FIXTURES = [
  'nbformat/invalid.ipynb',
  'nbformat/invalid_cell_id.ipynb',
  'nbformat/invalid_unique_cell_id.ipynb',
  'nbformat/many_tracebacks.ipynb',
  'nbformat/no_min_version.ipynb',
  'nbformat/test2.ipynb',
  'nbformat/test3.ipynb',
  'nbformat/test3_no_metadata.ipynb',
  'nbformat/test3_no_min_version.ipynb',
  'nbformat/test3_no_worksheets.ipynb',
  'nbformat/test3_worksheet_with_no_cells.ipynb',
  'nbformat/test4.5.ipynb',
  'nbformat/test4.ipynb',
  'nbformat/test4custom.ipynb',
  'nbformat/test4docinfo.ipynb',
  'nbformat/test4jupyter_metadata.ipynb',
  'nbformat/test4jupyter_metadata_timings.ipynb',
  'nbformat/test4plus.ipynb',
  'nbformat/v4_5_invalid_metadata.ipynb',
  'nbformat/v4_5_no_cell_id.ipynb',
  ...JUPYTER_DOCS_NOTEBOOKS,
];

/** A generous bound per case: a guard against a load that never settles, not a performance assertion. */
const CASE_TIMEOUT_MS = 5_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

// ---- mutations of a parsed notebook ---------------------------------------------------------------------------

/** Strings that break text handling: lone surrogates, NUL, a BOM, controls, bidi overrides, markup. */
const NASTY_STRINGS = ['\uD800', '\uDFFF', 'a\uDC00b', '\u0000', '\uFEFF', '\u202E', '\r', '\r\n', '\u2028', '\x1b[31m', '<script>window.__pwned=1</script>', '%%sql', '__proto__', ''];
const nastyString = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.constantFrom(...NASTY_STRINGS), { maxLength: 6 }).map((parts) => parts.join('x')),
);

/** Values of the wrong type for any place: scalars, empty containers, and enum words from elsewhere in the format. */
const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 4, 5, 3, 2, 1e308, -0, '', '4', 'code', 'markdown', 'raw', 'heading', 'stream', 'error', 'display_data', 'execute_result', 'stdout', [], {}, [null], { '': null }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  nastyString,
);

type Mutation =
  | { kind: 'drop'; at: number }
  | { kind: 'duplicate'; at: number; other: number }
  | { kind: 'reorder'; at: number; order: number[] }
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'null'; at: number }
  | { kind: 'wrap'; at: number }
  | { kind: 'unwrap'; at: number }
  | { kind: 'string'; at: number; text: string; insertAt: number }
  | { kind: 'huge'; at: number; length: number }
  | { kind: 'many-cells'; count: number }
  | { kind: 'long-source'; at: number; lines: number }
  | { kind: 'deep'; at: number; depth: number; array: boolean }
  | { kind: 'outputs'; at: number; outputs: Json[] };

const place = fc.nat();
const mimeType = fc.constantFrom('text/plain', 'text/html', 'text/markdown', 'text/latex', 'image/png', 'image/svg+xml', 'application/json', 'application/vnd.x+json', 'application/javascript', 'application/vnd.bento.job+json', 'application/vnd.jupyter.widget-view+json', '', '__proto__');
/** Outputs of every type, and of no type, with fields of the right and the wrong shapes. */
const output: fc.Arbitrary<Json> = fc.record(
  {
    output_type: fc.oneof(fc.constantFrom<Json>('execute_result', 'display_data', 'stream', 'error', 'update_display_data', 'pyout', 'unknown'), wrongValue),
    name: fc.oneof(fc.constantFrom<Json>('stdout', 'stderr'), wrongValue),
    text: fc.oneof(nastyString, fc.array(nastyString, { maxLength: 4 }), wrongValue),
    data: fc.oneof(fc.dictionary(mimeType, fc.oneof(nastyString, fc.array(nastyString, { maxLength: 3 }), wrongValue), { maxKeys: 4 }), wrongValue),
    metadata: fc.oneof(fc.constant({}), fc.dictionary(mimeType, wrongValue, { maxKeys: 2 }), wrongValue),
    execution_count: fc.oneof(fc.nat(), wrongValue),
    ename: fc.oneof(nastyString, wrongValue),
    evalue: fc.oneof(nastyString, wrongValue),
    traceback: fc.oneof(fc.array(nastyString, { maxLength: 3 }), wrongValue),
  },
  { requiredKeys: ['output_type'] },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('drop' as const), at: place }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: place, other: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reorder' as const), at: place, order: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: place, value: wrongValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('null' as const), at: place }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wrap' as const), at: place }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unwrap' as const), at: place }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('string' as const), at: place, text: nastyString, insertAt: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), at: place, length: fc.integer({ min: 100_000, max: 500_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('many-cells' as const), count: fc.integer({ min: 50, max: 250 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('long-source' as const), at: place, lines: fc.integer({ min: 1_000, max: 5_000 }) }) },
  // Depths parseNotebook reads today; 10,000 has a test of its own below.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), at: place, depth: fc.constantFrom(10, 100, 1_000), array: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('outputs' as const), at: place, outputs: fc.array(output, { maxLength: 4 }) }) },
);

interface Slot {
  parent: Container;
  key: string | number;
}

function isContainer(value: Json | undefined): value is Container {
  return typeof value === 'object' && value !== null;
}

/** Every (parent, key) place of a document, breadth first, so the top of the notebook is as likely as its leaves. */
function slots(root: Container): Slot[] {
  const found: Slot[] = [];
  const queue: Container[] = [root];
  for (let i = 0; i < queue.length; i++) {
    const parent = queue[i]!;
    const keys: Array<string | number> = Array.isArray(parent) ? parent.map((_, index) => index) : Object.keys(parent);
    for (const key of keys) {
      found.push({ parent, key });
      const value = (parent as Record<string | number, Json>)[key];
      if (isContainer(value)) queue.push(value);
    }
  }
  return found;
}

function get(slot: Slot): Json {
  return (slot.parent as Record<string | number, Json>)[slot.key]!;
}

function set(slot: Slot, value: Json): void {
  (slot.parent as Record<string | number, Json>)[slot.key] = value;
}

function nested(depth: number, array: boolean): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i++) value = array ? [value] : { a: value };
  return value;
}

/** Deep JSON as text, built without JSON.stringify, whose recursion overflows the stack first. */
function nestedText(depth: number, array: boolean): string {
  return array ? `${'['.repeat(depth)}"bottom"${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;
}

/** Deep values stand as marker strings until the document is an object or text (see materialise). */
const DEEP_MARKER = /^\u0000deep:(\d+):(array|object)$/;
function deepMarker(depth: number, array: boolean): string {
  return `\u0000deep:${depth}:${array ? 'array' : 'object'}`;
}

/** The document with its deep markers replaced by the nested values, as an object or as JSON text. */
function materialise(doc: Container, form: 'object' | 'text'): unknown {
  if (form === 'text') {
    return JSON.stringify(doc).replace(/"\\u0000deep:(\d+):(array|object)"/g, (_, depth: string, kind: string) => nestedText(Number(depth), kind === 'array'));
  }
  for (const slot of slots(doc)) {
    const value = get(slot);
    const match = typeof value === 'string' ? DEEP_MARKER.exec(value) : null;
    if (match) set(slot, nested(Number(match[1]), match[2] === 'array'));
  }
  return doc;
}

/** The cells of a v4 document, or of the first v3 worksheet. */
function cellsOf(doc: Container): Json[] | undefined {
  if (Array.isArray(doc)) return undefined;
  if (Array.isArray(doc.cells)) return doc.cells;
  const sheet = Array.isArray(doc.worksheets) ? doc.worksheets[0] : undefined;
  return isContainer(sheet) && !Array.isArray(sheet) && Array.isArray(sheet.cells) ? sheet.cells : undefined;
}

function mutate(doc: Container, change: Mutation): void {
  if (change.kind === 'many-cells') {
    const cells = cellsOf(doc);
    if (cells?.length) {
      const copies = Array.from({ length: change.count }, (_, i) => structuredClone(cells[i % cells.length]!));
      cells.push(...copies);
    }
    return;
  }
  const all = slots(doc);
  if (all.length === 0) return;
  const slot = all[change.at % all.length]!;
  const value = get(slot);
  switch (change.kind) {
    case 'drop':
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
      else delete slot.parent[slot.key as string];
      break;
    case 'duplicate': {
      // In a list, the item twice (cells with the same id, the same output twice); in an object, a sibling's value.
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 0, structuredClone(value));
      else {
        const keys = Object.keys(slot.parent);
        set(slot, structuredClone(slot.parent[keys[change.other % keys.length]!]!));
      }
      break;
    }
    case 'reorder': {
      if (!isContainer(value)) break;
      if (Array.isArray(value)) {
        const items = value.splice(0);
        const order = items.map((_, i) => i).sort((a, b) => (change.order[a % change.order.length]! - change.order[b % change.order.length]!) || a - b);
        value.push(...order.map((i) => items[i]!));
      } else {
        const entries = Object.entries(value);
        for (const [key] of entries) delete value[key];
        entries.reverse();
        const rotate = change.order[0]! % Math.max(1, entries.length);
        for (const [key, item] of [...entries.slice(rotate), ...entries.slice(0, rotate)]) value[key] = item;
      }
      break;
    }
    case 'replace':
      set(slot, value === change.value ? null : change.value);
      break;
    case 'null':
      set(slot, null);
      break;
    case 'wrap':
      // An array where an object (or a string) belongs.
      set(slot, [value]);
      break;
    case 'unwrap':
      // An object where an array belongs, or the other way round.
      if (Array.isArray(value)) set(slot, Object.fromEntries(value.map((item, i) => [String(i), item])));
      else if (isContainer(value)) set(slot, Object.values(value));
      else set(slot, {});
      break;
    case 'string': {
      if (typeof value === 'string') {
        const at = change.insertAt % (value.length + 1);
        set(slot, value.slice(0, at) + change.text + value.slice(at));
      } else set(slot, change.text);
      break;
    }
    case 'huge':
      set(slot, typeof value === 'string' || value === null ? 'x'.repeat(change.length) : ['y'.repeat(change.length)]);
      break;
    case 'long-source': {
      const cells = cellsOf(doc);
      const cell = cells?.length ? cells[change.at % cells.length] : undefined;
      if (isContainer(cell) && !Array.isArray(cell)) {
        const lines = Array.from({ length: change.lines }, (_, i) => `line_${i} = ${i}\n`);
        if ('input' in cell) cell.input = lines;
        else cell.source = lines;
      }
      break;
    }
    case 'deep':
      // Deep JSON where any JSON is allowed (metadata) and where it is not.
      if (!Array.isArray(doc) && isContainer(doc.metadata) && !Array.isArray(doc.metadata) && change.at % 2 === 0) doc.metadata.deep = deepMarker(change.depth, change.array);
      else set(slot, deepMarker(change.depth, change.array));
      break;
    case 'outputs': {
      const cells = cellsOf(doc);
      const cell = cells?.length ? cells[change.at % cells.length] : undefined;
      if (isContainer(cell) && !Array.isArray(cell)) cell.outputs = change.outputs;
      break;
    }
  }
}

// ---- mutations of the text -------------------------------------------------------------------------------------

type TextMutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'copy'; at: number; length: number; to: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'bom' }
  | { kind: 'duplicate-key'; key: string; value: string };

/** Bytes that matter to a JSON reader: structure, bad escapes, controls, lone surrogates, a BOM. */
const TEXT_BITS = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\x41', '\\u12', '\\uD800', '\\uDC00\\uD800', '\\q', '\u0000', '\n', '\t', '\uFEFF', '\uD800', '\uDFFF', 'null', 'NaN', '1e999', '-', '0x10', '//', '/*'];
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TEXT_BITS), fc.string({ unit: 'binary', maxLength: 8 })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('copy' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }), to: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bom' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('duplicate-key' as const),
      key: fc.constantFrom('nbformat', 'nbformat_minor', 'metadata', 'cells', 'worksheets'),
      value: fc.constantFrom('3', '4', '5', '"4"', 'null', '[]', '{}', '[{"cell_type":"code"}]', '"\\uD800"'),
    }),
  },
);

function mutateText(text: string, change: TextMutation): string {
  const at = (n: number) => n % (text.length + 1);
  switch (change.kind) {
    case 'insert':
      return text.slice(0, at(change.at)) + change.text + text.slice(at(change.at));
    case 'delete':
      return text.slice(0, at(change.at)) + text.slice(at(change.at) + change.length);
    case 'copy': {
      const piece = text.slice(at(change.at), at(change.at) + change.length);
      return text.slice(0, at(change.to)) + piece + text.slice(at(change.to));
    }
    case 'truncate':
      return text.slice(0, at(change.at));
    case 'bom':
      return `\uFEFF${text}`;
    case 'duplicate-key': {
      // The same key twice in one object: JSON.parse keeps the last, other readers the first.
      const open = text.indexOf('{');
      return open < 0 ? text : `${text.slice(0, open + 1)}"${change.key}": ${change.value},${text.slice(open + 1)}`;
    }
  }
}

// ---- the cases ---------------------------------------------------------------------------------------------------

/** How a case gives the notebook: the mutated object, its JSON text, or the fixture's own text mutated byte by byte. */
type Case =
  | { form: 'object'; fixture: number; changes: Mutation[] }
  | { form: 'json-text'; fixture: number; changes: Mutation[] }
  | { form: 'raw-text'; fixture: number; changes: TextMutation[] };

const fixtureIndex = fc.nat({ max: FIXTURES.length - 1 });
const structural = fc.array(mutation, { minLength: 1, maxLength: 4 });
const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ form: fc.constant('object' as const), fixture: fixtureIndex, changes: structural }) },
  { weight: 2, arbitrary: fc.record({ form: fc.constant('json-text' as const), fixture: fixtureIndex, changes: structural }) },
  { weight: 2, arbitrary: fc.record({ form: fc.constant('raw-text' as const), fixture: fixtureIndex, changes: fc.array(textMutation, { minLength: 1, maxLength: 4 }) }) },
);
const textCase: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ form: fc.constant('json-text' as const), fixture: fixtureIndex, changes: structural }),
  fc.record({ form: fc.constant('raw-text' as const), fixture: fixtureIndex, changes: fc.array(textMutation, { minLength: 1, maxLength: 6 }) }),
);

const texts: string[] = [];
let schema: Schema;

/** The input a case describes: an object (load() takes one) or text, as from a file. */
function inputOf(c: Case): unknown {
  const text = texts[c.fixture]!;
  if (c.form === 'raw-text') return c.changes.reduce(mutateText, text);
  const doc = JSON.parse(text) as Container;
  for (const change of c.changes) mutate(doc, change);
  return materialise(doc, c.form === 'object' ? 'object' : 'text');
}

/** The document as the reader sees it (what JSON.parse makes of text, a BOM dropped). */
function documentOf(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  return JSON.parse(input.startsWith('\uFEFF') ? input.slice(1) : input);
}

function joined(source: unknown): string | undefined {
  if (typeof source === 'string') return source;
  return Array.isArray(source) && source.every((line) => typeof line === 'string') ? joinSource(source as MultilineString) : undefined;
}

/**
 * Each cell's text as the file has it: nbformat 4 `source`; nbformat 3 `input` of code cells and `source` of the
 * others (undefined for heading cells, which become Markdown headings).
 */
function sourcesOf(doc: unknown): Array<string | undefined> {
  const notebook = doc as { nbformat: number; cells?: unknown[]; worksheets?: Array<{ cells?: unknown[] }> };
  if (notebook.nbformat === 4) return (notebook.cells ?? []).map((cell) => joined((cell as { source: unknown }).source));
  return (notebook.worksheets ?? []).flatMap((sheet) =>
    (sheet.cells ?? []).map((cell) => {
      const { cell_type: type, input, source } = cell as Record<string, unknown>;
      if (type === 'heading') return undefined;
      return type === 'code' ? (joined(input ?? '') ?? '') : joined(source);
    }),
  );
}

/** A refusal must be a NotebookFormatError whose message is a sentence naming the problem (and its place). */
function expectClearRefusal(error: unknown): void {
  if (!(error instanceof NotebookFormatError)) throw new Error(`Expected a NotebookFormatError, got ${String(error)}`, { cause: error });
  expect(error.message, 'the refusal says what is wrong').to.match(/^\S.{15,}[.)]$/s);
  // A version refusal names the format ("nbformat 4.99"); any other names the exact place, such as cells[2].source.
  if (error.path) expect(error.message, 'the refusal names the place').to.contain(error.path.startsWith('nbformat') ? 'nbformat' : error.path);
}

/** Every key of every object in `doc`. */
function keysOf(doc: unknown): Set<string> {
  const keys = new Set<string>();
  if (!isContainer(doc as Json)) return keys;
  for (const slot of slots(doc as Container)) if (typeof slot.key === 'string') keys.add(slot.key);
  return keys;
}

/** The properties nbformat 4.5 knows: of the notebook, of each cell type and of each output type. */
function knownProperties(definition: string | null): Set<string> {
  const found = (definition === null ? schema : (schema as { definitions: Record<string, Schema> }).definitions[definition]) as { properties?: object };
  return new Set(Object.keys(found?.properties ?? {}));
}

/**
 * `saved` without the notebook, cell and output fields nbformat does not know, checking that each came from the file:
 * parseNotebook keeps such fields on purpose (as Jupyter does, so a save loses nothing), and the schema refuses them.
 */
function withoutCarriedFields(saved: unknown, input: unknown): unknown {
  const carried = keysOf(documentOf(input));
  const copy = structuredClone(saved) as { cells: Array<Record<string, unknown> & { outputs?: Array<Record<string, unknown>> }> } & Record<string, unknown>;
  const strip = (object: Record<string, unknown>, known: Set<string>, where: string) => {
    if (known.size === 0) return;
    for (const key of Object.keys(object)) {
      if (known.has(key)) continue;
      expect(carried.has(key), `${where} has a field "${key}" the file did not have`).to.be.true;
      delete object[key];
    }
  };
  strip(copy, knownProperties(null), 'the notebook');
  copy.cells.forEach((cell, i) => {
    strip(cell, knownProperties(`${String(cell.cell_type)}_cell`), `cell ${i}`);
    cell.outputs?.forEach((output, j) => strip(output, knownProperties(String(output.output_type)), `cell ${i} output ${j}`));
  });
  return copy;
}

function expectFaithful(saved: unknown, input: unknown): void {
  expect(validate(withoutCarriedFields(saved, input), schema), 'toJSON() is valid nbformat 4.5').to.deep.equal([]);
  const kept = (saved as { cells: Array<{ source: MultilineString }> }).cells.map((cell) => joinSource(cell.source));
  const expected = sourcesOf(documentOf(input));
  expect(kept.length, 'every cell is kept').to.equal(expected.length);
  expected.forEach((source, i) => {
    if (source !== undefined) expect(kept[i] === source, `cell ${i} keeps its source`).to.be.true;
  });
}

/**
 * A kernel shut down before it ever started: a notebook cannot start Python through it (its ready() refuses), so a
 * load that tried would show as the runtime leaving 'stopped'.
 */
async function unstartedKernel(runtime = new PyodideRuntime(testRuntimeOptions())): Promise<PyodideKernel> {
  const kernel = new PyodideKernel({ runtime });
  await kernel.shutdown();
  return kernel;
}

/** What ran, for the one summary line this file logs (the README quotes it as "bad inputs tried"). */
const tried = { load: { cases: 0, refusals: 0, loads: 0 }, parse: { cases: 0, refusals: 0, loads: 0 } };

const seen: string[] = [];
const onError = (event: ErrorEvent) => seen.push(`error: ${event.message}`);
const onRejection = (event: PromiseRejectionEvent) => seen.push(`unhandled rejection: ${String(event.reason)}`);

describe('fuzz: untrusted notebooks', () => {
  before(async () => {
    schema = JSON.parse(await fixtureText('nbformat/nbformat.v4.5.schema.json')) as Schema;
    texts.push(...(await Promise.all(FIXTURES.map(fixtureText))));
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onRejection);
  });
  after(() => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
    const { load, parse } = tried;
    console.log(
      `fuzz notebook-load: ${load.cases + parse.cases} bad notebooks tried: <bento-notebook>.load() ${load.cases} (${load.refusals} refused, ${load.loads} loaded), ` +
        `parseNotebook() ${parse.cases} texts (${parse.refusals} refused, ${parse.loads} loaded)`,
    );
  });

  it("1,000 mutated fixtures through <bento-notebook>'s load(): a clear refusal or a faithful load, and Python never starts", async () => {
    const runtime = new PyodideRuntime(testRuntimeOptions());
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${await unstartedKernel(runtime)}></bento-notebook>`);
    const counts = tried.load;
    await fc.assert(
      fc.asyncProperty(anyCase, async (c) => {
        counts.cases++;
        const input = inputOf(c);
        try {
          el.load(input as object);
        } catch (error) {
          expectClearRefusal(error);
          counts.refusals++;
          return;
        }
        await el.updateComplete;
        expectFaithful(el.toJSON(), input);
        counts.loads++;
      }),
      { seed: 0x5eed0001, numRuns: 1000, timeout: CASE_TIMEOUT_MS, includeErrorInReport: true },
    );
    // Anything a load left running (a renderer, a chunk) has a chance to fail now.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen, 'no window error or unhandled rejection').to.deep.equal([]);
    expect(runtime.state, 'loading never starts Python').to.equal('stopped');
    expect(counts.cases).to.be.at.least(1000);
  });

  // Found by this fuzzer: 10,000 levels overflowed the stack of the recursive copy (a RangeError, not a refusal);
  // parseNotebook now refuses JSON nested deeper than 500 levels.
  it('metadata nested 10,000 deep: a clear refusal or a faithful load', async () => {
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${await unstartedKernel()}></bento-notebook>`);
    const base = () => JSON.parse(texts[FIXTURES.indexOf('nbformat/test4.5.ipynb')]!) as { metadata: Record<string, Json>; cells: Array<Record<string, Json>> };
    for (const array of [false, true]) {
      for (const form of ['object', 'text'] as const) {
        const doc = base();
        doc.metadata.deep = deepMarker(10_000, array);
        doc.cells[0]!.metadata = { deep: deepMarker(10_000, array) };
        const input = materialise(doc as unknown as Container, form);
        try {
          el.load(input as object);
        } catch (error) {
          expectClearRefusal(error);
          continue;
        }
        await el.updateComplete;
        expectFaithful(el.toJSON(), input);
      }
    }
  });

  it('1,000 mutated texts through parseNotebook: a clear refusal or a valid notebook that keeps every source', async () => {
    const counts = tried.parse;
    await fc.assert(
      fc.asyncProperty(textCase, async (c) => {
        counts.cases++;
        const input = inputOf(c);
        let notebook;
        try {
          notebook = parseNotebook(input);
        } catch (error) {
          expectClearRefusal(error);
          counts.refusals++;
          return;
        }
        expectFaithful(JSON.parse(serializeNotebook(notebook)), input);
        counts.loads++;
      }),
      { seed: 0x5eed0002, numRuns: 1000, timeout: CASE_TIMEOUT_MS, includeErrorInReport: true },
    );
    expect(seen, 'no window error or unhandled rejection').to.deep.equal([]);
  });
});
