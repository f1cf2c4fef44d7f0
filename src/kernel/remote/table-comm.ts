/**
 * Tables on a remote kernel travel over a comm (target `bento.table`) with binary buffers. The target is
 * registered by a silent execution that defines Python's `bento_table` module from the same source the
 * serverless kernel uses; it runs once per kernel process (again after a restart), and does nothing new when
 * the kernel already has this exact source.
 *
 * Client to kernel, inject:  comm_open  data {op: 'inject', name, header, sizes, pieces, done} + buffers
 *                            comm_msg   data {pieces, done} + buffers          (more pieces, when large)
 * Client to kernel, extract: comm_open  data {op: 'extract', name, value}  (value: any JSON-able variable as one JSON cell)
 * Kernel to client:          comm_msg   data {status: 'ok', header?} + buffers | {status: 'error', message}
 *                            comm_close
 * `header` is the wire header of table-wire.ts; `sizes[i]` is buffer i's length; `pieces[k] = [i, offset]`
 * places the message's k-th binary buffer at `offset` in buffer i. Messages stay below CHUNK_BYTES because the
 * Jupyter Server (Tornado) refuses WebSocket messages over 10 MiB by default.
 */
import tableSource from '../bento_table.py';

export const TABLE_COMM_TARGET = 'bento.table';
export const CHUNK_BYTES = 4 * 1024 * 1024;

export interface TableChunk {
  pieces: Array<[number, number]>;
  bytes: Uint8Array[];
}

/** Splits buffers into messages of at most `limit` bytes of buffers each (empty buffers need no piece). */
export function planChunks(buffers: readonly Uint8Array[], limit = CHUNK_BYTES): TableChunk[] {
  const chunks: TableChunk[] = [{ pieces: [], bytes: [] }];
  let room = limit;
  buffers.forEach((buffer, index) => {
    let offset = 0;
    while (offset < buffer.byteLength) {
      if (room === 0) {
        chunks.push({ pieces: [], bytes: [] });
        room = limit;
      }
      const size = Math.min(room, buffer.byteLength - offset);
      const chunk = chunks[chunks.length - 1];
      chunk.pieces.push([index, offset]);
      chunk.bytes.push(buffer.subarray(offset, offset + size));
      offset += size;
      room -= size;
    }
  });
  return chunks;
}

/** FNV-1a over the source: tells the kernel whether the module it has is this one. */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${text.length.toString(16)}-${(hash >>> 0).toString(16)}`;
}

const SETUP = `
import sys, types
module = sys.modules.get("bento_table")
if getattr(module, "SOURCE_DIGEST", None) != DIGEST:
    module = types.ModuleType("bento_table")
    module.__file__ = "<bento_table>"
    exec(compile(SOURCE, "<bento_table>", "exec"), module.__dict__)
    module.SOURCE_DIGEST = DIGEST
    sys.modules["bento_table"] = module
module.register_comm_target()
`;

let setupCode: string | undefined;

/**
 * The silent execution that registers the comm target. It runs in a namespace of its own, so the user's
 * variables see nothing of it. (A JSON string literal is a valid Python string literal.)
 */
export function tableSetupCode(): string {
  setupCode ??=
    `__import__("builtins").exec(__import__("builtins").compile(${JSON.stringify(SETUP)}, "<bento-setup>", "exec"), ` +
    `{"SOURCE": ${JSON.stringify(tableSource)}, "DIGEST": ${JSON.stringify(digest(tableSource))}})`;
  return setupCode;
}
