// The fault table (`npm run faults` prints it; `npm test` runs the same cases): each `describe` is a fault, done to
// real parts while a notebook uses them, and each `it` one thing that must hold after it. A fault's scenario runs
// once (its `before`); the rows then read what it left. Against the real Pyodide worker, the real Jupyter Server
// (killed and restarted by the test runner), the real ClickHouse and GraphQL servers.
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../../components/bento-notebook/bento-notebook.ts';
import '../../components/googlesheet-cell/googlesheet-magic.ts';
import '../../components/graphql-cell/graphql-magic.ts';
import '../../components/sql-cell/sql-magic.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { registerConnector } from '../../src/data/connectors.ts';
import { registerGraphQLEndpoint } from '../../src/data/graphql-endpoints.ts';
import { registerSheetSource } from '../../src/data/sheet-sources.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import type { ExecuteReply } from '../../src/kernel/protocol.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { codeNotebook, outputText, testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer, jupyterServerBehindDelayProxy } from '../kernel/remote/server.ts';
import { settle } from './settle.ts';
import { graphqlDown, jupyterKilled, webSocketDelayed } from './actions.ts';

const runtime = new PyodideRuntime(testRuntimeOptions());
after(() => runtime.terminate());

const clickhouse = (window as unknown as { __bentoClickHouse: { url: string; user: string; password: string } }).__bentoClickHouse;
const graphql = (window as unknown as { __bentoGraphQL: { url: string } }).__bentoGraphQL;
registerConnector({ name: 'fault-warehouse-down', kind: 'clickhouse', label: 'A warehouse that is down', options: { url: '/clickhouse-down/' } });
registerConnector({ name: 'fault-warehouse-slow', kind: 'clickhouse', label: 'A warehouse that never answers', options: { url: '/never-answers/clickhouse', timeoutMs: 1500 } });
registerConnector({ name: 'fault-warehouse', kind: 'clickhouse', label: 'Warehouse', options: { url: clickhouse.url }, credentials: { user: clickhouse.user, password: clickhouse.password } });
registerGraphQLEndpoint({ name: 'fault-shop', url: graphql.url });
registerGraphQLEndpoint({ name: 'fault-shop-slow', url: '/never-answers/graphql', timeoutMs: 1500 });
registerConnector({ name: 'fault-warehouse-garbage', kind: 'clickhouse', label: 'A captive portal', options: { url: '/garbage/clickhouse' } });
registerGraphQLEndpoint({ name: 'fault-shop-garbage', url: '/garbage/graphql' });
registerSheetSource({ name: 'fault-sheets-down', csvBase: '/clickhouse-down/sheets' });
registerSheetSource({ name: 'fault-sheets-slow', csvBase: '/never-answers/sheets', timeoutMs: 1500 });
const SHEET = 'https://docs.google.com/spreadsheets/d/public-orders/edit#gid=0';

/** What a fault's scenario left, for the rows to read. */
interface Observed {
  /** Every run asked for during the fault settled (undefined: one never did). */
  replies?: Array<ExecuteReply | undefined>;
  sourcesBefore: string[];
  sourcesAfter: string[];
  /** What the person sees about it: the failed cell's output and the notebook's message. */
  said: string;
  /** The reply of the next action after the fault. */
  next?: ExecuteReply;
  nextText: string;
  /** The value of the variable the failed cell would have bound, read after the fault (`before` unchanged). */
  boundAfter?: string;
  /** The kernel's status changes during the fault, with their messages. */
  statusLog: string;
}

async function notebookOn(kernel: Kernel, cells: string[]): Promise<BentoNotebook> {
  const notebook = await fixture<BentoNotebook>(html`<bento-notebook no-autosave placement="off" .kernel=${kernel}></bento-notebook>`);
  notebook.load(codeNotebook(cells));
  await notebook.updateComplete;
  return notebook;
}

function sources(notebook: BentoNotebook): string[] {
  return notebook.cells.map((cell) => cell.source);
}

/**
 * Runs a fault scenario: `cells` are loaded (the first runs before the fault, binding what must survive), `fault`
 * does the damage while `faulted` (the cell index) runs, `recover` puts things back, then `nextCell` runs.
 */
