/**
 * The placement rules, in the order they are asked: the shipped ones in BEFORE_RUN and AFTER_RUN below, then the
 * host's (`options.rules`). The first verdict wins. A rule that cannot decide (a dead kernel, a host rule that
 * throws) says nothing: placement never stops a cell from running.
 */
import type { Kernel } from '../kernel/kernel.ts';
import missingImportsSource from './missing_imports.py';
import {
  DEFAULT_THRESHOLDS,
  type AfterRunFacts,
  type BeforeRunFacts,
  type PlacementFacts,
  type PlacementOptions,
  type PlacementRule,
  type PlacementThresholds,
  type Verdict,
} from './placement.ts';
import { bytesInWords, secondsInWords } from '../util/words.ts';
import { probe } from './probe.ts';
import { STDLIB_MODULES } from './stdlib-modules.ts';

/** A shipped rule: the reason it sees in the facts, or null. Its verdict suggests a server kernel unless it says otherwise. */
interface ShippedRule<F extends PlacementFacts> {
  name: string;
  suggests?: Verdict['suggests'];
  reason(facts: F, thresholds: PlacementThresholds): string | null | Promise<string | null>;
}

const BEFORE_RUN: ShippedRule<BeforeRunFacts>[] = [
  {
    name: 'remote-magic',
    suggests: 'farm-out',
    reason: ({ source }) => (/^%%remote(?:\s|$)/.test(firstLine(source)) ? 'the cell asks to run on a server kernel (%%remote)' : null),
  },
  {
    name: 'metadata',
    reason: ({ metadata }) =>
      (metadata.bento as { placement?: unknown } | undefined)?.placement === 'server'
        ? 'the notebook asks for a server kernel (metadata bento.placement)'
        : null,
  },
  {
    name: 'import',
    reason: async ({ source, kernel }) => {
      const missing = await missingImports(source, kernel);
      if (missing.length === 0) return null;
      return `imports ${listInWords(missing.map((name) => `\`${name}\``))}, which ${missing.length === 1 ? 'has' : 'have'} no browser build`;
    },
  },
];

const AFTER_RUN: ShippedRule<AfterRunFacts>[] = [
  {
    name: 'memory-error',
    reason: ({ reply }) =>
      reply?.content.status === 'error' && reply.content.ename === 'MemoryError' ? 'ran out of memory in the browser (MemoryError)' : null,
  },
  {
    name: 'runtime-died',
    reason: ({ runtimeDied }) =>
      runtimeDied !== undefined ? 'the Python runtime in this tab stopped while the cell ran (it ran out of memory or crashed)' : null,
  },
  {
    name: 'heap',
    reason: ({ heapBytes }, { heapShare, heapLimitBytes }) =>
      heapBytes !== undefined && heapBytes > heapShare * heapLimitBytes
        ? `uses ${bytesInWords(heapBytes)} of the ${bytesInWords(heapLimitBytes)} a tab's Python can have`
        : null,
  },
  {
    name: 'table-size',
    reason: ({ tableBytes }, thresholds) =>
      tableBytes !== undefined && tableBytes > thresholds.tableBytes
        ? `brought ${bytesInWords(tableBytes)} of tables into the tab (more than ${bytesInWords(thresholds.tableBytes)})`
        : null,
  },
  {
    name: 'slow-cell',
    reason: ({ seconds }, { cellSeconds }) =>
      seconds > cellSeconds ? `computed for ${secondsInWords(seconds)} (more than ${secondsInWords(cellSeconds)})` : null,
  },
];

/** The verdict on a cell about to run in the browser, or null when it looks lite. Never rejects. */
export function checkBeforeRun(facts: BeforeRunFacts, options: PlacementOptions = {}): Promise<Verdict | null> {
  return firstVerdict(BEFORE_RUN, facts, options);
}

/** The verdict on a cell that ran in the browser, from what its run did, or null when it stayed lite. Never rejects. */
export function checkAfterRun(facts: AfterRunFacts, options: PlacementOptions = {}): Promise<Verdict | null> {
  return firstVerdict(AFTER_RUN, facts, options);
}

