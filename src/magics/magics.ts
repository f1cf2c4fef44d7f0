/**
 * Magic middleware: a code cell whose first line is `%%name args` is taken by the element registered for
 * `name` before any kernel sees it. This module only parses and dispatches; the element does the work in
 * JavaScript (fetch, then inject), so the same notebook runs on the serverless and on a remote kernel.
 * Magics nobody registered go to the kernel untouched (IPython's own `%%timeit` on a server kernel).
 */
import type { Kernel } from '../kernel/kernel.ts';
import { pythonNameProblem } from '../kernel/python-names.ts';

/** One option of a magic's argument line, e.g. `--limit N`. */
export interface MagicOption {
  /** `int`: a whole number >= 0; `string`: any word (quotes allowed); `flag`: present or not. */
  type: 'int' | 'string' | 'flag';
  /** Shown in the usage line: `--limit N`. */
  metavar?: string;
  /** Short alias, e.g. `-l`. */
  short?: string;
}

/** A positional argument, e.g. the variable a result is bound to. */
export interface MagicPositional {
  name: string;
  /** `identifier`: must be a valid Python variable name. */
  kind?: 'identifier' | 'word';
}

export interface CellMagicSpec {
  /** The name after `%%`. */
  name: string;
  /** The custom element that renders and runs such a cell (it implements MagicCellElement). */
  tagName: string;
  positionals?: MagicPositional[];
  options?: Record<string, MagicOption>;
  /** One sentence on what the magic does (shown in errors and docs). */
  summary?: string;
  /** The short name the cell shows in its header ("SQL"); default: `%%name`. */
  badge?: string;
  /**
   * Starts what a run of such a cell will need (its data source's code, an engine in the page) while the element's
   * own chunk loads, instead of after it: a cell calls it with its argument text (after `%%name`) when it loads the
   * element, which it does for Bento Lite's lazily loaded data cells (a host's element is defined by the host). Must
   * not throw or reject: arguments it refuses, or a source that fails, are for the run to report.
   */
  warm?(argText: string): void;
}

/** What a magic's argument line parsed to. Options are keyed by name without dashes. */
export interface MagicArguments {
  positionals: Record<string, string | undefined>;
  options: Record<string, string | number | boolean | undefined>;
}

/** A `%%name args` first line and the body below it. */
export interface ParsedCellMagic {
  name: string;
  argText: string;
  body: string;
}

/** What a magic cell element gets when its cell runs. */
export interface MagicRunContext {
  /** The kernel of the cell: the notebook's, or the page's default session. Call it only to inject, so a
   * cell that injects nothing never starts Python. */
  kernel: () => Kernel;
  /**
   * Aborted when the person interrupts or restarts the kernel or cancels the cell: hand it to `fetch` (and the like)
   * so the work stops. The cell then shows `KeyboardInterrupt` and the reason.
   */
  signal: AbortSignal;
}

/** What a magic run produced, for the cell's saved outputs (a one-line summary Jupyter tools can show). */
export interface MagicRunResult {
  summary: string;
  /** More formats of the same output, by MIME type (e.g. a job's `application/vnd.bento.job+json`); saved beside the summary. */
  data?: Record<string, unknown>;
  /** Bytes of the tables the run brought into the kernel (the notebook's placement rules weigh them). */
  tableBytes?: number;
}

/**
 * The contract of an element that owns a cell magic. `source` is the whole cell text, magic line included,
 * and is what the notebook saves; the element fires `bento-change` when the user edits it.
 */
export interface MagicCellElement extends HTMLElement {
  source: string;
  run(context: MagicRunContext): Promise<MagicRunResult>;
  /** Stops a run in progress. */
  cancel(): void;
  /** Enters edit mode (the notebook's Enter) and focuses the editor. */
  edit(): Promise<void>;
  /** Leaves edit mode (the notebook's Escape). */
  stopEditing(): void;
  readonly isEditing: boolean;
  /** True while the element shows a live result of its own (the cell then hides its saved summary line). */
  readonly hasResult?: boolean;
}

/** The argument line of a magic is wrong. The message names the argument and ends with the usage line. */
export class MagicArgumentError extends Error {
  override name = 'UsageError';
  constructor(
    readonly problem: string,
    readonly usage: string,
  ) {
    super(`${problem}\nUsage: ${usage}`);
  }
}

const magics = new Map<string, CellMagicSpec>();

/**
 * Registers a cell magic and the element that owns it. Host pages use this for their own data sources:
 * `registerCellMagic({ name: 'orders', tagName: 'orders-cell', positionals: [{ name: 'var', kind: 'identifier' }] })`.
 */
export function registerCellMagic(spec: CellMagicSpec): void {
  if (!/^[A-Za-z_][\w-]*$/.test(spec.name)) throw new TypeError(`'${spec.name}' cannot be a magic name: use letters, digits, '_' and '-'.`);
  if (!spec.tagName.includes('-')) throw new TypeError(`'${spec.tagName}' is not a custom element name (it needs a '-').`);
  magics.set(spec.name, spec);
}

export function cellMagic(name: string): CellMagicSpec | undefined {
  return magics.get(name);
}

