/**
 * The editor (CodeMirror, ~125-170 KB gzip) is a chunk of its own, loaded the first time a cell is edited. A
 * failed load is not kept: the next edit fetches the chunk again (Chromium retries a module whose fetch failed).
 */
import { BentoErrorEvent } from '../shared/events.ts';

export type EditorModule = typeof import('./editor.ts');
type CellEditor = import('./editor.ts').CellEditor;

let loading: Promise<EditorModule> | undefined;

/** Loads the editor chunk (once; after a failure, the next call tries again). Rejects with a sentence for the user. */
export function loadEditor(): Promise<EditorModule> {
  loading ??= import('./editor.ts').catch((error: unknown) => {
    loading = undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not load the code editor (${reason}): check the network, then click the cell to try again.`);
  });
  return loading;
}

/**
 * Opens a cell's editor with `open`; a failure is reported through `setError` (shown in the cell) and a
 * `bento-error` from `host`, and resolves undefined, so the next edit tries again.
 */
export async function openEditorOrReport<T>(host: HTMLElement, open: () => Promise<T>, setError: (message: string | undefined) => void): Promise<T | undefined> {
  try {
    const editor = await open();
    setError(undefined);
    return editor;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    setError(message);
    host.dispatchEvent(new BentoErrorEvent({ message, source: 'editor' }));
    return undefined;
  }
}

/**
 * A cell's editor: opened once (calls while it opens share the opening; a failed chunk load is not kept, so the
 * next edit tries again), and closed when the cell no longer shows it.
 */
export class EditorSlot {
  editor?: CellEditor;
  private opening?: Promise<CellEditor>;

  /** The editor, made by `create` once the chunk is loaded the first time. */
  open(create: (module: EditorModule) => Promise<CellEditor>): Promise<CellEditor> {
    if (this.editor) return Promise.resolve(this.editor);
    this.opening ??= loadEditor().then(
      async (module) => (this.editor = await create(module)),
      (error: unknown) => {
        this.opening = undefined;
        throw error;
      },
    );
    return this.opening;
  }

  /** Destroys the editor; the next `open` makes a new one. */
  close(): void {
    this.editor?.destroy();
    this.editor = undefined;
    this.opening = undefined;
  }
}
