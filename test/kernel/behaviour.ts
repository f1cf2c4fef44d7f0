/**
 * What every kernel must do where the Jupyter protocol promises the same messages. The serverless kernel runs
 * this suite; the remote kernel (a real Jupyter Server) runs the very same one.
 */
import { expect } from '@open-wc/testing';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { run } from '../helpers.ts';

const PNG_1x1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export function kernelBehaviour(label: string, makeKernel: () => Promise<Kernel>, dispose: (kernel: Kernel) => Promise<void>) {
  describe(`${label}: kernel behaviour`, () => {
    let kernel: Kernel;
    before(async () => {
      kernel = await makeKernel();
      await kernel.ready();
    });
    after(async () => dispose(kernel));

    it('streams stdout and stderr, then the result, with real Jupyter headers', async () => {
      const r = await run(kernel, 'import sys\nprint("a")\nprint("b", file=sys.stderr)\n1+1');
      const types = r.messages.map((m) => m.header.msg_type);
      expect(types[0]).to.equal('status');
      expect(types.at(-1)).to.equal('status');
      expect(types.filter((t) => t !== 'status')).to.deep.equal(['execute_input', 'stream', 'stream', 'execute_result']);
      expect(r.stdout).to.equal('a\n');
      expect(r.stderr).to.equal('b\n');
      const result = r.outputs.find(([t]) => t === 'execute_result')![1];
      expect(result.data['text/plain']).to.equal('2');
      expect(r.reply.content.status).to.equal('ok');
      expect(result.execution_count).to.equal(r.reply.content.execution_count);
      for (const m of r.messages) {
        expect(m.header.msg_id).to.be.a('string').and.not.equal('');
        expect(m.header.session).to.be.a('string').and.not.equal('');
        expect(m.header.version).to.match(/^5\./);
        expect((m.parent_header as { msg_id: string }).msg_id).to.equal((r.reply.parent_header as { msg_id: string }).msg_id);
      }
      expect(r.reply.header.msg_type).to.equal('execute_reply');
    });

    it('publishes output while the cell is still running, not at its end', async () => {
      const r = await run(kernel, 'import time\nprint("first")\nt = time.time()\nwhile time.time() - t < 0.3: pass\nprint("second")');
      const streams = r.outputs.filter(([t]) => t === 'stream').map(([, c]) => c.text);
      expect(streams).to.deep.equal(['first\n', 'second\n']);
    });

    it('numbers results Out[n] and keeps _, __, In and Out', async () => {
      await run(kernel, 'x = 21');
      const doubled = await run(kernel, 'x * 2');
      const n = doubled.reply.content.execution_count as number;
      expect(doubled.outputs.find(([t]) => t === 'execute_result')![1].execution_count).to.equal(n);
      const history = await run(kernel, `(_, Out[${n}], In[${n}], _i${n})`);
      expect(history.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal("(42, 42, 'x * 2', 'x * 2')");
      const result = async (code: string) => (await run(kernel, code)).outputs.find(([t]) => t === 'execute_result')![1].data['text/plain'];
      expect(await result('__')).to.equal('42');
      expect(await result('__')).to.equal("(42, 42, 'x * 2', 'x * 2')");
    });

    it('hides the result of a line ending with a semicolon', async () => {
      const r = await run(kernel, 'x * 3;  # hidden');
      expect(r.outputs.map(([t]) => t)).to.deep.equal(['execute_input']);
      expect(r.reply.content.status).to.equal('ok');
    });

    it('pretty-prints long containers one item per line, as IPython does', async () => {
      const r = await run(kernel, 'list(range(30))');
      const text: string = r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain'];
      expect(text.startsWith('[0,\n 1,\n 2,')).to.be.true;
      expect(text.split('\n')).to.have.length(30);
    });

    it('shows every MIME type of the rich display protocol', async () => {
      const r = await run(
        kernel,
        [
          'class Rich:',
          '    def _repr_html_(self): return "<b>html</b>"',
          '    def _repr_markdown_(self): return "**md**"',
          '    def _repr_svg_(self): return "<svg xmlns=\\"http://www.w3.org/2000/svg\\"></svg>"',
          `    def _repr_png_(self): import base64; return base64.b64decode("${PNG_1x1}")`,
          '    def _repr_jpeg_(self): return None',
          '    def _repr_json_(self): return {"a": [1, 2]}',
          '    def _repr_latex_(self): return r"$\\alpha$"',
          '    def __repr__(self): return "Rich()"',
          'Rich()',
        ].join('\n'),
      );
      const data = r.outputs.find(([t]) => t === 'execute_result')![1].data;
      expect(data['text/html']).to.equal('<b>html</b>');
      expect(data['text/markdown']).to.equal('**md**');
      expect(data['image/svg+xml']).to.contain('<svg');
      expect(String(data['image/png']).replace(/\s/g, '')).to.equal(PNG_1x1); // base64 may carry line breaks
      expect(data).not.to.have.property('image/jpeg');
      expect(data['application/json']).to.deep.equal({ a: [1, 2] });
      expect(data['text/latex']).to.equal('$\\alpha$');
      expect(data['text/plain']).to.equal('Rich()');
    });

    it('honours _repr_mimebundle_', async () => {
      const r = await run(
        kernel,
        'class B:\n    def _repr_mimebundle_(self, include=None, exclude=None):\n        return {"text/plain": "plain", "text/html": "<i>b</i>"}, {"text/html": {"isolated": True}}\nB()',
      );
      const result = r.outputs.find(([t]) => t === 'execute_result')![1];
      expect(result.data).to.deep.equal({ 'text/plain': 'plain', 'text/html': '<i>b</i>' });
      expect(result.metadata).to.deep.equal({ 'text/html': { isolated: true } });
    });

    it('supports IPython.display: display, HTML, Markdown, SVG, JSON, Image, clear_output', async () => {
      const r = await run(
        kernel,
        [
          'import base64',
          'from IPython.display import display, HTML, Markdown, SVG, JSON, Image, clear_output',
          'display(HTML("<p>hi</p>"), Markdown("# T"))',
          'display(SVG("<svg xmlns=\\"http://www.w3.org/2000/svg\\"/>"))',
          'display(JSON({"k": 1}))',
          `display(Image(data=base64.b64decode("${PNG_1x1}"), width=10))`,
          'clear_output(wait=True)',
        ].join('\n'),
      );
      const shown = r.outputs.filter(([t]) => t === 'display_data').map(([, c]) => c);
      expect(shown.map((c) => Object.keys(c.data).filter((k) => k !== 'text/plain')[0])).to.deep.equal([
        'text/html',
        'text/markdown',
        'image/svg+xml',
        'application/json',
        'image/png',
      ]);
      expect(shown[0].data['text/html']).to.equal('<p>hi</p>');
      expect(shown[3].data['application/json']).to.deep.equal({ k: 1 });
      expect(String(shown[4].data['image/png']).replace(/\s/g, '')).to.equal(PNG_1x1);
      expect(shown[4].metadata['image/png']).to.deep.equal({ width: 10 });
      expect(r.outputs.at(-1)).to.deep.equal(['clear_output', { wait: true }]);
    });

    it('updates a display by its display_id', async () => {
      const r = await run(
        kernel,
        'from IPython.display import display, update_display\nh = display("one", display_id=True)\nh.update("two")\nupdate_display("three", display_id=h.display_id)',
      );
      const [first, second, third] = r.outputs.filter(([t]) => t.endsWith('display_data'));
      expect(first[0]).to.equal('display_data');
      expect(second[0]).to.equal('update_display_data');
      expect(third[0]).to.equal('update_display_data');
      const id = first[1].transient.display_id;
      expect(id).to.be.a('string').and.not.equal('');
      expect(second[1].transient.display_id).to.equal(id);
      expect(second[1].data['text/plain']).to.equal("'two'");
      expect(third[1].data['text/plain']).to.equal("'three'");
    });

    it('reports errors with an IPython-shaped traceback', async () => {
      const r = await run(kernel, 'def inner():\n    return 1 / 0\n\ninner()');
      expect(r.reply.content.status).to.equal('error');
      const error = r.outputs.find(([t]) => t === 'error')![1];
      expect(error.ename).to.equal('ZeroDivisionError');
      expect(error.evalue).to.equal('division by zero');
      const text = (error.traceback as string[]).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
      expect(text).to.contain('Traceback (most recent call last)');
      expect(text).to.contain('----> 4 inner()');
      expect(text).to.contain('return 1 / 0');
      expect(text).to.contain('ZeroDivisionError: division by zero');
      expect(r.reply.content).to.include({ ename: 'ZeroDivisionError', evalue: 'division by zero' });
    });

    it('reports syntax errors with the line and a caret', async () => {
      const r = await run(kernel, 'x = (1,\ny = 2 +');
      expect(r.reply.content.status).to.equal('error');
      const error = r.outputs.find(([t]) => t === 'error')![1];
      expect(error.ename).to.equal('SyntaxError');
      const text = (error.traceback as string[]).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
      expect(text).to.match(/line \d/);
      expect(text).to.contain('^');
    });

    it('runs top-level await', async () => {
      const r = await run(kernel, 'import asyncio\nawait asyncio.sleep(0.01)\n"awaited"');
      expect(r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal("'awaited'");
    });

    it('answers input() through the page', async () => {
      const prompts: string[] = [];
      const r = await run(kernel, 'name = input("Name? ")\nprint("hello", name)', {
        onInput: async ({ prompt }) => {
          prompts.push(prompt);
          return 'Ada';
        },
      });
      expect(prompts).to.deep.equal(['Name? ']);
      expect(r.stdout).to.contain('hello Ada');
    });

    it('raises KeyboardInterrupt in the cell when the person cancels input(), as ipykernel does when interrupted there', async () => {
      await run(kernel, 'kept_past_input = 9');
      const r = await run(kernel, 'answer = input("Name? ")\nprint("after input:", repr(answer))', {
        onInput: async () => {
          throw new Error('The person closed the prompt.');
        },
      });
      expect(r.reply.content.status).to.equal('error');
      expect(r.outputs.find(([t]) => t === 'error')?.[1]).to.include({ ename: 'KeyboardInterrupt', evalue: 'Interrupted by user' });
      expect(r.stdout).not.to.contain('after input');
      const next = await run(kernel, 'kept_past_input');
      expect(next.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('9');
    });

    it('raises KeyboardInterrupt in a cell interrupted while it waits for input()', async () => {
      let interrupted: Promise<void> | undefined;
      const r = await run(kernel, 'answer = input("Never answered: ")\nprint("after input")', {
        onInput: () => {
          interrupted = kernel.interrupt();
          return new Promise<string>(() => {});
        },
      });
      await interrupted;
      expect(r.outputs.find(([t]) => t === 'error')?.[1].ename).to.equal('KeyboardInterrupt');
      expect(r.stdout).not.to.contain('after input');
      expect((await run(kernel, '"still here"')).reply.content.status).to.equal('ok');
    });

    it('completes names from the session', async () => {
      await run(kernel, 'import math\nmy_variable = 1');
      const attr = await kernel.complete('math.sq', 7);
      expect(attr.matches).to.include('sqrt');
      expect(attr.cursor_start).to.equal(5);
      expect(attr.cursor_end).to.equal(7);
      const name = await kernel.complete('my_var', 6);
      expect(name.matches).to.include('my_variable');
      expect(name.cursor_start).to.equal(0);
    });

    it('inspects an object: signature and docstring', async () => {
      await run(kernel, 'def add(a, b=2):\n    """Adds two numbers."""\n    return a + b');
      const reply = await kernel.inspect('add(1, ', 4);
      expect(reply.found).to.be.true;
      const text = String(reply.data['text/plain']).replace(/\x1b\[[0-9;]*m/g, '');
      expect(text).to.contain('add(a, b=2)');
      expect(text).to.contain('Adds two numbers.');
      expect((await kernel.inspect('no_such_name', 3)).found).to.be.false;
    });

    it('tells complete from incomplete code', async () => {
      expect((await kernel.isComplete('x = 1')).status).to.equal('complete');
      expect(await kernel.isComplete('for i in range(3):')).to.deep.equal({ status: 'incomplete', indent: '    ' });
      expect((await kernel.isComplete('x = (1,')).status).to.equal('incomplete');
      expect((await kernel.isComplete('1 +* 2')).status).to.equal('invalid');
    });

    it('keeps working after an error', async () => {
      await run(kernel, 'raise ValueError("boom")');
      const r = await run(kernel, '"still here"');
      expect(r.reply.content.status).to.equal('ok');
    });

    it('does not run a cell queued behind a failing one (stop on error), and runs the next one sent after it', async () => {
      const failing = kernel.execute('import time\ntime.sleep(0.2)\nraise ValueError("boom")');
      const queued = kernel.execute('queued_ran = True');
      expect((await failing).content.status).to.equal('error');
      expect((await queued).content.status).to.equal('aborted');
      const after = await run(kernel, '"queued_ran" in globals()');
      expect(after.reply.content.status).to.equal('ok');
      expect(after.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal('False');
    });

    it('runs a cell queued behind one that failed silently', async () => {
      const failing = kernel.execute('import time\ntime.sleep(0.2)\nraise ValueError("quiet")', { silent: true });
      const queued = kernel.execute('queued_after_silent = 1');
      expect((await failing).content.status).to.equal('error');
      expect((await queued).content.status).to.equal('ok');
    });
  });
}
