import { expect } from '@open-wc/testing';
import type * as BentoLite from '../src/index.ts';
import { waitFor } from './helpers.ts';

// Every ```js and ```html block of README.md runs here, in a page of its own with the built bundle (`npm test`
// builds first), and is checked to do what the README says it does, so the README cannot drift from the code.
// A block is matched to its entry in SAMPLES by a line it contains; a new block with no entry fails with a
// message saying so. Shell blocks and pure syntax illustrations are marked `<!-- not run: reason -->` instead.

type SampleWindow = Window &
  typeof globalThis & { bento: typeof BentoLite; sampleErrors: unknown[]; sampleLogs: unknown[][]; sampleDone?: boolean; token?: string };

interface Block {
  lang: string;
  code: string;
  line: number;
  /** The reason of a `<!-- not run: reason -->` line just before the block. */
  notRun?: string;
}

interface Sample {
  /** A line of the block that identifies it. */
  find: string;
  /** Placeholders and URLs of the sample replaced with this test's (each must occur in the block). */
  rewrite?: (page: TestServers) => Array<[string, string]>;
  /** HTML put before the block (a js block runs after it). */
  html?: string;
  /** JavaScript run in the same module as a js block, before it (the bundle is `bento` there). */
  preamble?: (page: TestServers) => string;
  /** What the README says the sample does, checked in its page once it ran. */
  check?: (win: SampleWindow) => Promise<void>;
  /** A sample that runs in Node, not a page: the script that reads it from README.md and runs it. */
  ranBy?: string;
}

interface TestServers {
  jupyter: { url: string; token: string };
  clickhouse: { url: string; user: string; password: string };
  graphql: { url: string; origin: string; token: string };
}

const servers: TestServers = {
  jupyter: (window as unknown as { __bentoJupyter: TestServers['jupyter'] }).__bentoJupyter,
  clickhouse: (window as unknown as { __bentoClickHouse: TestServers['clickhouse'] }).__bentoClickHouse,
  graphql: (window as unknown as { __bentoGraphQL: TestServers['graphql'] }).__bentoGraphQL,
};
const bundle = new URL('/dist/bento-lite.js', location.href).href;
/** Where relative URLs in the samples point (`notebooks/report.ipynb`). */
const sampleBase = new URL('/test/readme/', location.href).href;

