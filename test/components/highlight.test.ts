// The static highlighter paints cells before (and without) the editor. It must paint what the editor's lezer
// parser paints, or code would change colour when a person starts editing it.
import { expect } from '@open-wc/testing';
import { classHighlighter, highlightCode } from '@lezer/highlight';
import { parser } from '@lezer/python';
import { highlightPython, highlightRanges } from '../../components/bento-cell/highlight.ts';
import { parseNotebook } from '../../src/notebook/ipynb.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { fixtureText } from '../notebook/fixtures.ts';

/** The classes of every character (newlines aside: the editor breaks spans there). */
function perCharacter(ranges: Array<[string, string]>): string[] {
  return ranges.flatMap(([text, classes]) => [...text].map((ch) => (ch === '\n' ? '' : classes)));
}

function lezerRanges(code: string): Array<[string, string]> {
  const ranges: Array<[string, string]> = [];
  highlightCode(code, parser.parse(code), classHighlighter, (text, classes) => ranges.push([text, classes]), () => ranges.push(['\n', '']));
  return ranges;
}

/** Where the static highlighter and lezer disagree, as readable lines ('' when they agree). */
function differences(code: string): string[] {
  const expected = perCharacter(lezerRanges(code));
  const actual = perCharacter(highlightRanges(code));
  const characters = [...code];
  const found: string[] = [];
  for (let i = 0; i < characters.length && found.length < 5; i++) {
    if (expected[i] === actual[i]) continue;
    const line = characters.slice(0, i).filter((ch) => ch === '\n').length;
    found.push(`line ${line + 1} ${JSON.stringify(code.split('\n')[line])}: ${JSON.stringify(characters[i])} is "${actual[i]}", the editor paints "${expected[i]}"`);
    while (i + 1 < characters.length && expected[i + 1] !== actual[i + 1]) i++;
  }
  return found;
}

const SNIPPETS = [
  `import csv, io, statistics
from IPython.display import SVG, display
from ..pkg.mod import (a, b as c)
import os.path as osp

@functools.lru_cache(maxsize=None)
@dataclass(frozen=True)
class Point(Base, metaclass=Meta):
    """A point."""
    x: int = 0
    def __init__(self, a, /, *args, b=None, **kw) -> None:
        self.a = a; print(self.a.b(1))
        return True if a is not None and not False else ...

async def main():
    await g(); yield x
    lambda *a, **k: a + k
    global zz; nonlocal yy
    x += 1; y //= 2; z = a @ b | c & d ^ ~e << 2 >> 3 ** -x % 5
    if a == b != c <= d >= e < f > g and (n := 10): pass
    del x[1:2, ::3]
    async with open(p) as fh: pass
    try: pass
    except (ValueError, KeyError) as e: raise
    finally: pass
    match cmd:
        case [a, *rest] if a: pass
    match = 1; case = match(2)
    print(*args, sep="")
    return [*a, *b], {**d}, (24.*3600.)
`,
  `s = f"hello {name!r:>10} {x + 1:{width}.{prec}} {{literal}} {y=}"
t = rb"\\d" + b'\\x00\\n' + r"raw\\d" + 'esc\\t\\'' + u"x" + "\\N{BULLET}\\012"
u = """multi
line""" + '''other
one'''
n = 0x1F + 1_000 + 3.14e-2 + 2j + 0o17 + 0b101 + .5 + 1E-3j
type Vector = list[float]
# a comment
`,
  // An IPython magic is no Python: only its percent signs go unstyled.
  '%matplotlib inline\nimport numpy as np',
  '%%sql df --conn demo\nSELECT 1',
];

describe('the static Python highlighter', () => {
  it('paints what the editor paints, character by character', () => {
    for (const code of SNIPPETS) expect(differences(code)).to.deep.equal([]);
  });

  it('paints the code cells of real notebooks as the editor does', async () => {
    const fixtures = [
      'jupyter-notebook/Running-Code.ipynb',
      'jupyter-notebook/Notebook-Basics.ipynb',
      'jupyter-notebook/Importing-Notebooks.ipynb',
      'jupyter-notebook/Typesetting-Equations.ipynb',
      'jupyter-notebook/example.ipynb',
      'nbformat/test4.ipynb',
      'nbformat/test4.5.ipynb',
      'nbformat/many_tracebacks.ipynb',
    ];
    let cells = 0;
    for (const name of fixtures) {
      const notebook = parseNotebook(await fixtureText(name));
      for (const cell of notebook.cells.filter((c) => c.cell_type === 'code')) {
        cells++;
        expect(differences(joinSource(cell.source)), `${name}`).to.deep.equal([]);
      }
    }
    expect(cells).to.be.greaterThan(10);
  });

  it('keeps the text exactly and puts the classes on spans', () => {
    const code = 'def f(x):\n    return "a" + 1  # done';
    const fragment = highlightPython(code);
    expect(fragment.textContent).to.equal(code);
    const spans = [...fragment.querySelectorAll('span')].map((span) => [span.textContent, span.className]);
    expect(spans).to.deep.include.members([
      ['def', 'tok-keyword'],
      ['f', 'tok-variableName tok-definition'],
      ['"a"', 'tok-string'],
      ['1', 'tok-number'],
      ['# done', 'tok-comment'],
    ]);
  });
});
