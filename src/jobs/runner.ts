/**
 * Jobs: work that outlives a cell run, today one kind, an upload of a table to a warehouse (issue 13). A
 * `JobRunner` takes a table and where it goes, answers at once with a job record, and runs the job in the
 * background; the record (never the credentials) is kept in IndexedDB, so a page that reloads lists its jobs
 * again and finishes the unfinished ones from the copy of the table staged in the origin-private file system.
 *
 * One runner ships: src/jobs/worker-runner.ts, a dedicated worker in the page (dist/jobs-worker.js) that slices,
 * checksums and sends the chunks, so the main thread is not busy with an upload. Import it only from lazily loaded
 * code (<job-status>, %%dataframe); it is not part of the first-load bundle:
 *
 *     const { jobRunner } = await import('../jobs/worker-runner.ts');
 *     const runner = jobRunner();                  // the page's one runner, made on first use
 *     // or: new WorkerJobRunner({ concurrency: 1 }) for a runner of your own (tests)
 *     const job = await runner.submit(table, { connector: 'duckdb', target: 'trips', mode: 'create' });
 *     runner.subscribe(job.id, (record) => render(record));
 *
 * The life of a job:
 *
 *     queued ─► staging ─► uploading ─► verifying ─► succeeded
 *        │         │           │            │
 *        └─────────┴───────────┴────────────┴─► failed      (the warehouse refused; Retry starts it again)
 *                                           ├─► cancelled   (Cancel; its staging table is dropped)
 *                                           └─► paused      (the page closed or the connection was lost)
 *
 * `staging` copies the table into the origin-private file system; `uploading` writes chunks into the job's
 * staging table on the warehouse; `verifying` covers the warehouse's count and checksum and the one-step commit
 * into the target (see src/data/upload.ts). A paused or failed job keeps its staged copy and its staged chunks;
 * resuming asks the warehouse which chunks arrived and sends only the missing ones, so the target gets every row
 * exactly once.
 */
import type { UploadMode } from '../data/upload.ts';
import type { ColumnSchema, ColumnTable } from '../data/table.ts';

export type JobState = 'queued' | 'staging' | 'uploading' | 'verifying' | 'succeeded' | 'failed' | 'cancelled' | 'paused';

/** States a job leaves by itself; the others wait for a person (Retry, Resume) or are final. */
export const ACTIVE_JOB_STATES: readonly JobState[] = ['queued', 'staging', 'uploading', 'verifying'];

/** What a job was asked to do: everything needed to run it again, and nothing secret. */
export interface UploadJobArguments {
  /** The registered connector's name (src/data/connectors.ts); its credentials stay in the page's registry. */
  connector: string;
  /** The table to write, as the warehouse names it (`trips`, `analytics.trips`). */
  target: string;
  /** Default `create`. */
  mode?: UploadMode;
  /** Rows per chunk; default uploadTable's (100 000). */
  chunkRows?: number;
  /** Where the table came from, for a person reading the record, e.g. the Python variable `df`. */
  source?: string;
}

export interface JobProgress {
  rows: number;
  totalRows: number;
  /** Bytes sent to the warehouse, over every run of the job. */
  bytes: number;
  /** Bytes of the table's staged copy in the origin-private file system. */
  stagedBytes: number;
  chunks: number;
  /** Chunks the warehouse holds. */
  chunksDone: number;
}

export interface JobResult {
  rows: number;
  bytes: number;
  chunks: number;
}

/** Why a job failed or paused. `serverMessage` is the warehouse's own text, verbatim. */
export interface JobError {
  message: string;
  serverMessage?: string;
  status?: number;
  /** Resume (paused) or Retry (failed) may succeed. */
  retryable?: boolean;
}

/** One job as stored in IndexedDB and handed to listeners. Plain data (structured-cloneable, JSON-able). */
export interface JobRecord {
  /** Letters and digits; also names the job's staging table on the warehouse and its staged copy. */
  id: string;
  kind: 'upload';
  state: JobState;
  arguments: UploadJobArguments;
  /** The table's columns (no values). */
  schema: ColumnSchema[];
  progress: JobProgress;
  result?: JobResult;
  /** Set in `failed` and `paused` (and `cancelled`, saying what was removed). */
  error?: JobError;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
  /** When the current run started (`staging`); absent between runs, when `elapsedBeforeMs` holds their total. */
  startedAt?: number;
  finishedAt?: number;
  /** Milliseconds spent running over earlier runs (a resumed job's elapsed time goes on from there). */
  elapsedBeforeMs?: number;
}

