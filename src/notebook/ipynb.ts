/**
 * Reading and writing .ipynb files. Reading checks the nbformat 4.5 structure by hand, so errors can name the
 * exact place and say what was expected, and upgrades nbformat 3 files; writing produces the text Jupyter writes.
 * https://nbformat.readthedocs.io/en/latest/format_description.html
 */
import type { JSONObject, JSONValue, MimeBundle } from '../kernel/protocol.ts';
import { joinSource, splitLines, type Cell, type Notebook, type Output } from './nbformat.ts';

/** The notebook format this module reads into and writes: nbformat 4.5. */
export const NBFORMAT = 4;
export const NBFORMAT_MINOR = 5;

/** A file or object that is not a notebook Bento Lite can open. The message says what is wrong and where. */
export class NotebookFormatError extends Error {
  /** Where the problem is, such as `cells[3].outputs[0].output_type`; empty for the document as a whole. */
  readonly path: string;

  constructor(message: string, path = '', options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotebookFormatError';
    this.path = path;
  }
}

/**
 * Reads a notebook from .ipynb text or from an already parsed JSON object, and returns an nbformat 4.5 notebook.
 *
 * - nbformat 4.0 to 4.5 is read as is; a cell without an id, or repeating an earlier cell's id, gets a new one.
 * - nbformat 3 is upgraded as Jupyter's own converter does (worksheets flattened, heading cells become markdown
 *   headings, `pyout`/`pyerr` become `execute_result`/`error`, short output keys become MIME types);
 *   `metadata.orig_nbformat` is then 3 in memory (it is never written back).
 * - Older and newer formats are refused with a message saying what to do.
 *
 * Multiline strings (cell sources, stream texts, text MIME data) come back joined into single strings. Fields this
 * module does not know are kept as they are, so writing the notebook back loses nothing. The input is not modified.
 *
 * @throws NotebookFormatError when the input is not JSON, not a notebook, or breaks the nbformat 4.5 schema.
 */
export function parseNotebook(input: string | unknown): Notebook {
  let document: unknown = input;
  if (typeof input === 'string') {
    try {
      // A byte order mark is invalid JSON but common in files saved by Windows editors.
      document = JSON.parse(input.startsWith('\uFEFF') ? input.slice(1) : input);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new NotebookFormatError(`Not a notebook: the file is not JSON (${reason}).`, '', { cause: error });
    }
  }
  if (!isObject(document)) {
    throw new NotebookFormatError(
      `Not a notebook: expected a JSON object with "cells" and "metadata", found ${describe(document)}.`,
    );
  }

  const major = document.nbformat;
  if (major === undefined) {
    throw new NotebookFormatError('Not a notebook: the JSON object has no "nbformat" version number.', 'nbformat');
  }
  if (!Number.isInteger(major) || (major as number) < 1) {
    throw new NotebookFormatError(
      `Not a notebook: "nbformat" is ${describe(major)}; expected a format version such as 4.`,
      'nbformat',
    );
  }
  if ((major as number) < 3) {
    throw new NotebookFormatError(
      `This notebook is nbformat ${major}, too old for Bento Lite, which reads nbformat 3 and 4. ` +
        'Open and save it with Jupyter to upgrade it to nbformat 4, then open it here.',
      'nbformat',
    );
  }
  if ((major as number) > NBFORMAT) {
    throw new NotebookFormatError(
      `This notebook is nbformat ${major}, newer than Bento Lite reads (nbformat 3 and 4). ` +
        'Open it with a Jupyter that supports it and save a copy as nbformat 4.',
      'nbformat',
    );
  }
  if (major === 3) return upgradeV3(document);

  const minor = document.nbformat_minor;
  if (!Number.isInteger(minor) || (minor as number) < 0) {
    invalid('nbformat_minor', minor, `a whole number from 0 to ${NBFORMAT_MINOR}`);
  }
  if ((minor as number) > NBFORMAT_MINOR) {
    // A later minor version may add cell and output types this reader cannot show or keep faithfully.
    throw new NotebookFormatError(
      `This notebook is nbformat 4.${minor}, newer than Bento Lite reads (4.0 to 4.${NBFORMAT_MINOR}). ` +
        'Open it in Jupyter instead: saving it here could drop what the newer format adds.',
      'nbformat_minor',
    );
  }
  return readV4(document, minor as number);
}

