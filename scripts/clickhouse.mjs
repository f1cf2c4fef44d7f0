// Finds a ClickHouse server for the ClickHouse connector tests; installs Debian's `clickhouse-server` when none
// exists and this process may (root on Debian/Ubuntu). Otherwise stops with a message saying exactly what to
// install. Also starts a private, throwaway server with test data for one test run.
//
//   node scripts/clickhouse.mjs           check (or install), print the binary
//   node scripts/clickhouse.mjs --start   start a server, print its URL and credentials, stop on Ctrl-C
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { freePort, sleep, spawnServer } from './servers.mjs';
import { findOrInstall } from './system.mjs';

const DEBIAN_PACKAGES = ['clickhouse-server'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, command))) return join(dir, command);
  }
  return null;
}

/** How to run a binary as a server: `clickhouse-server` directly, the all-in-one `clickhouse` with `server`. */
function serverCommand(path) {
  return { path, args: basename(path) === 'clickhouse' ? ['server'] : [] };
}

/**
 * Binaries tried in order: BENTO_CLICKHOUSE alone when set; otherwise `clickhouse-server` on PATH, Debian's
 * /usr/sbin/clickhouse-server (not on a normal user's PATH), then the all-in-one `clickhouse` on PATH.
 */
function candidates() {
  if (process.env.BENTO_CLICKHOUSE) return [process.env.BENTO_CLICKHOUSE];
  return ['clickhouse-server', '/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server', 'clickhouse'];
}

/** The ClickHouse server binary as `{ path, args }`, or null; never installs anything. */
export function findClickHouse() {
  for (const candidate of candidates()) {
    const path = candidate.includes('/') ? (isExecutable(candidate) ? candidate : null) : onPath(candidate);
    if (path) return serverCommand(path);
  }
  return null;
}

/**
 * Returns the ClickHouse server binary as `{ path, args }` (args: the subcommand, if any). Installs Debian's
 * package when missing and root on Debian/Ubuntu; otherwise exits with instructions.
 */
export function ensureClickHouse() {
  return findOrInstall({
    find: findClickHouse,
    packages: DEBIAN_PACKAGES,
    reason: 'No ClickHouse server found',
    mayInstall: !process.env.BENTO_CLICKHOUSE,
    noRecommends: true,
    help:
      'The ClickHouse connector tests need a ClickHouse server, and none was found\n' +
      `(tried: ${candidates().join(', ')}).\n` +
      `  Debian/Ubuntu: sudo apt-get install ${DEBIAN_PACKAGES.join(' ')}\n` +
      '  elsewhere:     install ClickHouse (https://clickhouse.com/docs/en/install),\n' +
      '                 and set BENTO_CLICKHOUSE=/path/to/clickhouse if it is not on PATH',
  });
}

const xml = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The server's own configuration: loopback only, everything under `temp`, logs in files, times in UTC. */
function configXml({ temp, httpPort, tcpPort }) {
  const dir = (name) => xml(join(temp, name) + '/');
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${xml(join(temp, 'server.log'))}</log>
    <errorlog>${xml(join(temp, 'server.err.log'))}</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir('data')}</path>
  <tmp_path>${dir('tmp')}</tmp_path>
  <user_files_path>${dir('user_files')}</user_files_path>
  <format_schema_path>${dir('format_schemas')}</format_schema_path>
  <users_config>${xml(join(temp, 'users.xml'))}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
`;
}

/** Two users with one password (stored as SHA-256): `user` may do anything, `readonlyUser` only read. */
function usersXml({ user, readonlyUser, password }) {
  const sha256 = createHash('sha256').update(password).digest('hex');
  const account = (name, profile) => `
    <${name}>
      <password_sha256_hex>${sha256}</password_sha256_hex>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>${profile}</profile>
      <quota>default</quota>
    </${name}>`;
  return `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default><max_memory_usage>4000000000</max_memory_usage></default>
    <readonly><readonly>1</readonly></readonly>
  </profiles>
  <users>${account(user, 'default')}${account(readonlyUser, 'readonly')}
  </users>
  <quotas>
    <default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default>
  </quotas>
</yandex>
`;
}

/** A ClickHouse string literal. */
const sql = (text) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\t/g, '\\t').replace(/\n/g, '\\n')}'`;

/**
 * The test data: one row per edge a connector must get right. test/data/clickhouse.test.ts checks these
 * exact values; change both together.
 */
export const TEST_TABLE = 'bento_test.all_types';
const SEED = [
  'CREATE DATABASE bento_test',
  `CREATE TABLE ${TEST_TABLE} (
    id Int32, i64 Int64, u64 UInt64, f64 Float64, f64n Nullable(Float64), flag UInt8,
    s String, sn Nullable(String), d Date, ts DateTime, i64n Nullable(Int64)
  ) ENGINE = MergeTree ORDER BY id`,
  `INSERT INTO ${TEST_TABLE} VALUES
    (1, 9007199254740993, 18446744073709551615, 1.5, 2.25, 1,
     'plain ascii', 'present', '2024-02-29', '2024-02-29 23:59:59', 9223372036854775807),
    (2, -9223372036854775808, 0, nan, NULL, 0,
     ${sql('tab\there\nnew line, back\\slash, quote \' and "')}, NULL, '1970-01-02', '1970-01-01 00:00:01', NULL),
    (3, -9007199254740993, 9007199254740993, inf, nan, 1,
     ${sql('héllo wörld — 世界 🎉')}, ${sql('\\N')}, '2105-12-31', '2038-01-19 03:14:08', -1),
    (4, 0, 1, -inf, -0.5, 0,
     '', '', toDate(0), toDateTime(0), 0)`,
];

