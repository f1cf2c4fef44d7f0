// Tests run in real Chromium (found or installed by scripts/chromium.mjs). `npm test` runs this config twice:
// once as a plain page, once cross-origin isolated (BENTO_ISOLATED=1, COOP/COEP headers), because the
// interrupt and input() ladders differ between the two. Each run also starts a private Jupyter Server
// (scripts/jupyter.mjs) for the remote-kernel tests and hands its URL and token to the page, and a private
// ClickHouse server (scripts/clickhouse.mjs) for the connector tests, reached through /clickhouse/, and a GraphQL
// server (scripts/graphql-server.mjs) for the %%graphql tests, reached cross-origin as a real API is.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream';
import { CHROMIUM_ARGS, ensureChromium } from './scripts/chromium.mjs';
import { contentSecurityPolicy } from './scripts/serve.mjs';
import { startClickHouse } from './scripts/clickhouse.mjs';
import { closedPort } from './scripts/servers.mjs';
import { FAKE_GOOGLE_API_KEY, FAKE_GOOGLE_TOKEN, startFakeGoogle } from './scripts/fake-google.mjs';
import { startGraphQL } from './scripts/graphql-server.mjs';
import { startJupyter } from './scripts/jupyter.mjs';
import { buildTestPackages } from './scripts/test-packages.mjs';

const isolated = process.env.BENTO_ISOLATED === '1';
const testPackages = buildTestPackages();

/** Python sources are imported as text, as esbuild's text loader does in the build. */
const pythonAsText = {
  name: 'python-as-text',
  resolveMimeType(context) {
    if (context.path.endsWith('.py')) return 'js';
  },
  async transform(context) {
    if (context.path.endsWith('.py')) {
      const source = await readFile(new URL(`.${context.path}`, import.meta.url), 'utf8');
      return { body: `export default ${JSON.stringify(source)};` };
    }
  },
};

function crossOriginIsolation(context, next) {
  return next().then(() => {
    if (!isolated) return;
    context.set('Cross-Origin-Opener-Policy', 'same-origin');
    context.set('Cross-Origin-Embedder-Policy', 'require-corp');
    context.set('Cross-Origin-Resource-Policy', 'same-origin');
  });
}

/**
 * A sandboxed Python runtime (isolation: 'sandbox') has an opaque origin, so its frame, its worker and Pyodide's
 * files are cross-origin requests with `Origin: null`: answered with CORS, as README asks a host to serve them.
 */
function corsForSandboxedKernels(context, next) {
  return next().then(() => {
    if (context.get('Origin') === 'null' && !context.response.get('Access-Control-Allow-Origin')) context.set('Access-Control-Allow-Origin', '*');
  });
}

/**
 * `/echo-cookies` answers with the cookies its request carried, readable from any origin, an opaque one included
 * (CORS with credentials), so a test sees exactly what a kernel's fetch sent.
 */
function echoCookies(context, next) {
  if (context.path !== '/echo-cookies') return next();
  const origin = context.get('Origin');
  if (origin) {
    context.set('Access-Control-Allow-Origin', origin);
    context.set('Access-Control-Allow-Credentials', 'true');
  }
  context.set('Cache-Control', 'no-store');
  context.type = 'application/json';
  context.body = JSON.stringify({ cookie: context.get('Cookie') });
}

/** Serves the generated wheel and lockfiles; `never-answers/` holds the request open until the client gives up. */
async function servePackages(context, next) {
  if (context.path.includes('/never-answers/')) {
    await new Promise((resolve) => {
      context.req.on('close', resolve);
      setTimeout(resolve, 120_000);
    });
    context.status = 504;
    return;
  }
  const file = testPackages.get(context.path);
  if (!file) return next();
  context.type = file.type;
  context.body = file.body;
}

/**
 * A flaky network on demand: after `executeServerCommand('fail-next-request', { path })` the next request for
 * that path answers 404, and the ones after it are served as usual (to check that a failed lazy load is tried again).
 */
const failNext = new Set();
const failNextRequest = {
  name: 'fail-next-request',
  async executeCommand({ command, payload, session }) {
    if (command !== 'fail-next-request') return undefined;
    failNext.add(payload.path);
    // The browser must ask the server: a module an earlier test file loaded would otherwise come from the
    // HTTP cache, and the failure would never happen. Only this test file's page stops caching.
    await session.browser.getPage(session.id).setCacheEnabled(false);
    return true;
  },
};
/**
 * Storage full for real (the fault table): `storage-quota` with `{ bytes }` gives the page's origin that quota, as a
 * full disk or a browser's eviction pressure would, through the DevTools protocol; without `bytes` the quota is the
 * browser's own again. The override lives as long as its DevTools session, so the session is kept per page.
 */
