// The Jupyter token is kept in JavaScript only: once read from its attribute it is in no DOM (not even in a shadow
// root or outerHTML), and a whole session on the real test server (switching kernels, runs, an error, a server that
// is not there, saving, the autosaved draft) puts it in no saved notebook, output, console message or bento-error.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/bento-notebook/bento-notebook.ts';
import '../../components/kernel-selector/kernel-selector.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import type { BentoErrorEvent } from '../../components/shared/events.ts';
import type { KernelSelector } from '../../components/kernel-selector/kernel-selector.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { DraftStore } from '../../src/notebook/autosave.ts';
import { serializeNotebook } from '../../src/notebook/ipynb.ts';
import { codeNotebook, testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

const runtime = new PyodideRuntime(testRuntimeOptions());
after(() => runtime.terminate());

/** Everything the DOM under `root` shows or holds: attributes and text, through shadow roots. */
function domText(root: Element): string {
  const parts = [root.outerHTML];
  for (const element of [root, ...root.querySelectorAll('*')]) {
    if (element.shadowRoot) parts.push(element.shadowRoot.innerHTML, ...[...element.shadowRoot.children].map(domText));
    if (element instanceof HTMLSelectElement || element instanceof HTMLInputElement) parts.push(element.value);
  }
  return parts.join('\n');
}

describe('the Jupyter token', () => {
  const { baseUrl, token } = jupyterServer();
  const secret = token!;
  const said: string[] = [];
  const errors: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const originals = methods.map((method) => console[method]);
  const onError = (event: BentoErrorEvent) => errors.push(JSON.stringify(event.error));

  before(() => {
    methods.forEach((method, i) => {
      console[method] = (...args: unknown[]) => {
        said.push(args.map((arg) => (arg instanceof Error ? `${arg.message}\n${arg.stack}` : typeof arg === 'string' ? arg : JSON.stringify(arg) ?? String(arg))).join(' '));
        originals[i].apply(console, args);
      };
    });
    window.addEventListener('bento-error', onError);
  });
  after(() => {
    methods.forEach((method, i) => (console[method] = originals[i]));
    window.removeEventListener('bento-error', onError);
  });

  it('leaves the DOM once read, and stays in the property', async () => {
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave server-url=${baseUrl} token=${secret} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    const selector = await fixture<KernelSelector>(html`<kernel-selector server-url=${baseUrl} token=${secret}></kernel-selector>`);
    expect([el.hasAttribute('token'), selector.hasAttribute('token')]).to.deep.equal([false, false]);
    expect([el.token, selector.token]).to.deep.equal([secret, secret]);
    // Still used: the selectors list the server's kernels.
    const listed = (s: KernelSelector) => [...s.shadowRoot!.querySelectorAll('option')].some((o) => o.textContent!.includes('ipykernel'));
    await waitFor(() => listed(selector) && listed(el.shadowRoot!.querySelector('kernel-selector')!), 'the server kernels were not listed');
    expect(domText(el)).not.to.contain(secret);
    expect(domText(selector)).not.to.contain(secret);
  });

  it('is in nothing a session on the server produces: outputs, errors, saved notebook, draft, console', async () => {
    const key = `token-test-${crypto.randomUUID()}`;
    const el = await fixture<BentoNotebook>(html`<bento-notebook autosave-key=${key} server-url=${baseUrl} token=${secret} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    el.load(codeNotebook(['import sys\nprint("hello from", sys.platform)', '1 / 0']));
    await el.switchKernel({ kind: 'remote', server: { baseUrl, token: secret }, kernelName: 'python3', displayName: 'Python 3 (ipykernel)' });
    expect(el.kernel).to.be.instanceOf(RemoteKernel);
    const replies = await el.runAll();
    expect(replies.map((reply) => reply?.content.status)).to.deep.equal(['ok', 'error']);

    // A server that is not there, and a path the server does not have, with the real token.
    const nowhere = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    const failures = () => errors.filter((error) => error.includes('Could not start the kernel')).length;
    for (const server of ['http://127.0.0.1:9/', `${baseUrl.replace(/\/?$/, '/')}no/such/base/`]) {
      const before = failures();
      await nowhere.switchKernel({ kind: 'remote', server: { baseUrl: server, token: secret }, kernelName: 'python3', displayName: 'x' });
      await waitFor(() => failures() > before, `no error for ${server}`);
    }

    const saved = serializeNotebook(el.toJSON());
    expect(saved).to.contain('ZeroDivisionError').and.to.contain('hello from');
    const draft = await waitFor(async () => {
      const stored = await new DraftStore().load(key);
      return stored && JSON.stringify(stored).includes('ZeroDivisionError') && JSON.stringify(stored);
    }, 'no draft with the outputs saved');
    await new DraftStore().delete(key);

    const everything = { saved, draft, dom: domText(el), elsewhere: domText(nowhere), errors, said, storage: JSON.stringify({ ...localStorage, ...sessionStorage }) };
    const leaks = Object.entries(everything).filter(([, text]) => (Array.isArray(text) ? text.join('\n') : text).includes(secret));
    expect(leaks.map(([where]) => where)).to.deep.equal([]);
    await el.kernel.shutdown();
  });
});
