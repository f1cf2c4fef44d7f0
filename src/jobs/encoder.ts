/**
 * The jobs worker's chunk encoder (a ChunkEncoder, upload.ts): chunks are encoded, and their checksums summed, in a
 * worker of its own (encoder-worker.ts, dist/jobs-encoder.js beside dist/jobs-worker.js), so the jobs worker sends
 * one chunk while the next is being made. One such worker serves every job. Each request brings its chunk's rows
 * as buffers of their own (transferred); the answer's body is a Blob, which travels by reference. Where that
 * worker cannot start, chunks are encoded in the calling thread, as writeChunk would.
 */
import { tableChecksum, type ChunkBody, type ChunkEncoder, type StringHash, type TableChecksum, type UploadPlan } from '../data/upload.ts';
import type { ColumnTable } from '../data/table.ts';
import { fromWireError, fromWireTable, toWireError, toWireTable, type WireError, type WireTable } from './protocol.ts';

export interface EncodeRequest {
  id: number;
  kind: string;
  plan: Pick<UploadPlan, 'schema' | 'chunkRows'>;
  chunk: number;
  rows: WireTable;
  stringHash?: StringHash;
}

export type EncodeReply = { id: number; ok: true; body: ChunkBody; checksum: TableChecksum } | { id: number; ok: false; error: WireError };

type Encode = (plan: Pick<UploadPlan, 'schema' | 'chunkRows'>, chunk: number, rows: ColumnTable) => ChunkBody;

/** Chunk encoders by connector kind: the functions the sinks' own writeChunk use. */
const ENCODERS: Record<string, () => Promise<Encode>> = {
  clickhouse: async () => (await import('../data/clickhouse-upload.ts')).encodeChunk,
};

/** Whether chunks of connectors of `kind` can be encoded ahead. */
export function encodes(kind: string): boolean {
  return kind in ENCODERS;
}

/** Answers one request, in whichever thread runs it. */
export async function encodeHere(request: EncodeRequest): Promise<EncodeReply> {
  try {
    const rows = fromWireTable(request.rows);
    const body = (await ENCODERS[request.kind]())(request.plan, request.chunk, rows);
    return { id: request.id, ok: true, body, checksum: tableChecksum(rows, request.stringHash) };
  } catch (error) {
    return { id: request.id, ok: false, error: toWireError(error) };
  }
}

let shared: Promise<Worker | undefined> | undefined;
const pending = new Map<number, (reply: EncodeReply) => void>();
let nextId = 0;

/** The encoder worker, started on first use; undefined when it cannot start (then chunks are encoded here). */
function encoderWorker(): Promise<Worker | undefined> {
  shared ??= new Promise((resolve) => {
    let worker: Worker;
    try {
      // Run from the sources (tests) the worker is the module beside this one; built, the bundle beside the jobs worker's.
      const fromSources = import.meta.url.split('?')[0].endsWith('.ts');
      worker = new Worker(new URL(fromSources ? './encoder-worker.ts' : './jobs-encoder.js', import.meta.url), { type: 'module', name: 'bento-jobs-encoder' });
    } catch {
      resolve(undefined);
      return;
    }
    worker.onerror = (event) => {
      event.preventDefault();
      resolve(undefined);
      // Stopped after it started: what it was asked for never comes.
      for (const [id, answer] of pending) answer({ id, ok: false, error: { name: 'Error', message: `The jobs worker's chunk encoder stopped${event.message ? ` (${event.message})` : ''}.` } });
      pending.clear();
      shared = undefined;
    };
    worker.onmessage = ({ data }: MessageEvent<EncodeReply | { hello: true }>) => {
      if ('hello' in data) {
        resolve(worker);
        return;
      }
      pending.get(data.id)?.(data);
      pending.delete(data.id);
    };
  });
  return shared;
}

/** A ChunkEncoder for sinks of `kind` (see `encodes`) whose checksums digest strings with `stringHash`. */
export function chunkEncoder(kind: string, stringHash?: StringHash): ChunkEncoder {
  // Started now, while the upload's first steps wait for the warehouse, rather than on the first chunk.
  void encoderWorker();
  return {
    async encode(plan, chunk, rows) {
      // Rows of their own to hand over: uploadTable's chunks are views of the whole table.
      const own = rows.slice(0);
      const request: EncodeRequest = { id: nextId++, kind, plan: { schema: [...plan.schema], chunkRows: plan.chunkRows }, chunk, rows: toWireTable(own), stringHash };
      const worker = await encoderWorker();
      const reply = worker
        ? await new Promise<EncodeReply>((resolve) => {
            pending.set(request.id, resolve);
            worker.postMessage(request, own.buffers());
          })
        : await encodeHere(request);
      if (!reply.ok) throw fromWireError(reply.error);
      return { body: reply.body, checksum: reply.checksum };
    },
  };
}
