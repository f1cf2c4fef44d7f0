// A small static server for the demo and the benchmarks: serves the project root, `.wasm` as
// application/wasm (otherwise loadPyodide hangs), and COOP/COEP so the page is cross-origin isolated and a
// running cell can be interrupted in place. The demo pages and the scripts they load (workers included) run under
// a strict Content-Security-Policy, the one README's "Content-Security-Policy" section asks of a host. Offline:
// everything comes from this folder.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, request as forward } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { fakeGoogle } from './fake-google.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.whl': 'application/zip',
  '.ipynb': 'application/x-ipynb+json',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.py': 'text/x-python; charset=utf-8',
};

/**
 * The Content-Security-Policy Bento Lite runs under (README: "Content-Security-Policy"). `connect` lists the other
 * origins the page talks to (a Jupyter Server, a GraphQL API); `html`, the page's own markup, whose inline
 * <script> and <style> blocks are allowed by their hash (non-JavaScript scripts, such as a cell's
 * `text/x-python` source, never run and need none); `worker`, more sources of workers (`data:` for a page that runs
 * Python sandboxed, `isolation: 'sandbox'`).
 */
export function contentSecurityPolicy({ connect = [], html = '', worker = [] } = {}) {
  const hash = (text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  const scripts = [...html.matchAll(/<script((?:\s[^>]*)?)>([\s\S]*?)<\/script>/gi)]
    .filter(([, attributes]) => !/\ssrc=/i.test(attributes) && (!/\stype=/i.test(attributes) || /\stype=["']?(?:module|text\/javascript)["'\s>]/i.test(`${attributes}>`)))
    .map(([, , text]) => hash(text));
  const styles = [...html.matchAll(/<style(?:\s[^>]*)?>([\s\S]*?)<\/style>/gi)].map(([, text]) => hash(text));
  return [
    "default-src 'self'",
    // WebAssembly (Python, DuckDB) compiles under 'wasm-unsafe-eval'; nothing needs eval() or inline handlers.
    ['script-src', "'self'", "'wasm-unsafe-eval'", ...scripts].join(' '),
    ['worker-src', "'self'", ...worker].join(' '),
    // The elements style themselves with constructed style sheets, which CSP does not restrict; style attributes
    // are in outputs (pandas tables, ANSI colours) and in a few elements' sizes.
    ['style-src', "'self'", ...styles].join(' '),
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    ['connect-src', "'self'", ...connect].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

/** Answers with the file at `path` under `headers`, or, when the browser's copy is current, a 304 with the same headers. */
export function sendFile(response, path, headers, notModified) {
  if (notModified) {
    const { 'content-length': _length, ...rest } = headers;
    response.writeHead(304, rest);
    return response.end();
  }
  response.writeHead(200, headers);
  createReadStream(path).pipe(response);
}

/**
 * Starts the server; resolves with its origin. `isolated: false` drops COOP/COEP (to compare both ladders).
 * `proxy: { '/clickhouse': 'http://127.0.0.1:8123' }` forwards `/clickhouse/<rest>` to that server (method, headers,
 * body and answer as they are), so a page reaches it same-origin as a host page's reverse proxy lets it (the upload
 * benchmark's ClickHouse).
 */
export function serve({ port = 8000, host = '127.0.0.1', root = ROOT, isolated = true, quiet = false, config = {}, proxy = {} } = {}) {
  // The demo's %%googlesheet cell reads from this stand-in for Google (which these machines cannot reach), under
  // /fake-google/ on the same origin, as the source `local` the demo page registers.
  const googleStandIn = fakeGoogle({ prefix: '/fake-google' });
  const server = createServer(async (request, response) => {
    if (googleStandIn(request, response)) return;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const prefix = Object.keys(proxy).find((p) => url.pathname === p || url.pathname.startsWith(`${p}/`));
    if (prefix) return forwardTo(proxy[prefix], request.url.slice(prefix.length) || '/', request, response);
    if (url.pathname === '/demo/config.js') {
      // What the demo pages are told at run time (a Jupyter Server's URL and token), as a module: the token
      // stays in JavaScript, never in a URL.
      const headers = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' };
      if (isolated) Object.assign(headers, { 'cross-origin-resource-policy': 'same-origin' });
      response.writeHead(200, headers);
      return response.end(`export default ${JSON.stringify(config)};\n`);
    }
    if (url.pathname === '/') {
      response.writeHead(302, { location: '/demo/' });
      return response.end();
    }
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (path !== root && !path.startsWith(root + sep)) {
      response.writeHead(403);
      return response.end('forbidden');
    }
    try {
      let info = await stat(path);
      if (info.isDirectory()) {
        path = join(path, 'index.html');
        info = await stat(path);
      }
      // no-cache with a validator: a repeat visit revalidates (a 304, no body) instead of downloading again. Chromium's
      // compiled code for a .wasm survives the 304 (it is kept with the HTTP cache entry), as it does under max-age
      // or immutable: only no-store, or a URL that changes per visit, loses it (`npm run bench -- --only wasm-cache`).
      const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const headers = {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
        etag,
      };
      // A demo page, and every script (a worker's policy is the one its own script is served with).
      const demoPage = url.pathname.startsWith('/demo/') && path.endsWith('.html');
      if (demoPage || /\.m?js$/.test(path)) {
        // A Jupyter Server is reached over HTTP and WebSocket: a source names its scheme, and http: does not cover ws:.
        const jupyter = config.jupyter ? [new URL(config.jupyter.baseUrl).origin, new URL(config.jupyter.baseUrl).origin.replace(/^http/, 'ws')] : [];
        const connect = [...jupyter, ...(config.graphql ? [new URL(config.graphql.url).origin] : [])];
        headers['content-security-policy'] = contentSecurityPolicy({ connect, html: demoPage ? await readFile(path, 'utf8') : '' });
      }
      // A sandboxed kernel (isolation: 'sandbox') loads the bundle's files from an opaque origin: with CORS.
      if (url.pathname.startsWith('/dist/')) headers['access-control-allow-origin'] = '*';
      if (isolated) {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
        headers['cross-origin-resource-policy'] = 'same-origin';
      }
      sendFile(response, path, headers, request.headers['if-none-match'] === etag);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end(`not found: ${url.pathname}`);
    }
  });
  return new Promise((resolve, reject) => {
    const tryListen = (p, attempts) => {
      server.once('error', (error) => {
        if (error.code === 'EADDRINUSE' && attempts > 0) tryListen(p + 1, attempts - 1);
        else reject(error);
      });
      server.listen(p, host, () => {
        const origin = `http://${host === '127.0.0.1' ? 'localhost' : host}:${server.address().port}`;
        if (!quiet) console.log(`Bento Lite demo: ${origin}/demo/  (Ctrl-C to stop)`);
        resolve({ origin, close: () => new Promise((r) => server.close(r)) });
      });
    };
    tryListen(port, port === 0 ? 0 : 20);
  });
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
const endToEnd = (headers) => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));

/** Streams `request` to `upstream` + `path` and its answer back; a client that goes away takes the upstream call with it. */
function forwardTo(upstream, path, request, response) {
  // Appended, never resolved against upstream: a path like `//elsewhere/` must not leave the upstream server.
  const target = new URL(`${upstream.replace(/\/$/, '')}${path.startsWith('/') ? '' : '/'}${path}`);
  const outgoing = forward(target, { method: request.method, headers: endToEnd(request.headers) }, (incoming) => {
    response.writeHead(incoming.statusCode ?? 502, endToEnd(incoming.headers));
    pipeline(incoming, response, () => {});
  });
  outgoing.on('error', (error) => {
    if (response.headersSent) return response.destroy();
    response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`Bad gateway: ${upstream} did not answer (${error.code ?? error.message}).`);
  });
  response.on('close', () => {
    if (!response.writableFinished) outgoing.destroy();
  });
  pipeline(request, outgoing, () => {});
}

/**
 * What `npm start` serves: the project on `port` (the next free one when taken; 0: any), plus a private Jupyter
 * Server when one is installed (`jupyter: false` skips it) and the GraphQL server of the demo's %%graphql cells,
 * both told to the demo pages through /demo/config.js. Resolves with the origin, what was started and `close()`.
 */
export async function serveDemo({ port = 8000, isolated = true, quiet = false, jupyter: wantJupyter = true } = {}) {
  const log = quiet ? () => {} : console.log;
  const warn = quiet ? () => {} : console.warn;
  const config = {};
  const stops = [];
  const { origin: actual, close } = await serve({ port, isolated, quiet, config });
  // `npm start` also starts a private Jupyter Server when one is installed, so the demo's kernel selector can
  // offer a server kernel; without one the demo runs in the browser only. config.js is read per request, so the
  // servers started after ours are told to pages loaded from now on.
  const { findJupyter, startJupyter } = await import('./jupyter.mjs');
  const python = wantJupyter && !process.env.BENTO_NO_JUPYTER ? findJupyter() : null;
  let jupyter;
  if (python) {
    try {
      // demo/server-only holds a library only the server has: the demo notebook's placement cells import it.
      jupyter = await startJupyter({ allowOrigin: actual, python: python.executable, pythonPath: [join(ROOT, 'demo', 'server-only')] });
      // Reached as `localhost`, the page's own site on another port, the kernel's WebSocket signs in with the server's
      // login cookie instead of the token (cookieLogin), so the token is in no WebSocket URL.
      const sameSite = new URL(actual).hostname === 'localhost';
      const baseUrl = sameSite ? jupyter.url.replace('//127.0.0.1:', '//localhost:') : jupyter.url;
      config.jupyter = { baseUrl, token: jupyter.token, ...(sameSite ? { cookieLogin: true } : {}) };
      stops.push(() => jupyter.stop());
    } catch (error) {
      warn(`Jupyter Server did not start, so the demo runs in the browser only: ${error.message.split('\n')[0]}`);
    }
  }
  // The demo's %%graphql cells ask a local GraphQL server (the tests' schema: a shop with 10,000 orders), told to
  // the pages through config.js like the Jupyter Server. It answers CORS for the demo's origin under both names.
  let graphql;
  try {
    const { startGraphQL } = await import('./graphql-server.mjs');
    const { port: actualPort } = new URL(actual);
    graphql = await startGraphQL({ allowOrigin: `http://localhost:${actualPort},http://127.0.0.1:${actualPort}` });
    config.graphql = { url: graphql.url };
    stops.push(() => graphql.stop());
    log(`GraphQL server for the demo's %%graphql cells: ${graphql.url}`);
  } catch (error) {
    warn(`The GraphQL server did not start, so the demo's %%graphql cells have no endpoint: ${error.message.split('\n')[0]}`);
  }
  log(
    jupyter
      ? `Jupyter Server for the demo's remote kernel: ${jupyter.url} (pick it in the kernel selector)`
      : 'No Jupyter Server found (Debian: apt-get install jupyter-server python3-ipykernel python3-pandas): the demo runs Python in the browser only.',
  );
  return {
    origin: actual,
    jupyter: Boolean(jupyter),
    graphql: Boolean(graphql),
    close: async () => {
      await Promise.all(stops.map((stop) => stop().catch(() => {})));
      await close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await serveDemo({ port: Number(process.env.PORT ?? 8000), isolated: process.env.BENTO_ISOLATED !== '0' });
}
