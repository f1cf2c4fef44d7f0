// The code editor is a chunk loaded on first edit (components/bento-cell/editor-loader.ts). Here the test server
// really answers 404 for it once, as a flaky network would; the next edit must load it. Its own file: a page
// that has loaded the editor once keeps it.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import '../../components/bento-cell/bento-cell.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import type { BentoErrorEvent } from '../../components/shared/events.ts';
import { waitFor } from '../helpers.ts';

describe('the lazily loaded code editor', () => {
  it('says when it could not load, fires bento-error, and loads on the next try', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent) => unhandled.push(event.reason);
    window.addEventListener('unhandledrejection', onUnhandled);
    try {
      // A raw cell: editable like any cell, and it starts no Python.
      const cell = await fixture<BentoCell>(html`<bento-cell type="raw">first draft</bento-cell>`);
      await executeServerCommand('fail-next-request', { path: '/components/bento-cell/editor.ts' });
      const failed = oneEvent(cell, 'bento-error') as unknown as Promise<BentoErrorEvent>;
      cell.shadowRoot!.querySelector<HTMLElement>('pre.static')!.click();
      const { error } = await failed;
      expect(error.source).to.equal('editor');
      expect(error.message).to.match(/^Could not load the code editor \(.+\): check the network, then click the cell to try again\.$/);
      await cell.updateComplete;
      expect(cell.shadowRoot!.querySelector('[role="alert"]')?.textContent).to.equal(error.message);
      expect(cell.shadowRoot!.querySelector('.cm-editor'), 'no editor yet').to.equal(null);
      await expect(cell).to.be.accessible();

      // The person clicks again: this time the chunk arrives, the message goes, and typing edits the cell.
      cell.shadowRoot!.querySelector<HTMLElement>('pre.static')!.click();
      const content = await waitFor(() => cell.shadowRoot!.querySelector<HTMLElement>('.cm-content'), 'the editor on the second try');
      await waitFor(() => cell.shadowRoot!.activeElement === content, 'the editor has focus');
      expect(cell.shadowRoot!.querySelector('[role="alert"]')).to.equal(null);
      await sendKeys({ press: 'End' });
      await sendKeys({ type: ', edited' });
      expect(cell.source).to.equal('first draft, edited');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled, 'no unhandled rejection').to.deep.equal([]);
    } finally {
      window.removeEventListener('unhandledrejection', onUnhandled);
    }
  });
});
