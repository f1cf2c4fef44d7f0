/**
 * Uploads: a ColumnTable sent to a warehouse table in chunks, exactly once, never visible half done.
 *
 * The protocol, for one job (its `jobId` names everything it makes on the warehouse):
 * 1. check    refuse before any row is written: a bad table name, a column type or value the warehouse cannot
 *             take, a target that exists under `create` (or is missing under `append`);
 * 2. stage    make the job's staging table (a resumed job finds its own), shaped like the upload plus the chunk
 *             number (and the row within the chunk) of every row; a first run makes it while the warehouse answers
 *             the check, and drops it if the check refuses;
 * 3. chunks   ask the staging table which chunks it holds, then write each missing one; a chunk is written by
 *             one insert that lands whole or not at all, and the staging table's per-chunk row counts are the
 *             only record of progress (a chunk with the wrong count is dropped and written again);
 * 4. verify   the warehouse counts the staged rows and computes the checksum below over what it stored; it must
 *             equal the checksum the page computes over what it sent;
 * 5. commit   move the staged rows into the target in one server-side step (`create`: a rename; `replace`: a
 *             rename of the old table away and the new one in; `append`: one insert from the staging table), then
 *             drop the staging table. A commit is safe to call again after an answer that never came, and leaves
 *             the job's ledger behind: run again later with the same id, a committed job returns at once
 *             (`keepLedger` keeps it until the caller has recorded the outcome, then `discardUpload`).
 *
 * The checksum (TableChecksum) is additive, so a warehouse computes it with `count` and `sum` alone, in any row
 * order, and the page chunk by chunk. Per column: the number of non-null values, and the sum modulo 2⁶⁴ of a
 * 64-bit canonical form of each non-null value:
 *
 * | column type                      | canonical form                                                        |
 * |----------------------------------|-----------------------------------------------------------------------|
 * | int8…int64, uint8…uint64, date   | the integer (days for a date), two's complement                       |
 * | bool                             | 1 or 0                                                                |
 * | timestamp                        | microseconds since the epoch                                          |
 * | float32, float64                 | the IEEE-754 bits of the value as a float64; every NaN as 0x7ff8…0    |
 * | string, `stringHash: 'md5'`      | the first 8 bytes of the MD5 of its UTF-8, read little-endian         |
 * | string, `stringHash: 'murmur3'`  | MurmurHash3 (x86, 32-bit, seed 0) of its UTF-8, unsigned              |
 *
 * Why it is a meaningful comparison: the warehouse computes it from the values it stored, after its own parsing
 * and conversion, not from the bytes it was sent; a lost or repeated chunk changes the count, and any one value
 * that arrived different (rounded, cut short, shifted in time, mis-encoded) changes its column's sum.
 *
 * The string digest is the sink's choice (`UploadSink.stringHash`, MD5 unless it says otherwise): whichever the
 * warehouse computes fastest, since strings cost most on both sides. MurmurHash3 is a quarter of MD5's time in the
 * page and in ClickHouse; 32 bits per value still miss a changed value with odds of one in four billion.
 */
import { QueryError, type Connector } from './connectors.ts';
import { ColumnTable, type ColumnSchema, type ColumnValues } from './table.ts';
import { md5Words } from '../util/md5.ts';
import { murmur3 } from '../util/murmur3.ts';
import { countInWords } from '../util/words.ts';

export type UploadMode = 'create' | 'append' | 'replace';
export type StringHash = 'md5' | 'murmur3';

/** One job as a warehouse sees it: everything an UploadSink needs to find or make the job's tables. */
export interface UploadPlan {
  /** Letters, digits and `_`; part of the staging table's name. */
  readonly jobId: string;
  /** The table to write, as the warehouse names it (`trips`, `analytics.trips`). */
  readonly target: string;
  readonly mode: UploadMode;
  readonly schema: readonly ColumnSchema[];
  /** Rows per chunk; chunk `n` holds rows `n · chunkRows` up to the next chunk's first. */
  readonly chunkRows: number;
  readonly totalRows: number;
}

/** Per column: non-null values and their canonical sum (see the table at the top of this file). */
export interface ColumnChecksum {
  name: string;
  nonNull: number;
  /** Modulo 2⁶⁴, as an unsigned bigint. */
  sum: bigint;
}

export interface TableChecksum {
  rows: number;
  columns: ColumnChecksum[];
}

