/**
 * Keeps a notebook's runs in the order they were asked for when some of them run in JavaScript. A kernel
 * queues the code it is sent, but a magic cell first fetches in the page and injects afterwards, so a
 * Python cell sent after it could reach the kernel first and miss the variable. Magic runs wait for
 * everything submitted before them; code runs wait only for the magic runs before them (the kernel queues
 * the rest itself, so `queued` and interrupt keep their meaning).
 *
 * Runs also stop on an error, as Jupyter's do: a run given `aborted`, asked for while earlier runs were still to
 * finish, is not made if one of those failed (rejected, or replied with status `error`); it settles with what
 * `aborted` returns. A kernel does this itself for code queued behind code; this covers a magic queued behind
 * anything and code queued behind a magic.
 */
import type { Kernel } from '../kernel/kernel.ts';

interface Order {
  /** Settles when every run submitted so far has finished. */
  all: Promise<unknown>;
  /** Settles when the last magic run submitted so far has finished. */
  magic: Promise<unknown>;
  /** How many runs have failed so far. */
  failures: number;
}

const orders = new WeakMap<Kernel, Order>();

/** Runs `task` on `kernel` after what must come before it; `kind` says whether it runs in JavaScript. */
export function runInOrder<T>(kernel: Kernel, kind: 'magic' | 'code', task: () => Promise<T>, aborted?: () => T): Promise<T> {
  const order = orders.get(kernel) ?? { all: Promise.resolve(), magic: Promise.resolve(), failures: 0 };
  orders.set(kernel, order);
  // Every run that fails before this one's turn was asked for before it: later magic runs wait for this one, and
  // later code goes to the kernel after it.
  const failures = order.failures;
  const run = (kind === 'magic' ? order.all : order.magic).then(() => (aborted && order.failures > failures ? aborted() : task()));
  const settled = run.then(
    (value) => {
      if ((value as { content?: { status?: string } } | undefined)?.content?.status === 'error') order.failures++;
    },
    () => order.failures++,
  );
  // Not Promise.all([order.all, settled]): its value nests every earlier one, keeping each run's reply for the
  // kernel's lifetime (the soak's page heap grew ~2 KB per run).
  order.all = order.all.then(() => settled);
  if (kind === 'magic') order.magic = settled;
  return run;
}
