/**
 * When deferred work may start. Elements upgrade while the bundle is evaluated, before the page's own later scripts
 * ran: work that those scripts may configure (`PyodideRuntime.configureDefault`) waits for `afterPageScripts`. Work
 * that would take cores or network from Python's start (a data cell's chunk, DuckDB, the server kernels' list) waits
 * for `kernelStatus(kernel, started)` and then an `idleMoment`.
 */
import type { Kernel } from '../kernel/kernel.ts';
import type { KernelStatus } from '../kernel/protocol.ts';

let pageScriptsDone: Promise<void> | undefined;

/** True once DOMContentLoaded has fired: deferred and module scripts of the page have all run by then. */
function contentLoaded(): boolean {
  if (document.readyState === 'complete') return true;
  if (document.readyState === 'loading') return false;
  // `interactive` covers both "running the deferred scripts" and "after DOMContentLoaded, waiting for images".
  const navigation = performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined;
  return navigation ? navigation.domContentLoadedEventStart > 0 : false;
}

/**
 * Resolves in a task after the page's scripts ran: after DOMContentLoaded (module and deferred scripts run before
 * it) when the document is still being read, otherwise in the next task. Never rejects; outside a document (a
 * worker) it resolves in the next task.
 */
export function afterPageScripts(): Promise<void> {
  pageScriptsDone ??= new Promise<void>((resolve) => {
    const nextTask = () => setTimeout(resolve, 0);
    if (typeof document === 'undefined' || contentLoaded()) return nextTask();
    let waiting = true;
    const done = () => {
      if (!waiting) return;
      waiting = false;
      nextTask();
    };
    document.addEventListener('DOMContentLoaded', done, { once: true });
    // Where navigation timing is missing, `load` still comes.
    addEventListener('load', done, { once: true });
  });
  return pageScriptsDone;
}

/** A kernel past its start: neither not started yet, starting nor restarting. */
export const started = (status: KernelStatus): boolean => status !== 'unknown' && status !== 'starting' && status !== 'restarting';

/** Settles once `kernel`'s status passes `wanted` (at once if it does now), or once `signal` aborts. */
export function kernelStatus(kernel: Pick<Kernel, 'status' | 'onStatusChange'>, wanted: (status: KernelStatus) => boolean, signal?: AbortSignal): Promise<void> {
  if (wanted(kernel.status) || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      unsubscribe();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const unsubscribe = kernel.onStatusChange(({ status }) => wanted(status) && done());
    signal?.addEventListener('abort', done);
  });
}

/** The next moment the page's main thread has nothing to do (or `timeout` ms, on a page never idle), or `signal`'s abort. */
export function idleMoment(signal?: AbortSignal, timeout = 2000): Promise<void> {
  return new Promise((resolve) => {
    const idle = typeof requestIdleCallback === 'function';
    const handle = idle ? requestIdleCallback(() => resolve(), { timeout }) : setTimeout(resolve, 200);
    signal?.addEventListener('abort', () => {
      if (idle) cancelIdleCallback(handle as number);
      else clearTimeout(handle);
      resolve();
    });
  });
}

/** Settles once the page has loaded (its `load` event: images, styles and scripts all in). */
export function pageLoaded(): Promise<void> {
  if (document.readyState === 'complete') return Promise.resolve();
  return new Promise((resolve) => addEventListener('load', () => resolve(), { once: true }));
}

/**
 * A macrotask later: a message to ourselves, which neither the 4 ms clamp of nested timers nor a hidden tab's timer
 * throttling delays. Works in workers too.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
