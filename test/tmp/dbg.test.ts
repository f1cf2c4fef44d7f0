import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { run, testRuntimeOptions } from '../helpers.ts';
it('dbg', async () => {
  const runtime = new PyodideRuntime(testRuntimeOptions());
  const kernel = new PyodideKernel({ runtime });
  const r = await run(kernel, 'from IPython.display import display, HTML, Markdown, SVG, JSON, Image, clear_output\ndisplay(HTML("<p>hi</p>"), Markdown("# T"))\ndisplay(JSON({"k": 1}))');
  console.log(JSON.stringify(r.outputs));
});
