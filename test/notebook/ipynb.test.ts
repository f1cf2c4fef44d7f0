import { expect } from '@open-wc/testing';
import type { CodeCell, MarkdownCell, Notebook } from '../../src/notebook/nbformat.ts';
import { newCellId, newNotebook, NotebookFormatError, parseNotebook, serializeNotebook } from '../../src/notebook/ipynb.ts';
import { fixtureText, JUPYTER_DOCS_NOTEBOOKS } from './fixtures.ts';
import { validate, type Schema } from './schema.ts';

/** nbformat 4 fixtures that nbformat itself reads and validates (after repairing missing ids). */
const V4_FIXTURES = [
  'nbformat/test4.ipynb',
  'nbformat/test4.5.ipynb',
  'nbformat/test4custom.ipynb',
  'nbformat/test4docinfo.ipynb',
  'nbformat/test4jupyter_metadata.ipynb',
  'nbformat/test4jupyter_metadata_timings.ipynb',
  'nbformat/many_tracebacks.ipynb',
  'nbformat/v4_5_no_cell_id.ipynb',
  // Repeated ids are repaired, as nbformat's validate() does by default (its strict mode is deprecated).
  'nbformat/invalid_unique_cell_id.ipynb',
  ...JUPYTER_DOCS_NOTEBOOKS,
];
const V3_FIXTURES = [
  'nbformat/test3.ipynb',
  'nbformat/test3_no_metadata.ipynb',
  'nbformat/test3_no_min_version.ipynb',
  'nbformat/test3_no_worksheets.ipynb',
  'nbformat/test3_worksheet_with_no_cells.ipynb',
];
/** Files refused, with the place the error must point at and words the message must contain. */
const REFUSED_FIXTURES: Array<{ file: string; path: string; message: RegExp }> = [
  // Its first problem of several: a markdown cell without source (then a heading cell, then a "bad stream").
  { file: 'nbformat/invalid.ipynb', path: 'cells[0].source', message: /cells\[0\]\.source is missing; expected a string or a list of strings/ },
  { file: 'nbformat/invalid_cell_id.ipynb', path: 'cells[0].id', message: /cells\[0\]\.id is "\$illegal_chars"/ },
  { file: 'nbformat/v4_5_invalid_metadata.ipynb', path: 'metadata.kernelspec', message: /metadata\.kernelspec is "BAD: should be a dict"; expected an object/ },
  // nbformat's validator refuses a v4 notebook without nbformat_minor (test_notebook_invalid_without_min_version).
  { file: 'nbformat/no_min_version.ipynb', path: 'nbformat_minor', message: /nbformat_minor is missing/ },
  // Deliberately out of scope: nbformat 2, and 4.99 whose unknown cell types could not be kept.
  { file: 'nbformat/test2.ipynb', path: 'nbformat', message: /nbformat 2, too old.*Open and save it with Jupyter/ },
  { file: 'nbformat/test4plus.ipynb', path: 'nbformat_minor', message: /nbformat 4\.99, newer than Bento Lite reads/ },
];

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

let schema: Schema;
before(async () => {
  schema = JSON.parse(await fixtureText('nbformat/nbformat.v4.5.schema.json')) as Schema;
});

function refusal(input: unknown): NotebookFormatError {
  try {
    parseNotebook(input);
  } catch (error) {
    expect(error).to.be.instanceOf(NotebookFormatError);
    return error as NotebookFormatError;
  }
  throw new Error('parseNotebook accepted the input');
}