/**
 * Writes a notebook as .ipynb text the way Jupyter does: nbformat 4.5, keys sorted, one-space indent, multiline
 * text as lists of lines, a final newline. In-memory only fields (output `transient`, `metadata.orig_nbformat`,
 * cell `metadata.trusted`) are left out.
 */
export function serializeNotebook(nb: Notebook): string {
  const file: JSONObject = {};
  for (const [key, value] of Object.entries(nb)) {
    if (key !== 'cells' && key !== 'metadata' && value !== undefined) setKey(file, key, value as JSONValue);
  }
  file.nbformat = NBFORMAT;
  file.nbformat_minor = NBFORMAT_MINOR;
  file.metadata = withoutKeys(nb.metadata, NOTEBOOK_TRANSIENT_METADATA);
  file.cells = nb.cells.map(cellToFile);
  return JSON.stringify(sortKeys(file), null, 1) + '\n';
}

/** A notebook with one empty code cell. */
export function newNotebook(): Notebook {
  return {
    nbformat: NBFORMAT,
    nbformat_minor: NBFORMAT_MINOR,
    metadata: {},
    cells: [{ id: newCellId(), cell_type: 'code', source: '', metadata: {}, outputs: [], execution_count: null }],
  };
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Random bytes for ids, drawn 256 ids at a time: one getRandomValues call per id cost ~10 µs, 20 ms for a big notebook. */
let randomBytes = new Uint8Array(0);
let randomAt = 0;

/** A random cell id, valid for nbformat 4.5 (a UUID, as JupyterLab makes them). */
export function newCellId(): string {
  // getRandomValues, unlike randomUUID, also works on pages that are not a secure context.
  if (randomAt + 16 > randomBytes.length) {
    randomBytes = crypto.getRandomValues(new Uint8Array(16 * 256));
    randomAt = 0;
  }
  const bytes = randomBytes.subarray(randomAt, (randomAt += 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let id = '';
  for (let i = 0; i < 16; i++) id += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + HEX[bytes[i]!];
  return id;
}

// ---------------------------------------------------------------------------------------------------------------
// nbformat 4

/** Metadata Jupyter strips on read and write ("should never be written to a file"). */
const NOTEBOOK_TRANSIENT_METADATA = ['orig_nbformat', 'orig_nbformat_minor', 'signature'];
const CELL_TRANSIENT_METADATA = ['trusted'];

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;
const CELL_TYPES = ['code', 'markdown', 'raw'];
const OUTPUT_TYPES = ['execute_result', 'display_data', 'stream', 'error'];
/** Cell fields readCell checks and copies itself, by cell type; any other field is copied as it is. */
const CELL_FIELDS_READ: Record<string, string[]> = {
  code: ['cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count'],
  markdown: ['cell_type', 'id', 'metadata', 'source', 'attachments'],
  raw: ['cell_type', 'id', 'metadata', 'source', 'attachments'],
};

function readV4(document: JSONObject, minor: number): Notebook {
  const notebook: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    if (key !== 'nbformat' && key !== 'nbformat_minor' && key !== 'metadata' && key !== 'cells') {
      setKey(notebook, key, copyJSON(value, key));
    }
  }
  notebook.nbformat = NBFORMAT;
  notebook.nbformat_minor = NBFORMAT_MINOR;
  notebook.metadata = readNotebookMetadata(document.metadata);

  const cells = document.cells;
  if (!Array.isArray(cells)) invalid('cells', cells, 'a list of cells');
  const ids = assignCellIds(cells, minor);
  notebook.cells = cells.map((cell, index) => readCell(cell, `cells[${index}]`, ids[index]!));
  return notebook as Notebook;
}

/**
 * Ids as nbformat 4.5 wants them. In a 4.5 file an id that breaks the pattern is an error, as nbformat's validator
 * has it. A repeated id is given a fresh one, as nbformat's default validation and Jupyter's document model do
 * (real notebooks have them: cells copied by hand). Missing ids are generated; older files had no ids, so any
 * usable one they carry is kept.
 */
function assignCellIds(cells: JSONValue[], minor: number): string[] {
  const used = new Set<string>();
  const ids: Array<string | undefined> = cells.map((cell, index) => {
    if (!isObject(cell) || cell.id === undefined) return undefined;
    const id = cell.id;
    if (typeof id !== 'string' || !CELL_ID.test(id)) {
      if (minor >= 5) invalid(`cells[${index}].id`, id, '1 to 64 letters, digits, "-" or "_"');
      return undefined;
    }
    if (used.has(id)) return undefined;
    used.add(id);
    return id;
  });
  return ids.map((id) => {
    if (id !== undefined) return id;
    let fresh = newCellId();
    while (used.has(fresh)) fresh = newCellId();
    used.add(fresh);
    return fresh;
  });
}

function readNotebookMetadata(value: JSONValue | undefined): JSONObject {
  const copy = copyJSON(expectObject(value, 'metadata'), 'metadata') as JSONObject;
  const metadata = withoutKeys(copy, NOTEBOOK_TRANSIENT_METADATA);
  const { kernelspec, language_info: languageInfo, title, authors } = metadata;
  if (kernelspec !== undefined) {
    const spec = expectObject(kernelspec, 'metadata.kernelspec', 'an object with "name" and "display_name"');
    expectString(spec.name, 'metadata.kernelspec.name');
    expectString(spec.display_name, 'metadata.kernelspec.display_name');
  }
  if (languageInfo !== undefined) {
    const info = expectObject(languageInfo, 'metadata.language_info', 'an object with a "name"');
    expectString(info.name, 'metadata.language_info.name');
    for (const key of ['file_extension', 'mimetype', 'pygments_lexer']) {
      if (info[key] !== undefined) expectString(info[key], `metadata.language_info.${key}`);
    }
    const mode = info.codemirror_mode;
    if (mode !== undefined && typeof mode !== 'string' && !isObject(mode)) {
      invalid('metadata.language_info.codemirror_mode', mode, 'a string or an object');
    }
  }
  if (title !== undefined) expectString(title, 'metadata.title');
  if (authors !== undefined && !Array.isArray(authors)) invalid('metadata.authors', authors, 'a list of authors');
  return metadata;
}

function readCell(value: JSONValue, path: string, id: string): Cell {
  const raw = expectObject(value, path, 'a cell object');
  const type = raw.cell_type;
  if (typeof type !== 'string' || !CELL_TYPES.includes(type)) {
    const hint = type === 'heading' ? ' (nbformat 4 has no heading cells: use a markdown cell starting with #)' : '';
    invalid(`${path}.cell_type`, type, `"code", "markdown" or "raw"${hint}`);
  }
  const cell: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(raw)) {
    if (!CELL_FIELDS_READ[type]!.includes(key)) setKey(cell, key, copyJSON(field, child(path, key)));
  }
  cell.cell_type = type;
  cell.id = id;
  cell.metadata = readCellMetadata(raw.metadata, `${path}.metadata`, type);
  cell.source = expectMultiline(raw.source, `${path}.source`);
  if (type === 'code') {
    const outputs = raw.outputs;
    if (!Array.isArray(outputs)) invalid(`${path}.outputs`, outputs, 'a list of outputs');
    cell.outputs = outputs.map((output, index) => readOutput(output, `${path}.outputs[${index}]`));
    cell.execution_count = expectExecutionCount(raw.execution_count, `${path}.execution_count`);
  } else if (raw.attachments !== undefined) {
    const attachments = expectObject(raw.attachments, `${path}.attachments`, 'an object of attachments by file name');
    const read: Record<string, MimeBundle> = {};
    for (const [name, bundle] of Object.entries(attachments)) {
      setKey(read, name, readMimeBundle(bundle, child(`${path}.attachments`, name)));
    }
    cell.attachments = read;
  }
  return cell as Cell;
}

function readCellMetadata(value: JSONValue | undefined, path: string, cellType: string): JSONObject {
  const metadata = withoutKeys(copyJSON(expectObject(value, path), path) as JSONObject, CELL_TRANSIENT_METADATA);
  const { name, tags, jupyter } = metadata;
  if (name !== undefined && (typeof name !== 'string' || !/^.+$/.test(name))) {
    invalid(`${path}.name`, name, 'a non-empty single-line string');
  }
  if (tags !== undefined) {
    if (!Array.isArray(tags)) invalid(`${path}.tags`, tags, 'a list of tags');
    tags.forEach((tag, index) => {
      if (typeof tag !== 'string' || !/^[^,]+$/.test(tag)) {
        invalid(`${path}.tags[${index}]`, tag, 'a tag without commas');
      }
      if (tags.indexOf(tag) !== index) invalid(`${path}.tags[${index}]`, tag, 'each tag only once');
    });
  }
  if (jupyter !== undefined) expectObject(jupyter, `${path}.jupyter`);
  if (cellType === 'raw' && metadata.format !== undefined) expectString(metadata.format, `${path}.format`);
  if (cellType === 'code') {
    const { collapsed, scrolled, execution } = metadata;
    if (collapsed !== undefined && typeof collapsed !== 'boolean') {
      invalid(`${path}.collapsed`, collapsed, 'true or false');
    }
    if (scrolled !== undefined && typeof scrolled !== 'boolean' && scrolled !== 'auto') {
      invalid(`${path}.scrolled`, scrolled, 'true, false or "auto"');
    }
    if (execution !== undefined) {
      const times = expectObject(execution, `${path}.execution`, 'an object of ISO 8601 times');
      for (const [key, time] of Object.entries(times)) expectString(time, child(`${path}.execution`, key));
    }
  }
  return metadata;
}

function readOutput(value: JSONValue, path: string): Output {
  const raw = expectObject(value, path, 'an output object');
  const type = raw.output_type;
  if (typeof type !== 'string' || !OUTPUT_TYPES.includes(type)) {
    invalid(`${path}.output_type`, type, '"execute_result", "display_data", "stream" or "error"');
  }
  // The multiline field is read (and joined) below; everything else is copied as it is.
  const multiline = type === 'stream' ? 'text' : type === 'error' ? undefined : 'data';
  const output: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(raw)) {
    if (key !== multiline) setKey(output, key, copyJSON(field, child(path, key)));
  }
  switch (type) {
    case 'stream':
      expectString(raw.name, `${path}.name`, 'a stream name such as "stdout"');
      output.text = expectMultiline(raw.text, `${path}.text`);
      break;
    case 'error':
      expectString(raw.ename, `${path}.ename`);
      expectString(raw.evalue, `${path}.evalue`);
      if (!Array.isArray(raw.traceback)) invalid(`${path}.traceback`, raw.traceback, 'a list of strings');
      raw.traceback.forEach((line, index) => expectString(line, `${path}.traceback[${index}]`));
      break;
    default:
      output.data = readMimeBundle(raw.data, `${path}.data`);
      expectObject(raw.metadata, `${path}.metadata`);
      if (type === 'execute_result') {
        output.execution_count = expectExecutionCount(raw.execution_count, `${path}.execution_count`);
      }
  }
  return output as Output;
}

