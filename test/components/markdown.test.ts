// The Markdown renderer of the main bundle either renders a source exactly as the full renderer (marked, then
// DOMPurify: the chunk a Markdown cell would otherwise wait for) or declines it. Never something else.
import { expect } from '@open-wc/testing';
import { renderSimpleMarkdown } from '../../components/shared/markdown.ts';
import { markdownToHtml } from '../../components/shared/markdown-html.ts';
import { sanitize } from '../../components/shared/sanitize.ts';
import { parseNotebook } from '../../src/notebook/ipynb.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { fixtureText } from '../notebook/fixtures.ts';

const BLOCKS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'pre', 'blockquote', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr']);
const isBlock = (node: Node | null) => node instanceof Element && BLOCKS.has(node.localName);

/** Markup to compare, with white space as the page shows it (Markdown cells do not preserve it, but in <pre>). */
function normalized(content: Node): string {
  const root = document.createElement('div');
  root.append(content);
  root.normalize();
  const texts: Text[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) if (!node.parentElement!.closest('pre')) texts.push(node as Text);
  // White space renders as one space, and as nothing at the start and end of a block or line.
  const edge = (node: Node | null) => node === null || isBlock(node) || (node instanceof Element && node.localName === 'br');
  for (const text of texts) {
    text.data = text.data.replace(/\s+/g, ' ');
    const inBlock = text.parentNode === root || isBlock(text.parentNode);
    if (inBlock && edge(text.previousSibling)) text.data = text.data.replace(/^ /, '');
    if (inBlock && edge(text.nextSibling)) text.data = text.data.replace(/ $/, '');
    if (!text.data) text.remove();
  }
  return root.innerHTML;
}

/** What a Markdown cell shows with the full renderer. */
function full(source: string): string {
  return normalized(sanitize(markdownToHtml(source), 'html', ['style']));
}

function simple(source: string): string | null {
  const fragment = renderSimpleMarkdown(source);
  return fragment && normalized(fragment);
}

/** Sources the main bundle must render itself: the Markdown of ordinary notebooks. */
const HANDLED = [
  '# A title',
  '## Summaries\n\nSome *emphasis*, **strong** text, `code` and a [link](https://example.com).',
  '# Monthly temperatures of four cities\n\nA small analysis with nothing but the standard library: read a CSV, summarise it with `statistics`,\nand draw a chart as SVG. Run the cells with **Shift+Enter**, or *Run all* above.',
  '`display()` accepts any object with a `_repr_svg_` method; here the SVG is written by hand.',
  'Heading\n=======\n\nSub-heading\n-----------\n\ntext',
  '### Title ###\n#### Four\n##### Five\n###### Six',
  '- one\n- two\n- three',
  '1. first\n2. second\n3. third',
  '3. three\n4. four',
  '* a\n\n* b',
  '- a\n  - nested\n  - nested too\n- b',
  '- item\n\n  continued paragraph\n- next',
  '1) parenthesis\n2) style',
  '> quoted\n> text\n>\n> more',
  '> # heading in a quote\n> - and a list',
  '```python\nimport math\nprint(math.pi)\n```',
  '~~~\nplain fence\n~~~',
  '    indented code\n    block',
  'text\n\n---\n\nmore text',
  '***',
  '| a | b |\n|---|:-:|\n| 1 | 2 |\n| 3 | 4 |',
  'Left | Right\n:--- | ---:\nx | y',
  'line one  \nline two\\\nline three',
  '[inside](#section) and [relative](page.html) and [mail](mailto:a@example.com)',
  'a * b * c and 2*3*4',
  'snake_case_name and __init__ methods',
  '***bold italic*** and ***more***',
  '**bold *italic* bold** and *italic **bold** italic*, **a** and **b**, *a* *b*',
  '_under_ and __double__ and _a __b__ c_',
  'Escapes: \\*not emphasis\\*, \\`not code\\`, \\# not a heading',
  'Entities: &copy; &amp; &#169; &#xA9;',
  'Math stays text: $x^2 + y_1$ and $$\\int f$$',
  'A [link with `code` and *emphasis*](https://example.com/a_b) inside.',
  'Code with backticks: `` a ` b `` and ` x `',
  'Square brackets [like this] and arr[0] stay text.',
  'Some text\n# Heading right after',
  'Para\n> quote after',
  'Para\n- list after',
];

