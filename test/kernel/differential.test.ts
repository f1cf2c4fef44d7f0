// The differential test: the corpus of differential-corpus.ts runs, cell by cell and in order, on the browser
// kernel and on ipykernel (real IPython behind a real Jupyter Server); what each published is normalised (object
// addresses, cell file names, timings) and compared. At least 97% of the cells must give identical outputs, and
// every cell that differs must be one of the known differences, each with its reason (also in the README).
import { expect } from '@open-wc/testing';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { run, testRuntimeOptions } from '../helpers.ts';
import { CORPUS, KNOWN_DIFFERENCES } from './differential-corpus.ts';
import { jupyterServer } from './remote/server.ts';

const ANSI = /\x1b\[[0-9;]*m/g;
const TIME = String.raw`\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ns|µs|us|ms|s|min|h|d)`;

/** What a user would see of a text, without what legitimately varies between two runs or two machines. */
export function normaliseText(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/0x[0-9a-f]+/g, '0x…')
    .replace(/\/tmp\/ipykernel_\d+\/\d+\.py/g, '<cell>')
    .replace(/\b\d{6,}\.py\b/g, '<cell>')
    .replace(/<In\[\d+\]>/g, '<cell>')
    .replace(new RegExp(`^CPU times: .*$`, 'gm'), 'CPU times: <t>')
    .replace(new RegExp(`^Wall time: .*$`, 'gm'), 'Wall time: <t>')
    .replace(new RegExp(`${TIME} ± ${TIME} per loop`, 'g'), '<t> ± <t> per loop')
    .replace(/, [\d,]+ (loops? each\))/g, ', <n> $1')
    .replace(/^The slowest run took .*\n/gm, '')
    .replace(/^Compiler time: .*\n/gm, '');
}

type Output = unknown[];

interface Observed {
  status: string;
  outputs: Output[];
  page: string[];
  replyError?: [string, string];
}

function normaliseData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [mime, value] of Object.entries(data).sort(([a], [b]) => a.localeCompare(b))) {
    if (typeof value === 'string') out[mime] = mime.startsWith('image/') && mime !== 'image/svg+xml' ? value.replace(/\s/g, '') : normaliseText(value);
    else out[mime] = value;
  }
  return out;
}

async function observe(kernel: Kernel, code: string): Promise<Observed> {
  const r = await run(kernel, code);
  const outputs: Output[] = [];
  for (const [type, content] of r.outputs) {
    const last = outputs.at(-1);
    switch (type) {
      case 'stream':
        if (last?.[0] === 'stream' && last[1] === content.name) last[2] = `${last[2]}${content.text}`;
        else outputs.push(['stream', content.name, content.text]);
        break;
      case 'execute_result':
        outputs.push(['execute_result', content.execution_count, normaliseData(content.data), content.metadata]);
        break;
      case 'display_data':
      case 'update_display_data':
        outputs.push([type, normaliseData(content.data), content.metadata, Boolean(content.transient?.display_id)]);
        break;
      case 'error':
        outputs.push(['error', content.ename, normaliseText(content.evalue)]);
        break;
      case 'clear_output':
        outputs.push(['clear_output', content.wait]);
        break;
      default:
        break; // execute_input carries the code back; nothing of it differs
    }
  }
  for (const output of outputs) if (output[0] === 'stream') output[2] = normaliseText(output[2] as string);
  const content = r.reply.content as { status: string; payload?: Array<{ source: string; data: { 'text/plain': string } }>; ename?: string; evalue?: string };
  const page = (content.payload ?? []).filter((p) => p.source === 'page').map((p) => normaliseText(p.data['text/plain']));
  const observed: Observed = { status: content.status, outputs, page };
  if (content.status === 'error') observed.replyError = [content.ename ?? '', normaliseText(content.evalue ?? '')];
  return observed;
}

describe('IPython compatibility: the browser kernel against ipykernel, cell by cell', () => {
  const runtime = new PyodideRuntime(testRuntimeOptions());
  const browser = new PyodideKernel({ runtime });
  const jupyter = new RemoteKernel({ server: jupyterServer(), kernelName: 'python3' });

  before(async () => {
    await Promise.all([browser.ready(), jupyter.ready()]);
  });
  after(async () => {
    await Promise.all([browser.shutdown(), jupyter.shutdown()]);
    runtime.terminate();
  });

  it(`gives the same outputs for at least 97% of ${CORPUS.length} cells, and differs only where documented`, async function () {
    this.timeout(600_000);
    expect(CORPUS.length).to.be.at.least(100);
    expect(new Set(CORPUS.map((c) => c.name)).size).to.equal(CORPUS.length);
    const differing: Array<{ name: string; browser: Observed; jupyter: Observed }> = [];
    for (const cell of CORPUS) {
      const [b, j] = await Promise.all([observe(browser, cell.code), observe(jupyter, cell.code)]);
      if (JSON.stringify(b) !== JSON.stringify(j)) differing.push({ name: cell.name, browser: b, jupyter: j });
    }
    const identical = CORPUS.length - differing.length;
    const share = identical / CORPUS.length;
    console.log(`IPython compatibility: ${identical} of ${CORPUS.length} cells identical (${(share * 100).toFixed(1)}%)`);
    const unexpected = differing.filter((d) => !(d.name in KNOWN_DIFFERENCES));
    for (const d of unexpected) {
      console.log(`DIFFERS: ${d.name}\n  browser: ${JSON.stringify(d.browser)}\n  jupyter: ${JSON.stringify(d.jupyter)}`);
    }
    expect(unexpected.map((d) => d.name), 'cells that differ without a documented reason').to.deep.equal([]);
    const stale = Object.keys(KNOWN_DIFFERENCES).filter((name) => !differing.some((d) => d.name === name));
    expect(stale, 'documented differences that no longer differ').to.deep.equal([]);
    expect(share).to.be.at.least(0.97);
  });
});
