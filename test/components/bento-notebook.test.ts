import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { pageConfiguringAfterTheBundle, press, waitFor } from '../helpers.ts';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { DraftStore } from '../../src/notebook/autosave.ts';
import { joinSource, type CodeCell } from '../../src/notebook/nbformat.ts';
import { parseNotebook, serializeNotebook } from '../../src/notebook/ipynb.ts';
import { codeNotebook, testRuntimeOptions } from '../helpers.ts';
import { fixtureText, fixtureURL } from '../notebook/fixtures.ts';
import { validate } from '../notebook/schema.ts';

const runtime = new PyodideRuntime(testRuntimeOptions());
after(() => runtime.terminate());

function uniqueKey() {
  return `test-${crypto.randomUUID()}`;
}

async function notebookWith(cells: string[], key = uniqueKey()): Promise<BentoNotebook> {
  const el = await fixture<BentoNotebook>(html`<bento-notebook autosave-key=${key} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
  el.load(codeNotebook(cells));
  await el.updateComplete;
  return el;
}

function text(cell: BentoCell): string {
  return cell.outputs.outputs
    .map((o) => (o.output_type === 'stream' ? joinSource(o.text) : o.output_type === 'error' ? o.ename : joinSource((o.data['text/plain'] as string) ?? '')))
    .join('');
}

async function focusCell(notebook: BentoNotebook, index: number) {
  notebook.cells[index].focus();
  await notebook.updateComplete;
}

describe('<bento-notebook>', () => {
  it('reads declarative cells, code and Markdown, and is accessible', async () => {
    const el = await fixture<BentoNotebook>(html`
      <bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}>
        <bento-cell type="markdown"># Hello</bento-cell>
        <bento-cell>print(1 + 1)</bento-cell>
      </bento-notebook>
    `);
    await el.updateComplete;
    expect(el.cells.map((c) => c.type)).to.deep.equal(['markdown', 'code']);
    const json = el.toJSON();
    expect(json.cells.map((c) => joinSource(c.source))).to.deep.equal(['# Hello', 'print(1 + 1)']);
    const heading = el.cells[0].shadowRoot!.querySelector('.markdown h1');
    expect(heading?.textContent).to.equal('Hello');
    await expect(el).to.be.accessible();
  });

  it('runs a cell and keeps its output and execution count in toJSON()', async () => {
    const el = await notebookWith(['x = 6 * 7\nprint("x is", x)\nx']);
    const reply = await el.run(0);
    expect(reply?.content.status).to.equal('ok');
    const cell = el.toJSON().cells[0] as CodeCell;
    expect(cell.execution_count).to.equal(reply!.content.execution_count);
    expect(cell.outputs.map((o) => o.output_type)).to.deep.equal(['stream', 'execute_result']);
    expect(el.cells[0].shadowRoot!.querySelector('.prompt')!.textContent).to.equal(`[${cell.execution_count}]:`);
  });

  it('runAll runs in order and stops at the first error, as Jupyter does', async () => {
    const el = await notebookWith(['a = 1', 'raise ValueError("stop here")', 'never = True']);
    const replies = await el.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'error']);
    expect(el.cells[2].count).to.equal(null);
    expect(text(el.cells[1])).to.equal('ValueError');
  });

  it('cells run one after another while one fails are not run, and say so; the next run works', async () => {
    const el = await notebookWith(['import time\ntime.sleep(0.2)\nraise ValueError("stop here")', 'queued = True', 'queued']);
    // As Shift+Enter on each cell in turn does: every run is asked for before the first one has answered.
    const replies = await Promise.all([el.run(0), el.run(1), el.run(2)]);
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['error', 'aborted', 'aborted']);
    for (const cell of el.cells.slice(1)) {
      expect(cell.shadowRoot!.querySelector('.status')!.textContent).to.equal('not run: an earlier cell failed');
      expect(cell.count).to.equal(null);
    }
    expect((await el.run(2))?.content.status).to.equal('error'); // NameError: cell 1 never ran
    expect(el.cells[2].shadowRoot!.querySelector('.status')).to.equal(null);
  });

  it('Run all asked for while a cell fails stops at once: its first cell is not run, nor any after it', async () => {
    const el = await notebookWith(['import time\ntime.sleep(0.2)\nraise ValueError("stop here")', 'first_of_run_all = True', 'second_of_run_all = True']);
    const failing = el.run(0);
    const replies = await el.runAll(1);
    expect((await failing)?.content.status).to.equal('error');
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['aborted']);
    expect(el.cells[2].state).to.equal('idle');
    el.cells[2].source = "print('first_of_run_all' in globals(), 'second_of_run_all' in globals())";
    await el.run(2);
    expect(text(el.cells[2])).to.equal('False False\n');
  });

  it('command mode: A and B insert, D D deletes, Z undoes, M and Y switch type, arrows move', async () => {
    const el = await notebookWith(['first', 'second']);
    await focusCell(el, 0);
    await sendKeys({ press: 'b' });
    expect(el.cells.map((c) => c.source)).to.deep.equal(['first', '', 'second']);
    await sendKeys({ press: 'a' });
    expect(el.cells).to.have.length(4);
    expect(el.cells[1].source).to.equal('');
    await sendKeys({ press: 'ArrowDown' });
    await sendKeys({ press: 'ArrowDown' });
    expect(el.cells[3].active).to.be.true;
    await sendKeys({ press: 'm' });
    expect(el.cells[3].type).to.equal('markdown');
    await sendKeys({ press: 'y' });
    expect(el.cells[3].type).to.equal('code');
    await sendKeys({ press: 'd' });
    await sendKeys({ press: 'd' });
    expect(el.cells.map((c) => c.source)).to.deep.equal(['first', '', '']);
    await sendKeys({ press: 'z' });
    expect(el.cells.map((c) => c.source)).to.deep.equal(['first', '', '', 'second']);
  });

  it('Shift-Enter runs and moves on; Alt-Enter runs and inserts below', async () => {
    const el = await notebookWith(['1 + 1', '2 + 2']);
    await focusCell(el, 0);
    const done = oneEvent(el, 'bento-execute');
    await press('Shift', 'Enter');
    await done;
    expect(text(el.cells[0])).to.equal('2');
    expect(el.cells[1].active).to.be.true;
    const again = oneEvent(el, 'bento-execute');
    await press('Alt', 'Enter');
    await again;
    expect(text(el.cells[1])).to.equal('4');
    expect(el.cells).to.have.length(3);
  });

  it('brings a cell selected from the keyboard into view below the sticky toolbar, not under it', async () => {
    const el = await notebookWith(Array.from({ length: 12 }, (_, i) => Array.from({ length: 6 }, (_, line) => `x_${i} = ${line}`).join('\n')));
    await focusCell(el, 6);
    // The page scrolled so that the top of cell 5 is just above the window, where the toolbar sticks.
    scrollTo(0, el.cells[5].getBoundingClientRect().top + scrollY + 20);
    await sendKeys({ press: 'k' });
    await waitFor(() => document.activeElement === el.cells[5], 'K did not select the cell above');
    const toolbar = el.shadowRoot!.querySelector('.toolbar')!.getBoundingClientRect();
    expect(toolbar.top, 'the toolbar sticks to the top of the window').to.equal(0);
    expect(el.cells[5].getBoundingClientRect().top).to.be.at.least(toolbar.bottom);
    scrollTo(0, 0);
  });

  it('edits in CodeMirror: Enter opens the editor, typing changes the source, Escape leaves', async () => {
    const el = await notebookWith(['']);
    await focusCell(el, 0);
    await sendKeys({ press: 'Enter' });
    await waitFor(() => el.cells[0].shadowRoot!.querySelector('.cm-content'), 'editor did not open');
    await sendKeys({ type: 'print("typed")' });
    expect(el.cells[0].source).to.equal('print("typed")');
    await sendKeys({ press: 'Escape' });
    await sendKeys({ press: 'b' });
    expect(el.cells).to.have.length(2);
    const done = oneEvent(el, 'bento-execute');
    await el.run(0);
    await done;
    expect(text(el.cells[0])).to.equal('typed\n');
  });

  it('edits Markdown on double-click and renders it again on Shift-Enter', async () => {
    const el = await notebookWith(['']);
    el.setAttribute('no-autosave', '');
    el.cells[0].type = 'markdown';
    el.cells[0].source = '*old*';
    await el.cells[0].updateComplete;
    el.cells[0].shadowRoot!.querySelector('.markdown')!.dispatchEvent(new MouseEvent('dblclick', { bubbles: true, composed: true }));
    await waitFor(() => el.cells[0].isEditing, 'Markdown editor did not open');
    await sendKeys({ press: 'End' });
    await sendKeys({ type: ' and **new**' });
    await press('Shift', 'Enter');
    const rendered = await waitFor(() => el.cells[0].shadowRoot!.querySelector('.markdown strong'), 'not rendered');
    expect(rendered.textContent).to.equal('new');
    expect(el.cells[0].source).to.equal('*old* and **new**');
  });

  it('runs the cells above and below the selected one', async () => {
    const el = await notebookWith(['order = ["first"]', 'order.append("second")', 'order.append("third")\norder']);
    await el.runAbove(2);
    expect(el.cells.map((c) => c.count === null)).to.deep.equal([false, false, true]);
    await el.runBelow(2);
    expect(text(el.cells[2])).to.equal("['first', 'second', 'third']");
  });

  it('cancels a delete when bento-cell-delete-request is prevented', async () => {
    const el = await notebookWith(['keep me']);
    el.addEventListener('bento-cell-delete-request', (e) => e.preventDefault());
    expect(el.deleteCell(0)).to.be.false;
    expect(el.cells).to.have.length(1);
  });

  it('updates a display in place across cells by display_id', async () => {
    const el = await notebookWith(['h = display("one", display_id="shared")', 'h.update("two")']);
    await el.runAll();
    const shown = el.cells[0].outputs.outputs[0];
    expect(shown.output_type).to.equal('display_data');
    expect((shown as { data: Record<string, unknown> }).data['text/plain']).to.equal("'two'");
  });

  it('answers input() in the cell', async () => {
    const el = await notebookWith(['name = input("Your name: ")\nprint("hi", name)']);
    const run = el.run(0);
    const field = await waitFor(() => el.cells[0].shadowRoot!.querySelector<HTMLInputElement>('.stdin input'), 'no input field');
    await waitFor(() => el.cells[0].shadowRoot!.activeElement === field, 'input field not focused');
    await sendKeys({ type: 'Ada' });
    await sendKeys({ press: 'Enter' });
    await run;
    expect(text(el.cells[0])).to.contain('hi Ada');
  });

  it('autosaves edits and restores them in a notebook with the same key', async () => {
    const key = uniqueKey();
    const first = await notebookWith(['original'], key);
    first.cells[0].source = 'edited';
    first.cells[0].dispatchEvent(new Event('bento-change', { bubbles: true, composed: true }));
    const store = new DraftStore();
    await waitFor(async () => joinSource((await store.load(key))?.notebook.cells[0].source ?? '') === 'edited', 'draft not saved');
    const second = await fixture<BentoNotebook>(html`<bento-notebook autosave-key=${key} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    await oneEvent(second, 'bento-load');
    expect(second.cells[0].source).to.equal('edited');
    await store.delete(key);
  });

  it('offers to restore local edits of a notebook loaded from a URL', async () => {
    const src = fixtureURL('jupyter-notebook/Running-Code.ipynb');
    const store = new DraftStore();
    const draft = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: 'x', cell_type: 'code', source: 'my local edit', metadata: {}, execution_count: null, outputs: [] }] };
    await store.save(src, draft as never);
    const el = await fixture<BentoNotebook>(html`<bento-notebook src=${src} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    const offer = await waitFor(() => [...el.shadowRoot!.querySelectorAll('.notice button')].find((b) => b.textContent === 'Restore my edits'), 'no restore offer');
    expect(el.cells.length).to.be.greaterThan(1);
    expect(el.notice?.text).to.match(/^You have local edits to this notebook from /);
    (offer as HTMLButtonElement).click();
    await el.updateComplete;
    expect(el.cells.map((c) => c.source)).to.deep.equal(['my local edit']);
    expect(el.shadowRoot!.querySelector('[part~="notice"]'), 'the offer closed').to.equal(null);
    await store.delete(src);
  });

  it('says clearly when src is not a notebook, and keeps working', async () => {
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave src="/package.json" .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    const notice = await waitFor(() => el.shadowRoot!.querySelector('.notice.error'), 'no error notice');
    expect(notice.textContent).to.match(/Could not open \/package\.json/);
    expect(el.cells).to.have.length(1);
  });

  it('saves as a .ipynb download in browsers without the File System Access API', async () => {
    const el = await notebookWith(['print("saved")']);
    const picker = Object.getOwnPropertyDescriptor(window, 'showSaveFilePicker');
    Object.defineProperty(window, 'showSaveFilePicker', { value: undefined, configurable: true });
    await el.run(0);
    let downloaded: { name: string; text: string } | undefined;
    const onClick = async (event: Event) => {
      const link = event.target as HTMLAnchorElement;
      if (link.download) {
        event.preventDefault();
        downloaded = { name: link.download, text: await (await fetch(link.href)).text() };
      }
    };
    document.addEventListener('click', onClick, true);
    try {
      expect(await el.save()).to.equal('download');
      await waitFor(() => downloaded, 'no download');
    } finally {
      document.removeEventListener('click', onClick, true);
      if (picker) Object.defineProperty(window, 'showSaveFilePicker', picker);
      else delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
    }
    expect(downloaded!.name).to.equal('notebook.ipynb');
    const saved = JSON.parse(downloaded!.text);
    expect(saved.nbformat).to.equal(4);
    expect(saved.cells[0].outputs[0].text).to.deep.equal(['saved\n']);
  });

  it('loads every real notebook of the fixtures and saves it back valid and unchanged', async () => {
    const schema = JSON.parse(await fixtureText('nbformat/nbformat.v4.5.schema.json'));
    const names = [
      'nbformat/test3.ipynb',
      'nbformat/test4.ipynb',
      'nbformat/test4.5.ipynb',
      'nbformat/test4docinfo.ipynb',
      'nbformat/test4jupyter_metadata.ipynb',
      'jupyter-notebook/Notebook-Basics.ipynb',
      'jupyter-notebook/Running-Code.ipynb',
      'jupyter-notebook/Working-With-Markdown-Cells.ipynb',
      'jupyter-notebook/Typesetting-Equations.ipynb',
    ];
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    for (const name of names) {
      const expected = parseNotebook(await fixtureText(name));
      el.load(structuredClone(expected)); // an object keeps the ids given to v3 cells, so the two can be compared
      await el.updateComplete;
      const saved = el.toJSON();
      // A notebook without a kernelspec gains the one of its kernel on save: the rest must come back unchanged.
      expect((saved.metadata.kernelspec as { language: string }).language).to.equal('python');
      if (!expected.metadata.kernelspec) delete saved.metadata.kernelspec;
      if (!expected.metadata.language_info) delete saved.metadata.language_info;
      expect(validate(JSON.parse(serializeNotebook(saved)), schema), name).to.deep.equal([]);
      expect(parseNotebook(serializeNotebook(saved)), name).to.deep.equal(parseNotebook(serializeNotebook(expected)));
    }
  });

  it('refuses an invalid notebook with a message that names the problem', async () => {
    const el = await notebookWith(['kept']);
    let message = '';
    try {
      el.load(await fixtureText('nbformat/invalid.ipynb'));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.match(/^Not a valid notebook: /);
    expect(el.cells.map((c) => c.source)).to.deep.equal(['kept']);
    const fromURL = await fixture<BentoNotebook>(html`<bento-notebook no-autosave src=${fixtureURL('nbformat/invalid.ipynb')} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    const notice = await waitFor(() => fromURL.shadowRoot!.querySelector('.notice.error'), 'no error notice');
    expect(notice.textContent).to.contain('Not a valid notebook');
  });

  it('runs a cell asked to run again while it runs after the first run, and shows only the second run', async () => {
    const el = await notebookWith(['import time\nruns = globals().get("runs", 0) + 1\nprint("start", runs)\ntime.sleep(0.5)\nprint("end", runs)']);
    const cell = el.cells[0];
    const first = el.run(0);
    await waitFor(() => text(cell) === 'start 1\n', 'the first run never printed');
    const second = el.run(0);
    await cell.updateComplete;
    expect(cell.shadowRoot!.querySelector('.status')?.textContent, 'the second run waits its turn').to.match(/queued/);
    expect(text(cell), 'the first run keeps its outputs while it runs').to.equal('start 1\n');
    const [one, two] = await Promise.all([first, second]);
    expect(two!.content.execution_count, 'counts are consecutive').to.equal(one!.content.execution_count! + 1);
    expect(text(cell)).to.equal('start 2\nend 2\n');
    expect(cell.count).to.equal(two!.content.execution_count);
    expect(cell.state).to.equal('done');
  });

  describe('messages above the cells', () => {
    /** What each message says, as shown: the newest first. */
    function notices(el: BentoNotebook): string[] {
      return [...el.shadowRoot!.querySelectorAll('[part~="notice"]')].map((notice) => notice.querySelector('span')!.textContent!);
    }

    function noticeButton(el: BentoNotebook, text: string, label: string): HTMLButtonElement {
      const notice = [...el.shadowRoot!.querySelectorAll('[part~="notice"]')].find((n) => n.querySelector('span')!.textContent === text)!;
      return [...notice.querySelectorAll('button')].find((b) => b.textContent?.trim() === label || b.getAttribute('aria-label') === label)!;
    }

    it('keeps the restore message when the kernel then fails, the error first', async () => {
      const key = uniqueKey();
      const store = new DraftStore();
      await store.save(key, codeNotebook(['my restored edit']));
      try {
        const el = await fixture<BentoNotebook>(html`<bento-notebook autosave-key=${key} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
        await waitFor(() => notices(el).some((text) => text.startsWith('Restored your unsaved edits')), 'the restore message');
        // The page then gives a server kernel whose Jupyter Server is not there.
        el.kernel = new RemoteKernel({ server: { baseUrl: `${location.origin}/no-jupyter-server-here/`, requestTimeoutMs: 5_000 } });
        const error = await waitFor(() => el.shadowRoot!.querySelector('[part~="notice"][role="alert"]'), 'the kernel error');
        const shown = notices(el);
        expect(shown).to.have.length(2);
        expect(shown[0]).to.equal(error.querySelector('span')!.textContent);
        expect(shown[0]).to.match(/Could not start the kernel|Jupyter Server/);
        expect(shown[1]).to.match(/^Restored your unsaved edits/);
        expect(el.notice?.text, 'notice is the newest').to.equal(shown[0]);
        expect(el.shadowRoot!.querySelectorAll('[part~="notice"][role="status"]')).to.have.length(1);
        expect(el.cells[0].source).to.equal('my restored edit');
        await expect(el).to.be.accessible();
      } finally {
        await store.delete(key);
      }
    });

    it('a newer message with the same key replaces the older one; others stay', async () => {
      const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
      el.notice = { text: 'Restored your edits.', kind: 'info', key: 'draft' };
      el.notice = { text: 'Lost the connection; reconnecting…', kind: 'info', key: 'kernel' };
      el.notice = { text: 'Saved notebook.ipynb.', kind: 'info' };
      el.notice = { text: 'The kernel died.', kind: 'error', key: 'kernel' };
      await el.updateComplete;
      expect(notices(el)).to.deep.equal(['The kernel died.', 'Saved notebook.ipynb.', 'Restored your edits.']);
      expect(el.shadowRoot!.querySelector('[part~="notice"]')!.getAttribute('role')).to.equal('alert');
      // A message with no key replaces nothing.
      el.notice = { text: 'Saved notebook.ipynb.', kind: 'info' };
      await el.updateComplete;
      expect(notices(el)).to.deep.equal(['Saved notebook.ipynb.', 'The kernel died.', 'Saved notebook.ipynb.']);
    });

    it('shows three at most: the oldest information goes first, then the oldest error', async () => {
      const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
      const dismissed: string[] = [];
      const show = (text: string, kind: 'info' | 'error') => (el.notice = { text, kind, dismiss: () => dismissed.push(text) });
      show('info 1', 'info');
      show('error 1', 'error');
      show('info 2', 'info');
      show('error 2', 'error');
      await el.updateComplete;
      expect(notices(el)).to.deep.equal(['error 2', 'info 2', 'error 1']);
      show('error 3', 'error');
      await el.updateComplete;
      expect(notices(el)).to.deep.equal(['error 3', 'error 2', 'error 1']);
      show('info 3', 'info');
      await el.updateComplete;
      expect(notices(el)).to.deep.equal(['info 3', 'error 3', 'error 2']);
      expect(dismissed, 'each one that went was told').to.deep.equal(['info 1', 'info 2', 'error 1']);
      await expect(el).to.be.accessible();
    });

    it('Dismiss closes that message only; notice = undefined closes the newest', async () => {
      const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
      const dismissed: string[] = [];
      for (const text of ['first', 'second', 'third']) el.notice = { text, kind: 'info', dismiss: () => dismissed.push(text) };
      await el.updateComplete;
      noticeButton(el, 'second', 'Dismiss').click();
      await el.updateComplete;
      expect(notices(el)).to.deep.equal(['third', 'first']);
      expect(dismissed).to.deep.equal(['second']);
      el.notice = undefined;
      await el.updateComplete;
      expect(notices(el)).to.deep.equal(['first']);
      const newest = () => el.notice;
      expect(newest()?.text).to.equal('first');
      expect(dismissed).to.deep.equal(['second', 'third']);
    });

    it("an action runs, closes its message (not the others) and is not taken for a dismissal", async () => {
      const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
      const happened: string[] = [];
      el.notice = { text: 'Could not save.', kind: 'error', key: 'save' };
      el.notice = {
        text: 'Run it on the server?',
        kind: 'info',
        key: 'placement',
        actions: [
          ['Switch', () => happened.push('switch')],
          ['Stay', () => happened.push('stay')],
        ],
        dismiss: () => happened.push('dismissed'),
      };
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part~="notice"]')!.classList.contains('offer')).to.equal(true);
      noticeButton(el, 'Run it on the server?', 'Switch').click();
      await el.updateComplete;
      expect(happened).to.deep.equal(['switch']);
      expect(notices(el)).to.deep.equal(['Could not save.']);
    });

    it('loading another notebook closes what was said about the last one, not what the kernel said', async () => {
      const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
      el.notice = { text: 'Kernel restarted: variables and history were cleared.', kind: 'info', key: 'kernel' };
      el.notice = { text: 'Restored your edits.', kind: 'info', key: 'draft' };
      el.notice = { text: 'Could not open the file: not a notebook.', kind: 'error', key: 'open' };
      el.load(codeNotebook(['1']));
      await el.updateComplete;
      expect(notices(el)).to.deep.equal(['Kernel restarted: variables and history were cleared.']);
    });
  });

  it('paints a 200-cell notebook as static code without creating editors', async () => {
    const el = await notebookWith(Array.from({ length: 200 }, (_, i) => `value_${i} = ${i} * 2`));
    expect(el.cells).to.have.length(200);
    await waitFor(() => el.cells[199].shadowRoot!.querySelector('.static span'), 'static highlighting never painted');
    const editors = el.cells.filter((c) => c.shadowRoot!.querySelector('.cm-editor'));
    expect(editors).to.have.length(0);
  });
});

describe('<bento-notebook> in a page that configures Python after the bundle', () => {
  it('creates its kernel after the page\'s scripts ran: configureDefault works and its options are used', async () => {
    const origin = location.origin;
    const { frame, win } = await pageConfiguringAfterTheBundle(
      `<bento-notebook no-autosave><bento-cell>6 * 7</bento-cell></bento-notebook><bento-cell id="alone">2 + 2</bento-cell>`,
      `{ workerURL: '${origin}/src/kernel/pyodide/worker.ts', indexURL: '${origin}/dist/pyodide/', interruptGraceMs: 4321 }`,
    );
    try {
      const notebook = win.document.querySelector('bento-notebook')!;
      // Python still starts by itself, before any cell runs (with the worker the page configured).
      await waitFor(() => notebook.shadowRoot!.querySelector('[part~="status"]')?.textContent?.trim() === 'idle', 'Python did not start by itself', 60_000);
      const reply = await notebook.run(0);
      expect(reply?.content.status).to.equal('ok');
      expect(text(notebook.cells[0])).to.equal('42');
      const alone = win.document.querySelector<BentoCell>('bento-cell#alone')!;
      await alone.run();
      expect(text(alone)).to.equal('4');
      const runtime = win.bento.PyodideRuntime.default();
      expect(runtime.options.interruptGraceMs).to.equal(4321);
      expect((notebook.kernel as PyodideKernel).runtime).to.equal(runtime);
    } finally {
      frame.remove();
    }
  });
});
