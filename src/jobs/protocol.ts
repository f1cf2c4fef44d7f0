/**
 * Messages between the page's runner (worker-runner.ts) and the jobs worker (worker.ts). Tables travel as their
 * columns (typed arrays, transferred where the sender no longer needs them); errors as name, message and detail,
 * so the other side can rebuild an UploadError or QueryError that upload.ts still recognises as retryable.
 */
import { QueryError, type ConnectorConfig } from '../data/connectors.ts';
import { ColumnTable, type Column } from '../data/table.ts';
import { UploadError, type StringHash, type UploadMode, type UploadProgress, type UploadResult } from '../data/upload.ts';

export interface WireTable {
  columns: Column[];
  numRows: number;
}

export interface WireError {
  name: string;
  message: string;
  detail?: Record<string, unknown>;
}

/** Where a job's connector runs: in the worker (made from its config, credentials included), or in the page. */
export type WireConnector =
  | { where: 'worker'; config: ConnectorConfig }
  | { where: 'page'; name: string; kind: string; label: string; stringHash?: StringHash };

export type ToWorker =
  /** Writes the job's staged copy to OPFS: the whole table at once (its buffers transferred)... */
  | { type: 'stage'; jobId: string; folder: string; table: WireTable }
  /**
   * ...or piece by piece: the columns without their buffers (each buffer's byte length in its place), then
   * each buffer's bytes in pieces, then the end. A piece is a Blob the page makes: a copy small enough that no one
   * copy holds the main thread long, kept outside the JavaScript heap (fresh ArrayBuffers of tens of megabytes
   * made the page collect garbage for over 100 ms).
   */
  | { type: 'stage-begin'; jobId: string; folder: string; numRows: number; columns: (Omit<Column, 'values' | 'offsets' | 'valid'> & { values: number; offsets?: number; valid?: number })[] }
  | { type: 'stage-piece'; jobId: string; column: number; part: 'values' | 'offsets' | 'valid'; offset: number; bytes: Blob }
  | { type: 'stage-end'; jobId: string }
  | {
      type: 'run';
      jobId: string;
      folder: string;
      connector: WireConnector;
      target: string;
      mode: UploadMode;
      chunkRows?: number;
      retries?: number;
      retryDelayMs?: number;
      /** An earlier run of the job may have left tables on the warehouse. */
      ranBefore: boolean;
    }
  | { type: 'cancel'; jobId: string }
  /** Removes the staged copy (after its write, if one is under way). */
  | { type: 'discard'; jobId: string; folder: string }
  | { type: 'sink-reply'; callId: number; ok: true; value: unknown }
  | { type: 'sink-reply'; callId: number; ok: false; error: WireError };

export type FromWorker =
  /** The worker's module ran: from now on an error event is not a failure to load. */
  | { type: 'hello' }
  | { type: 'staged'; jobId: string; bytes: number }
  | { type: 'stage-failed'; jobId: string; error: WireError }
  | { type: 'progress'; jobId: string; progress: UploadProgress }
  | { type: 'succeeded'; jobId: string; result: Omit<UploadResult, 'checksum'> }
  /** `outcome`: what the job's state becomes. */
  | { type: 'ended'; jobId: string; outcome: 'failed' | 'paused' | 'cancelled'; error: WireError }
  | { type: 'discarded'; jobId: string }
  /** A call of the page connector's UploadSink; `args` as the sink takes them, a table as a WireTable. */
  | { type: 'sink-call'; callId: number; connector: string; method: string; args: unknown[] }
  | { type: 'sink-abort'; callId: number };

export function toWireTable(table: ColumnTable): WireTable {
  return { columns: [...table.columns], numRows: table.numRows };
}

export function fromWireTable(wire: WireTable): ColumnTable {
  return new ColumnTable(wire.columns, wire.numRows);
}

export function toWireError(error: unknown): WireError {
  if (error instanceof UploadError || error instanceof QueryError) return { name: error.name, message: error.message, detail: { ...error.detail } };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

export function fromWireError(wire: WireError): Error {
  if (wire.name === 'UploadError') return new UploadError(wire.message, wire.detail);
  if (wire.name === 'QueryError') return new QueryError(wire.message, wire.detail);
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}
