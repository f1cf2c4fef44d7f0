// `npm test`: the whole suite in real Chromium, twice: as a plain page and cross-origin isolated. Each run
// starts its own Jupyter Server for the remote-kernel tests and ClickHouse server for the connector tests (see
// web-test-runner.config.mjs).
import { spawnSync } from 'node:child_process';
import { ensureChromium } from './chromium.mjs';
import { ensureClickHouse } from './clickhouse.mjs';
import { ensureJupyter } from './jupyter.mjs';

const chrome = ensureChromium();
const jupyter = ensureJupyter();
console.log(`Jupyter Server ${jupyter.jupyter_server} on ${jupyter.executable} (Python ${jupyter.python}, pandas ${jupyter.pandas})`);
const clickhouse = ensureClickHouse();
console.log(`ClickHouse server ${[clickhouse.path, ...clickhouse.args].join(' ')}`);
const extra = process.argv.slice(2);
let failed = false;
for (const isolated of ['0', '1']) {
  console.log(`\n== tests ${isolated === '1' ? 'cross-origin isolated (COOP/COEP)' : 'on a plain page'} ==`);
  const run = spawnSync('npx', ['web-test-runner', '--config', 'web-test-runner.config.mjs', ...extra], {
    stdio: 'inherit',
    env: { ...process.env, CHROME_PATH: chrome, BENTO_JUPYTER_PYTHON: jupyter.executable, BENTO_CLICKHOUSE: clickhouse.path, BENTO_ISOLATED: isolated },
  });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
