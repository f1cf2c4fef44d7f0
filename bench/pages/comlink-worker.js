import * as Comlink from '/node_modules/comlink/dist/esm/comlink.mjs';
import { loadPyodide } from '/node_modules/pyodide/pyodide.mjs';

let pyodide;
Comlink.expose({
  async boot() {
    pyodide = await loadPyodide({ indexURL: '/node_modules/pyodide/' });
  },
  runPython(code) {
    return String(pyodide.runPython(code));
  },
});
