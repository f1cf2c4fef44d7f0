/**
 * The shipped JobRunner (runner.ts): job records in IndexedDB (store.ts), each table's copy in OPFS
 * (staged-copy.ts), and the uploads in one dedicated worker (worker.ts), at most `concurrency` at once.
 *
 * On `submit` the page records the job (`queued`) and hands the table to the worker, which writes the staged copy
 * at once, so a job waiting for a slot survives a reload too. A run reads the copy back and calls uploadTable.
 *
 * Reloads and tabs: a job holds a Web Lock named after it from the moment a runner queues it until its run ends
 * (so two tabs never run one job). A new runner finds records left queued or running whose lock it can take
 * (their page closed), marks them `paused` ("the page
 * closed"), and by default queues them again at once: the issue's promise is that a person who reloads sees the
 * job finish. Their connector must be registered again by then (the page does that as it starts, before it asks
 * for the runner); one that is not stays `paused`, saying so, until `resume`. A job paused because the warehouse
 * stopped answering waits for `resume`.
 */
import { connectorConfig, getConnector, type Connector, type ConnectorConfig } from '../data/connectors.ts';
import type { ColumnTable } from '../data/table.ts';
import { DEFAULT_CHUNK_ROWS, discardUpload, UploadError, type UploadPlan, type UploadProgress, type UploadSink } from '../data/upload.ts';
import { fromWireError, fromWireTable, toWireError, toWireTable, type FromWorker, type ToWorker, type WireConnector } from './protocol.ts';
import { listStagedCopies, removeStagedCopy } from './staged-copy.ts';
import { ACTIVE_JOB_STATES, type JobError, type JobRecord, type JobRunner, type JobRunnerOptions, type JobState, type UploadJobArguments, type Unsubscribe } from './runner.ts';
import { JobStore } from './store.ts';
import { registerRunner } from './uploads-read.ts';
import { nextTask } from '../util/later.ts';

/** Connector kinds the worker can make itself (worker.ts WORKER_KINDS); the others are called in the page. */
const WORKER_KINDS = new Set(['clickhouse']);
const DEFAULT_CONCURRENCY = 2;
/**
 * Bytes per piece of a table sent to the worker, and between two yields to the page's other work. Making a Blob
 * costs the page ~20 ms a megabyte on a slow machine (the bench's): half a megabyte keeps every task short.
 */
const STAGE_PIECE_BYTES = 512 << 10;
const STAGE_YIELD_BYTES = 512 << 10;

interface Running {
  /** Settles when the job's run ends, with its final record. */
  ended: Promise<JobRecord>;
  end: (record: JobRecord) => void;
  /** uploadTable's bytes of the runs before this one, added to this run's. */
  bytesBefore: number;
  cancelRequested?: boolean;
  /** Its staged copy could not be written: the run fails, saying so. */
  stageFailed?: boolean;
}

let shared: WorkerJobRunner | undefined;

/** The page's runner, made on first use (with `options`, when the page wants other than the defaults). */
export function jobRunner(options?: JobRunnerOptions): WorkerJobRunner {
  shared ??= new WorkerJobRunner(options);
  return shared;
}

export class WorkerJobRunner implements JobRunner {
  private readonly concurrency: number;
  private readonly storeName: string;
  private readonly options: JobRunnerOptions;
  private readonly worker: Worker;
  /** The store opened and the records read; after a failure (storage blocked or full), the next use tries again. */
  private starting: Promise<JobStore>;
  private startFailed = false;
  private readonly records = new Map<string, JobRecord>();
  private readonly listeners = new Map<string, Set<(record: JobRecord | undefined) => void>>();
  private readonly allListeners = new Set<(record: JobRecord) => void>();
  private readonly queue: string[] = [];
  private readonly running = new Map<string, Running>();
  private readonly staged = new Map<string, Promise<void>>();
  private readonly discards = new Map<string, () => void>();
  private readonly sinkCalls = new Map<number, AbortController>();
  /** The Web Locks this runner holds, one per job it has queued or runs. */
  private readonly claims = new Map<string, { release: () => void; done: Promise<void> }>();
  /** Store writes in order, one at a time, so a record's last write is its newest state. */
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  private workerStarted = false;
  /** Why the worker cannot run jobs, once it failed to load. */
  private broken?: string;
  private readonly unregister: () => void;

