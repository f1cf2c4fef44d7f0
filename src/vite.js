// `bento-lite/vite`: the one step a Vite app needs, `plugins: [bentoLite()]` in vite.config.js. Shipped as
// dist/vite.js (Node, not the browser).
//
// Vite bundles bento-lite.js into its own chunks in `build.assetsDir`, where the code still finds its runtime
// files beside itself through import.meta.url: worker.js and pyodide/ next to the chunk, duckdb/ one folder up.
// Vite cannot see those (the URLs are computed), so this copies them there. In `vite dev`, pre-bundling would
// move the bundle away from its files, so bento-lite is served as it is from node_modules instead.
import { cp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = dirname(fileURLToPath(import.meta.url));

/** @returns {import('vite').Plugin} */
export default function bentoLite() {
  let assets = '';
  return {
    name: 'bento-lite',
    config: () => ({ optimizeDeps: { exclude: ['bento-lite'] } }),
    configResolved(config) {
      assets = join(resolve(config.root, config.build.outDir), config.build.assetsDir);
    },
    async writeBundle() {
      await cp(join(dist, 'worker.js'), join(assets, 'worker.js'));
      await cp(join(dist, 'pyodide'), join(assets, 'pyodide'), { recursive: true });
      await cp(join(dist, 'duckdb'), join(assets, '..', 'duckdb'), { recursive: true });
      // The upload jobs' worker: its runner's chunk finds it one folder up (src/jobs/worker-runner.ts).
      await cp(join(dist, 'jobs-worker.js'), join(assets, '..', 'jobs-worker.js'));
    },
  };
}
