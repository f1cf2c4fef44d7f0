// The least a page can do to start Python from a memory snapshot: the first visit boots Pyodide, snapshots it
// and stores the bytes in Cache Storage; a later visit hands them to loadPyodide unchecked. No kernel, no
// integrity check, no early compile: Pyodide's private snapshot API (_makeSnapshot, _loadSnapshot) as it is.
import { loadPyodide } from '/node_modules/pyodide/pyodide.mjs';

const indexURL = '/node_modules/pyodide/';
const key = 'https://plain-snapshot.bench.invalid/pyodide';
const cache = await caches.open('bench-plain-snapshot');
const stored = await cache.match(key);
if (stored) {
  const pyodide = await loadPyodide({ indexURL, _loadSnapshot: stored.arrayBuffer() });
  postMessage({ value: String(pyodide.runPython('1+1')), restored: true });
} else {
  const pyodide = await loadPyodide({ indexURL, _makeSnapshot: true });
  const snapshot = pyodide.makeMemorySnapshot();
  await cache.put(key, new Response(snapshot));
  postMessage({ value: String(pyodide.runPython('1+1')), restored: false });
}
