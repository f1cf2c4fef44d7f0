/** Events that more than one element fires (a cell, a SQL cell): one class each, as STYLE.md asks. */
import type { EditorCommand } from '../bento-cell/editor.ts';

/** What a cell can ask its notebook to do: the editor's shortcuts and the cell toolbar's buttons. */
export type CellCommand = EditorCommand | 'move-up' | 'move-down' | 'duplicate' | 'delete';

/** A cell asks its notebook to do something (run and move on, leave edit mode, move, delete, ...). */
export class BentoCellCommandEvent extends Event {
  constructor(readonly command: CellCommand) {
    super('bento-cell-command', { bubbles: true, composed: true });
  }
}

/** Something failed that the user should hear about (not a Python exception: those are outputs). */
export class BentoErrorEvent extends Event {
  constructor(readonly error: { message: string; source: string }) {
    super('bento-error', { bubbles: true, composed: true });
  }
}

/** The cell's text or outputs changed (for autosave). */
export class BentoChangeEvent extends Event {
  constructor() {
    super('bento-change', { bubbles: true, composed: true });
  }
}

