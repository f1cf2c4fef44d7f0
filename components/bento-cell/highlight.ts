/**
 * Static syntax highlighting for Python that is read, not edited: a small scanner that paints the `tok-*`
 * classes the editor's lezer parser gives the same code (test/components/highlight.test.ts compares the two).
 * It is part of the main bundle and runs synchronously, so a cell's first paint is already highlighted: the
 * lezer Python parser and its runtime weigh ~37 KB gzip and would be a request every page makes before its first
 * cell looks right. The editor (loaded when a cell is edited) still uses lezer.
 */

type Style = string;
const KEYWORD = 'tok-keyword';
const VARIABLE = 'tok-variableName';
const PROPERTY = 'tok-propertyName';
const OPERATOR = 'tok-operator';
const PUNCTUATION = 'tok-punctuation';
const STRING = 'tok-string';
const SPECIAL_STRING = 'tok-string2';
const NONE = '';

const KEYWORDS = new Set(
  'and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield None'.split(' '),
);
const IDENTIFIER = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER = /(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.(?=\d)[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/y;
const STRING_START = /([rRbBuUfF]{0,2})('''|"""|'|")/y;
const ESCAPE = /\\(?:o[0-7]{0,2}|x[\da-fA-F]{0,2}|u[\da-fA-F]{0,4}|U[\da-fA-F]{0,8}|N(?:\{[^}'"\n]*\}?)?|[\s\S])?/y;
const OPERATORS = /\*\*=|\/\/=|>>=|<<=|\.\.\.|->|:=|\*\*|\/\/|<<|>>|<=|>=|==|!=|[-+*/%&|^@]=|[-+*/%@&|^~<>=.(){}[\],;:]/y;
const SPACE = /[ \t\f]+|\\\r?\n/y;
const CLOSERS = new Set([')', ']', '}']);

interface Token {
  from: number;
  to: number;
  style: Style;
}

/** Scans Python source into styled ranges. Unstyled text between them is left out. */
class Scanner {
  readonly tokens: Token[] = [];
  private pos = 0;
  /** What came before, for the few tokens whose style depends on it. */
  private previous: { text: string; kind: 'name' | 'keyword' | 'operand' | 'other' } = { text: '', kind: 'other' };
  private lineStart = true;
  private depth = 0;
  private inImport = false;
  private inDecorator = false;
  private inTypeAlias = false;

  constructor(private readonly code: string) {}

  run(): Token[] {
    while (this.pos < this.code.length) this.next(false);
    return this.tokens;
  }

  private match(pattern: RegExp, at = this.pos): RegExpExecArray | null {
    pattern.lastIndex = at;
    return pattern.exec(this.code);
  }

  private push(from: number, to: number, style: Style): void {
    if (style && to > from) this.tokens.push({ from, to, style });
  }

  /** Whether the rest of the line has a ':' outside brackets and strings (`match x:`, `case [a, *b]: pass`). */
  private lineHasColon(from: number): boolean {
    const end = this.code.indexOf('\n', from);
    const line = this.code.slice(from, end < 0 ? undefined : end).replace(/(['"]).*?\1|#.*$/g, '""');
    let depth = 0;
    for (const ch of line) {
      if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch)) depth--;
      else if (ch === ':' && depth === 0) return true;
    }
    return false;
  }

  /**
   * One token at `pos`. In an f-string replacement field (`inField`), stops without consuming at a `}`, `!x`
   * or `:` that ends the expression, and returns true then.
   */
  private next(inField: boolean): boolean {
    const code = this.code;
    const at = this.pos;
    const ch = code[at];
    if (ch === '\n' || ch === '\r') {
      this.pos++;
      if (this.depth === 0 && !inField) {
        this.lineStart = true;
        this.inImport = false;
        this.inDecorator = false;
        this.inTypeAlias = false;
        this.previous = { text: '', kind: 'other' };
      }
      return false;
    }
    const space = this.match(SPACE);
    if (space) {
      this.pos += space[0].length;
      return false;
    }
    const first = this.lineStart;
    this.lineStart = false;
    if (ch === '#') {
      const end = code.indexOf('\n', at);
      this.pos = end < 0 ? code.length : end;
      this.push(at, this.pos, 'tok-comment');
      return false;
    }
    const string = this.match(STRING_START);
    if (string && /^(?:[rRuUfFbB]|[rR][bBfF]|[bBfF][rR])?$/.test(string[1])) {
      this.scanString(string[1], string[2]);
      this.previous = { text: '', kind: 'operand' };
      return false;
    }
    const number = this.match(NUMBER);
    if (number && number[0]) {
      this.pos += number[0].length;
      this.push(at, this.pos, 'tok-number');
      this.previous = { text: number[0], kind: 'operand' };
      return false;
    }
    const identifier = this.match(IDENTIFIER);
    if (identifier) {
      const name = identifier[0];
      this.pos += name.length;
      this.push(at, this.pos, this.nameStyle(name, first));
      if (name === 'import' || (name === 'from' && first)) this.inImport = true;
      const keyword = KEYWORDS.has(name) && name !== 'None';
      this.previous = { text: name, kind: keyword ? 'keyword' : 'name' };
      return false;
    }
    if (inField && this.depth === 0 && (ch === '}' || ch === ':' || (ch === '!' && code[at + 1] !== '='))) return true;
    if (inField && this.depth === 0 && ch === '=' && /^=\s*[}!:]/.test(code.slice(at, at + 8)) && code[at - 1] !== '=') {
      // `{x=}`: a self-documenting field, not an assignment.
      this.pos++;
      return false;
    }
    if (first && ch === '%') {
      // `%matplotlib inline`, `%%sql`: the percent signs of an IPython magic are no Python operator.
      while (code[this.pos] === '%') this.pos++;
      return false;
    }
    const operator = this.match(OPERATORS);
    if (!operator) {
      this.pos++;
      this.previous = { text: ch, kind: 'other' };
      return false;
    }
    const text = operator[0];
    this.pos += text.length;
    this.push(at, this.pos, this.operatorStyle(text, first));
    if (text === ';') this.inImport = false;
    if ('([{'.includes(text)) this.depth++;
    else if (CLOSERS.has(text)) this.depth = Math.max(0, this.depth - 1);
    this.previous = { text, kind: CLOSERS.has(text) ? 'operand' : 'other' };
    return false;
  }

  private nameStyle(name: string, first: boolean): Style {
    const previous = this.previous;
    const after = () => this.code.slice(this.pos, this.pos + 200);
    if (name === 'True' || name === 'False') return 'tok-bool';
    if (previous.text === 'def' && previous.kind === 'keyword') return 'tok-variableName tok-definition';
    if (previous.text === 'class' && previous.kind === 'keyword') return 'tok-className';
    if (previous.text === '.' && !this.inImport && !(this.inDecorator && this.depth === 0)) return PROPERTY;
    if (KEYWORDS.has(name)) return KEYWORD;
    if ((name === 'match' || name === 'case') && first) {
      return /^[ \t]+[^=.,)\s]/.test(after()) && !/^\s*=[^=]/.test(after()) && this.lineHasColon(this.pos) ? KEYWORD : VARIABLE;
    }
    if (name === 'type' && first && /^[ \t]+[\p{L}_][\p{L}\p{N}_]*\s*(?:\[[^\]]*\]\s*)?=[^=]/u.test(after())) {
      // `type X = int` (Python 3.12): the parser styles neither the soft keyword nor its `=`.
      this.inTypeAlias = true;
      return NONE;
    }
    if (name === 'print' && first && !/^[ \t]*(?:[(.\r\n#]|$)/.test(after())) return KEYWORD;
    return VARIABLE;
  }

  private operatorStyle(text: string, first: boolean): Style {
    if (text === '@' && first) {
      this.inDecorator = true;
      return 'tok-meta';
    }
    if (text === '*' || text === '**') {
      // A prefix star (unpacking, `*args`, `import *`) is a modifier; after an operand it multiplies.
      const { kind, text: before } = this.previous;
      const operand = kind === 'operand' || (kind === 'name' && before !== 'print') || before === '.';
      return operand ? OPERATOR : KEYWORD;
    }
    if (text === ':' || text === '->') return NONE;
    // `def f(a, /, b)`: the positional-only marker is no operator.
    if (text === '/' && this.previous.kind === 'other' && (this.previous.text === ',' || this.previous.text === '(')) return NONE;
    if (text === '=' && this.inTypeAlias && this.depth === 0) {
      this.inTypeAlias = false;
      return NONE;
    }
    if (text === '...') return PUNCTUATION;
    if ('()[]{},;'.includes(text)) return PUNCTUATION;
    return OPERATOR;
  }

  /** A string literal from its prefix; f-strings get their replacement fields scanned as code. */
  private scanString(prefix: string, quote: string): void {
    const code = this.code;
    const start = this.pos;
    const lower = prefix.toLowerCase();
    const raw = lower.includes('r');
    const format = lower.includes('f');
    const long = quote.length === 3;
    const style = format ? SPECIAL_STRING : STRING;
    let pos = start + prefix.length + quote.length;
    let runStart = start;
    const flush = (end: number) => {
      this.push(runStart, end, style);
      runStart = end;
    };
    while (pos < code.length) {
      const ch = code[pos];
      if (code.startsWith(quote, pos)) {
        pos += quote.length;
        break;
      }
      if (ch === '\n' && !long) break;
      if (ch === '\\') {
        if (raw) {
          pos += 2;
          continue;
        }
        flush(pos);
        const escape = this.match(ESCAPE, pos)!;
        pos += escape[0].length;
        this.push(runStart, pos, SPECIAL_STRING);
        runStart = pos;
        continue;
      }
      if (format && ch === '{') {
        if (code[pos + 1] === '{') {
          pos += 2;
          continue;
        }
        flush(pos);
        this.pos = pos;
        this.scanField();
        pos = runStart = this.pos;
        continue;
      }
      pos++;
    }
    flush(Math.min(pos, code.length));
    this.pos = Math.min(pos, code.length);
  }

  /** `{expression!conversion:spec}` inside an f-string, from its `{`. */
  private scanField(): void {
    const code = this.code;
    this.push(this.pos, this.pos + 1, PUNCTUATION);
    this.pos++;
    const outer = { depth: this.depth, previous: this.previous, lineStart: this.lineStart };
    this.depth = 0;
    this.previous = { text: '', kind: 'other' };
    while (this.pos < code.length && !this.next(true));
    if (code[this.pos] === '!') {
      const conversion = this.match(/![A-Za-z]*/y)!;
      this.push(this.pos, this.pos + conversion[0].length, KEYWORD);
      this.pos += conversion[0].length;
    }
    if (code[this.pos] === ':') {
      this.pos++;
      let specStart = this.pos;
      while (this.pos < code.length && code[this.pos] !== '}' && code[this.pos] !== '\n') {
        if (code[this.pos] === '{') {
          this.push(specStart, this.pos, KEYWORD);
          this.scanField();
          specStart = this.pos;
        } else this.pos++;
      }
      this.push(specStart, this.pos, KEYWORD);
    }
    if (code[this.pos] === '}') {
      this.push(this.pos, this.pos + 1, PUNCTUATION);
      this.pos++;
    }
    this.depth = outer.depth;
    this.previous = outer.previous;
    this.lineStart = outer.lineStart;
  }
}

/** Python source as styled ranges: `[text, classes]` pairs covering the whole source ('' for unstyled text). */
export function highlightRanges(code: string): Array<[string, string]> {
  const ranges: Array<[string, string]> = [];
  let at = 0;
  for (const { from, to, style } of new Scanner(code).run()) {
    if (from > at) ranges.push([code.slice(at, from), '']);
    ranges.push([code.slice(from, to), style]);
    at = to;
  }
  if (at < code.length) ranges.push([code.slice(at), '']);
  return ranges;
}

/** Python source as a fragment of text nodes and `tok-*` spans (the classes the editor uses). */
export function highlightPython(code: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const [text, classes] of highlightRanges(code)) {
    if (!classes) {
      fragment.append(text);
      continue;
    }
    const span = document.createElement('span');
    span.className = classes;
    span.textContent = text;
    fragment.append(span);
  }
  return fragment;
}