/** Sources the main bundle leaves to the full renderer (it cannot render them exactly as marked and DOMPurify do). */
const DECLINED = [
  '<b>raw HTML</b>',
  'text with <span style="color: red">inline HTML</span>',
  'a bare URL: https://example.com',
  'www.example.com',
  'mail me: someone@example.com',
  '~~strike~~',
  '- [ ] task',
  '[ref][1]\n\n[1]: https://example.com',
  '[link](javascript:alert(1))',
  '- item\nlazy continuation',
  '> quote\nlazy',
  'text\n2. not a list',
  '<https://example.com>',
  '\tcode with a tab',
  '![*formatted* alt](x.png)',
  // Images that are fetched are the full renderer's: its sanitizer blocks them in an untrusted notebook.
  '![a chart](chart.png "Chart")',
  '[![badge](https://example.com/b.svg)](https://example.com)',
  'Entity &unknownentity; stays',
  '[x](JavaScript:alert(1))',
  '[x](&#106;avascript:alert(1))',
  '![x](data:text/html,<script>alert(1)</script>)',
  '[x](vbscript:msgbox)',
];

/** Pieces of Markdown, shuffled into sources that probe the corners where renderers differ. */
const TOKENS = ['word', 'foo', 'bar baz', ' ', ' ', ' ', '*', '**', '_', '__', '***', '`', '``', '[', ']', '](https://x.org/a)', '](#x)', '![', '(', ')', '\\*', '\\', '&amp;', '&copy;', '\n', '\n', '\n\n', '  \n', '\n- ', '\n* ', '\n+ ', '\n1. ', '\n2) ', '\n> ', '\n# ', '\n## ', '\n    ', '\n  ', '\n```\n', '\n---', '\n===', '|', ' | ', '\n|---|---|\n', ':', '.', ',', '!', '?', '"', "'", 'a_b', '1*2', 'x', 'é', '(paren)', '-', '1.', '#', '>', '~', '<', '<3', 'a<b', '\t', '\n   - ', '\n      '];
/** A small seeded generator (mulberry32): the same sources on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** Pieces of ordinary Markdown, for sources that look like what people write. */
const INLINE = ['word', 'text', 'the', 'a', ' ', ' ', ' ', '*em*', '**strong**', '_em_', '__strong__', '***both***', '`code`', '[link](https://example.com/x)', '[rel](page.html "Title")', '![img](img.png)', '&copy;', '\\*', 'snake_case', '2*3', '(paren)', ',', '.', ':', '!', '?', '"q"', "'s", '*', '_', '**', '[', ']', '`', 'é', '  \n', '\n', '[*a*](#x)', '**bold `code`**', '*em [link](#a) em*'];
const LINE = ['', '', '# ', '## ', '- ', '- ', '  - ', '    - ', '1. ', '2. ', '> ', '> > ', '    ', '  ', '| ', '---', '***', '```python', '```', 'Text ', '* ', '+ ', '10) '];
function structured(random: () => number): string {
  const lines: string[] = [];
  const count = 1 + Math.floor(random() * 8);
  for (let l = 0; l < count; l++) {
    let line = LINE[Math.floor(random() * LINE.length)];
    if (line === '| ') {
      const cols = 1 + Math.floor(random() * 3);
      lines.push('| ' + Array.from({ length: cols }, () => INLINE[Math.floor(random() * 8)]).join(' | ') + ' |');
      lines.push('|' + Array.from({ length: cols }, () => [':---', '---', ':-:', '--:'][Math.floor(random() * 4)]).join('|') + '|');
      line = '| ';
    }
    const words = Math.floor(random() * 6);
    for (let w = 0; w < words; w++) line += INLINE[Math.floor(random() * INLINE.length)];
    lines.push(line);
  }
  return lines.join('\n');
}

