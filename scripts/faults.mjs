// `npm run faults`: the fault table. Runs test/faults/ in real Chromium against the real parts (the same cases
// `npm test` runs), then prints one row per fault and one column per thing that must hold after it, pass or FAIL
// (– where the column does not apply). Exits non-zero when any cell failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureChromium } from './chromium.mjs';
import { ensureClickHouse } from './clickhouse.mjs';
import { ensureJupyter } from './jupyter.mjs';

const dir = mkdtempSync(join(tmpdir(), 'bento-faults-'));
const report = join(dir, 'faults.json');
const run = spawnSync('npx', ['web-test-runner', '--config', 'web-test-runner.config.mjs', '--files', 'test/faults/**/*.test.ts', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    CHROME_PATH: ensureChromium(),
    BENTO_JUPYTER_PYTHON: ensureJupyter().executable,
    BENTO_CLICKHOUSE: ensureClickHouse().path,
    BENTO_ISOLATED: process.env.BENTO_ISOLATED ?? '0',
    BENTO_FAULTS_REPORT: report,
  },
});

let results;
try {
  results = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.error('\nThe fault tests wrote no results (see the output above): no table to print.');
  process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Rows: `fault: …` suites; columns: their tests, in the order first seen.
const columns = [];
const rows = [];
for (const { suite, test, passed, skipped } of results) {
  const fault = /(?:^| > )fault: (.*)$/.exec(suite)?.[1];
  if (!fault) continue;
  if (!columns.includes(test)) columns.push(test);
  let row = rows.find((r) => r.fault === fault);
  if (!row) rows.push((row = { fault, cells: {} }));
  row.cells[test] = skipped ? 'skip' : passed ? 'pass' : 'FAIL';
}
const faultWidth = Math.max(5, ...rows.map((r) => r.fault.length));
const widths = columns.map((c) => Math.max(c.length, 4));
const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(faultWidth) : cell.padEnd(widths[i - 1]))).join(' │ ');
console.log(`\nFault table (${rows.length} faults × ${columns.length} guarantees, against the real parts)\n`);
console.log(line(['fault', ...columns]));
console.log(line(['─'.repeat(faultWidth), ...widths.map((w) => '─'.repeat(w))]));
for (const row of rows) console.log(line([row.fault, ...columns.map((c) => row.cells[c] ?? '–')]));
const cells = rows.flatMap((r) => Object.values(r.cells));
const failedCells = cells.filter((c) => c === 'FAIL').length;
console.log(`\n${cells.length - failedCells} of ${cells.length} held${failedCells ? `; ${failedCells} FAILED` : ''}.`);
process.exit(run.status !== 0 || failedCells > 0 ? 1 : 0);