function isJSONMime(mime: string): boolean {
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

function joinBundle(bundle: Record<string, any>): void {
  for (const [mime, data] of Object.entries(bundle)) {
    if (!isJSONMime(mime) && Array.isArray(data)) bundle[mime] = data.join('');
  }
}

/** A file's content with line splitting, cell ids and the minor version set aside. */
function content(file: any): any {
  const nb = structuredClone(file);
  delete nb.nbformat_minor;
  for (const cell of nb.cells) {
    delete cell.id;
    if (Array.isArray(cell.source)) cell.source = cell.source.join('');
    for (const bundle of Object.values(cell.attachments ?? {})) joinBundle(bundle as Record<string, any>);
    for (const output of cell.outputs ?? []) {
      if (Array.isArray(output.text)) output.text = output.text.join('');
      if (output.data) joinBundle(output.data);
    }
  }
  return nb;
}

function expectValidIds(nb: Notebook): void {
  const ids = nb.cells.map((cell) => cell.id);
  for (const id of ids) expect(id).to.match(CELL_ID);
  expect(new Set(ids).size).to.equal(ids.length);
}

function keysSorted(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => keysSorted(item, `${path}/${index}`));
  if (typeof value !== 'object' || value === null) return [];
  const keys = Object.keys(value);
  const unsorted = keys.join() === [...keys].sort().join() ? [] : [path || '/'];
  return [...unsorted, ...keys.flatMap((key) => keysSorted((value as Record<string, unknown>)[key], `${path}/${key}`))];
}

describe('test JSON Schema validator', () => {
  const good = () => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } },
    cells: [
      { id: 'a', cell_type: 'markdown', metadata: { tags: ['x', 'y'] }, source: ['# Hi'] },
      { id: 'b', cell_type: 'code', metadata: {}, source: 'x', execution_count: null, outputs: [{ output_type: 'stream', name: 'stdout', text: 'x' }] },
    ],
  });

  it('accepts a valid notebook', () => {
    expect(validate(good(), schema)).to.deep.equal([]);
  });

  it('reports a missing required property, with its place', () => {
    const nb: any = good();
    delete nb.cells[0].source;
    const errors = validate(nb, schema);
    expect(errors.join('\n')).to.match(/\/cells\/0: matches none of oneOf/).and.to.match(/"source" is required/);
  });

  it('reports a minimum, an additional property, a pattern, repeated items and a wrong type', () => {
    const nb: any = good();
    nb.nbformat_minor = 4;
    nb.extra = true;
    nb.cells[0].id = 'not valid!';
    nb.cells[0].metadata.tags = ['x', 'x'];
    nb.cells[1].execution_count = 'one';
    const errors = validate(nb, schema).join('\n');
    expect(errors).to.match(/\/nbformat_minor: 4 is below the minimum 5/);
    expect(errors).to.match(/\/: has a property "extra" the schema does not allow/);
    expect(errors).to.match(/\/cells\/0\/id: "not valid!" does not match/);
    expect(errors).to.match(/\/cells\/0\/metadata\/tags: item 1 repeats item 0/);
    expect(errors).to.match(/\/cells\/1\/execution_count: is a string, expected integer or null/);
  });

  it('reports an output of unknown type and a non-text MIME value', () => {
    const nb: any = good();
    nb.cells[1].outputs = [
      { output_type: 'bad stream', name: 'stdout', text: 'x' },
      { output_type: 'display_data', metadata: {}, data: { 'text/plain': 5, 'application/vnd.x+json': 5 } },
    ];
    const errors = validate(nb, schema);
    expect(errors.join('\n')).to.match(/\/cells\/1: matches none of oneOf.*\/cells\/1\/outputs\/0: matches none of oneOf/);
    expect(errors.join('\n')).to.match(/\/cells\/1\/outputs\/1\/data\/text~1plain: matches none of oneOf/);
    expect(errors.join('\n')).not.to.match(/application~1vnd\.x\+json/);
  });

  it('agrees with nbformat on its fixtures', async () => {
    expect(validate(JSON.parse(await fixtureText('nbformat/test4.5.ipynb')), schema)).to.deep.equal([]);
    expect(validate(JSON.parse(await fixtureText('nbformat/invalid_cell_id.ipynb')), schema)).not.to.be.empty;
    const metadataErrors = validate(JSON.parse(await fixtureText('nbformat/v4_5_invalid_metadata.ipynb')), schema);
    expect(metadataErrors.join('\n')).to.match(/\/metadata\/kernelspec: is a string, expected object/);
  });
});