/**
 * Starts a private ClickHouse server on 127.0.0.1 with free HTTP and TCP ports, in a fresh temporary directory
 * with its own config (timezone UTC), and two users with the same random password: `bento`, and `bento_reader`
 * whose profile is readonly (as a warehouse's reporting account often is). Resolves once /ping answers and the
 * test database `bento_test` (see TEST_TABLE) is filled.
 *
 * @param {{ password?: string, timeoutMs?: number, dataOf?: { directory: string } }} [options]
 *   password: the user's password (a random one by default; a restarted server reuses the old one);
 *   timeoutMs: how long to wait for /ping (30 s);
 *   dataOf: a server stopped with `{ keepData: true }`: start over its files (its tables as they were), unseeded.
 * The result's stop() takes `{ keepData: true }` too: the files stay for such a restart.
 * @returns {Promise<{ url: string, user: string, readonlyUser: string, password: string, version: string, startMs: number, logs: () => string, stop: (options?: { signal?: string }) => Promise<void> }>}
 *   url has no trailing slash; logs() is the server's recent output; stop() kills the server and removes its
 *   temporary directory (`{ signal: 'SIGKILL' }` kills at once, as a crash would; `{ keepData: true }` keeps it).
 *   directory: that temporary directory.
 */
export async function startClickHouse({ password = randomBytes(16).toString('hex'), timeoutMs = 30_000, dataOf } = {}) {
  const binary = ensureClickHouse();
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce({ binary, password, timeoutMs, reuse: dataOf?.directory });
    } catch (error) {
      lastError = error;
      if (!error.portTaken) throw error;
    }
  }
  throw lastError;
}

async function startOnce({ binary, password, timeoutMs, reuse }) {
  const started = Date.now();
  const user = 'bento';
  const readonlyUser = 'bento_reader';
  const httpPort = await freePort();
  let tcpPort = await freePort();
  while (tcpPort === httpPort) tcpPort = await freePort();
  const url = `http://127.0.0.1:${httpPort}`;
  const temp = reuse ?? mkdtempSync(join(tmpdir(), 'bento-clickhouse-'));
  for (const name of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(temp, name), { recursive: true });
  const configFile = join(temp, 'config.xml');
  writeFileSync(configFile, configXml({ temp, httpPort, tcpPort }));
  writeFileSync(join(temp, 'users.xml'), usersXml({ user, readonlyUser, password }));

  // setpriv asks Linux to SIGTERM the server when the Node process that started it dies, even by SIGKILL, so
  // no orphaned server outlives a test run (it execs the server: same pid, same process group).
  const setpriv = onPath('setpriv') ?? (isExecutable('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null);
  const serverArgs = [...binary.args, `--config-file=${configFile}`];
  const [command, args] = setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', binary.path, ...serverArgs]] : [binary.path, serverArgs];

  const { log, exited: exitedNow, stop: stopServer } = spawnServer(command, args, { cwd: temp, temp, exitSignal: 'SIGKILL' });
  const stop = ({ signal, keepData = false } = {}) => stopServer({ signal, keepTemp: keepData });

  // The server writes its errors to a file (see configXml), not to the console.
  const serverLog = () => {
    let errors = '';
    try {
      errors = readFileSync(join(temp, 'server.err.log'), 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      // not written yet
    }
    return [log.text(40), errors].filter(Boolean).join('\n');
  };

  const fail = async (message) => {
    const lines = serverLog();
    await stop({ signal: 'SIGKILL' });
    const error = new Error(`${message}\nClickHouse (${[binary.path, ...serverArgs].join(' ')}) said:\n${lines.trim() || '(nothing)'}`);
    error.portTaken = /Address already in use|already in use/i.test(lines);
    throw error;
  };

  for (;;) {
    if (exitedNow()) await fail(`ClickHouse exited before it answered (${exitedNow().error ?? `code ${exitedNow().code}, signal ${exitedNow().signal}`}).`);
    if (Date.now() - started > timeoutMs) await fail(`ClickHouse did not answer ${url}/ping within ${timeoutMs / 1000} s.`);
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false, // not listening yet
    );
    if (ok) break;
    await sleep(50);
  }

  const query = async (statement) => {
    const response = await fetch(url, {
      method: 'POST',
      body: statement,
      headers: { 'X-ClickHouse-User': user, 'X-ClickHouse-Key': password },
    });
    const text = await response.text();
    if (!response.ok) await fail(`ClickHouse refused a setup statement (${response.status}): ${statement}\n${text}`);
    return text;
  };
  if (!reuse) for (const statement of SEED) await query(statement);
  const version = (await query('SELECT version()')).trim();

  return { url, user, readonlyUser, password, version, startMs: Date.now() - started, logs: serverLog, stop, directory: temp };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const binary = ensureClickHouse();
  console.log(`ClickHouse server  ${[binary.path, ...binary.args].join(' ')}`);
  if (process.argv.includes('--start')) {
    const server = await startClickHouse();
    console.log(
      `\nClickHouse ${server.version} started in ${server.startMs} ms (Ctrl-C stops it)\n` +
        `url:       ${server.url}\n` +
        `user:      ${server.user} (and ${server.readonlyUser}, readonly)\n` +
        `password:  ${server.password}\n` +
        `try:       curl -H 'X-ClickHouse-User: ${server.user}' -H 'X-ClickHouse-Key: ${server.password}' '${server.url}/?query=SELECT+*+FROM+${TEST_TABLE}'`,
    );
    const onSignal = async () => {
      await server.stop();
      console.log('stopped');
      process.exit(0);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await new Promise(() => {});
  }
}
