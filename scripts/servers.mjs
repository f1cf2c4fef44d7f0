// What the scripts that start a test server (Jupyter Server, ClickHouse) share: a free port, and a child
// process in its own process group whose output is kept for error messages and which never outlives us.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** A loopback port nobody listens on right now (`port` 0: one the system picks from its ephemeral range). */
export function freePort(port = 0) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A loopback port where nothing listens, and nothing the tests start will: below the system's ephemeral range, from
 * which freePort() (so every test server) gets its ports. A port from freePort() itself was not enough: once closed,
 * the system handed it to the next server started, and a "server down" test reached that server instead (a 404).
 */
export async function closedPort() {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // Not Linux: its default range starts higher still (49152).
  }
  const from = Math.max(1024, low - 12000);
  for (let port = from + Math.floor(Math.random() * 1000); port < low; port += 17) {
    if (await freePort(port).then(() => true, () => false)) return port;
  }
  throw new Error(`No free loopback port between ${from} and ${low}.`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the last lines a process wrote, for error messages. */
function tail(limit = 200) {
  const lines = [];
  let partial = '';
  return {
    write(chunk) {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      lines.push(...parts);
      if (lines.length > limit) lines.splice(0, lines.length - limit);
    },
    text(last = limit) {
      return [...lines, ...(partial ? [partial] : [])].slice(-last).join('\n');
    },
  };
}

/** Servers to kill when this process goes away: child process -> { temp, signal }. One set of handlers for all. */
const running = new Map();
let handlersInstalled = false;
function killAll() {
  for (const [child, { temp, signal }] of running) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
    rmSync(temp, { recursive: true, force: true });
  }
}
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      killAll();
      // Leave the signal to the other handlers (the test runner has its own); alone, act as the default would.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/**
 * Starts a server process in its own process group. Its temporary directory `temp` is removed, and the group
 * sent `exitSignal`, if this process ends first. Returns the child, its last output lines (`log.text()`), a
 * promise of its exit, `exited()`: null while it runs, then `{ code, signal }` or `{ error }`, and `stop()`:
 * `signal` (SIGTERM by default, so a server can shut down cleanly) then SIGKILL after 5 s, then `temp` removed;
 * `{ signal: 'SIGKILL' }` kills at once, as a crash would; `{ keepTemp: true }` leaves `temp` for a server started again
 * over the same files (a later `stop()` removes it).
 */
export function spawnServer(command, args, { cwd, env, temp, exitSignal = 'SIGTERM' }) {
  const log = tail();
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (chunk) => log.write(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => log.write(chunk));
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    });
    child.on('error', (error) => {
      exited = { error };
      running.delete(child);
      resolve();
    });
  });
  running.set(child, { temp, signal: exitSignal });
  installExitHandlers();

  const kill = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  let stopping = null;
  const stop = async ({ signal = 'SIGTERM', keepTemp = false } = {}) => {
    await (stopping ??= (async () => {
      if (!exited) {
        kill(signal);
        await Promise.race([exit, sleep(5_000)]);
        if (!exited) {
          kill('SIGKILL');
          await exit;
        }
      }
    })());
    if (!keepTemp) rmSync(temp, { recursive: true, force: true });
  };
  return { child, log, exit, exited: () => exited, stop };
}
