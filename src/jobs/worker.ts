/// <reference lib="webworker" />
/**
 * The jobs worker: writes each job's staged copy to OPFS, reads it back and runs `uploadTable` over it, so the
 * slicing, checksums and encoding of an upload never occupy the page's main thread.
 *
 * Where the connector runs: ClickHouse is plain `fetch`, so the worker makes its own ClickHouseConnector from the
 * config the page hands it for this run (credentials included, in memory only) and talks to the server directly.
 * The embedded DuckDB is one instance per database and lives with the page (the page's `%%sql` must see the
 * uploaded table), so for DuckDB, and any other kind the page registered, the worker drives the page connector's
 * UploadSink by message: each call goes to the page, chunks travel as freshly sliced columns (transferred, not
 * copied). The page then only hands each chunk to DuckDB-WASM, which runs in its own worker.
 */
import type { Connector } from '../data/connectors.ts';
import { discardUpload, uploadTable, UploadError, type StringHash, type UploadPlan, type UploadSink } from '../data/upload.ts';
import { ARRAY_OF, ColumnTable, type Column } from '../data/table.ts';
import { fromWireError, fromWireTable, toWireError, toWireTable, type FromWorker, type ToWorker, type WireConnector } from './protocol.ts';
import { readStagedCopy, removeStagedCopy, writeStagedCopy } from './staged-copy.ts';
import { chunkEncoder, encodes } from './encoder.ts';

declare const self: DedicatedWorkerGlobalScope;

/** Kinds whose connector this worker can make itself. */
const WORKER_KINDS: Record<string, (config: NonNullable<Extract<WireConnector, { where: 'worker' }>['config']>) => Promise<Connector>> = {
  clickhouse: async (config) => new (await import('../data/clickhouse.ts')).ClickHouseConnector(config),
};

/**
 * Staged copies being written, by job; each rejects when its copy could not be written. A discard waits for its
 * job's write, and a run's commit does (uploadTable's `staged`): the run itself starts sending meanwhile.
 */
const copies = new Map<string, Promise<void>>();
const running = new Map<string, { controller: AbortController; connector?: Connector; committing: boolean }>();
/**
 * Kinds whose chunks this worker encodes before handing them to the page's sink (`writeEncodedChunk`), so the page
 * only passes bytes on.
 */
const CHUNK_ENCODERS: Record<string, () => Promise<(chunk: number, rows: ColumnTable) => Uint8Array>> = {
  duckdb: async () => (await import('../data/duckdb-upload.ts')).encodeChunk,
};
/** Tables staged by this worker and not yet run, by job, once they arrived whole. */
const inMemory = new Map<string, Promise<ColumnTable>>();
/** Tables arriving piece by piece, by job. */
const assembling = new Map<string, { buffers: { values: ArrayBuffer; offsets?: ArrayBuffer; valid?: ArrayBuffer }[]; finish: () => void; pieces: Promise<void> }>();
/** Jobs cancelled before their run message came (the page cancels a job that is about to start). */
const cancelledEarly = new Set<string>();
const calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextCall = 0;

