import { expect } from '@open-wc/testing';
import { ColumnTable } from '../../../src/data/table.ts';
import type { ExecuteReply } from '../../../src/kernel/protocol.ts';
import { RemoteKernel } from '../../../src/kernel/remote/kernel.ts';
import { jupyterServer } from './server.ts';

// After a cell fails, ipykernel aborts every execute_request that reaches it before it has finished aborting its
// queue, even one sent once the failure's reply came back (ipython/ipykernel#609). By default that window is one
// turn of the kernel's event loop, which a loaded machine widens: CI once lost the next cell of a Run All to it.
// These tests widen it on purpose, from inside the kernel, so that what a loaded machine does now and then happens
// every time.
describe('RemoteKernel: runs after a failed cell (ipykernel aborts what reaches it right after an error)', () => {
  let kernel: RemoteKernel;
  beforeEach(async () => {
    kernel = new RemoteKernel({ server: jupyterServer(), kernelName: 'python3' });
    const reply = await kernel.execute('get_ipython().kernel.stop_on_error_timeout = 0.5');
    expect(reply.content.status).to.equal('ok');
  });
  afterEach(() => kernel.shutdown());

  const status = (reply: ExecuteReply) => reply.content.status;

  it('runs a cell sent once the failed one has answered', async () => {
    expect(status(await kernel.execute('1 / 0'))).to.equal('error');
    const reply = await kernel.execute('x = 41\nx + 1');
    expect(status(reply)).to.equal('ok');
    expect(status(await kernel.execute('assert x == 41'))).to.equal('ok');
  });

  it('binds a table injected right after a failed cell', async () => {
    expect(status(await kernel.execute('1 / 0'))).to.equal('error');
    // The first table of a kernel process sends the table support's setup as an execute_request.
    await kernel.inject('t', ColumnTable.fromArrays([{ name: 'n', type: 'int32', values: [1, 2] }]));
    expect(status(await kernel.execute('assert list(t["n"]) == [1, 2]'))).to.equal('ok');
  });

  it('does not send again a cell the person interrupted since asking for it', async () => {
    expect(status(await kernel.execute('1 / 0'))).to.equal('error');
    const asked = kernel.execute('interrupted_ran = True');
    await kernel.interrupt();
    expect(status(await asked)).to.equal('aborted');
    expect(status(await kernel.execute('assert "interrupted_ran" not in globals()'))).to.equal('ok');
  });

  it('still aborts a cell that was queued behind the failing one, as Run All wants', async () => {
    const failing = kernel.execute('import time; time.sleep(0.2); 1 / 0');
    const queued = kernel.execute('y = 1');
    expect(status(await failing)).to.equal('error');
    expect(status(await queued)).to.equal('aborted');
    expect(status(await kernel.execute('assert "y" not in globals()'))).to.equal('ok');
  });
});