/** JSON MIME types hold any JSON value; every other type holds text, possibly split into lines. */
function isJSONMime(mime: string): boolean {
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

function readMimeBundle(value: JSONValue | undefined, path: string): MimeBundle {
  const raw = expectObject(value, path, 'an object of MIME type to data');
  const bundle: MimeBundle = {};
  for (const [mime, data] of Object.entries(raw)) {
    const at = child(path, mime);
    setKey(bundle, mime, isJSONMime(mime) ? copyJSON(data, at) : expectMultiline(data, at));
  }
  return bundle;
}

function expectExecutionCount(value: JSONValue | undefined, path: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    invalid(path, value, 'a whole number of 0 or more, or null');
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// nbformat 3 → 4, following nbformat's own v3 → v4 conversion

/** nbformat 3 output keys and the MIME types nbformat 4 uses for them. */
const V3_MIME_KEYS: Record<string, string> = {
  text: 'text/plain',
  html: 'text/html',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpeg: 'image/jpeg',
  latex: 'text/latex',
  json: 'application/json',
  javascript: 'application/javascript',
};

function upgradeV3(document: JSONObject): Notebook {
  const upgraded: JSONObject = {};
  for (const [key, value] of Object.entries(document)) {
    if (!['nbformat', 'nbformat_minor', 'worksheets', 'orig_nbformat', 'orig_nbformat_minor'].includes(key)) {
      setKey(upgraded, key, value);
    }
  }
  const metadata = document.metadata === undefined ? {} : { ...expectObject(document.metadata, 'metadata') };
  delete metadata.name;
  delete metadata.signature;

  const worksheets = document.worksheets ?? [];
  if (!Array.isArray(worksheets)) invalid('worksheets', worksheets, 'a list of worksheets');
  const cells: JSONValue[] = [];
  const languages = new Set<JSONValue>();
  worksheets.forEach((worksheet, w) => {
    const sheet = expectObject(worksheet, `worksheets[${w}]`, 'a worksheet object');
    const sheetCells = sheet.cells ?? [];
    if (!Array.isArray(sheetCells)) invalid(`worksheets[${w}].cells`, sheetCells, 'a list of cells');
    sheetCells.forEach((cell, c) => cells.push(upgradeV3Cell(cell, `worksheets[${w}].cells[${c}]`, languages)));
  });

  // nbformat 3 named the language on every code cell; nbformat 4 names it once, in language_info.
  const [language] = languages;
  if (metadata.language_info === undefined && languages.size === 1 && typeof language === 'string' && language) {
    metadata.language_info = { name: language };
  }
  upgraded.metadata = metadata;
  upgraded.cells = cells;

  const notebook = readV4(upgraded, 0);
  const original = document.orig_nbformat;
  notebook.metadata.orig_nbformat = Number.isInteger(original) && (original as number) >= 1 ? original! : 3;
  return notebook;
}

function upgradeV3Cell(value: JSONValue, path: string, languages: Set<JSONValue>): JSONObject {
  const cell = { ...expectObject(value, path, 'a cell object') };
  if (cell.metadata === undefined) cell.metadata = {};
  switch (cell.cell_type) {
    case 'code': {
      if ('language' in cell) languages.add(cell.language!);
      delete cell.language;
      if ('collapsed' in cell) {
        cell.metadata = { ...expectObject(cell.metadata, `${path}.metadata`), collapsed: cell.collapsed! };
        delete cell.collapsed;
      }
      cell.source = cell.input ?? '';
      delete cell.input;
      cell.execution_count = cell.prompt_number ?? null;
      delete cell.prompt_number;
      const outputs = cell.outputs ?? [];
      if (!Array.isArray(outputs)) invalid(`${path}.outputs`, outputs, 'a list of outputs');
      cell.outputs = outputs.map((output, index) => upgradeV3Output(output, `${path}.outputs[${index}]`));
      break;
    }
    case 'heading': {
      const level = cell.level ?? 1;
      if (typeof level !== 'number' || !Number.isInteger(level) || level < 1) {
        invalid(`${path}.level`, level, 'a heading level of 1 or more');
      }
      const source = expectMultiline(cell.source ?? '', `${path}.source`);
      cell.cell_type = 'markdown';
      delete cell.level;
      cell.source = `${'#'.repeat(level)} ${pythonLines(source).join(' ')}`;
      break;
    }
    case 'html':
      cell.cell_type = 'markdown';
      break;
  }
  return cell;
}

function upgradeV3Output(value: JSONValue, path: string): JSONObject {
  const output = { ...expectObject(value, path, 'an output object') };
  switch (output.output_type) {
    case 'pyout':
    case 'display_data': {
      const metadata = output.metadata === undefined ? {} : expectObject(output.metadata, `${path}.metadata`);
      const upgraded: JSONObject = { output_type: 'display_data', metadata: toMimeKeys(metadata) };
      if (output.output_type === 'pyout') {
        upgraded.output_type = 'execute_result';
        upgraded.execution_count = output.prompt_number ?? null;
        delete output.prompt_number;
      } else if ('execution_count' in output) {
        upgraded.execution_count = output.execution_count!;
      }
      const data: JSONObject = {};
      for (const [key, field] of Object.entries(output)) {
        if (key !== 'output_type' && key !== 'execution_count' && key !== 'metadata') setKey(data, key, field);
      }
      upgraded.data = toMimeKeys(data);
      const json = upgraded.data['application/json'];
      if (json !== undefined && (typeof json === 'string' || Array.isArray(json))) {
        try {
          upgraded.data['application/json'] = JSON.parse(joinSource(json as string | string[]));
        } catch (error) {
          throw new NotebookFormatError(
            `Not a valid notebook: ${path}.json is not JSON text (${(error as Error).message}).`,
            `${path}.json`,
            { cause: error },
          );
        }
      }
      return upgraded;
    }
    case 'pyerr':
      output.output_type = 'error';
      return output;
    case 'stream':
      output.name = output.stream ?? 'stdout';
      delete output.stream;
      return output;
    default:
      return output;
  }
}

function toMimeKeys(bundle: JSONObject): JSONObject {
  const renamed: JSONObject = {};
  for (const [key, value] of Object.entries(bundle)) setKey(renamed, V3_MIME_KEYS[key] ?? key, value);
  return renamed;
}

/** Python's str.splitlines(): the line breaks nbformat's heading conversion splits on, no trailing empty line. */
function pythonLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** MIME types Jupyter writes as lists of lines, besides every text/* type. */
const SPLIT_MIMES = new Set(['image/svg+xml', 'application/javascript']);

function cellToFile(cell: Cell): JSONObject {
  const file: JSONObject = {};
  for (const [key, value] of Object.entries(cell)) {
    if (value !== undefined) setKey(file, key, value as JSONValue);
  }
  file.metadata = withoutKeys(cell.metadata, CELL_TRANSIENT_METADATA);
  file.source = splitLines(joinSource(cell.source));
  if ('attachments' in cell && cell.attachments) {
    const attachments: JSONObject = {};
    for (const [name, bundle] of Object.entries(cell.attachments)) setKey(attachments, name, bundleToFile(bundle));
    file.attachments = attachments;
  }
  if (cell.cell_type === 'code') file.outputs = cell.outputs.map(outputToFile);
  return file;
}

function outputToFile(output: Output): JSONObject {
  const file: JSONObject = {};
  for (const [key, value] of Object.entries(output)) {
    // `transient` belongs to the kernel message (display ids), not to the saved output.
    if (key !== 'transient' && value !== undefined) setKey(file, key, value as JSONValue);
  }
  if (output.output_type === 'stream') file.text = splitLines(joinSource(output.text));
  if (output.output_type === 'execute_result' || output.output_type === 'display_data') {
    file.data = bundleToFile(output.data);
  }
  return file;
}

function bundleToFile(bundle: MimeBundle): JSONObject {
  const file: JSONObject = {};
  for (const [mime, data] of Object.entries(bundle)) {
    const text = !isJSONMime(mime) && isMultiline(data) ? joinSource(data) : undefined;
    if (text === undefined) setKey(file, mime, data);
    else setKey(file, mime, mime.startsWith('text/') || SPLIT_MIMES.has(mime) ? splitLines(text) : text);
  }
  return file;
}

function sortKeys(value: JSONValue): JSONValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  const sorted: JSONObject = {};
  for (const key of Object.keys(value).sort(compareCodeUnits)) {
    if (value[key] !== undefined) setKey(sorted, key, sortKeys(value[key]!));
  }
  return sorted;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks and JSON helpers

function invalid(path: string, value: unknown, expected: string): never {
  throw new NotebookFormatError(`Not a valid notebook: ${path} is ${describe(value)}; expected ${expected}.`, path);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMultiline(value: unknown): value is string | string[] {
  return typeof value === 'string' || (Array.isArray(value) && value.every((line) => typeof line === 'string'));
}

function expectObject(value: JSONValue | undefined, path: string, expected = 'an object'): JSONObject {
  if (!isObject(value)) invalid(path, value, expected);
  return value;
}

function expectString(value: JSONValue | undefined, path: string, expected = 'a string'): string {
  if (typeof value !== 'string') invalid(path, value, expected);
  return value;
}

/** Checks a multiline string and returns it joined. */
function expectMultiline(value: JSONValue | undefined, path: string): string {
  if (!isMultiline(value)) invalid(path, value, 'a string or a list of strings');
  return joinSource(value);
}

/** A deep copy that also checks that an object given by the caller holds only JSON data. */
/** Deeper JSON than this is refused (Python's json module, which Jupyter uses, refuses about 1,000 levels). */
const MAX_DEPTH = 500;

function copyJSON(value: unknown, path: string, depth = 0): JSONValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invalid(path, value, 'a finite number');
    return value;
  }
  if (depth > MAX_DEPTH) invalid(path, value, `data nested at most ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) return value.map((item, index) => copyJSON(item, `${path}[${index}]`, depth + 1));
  if (typeof value === 'object') {
    // A plain object of any window (a notebook parsed in an iframe has that frame's Object.prototype).
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== null && Object.getPrototypeOf(prototype) !== null) invalid(path, value, 'JSON data');
    const copy: JSONObject = {};
    for (const [key, item] of Object.entries(value)) setKey(copy, key, copyJSON(item, child(path, key), depth + 1));
    return copy;
  }
  return invalid(path, value, 'JSON data');
}

/** A shallow copy of `object` without `keys`. */
function withoutKeys(object: JSONObject, keys: string[]): JSONObject {
  const copy: JSONObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (!keys.includes(key)) setKey(copy, key, value);
  }
  return copy;
}

/** Sets an own property, even one named `__proto__`, which JSON.parse allows and plain assignment would not. */
function setKey(object: object, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    (object as Record<string, unknown>)[key] = value;
  }
}

function child(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}
