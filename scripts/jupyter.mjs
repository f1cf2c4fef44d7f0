// Finds a Jupyter Server able to run a Python kernel with pandas, for the remote-kernel tests; installs
// Debian's packages when none exists and this process may (root on Debian/Ubuntu). Otherwise stops with a
// message saying exactly what to install. Also starts a private, throwaway server for one test run.
//
//   node scripts/jupyter.mjs           check (or install), print the interpreter and versions
//   node scripts/jupyter.mjs --start   start a server, print its URL and token, stop on Ctrl-C
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { freePort, sleep, spawnServer } from './servers.mjs';
import { findOrInstall, isRoot } from './system.mjs';

const DEBIAN_PACKAGES = ['jupyter-server', 'python3-ipykernel', 'python3-pandas'];

// Prints what the interpreter has, as JSON, or fails with ImportError.
const PROBE = `
import json, sys
import jupyter_server, ipykernel, pandas
import jupyter_server.serverapp
print(json.dumps({
    "executable": sys.executable,
    "python": sys.version.split()[0],
    "jupyter_server": jupyter_server.__version__,
    "ipykernel": ipykernel.__version__,
    "pandas": pandas.__version__,
}))
`;

// Runs \`python -m jupyter_server\`, but first asks Linux to send SIGTERM to the server if the Node process
// that started it dies, even by SIGKILL, so no orphaned server outlives a test run.
const LAUNCH = `
import runpy, signal, sys
try:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
except Exception:
    pass
sys.argv[0] = "jupyter-server"
runpy.run_module("jupyter_server", run_name="__main__", alter_sys=True)
`;

/**
 * Interpreters tried in order: BENTO_JUPYTER_PYTHON, the python3 on PATH (a venv or pyenv the developer chose),
 * then Debian's own /usr/bin/python3, which is the only one that sees Debian's dist-packages.
 */
function candidates() {
  if (process.env.BENTO_JUPYTER_PYTHON) return [process.env.BENTO_JUPYTER_PYTHON];
  return ['python3', '/usr/bin/python3'];
}