/**
 * What a connector offers to receive a table: the warehouse side of the protocol above. Every method may be
 * called again after a failure or a lost answer, and must then do the right thing (make nothing twice).
 */
export interface UploadSink {
  /** The digest of strings in this warehouse's checksum (see the table at the top of this file); default `md5`. */
  readonly stringHash?: StringHash;
  /**
   * Refuses a job before anything is written (UploadError, not retryable). `table` is for value checks; a caller
   * may pass no rows (only the schema), so writeChunk refuses the values it cannot write too.
   */
  check(plan: UploadPlan, table: ColumnTable): Promise<void>;
  /** Makes the job's staging table unless it exists already. */
  createStaging(plan: UploadPlan): Promise<void>;
  /** Chunk number → rows the staging table holds of it. */
  stagedChunks(plan: UploadPlan): Promise<Map<number, number>>;
  /**
   * Writes chunk `chunk` whole or not at all; resolves with the bytes sent. `rows` is a view of the table
   * (ColumnTable.view: its buffers are the whole table's), to read, not to keep or transfer.
   */
  writeChunk(plan: UploadPlan, chunk: number, rows: ColumnTable, signal?: AbortSignal): Promise<number>;
  /**
   * Optional: writes chunk `chunk` from the body this sink's kind encodes it to (made ahead by a ChunkEncoder,
   * e.g. in another worker), as writeChunk would; resolves with the bytes sent. The body may be sent again.
   */
  writeEncodedChunk?(plan: UploadPlan, chunk: number, body: ChunkBody, signal?: AbortSignal): Promise<number>;
  /** Removes one chunk's rows, so it can be written again. */
  dropChunk(plan: UploadPlan, chunk: number): Promise<void>;
  /** The staged rows' count and checksum, computed by the warehouse over what it stored. */
  stagedChecksum(plan: UploadPlan): Promise<TableChecksum>;
  /**
   * Moves the staged rows into the target in one server-side step, then drops the staging tables, keeping only
   * the job's ledger (a record that the commit happened). Idempotent.
   */
  commit(plan: UploadPlan): Promise<void>;
  /**
   * Whether the job's commit went through: its ledger is there and nothing of it is left to move. Optional (a
   * sink without it never recognises a rerun of a committed job), but both shipped sinks have it.
   */
  committed?(plan: UploadPlan): Promise<boolean>;
  /** Drops every table the job made, its ledger too (never the target); nothing when there are none. */
  dropStaging(plan: UploadPlan): Promise<void>;
}

/** A chunk encoded for its sink's writeEncodedChunk: a ClickHouse Native block, DuckDB's Arrow IPC. */
export type ChunkBody = Blob | Uint8Array;

/**
 * Encodes chunks for the sink's `writeEncodedChunk` and sums their checksums (tableChecksum, the sink's string
 * digest) elsewhere, so the thread that sends a chunk is not the one busy making the next (the jobs worker's encoder).
 * Refuses a value the sink cannot take as writeChunk would (UploadError).
 */
export interface ChunkEncoder {
  encode(plan: UploadPlan, chunk: number, rows: ColumnTable): Promise<{ body: ChunkBody; checksum: TableChecksum }>;
}

/** An upload failed or was refused. `serverMessage` is the warehouse's own text, verbatim. */
export class UploadError extends Error {
  override name = 'UploadError';
  constructor(
    message: string,
    readonly detail: {
      /** A transient failure (connection lost, server restarting): trying again may work. */
      retryable?: boolean;
      /** The staged chunks were kept: run the upload again with the same jobId to resume. */
      resumable?: boolean;
      /** The warehouse may or may not hold the rows: its tables were left for a person to look at. */
      ambiguous?: boolean;
      cancelled?: boolean;
      serverMessage?: string;
      status?: number;
      jobId?: string;
      chunk?: number;
    } = {},
  ) {
    super(message);
  }
}

export interface UploadProgress {
  jobId: string;
  phase: 'staging' | 'uploading' | 'verifying' | 'committing' | 'done';
  /** Rows staged so far (chunks found from an earlier run included). */
  rows: number;
  totalRows: number;
  /** Bytes this run sent (chunks found from an earlier run are not counted). */
  bytes: number;
  chunks: number;
  /** The chunk just written, during `uploading`. */
  chunk?: number;
}

