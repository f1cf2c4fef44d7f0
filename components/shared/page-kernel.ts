/**
 * The page's default kernel session (src/kernel/default.ts) for elements in lazily loaded chunks (`<sql-cell>`).
 * They must not import that module: it brings the Pyodide client, whose runtime module has to stay in the main
 * bundle file because it finds worker.js and pyodide/ beside itself (import.meta.url), and whatever a lazy chunk
 * imports is moved out of the main file into a shared chunk. The main bundle hands the session over instead
 * (components/bento-cell/bento-cell.ts).
 */
import type { Kernel } from '../../src/kernel/kernel.ts';

let source: (() => Kernel) | undefined;

/** Called by the main bundle with `defaultKernel`. */
export function providePageKernel(get: () => Kernel): void {
  source ??= get;
}

/** The page's default kernel session. */
export function pageKernel(): Kernel {
  if (!source) throw new Error('The page has no default kernel: load Bento Lite (bento-lite.js) before a <sql-cell> runs.');
  return source();
}
