/**
 * Keeps a notebook's runs in the order they were asked for when some of them run in JavaScript. A kernel
 * queues the code it is sent, but a magic cell first fetches in the page and injects afterwards, so a
 * Python cell sent after it could reach the kernel first and miss the variable. Magic runs wait for
 * everything submitted before them; code runs wait only for the magic runs before them (the kernel queues
 * the rest itself, so `queued` and interrupt keep their meaning).
 */
import type { Kernel } from '../kernel/kernel.ts';

interface Order {
  /** Settles when every run submitted so far has finished. */
  all: Promise<unknown>;
  /** Settles when the last magic run submitted so far has finished. */
  magic: Promise<unknown>;
}

const orders = new WeakMap<Kernel, Order>();

/** Runs `task` on `kernel` after what must come before it; `kind` says whether it runs in JavaScript. */
export function runInOrder<T>(kernel: Kernel, kind: 'magic' | 'code', task: () => Promise<T>): Promise<T> {
  const order = orders.get(kernel) ?? { all: Promise.resolve(), magic: Promise.resolve() };
  const run = (kind === 'magic' ? order.all : order.magic).then(task);
  const settled = run.catch(() => undefined);
  orders.set(kernel, {
    // Not Promise.all([order.all, settled]): its value nests every earlier one, keeping each run's reply for the
    // kernel's lifetime (the soak's page heap grew ~2 KB per run).
    all: order.all.then(() => settled),
    magic: kind === 'magic' ? settled : order.magic,
  });
  return run;
}
