/**
 * Elements upgrade while the bundle is evaluated, before the page's own later scripts ran; work that those scripts
 * may configure (`PyodideRuntime.configureDefault`) waits for this instead of starting during the upgrade.
 */

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
