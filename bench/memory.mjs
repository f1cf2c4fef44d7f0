// 6. Memory: five notebooks on one page sharing the runtime, against one notebook, and against five notebooks
// with a runtime each. What is counted is what the operating system gives the page: the private memory (USS:
// private clean + dirty pages, from /proc/<pid>/smaps_rollup) of the browser's renderer processes, where the
// page and its workers live, wasm heaps included, after a garbage collection in the page and every worker, less
// the same page with no notebook. (performance.measureUserAgentSpecificMemory() was tried first: it attributed
// worker memory so unevenly that one notebook measured three times five.)
import { readFile, readdir } from 'node:fs/promises';
import { median, visit, withBrowser } from './browser.mjs';

/** pid → parent pid, for every process this user can see. */
async function parents() {
  const map = new Map();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the parent pid is the second field after it.
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      map.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  return map;
}

/** Private bytes (USS) of the renderer processes under the browser's own process. */
async function rendererPrivateBytes(browser) {
  const root = browser.process()?.pid;
  if (!root) throw new Error('the memory figure needs a browser this script launched (its process id)');
  const parent = await parents();
  const under = (pid) => {
    for (let p = pid; p; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  let bytes = 0;
  let renderers = 0;
  for (const pid of parent.keys()) {
    if (pid === root || !under(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('--type=renderer')) continue;
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    for (const [, kb] of rollup.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB$/gm)) bytes += Number(kb) * 1024;
    renderers++;
  }
  if (!renderers) throw new Error('no renderer process found under the browser (the memory figure reads /proc: Linux only)');
  return bytes;
}

/** Loads the page with `query` in a fresh browser, lets it settle, collects garbage everywhere, measures. */
const bytesOf = (origin, query) =>
  withBrowser(async (browser) => {
    const { page } = await visit(browser, `${origin}/bench/pages/memory.html?${query}`, { timeoutMs: 300_000, keepOpen: true });
    for (const client of [await page.createCDPSession(), ...page.workers().map((worker) => worker.client)]) {
      await client.send('HeapProfiler.collectGarbage');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    return rendererPrivateBytes(browser);
  });

export async function measure({ origin, runs }) {
  const samples = { empty: [], one: [], five: [], separate: [] };
  for (let i = 0; i < Math.min(runs, 3); i++) {
    // Interleaved, so drift in the machine affects every variant alike.
    samples.empty.push(await bytesOf(origin, 'notebooks=0'));
    samples.one.push(await bytesOf(origin, 'notebooks=1'));
    samples.five.push(await bytesOf(origin, 'notebooks=5'));
    samples.separate.push(await bytesOf(origin, 'notebooks=5&runtimes=separate'));
  }
  const page = median(samples.empty);
  const net = (values) => median(values) - page;
  return [
    {
      title: '6. Memory: five notebooks on one page, one shared runtime, against one notebook (renderer USS above an empty page)',
      unit: 'MB',
      bento: { label: 'five notebooks, one runtime', value: net(samples.five) },
      baselines: [{ label: 'one notebook', value: net(samples.one) }],
      ratioTarget: 1.2,
      samples,
    },
    {
      title: '6. Memory: five notebooks sharing one runtime, against five runtimes (renderer USS above an empty page)',
      unit: 'MB',
      bento: { label: 'five notebooks, one runtime', value: net(samples.five) },
      baselines: [{ label: 'five notebooks, a runtime each', value: net(samples.separate) }],
      samples,
    },
  ];
}