interface ScenarioOptions {
  kernel: () => Kernel;
  cells: string[];
  faulted: number;
  /** Breaks something before the faulted cell runs (a server down). */
  brokenBefore?: () => Promise<void>;
  /** Breaks something while the faulted cell runs (given the kernel, for faults of its connection). */
  fault?: (kernel: Kernel) => Promise<void>;
  recover?: () => Promise<void>;
  nextCell: string;
  /** The person's next action starts with Restart (a server kernel that is gone does not come back by itself). */
  restartFirst?: boolean;
  bound?: string;
}

async function scenario(options: ScenarioOptions): Promise<Observed> {
  const kernel = options.kernel();
  const notebook = await notebookOn(kernel, options.cells);
  const statuses: string[] = [];
  const stopWatching = kernel.onStatusChange((change) => statuses.push(`${change.status}${change.message ? `: ${change.message}` : ''}`));
  for (let i = 0; i < options.faulted; i++) await notebook.run(i);
  const sourcesBefore = sources(notebook);
  await options.brokenBefore?.();
  const running = notebook.run(options.faulted).catch(() => undefined);
  if (options.fault) {
    await waitFor(() => notebook.cells[options.faulted].state === 'running', 'the cell to start', 30_000);
    await options.fault(kernel);
  }
  const replies = [await settle(running)];
  await options.recover?.();
  const said = `${outputText(notebook.cells[options.faulted])}\n${notebook.shadowRoot!.querySelector('.notice')?.textContent ?? ''}`;
  if (options.restartFirst) await settle(notebook.restart());
  notebook.insertCell(notebook.cells.length, 'code', options.nextCell);
  const next = await settle(notebook.run(notebook.cells.length - 1));
  const nextText = outputText(notebook.cells[notebook.cells.length - 1]);
  stopWatching();
  const observed: Observed = { replies, sourcesBefore, sourcesAfter: sources(notebook).slice(0, sourcesBefore.length), said, next, nextText, statusLog: statuses.join('\n') };
  if (options.bound) {
    notebook.insertCell(notebook.cells.length, 'code', options.bound);
    await settle(notebook.run(notebook.cells.length - 1));
    observed.boundAfter = outputText(notebook.cells[notebook.cells.length - 1]);
  }
  if (kernel instanceof RemoteKernel) await kernel.shutdown().catch(() => {});
  notebook.remove();
  return observed;
}

/**
 * The rows every fault is checked against: `said` is what the person must be told, `unbound` what the variable the
 * failed cell would have bound still holds. With `whole`, the fault may also be survived outright (a browser that
 * resends a request whose connection broke): the run then succeeds and the variable holds the whole result.
 */
interface Expected {
  said: RegExp;
  next: string;
  unbound?: string;
  whole?: string;
  survives?: boolean;
  /** What the faulted cell printed, for a fault it rides out. */
  output?: string;
  /** What the notebook's message says once the fault is over (for a fault it rides out). */
  after?: RegExp;
}

function rows(observed: () => Observed, expected: Expected): void {
  const survived = () => expected.whole !== undefined && observed().replies![0]?.content.status === 'ok';
  it('every promise settles', () => {
    expect(observed().replies!.every((reply) => reply !== undefined), 'a run never settled').to.equal(true);
    expect(observed().next, 'the next run never settled').not.to.equal(undefined);
  });
  it("the user's text is intact", () => {
    expect(observed().sourcesAfter).to.deep.equal(observed().sourcesBefore);
  });
  it('the status says what happened', () => {
    if (survived()) return expect(observed().boundAfter).to.include(expected.whole);
    // A fault the kernel rides out: the cell finishes, and the kernel's status told what it went through.
    if (expected.survives) {
      expect(observed().replies![0]?.content.status, observed().said).to.equal('ok');
      if (expected.output) expect(observed().said).to.include(expected.output);
      if (expected.after) expect(observed().said).to.match(expected.after);
      return expect(observed().statusLog).to.match(expected.said);
    }
    expect(observed().replies![0]?.content.status).to.equal('error');
    expect(observed().said).to.match(expected.said);
  });
  it('the next action works', () => {
    expect(observed().next?.content.status, observed().nextText).to.equal('ok');
    expect(observed().nextText).to.include(expected.next);
  });
  if (expected.unbound !== undefined) {
    it('no half-bound variable', () => {
      expect(observed().boundAfter).to.include(survived() ? expected.whole : expected.unbound);
    });
  }
}

