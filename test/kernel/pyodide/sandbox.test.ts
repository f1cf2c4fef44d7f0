import { expect } from '@open-wc/testing';
import { ColumnTable } from '../../../src/data/table.ts';
import type { KernelStatusChange } from '../../../src/kernel/kernel.ts';
import { PyodideKernel } from '../../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../../src/kernel/pyodide/runtime.ts';
import { isolated, run, statusBecomes, testRuntimeOptions } from '../../helpers.ts';

function resultText(r: Awaited<ReturnType<typeof run>>): string | undefined {
  return r.outputs.find(([t]) => t === 'execute_result')?.[1].data['text/plain'];
}

function errorOf(r: Awaited<ReturnType<typeof run>>) {
  return r.outputs.find(([t]) => t === 'error')?.[1];
}

const DATABASE = 'bento-sandbox-test';
const SECRET = `secret-${crypto.randomUUID()}`;

/** The page stores SECRET in each kind of storage of its origin a worker could reach. */
async function storeSecretInPageStorage(): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(DATABASE, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('kept');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  await new Promise<void>((resolve, reject) => {
    const put = db.transaction('kept', 'readwrite').objectStore('kept').put(SECRET, 'secret');
    put.onsuccess = () => resolve();
    put.onerror = () => reject(put.error);
  });
  db.close();
  await (await caches.open(DATABASE)).put('/bento-sandbox-secret', new Response(SECRET));
  const file = await (await navigator.storage.getDirectory()).getFileHandle(`${DATABASE}.txt`, { create: true });
  const writable = await file.createWritable();
  await writable.write(SECRET);
  await writable.close();
}

/** Python that tries the page origin's IndexedDB, Cache Storage and origin-private file system, and prints what it got. */
const READ_STORAGE = `
import js
from pyodide.ffi import to_js
async def attempt(read):
    try:
        return str(await read())
    except Exception as error:
        return 'refused: ' + type(error).__name__ + ' ' + str(error).split(chr(10))[0][:80]

async def read_indexeddb():
    import asyncio
    request = js.indexedDB.open(${JSON.stringify(DATABASE)})
    done = asyncio.get_running_loop().create_future()
    request.onsuccess = lambda event: done.set_result(request.result)
    request.onerror = lambda event: done.set_exception(RuntimeError(str(request.error)))
    db = await done
    read = db.transaction('kept').objectStore('kept').get('secret')
    value = asyncio.get_running_loop().create_future()
    read.onsuccess = lambda event: value.set_result(read.result)
    return await value

async def read_cache():
    response = await js.caches.match('/bento-sandbox-secret')
    return await response.text()

async def read_opfs():
    root = await js.navigator.storage.getDirectory()
    handle = await root.getFileHandle(${JSON.stringify(`${DATABASE}.txt`)})
    return await (await handle.getFile()).text()

print('indexeddb', await attempt(read_indexeddb))
print('cache', await attempt(read_cache))
print('opfs', await attempt(read_opfs))
print('origin', js.self.origin)
`;

/** Python that fetches the echo endpoint on the page's own origin, plainly and with credentials 'include'. */
function fetchCookies(): string {
  const url = new URL('/echo-cookies', location.href).href;
  return `
import js, json
from pyodide.ffi import to_js
plain = json.loads(await (await js.fetch(${JSON.stringify(url)})).text())['cookie']
included = json.loads(await (await js.fetch(${JSON.stringify(url)}, to_js({'credentials': 'include'}, dict_converter=js.Object.fromEntries))).text())['cookie']
print('plain', plain)
print('include', included)
`;
}

function lineOf(stdout: string, name: string): string {
  return stdout.split('\n').find((line) => line.startsWith(`${name} `))!.slice(name.length + 1);
}