describe('parseNotebook and serializeNotebook on nbformat 4 fixtures', () => {
  for (const file of V4_FIXTURES) {
    it(`${file}: loads, round-trips without loss, and saves valid nbformat 4.5`, async () => {
      const text = await fixtureText(file);
      const original = JSON.parse(text);
      const first = parseNotebook(text);
      expect(first.nbformat).to.equal(4);
      expect(first.nbformat_minor).to.equal(5);
      expect(first.cells).to.have.length(original.cells.length);
      expectValidIds(first);
      if (original.nbformat_minor === 5) {
        // Ids a 4.5 file has are kept, except a repeated one; missing ones are made.
        const seen = new Set<string>();
        original.cells.forEach((cell: any, index: number) => {
          if (cell.id && !seen.has(cell.id)) expect(first.cells[index]!.id).to.equal(cell.id);
          seen.add(cell.id);
        });
      }

      const saved = serializeNotebook(first);
      const second = parseNotebook(saved);
      expect(second).to.deep.equal(first);
      expect(serializeNotebook(second)).to.equal(saved);
      expect(content(JSON.parse(saved))).to.deep.equal(content(original));
      expect(validate(JSON.parse(saved), schema)).to.deep.equal([]);
    });
  }

  it('writes a notebook saved by Jupyter back byte for byte', async () => {
    const text = await fixtureText('nbformat/test4.5.ipynb');
    expect(serializeNotebook(parseNotebook(text))).to.equal(text);
    // Files Jupyter wrote before 4.5 differ only by the cell ids added and the minor version.
    const written = ['nbformat/test4custom.ipynb', 'jupyter-notebook/Running-Code.ipynb', 'jupyter-notebook/example.ipynb'];
    for (const file of written) {
      const original = await fixtureText(file);
      const minor = JSON.parse(original).nbformat_minor;
      const saved = serializeNotebook(parseNotebook(original))
        .replace(/\n {3}"id": "[^"]+",/g, '')
        .replace('"nbformat_minor": 5', `"nbformat_minor": ${minor}`);
      expect(saved, file).to.equal(original);
    }
  });

  it('parses an already parsed object the same as its text, without changing it', async () => {
    const text = await fixtureText('nbformat/test4.5.ipynb');
    const object = JSON.parse(text);
    const parsed = parseNotebook(object);
    expect(object).to.deep.equal(JSON.parse(text));
    expect(parsed).to.deep.equal(parseNotebook(text));
    (parsed.cells[0]!.metadata as any).changed = true;
    expect(object.cells[0].metadata.changed).to.equal(undefined);
  });

  it('parses an object made in another window (an iframe), and still refuses what is not JSON data', async () => {
    const text = await fixtureText('nbformat/test4.5.ipynb');
    const frame = document.createElement('iframe');
    document.body.append(frame);
    try {
      const foreign = (frame.contentWindow as Window & typeof globalThis).JSON.parse(text);
      expect(Object.getPrototypeOf(foreign)).not.to.equal(Object.prototype);
      expect(parseNotebook(foreign)).to.deep.equal(parseNotebook(text));
      foreign.cells[0].metadata.when = new (frame.contentWindow as Window & typeof globalThis).Date(0);
      expect(() => parseNotebook(foreign)).to.throw(NotebookFormatError, /metadata\.when .*expected JSON data/);
    } finally {
      frame.remove();
    }
  });

  it('joins multiline strings but leaves JSON data alone', async () => {
    const nb = parseNotebook(await fixtureText('nbformat/test4custom.ipynb'));
    const display = (nb.cells[0] as CodeCell).outputs[0]!;
    expect(display.output_type).to.equal('display_data');
    expect((display as any).data['application/vnd.raw.v1+json']).to.deep.equal({ apples: ['🍎', '🍏'], bananas: 2, oranges: 'apples' });
    expect(nb.cells[0]!.source).to.be.a('string').and.to.contain('IPython.display.display(bundle, raw=True)');

    const basics = parseNotebook(await fixtureText('nbformat/test4.ipynb'));
    const stream = (basics.cells[3] as CodeCell).outputs[0]!;
    expect(stream).to.include({ output_type: 'stream', name: 'stdout', text: 'hello\n' });
    const html = (basics.cells[5] as CodeCell).outputs[0] as any;
    expect(html.data['text/html']).to.equal('\n<script>\nconsole.log("hello");\n</script>\n<b>HTML</b>\n');
  });

  it('keeps markdown attachments', async () => {
    const text = await fixtureText('jupyter-notebook/Working-With-Markdown-Cells.ipynb');
    const withAttachment = JSON.parse(text).cells.findIndex((cell: any) => cell.attachments);
    expect(withAttachment).to.be.greaterThan(-1);
    const cell = parseNotebook(text).cells[withAttachment] as MarkdownCell;
    const [name] = Object.keys(cell.attachments!);
    expect(cell.source).to.contain(`attachment:${name}`);
    expect(cell.attachments![name!]!['image/jpeg']).to.be.a('string').and.to.have.length.greaterThan(1000);
    const saved = JSON.parse(serializeNotebook(parseNotebook(text)));
    expect(saved.cells[withAttachment].attachments).to.deep.equal(JSON.parse(text).cells[withAttachment].attachments);
  });

  it('gives a fresh id to a repeated one, keeping the first', async () => {
    for (const file of ['nbformat/invalid_unique_cell_id.ipynb', 'jupyter-notebook/autoscroll.ipynb']) {
      const original = JSON.parse(await fixtureText(file));
      expect(original.cells[1].id).to.equal(original.cells[0].id);
      const nb = parseNotebook(original);
      expect(nb.cells[0]!.id).to.equal(original.cells[0].id);
      expect(nb.cells[1]!.id).not.to.equal(original.cells[0].id);
      expectValidIds(nb);
    }
  });

  it('gives ids to cells of older files and to 4.5 cells that lack one', async () => {
    const noId = parseNotebook(await fixtureText('nbformat/v4_5_no_cell_id.ipynb'));
    expectValidIds(noId);
    const older = parseNotebook({
      nbformat: 4,
      nbformat_minor: 4,
      metadata: {},
      cells: [
        { cell_type: 'raw', metadata: {}, source: '', id: 'keep-me' },
        { cell_type: 'raw', metadata: {}, source: '', id: 'keep-me' },
        { cell_type: 'raw', metadata: {}, source: '', id: 'no good' },
        { cell_type: 'raw', metadata: {}, source: '' },
      ],
    });
    expect(older.cells[0]!.id).to.equal('keep-me');
    expectValidIds(older);
  });
});