/** One row of the table: the fault's scenario, run once, then the guarantees it is checked against. */
function fault(name: string, options: ScenarioOptions & { afterwards?: () => Promise<void> }, expected: Expected): void {
  describe(`fault: ${name}`, function () {
    this.timeout(180_000);
    let observed: Observed;
    before(async () => {
      observed = await scenario(options);
      await options.afterwards?.();
    });
    rows(() => observed, expected);
  });
}

fault(
  'the Pyodide worker killed mid-cell',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['x = 1', 'import js, time\njs.close()\nwhile True: time.sleep(0.01)'],
    faulted: 1,
    nextCell: '"alive"',
  },
  { said: /stopped unexpectedly/, next: "'alive'" },
);

fault(
  'out of memory in the browser',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['big = "kept"', 'big = bytearray(2**31 - 1)'],
    faulted: 1,
    nextCell: '"alive"',
    bound: 'big',
  },
  { said: /MemoryError/, next: "'alive'", unbound: "'kept'" },
);

fault(
  'C stack overflow in the browser',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['x = 1', 'nested = []\nfor _ in range(100_000):\n    nested = [nested]\nrepr(nested)'],
    faulted: 1,
    nextCell: '"alive"',
  },
  { said: /Maximum call stack size exceeded/, next: "'alive'" },
);

fault(
  'the Jupyter Server killed and restarted mid-execution',
  {
    kernel: () => new RemoteKernel({ server: jupyterServer(), reconnect: { attempts: 2, firstDelayMs: 100 } }),
    cells: ['x = 1', 'import time\ntime.sleep(60)'],
    faulted: 1,
    ...jupyterKilled,
    restartFirst: true,
    nextCell: '"alive"',
  },
  { said: /server|kernel|connection/i, next: "'alive'" },
);

fault(
  'ClickHouse down',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['t = "kept"', '%%sql t --conn fault-warehouse-down\nSELECT 1 AS n'],
    faulted: 1,
    nextCell: '%%sql u --conn fault-warehouse\nSELECT 42 AS answer',
    bound: 't',
  },
  { said: /ClickHouse|warehouse|reach|connect/i, next: '1 row', unbound: "'kept'" },
);

fault(
  'ClickHouse slow, past every timeout',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['t = "kept"', '%%sql t --conn fault-warehouse-slow\nSELECT 1 AS n'],
    faulted: 1,
    nextCell: '%%sql u --conn fault-warehouse\nSELECT 42 AS answer',
    bound: 't',
  },
  { said: /did not answer within/, next: '1 row', unbound: "'kept'" },
);

fault(
  'the GraphQL server down',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['orders = "kept"', '%%graphql orders --endpoint fault-shop\n{ orders(first: 2) { nodes { number } } }'],
    faulted: 1,
    ...graphqlDown,
    nextCell: '%%graphql again --endpoint fault-shop\n{ orders(first: 2) { nodes { number } } }',
    bound: 'orders',
  },
  { said: /GraphQL|reach|connect|fetch/i, next: 'a dict', unbound: "'kept'" },
);

fault(
  'the ClickHouse answer cut mid-way',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['t = "kept"', '%%sql t --conn fault-warehouse\nSELECT number AS n, \'fault-cut\' AS tag FROM system.numbers LIMIT 200000'],
    faulted: 1,
    brokenBefore: async () => {
      // The next request to the warehouse (this cell's query) loses its answer.
      await executeServerCommand('clickhouse-cut', { match: '/clickhouse', where: 'response' });
    },
    nextCell: '%%sql u --conn fault-warehouse\nSELECT 42 AS answer',
    bound: 't',
    afterwards: async () => {
      expect(await executeServerCommand('clickhouse-cut-fired'), 'the answer was cut').to.deep.equal({ fired: true });
    },
  },
  { said: /ClickHouse|connection|network|answer/i, next: '1 row', unbound: "'kept'", whole: '[200000 rows x 2 columns]' },
);