export type Unsubscribe = () => void;

/**
 * Runs jobs. A method given an unknown job id, or a job in a state the call does not apply to, rejects with an
 * `Error` whose message says so and what to do.
 */
export interface JobRunner {
  /**
   * Starts an upload of `table`; resolves once the job is recorded and the table's copy is in the origin-private
   * file system, with the job's record as it is then: `queued`, or running already (a job may send its first
   * chunks while its copy is written; it commits only once the copy is whole). The runner copies the table a piece at a time (the page
   * stays responsive), so the caller may reuse its buffers afterwards; with `{ transfer: true }` it takes them
   * instead (no copy: the caller's table is unusable afterwards). Refuses at once
   * (and records nothing) when the connector is not registered or cannot receive uploads, or the arguments are
   * wrong; the warehouse's own checks (a target that exists under `create`) fail the job.
   */
  submit(table: ColumnTable, args: UploadJobArguments, options?: { transfer?: boolean }): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Every recorded job, newest first. */
  list(): Promise<JobRecord[]>;
  /**
   * Stops a queued, running or paused job: drops its staging table on the warehouse and its staged copy, and
   * leaves the target as it was. A job already committing finishes instead (the commit is one step); resolves
   * with the record in its final state either way. Cancelling a finished job is a no-op.
   */
  cancel(id: string): Promise<JobRecord>;
  /** Runs a failed job again from its staged copy (state `queued`); the chunks the warehouse kept are not resent. */
  retry(id: string): Promise<JobRecord>;
  /** Runs a paused job again from its staged copy (state `queued`), sending only the chunks that are missing. */
  resume(id: string): Promise<JobRecord>;
  /**
   * Calls `listener` with the job's record now (undefined when there is none) and after every change: state,
   * progress (at least after each chunk), error. Changes made by another runner over the same store (another tab)
   * are not seen.
   */
  subscribe(id: string, listener: (record: JobRecord | undefined) => void): Unsubscribe;
  /** Calls `listener` whenever any job of this runner changes, e.g. for a page listing recent jobs. */
  subscribeAll(listener: (record: JobRecord) => void): Unsubscribe;
  /** Removes a finished job's record (succeeded, failed, cancelled) and anything it still holds. */
  forget(id: string): Promise<void>;
  /**
   * Stops running jobs as a closing page would: they stay in their state in the store and become `paused` for the
   * next runner over it. Used by tests to simulate a reload; a page need not call it.
   */
  close(): Promise<void>;
}

/** Options of the shipped runner (worker-runner.ts). */
export interface JobRunnerOptions {
  /** Jobs running at once; the others wait in `queued`. Default 2. */
  concurrency?: number;
  /** The IndexedDB database and the OPFS folder of this runner's jobs. Default `bento-jobs`. */
  storeName?: string;
  /** URL of the jobs worker bundle. Default: `jobs-worker.js` beside the Bento Lite bundle (src/jobs/worker.ts when run from the sources). */
  workerURL?: string | URL;
  /**
   * What happens to jobs a closed page left running: `auto` (default) resumes them when the runner starts (the
   * page must have registered their connectors again; a job whose connector is missing stays `paused` saying
   * so); `manual` leaves them `paused` until `resume`. A job paused because the warehouse could not be reached
   * (after uploadTable's own retries) always waits for `resume`: a person decides when to try again.
   */
  resumeOnStart?: 'auto' | 'manual';
  /**
   * Days a failed job keeps its staged copy (for Retry) before a runner starting on the page removes it; default
   * 7. The record stays (a Retry then says to run the upload again). Copies no record owns are removed at once.
   */
  keepFailedCopiesDays?: number;
  /** Passed to uploadTable: tries per step after a transient failure, and the first wait. */
  retries?: number;
  retryDelayMs?: number;
}
