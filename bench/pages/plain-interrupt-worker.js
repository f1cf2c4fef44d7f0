import { loadPyodide } from '/node_modules/pyodide/pyodide.mjs';

let pyodide;
self.onmessage = async ({ data }) => {
  if (data.run === undefined) {
    pyodide = await loadPyodide({ indexURL: '/node_modules/pyodide/' });
    if (data.buffer) pyodide.setInterruptBuffer(data.buffer);
    self.postMessage('ready');
    return;
  }
  try {
    pyodide.runPython(data.run);
    self.postMessage('finished');
  } catch (error) {
    self.postMessage(String(error).split('\n').at(-2));
  }
};
