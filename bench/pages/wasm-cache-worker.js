import { probePyodide } from './wasm-cache-probe.js';
self.onmessage = async ({ data }) => {
  try {
    postMessage(await probePyodide(data));
  } catch (error) {
    postMessage({ error: String(error?.stack ?? error) });
  }
};
