// A small static server for the demo and the benchmarks: serves the project root, `.wasm` as
// application/wasm (otherwise loadPyodide hangs), and COOP/COEP so the page is cross-origin isolated and a
// running cell can be interrupted in place. Offline: everything comes from this folder.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = {
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

/** Starts the server; resolves with its origin. `isolated: false` drops COOP/COEP (to compare both ladders). */
export function serve({ port = 8000, host = '127.0.0.1', root = ROOT, isolated = true, quiet = false } = {}) {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
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
      const headers = {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
      };
      if (isolated) {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
        headers['cross-origin-resource-policy'] = 'same-origin';
      }
      response.writeHead(200, headers);
      createReadStream(path).pipe(response);
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

if (import.meta.url === `file://${process.argv[1]}`) {
  await serve({ port: Number(process.env.PORT ?? 8000), isolated: process.env.BENTO_ISOLATED !== '0' });
}