describe("Pyodide runtime with isolation: 'sandbox'", () => {
  const sandboxed = new PyodideRuntime(testRuntimeOptions({ isolation: 'sandbox' }));
  const normal = new PyodideRuntime(testRuntimeOptions());
  before(async () => {
    await storeSecretInPageStorage();
    document.cookie = 'bento_sandbox_lax=visible-to-same-origin; path=/';
    document.cookie = 'bento_sandbox_none=sent-cross-site; path=/; SameSite=None; Secure';
  });
  after(async () => {
    sandboxed.terminate();
    normal.terminate();
    indexedDB.deleteDatabase(DATABASE);
    await caches.delete(DATABASE);
    await (await navigator.storage.getDirectory()).removeEntry(`${DATABASE}.txt`).catch(() => {});
    document.cookie = 'bento_sandbox_lax=; path=/; max-age=0';
    document.cookie = 'bento_sandbox_none=; path=/; max-age=0; SameSite=None; Secure';
  });

  it("runs cells, and starts from a memory snapshot that the page keeps in its own storage", async () => {
    const kernel = new PyodideKernel({ runtime: sandboxed });
    expect(resultText(await run(kernel, 'import sys\nsys.version_info[0] * 10 + 2'))).to.equal('32');
    expect(document.querySelectorAll('iframe[sandbox="allow-scripts"]')).to.have.length(1);
    // Made at this boot and stored by the page, or restored from one an earlier runtime of this origin stored.
    expect(sandboxed.bootInfo!.source).to.be.oneOf(['made', 'restored']);
    await sandboxed.snapshotSaved();
    const next = new PyodideRuntime(testRuntimeOptions({ isolation: 'sandbox' }));
    try {
      expect(resultText(await run(new PyodideKernel({ runtime: next }), '6 * 7'))).to.equal('42');
      expect(next.bootInfo!.source, next.bootInfo!.fallbackReason).to.equal('restored');
    } finally {
      next.terminate();
    }
    const off = new PyodideRuntime(testRuntimeOptions({ isolation: 'sandbox', snapshot: false }));
    try {
      await off.start();
      expect(off.bootInfo!.source).to.equal('plain');
    } finally {
      off.terminate();
    }
  });

  it("cannot read the page origin's IndexedDB, Cache Storage or origin-private files, which a normal kernel can", async () => {
    const inSandbox = (await run(new PyodideKernel({ runtime: sandboxed }), READ_STORAGE)).stdout;
    const inPage = (await run(new PyodideKernel({ runtime: normal }), READ_STORAGE)).stdout;
    expect(lineOf(inPage, 'indexeddb')).to.equal(SECRET);
    expect(lineOf(inPage, 'cache')).to.equal(SECRET);
    expect(lineOf(inPage, 'opfs')).to.equal(SECRET);
    expect(lineOf(inPage, 'origin')).to.equal(location.origin);
    for (const store of ['indexeddb', 'cache', 'opfs']) expect(lineOf(inSandbox, store)).to.match(/^refused: /);
    expect(inSandbox).not.to.contain(SECRET);
    expect(lineOf(inSandbox, 'origin')).to.equal('null');
  });

  it("sends none of the page's cookies with a fetch to the page's own origin, not even with credentials 'include'", async () => {
    const inPage = (await run(new PyodideKernel({ runtime: normal }), fetchCookies())).stdout;
    expect(lineOf(inPage, 'plain')).to.contain('bento_sandbox_lax=visible-to-same-origin');
    expect(lineOf(inPage, 'plain')).to.contain('bento_sandbox_none=sent-cross-site');
    const r = await run(new PyodideKernel({ runtime: sandboxed }), fetchCookies());
    expect(errorOf(r)).to.equal(undefined);
    expect(lineOf(r.stdout, 'plain')).to.equal('');
    expect(lineOf(r.stdout, 'include')).to.equal('');
  });

  it('binds an injected table, as a connector does', async () => {
    const kernel = new PyodideKernel({ runtime: sandboxed });
    const table = ColumnTable.fromArrays([
      { name: 'id', type: 'int64', values: [1n, 2n, 3n] },
      { name: 'name', type: 'string', values: ['a', null, 'c'] },
    ]);
    await kernel.inject('t', table);
    expect(resultText(await run(kernel, 'len(t), list(t["name"]), sum(t["id"])'))).to.equal("(3, ['a', None, 'c'], 6)");
    const back = await kernel.extract('t');
    expect(back.value(2, 1)).to.equal('c');
  });

  it(isolated ? 'interrupts a loop in place, keeping variables' : 'interrupts a loop by a fresh runtime, saying state was lost', async () => {
    const kernel = new PyodideKernel({ runtime: sandboxed });
    await run(kernel, 'kept = "yes"');
    const changes: KernelStatusChange[] = [];
    kernel.onStatusChange((c) => changes.push(c));
    const r = await run(kernel, 'print("looping")\nwhile True:\n    pass', {
      onIOPub: (m) => {
        if (m.header.msg_type === 'stream') void kernel.interrupt();
      },
    });
    expect(errorOf(r)?.ename).to.equal('KeyboardInterrupt');
    if (isolated) {
      expect(resultText(await run(kernel, 'kept'))).to.equal("'yes'");
      expect(changes.filter((c) => c.stateLost)).to.have.length(0);
    } else {
      expect(changes.find((c) => c.stateLost)?.message).to.match(/lost/);
      expect(errorOf(await run(kernel, 'kept'))?.ename).to.equal('NameError');
    }
    // The replaced runtime's frame is gone with it.
    expect(document.querySelectorAll('iframe[sandbox="allow-scripts"]')).to.have.length(1);
  });

  it('turns a sandboxed worker that ends into a dead status (its watchdog stops), and the next run starts fresh', async () => {
    const kernel = new PyodideKernel({ runtime: sandboxed });
    await run(kernel, 'x = 1');
    const dead = statusBecomes(kernel, (s) => s === 'dead');
    const r = await run(kernel, 'import js, asyncio\njs.close()\nwhile True: await asyncio.sleep(0.01)');
    await dead;
    expect(errorOf(r)?.ename).to.equal('DeadKernelError');
    expect(errorOf(r)?.evalue).to.match(/stopped unexpectedly/);
    expect(resultText(await run(kernel, 'x = 2\nx'))).to.equal('2');
  });

  it('leaves a runtime without the option in the page origin, and adds no frame', () => {
    expect(normal.options.isolation).to.equal('none');
    expect(normal.bootInfo!.lockName).to.match(/^bento-runtime-/);
    expect(sandboxed.bootInfo!.lockName).to.equal('');
  });
});