export interface UploadOptions {
  target: string;
  /** Default `create`. */
  mode?: UploadMode;
  /** Default 100 000; a connector may allow fewer (ClickHouse: at most 1 000 000). */
  chunkRows?: number;
  /** Names the job on the warehouse; the same id resumes it. Default: a new random id. */
  jobId?: string;
  /** Aborting before the commit starts drops the staging table and leaves the target as it was. */
  signal?: AbortSignal;
  /**
   * Called at each phase and after each chunk. When it returns a promise the upload waits for it before going on
   * (a job runner saving its record, a test looking at the target between chunks).
   */
  onProgress?: (progress: UploadProgress) => void | Promise<void>;
  /** Tries per step after a transient failure; default 5. */
  retries?: number;
  /** The first wait before trying again, doubled each time up to 10 s; default 500 ms. */
  retryDelayMs?: number;
  /**
   * Keep the job's ledger on the warehouse after the commit, so that running the job again (after a reload lost
   * whether it finished) returns at once instead of writing again; drop it with discardUpload once the outcome is
   * recorded. A job runner sets this; default false (the ledger is dropped right after the commit).
   */
  keepLedger?: boolean;
  /**
   * Chunks in flight at once; default 2, so the page prepares one chunk while the warehouse takes another. Chunks
   * may then land out of order: a resume writes whichever are missing.
   */
  parallel?: number;
  /**
   * No earlier run of this job id reached the warehouse (a job runner's first run of a job; always so when `jobId`
   * is not given): the upload then skips asking whether one committed or staged chunks, two round trips.
   */
  firstRun?: boolean;
  /**
   * Encodes the chunks (and sums their checksums) ahead of their writes, for a sink with `writeEncodedChunk`: each
   * lane asks for its next chunks while it sends one.
   */
  encoder?: ChunkEncoder;
  /**
   * Settles once the copy of the table that a later run resumes from is kept (the jobs worker's staged copy, written
   * while the first chunks are sent). The commit waits for it; its rejection fails the upload, its staging dropped.
   */
  staged?: Promise<unknown>;
}

export interface UploadResult {
  jobId: string;
  rows: number;
  /** Bytes this run sent. */
  bytes: number;
  chunks: number;
  /** Chunks this run wrote; the rest were already staged by an earlier run of the job. */
  chunksWritten: number;
  /** An earlier run had committed the job already (its ledger said so): this run wrote nothing. */
  committedEarlier: boolean;
  checksum: TableChecksum;
}

export const DEFAULT_CHUNK_ROWS = 100_000;
const JOB_ID = /^[A-Za-z0-9_]{1,40}$/;
const MAX_RETRY_DELAY_MS = 10_000;

/** A fresh job id: 16 random hex digits. */
export function newUploadJobId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Sends `table` to `options.target` through `connector` (which must offer `uploads`), exactly once: resumes from
 * the chunks the staging table holds, retries a transient failure with backoff, verifies, then commits. Rejects
 * with an UploadError; when `detail.resumable`, running it again with the same `jobId` continues the job.
 */
