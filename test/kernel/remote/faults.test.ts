import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { KernelStatusChange } from '../../../src/kernel/kernel.ts';
import { RemoteKernel } from '../../../src/kernel/remote/kernel.ts';
import { JupyterServer } from '../../../src/kernel/remote/server.ts';
import { run, statusBecomes } from '../../helpers.ts';
import { jupyterServer } from './server.ts';

function errorOf(r: Awaited<ReturnType<typeof run>>) {
  return r.outputs.find(([t]) => t === 'error')?.[1];
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a failure');
}

describe('Jupyter Server kernel: errors a person can act on', () => {
  it('says the token is wrong on 403', async () => {
    const kernel = new RemoteKernel({ server: { ...jupyterServer(), token: 'not-the-token' } });
    expect(await failure(kernel.ready())).to.match(/answered 403: check the token/);
    expect(kernel.status).to.equal('dead');
  });

  it('names the missing kernelspec and the ones the server has', async () => {
    const kernel = new RemoteKernel({ server: jupyterServer(), kernelName: 'cobol' });
    expect(await failure(kernel.ready())).to.match(/has no kernel "cobol"; it has: .*python3/);
  });

  it('says when the server cannot be reached, without showing the token', async () => {
    const kernel = new RemoteKernel({ server: { baseUrl: 'http://127.0.0.1:9/', token: 'secret-token' } });
    const message = await failure(kernel.ready());
    expect(message).to.match(/Cannot reach the Jupyter Server at http:\/\/127\.0\.0\.1:9\//);
    expect(message).not.to.contain('secret-token');
  });

  it('times out a server that never answers', async () => {
    const kernel = new RemoteKernel({ server: { baseUrl: `${location.origin}/test-packages/never-answers/`, token: 't', requestTimeoutMs: 1500 } });
    expect(await failure(kernel.ready())).to.match(/did not answer within 2 s|did not answer within 1 s/);
  });

  it('an execution on a kernel that cannot start resolves with an error, never hangs', async () => {
    const kernel = new RemoteKernel({ server: { ...jupyterServer(), token: 'wrong' } });
    const r = await run(kernel, '1 + 1');
    expect(r.reply.content.status).to.equal('error');
    expect(errorOf(r)?.evalue).to.match(/check the token/);
  });
});

describe('Jupyter Server kernel: attaching', () => {
  it('attaches to a kernel that is already running, by id, and sees its state', async () => {
    const server = new JupyterServer(jupyterServer());
    const first = new RemoteKernel({ server });
    await run(first, 'shared_by_id = "from the first connection"');
    const attached = new RemoteKernel({ server, kernelId: first.id });
    const r = await run(attached, 'shared_by_id');
    expect(r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal("'from the first connection'");
    await attached.shutdown();
    await first.shutdown();
  });

  // requestTimeoutMs of 1 ms: no kernel answers kernel_info that fast, so every first ask of a start times out, as
  // a loaded machine's slow answer does.
  it('waits for a kernel found again that answers slower than requestTimeoutMs, instead of calling it dead', async () => {
    const server = new JupyterServer(jupyterServer());
    const first = new RemoteKernel({ server });
    await run(first, 'kept = 7');
    const attached = new RemoteKernel({ server, kernelId: first.id, requestTimeoutMs: 1 });
    await attached.ready();
    expect(attached.status).to.equal('idle');
    const r = await run(attached, 'kept');
    expect(r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('7');
    await attached.shutdown();
    await first.shutdown();
  });

  it('a start that failed is tried again by the next run, without taking its own old WebSocket for a drop', async () => {
    const kernel = new RemoteKernel({ server: jupyterServer(), requestTimeoutMs: 1 });
    expect(await failure(kernel.ready())).to.match(/did not answer kernel_info_request/);
    expect(kernel.status).to.equal('dead');
    const statuses: string[] = [];
    kernel.onStatusChange((change) => statuses.push(change.status));
    // The kernel the failed start made is found again: slow to answer, so waited for.
    const r = await run(kernel, '6 * 7');
    expect(r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('42');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(statuses).not.to.include('disconnected');
    expect(statuses).not.to.include('reconnecting');
    expect((await run(kernel, '6 * 7')).reply.content.status).to.equal('ok');
    await kernel.shutdown();
  });
});

describe('Jupyter Server kernel: lifecycle and faults', () => {
  let kernel: RemoteKernel;
  beforeEach(async () => {
    kernel = new RemoteKernel({ server: jupyterServer(), reconnect: { attempts: 4, firstDelayMs: 100 }, healthCheckMs: 500 });
    await kernel.ready();
  });
  afterEach(() => kernel.shutdown());

  it('interrupts a running cell with KeyboardInterrupt and keeps state', async () => {
    await run(kernel, 'kept = 5');
    const r = await run(kernel, 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)', {
      onIOPub: (m) => m.header.msg_type === 'stream' && void kernel.interrupt(),
    });
    expect(errorOf(r)?.ename).to.equal('KeyboardInterrupt');
    expect((await run(kernel, 'kept')).outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('5');
  });

  it('ends a running cell with an error, not a hang, when another client restarts the kernel', async () => {
    const other = new RemoteKernel({ server: new JupyterServer(jupyterServer()), kernelId: kernel.id });
    await other.ready();
    let restarting: Promise<void> | undefined;
    const r = await run(kernel, 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)', {
      onIOPub: (m) => {
        if (m.header.msg_type === 'stream') restarting ??= other.restart();
      },
    });
    await restarting;
    // Whichever comes first: the kernel's own KeyboardInterrupt as it shuts down, or our word that it restarted.
    const error = errorOf(r);
    expect(`${error?.ename}: ${error?.evalue}`).to.match(/^KeyboardInterrupt|restarted by another client/);
    // The next cell runs in the new process.
    const next = await run(kernel, '40 + 2');
    expect(next.outputs.find(([t]) => t === 'execute_result')?.[1].data['text/plain'], JSON.stringify(next.reply.content)).to.equal('42');
  });

  it('reports frames it cannot read, skips them, and keeps working', async () => {
    const changes: KernelStatusChange[] = [];
    kernel.onStatusChange((c) => changes.push(c));
    const socket = (kernel as unknown as { socket: WebSocket }).socket;
    // What a proxy that truncates or mangles frames delivers: text that is not JSON, JSON that is no Jupyter
    // message, and binary frames whose part count or offsets point outside them.
    const badOffsets = new DataView(new ArrayBuffer(16));
    badOffsets.setUint32(0, 2);
    badOffsets.setUint32(4, 12);
    badOffsets.setUint32(8, 4096);
    const frames: Array<string | ArrayBuffer> = ['{"header": {"msg_type": "stat', '{"channel": "iopub"}', badOffsets.buffer, new ArrayBuffer(2)];
    for (const data of frames) socket.dispatchEvent(new MessageEvent('message', { data }));
    const reports = changes.filter((c) => /sent a message Bento could not read/.test(c.message ?? ''));
    expect(reports.map((c) => c.message)).to.have.length(4);
    expect(reports[0].message).to.contain('not JSON');
    expect(reports[2].message).to.contain('offsets point outside it');
    expect(kernel.status).to.equal('idle');
    const r = await run(kernel, '6 * 7');
    expect(r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('42');
  });

  it('ends a cell whose reply arrived unreadable with an error, not a hang, and runs the next one', async () => {
    const changes: KernelStatusChange[] = [];
    kernel.onStatusChange((c) => changes.push(c));
    const socket = (kernel as unknown as { socket: WebSocket }).socket;
    const deliver = socket.onmessage!;
    let mangled = false;
    // A proxy between page and server that cuts one frame short: this cell's execute_reply.
    socket.onmessage = (event: MessageEvent) => {
      if (!mangled && typeof event.data === 'string' && JSON.parse(event.data).header.msg_type === 'execute_reply') {
        mangled = true;
        deliver.call(socket, new MessageEvent('message', { data: event.data.slice(0, event.data.length / 2) }));
        return;
      }
      deliver.call(socket, event);
    };
    const r = await run(kernel, 'lost_reply = 1\nprint("ran")');
    expect(mangled).to.be.true;
    expect(r.stdout).to.equal('ran\n');
    expect(errorOf(r)?.evalue).to.match(/reply was lost/);
    expect(changes.some((c) => /could not read/.test(c.message ?? ''))).to.be.true;
    const next = await run(kernel, 'lost_reply + 1');
    expect(next.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('2');
  });

  it('ends a cell whose unreadable reply came after its idle status, the order a busy server can give', async () => {
    const socket = (kernel as unknown as { socket: WebSocket }).socket;
    const deliver = socket.onmessage!;
    let idleSeen = false;
    let held: string | undefined;
    let mangled = false;
    const cut = (data: string) => {
      mangled = true;
      deliver.call(socket, new MessageEvent('message', { data: data.slice(0, data.length / 2) }));
    };
    // A proxy that holds this cell's execute_reply until the idle status has gone by, then cuts it short.
    socket.onmessage = (event: MessageEvent) => {
      const message = typeof event.data === 'string' ? JSON.parse(event.data) : undefined;
      if (!mangled && message?.header.msg_type === 'execute_reply') {
        if (idleSeen) cut(event.data);
        else held = event.data;
        return;
      }
      deliver.call(socket, event);
      if (!mangled && message?.header.msg_type === 'status' && message.content.execution_state === 'idle' && message.parent_header.msg_type === 'execute_request') {
        idleSeen = true;
        if (held) cut(held);
      }
    };
    const r = await run(kernel, 'late_reply = 5\nprint("ran")');
    expect(mangled).to.be.true;
    expect(r.stdout).to.equal('ran\n');
    expect(errorOf(r)?.evalue).to.match(/reply was lost/);
    const next = await run(kernel, 'late_reply + 1');
    expect(next.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('6');
  });

  it('restarts with fresh state and says so', async () => {
    await run(kernel, 'gone = 1');
    const changes: KernelStatusChange[] = [];
    kernel.onStatusChange((c) => changes.push(c));
    await kernel.restart();
    expect(changes.at(-1)).to.include({ status: 'idle', stateLost: true });
    expect(errorOf(await run(kernel, 'gone'))?.ename).to.equal('NameError');
  });

  it('reconnects after the WebSocket drops; the cell in flight finishes once, its output not lost', async () => {
    await run(kernel, 'runs = 0');
    const changes: string[] = [];
    kernel.onStatusChange((c) => changes.push(c.status));
    let cut = false;
    const pending = run(kernel, 'import time\nprint("started", flush=True)\ntime.sleep(1.5)\nruns += 1\nprint("finished")\nruns', {
      onIOPub: (m) => {
        // Cut the connection from this side, once, while the cell runs on the server.
        if (m.header.msg_type === 'stream' && !cut) {
          cut = true;
          (kernel as unknown as { socket: WebSocket }).socket.close();
        }
      },
    });
    const r = await pending;
    expect(changes).to.include.members(['disconnected', 'reconnecting']);
    expect(r.reply.content.status).to.equal('ok');
    expect(r.stdout).to.equal('started\nfinished\n');
    expect(r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('1');
    expect((await run(kernel, 'runs')).outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('1');
  });

  it('reports a kernel shut down behind its back as dead; a run then fails instead of hanging; restart brings a new one', async () => {
    const dead = statusBecomes(kernel, (s) => s === 'dead');
    await new JupyterServer(jupyterServer()).shutdownKernel(kernel.id!);
    const r = await run(kernel, '1 + 1');
    await dead;
    expect(r.reply.content.status).to.equal('error');
    expect(errorOf(r)?.evalue).to.match(/kernel is gone|could not reconnect/);
    await kernel.restart();
    expect((await run(kernel, '"new kernel"')).outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal("'new kernel'");
  });

  it('reports a server killed mid-execution, never hangs, and starts a new kernel once the server is back', async () => {
    const changes: KernelStatusChange[] = [];
    kernel.onStatusChange((c) => changes.push(c));
    let killed: Promise<unknown> | undefined;
    const r = await run(kernel, 'import time\nprint("working", flush=True)\ntime.sleep(30)', {
      onIOPub: (m) => {
        if (m.header.msg_type === 'stream') killed ??= executeServerCommand('jupyter-kill');
      },
    });
    await killed;
    expect(r.reply.content.status).to.equal('error');
    expect(errorOf(r)?.evalue).to.match(/could not reconnect|stopped answering/);
    expect(changes.map((c) => c.status)).to.include.members(['disconnected', 'reconnecting', 'dead']);
    await executeServerCommand('jupyter-start');
    await kernel.restart();
    expect((await run(kernel, '"back"')).outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal("'back'");
  });

  it('says the kernel is gone when the server restarted while the page was connected', async () => {
    // Enough attempts to outlast the server's own restart (seconds on a busy machine): it must come back while
    // the kernel still tries, or this would test giving up instead.
    await kernel.shutdown();
    kernel = new RemoteKernel({ server: jupyterServer(), reconnect: { attempts: 30, firstDelayMs: 100, maxDelayMs: 1000 }, healthCheckMs: 500 });
    await kernel.ready();
    const changes: KernelStatusChange[] = [];
    kernel.onStatusChange((c) => changes.push(c));
    const dead = statusBecomes(kernel, (s) => s === 'dead');
    await executeServerCommand('jupyter-kill');
    await executeServerCommand('jupyter-start');
    await dead;
    expect(changes.find((c) => c.status === 'dead')!.message).to.match(/kernel is gone: the Jupyter Server restarted/);
    const r = await run(kernel, '1');
    expect(errorOf(r)?.ename).to.equal('DeadKernelError');
    await kernel.restart();
    expect(changes.at(-1)).to.include({ status: 'idle', stateLost: true });
    expect((await run(kernel, '"fresh"')).outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal("'fresh'");
  });
});
