// 3. Execution overhead: a trivial cell run from the keyboard, keydown to the painted output (p50 and p99),
// against a raw comlink runPython('1') round trip to a plain Pyodide worker, its result painted.
import { percentile, visit, withBrowser } from './browser.mjs';

export async function measure({ origin, runs }) {
  const count = Math.max(30, runs * 10);
  const bento = await withBrowser(async (browser) => {
    const { page } = await visit(browser, `${origin}/bench/pages/exec.html`, { keepOpen: true });
    const samples = [];
    for (let i = 0; i < count + 5; i++) {
      const timing = page.evaluate('window.timeNextRun()');
      await page.keyboard.down('Control');
      await page.keyboard.press('Enter');
      await page.keyboard.up('Control');
      const ms = await timing;
      if (i >= 5) samples.push(ms);
    }
    return samples;
  });
  const raw = await withBrowser(async (browser) => (await visit(browser, `${origin}/bench/pages/comlink.html?runs=${count}`)).samples);
  return [50, 99].map((p) => ({
    title: `3. Execution overhead, p${p} of ${count} runs: keypress to the painted output of a trivial cell`,
    unit: 'ms',
    bento: { label: `<bento-notebook> Ctrl+Enter, p${p}`, value: percentile(bento, p) },
    baselines: [{ label: `raw comlink runPython round trip, painted, p${p}`, value: percentile(raw, p) }],
    ...(p === 50 ? { ratioTarget: 2 } : {}),
    samples: { bento, raw },
  }));
}