export async function uploadTable(connector: Connector, table: ColumnTable, options: UploadOptions): Promise<UploadResult> {
  const sink = connector.uploads;
  if (!sink) throw new UploadError(`The connector '${connector.name}' (${connector.kind}) cannot receive uploads.`);
  const plan = planFor(table, options);
  const { signal, onProgress, parallel = 2 } = options;
  const chunks = Math.ceil(plan.totalRows / plan.chunkRows);
  const retry = retrier(options);
  const where = `'${plan.target}' (${connector.label})`;
  let bytes = 0;
  let rows = 0;
  let chunksWritten = 0;
  const report = async (phase: UploadProgress['phase'], chunk?: number) =>
    await onProgress?.({ jobId: plan.jobId, phase, rows, totalRows: plan.totalRows, bytes, chunks, ...(chunk === undefined ? {} : { chunk }) });
  // Views, not copies: copying each chunk's columns cost the jobs worker ~16 ms a chunk of 100,000 rows.
  const chunkOf = (n: number) => rowsView(table, n * plan.chunkRows, (n + 1) * plan.chunkRows);
  const checksumOf = (rows: ColumnTable) => tableChecksum(rows, sink.stringHash);
  const expectedRows = (n: number) => Math.min(plan.chunkRows, plan.totalRows - n * plan.chunkRows);

  const firstRun = options.firstRun ?? options.jobId === undefined;
  const { encoder } = options;
  const writeEncoded = encoder && sink.writeEncodedChunk?.bind(sink);
  const encoding = new Map<number, ReturnType<ChunkEncoder['encode']>>();
  const encode = (chunk: number) => {
    let encoded = encoding.get(chunk);
    if (!encoded) {
      encoded = encoder!.encode(plan, chunk, chunkOf(chunk));
      encoded.catch(() => {}); // awaited by the lane that writes the chunk, unless the upload stopped first
      encoding.set(chunk, encoded);
    }
    return encoded;
  };
  // A first run sends every chunk from the first: those are made while the warehouse is asked and staged.
  if (firstRun && writeEncoded) for (let chunk = 0; chunk < Math.min(parallel, chunks); chunk++) void encode(chunk);
  if (signal?.aborted) throw cancelled(plan, where, false);
  // A first run makes its staging tables while the warehouse answers the check, one round trip less before the first
  // chunk (ClickHouse's CREATE TABLE takes 60-130 ms). Only once the check waits on the warehouse: what the page
  // refuses by itself (a bad name, a column type) never reaches it. A refusal drops them again, so a refused job
  // leaves nothing behind.
  let staging: Promise<void> | undefined;
  try {
    if (!firstRun && sink.committed && (await retry(() => sink.committed!(plan), signal))) {
      if (!options.keepLedger) await sink.dropStaging(plan).catch(() => {});
      await report('done');
      return { jobId: plan.jobId, rows: plan.totalRows, bytes: 0, chunks, chunksWritten: 0, committedEarlier: true, checksum: checksumOf(table) };
    }
    const checked = retry(() => sink.check(plan, table), signal);
    if (firstRun) {
      const settled = await Promise.race([checked.then(() => true, () => true), new Promise<false>((resolve) => setTimeout(resolve, 0, false))]);
      if (!settled) {
        staging = retry(() => sink.createStaging(plan), signal);
        staging.catch(() => {}); // awaited below, or dropped with the refusal
      }
    }
    await checked;
  } catch (error) {
    if (staging) {
      const dropped = staging.then(() => sink.dropStaging(plan), () => sink.dropStaging(plan)).catch(() => {});
      // A refusal waits for it (the warehouse just answered); a cancel or a lost connection does not, as the
      // warehouse may not answer for minutes (a resumed or cancelled job drops what is left).
      if (error instanceof UploadError && !signal?.aborted) await dropped;
    }
    if (error instanceof UploadError) throw error;
    if (signal?.aborted) throw cancelled(plan, where, false);
    throw new UploadError(`Cannot start the upload to ${where}: ${messageOf(error)}`, { ...detailOf(error), retryable: isRetryable(error), jobId: plan.jobId });
  }
  let committing = false;
  let committed = false;
  try {
    await report('staging');
    await (staging ?? retry(() => sink.createStaging(plan), signal));
    // A first run finds nothing staged: no earlier one reached the warehouse.
    const staged = firstRun ? new Map<number, number>() : await retry(() => sink.stagedChunks(plan), signal);
    for (const [chunk, count] of staged) {
      if (chunk < chunks && count === expectedRows(chunk)) continue;
      // Rows of a chunk whose write was cut short, or of a table that changed since: write them again.
      await retry(() => sink.dropChunk(plan, chunk), signal);
      staged.delete(chunk);
    }
    for (const count of staged.values()) rows += count;
    await report('uploading');
    // The page's side of the verification, summed chunk by chunk (chunks staged earlier included).
    let expected: TableChecksum = { rows: 0, columns: table.columns.map((c) => ({ name: c.name, nonNull: 0, sum: 0n })) };
    for (const chunk of staged.keys()) expected = addChecksums(expected, checksumOf(chunkOf(chunk)));
    const missing = Array.from({ length: chunks }, (_, chunk) => chunk).filter((chunk) => !staged.has(chunk));
    // One lane's failure stops the others (their writes in flight are abandoned); the first failure is reported.
    const lanesStop = new AbortController();
    const onAbort = () => lanesStop.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let failure: { error: unknown } | undefined;
    const lane = async () => {
      while (missing.length > 0 && !lanesStop.signal.aborted) {
        const chunk = missing.shift()!;
        const slice = chunkOf(chunk);
        let write = (signal: AbortSignal) => sink.writeChunk(plan, chunk, slice, signal);
        if (writeEncoded) {
          const encoded = encode(chunk);
          // The next chunks are encoded while this one is sent.
          for (const next of missing.slice(0, parallel)) encode(next);
          const { body, checksum } = await encoded;
          encoding.delete(chunk);
          expected = addChecksums(expected, checksum);
          write = (signal) => writeEncoded(plan, chunk, body, signal);
        } else {
          expected = addChecksums(expected, checksumOf(slice));
        }
        const sent = await retry(async (attempt) => {
          if (attempt > 0) {
            // After a failure the chunk may have landed before its answer was lost: ask before writing it again.
            const count = (await sink.stagedChunks(plan)).get(chunk);
            if (count === slice.numRows) return 0;
            if (count !== undefined) await sink.dropChunk(plan, chunk);
          }
          return write(lanesStop.signal);
        }, lanesStop.signal);
        // Not `bytes += await ...`: that reads `bytes` before the wait, losing what the other lanes added meanwhile.
        bytes += sent;
        chunksWritten++;
        rows += slice.numRows;
        await report('uploading', chunk);
      }
    };
    const lanes = Array.from({ length: Math.max(1, Math.min(parallel, missing.length)) }, () =>
      lane().catch((error: unknown) => {
        failure ??= { error };
        lanesStop.abort(error);
      }),
    );
    // A copy that cannot be written stops the lanes: without it the job could not resume after a reload.
    options.staged?.catch((error: unknown) => lanesStop.abort(error));
    await Promise.all(lanes);
    signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) throw signal.reason;
    await options.staged;
    if (failure) throw failure.error;
    // A chunk can have landed twice (a browser resends a POST whose connection broke after the server took it):
    // the staging table's counts say so, and such a chunk is written again, once, before the verification. The
    // warehouse sums its checksum meanwhile, which stands unless a chunk is written again.
    const sum = () => {
      const summing = retry(() => sink.stagedChecksum(plan), signal);
      summing.catch(() => {}); // awaited below, or replaced after a chunk is written again
      return summing;
    };
    let summing = sum();
    for (let pass = 0; ; pass++) {
      const counts = await retry(() => sink.stagedChunks(plan), signal);
      const wrong = Array.from({ length: chunks }, (_, chunk) => chunk).filter((chunk) => counts.get(chunk) !== expectedRows(chunk));
      if (wrong.length === 0 || pass === 2) break;
      await summing.catch(() => {});
      for (const chunk of wrong) {
        await retry(() => sink.dropChunk(plan, chunk), signal);
        const sent = await retry(() => sink.writeChunk(plan, chunk, chunkOf(chunk), signal), signal);
        bytes += sent;
      }
      summing = sum();
    }

    await report('verifying');
    const actual = await summing;
    const difference = compareChecksums(expected, actual);
    if (difference) {
      await sink.dropStaging(plan).catch(() => {});
      throw new UploadError(`Uploading to ${where} stopped before writing it: ${difference}. Nothing was written to the target.`, { jobId: plan.jobId });
    }
    if (signal?.aborted) throw signal.reason;

    // From here on the job finishes: the commit is one server-side step, and cancelling half of it is not a thing.
    committing = true;
    await report('committing');
    await retry(() => sink.commit(plan));
    committed = true;
    // Best effort: a ledger left behind only makes a rerun of this job id a no-op; discardUpload drops it.
    if (!options.keepLedger) await sink.dropStaging(plan).catch(() => {});
    await report('done');
    return { jobId: plan.jobId, rows, bytes, chunks, chunksWritten, committedEarlier: false, checksum: expected };
  } catch (error) {
    if (committed) throw error;
    if (!committing && signal?.aborted) {
      await sink.dropStaging(plan).catch(() => {});
      throw cancelled(plan, where, true);
    }
    // Said in full already: this function's own verdicts (they name the job), and ambiguous commits.
    if (error instanceof UploadError && (error.detail.jobId === plan.jobId || error.detail.ambiguous)) throw error;
    if (isRetryable(error)) {
      throw new UploadError(
        `Uploading to ${where} paused: ${messageOf(error)} The ${countInWords(rows)} rows staged so far are kept; run the upload again with jobId '${plan.jobId}' to resume.`,
        { ...detailOf(error), retryable: true, resumable: true, jobId: plan.jobId },
      );
    }
    // The warehouse refused (a value a column cannot take, a target made meanwhile): trying again cannot help.
    await sink.dropStaging(plan).catch(() => {});
    throw new UploadError(`Uploading to ${where} failed: ${messageOf(error)} Nothing was written to the target.`, { ...detailOf(error), retryable: false, jobId: plan.jobId });
  }
}

