/**
 * The cells of a big notebook not made or not rendered at load (BentoNotebook.makeCells, `BentoCell.holdRender`): the
 * rest of the cells are made a slice at a time; those nearing the viewport render as they come, and the rest in idle
 * slices from the top, so that no task of the page runs long and everything is rendered (and found by the browser's
 * find-in-page) within seconds. Until it renders, a cell holds the place of its estimated height, so the scrollbar is
 * about right and the page does not collapse under the viewport. A cell near the viewport is laid out in the slice that
 * renders it, not in the frame that scrolls it into view (`content-visibility: auto` skips the rest). The bench figure `big-notebook` measures it (README, "Measured").
 */
import type { BentoCell } from '../bento-cell/bento-cell.ts';
import type { BentoNotebook } from './bento-notebook.ts';

/** Work per slice: well under the 50 ms of a long task, with room for the frame's own work. */
const SLICE_MS = 12;
/** Cells this far above or below the viewport (in viewport heights) render before they come into view. */
const AHEAD = '100%';
/** Cells made at a time within a slice (making one is a small fraction of rendering it). */
const MAKE_STEP = 8;
const LINE_PX = 20;
/**
 * Once every cell is rendered, a cell shorter than this is laid out for good (`content-visibility: visible`), top down
 * in idle slices, so that scrolling past it again costs no layout; a taller one keeps `auto`, where skipping its
 * thousands of lines pays. Not before: while cells still render, each one that settles at its real height moves every
 * cell below it, and moved cells that are laid out cost pre-paint on every frame (measured: 10 s against 1 s over a
 * scroll of the 1,000-cell bench notebook).
 */
const KEEP_LAID_OUT_PX = 1500;

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

/** Makes the cells of `notebook` not made yet, and renders those it holds back (see the top of this file). */
export function renderLater(notebook: BentoNotebook): void {
  const waiting = new Set<BentoCell>();
  const near: BentoCell[] = [];
  let busy = false;
  let madeAll = false;

  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) if (entry.isIntersecting && waiting.has(entry.target as BentoCell)) near.push(entry.target as BentoCell);
      if (near.length) void renderNear();
    },
    { rootMargin: `${AHEAD} 0px` },
  );

  function hold(cells: BentoCell[]): void {
    for (const cell of cells) {
      if (cell.hasUpdated || waiting.has(cell)) continue;
      const height = estimateHeight(cell);
    // `auto`: once the cell has been rendered in view, the browser keeps its real height for when it is out of view.
    cell.style.containIntrinsicBlockSize = `auto ${height}px`;
    cell.style.minBlockSize = `${height}px`;
      waiting.add(cell);
      observer.observe(cell);
    }
  }
  notebook.cellsMade = hold;
  // Those made before this chunk came (something read `cells` meanwhile).
  hold([...notebook.children].filter((child): child is BentoCell => child.localName === 'bento-cell'));

  async function render(cell: BentoCell): Promise<void> {
    waiting.delete(cell);
    observer.unobserve(cell);
    if (!cell.isConnected) return;
    cell.renderNow();
    await cell.updateComplete;
    cell.style.minBlockSize = '';
    // Its style and layout now, inside the slice, rather than in the frame that scrolls it into view.
    cell.getBoundingClientRect();
  }

  /** Does `step()` while `more()` holds and the slice lasts; false when another slice was running (try again). */
  async function slice(step: () => Promise<boolean>, more: () => boolean): Promise<boolean> {
    if (busy) return false;
    busy = true;
    try {
      const start = performance.now();
      while ((await step()) && performance.now() - start < SLICE_MS && more());
    } finally {
      busy = false;
    }
    return true;
  }

  /** The cells near the viewport: a slice now (in the observer's task), the rest in the next tasks. */
  async function renderNear(): Promise<void> {
    const step = async () => {
      const cell = near.shift();
      if (cell && waiting.has(cell)) await render(cell);
      return cell !== undefined;
    };
    const done = await slice(step, () => near.length > 0);
    if (!done || near.length) setTimeout(() => void renderNear(), done ? 0 : 16);
  }

  /** While the page is idle: makes the cells not made yet, then renders the rest from the top. */
  async function idleStep(): Promise<boolean> {
    if (near.length) return false;
    if (!madeAll) {
      madeAll = notebook.makeCells(MAKE_STEP).length === 0;
      if (!madeAll) return true;
    }
    const cell = waiting.values().next().value;
    if (cell) await render(cell);
    return cell !== undefined;
  }

  function renderIdle(): void {
    if (notebook.cellsMade !== hold) return observer.disconnect(); // another notebook was loaded since
    if (madeAll && waiting.size === 0) {
      observer.disconnect();
      return keepLaidOut();
    }
    requestIdleCallback((deadline) => void slice(idleStep, () => deadline.timeRemaining() > 0).then(renderIdle), { timeout: 1000 });
  }

  /** Lays the short cells out for good, from the top, a slice at a time while the page is idle (see KEEP_LAID_OUT_PX). */
  function keepLaidOut(from: Element | null = notebook.firstElementChild): void {
    requestIdleCallback((deadline) => {
      let cell = from;
      for (; cell && deadline.timeRemaining() > 0 && notebook.cellsMade === hold; cell = cell.nextElementSibling) {
        if (cell.localName !== 'bento-cell') continue;
        const { style } = cell as BentoCell;
        if (style.contentVisibility || estimateHeight(cell as BentoCell) >= KEEP_LAID_OUT_PX) continue;
        style.contentVisibility = 'visible';
        if (cell.getBoundingClientRect().height > 2 * KEEP_LAID_OUT_PX) style.contentVisibility = 'auto';
      }
      if (cell && notebook.cellsMade === hold) keepLaidOut(cell);
    });
  }

  renderIdle();
}