async function firstVerdict<F extends PlacementFacts>(
  shipped: ShippedRule<F>[],
  facts: F,
  options: PlacementOptions,
): Promise<Verdict | null> {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const rules: PlacementRule[] = [
    ...shipped.map(({ name, suggests = 'server', reason }) => ({
      name,
      check: async () => {
        const why = await reason(facts, thresholds);
        return why === null ? null : { rule: name, reason: why, suggests };
      },
    })),
    ...(options.rules ?? []),
  ];
  for (const rule of rules) {
    try {
      const verdict = await rule.check(facts);
      if (verdict) return verdict;
    } catch (error) {
      console.warn(`Placement rule "${rule.name}" failed and was skipped:`, error);
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// The import rule. Cells run often, so the kernel is asked only when the source may import something that is
// neither in the standard library nor known to be available already.

/** Cell magics whose body is Python the kernel runs; any other cell magic's body is not Python (`%%sql`, ...). */
const PYTHON_BODY_MAGICS = new Set(['time', 'timeit', 'capture', 'prun']);

/** Modules found importable, per kernel. "Missing" is never cached: a later `%pip install` may provide it. */
const availableModules = new WeakMap<Kernel, Set<string>>();

function knownAvailable(kernel: Kernel): Set<string> {
  let known = availableModules.get(kernel);
  if (!known) {
    const set = (known = new Set());
    availableModules.set(kernel, set);
    // Files and packages installed at run time are gone with a runtime that started again.
    kernel.onStatusChange((change) => {
      if (change.stateLost) set.clear();
    });
  }
  return known;
}

async function missingImports(cell: string, kernel: Kernel): Promise<string[]> {
  const source = pythonOf(cell);
  if (source === null || !/\b(?:import|from)\b/.test(source)) return [];
  const known = knownAvailable(kernel);
  const names = simpleImports(source);
  if (names && names.every((name) => STDLIB_MODULES.has(name) || known.has(name))) return [];
  let answer: { syntaxError: boolean; available: string[]; missing: string[] };
  try {
    answer = await probe(kernel, missingImportsSource, { source });
  } catch {
    return []; // the kernel could not answer (it died, or is restarting): it will say so when the cell runs
  }
  for (const name of answer.available) known.add(name);
  return answer.syntaxError ? [] : answer.missing;
}

/** The Python in a cell: its body under a Python cell magic, null under any other. */
function pythonOf(cell: string): string | null {
  const first = firstLine(cell);
  const magic = /^%%(\w+)/.exec(first)?.[1];
  if (magic === undefined) return cell;
  return PYTHON_BODY_MAGICS.has(magic) ? cell.slice(cell.indexOf(first) + first.length) : null;
}

const IMPORT_LINE = /^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)\s*(?:#.*)?$/;
const FROM_LINE = /^\s*from\s+([\w.]+)\s+import\b[^;#\\]*(?:#.*)?$/;

/**
 * The top-level modules the source imports, when every line that mentions `import` or `from` is one plain import
 * statement; otherwise undefined (the kernel's parser decides). Relative imports and `__future__` are left out.
 */
function simpleImports(source: string): string[] | undefined {
  const names: string[] = [];
  for (const line of source.split('\n')) {
    if (!/\b(?:import|from)\b/.test(line)) continue;
    const plain =
      IMPORT_LINE.exec(line)?.[1].split(',').map((part) => part.trim().split(/\s/)[0]) ?? FROM_LINE.exec(line)?.slice(1, 2);
    if (!plain) return undefined;
    for (const module of plain) if (!module.startsWith('.') && module !== '__future__') names.push(module.split('.')[0]);
  }
  return names;
}

function firstLine(source: string): string {
  return (source.split('\n').find((line) => line.trim() !== '') ?? '').trim();
}

// ---------------------------------------------------------------------------------------------------------
// Words

function listInWords(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