describe('parseNotebook upgrades nbformat 3', () => {
  for (const file of V3_FIXTURES) {
    it(`${file}: loads as nbformat 4.5 and saves valid`, async () => {
      const original = JSON.parse(await fixtureText(file));
      const nb = parseNotebook(original);
      expect(nb.nbformat_minor).to.equal(5);
      const cellCount = (original.worksheets ?? []).reduce((sum: number, sheet: any) => sum + (sheet.cells?.length ?? 0), 0);
      expect(nb.cells).to.have.length(cellCount);
      expectValidIds(nb);
      expect(nb.metadata.orig_nbformat).to.equal(3);
      expect(nb.metadata).not.to.have.property('name');
      expect(nb).not.to.have.property('worksheets');
      const saved = JSON.parse(serializeNotebook(nb));
      expect(saved.metadata).not.to.have.property('orig_nbformat');
      expect(validate(saved, schema)).to.deep.equal([]);
    });
  }

  it('converts cells and outputs as nbformat does', async () => {
    const nb = parseNotebook(await fixtureText('nbformat/test3.ipynb'));
    expect(nb.cells.map((cell) => cell.cell_type)).to.deep.equal([
      'markdown', 'markdown', 'markdown', 'code', 'markdown', 'code', 'code', 'markdown', 'code',
    ]);
    expect(nb.cells[0]!.source).to.equal('# nbconvert latex test');
    expect(nb.cells[2]!.source).to.equal('## Printed Using Python');
    expect(nb.cells[7]!.source).to.equal('### Image');
    expect(nb.metadata.language_info).to.deep.equal({ name: 'python' });

    const print = nb.cells[3] as CodeCell;
    expect(print).to.include({ source: 'print("hello")', execution_count: 1 });
    expect(print.metadata).to.deep.equal({ collapsed: false });
    expect(print).not.to.have.keys('input', 'prompt_number', 'language', 'collapsed');
    expect(print.outputs).to.deep.equal([{ output_type: 'stream', name: 'stdout', text: 'hello\n' }]);

    expect((nb.cells[5] as CodeCell).outputs).to.deep.equal([
      {
        output_type: 'execute_result',
        execution_count: 3,
        metadata: {},
        data: {
          'text/html': '\n<script>\nconsole.log("hello");\n</script>\n<b>HTML</b>\n',
          'text/plain': '<IPython.core.display.HTML at 0x1112757d0>',
        },
      },
    ]);
    const javascript = (nb.cells[6] as CodeCell).outputs[0] as any;
    expect(javascript.output_type).to.equal('display_data');
    expect(javascript.data).to.have.keys('application/javascript', 'text/plain');
    const image = (nb.cells[8] as CodeCell).outputs[0] as any;
    expect(image.data['image/png']).to.match(/^iVBORw0KGgo/);
  });

  it('upgrades errors, JSON output and worksheets without metadata', () => {
    const nb = parseNotebook({
      nbformat: 3,
      nbformat_minor: 0,
      worksheets: [
        { cells: [{ cell_type: 'code', input: '1/0', language: 'python', outputs: [{ output_type: 'pyerr', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['tb'] }] }] },
        { cells: [{ cell_type: 'code', input: ['x'], outputs: [{ output_type: 'display_data', json: '{"a": [1, 2]}', metadata: { png: { width: 5 } } }] }] },
        { cells: [{ cell_type: 'heading', level: 2, source: 'Two\nlines\n' }, { cell_type: 'raw', source: 'raw', metadata: { format: 'text/latex' } }] },
      ],
    });
    expect(nb.cells).to.have.length(4);
    expect((nb.cells[0] as CodeCell).outputs[0]).to.deep.equal({ output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['tb'] });
    expect((nb.cells[1] as CodeCell).outputs[0]).to.deep.equal({ output_type: 'display_data', data: { 'application/json': { a: [1, 2] } }, metadata: { 'image/png': { width: 5 } } });
    expect(nb.cells[1]).to.include({ execution_count: null });
    expect(nb.cells[2]!.source).to.equal('## Two lines');
    expect(nb.cells[3]).to.deep.include({ cell_type: 'raw', source: 'raw', metadata: { format: 'text/latex' } });
    expect(validate(JSON.parse(serializeNotebook(nb)), schema)).to.deep.equal([]);
  });
});

