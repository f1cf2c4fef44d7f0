/**
 * A job's copy of its table in the origin-private file system (OPFS), so the job can run again after the page
 * reloads without the kernel that held the table. One file per job, `<folder>/<jobId>.table`: 8 bytes of magic,
 * a 4-byte length, a JSON header (row count, each column's schema and where its buffers are), then the buffers,
 * each on an 8-byte boundary so they are read back as views without copying.
 *
 * Written in the jobs worker through a synchronous access handle, in place: the buffers first, then the header,
 * magic last, then flushed. A copy cut short (the tab closed mid-write) has no magic and reads as absent; a copy is
 * whole or absent. (A writable stream writes a swap file and copies it over on close: 30 MB took ~300 ms that way,
 * against ~60 ms in place.) Where there is no synchronous access (the page's main thread), the stream is used.
 */
import { ARRAY_OF, ColumnTable, type Column, type ColumnValues } from '../data/table.ts';
import { nextTask } from '../util/later.ts';

const MAGIC = 'BENTOTB1';
/** Bytes written at once through a sync access handle, which holds the worker's thread while it writes. */
const WRITE_PIECE_BYTES = 4 << 20;

interface Part {
  offset: number;
  length: number;
}

interface Header {
  numRows: number;
  columns: (Omit<Column, 'values' | 'offsets' | 'valid'> & { values: Part; offsets?: Part; valid?: Part })[];
}

async function folderHandle(folder: string): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(folder, { create: true });
}

/** Writes `table` as job `jobId`'s staged copy; resolves with the file's size in bytes. */
export async function writeStagedCopy(folder: string, jobId: string, table: ColumnTable): Promise<number> {
  const parts: ArrayBufferView[] = [];
  let offset = 0;
  const place = (array: ArrayBufferView): Part => {
    const part = { offset, length: array.byteLength };
    parts.push(array);
    offset += array.byteLength;
    const pad = (8 - (offset % 8)) % 8;
    if (pad) {
      parts.push(new Uint8Array(pad));
      offset += pad;
    }
    return part;
  };
  const header: Header = {
    numRows: table.numRows,
    columns: table.columns.map(({ values, offsets, valid, ...rest }) => ({
      ...rest,
      values: place(values),
      ...(offsets ? { offsets: place(offsets) } : {}),
      ...(valid ? { valid: place(valid) } : {}),
    })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = new Uint8Array(align(12 + json.length));
  start.set(new TextEncoder().encode(MAGIC));
  new DataView(start.buffer).setUint32(8, json.length, true);
  start.set(json, 12);
  const directory = await folderHandle(folder);
  const file = await directory.getFileHandle(`${jobId}.table`, { create: true });
  try {
    return await writeInto(file, start, parts, start.length + offset);
  } catch (error) {
    // A copy cut short (storage full) reads as absent, but its bytes would hold on to the space that ran out.
    await directory.removeEntry(`${jobId}.table`).catch(() => {});
    throw error;
  }
}

async function writeInto(file: FileSystemFileHandle, start: Uint8Array, parts: ArrayBufferView[], size: number): Promise<number> {
  if ('createSyncAccessHandle' in file) {
    const handle = await (file as unknown as SyncFile).createSyncAccessHandle();
    try {
      handle.truncate(0);
      let at = start.length;
      for (const part of parts) {
        const bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
        for (let offset = 0; offset < bytes.length; offset += WRITE_PIECE_BYTES) {
          at += handle.write(bytes.subarray(offset, offset + WRITE_PIECE_BYTES), { at });
          // The job sends its first chunks meanwhile (worker.ts): their answers are handled between pieces.
          await nextTask();
        }
      }
      // The magic goes in last: until then the file reads as no copy at all.
      handle.write(start.subarray(8), { at: 8 });
      handle.write(start.subarray(0, 8), { at: 0 });
      handle.flush();
    } finally {
      handle.close();
    }
    return size;
  }
  const writable = await (file as FileSystemFileHandle).createWritable();
  try {
    await writable.write(start as Uint8Array<ArrayBuffer>);
    for (const part of parts) await writable.write(part as unknown as BufferSource);
    await writable.close();
  } catch (error) {
    await writable.abort().catch(() => {});
    throw error;
  }
  return size;
}

/** The synchronous access a worker has to an OPFS file (not in the DOM typings this project builds with). */
interface SyncFile {
  createSyncAccessHandle(): Promise<{
    write(data: ArrayBufferView, options: { at: number }): number;
    truncate(size: number): void;
    flush(): void;
    close(): void;
  }>;
}

/** Job `jobId`'s staged copy, or undefined when there is none. */
export async function readStagedCopy(folder: string, jobId: string): Promise<ColumnTable | undefined> {
  let file: File;
  try {
    file = await (await (await folderHandle(folder)).getFileHandle(`${jobId}.table`)).getFile();
  } catch (error) {
    if ((error as DOMException).name === 'NotFoundError') return undefined;
    throw error;
  }
  const buffer = await file.arrayBuffer();
  const bytes = new Uint8Array(buffer);
  // Written in place and cut short: the magic, written last, is not there; no copy was made.
  if (buffer.byteLength < 8 || bytes.subarray(0, 8).every((byte) => byte === 0)) return undefined;
  if (buffer.byteLength < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error(`The staged copy of job ${jobId} is not a table this version of Bento Lite wrote.`);
  }
  const length = new DataView(buffer).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as Header;
  const base = align(12 + length);
  const view = (Kind: { new (buffer: ArrayBuffer, offset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number }, part: Part) =>
    new Kind(buffer, base + part.offset, part.length / Kind.BYTES_PER_ELEMENT);
  const columns: Column[] = header.columns.map(({ values, offsets, valid, ...rest }) => ({
    ...rest,
    values: view(rest.type === 'string' ? Uint8Array : ARRAY_OF[rest.type], values) as ColumnValues,
    ...(offsets ? { offsets: view(Int32Array, offsets) as Int32Array } : {}),
    ...(valid ? { valid: view(Uint8Array, valid) as Uint8Array } : {}),
  }));
  return new ColumnTable(columns, header.numRows);
}

/** The job ids of the staged copies in `folder`. */
export async function listStagedCopies(folder: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const name of (await folderHandle(folder) as unknown as { keys(): AsyncIterable<string> }).keys()) {
    if (name.endsWith('.table')) ids.push(name.slice(0, -'.table'.length));
  }
  return ids;
}

/** Removes job `jobId`'s staged copy; nothing when there is none. */
export async function removeStagedCopy(folder: string, jobId: string): Promise<void> {
  try {
    await (await folderHandle(folder)).removeEntry(`${jobId}.table`);
  } catch (error) {
    if ((error as DOMException).name !== 'NotFoundError') throw error;
  }
}


function align(n: number): number {
  return Math.ceil(n / 8) * 8;
}