const quotaSessions = new Map();
const storageQuota = {
  name: 'storage-quota',
  async executeCommand({ command, payload, session }) {
    if (command !== 'storage-quota') return undefined;
    const page = session.browser.getPage(session.id);
    let cdp = quotaSessions.get(session.id);
    if (!cdp) quotaSessions.set(session.id, (cdp = await page.createCDPSession()));
    const origin = new URL(page.url()).origin;
    await cdp.send('Storage.overrideQuotaForOrigin', payload?.bytes === undefined ? { origin } : { origin, quotaSize: payload.bytes });
    return true;
  },
};

function failArmedRequests(context, next) {
  if (!failNext.delete(context.path)) return next();
  // Written here, so the test runner's cache middleware cannot mark this 404 cacheable for a year.
  context.respond = false;
  context.res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  context.res.end(`Not found: the test asked for this request to fail (${context.path}).`);
}

/**
 * The page's job runner (src/jobs/worker-runner.ts `jobRunner()`) loads `../jobs-worker.js`, the built worker beside
 * the bundle; run from the source tree that is /src/jobs-worker.js. A redirect (not a rewrite) to the worker's
 * source, so its own relative imports resolve from src/jobs/.
 */
function jobsWorkerFromSource(context, next) {
  if (context.path !== '/src/jobs-worker.js') return next();
  context.redirect('/src/jobs/worker.ts');
}

/** A Pyodide index whose .wasm is served with the wrong type, to check startup timeouts. */
async function wrongWasmType(context, next) {
  if (!context.path.startsWith('/wrong-wasm-type/')) return next();
  context.path = context.path.replace('/wrong-wasm-type/', '/node_modules/pyodide/');
  await next();
  if (context.path.endsWith('.wasm')) context.type = 'text/plain';
}

/**
 * One Jupyter Server for the whole run, started before the browser opens and stopped with the test server.
 * It allows exactly this test server's origin (CORS and the WebSocket Origin check); the tests authenticate
 * with `Authorization: token ...` (or `?token=` on the WebSocket), which also exempts their POSTs from XSRF.
 */
let jupyter = null;
let jupyterOrigin = '*';
/** The same kind of server with a Partitioned login cookie, started by `jupyter-partitioned-cookie` on first use. */
let partitioned = null;

/**
 * A slow network before the Jupyter Server (the fault table's "kernel WebSocket delayed"): a TCP proxy whose kernel
 * WebSockets, once `jupyter-ws-delay` arms it with `{ ms, direction }` ('to-server', 'to-page' or 'both'), hold every
 * chunk for `ms` before passing it on, in order. Nothing is cut or changed; REST requests through it are never held.
 * `{ ms: 0 }` stops holding (chunks already held still arrive when their time comes).
 */
