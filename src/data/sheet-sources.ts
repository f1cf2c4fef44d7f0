/**
 * Where `%%googlesheet` reads sheets from: sources the host page registers in one call, each with its
 * credentials (an API key, or a getter for an OAuth access token), which stay in this JavaScript realm. Kept
 * apart from the reader (sheets.ts), which imports nothing of it, so that the main bundle carries only this registry;
 * the reader loads with the first read.
 */
import type { SheetReadOptions, SheetRequest, SheetResult } from './sheets.ts';

/** A place sheets are read from, registered by the host page with `registerSheetSource`. */
export interface SheetSourceConfig {
  /** What `--source NAME` refers to; `public` replaces the default source. */
  name: string;
  /** A Google API key: reads through the Sheets API (the sheet must be readable by anyone with the link). */
  apiKey?: string;
  /**
   * An OAuth access token for the Sheets API (scope `spreadsheets.readonly`), asked for before each read and once
   * more when Google answers 401, so the page can refresh an expired one.
   */
  getAccessToken?: () => Promise<string> | string;
  /** Where the CSV export is; default `https://docs.google.com`. */
  csvBase?: string;
  /** Where the Sheets API is; default `https://sheets.googleapis.com`. */
  apiBase?: string;
  /** Shown in the cell's summary, e.g. "Finance team's sheets"; default: derived from how the source reads. */
  label?: string;
  /** Give up after this long (all tries included) unless a read says otherwise; default 60 s. */
  timeoutMs?: number;
  /** 429 and 5xx answers are tried again with exponential backoff; see `SheetRetryOptions`. */
  retry?: SheetRetryOptions;
}

export interface SheetRetryOptions {
  /** Tries in all, the first included; default 4. */
  attempts?: number;
  /** The wait before the second try, doubled for each one after it, unless Google sends Retry-After; default 1 s. */
  baseDelayMs?: number;
  /** A Retry-After longer than this gives up at once instead of waiting; default 60 s. */
  maxDelayMs?: number;
}

/** The source a cell uses when it names none: public sheets through Google's CSV export. */
export const DEFAULT_SHEET_SOURCE = 'public';

const sources = new Map<string, SheetSourceConfig>();
const listeners = new Set<() => void>();

/**
 * Registers (or replaces) a sheet source. Its credentials stay here, in JavaScript. The rest of the config is
 * checked by the first read through it (the checks live with the reader, out of the main bundle).
 */
export function registerSheetSource(config: SheetSourceConfig): void {
  if (!/^[\w.-]+$/.test(config.name ?? '')) throw new TypeError(`Sheet source name '${config.name}': use letters, digits, '_', '-' and '.'.`);
  sources.set(config.name, { ...config });
  for (const listener of listeners) listener();
}

/** Forgets a source; forgetting `public` restores the default one. */
export function unregisterSheetSource(name: string): void {
  sources.delete(name);
  for (const listener of listeners) listener();
}

/** Calls `listener` whenever a source is registered or forgotten; returns the function that stops it. */
export function onSheetSourcesChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The names a cell may pass to `--source`: every registered source, and the default. */
export function sheetSourceNames(): string[] {
  const names = [...sources.keys()];
  if (!sources.has(DEFAULT_SHEET_SOURCE)) names.unshift(DEFAULT_SHEET_SOURCE);
  return names;
}

/** The source called `name` (the default one when `public` was not replaced), or undefined. */
export function sheetSourceConfig(name: string): SheetSourceConfig | undefined {
  return sources.get(name) ?? (name === DEFAULT_SHEET_SOURCE ? { name } : undefined);
}


/**
 * Reads a sheet (or a range of one) as a table through the source `request.source` names (default `public`).
 * The reader is a chunk of its own, loaded on first use. Throws a QueryError that says what happened and what to do.
 */
export async function readSheet(request: SheetRequest, options?: SheetReadOptions): Promise<SheetResult> {
  const { readSheetFrom } = await import('./sheets.ts');
  const name = request.source ?? DEFAULT_SHEET_SOURCE;
  return readSheetFrom(name, sheetSourceConfig(name), sheetSourceNames(), request, options);
}