/**
 * Rows `[start, end)` of `table` without copying: every column a view of the table's buffers. A string column keeps
 * all of the table's bytes and a window of its offsets, which therefore need not start at 0 (readers index the
 * bytes with them, as `value()` does). For reading in place; `slice` makes a table of its own (to transfer, to
 * keep). Here, not on ColumnTable: only uploads use it, and ColumnTable is in the JavaScript every page loads.
 */
export function rowsView(table: ColumnTable, start: number, end: number = table.numRows): ColumnTable {
  const from = Math.max(0, Math.min(start, table.numRows));
  const to = Math.max(from, Math.min(end, table.numRows));
  return new ColumnTable(
    table.columns.map((c) => ({
      ...c,
      ...(c.type === 'string' ? { offsets: c.offsets!.subarray(from, to + 1) } : { values: c.values.subarray(from, to) as ColumnValues }),
      ...(c.valid ? { valid: c.valid.subarray(from, to) } : {}),
    })),
    to - from,
  );
}

/** Drops what a job left on the warehouse (its staging tables, its ledger); the target is not touched. */
export async function discardUpload(connector: Connector, options: { jobId: string; target: string }): Promise<void> {
  const sink = connector.uploads;
  if (!sink) throw new UploadError(`The connector '${connector.name}' (${connector.kind}) cannot receive uploads.`);
  if (!JOB_ID.test(options.jobId)) throw new UploadError(`'${options.jobId}' is not an upload job id.`);
  await sink.dropStaging({ jobId: options.jobId, target: options.target, mode: 'create', schema: [], chunkRows: 1, totalRows: 0 });
}

