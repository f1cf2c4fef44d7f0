// The notebook's toolbar and layout at the widths people use (a 1280 px page, a 450 px column, a 390 px phone),
// its overflow menu by keyboard, and what its actions do when the server behind the kernel is gone.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import type { BentoErrorEvent } from '../../components/shared/events.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

const runtime = new PyodideRuntime(testRuntimeOptions());
after(() => runtime.terminate());

const HEADING = 'Monthly temperatures of four cities';

async function notebookAt(width: number): Promise<BentoNotebook> {
  const wrapper = await fixture<HTMLDivElement>(html`
    <div style="width: ${width}px">
      <bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}>
        <bento-cell type="markdown"># ${HEADING}</bento-cell>
        <bento-cell>total = 1 + 1</bento-cell>
        <bento-cell>total * 10</bento-cell>
      </bento-notebook>
    </div>
  `);
  const notebook = wrapper.querySelector('bento-notebook')!;
  await notebook.updateComplete;
  return notebook;
}

const part = (notebook: BentoNotebook, selector: string) => notebook.shadowRoot!.querySelector<HTMLElement>(selector)!;
const moreButton = (notebook: BentoNotebook) => part(notebook, 'button[aria-haspopup="menu"]');
const menu = (notebook: BentoNotebook) => part(notebook, '[role="menu"]');
const visibleItems = (notebook: BentoNotebook) =>
  [...notebook.shadowRoot!.querySelectorAll<HTMLElement>('[role="menuitem"]')].filter((item) => item.checkVisibility()).map((item) => item.querySelector('span')!.textContent);
const focused = (notebook: BentoNotebook) => notebook.shadowRoot!.activeElement;

/** The lines a word of `element`'s text is laid out on (a word broken inside gives two rectangles). */
function linesOfWord(element: Element, word: string): number {
  const node = [...element.childNodes].find((child) => child.nodeType === Node.TEXT_NODE && child.textContent!.includes(word))!;
  const range = document.createRange();
  const start = node.textContent!.indexOf(word);
  range.setStart(node, start);
  range.setEnd(node, start + word.length);
  return range.getClientRects().length;
}

