/**
 * Google Sheets as a table, for `%%googlesheet` and `<googlesheet-cell>`.
 *
 * Two ways in, chosen by the source a cell names:
 * - a source without credentials (the default one, `public`) reads a sheet shared "anyone with the link" through
 *   the visualisation endpoint's CSV export: `GET {csvBase}/spreadsheets/d/ID/gviz/tq?tqx=out:csv`;
 * - a source with an API key or an access-token getter reads through the Sheets API v4 `spreadsheets.values.get`:
 *   `GET {apiBase}/v4/spreadsheets/ID/values/RANGE`.
 * Both end as one `ColumnTable` whose types are what a person sees in the sheet (numbers, TRUE/FALSE, dates and
 * date-times, empty cells as nulls), with the header row as column names (made unique, and said so in `notes`).
 * Credentials stay in the registry (sheet-sources.ts) and the requests: never in a URL, an error, a note or a label.
 */
import { QueryError } from './connectors.ts';
// Types only: a value imported from the registry would put the registry in this chunk's graph, and split it out of
// the main bundle into a chunk of its own.
import type { SheetRetryOptions, SheetSourceConfig } from './sheet-sources.ts';
import { ColumnBuilder, ColumnTable, type CellValue, type ColumnType } from './table.ts';
import { countInWords } from '../util/words.ts';

export type { SheetRetryOptions, SheetSourceConfig };

/** What to read: the parts of `%%googlesheet var [--sheet NAME] [--range A1:F] [--header N | --no-header] [--source NAME]`. */
export interface SheetRequest {
  /** The cell's body: the sheet's URL (`.../spreadsheets/d/ID/edit#gid=N`) or its bare id. */
  sheet: string;
  /** The tab's name; default: the tab the URL's `#gid=` names, else the first. */
  tab?: string;
  /** An A1 range within the tab, e.g. `A1:F` or `B3:D100`; default: everything. */
  range?: string;
  /** The header's row, counted from the first row of the range (1 = the first); rows above it are skipped. `false`: no header, columns named A, B, C... Default 1. */
  header?: number | false;
  /** The registered source to read through; default `public`. */
  source?: string;
}

export interface SheetReadOptions {
  /** Aborting stops the read at once, whatever it is waiting for (a request, a backoff, the token getter). */
  signal?: AbortSignal;
  /** Overrides the source's timeout. */
  timeoutMs?: number;
  /** Said while the read goes on: each request, each wait before a retry. */
  onProgress?: (progress: { message: string; rows?: number }) => void;
}

const DEFAULT_CSV_BASE = 'https://docs.google.com';
const DEFAULT_API_BASE = 'https://sheets.googleapis.com';
const DEFAULT_TIMEOUT_MS = 60_000;
const NOT_SHARED = 'the sheet is not shared publicly; register a source with an API key or token (registerSheetSource) and name it with --source';

export interface SheetResult {
  table: ColumnTable;
  /** Things the user should know about how the sheet became a table (renamed columns, skipped rows, mixed columns). */
  notes: string[];
  elapsedMs: number;
  /** Where the table came from, for a summary line: the source's label, the sheet's id, tab and range. No credentials. */
  source: string;
  /** `csv`: the public CSV export; `api`: the Sheets API. */
  endpoint: 'csv' | 'api';
}

/**
 * A spreadsheet's id and the tab its URL points at (`#gid=`), from the URL or a bare id (lines starting with `#` are
 * comments). Throws a QueryError saying what to paste.
 */
