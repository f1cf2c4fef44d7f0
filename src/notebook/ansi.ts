/**
 * Terminal colours (ANSI SGR escape codes) in kernel output, turned into HTML that is safe to insert: every
 * character of the text is escaped, styles become `ansi-*` classes (16 colours, bold, italic, ...) or, for
 * 256-colour and 24-bit colours, an inline `color`/`background-color` built only from validated numbers.
 * Other escape sequences (cursor movement, titles, hyperlinks) and control characters are dropped.
 *
 * Classes emitted (the element that shows the HTML styles them):
 * `ansi-fg-{name}`, `ansi-bg-{name}` where name is black, red, green, yellow, blue, magenta, cyan, white or
 * bright-{black,...,white}; `ansi-bold`, `ansi-dim`, `ansi-italic`, `ansi-underline`, `ansi-strike`.
 */

const COLOUR_NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;

/**
 * The graphic state that carries from one piece of text to the next. Pass the same state to successive
 * `ansiToHtml` calls to convert a long text in pieces with the colours of the whole.
 */
export class AnsiState {
  /** A class-name colour (`red`, `bright-red`) or an `rgb(r, g, b)` string; null for the default. */
  fg: string | null = null;
  bg: string | null = null;
  bold = false;
  dim = false;
  italic = false;
  underline = false;
  strike = false;

  clone(): AnsiState {
    return Object.assign(new AnsiState(), this);
  }

  /** A short string that is equal for equal states; '' for the default state. */
  get key(): string {
    if (this.isDefault) return '';
    return `${this.fg}|${this.bg}|${+this.bold}${+this.dim}${+this.italic}${+this.underline}${+this.strike}`;
  }

  get isDefault(): boolean {
    return !this.fg && !this.bg && !this.bold && !this.dim && !this.italic && !this.underline && !this.strike;
  }

  reset(): void {
    this.fg = this.bg = null;
    this.bold = this.dim = this.italic = this.underline = this.strike = false;
  }
}

// One alternation, left to right: a CSI sequence (complete or cut short at the end of the text), an OSC
// sequence (title, hyperlink) ended by BEL or ST, a DCS/SOS/PM/APC string, any other escape, then the
// control characters a <pre> cannot show (tab and newline are kept).
const ESCAPE_OR_CONTROL =
  /\x1b(?:\[([\x30-\x3f]*)([\x20-\x2f]*)([\x40-\x7e])?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[\x20-\x2f]*[\x30-\x7e]?)|[\x00-\x08\x0b-\x1f\x7f\x9b]/g;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Removes every escape sequence and unprintable control character, e.g. for alt text or a label. */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPE_OR_CONTROL, '');
}

/**
 * Converts text with ANSI escape codes to HTML: escaped text, styled runs wrapped in `<span>`s. `state` is
 * the style in effect at the start and is updated to the style at the end.
 */
export function ansiToHtml(text: string, state: AnsiState = new AnsiState()): string {
  let html = '';
  let last = 0;
  ESCAPE_OR_CONTROL.lastIndex = 0;
  for (let match = ESCAPE_OR_CONTROL.exec(text); match; match = ESCAPE_OR_CONTROL.exec(text)) {
    if (match.index > last) html += styledRun(text.slice(last, match.index), state);
    last = ESCAPE_OR_CONTROL.lastIndex;
    const [, params, intermediates, final] = match;
    // SGR is CSI with only digits, ';' and ':' as parameters, no intermediates, and 'm' as final byte.
    if (final === 'm' && !intermediates && /^[\d;:]*$/.test(params)) applySgr(params, state);
  }
  if (last < text.length) html += styledRun(text.slice(last), state);
  return html;
}

