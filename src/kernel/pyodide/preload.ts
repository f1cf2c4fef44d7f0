/// <reference lib="webworker" />
/**
 * The lockfile, asked for as the boot starts. loadPyodide reads it only when it is called, which is after the
 * snapshot key was read and the cache looked up (worker.ts); asked for now, it downloads alongside the wasm,
 * pyodide.asm.mjs and the standard library, which loader-hooks.ts requests from the start too. Figure real-page
 * of the bench measures the page this is for.
 */

/** Starts the download (or reads the bytes the page `handed` over); resolves with the lockfile's text, for loadPyodide's `lockFileContents`. */
export function preloadLockfile(lockFileURL: string, handed?: ArrayBuffer): Promise<string> {
  if (handed) return Promise.resolve(new TextDecoder().decode(handed));
  const lockfile = fetch(lockFileURL).then((response) => {
    if (!response.ok) throw new Error(`${lockFileURL} answered ${response.status} ${response.statusText}`.trim());
    return response.text();
  });
  lockfile.catch(() => {}); // a failure is loadPyodide's to report, when it reads the lockfile
  return lockfile;
}
