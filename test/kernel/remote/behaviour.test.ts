import { RemoteKernel } from '../../../src/kernel/remote/kernel.ts';
import { kernelBehaviour } from '../behaviour.ts';
import { jupyterServer } from './server.ts';

// The very suite the serverless kernel passes, against a real Jupyter Server and ipykernel.
kernelBehaviour(
  'Jupyter Server (ipykernel)',
  async () => new RemoteKernel({ server: jupyterServer(), kernelName: 'python3' }),
  async (kernel) => kernel.shutdown(),
);