const wsDelay = { ms: 0, direction: 'both' };
let delayProxy = null;
function startDelayProxy() {
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(Number(new URL(jupyter.url).port), '127.0.0.1');
    sockets.add(client).add(upstream);
    let isWebSocket = false;
    // One clock per direction, so that a chunk held never overtakes one before it.
    const pass = (from, to, direction) => {
      let due = 0;
      from.on('data', (chunk) => {
        if (!isWebSocket && direction === 'to-server' && /^upgrade:\s*websocket/im.test(chunk.toString('latin1'))) isWebSocket = true;
        const hold = isWebSocket && wsDelay.ms > 0 && (wsDelay.direction === 'both' || wsDelay.direction === direction);
        due = Math.max(due, Date.now() + (hold ? wsDelay.ms : 0));
        const wait = due - Date.now();
        if (wait <= 0) to.write(chunk);
        else setTimeout(() => to.destroyed || to.write(chunk), wait);
      });
      from.on('end', () => setTimeout(() => to.end(), Math.max(0, due - Date.now())));
    };
    pass(client, upstream, 'to-server');
    pass(upstream, client, 'to-page');
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        stop: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(done));
        },
      });
    });
  });
}
// A library only the server has (the placement tests import it there; the browser's Python cannot).
const serverOnlyLibraries = [fileURLToPath(new URL('./test/placement/server-only', import.meta.url))];
const jupyterServer = {
  name: 'jupyter-server',
  async serverStart({ config, logger }) {
    const origin = `${config.http2 ? 'https' : 'http'}://${config.hostname}:${config.port}`;
    jupyterOrigin = origin;
    jupyter = await startJupyter({ allowOrigin: origin, pythonPath: serverOnlyLibraries });
    delayProxy = await startDelayProxy();
    logger.log(`Jupyter Server for the remote-kernel tests: ${jupyter.url} (${jupyter.python}, ${jupyter.startMs} ms)`);
  },
  async serverStop() {
    await delayProxy?.stop();
    delayProxy = null;
    await jupyter?.stop();
    jupyter = null;
    await partitioned?.stop();
    partitioned = null;
  },
  /**
   * Fault tests drive the real server: `jupyter-kill` ends it abruptly (kernels die with it), `jupyter-start`
   * starts a new one at the same URL with the same token, as a restarted server would be; `jupyter-ws-delay` slows
   * the kernel WebSockets that go through the delay proxy (startDelayProxy).
   */
  async executeCommand({ command, payload }) {
    // A second server, started on first use, whose login cookie is Partitioned (the cookie-login tests).
    if (command === 'jupyter-partitioned-cookie') {
      partitioned ??= await startJupyter({ allowOrigin: jupyterOrigin, pythonPath: serverOnlyLibraries, partitionedCookie: true });
      return { url: partitioned.url, token: partitioned.token };
    }
    if (command === 'jupyter-ws-delay') {
      Object.assign(wsDelay, { ms: payload?.ms ?? 0, direction: payload?.direction ?? 'both' });
      return true;
    }
    if (command === 'jupyter-kill') {
      const { url, token } = jupyter;
      await jupyter.stop({ signal: 'SIGKILL' });
      jupyter = { url, token, stopped: true, stop: async () => {} };
      return true;
    }
    if (command === 'jupyter-start') {
      const port = Number(new URL(jupyter.url).port);
      jupyter = await startJupyter({ allowOrigin: jupyterOrigin, port, token: jupyter.token, pythonPath: serverOnlyLibraries });
      return true;
    }
    return undefined;
  },
};

/**
 * One ClickHouse server for the whole run (scripts/clickhouse.mjs), reached by the page same-origin through
 * `/clickhouse/` (see proxyClickHouse); `/clickhouse-down/` leads to a loopback port where nothing listens.
 */
let clickhouse = null;
let clickhouseDownUrl = null;
const clickHouseServer = {
  name: 'clickhouse-server',
  async serverStart({ logger }) {
    clickhouse = await startClickHouse();
    clickhouseDownUrl = `http://127.0.0.1:${await closedPort()}`;
    logger.log(`ClickHouse ${clickhouse.version} for the connector tests: ${clickhouse.url} (${clickhouse.startMs} ms)`);
  },
  async serverStop() {
    await clickhouse?.stop();
    clickhouse = null;
  },
  /** `clickhouse-kill` ends the server abruptly; `clickhouse-start` replaces it with a fresh one, same password. */
  async executeCommand({ command, payload }) {
    if (command === 'clickhouse-kill') {
      await clickhouse.stop({ signal: 'SIGKILL' });
      return true;
    }
    if (command === 'clickhouse-start') {
      await clickhouse.stop();
      clickhouse = await startClickHouse({ password: clickhouse.password });
      return true;
    }
    // A crash the server recovers from: `clickhouse-crash` kills it and keeps its files, `clickhouse-recover`
    // starts it again over them (the upload tests resume into the tables that were there).
    if (command === 'clickhouse-crash') {
      await clickhouse.stop({ signal: 'SIGKILL', keepData: true });
      return true;
    }
    if (command === 'clickhouse-recover') {
      clickhouse = await startClickHouse({ password: clickhouse.password, dataOf: clickhouse });
      return true;
    }
    // A connection cut by the network, once: see clickhouseCut. `clickhouse-cut-fired` says whether it happened.
    if (command === 'clickhouse-cut') {
      clickhouseCut = { match: payload.match, where: payload.where, ms: payload.ms ?? 0, fired: false };
      return true;
    }
    if (command === 'clickhouse-cut-fired') return { fired: Boolean(clickhouseCut?.fired) };
    if (command === 'clickhouse-release') {
      clickhouseCut?.release?.();
      return { released: Boolean(clickhouseCut?.release) };
    }
    return undefined;
  },
};

/**
 * One GraphQL server for the whole run (scripts/graphql-server.mjs), reached cross-origin as a real API is:
 * it allows exactly this test server's origin, with credentials. `downUrl` is a loopback port where nothing listens.
 */
