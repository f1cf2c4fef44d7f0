// The fault table's storage rows (`npm run faults` prints them beside test/faults/notebook-faults.test.ts): the
// browser's own storage made to fail for real while a notebook, the job runner or the Python runtime uses it.
// Full: the origin's quota set to almost nothing through the DevTools protocol (the `storage-quota` test command),
// so IndexedDB and the origin-private file system refuse writes with the browser's QuotaExceededError. Blocked:
// another connection holding the database open at an older version and ignoring `versionchange`, or a worker
// holding a file through a sync access handle (an exclusive lock). Each row runs its scenario once (`before`), then
// checks what must hold, with the same columns as the other rows of the table.
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { getConnector, registerConnector, type Connector } from '../../src/data/connectors.ts';
import { ColumnTable } from '../../src/data/table.ts';
import type { JobRecord } from '../../src/jobs/runner.ts';
import { listStagedCopies } from '../../src/jobs/staged-copy.ts';
import { WorkerJobRunner } from '../../src/jobs/worker-runner.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { SNAPSHOT_DIRECTORY, snapshotFileName } from '../../src/kernel/pyodide/snapshot-cache.ts';
import { DraftStore } from '../../src/notebook/autosave.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { codeNotebook, holdFileExclusively, outputText, run, testRuntimeOptions, waitFor } from '../helpers.ts';

/** How long a fault may take to settle before the row "every promise settles" fails (a hang guard, not a timing). */
const SETTLES_WITHIN_MS = 60_000;

const runtime = new PyodideRuntime(testRuntimeOptions());
after(() => runtime.terminate());

const clickhouse = (window as unknown as { __bentoClickHouse: { url: string; user: string; password: string } }).__bentoClickHouse;
const WAREHOUSE = 'storage-fault-warehouse';
const DB = 'bento_storage_faults';
const workerURL = '/src/jobs/worker.ts';
let warehouse: Connector;
let count = 0;
const fresh = (stem: string) => `${stem}_${++count}_${Math.random().toString(36).slice(2, 8)}`;

before(async () => {
  registerConnector({ name: WAREHOUSE, kind: 'clickhouse', options: { url: clickhouse.url }, credentials: { user: clickhouse.user, password: clickhouse.password } });
  warehouse = await getConnector(WAREHOUSE);
  await warehouse.query(`CREATE DATABASE IF NOT EXISTS ${DB}`);
});
/** Settles with the request's outcome; never rejects. */
function outcome(request: IDBRequest): Promise<void> {
  return new Promise((resolve) => {
    request.addEventListener('success', () => resolve());
    request.addEventListener('error', () => resolve());
  });
}

/**
 * Between faults the origin has ROOM bytes free, not the browser's gigabytes: Chromium's IndexedDB goes on from the
 * space it last knew was left, decaying over 30 s (BucketContext::kBucketSpaceCacheTimeLimit), and asks again at once
 * only for a write larger than that. With ROOM free, one write larger than ROOM makes it ask, and find the storage full.
 */
const ROOM = 64 << 20;
let roomy = 0;
before(async () => {
  roomy = ((await navigator.storage.estimate()).usage ?? 0) + ROOM;
  await quota();
});
// A row that failed half-way must not leave the next one with no storage.
afterEach(() => quota());
after(() => executeServerCommand('storage-quota', {}));

/**
 * Storage full: the origin's quota becomes `bytes`; undefined gives it ROOM bytes free again. A quota too small for
 * anything waits until IndexedDB knows (see ROOM).
 */
async function quota(bytes?: number): Promise<void> {
  await executeServerCommand('storage-quota', { bytes: bytes ?? roomy });
  if (bytes === undefined || bytes > 4096) return;
  const request = indexedDB.open('storage-fault-probe', 1);
  request.onupgradeneeded = () => request.result.createObjectStore('probe');
  await outcome(request);
  const db = request.result;
  const refused = (size: number) =>
    new Promise<boolean>((resolve) => {
      const transaction = db.transaction('probe', 'readwrite');
      const store = transaction.objectStore('probe');
      store.put(new Uint8Array(size), 'probe');
      store.delete('probe');
      transaction.oncomplete = () => resolve(false);
      transaction.onabort = () => resolve(transaction.error?.name === 'QuotaExceededError');
    });
  try {
    // Space known from before this file gave the origin ROOM (another file's writes) runs out within 30 s.
    if (!(await refused(ROOM + (1 << 20)))) await waitFor(() => refused(64), 'IndexedDB to refuse writes under a quota of a few bytes', 35_000);
  } finally {
    db.close();
  }
}

