// cookieLogin: the kernel's WebSocket signs in with Jupyter's login cookie, so the token is in no WebSocket URL.
// Against the real Jupyter Server the test runner started (allow_origin: this page, allow_credentials), reached
// as `localhost` (this page's site, another port) and as `127.0.0.1` (another site, where the browser keeps no cookie),
// and against a second one whose login cookie is Partitioned, reached from another site.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { RemoteKernel } from '../../../src/kernel/remote/kernel.ts';
import type { JupyterServerOptions } from '../../../src/kernel/remote/server.ts';
import { run } from '../../helpers.ts';
import { jupyterServer } from './server.ts';

/** The test server (or `server`) under another host name for the same loopback address. */
function reachedAs(hostname: string, server = jupyterServer()): JupyterServerOptions & { token: string } {
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

/** A site other than this page's, for the same loopback address. */
const otherSite = location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1';

/** Starts a kernel on `server`, runs `print(6 * 7)`, and checks that no WebSocket URL the page opened has the token. */
async function runsWithoutTokenInUrls(server: JupyterServerOptions & { token: string }): Promise<void> {
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
}

describe('a Jupyter Server kernel signed in with the login cookie (cookieLogin)', () => {
  it("runs code, and its WebSocket URL holds no token: the server's cookie signs it in", async () => {
    await runsWithoutTokenInUrls(reachedAs(location.hostname));
  });

  it('runs code on a server of another site that sets its login cookie Partitioned, with no token in the WebSocket URL', async () => {
    // Chromium blocks third-party cookies here (a SameSite=None cookie alone is refused as "UserPreferences"); a
    // Partitioned one is kept for this page's site, and the socket carries it.
    const { url, token } = (await executeServerCommand('jupyter-partitioned-cookie')) as { url: string; token: string };
    await runsWithoutTokenInUrls(reachedAs(otherSite, { baseUrl: url, token }));
  });

  it('says why the WebSocket cannot open when the server is on another site, whose cookie the browser does not keep', async () => {
    const server = reachedAs(otherSite);
    const kernel = new RemoteKernel({ server });
    let message = '';
    try {
      await kernel.ready();
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).to.contain("Could not open the kernel's WebSocket");
    expect(message).to.contain(
      "signs in with the server's login cookie (cookieLogin), which the browser keeps only from a server on this page's site, or from one that sets it Partitioned",
    );
    expect(message).not.to.contain(server.token);
    await kernel.shutdown().catch(() => {});
  });
});