  constructor(options: JobRunnerOptions = {}) {
    const { concurrency = DEFAULT_CONCURRENCY, storeName = 'bento-jobs' } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError(`concurrency must be a whole number ≥ 1, not ${concurrency}.`);
    if (!/^[\w.-]+$/.test(storeName)) throw new TypeError(`storeName '${storeName}' may use letters, digits, '_', '-' and '.' only.`);
    this.concurrency = concurrency;
    this.storeName = storeName;
    this.options = options;
    // Built, this module is in a chunk in dist/chunks/ and the worker bundle beside the Bento Lite bundle; run from
    // the sources (tests, a dev server that compiles TypeScript) the worker is the module beside this one.
    const fromSources = import.meta.url.split('?')[0].endsWith('.ts');
    const url = options.workerURL
      ? new URL(options.workerURL, globalThis.document?.baseURI ?? location.href)
      : new URL(fromSources ? './worker.ts' : '../jobs-worker.js', import.meta.url);
    this.worker = new Worker(url, { type: 'module', name: 'bento-jobs' });
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => void this.onWorkerMessage(event.data);
    // Before the worker says it is there, an error means it did not load: every job would wait forever.
    this.worker.onerror = (event) => {
      if (this.workerStarted) return;
      event.preventDefault();
      void this.workerFailed(`The jobs worker did not load from ${url.href}${event.message ? ` (${event.message})` : ''}; check the job runner's workerURL.`);
    };
    this.starting = this.begin();
    this.unregister = registerRunner(this);
  }

  private get ready(): Promise<JobStore> {
    if (this.startFailed && !this.closed) this.starting = this.begin();
    return this.starting;
  }

  private begin(): Promise<JobStore> {
    this.startFailed = false;
    const started = this.start();
    started.catch(() => {
      if (this.starting === started) this.startFailed = true;
    });
    return started;
  }

  async submit(table: ColumnTable, args: UploadJobArguments, options: { transfer?: boolean } = {}): Promise<JobRecord> {
    const store = await this.ready;
    this.checkOpen();
    if (this.broken) throw new Error(this.broken);
    const { connector = 'duckdb', target, mode = 'create', chunkRows, source } = args ?? ({} as UploadJobArguments);
    if (!table || !Array.isArray(table.columns)) throw new TypeError('submit needs a ColumnTable to upload.');
    if (table.columns.length === 0) throw new TypeError(`The table for '${target}' has no columns; there is nothing to upload.`);
    if (typeof target !== 'string' || !target) throw new TypeError('An upload job needs a target table name, e.g. { target: "trips" }.');
    if (!['create', 'append', 'replace'].includes(mode)) throw new TypeError(`Upload mode '${mode}' is not one of create, append, replace.`);
    if (chunkRows !== undefined && !(Number.isInteger(chunkRows) && chunkRows >= 1)) throw new TypeError(`chunkRows must be a whole number ≥ 1, not ${chunkRows}.`);
    const instance = await getConnector(connector);
    if (!instance.uploads) throw new TypeError(`The connector '${connector}' (${instance.kind}) cannot receive uploads.`);
    const id = newJobId();
    const now = Date.now();
    const rows = chunkRows ?? DEFAULT_CHUNK_ROWS;
    const record: JobRecord = {
      id,
      kind: 'upload',
      state: 'queued',
      arguments: { connector, target, mode, ...(chunkRows === undefined ? {} : { chunkRows }), ...(source === undefined ? {} : { source }) },
      schema: table.schema,
      progress: { rows: 0, totalRows: table.numRows, bytes: 0, stagedBytes: 0, chunks: Math.ceil(table.numRows / rows), chunksDone: 0 },
      createdAt: now,
      updatedAt: now,
    };
    await this.claim(id);
    try {
      await store.put(record);
    } catch (error) {
      // Refused before it started: nothing recorded, nothing staged, the job's lock free again.
      await this.unclaim(id);
      throw error;
    }
    this.records.set(id, record);
    this.emit(record);
    // The worker gets its own copy of the columns (structured clone): the caller keeps its table.
    let settle!: () => void;
    this.staged.set(id, new Promise((resolve) => (settle = resolve)));
    this.stagedSettlers.set(id, () => {
      this.stagedSettlers.delete(id);
      settle();
    });
    // The worker may have failed to load while the record was written: then nothing would ever answer.
    if (this.broken) await this.workerFailed(this.broken);
    else {
      // Queued at once: the worker sends the first chunks from the table it holds while it writes the copy (the
      // commit waits for the copy, and a page closed before the copy is whole leaves a job that cannot resume).
      this.queue.push(id);
      if (options.transfer) {
        this.worker.postMessage({ type: 'stage', jobId: id, folder: this.storeName, table: toWireTable(table) } satisfies ToWorker, table.buffers());
        this.pump();
      } else {
        this.pump();
        await this.sendInPieces(id, table);
      }
    }
    // Resolving once the copy is written means a submitted job survives a reload, even one still queued.
    await this.staged.get(id);
    const running = this.running.get(id);
    return running?.stageFailed ? running.ended : this.records.get(id)!;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    await this.ready;
    return this.records.get(id);
  }

