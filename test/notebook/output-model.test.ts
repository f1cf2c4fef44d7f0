import { expect } from '@open-wc/testing';
import { makeMessage, type IOPubMessage, type JSONValue, type IOPubMessageType, type IOPubContentMap } from '../../src/kernel/protocol.ts';
import { AnsiState, ansiToHtml, stripAnsi } from '../../src/notebook/ansi.ts';
import type { Output, StreamOutput } from '../../src/notebook/nbformat.ts';
import { OutputModel, droppedText } from '../../src/notebook/output-model.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { pyodideKernelForSuite, run } from '../helpers.ts';

function message<T extends IOPubMessageType>(type: T, content: IOPubContentMap[T]): IOPubMessage {
  return makeMessage(type, content, { session: 'test', channel: 'iopub' }) as IOPubMessage;
}

const stdout = (text: string) => message('stream', { name: 'stdout', text });
const stderr = (text: string) => message('stream', { name: 'stderr', text });
const textOf = (output: Output) => (output as StreamOutput).text;

describe('OutputModel with the Pyodide kernel', () => {
  const suite = pyodideKernelForSuite();

  /** Runs code as a cell whose outputs `model` holds. */
  async function runCell(model: OutputModel, code: string) {
    return run(suite.kernel, code, { onIOPub: (m) => model.apply(m) });
  }

  it('merges the stream messages of one run of text into one output', async () => {
    const model = new OutputModel();
    const r = await runCell(model, 'import time\nprint("one")\nt = time.time()\nwhile time.time() - t < 0.25: pass\nprint("two")');
    expect(r.outputs.filter(([t]) => t === 'stream')).to.have.length(2);
    expect(model.outputs).to.deep.equal([{ output_type: 'stream', name: 'stdout', text: 'one\ntwo\n' }]);
  });

  it('starts a new stream output when the stream changes, as Jupyter does', async () => {
    const model = new OutputModel();
    await runCell(model, 'import sys\nprint("a")\nprint("b", file=sys.stderr)\nprint("c")');
    expect(model.outputs).to.deep.equal([
      { output_type: 'stream', name: 'stdout', text: 'a\n' },
      { output_type: 'stream', name: 'stderr', text: 'b\n' },
      { output_type: 'stream', name: 'stdout', text: 'c\n' },
    ]);
  });

  it('lets a carriage return overwrite the line, so a progress counter shows its last state', async () => {
    const model = new OutputModel();
    await runCell(model, 'for i in range(10):\n    print(f"progress {i}/9", end="\\r")\nprint()\nprint("done")');
    expect(model.outputs).to.have.length(1);
    expect(textOf(model.outputs[0])).to.equal('progress 9/9\ndone\n');
  });

  it('keeps execute_result with its execution count', async () => {
    const model = new OutputModel();
    const r = await runCell(model, '6 * 7');
    expect(model.outputs).to.deep.equal([
      { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: r.reply.content.execution_count },
    ]);
  });

  it('keeps an error after the output printed before it', async () => {
    const model = new OutputModel();
    await runCell(model, 'def f():\n    raise ValueError("bad value")\nprint("before")\nf()');
    expect(model.outputs).to.have.length(2);
    expect(model.outputs[0]).to.deep.equal({ output_type: 'stream', name: 'stdout', text: 'before\n' });
    const error = model.outputs[1];
    if (error.output_type !== 'error') throw new Error(`expected an error output, got ${error.output_type}`);
    expect(error.ename).to.equal('ValueError');
    expect(error.evalue).to.equal('bad value');
    expect(stripAnsi(error.traceback.join('\n'))).to.contain('ValueError: bad value');
  });

  it('ignores status and execute_input: a silent cell has no outputs and notifies nobody', async () => {
    const model = new OutputModel();
    let notifications = 0;
    model.subscribe(() => notifications++);
    const r = await runCell(model, 'x = 1');
    expect(r.messages.map((m) => m.header.msg_type)).to.include.members(['status', 'execute_input']);
    expect(model.outputs).to.deep.equal([]);
    expect(notifications).to.equal(0);
  });

  it('updates a display in place by its display_id', async () => {
    const model = new OutputModel();
    await runCell(model, 'from IPython.display import display\nh = display("one", display_id=True)\nprint("between")\nh.update("two")');
    expect(model.outputs).to.have.length(2);
    const [shown, printed] = model.outputs;
    if (shown.output_type !== 'display_data') throw new Error(`expected display_data, got ${shown.output_type}`);
    expect(shown.data).to.deep.equal({ 'text/plain': "'two'" });
    expect(shown.transient?.display_id).to.be.a('string').and.not.equal('');
    expect(printed).to.deep.equal({ output_type: 'stream', name: 'stdout', text: 'between\n' });
  });

  it('updates a display shown by another cell when the notebook forwards update_display_data', async () => {
    const first = new OutputModel();
    const second = new OutputModel();
    await runCell(first, 'from IPython.display import display, update_display\nhandle = display("first", display_id="shared-display")');
    const updated: number[] = [];
    await run(suite.kernel, 'update_display("second", display_id="shared-display")', {
      onIOPub: (m) => {
        second.apply(m);
        // What a notebook does: an update applies to every cell showing that display.
        if (m.header.msg_type === 'update_display_data') {
          const content = (m as IOPubMessage<'update_display_data'>).content;
          updated.push(first.updateDisplay(content.transient!.display_id!, content));
        }
      },
    });
    expect(updated).to.deep.equal([1]);
    expect(second.outputs).to.deep.equal([]);
    expect(first.outputs).to.have.length(1);
    expect((first.outputs[0] as { data: object }).data).to.deep.equal({ 'text/plain': "'second'" });
  });

  it('clear_output(wait=True) clears only when the next output arrives, so the area never flickers empty', async () => {
    const model = new OutputModel();
    const lengths: number[] = [];
    model.subscribe(() => lengths.push(model.outputs.length));
    await runCell(model, 'from IPython.display import clear_output\nfor i in range(3):\n    clear_output(wait=True)\n    print(f"frame {i}")');
    expect(model.outputs).to.deep.equal([{ output_type: 'stream', name: 'stdout', text: 'frame 2\n' }]);
    expect(lengths).to.deep.equal([1, 1, 1]);
  });

  it('keeps the outputs when a cell ends with clear_output(wait=True)', async () => {
    const model = new OutputModel();
    await runCell(model, 'from IPython.display import clear_output\nprint("kept")\nclear_output(wait=True)');
    expect(model.outputs).to.deep.equal([{ output_type: 'stream', name: 'stdout', text: 'kept\n' }]);
  });

  it('clear_output() clears at once', async () => {
    const model = new OutputModel();
    const lengths: number[] = [];
    model.subscribe(() => lengths.push(model.outputs.length));
    await runCell(model, 'from IPython.display import clear_output\nprint("old")\nclear_output()\nprint("new")');
    expect(model.outputs).to.deep.equal([{ output_type: 'stream', name: 'stdout', text: 'new\n' }]);
    expect(lengths).to.deep.equal([1, 0, 1]);
  });
});

