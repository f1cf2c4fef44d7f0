import { expect, fixture, fixtureSync, html, oneEvent } from '@open-wc/testing';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import { press, waitFor } from '../helpers.ts';
import '../../components/bento-cell/bento-cell.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { testRuntimeOptions } from '../helpers.ts';

// Cells outside any notebook use the page's default session, in the page's default runtime.
PyodideRuntime.configureDefault(testRuntimeOptions());
after(() => PyodideRuntime.default().terminate());

function outputText(cell: BentoCell): string {
  return cell.outputs.outputs
    .map((o) => (o.output_type === 'stream' ? joinSource(o.text) : o.output_type === 'error' ? o.ename : joinSource((o.data['text/plain'] as string) ?? '')))
    .join('');
}

describe('<bento-cell> on its own', () => {
  // First in this file: the Markdown renderer (a chunk of its own) has not been loaded yet.
  it('shows a Markdown cell as the text written until its renderer has arrived, never as markup', async () => {
    (window as { pwned?: boolean }).pwned = false;
    const source = '# Title\n\n<img src="data:," onerror="window.pwned = true"> *text*';
    const cell = fixtureSync<BentoCell>(html`<bento-cell type="markdown" .source=${source}></bento-cell>`);
    const first = await new Promise<{ pending: boolean; text?: string; elements: number }>((resolve) => {
      const observer = new MutationObserver(() => {
        observer.disconnect();
        const markdown = cell.shadowRoot!.querySelector('.markdown');
        resolve({ pending: markdown?.classList.contains('pending') ?? false, text: markdown?.textContent ?? undefined, elements: markdown?.children.length ?? -1 });
      });
      observer.observe(cell.shadowRoot!, { childList: true, subtree: true, characterData: true });
    });
    expect(first).to.deep.equal({ pending: true, text: source, elements: 0 });
    await cell.updateComplete;
    const markdown = cell.shadowRoot!.querySelector('.markdown')!;
    expect(markdown.classList.contains('pending')).to.equal(false);
    expect(markdown.querySelector('h1')!.textContent).to.equal('Title');
    expect(markdown.querySelector('img')!.hasAttribute('onerror')).to.equal(false);
    await new Promise((r) => setTimeout(r, 50));
    expect((window as { pwned?: boolean }).pwned).to.equal(false);
  });

  it('renders ordinary Markdown at its first render, with no chunk to wait for', async () => {
    const cell = fixtureSync<BentoCell>(html`<bento-cell type="markdown" .source=${'# Title\n\nSome *text* and a [link](https://example.com).'}></bento-cell>`);
    const first = await new Promise<string>((resolve) => {
      const observer = new MutationObserver(() => {
        observer.disconnect();
        resolve(cell.shadowRoot!.querySelector('.markdown')!.innerHTML.replace(/<!--[^>]*-->/g, ''));
      });
      observer.observe(cell.shadowRoot!, { childList: true, subtree: true, characterData: true });
    });
    expect(first).to.equal('<h1>Title</h1><p>Some <em>text</em> and a <a href="https://example.com" target="_blank" rel="noopener noreferrer">link</a>.</p>');
  });

  it('shows its source as highlighted static code at its first render, starts the page\'s Python session, and is accessible', async () => {
    const cell = await fixture<BentoCell>(html`<bento-cell>
      def greet(name):
          return "hi " + name
    </bento-cell>`);
    expect(cell.source).to.equal('def greet(name):\n    return "hi " + name');
    expect(cell.shadowRoot!.querySelector('.static .tok-keyword')?.textContent).to.equal('def');
    expect(cell.shadowRoot!.querySelector('.static .tok-definition')?.textContent).to.equal('greet');
    expect(cell.shadowRoot!.querySelector('.cm-editor')).to.equal(null);
    // A code cell on its own starts Python as it appears, before anyone runs it.
    expect(PyodideRuntime.default().state).to.be.oneOf(['starting', 'ready']);
    await expect(cell).to.be.accessible();
  });

  it('has its toolbar while the pointer or the focus is in it, or while it is active, and not otherwise', async () => {
    const cell = await fixture<BentoCell>(html`<bento-cell>1 + 1</bento-cell>`);
    const toolbar = async () => {
      await cell.updateComplete;
      return cell.shadowRoot!.querySelector('[role="toolbar"]');
    };
    expect(await toolbar()).to.equal(null);
    const rect = cell.getBoundingClientRect();
    await sendMouse({ type: 'move', position: [Math.round(rect.left + 20), Math.round(rect.top + rect.height / 2)] });
    await waitFor(async () => (await toolbar()) !== null, 'no toolbar under the pointer');
    await sendMouse({ type: 'move', position: [innerWidth - 1, innerHeight - 1] });
    await waitFor(async () => (await toolbar()) === null, 'the toolbar stayed after the pointer left');
    cell.shadowRoot!.querySelector<HTMLElement>('.static')!.focus();
    expect(await toolbar()).to.not.equal(null);
    // Tab reaches its buttons, and focus moving among them keeps the toolbar.
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ up: 'Shift' });
    expect(cell.shadowRoot!.activeElement?.closest('[role="toolbar"]')).to.not.equal(null);
    await sendKeys({ press: 'Tab' });
    expect(await toolbar()).to.not.equal(null);
    await expect(cell).to.be.accessible();
    (cell.shadowRoot!.activeElement as HTMLElement).blur();
    await waitFor(async () => (await toolbar()) === null, 'the toolbar stayed after focus left');
    cell.active = true;
    expect(await toolbar()).to.not.equal(null);
  });

  it('keeps code with < and > from a script child intact', async () => {
    const cell = await fixture<BentoCell>(html`<bento-cell><script type="text/x-python">print("<b>" if 1 < 2 else "</b>")</script></bento-cell>`);
    expect(cell.source).to.equal('print("<b>" if 1 < 2 else "</b>")');
  });

  it('runs in the page default session, shared by standalone cells', async () => {
    const [a, b] = await Promise.all([
      fixture<BentoCell>(html`<bento-cell>shared_value = 20</bento-cell>`),
      fixture<BentoCell>(html`<bento-cell>shared_value + 22</bento-cell>`),
    ]);
    await a.run();
    const reply = await b.run();
    expect(reply?.content.status).to.equal('ok');
    expect(outputText(b)).to.equal('42');
    expect(b.state).to.equal('done');
  });

  it('shows what `obj?` pages (the execute_reply payload) as an output, as JupyterLab does', async () => {
    const cell = await fixture<BentoCell>(html`<bento-cell>len?</bento-cell>`);
    const reply = await cell.run();
    expect(reply?.content.status).to.equal('ok');
    expect(cell.outputs.outputs).to.have.length(1);
    const text = outputText(cell).replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).to.contain('Signature: len(obj, /)');
    expect(text).to.contain('Docstring: Return the number of items in a container.');
    const shown = cell.shadowRoot!.querySelector('bento-output-area')!;
    await waitFor(() => shown.shadowRoot?.textContent?.includes('Signature:'), 'the pager text was not rendered');
  });

  it('renders Markdown sanitized: no script, no event handlers', async () => {
    (window as { pwned?: boolean }).pwned = false;
    const cell = await fixture<BentoCell>(html`<bento-cell type="markdown"></bento-cell>`);
    cell.source = '# Title\n\n<img src="x" onerror="window.pwned = true"><script>window.pwned = true</script>[link](javascript:window.pwned=true)';
    await cell.updateComplete;
    const md = cell.shadowRoot!.querySelector('.markdown')!;
    expect(md.querySelector('h1')!.textContent).to.equal('Title');
    expect(md.querySelector('script')).to.equal(null);
    expect(md.querySelector('img')!.hasAttribute('onerror')).to.be.false;
    expect(md.querySelector('a')?.getAttribute('href') ?? '').not.to.contain('javascript');
    await new Promise((r) => setTimeout(r, 50));
    expect((window as { pwned?: boolean }).pwned).to.be.false;
  });

  it('opens an editor on click; Shift-Enter runs; Tab completes from the kernel', async () => {
    const cell = await fixture<BentoCell>(html`<bento-cell>import math</bento-cell>`);
    await cell.run();
    cell.shadowRoot!.querySelector<HTMLElement>('.static')!.click();
    await waitFor(() => cell.shadowRoot!.querySelector('.cm-content'), 'no editor');
    await waitFor(() => cell.isEditing, 'editor not focused');
    await sendKeys({ press: 'End' });
    await sendKeys({ type: '\nmath.sq' });
    await sendKeys({ press: 'Tab' });
    const option = await waitFor(() => cell.shadowRoot!.querySelector('.cm-tooltip-autocomplete li'), 'no completions');
    expect(option.textContent).to.equal('sqrt');
    await new Promise((resolve) => setTimeout(resolve, 150)); // CodeMirror ignores Enter for 75 ms after the list opens
    await sendKeys({ press: 'Enter' });
    await sendKeys({ type: '(16)' });
    expect(cell.source).to.equal('import math\nmath.sqrt(16)');
    const done = oneEvent(cell, 'bento-execute');
    await press('Shift', 'Enter');
    await done;
    expect(outputText(cell)).to.equal('4.0');
  });

  it('shows an inspection tooltip on Shift-Tab', async () => {
    const cell = await fixture<BentoCell>(html`<bento-cell>len</bento-cell>`);
    await cell.edit();
    await sendKeys({ press: 'End' });
    await press('Shift', 'Tab');
    const tip = await waitFor(() => cell.shadowRoot!.querySelector('.inspect'), 'no tooltip');
    expect(tip.textContent).to.contain('Return the number of items');
  });
});
