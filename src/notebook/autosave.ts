/**
 * Autosave: drafts of notebooks kept in the browser's IndexedDB, so an accidental reload or a closed tab loses
 * nothing. Drafts are not files: the user still saves an .ipynb to keep their work.
 */
import type { Kernel } from '../kernel/kernel.ts';
import { inBrowser, rememberedKernel } from '../kernel/remembered.ts';
import type { Notebook } from './nbformat.ts';

/** Why autosave cannot work: storage denied to this page, held by another tab, full, or failing otherwise. */
export type StorageUnavailableReason = 'denied' | 'blocked' | 'full' | 'failed';

const KEEP_WORK = 'Save the notebook to a file to keep your work.';

function message(reason: StorageUnavailableReason, detail?: string): string {
  switch (reason) {
    case 'denied':
      return `Autosave is off: this browser blocks local storage for this page. ${KEEP_WORK}`;
    case 'blocked':
      return (
        'Autosave is off: another tab of this site is holding the autosave database open. ' +
        `Reload or close the other tabs of this site to turn it back on. ${KEEP_WORK}`
      );
    case 'full':
      return (
        "Autosave is off: the browser's storage for this site is full. " +
        'Free some space, and save the notebook to a file to keep your work.'
      );
    case 'failed':
      return `Autosave is off: the browser's local storage failed${detail ? ` (${detail})` : ''}. ${KEEP_WORK}`;
  }
}

/** Autosave cannot store or read drafts here. The message tells the user what happened and what to do. */
export class StorageUnavailableError extends Error {
  readonly reason: StorageUnavailableReason;

  constructor(reason: StorageUnavailableReason, detail?: string, options?: ErrorOptions) {
    super(message(reason, detail), options);
    this.name = 'StorageUnavailableError';
    this.reason = reason;
  }
}

/**
 * A draft as stored: the notebook object (a structured clone), when it was saved in ms since the epoch, and which
 * cells (by index) were running then.
 */
export interface Draft {
  notebook: Notebook;
  savedAt: number;
  running?: number[];
}

const STORE = 'drafts';
/** Some browsers (private modes, locked-down profiles) leave an open request unanswered. */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * Drafts of notebooks in IndexedDB (object store `drafts`), under keys the caller chooses (a URL, a page path).
 * The database is opened on first use; every method rejects with StorageUnavailableError when storage cannot be
 * used, and never waits forever. The connection closes itself when another tab upgrades or deletes the database.
 */
export class DraftStore {
  private readonly dbName: string;
  private connection?: Promise<IDBDatabase>;
  private db?: IDBDatabase;

  constructor(dbName = 'bento-lite') {
    this.dbName = dbName;
  }

  /**
   * Stores `nb` (cloned as it is now) as the draft for `key`, replacing any earlier draft; `running` are the indices
   * of its cells running now, so that a page that restores the draft can say their runs were cut short.
   */
  save(key: string, nb: Notebook, running: number[] = []): Promise<void> {
    const draft: Draft = { notebook: nb, savedAt: Date.now(), ...(running.length ? { running } : {}) };
    return this.run('readwrite', (store) => store.put(draft, key)).then(() => undefined);
  }

  /** The draft for `key`, or undefined if there is none. */
  async load(key: string): Promise<Draft | undefined> {
    const record: unknown = await this.run('readonly', (store) => store.get(key));
    if (typeof record !== 'object' || record === null) return undefined;
    const { notebook, savedAt, running } = record as Partial<Draft>;
    if (typeof notebook !== 'object' || notebook === null || typeof savedAt !== 'number') return undefined;
    return { notebook, savedAt, ...(Array.isArray(running) && running.length ? { running: running.filter(Number.isInteger) } : {}) };
  }

  /** What a notebook loaded from its URL tells the person when `draft` holds local edits to it (they pick which to keep). */
  offerMessage(draft: Draft): string {
    return `You have local edits to this notebook from ${new Date(draft.savedAt).toLocaleString()}.`;
  }

  /**
   * What a notebook that came up from `draft` tells the person: where their text came from, and what became of the
   * runs the page closed on (a reload, a crash). Python in the browser (`kernel`, or none yet) started with this
   * page, so it never finished those runs and has none of the variables from before, unless the notebook `key`
   * attaches to the server kernel this tab ran it on; a server kernel may have outlived the page and run them on.
   */
  restoredMessage(draft: Draft, kernel: Kernel | undefined, key: string): string {
    // Python in the browser starts afresh with the page. A server kernel may have outlived it: one the page gave, or
    // the one this tab ran the notebook on, which the notebook attaches to again (../kernel/remembered.ts).
    const kernelspec = (draft.notebook.metadata.kernelspec as { name?: string } | undefined)?.name;
    const had = rememberedKernel(key);
    const freshKernel = (!kernel || inBrowser(kernel)) && !(had && had.name === kernelspec);
    const text = `Restored your unsaved edits from ${new Date(draft.savedAt).toLocaleTimeString()}, kept by autosave in this browser.`;
    const cells = (draft.running ?? []).map((index) => index + 1);
    if (!cells.length) return text;
    const many = cells.length > 1;
    const which = `${many ? 'Cells' : 'Cell'} ${cells.join(', ')} ${many ? 'were' : 'was'} running when the page closed, and this page never saw ${many ? 'those runs' : 'that run'} end`;
    return freshKernel
      ? `${text} ${which}: Python started afresh with the page, so run the cells again to get their variables back.`
      : `${text} ${which}: the kernel may still be running ${many ? 'them' : 'it'}, or have finished, so check its variables before running ${many ? 'them' : 'it'} again.`;
  }