describe('OutputModel and the pager', () => {
  const server = (globalThis as { __bentoJupyter?: { url: string; token: string } }).__bentoJupyter!;
  const jupyter = new RemoteKernel({ server: { baseUrl: server.url, token: server.token }, kernelName: 'python3' });
  after(() => jupyter.shutdown());

  it("adds ipykernel's page payload (obj?) as a display_data output, keeping its text and colours", async () => {
    const model = new OutputModel();
    const r = await run(jupyter, 'def area(w, h=1):\n    """Width times height."""\n    return w * h\narea?', { onIOPub: (m) => model.apply(m) });
    expect(model.outputs).to.deep.equal([]);
    model.applyPayload(r.reply.content);
    expect(model.outputs).to.have.length(1);
    const output = model.outputs[0] as { output_type: string; data: Record<string, string> };
    expect(output.output_type).to.equal('display_data');
    expect(output.data['text/plain']).to.contain('\x1b[');
    expect(stripAnsi(output.data['text/plain'])).to.match(/^Signature: area\(w, h=1\)\nDocstring: Width times height\.\n/);
  });

  it('ignores payloads that are not the pager', () => {
    const model = new OutputModel();
    model.applyPayload({ payload: [{ source: 'set_next_input', text: 'x = 1', replace: false }, null, { source: 'page' }] });
    model.applyPayload({});
    expect(model.outputs).to.deep.equal([]);
  });
});