describe('<bento-notebook> toolbar and layout', () => {
  // 358: a notebook in a 390 px phone's page with 16 px margins, as in demo/index.html.
  for (const width of [1280, 450, 390, 358]) {
    it(`keeps the toolbar to one row at ${width} px, every control inside it`, async () => {
      const notebook = await notebookAt(width);
      const toolbar = part(notebook, '[part="toolbar"]').getBoundingClientRect();
      const button = moreButton(notebook).getBoundingClientRect();
      expect(button.height).to.be.greaterThan(0);
      expect(toolbar.height, 'one row: less than two buttons high').to.be.lessThan(2 * button.height);
      const controls = [...part(notebook, '[part="toolbar"]').children].filter((child) => (child as HTMLElement).checkVisibility());
      for (const control of controls) {
        const box = control.getBoundingClientRect();
        expect(box.right, `${control.localName}.${control.className} inside the toolbar`).to.be.at.most(toolbar.right + 0.5);
        expect(box.left).to.be.at.least(toolbar.left - 0.5);
      }
      const select = notebook.shadowRoot!.querySelector('kernel-selector')!.shadowRoot!.querySelector('select')!;
      expect(select.getBoundingClientRect().width, 'the kernel picker is still there to read').to.be.greaterThan(80);
      await expect(notebook).to.be.accessible();
    });

    it(`never breaks a heading inside a word at ${width} px`, async () => {
      const notebook = await notebookAt(width);
      const heading = notebook.cells[0].shadowRoot!.querySelector('.markdown h1')!;
      expect(heading.textContent).to.equal(HEADING);
      for (const word of HEADING.split(' ')) expect(linesOfWord(heading, word), `"${word}" on one line`).to.equal(1);
    });
  }

  it('keeps its width where the page gives it none: beside a sidebar in a flex row, and in a shrink-to-fit box', async () => {
    // Container queries need inline-size containment, which leaves an element no content width of its own.
    const page = await fixture<HTMLDivElement>(html`
      <div style="width: 900px">
        <div style="display: flex; gap: 8px">
          <nav style="width: 120px">Contents</nav>
          <bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}><bento-cell>1 + 1</bento-cell></bento-notebook>
        </div>
        <div style="display: inline-block"><bento-cell>print("alone")</bento-cell></div>
      </div>
    `);
    const notebook = page.querySelector('bento-notebook')!;
    await notebook.updateComplete;
    const width = (selector: string) => page.querySelector(selector)!.getBoundingClientRect().width;
    expect(width('bento-notebook'), 'a readable width within the row').to.be.within(600, 900 - 120 - 8);
    expect(width('div[style*="inline-block"] > bento-cell'), 'a readable width').to.be.greaterThan(400);
    await expect(notebook).to.be.accessible();
  });

  it('keeps one row while Python starts, the progress bar included', async () => {
    const starting = new PyodideRuntime(testRuntimeOptions());
    try {
      const wrapper = await fixture<HTMLDivElement>(html`<div style="width: 450px"><bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime: starting })}></bento-notebook></div>`);
      const notebook = wrapper.querySelector('bento-notebook')!;
      const progress = await waitFor(() => notebook.shadowRoot!.querySelector('progress[part="progress"]'), 'the start-up progress bar');
      const toolbar = part(notebook, '[part="toolbar"]').getBoundingClientRect();
      expect(toolbar.height).to.be.lessThan(2 * moreButton(notebook).getBoundingClientRect().height);
      expect(progress.getBoundingClientRect().right).to.be.at.most(toolbar.right);
      expect(part(notebook, '[part~="status"]').textContent, 'the words are there for screen readers').to.match(/starting Python|downloading Python|compiling Python/);
    } finally {
      starting.terminate();
    }
  });

  it('puts what the toolbar has no room for into its menu', async () => {
    const wide = await notebookAt(1280);
    moreButton(wide).click();
    await wide.updateComplete;
    expect(visibleItems(wide)).to.deep.equal(['Run the cells above', 'Run this cell and below', 'Open an .ipynb file…']);
    expect(part(wide, 'button[aria-label="Save"]').checkVisibility()).to.equal(true);
    const narrow = await notebookAt(390);
    moreButton(narrow).click();
    await narrow.updateComplete;
    expect(visibleItems(narrow)).to.deep.equal(['Restart and run all', 'Save', 'Run the cells above', 'Run this cell and below', 'Open an .ipynb file…']);
    expect(part(narrow, 'button[aria-label="Save"]').checkVisibility()).to.equal(false);
  });

  it('opens and closes its menu from the keyboard, as a menu button does', async () => {
    const notebook = await notebookAt(390);
    const more = moreButton(notebook);
    expect(more.getAttribute('aria-expanded')).to.equal('false');
    expect(menu(notebook).checkVisibility()).to.equal(false);
    more.focus();

    await sendKeys({ press: 'ArrowDown' });
    await notebook.updateComplete;
    expect(more.getAttribute('aria-expanded')).to.equal('true');
    expect(menu(notebook).checkVisibility()).to.equal(true);
    await waitFor(() => focused(notebook)?.textContent?.includes('Restart and run all'), 'the first item has focus');
    await expect(notebook).to.be.accessible();
    await sendKeys({ press: 'ArrowDown' });
    expect(focused(notebook)?.textContent).to.contain('Save');
    await sendKeys({ press: 'ArrowUp' });
    await sendKeys({ press: 'ArrowUp' });
    expect(focused(notebook)?.textContent, 'ArrowUp wraps to the last item').to.contain('Open an .ipynb file');
    await sendKeys({ press: 'Home' });
    expect(focused(notebook)?.textContent).to.contain('Restart and run all');

    await sendKeys({ press: 'Escape' });
    await notebook.updateComplete;
    expect(menu(notebook).checkVisibility(), 'Escape closes').to.equal(false);
    expect(more.getAttribute('aria-expanded')).to.equal('false');
    expect(focused(notebook), 'focus is back on the menu button').to.equal(more);

    // Enter opens it too, and Enter on an item does what it says: the cells below the selected one run.
    await sendKeys({ press: 'Enter' });
    await notebook.updateComplete;
    await waitFor(() => focused(notebook)?.getAttribute('role') === 'menuitem', 'an item has focus');
    await sendKeys({ press: 'End' });
    await sendKeys({ press: 'ArrowUp' });
    expect(focused(notebook)?.textContent).to.contain('Run this cell and below');
    await sendKeys({ press: 'Enter' });
    await notebook.updateComplete;
    expect(menu(notebook).checkVisibility()).to.equal(false);
    expect(focused(notebook)).to.equal(more);
    await waitFor(() => notebook.cells[2].count !== null, 'the cells ran', 60_000);
    expect(notebook.cells.map((cell) => cell.count)).to.deep.equal([null, 1, 2]);
    expect(notebook.cells.some((cell) => cell.isEditing), 'Enter on the toolbar opened no editor').to.equal(false);
  });

  it('moves between its buttons with the arrow keys', async () => {
    const notebook = await notebookAt(1280);
    const runAll = part(notebook, 'button[aria-label="Run all cells"]');
    runAll.focus();
    await sendKeys({ press: 'ArrowRight' });
    expect(focused(notebook)?.getAttribute('aria-label'), 'Interrupt is disabled while idle: skipped').to.equal('Restart the kernel');
    await sendKeys({ press: 'ArrowLeft' });
    await sendKeys({ press: 'ArrowLeft' });
    expect(focused(notebook)?.getAttribute('aria-label'), 'wraps to the last').to.equal('More actions');
    expect(notebook.cells.some((cell) => cell.isEditing)).to.equal(false);
  });

  it('closes its menu on a click elsewhere', async () => {
    const notebook = await notebookAt(1280);
    moreButton(notebook).click();
    await notebook.updateComplete;
    expect(menu(notebook).checkVisibility()).to.equal(true);
    part(notebook, '[part="toolbar"]').dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true }));
    await notebook.updateComplete;
    expect(menu(notebook).checkVisibility()).to.equal(false);
  });
});