describe('parseNotebook refuses what is not an nbformat 4.5 notebook', () => {
  for (const { file, path, message } of REFUSED_FIXTURES) {
    it(`${file} (${path})`, async () => {
      const error = refusal(await fixtureText(file));
      expect(error.path).to.equal(path);
      expect(error.message).to.match(message);
    });
  }

  it('reports each of invalid.ipynb problems in turn', async () => {
    const nb = JSON.parse(await fixtureText('nbformat/invalid.ipynb'));
    nb.cells[0].source = '';
    let error = refusal(nb);
    expect(error.path).to.equal('cells[2].cell_type');
    expect(error.message).to.equal(
      'Not a valid notebook: cells[2].cell_type is "heading"; expected "code", "markdown" or "raw" ' +
        '(nbformat 4 has no heading cells: use a markdown cell starting with #).',
    );
    nb.cells[2].cell_type = 'markdown';
    error = refusal(nb);
    expect(error.path).to.equal('cells[3].outputs[0].output_type');
    expect(error.message).to.equal(
      'Not a valid notebook: cells[3].outputs[0].output_type is "bad stream"; expected "execute_result", "display_data", "stream" or "error".',
    );
    nb.cells[3].outputs[0].output_type = 'stream';
    expect(parseNotebook(nb).cells).to.have.length(9);
  });

  it('names the first bad cell metadata of v4_5_invalid_metadata.ipynb once the notebook metadata is right', async () => {
    const nb = JSON.parse(await fixtureText('nbformat/v4_5_invalid_metadata.ipynb'));
    nb.metadata = {};
    const error = refusal(nb);
    expect(error.path).to.equal('cells[0].metadata.name');
    expect(error.message).to.equal('Not a valid notebook: cells[0].metadata.name is 12345; expected a non-empty single-line string.');
  });

  it('text that is not JSON', () => {
    const error = refusal('{"cells": [');
    expect(error.message).to.match(/^Not a notebook: the file is not JSON \(.+\)\.$/);
    expect(error.path).to.equal('');
  });

  it('JSON that is not an object', () => {
    expect(refusal('[1, 2]').message).to.equal('Not a notebook: expected a JSON object with "cells" and "metadata", found a list.');
    expect(refusal('"text"').message).to.match(/found "text"/);
    expect(refusal(null).message).to.match(/found null/);
  });

  it('an object without a version, or without cells', () => {
    expect(refusal({ cells: [], metadata: {} }).message).to.equal('Not a notebook: the JSON object has no "nbformat" version number.');
    const error = refusal({ nbformat: 4, nbformat_minor: 5, metadata: {} });
    expect(error.path).to.equal('cells');
    expect(error.message).to.equal('Not a valid notebook: cells is missing; expected a list of cells.');
  });

  it('nbformat 5 and nbformat 1', () => {
    const v5 = refusal({ nbformat: 5, nbformat_minor: 0, metadata: {}, cells: [] });
    expect(v5.message).to.match(/^This notebook is nbformat 5, newer than Bento Lite reads.*save a copy as nbformat 4\.$/);
    expect(refusal({ nbformat: 1, cells: [] }).message).to.match(/nbformat 1, too old/);
  });

  it('wrong values in known places, naming them', () => {
    const cell = (extra: object) => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: 'c', cell_type: 'code', metadata: {}, source: '', outputs: [], execution_count: null, ...extra }] });
    expect(refusal(cell({ execution_count: -1 })).path).to.equal('cells[0].execution_count');
    expect(refusal(cell({ source: ['a', 1] })).message).to.match(/cells\[0\]\.source is a list; expected a string or a list of strings/);
    expect(refusal(cell({ metadata: { scrolled: 'yes' } })).message).to.match(/scrolled is "yes"; expected true, false or "auto"/);
    expect(refusal(cell({ metadata: { tags: ['a', 'a'] } })).path).to.equal('cells[0].metadata.tags[1]');
    expect(refusal(cell({ metadata: { execution: { 'iopub.status.busy': 5 } } })).path).to.equal('cells[0].metadata.execution["iopub.status.busy"]');
    const bundle = refusal(cell({ outputs: [{ output_type: 'display_data', metadata: {}, data: { 'image/png': 7 } }] }));
    expect(bundle.path).to.equal('cells[0].outputs[0].data["image/png"]');
    expect(refusal(cell({ outputs: [{ output_type: 'error', ename: 'E', evalue: '' }] })).path).to.equal('cells[0].outputs[0].traceback');
  });
});

