// 7. Interrupt: click on Interrupt to the rendered KeyboardInterrupt when cross-origin isolated, against a plain
// Pyodide worker's SharedArrayBuffer interrupt; and, on a page that is not isolated, click to a usable kernel
// again (terminate and start anew, from the snapshot), against terminating a plain worker and loading again, and
// against Pyodide's own snapshot restore in a bare worker (figure 2b's baseline), which the new runtime cannot beat.
import { serve } from '../scripts/serve.mjs';
import { bareSnapshotRestore, firstVisit, median, visit, withBrowser } from './browser.mjs';

async function sample(origin, runs, page) {
  const values = [];
  for (let i = 0; i < runs; i++) values.push(await withBrowser((browser) => visit(browser, `${origin}/bench/pages/${page}`, { timeoutMs: 180_000 })));
  return values;
}

export async function measure({ origin, runs }) {
  const n = Math.min(runs, 3);
  const isolated = await sample(origin, n, 'interrupt.html');
  const isolatedBaseline = await sample(origin, n, 'plain-interrupt.html');
  if (!isolated.every((r) => r.isolated && /KeyboardInterrupt/.test(r.output))) throw new Error(`not interrupted in place: ${JSON.stringify(isolated)}`);
  const plain = await serve({ port: 0, quiet: true, isolated: false });
  try {
    // A warm profile, as a person who hits a runaway cell has: the snapshot exists, and (as for figure 2b, whose
    // baseline is measured here too) the compiled wasm is cached.
    const restored = [];
    const restoredBaseline = [];
    const bareRestore = [];
    for (let i = 0; i < n; i++) {
      restored.push(
        await withBrowser(async (browser, profile) => {
          await firstVisit(browser, profile, `${plain.origin}/bench/pages/notebook.html`, 'window.benchSnapshotSaved !== undefined');
          return visit(browser, `${plain.origin}/bench/pages/interrupt.html`, { timeoutMs: 180_000 });
        }),
      );
      bareRestore.push((await withBrowser((browser, profile) => bareSnapshotRestore(browser, profile, plain.origin))).ms);
      restoredBaseline.push(
        await withBrowser(async (browser) => {
          await visit(browser, `${plain.origin}/bench/pages/plain-pyodide.html`);
          return visit(browser, `${plain.origin}/bench/pages/plain-interrupt.html`, { timeoutMs: 180_000 });
        }),
      );
    }
    return [
      {
        title: '7. Interrupt, cross-origin isolated: click to the rendered KeyboardInterrupt',
        unit: 'ms',
        bento: { label: '<bento-notebook> Interrupt button', value: median(isolated.map((r) => r.clickToErrorMs)) },
        baselines: [{ label: 'plain worker, SharedArrayBuffer SIGINT', value: median(isolatedBaseline.map((r) => r.ms)) }],
        absoluteTarget: 20,
        samples: { isolated, isolatedBaseline },
      },
      {
        title: '7. Interrupt, not isolated: click to a kernel that runs again (terminate, restore)',
        unit: 'ms',
        bento: { label: '<bento-notebook> Interrupt button', value: median(restored.map((r) => r.clickToUsableMs)) },
        baselines: [
          { label: 'plain worker: terminate, loadPyodide again', value: median(restoredBaseline.map((r) => r.ms)) },
          { label: "plain worker: Pyodide's own snapshot restore, page load to 1+1 (2b)", value: median(bareRestore) },
        ],
        ratioTarget: 1.1,
        absoluteTarget: 500,
        samples: { restored, restoredBaseline, bareRestore },
      },
    ];
  } finally {
    await plain.close();
  }
}