describe('<bento-notebook> toolbar actions when the Jupyter Server is gone', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (event: PromiseRejectionEvent) => unhandled.push(event.reason);
  beforeEach(() => {
    unhandled.length = 0;
    window.addEventListener('unhandledrejection', onUnhandled);
  });
  afterEach(async () => {
    window.removeEventListener('unhandledrejection', onUnhandled);
  });

  async function remoteNotebook(kernel: RemoteKernel): Promise<BentoNotebook> {
    const notebook = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${kernel}><bento-cell>"back"</bento-cell></bento-notebook>`);
    await notebook.updateComplete;
    return notebook;
  }

  for (const [label, action] of [
    ['Restart the kernel', 'restart'],
    ['Restart the kernel and run all cells', 'restart and run all'],
  ] as const) {
    it(`${action}: says so in the notebook and fires bento-error, and works once the server is back`, async () => {
      const kernel = new RemoteKernel({ server: jupyterServer(), reconnect: { attempts: 1, firstDelayMs: 50 } });
      await kernel.ready();
      const notebook = await remoteNotebook(kernel);
      await executeServerCommand('jupyter-kill');
      try {
        const failed = oneEvent(notebook, 'bento-error') as unknown as Promise<BentoErrorEvent>;
        // The button of a wide toolbar, or the same action in the menu of a narrow one.
        part(notebook, `button[aria-label="${label}"]`).click();
        const { error } = await failed;
        expect(error.source).to.equal('kernel');
        expect(error.message).to.match(/^Could not restart the kernel.*: .*Jupyter Server/);
        await notebook.updateComplete;
        expect(part(notebook, '[part~="notice"][role="alert"]').textContent).to.contain(error.message);
        await expect(notebook).to.be.accessible();
      } finally {
        await executeServerCommand('jupyter-start');
      }
      // A later attempt tries again: a fresh kernel on the restarted server.
      part(notebook, `button[aria-label="${label}"]`).click();
      await waitFor(() => /Started a new kernel|Kernel restarted/.test(part(notebook, '[part~="notice"]')?.textContent ?? ''), 'the kernel is back', 60_000);
      const reply = await notebook.run(0);
      expect(reply?.content.status).to.equal('ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled, 'no unhandled rejection').to.deep.equal([]);
      await kernel.shutdown();
    });
  }

  it('kernel switch: a server that is down is a message and a bento-error; Restart then starts it', async () => {
    const notebook = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })} .servers=${[jupyterServer()]}><bento-cell>"back"</bento-cell></bento-notebook>`);
    const selector = notebook.shadowRoot!.querySelector('kernel-selector')!;
    const select = await waitFor(() => {
      const element = selector.shadowRoot!.querySelector('select');
      return element && [...element.options].some((option) => option.value.startsWith('remote:')) && element;
    }, 'the server kernels listed');
    await executeServerCommand('jupyter-kill');
    try {
      const failed = oneEvent(notebook, 'bento-error') as unknown as Promise<BentoErrorEvent>;
      select.value = [...select.options].find((option) => option.value.startsWith('remote:'))!.value;
      select.dispatchEvent(new Event('change', { bubbles: true }));
      const { error } = await failed;
      expect(error.message).to.match(/^Could not start the kernel .*: .*Jupyter Server/);
      await notebook.updateComplete;
      expect(part(notebook, '[part~="notice"][role="alert"]').textContent).to.contain('Could not start the kernel');
    } finally {
      await executeServerCommand('jupyter-start');
    }
    part(notebook, 'button[aria-label="Restart the kernel"]').click();
    await waitFor(() => notebook.kernel.status === 'idle', 'the server kernel started', 60_000);
    expect(notebook.kernel).to.be.instanceOf(RemoteKernel);
    expect((await notebook.run(0))?.content.status).to.equal('ok');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(unhandled, 'no unhandled rejection').to.deep.equal([]);
    await notebook.kernel.shutdown();
  });
});
