// 6. Memory: five notebooks on one page sharing the runtime, against one notebook, and against five notebooks
// with a runtime each (performance.measureUserAgentSpecificMemory, workers included).
import { median, visit, withBrowser } from './browser.mjs';

const bytesOf = (origin, query) =>
  withBrowser(async (browser) => (await visit(browser, `${origin}/bench/pages/memory.html?${query}`, { timeoutMs: 300_000 })).bytes, { measureMemory: true });

export async function measure({ origin, runs }) {
  const samples = { one: [], five: [], separate: [] };
  for (let i = 0; i < Math.min(runs, 3); i++) {
    samples.one.push(await bytesOf(origin, 'notebooks=1'));
    samples.five.push(await bytesOf(origin, 'notebooks=5'));
    samples.separate.push(await bytesOf(origin, 'notebooks=5&runtimes=separate'));
  }
  return [
    {
      title: '6. Memory: five notebooks on one page, one shared runtime, against one notebook',
      unit: 'MB',
      bento: { label: 'five notebooks, one runtime', value: median(samples.five) },
      baselines: [{ label: 'one notebook', value: median(samples.one) }],
      ratioTarget: 1.2,
      samples,
    },
    {
      title: '6. Memory: five notebooks sharing one runtime, against five runtimes',
      unit: 'MB',
      bento: { label: 'five notebooks, one runtime', value: median(samples.five) },
      baselines: [{ label: 'five notebooks, a runtime each', value: median(samples.separate) }],
      samples,
    },
  ];
}