let graphql = null;
let graphqlOrigin = '*';
let graphqlDownUrl = null;
const graphQLServer = {
  name: 'graphql-server',
  async serverStart({ config, logger }) {
    graphqlOrigin = `${config.http2 ? 'https' : 'http'}://${config.hostname}:${config.port}`;
    graphql = await startGraphQL({ allowOrigin: graphqlOrigin });
    graphqlDownUrl = `http://127.0.0.1:${await closedPort()}/graphql`;
    logger.log(`GraphQL server for the %%graphql tests: ${graphql.url} (${graphql.startMs} ms)`);
  },
  async serverStop() {
    await graphql?.stop();
    graphql = null;
  },
  /** `graphql-kill` ends the server abruptly; `graphql-start` starts it again at the same URL with the same token. */
  async executeCommand({ command }) {
    if (command === 'graphql-kill') {
      await graphql.stop({ signal: 'SIGKILL' });
      return true;
    }
    if (command === 'graphql-start') {
      await graphql.stop();
      graphql = await startGraphQL({ allowOrigin: graphqlOrigin, port: graphql.port, token: graphql.token });
      return true;
    }
    return undefined;
  },
};

/**
 * The stand-in for Google's sheet endpoints (scripts/fake-google.mjs), on a loopback port of its own: Google is
 * cross-origin to every page that reads a sheet, so the tests go through CORS and its preflights as a page does.
 */
let fakeGoogle = null;
const fakeGoogleServer = {
  name: 'fake-google',
  async serverStart({ logger }) {
    fakeGoogle = await startFakeGoogle();
    logger.log(`Fake Google (sheets) for the %%googlesheet tests: ${fakeGoogle.url}`);
  },
  async serverStop() {
    await fakeGoogle?.stop();
    fakeGoogle = null;
  },
};

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
const endToEnd = (headers) => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));

/**
 * `clickhouse-cut` (upload tests): the next request whose URL contains `match` loses the second half of its body on
 * the way to ClickHouse (`where: 'request'`) or, once ClickHouse has answered, its answer (`where: 'response'`), or
 * has that answer held until `clickhouse-release` (at most `ms` milliseconds) before it goes on (`where: 'held'`).
 */
let clickhouseCut = null;

/**
 * A reverse proxy as a host page would put before its warehouse: `/clickhouse/<path>?<query>` goes to the
 * ClickHouse server with the method, headers (credentials included) and body, streamed both ways, and
 * ClickHouse's status and body come back as they are. A client that goes away takes the upstream request
 * with it.
 */
function proxyClickHouse(context, next) {
  const prefix = ['/clickhouse', '/clickhouse-down'].find((p) => context.path === p || context.path.startsWith(`${p}/`));
  if (!prefix) return next();
  const upstream = prefix === '/clickhouse' ? clickhouse?.url : clickhouseDownUrl;
  const { req, res } = context;
  context.respond = false; // koa leaves the response to us
  const target = new URL(req.url.slice(prefix.length) || '/', upstream ?? 'http://127.0.0.1:9');
  const cut = clickhouseCut && !clickhouseCut.fired && decodeURIComponent(req.url).includes(clickhouseCut.match) ? clickhouseCut : null;
  if (cut) cut.fired = true;
  return new Promise((resolve) => {
    const outgoing = request(target, { method: req.method, headers: endToEnd(req.headers), agent: false }, (incoming) => {
      if (cut?.where === 'held') {
        // ClickHouse has done the statement; its answer reaches the page on `clickhouse-release`, or `ms` later.
        let released = false;
        cut.release = () => {
          if (released) return;
          released = true;
          res.writeHead(incoming.statusCode ?? 502, endToEnd(incoming.headers));
          pipeline(incoming, res, () => {});
          resolve();
        };
        setTimeout(cut.release, cut.ms);
        return;
      }
      if (cut?.where === 'response') {
        // ClickHouse finishes the statement; its answer never reaches the page.
        incoming.resume();
        incoming.on('end', () => res.destroy());
        return resolve();
      }
      res.writeHead(incoming.statusCode ?? 502, endToEnd(incoming.headers));
      // An upstream that dies mid-body must not look like a complete answer: pipeline destroys `res` then.
      pipeline(incoming, res, () => {});
      resolve();
    });
    outgoing.on('error', (error) => {
      if (cut) {
        res.destroy();
      } else if (res.headersSent) {
        res.destroy();
      } else {
        res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`Bad gateway: the test proxy cannot reach ClickHouse at ${target.host} (${error.code ?? error.message}).`);
      }
      resolve();
    });
    res.on('close', () => {
      if (!res.writableFinished && cut?.where !== 'response') outgoing.destroy();
    });
    if (cut?.where !== 'request') {
      pipeline(req, outgoing, () => {});
      return;
    }
    // Half the body reaches ClickHouse, then the connection breaks both ways.
    const parts = [];
    req.on('data', (part) => parts.push(part));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      outgoing.write(body.subarray(0, body.length >> 1), () => setTimeout(() => {
        outgoing.destroy();
        res.destroy();
        resolve();
      }, 100));
    });
  });
}

