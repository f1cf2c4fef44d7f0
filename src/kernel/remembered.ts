/**
 * The server kernel a notebook of this tab runs on, kept for the tab (sessionStorage: it survives a reload, and a new
 * tab does not share it), so that a reload attaches to the same kernel, with its variables, instead of starting
 * another while the old one runs on until the server culls it. Kept by the notebook's autosave key; never the token.
 */
import type { Kernel } from './kernel.ts';
import type { PyodideKernel } from './pyodide/kernel.ts';

export interface RememberedKernel {
  /** The server's base URL (without a query or fragment, where a token could be). */
  url: string;
  /** The kernelspec's name. */
  name: string;
  /** The server's id of the kernel. */
  id: string;
}

const storageKey = (key: string) => `bento-kernel:${key}`;

/** A server's base URL as remembered: a query or fragment (where a pasted token may be) is dropped. */
export function rememberedUrl(baseUrl: string): string {
  return baseUrl.replace(/[?#].*$/, '');
}

/** The server kernel remembered for the notebook `key` in this tab, if any (none where storage is blocked). */
export function rememberedKernel(key: string): RememberedKernel | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(storageKey(key)) ?? 'null') as Partial<RememberedKernel> | null;
    return typeof value?.url === 'string' && typeof value.name === 'string' && typeof value.id === 'string' ? (value as RememberedKernel) : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers the server kernel of the notebook `key` for this tab, or forgets it (`kernel` undefined). */
export function rememberKernel(key: string, kernel?: RememberedKernel): void {
  try {
    if (kernel) sessionStorage.setItem(storageKey(key), JSON.stringify(kernel));
    else sessionStorage.removeItem(storageKey(key));
  } catch {
    // Storage blocked or full: a reload then starts a new kernel, as it would without this.
  }
}

/** Python in this tab (a type test, not `instanceof`: importing the class would pull the runtime into a chunk). */
export function inBrowser(kernel: Kernel): kernel is PyodideKernel {
  return typeof (kernel as Partial<PyodideKernel>).heapBytes === 'function';
}
