/**
 * Job records in IndexedDB: one object store of JobRecord keyed by id. The page's runner is the only writer; a
 * record holds what the job was asked (connector name, target, mode), its progress, result and error, never a
 * credential (the runner takes those from the page's connector registry each time a job runs).
 */
import type { JobRecord } from './runner.ts';

const RECORDS = 'jobs';
/**
 * An open request queued behind another tab's version change that never completes (a tab that holds the database
 * open and ignores `versionchange`) waits forever; the browser tells only the upgrading request it is blocked.
 */
const OPEN_TIMEOUT_MS = 5_000;

export class JobStore {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (or makes) the database `name`; rejects, never waits forever, when storage is blocked, full or denied. */
  static open(name: string): Promise<JobStore> {
    return new Promise((resolve, reject) => {
      let request: IDBOpenDBRequest;
      try {
        request = indexedDB.open(name, 1);
      } catch (error) {
        return reject(storageError(`Cannot open the job store '${name}' in IndexedDB`, error));
      }
      let settled = false;
      const giveUp = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const blocked = () =>
        giveUp(new Error(`Cannot open the job store '${name}' in IndexedDB: another tab of this site is holding it. Close or reload the other tabs of this site, then try again.`));
      const timer = setTimeout(blocked, OPEN_TIMEOUT_MS);
      request.onblocked = blocked;
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(RECORDS)) request.result.createObjectStore(RECORDS, { keyPath: 'id' });
      };
      request.onsuccess = () => {
        // Answered after it was given up on: let go, so that it blocks no one else.
        if (settled) return request.result.close();
        settled = true;
        clearTimeout(timer);
        resolve(new JobStore(request.result));
      };
      request.onerror = () => giveUp(storageError(`Cannot open the job store '${name}' in IndexedDB`, request.error));
    });
  }

  async put(record: JobRecord): Promise<void> {
    await this.run('readwrite', (store) => store.put(record));
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return (await this.run('readonly', (store) => store.get(id))) as JobRecord | undefined;
  }

  /** Every record, newest first. */
  async list(): Promise<JobRecord[]> {
    const records = (await this.run('readonly', (store) => store.getAll())) as JobRecord[];
    return records.sort((a, b) => b.createdAt - a.createdAt);
  }

  async delete(id: string): Promise<void> {
    await this.run('readwrite', (store) => store.delete(id));
  }

  close(): void {
    this.db.close();
  }

  private async run(mode: IDBTransactionMode, step: (store: IDBObjectStore) => IDBRequest): Promise<unknown> {
    const transaction = this.db.transaction(RECORDS, mode);
    // A write counts once it is durable, not when its request succeeds.
    const done = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = transaction.onabort = () => reject(storageError('The job store in IndexedDB failed', transaction.error));
    });
    const [result] = await Promise.all([settle(step(transaction.objectStore(RECORDS)), 'The job store in IndexedDB failed'), done]);
    return result;
  }
}

function settle<T>(request: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(storageError(what, request.error));
  });
}

/** What failed, and for a full storage what to do: the browser's own QuotaExceededError has no message. */
function storageError(what: string, error: unknown): Error {
  const name = (error as DOMException | null)?.name;
  if (name === 'QuotaExceededError') return new Error(`${what}: the browser's storage for this site is full. Free some space, then try again.`);
  return new Error(`${what}: ${(error as Error | null)?.message || name || 'the transaction was aborted'}.`);
}