/** Why the staged copy could not be written, said so that a person knows what to do. */
function stageFailure(error: unknown): Error {
  const full = (error as DOMException)?.name === 'QuotaExceededError';
  return new Error(
    full
      ? "Could not keep a copy of the table in the browser's storage: the storage for this site is full. Nothing was uploaded; free some space, then run the upload again."
      : `Could not keep a copy of the table in the browser's storage: ${(error as Error).message}`,
  );
}

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'stage': {
      const table = fromWireTable(message.table);
      inMemory.set(message.jobId, Promise.resolve(table));
      stage(message.jobId, writeStagedCopy(message.folder, message.jobId, table));
      break;
    }
    case 'stage-begin': {
      const buffers = message.columns.map((column) => ({
        values: new ArrayBuffer(column.values),
        ...(column.offsets === undefined ? {} : { offsets: new ArrayBuffer(column.offsets) }),
        ...(column.valid === undefined ? {} : { valid: new ArrayBuffer(column.valid) }),
      }));
      let finish!: () => void;
      const ended = new Promise<void>((resolve) => (finish = resolve));
      assembling.set(message.jobId, { buffers, finish, pieces: Promise.resolve() });
      const { jobId, folder, numRows, columns } = message;
      const table = ended.then(
        () =>
          new ColumnTable(
            columns.map((column, i) => {
              const { values, offsets, valid } = buffers[i];
              const Values = column.type === 'string' ? Uint8Array : ARRAY_OF[column.type];
              return {
                ...column,
                values: new Values(values, 0, values.byteLength / Values.BYTES_PER_ELEMENT),
                ...(offsets ? { offsets: new Int32Array(offsets) } : {}),
                ...(valid ? { valid: new Uint8Array(valid) } : {}),
              } as Column;
            }),
            numRows,
          ),
      );
      inMemory.set(jobId, table);
      stage(jobId, table.then((whole) => writeStagedCopy(folder, jobId, whole)));
      break;
    }
    case 'stage-piece': {
      const job = assembling.get(message.jobId);
      const target = job?.buffers[message.column][message.part];
      if (!job || !target) break;
      const { offset, bytes } = message;
      // Read one after another, so the end comes after every piece.
      job.pieces = job.pieces.then(async () => new Uint8Array(target, offset, bytes.size).set(new Uint8Array(await bytes.arrayBuffer())));
      break;
    }
    case 'stage-end':
      void assembling.get(message.jobId)?.pieces.then(assembling.get(message.jobId)!.finish);
      assembling.delete(message.jobId);
      break;
    case 'run':
      void run(message);
      break;
    case 'cancel':
      if (running.has(message.jobId)) cancel(message.jobId);
      else cancelledEarly.add(message.jobId);
      break;
    case 'discard':
      void (copies.get(message.jobId) ?? Promise.resolve())
        .catch(() => {})
        .then(() => {
          inMemory.delete(message.jobId);
          return removeStagedCopy(message.folder, message.jobId);
        })
        .catch(() => {})
        .then(() => post({ type: 'discarded', jobId: message.jobId }));
      break;
    case 'sink-reply': {
      const call = calls.get(message.callId);
      calls.delete(message.callId);
      if (message.ok) call?.resolve(message.value);
      else call?.reject(fromWireError(message.error));
      break;
    }
  }
};

post({ type: 'hello' });

/** Records job `jobId`'s copy being written, and tells the page when it is written or could not be. */
function stage(jobId: string, write: Promise<number>): void {
  const written = write.then(
    (bytes) => post({ type: 'staged', jobId, bytes }),
    (error: unknown) => {
      const failure = stageFailure(error);
      post({ type: 'stage-failed', jobId, error: toWireError(failure) });
      throw failure;
    },
  );
  written.catch(() => {}); // a run waits for it, or the page heard of the failure
  copies.set(jobId, written);
}

/**
 * Stops a job's run. A sink step without a signal (a query that hangs) would hold the cancel until it times out,
 * so the worker's own connector also aborts what it has in flight; not once the commit started, which finishes.
 */
function cancel(jobId: string): void {
  const job = running.get(jobId)!;
  job.controller.abort(new UploadError('Cancelled.', { cancelled: true }));
  if (!job.committing) void job.connector?.close?.().catch(() => {});
}

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const { jobId, folder, target } = message;
  const controller = new AbortController();
  const job: { controller: AbortController; connector?: Connector; committing: boolean } = { controller, committing: false };
  running.set(jobId, job);
  if (cancelledEarly.delete(jobId)) controller.abort(new UploadError('Cancelled.', { cancelled: true }));
  let connector: Connector | undefined;
  const staged = copies.get(jobId);
  try {
    // The table this worker staged itself is still in memory: its chunks are sent while its copy is written (the
    // commit waits for the copy). Reading the copy back is for a run after a reload.
    const table = (await inMemory.get(jobId)) ?? (await readStagedCopy(folder, jobId));
    connector = await connectorFor(message.connector);
    if (!table) {
      // Its chunks can never all be sent now: what an earlier run staged on the warehouse goes too.
      if (message.ranBefore) await discardUpload(connector, { jobId, target }).catch(() => {});
      throw new UploadError(`The copy of this job's table kept in the browser's storage is gone (the site's data was cleared, or the page closed before it was written); run the upload again.`, { jobId });
    }
    if (message.connector.where === 'worker') job.connector = connector;
    if (controller.signal.aborted) {
      // Cancelled before uploadTable started: only an earlier run of the job can have left a staging table.
      if (message.ranBefore) await discardUpload(connector, { jobId, target });
      throw new UploadError('Cancelled before any row was sent; the target was not changed.', { cancelled: true, jobId });
    }
    const result = await uploadTable(connector, table, {
      jobId,
      target,
      mode: message.mode,
      // The ledger stays until the page has recorded the success (then it drops it), so a reload between the
      // commit and that record finds the job committed instead of writing it again.
      keepLedger: true,
      firstRun: !message.ranBefore,
      signal: controller.signal,
      ...(staged ? { staged } : {}),
      // Chunks the worker's sink sends are made in the encoder's worker meanwhile.
      ...(message.connector.where === 'worker' && encodes(message.connector.config.kind) ? { encoder: chunkEncoder(message.connector.config.kind, connector.uploads?.stringHash) } : {}),
      ...(message.chunkRows === undefined ? {} : { chunkRows: message.chunkRows }),
      ...(message.retries === undefined ? {} : { retries: message.retries }),
      ...(message.retryDelayMs === undefined ? {} : { retryDelayMs: message.retryDelayMs }),
      onProgress: (progress) => {
        if (progress.phase === 'committing') job.committing = true;
        post({ type: 'progress', jobId, progress });
      },
    });
    // The copy stays until the page has stored the success (WorkerJobRunner.finish removes it): a page closed before
    // then reruns the job from it, and the ledger tells that run the job committed.
    const { checksum: _checksum, ...rest } = result;
    post({ type: 'succeeded', jobId, result: rest });
  } catch (caught) {
    // Without its copy the job could not resume: that failure is the job's, whatever stopped the upload.
    const stageError: unknown = await staged?.then(() => undefined, (failure: unknown) => failure);
    if (stageError && connector) await discardUpload(connector, { jobId, target }).catch(() => {});
    const error = stageError ?? caught;
    const detail = error instanceof UploadError ? error.detail : {};
    // Connection lost or the warehouse restarting (retryable, whether or not chunks were staged yet): paused, so a
    // person resumes it once the warehouse is back; a refusal: failed.
    const outcome = detail.cancelled ? 'cancelled' : detail.resumable || detail.retryable ? 'paused' : 'failed';
    if (outcome === 'cancelled') {
      await copies.get(jobId)?.catch(() => {});
      await removeStagedCopy(folder, jobId).catch(() => {});
    }
    post({ type: 'ended', jobId, outcome, error: toWireError(error) });
  } finally {
    // Kept only for the first run: a paused job may wait long, its copy is on disk.
    inMemory.delete(jobId);
    running.delete(jobId);
    if (message.connector.where === 'worker') await connector?.close?.().catch(() => {});
  }
}

