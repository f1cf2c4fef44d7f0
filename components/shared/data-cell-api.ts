/**
 * What the main bundle knows of the data cells without loading them: their event, their row cap, and how a
 * cell's magic and element are registered. Each element (and the table view) is a chunk of its own, loaded when
 * a page shows one or a notebook a cell with its magic.
 */
import { registerCellMagic, type CellMagicSpec } from '../../src/magics/magics.ts';
import { defineLazily, loadElement } from './lazy-elements.ts';

/**
 * The table view holds at most this many rows: past that, sorting and scrolling would cost the page more
 * than anyone reads. The kernel still gets every row.
 */
export const RENDERED_ROWS_CAP = 100_000;

/** A data cell's fetch finished: what came back and where it went. */
export class BentoQueryEvent extends Event {
  constructor(readonly detail: { rows: number; columns: number; elapsedMs: number; truncated: boolean; boundTo?: string }) {
    super('bento-query', { bubbles: true, composed: true });
  }
}

/** Registers a data cell's magic, and its element (and the table view) to load when first seen. */
export function registerDataCell(spec: CellMagicSpec, load: () => Promise<unknown>): void {
  registerCellMagic(spec);
  defineLazily(spec.tagName, load);
  defineLazily('bento-table-view', () => import('../bento-table-view/bento-table-view.ts'));
}

/** Defines a data cell's element and the table view now, and resolves with the element's class. */
export async function loadDataCell(tagName: string): Promise<CustomElementConstructor> {
  const [element] = await Promise.all([loadElement(tagName), loadElement('bento-table-view')]);
  return element;
}

declare global {
  interface GlobalEventHandlersEventMap {
    'bento-query': BentoQueryEvent;
  }
}
