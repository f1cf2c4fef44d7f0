import { expect } from '@open-wc/testing';
import type * as BentoLite from '../src/index.ts';
import { waitFor } from './helpers.ts';
import { jupyterServer } from './kernel/remote/server.ts';

// The built package as a page gets it (`npm test` builds first): worker.js and the Pyodide files beside the
// bundle, found with no configuration and no network.
const bundleURL = '/dist/bento-lite.js';

type FrameWindow = Window & typeof globalThis & { bento: typeof BentoLite; pwned?: boolean };

/** A fresh page (its own module map and default Python runtime) with `body` and the built bundle in it. */
async function openPage(body: string): Promise<{ win: FrameWindow; close: () => void }> {
  const frame = document.createElement('iframe');
  const url = new URL(bundleURL, location.href).href;
  frame.srcdoc = `<!doctype html>${body}
    <script type="module" src="${url}"></script>
    <script type="module">import * as bento from '${url}'; window.bento = bento;</script>`;
  document.body.append(frame);
  await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  return { win: frame.contentWindow as FrameWindow, close: () => frame.remove() };
}

/** The chunks a file of dist/ imports statically (`from"./x.js"`), and theirs: what loads with it, always. */
async function staticImports(file: string, found = new Set<string>()): Promise<Set<string>> {
  const text = await (await fetch(`/dist/${file}`)).text();
  const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  for (const [, path] of text.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) {
    const imported = folder + path;
    if (found.has(imported)) continue;
    found.add(imported);
    await staticImports(imported, found);
  }
  return found;
}

/** The scripts a page has fetched so far, as paths inside dist/ (`bento-lite.js`, `chunks/sanitize-X.js`). */
function fetchedScripts(win: Window): string[] {
  return win.performance
    .getEntriesByType('resource')
    .map((entry) => new URL(entry.name).pathname)
    .filter((path) => path.startsWith('/dist/') && path.endsWith('.js'))
    .map((path) => path.slice('/dist/'.length));
}

/** What a page loads only when it shows such a thing: never before any cell runs on a page without it. */
const ON_DEMAND_CHUNK = /^chunks\/(sql-cell|bento-table-view|duckdb|parquet|clickhouse|editor|kernel|graphql-cell|graphql)-/;

