// cookieLogin: the kernel's WebSocket signs in with Jupyter's login cookie, so the token is in no WebSocket URL.
// Against the real Jupyter Server the test runner started (allow_origin: this page, allow_credentials), reached
// as `localhost` (this page's site, another port) and as `127.0.0.1` (another site, where the browser keeps no cookie).
import { expect } from '@open-wc/testing';
import { RemoteKernel } from '../../../src/kernel/remote/kernel.ts';
import type { JupyterServerOptions } from '../../../src/kernel/remote/server.ts';
import { run } from '../../helpers.ts';
import { jupyterServer } from './server.ts';

/** The test server under another host name for the same loopback address. */
function reachedAs(hostname: string): JupyterServerOptions & { token: string } {
  const server = jupyterServer();
  const url = new URL(server.baseUrl);
  url.hostname = hostname;
  return { ...server, token: server.token!, baseUrl: url.href, cookieLogin: true };
}

/** The URL of every WebSocket the page opens while `use` runs (the real WebSocket, only watched). */
async function watchingWebSockets<T>(use: () => Promise<T>): Promise<{ result: T; urls: string[] }> {
  const urls: string[] = [];
  const Real = window.WebSocket;
  window.WebSocket = class extends Real {
    constructor(url: string | URL, protocols?: string | string[]) {
      urls.push(String(url));
      super(url, protocols);
    }
  };
  try {
    return { result: await use(), urls };
  } finally {
    window.WebSocket = Real;
  }
}

describe('a Jupyter Server kernel signed in with the login cookie (cookieLogin)', () => {
  it("runs code, and its WebSocket URL holds no token: the server's cookie signs it in", async () => {
    const server = reachedAs(location.hostname);
    const kernel = new RemoteKernel({ server });
    try {
      const { result, urls } = await watchingWebSockets(async () => {
        await kernel.ready();
        return run(kernel, 'print(6 * 7)');
      });
      expect(result.reply.content.status).to.equal('ok');
      expect(result.stdout).to.equal('42\n');
      expect(urls).to.have.length.greaterThan(0);
      for (const url of urls) {
        expect(url).to.match(/\/api\/kernels\/[^/]+\/channels\?session_id=/);
        expect(url).not.to.contain(server.token);
        expect(url).not.to.contain('token=');
      }
    } finally {
      await kernel.shutdown();
    }
  });

  it('says why the WebSocket cannot open when the server is on another site, whose cookie the browser does not keep', async () => {
    const server = reachedAs(location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1');
    const kernel = new RemoteKernel({ server });
    let message = '';
    try {
      await kernel.ready();
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).to.contain("Could not open the kernel's WebSocket");
    expect(message).to.contain("signs in with the server's login cookie (cookieLogin), which the browser keeps only from a server on this page's site");
    expect(message).not.to.contain(server.token);
    await kernel.shutdown().catch(() => {});
  });
});