function probe(python) {
  try {
    const out = execFileSync(python, ['-c', PROBE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const info = JSON.parse(out.trim().split('\n').pop());
    return { ...info, command: python };
  } catch {
    return null;
  }
}

/** Where a bare command name leads on PATH, for messages. */
function onPath(command) {
  if (command.includes('/')) return command;
  const dir = (process.env.PATH ?? '').split(delimiter).find((d) => d && existsSync(join(d, command)));
  return dir ? `${command} on PATH = ${join(dir, command)}` : `${command} (not on PATH)`;
}

/** The Python that runs Jupyter Server, ipykernel and pandas, or null; never installs anything. */
export function findJupyter() {
  return found();
}

function found() {
  const skipped = [];
  for (const python of candidates()) {
    const info = probe(python);
    if (info) return { ...info, skipped };
    skipped.push(python);
  }
  return null;
}


/**
 * Returns the Python that runs Jupyter Server, ipykernel and pandas:
 * `{ executable, python, jupyter_server, ipykernel, pandas, command, skipped }`: the interpreter's real path,
 * the versions, the name it was found by, and the interpreters tried before it that lack the packages.
 * Installs Debian's packages when missing and root on Debian/Ubuntu; otherwise exits with instructions.
 */
export function ensureJupyter() {
  return findOrInstall({
    find: found,
    packages: DEBIAN_PACKAGES,
    reason: 'No Jupyter Server with ipykernel and pandas found',
    mayInstall: !process.env.BENTO_JUPYTER_PYTHON,
    noRecommends: true,
    help:
      'The remote-kernel tests need a Jupyter Server whose Python has ipykernel and pandas, and none was found\n' +
        `(tried: ${candidates().join(', ')}; each must run \`import jupyter_server, ipykernel, pandas\`).\n` +
        `  Debian/Ubuntu: sudo apt-get install ${DEBIAN_PACKAGES.join(' ')}\n` +
        '  elsewhere:     install jupyter_server, ipykernel and pandas into a Python 3,\n' +
        '                 and set BENTO_JUPYTER_PYTHON=/path/to/that/python if it is not the python3 on PATH',
  });
}

/**
 * Starts a private Jupyter Server on 127.0.0.1 with a random port and token, in a fresh temporary root
 * directory and with no configuration, extensions or kernelspecs of the user's. Resolves once the REST API
 * answers and a `python3` kernelspec exists.
 *
 * @param {{ allowOrigin?: string, python?: string, timeoutMs?: number, pythonPath?: string[], partitionedCookie?: boolean }} [options]
 *   allowOrigin: the page origin allowed for CORS and the WebSocket Origin check ('*' by default); a named origin
 *   may also send credentials (allow_credentials), so a page of the same site can sign in with the login cookie;
 *   partitionedCookie: the login cookie is set `SameSite=None; Partitioned; Secure`, which a browser that blocks
 *   third-party cookies still keeps for a page of another site (CHIPS), so that page can sign in with it too;
 *   python: the interpreter (default: ensureJupyter()'s); timeoutMs: how long to wait for the API (60 s);
 *   pythonPath: absolute directories put first on the kernels' PYTHONPATH (libraries only the server has).
 * @returns {Promise<{ url: string, token: string, python: string, kernelspec: object, logs: () => string, stop: () => Promise<void> }>}
 *   url has no trailing slash; logs() is the server's recent output; stop() kills the server's process group
 *   and removes the temporary directory.
 */
export async function startJupyter({ allowOrigin = '*', python, timeoutMs = 60_000, port, token, pythonPath = [], partitionedCookie = false } = {}) {
  python ??= ensureJupyter().executable;
  let lastError;
  // A given port (a test restarting "the same" server) is not retried elsewhere.
  for (let attempt = 0; attempt < (port ? 1 : 3); attempt++) {
    try {
      return await startOnce({ allowOrigin, python, timeoutMs, port, token, pythonPath, partitionedCookie });
    } catch (error) {
      lastError = error;
      if (!error.portTaken) throw error;
    }
  }
  throw lastError;
}

async function startOnce({ allowOrigin, python, timeoutMs, port, token, pythonPath, partitionedCookie }) {
  const started = Date.now();
  port ??= await freePort();
  token ??= randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  const temp = mkdtempSync(join(tmpdir(), 'bento-jupyter-'));
  const dirs = Object.fromEntries(['root', 'data', 'runtime', 'ipython'].map((name) => [name, join(temp, name)]));
  for (const dir of Object.values(dirs)) mkdirSync(dir);

  const args = [
    '-c',
    LAUNCH,
    '--no-browser',
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--ServerApp.port_retries=0',
    `--ServerApp.root_dir=${dirs.root}`,
    `--ServerApp.allow_origin=${allowOrigin}`,
    '--ServerApp.terminals_enabled=False',
    '--ServerApp.log_level=WARN',
  ];
  if (allowOrigin !== '*') args.push('--ServerApp.allow_credentials=True');
  // Python's cookie library before 3.14 has no Partitioned attribute: it writes the SameSite value as given.
  if (partitionedCookie) args.push('--ServerApp.cookie_options', 'samesite=None; Partitioned', '--ServerApp.cookie_options', 'secure=True');
  if (isRoot()) args.push('--allow-root');

  const env = {
    ...process.env,
    // The token through the environment keeps it out of `ps` and works on Jupyter Server 1 and 2.
    JUPYTER_TOKEN: token,
    // No config files at all (user's or system's): no extensions, nothing that reaches the network.
    JUPYTER_NO_CONFIG: '1',
    // Only the system's kernelspecs and the server Python's own: a user's python3 kernelspec could point at
    // an interpreter without ipykernel or pandas.
    JUPYTER_DATA_DIR: dirs.data,
    JUPYTER_RUNTIME_DIR: dirs.runtime,
    IPYTHONDIR: dirs.ipython,
    // A kernelspec that says `python3` must mean this interpreter, not a pyenv shim earlier on PATH.
    PATH: [dirname(python), process.env.PATH ?? ''].join(delimiter),
    PYTHONUNBUFFERED: '1',
    // The kernel's debugger otherwise warns about frozen modules on every start.
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
  delete env.JUPYTER_CONFIG_DIR;
  // Kernels inherit the server's environment (a kernelspec's `env` only adds to it).
  if (pythonPath.length > 0) env.PYTHONPATH = [...pythonPath, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  delete env.JUPYTER_PATH;

  // Stopping sends SIGTERM first: Jupyter shuts its kernels down on it.
  const { log, exited: exitedNow, stop } = spawnServer(python, args, { cwd: dirs.root, env, temp, exitSignal: 'SIGTERM' });

  const fail = async (message) => {
    await stop();
    const lines = log.text(40);
    const error = new Error(`${message}\nJupyter Server (${python} -m jupyter_server) said:\n${lines || '(nothing)'}`);
    error.portTaken = /already in use|Address already in use|port .* not available/i.test(lines);
    throw error;
  };

  const headers = { Authorization: `token ${token}` };
  for (;;) {
    if (exitedNow()) await fail(`Jupyter Server exited before it answered (${exitedNow().error ?? `code ${exitedNow().code}, signal ${exitedNow().signal}`}).`);
    if (Date.now() - started > timeoutMs) await fail(`Jupyter Server did not answer ${url}/api/status within ${timeoutMs / 1000} s.`);
    const status = await fetch(`${url}/api/status`, { headers, signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.status,
      () => 0, // not listening yet
    );
    if (status === 200) break;
    if (status === 403) await fail('Jupyter Server refused the token it was given (403).');
    await sleep(100);
  }

  const specs = await (await fetch(`${url}/api/kernelspecs`, { headers })).json();
  const kernelspec = specs.kernelspecs?.python3;
  if (!kernelspec) await fail(`Jupyter Server has no python3 kernelspec (it has: ${Object.keys(specs.kernelspecs ?? {}).join(', ') || 'none'}).`);

  return { url, token, python, kernelspec, startMs: Date.now() - started, logs: () => log.text(), stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const info = ensureJupyter();
  console.log(
    `interpreter     ${info.executable}${info.command !== info.executable ? ` (found as ${info.command})` : ''}\n` +
      info.skipped.map((python) => `                (skipped ${onPath(python)}: it cannot import jupyter_server, ipykernel and pandas)\n`).join('') +
      `Python          ${info.python}\n` +
      `jupyter_server  ${info.jupyter_server}\n` +
      `ipykernel       ${info.ipykernel}\n` +
      `pandas          ${info.pandas}`,
  );
  if (process.argv.includes('--start')) {
    const server = await startJupyter({ python: info.executable });
    console.log(
      `\nJupyter Server started in ${server.startMs} ms (Ctrl-C stops it)\n` +
        `url:    ${server.url}\n` +
        `token:  ${server.token}\n` +
        `kernel: python3 = ${server.kernelspec.spec?.argv?.join(' ')}\n` +
        `open:   ${server.url}/api/kernelspecs?token=${server.token}`,
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
