import type { JupyterServerOptions } from '../../../src/kernel/remote/server.ts';

/** The real Jupyter Server the test runner started on loopback (web-test-runner.config.mjs). */
export function jupyterServer(): JupyterServerOptions {
  const server = (globalThis as { __bentoJupyter?: { url: string; token: string } }).__bentoJupyter;
  if (!server) throw new Error('No Jupyter Server: the test runner did not start one (see scripts/jupyter.mjs).');
  return { baseUrl: server.url, token: server.token };
}

/**
 * The same server reached through the test runner's delay proxy, whose kernel WebSockets `jupyter-ws-delay` slows
 * (web-test-runner.config.mjs).
 */
export function jupyterServerBehindDelayProxy(): JupyterServerOptions {
  const server = (globalThis as { __bentoJupyter?: { delayedUrl?: string } }).__bentoJupyter;
  if (!server?.delayedUrl) throw new Error('No delay proxy: the test runner did not start one (see web-test-runner.config.mjs).');
  return { ...jupyterServer(), baseUrl: server.delayedUrl };
}
