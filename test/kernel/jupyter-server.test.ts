// The test rig for remote kernels: the Jupyter Server that web-test-runner.config.mjs starts is reachable from
// this page, plain or cross-origin isolated, over REST (CORS, token header) and over the kernel WebSocket.
import { expect } from '@open-wc/testing';

interface JupyterRig {
  url: string;
  token: string;
}

const rig = (globalThis as { __bentoJupyter?: JupyterRig | null }).__bentoJupyter;

function api(path: string, init: RequestInit = {}, token = rig!.token): Promise<Response> {
  return fetch(`${rig!.url}${path}`, {
    ...init,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json', ...init.headers },
  });
}

function channelsURL(kernelId: string, token: string): string {
  return `${rig!.url.replace(/^http/, 'ws')}/api/kernels/${kernelId}/channels?token=${encodeURIComponent(token)}`;
}

function message(msgType: string, session: string) {
  return {
    header: {
      msg_id: crypto.randomUUID(),
      msg_type: msgType,
      username: 'bento-test',
      session,
      date: new Date().toISOString(),
      version: '5.3',
    },
    parent_header: {},
    metadata: {},
    content: {},
    channel: 'shell',
    buffers: [],
  };
}

/** Resolves with the first message on the socket that answers `msgId`. */
function replyTo(socket: WebSocket, msgId: string, timeoutMs = 30_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${msgId} within ${timeoutMs} ms`)), timeoutMs);
    socket.addEventListener('message', (event) => {
      const received = JSON.parse(event.data as string);
      if (received.parent_header?.msg_id === msgId && received.channel === 'shell') {
        clearTimeout(timer);
        resolve(received);
      }
    });
    socket.addEventListener('close', () => reject(new Error('the channels socket closed')));
  });
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('the channels socket failed to open')), { once: true });
  });
}

describe('Jupyter Server test rig', () => {
  it('is handed to the page by the test runner', () => {
    expect(rig, 'window.__bentoJupyter').to.be.an('object');
    expect(rig!.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rig!.token).to.be.a('string').and.not.be.empty;
    expect(globalThis.crossOriginIsolated === true).to.equal((globalThis as { __bentoExpectIsolated?: boolean }).__bentoExpectIsolated === true);
  });

  it('lists a python3 kernelspec over CORS with the token header', async () => {
    const response = await api('/api/kernelspecs');
    expect(response.status).to.equal(200);
    const specs = await response.json();
    expect(specs.kernelspecs).to.have.property('python3');
    expect(specs.kernelspecs.python3.spec.language).to.equal('python');
  });

  it('refuses a wrong token over REST', async () => {
    expect((await api('/api/kernelspecs', {}, 'not-the-token')).status).to.equal(403);
    expect((await api('/api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) }, 'not-the-token')).status).to.equal(403);
  });

  it('starts a kernel, answers kernel_info_request on the channels WebSocket (not without the token), and deletes it', async () => {
    const started = await api('/api/kernels', { method: 'POST', body: JSON.stringify({ name: 'python3' }) });
    expect(started.status).to.equal(201);
    const kernel = await started.json();
    expect(kernel.id).to.be.a('string');
    try {
      const intruder = new WebSocket(channelsURL(kernel.id, 'not-the-token'));
      await opened(intruder).then(
        () => expect.fail('the channels WebSocket opened with a wrong token'),
        () => undefined,
      );

      const socket = new WebSocket(channelsURL(kernel.id, rig!.token));
      await opened(socket);
      try {
        const request = message('kernel_info_request', crypto.randomUUID());
        const reply = replyTo(socket, request.header.msg_id);
        socket.send(JSON.stringify(request));
        const answer = await reply;
        expect(answer.header.msg_type).to.equal('kernel_info_reply');
        expect(answer.content.status).to.equal('ok');
        expect(answer.content.language_info.name).to.equal('python');
      } finally {
        socket.close();
      }
    } finally {
      const deleted = await api(`/api/kernels/${kernel.id}`, { method: 'DELETE' });
      expect(deleted.status).to.equal(204);
    }
    expect((await api(`/api/kernels/${kernel.id}`)).status).to.equal(404);
  });
});