describe('OutputModel streams', () => {
  it('overwrites from the start of the line after a carriage return, character by character', () => {
    const model = new OutputModel();
    model.apply(stdout('abc\rxy'));
    expect(textOf(model.outputs[0])).to.equal('xyc');
    model.apply(stdout('\rprogress 10%'));
    model.apply(stdout('\rprogress 100%\nnext'));
    expect(textOf(model.outputs[0])).to.equal('progress 100%\nnext');
  });

  it('handles a carriage return split from its line feed across messages, and Windows line ends', () => {
    const model = new OutputModel();
    model.apply(stdout('a\r'));
    model.apply(stdout('\nb\r\nc'));
    expect(textOf(model.outputs[0])).to.equal('a\nb\nc');
  });

  it('moves back one column on backspace; the next character overwrites', () => {
    const model = new OutputModel();
    model.apply(stdout('abc\b\bX'));
    expect(textOf(model.outputs[0])).to.equal('aXc');
    model.apply(stdout('\b\b\b\bY'));
    expect(textOf(model.outputs[0])).to.equal('YXc');
  });

  it('never lets a carriage return reach text before the last newline', () => {
    const model = new OutputModel();
    model.apply(stdout('kept\nold line'));
    model.apply(stdout('\r\rnew'));
    expect(textOf(model.outputs[0])).to.equal('kept\nnew line');
  });

  it('merges only consecutive outputs of the same stream', () => {
    const model = new OutputModel();
    model.apply(stdout('1\n'));
    model.apply(stdout('2\n'));
    model.apply(stderr('e\n'));
    model.apply(stdout('3\n'));
    expect(model.outputs.map((o) => [(o as StreamOutput).name, textOf(o)])).to.deep.equal([
      ['stdout', '1\n2\n'],
      ['stderr', 'e\n'],
      ['stdout', '3\n'],
    ]);
  });

  it('appends to a stream loaded from .ipynb (text as a list of lines) without changing the loaded object', () => {
    const loaded: StreamOutput = { output_type: 'stream', name: 'stdout', text: ['a\n', 'progress 1'] };
    const model = new OutputModel();
    model.set([loaded]);
    model.apply(stdout('\rprogress 2\n'));
    expect(model.outputs).to.deep.equal([{ output_type: 'stream', name: 'stdout', text: 'a\nprogress 2\n' }]);
    expect(loaded.text).to.deep.equal(['a\n', 'progress 1']);
  });

  it('caps the text of a stream that prints forever, dropping whole lines from the start and counting them', () => {
    const model = new OutputModel({ streamTextLimit: 1000 });
    const lines = Array.from({ length: 500 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`);
    for (let i = 0; i < lines.length; i += 7) model.apply(stdout(lines.slice(i, i + 7).join('')));
    const output = model.outputs[0];
    const text = textOf(output) as string;
    expect(text.length).to.be.at.most(1000);
    expect(text.startsWith('line ')).to.be.true;
    expect(text.endsWith('line 0499\n')).to.be.true;
    const dropped = droppedText(output);
    expect(dropped.characters + text.length).to.equal(lines.join('').length);
    expect(dropped.lines + text.split('\n').length - 1).to.equal(500);
    expect(lines.join('').endsWith(text)).to.be.true;
  });

  it('caps a single line that never ends, keeping its end', () => {
    const model = new OutputModel({ streamTextLimit: 1000 });
    for (let i = 0; i < 30; i++) model.apply(stdout(String(i % 10).repeat(100)));
    const text = textOf(model.outputs[0]) as string;
    expect(text.length).to.be.at.most(1000);
    expect(text.endsWith('9'.repeat(100))).to.be.true;
    expect(droppedText(model.outputs[0]).characters + text.length).to.equal(3000);
  });

  it('reports nothing dropped for outputs under the cap', () => {
    const model = new OutputModel();
    model.apply(stdout('short\n'));
    expect(droppedText(model.outputs[0])).to.deep.equal({ characters: 0, lines: 0 });
  });
});

describe('OutputModel displays and clearing', () => {
  const display = (text: string, id?: string) =>
    message('display_data', { data: { 'text/plain': text }, metadata: {}, ...(id ? { transient: { display_id: id } } : {}) });

  it('replaces every output with the display_id, in place, with a new object', () => {
    const model = new OutputModel();
    model.apply(display('a', 'x'));
    model.apply(display('b'));
    model.apply(message('execute_result', { data: { 'text/plain': 'c' }, metadata: {}, execution_count: 3, transient: { display_id: 'x' } }));
    const before = model.outputs[0];
    model.apply(message('update_display_data', { data: { 'text/plain': 'new' }, metadata: { m: 1 }, transient: { display_id: 'x' } }));
    expect(model.outputs.map((o) => (o as { data?: { 'text/plain'?: JSONValue } }).data?.['text/plain'])).to.deep.equal(['new', 'b', 'new']);
    expect(model.outputs[0]).not.to.equal(before);
    expect(model.outputs[2]).to.deep.include({ output_type: 'execute_result', execution_count: 3, metadata: { m: 1 } });
    expect(model.updateDisplay('unknown', { data: { 'text/plain': 'z' }, metadata: {} })).to.equal(0);
  });

  it('does not clear a pending clear_output(wait=True) on an update, only on the next output', () => {
    const model = new OutputModel();
    model.apply(display('a', 'x'));
    model.apply(message('clear_output', { wait: true }));
    model.apply(message('update_display_data', { data: { 'text/plain': 'b' }, metadata: {}, transient: { display_id: 'x' } }));
    expect(model.outputs).to.have.length(1);
    model.apply(message('error', { ename: 'E', evalue: 'v', traceback: ['tb'] }));
    expect(model.outputs).to.deep.equal([{ output_type: 'error', ename: 'E', evalue: 'v', traceback: ['tb'] }]);
  });

  it('notifies subscribers synchronously on every change until they unsubscribe', () => {
    const model = new OutputModel();
    const seen: number[] = [];
    const unsubscribe = model.subscribe(() => seen.push(model.outputs.length));
    model.apply(stdout('a\n'));
    model.apply(display('d'));
    model.clear();
    model.set([{ output_type: 'stream', name: 'stderr', text: 'x' }]);
    unsubscribe();
    model.apply(stdout('after\n'));
    expect(seen).to.deep.equal([1, 2, 0, 1]);
    expect(model.version).to.be.greaterThan(4);
  });

  it('keeps notifying other subscribers when one of them throws, and reports the error to the page', () => {
    const model = new OutputModel();
    const reported: unknown[] = [];
    // The page's error reporter is swapped (and restored) so the test runner does not count the report as a failure.
    const reportError = window.reportError;
    window.reportError = (error: unknown) => reported.push(error);
    try {
      let calls = 0;
      model.subscribe(() => {
        throw new Error('broken view');
      });
      model.subscribe(() => calls++);
      model.apply(stdout('x'));
      expect(calls).to.equal(1);
      expect(reported.map((e) => (e as Error).message)).to.deep.equal(['broken view']);
    } finally {
      window.reportError = reportError;
    }
  });

  it('copies the array given to set()', () => {
    const loaded: Output[] = [{ output_type: 'stream', name: 'stdout', text: 'x\n' }];
    const model = new OutputModel();
    model.set(loaded);
    model.apply(stderr('y\n'));
    expect(loaded).to.have.length(1);
    expect(model.outputs).to.have.length(2);
  });
});

describe('ansiToHtml', () => {
  it('escapes all text', () => {
    expect(ansiToHtml(`<b onclick="x">&'</b>`)).to.equal('&lt;b onclick=&quot;x&quot;&gt;&amp;&#39;&lt;/b&gt;');
  });

  it('turns the 16 colours and attributes into classes, and resets them', () => {
    expect(ansiToHtml('\x1b[31mred\x1b[0m plain')).to.equal('<span class="ansi-fg-red">red</span> plain');
    expect(ansiToHtml('\x1b[1;4;102mX\x1b[22mY\x1b[24;49mZ')).to.equal(
      '<span class="ansi-bg-bright-green ansi-bold ansi-underline">X</span><span class="ansi-bg-bright-green ansi-underline">Y</span>Z',
    );
    expect(ansiToHtml('\x1b[3;93;44mi\x1b[39mj\x1b[mk')).to.equal(
      '<span class="ansi-fg-bright-yellow ansi-bg-blue ansi-italic">i</span><span class="ansi-bg-blue ansi-italic">j</span>k',
    );
  });

  it('supports 256-colour and 24-bit colours, in both parameter forms', () => {
    expect(ansiToHtml('\x1b[38;5;9ma')).to.equal('<span class="ansi-fg-bright-red">a</span>');
    expect(ansiToHtml('\x1b[38;5;196ma')).to.equal('<span style="color:rgb(255, 0, 0)">a</span>');
    expect(ansiToHtml('\x1b[48;5;244ma')).to.equal('<span style="background-color:rgb(128, 128, 128)">a</span>');
    expect(ansiToHtml('\x1b[38;2;10;20;30ma')).to.equal('<span style="color:rgb(10, 20, 30)">a</span>');
    expect(ansiToHtml('\x1b[38:2::1:2:3ma')).to.equal('<span style="color:rgb(1, 2, 3)">a</span>');
    expect(ansiToHtml('\x1b[38;2;999;0;0ma')).to.equal('a');
  });

  it('drops every other escape sequence and control character', () => {
    expect(ansiToHtml('\x1b[2K\x1b[1Ahel\x07lo\x1b]0;title\x07 \x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\\x1b(B\x1b[?25l!\x1b[')).to.equal(
      'hello link!',
    );
  });

  it('never lets text become markup, even inside a crafted escape sequence', () => {
    const out = ansiToHtml('\x1b[38;2;1;2;3" onmouseover="alert(1)mx\x1b[31;"<img src=x onerror=alert(2)>m');
    const template = document.createElement('template');
    template.innerHTML = out;
    const elements = [...template.content.querySelectorAll('*')];
    expect(elements.every((e) => e.localName === 'span' && [...e.attributes].every((a) => a.name === 'class' || a.name === 'style'))).to.be.true;
    expect(template.content.querySelector('img')).to.equal(null);
  });

  it('carries the style from one call to the next through the state', () => {
    const state = new AnsiState();
    expect(ansiToHtml('\x1b[32mgreen\n', state)).to.equal('<span class="ansi-fg-green">green\n</span>');
    expect(state.key).not.to.equal('');
    expect(ansiToHtml('still green', state)).to.equal('<span class="ansi-fg-green">still green</span>');
  });

  it('strips escapes for plain text', () => {
    expect(stripAnsi('\x1b[1;31mZeroDivisionError\x1b[0m: x')).to.equal('ZeroDivisionError: x');
  });
});
