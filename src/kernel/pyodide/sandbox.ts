/**
 * `isolation: 'sandbox'`: the Python worker runs in an opaque origin, so a notebook's code reaches none of the page
 * origin's storage (IndexedDB, Cache Storage, the origin-private file system) and sends none of its cookies.
 *
 * The page adds a hidden `<iframe sandbox="allow-scripts">` (no `allow-same-origin`: an opaque origin) whose document
 * loads this very module. There, it starts the worker from a `data:` URL that imports `workerURL` (an opaque origin
 * can start a worker only from a URL of its own), and passes it the page's end of the connection. Requests from that
 * origin are cross-origin to every server, the page's included: the host serves the worker and the Pyodide files with
 * CORS. The runtime's big files are fetched by the page and handed over (SandboxStart), and the page keeps the
 * worker's memory snapshot in its own storage (SnapshotRequest). Loaded only when the option is set (runtime.ts imports
 * it lazily).
 */
import { deleteSnapshot, lookupSnapshot, storeSnapshot } from './snapshot-cache.ts';
import { SANDBOXED_WORKER_NAME, WATCHDOG_SILENCE_MS, type SandboxStart, type SnapshotAnswer, type SnapshotRequest } from './sandbox-names.ts';

/** What the page and the frame say to each other (window messages, checked by their source). */
type FrameMessage = { kind: 'ready' } | ({ kind: 'start'; workerURL: string } & SandboxStart) | { kind: 'error'; message: string };

export interface SandboxedWorker {
  /** Ends the worker (by removing its frame) and stops watching it. */
  terminate(): void;
}

/** The page's fetch of the runtime's big files, from its own HTTP cache; a file it cannot get, the worker asks for. */
async function runtimeFiles(urls: string[]): Promise<SandboxStart['files']> {
  const files: SandboxStart['files'] = {};
  await Promise.all(
    urls.map(async (url) => {
      try {
        const response = await fetch(url);
        if (response.ok) files[url] = await response.arrayBuffer();
      } catch {
        // The worker's own request reports it.
      }
    }),
  );
  return files;
}

/**
 * The page's end of a sandboxed worker's snapshot port: lookups answered from this origin's snapshot cache, and one
 * snapshot stored, at most (the worker hands over the one it made at boot, before any cell ran).
 */
function keepSnapshots(port: MessagePort): void {
  let stored = false;
  port.onmessage = async (event: MessageEvent<SnapshotRequest>) => {
    const request = event.data;
    if (request.kind === 'lookup') {
      const found = await lookupSnapshot(request.key);
      const answer: SnapshotAnswer = { kind: 'lookup' };
      if (!found.found) answer.reason = found.reason;
      else answer.snapshot = await found.read().catch((error: Error) => void (answer.reason = error.message));
      port.postMessage(answer, answer.snapshot ? [answer.snapshot.buffer] : []);
    } else if (request.kind === 'delete') {
      await deleteSnapshot(request.key);
    } else if (request.kind === 'store' && !stored) {
      stored = true;
      port.postMessage({ kind: 'store', result: await storeSnapshot(request.key, request.snapshot) } satisfies SnapshotAnswer);
      port.close();
    }
  };
}

/**
 * Starts the Python worker of `workerURL` in a sandboxed frame and connects it to `port` (the other end of which
 * the page wraps with Comlink). `onDeath` is called once if the worker fails to load, or stops beating.
 */
export function sandboxedWorker(
  { workerURL, indexURL, lockFileURL, snapshot }: { workerURL: string; indexURL: string; lockFileURL: string; snapshot: boolean },
  port: MessagePort,
  onDeath: (message: string) => void,
): SandboxedWorker {
  const frame = document.createElement('iframe');
  // No allow-same-origin: that is the point. `cross-origin-isolated` lets a cross-origin isolated page share its
  // interrupt word with the worker (the frame is cross-origin, so the permission is not inherited).
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.allow = 'cross-origin-isolated';
  frame.hidden = true;
  frame.title = 'Python runtime';
  const script = document.createElement('script');
  script.type = 'module';
  script.src = import.meta.url;
  frame.srcdoc = `<!doctype html>${script.outerHTML}`;
  const beats = new MessageChannel();
  const snapshots = new MessageChannel();
  if (snapshot) keepSnapshots(snapshots.port1);
  const files = runtimeFiles([`${indexURL}pyodide.asm.wasm`, `${indexURL}python_stdlib.zip`, lockFileURL]);
  let lastBeat: number | undefined;
  let ended = false;
  const end = (message?: string) => {
    if (ended) return;
    ended = true;
    clearInterval(watch);
    removeEventListener('message', onMessage);
    beats.port1.close();
    snapshots.port1.close();
    frame.remove();
    if (message) onDeath(message);
  };
  const onMessage = (event: MessageEvent<FrameMessage>) => {
    if (event.source !== frame.contentWindow || !frame.contentWindow) return;
    if (event.data?.kind === 'ready') {
      const target = frame.contentWindow;
      void files.then((handed) => {
        if (!ended) target.postMessage({ kind: 'start', workerURL, files: handed } satisfies FrameMessage, '*', [port, beats.port2, ...(snapshot ? [snapshots.port2] : []), ...Object.values(handed)]);
      });
    } else if (event.data?.kind === 'error') {
      end(`The Python worker failed: ${event.data.message || `could not load ${workerURL} (a sandboxed runtime needs it served with Access-Control-Allow-Origin, and a Content-Security-Policy to allow worker-src data:)`}.`);
    }
  };
  beats.port1.onmessage = () => (lastBeat = performance.now());
  // Until the first beat the worker is still loading, which the runtime's bootTimeoutMs bounds.
  const watch = setInterval(() => {
    if (lastBeat !== undefined && performance.now() - lastBeat > WATCHDOG_SILENCE_MS) {
      end('The Python runtime stopped unexpectedly (it crashed or ran out of memory). Its state is lost; run a cell or restart to start a fresh one.');
    }
  }, 1000);
  addEventListener('message', onMessage);
  (document.body ?? document.documentElement).append(frame);
  return { terminate: () => end() };
}

/** In the sandboxed frame: start the worker the page names, hand it the ports, report a worker that fails to load. */
function runFrame(): void {
  addEventListener('message', (event: MessageEvent<FrameMessage>) => {
    if (event.source !== parent || event.data?.kind !== 'start') return;
    const { workerURL, files } = event.data;
    const source = `import ${JSON.stringify(workerURL)};`;
    const report = (message: string) => parent.postMessage({ kind: 'error', message } satisfies FrameMessage, '*');
    let worker: Worker;
    try {
      worker = new Worker(`data:text/javascript,${encodeURIComponent(source)}`, { type: 'module', name: SANDBOXED_WORKER_NAME });
    } catch (error) {
      return report(`the sandbox could not start it from a data: URL (${String(error)}); a Content-Security-Policy needs worker-src data:`);
    }
    worker.addEventListener('error', (error) => report(error.message));
    worker.postMessage({ files } satisfies SandboxStart, [...event.ports, ...Object.values(files)]);
  });
  parent.postMessage({ kind: 'ready' } satisfies FrameMessage, '*');
}

if (globalThis.origin === 'null' && globalThis.window !== undefined && window.parent !== window) runFrame();