fault(
  'the GraphQL server slow, past every timeout',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['orders = "kept"', '%%graphql orders --endpoint fault-shop-slow\n{ orders(first: 2) { nodes { number } } }'],
    faulted: 1,
    nextCell: '%%graphql again --endpoint fault-shop\n{ orders(first: 2) { nodes { number } } }',
    bound: 'orders',
  },
  { said: /did not answer|time/i, next: 'a dict', unbound: "'kept'" },
);

fault(
  'the sheet source down',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['sheet = "kept"', `%%googlesheet sheet --source fault-sheets-down\n${SHEET}`],
    faulted: 1,
    nextCell: '"alive"',
    bound: 'sheet',
  },
  { said: /sheet|reach|answered|connect/i, next: "'alive'", unbound: "'kept'" },
);

fault(
  'the sheet source slow, past every timeout',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['sheet = "kept"', `%%googlesheet sheet --source fault-sheets-slow\n${SHEET}`],
    faulted: 1,
    nextCell: '"alive"',
    bound: 'sheet',
  },
  { said: /did not answer|time/i, next: "'alive'", unbound: "'kept'" },
);

fault(
  'ClickHouse answering garbage',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['t = "kept"', '%%sql t --conn fault-warehouse-garbage\nSELECT 1 AS n'],
    faulted: 1,
    nextCell: '%%sql u --conn fault-warehouse\nSELECT 42 AS answer',
    bound: 't',
  },
  { said: /ClickHouse|answer|expected|not/i, next: '1 row', unbound: "'kept'" },
);

fault(
  'the GraphQL server answering garbage',
  {
    kernel: () => new PyodideKernel({ runtime }),
    cells: ['orders = "kept"', '%%graphql orders --endpoint fault-shop-garbage\n{ orders(first: 2) { nodes { number } } }'],
    faulted: 1,
    nextCell: '%%graphql again --endpoint fault-shop\n{ orders(first: 2) { nodes { number } } }',
    bound: 'orders',
  },
  { said: /JSON|answer|GraphQL/i, next: 'a dict', unbound: "'kept'" },
);

// Reconnected under the same session: the cell in flight finished once, its output kept.
fault(
  'the kernel WebSocket cut mid-execution',
  {
    kernel: () => new RemoteKernel({ server: jupyterServer() }),
    cells: ['runs = 0', 'import time\ntime.sleep(2)\nruns += 1\nprint("finished", runs)'],
    faulted: 1,
    fault: async (kernel) => {
      (kernel as unknown as { socket: WebSocket }).socket.close();
    },
    nextCell: 'runs',
  },
  // Once back, the message says so (it said "reconnecting…" until the notebook was closed).
  { said: /reconnecting/, next: '1', survives: true, after: /Reconnected to the Jupyter Server/ },
);

fault(
  'the kernel WebSocket fed malformed frames mid-execution',
  {
    kernel: () => new RemoteKernel({ server: jupyterServer() }),
    cells: ['x = 1', 'import time\ntime.sleep(1)\nprint("finished")'],
    faulted: 1,
    fault: async (kernel) => {
      const socket = (kernel as unknown as { socket: WebSocket }).socket;
      for (const data of ['{"header": {"msg_type": "stat', '{"channel": "iopub"}', new ArrayBuffer(2)]) socket.dispatchEvent(new MessageEvent('message', { data }));
    },
    nextCell: '"alive"',
  },
  { said: /could not read/, next: "'alive'", survives: true },
);

// Every frame held for seconds each way by a proxy before the server (nothing cut): the cell runs once, its output
// whole, and meanwhile the status says the server is slow to answer instead of showing an idle kernel.
fault(
  'the kernel WebSocket delayed by seconds',
  {
    kernel: () => new RemoteKernel({ server: jupyterServerBehindDelayProxy(), slowAnswerMs: 2_000 }),
    cells: ['runs = 0', 'runs += 1\nprint("finished", runs)'],
    faulted: 1,
    ...webSocketDelayed,
    nextCell: 'runs',
  },
  { said: /Waiting for the Jupyter Server at .*: no answer for \d+ s[^]*answered after \d+ s/, next: '1', survives: true, output: 'finished 1' },
);