function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md line ${i + 1}: a code block that is never closed.`);
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const notRun = /^<!-- not run: (.+) -->$/.exec(lines[before]?.trim() ?? '')?.[1];
    blocks.push({ lang: open[1], code: lines.slice(i + 1, end).join('\n'), line: i + 1, notRun });
    i = end;
  }
  return blocks;
}

/** A fresh page (its own module map and Python runtime) with the sample in it; resolves once it has run. */
async function runSample(block: Block, sample: Sample): Promise<{ win: SampleWindow; close: () => void }> {
  let code = block.code;
  for (const [from, to] of sample.rewrite?.(servers) ?? []) {
    if (!code.includes(from)) throw new Error(`README.md line ${block.line}: the sample no longer contains ${JSON.stringify(from)}; update SAMPLES in test/readme.test.ts.`);
    code = code.split(from).join(to);
  }
  code = code.split('/node_modules/bento-lite/dist/').join('/dist/');
  const module = (body: string) => `<script type="module">${body.replace(/<\/script/g, '<\\/script')}</script>`;
  const parts = [
    `<!doctype html><base href="${sampleBase}">`,
    `<script type="importmap">${JSON.stringify({ imports: { 'bento-lite': bundle } })}</script>`,
    `<script>window.sampleErrors = []; window.sampleLogs = [];
      addEventListener('error', (e) => sampleErrors.push(e.error ?? e.message));
      addEventListener('unhandledrejection', (e) => sampleErrors.push(e.reason));
      const log = console.log.bind(console);
      console.log = (...args) => { sampleLogs.push(args); log(...args); };</script>`,
    module(`import * as bento from 'bento-lite'; window.bento = bento;`),
    sample.html ?? '',
  ];
  if (block.lang === 'js') {
    parts.push(module(`import * as bento from 'bento-lite';\n${sample.preamble?.(servers) ?? ''}\n${code}\nwindow.sampleDone = true;`));
  } else {
    if (sample.preamble) parts.push(module(`import * as bento from 'bento-lite';\n${sample.preamble(servers)}`));
    parts.push(code, module(`window.sampleDone = true;`));
  }
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 900px; height: 700px';
  frame.srcdoc = parts.join('\n');
  document.body.append(frame);
  const win = await waitFor(() => (frame.contentWindow as SampleWindow | null)?.sampleErrors && (frame.contentWindow as SampleWindow), 'the sample page');
  const close = () => frame.remove();
  try {
    await waitFor(() => win.sampleDone || win.sampleErrors.length > 0, `README.md line ${block.line} to finish running`, 90_000);
    expect(win.sampleErrors, `errors while README.md line ${block.line} ran`).to.deep.equal([]);
    await waitFor(() => win.bento, 'the bundle in the sample page');
    return { win, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** The text/plain of every output of a notebook's or page's code cells, in order. */
function plainOutputs(cells: Iterable<BentoLite.BentoCell>): string[] {
  return [...cells].flatMap((cell) =>
    cell.outputs.outputs.map((o) => {
      const output = o as { data?: Record<string, string>; text?: string };
      return (output.data?.['text/plain'] ?? output.text ?? '').trim();
    }),
  );
}

const NOTEBOOK_FOR_API = JSON.stringify({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { cell_type: 'code', id: 'a', metadata: {}, source: 'a = 6', outputs: [], execution_count: null },
    { cell_type: 'code', id: 'b', metadata: {}, source: 'b = 7', outputs: [], execution_count: null },
    { cell_type: 'code', id: 'c', metadata: {}, source: '6 * 7', outputs: [], execution_count: null },
  ],
});

const SAMPLES: Sample[] = [
  // vite.config.js: scripts/pack-test.mjs builds a Vite app with it and runs a cell there.
  { find: "import bentoLite from 'bento-lite/vite';", ranBy: 'scripts/pack-test.mjs' },
  {
    find: '<bento-notebook name="analysis.ipynb">',
    async check(win) {
      const [inline, fromUrl] = [...win.document.querySelectorAll('bento-notebook')];
      await inline.updateComplete;
      expect(inline.cells[0].shadowRoot!.querySelector('h1')?.textContent).to.equal('My analysis');
      await inline.runAll();
      expect(plainOutputs(inline.cells)).to.deep.equal(['2.8', 'True']);
      await waitFor(() => fromUrl.cells.length > 0, 'the notebook loaded from notebooks/report.ipynb');
      expect(fromUrl.cells.map((cell) => cell.source)).to.deep.equal(['# Report', 'sum(range(10))']);
      const alone = win.document.querySelector('body > bento-cell') as BentoLite.BentoCell;
      await alone.run();
      expect(plainOutputs([alone])).to.deep.equal(["a cell on its own uses the page's default Python session"]);
    },
  },
  {
    find: '<link rel="modulepreload" href="/node_modules/bento-lite/dist/bento-lite.js" />',
    async check(win) {
      const hints = [...win.document.querySelectorAll<HTMLLinkElement>('link[rel=modulepreload], link[rel=preload]')];
      expect(hints).to.have.length(1);
      for (const hint of hints) expect((await fetch(hint.href, { method: 'HEAD' })).status, hint.href).to.equal(200);
    },
  },
  {
    find: 'nb.load(ipynbJsonOrText);',
    html: '<bento-notebook no-autosave></bento-notebook>',
    preamble: () =>
      `const ipynbJsonOrText = ${JSON.stringify(NOTEBOOK_FOR_API)};\n` +
      `const someOtherKernel = new bento.PyodideKernel({ session: 'some-other' });\nwindow.someOtherKernel = someOtherKernel;`,
    async check(win) {
      const nb = win.document.querySelector('bento-notebook')!;
      // Three cells, then: one inserted, one deleted, one duplicated, the deleted one back.
      expect(nb.cells.map((cell) => cell.source)).to.deep.equal(['b = 7', 'a = 6', 'b = 7', '6 * 7', '# Title']);
      expect(plainOutputs(nb.cells), 'after restartAndRunAll').to.deep.equal(['42']);
      expect(nb.kernel).to.equal((win as unknown as { someOtherKernel: unknown }).someOtherKernel);
    },
  },
  {
    find: '<bento-notebook server-url="https://jupyter.internal.example/" token="…"></bento-notebook>',
    rewrite: ({ jupyter }) => [
      ['https://jupyter.internal.example/', jupyter.url],
      ['http://localhost:8888/', jupyter.url],
      ['token="…"', `token="${jupyter.token}"`],
    ],
    preamble: ({ jupyter }) => `window.token = ${JSON.stringify(jupyter.token)};`,
    async check(win) {
      const notebooks = [...win.document.querySelectorAll('bento-notebook')];
      const selector = win.document.querySelector('body > kernel-selector')!;
      const select = await waitFor(
        () => {
          const element = selector.shadowRoot?.querySelector('select');
          return element && [...element.options].some((o) => o.textContent === 'Python 3 (ipykernel)') && element;
        },
        'the server kernelspec offered in the standalone selector',
        30_000,
      );
      expect(notebooks).to.have.length(1);
      expect(notebooks[0].getAttribute('server-url')).to.equal(servers.jupyter.url);
      expect(notebooks[0].servers.map((s) => s.baseUrl), 'the servers set from JavaScript').to.deep.equal([servers.jupyter.url]);
      // The standalone selector switches the page's default session; the cell then runs on ipykernel, with pandas.
      select.value = [...select.options].find((o) => o.textContent === 'Python 3 (ipykernel)')!.value;
      select.dispatchEvent(new Event('change'));
      await waitFor(() => !(win.bento.defaultKernel() instanceof win.bento.PyodideKernel), 'the page default kernel to switch', 30_000);
      const cell = win.document.querySelector('body > bento-cell') as BentoLite.BentoCell;
      const reply = await cell.run();
      expect(reply?.content.status).to.equal('ok');
      expect(plainOutputs([cell])[0]).to.match(/^'\d+\.\d+/);
    },
  },
  {
    find: '<bento-notebook placement="auto" server-url="https://jupyter.internal.example/" token="…"></bento-notebook>',
    rewrite: ({ jupyter }) => [
      ['https://jupyter.internal.example/', jupyter.url],
      ['token="…"', `token="${jupyter.token}"`],
    ],
    async check(win) {
      const notebook = win.document.querySelector('bento-notebook')!;
      expect(notebook.placement).to.equal('auto');
      // The host's rule speaks for a cell the shipped rules find lite: with placement="auto" the notebook switches.
      notebook.insertCell(0, 'code', 'prod_warehouse = "orders"\nimport sys; sys.version_info[0]');
      const reply = await notebook.run(0);
      expect(reply?.content.status).to.equal('ok');
      expect(notebook.kernel).not.to.be.instanceOf(win.bento.PyodideKernel);
      expect(notebook.shadowRoot!.querySelector('.notice')!.textContent).to.include('reads prod_warehouse, which only the servers can reach');
      await notebook.kernel.shutdown();
    },
  },
  {
    find: 'const { RemoteKernel } = await loadRemoteKernel();',
    rewrite: ({ jupyter }) => [["'https://jupyter.internal.example/'", JSON.stringify(jupyter.url)]],
    preamble: ({ jupyter }) => `const token = ${JSON.stringify(jupyter.token)};`,
    async check(win) {
      const result = win.sampleLogs.find((args) => args[0] === 'execute_result') as [string, { data: Record<string, string> }];
      expect(result[1].data['text/plain'], '6 * 7 on ipykernel').to.equal('42');
      expect(win.sampleLogs.at(-1)).to.deep.equal(['ok']);
    },
  },
  {
    find: "kernelId: sessionStorage.getItem('bento-kernel')",
    html: '<bento-notebook no-autosave></bento-notebook>',
    rewrite: ({ jupyter }) => [["'https://jupyter.internal.example/'", JSON.stringify(jupyter.url)]],
    preamble: ({ jupyter }) => `const token = ${JSON.stringify(jupyter.token)}; sessionStorage.removeItem('bento-kernel');`,
    async check(win) {
      const notebook = win.document.querySelector('bento-notebook')!;
      const kernel = notebook.kernel as BentoLite.RemoteKernel;
      await kernel.ready();
      const id = await waitFor(() => win.sessionStorage.getItem('bento-kernel'), 'the kernel id kept for the tab');
      expect(id).to.equal(kernel.id);
      notebook.load(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', id: 'a', metadata: {}, source: 'kept = 6 * 7', outputs: [], execution_count: null }] }));
      await notebook.updateComplete;
      expect((await notebook.run(0))?.content.status).to.equal('ok');
      // What the reloaded page does: the same lines find the same kernel, its variables there.
      const { RemoteKernel } = await win.bento.loadRemoteKernel();
      const again = new RemoteKernel({ server: { baseUrl: servers.jupyter.url, token: servers.jupyter.token }, kernelId: id! });
      await again.ready();
      expect(again.id).to.equal(id);
      const outputs: unknown[] = [];
      await again.execute('kept', { onIOPub: (message) => outputs.push(message.content) });
      expect(JSON.stringify(outputs)).to.include('42');
      await again.shutdown();
      win.sessionStorage.removeItem('bento-kernel');
    },
  },
  {
    find: '<sql-cell connection="demo" into="climate" autorun>',
    preamble: () => `bento.registerConnector({ name: 'demo', kind: 'duckdb', options: { tables: { temperatures: '/demo/data/city-temperatures.csv' } } });`,
    async check(win) {
      const cell = win.document.querySelector('bento-cell') as BentoLite.BentoCell;
      const reply = await waitFor(async () => {
        const r = await cell.run();
        return r?.content.status === 'ok' && r;
      }, 'len(climate) once the query bound it', 60_000);
      expect(reply.content.status).to.equal('ok');
      expect(Number(plainOutputs([cell])[0])).to.be.greaterThan(0);
    },
  },
  {
    find: "registerConnector({ name: 'demo', kind: 'duckdb'",
    rewrite: ({ clickhouse }) => [
      ["'/data/city-temperatures.csv'", "'/demo/data/city-temperatures.csv'"],
      ["user: 'reader'", `user: ${JSON.stringify(clickhouse.user)}`],
    ],
    preamble: ({ clickhouse }) =>
      `const secretFromYourLogin = ${JSON.stringify(clickhouse.password)};\n` +
      // The sample's database, made as the administrator would have.
      `await fetch(${JSON.stringify(clickhouse.url)} + '/?query=' + encodeURIComponent('CREATE DATABASE IF NOT EXISTS analytics'), { method: 'POST', headers: { 'X-ClickHouse-User': ${JSON.stringify(clickhouse.user)}, 'X-ClickHouse-Key': secretFromYourLogin } }).then((r) => { if (!r.ok) throw new Error('CREATE DATABASE: ' + r.status); });`,
    async check(win) {
      const demo = await win.bento.getConnector('demo');
      const cities = await demo.query('SELECT count(DISTINCT city) AS n FROM temperatures');
      expect(Number(cities.table.value(0, 0))).to.be.greaterThan(0);
      const warehouse = await win.bento.getConnector('warehouse');
      const result = await warehouse.query('SELECT currentDatabase() AS db');
      expect(result.table.value(0, 0)).to.equal('analytics');
    },
  },
  {
    find: "registerGraphQLEndpoint({",
    // The sample's endpoint is the test server's private route, which wants the bearer token.
    rewrite: ({ graphql }) => [["'https://api.example.com/graphql'", JSON.stringify(`${graphql.origin}/private`)]],
    preamble: ({ graphql }) => `const tokenFromYourLogin = ${JSON.stringify(graphql.token)};`,
    async check(win) {
      expect(win.sampleLogs).to.deep.include(['10000 orders in 10 pages']);
      expect(win.bento.graphQLEndpointNames()).to.deep.equal(['shop']);
      expect(JSON.stringify(win.bento.graphQLEndpoint('shop'))).not.to.contain(servers.graphql.token);
    },
  },
  {
    find: '<graphql-cell endpoint="shop" path="data.orders.nodes" into="orders">',
    preamble: ({ graphql }) => `bento.registerGraphQLEndpoint({ name: 'shop', url: ${JSON.stringify(graphql.url)} });`,
    async check(win) {
      const cell = win.document.querySelector('graphql-cell') as BentoLite.GraphQLCell;
      await waitFor(() => cell.source, 'the <graphql-cell> defined');
      await cell.run();
      expect(cell.result!.numRows).to.equal(20);
      expect(cell.result!.columnNames).to.deep.equal(['number', 'total', 'customer.name', 'customer.address.city', 'tags']);
      const python = win.document.createElement('bento-cell') as BentoLite.BentoCell;
      python.textContent = 'print(len(orders), orders["tags"][0])';
      win.document.body.append(python);
      await python.run();
      expect(plainOutputs([python])).to.deep.equal(["20 ['gift']"]);
    },
  },
  {
    find: 'class OrdersCell extends HTMLElement {',
    html: '<bento-notebook no-autosave></bento-notebook>',
    // The host page's own API the sample fetches from.
    preamble: () => `const hostFetch = window.fetch;
      window.fetch = (url, init) => String(url).startsWith('/api/orders?since=2024-01-01')
        ? Promise.resolve(new Response(JSON.stringify([{ id: 1 }, { id: 2 }, { id: 3 }])))
        : hostFetch(url, init);`,
    async check(win) {
      const nb = win.document.querySelector('bento-notebook')!;
      nb.load(JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          { cell_type: 'code', id: 'o', metadata: {}, source: '%%orders recent --since 2024-01-01', outputs: [], execution_count: null },
          { cell_type: 'code', id: 'p', metadata: {}, source: 'list(recent["id"])', outputs: [], execution_count: null },
        ],
      }));
      await nb.updateComplete;
      await waitFor(() => nb.cells[0].shadowRoot!.querySelector('orders-cell'), 'the %%orders cell rendered by <orders-cell>');
      await nb.runAll();
      expect(plainOutputs([nb.cells[1]])).to.deep.equal(['[1, 2, 3]']);
    },
  },
  {
    find: "registerSheetSource({ name: 'team'",
    // The sample's private sheet, read from this run's stand-in for Google (Google is unreachable from here).
    rewrite: () => {
      const google = (window as unknown as { __bentoFakeGoogle: { url: string; token: string } }).__bentoFakeGoogle;
      return [
        ['getAccessToken: () => yourAuth.accessToken()', `apiBase: ${JSON.stringify(google.url)}, getAccessToken: () => ${JSON.stringify(google.token)}`],
        ['https://docs.google.com/spreadsheets/d/1qB9.../edit', 'https://docs.google.com/spreadsheets/d/private-orders/edit'],
      ];
    },
    async check(win) {
      expect(win.sampleLogs).to.deep.include(['2 rows: id, name, since', []]);
      expect(win.bento.sheetSourceNames()).to.deep.equal(['public', 'team', 'keyed']);
    },
  },
  {
    find: "import { PyodideKernel } from 'bento-lite';",
    async check(win) {
      const logs = await waitFor(() => win.sampleLogs.some((args) => args[0] === 'ok') && win.sampleLogs, 'the execute_reply logged', 90_000);
      const result = logs.find((args) => args[0] === 'execute_result') as [string, { data: Record<string, string> }];
      expect(result[1].data['text/plain'], '6 * 7').to.equal('42');
      const stream = logs.find((args) => args[0] === 'stream') as [string, { text: string }];
      expect(stream[1].text).to.match(/^3\.\d+/);
      expect(logs.at(-1)).to.deep.equal(['ok', 1]);
      expect(logs.some((args) => args[0] === 'ready'), 'start-up progress reached ready').to.equal(true);
    },
  },
  {
    find: "PyodideRuntime.configureDefault({ isolation: 'sandbox' });",
    async check(win) {
      expect(win.bento.PyodideRuntime.default().options.isolation).to.equal('sandbox');
      const kernel = new win.bento.PyodideKernel();
      // Python's globals are an opaque origin's (what it then cannot reach: test/kernel/pyodide/sandbox.test.ts).
      const reply = await kernel.execute('import js\nassert str(js.self.origin) == "null", js.self.origin');
      expect(reply.content.status, JSON.stringify(reply.content)).to.equal('ok');
    },
  },
  {
    find: 'bootTimeoutMs: 60_000, // a runtime',
    rewrite: () => [
      ["'/assets/pyodide/'", "'/dist/pyodide/'"],
      ["'/assets/worker.js'", "'/dist/worker.js'"],
      ["'https://mirror.example/pyodide/pyodide-lock.json'", "'/dist/pyodide/pyodide-lock.json'"],
    ],
    async check(win) {
      const runtime = win.bento.PyodideRuntime.default();
      expect(runtime.options.workerURL).to.equal(new URL('/dist/worker.js', location.href).href);
      expect(runtime.options.packageTimeoutMs).to.equal(60_000);
      const kernel = new win.bento.PyodideKernel();
      const reply = await kernel.execute('1 + 1');
      expect(reply.content.status).to.equal('ok');
    },
  },
];

describe('README.md', () => {
  let blocks: Block[] = [];
  before(async () => {
    const response = await fetch('/README.md');
    expect(response.ok, 'README.md through the test server').to.equal(true);
    blocks = fencedBlocks(await response.text());
  });

  it('marks every block it does not run as a shell block or a syntax illustration, and knows every other one', () => {
    const problems: string[] = [];
    for (const block of blocks) {
      const where = `README.md line ${block.line} (\`\`\`${block.lang}, starting ${JSON.stringify(block.code.split('\n')[0])})`;
      const runnable = block.lang === 'js' || block.lang === 'html';
      if (block.notRun) {
        if (runnable) problems.push(`${where}: a js or html block is never skipped; give it an entry in SAMPLES in test/readme.test.ts.`);
        continue;
      }
      if (!runnable) {
        problems.push(`${where}: only js and html blocks run; mark a shell block or syntax illustration with <!-- not run: reason --> on the line before.`);
        continue;
      }
      const matches = SAMPLES.filter((sample) => block.code.includes(sample.find));
      if (matches.length !== 1) {
        problems.push(`${where}: ${matches.length ? 'matches several entries' : 'has no entry'} in SAMPLES in test/readme.test.ts: add one with its preamble and a check of what the README says it does.`);
      }
    }
    for (const sample of SAMPLES) {
      if (!blocks.some((block) => block.code.includes(sample.find))) problems.push(`SAMPLES has an entry for a block no longer in README.md: ${JSON.stringify(sample.find)}.`);
    }
    expect(problems.join('\n')).to.equal('');
  });

  for (const sample of SAMPLES) {
    it(`runs the sample with ${JSON.stringify(sample.find)} and it does what the README says`, async () => {
      const block = blocks.find((b) => b.code.includes(sample.find) && !b.notRun);
      expect(block, 'the block is in README.md').to.not.equal(undefined);
      if (sample.ranBy) {
        const script = await (await fetch(`/${sample.ranBy}`)).text();
        expect(script, `${sample.ranBy} reads this block from README.md and runs it`).to.contain(`${JSON.stringify(sample.find)};`);
        return;
      }
      const { win, close } = await runSample(block!, sample);
      try {
        await sample.check!(win);
        expect(win.sampleErrors, 'errors in the page while checking').to.deep.equal([]);
      } finally {
        close();
      }
    });
  }
});