/**
 * `/csp/<path>` serves `<path>` under the Content-Security-Policy the demo is served with (scripts/serve.mjs), pages
 * and scripts alike (a worker's policy is the one its script comes with): test/csp/csp.test.ts loads a page there.
 * `/csp-sandbox/<path>`: the same policy with the `worker-src data:` README asks of a page that runs Python sandboxed,
 * and `/csp-sandbox-strict/<path>` the same without it. Both send their violation reports to `/csp-report`, which
 * keeps them for `executeServerCommand('csp-reports')` (a sandboxed frame's and its workers' violations are reported
 * in documents the test cannot listen to).
 */
const CSP_PREFIXES = { '/csp/': {}, '/csp-sandbox/': { worker: ['data:'], report: true }, '/csp-sandbox-strict/': { report: true } };
const cspReports = [];
async function underContentSecurityPolicy(context, next) {
  if (context.path === '/csp-report' && context.method === 'POST') {
    const chunks = [];
    for await (const chunk of context.req) chunks.push(chunk);
    cspReports.push(JSON.parse(Buffer.concat(chunks).toString('utf8'))['csp-report'] ?? {});
    context.status = 204;
    return;
  }
  const prefix = Object.keys(CSP_PREFIXES).find((p) => context.path.startsWith(p));
  if (!prefix) return next();
  const { worker, report } = CSP_PREFIXES[prefix];
  context.path = context.path.slice(prefix.length - 1);
  await next();
  if (/\.(?:html|m?js)$/.test(context.path)) {
    context.set('Content-Security-Policy', `${contentSecurityPolicy({ worker })}${report ? '; report-uri /csp-report' : ''}`);
  }
}
const cspReportsCommand = {
  name: 'csp-reports',
  executeCommand({ command }) {
    if (command !== 'csp-reports') return undefined;
    return cspReports.splice(0).map((r) => `${r['effective-directive'] ?? r['violated-directive']} refused ${r['blocked-uri'] || 'inline'}`);
  },
};

/**
 * Every test page: a promise rejection nobody handles fails the run. Mocha fails the current test on an uncaught
 * error (through window.onerror) but not on an unhandled rejection in a browser, so the rejection is thrown again
 * as an uncaught error, which fails the test that was running (or the file, between tests).
 */
const failOnUnhandledRejection = `window.addEventListener('unhandledrejection', (event) => {
  const reason = event.reason;
  const error = new Error('Unhandled promise rejection: ' + (reason instanceof Error ? reason.stack || reason.message : String(reason)));
  setTimeout(() => { throw error; });
});`;

/** `/garbage/…` answers 200 with a page that is no answer at all (a captive portal's), for the fault table. */
function answerGarbage(context, next) {
  if (!context.path.startsWith('/garbage/')) return next();
  context.status = 200;
  context.type = 'text/html';
  context.body = '<!doctype html><title>Wi-Fi</title><p>Please accept the terms to continue browsing.</p>';
}

/**
 * `/big-notebook.ipynb?cells=N`: a big notebook made by the benchmark's generator (bench/pages/make-big-notebook.mjs),
 * for the tests of a notebook of a thousand cells, so that no megabyte fixture is committed.
 */
async function serveBigNotebook(context, next) {
  if (context.path !== '/big-notebook.ipynb') return next();
  const { makeBigNotebook } = await import('./bench/pages/make-big-notebook.mjs');
  context.type = 'application/x-ipynb+json';
  context.body = JSON.stringify(makeBigNotebook({ cells: Number(context.query.cells ?? 1000) }));
}

const firstLine = (error) => error?.message?.split('\n')[0];