  async list(): Promise<JobRecord[]> {
    await this.ready;
    return [...this.records.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  async cancel(id: string): Promise<JobRecord> {
    const record = await this.known(id);
    if (record.state === 'succeeded' || record.state === 'cancelled') return record;
    const running = this.running.get(id);
    if (running) {
      running.cancelRequested = true;
      this.post({ type: 'cancel', jobId: id });
      return running.ended;
    }
    // Not running (queued, paused, failed): nothing in the worker to stop; clean up here.
    this.dequeue(id);
    let note = 'Cancelled: the staged rows were removed and the target was not changed.';
    try {
      // A job that never ran has nothing on the warehouse.
      if (ranAlready(record)) await discardUpload(await getConnector(record.arguments.connector), { jobId: id, target: record.arguments.target });
    } catch (error) {
      note = `Cancelled, but the job's staging table on the warehouse could not be removed: ${(error as Error).message}`;
    }
    await this.discardCopy(id);
    const cancelled = await this.update(id, { state: 'cancelled', finishedAt: Date.now(), error: { message: note } });
    await this.unclaim(id);
    return cancelled;
  }

  async retry(id: string): Promise<JobRecord> {
    return this.requeue(id, 'failed', 'Retry');
  }

  async resume(id: string): Promise<JobRecord> {
    return this.requeue(id, 'paused', 'Resume');
  }

  subscribe(id: string, listener: (record: JobRecord | undefined) => void): Unsubscribe {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    void this.ready.then(() => set.has(listener) && listener(this.records.get(id)), () => listener(undefined));
    return () => set.delete(listener);
  }

  subscribeAll(listener: (record: JobRecord) => void): Unsubscribe {
    this.allListeners.add(listener);
    return () => this.allListeners.delete(listener);
  }

  async forget(id: string): Promise<void> {
    const record = await this.known(id);
    if (!['succeeded', 'failed', 'cancelled'].includes(record.state)) throw new Error(`Job ${id} is ${record.state}; cancel it before forgetting it.`);
    await this.discardCopy(id);
    const store = await this.ready;
    await this.write(() => store.delete(id));
    this.records.delete(id);
    for (const listener of [...(this.listeners.get(id) ?? [])]) listener(undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unregister();
    // As a closing page would: the worker stops mid-step, records stay as they are, locks are released.
    this.worker.terminate();
    // The next runner (the reloaded page) must find these jobs' locks free.
    await Promise.all([...this.claims.keys()].map((id) => this.unclaim(id)));
    for (const controller of this.sinkCalls.values()) controller.abort(new UploadError('The job runner closed.', { retryable: true }));
    await this.writes.catch(() => {});
    (await this.ready.catch(() => undefined))?.close();
    if (shared === this) shared = undefined;
  }

  // --- Internals ------------------------------------------------------------------------------------------

  private readonly stagedSettlers = new Map<string, () => void>();

  private async start(): Promise<JobStore> {
    const store = await JobStore.open(this.storeName);
    const records = await store.list();
    for (const record of records.reverse()) {
      this.records.set(record.id, record);
      // A job whose lock another runner holds is that runner's (another tab).
      if (!ACTIVE_JOB_STATES.includes(record.state) || !(await this.claim(record.id))) continue;
      // Left running by a page that closed: its staged copy and staged chunks are where it left them.
      const connector = connectorConfig(record.arguments.connector);
      const auto = (this.options.resumeOnStart ?? 'auto') === 'auto' && connector !== undefined;
      const message = connector
        ? 'The page closed while the job was running; it goes on from the rows already staged.'
        : `The page closed while the job was running, and this page has no connector called '${record.arguments.connector}'; register it, then Resume.`;
      const paused = { ...record, state: 'paused' as JobState, updatedAt: Date.now(), error: { message, retryable: true }, ...this.elapsedSoFar(record) };
      await store.put(paused);
      this.records.set(record.id, paused);
      if (auto) {
        const queued = { ...paused, state: 'queued' as JobState, updatedAt: Date.now() };
        await store.put(queued);
        this.records.set(record.id, queued);
        this.queue.push(record.id);
      } else {
        await this.unclaim(record.id);
      }
    }
    queueMicrotask(() => this.pump());
    void this.sweepCopies(store).catch(() => {});
    return store;
  }

  /**
   * Removes staged copies nobody will use: a failed job's after `keepFailedCopiesDays`, and copies no record owns
   * (a page closed between forgetting a job and removing its copy). A copy whose job's lock another runner holds is
   * left alone: that runner (another tab) may be submitting it right now, its record not yet visible here.
   */
  private async sweepCopies(store: JobStore): Promise<void> {
    const keepMs = (this.options.keepFailedCopiesDays ?? 7) * 86_400_000;
    for (const id of await listStagedCopies(this.storeName)) {
      if (this.claims.has(id)) continue;
      const record = await store.get(id);
      const stale = !record || (record.state === 'failed' && Date.now() - (record.finishedAt ?? record.updatedAt) > keepMs) || record.state === 'succeeded' || record.state === 'cancelled';
      if (!stale || !(await this.claim(id))) continue;
      try {
        // Asked again under the lock: the record may have been written meanwhile.
        const now = await store.get(id);
        if (!now || now.state === record?.state) await removeStagedCopy(this.storeName, id);
      } finally {
        await this.unclaim(id);
      }
    }
  }

  /** Takes the job's lock unless another runner holds it; resolves with whether this runner has it now. */
  private claim(id: string): Promise<boolean> {
    if (this.claims.has(id)) return Promise.resolve(true);
    return new Promise((resolve) => {
      let release!: () => void;
      const released = new Promise<void>((done) => (release = done));
      const done = navigator.locks
        .request(`bento-job:${this.storeName}:${id}`, { ifAvailable: true }, (lock) => {
          resolve(lock !== null);
          return lock ? released : undefined;
        })
        .then(() => {}, () => {});
      this.claims.set(id, { release, done });
      void done.then(() => {
        if (this.claims.get(id)?.done === done) this.claims.delete(id);
      });
    });
  }

  /** Lets go of the job's lock; resolves once it is free. */
  private async unclaim(id: string): Promise<void> {
    const claim = this.claims.get(id);
    if (!claim) return;
    claim.release();
    await claim.done;
  }

  private elapsedSoFar(record: JobRecord): Partial<JobRecord> {
    if (record.startedAt === undefined) return {};
    return { elapsedBeforeMs: (record.elapsedBeforeMs ?? 0) + Math.max(0, record.updatedAt - record.startedAt), startedAt: undefined };
  }

  private async known(id: string): Promise<JobRecord> {
    await this.ready;
    this.checkOpen();
    const record = this.records.get(id);
    if (!record) throw new Error(`There is no job '${id}' in this browser's job store '${this.storeName}' (it may have been forgotten, or run in another browser).`);
    return record;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('This job runner was closed; make a new one.');
  }

  private async requeue(id: string, from: JobState, verb: string): Promise<JobRecord> {
    const record = await this.known(id);
    if (record.state !== from) throw new Error(`Job ${id} is ${record.state}; ${verb} applies to a ${from} job.`);
    const connector = connectorConfig(record.arguments.connector);
    if (!connector) throw new Error(`This page has no connector called '${record.arguments.connector}'; register it, then ${verb} the job.`);
    if (!(await this.claim(id))) throw new Error(`Job ${id} is being run by another tab of this site; ${verb} it there.`);
    const queued = await this.update(id, { state: 'queued', error: undefined, result: undefined });
    this.queue.push(id);
    this.pump();
    return queued;
  }

  private dequeue(id: string): void {
    const at = this.queue.indexOf(id);
    if (at >= 0) this.queue.splice(at, 1);
  }

  private pump(): void {
    while (!this.closed && !this.broken && this.running.size < this.concurrency && this.queue.length > 0) this.run(this.queue.shift()!);
  }

  private run(id: string): void {
    const record = this.records.get(id)!;
    let end!: (record: JobRecord) => void;
    const ended = new Promise<JobRecord>((resolve) => (end = resolve));
    this.running.set(id, { ended, end, bytesBefore: record.progress.bytes });
    const ranBefore = ranAlready(record);
    void (async () => {
      await this.update(id, { state: 'staging', startedAt: Date.now(), error: undefined });
      const config = connectorConfig(record.arguments.connector);
      if (!config) {
        this.finish(id, 'paused', { message: `This page has no connector called '${record.arguments.connector}'; register it, then Resume.`, retryable: true });
        return;
      }
      this.post({
        type: 'run',
        jobId: id,
        folder: this.storeName,
        connector: await this.wireConnector(config),
        target: record.arguments.target,
        mode: record.arguments.mode ?? 'create',
        ranBefore,
        ...(record.arguments.chunkRows === undefined ? {} : { chunkRows: record.arguments.chunkRows }),
        ...(this.options.retries === undefined ? {} : { retries: this.options.retries }),
        ...(this.options.retryDelayMs === undefined ? {} : { retryDelayMs: this.options.retryDelayMs }),
      });
    })().catch((error: unknown) => this.finish(id, 'failed', { message: (error as Error).message }));
  }

  /** The connector as the worker gets it: the whole config (credentials in memory only) for kinds it runs. */
  private async wireConnector(config: ConnectorConfig): Promise<WireConnector> {
    if (WORKER_KINDS.has(config.kind)) {
      const options = { ...config.options };
      // The worker resolves a relative URL against its own script, not this page: resolve it here.
      if (typeof options.url === 'string') options.url = new URL(options.url, document.baseURI).href;
      return { where: 'worker', config: { ...config, options } };
    }
    const connector = await getConnector(config.name);
    const stringHash = connector.uploads?.stringHash;
    return { where: 'page', name: connector.name, kind: connector.kind, label: connector.label, ...(stringHash ? { stringHash } : {}) };
  }

  /** The worker never started: fails what waits for it, and every job this runner is asked for later. */
  private async workerFailed(message: string): Promise<void> {
    this.broken = message;
    this.queue.length = 0;
    for (const [id, settle] of this.stagedSettlers) {
      if (this.records.get(id)?.state === 'queued') await this.update(id, { state: 'failed', finishedAt: Date.now(), error: { message } });
      await this.unclaim(id);
      settle();
    }
    for (const id of [...this.running.keys()]) await this.finish(id, 'failed', { message });
  }

  private async onWorkerMessage(message: FromWorker): Promise<void> {
    if (this.closed) return;
    switch (message.type) {
      case 'hello':
        this.workerStarted = true;
        break;
      case 'staged': {
        const record = this.records.get(message.jobId);
        if (record && record.state !== 'cancelled') await this.update(message.jobId, { progress: { ...record.progress, stagedBytes: message.bytes } });
        this.stagedSettlers.get(message.jobId)?.();
        break;
      }
      case 'stage-failed':
        // A running job's upload stops on this failure and its run ends it (its staging on the warehouse dropped).
        if (this.running.has(message.jobId)) this.running.get(message.jobId)!.stageFailed = true;
        else {
          this.dequeue(message.jobId);
          await this.update(message.jobId, { state: 'failed', finishedAt: Date.now(), error: errorOf(fromWireError(message.error)) });
          await this.unclaim(message.jobId);
        }
        this.stagedSettlers.get(message.jobId)?.();
        break;
      case 'progress':
        await this.progress(message.jobId, message.progress);
        break;
      case 'succeeded':
        await this.finish(message.jobId, 'succeeded', undefined, { rows: message.result.rows, bytes: this.bytes(message.jobId, message.result.bytes), chunks: message.result.chunks });
        break;
      case 'ended': {
        const error = fromWireError(message.error);
        const outcome = message.outcome === 'failed' && this.running.get(message.jobId)?.cancelRequested && !(error instanceof UploadError && error.detail.ambiguous) ? 'cancelled' : message.outcome;
        await this.finish(message.jobId, outcome, errorOf(error));
        break;
      }
      case 'discarded':
        this.discards.get(message.jobId)?.();
        this.discards.delete(message.jobId);
        break;
      case 'sink-call':
        void this.sinkCall(message);
        break;
      case 'sink-abort':
        this.sinkCalls.get(message.callId)?.abort(new UploadError('Cancelled.', { cancelled: true }));
        break;
    }
  }

  private bytes(id: string, runBytes: number): number {
    return (this.running.get(id)?.bytesBefore ?? 0) + runBytes;
  }

  private async progress(id: string, progress: UploadProgress): Promise<void> {
    const record = this.records.get(id);
    if (!record || !this.running.has(id)) return;
    const state: JobState = progress.phase === 'staging' ? 'staging' : progress.phase === 'uploading' ? 'uploading' : 'verifying';
    const chunksDone = Math.min(progress.chunks, Math.ceil(progress.rows / (record.arguments.chunkRows ?? DEFAULT_CHUNK_ROWS)));
    await this.update(id, {
      state,
      progress: { ...record.progress, rows: progress.rows, totalRows: progress.totalRows, chunks: progress.chunks, chunksDone, bytes: this.bytes(id, progress.bytes) },
    });
  }

  private async finish(id: string, state: JobState, error?: JobError, result?: JobRecord['result']): Promise<void> {
    const running = this.running.get(id);
    const record = this.records.get(id);
    // Not running from here on: a cancel now cleans up as for any stopped job, and the slot is free.
    this.running.delete(id);
    if (!record) return;
    const now = Date.now();
    const patch: Partial<JobRecord> = { state, error, ...this.elapsedSoFar({ ...record, updatedAt: now }) };
    if (state !== 'paused') patch.finishedAt = now;
    if (result) {
      patch.result = result;
      patch.progress = { ...record.progress, rows: result.rows, chunksDone: result.chunks, chunks: result.chunks, bytes: result.bytes };
    }
    let final: JobRecord;
    if (state === 'succeeded') {
      // Stored first, then the job's ledger on the warehouse dropped (worker.ts keepLedger): a reload between the
      // two finds the record final; the other order could run a committed job again. Listeners hear it after both.
      const outcome = await this.updateStored(id, patch, { quiet: true });
      final = outcome.record;
      // Only a success that is stored: until it is, a reload reruns the job from its copy, and the ledger tells that
      // run the job committed (without either, it would fail, or write the rows again).
      if (outcome.stored) {
        await getConnector(record.arguments.connector)
          .then((connector) => discardUpload(connector, { jobId: id, target: record.arguments.target }))
          .catch(() => {});
        await removeStagedCopy(this.storeName, id).catch(() => {});
      }
      this.emit(final);
    } else {
      final = await this.update(id, patch);
    }
    await this.unclaim(id);
    running?.end(final);
    this.pump();
  }

  private async sinkCall(message: Extract<FromWorker, { type: 'sink-call' }>): Promise<void> {
    const controller = new AbortController();
    this.sinkCalls.set(message.callId, controller);
    try {
      const connector: Connector = await getConnector(message.connector);
      const sink = connector.uploads as UploadSink & Record<string, (...args: unknown[]) => Promise<unknown>>;
      const [plan, ...rest] = message.args as [UploadPlan, ...unknown[]];
      const args = rest.map((arg) => (arg && typeof arg === 'object' && 'columns' in arg && 'numRows' in arg ? fromWireTable(arg as never) : arg));
      if (message.method === 'writeChunk' || message.method === 'writeEncodedChunk') args[2] = controller.signal;
      // A sink without `committed` never recognises a committed job: it answers false, as uploadTable expects.
      const value = message.method === 'committed' && typeof sink.committed !== 'function' ? false : await sink[message.method](plan, ...args);
      if (!this.closed) this.post({ type: 'sink-reply', callId: message.callId, ok: true, value });
    } catch (error) {
      if (!this.closed) this.post({ type: 'sink-reply', callId: message.callId, ok: false, error: toWireError(error) });
    } finally {
      this.sinkCalls.delete(message.callId);
    }
  }

  /**
   * Copies the table to the worker a piece at a time, yielding between pieces: one structured clone of a large
   * table is one long task (hundreds of milliseconds for tens of megabytes), a piece's copy is a few. Pieces are
   * Blobs, not ArrayBuffers: fresh buffers by the megabyte made the page collect garbage in one 130 ms task.
   */
  private async sendInPieces(jobId: string, table: ColumnTable): Promise<void> {
    const parts = ['values', 'offsets', 'valid'] as const;
    this.post({
      type: 'stage-begin',
      jobId,
      folder: this.storeName,
      numRows: table.numRows,
      columns: table.columns.map(({ values, offsets, valid, ...rest }) => ({
        ...rest,
        values: values.byteLength,
        ...(offsets ? { offsets: offsets.byteLength } : {}),
        ...(valid ? { valid: valid.byteLength } : {}),
      })),
    });
    let sinceYield = 0;
    for (const [column, data] of table.columns.entries()) {
      for (const part of parts) {
        const array = data[part];
        if (!array) continue;
        const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
        for (let offset = 0; offset < bytes.length; offset += STAGE_PIECE_BYTES) {
          const piece = new Blob([bytes.subarray(offset, offset + STAGE_PIECE_BYTES) as Uint8Array<ArrayBuffer>]);
          this.post({ type: 'stage-piece', jobId, column, part, offset, bytes: piece });
          sinceYield += piece.size;
          if (sinceYield >= STAGE_YIELD_BYTES) {
            sinceYield = 0;
            await nextTask();
          }
        }
      }
    }
    this.post({ type: 'stage-end', jobId });
  }

  private discardCopy(id: string): Promise<void> {
    return new Promise((resolve) => {
      this.discards.set(id, resolve);
      this.post({ type: 'discard', jobId: id, folder: this.storeName });
    });
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private async write(step: () => Promise<void>): Promise<void> {
    const next = this.writes.then(step);
    this.writes = next.catch(() => {});
    await next;
  }

  /** Applies `patch` to the record, stores it, tells the listeners; resolves with the new record. */
  private async update(id: string, patch: Partial<JobRecord>, { quiet = false } = {}): Promise<JobRecord> {
    return (await this.updateStored(id, patch, { quiet })).record;
  }

  /** `update`, saying whether the record was stored (not when the runner is closed, or the storage failed). */
  private async updateStored(id: string, patch: Partial<JobRecord>, { quiet = false } = {}): Promise<{ record: JobRecord; stored: boolean }> {
    const record = { ...this.records.get(id)!, ...patch, updatedAt: Date.now() };
    for (const key of Object.keys(record) as (keyof JobRecord)[]) if (record[key] === undefined) delete record[key];
    this.records.set(id, record);
    if (!quiet) this.emit(record);
    if (this.closed) return { record, stored: false };
    const store = await this.ready;
    // A record that cannot be stored (storage full meanwhile) goes on in memory: a reload's runner finds the older
    // state stored, and the warehouse's ledger of chunks, not the record, decides what is sent again.
    const stored = await this.write(() => store.put(record)).then(
      () => true,
      () => false,
    );
    return { record, stored };
  }


  private emit(record: JobRecord): void {
    for (const listener of [...(this.listeners.get(record.id) ?? [])]) listener(record);
    for (const listener of [...this.allListeners]) listener(record);
  }
}

function errorOf(error: Error): JobError {
  const detail = error instanceof UploadError ? error.detail : {};
  return {
    message: error.message,
    ...(detail.serverMessage === undefined ? {} : { serverMessage: detail.serverMessage }),
    ...(detail.status === undefined ? {} : { status: detail.status }),
    ...(detail.retryable === undefined ? {} : { retryable: detail.retryable }),
  };
}

/** Whether a run of the job started before (and so may have left tables on the warehouse). */
function ranAlready(record: JobRecord): boolean {
  return record.startedAt !== undefined || record.elapsedBeforeMs !== undefined || record.progress.bytes > 0;
}


function newJobId(): string {
  return `j${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