describe('the Markdown renderer of the main bundle', () => {
  it('renders ordinary Markdown itself, exactly as the full renderer does', () => {
    const differences = HANDLED.map((source) => ({ source, simple: simple(source), full: full(source) })).filter((c) => c.simple !== c.full);
    expect(differences).to.deep.equal([]);
  });

  it('declines what it cannot render exactly as the full renderer does: raw HTML, bare URLs, unsafe links, ...', () => {
    const rendered = DECLINED.filter((source) => renderSimpleMarkdown(source) !== null);
    expect(rendered).to.deep.equal([]);
  });

  it('renders the Markdown cells of real notebooks as the full renderer does, or declines them', async () => {
    const fixtures = [
      'jupyter-notebook/Working-With-Markdown-Cells.ipynb',
      'jupyter-notebook/Running-Code.ipynb',
      'jupyter-notebook/Notebook-Basics.ipynb',
      'jupyter-notebook/Importing-Notebooks.ipynb',
      'jupyter-notebook/Typesetting-Equations.ipynb',
      'jupyter-notebook/example.ipynb',
      'jupyter-notebook/simple_toc.ipynb',
      'jupyter-notebook/autoscroll.ipynb',
      'nbformat/test4.ipynb',
      'nbformat/test4.5.ipynb',
    ];
    let cells = 0;
    let handled = 0;
    const differences: Array<{ source: string; simple: string; full: string }> = [];
    for (const name of fixtures) {
      const notebook = parseNotebook(await fixtureText(name));
      for (const cell of notebook.cells.filter((c) => c.cell_type === 'markdown')) {
        const source = joinSource(cell.source);
        cells++;
        const mine = simple(source);
        if (mine === null) continue;
        handled++;
        const theirs = full(source);
        if (mine !== theirs) differences.push({ source, simple: mine, full: theirs });
      }
    }
    expect(differences).to.deep.equal([]);
    expect(cells).to.be.greaterThan(20);
    // Most ordinary cells need no chunk at all.
    expect(handled / cells).to.be.greaterThan(0.5);
  });

  it('agrees with the full renderer on thousands of generated sources, or declines them', () => {
    const random = rng(20261125);
    const differences: Array<{ source: string; simple: string; full: string }> = [];
    let handled = 0;
    const total = 20_000;
    for (let n = 0; n < total; n++) {
      let source = '';
      if (n % 2) {
        const length = 1 + Math.floor(random() * 14);
        for (let i = 0; i < length; i++) source += TOKENS[Math.floor(random() * TOKENS.length)];
        source = source.replace(/^\n+/, '');
      } else source = structured(random);
      const mine = simple(source);
      if (mine === null) continue;
      handled++;
      const theirs = full(source);
      if (mine !== theirs) differences.push({ source, simple: mine, full: theirs });
    }
    expect(differences.slice(0, 10)).to.deep.equal([]);
    expect(handled).to.be.greaterThan(total / 5);
  });

  it('resolves attachment: images through the cell, as data: URLs', () => {
    const fragment = renderSimpleMarkdown('![pasted](attachment:image%201.png)', {
      attachment: (name) => (name === 'image 1.png' ? 'data:image/png;base64,iVBORw0KGgo=' : undefined),
    })!;
    expect(fragment.querySelector('img')!.getAttribute('src')).to.equal('data:image/png;base64,iVBORw0KGgo=');
    expect(renderSimpleMarkdown('![x](attachment:missing.png)', { attachment: () => undefined })).to.equal(null);
  });
});
