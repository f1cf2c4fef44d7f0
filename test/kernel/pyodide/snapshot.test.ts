import { expect } from '@open-wc/testing';
import type { KernelStatusChange } from '../../../src/kernel/kernel.ts';
import { PyodideKernel } from '../../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime, PYODIDE_VERSION, type PyodideRuntimeOptions, type RuntimeBootInfo } from '../../../src/kernel/pyodide/runtime.ts';
import { checksum, decodeEntryHead, encodeEntry, SNAPSHOT_DIRECTORY, snapshotFileName } from '../../../src/kernel/pyodide/snapshot-cache.ts';
import type { SnapshotKey } from '../../../src/kernel/pyodide/worker-api.ts';
import { holdFileExclusively, isolated, run, testRuntimeOptions } from '../../helpers.ts';

// Origin-private storage outlives this page: other test files of the run share it. Every test here starts from
// an empty cache, and the last one leaves it empty, so no file depends on the order files run in.

interface Started {
  runtime: PyodideRuntime;
  kernel: PyodideKernel;
  info: RuntimeBootInfo;
  progress: Array<{ phase: string; fraction: number }>;
}

function resultText(r: Awaited<ReturnType<typeof run>>): string | undefined {
  return r.outputs.find(([t]) => t === 'execute_result')?.[1].data['text/plain'];
}

function errorOf(r: Awaited<ReturnType<typeof run>>) {
  return r.outputs.find(([t]) => t === 'error')?.[1];
}

async function snapshotDirectory(): Promise<FileSystemDirectoryHandle | undefined> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(SNAPSHOT_DIRECTORY).catch(() => undefined);
}

/** The names of the stored entries. */
async function entries(): Promise<string[]> {
  const names: string[] = [];
  for await (const name of (await snapshotDirectory())?.keys() ?? []) names.push(name);
  return names;
}

async function readEntry(key: SnapshotKey): Promise<Uint8Array<ArrayBuffer>> {
  const handle = await (await snapshotDirectory())!.getFileHandle(snapshotFileName(key));
  return new Uint8Array(await (await handle.getFile()).arrayBuffer());
}

async function writeEntry(key: SnapshotKey, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
  const handle = await (await snapshotDirectory())!.getFileHandle(snapshotFileName(key), { create: true });
  const writable = await handle.createWritable();
  await writable.write(bytes);
  await writable.close();
}

/** An entry's metadata and its snapshot bytes (a copy). */
function splitEntry(entry: Uint8Array) {
  const { metadata, offset } = decodeEntryHead(entry)!;
  return { metadata, snapshot: entry.slice(offset) };
}

describe('snapshot checksum', () => {
  const bytes = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24);
  const sum = checksum(bytes);

  it('is 128 bits, the same for the same bytes wherever they sit in memory', () => {
    expect(sum).to.match(/^[0-9a-f]{32}$/);
    expect(checksum(bytes.slice())).to.equal(sum);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(checksum(shifted.subarray(1))).to.equal(sum);
  });

  it('changes with any flipped bit, a cut, an extra zero, or swapped words', () => {
    const variants: Uint8Array[] = [bytes.subarray(0, bytes.length - 1), bytes.subarray(0, bytes.length - 4), new Uint8Array([...bytes, 0])];
    for (const at of [0, 3, 4, 15, 16, 1 << 19, bytes.length - 1]) {
      for (const bit of [0, 7]) {
        const flipped = bytes.slice();
        flipped[at] ^= 1 << bit;
        variants.push(flipped);
      }
    }
    for (const [a, b] of [[0, 4], [0, 16], [4, 8]]) {
      const swapped = bytes.slice();
      swapped.set(bytes.subarray(a, a + 4), b);
      swapped.set(bytes.subarray(b, b + 4), a);
      variants.push(swapped);
    }
    const sums = variants.map(checksum);
    expect(sums).to.not.include(sum);
    expect(new Set(sums).size).to.equal(sums.length);
  });
});