function planFor(table: ColumnTable, options: UploadOptions): UploadPlan {
  const { target, mode = 'create', chunkRows = DEFAULT_CHUNK_ROWS, jobId = newUploadJobId() } = options;
  if (typeof target !== 'string' || !target) throw new UploadError('An upload needs a target table name, e.g. { target: "trips" }.');
  if (!['create', 'append', 'replace'].includes(mode)) throw new UploadError(`Upload mode '${mode}' is not one of create, append, replace.`);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new UploadError(`chunkRows must be a whole number ≥ 1, not ${chunkRows}.`);
  if (!JOB_ID.test(jobId)) throw new UploadError(`The upload job id '${jobId}' may use letters, digits and '_' only (at most 40).`);
  if (options.parallel !== undefined && !(Number.isInteger(options.parallel) && options.parallel >= 1)) throw new UploadError(`parallel must be a whole number ≥ 1, not ${options.parallel}.`);
  if (table.columns.length === 0) throw new UploadError(`The table for '${target}' has no columns; there is nothing to upload.`);
  return { jobId, target, mode, schema: table.schema, chunkRows, totalRows: table.numRows };
}

/** Runs a step, trying again after a transient failure with a doubling wait; `attempt` counts from 0. */
function retrier({ retries = 5, retryDelayMs = 500 }: UploadOptions) {
  return async <T>(step: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step(attempt);
      } catch (error) {
        if (signal?.aborted || attempt >= retries || !isRetryable(error)) throw error;
        await sleep(Math.min(retryDelayMs * 2 ** attempt, MAX_RETRY_DELAY_MS), signal);
      }
    }
  };
}

/** Connection lost, a gateway's 502/503/504, a timeout, or a sink's own retryable error. */
function isRetryable(error: unknown): boolean {
  if (error instanceof UploadError) return Boolean(error.detail.retryable);
  if (error instanceof QueryError) {
    const { status, cancelled: wasCancelled, timedOut, serverMessage } = error.detail;
    if (wasCancelled) return false;
    if (timedOut) return true;
    if (status !== undefined) return status === 502 || status === 503 || status === 504;
    return serverMessage === undefined;
  }
  return false;
}

