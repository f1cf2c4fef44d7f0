// The fault table's reload rows (`npm run faults` prints them with notebook-faults.test.ts's): a notebook fault, and
// while it is in the middle, a real page reload. The notebook is a host page of its own (test/reload/reload-page.html
// in an iframe) with autosave on: cells loaded, the first run (binding a variable), an edit typed into a cell that
// nothing but autosave has, the faulted cell started, the fault done, and the frame reloaded. The reloaded page must
// come up with the person's text and say what happened, and the next action must work. Against the real parts:
// Pyodide, the Jupyter Server (killed and restarted by the test runner), ClickHouse, the GraphQL server.
import { expect } from '@open-wc/testing';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import type { ConnectorConfig } from '../../src/data/connectors.ts';
import type { ExecuteReply } from '../../src/kernel/protocol.ts';
import { DraftStore } from '../../src/notebook/autosave.ts';
import { codeNotebook, outputText, waitFor } from '../helpers.ts';
import { jupyterServer, jupyterServerBehindDelayProxy } from '../kernel/remote/server.ts';
import { openFrame, pageIn, reloadFrame, type NotebookPage } from '../reload/frame.ts';
import type { NotebookSettings } from '../reload/reload-page.ts';
import { settle } from './settle.ts';
import { jupyterKilled, webSocketDelayed } from './actions.ts';

const clickhouse = (window as unknown as { __bentoClickHouse: { url: string; user: string; password: string } }).__bentoClickHouse;
const graphql = (window as unknown as { __bentoGraphQL: { url: string } }).__bentoGraphQL;
// The reload lands while these wait: a timeout far past the reload, so the run is still in the middle when it comes.
const connectors: ConnectorConfig[] = [
  { name: 'reload-warehouse-slow', kind: 'clickhouse', label: 'A warehouse that never answers', options: { url: '/never-answers/clickhouse', timeoutMs: 60_000 } },
  { name: 'reload-warehouse', kind: 'clickhouse', label: 'Warehouse', options: { url: clickhouse.url }, credentials: { user: clickhouse.user, password: clickhouse.password } },
];
const graphqlEndpoints = [
  { name: 'reload-shop', url: graphql.url },
  { name: 'reload-shop-slow', url: '/never-answers/graphql', timeoutMs: 60_000 },
];
const sheets = [{ name: 'reload-sheets-slow', csvBase: '/never-answers/sheets', timeoutMs: 60_000 }];
const SHEET = 'https://docs.google.com/spreadsheets/d/public-orders/edit#gid=0';
/** The person's latest text, typed into the last cell just before the faulted run: only autosave has it. */
const EDIT = '# my latest notes, typed just now: not saved to any file';

let count = 0;

interface Observed {
  /** The reloaded page, once it settled (undefined: it never did). */
  page?: NotebookPage;
  sourcesBefore: string[];
  sourcesAfter: string[];
  /** What the reloaded page tells the person: its notice, its errors, and the faulted cell's restored output. */
  said: string;
  /** Every message the reloaded page shows once it shows an error (rows with `showsError`). */
  shownWithError?: string[];
  next?: ExecuteReply;
  nextText: string;
  bound?: ExecuteReply;
  boundAfter: string;
}

interface ReloadScenario {
  kernel: NotebookSettings['kernel'];
  /** The first cell binds what must survive (or not); `faulted` is the index of the one the fault hits. */
  cells: string[];
  faulted: number;
  brokenBefore?: () => Promise<void>;
  /** Breaks something once the faulted cell runs, before the reload. */
  fault?: () => Promise<void>;
  /** Puts things back, once the reloaded page is up. */
  recover?: () => Promise<void>;
  /** The person's next action starts with Restart (a server kernel that died with its server). */
  restartFirst?: boolean;
  /** The reloaded page shows an error (its kernel cannot start): what it shows beside it is read then. */
  showsError?: boolean;
  nextCell: string;
  bound: string;
}

