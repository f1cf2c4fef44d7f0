// A static server for the wasm-cache figure whose caching headers are chosen per request path: `/v/<policy>/<path>`
// serves <path> of the project root under <policy> (see POLICIES), so one run compares what a host may send. Every
// other path is served as scripts/serve.mjs serves it.
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendFile, TYPES } from '../scripts/serve.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What each policy sends with a file; `validators` adds ETag and Last-Modified, and answers a match with 304. */
export const POLICIES = {
  // What scripts/serve.mjs sent until now: every visit revalidates.
  revalidate: { cacheControl: 'no-cache', validators: true },
  // Fresh for a year, never revalidated: for files whose URL changes when they do.
  immutable: { cacheControl: 'public, max-age=31536000, immutable', validators: false },
  // Fresh for ten minutes, then revalidated.
  'max-age': { cacheControl: 'max-age=600', validators: true },
  // No Cache-Control: fresh for a while by the heuristic on Last-Modified.
  heuristic: { cacheControl: undefined, validators: true },
  'no-store': { cacheControl: 'no-store', validators: false },
};

export function serveWithPolicies({ port = 0 } = {}) {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/v\/([^/]+)(\/.*)$/.exec(url.pathname);
    const policy = match ? POLICIES[match[1]] : POLICIES.revalidate;
    let rest = decodeURIComponent(match ? match[2] : url.pathname);
    if (rest.startsWith('/duckdb-direct/')) {
      // DuckDB's worker with TransformStream hidden: it then compiles from fetch's own Response instead of one it
      // builds around a progress-counting stream (which has no URL, so no cache).
      if (rest.endsWith('.worker.js')) {
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
        return response.end(`self.TransformStream = undefined;\nimportScripts(${JSON.stringify(`/dist/duckdb/${rest.split('/').pop()}`)});\n`);
      }
      rest = `/dist/duckdb/${rest.slice('/duckdb-direct/'.length)}`;
    }
    const path = normalize(join(ROOT, rest));
    if (!policy || !path.startsWith(ROOT + sep)) {
      response.writeHead(404);
      return response.end();
    }
    try {
      const info = await stat(path);
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000 - 86_400_000).toUTCString();
      const headers = { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-length': info.size };
      if (policy.cacheControl) headers['cache-control'] = policy.cacheControl;
      if (policy.validators) Object.assign(headers, { etag, 'last-modified': lastModified });
      const current = request.headers['if-none-match'] === etag || request.headers['if-modified-since'] === lastModified;
      sendFile(response, path, headers, Boolean(policy.validators) && current);
    } catch {
      response.writeHead(404);
      response.end();
    }
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      resolve({ origin: `http://localhost:${server.address().port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}
