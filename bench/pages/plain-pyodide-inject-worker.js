// The baselines for the injection figure: what a page does without columnar transfer.
import { loadPyodide } from '/node_modules/pyodide/pyodide.mjs';

let pyodide;
self.onmessage = async ({ data }) => {
  try {
    if (data.kind === 'boot') {
      pyodide = await loadPyodide({ indexURL: '/node_modules/pyodide/' });
      self.postMessage({ ok: true });
    } else if (data.kind === 'json') {
      pyodide.globals.set('payload', data.text);
      pyodide.runPython('import json\ndf = json.loads(payload)\ndel payload');
      self.postMessage({ ok: true, len: pyodide.runPython('len(df)') });
    } else if (data.kind === 'topy') {
      const value = pyodide.toPy(data.rows);
      pyodide.globals.set('df', value);
      value.destroy();
      self.postMessage({ ok: true, len: pyodide.runPython('len(df)') });
    }
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