function sources(notebook: BentoNotebook): string[] {
  return notebook.cells.map((cell) => cell.source);
}

/** What the notebook shows above its cells (its newest message). */
function noticeText(notebook: BentoNotebook): string {
  return notebook.shadowRoot!.querySelector('.notice')?.textContent?.trim() ?? '';
}

/** Every message the notebook shows, once one of them is an error (undefined until then). */
function noticesWithError(notebook: BentoNotebook): string[] | undefined {
  const notices = [...notebook.shadowRoot!.querySelectorAll('.notice')];
  return notices.some((notice) => notice.classList.contains('error')) ? notices.map((notice) => notice.querySelector('span')?.textContent ?? '') : undefined;
}

async function runLast(notebook: BentoNotebook, source: string): Promise<{ reply?: ExecuteReply; text: string }> {
  notebook.insertCell(notebook.cells.length, 'code', source);
  const reply = await settle(notebook.run(notebook.cells.length - 1).catch(() => undefined));
  return { reply, text: outputText(notebook.cells[notebook.cells.length - 1]) };
}

async function reloadScenario(options: ReloadScenario): Promise<Observed> {
  const key = `reload-fault-${++count}-${Math.random().toString(36).slice(2, 8)}`;
  const settings: NotebookSettings = { key, kernel: options.kernel, graphql: graphqlEndpoints, sheets };
  const frame = await openFrame(new URLSearchParams({ connectors: JSON.stringify(connectors), notebook: JSON.stringify(settings) }));
  let page: NotebookPage | undefined;
  try {
    const first = await pageIn(frame, 'bentoNotebookPage');
    expect(first.restored, 'a new key has no draft').to.equal(false);
    first.notebook.load(codeNotebook([...options.cells, '# notes']));
    await first.notebook.updateComplete;
    for (let i = 0; i < options.faulted; i++) await first.notebook.run(i);
    await options.brokenBefore?.();
    // Typed, then the faulted cell run at once: autosave's delay has not passed when the page goes.
    const notes = first.notebook.cells[first.notebook.cells.length - 1];
    notes.source = EDIT;
    notes.dispatchEvent(new Event('bento-change', { bubbles: true, composed: true }));
    const sourcesBefore = sources(first.notebook);
    void first.notebook.run(options.faulted).catch(() => {});
    const faulted = first.notebook.cells[options.faulted];
    await waitFor(() => faulted.state !== 'queued' && faulted.state !== 'idle', 'the faulted cell to start', 30_000);
    // The run wrote the draft (the edit, and which cell runs) at once, but IndexedDB commits it a moment later: a
    // person reloads a page whose cell hangs after seconds, not within that moment (on a loaded machine the reload
    // came first, and the draft before it was restored).
    const drafts = new DraftStore();
    await waitFor(
      async () => {
        const draft = await drafts.load(key);
        return draft?.running?.includes(options.faulted) && draft.notebook.cells.some((cell) => [cell.source].flat().join('') === EDIT);
      },
      'the draft to hold the edit and the running cell',
      30_000,
    );
    await options.fault?.();

    await reloadFrame(frame);
    page = await settle(pageIn(frame, 'bentoNotebookPage'));
    if (!page) return { sourcesBefore, sourcesAfter: [], said: '', nextText: '', boundAfter: '' };
    const { notebook } = page;
    const shown = noticeText(notebook);
    const shownWithError = options.showsError ? await settle(waitFor(() => noticesWithError(notebook), 'an error shown', 30_000).catch(() => undefined)) : undefined;
    const sourcesAfter = sources(notebook);
    const restoredOutput = outputText(notebook.cells[options.faulted]);
    await options.recover?.();
    if (options.restartFirst) await settle(notebook.restart());
    const next = await runLast(notebook, options.nextCell);
    const bound = await runLast(notebook, options.bound);
    const said = [shown, ...page.errors, restoredOutput].join('\n');
    return { page, sourcesBefore, sourcesAfter, said, shownWithError, next: next.reply, nextText: next.text, bound: bound.reply, boundAfter: bound.text };
  } finally {
    await page?.kernel.shutdown().catch(() => {});
    frame.remove();
    await new DraftStore().delete(key).catch(() => {});
    sessionStorage.removeItem(`reload-page-kernel:${key}`);
  }
}

