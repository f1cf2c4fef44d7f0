/**
 * The cells of a big notebook that were not rendered at load (`BentoCell.holdRender`): those nearing the viewport
 * render as they come, a slice at a time, and the rest in idle slices from the top, so that no task of the page runs
 * long and everything is rendered (and found by the browser's find-in-page) within seconds. Until it renders, a cell
 * holds the place of its estimated height, so the scrollbar is about right and the page does not collapse under the
 * viewport. Once rendered, `content-visibility: auto` (the cell's styles) skips the layout and paint of cells out of
 * view. The bench figure `big-notebook` measures it (README, "Measured").
 */
import type { BentoCell } from '../bento-cell/bento-cell.ts';

/** Work per slice: well under the 50 ms of a long task, with room for the frame's own work. */
const SLICE_MS = 12;
/** Cells this far above or below the viewport (in viewport heights) render before they come into view. */
const AHEAD = '100%';
const LINE_PX = 20;

function lines(text: string | string[]): number {
  let count = 1;
  for (const part of typeof text === 'string' ? [text] : text) for (let i = part.indexOf('\n'); i !== -1; i = part.indexOf('\n', i + 1)) count++;
  return count;
}

/** A rough height of a cell's rendered form, from its source and outputs: a placeholder until it renders. */
function estimateHeight(cell: BentoCell): number {
  let height = 16 + lines(cell.source) * (cell.type === 'markdown' ? 26 : LINE_PX);
  if (cell.type !== 'code' || cell.outputsCollapsed) return height;
  for (const output of cell.outputs.outputs) {
    height += 12;
    if (output.output_type === 'stream') height += lines(output.text) * LINE_PX;
    else if (output.output_type === 'error') height += 40 + lines(output.traceback ?? []) * LINE_PX;
    else {
      const data = output.data ?? {};
      const html = data['text/html'] as string | string[] | undefined;
      // A table's rows, roughly: a DataFrame's HTML has about seven lines per row.
      if (html) height += (lines(html) / 7) * 30;
      else if (data['image/png'] || data['image/jpeg'] || data['image/svg+xml']) height += 120;
      else height += lines(String(data['text/plain'] ?? '')) * LINE_PX;
    }
  }
  return Math.round(Math.min(height, 2000));
}

/** Renders `cells` (held back by holdRender) as they near the viewport, and the rest when the page is idle. */
export function renderLater(cells: BentoCell[]): void {
  const waiting = new Set(cells.filter((cell) => !cell.hasUpdated));
  const near: BentoCell[] = [];
  let busy = false;

  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) if (entry.isIntersecting && waiting.has(entry.target as BentoCell)) near.push(entry.target as BentoCell);
      if (near.length) void renderNear();
    },
    { rootMargin: `${AHEAD} 0px` },
  );

  for (const cell of waiting) {
    const height = estimateHeight(cell);
    // `auto`: once the cell has been rendered in view, the browser keeps its real height for when it is out of view.
    cell.style.containIntrinsicBlockSize = `auto ${height}px`;
    cell.style.minBlockSize = `${height}px`;
    observer.observe(cell);
  }

  async function render(cell: BentoCell): Promise<void> {
    waiting.delete(cell);
    observer.unobserve(cell);
    if (!cell.isConnected) return;
    cell.renderNow();
    await cell.updateComplete;
    cell.style.minBlockSize = '';
  }

  /** Renders cells while `more()` holds and the slice lasts; false when another slice was running (try again). */
  async function slice(take: () => BentoCell | undefined, more: () => boolean): Promise<boolean> {
    if (busy) return false;
    busy = true;
    try {
      const start = performance.now();
      for (let cell = take(); cell; cell = performance.now() - start < SLICE_MS && more() ? take() : undefined) {
        if (waiting.has(cell)) await render(cell);
      }
    } finally {
      busy = false;
      if (waiting.size === 0) observer.disconnect();
    }
    return true;
  }

  /** The cells near the viewport: a slice now (in the observer's task), the rest in the next tasks. */
  async function renderNear(): Promise<void> {
    const done = await slice(() => near.shift(), () => near.length > 0);
    if (!done || near.length) setTimeout(() => void renderNear(), done ? 0 : 16);
  }

  /** The rest, from the top, while the page is idle. */
  function renderIdle(): void {
    if (waiting.size === 0) return;
    requestIdleCallback(
      (deadline) => void slice(() => (near.length ? undefined : waiting.values().next().value), () => deadline.timeRemaining() > 0).then(renderIdle),
      { timeout: 1000 },
    );
  }

  renderIdle();
}