  /** Deletes the draft for `key` (nothing happens if there is none). */
  delete(key: string): Promise<void> {
    return this.run('readwrite', (store) => store.delete(key)).then(() => undefined);
  }

  /** The keys that have a draft, in sorted order. */
  async keys(): Promise<string[]> {
    const keys = await this.run('readonly', (store) => store.getAllKeys());
    return keys.filter((key): key is string => typeof key === 'string');
  }

  /** Runs one request in its own transaction; resolves once the transaction has committed. */
  private async run<T>(mode: IDBTransactionMode, operate: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const transaction = await this.begin(mode);
    // A value that cannot be cloned makes put() throw: that is the caller's bug, reported as it is.
    const request = operate(transaction.objectStore(STORE));
    return new Promise<T>((resolve, reject) => {
      transaction.oncomplete = () => resolve(request.result);
      transaction.onabort = () =>
        reject(toStorageError(transaction.error ?? (request.readyState === 'done' ? request.error : null)));
    });
  }

  private async begin(mode: IDBTransactionMode): Promise<IDBTransaction> {
    for (let attempt = 0; ; attempt++) {
      const db = await this.open();
      try {
        return db.transaction(STORE, mode);
      } catch (error) {
        // The connection closed since it was opened (another tab upgraded or deleted the database): open again.
        this.forget(db);
        if (attempt > 0) {
          const detail = error instanceof Error ? `${error.name}: ${error.message}` : undefined;
          throw new StorageUnavailableError('failed', detail, { cause: error });
        }
      }
    }
  }

  private open(): Promise<IDBDatabase> {
    this.connection ??= openDraftsDatabase(this.dbName).then(
      (db) => {
        // Never be the tab that blocks another tab's upgrade or deletion of the database.
        db.onversionchange = () => {
          db.close();
          this.forget(db);
        };
        db.onclose = () => this.forget(db);
        this.db = db;
        return db;
      },
      (error: unknown) => {
        this.connection = undefined;
        throw error;
      },
    );
    return this.connection;
  }

  private forget(db: IDBDatabase): void {
    if (this.db !== db) return;
    this.db = undefined;
    this.connection = undefined;
  }
}

/**
 * Opens the database at whatever version it has, and adds the drafts store with a version upgrade only if it is
 * missing, so that a database created by other code (or a later Bento Lite) never fails with a VersionError.
 */
async function openDraftsDatabase(name: string): Promise<IDBDatabase> {
  for (let attempt = 0; ; attempt++) {
    const db = await openRequest(name);
    if (db.objectStoreNames.contains(STORE)) return db;
    const version = db.version + 1;
    db.close();
    try {
      return await openRequest(name, version);
    } catch (error) {
      // Another DraftStore upgraded the database at the same moment: start again from its version.
      const cause = error instanceof StorageUnavailableError ? (error.cause as Error | undefined) : undefined;
      const raced = cause?.name === 'VersionError';
      if (attempt > 0 || !raced) throw error;
    }
  }
}

/**
 * Open requests given up on (blocked, or not answered in time) that the browser still holds, by database name.
 * A later open of the same database would queue behind them and wait just as long, so it fails at once instead.
 */
const abandonedOpens = new Map<string, { count: number; reason: StorageUnavailableReason; detail?: string }>();

function openRequest(name: string, version?: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const abandoned = abandonedOpens.get(name);
    if (abandoned) return reject(new StorageUnavailableError(abandoned.reason, abandoned.detail));

    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const giveUp = (reason: StorageUnavailableReason, detail?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const entry = abandonedOpens.get(name);
      abandonedOpens.set(name, { count: (entry?.count ?? 0) + 1, reason, detail });
      reject(new StorageUnavailableError(reason, detail));
    };
    /** The browser finally answered a request given up on. */
    const answeredLate = () => {
      const entry = abandonedOpens.get(name);
      if (entry && --entry.count === 0) abandonedOpens.delete(name);
    };

    let request: IDBOpenDBRequest;
    try {
      // Reading `indexedDB` itself throws in some locked-down contexts, and open() throws in opaque origins.
      const factory = (globalThis as unknown as { indexedDB?: IDBFactory }).indexedDB;
      if (!factory) return reject(new StorageUnavailableError('denied'));
      request = version === undefined ? factory.open(name) : factory.open(name, version);
    } catch (error) {
      return reject(toStorageError(error));
    }
    timer = setTimeout(() => giveUp('failed', 'it did not answer'), OPEN_TIMEOUT_MS);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
    };
    request.onsuccess = () => {
      const db = request.result;
      if (settled) {
        answeredLate();
        return db.close();
      }
      settled = true;
      clearTimeout(timer);
      resolve(db);
    };
    request.onerror = () => {
      if (settled) return answeredLate();
      settled = true;
      clearTimeout(timer);
      reject(toStorageError(request.error));
    };
    // Another connection (an older tab) did not close for our upgrade; waiting could take forever.
    request.onblocked = () => giveUp('blocked');
  });
}

function toStorageError(error: unknown): StorageUnavailableError {
  if (error instanceof StorageUnavailableError) return error;
  const name = error instanceof DOMException ? error.name : '';
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : undefined;
  if (name === 'QuotaExceededError') return new StorageUnavailableError('full', undefined, { cause: error });
  // SecurityError: storage denied to this origin (opaque origin, blocked cookies). InvalidStateError on open is
  // how some private browsing modes refuse IndexedDB.
  if (name === 'SecurityError' || name === 'InvalidStateError') {
    return new StorageUnavailableError('denied', undefined, { cause: error });
  }
  return new StorageUnavailableError('failed', detail, { cause: error });
}