interface ReloadExpected {
  /** What the reloaded page must say, besides that it restored the person's text. */
  said: RegExp;
  /** What must still be shown once the reloaded page shows its error (rows with `showsError`). */
  shownWithError?: RegExp;
  next: string;
  /** What the variable the faulted cell would have bound holds on the reloaded page's kernel. */
  unbound: RegExp;
}

/** One row: the fault with a reload in the middle, run once, then the table's guarantees (the same columns). */
function reloadFault(name: string, options: ReloadScenario, expected: ReloadExpected): void {
  describe(`fault: ${name}`, function () {
    this.timeout(180_000);
    let observed: Observed;
    before(async () => {
      observed = await reloadScenario(options);
    });
    it('every promise settles', () => {
      expect(observed.page, 'the reloaded page never came up').not.to.equal(undefined);
      expect(observed.next, 'the next run never settled').not.to.equal(undefined);
      expect(observed.bound, 'reading the variable never settled').not.to.equal(undefined);
    });
    it("the user's text is intact", () => {
      expect(observed.sourcesBefore).to.include(EDIT);
      expect(observed.sourcesAfter).to.deep.equal(observed.sourcesBefore);
    });
    it('the status says what happened', () => {
      expect(observed.page?.restored, 'the page came up from the draft').to.equal(true);
      expect(observed.said).to.match(expected.said);
      if (expected.shownWithError) {
        expect(observed.shownWithError, 'the reloaded page shows an error').not.to.equal(undefined);
        expect(observed.shownWithError!.join('\n'), 'the error does not hide it').to.match(expected.shownWithError);
      }
    });
    it('the next action works', () => {
      expect(observed.next?.content.status, observed.nextText).to.equal('ok');
      expect(observed.nextText).to.include(expected.next);
    });
    it('no half-bound variable', () => {
      expect(observed.boundAfter).to.match(expected.unbound);
    });
  });
}

/** Cell 2 (the faulted one) is named as cut short by the reload, on a Python that started with the reloaded page. */
const CUT_SHORT = /Restored your unsaved edits[^]*Cell 2 was running when the page closed[^]*Python started afresh with the page/;
/** The same, on a server kernel the reloaded page reattached to (it went on running the cell). */
const CUT_SHORT_SERVER = /Restored your unsaved edits[^]*Cell 2 was running when the page closed[^]*the kernel may still be running it, or have finished/;
/** Serverless Python starts afresh with the page: the variable is not bound at all, let alone half. */
const FRESH = (name: string) => new RegExp(`NameError: name '${name}' is not defined`);

reloadFault(
  'a reload mid-cell while the Pyodide worker is killed',
  { kernel: 'pyodide', cells: ['x = 1', 'import js, time\njs.close()\nwhile True: time.sleep(0.01)'], faulted: 1, nextCell: '"alive"', bound: 'x' },
  { said: /Restored your unsaved edits[^]*(Cell 2 was running when the page closed[^]*Python started afresh|stopped unexpectedly)/, next: "'alive'", unbound: FRESH('x') },
);

reloadFault(
  'a reload mid-cell while out of memory in the browser',
  { kernel: 'pyodide', cells: ['big = "kept"', 'big = bytearray(2**31 - 1)'], faulted: 1, nextCell: '"alive"', bound: 'big' },
  { said: /Restored your unsaved edits[^]*(Cell 2 was running when the page closed[^]*Python started afresh|MemoryError)/, next: "'alive'", unbound: FRESH('big') },
);

