// `npm test`: type-check and lint, then the whole suite in real Chromium, twice: as a plain page and cross-origin
// isolated. Each run starts its own Jupyter Server for the remote-kernel tests and ClickHouse server for the
// connector tests (see web-test-runner.config.mjs).
import { spawnSync } from 'node:child_process';
import { ensureChromium } from './chromium.mjs';
import { ensureClickHouse } from './clickhouse.mjs';
import { ensureJupyter } from './jupyter.mjs';

const extra = process.argv.slice(2);
// What a reviewer checks first: types and lint, then the packed package in a Vite app and a plain page
// (scripts/pack-test.mjs). Any failing stops the run before the suites start. A run of chosen files (`--files ...`,
// the loop while working on one test) leaves them to the full run.
for (const script of extra.includes('--files') ? [] : ['typecheck', 'lint', 'test:pack']) {
  console.log(`== npm run ${script} ==`);
  if (spawnSync('npm', ['run', '--silent', script], { stdio: 'inherit' }).status !== 0) {
    console.error(`npm run ${script} failed: fix the errors above (the browser suites did not run).`);
    process.exit(1);
  }
}

const chrome = ensureChromium();
const jupyter = ensureJupyter();
console.log(`Jupyter Server ${jupyter.jupyter_server} on ${jupyter.executable} (Python ${jupyter.python}, pandas ${jupyter.pandas})`);
const clickhouse = ensureClickHouse();
console.log(`ClickHouse server ${[clickhouse.path, ...clickhouse.args].join(' ')}`);
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