function detailOf(error: unknown): { serverMessage?: string; status?: number; chunk?: number } {
  if (error instanceof UploadError || error instanceof QueryError) {
    const { serverMessage, status } = error.detail;
    return { ...(serverMessage === undefined ? {} : { serverMessage }), ...(status === undefined ? {} : { status }) };
  }
  return {};
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function cancelled(plan: UploadPlan, where: string, started: boolean): UploadError {
  const what = started ? 'its staging table was dropped and ' : '';
  return new UploadError(`Upload to ${where} cancelled: ${what}the target was not changed.`, { cancelled: true, jobId: plan.jobId });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}

// --- The checksum ------------------------------------------------------------------------------------------

const TWO_32 = 2 ** 32;
const MASK_64 = (1n << 64n) - 1n;
/** Sums of 32-bit halves stay exact in a double for this many rows at a time. */
const WINDOW = 1 << 20;

/** The checksum of `table` as this file's table defines it: what a warehouse's `stagedChecksum` must equal. */
export function tableChecksum(table: ColumnTable, stringHash: StringHash = 'md5'): TableChecksum {
  const md5 = stringHash === 'md5';
  const columns = table.columns.map((column) => {
    let nonNull = 0;
    let sum = 0n;
    const digest = new Uint32Array(4);
    const float = new Float64Array(1);
    const floatWords = new Uint32Array(float.buffer);
    const { values, valid, offsets } = column;
    const wide = column.type === 'int64' || column.type === 'uint64' || column.type === 'timestamp' || column.type === 'float64';
    const words = wide ? new Uint32Array(values.buffer, values.byteOffset, values.length * 2) : undefined;
    for (let start = 0; start < table.numRows; start += WINDOW) {
      const end = Math.min(table.numRows, start + WINDOW);
      let lo = 0;
      let hi = 0;
      for (let row = start; row < end; row++) {
        if (valid && valid[row] === 0) continue;
        nonNull++;
        switch (column.type) {
          case 'string':
            if (md5) {
              md5Words(values as Uint8Array, offsets![row], offsets![row + 1], digest);
              lo += digest[0];
              hi += digest[1];
            } else {
              lo += murmur3(values as Uint8Array, offsets![row], offsets![row + 1]);
            }
            break;
          case 'float64':
            if (Number.isNaN(values[row])) hi += 0x7ff80000;
            else {
              lo += words![2 * row];
              hi += words![2 * row + 1];
            }
            break;
          case 'float32':
            float[0] = values[row] as number;
            if (Number.isNaN(float[0])) hi += 0x7ff80000;
            else {
              lo += floatWords[0];
              hi += floatWords[1];
            }
            break;
          case 'int64':
          case 'uint64':
          case 'timestamp':
            lo += words![2 * row];
            hi += words![2 * row + 1];
            break;
          case 'bool':
            lo += values[row] ? 1 : 0;
            break;
          default: {
            const n = values[row] as number;
            lo += n >>> 0;
            if (n < 0) hi += 0xffffffff;
          }
        }
      }
      sum = (sum + BigInt(hi) * BigInt(TWO_32) + BigInt(lo)) & MASK_64;
    }
    return { name: column.name, nonNull, sum };
  });
  return { rows: table.numRows, columns };
}

/** Two checksums of disjoint rows as one (same columns). */
export function addChecksums(a: TableChecksum, b: TableChecksum): TableChecksum {
  return {
    rows: a.rows + b.rows,
    columns: a.columns.map((column, i) => ({ name: column.name, nonNull: column.nonNull + b.columns[i].nonNull, sum: (column.sum + b.columns[i].sum) & MASK_64 })),
  };
}

/** What differs between what the page sent and what the warehouse holds, in words; undefined when nothing. */
export function compareChecksums(sent: TableChecksum, stored: TableChecksum): string | undefined {
  if (sent.rows !== stored.rows) return `the warehouse holds ${countInWords(stored.rows)} staged rows where ${countInWords(sent.rows)} were sent`;
  const differing = sent.columns.filter((column, i) => {
    const other = stored.columns[i];
    return !other || other.name !== column.name || other.nonNull !== column.nonNull || other.sum !== column.sum;
  });
  if (differing.length === 0) return undefined;
  const names = differing.map((c) => `'${c.name}'`).join(', ');
  return `the values the warehouse stored differ from those sent in column${differing.length > 1 ? 's' : ''} ${names} (their checksums do not match: a value was changed on the way, e.g. rounded or cut short)`;
}
