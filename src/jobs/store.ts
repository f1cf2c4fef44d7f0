/**
 * Job records in IndexedDB: one object store of JobRecord keyed by id. The page's runner is the only writer; a
 * record holds what the job was asked (connector name, target, mode), its progress, result and error, never a
 * credential (the runner takes those from the page's connector registry each time a job runs).
 */
import type { JobRecord } from './runner.ts';

const RECORDS = 'jobs';

export class JobStore {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (or makes) the database `name`. */
  static async open(name: string): Promise<JobStore> {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(RECORDS)) request.result.createObjectStore(RECORDS, { keyPath: 'id' });
    };
    const db = await settle(request, `Cannot open the job store '${name}' in IndexedDB`);
    return new JobStore(db);
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
      transaction.onerror = transaction.onabort = () => reject(new Error(`The job store in IndexedDB failed: ${transaction.error?.message ?? 'the transaction was aborted'}.`));
    });
    const [result] = await Promise.all([settle(step(transaction.objectStore(RECORDS)), 'The job store in IndexedDB failed'), done]);
    return result;
  }
}

function settle<T>(request: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`${what}: ${request.error?.message ?? 'unknown error'}.`));
  });
}
