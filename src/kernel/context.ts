import { createContext } from '@lit/context';
import type { Kernel } from './kernel.ts';

/**
 * The kernel session a notebook gives its cells. The value is a stable object: consumers subscribe to its
 * status instead of expecting the context value to change on every status change.
 */
export const kernelContext = createContext<Kernel>(Symbol('bento-kernel'));
