import { PyodideKernel } from '../../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../../src/kernel/pyodide/runtime.ts';
import { testRuntimeOptions } from '../../helpers.ts';
import { kernelBehaviour } from '../behaviour.ts';

const runtime = new PyodideRuntime(testRuntimeOptions());
kernelBehaviour(
  'Pyodide',
  async () => new PyodideKernel({ runtime }),
  async (kernel) => {
    await kernel.shutdown();
    runtime.terminate();
  },
);
