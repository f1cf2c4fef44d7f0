/**
 * Markdown to DOM for the Markdown people write in notebooks (headings, paragraphs, emphasis, code, links,
 * attached images, lists, block quotes, tables, rules), in the main bundle. It builds elements and text nodes and never
 * parses markup, so nothing it returns can run. The full renderer (marked, then DOMPurify) is a chunk of ~27 KB
 * gzip that a page of ordinary Markdown then never loads: for anything this one does not render exactly as the
 * full one would (raw HTML, bare URLs, reference links, lazy continuation lines, unusual URLs, strikethrough,
 * task lists, tabs, ...) it returns null and the caller uses the full renderer. test/components/markdown.test.ts
 * holds it to that, case by case.
 */

const UNSUPPORTED = new Error('Markdown outside the subset');
function unsupported(): never {
  throw UNSUPPORTED;
}

/** Longer sources go to the full renderer: this one is written for cells, not for books. */
const MAX_SOURCE = 50_000;

export interface SimpleMarkdownOptions {
  /** The URL of an `attachment:name` image (nbformat attachments); undefined when there is no such attachment. */
  attachment?: (name: string) => string | undefined;
}

const BLANK = /^[ \t]*$/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const THEMATIC = /^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( {0,3})([-+*]|(\d{1,9})([.)]))(?:( +)(.*))?$/;
/** The delimiter row under a table's header (`|---|:-:|`); with no pipe in it, renderers disagree on what it is. */
const DELIMITER_ROW = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const TABLE_DELIMITER = /^(?=[^|]*\|) {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const HTML_START = /^ {0,3}<[A-Za-z/!?]/;
const DEFINITION = /^ {0,3}\[[^\]]+\]:/;
// What the full renderer turns into links or markup on its own: bare URLs and e-mail addresses, strikethrough.
const AUTOLINKED = /[a-z][a-z\d+.-]*:\/\/|www\.|[\w.+-]+@[\w-]+\.[\w.-]*\w|~/i;
/** URLs DOMPurify keeps as they are, and nothing else: anything unusual goes to the full renderer. */
const SAFE_URL = /^(?:https?:|mailto:|#|\/|\.{1,2}\/|[^:/?#]*(?:[/?#]|$))/i;
const SAFE_IMAGE = /^data:image\/(?:png|jpeg|gif|webp);base64,[\w+/]+=*$|^data:image\/svg\+xml;charset=utf-8,[^"]*$/;
const PUNCTUATION = /[\p{P}\p{S}]/u;
const WHITESPACE = /\s/u;
const ENTITY = /^&(?:#\d{1,7}|#[xX][\da-fA-F]{1,6}|[A-Za-z][A-Za-z\d]{1,31});/;
const ESCAPABLE = /[!-/:-@[-`{-~]/;

function indentation(line: string): number {
  const leading = /^[ \t]*/.exec(line)![0];
  if (leading.includes('\t')) unsupported();
  return leading.length;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, ...children: Node[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.append(...children);
  return node;
}

/** A URL as marked writes it (percent-encoded), if DOMPurify would keep it as it is; otherwise unsupported. */
function cleanURL(url: string): string {
  let encoded: string;
  try {
    encoded = encodeURI(url).replace(/%25/g, '%');
  } catch {
    unsupported();
  }
  if (!SAFE_URL.test(encoded)) unsupported();
  return encoded;
}

/** Decodes one character reference with the browser's own table (a textarea's content is never markup). */
let decoder: HTMLTextAreaElement | undefined;
function decodeEntity(entity: string): string {
  decoder ??= document.createElement('textarea');
  decoder.innerHTML = entity;
  return decoder.value;
}

type Delimiter = { kind: 'delimiter'; char: '*' | '_'; count: number; length: number; canOpen: boolean; canClose: boolean; text: Text };
type Bracket = { kind: 'bracket'; image: boolean; text: Text; active: boolean; start: number };
type Inline = Node | Delimiter | Bracket;

/** Inline Markdown (one paragraph, heading or cell) as DOM nodes. */
class InlineParser {
  private items: Inline[] = [];
  private pos = 0;
  /** A backtick run with no closing run: renderers disagree on the links around one. */
  private strayBackticks = false;

  constructor(
    private readonly text: string,
    private readonly options: SimpleMarkdownOptions,
  ) {}

  parse(): Node[] {
    const text = this.text;
    let plain = '';
    const flush = () => {
      if (!plain) return;
      if (AUTOLINKED.test(plain)) unsupported();
      this.items.push(document.createTextNode(plain));
      plain = '';
    };
    while (this.pos < text.length) {
      const ch = text[this.pos];
      if (ch === '\\') {
        const next = text[this.pos + 1];
        if (next === '\n') {
          flush();
          this.hardBreak(this.pos + 2);
        } else if (next !== undefined && ESCAPABLE.test(next)) {
          if (next === '~') unsupported();
          // Kept apart from `plain`: an escaped character never takes part in an autolink check or a delimiter.
          flush();
          this.items.push(document.createTextNode(next));
          this.pos += 2;
        } else {
          plain += ch;
          this.pos++;
        }
        continue;
      }
      if (ch === '`') {
        const run = /^`+/.exec(text.slice(this.pos))![0];
        const close = this.findBackticks(this.pos + run.length, run.length);
        if (close < 0) {
          this.strayBackticks = true;
          plain += run;
          this.pos += run.length;
          continue;
        }
        flush();
        let code = text.slice(this.pos + run.length, close);
        // Code across lines, or a `]` in code inside brackets: renderers disagree (indentation, which comes first).
        if (code.includes('\n') || (code.includes(']') && this.items.some((item) => (item as Bracket).kind === 'bracket'))) unsupported();
        if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim()) code = code.slice(1, -1);
        this.items.push(element('code', document.createTextNode(code)));
        this.pos = close + run.length;
        continue;
      }
      if (ch === '*' || ch === '_') {
        flush();
        this.delimiterRun(ch);
        continue;
      }
      if (ch === '!' && text[this.pos + 1] === '[') {
        flush();
        this.pos += 2;
        this.items.push({ kind: 'bracket', image: true, text: document.createTextNode('!['), active: true, start: this.pos });
        continue;
      }
      if (ch === '[') {
        flush();
        this.pos++;
        this.items.push({ kind: 'bracket', image: false, text: document.createTextNode('['), active: true, start: this.pos });
        continue;
      }
      if (ch === ']') {
        flush();
        this.closeBracket();
        continue;
      }
      if (ch === '<' && /[A-Za-z/!?]/.test(text[this.pos + 1] ?? '')) unsupported(); // raw HTML or an autolink
      if (ch === '&') {
        const entity = ENTITY.exec(text.slice(this.pos));
        if (entity) {
          const decoded = decodeEntity(entity[0]);
          if (decoded === entity[0]) unsupported(); // a name the browser does not know: leave it to marked
          flush();
          this.items.push(document.createTextNode(decoded));
          this.pos += entity[0].length;
          continue;
        }
      }
      if (ch === '\n' && / {2,}$/.test(plain)) {
        // Two spaces or more before a line end make a hard break (which takes the line end's place).
        plain = plain.replace(/ +$/, '');
        flush();
        this.hardBreak(this.pos + 1);
        continue;
      }
      plain += ch;
      this.pos++;
    }
    flush();
    this.processEmphasis();
    return this.items.map((item) => (item instanceof Node ? item : item.text));
  }

  /** A hard line break, and the line after it from its first non-blank character. */
  private hardBreak(next: number): void {
    // At the end of link text marked keeps no break: leave that to marked.
    if (/^[ \t]*\]/.test(this.text.slice(next))) unsupported();
    this.items.push(element('br'));
    this.pos = next;
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  private findBackticks(from: number, length: number): number {
    const pattern = /`+/g;
    pattern.lastIndex = from;
    for (let match; (match = pattern.exec(this.text)); ) if (match[0].length === length) return match.index;
    return -1;
  }

  private delimiterRun(char: '*' | '_'): void {
    const text = this.text;
    const start = this.pos;
    while (text[this.pos] === char) this.pos++;
    const count = this.pos - start;
    const before = start === 0 ? '\n' : text[start - 1];
    const after = this.pos >= text.length ? '\n' : text[this.pos];
    const spaceAfter = WHITESPACE.test(after);
    const spaceBefore = WHITESPACE.test(before);
    const punctuationAfter = PUNCTUATION.test(after);
    const punctuationBefore = PUNCTUATION.test(before);
    const leftFlanking = !spaceAfter && (!punctuationAfter || spaceBefore || punctuationBefore);
    const rightFlanking = !spaceBefore && (!punctuationBefore || spaceAfter || punctuationAfter);
    const canOpen = char === '*' ? leftFlanking : leftFlanking && (!rightFlanking || punctuationBefore);
    const canClose = char === '*' ? rightFlanking : rightFlanking && (!leftFlanking || punctuationAfter);
    this.items.push({ kind: 'delimiter', char, count, length: count, canOpen, canClose, text: document.createTextNode(char.repeat(count)) });
  }

  /** `]`: closes the nearest `[` or `![` into a link or an image when an inline destination follows. */
  private closeBracket(): void {
    const closeAt = this.pos;
    this.pos++;
    let index = this.items.length - 1;
    while (index >= 0 && (this.items[index] as Bracket).kind !== 'bracket') index--;
    const opener = index >= 0 ? (this.items[index] as Bracket) : undefined;
    const destination = opener?.active ? this.destination() : undefined;
    if (!opener || !destination) {
      if (opener) this.items.splice(index, 1, opener.text);
      // `[text]` without a destination could be a reference link: marked would look for its definition.
      if (opener && this.text[this.pos] === '[') unsupported();
      this.items.push(document.createTextNode(']'));
      return;
    }
    if (this.strayBackticks) unsupported();
    const content = this.items.splice(index);
    content.shift();
    const inner = new InlineParser('', this.options);
    inner.items = content;
    inner.processEmphasis();
    const children = inner.items.map((item) => (item instanceof Node ? item : item.text));
    let node: HTMLElement;
    if (opener.image) {
      // An image's description becomes its alt text, where renderers differ on markup: plain text only.
      if (/[\\&`*_\n]/.test(this.text.slice(opener.start, closeAt)) || children.some((child) => !(child instanceof Text))) unsupported();
      const image = document.createElement('img');
      let attachment: string | undefined;
      if (destination.url.startsWith('attachment:')) {
        try {
          attachment = this.options.attachment?.(decodeURIComponent(destination.url.slice(11)));
        } catch {
          unsupported(); // a stray % in the name
        }
      }
      // Any other image is the full renderer's: in an untrusted notebook its sanitizer blocks what would be fetched.
      if (attachment === undefined || !SAFE_IMAGE.test(attachment)) unsupported();
      image.setAttribute('src', attachment);
      const alt = children.map((child) => child.textContent).join('');
      if (alt !== alt.trim()) unsupported();
      image.setAttribute('alt', alt);
      if (destination.title !== undefined) image.setAttribute('title', destination.title);
      node = image;
    } else {
      const link = element('a', ...children);
      const href = cleanURL(destination.url);
      link.setAttribute('href', href);
      if (destination.title !== undefined) link.setAttribute('title', destination.title);
      // As the full renderer's sanitizer does: following a link in place would unload the notebook.
      if (!href.startsWith('#')) {
        link.setAttribute('target', '_blank');
        link.setAttribute('rel', 'noopener noreferrer');
      }
      node = link;
      // No links inside links.
      for (const item of this.items) if ((item as Bracket).kind === 'bracket' && !(item as Bracket).image) (item as Bracket).active = false;
    }
    this.items.push(node);
  }

  /** `(url "title")` right after a `]`, or undefined (the position is then unchanged). */
  private destination(): { url: string; title?: string } | undefined {
    const match = /^\(\s*(?:<([^<>\n\\]*)>|([^\s()<>\\&]*(?:\([^\s()<>\\&]*\)[^\s()<>\\&]*)*))(?:\s+(?:"([^"\\&]*)"|'([^'\\&]*)'))?\s*\)/.exec(this.text.slice(this.pos));
    if (!match) {
      if (this.text[this.pos] === '(') unsupported(); // a destination this parser does not take apart
      return undefined;
    }
    this.pos += match[0].length;
    return { url: match[1] ?? match[2], title: match[3] ?? match[4] };
  }

  /** CommonMark's "process emphasis": pairs the delimiter runs into <em> and <strong>; the rest is text. */
  private processEmphasis(): void {
    const items = this.items;
    // marked keeps `*` and `_` emphasis from crossing in its own way: text that could have both goes to marked.
    const active = new Set(items.filter((item) => (item as Delimiter).kind === 'delimiter' && ((item as Delimiter).canOpen || (item as Delimiter).canClose)).map((item) => (item as Delimiter).char));
    if (active.size > 1) unsupported();
    for (let closerIndex = 0; closerIndex < items.length; closerIndex++) {
      const closer = items[closerIndex] as Delimiter;
      if (closer.kind !== 'delimiter' || !closer.canClose) continue;
      let openerIndex = closerIndex - 1;
      while (openerIndex >= 0) {
        const opener = items[openerIndex] as Delimiter;
        if (opener.kind === 'delimiter' && opener.char === closer.char && opener.canOpen) {
          // CommonMark's "rule of 3" would skip this opener for one further back; marked does not: leave it to marked.
          const sum = opener.length + closer.length;
          if ((opener.canClose || closer.canOpen) && sum % 3 === 0 && !(opener.length % 3 === 0 && closer.length % 3 === 0)) unsupported();
          break;
        }
        openerIndex--;
      }
      if (openerIndex < 0) {
        if (!closer.canOpen) items[closerIndex] = closer.text;
        continue;
      }
      const opener = items[openerIndex] as Delimiter;
      // Where marked pairs runs its own way, leave the text to it: runs of different lengths (`***a*b*`), runs
      // longer than three, and a run inside a word (`2*3`) around anything but plain text.
      if (opener.count !== closer.count || opener.length > 3 || closer.length > 3) unsupported();
      const between = items.slice(openerIndex + 1, closerIndex);
      if ((opener.canClose || closer.canOpen) && between.some((item) => !(item instanceof Text))) unsupported();
      const used = opener.count >= 2 && closer.count >= 2 ? 2 : 1;
      const wrapper = element(used === 2 ? 'strong' : 'em', ...between.map((item) => (item instanceof Node ? item : item.text)));
      opener.count -= used;
      closer.count -= used;
      opener.text.data = opener.char.repeat(opener.count);
      closer.text.data = closer.char.repeat(closer.count);
      const replacement: Inline[] = [];
      if (opener.count > 0) replacement.push(opener);
      replacement.push(wrapper);
      if (closer.count > 0) replacement.push(closer);
      items.splice(openerIndex, closerIndex - openerIndex + 1, ...replacement);
      // Look at the (remaining) closer again, now at its new position.
      closerIndex = openerIndex + replacement.length - (closer.count > 0 ? 2 : 1);
    }
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!(item instanceof Node)) items[i] = item.text;
    }
  }
}

/** Block structure: the lines of a document, a block quote or a list item. */
class BlockParser {
  /** Inside a list item (where marked reads indented code its own way). */
  private inItem = false;

  constructor(private readonly options: SimpleMarkdownOptions) {}

  inline(text: string): Node[] {
    return new InlineParser(text, this.options).parse();
  }

  /** Appends the blocks of `lines` to `parent`; true when a blank line separates two of them (a loose list item). */
  parse(lines: string[], parent: Node): boolean {
    let blankBetween = false;
    let sawBlank = false;
    let blocks = 0;
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (BLANK.test(line)) {
        sawBlank = true;
        i++;
        continue;
      }
      if (blocks > 0 && sawBlank) blankBetween = true;
      sawBlank = false;
      blocks++;
      i = this.block(lines, i, parent);
    }
    return blankBetween;
  }

  /** Parses the block starting at line `i`; returns the index of the first line after it. */
  private block(lines: string[], i: number, parent: Node): number {
    const line = lines[i];
    const indent = indentation(line);
    if (indent >= 4) {
      if (this.inItem) unsupported();
      return this.indentedCode(lines, i, parent);
    }
    const fence = FENCE.exec(line);
    if (fence && !(fence[2][0] === '`' && fence[3].includes('`'))) return this.fencedCode(lines, i, parent, fence);
    const heading = ATX.exec(line);
    if (heading) {
      const text = heading[2] ?? '';
      if (/^#+$/.test(text)) unsupported();
      parent.appendChild(element(`h${heading[1].length}` as 'h1', ...this.inline(text)));
      return i + 1;
    }
    if (THEMATIC.test(line)) {
      parent.appendChild(element('hr'));
      return i + 1;
    }
    if (QUOTE.test(line)) return this.quote(lines, i, parent);
    if (ITEM.test(line)) return this.list(lines, i, parent);
    if (HTML_START.test(line) || DEFINITION.test(line)) unsupported();
    if (/^ {0,3}\[/.test(line)) {
      // A link reference definition whose label runs over several lines (`[\nlabel]: url`).
      for (let j = i; j < lines.length && !BLANK.test(lines[j]); j++) if (lines[j].includes(']:')) unsupported();
    }
    if (TABLE_DELIMITER.test(lines[i + 1] ?? '')) {
      if (!line.includes('|')) unsupported(); // renderers disagree on a header row without a pipe
      return this.table(lines, i, parent);
    }
    return this.paragraph(lines, i, parent);
  }

  /** Whether `line` starts a block that ends a paragraph before it. */
  private interrupts(line: string): boolean {
    if (ATX.test(line) || THEMATIC.test(line) || QUOTE.test(line)) return true;
    const fence = FENCE.exec(line);
    if (fence && !(fence[2][0] === '`' && fence[3].includes('`'))) return true;
    const item = ITEM.exec(line);
    if (item) {
      if (item[6]?.trim() && (!item[3] || item[3] === '1')) return true;
      unsupported(); // an empty item, or a number other than 1: renderers disagree on whether it interrupts
    }
    if (HTML_START.test(line)) unsupported();
    return false;
  }

  private paragraph(lines: string[], i: number, parent: Node): number {
    const text: string[] = [];
    for (; i < lines.length && !BLANK.test(lines[i]); i++) {
      const line = lines[i];
      // A line that looks like a fence but is none (a backtick in its info string): marked reads it its own way.
      if (/^ {0,3}(?:`{3}|~{3})/.test(line) && !(text.length > 0 && this.interrupts(line))) unsupported();
      if (TABLE_DELIMITER.test(line)) unsupported(); // a table under the paragraph's last line
      if (text.length > 0) {
        const setext = SETEXT.exec(line);
        // A setext heading of a line with a pipe, or a delimiter row with no pipe (`---:`): renderers disagree.
        if ((setext && text.some((t) => t.includes('|'))) || (!setext && DELIMITER_ROW.test(line))) unsupported();
        if (setext) {
          parent.appendChild(element(setext[1][0] === '=' ? 'h1' : 'h2', ...this.inline(text.join('\n').replace(/\s+$/, ''))));
          return i + 1;
        }
        if (this.interrupts(line)) break;
      }
      // As marked does: the lines as written (white space at their start renders as nothing anyway).
      text.push(line);
    }
    parent.appendChild(element('p', ...this.inline(text.join('\n'))));
    return i;
  }

  private indentedCode(lines: string[], i: number, parent: Node): number {
    let end = i;
    for (let j = i; j < lines.length && (BLANK.test(lines[j]) || indentation(lines[j]) >= 4); j++) {
      if (!BLANK.test(lines[j])) end = j + 1;
      // marked keeps white space beyond the indentation on the blank lines after the block: a difference.
      else if (lines[j].length > 4) unsupported();
    }
    const code = lines.slice(i, end).map((line) => line.replace(/^ {1,4}/, ''));
    parent.appendChild(element('pre', element('code', document.createTextNode(`${code.join('\n')}\n`))));
    return end;
  }

  private fencedCode(lines: string[], i: number, parent: Node, fence: RegExpExecArray): number {
    const [, indent, marker, rest] = fence;
    const info = rest.trim();
    if (/[\\&]/.test(info)) unsupported();
    const code: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[j]);
      if (close && close[1][0] === marker[0] && close[1].length >= marker.length) break;
      if (/^[ \t]*\t/.test(lines[j])) unsupported();
      code.push(lines[j].replace(new RegExp(`^ {0,${indent.length}}`), ''));
    }
    if (j === lines.length) unsupported(); // an unclosed fence
    const codeElement = element('code', document.createTextNode(code.length ? `${code.join('\n')}\n` : ''));
    const language = info.split(/\s/)[0];
    if (language) codeElement.className = `language-${language}`;
    parent.appendChild(element('pre', codeElement));
    return j + 1;
  }

  private quote(lines: string[], i: number, parent: Node): number {
    const inner: string[] = [];
    for (; i < lines.length; i++) {
      const match = QUOTE.exec(lines[i]);
      if (match) inner.push(match[1]);
      else if (BLANK.test(lines[i])) break;
      else unsupported(); // a lazy continuation line
    }
    const quote = element('blockquote');
    this.parse(inner, quote);
    parent.appendChild(quote);
    return i;
  }

  private list(lines: string[], i: number, parent: Node): number {
    const first = ITEM.exec(lines[i])!;
    const ordered = first[3] !== undefined;
    const marker = ordered ? first[4] : first[2];
    const items: string[][] = [];
    while (i < lines.length) {
      const item = ITEM.exec(lines[i]);
      if (!item || THEMATIC.test(lines[i]) || (item[3] !== undefined) !== ordered || (ordered ? item[4] : item[2]) !== marker) break;
      const [, indent, bullet, , , spaces, content] = item;
      if (!content?.trim() || spaces.length > 4 || /^\[[ xX]\][ \t]/.test(content)) unsupported();
      const width = indent.length + bullet.length + spaces.length;
      const body = [content];
      for (i++; i < lines.length; i++) {
        const line = lines[i];
        if (BLANK.test(line)) body.push('');
        else if (indentation(line) >= width) body.push(line.slice(width));
        else if (body[body.length - 1] !== '' && !ITEM.test(line)) unsupported(); // a lazy continuation line
        else break;
      }
      items.push(body);
    }
    // Blank lines after the last item belong to what follows, not to the list.
    const last = items[items.length - 1];
    let trailing = 0;
    while (last.length > 1 && last[last.length - 1] === '') {
      last.pop();
      trailing++;
    }
    // As marked does, an item's text ends with its last non-blank character (it matters in a code block).
    for (const body of items) {
      let end = body.length - 1;
      while (end > 0 && body[end] === '') end--;
      body[end] = body[end].replace(/ +$/, '');
    }
    let loose = items.slice(0, -1).some((body) => body[body.length - 1] === '');
    const outer = this.inItem;
    this.inItem = true;
    const rendered = items.map((body) => {
      const li = document.createElement('li');
      if (this.parse(body, li)) loose = true;
      return li;
    });
    this.inItem = outer;
    if (!loose) {
      // A tight list shows its paragraphs without <p>.
      for (const li of rendered) for (const p of [...li.children].filter((child) => child.localName === 'p')) p.replaceWith(...p.childNodes);
    }
    const list = ordered ? element('ol', ...rendered) : element('ul', ...rendered);
    if (ordered && Number(first[3]) !== 1) list.setAttribute('start', String(Number(first[3])));
    parent.appendChild(list);
    return i - trailing;
  }

  private table(lines: string[], i: number, parent: Node): number {
    const cells = (line: string) => {
      const trimmed = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
      return trimmed.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
    };
    const header = cells(lines[i]);
    if (header.every((cell) => !cell)) unsupported();
    const align = cells(lines[i + 1]).map((cell) => (cell.startsWith(':') ? (cell.endsWith(':') ? 'center' : 'left') : cell.endsWith(':') ? 'right' : ''));
    if (header.length !== align.length) unsupported();
    const row = (values: string[], tag: 'th' | 'td') =>
      element(
        'tr',
        ...align.map((alignment, column) => {
          const cell = element(tag, ...this.inline(values[column] ?? ''));
          if (alignment) cell.setAttribute('align', alignment);
          return cell;
        }),
      );
    const table = element('table', element('thead', row(header, 'th')));
    const body: HTMLTableRowElement[] = [];
    for (i += 2; i < lines.length && !BLANK.test(lines[i]); i++) {
      if (this.interrupts(lines[i]) || HTML_START.test(lines[i]) || indentation(lines[i]) >= 4) unsupported();
      body.push(row(cells(lines[i]), 'td'));
    }
    if (body.length) table.append(element('tbody', ...body));
    parent.appendChild(table);
    return i;
  }
}

/**
 * Markdown as DOM, or null when the source uses anything this renderer leaves to the full one (marked and
 * DOMPurify). What it returns matches what the full renderer shows for the same source, links opening in a new tab.
 */
export function renderSimpleMarkdown(source: string, options: SimpleMarkdownOptions = {}): DocumentFragment | null {
  // Tabs count as 1 to 4 columns depending on where they stand: renderers differ there. Rare in Markdown anyway.
  if (source.length > MAX_SOURCE || source.includes('\t')) return null;
  const fragment = document.createDocumentFragment();
  try {
    new BlockParser(options).parse(source.replace(/\r\n?/g, '\n').split('\n'), fragment);
  } catch (error) {
    if (error === UNSUPPORTED) return null;
    throw error;
  }
  return fragment;
}
