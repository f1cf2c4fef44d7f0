import { expect } from '@open-wc/testing';
import { InterruptControl, SIGINT, WorkerInterruptControl } from '../../../src/kernel/pyodide/interrupt-control.ts';
import { isolated } from '../../helpers.ts';

// The page and the worker each hold a view of one SharedArrayBuffer (only there when cross-origin isolated); here
// both views are in the page, so the orders in which the two sides can interleave are played one by one.
// A plain page has no SharedArrayBuffer; Atomics work the same on an unshared buffer, so the orders are played there.
const allocate = () => (isolated ? InterruptControl.allocate() : (new ArrayBuffer(12) as unknown as SharedArrayBuffer));

describe('InterruptControl: a SIGINT reaches only the execution it names', () => {

  it('signals the execution that runs, and none other', () => {
    const page = new InterruptControl(allocate());
    const worker = new WorkerInterruptControl(page.buffer);
    expect(page.interrupt(1)).to.be.false;
    worker.setRunning(1);
    expect(page.interrupt(2)).to.be.false;
    expect(worker.signal[0]).to.equal(0);
    expect(page.interrupt(1)).to.be.true;
    expect(worker.signal[0]).to.equal(SIGINT);
    // A second press while the first is still unread keeps one pending SIGINT for the same execution.
    expect(page.interrupt(1)).to.be.true;
    expect(worker.running).to.equal(1);
  });

  it('drops a SIGINT that came just before its execution ended, so the next one runs', () => {
    const page = new InterruptControl(allocate());
    const worker = new WorkerInterruptControl(page.buffer);
    worker.setRunning(1);
    expect(page.interrupt(1)).to.be.true;
    worker.setRunning(0);
    worker.setRunning(2);
    expect(worker.signal[0]).to.equal(0);
    expect(worker.running).to.equal(2);
  });

  it('refuses a SIGINT for an execution that ended just before it, while the next one runs', () => {
    const page = new InterruptControl(allocate());
    const worker = new WorkerInterruptControl(page.buffer);
    worker.setRunning(1);
    // The page saw execution 1 running; before it could signal, 1 ended and 2 started.
    worker.setRunning(0);
    worker.setRunning(2);
    expect(page.interrupt(1)).to.be.false;
    expect(worker.signal[0]).to.equal(0);
    expect(page.interrupt(2)).to.be.true;
    expect(worker.signal[0]).to.equal(SIGINT);
  });

  it('lets Python consume the signal and the page signal the same execution again', () => {
    const page = new InterruptControl(allocate());
    const worker = new WorkerInterruptControl(page.buffer);
    worker.setRunning(7);
    expect(page.interrupt(7)).to.be.true;
    // What Pyodide does when it checks: read the signal word, then clear it.
    worker.signal[0] = 0;
    expect(page.interrupt(7)).to.be.true;
    expect(worker.signal[0]).to.equal(SIGINT);
    worker.clearSignal();
    expect(worker.signal[0]).to.equal(0);
    expect(worker.running).to.equal(7);
  });

  it("keeps a SIGINT that lands between Pyodide's read of the signal and its store of 0", () => {
    const page = new InterruptControl(allocate());
    const worker = new WorkerInterruptControl(page.buffer);
    const pyodide = worker.forPyodide();
    worker.setRunning(3);
    // What Pyodide does at every check, in two steps: read index 0, then store 0 there. The page signals between them.
    expect(pyodide[0]).to.equal(0);
    expect(page.interrupt(3)).to.be.true;
    pyodide[0] = 0;
    // The next check finds it, and takes it: the one after finds nothing.
    expect(pyodide[0]).to.equal(SIGINT);
    pyodide[0] = 0;
    expect(pyodide[0]).to.equal(0);
    expect(worker.running).to.equal(3);
    expect(page.interrupt(3)).to.be.true;
  });
});

describe('InterruptControl.computing: the page sees whether Python computes', () => {
  it('sees the beats of a Python that checks for interrupts, and none once it stops', async () => {
    const page = new InterruptControl(allocate());
    const pyodide = new WorkerInterruptControl(page.buffer).forPyodide();
    // What computing Python does: ask for the signal again and again.
    const checks = setInterval(() => pyodide[0], 1);
    try {
      expect(await page.computing(20)).to.be.true;
    } finally {
      clearInterval(checks);
    }
    expect(await page.computing(20)).to.be.false;
  });
});