reloadFault(
  'a reload mid-fetch while ClickHouse is slow',
  { kernel: 'pyodide', cells: ['t = "kept"', '%%sql t --conn reload-warehouse-slow\nSELECT 1 AS n'], faulted: 1, nextCell: '%%sql u --conn reload-warehouse\nSELECT 42 AS answer', bound: 't' },
  { said: CUT_SHORT, next: '1 row', unbound: FRESH('t') },
);

reloadFault(
  'a reload mid-fetch while the GraphQL server is slow',
  {
    kernel: 'pyodide',
    cells: ['orders = "kept"', '%%graphql orders --endpoint reload-shop-slow\n{ orders(first: 2) { nodes { number } } }'],
    faulted: 1,
    nextCell: '%%graphql again --endpoint reload-shop\n{ orders(first: 2) { nodes { number } } }',
    bound: 'orders',
  },
  { said: CUT_SHORT, next: 'a dict', unbound: FRESH('orders') },
);

reloadFault(
  'a reload mid-fetch while the sheet source is slow',
  { kernel: 'pyodide', cells: ['sheet = "kept"', `%%googlesheet sheet --source reload-sheets-slow\n${SHEET}`], faulted: 1, nextCell: '"alive"', bound: 'sheet' },
  { said: CUT_SHORT, next: "'alive'", unbound: FRESH('sheet') },
);

// The server kernel outlives the page, and the reloaded page reattaches to it: a data cell the reload cut short
// never bound its variable there, and what the first cell bound is still there.
reloadFault(
  'a reload mid-fetch on the Jupyter kernel while ClickHouse is slow',
  {
    kernel: { server: jupyterServer() },
    cells: ['t = "kept"', '%%sql t --conn reload-warehouse-slow\nSELECT 1 AS n'],
    faulted: 1,
    nextCell: '%%sql u --conn reload-warehouse\nSELECT 42 AS answer',
    bound: 't',
  },
  { said: CUT_SHORT_SERVER, next: '1 row', unbound: /^'kept'$/ },
);

// The reload cuts the kernel WebSocket mid-execution; the server runs the cell to its end meanwhile, once. The
// reloaded page attaches while it still runs, for longer than a kernel_info request may take (requestTimeoutMs, 3 s).
// On a loaded machine the reloaded page came up after the cell ended, and that kernel's answer took longer than 3 s
// twice (a CI run): a kernel found again is now waited for, not called dead (test/kernel/remote/faults.test.ts).
reloadFault(
  'a reload mid-execution on the Jupyter kernel (its WebSocket cut)',
  {
    kernel: { server: jupyterServer(), requestTimeoutMs: 3_000 },
    cells: ['runs = 0', 'import time\ntime.sleep(8)\nruns += 1\nprint("finished", runs)'],
    faulted: 1,
    nextCell: 'runs',
    bound: 'runs',
  },
  { said: CUT_SHORT_SERVER, next: '1', unbound: /^1$/ },
);

reloadFault(
  'a reload mid-execution while the kernel WebSocket is delayed by seconds',
  {
    kernel: { server: jupyterServerBehindDelayProxy() },
    cells: ['runs = 0', 'runs += 1\nprint("finished", runs)'],
    faulted: 1,
    ...webSocketDelayed,
    nextCell: 'runs',
    bound: 'runs',
  },
  { said: CUT_SHORT_SERVER, next: '1', unbound: /^1$/ },
);

// The server dies with its kernels mid-execution and the page is reloaded while it is down: the page cannot reattach,
// says so, and Restart (once the server is back) gives a new kernel.
reloadFault(
  'a reload mid-execution while the Jupyter Server is killed',
  {
    kernel: { server: jupyterServer() },
    cells: ['x = 1', 'import time\ntime.sleep(60)'],
    faulted: 1,
    ...jupyterKilled,
    restartFirst: true,
    showsError: true,
    nextCell: '"alive"',
    bound: 'x',
  },
  {
    said: /Restored your unsaved edits[^]*Could not start the kernel[^]*Jupyter Server/,
    shownWithError: /^Restored your unsaved edits/m,
    next: "'alive'",
    unbound: FRESH('x'),
  },
);