async function connectorFor(wire: WireConnector): Promise<Connector> {
  if (wire.where === 'worker') {
    const make = WORKER_KINDS[wire.config.kind];
    if (!make) throw new UploadError(`Connectors of kind '${wire.config.kind}' cannot run in the jobs worker.`);
    return make(wire.config);
  }
  return {
    name: wire.name,
    kind: wire.kind,
    label: wire.label,
    query: () => Promise.reject(new Error('The jobs worker does not query.')),
    uploads: pageSink(wire.name, wire.stringHash, await CHUNK_ENCODERS[wire.kind]?.()),
  };
}

/** The page connector's UploadSink, called by message. */
function pageSink(connector: string, stringHash?: StringHash, encode?: (chunk: number, rows: ColumnTable) => Uint8Array): UploadSink {
  const call = <T>(method: keyof UploadSink | 'writeEncodedChunk', args: unknown[], transfer: Transferable[] = [], signal?: AbortSignal): Promise<T> => {
    const callId = nextCall++;
    return new Promise<T>((resolve, reject) => {
      calls.set(callId, { resolve: resolve as (value: unknown) => void, reject });
      if (signal) signal.addEventListener('abort', () => post({ type: 'sink-abort', callId }), { once: true });
      post({ type: 'sink-call', callId, connector, method, args }, transfer);
    });
  };
  const slim = (plan: UploadPlan) => ({ ...plan, schema: [...plan.schema] });
  return {
    ...(stringHash ? { stringHash } : {}),
    // The page's sink gets the schema, not the rows: its value checks happen as chunks are written.
    check: (plan: UploadPlan, table: ColumnTable) => call('check', [slim(plan), toWireTable(table.slice(0, 0))]),
    createStaging: (plan) => call('createStaging', [slim(plan)]),
    stagedChunks: (plan) => call('stagedChunks', [slim(plan)]),
    // uploadTable's chunks are views of the staged copy: a chunk the page takes as a table is copied out first.
    writeChunk: (plan, chunk, rows, signal) => {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (!encode) {
        const own = rows.slice(0);
        return call('writeChunk', [slim(plan), chunk, toWireTable(own)], own.buffers(), signal);
      }
      const bytes = encode(chunk, rows);
      return call('writeEncodedChunk', [slim(plan), chunk, bytes], [bytes.buffer], signal);
    },
    dropChunk: (plan, chunk) => call('dropChunk', [slim(plan), chunk]),
    stagedChecksum: (plan) => call('stagedChecksum', [slim(plan)]),
    commit: (plan) => call('commit', [slim(plan)]),
    committed: (plan) => call('committed', [slim(plan)]),
    dropStaging: (plan) => call('dropStaging', [slim(plan)]),
  };
}
