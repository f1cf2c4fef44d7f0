/**
 * Placement: where a notebook's cells should run. Every notebook starts on Python in the browser; the rules in
 * rules.ts look at a cell before it runs (its imports, a `%%remote` line, the notebook's metadata) and at what its
 * run did (a MemoryError, a runtime that died, the heap, the tables it pulled, how long it computed), and give a
 * verdict with its reason in words. The notebook acts on a verdict (offers a switch, switches, or farms the cell
 * out: farm-out.ts); the kernels know nothing of placement.
 */
import type { Kernel } from '../kernel/kernel.ts';
import type { ExecuteReply } from '../kernel/protocol.ts';

/** What a notebook does with a verdict: offer the choices (`ask`), act on it (`auto`), or never look (`off`). */
export type PlacementPolicy = 'ask' | 'auto' | 'off';

/** The verdict "this is not lite", with the reason a person reads. */
export interface Verdict {
  /** The rule that spoke: `import`, `remote-magic`, `metadata`, `memory-error`, `runtime-died`, `heap`, `table-size`, `slow-cell`, or a host rule's name. */
  rule: string;
  /** The reason in words, e.g. "imports `acme_metrics`, which has no browser build". */
  reason: string;
  /** `server`: the notebook would be better on a server kernel. `farm-out`: this cell asked to run on one (`%%remote`). */
  suggests: 'server' | 'farm-out';
}

/** What the rules see before a cell runs. */
export interface BeforeRunFacts {
  phase: 'before';
  source: string;
  /** The notebook's metadata (a notebook may ask for a server kernel: `metadata.bento.placement = "server"`). */
  metadata: Record<string, unknown>;
  /** The browser kernel the cell would run on: the import rule asks it what it can import. */
  kernel: Kernel;
}

/** What the rules see after a cell ran in the browser. */
export interface AfterRunFacts {
  phase: 'after';
  source: string;
  /** The cell's execute_reply (absent when the run failed before the kernel answered). */
  reply?: ExecuteReply;
  /** Set when the runtime died during the run on its own (not interrupted or restarted): its message. */
  runtimeDied?: string;
  /** WebAssembly heap of the runtime after the run, when the kernel can tell. */
  heapBytes?: number;
  /** Bytes of the tables the run brought into the kernel (a `%%sql` result, an injection). */
  tableBytes?: number;
  /** Wall-clock time the run took. */
  seconds: number;
}

export type PlacementFacts = BeforeRunFacts | AfterRunFacts;

/** A host's own rule: a verdict, or null when it has nothing to say. Runs after the shipped rules found nothing. */
export interface PlacementRule {
  name: string;
  check(facts: PlacementFacts): Verdict | null | Promise<Verdict | null>;
}

export interface PlacementThresholds {
  /** Heap share of `heapLimitBytes` above which a run is "not lite" (default 0.75). */
  heapShare: number;
  /** The most heap a tab's Python can have (default 2 GiB, what Chromium gives a 32-bit WebAssembly memory in practice). */
  heapLimitBytes: number;
  /** Tables brought in by one run above this size are "not lite" (default 256 MiB). */
  tableBytes: number;
  /** A run computing longer than this is "not lite" (default 120 s). */
  cellSeconds: number;
}

export interface PlacementOptions {
  thresholds?: Partial<PlacementThresholds>;
  /** Host rules, asked after the shipped ones. */
  rules?: PlacementRule[];
}

export const DEFAULT_THRESHOLDS: PlacementThresholds = {
  heapShare: 0.75,
  heapLimitBytes: 2 ** 31,
  tableBytes: 256 * 2 ** 20,
  cellSeconds: 120,
};
