/**
 * Bento Lite: serverless Jupyter-style notebooks as Web Components.
 * Importing this module defines every element (none yet) and exposes the kernel API.
 */
export type { ExecuteOptions, Kernel, KernelStatusChange, StartupProgress, Unsubscribe } from './kernel/kernel.ts';
export * from './kernel/protocol.ts';
export { kernelContext } from './kernel/context.ts';
export { PyodideKernel, defaultKernel, type PyodideKernelOptions } from './kernel/pyodide/kernel.ts';
export {
  PyodideRuntime,
  RuntimeDiedError,
  PYODIDE_VERSION,
  type PyodideRuntimeOptions,
  type RuntimeEvent,
  type RuntimeState,
  type InterruptOutcome,
} from './kernel/pyodide/runtime.ts';
