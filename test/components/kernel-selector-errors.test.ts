// A <kernel-selector> on its own whose switch fails: the remote kernel's code (a chunk loaded on first use) really
// answers 404 once. Its own file: a page that has loaded that chunk keeps it.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../../components/kernel-selector/kernel-selector.ts';
import type { KernelSelector } from '../../components/kernel-selector/kernel-selector.ts';
import type { BentoErrorEvent } from '../../components/shared/events.ts';
import { defaultKernel, onDefaultKernelChange } from '../../src/kernel/default.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

PyodideRuntime.configureDefault(testRuntimeOptions());
after(() => PyodideRuntime.default().terminate());

describe('<kernel-selector> on its own, when switching fails', () => {
  it('says why beside the picker, fires bento-error, keeps the kernel, and switches on the next try', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent) => unhandled.push(event.reason);
    window.addEventListener('unhandledrejection', onUnhandled);
    try {
      const selector = await fixture<KernelSelector>(html`<kernel-selector .servers=${[jupyterServer()]}></kernel-selector>`);
      const select = selector.shadowRoot!.querySelector('select')!;
      const remote = await waitFor(() => [...select.options].find((option) => option.value.startsWith('remote:')), 'the server kernels listed');
      const before = defaultKernel();

      await executeServerCommand('fail-next-request', { path: '/src/kernel/remote/kernel.ts' });
      const failed = oneEvent(selector, 'bento-error') as unknown as Promise<BentoErrorEvent>;
      select.value = remote.value;
      select.dispatchEvent(new Event('change'));
      const { error } = await failed;
      expect(error.message).to.match(/^Could not switch kernels: .*remote\/kernel\.ts/);
      await selector.updateComplete;
      expect(selector.shadowRoot!.querySelector('[role="alert"]')!.textContent).to.equal(error.message);
      expect(select.value, 'the picker shows the kernel still in use').to.equal('pyodide');
      expect(defaultKernel()).to.equal(before);
      await expect(selector).to.be.accessible();

      const switched = new Promise((resolve) => onDefaultKernelChange(resolve));
      select.value = remote.value;
      select.dispatchEvent(new Event('change'));
      await switched;
      expect(defaultKernel().name).to.equal(remote.value.split(':').at(-1));
      await selector.updateComplete;
      expect(selector.shadowRoot!.querySelector('[role="alert"]'), 'the message is gone').to.equal(null);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled, 'no unhandled rejection').to.deep.equal([]);
      await defaultKernel().shutdown();
    } finally {
      window.removeEventListener('unhandledrejection', onUnhandled);
    }
  });
});