describe('the built bundle', () => {
  it('runs Python with its default, self-hosted assets', async () => {
    const bento: typeof BentoLite = await import(/* @vite-ignore */ bundleURL);
    const runtime = new bento.PyodideRuntime();
    expect(runtime.options.workerURL).to.equal(new URL('/dist/worker.js', location.href).href);
    expect(runtime.options.indexURL).to.equal(new URL('/dist/pyodide/', location.href).href);
    const kernel = new bento.PyodideKernel({ runtime });
    const outputs: unknown[] = [];
    const reply = await kernel.execute('import sys\nsys.version_info[:2] >= (3, 12), 1 + 1', {
      onIOPub: (m) => m.header.msg_type === 'execute_result' && outputs.push(m.content),
    });
    expect(reply.content.status).to.equal('ok');
    expect(outputs).to.have.length(1);
    expect((outputs[0] as { data: Record<string, string> }).data['text/plain']).to.equal('(True, 2)');
    runtime.terminate();
  });

  it('leaves the remote-kernel client, the editor, the Markdown renderer and the SQL cell out of what every page loads', async () => {
    const files = ['bento-lite.js', ...(await staticImports('bento-lite.js'))];
    const texts = await Promise.all(files.map(async (file) => (await fetch(`/dist/${file}`)).text()));
    const everyPage = texts.join('\n');
    expect(everyPage).to.contain('bento-notebook');
    expect(everyPage).not.to.contain('kernel_info_request'); // RemoteKernel: a chunk loaded when a server kernel is picked
    expect(everyPage).not.to.contain('closeBrackets'); // CodeMirror: a chunk loaded when a cell is edited
    expect(everyPage).not.to.contain('ALLOWED_ATTR'); // DOMPurify: a chunk loaded when Markdown or HTML is shown
    expect(everyPage).not.to.contain('Run the query'); // <sql-cell>: a chunk loaded when a page shows one
  });

  it('fetches only the bundle for a notebook of code and ordinary Markdown before any cell runs, and starts Python at once', async () => {
    const { win, close } = await openPage(`
      <bento-notebook no-autosave>
        <bento-cell type="markdown">
          # Notes

          Some **bold** text, \`code\` and [a link](https://example.com/docs).
        </bento-cell>
        <bento-cell>import sys\nsys.version_info[:2] >= (3, 12)</bento-cell>
        <bento-cell>1 + 1</bento-cell>
      </bento-notebook>`);
    try {
      await win.customElements.whenDefined('bento-notebook');
      const notebook = win.document.querySelector('bento-notebook')!;
      // Resolves once the cells have rendered.
      await notebook.updateComplete;

      const markdown = notebook.cells[0].shadowRoot!.querySelector('.markdown')!;
      expect(markdown.querySelector('h1')?.textContent).to.equal('Notes');
      expect(markdown.querySelector('strong')?.textContent).to.equal('bold');
      expect(markdown.querySelector('a')?.getAttribute('href')).to.equal('https://example.com/docs');
      expect(notebook.cells[1].shadowRoot!.querySelector('.static .tok-keyword')?.textContent, 'code is painted highlighted').to.equal('import');

      // Only the bundle: ordinary Markdown needs neither marked nor DOMPurify, and nothing else is on demand.
      const everyPage = new Set(['bento-lite.js', ...(await staticImports('bento-lite.js'))]);
      const fetched = fetchedScripts(win);
      expect(fetched.filter((file) => ON_DEMAND_CHUNK.test(file)), 'chunks for things this page does not show').to.deep.equal([]);
      expect(fetched.filter((file) => !everyPage.has(file) && file !== 'worker.js'), 'beyond the bundle').to.deep.equal([]);
      expect([...everyPage].filter((file) => !fetched.includes(file)), 'the bundle was fetched whole').to.deep.equal([]);

      // Python began to start when the notebook connected, though no cell has run.
      const kernel = notebook.kernel;
      expect(kernel.status).to.be.oneOf(['starting', 'idle']);
      const booting = kernel.status === 'starting';
      if (booting) {
        // The toolbar says how far the start-up is.
        const status = notebook.shadowRoot!.querySelector('[part~="status"]')!.textContent!;
        expect(status).to.match(/starting Python|downloading Python \d+%|compiling Python/);
        expect(notebook.shadowRoot!.querySelector('progress[part="progress"]')).not.to.equal(null);
      }
      // A cell run during the start-up is queued, and runs as soon as Python is ready, with nothing else to trigger it.
      const statuses: string[] = [];
      kernel.onStatusChange((change) => statuses.push(change.status));
      const running = notebook.run(1);
      expect(notebook.cells[1].state).to.equal('queued');
      const reply = await running;
      expect(reply?.content.status).to.equal('ok');
      expect(reply?.content.execution_count, 'the first execution of this kernel').to.equal(1);
      expect(notebook.cells[1].outputs.outputs.map((o) => (o as { data?: Record<string, string> }).data?.['text/plain'])).to.deep.equal(['True']);
      if (booting) expect(statuses.slice(0, -1), 'Python was never idle before the queued cell ran').not.to.include('idle');
      expect(statuses.at(-1)).to.equal('idle');
      expect(fetchedScripts(win).filter((file) => ON_DEMAND_CHUNK.test(file)), 'running code loads no chunk either').to.deep.equal([]);
    } finally {
      close();
    }
  });

  it('loads the sanitizer for Markdown with raw HTML in it, and shows it sanitized', async () => {
    const { win, close } = await openPage(`
      <bento-cell type="markdown">
        # Notes

        Some **bold** text &lt;img src="data:," onerror="window.pwned = true"&gt;&lt;script&gt;window.pwned = true&lt;/script&gt;
        and [a link](javascript:window.pwned=true).
      </bento-cell>`);
    try {
      win.pwned = false;
      await win.customElements.whenDefined('bento-cell');
      const cell = win.document.querySelector('bento-cell')!;
      // Resolves once the Markdown has rendered, with the sanitizer's chunk.
      await cell.updateComplete;
      const markdown = cell.shadowRoot!.querySelector('.markdown')!;
      expect(markdown.classList.contains('pending')).to.equal(false);
      expect(markdown.querySelector('h1')?.textContent).to.equal('Notes');
      expect(markdown.querySelector('strong')?.textContent).to.equal('bold');
      expect(markdown.querySelector('script')).to.equal(null);
      expect(markdown.querySelector('img')?.hasAttribute('onerror')).to.equal(false);
      expect(markdown.querySelector('a')?.getAttribute('href') ?? '').not.to.contain('javascript');
      expect(fetchedScripts(win).some((file) => file.startsWith('chunks/sanitize-'))).to.equal(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(win.pwned).to.equal(false);
    } finally {
      close();
    }
  });

  it('starts the page\'s Python session at once for a code cell on its own, but not for a <sql-cell> alone', async () => {
    const alone = await openPage(`<bento-cell>x = 1</bento-cell>`);
    try {
      await alone.win.customElements.whenDefined('bento-cell');
      await alone.win.document.querySelector('bento-cell')!.updateComplete;
      // In a task after the page's own scripts ran (they may configure the runtime), with no run asked for.
      await waitFor(() => alone.win.bento.PyodideRuntime.default().state !== 'stopped', 'Python did not start');
      expect(alone.win.bento.PyodideRuntime.default().state).to.be.oneOf(['starting', 'ready']);
    } finally {
      alone.close();
    }
  });

  it('starts Python for a notebook as the bundle runs, before the page\'s own scripts ran', async () => {
    const frame = document.createElement('iframe');
    const url = new URL(bundleURL, location.href).href;
    // The page's script reads the state the moment it runs (default() then takes the runtime for the page).
    frame.srcdoc = `<!doctype html><bento-notebook no-autosave><bento-cell>6 * 7</bento-cell></bento-notebook>
      <script type="module" src="${url}"></script>
      <script type="module">import * as bento from '${url}'; window.bento = bento; window.stateSeen = bento.PyodideRuntime.default().state;</script>`;
    document.body.append(frame);
    try {
      const win = frame.contentWindow as FrameWindow & { stateSeen?: string };
      const seen = await waitFor(() => win.stateSeen, 'the page script never ran');
      expect(seen, 'Python was booting when the page script ran').to.equal('starting');
      const notebook = win.document.querySelector('bento-notebook')!;
      expect((await notebook.run(0))?.content.status).to.equal('ok');
      expect((notebook.kernel as BentoLite.PyodideKernel).runtime, 'the notebook runs on the runtime started early').to.equal(win.bento.PyodideRuntime.default());
    } finally {
      frame.remove();
    }
  });

  it('ends the Python it started early when the page gives its notebook another kernel', async () => {
    const { win, close } = await openPage(`<bento-notebook no-autosave><bento-cell>6 * 7</bento-cell></bento-notebook>
      <script type="module">
        import * as bento from '${new URL(bundleURL, location.href).href}';
        const kernel = new bento.PyodideKernel({ runtime: new bento.PyodideRuntime() });
        document.querySelector('bento-notebook').kernel = kernel;
        window.hostKernel = kernel;
      </script>`);
    try {
      const host = await waitFor(() => (win as FrameWindow & { hostKernel?: BentoLite.PyodideKernel }).hostKernel, 'the page script never ran');
      await host.ready();
      const notebook = win.document.querySelector('bento-notebook')!;
      expect(notebook.kernel).to.equal(host);
      // The early runtime was ended, so the page's default is a new one that nothing started.
      expect(win.bento.PyodideRuntime.default().state, 'the early Python is still running').to.equal('stopped');
    } finally {
      close();
    }
  });

  it("shows a %%sql cell written in the page's HTML as a SQL cell at once, and loads <sql-cell> once Python has started", async () => {
    const source = '%%sql answer\nSELECT 6 * 7 AS answer';
    const url = new URL(bundleURL, location.href).href;
    // The page's own script runs while Python boots (see the test above): what the cell shows then, and when Python is ready.
    const { win, close } = await openPage(`<bento-notebook no-autosave><bento-cell>${source}</bento-cell><bento-cell>answer</bento-cell></bento-notebook>
      <script type="module">
        import { PyodideRuntime } from '${url}';
        const cell = document.querySelector('bento-cell');
        await cell.updateComplete;
        const shadow = cell.shadowRoot;
        window.early = { python: PyodideRuntime.default().state, badge: shadow.querySelector('.badge')?.textContent, text: shadow.querySelector('pre')?.textContent, element: customElements.get('sql-cell') !== undefined };
        PyodideRuntime.default().subscribe((event) => { if (event.type === 'state' && event.state === 'ready') window.pythonReadyAt = performance.now(); });
      </script>`);
    try {
      const page = win as FrameWindow & { early?: Record<string, unknown>; pythonReadyAt?: number };
      const early = await waitFor(() => page.early, 'the page script never ran');
      expect(early, 'while Python boots: the badge over the text, the element not loaded').to.deep.equal({ python: 'starting', badge: 'SQL', text: source, element: false });
      const notebook = win.document.querySelector('bento-notebook')!;
      const cell = notebook.cells[0];
      const sql = await waitFor(() => cell.shadowRoot!.querySelector('sql-cell'), 'the cell never became a <sql-cell>', 60_000);
      expect(sql).to.be.instanceOf(win.customElements.get('sql-cell')!);
      expect(sql.source, 'the element shows the same text').to.equal(source);
      expect(cell.source).to.equal(source);
      expect(cell.shadowRoot!.querySelector('.badge'), 'the stand-in is gone').to.equal(null);
      const chunk = win.performance.getEntriesByType('resource').find((entry) => new URL(entry.name).pathname.startsWith('/dist/chunks/sql-cell-'))!;
      expect(page.pythonReadyAt, 'Python started').to.be.a('number');
      expect(chunk.startTime, '<sql-cell> waited for Python to start').to.be.greaterThan(page.pythonReadyAt!);
      expect(cell.count, 'nothing ran').to.equal(null);
    } finally {
      close();
    }
  });

  it("lists a configured Jupyter Server's kernels once Python has started, not during its boot", async () => {
    const { baseUrl, token } = jupyterServer();
    const url = new URL(bundleURL, location.href).href;
    const { win, close } = await openPage(`<bento-notebook no-autosave server-url="${baseUrl}" token="${token}"><bento-cell>1 + 1</bento-cell></bento-notebook>
      <script type="module">
        import { PyodideRuntime } from '${url}';
        window.stateAtScript = PyodideRuntime.default().state;
        PyodideRuntime.default().subscribe((event) => { if (event.type === 'state' && event.state === 'ready') window.pythonReadyAt = performance.now(); });
      </script>`);
    try {
      const page = win as FrameWindow & { pythonReadyAt?: number; stateAtScript?: string };
      const notebook = win.document.querySelector('bento-notebook')!;
      const selector = await waitFor(() => notebook.shadowRoot!.querySelector('kernel-selector'), 'no kernel selector');
      const offered = () => [...selector.shadowRoot!.querySelectorAll('option')].map((o) => o.textContent!.trim());
      await waitFor(() => offered().includes('Python 3 (ipykernel)'), "the server's kernels were never offered", 60_000);
      const listed = win.performance.getEntriesByType('resource').filter((entry) => new URL(entry.name).pathname.endsWith('/api/kernelspecs'));
      expect(listed.length, 'the server was asked').to.be.greaterThan(0);
      expect(page.pythonReadyAt, `Python started (it was ${page.stateAtScript} when the page's script ran)`).to.be.a('number');
      for (const entry of listed) expect(entry.startTime, 'the list waited for Python to start').to.be.greaterThan(page.pythonReadyAt!);
    } finally {
      close();
    }
  });

  it('defines a <sql-cell> of the page when its chunk arrives; the element upgrades and runs its query without Python', async () => {
    const { win, close } = await openPage(`<sql-cell>SELECT 6 * 7 AS answer</sql-cell>`);
    try {
      const element = win.document.querySelector('sql-cell')!;
      const SqlCell = await win.customElements.whenDefined('sql-cell');
      expect(element).to.be.instanceOf(SqlCell);
      expect(fetchedScripts(win).some((file) => file.startsWith('chunks/sql-cell-'))).to.equal(true);
      // The class is no export of the bundle (that would load it with every page); loadSqlCell() gives it.
      expect((win.bento as Record<string, unknown>).SqlCell).to.equal(undefined);
      expect((await win.bento.loadSqlCell()).SqlCell).to.equal(SqlCell);
      await element.updateComplete;
      element.shadowRoot!.querySelector<HTMLButtonElement>('button.run')!.click();
      const rows = async () => {
        for (;;) {
          const view = element.shadowRoot!.querySelector('bento-table-view');
          const cells = [...(view?.shadowRoot?.querySelectorAll('tbody tr.row td:not(.index)') ?? [])].map((td) => td.textContent!.trim());
          if (cells.length) return cells;
          if (element.shadowRoot!.querySelector('.error')) throw new Error(element.shadowRoot!.querySelector('.error')!.textContent!);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      expect(await rows()).to.deep.equal(['42']);
      expect(win.bento.PyodideRuntime.default().state, 'Python was not started').to.equal('stopped');
    } finally {
      close();
    }
  });

  it('defines <sql-cell> for one added to the page later', async () => {
    const { win, close } = await openPage(`<p>Nothing to run here yet.</p>`);
    try {
      await win.customElements.whenDefined('bento-cell');
      expect(win.customElements.get('sql-cell'), 'nothing on the page needs it yet').to.equal(undefined);
      const later = win.document.createElement('div');
      later.innerHTML = '<sql-cell>SELECT 1</sql-cell>';
      win.document.body.append(later);
      const SqlCell = await win.customElements.whenDefined('sql-cell');
      expect(later.firstElementChild).to.be.instanceOf(SqlCell);
    } finally {
      close();
    }
  });

  it('shows a %%sql cell of a notebook with <sql-cell> once its chunk arrives, and runs it in order', async () => {
    const { win, close } = await openPage(`
      <bento-notebook no-autosave>
        <bento-cell>
          %%sql answer
          SELECT 6 * 7 AS answer
        </bento-cell>
        <bento-cell>print(len(answer), list(answer["answer"]))</bento-cell>
      </bento-notebook>`);
    try {
      await win.customElements.whenDefined('bento-notebook');
      const notebook = win.document.querySelector('bento-notebook')!;
      expect(win.customElements.get('sql-cell'), 'not loaded before the run: Python is still starting').to.equal(undefined);
      // Asked for at once: the Python cell must still wait for the %%sql cell, which waits for its element.
      const replies = await Promise.all(notebook.cells.map((cell) => cell.run()));
      expect(replies.map((reply) => reply?.content.status)).to.deep.equal(['ok', 'ok']);
      expect(notebook.cells[1].outputs.outputs.map((o) => (o as { text?: string }).text)).to.deep.equal(['1 [42]\n']);
      await notebook.updateComplete;
      const sql = notebook.cells[0].shadowRoot!.querySelector('sql-cell');
      expect(sql, 'the %%sql cell is shown by <sql-cell>').to.be.instanceOf(win.customElements.get('sql-cell')!);
    } finally {
      close();
    }
  });

  it('gives declarative cells the kernel of their notebook, even though cells upgrade first', async () => {
    const frame = document.createElement('iframe');
    frame.srcdoc = `<!doctype html>
      <bento-notebook no-autosave><bento-cell>x = 1</bento-cell><bento-cell>x</bento-cell></bento-notebook>
      <bento-notebook no-autosave><bento-cell>x = 2</bento-cell><bento-cell>x</bento-cell></bento-notebook>
      <script type="module" src="${new URL(bundleURL, location.href).href}"></script>`;
    document.body.append(frame);
    try {
      await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
      const win = frame.contentWindow as Window & typeof globalThis;
      await win.customElements.whenDefined('bento-notebook');
      const notebooks = [...win.document.querySelectorAll('bento-notebook')] as unknown as Array<{
        runAll(): Promise<unknown>;
        kernel: { session: string };
        cells: Array<{ count: number | null; outputs: { outputs: Array<{ data?: Record<string, string> }> } }>;
      }>;
      for (const notebook of notebooks) await notebook.runAll();
      expect(notebooks[0].kernel.session).not.to.equal(notebooks[1].kernel.session);
      expect(notebooks.map((n) => n.cells.map((c) => c.count))).to.deep.equal([
        [1, 2],
        [1, 2],
      ]);
      expect(notebooks.map((n) => n.cells[1].outputs.outputs[0].data!['text/plain'])).to.deep.equal(['1', '2']);
    } finally {
      frame.remove();
    }
  });
});
