// A notebook switched to a server kernel attaches to that same kernel after a reload, by itself: the page only
// configures the server (src/kernel/remembered.ts, components/bento-notebook/placement.ts). Against the real Jupyter
// Server, with a real reload of a host page in a frame (./frame.ts).
import { expect } from '@open-wc/testing';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import type { KernelChoice } from '../../src/kernel/choice.ts';
import type { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { JupyterServer, JupyterServerError } from '../../src/kernel/remote/server.ts';
import { inBrowser, rememberedKernel } from '../../src/kernel/remembered.ts';
import { DraftStore } from '../../src/notebook/autosave.ts';
import { codeNotebook, outputText, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';
import { openFrame, pageIn, reloadFrame, type NotebookPage } from './frame.ts';
import type { NotebookSettings } from './reload-page.ts';

const server = jupyterServer();
const rest = new JupyterServer(server);
const PYTHON3: KernelChoice = { kind: 'remote', server, kernelName: 'python3', displayName: 'Python 3 (ipykernel)' };

function notices(notebook: BentoNotebook): string {
  return [...notebook.shadowRoot!.querySelectorAll('.notice')].map((notice) => notice.textContent?.trim()).join('\n');
}

/** The notebook's kernel once it is a server kernel that started (or attached again), and the notebook showed so. */
async function serverKernelOf(notebook: BentoNotebook): Promise<RemoteKernel> {
  const kernel = await waitFor(() => !inBrowser(notebook.kernel) && (notebook.kernel as RemoteKernel), 'the notebook on a server kernel', 60_000);
  await kernel.ready();
  await notebook.updateComplete;
  return kernel;
}

async function runText(notebook: BentoNotebook, index: number): Promise<string> {
  await notebook.run(index).catch(() => undefined);
  return outputText(notebook.cells[index]);
}

async function gone(id: string): Promise<boolean> {
  try {
    await rest.getKernel(id);
    return false;
  } catch (error) {
    return error instanceof JupyterServerError && error.status === 404;
  }
}

describe('a reload of a notebook on a server kernel', function () {
  this.timeout(120_000);
  let key: string;
  let frame: HTMLIFrameElement;
  const started = new Set<string>();

  beforeEach(async () => {
    key = `reattach-${Math.random().toString(36).slice(2, 10)}`;
    const settings: NotebookSettings = { key, kernel: { servers: [server] } };
    frame = await openFrame(new URLSearchParams({ notebook: JSON.stringify(settings) }));
  });

  afterEach(async () => {
    frame.remove();
    for (const id of started) await rest.shutdownKernel(id).catch(() => {});
    started.clear();
    await new DraftStore().delete(key).catch(() => {});
    sessionStorage.removeItem(`bento-kernel:${key}`);
  });

  /** The first page: these cells, the notebook switched to the server's python3, cell 1 run; the draft saved. */
  async function onServerKernel(cells: string[]): Promise<{ page: NotebookPage; id: string }> {
    const page = await pageIn(frame, 'bentoNotebookPage');
    expect(page.restored, 'a new key has no draft').to.equal(false);
    await page.notebook.load(codeNotebook(cells));
    await page.notebook.switchKernel(PYTHON3);
    expect(await runText(page.notebook, 0)).not.to.match(/Error/);
    const { id } = await serverKernelOf(page.notebook);
    started.add(id!);
    const drafts = new DraftStore();
    await waitFor(
      async () => {
        const draft = await drafts.load(key);
        return (draft?.notebook.metadata.kernelspec as { name?: string } | undefined)?.name === 'python3' && !draft?.running;
      },
      'the draft to hold the server kernelspec, once the run ended',
      30_000,
    );
    return { page, id: id! };
  }

  async function reloaded(): Promise<BentoNotebook> {
    await reloadFrame(frame);
    const page = await pageIn(frame, 'bentoNotebookPage');
    expect(page.restored, 'the reloaded page came up from the draft').to.equal(true);
    return page.notebook;
  }

  it('attaches to the kernel it ran on, with its variables, and says so', async () => {
    const { id } = await onServerKernel(['x = 42', 'x']);
    expect(rememberedKernel(key), 'kept for the tab, without the token').to.deep.equal({ url: server.baseUrl, name: 'python3', id });
    expect(JSON.stringify(sessionStorage)).not.to.include(server.token!);

    const notebook = await reloaded();
    const kernel = await serverKernelOf(notebook);
    expect(kernel.id, 'the same kernel, not a new one').to.equal(id);
    expect(notices(notebook)).to.match(/Attached again to the running kernel Python 3[^]*its variables are kept/);
    expect(notices(notebook)).to.match(/Restored your unsaved edits/);
    expect(await runText(notebook, 1)).to.equal('42');

    // Another notebook saved with the same kernel, opened into it: the kernel stays, as Python in the browser does.
    const other = codeNotebook(['x * 2']);
    other.metadata.kernelspec = { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' };
    notebook.load(other);
    expect(await runText(notebook, 0)).to.equal('84');
    expect((notebook.kernel as RemoteKernel).id).to.equal(id);
  });

  it('waits for a cell the kernel still runs from before the reload, then runs the next after it', async () => {
    const { page, id } = await onServerKernel(['runs = 0', 'import time\ntime.sleep(4)\nruns += 1', 'runs']);
    void page.notebook.run(1).catch(() => {});
    await waitFor(async () => (await rest.getKernel(id)).execution_state === 'busy', 'the server kernel busy with cell 2', 30_000);
    await waitFor(async () => (await new DraftStore().load(key))?.running?.includes(1), 'the draft to record the running cell', 30_000);

    const notebook = await reloaded();
    await waitFor(() => /still running a cell from before/.test(notices(notebook)), 'the notebook to say its kernel still runs a cell', 30_000);
    expect(notebook.kernel.status, 'shown busy until that cell ends').to.equal('busy');
    // The draft's message knows the kernel outlived the page: it does not say Python started afresh.
    expect(notices(notebook)).to.match(/Cell 2 was running when the page closed[^]*the kernel may still be running it/);
    expect((notebook.kernel as RemoteKernel).id).to.equal(id);
    expect(await runText(notebook, 2), 'the cell ran once, and the next after it').to.equal('1');
  });

  it('starts a new kernel, and says so, when the one it ran on is gone from the server', async () => {
    const { id } = await onServerKernel(['x = 42', 'x']);
    await rest.shutdownKernel(id);

    const notebook = await reloaded();
    const kernel = await serverKernelOf(notebook);
    started.add(kernel.id!);
    expect(kernel.id).not.to.equal(id);
    expect(notices(notebook)).to.match(/no longer on the Jupyter Server[^]*a new Python 3 \(ipykernel\) kernel started: variables are fresh/);
    expect(await runText(notebook, 1)).to.match(/NameError: name 'x' is not defined/);
    expect(await runText(notebook, 0)).to.equal('');
    expect(await runText(notebook, 1), 'the next action works').to.equal('42');
    expect(rememberedKernel(key)?.id, 'the new kernel is the one kept').to.equal(kernel.id);
  });

  it('forgets the server kernel once switched back to Python in the browser', async () => {
    const { page, id } = await onServerKernel(['x = 42', 'x']);
    await page.notebook.switchKernel({ kind: 'pyodide' });
    expect(rememberedKernel(key)).to.equal(undefined);
    await waitFor(() => gone(id), 'the server kernel shut down by the switch', 30_000);

    const notebook = await reloaded();
    expect(inBrowser(notebook.kernel), 'the reloaded notebook runs in the browser').to.equal(true);
    expect(await runText(notebook, 1)).to.match(/NameError/);
  });
});
