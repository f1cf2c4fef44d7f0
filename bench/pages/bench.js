// Helpers the benchmark pages share: wait for a rendered output, and report to the runner.
export const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));

/** The rendered text of a cell's outputs (what a person sees), or ''. */
export function renderedOutput(cell) {
  return cell.shadowRoot?.querySelector('bento-output-area')?.shadowRoot?.textContent ?? '';
}

/** Resolves at the first animation frame where `predicate()` holds: the frame that shows it. */
export async function untilPainted(predicate, timeoutMs = 120_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await frame();
    if (predicate()) return performance.now();
    if (performance.now() > deadline) throw new Error('timed out waiting for the page');
  }
}

export function report(run) {
  run().then(
    (result) => (window.benchResult = result),
    (error) => (window.benchResult = { error: String(error?.stack ?? error) }),
  );
}
