import { loadPyodide } from '/node_modules/pyodide/pyodide.mjs';
const pyodide = await loadPyodide({ indexURL: '/node_modules/pyodide/' });
postMessage(String(pyodide.runPython('1+1')));