export function parseSheetReference(text: string): { id: string; gid?: string } {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  if (lines.length === 0) throw new QueryError("The cell has no sheet: put the sheet's URL (https://docs.google.com/spreadsheets/d/.../edit) or its id below the %%googlesheet line.");
  if (lines.length > 1) throw new QueryError(`The cell's body should be one sheet URL or id; it has ${lines.length} lines.`);
  const [line] = lines;
  if (/^[\w-]+$/.test(line)) return { id: line };
  let url: URL;
  try {
    url = new URL(line);
  } catch {
    throw new QueryError(`'${line}' is neither a sheet URL nor a sheet id: paste the URL from the browser's address bar while the sheet is open.`);
  }
  if (/\/spreadsheets\/d\/e\//.test(url.pathname)) {
    throw new QueryError("This is a 'Publish to the web' link (/spreadsheets/d/e/...), which does not name the sheet: use the sheet's own URL, the one in the address bar while it is open.");
  }
  const match = /\/spreadsheets\/d\/([\w-]+)/.exec(url.pathname);
  if (!match) throw new QueryError(`'${line}' is not a Google Sheets URL: it should contain /spreadsheets/d/<id>/.`);
  const gid = /(?:^|[#&?])gid=(\d+)/.exec(url.hash)?.[1] ?? url.searchParams.get('gid') ?? undefined;
  return gid === undefined ? { id: match[1] } : { id: match[1], gid };
}

/**
 * Reads a sheet (or a range of one) as a table through `source`, the config registered as `sourceName`
 * (undefined when none is: `known` are the names that are). Throws a QueryError that says what happened and
 * what to do. Pages call `readSheet` (sheet-sources.ts), which looks the source up and loads this module.
 */
export async function readSheetFrom(
  sourceName: string,
  source: SheetSourceConfig | undefined,
  known: string[],
  request: SheetRequest,
  options: SheetReadOptions = {},
): Promise<SheetResult> {
  const started = performance.now();
  if (!source) {
    const names = known.map((n) => `'${n}'`).join(', ');
    throw new QueryError(`No sheet source called '${sourceName}' is registered on this page. Known: ${names}. Register it with registerSheetSource({ name: '${sourceName}', apiKey }) or ({ name: '${sourceName}', getAccessToken }).`, { connector: sourceName });
  }
  checkSource(source);
  const header = request.header ?? 1;
  if (header !== false && !(Number.isInteger(header) && header >= 1)) throw new QueryError(`--header must be a row number from 1 (the first row of the range), not ${header}.`, { connector: sourceName });
  if (request.tab !== undefined && !request.tab) throw new QueryError('--sheet needs the name of a tab, e.g. --sheet Orders.', { connector: sourceName });
  const reference = parseSheetReference(request.sheet);
  const readsApi = Boolean(source.apiKey || source.getAccessToken);
  const label = source.label ?? (readsApi ? 'Google Sheets API' : 'Google Sheets (public link)');

  const run = new Run(sourceName, label, source, options);
  try {
    const rows = readsApi ? await readApi(run, source, reference, request, header) : await readCsv(run, source, reference, request, header);
    const notes: string[] = [];
    const table = tableFromRows(rows, header !== false, request.range, notes);
    options.onProgress?.({ message: `${countInWords(table.numRows)} rows`, rows: table.numRows });
    const where = [reference.id, request.tab ?? (reference.gid !== undefined ? `gid ${reference.gid}` : undefined), request.range].filter(Boolean).join(' · ');
    return { table, notes, elapsedMs: performance.now() - started, source: `${label}: ${where}`, endpoint: readsApi ? 'api' : 'csv' };
  } catch (error) {
    throw run.failure(error);
  } finally {
    run.end();
  }
}

/** A source's config is checked here, at its first read, so that the registry in the main bundle stays small. */
function checkSource(config: SheetSourceConfig): void {
  const problem = (text: string) => new QueryError(`Sheet source '${config.name}': ${text}`, { connector: config.name });
  if (config.apiKey !== undefined && (typeof config.apiKey !== 'string' || !config.apiKey)) throw problem('apiKey must be a non-empty string.');
  if (config.getAccessToken !== undefined && typeof config.getAccessToken !== 'function') throw problem('getAccessToken must be a function that returns the token (or a promise of it).');
  for (const key of ['csvBase', 'apiBase'] as const) {
    const value = config[key];
    if (value === undefined) continue;
    let url: URL;
    try {
      url = new URL(value, baseHref());
    } catch {
      throw problem(`${key} '${value}' is not a URL.`);
    }
    if (url.username || url.password || url.search) throw problem(`${key} must be a plain base URL; put credentials in apiKey or getAccessToken.`);
  }
}

// --- one read: its signal, timeout, retries ---------------------------------------------------------------------

/** One read's state: the combined abort signal (caller + timeout) and the failure that explains why it stopped. */
class Run {
  readonly controller = new AbortController();
  private stopped?: 'cancelled' | 'timeout';
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly onAbort = () => this.stop('cancelled');
  readonly timeoutMs: number;
  readonly retry: Required<SheetRetryOptions>;

  constructor(
    readonly sourceName: string,
    readonly label: string,
    source: SheetSourceConfig,
    readonly options: SheetReadOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? source.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retry = { attempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000, ...source.retry };
    if (options.signal?.aborted) this.stop('cancelled');
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = setTimeout(() => this.stop('timeout'), this.timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  progress(message: string): void {
    this.options.onProgress?.({ message });
  }

  error(message: string, detail: { status?: number; serverMessage?: string } = {}): QueryError {
    return new QueryError(message, { connector: this.sourceName, ...detail });
  }

  /** Throws the cancellation (or timeout) if the read was stopped meanwhile. */
  check(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }

  /** `promise`, unless the read stops first. */
  until<T>(promise: Promise<T>): Promise<T> {
    this.check();
    return new Promise<T>((resolve, reject) => {
      const stop = () => reject(this.signal.reason);
      this.signal.addEventListener('abort', stop, { once: true });
      promise.then(resolve, reject).finally(() => this.signal.removeEventListener('abort', stop));
    });
  }

  sleep(ms: number): Promise<void> {
    return this.until(new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * A GET that tries again on 429 and 5xx with exponential backoff (Retry-After first, when Google sends it and
   * the browser may read it), and turns a network failure into a QueryError saying where it could not reach.
   */
  async get(url: string, headers: Record<string, string>, what: string, unreachable: string): Promise<Response> {
    const { attempts, baseDelayMs, maxDelayMs } = this.retry;
    for (let attempt = 1; ; attempt++) {
      this.check();
      this.progress(attempt === 1 ? `reading ${what}` : `reading ${what} (try ${attempt} of ${attempts})`);
      let response: Response;
      try {
        // `omit`: the page's Google cookies must not decide what a notebook can read.
        response = await fetch(url, { headers, signal: this.signal, credentials: 'omit', cache: 'no-store' });
      } catch (error) {
        this.check();
        throw this.error(`Could not reach ${new URL(url).origin} (${errorText(error)}): ${unreachable}`);
      }
      if (response.status !== 429 && response.status < 500) return response;
      const retryAfterMs = retryAfter(response.headers.get('Retry-After'));
      const { summary, serverMessage } = await describeFailure(response);
      const gaveUp = (why: string) =>
        this.error(`${this.label} answered ${summary}${why}. ${response.status === 429 ? 'The quota is used up for now: wait a minute and run the cell again.' : 'Google is having trouble: run the cell again later.'}`, {
          status: response.status,
          serverMessage,
        });
      if (attempt >= attempts) throw gaveUp(attempts > 1 ? ` ${attempts} times in a row; gave up` : '');
      if (retryAfterMs !== undefined && retryAfterMs > maxDelayMs) throw gaveUp(` and asked to wait ${seconds(retryAfterMs)} before trying again; gave up`);
      const delay = retryAfterMs ?? Math.min(baseDelayMs * 2 ** (attempt - 1), maxDelayMs);
      this.progress(`${this.label} answered ${response.status}; trying again in ${seconds(delay)}${retryAfterMs !== undefined ? ' (as its Retry-After asks)' : ''}`);
      await this.sleep(delay);
    }
  }

  /** The error to throw for whatever ended the read: a cancel or timeout wins over the rejection it caused. */
  failure(error: unknown): unknown {
    if (this.stopped === 'timeout') {
      return new QueryError(`${this.label} did not answer within ${seconds(this.timeoutMs)}; the read was stopped. Run the cell again, or read a smaller --range.`, {
        connector: this.sourceName,
        timedOut: true,
      });
    }
    if (this.stopped === 'cancelled') return new QueryError('Cancelled: the sheet was not read.', { connector: this.sourceName, cancelled: true });
    return error;
  }

  end(): void {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  private stop(why: 'cancelled' | 'timeout'): void {
    this.stopped ??= why;
    this.controller.abort(new DOMException(why === 'timeout' ? 'The read timed out.' : 'The read was cancelled.', 'AbortError'));
  }
}

// --- the public CSV export --------------------------------------------------------------------------------------

async function readCsv(run: Run, source: SheetSourceConfig, reference: { id: string; gid?: string }, request: SheetRequest, header: number | false): Promise<Cell[][]> {
  const params = new URLSearchParams({ tqx: 'out:csv' });
  if (request.tab) params.set('sheet', request.tab);
  else if (reference.gid !== undefined) params.set('gid', reference.gid);
  // The endpoint guesses how many rows are headers (and may merge several into one label) unless told; and it
  // types each column from the rows below the header only. So the header goes at the top of the range, and
  // `headers` says exactly one row (or none).
  const range = header === false || header === 1 ? request.range : rangeFrom(request.range, header - 1);
  if (range) params.set('range', range);
  params.set('headers', header === false ? '0' : '1');
  const url = `${base(source.csvBase ?? DEFAULT_CSV_BASE)}/spreadsheets/d/${encodeURIComponent(reference.id)}/gviz/tq?${params}`;
  const response = await run.get(url, {}, `sheet ${reference.id}`, `check the page's connection to Google; if ${NOT_SHARED}.`);
  const text = await run.until(response.text());
  if (response.status === 404) throw run.error(`No spreadsheet with the id '${reference.id}' (${run.label} answered 404): check the sheet's URL or id.`, { status: 404, serverMessage: excerpt(text) });
  if (!response.ok) throw run.error(`${run.label} answered ${response.status}: ${excerpt(text)}`, { status: response.status, serverMessage: excerpt(text) });
  const trimmed = text.trimStart();
  // A sheet not shared by link: Google answers its sign-in page, or the endpoint's own JSON-ish error.
  if (/^text\/html/i.test(response.headers.get('Content-Type') ?? '') || /^<(!doctype|html)/i.test(trimmed)) {
    throw run.error(`Google answered a sign-in page instead of the sheet: ${NOT_SHARED}.`, { status: response.status, serverMessage: excerpt(text) });
  }
  const gvizError = visualizationError(trimmed);
  if (gvizError) {
    const said = gvizError.detailed_message ?? gvizError.message ?? gvizError.reason ?? 'an error';
    if (/access_denied|user_not_authenticated/.test(gvizError.reason ?? '')) throw run.error(`Google refused the sheet (${said}): ${NOT_SHARED}.`, { serverMessage: said });
    throw run.error(`Google could not read the sheet: ${said}. Check --sheet and --range.`, { serverMessage: said });
  }
  return parseCsv(text);
}

/** The error of a visualisation-endpoint answer (`/*O_o*\/ google.visualization.Query.setResponse({...})`), if it is one. */
function visualizationError(text: string): { reason?: string; message?: string; detailed_message?: string } | undefined {
  const at = text.indexOf('google.visualization.Query.setResponse(');
  if (at < 0 || at > 64) return undefined;
  const json = text.slice(text.indexOf('(', at) + 1, text.lastIndexOf(')'));
  try {
    const answer = JSON.parse(json) as { status?: string; errors?: Array<{ reason?: string; message?: string; detailed_message?: string }> };
    return answer.status === 'error' ? (answer.errors?.[0] ?? {}) : undefined;
  } catch {
    return { message: excerpt(json) };
  }
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines; CRLF or LF between records. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

// --- the Sheets API ---------------------------------------------------------------------------------------------

async function readApi(run: Run, source: SheetSourceConfig, reference: { id: string; gid?: string }, request: SheetRequest, header: number | false): Promise<Cell[][]> {
  const api = `${base(source.apiBase ?? DEFAULT_API_BASE)}/v4/spreadsheets/${encodeURIComponent(reference.id)}`;
  let token = source.getAccessToken ? await askToken(run, source) : undefined;
  let askedAgain = false;
  const get = async (url: string, what: string): Promise<unknown> => {
    for (;;) {
      // The key travels in a header rather than `key=`, so it stays out of URLs (and the logs that keep them).
      const headers: Record<string, string> = token !== undefined ? { Authorization: `Bearer ${token}` } : { 'X-Goog-Api-Key': source.apiKey! };
      const response = await run.get(url, headers, what, 'check the page\'s connection to Google and the source\'s apiBase.');
      if (response.status === 401 && source.getAccessToken && !askedAgain) {
        // An expired token: the page gets one chance to give a fresh one.
        askedAgain = true;
        token = await askToken(run, source);
        continue;
      }
      const text = await run.until(response.text());
      if (!response.ok) throw apiError(run, response.status, text, reference.id, askedAgain);
      try {
        return JSON.parse(text);
      } catch {
        throw run.error(`${run.label} answered something that is not JSON: ${excerpt(text)}. Check the source's apiBase.`, { status: response.status, serverMessage: excerpt(text) });
      }
    }
  };

  let tab = request.tab;
  if (tab === undefined && (reference.gid !== undefined || !request.range)) {
    // A range needs the tab's name: the URL names the tab by number (gid), and a whole sheet has no A1 range.
    const answer = (await get(`${api}?fields=${encodeURIComponent('sheets.properties(sheetId,title)')}`, `the tabs of sheet ${reference.id}`)) as { sheets?: Array<{ properties?: { sheetId?: number; title?: string } }> };
    const tabs = (answer.sheets ?? []).map((s) => s.properties ?? {});
    const found = reference.gid !== undefined ? tabs.find((t) => String(t.sheetId) === reference.gid) : tabs[0];
    if (!found?.title) {
      throw run.error(`Sheet ${reference.id} has no tab with gid ${reference.gid}; its tabs: ${tabs.map((t) => `'${t.title}' (gid ${t.sheetId})`).join(', ')}. Name one with --sheet.`);
    }
    tab = found.title;
  }
  const a1 = [tab !== undefined ? `'${tab.replace(/'/g, "''")}'` : '', request.range ?? ''].filter(Boolean).join('!');
  // UNFORMATTED_VALUE: numbers arrive as numbers (no thousands separators, currency signs or locale decimal commas
  // to undo) and TRUE/FALSE as booleans; a text cell stays a string, so "00123" stays text. Dates would then be
  // serial numbers, indistinguishable from plain numbers, so FORMATTED_STRING keeps them recognisable as dates.
  const params = new URLSearchParams({ valueRenderOption: 'UNFORMATTED_VALUE', dateTimeRenderOption: 'FORMATTED_STRING', majorDimension: 'ROWS' });
  const answer = (await get(`${api}/values/${encodeURIComponent(a1)}?${params}`, `${reference.id} ${a1}`)) as { values?: unknown[][] };
  if (answer.values !== undefined && !Array.isArray(answer.values)) throw run.error(`${run.label} answered a ValueRange without a values array. Check the source's apiBase.`);
  const rows = (answer.values ?? []).map((row) => (Array.isArray(row) ? row.map(apiCell) : []));
  // The CSV endpoint was asked for the range from the header down; here the rows above it are dropped.
  return header === false ? rows : rows.slice(header - 1);
}

function apiCell(value: unknown): Cell {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return { text: String(value) };
}

async function askToken(run: Run, source: SheetSourceConfig): Promise<string> {
  let token: unknown;
  try {
    token = await run.until(Promise.resolve().then(() => source.getAccessToken!()));
  } catch (error) {
    run.check();
    throw run.error(`The page's getAccessToken for sheet source '${run.sourceName}' failed: ${errorText(error)}. Sign in again, or check how the page gets its token.`);
  }
  if (typeof token !== 'string' || !token) throw run.error(`The page's getAccessToken for sheet source '${run.sourceName}' gave ${token === '' ? 'an empty string' : typeof token}, not a token.`);
  return token;
}

/** Google's error object (`{ error: { code, message, status } }`), as Google sent it, and what to do about it. */
function apiError(run: Run, status: number, text: string, id: string, askedAgain: boolean): QueryError {
  let error: { code?: number; message?: string; status?: string; details?: Array<{ reason?: string }> } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    // Not Google's error object (a proxy's page, say): shown as it came.
  }
  const serverMessage = error?.message ?? excerpt(text);
  const said = `${run.label} answered ${error?.code ?? status}${error?.status ? ` ${error.status}` : ''}: ${serverMessage}`;
  const keyRefused = error?.details?.some((d) => d.reason === 'API_KEY_INVALID');
  const advice =
    status === 401
      ? askedAgain
        ? "The access token was refused twice (a fresh one was asked for once): check the page's getAccessToken and the token's scope (spreadsheets.readonly)."
        : "Check the source's credentials."
      : status === 403
        ? `Share the sheet with the account the token is for (or with anyone who has the link, for an API key), and check that the Sheets API is enabled for the key's or token's project.`
        : status === 404
          ? `Check the sheet's URL or id ('${id}').`
          : keyRefused
            ? "Check the source's apiKey."
            : status === 400
              ? 'Check --sheet and --range (e.g. --sheet Orders --range A1:F).'
              : '';
  return run.error(`${said}${/[.!?]$/.test(said) ? '' : '.'} ${advice}`.trim(), { status, serverMessage });
}

// --- rows to a table --------------------------------------------------------------------------------------------

/** A cell as it arrived: a JSON number or boolean (API), text (CSV, or API strings), or empty. */
type Cell = number | boolean | { text: string } | string | null;

const textOf = (cell: Cell): string | null => (cell === null ? null : typeof cell === 'object' ? cell.text : typeof cell === 'boolean' ? (cell ? 'TRUE' : 'FALSE') : String(cell));

/**
 * The table: the first row's names (`header`) or the range's column letters, each column typed from all its
 * values, ragged rows padded with nulls.
 */
function tableFromRows(input: Cell[][], header: boolean, range: string | undefined, notes: string[]): ColumnTable {
  const rows = input.map((row) => row.map((cell) => (cell === '' ? null : cell)));
  if (header && rows.length === 0) {
    return new ColumnTable([], 0);
  }
  const names = !header ? [] : rows[0].map((cell) => (textOf(cell) ?? '').trim());
  const body = header ? rows.slice(1) : rows;
  while (body.length && body[body.length - 1].every((cell) => cell === null)) body.pop();
  let width = Math.max(names.length, ...body.map((row) => row.length));
  // Columns past the data (a range wider than the sheet) carry nothing: no name, no value.
  while (width > 0 && !names[width - 1] && body.every((row) => row[width - 1] === null || row[width - 1] === undefined)) width--;
  const finalNames = !header ? letterNames(width, range) : uniqueNames(names, width, notes);
  const columns = finalNames.map((name, c) => typedColumn(name, body.map((row) => row[c] ?? null), notes));
  return new ColumnTable(columns, body.length);
}

/** A, B, C... (AA after Z), starting at the range's first column. */
function letterNames(width: number, range: string | undefined): string[] {
  const start = /^([A-Za-z]{1,3})/.exec(range ?? '')?.[1];
  const first = start ? columnNumber(start) : 1;
  return Array.from({ length: width }, (_, i) => columnLetters(first + i));
}

/** Blank names become `column_N` (N: the column's position), repeats `name_2`, `name_3`...; each change is a note. */
function uniqueNames(names: string[], width: number, notes: string[]): string[] {
  const taken = new Set(names.filter(Boolean));
  const used = new Set<string>();
  const blanks: number[] = [];
  const out: string[] = [];
  for (let c = 0; c < width; c++) {
    let name = names[c] ?? '';
    if (!name) {
      name = `column_${c + 1}`;
      for (let k = 2; taken.has(name) || used.has(name); k++) name = `column_${c + 1}_${k}`;
      blanks.push(c + 1);
    } else if (used.has(name)) {
      const base = name;
      let k = 2;
      while (taken.has(`${base}_${k}`) || used.has(`${base}_${k}`)) k++;
      name = `${base}_${k}`;
      notes.push(`'${base}' appears more than once in the header: column ${c + 1} is named '${name}'.`);
    }
    used.add(name);
    out.push(name);
  }
  if (blanks.length) {
    notes.push(`${blanks.length === 1 ? 'Column' : 'Columns'} ${blanks.join(', ')} ${blanks.length === 1 ? 'has' : 'have'} no header: named ${blanks.map((c) => `'${out[c - 1]}'`).join(', ')}.`);
  }
  return out;
}

function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + ch.charCodeAt(0) - 64;
  return n;
}

function columnLetters(n: number): string {
  let s = '';
  for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** The range starting `skip` rows lower (the header at its top); without a range, from that row of the tab. */
function rangeFrom(range: string | undefined, skip: number): string {
  if (!range) return `A${skip + 1}:ZZZ`;
  const match = /^([A-Za-z]{1,3})(\d*)(:.*)?$/.exec(range);
  if (!match) throw new QueryError(`--range '${range}' is not an A1 range like A1:F or B3:D100.`);
  return `${match[1]}${Number(match[2] || 1) + skip}${match[3] ?? ''}`;
}

/**
 * One column, typed as a person reads it: all TRUE/FALSE -> bool; all numbers -> int64 (whole numbers) or
 * float64; all dates -> date, dates with times -> timestamp; anything else (mixed kinds included) -> string,
 * each value the text the sheet shows, so no text is lost.
 *
 * Text is a number when it reads as one in an English-locale sheet: `1,234.50`, `-20`, `(1,234.50)` (negative),
 * `$5`, `1.5E+10`, and `12.5%` (the fraction 0.125, which is also what the API gives for that cell). Text with a
 * leading zero (`02139`) stays text: it is an identifier, not a quantity. Dates: `2024-01-15`, `1/15/2024`
 * (month first, unless some value only fits day first: then the whole column is read day first, and a note says
 * so), `15.01.2024`; each optionally with a time (`13:45`, `13:45:30`, `1:45 PM`). Timestamps carry no zone: a
 * sheet's date-times are wall-clock times, kept as UTC wall-clock values.
 */
function typedColumn(name: string, cells: Cell[], notes: string[]): ReturnType<ColumnBuilder['finish']> {
  const present = cells.filter((cell) => cell !== null);
  const build = (type: ColumnType, convert: (cell: Cell) => CellValue) => {
    const builder = new ColumnBuilder(name, type);
    for (const cell of cells) builder.push(cell === null ? null : convert(cell));
    return builder.finish();
  };
  if (present.length === 0) return build('string', () => null);

  const bools = present.map(asBoolean);
  if (bools.every((b) => b !== undefined)) return build('bool', (cell) => asBoolean(cell)!);

  const numbers = present.map(asNumber);
  if (numbers.every((n) => n !== undefined)) {
    const whole = numbers.every((n) => Number.isSafeInteger(n)) && present.every((cell) => typeof cell === 'number' || !/[.%eE]/.test(textOf(cell)!));
    return whole ? build('int64', (cell) => BigInt(asNumber(cell)!)) : build('float64', (cell) => asNumber(cell)!);
  }

  if (present.every((cell) => typeof cell === 'object' || typeof cell === 'string')) {
    for (const order of ['mdy', 'dmy'] as const) {
      const dates = present.map((cell) => parseDate(textOf(cell)!, order));
      if (!dates.every((d) => d !== undefined)) continue;
      if (order === 'dmy' && dates.some((d) => d!.slashed)) notes.push(`Column '${name}': dates read day first (as in 15/01/2024), since some of them only fit that way.`);
      const timed = dates.some((d) => d!.hasTime);
      return timed
        ? build('timestamp', (cell) => BigInt(parseDate(textOf(cell)!, order)!.ms) * 1000n)
        : build('date', (cell) => Math.floor(parseDate(textOf(cell)!, order)!.ms / 86_400_000));
    }
  }

  const kinds = new Set(present.map((_, i) => (bools[i] !== undefined ? 'TRUE/FALSE' : numbers[i] !== undefined ? 'numbers' : 'text')));
  if (kinds.size > 1) notes.push(`Column '${name}' mixes ${[...kinds].join(' and ')}: kept as text.`);
  return build('string', (cell) => textOf(cell));
}

function asBoolean(cell: Cell): boolean | undefined {
  if (typeof cell === 'boolean') return cell;
  // Only CSV text is read as TRUE/FALSE: from the API a boolean cell is a JSON boolean, so its text is text.
  if (typeof cell !== 'string') return undefined;
  const upper = cell.trim().toUpperCase();
  return upper === 'TRUE' ? true : upper === 'FALSE' ? false : undefined;
}

const NUMBER = /^([-+])?([$€£¥])?(?:(\d{1,3}(?:,\d{3})+|\d+)(\.\d*)?|(\.\d+))(%)?$/;
const SCIENTIFIC = /^[-+]?\d+(?:\.\d+)?[eE][-+]?\d+$/;

function asNumber(cell: Cell): number | undefined {
  if (typeof cell === 'number') return cell;
  // API strings are text cells (numbers arrive as JSON numbers), so only CSV text is read as a number.
  if (typeof cell !== 'string') return undefined;
  let text = cell.trim();
  let negative = false;
  const parenthesised = /^\((.+)\)$/.exec(text);
  if (parenthesised) {
    text = parenthesised[1];
    negative = true;
  }
  if (SCIENTIFIC.test(text)) return negative ? -Number(text) : Number(text);
  const match = NUMBER.exec(text);
  if (!match) return undefined;
  const [, sign, , integer, fraction, bareFraction, percent] = match;
  if (integer && integer.length > 1 && integer.startsWith('0')) return undefined;
  if (parenthesised && sign) return undefined;
  const digits = `${integer ? integer.replace(/,/g, '') : '0'}${fraction ?? bareFraction ?? ''}`;
  // `e-2` keeps 12.5% exactly 0.125 where dividing by 100 could add a rounding error.
  const value = Number(percent ? `${digits}e-2` : digits);
  return sign === '-' || negative ? -value : value;
}

const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?Z?)?$/;
const SLASH_DATE = /^(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?$/;

function parseDate(text: string, order: 'mdy' | 'dmy'): { ms: number; hasTime: boolean; slashed: boolean } | undefined {
  const trimmed = text.trim();
  const iso = ISO_DATE.exec(trimmed);
  if (iso) {
    const [, y, m, d, hh, mm, ss, frac] = iso;
    return utc(+y, +m, +d, hh, mm, ss, frac, undefined, false);
  }
  const slashed = SLASH_DATE.exec(trimmed);
  if (!slashed) return undefined;
  const [, a, separator, b, y, hh, mm, ss, meridiem] = slashed;
  // Dots are the day-first convention everywhere they are used (15.01.2024).
  const dayFirst = separator === '.' || order === 'dmy';
  return utc(+y, dayFirst ? +b : +a, dayFirst ? +a : +b, hh, mm, ss, undefined, meridiem, separator === '/');
}

function utc(y: number, m: number, d: number, hh?: string, mm?: string, ss?: string, frac?: string, meridiem?: string, slashed = false) {
  let hours = hh === undefined ? 0 : Number(hh);
  if (meridiem) {
    if (hours < 1 || hours > 12) return undefined;
    hours = (hours % 12) + (/p/i.test(meridiem) ? 12 : 0);
  }
  const minutes = mm === undefined ? 0 : Number(mm);
  const secs = ss === undefined ? 0 : Number(ss);
  if (m < 1 || m > 12 || d < 1 || d > 31 || hours > 23 || minutes > 59 || secs > 59) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d, hours, minutes, secs, frac ? Number(frac.padEnd(3, '0')) : 0));
  // Date.UTC rolls 2023-02-30 over into March: such a date is not a date.
  if (date.getUTCDate() !== d || date.getUTCMonth() !== m - 1) return undefined;
  return { ms: date.getTime(), hasTime: hh !== undefined, slashed };
}

// --- small helpers ----------------------------------------------------------------------------------------------

function base(url: string): string {
  return new URL(url, baseHref()).href.replace(/\/+$/, '');
}

function baseHref(): string {
  return typeof location === 'undefined' ? 'http://localhost/' : location.href;
}

/** Retry-After in ms: delay-seconds or an HTTP date; undefined when absent or unreadable (not exposed by CORS). */
function retryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

async function describeFailure(response: Response): Promise<{ summary: string; serverMessage: string }> {
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as { error: { code?: number; status?: string; message?: string } };
    return { summary: `${error.code ?? response.status}${error.status ? ` ${error.status}` : ''} (${error.message})`, serverMessage: error.message ?? text };
  } catch {
    return { summary: String(response.status), serverMessage: excerpt(text) };
  }
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
