// The browser kernel's pretty printer (src/kernel/pyodide/bento_pretty.py) against IPython's, through a real
// ipykernel: values whose layout is hard to get right (multi-line reprs inside containers, a key and a value
// that both could split, `_repr_pretty_` code using groups, indent and break_, cycles) must read exactly the same.
import { expect } from '@open-wc/testing';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { run, testRuntimeOptions } from '../helpers.ts';
import { jupyterServer } from './remote/server.ts';

const SETUP = `
from collections import defaultdict, OrderedDict, Counter, deque
import re, types

class ML:
    def __repr__(self):
        return "line1\\nline2"

class Tree:
    def __init__(self, *kids):
        self.kids = kids

    def _repr_pretty_(self, p, cycle):
        if cycle:
            p.text("Tree(...)")
            return
        with p.group(5, "Tree(", ")"):
            for i, kid in enumerate(self.kids):
                if i:
                    p.text(",")
                    p.breakable()
                p.pretty(kid)

class Indented:
    def _repr_pretty_(self, p, cycle):
        p.text("header:")
        with p.indent(4):
            for i in range(3):
                p.break_()
                p.text(f"row {i}")

looped = Tree()
looped.kids = (looped, 1)
`;

const VALUES = [
  '[ML(), 1]',
  '[1, ML()]',
  '{"k": ML(), "j": [1, 2]}',
  '{("a" * 30, "b" * 30): list(range(20))}',
  '[{"name": "n%d" % i, "tags": ["t"] * (i % 4), "score": i / 3} for i in range(6)]',
  'defaultdict(list, {i: list(range(i * 3)) for i in range(6)})',
  'OrderedDict((f"key{i}", "v" * i * 3) for i in range(8))',
  'Counter("the quick brown fox jumps over the lazy dog")',
  'deque(range(40), maxlen=50)',
  'types.SimpleNamespace(alpha=list(range(25)), beta="b" * 60, gamma={"x": 1})',
  'ValueError("a" * 50, list(range(20)))',
  'Tree(Tree(1, 2), Tree(*range(30)), [Tree()])',
  'Indented()',
  '[Indented(), Indented()]',
  'looped',
  'frozenset(range(30))',
  '[[i] * i for i in range(14)]',
  '("x" * 70, ("y" * 10,))',
  '{"outer": {"inner": {"deep": list(range(30))}}}',
  '[re.compile("a+b*", re.I | re.M), re.compile(b"bytes")]',
  '{i: {"k" * i: (i, "v" * (i * 5))} for i in range(1, 9)}',
];

async function plainText(kernel: Kernel, code: string): Promise<string | undefined> {
  const r = await run(kernel, code);
  return r.outputs.find(([type]) => type === 'execute_result')?.[1].data['text/plain'];
}

describe('Pretty printer: the browser kernel lays values out as IPython does', () => {
  const runtime = new PyodideRuntime(testRuntimeOptions());
  const browser = new PyodideKernel({ runtime });
  const jupyter = new RemoteKernel({ server: jupyterServer(), kernelName: 'python3' });

  before(async () => {
    await Promise.all([browser.ready(), jupyter.ready()]);
    const setups = await Promise.all([run(browser, SETUP), run(jupyter, SETUP)]);
    for (const setup of setups) expect(setup.reply.content.status, setup.stderr).to.equal('ok');
  });
  after(async () => {
    await Promise.all([browser.shutdown(), jupyter.shutdown()]);
    runtime.terminate();
  });

  for (const value of VALUES) {
    it(value, async () => {
      const [ours, ipython] = await Promise.all([plainText(browser, value), plainText(jupyter, value)]);
      expect(ipython, 'ipykernel shows the value').to.be.a('string');
      expect(ours).to.equal(ipython);
    });
  }
});