/** Every test of a finished run: its file, suite path, name, result and, when it failed, its error's first line. */
function testsOf(sessions) {
  const flatten = (file, suite, path, out) => {
    for (const test of suite.tests ?? []) {
      out.push({ file, suite: path.join(' > '), test: test.name, passed: test.passed, skipped: test.skipped, error: firstLine(test.error) });
    }
    for (const child of suite.suites ?? []) flatten(file, child, [...path, child.name], out);
    return out;
  };
  return sessions.flatMap((session) => (session.testResults ? flatten(session.testFile, session.testResults, [], []) : []));
}

/** For `npm run faults` (scripts/faults.mjs): every test's suite path, name and result, written as JSON to `file`. */
function resultsAsJson(file) {
  return {
    async onTestRunFinished({ sessions }) {
      await writeFile(file, JSON.stringify(testsOf(sessions)));
    },
  };
}

/**
 * After the run, one line per failed test or file that could not run. The default reporter prints each failure
 * when its file ends, hundreds of lines before the end; a CI log kept only by its tail would otherwise not say
 * what failed.
 */
function failureSummary() {
  let lines = [];
  return {
    onTestRunFinished({ sessions }) {
      const cwd = `${process.cwd()}/`;
      const where = (file) => file.replace(cwd, '');
      lines = [
        ...sessions.filter((s) => s.errors?.length).map((s) => `${where(s.testFile)}: ${firstLine(s.errors[0])}`),
        ...testsOf(sessions)
          .filter((t) => !t.passed && !t.skipped)
          .map((t) => `${where(t.file)}: ${t.suite ? `${t.suite} > ` : ''}${t.test}: ${t.error ?? 'failed'}`),
      ];
    },
    stop() {
      if (lines.length) console.log(`\nFailed (${lines.length}):\n${lines.map((l) => `  - ${l}`).join('\n')}\n`);
    },
  };
}

export default {
  // The isolated run repeats what behaves differently under COOP/COEP: the kernels (interrupt, input()) and
  // the DuckDB worker a SQL cell starts, and a real reload of a page with jobs and a kept DuckDB (as the demo is served).
  files: isolated
    ? ['test/kernel/**/*.test.ts', 'test/data/duckdb.test.ts', 'test/components/sql-cell.test.ts', 'test/jobs/reload.test.ts']
    : ['test/**/*.test.ts'],
  nodeResolve: true,
  rootDir: '.',
  concurrency: 1,
  reporters: [defaultReporter(), failureSummary(), ...(process.env.BENTO_FAULTS_REPORT ? [resultsAsJson(process.env.BENTO_FAULTS_REPORT)] : [])],
  plugins: [jupyterServer, clickHouseServer, graphQLServer, fakeGoogleServer, failNextRequest, storageQuota, cspReportsCommand, pythonAsText, esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' })],
  middleware: [answerGarbage, serveBigNotebook, crossOriginIsolation, corsForSandboxedKernels, echoCookies, underContentSecurityPolicy, failArmedRequests, proxyClickHouse, servePackages, wrongWasmType, jobsWorkerFromSource],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: ensureChromium(), headless: true, args: CHROMIUM_ARGS },
    }),
  ],
  // Lets a test check that this run is the one it claims to be (plain page or cross-origin isolated), and
  // tells the remote-kernel tests where this run's Jupyter Server is and the ClickHouse tests how to log in to theirs.
  testRunnerHtml: (testFramework) =>
    `<!doctype html><html><body><script>${failOnUnhandledRejection}</script><script>window.__bentoExpectIsolated = ${isolated};` +
    `window.__bentoJupyter = ${JSON.stringify(jupyter && { url: jupyter.url, token: jupyter.token, delayedUrl: delayProxy?.url })};` +
    `window.__bentoClickHouse = ${JSON.stringify(clickhouse && { url: '/clickhouse', user: clickhouse.user, readonlyUser: clickhouse.readonlyUser, password: clickhouse.password })};` +
    `window.__bentoGraphQL = ${JSON.stringify(graphql && { url: graphql.url, origin: graphql.origin, token: graphql.token, downUrl: graphqlDownUrl })};</script>` +
    `<script>window.__bentoFakeGoogle = ${JSON.stringify(fakeGoogle && { url: fakeGoogle.url, apiKey: FAKE_GOOGLE_API_KEY, token: FAKE_GOOGLE_TOKEN })};</script>` +
    `<script type="module" src="${testFramework}"></script></body></html>`,
  testFramework: { config: { timeout: 120_000 } },
  testsFinishTimeout: 15 * 60_000,
  browserStartTimeout: 120_000,
};