describe('Pyodide memory snapshot cache', () => {
  const running: PyodideRuntime[] = [];

  async function start(options: PyodideRuntimeOptions = {}): Promise<Started> {
    const runtime = new PyodideRuntime(testRuntimeOptions(options));
    running.push(runtime);
    const kernel = new PyodideKernel({ runtime });
    const progress: Started['progress'] = [];
    kernel.onStartupProgress((p) => progress.push(p));
    await kernel.ready();
    return { runtime, kernel, info: runtime.bootInfo!, progress };
  }

  /** Starts a runtime that makes a snapshot and waits until it is stored; returns its key. */
  async function seed(): Promise<SnapshotKey> {
    const { runtime, info } = await start();
    expect(info.source).to.equal('made');
    expect((await runtime.snapshotSaved()).saved).to.be.true;
    runtime.terminate();
    return info.snapshotKey!;
  }

  beforeEach(() => PyodideRuntime.clearSnapshotCache());
  afterEach(async () => {
    for (const runtime of running.splice(0)) {
      // A snapshot still being stored would land in the cache after it was cleared.
      if (runtime.bootInfo?.source === 'made') await runtime.snapshotSaved().catch(() => {});
      runtime.terminate();
    }
    await PyodideRuntime.clearSnapshotCache();
  });

  it('makes a snapshot on a cold start, stores it after ready, and the next runtime restores it with fresh state', async () => {
    const first = await start();
    expect(first.info.source).to.equal('made');
    expect(first.info.fallbackReason).to.match(/no snapshot is cached/);
    const key = first.info.snapshotKey!;
    expect(key.pyodideVersion).to.equal(PYODIDE_VERSION);
    expect(key.buildId).to.match(/^[0-9a-f]{64}$/);
    expect(key.kernelHash).to.match(/^[0-9a-f]{64}$/);
    expect(key.indexURL).to.equal(new URL('/dist/pyodide/', location.href).href);
    expect(key.utcOffsets).to.match(/^-?\d+,-?\d+$/);
    expect(first.info.snapshotBytes).to.be.greaterThan(1_000_000);
    expect(resultText(await run(first.kernel, 'leaked = 41\nleaked + 1'))).to.equal('42');
    const saved = await first.runtime.snapshotSaved();
    expect(saved.saved).to.be.true;
    expect(saved.bytes).to.be.greaterThan(1_000_000);
    expect(await entries()).to.deep.equal([snapshotFileName(key)]);

    const second = await start();
    expect(second.info.source).to.equal('restored');
    expect(second.info.fallbackReason).to.be.undefined;
    expect(second.info.snapshotKey).to.deep.equal(key);
    expect(second.info.snapshotBytes).to.equal(saved.bytes);
    const leaked = await run(second.kernel, 'leaked');
    expect(errorOf(leaked)?.ename).to.equal('NameError');
    expect(leaked.reply.content.execution_count).to.equal(1);
    const r = await run(second.kernel, 'import sys\nprint("from a snapshot")\nsorted(m for m in ("bento_kernel", "bento_table") if m in sys.modules)');
    expect(r.stdout).to.equal('from a snapshot\n');
    expect(resultText(r)).to.equal("['bento_kernel', 'bento_table']");
    expect((await second.runtime.snapshotSaved()).saved).to.be.false;

    // Progress reports the same phases on both paths, in order, ending at 1.
    for (const { progress } of [first, second]) {
      expect([...new Set(progress.map((p) => p.phase))]).to.deep.equal(['download', 'compile', 'boot', 'ready']);
      const fractions = progress.map((p) => p.fraction);
      expect(fractions).to.deep.equal([...fractions].sort((a, b) => a - b));
      expect(fractions.at(-1)).to.equal(1);
    }
  });

  it('boots from the standard library with bytecode, and a restore from the plain one reads its own zip', async () => {
    // dist/pyodide, where the tests' runtimes find Pyodide, has the boot zip (scripts/stdlib-bytecode.mjs).
    // What Python imported from where; its directory of the zip; a traceback and a source through modules of the
    // boot (json, asyncio), and one imported now (calendar), each read from the zip's sources.
    const probe = [
      'import asyncio, inspect, json, sys, traceback, zipimport',
      'toc = zipimport._zip_directory_cache[next(p for p in sys.path if p.endswith(".zip"))]',
      'try:',
      '    json.loads("{")',
      'except ValueError as e:',
      '    frames = [f for f in traceback.extract_tb(e.__traceback__) if ".zip/" in f.filename]',
      'import calendar',
      'boot_kind = asyncio.__spec__.origin.rsplit(".", 1)[1]',
      'bytecode_listed = sum(n.endswith(".pyc") for n in toc) > 100',
      'traced = any(f.filename.endswith("json/decoder.py") for f in frames) and all(f.line for f in frames)',
      'boot_source = "def sleep" in inspect.getsource(asyncio.sleep)',
      'later_kind = calendar.__spec__.origin.rsplit(".", 1)[1]',
      'later_source = "class Calendar" in inspect.getsource(calendar)',
      '(boot_kind, bytecode_listed, traced, boot_source, later_kind, later_source)',
    ].join('\n');
    const made = await start();
    expect(made.info.source).to.equal('made');
    // The runtime that made the snapshot imported its modules' bytecode, and still has the bytecode's entries after
    // the snapshot; a module the boot did not import (calendar) has none, and compiles from its source as before.
    expect(resultText(await run(made.kernel, probe))).to.equal("('pyc', True, True, True, 'py', True)");
    // The kernel's own modules found their bytecode where the import looks for it: "checked" (flags 3), and
    // compiled from exactly the source the worker wrote, so the import took it rather than compiling again.
    const kernelBytecode = [
      'import importlib.util',
      'names = ("bento_kernel", "bento_ipython", "bento_pretty", "bento_table")',
      'def state(name):',
      '    path = f"/bento/{name}.py"',
      '    with open(importlib.util.cache_from_source(path), "rb") as f:',
      '        pyc = f.read()',
      '    with open(path, "rb") as f:',
      '        source = f.read()',
      '    return int.from_bytes(pyc[4:8], "little"), pyc[8:16] == importlib.util.source_hash(source)',
      '[state(name) for name in names]',
    ].join('\n');
    expect(resultText(await run(made.kernel, kernelBytecode))).to.equal('[(3, True), (3, True), (3, True), (3, True)]');
    // The snapshot records the size of the plain zip a restore will mount, read from the boot zip's comment, and a
    // restore that finds another zip refuses it: here the mounted zip is the boot zip itself.
    const plainBytes = (await (await fetch('/dist/pyodide/python_stdlib.zip')).arrayBuffer()).byteLength;
    const refusal = await run(made.kernel, 'import bento_kernel\nprint(bento_kernel._PLAIN_STDLIB_BYTES)\nbento_kernel.after_restore()');
    expect(refusal.stdout).to.equal(`${plainBytes}\n`);
    expect(errorOf(refusal)?.evalue).to.match(new RegExp(`^the standard library served \\(\\d+ bytes\\) is not the one the snapshot was made with \\(${plainBytes}\\)$`));
    expect((await made.runtime.snapshotSaved()).saved).to.be.true;

    const restored = await start();
    expect(restored.info.source).to.equal('restored');
    // Restored, Python's directory is the plain zip's: no bytecode entries, and a module imported now is found
    // and compiled from its source at the offsets the snapshot's directory gives.
    expect(resultText(await run(restored.kernel, probe))).to.equal("('pyc', False, True, True, 'py', True)");
    // The whole plain directory reads right: every module of the zip is still found where the directory says.
    const everyModule = await run(
      restored.kernel,
      'import zipimport, sys\narchive = next(p for p in sys.path if p.endswith(".zip"))\n' +
        'fresh = zipimport._read_directory(archive)\n' +
        '{n: e[1:] for n, e in zipimport._zip_directory_cache[archive].items()} == {n: e[1:] for n, e in fresh.items()}',
    );
    expect(resultText(everyModule)).to.equal('True');
  });

  it('boots from the plain standard library where the host serves no boot zip (Pyodide\'s own folder)', async () => {
    // Pyodide's own folder, as the npm package (or its CDN) has it: no boot zip there, so one 404 is expected.
    const { kernel, info } = await start({ indexURL: '/node_modules/pyodide/', snapshot: false });
    expect(info.source).to.equal('plain');
    expect(resultText(await run(kernel, 'import asyncio\nasyncio.__spec__.origin.rsplit("/", 1)[1]'))).to.equal("'__init__.py'");
    // With no boot zip, the plain zip a restore would mount is the one this start ran from.
    const plainBytes = (await (await fetch('/node_modules/pyodide/python_stdlib.zip')).arrayBuffer()).byteLength;
    expect(resultText(await run(kernel, 'import bento_kernel\nbento_kernel._PLAIN_STDLIB_BYTES'))).to.equal(String(plainBytes));
  });

  it('serves JavaScript objects alike from the runtime that made the snapshot and from one restored from it', async () => {
    // Pyodide records the paths to JavaScript objects while it can make a snapshot, by showing Python the globals
    // through a proxy; the runtime that made the snapshot must not go on seeing proxies.
    const code =
      'import js\njs.eval("globalThis.probe = new Uint8Array([1, 2, 3])")\n' +
      '(js.ArrayBuffer.isView(js.probe), js.structuredClone(js.probe).length, js.probe.to_py().tolist(), js.probe.constructor == js.Uint8Array)';
    const made = await start();
    expect(made.info.source).to.equal('made');
    expect(resultText(await run(made.kernel, code))).to.equal('(True, 3, [1, 2, 3], True)');
    expect((await made.runtime.snapshotSaved()).saved).to.be.true;
    const restored = await start();
    expect(restored.info.source).to.equal('restored');
    expect(resultText(await run(restored.kernel, code))).to.equal('(True, 3, [1, 2, 3], True)');
  });

  it('restores two runtimes starting at once, and reseeds random in each', async () => {
    await seed();
    // As two tabs would: the entry is read by both, one of them possibly while the other holds its sync handle.
    const [a, b] = await Promise.all([start(), start()]);
    expect([a.info.source, b.info.source]).to.deep.equal(['restored', 'restored']);
    // `random` is imported (and seeded) before the snapshot is taken.
    for (const code of ['import random\nrandom.random()', 'import random\nrandom.getrandbits(64)', 'import tempfile\nnext(tempfile._get_candidate_names())']) {
      const [fromA, fromB] = [resultText(await run(a.kernel, code)), resultText(await run(b.kernel, code))];
      expect(fromA).to.be.a('string');
      expect(fromA, code).to.not.equal(fromB);
    }
  });

  it('falls back to a normal boot when the stored bytes are corrupt, and replaces the entry', async () => {
    const key = await seed();
    const entry = await readEntry(key);
    entry[entry.length >> 1] ^= 0xff;
    await writeEntry(key, entry);

    const corrupt = await start();
    expect(corrupt.info.source).to.equal('made');
    expect(corrupt.info.fallbackReason).to.match(/corrupt/);
    expect(resultText(await run(corrupt.kernel, '6 * 7'))).to.equal('42');
    const saved = await corrupt.runtime.snapshotSaved();
    expect(saved.saved).to.be.true;
    const replaced = splitEntry(await readEntry(key));
    expect(checksum(replaced.snapshot)).to.equal(saved.checksum);
    expect(replaced.metadata.checksum).to.equal(saved.checksum);

    expect((await start()).info.source).to.equal('restored');
  });

  it('falls back when the entry is cut short, and replaces it', async () => {
    const key = await seed();
    await writeEntry(key, (await readEntry(key)).slice(0, -4096));

    const cut = await start();
    expect(cut.info.source).to.equal('made');
    expect(cut.info.fallbackReason).to.match(/corrupt \(it is \d+ bytes, not the \d+ stored\)/);
    expect((await cut.runtime.snapshotSaved()).saved).to.be.true;
    expect((await start()).info.source).to.equal('restored');
  });

  it('falls back when a restore throws (intact entry, bytes Pyodide refuses), and replaces the entry', async () => {
    const key = await seed();
    const { metadata, snapshot } = splitEntry(await readEntry(key));
    snapshot.fill(0, 0, 4); // Pyodide's magic number
    await writeEntry(key, encodeEntry({ ...metadata, checksum: checksum(snapshot) }, snapshot));

    const refused = await start();
    expect(refused.info.source).to.equal('made');
    expect(refused.info.fallbackReason).to.match(/not restored \(.*magic/);
    expect(resultText(await run(refused.kernel, '6 * 7'))).to.equal('42');
    expect((await refused.runtime.snapshotSaved()).saved).to.be.true;
    expect((await start()).info.source).to.equal('restored');
  });

  it('never uses an entry stored under another build', async () => {
    const key = await seed();
    const { metadata, snapshot } = splitEntry(await readEntry(key));
    const otherBuild: SnapshotKey = { ...key, buildId: '0'.repeat(64) };
    await writeEntry(otherBuild, encodeEntry({ ...metadata, buildId: otherBuild.buildId }, snapshot));
    await (await snapshotDirectory())!.removeEntry(snapshotFileName(key));

    const started = await start();
    expect(started.info.source).to.equal('made');
    expect(started.info.fallbackReason).to.match(/another Pyodide build/);
    expect((await started.runtime.snapshotSaved()).saved).to.be.true;
    // The new snapshot replaced the other build's.
    expect(await entries()).to.deep.equal([snapshotFileName(key)]);
  });

  it('deletes an entry whose metadata does not match its name, and boots normally', async () => {
    const key = await seed();
    const { metadata, snapshot } = splitEntry(await readEntry(key));
    await writeEntry(key, encodeEntry({ ...metadata, kernelHash: 'f'.repeat(64) }, snapshot));

    const started = await start();
    expect(started.info.source).to.equal('made');
    expect(started.info.fallbackReason).to.match(/mismatched metadata and was deleted/);
    expect((await started.runtime.snapshotSaved()).saved).to.be.true;
    expect(splitEntry(await readEntry(key)).metadata.kernelHash).to.equal(key.kernelHash);
  });

  it('clearSnapshotCache() empties the cache, and the next runtime boots normally', async () => {
    // Earlier versions kept snapshots in Cache Storage: clearing removes those tens of MB too.
    await (await caches.open('bento-lite-pyodide-snapshots')).put('https://snapshots.bento-lite.invalid/v2/old', new Response('old'));
    await seed();
    expect(await entries()).to.have.length(1);
    await PyodideRuntime.clearSnapshotCache();
    expect(await snapshotDirectory()).to.be.undefined;
    expect(await caches.has('bento-lite-pyodide-snapshots')).to.be.false;
    expect((await start()).info.source).to.equal('made');
  });

  it('with snapshot: false never reads or writes the cache', async () => {
    const plain = await start({ snapshot: false });
    expect(plain.info.source).to.equal('plain');
    expect(plain.info.fallbackReason).to.match(/snapshot: false/);
    expect(plain.info.snapshotKey).to.be.undefined;
    expect(resultText(await run(plain.kernel, '6 * 7'))).to.equal('42');
    expect((await plain.runtime.snapshotSaved()).saved).to.be.false;
    expect(await snapshotDirectory()).to.be.undefined;

    const key = await seed();
    const before = splitEntry(await readEntry(key)).metadata;
    const stillPlain = await start({ snapshot: false });
    expect(stillPlain.info.source).to.equal('plain');
    expect(resultText(await run(stillPlain.kernel, '6 * 7'))).to.equal('42');
    expect(splitEntry(await readEntry(key)).metadata).to.deep.equal(before);
  });

  it('restores while another worker holds the entry open through a sync access handle', async () => {
    const key = await seed();
    // Another worker opens the entry exclusively (as a runtime reading it does) and holds it.
    const holder = await holdFileExclusively(SNAPSHOT_DIRECTORY, snapshotFileName(key));
    try {
      const started = await start();
      expect(started.info.source, started.info.fallbackReason).to.equal('restored');
    } finally {
      await holder.release();
    }
  });

  it('restores in a SharedWorker too, where files are read without a sync access handle', async () => {
    await seed();
    const shared = await start({ mode: 'shared-worker', sharedWorkerName: `bento-snapshot-test-${crypto.randomUUID()}` });
    expect(shared.info.source).to.equal('restored');
    expect(resultText(await run(shared.kernel, 'import sys\n"bento_kernel" in sys.modules'))).to.equal('True');
  });

  it('interrupts a computing cell after a restore', async () => {
    await seed();
    const { runtime, kernel, info } = await start();
    expect(info.source).to.equal('restored');
    await run(kernel, 'kept = "yes"');
    let started!: () => void;
    const printed = new Promise<void>((resolve) => (started = resolve));
    const loop = run(kernel, 'print("looping")\nwhile True:\n    pass', {
      onIOPub: (m) => m.header.msg_type === 'stream' && started(),
    });
    await printed;
    await kernel.interrupt();
    expect(errorOf(await loop)?.ename).to.equal('KeyboardInterrupt');
    if (isolated) {
      // SharedArrayBuffer interrupt, re-attached after the restore: Python stops in place and keeps its state.
      expect(resultText(await run(kernel, 'kept'))).to.equal("'yes'");
    } else {
      // The worker was replaced; its successor restored from the snapshot too.
      expect(errorOf(await run(kernel, 'kept'))?.ename).to.equal('NameError');
      expect(runtime.bootInfo!.source).to.equal('restored');
    }
  });

  it('restarts from the snapshot when a cell does not stop on interrupt, tells the user, and runs the next cell', async () => {
    await seed();
    const { runtime, kernel, info } = await start();
    expect(info.source).to.equal('restored');
    await run(kernel, 'kept = "yes"');
    const changes: KernelStatusChange[] = [];
    kernel.onStatusChange((c) => changes.push(c));
    let started!: () => void;
    const printed = new Promise<void>((resolve) => (started = resolve));
    // sum() over an endless iterator loops in C and never checks for signals: SIGINT does not stop it.
    const stuck = run(kernel, 'import itertools\nprint("stuck")\nsum(itertools.repeat(0))', {
      onIOPub: (m) => m.header.msg_type === 'stream' && started(),
    });
    await printed;
    await kernel.interrupt();
    const error = errorOf(await stuck);
    expect(error?.ename).to.equal('KeyboardInterrupt');
    expect(error?.evalue).to.match(/restarted to stop a running cell/);
    const lost = changes.find((c) => c.stateLost)!;
    expect(lost.message).to.match(isolated ? /did not stop within 2 s of the interrupt/ : /not cross-origin isolated/);
    expect(lost.message).to.match(/lost/);
    expect(resultText(await run(kernel, '6 * 7'))).to.equal('42');
    expect(errorOf(await run(kernel, 'kept'))?.ename).to.equal('NameError');
    expect(runtime.bootInfo!.source).to.equal('restored');
  });

  it('answers input() after a restore, and interrupts a cell waiting for it', async () => {
    await seed();
    const { kernel, info } = await start();
    expect(info.source).to.equal('restored');
    const requests: string[] = [];
    const answered = await run(kernel, 'name = input("Name? ")\nf"hello, {name}"', {
      onInput: ({ prompt }) => {
        requests.push(prompt);
        return 'Ada';
      },
    });
    expect(requests).to.deep.equal(['Name? ']);
    expect(resultText(answered)).to.equal("'hello, Ada'");
    const waiting = await run(kernel, 'input("never answered: ")', {
      onInput: () => {
        void kernel.interrupt();
        return new Promise<string>(() => {});
      },
    });
    expect(errorOf(waiting)?.ename).to.equal('KeyboardInterrupt');
    expect(resultText(await run(kernel, 'name'))).to.equal("'Ada'");
  });
});