function styledRun(text: string, state: AnsiState): string {
  const escaped = escapeHtml(text);
  if (state.isDefault) return escaped;
  const classes: string[] = [];
  const styles: string[] = [];
  if (state.fg) {
    if (state.fg.startsWith('rgb(')) styles.push(`color:${state.fg}`);
    else classes.push(`ansi-fg-${state.fg}`);
  }
  if (state.bg) {
    if (state.bg.startsWith('rgb(')) styles.push(`background-color:${state.bg}`);
    else classes.push(`ansi-bg-${state.bg}`);
  }
  if (state.bold) classes.push('ansi-bold');
  if (state.dim) classes.push('ansi-dim');
  if (state.italic) classes.push('ansi-italic');
  if (state.underline) classes.push('ansi-underline');
  if (state.strike) classes.push('ansi-strike');
  const classAttr = classes.length ? ` class="${classes.join(' ')}"` : '';
  const styleAttr = styles.length ? ` style="${styles.join(';')}"` : '';
  return `<span${classAttr}${styleAttr}>${escaped}</span>`;
}

function applySgr(params: string, state: AnsiState): void {
  const codes = params === '' ? [''] : params.split(';');
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code.includes(':')) {
      // ITU T.416 form: 38:5:n or 38:2:[colour space]:r:g:b in a single parameter.
      const sub = code.split(':');
      const target = sub[0] === '38' ? 'fg' : sub[0] === '48' ? 'bg' : null;
      if (!target) continue;
      if (sub[1] === '5') setColour(state, target, colour256(sub[2]));
      else if (sub[1] === '2') setColour(state, target, rgb(sub.at(-3), sub.at(-2), sub.at(-1)));
      continue;
    }
    const n = code === '' ? 0 : Number(code);
    if (n === 0) state.reset();
    else if (n === 1) state.bold = true;
    else if (n === 2) state.dim = true;
    else if (n === 3) state.italic = true;
    else if (n === 4) state.underline = true;
    else if (n === 9) state.strike = true;
    else if (n === 22) state.bold = state.dim = false;
    else if (n === 23) state.italic = false;
    else if (n === 24) state.underline = false;
    else if (n === 29) state.strike = false;
    else if (n >= 30 && n <= 37) state.fg = COLOUR_NAMES[n - 30];
    else if (n === 39) state.fg = null;
    else if (n >= 40 && n <= 47) state.bg = COLOUR_NAMES[n - 40];
    else if (n === 49) state.bg = null;
    else if (n >= 90 && n <= 97) state.fg = `bright-${COLOUR_NAMES[n - 90]}`;
    else if (n >= 100 && n <= 107) state.bg = `bright-${COLOUR_NAMES[n - 100]}`;
    else if (n === 38 || n === 48) {
      const target = n === 38 ? 'fg' : 'bg';
      if (codes[i + 1] === '5') {
        setColour(state, target, colour256(codes[i + 2]));
        i += 2;
      } else if (codes[i + 1] === '2') {
        setColour(state, target, rgb(codes[i + 2], codes[i + 3], codes[i + 4]));
        i += 4;
      }
    }
  }
}

function setColour(state: AnsiState, target: 'fg' | 'bg', colour: string | null): void {
  if (colour) state[target] = colour;
}

function byte(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,3}$/.test(value)) return null;
  const n = Number(value);
  return n <= 255 ? n : null;
}

function rgb(r: string | undefined, g: string | undefined, b: string | undefined): string | null {
  const [red, green, blue] = [byte(r), byte(g), byte(b)];
  return red === null || green === null || blue === null ? null : `rgb(${red}, ${green}, ${blue})`;
}

/** The xterm 256-colour palette: 16 named colours, a 6x6x6 cube, then 24 greys. */
function colour256(value: string | undefined): string | null {
  const n = byte(value);
  if (n === null) return null;
  if (n < 8) return COLOUR_NAMES[n];
  if (n < 16) return `bright-${COLOUR_NAMES[n - 8]}`;
  if (n < 232) {
    const level = (c: number) => (c === 0 ? 0 : 55 + c * 40);
    const i = n - 16;
    return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
  }
  const grey = 8 + (n - 232) * 10;
  return `rgb(${grey}, ${grey}, ${grey})`;
}
