import type { Kernel } from './kernel.ts';
import { PyodideKernel } from './pyodide/kernel.ts';
import type { RemoteKernel } from './remote/kernel.ts';
import type { JupyterServer, JupyterServerOptions, KernelSpecs } from './remote/server.ts';

/** What a person picks in a <kernel-selector>: Python in the browser, or a kernelspec of a Jupyter Server. */
export type KernelChoice =
  | { kind: 'pyodide' }
  | {
      kind: 'remote';
      server: JupyterServerOptions;
      kernelName: string;
      displayName: string;
      /** Attach to this kernel of the server if it still runs (a reloaded page finding its kernel again). */
      kernelId?: string;
    };

/** The kernelspec the serverless kernel saves in notebook metadata (JupyterLite uses the same name). */
export const PYODIDE_KERNELSPEC = { name: 'python', display_name: 'Python (in browser)', language: 'python' };

/** A fresh kernel for a choice. The remote client is loaded only here, so pages that never pick one never load it. */
export async function createKernel(choice: KernelChoice): Promise<Kernel> {
  if (choice.kind === 'pyodide') return new PyodideKernel();
  const { RemoteKernel } = await import('./remote/kernel.ts');
  return new RemoteKernel(choice);
}

/**
 * The Jupyter Server client, for pages that start or attach to a server kernel themselves: a chunk of its own,
 * fetched by the first call (or when a selector picks a server kernel), so pages without one never load it.
 */
export async function loadRemoteKernel(): Promise<{ RemoteKernel: typeof RemoteKernel; JupyterServer: typeof JupyterServer }> {
  const [kernel, server] = await Promise.all([import('./remote/kernel.ts'), import('./remote/server.ts')]);
  return { RemoteKernel: kernel.RemoteKernel, JupyterServer: server.JupyterServer };
}

/** The kernelspecs of each server; a server that fails gives its error instead. */
export async function listKernelspecs(servers: JupyterServerOptions[]): Promise<Array<{ server: JupyterServerOptions; specs?: KernelSpecs; error?: string }>> {
  if (servers.length === 0) return [];
  const { JupyterServer } = await import('./remote/server.ts');
  return Promise.all(
    servers.map(async (server) => {
      try {
        return { server, specs: await new JupyterServer(server).kernelspecs() };
      } catch (error) {
        return { server, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
}

/** The servers an element offers: its `servers` list, plus the one its `server-url`/`token` attributes name. */
export function configuredServers(servers: JupyterServerOptions[], url?: string, token?: string): JupyterServerOptions[] {
  return url ? [...servers, { baseUrl: url, token }] : servers;
}

/** A stable key for a choice (for a <select>), without the token. */
export function choiceKey(choice: KernelChoice): string {
  return choice.kind === 'pyodide' ? 'pyodide' : `remote:${choice.server.baseUrl}:${choice.kernelName}`;
}