describe('serializeNotebook', () => {
  const notebook = (): Notebook => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { zeta: { b: 1, a: [true, null] }, kernelspec: { name: 'python3', display_name: 'Python 3' }, orig_nbformat: 3 },
    cells: [
      {
        source: '# Title\n\n![logo](attachment:logo.png)',
        id: 'md-1',
        cell_type: 'markdown',
        metadata: { trusted: true, tags: ['intro'] },
        attachments: { 'logo.png': { 'image/png': 'iVBORw0KGgo=' } },
      },
      {
        id: 'code-1',
        cell_type: 'code',
        source: 'print("hi")\ndisplay(x)',
        metadata: {},
        execution_count: 2,
        outputs: [
          { output_type: 'stream', name: 'stdout', text: ['hi\nth', 'ère\n'] },
          {
            output_type: 'display_data',
            data: { 'text/plain': 'line 1\nline 2', 'application/json': { list: ['a\n', 'b'] }, 'image/svg+xml': '<svg>\n</svg>' },
            metadata: {},
            transient: { display_id: 'd1' },
          },
        ],
      },
      { id: 'raw-1', cell_type: 'raw', source: '', metadata: {} },
    ],
  });

  it('writes what Jupyter writes: sorted keys, indent 1, lines split, final newline, nothing transient', () => {
    expect(serializeNotebook(notebook())).to.equal(`{
 "cells": [
  {
   "attachments": {
    "logo.png": {
     "image/png": "iVBORw0KGgo="
    }
   },
   "cell_type": "markdown",
   "id": "md-1",
   "metadata": {
    "tags": [
     "intro"
    ]
   },
   "source": [
    "# Title\\n",
    "\\n",
    "![logo](attachment:logo.png)"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 2,
   "id": "code-1",
   "metadata": {},
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "hi\\n",
      "thère\\n"
     ]
    },
    {
     "data": {
      "application/json": {
       "list": [
        "a\\n",
        "b"
       ]
      },
      "image/svg+xml": [
       "<svg>\\n",
       "</svg>"
      ],
      "text/plain": [
       "line 1\\n",
       "line 2"
      ]
     },
     "metadata": {},
     "output_type": "display_data"
    }
   ],
   "source": [
    "print(\\"hi\\")\\n",
    "display(x)"
   ]
  },
  {
   "cell_type": "raw",
   "id": "raw-1",
   "metadata": {},
   "source": []
  }
 ],
 "metadata": {
  "kernelspec": {
   "display_name": "Python 3",
   "name": "python3"
  },
  "zeta": {
   "a": [
    true,
    null
   ],
   "b": 1
  }
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
`);
  });

  it('does not change the notebook it writes', () => {
    const nb = notebook();
    serializeNotebook(nb);
    expect(nb).to.deep.equal(notebook());
  });

  it('keeps unknown fields and metadata, and sorts keys at every depth', async () => {
    const nb = parseNotebook(await fixtureText('jupyter-notebook/Importing-Notebooks.ipynb'));
    (nb.metadata as any).bento = { z: 1, a: { y: [1, { d: 2, c: 3 }] } };
    (nb.cells[0] as any).future_field = { keep: true };
    const text = serializeNotebook(nb);
    const saved = JSON.parse(text);
    expect(saved.metadata.gist_id).to.equal(nb.metadata.gist_id);
    expect(saved.metadata.nbsphinx).to.deep.equal(nb.metadata.nbsphinx);
    expect(saved.metadata.bento).to.deep.equal({ z: 1, a: { y: [1, { d: 2, c: 3 }] } });
    expect(saved.cells[0].future_field).to.deep.equal({ keep: true });
    expect(keysSorted(saved)).to.deep.equal([]);
    expect(text).to.equal(JSON.stringify(saved, null, 1) + '\n');
    expect(parseNotebook(text)).to.deep.equal(nb);
  });

  it('writes a new notebook that validates', () => {
    const nb = newNotebook();
    expect(nb.cells).to.have.length(1);
    expect(nb.cells[0]).to.include({ cell_type: 'code', source: '', execution_count: null });
    expect(validate(JSON.parse(serializeNotebook(nb)), schema)).to.deep.equal([]);
  });

  it('makes valid, distinct cell ids', () => {
    const ids = Array.from({ length: 1000 }, newCellId);
    // Version 4 UUIDs, over more ids than one draw of random bytes makes.
    for (const id of ids) expect(id).to.match(CELL_ID).and.to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).to.equal(ids.length);
  });
});
