import { expect } from '@open-wc/testing';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { rememberKernel } from '../../src/kernel/remembered.ts';
import { DraftStore, StorageUnavailableError } from '../../src/notebook/autosave.ts';
import { newNotebook, parseNotebook } from '../../src/notebook/ipynb.ts';
import type { CodeCell } from '../../src/notebook/nbformat.ts';
import { fixtureText } from './fixtures.ts';

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`Deleting ${name} is blocked by an open connection`));
  });
}

/** Opens a database as other code on the page (or an older tab) would, without closing on versionchange. */
function openAsOtherCode(name: string, version: number, stores: string[] = []): Promise<IDBDatabase> {
  const request = indexedDB.open(name, version);
  request.onupgradeneeded = () => {
    for (const store of stores) request.result.createObjectStore(store);
  };
  return promised(request);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('DraftStore', () => {
  let dbName: string;
  beforeEach(() => {
    dbName = `bento-lite-test-${crypto.randomUUID()}`;
  });
  afterEach(async () => {
    await deleteDatabase(dbName);
  });

  it('saves, loads, lists and deletes drafts in IndexedDB', async () => {
    const store = new DraftStore(dbName);
    const notebook = parseNotebook(await fixtureText('nbformat/test4.5.ipynb'));
    expect(await store.keys()).to.deep.equal([]);
    expect(await store.load('page-a')).to.equal(undefined);

    const before = Date.now();
    await store.save('page-b', notebook);
    await store.save('page-a', newNotebook());
    await store.save('page-c', newNotebook());
    const after = Date.now();

    const draft = await store.load('page-b');
    expect(draft!.notebook).to.deep.equal(notebook);
    expect(draft!.savedAt).to.be.within(before, after);
    expect(await store.keys()).to.deep.equal(['page-a', 'page-b', 'page-c']);

    await store.delete('page-b');
    await store.delete('never-saved');
    expect(await store.load('page-b')).to.equal(undefined);
    expect(await store.keys()).to.deep.equal(['page-a', 'page-c']);
  });

  it('stores a copy, replaces it on the next save, and shares drafts with other connections', async () => {
    const store = new DraftStore(dbName);
    const notebook = newNotebook();
    notebook.cells[0]!.source = 'x = 1';
    await store.save('page', notebook);
    notebook.cells[0]!.source = 'changed after saving';
    expect((await store.load('page'))!.notebook.cells[0]!.source).to.equal('x = 1');

    (notebook.cells[0] as CodeCell).outputs.push({ output_type: 'stream', name: 'stdout', text: 'out\n' });
    await store.save('page', notebook);
    const reopened = await new DraftStore(dbName).load('page');
    expect(reopened!.notebook).to.deep.equal(notebook);
  });

  it('records which cells were running, and the restored notebook names them by kernel', async () => {
    const store = new DraftStore(dbName);
    await store.save('page', newNotebook(), [1, 3]);
    const draft = (await store.load('page'))!;
    expect(draft.running).to.deep.equal([1, 3]);
    // No kernel yet: the notebook's will be Python in the browser, started with this page.
    expect(store.restoredMessage(draft, undefined, 'page')).to.match(/^Restored your unsaved edits from .*\. Cells 2, 4 were running when the page closed[^]*Python started afresh/);
    // A server kernel the page gave may have outlived the page that ran them (it is never started here).
    const serverKernel = new RemoteKernel({ server: { baseUrl: 'http://127.0.0.1:9/' } });
    expect(store.restoredMessage(draft, serverKernel, 'page')).to.match(/Cells 2, 4 were running[^]*the kernel may still be running them, or have finished/);

    await store.save('page', newNotebook());
    const idle = (await store.load('page'))!;
    expect(idle.running, 'a draft saved with nothing running').to.equal(undefined);
    expect(store.restoredMessage(idle, undefined, 'page')).not.to.match(/running/);
  });

  it('says a run may have gone on when the notebook attaches to the server kernel this tab had', async () => {
    const store = new DraftStore(dbName);
    const notebook = newNotebook();
    notebook.metadata.kernelspec = { name: 'python3', display_name: 'Python 3', language: 'python' };
    await store.save('page', notebook, [0]);
    const draft = (await store.load('page'))!;
    try {
      rememberKernel('page', { url: 'http://127.0.0.1:9/', name: 'python3', id: 'a-kernel-id' });
      expect(store.restoredMessage(draft, undefined, 'page')).to.match(/Cell 1 was running[^]*the kernel may still be running it/);
      // Another notebook's kernel, or one of another kernelspec, is not this one's.
      expect(store.restoredMessage(draft, undefined, 'other page')).to.match(/Python started afresh/);
      rememberKernel('page', { url: 'http://127.0.0.1:9/', name: 'ir', id: 'a-kernel-id' });
      expect(store.restoredMessage(draft, undefined, 'page')).to.match(/Python started afresh/);
      rememberKernel('page');
      expect(store.restoredMessage(draft, undefined, 'page')).to.match(/Python started afresh/);
    } finally {
      rememberKernel('page');
    }
  });

  it('uses the drafts store of the named database', async () => {
    const store = new DraftStore(dbName);
    await store.save('page', newNotebook());
    const db = await promised(indexedDB.open(dbName));
    try {
      expect([...db.objectStoreNames]).to.deep.equal(['drafts']);
      const record = await promised(db.transaction('drafts').objectStore('drafts').get('page'));
      expect(record).to.have.keys('notebook', 'savedAt');
    } finally {
      db.close();
    }
  });

  it('adds its store to a database other code created at a higher version', async () => {
    const other = await openAsOtherCode(dbName, 7, ['other']);
    other.close();
    const store = new DraftStore(dbName);
    await store.save('page', newNotebook());
    expect(await store.keys()).to.deep.equal(['page']);
    const db = await promised(indexedDB.open(dbName));
    expect(db.version).to.equal(8);
    expect([...db.objectStoreNames].sort()).to.deep.equal(['drafts', 'other']);
    db.close();
  });

  it('never blocks another tab from deleting or upgrading the database, and reopens afterwards', async () => {
    const store = new DraftStore(dbName);
    await store.save('page', newNotebook());
    await deleteDatabase(dbName);
    expect(await store.load('page')).to.equal(undefined);
    await store.save('page', newNotebook());
    expect(await store.keys()).to.deep.equal(['page']);
  });

  it('rejects with StorageUnavailableError, instead of waiting, when another connection blocks its upgrade', async () => {
    // An older tab holds the database open at version 1 without the drafts store and ignores versionchange.
    const holder = await openAsOtherCode(dbName, 1);
    const store = new DraftStore(dbName);
    const error = await rejection(store.save('page', newNotebook()));
    expect(error).to.be.instanceOf(StorageUnavailableError);
    expect((error as StorageUnavailableError).reason).to.equal('blocked');
    expect((error as Error).message).to.match(/^Autosave is off: another tab .*Save the notebook to a file to keep your work\.$/);
    // Further calls fail at once too, rather than queueing behind the blocked upgrade.
    const again = await rejection(store.keys());
    expect(again).to.be.instanceOf(StorageUnavailableError);
    expect((again as StorageUnavailableError).reason).to.equal('blocked');

    holder.close();
    // Opens are answered in order: once this one is, the upgrade that was blocked has gone through.
    (await promised(indexedDB.open(dbName))).close();
    await store.save('page', newNotebook());
    expect(await store.keys()).to.deep.equal(['page']);
  });

  it('rejects with StorageUnavailableError where the browser denies storage (a sandboxed frame)', async () => {
    // The module as the test server builds it, run in a frame whose opaque origin may not use IndexedDB. Its one
    // import, the remembered server kernel (itself import-free), runs inline before it.
    const source = async (path: string) => (await fetch(new URL(path, import.meta.url))).text();
    const [remembered, autosave] = await Promise.all([source('../../src/kernel/remembered.ts'), source('../../src/notebook/autosave.ts')]);
    expect(remembered).not.to.match(/^\s*import\s/m);
    expect(autosave.match(/^\s*import\s.*$/gm)).to.deep.equal([`import { inBrowser, rememberedKernel } from "./../kernel/remembered.ts";`]);
    const module = `${remembered}\n${autosave.replace(/^\s*import\s.*$/m, '')}`;
    const frame = document.createElement('iframe');
    frame.sandbox.add('allow-scripts');
    frame.srcdoc = `<script type="module">${module}
      const store = new DraftStore('bento-lite');
      const results = [];
      for (const attempt of [() => store.save('page', { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }), () => store.load('page')]) {
        try { await attempt(); results.push({ ok: true }); }
        catch (error) { results.push({ name: error.name, reason: error.reason, message: error.message, isClass: error instanceof StorageUnavailableError }); }
      }
      parent.postMessage(results, '*');
    </script>`;
    const answer = new Promise<any[]>((resolve) => {
      window.addEventListener('message', function listen(event) {
        if (event.source !== frame.contentWindow) return;
        window.removeEventListener('message', listen);
        resolve(event.data);
      });
    });
    document.body.append(frame);
    try {
      const results = await answer;
      expect(results).to.have.length(2);
      for (const result of results) {
        expect(result).to.deep.equal({
          name: 'StorageUnavailableError',
          reason: 'denied',
          message: 'Autosave is off: this browser blocks local storage for this page. Save the notebook to a file to keep your work.',
          isClass: true,
        });
      }
    } finally {
      frame.remove();
    }
  });
});
