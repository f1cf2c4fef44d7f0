import type { Kernel } from './kernel.ts';
import { Listeners } from './listeners.ts';
import { PyodideKernel } from './pyodide/kernel.ts';

/**
 * The page's default kernel session: cells outside any notebook run in it. It starts as serverless Python
 * (session `page-default`); a standalone <kernel-selector> can switch it to another kernel.
 */
let pageKernel: Kernel | undefined;
const listeners = new Listeners<Kernel>();

export function defaultKernel(): Kernel {
  pageKernel ??= new PyodideKernel({ session: 'page-default' });
  return pageKernel;
}

/** Replaces the page's default kernel; the previous one is shut down. */
export function setDefaultKernel(kernel: Kernel): void {
  const previous = pageKernel;
  pageKernel = kernel;
  if (previous && previous !== kernel) void previous.shutdown().catch(() => {});
  listeners.emit(kernel);
}

/** Called whenever the page's default kernel is replaced. */
export function onDefaultKernelChange(listener: (kernel: Kernel) => void): () => void {
  return listeners.add(listener);
}