/** `%%name args` on the first line, or null. Only the first line counts, as in IPython. */
export function parseCellMagic(source: string): ParsedCellMagic | null {
  const match = /^%%([A-Za-z_][\w-]*)[ \t]*([^\n]*)(?:\n|$)/.exec(source);
  if (!match) return null;
  return { name: match[1], argText: match[2].trim(), body: source.slice(match[0].length) };
}

/** The registered magic that owns this cell text, with its parts; null when the kernel should get it. */
export function ownedMagic(source: string): { spec: CellMagicSpec; magic: ParsedCellMagic } | null {
  const magic = parseCellMagic(source);
  const spec = magic && magics.get(magic.name);
  return spec ? { spec, magic } : null;
}

export function usageLine(spec: CellMagicSpec): string {
  const parts = [`%%${spec.name}`];
  for (const p of spec.positionals ?? []) parts.push(`[${p.name}]`);
  for (const [name, option] of Object.entries(spec.options ?? {})) {
    parts.push(option.type === 'flag' ? `[--${name}]` : `[--${name} ${option.metavar ?? name.toUpperCase()}]`);
  }
  return parts.join(' ');
}

/** Splits an argument line like a shell: words, 'single' or "double" quoted strings. */
function tokenize(text: string, usage: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s'"]\S*))/gy;
  let match: RegExpExecArray | null;
  let index = 0;
  while (index < text.length && (match = pattern.exec(text))) {
    if (match[0].trim() === '') break;
    tokens.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? match[3]));
    index = pattern.lastIndex;
  }
  if (text.slice(index).trim()) throw new MagicArgumentError(`Unclosed quote in '${text.slice(index).trim()}'.`, usage);
  return tokens;
}

/** A reason `name` cannot be a Python variable, or null when it can. */
export function invalidIdentifier(name: string): string | null {
  const problem = pythonNameProblem(name);
  if (problem === 'not-identifier') return `'${name}' is not a valid Python variable name`;
  if (problem === 'keyword') return `'${name}' is a Python keyword and cannot be a variable name`;
  return null;
}

/** Parses a magic's argument line against its spec; throws MagicArgumentError naming what is wrong. */
export function parseMagicArguments(spec: CellMagicSpec, argText: string): MagicArguments {
  const usage = usageLine(spec);
  const tokens = tokenize(argText, usage);
  const options: MagicArguments['options'] = {};
  const positionals: MagicArguments['positionals'] = {};
  const specOptions = spec.options ?? {};
  const byShort = new Map(Object.entries(specOptions).filter(([, o]) => o.short).map(([name, o]) => [o.short!, name]));
  const pending = [...(spec.positionals ?? [])];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.startsWith('-') && token.length > 1 && !/^-\d/.test(token)) {
      const [flag, inlineValue] = token.split(/=(.*)/s, 2);
      const name = flag.startsWith('--') ? flag.slice(2) : byShort.get(flag.slice(1));
      const option = name !== undefined ? specOptions[name] : undefined;
      if (!option || name === undefined) {
        const known = Object.keys(specOptions).map((n) => `--${n}`).join(', ');
        throw new MagicArgumentError(`Unknown option ${flag} for %%${spec.name}${known ? ` (it takes ${known})` : ''}.`, usage);
      }
      if (name in options) throw new MagicArgumentError(`--${name} is given twice.`, usage);
      if (option.type === 'flag') {
        options[name] = true;
        continue;
      }
      const value = inlineValue ?? tokens[++i];
      if (value === undefined) throw new MagicArgumentError(`--${name} needs a value (${option.metavar ?? name.toUpperCase()}).`, usage);
      if (option.type === 'int') {
        if (!/^\d+$/.test(value)) throw new MagicArgumentError(`--${name} expects a whole number, got '${value}'.`, usage);
        if (!Number.isSafeInteger(Number(value))) throw new MagicArgumentError(`--${name} is too large: ${value}.`, usage);
        options[name] = Number(value);
      } else {
        options[name] = value;
      }
      continue;
    }
    const positional = pending.shift();
    if (!positional) throw new MagicArgumentError(`Unexpected argument '${token}'.`, usage);
    if (positional.kind === 'identifier') {
      const problem = invalidIdentifier(token);
      if (problem) throw new MagicArgumentError(`${problem} (argument ${positional.name}).`, usage);
    }
    positionals[positional.name] = token;
  }
  return { positionals, options };
}

/** The argument line back from parsed arguments (for elements that edit them in a form). */
export function formatMagicLine(spec: CellMagicSpec, args: MagicArguments): string {
  const parts = [`%%${spec.name}`];
  for (const p of spec.positionals ?? []) if (args.positionals[p.name]) parts.push(args.positionals[p.name]!);
  for (const [name, option] of Object.entries(spec.options ?? {})) {
    const value = args.options[name];
    if (value === undefined || value === false || value === '') continue;
    if (option.type === 'flag') parts.push(`--${name}`);
    else parts.push(`--${name}`, /^[^\s'"]+$/.test(String(value)) ? String(value) : JSON.stringify(String(value)));
  }
  return parts.join(' ');
}