/** What a fault's scenario left, for the rows to read. */
interface Seen {
  /** Every promise of the scenario settled within SETTLES_WITHIN_MS. */
  settled: boolean;
  /** The notebook's sources when the fault began and after it. */
  textBefore?: string[];
  textAfter?: string[];
  /** What the person (or the calling code) was told. */
  said: string;
  /** The next action after the storage came back (or the blocker let go), and what it showed. */
  nextOk: boolean;
  nextDetail: string;
  /** The job records as IndexedDB holds them afterwards, checked against what must be there. */
  jobRowsOk?: boolean;
  jobRowsDetail?: string;
}

const UNSETTLED = Symbol('unsettled');

async function settle<T>(promise: Promise<T>, seen: { settled: boolean }): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<typeof UNSETTLED>((resolve) => (timer = setTimeout(() => resolve(UNSETTLED), SETTLES_WITHIN_MS)));
  try {
    const result = await Promise.race([promise, hang]);
    if (result === UNSETTLED) {
      seen.settled = false;
      return undefined;
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** The rejection's message, or '' when it resolved. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => '',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

/**
 * One row of the table: the scenario, run once, then the guarantees it is checked against; `text` and `jobs` say
 * whether the row has a notebook's text and job records to check (the table shows – where it has not).
 */
function fault(name: string, applies: { text?: boolean; jobs?: boolean }, scenario: () => Promise<Seen>, said: RegExp): void {
  describe(`fault: ${name}`, function () {
    this.timeout(180_000);
    let seen: Seen;
    before(async () => {
      try {
        seen = await scenario();
      } finally {
        await quota();
      }
    });
    it('every promise settles', () => {
      expect(seen.settled, 'a promise never settled').to.equal(true);
    });
    if (applies.text) {
      it("the user's text is intact", () => {
        expect(seen.textBefore, 'the scenario did not get as far as the edit').not.to.equal(undefined);
        expect(seen.textAfter).to.deep.equal(seen.textBefore);
      });
    }
    it('the status says what happened', () => {
      expect(seen.said).to.match(said);
    });
    it('the next action works', () => {
      expect(seen.nextOk, seen.nextDetail).to.equal(true);
    });
    if (applies.jobs) {
      it('no job row lost or doubled', () => {
        expect(seen.jobRowsOk, seen.jobRowsDetail).to.equal(true);
      });
    }
  });
}

// --- The autosave drafts ---------------------------------------------------------------------------------------

async function autosavedNotebook(key: string, cells: string[]): Promise<BentoNotebook> {
  const notebook = await fixture<BentoNotebook>(html`<bento-notebook autosave-key=${key} placement="off" .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
  notebook.load(codeNotebook(cells));
  await notebook.updateComplete;
  return notebook;
}

/** The person types into cell `index`. */
function edit(notebook: BentoNotebook, index: number, source: string): void {
  notebook.cells[index].source = source;
  notebook.cells[index].dispatchEvent(new Event('bento-change', { bubbles: true, composed: true }));
}

const noticeOf = (notebook: BentoNotebook) => notebook.shadowRoot!.querySelector('.notice')?.textContent?.trim() ?? '';
const sources = (notebook: BentoNotebook) => notebook.cells.map((cell) => cell.source);

/**
 * An edit that cannot be saved (`breakStorage` did that), a run while it cannot, then storage back (`mendStorage`)
 * and one more edit, which must reach the draft.
 */
async function autosaveScenario(breakStorage: () => Promise<void>, mendStorage: () => Promise<void>): Promise<Seen> {
  const seen: Seen = { settled: true, said: '', nextOk: false, nextDetail: '' };
  const key = `fault-${crypto.randomUUID()}`;
  const notebook = await autosavedNotebook(key, ['x = 1', 'print(x + 1)']);
  try {
    await breakStorage();
    edit(notebook, 0, 'x = 41');
    seen.textBefore = sources(notebook);
    seen.said = (await settle(waitFor(() => /Autosave/.test(noticeOf(notebook)) && noticeOf(notebook), 'autosave to give up', 30_000).catch(() => noticeOf(notebook)), seen)) ?? '';
    // The notebook keeps working while its drafts cannot be saved.
    await settle(notebook.run(0), seen);
    const reply = await settle(notebook.run(1), seen);
    const printed = outputText(notebook.cells[1]);
    seen.textAfter = sources(notebook);
    await mendStorage();
    edit(notebook, 1, 'print(x + 2)');
    const store = new DraftStore();
    const saved = await settle(
      waitFor(async () => joinSource((await store.load(key).catch(() => undefined))?.notebook.cells[1]?.source ?? '') === 'print(x + 2)', 'the next edit to be saved', 30_000).then(
        () => true,
        () => false,
      ),
      seen,
    );
    seen.nextOk = reply?.content.status === 'ok' && printed.includes('42') && saved === true && !/Autosave/.test(noticeOf(notebook));
    seen.nextDetail = `run: ${reply?.content.status} (${printed.trim()}); next edit saved: ${saved}; notice now: ${noticeOf(notebook)}`;
    await store.delete(key).catch(() => {});
  } finally {
    notebook.remove();
  }
  return seen;
}

fault(
  'IndexedDB full: the autosave drafts',
  { text: true },
  () =>
    autosaveScenario(
      () => quota(1),
      () => quota(),
    ),
  /Autosave is off: the browser's storage for this site is full/,
);

fault(
  'IndexedDB blocked: the autosave drafts',
  { text: true },
  async () => {
    // An older tab holds the drafts database open at a version without the drafts store, and ignores versionchange.
    let holder: IDBDatabase | undefined;
    return autosaveScenario(
      async () => {
        await outcome(indexedDB.deleteDatabase('bento-lite'));
        // Above any version the notebook's draft store may have made in the meantime (it opens the database when it
        // first looks for a draft), and without the drafts store: the store's next open must upgrade, and is blocked.
        const request = indexedDB.open('bento-lite', 1000);
        request.onupgradeneeded = () => {
          if (request.result.objectStoreNames.contains('drafts')) request.result.deleteObjectStore('drafts');
        };
        holder = await new Promise<IDBDatabase>((resolve) => (request.onsuccess = () => resolve(request.result)));
      },
      async () => {
        holder!.close();
        // Open requests are answered in order: once this one is, the upgrade that was blocked has gone through.
        const after = indexedDB.open('bento-lite');
        await outcome(after);
        after.result?.close();
      },
    );
  },
  /Autosave is off: another tab of this site is holding the autosave database open/,
);

// --- The job records and the staged copies --------------------------------------------------------------------

function table(rows: number): ColumnTable {
  return ColumnTable.fromArrays([
    { name: 'id', type: 'int64', values: Array.from({ length: rows }, (_, i) => BigInt(i)) },
    { name: 'label', type: 'string', values: Array.from({ length: rows }, (_, i) => `row ${i} of the storage fault`) },
  ]);
}

/** Resolves with the job's record once it is in a final state (or paused). */
function ended(jobs: WorkerJobRunner, id: string): Promise<JobRecord> {
  return new Promise((resolve) => {
    const stop = jobs.subscribe(id, (record) => {
      if (record && ['succeeded', 'failed', 'cancelled', 'paused'].includes(record.state)) {
        queueMicrotask(() => stop());
        resolve(record);
      }
    });
  });
}

/** The records as IndexedDB holds them, read without the runner. */
async function storedRecords(storeName: string): Promise<JobRecord[]> {
  const request = indexedDB.open(storeName);
  await outcome(request);
  const db = request.result;
  try {
    const all = db.transaction('jobs').objectStore('jobs').getAll();
    await outcome(all);
    return all.result as JobRecord[];
  } finally {
    db.close();
  }
}

async function rowsIn(target: string): Promise<number> {
  const exists = await warehouse.query(`SELECT count() AS n FROM system.tables WHERE database = '${DB}' AND name = '${target.split('.')[1]}'`);
  if (Number(exists.table.value(0, 0)) === 0) return 0;
  return Number((await warehouse.query(`SELECT count() AS n FROM ${target}`)).table.value(0, 0));
}

/**
 * Checks the store holds exactly `expected` (job id -> state), each once, and the warehouse exactly `rows` rows in
 * each job's target (0: no target made).
 */
async function jobRows(seen: Seen, storeName: string, expected: Array<{ id?: string; state: string; target: string; rows: number }>): Promise<void> {
  const records = await storedRecords(storeName);
  const landed = await Promise.all(expected.map((job) => rowsIn(job.target)));
  const problems: string[] = [];
  if (records.length !== expected.length) problems.push(`${records.length} records stored, not ${expected.length}`);
  expected.forEach((job, i) => {
    const matching = records.filter((record) => record.arguments.target === job.target);
    if (matching.length !== 1 || matching[0].state !== job.state) problems.push(`${job.target}: ${matching.map((r) => r.state).join(', ') || 'no record'}, not one ${job.state}`);
    if (landed[i] !== job.rows) problems.push(`${job.target}: ${landed[i]} rows on the warehouse, not ${job.rows}`);
  });
  seen.jobRowsOk = problems.length === 0;
  seen.jobRowsDetail = problems.join('; ');
}

/** The next action after a fault: a job submitted to `jobs` runs to its end; `seen` says whether it succeeded. */
async function nextJobLands(seen: Seen, jobs: WorkerJobRunner, source: ColumnTable, target: string, options: { chunkRows?: number } = {}): Promise<void> {
  const job = await settle(jobs.submit(source, { connector: WAREHOUSE, target, ...options }), seen);
  const final = job && (await settle(ended(jobs, job.id), seen));
  seen.nextOk = final?.state === 'succeeded';
  seen.nextDetail = `the next job: ${final?.state} ${final?.error?.message ?? ''}`;
}

fault(
  'IndexedDB full: a job record',
  { jobs: true },
  async () => {
    const seen: Seen = { settled: true, said: '', nextOk: false, nextDetail: '' };
    const storeName = fresh('fault-jobs');
    const jobs = new WorkerJobRunner({ storeName, workerURL });
    try {
      await jobs.list();
      const refused = `${DB}.${fresh('refused')}`;
      const landed = `${DB}.${fresh('landed')}`;
      await quota(1);
      seen.said = (await settle(refusal(jobs.submit(table(500), { connector: WAREHOUSE, target: refused })), seen)) ?? '';
      await quota();
      await nextJobLands(seen, jobs, table(500), landed);
      // The refused job is not recorded at all, and made nothing on the warehouse.
      await jobRows(seen, storeName, [{ state: 'succeeded', target: landed, rows: 500 }]);
      if ((await rowsIn(refused)) !== 0) seen.jobRowsOk = false;
    } finally {
      await jobs.close();
    }
    return seen;
  },
  /The job store in IndexedDB failed: the browser's storage for this site is full/,
);

fault(
  'the origin-private file system full: a staged copy',
  { jobs: true },
  async () => {
    const seen: Seen = { settled: true, said: '', nextOk: false, nextDetail: '' };
    const storeName = fresh('fault-jobs');
    const jobs = new WorkerJobRunner({ storeName, workerURL });
    try {
      await jobs.list();
      const refused = `${DB}.${fresh('refused')}`;
      const landed = `${DB}.${fresh('landed')}`;
      // Room for a job's record, not for its table's copy (megabytes).
      const { usage = 0 } = await navigator.storage.estimate();
      await quota(usage + 256 * 1024);
      const big = table(200_000);
      const first = await settle(jobs.submit(big, { connector: WAREHOUSE, target: refused }), seen);
      seen.said = first ? `${first.state}: ${first.error?.message ?? ''}` : '';
      const copies = await listStagedCopies(storeName);
      await quota();
      await nextJobLands(seen, jobs, big, landed, { chunkRows: 50_000 });
      // The failed job is recorded once, as failed, and left no copy behind.
      await jobRows(seen, storeName, [
        { state: 'failed', target: refused, rows: 0 },
        { state: 'succeeded', target: landed, rows: 200_000 },
      ]);
      if (first && copies.includes(first.id)) {
        seen.jobRowsOk = false;
        seen.jobRowsDetail += '; the failed copy was left in storage';
      }
    } finally {
      await jobs.close();
    }
    return seen;
  },
  /^failed: Could not keep a copy of the table in the browser's storage: the storage for this site is full/,
);

fault(
  'IndexedDB blocked: the job records',
  { jobs: true },
  async () => {
    const seen: Seen = { settled: true, said: '', nextOk: false, nextDetail: '' };
    const storeName = fresh('fault-jobs');
    // An older tab holds the job store open and ignores versionchange; a newer one asks for an upgrade that never
    // completes while it does: every open after it waits in the browser's queue.
    const holding = indexedDB.open(storeName, 1);
    holding.onupgradeneeded = () => holding.result.createObjectStore('jobs', { keyPath: 'id' });
    await outcome(holding);
    const upgrade = indexedDB.open(storeName, 2);
    // The newer tab gives up its upgrade when it finally gets the chance (the store stays at version 1).
    upgrade.onupgradeneeded = () => upgrade.transaction!.abort();
    const jobs = new WorkerJobRunner({ storeName, workerURL });
    try {
      const refused = `${DB}.${fresh('refused')}`;
      const landed = `${DB}.${fresh('landed')}`;
      seen.said = (await settle(refusal(jobs.submit(table(300), { connector: WAREHOUSE, target: refused })), seen)) ?? '';
      holding.result.close();
      await outcome(upgrade);
      await nextJobLands(seen, jobs, table(300), landed);
      await jobRows(seen, storeName, [{ state: 'succeeded', target: landed, rows: 300 }]);
      if ((await rowsIn(refused)) !== 0) seen.jobRowsOk = false;
    } finally {
      await jobs.close();
    }
    return seen;
  },
  /Cannot open the job store '.*' in IndexedDB: another tab of this site is holding it/,
);

fault(
  'a reload mid-upload while storage is full',
  { jobs: true },
  async () => {
    const seen: Seen = { settled: true, said: '', nextOk: false, nextDetail: '' };
    const storeName = fresh('fault-jobs');
    const target = `${DB}.${fresh('reloaded')}`;
    const first = new WorkerJobRunner({ storeName, workerURL });
    let second: WorkerJobRunner | undefined;
    try {
      const job = await first.submit(table(20_000), { connector: WAREHOUSE, target, chunkRows: 50 });
      // The page closes mid-upload (its runner stops at once, as a closing page's does) ...
      const left = await settle(
        new Promise<string>((resolve) => {
          const stop = first.subscribe(job.id, (record) => {
            if (record && record.progress.chunksDone >= 2) {
              stop();
              resolve(record.state);
              void first.close();
            }
          });
        }),
        seen,
      );
      await first.close();
      // ... and the reloaded page comes up with the storage full.
      await quota(1);
      second = new WorkerJobRunner({ storeName, workerURL });
      seen.said = `${(await settle(refusal(second.list()), seen)) ?? ''} (the job was ${left} when the page closed)`;
      await quota();
      // The next thing the page asks of its runner finds the job again and finishes it.
      const final = await settle(
        second.list().then(() => ended(second!, job.id)),
        seen,
      );
      seen.nextOk = final?.state === 'succeeded';
      seen.nextDetail = `the job after the reload: ${final?.state} ${final?.error?.message ?? ''}`;
      await jobRows(seen, storeName, [{ state: 'succeeded', target, rows: 20_000 }]);
    } finally {
      await first.close();
      await second?.close();
    }
    return seen;
  },
  /The job store in IndexedDB failed: the browser's storage for this site is full\. .*\(the job was uploading when the page closed\)/,
);

// The page dies after the warehouse committed and before the success is stored (here: the storage fills while the
// commit's answer is on its way). The job's staged copy and its ledger on the warehouse stay until the success is
// stored, so the reloaded page runs the job again, learns it committed, and records it once, with every row once.
fault(
  'a reload after the commit, before its success is stored',
  { jobs: true },
  async () => {
    const seen: Seen = { settled: true, said: '', nextOk: false, nextDetail: '' };
    const storeName = fresh('fault-jobs');
    const target = `${DB}.${fresh('committed')}`;
    const first = new WorkerJobRunner({ storeName, workerURL });
    let second: WorkerJobRunner | undefined;
    try {
      const verifying = new Promise<string>((resolve) => first.subscribeAll((record) => record.state === 'verifying' && resolve(record.id)));
      // The commit's first statement (this is the only job running) is done by ClickHouse and its answer held until
      // the storage is full: then the job succeeds.
      await executeServerCommand('clickhouse-cut', { match: '_commit_', where: 'held', ms: 50_000 });
      const job = await first.submit(table(20_000), { connector: WAREHOUSE, target, chunkRows: 5_000 });
      await settle(verifying, seen);
      await waitFor(async () => ((await executeServerCommand('clickhouse-cut-fired')) as { fired: boolean }).fired, 'the commit to start', 30_000).catch(() => {});
      await quota(1);
      const held = (await executeServerCommand('clickhouse-release')) as { released: boolean };
      const seenByPage = await settle(ended(first, job.id), seen);
      const kept = (await storedRecords(storeName)).find((record) => record.id === job.id)?.state;
      await first.close();
      await quota();
      // The reloaded page finds the job as the storage kept it, and runs it again.
      second = new WorkerJobRunner({ storeName, workerURL });
      const final = await settle(
        second.list().then(() => ended(second!, job.id)),
        seen,
      );
      seen.said = `the page saw ${seenByPage?.state}; the storage kept ${kept}${held.released ? '' : ' (the commit was never held)'}; after the reload: ${final?.state} ${final?.error?.message ?? ''}`;
      seen.nextOk = final?.state === 'succeeded' && (await listStagedCopies(storeName)).length === 0;
      seen.nextDetail = `the job after the reload: ${final?.state}; staged copies left: ${(await listStagedCopies(storeName)).length}`;
      await jobRows(seen, storeName, [{ state: 'succeeded', target, rows: 20_000 }]);
    } finally {
      await executeServerCommand('clickhouse-cut', { match: 'nothing will ever match this', where: 'request' });
      await first.close();
      await second?.close();
    }
    return seen;
  },
  /^the page saw succeeded; the storage kept (verifying|uploading); after the reload: succeeded $/,
);

// --- The Pyodide memory snapshot -------------------------------------------------------------------------------

/** A runtime of its own (snapshots on, the default), its kernel ready; the result of `6 * 7` in it. */
async function bootAndRun(seen: Seen): Promise<{ started: PyodideRuntime; answer: string }> {
  const started = new PyodideRuntime(testRuntimeOptions());
  const kernel = new PyodideKernel({ runtime: started });
  const result = await settle(run(kernel, '6 * 7'), seen);
  const answer = result?.outputs.find(([type]) => type === 'execute_result')?.[1].data['text/plain'] ?? `no answer (${result?.reply.content.status})`;
  return { started, answer };
}

/** The next action: a runtime boots, stores its snapshot, and the one after it restores from that. */
async function nextBoots(seen: Seen): Promise<void> {
  const next = await bootAndRun(seen);
  const nextSource = next.started.bootInfo?.source;
  const nextSaved = await settle(next.started.snapshotSaved(), seen);
  next.started.terminate();
  const restored = await bootAndRun(seen);
  const restoredSource = restored.started.bootInfo?.source;
  restored.started.terminate();
  seen.nextOk = next.answer === '42' && nextSaved?.saved === true && restoredSource === 'restored' && restored.answer === '42';
  seen.nextDetail = `next: ${nextSource}, ${next.answer}, saved ${nextSaved?.saved}; then ${restoredSource}, ${restored.answer}`;
  await PyodideRuntime.clearSnapshotCache();
}

fault(
  'the origin-private file system full: the Pyodide snapshot',
  {},
  async () => {
    const seen: Seen = { settled: true, said: '', nextOk: false, nextDetail: '' };
    await PyodideRuntime.clearSnapshotCache();
    await quota(1);
    const full = await bootAndRun(seen);
    const source = full.started.bootInfo?.source;
    const saved = await settle(full.started.snapshotSaved(), seen);
    seen.said = `${source}, ${full.answer}; ${saved?.reason ?? 'saved'}`;
    full.started.terminate();
    await quota();
    // A plain boot again (nothing was stored), which stores its snapshot now; the one after restores it.
    await nextBoots(seen);
    return seen;
  },
  /^made, 42; the snapshot could not be stored \(QuotaExceededError/,
);

fault(
  'the origin-private file system blocked: the Pyodide snapshot',
  {},
  async () => {
    const seen: Seen = { settled: true, said: '', nextOk: false, nextDetail: '' };
    await PyodideRuntime.clearSnapshotCache();
    // The entry's file for this build, held exclusively by another worker (as another tab's runtime writing it).
    const probe = await bootAndRun(seen);
    const key = probe.started.bootInfo!.snapshotKey!;
    await settle(probe.started.snapshotSaved(), seen);
    probe.started.terminate();
    await PyodideRuntime.clearSnapshotCache();
    const holder = await holdFileExclusively(SNAPSHOT_DIRECTORY, snapshotFileName(key), { create: true });
    try {
      const blocked = await bootAndRun(seen);
      const bootedAs = blocked.started.bootInfo?.source;
      const saved = await settle(blocked.started.snapshotSaved(), seen);
      seen.said = `${bootedAs}, ${blocked.answer}; ${saved?.reason ?? 'saved'}`;
      blocked.started.terminate();
    } finally {
      await holder.release();
    }
    await nextBoots(seen);
    return seen;
  },
  /^made, 42; the snapshot could not be stored \(NoModificationAllowedError/,
);
