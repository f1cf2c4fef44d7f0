/** Faults done to the servers the test runner started (web-test-runner.config.mjs), shared by the fault tables' rows. */
import { executeServerCommand } from '@web/test-runner-commands';

/** The Jupyter Server killed (SIGKILL, with its kernels) while a cell runs; a new one at the same URL afterwards. */
export const jupyterKilled = {
  fault: async () => {
    await executeServerCommand('jupyter-kill');
  },
  recover: async () => {
    await executeServerCommand('jupyter-start');
  },
};

/** The GraphQL server down before the cell runs; started again afterwards. */
export const graphqlDown = {
  brokenBefore: async () => {
    await executeServerCommand('graphql-kill');
  },
  recover: async () => {
    await executeServerCommand('graphql-start');
  },
};

/** Every kernel WebSocket frame held 2.5 s each way by the proxy before the Jupyter Server; undelayed afterwards. */
export const webSocketDelayed = {
  brokenBefore: async () => {
    await executeServerCommand('jupyter-ws-delay', { ms: 2_500, direction: 'both' });
  },
  recover: async () => {
    await executeServerCommand('jupyter-ws-delay', { ms: 0 });
  },
};
