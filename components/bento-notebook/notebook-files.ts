/**
 * Opening and saving .ipynb files (File System Access API where the browser has it, else a file input and a
 * download): a chunk of its own, fetched when the person opens or saves. It handles text, not notebooks (the
 * notebook parses and serializes), so it imports nothing the bundle every page loads also needs (a shared import
 * would split that out into a file of its own).
 */
import type { BentoNotebook } from './bento-notebook.ts';

const IPYNB_TYPES = [{ description: 'Jupyter notebook', accept: { 'application/x-ipynb+json': ['.ipynb'] } }];

/** A file the person picked: its text, its name, and a handle to save back to (where the browser gives one). */
export async function pickNotebookFile(): Promise<{ text: string; name: string; handle?: FileSystemFileHandle } | undefined> {
  const picker = (window as { showOpenFilePicker?: (options: unknown) => Promise<FileSystemFileHandle[]> }).showOpenFilePicker;
  if (picker) {
    const [handle] = await picker({ types: IPYNB_TYPES });
    const file = await handle.getFile();
    return { text: await file.text(), name: file.name, handle };
  }
  const file = await new Promise<File | undefined>((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = '.ipynb,application/x-ipynb+json,application/json';
    input.addEventListener('change', () => resolve(input.files?.[0]));
    input.addEventListener('cancel', () => resolve(undefined));
    input.click();
  });
  return file && { text: await file.text(), name: file.name };
}

/**
 * Writes `text` to `handle`, or to a file the person picks (during a click), else downloads it as `name`. A file
 * that cannot be written is reported through `onError` and downloaded instead.
 */
export async function writeNotebookFile(
  text: string,
  name: string,
  handle: FileSystemFileHandle | undefined,
  onError: (error: unknown) => void,
): Promise<{ saved: 'file' | 'download' | 'cancelled'; handle?: FileSystemFileHandle }> {
  try {
    const savePicker = (window as { showSaveFilePicker?: (options: unknown) => Promise<FileSystemFileHandle> }).showSaveFilePicker;
    if (!handle && savePicker && navigator.userActivation?.isActive) handle = await savePicker({ suggestedName: name, types: IPYNB_TYPES });
    if (handle) {
      const writable = await handle.createWritable();
      await writable.write(text);
      await writable.close();
      return { saved: 'file', handle };
    }
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return { saved: 'cancelled', handle };
    onError(error);
  }
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ipynb+json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { saved: 'download', handle };
}

/** Opens a file the person picks in `notebook` (nothing when they cancel the picker); throws what went wrong. */
export async function openNotebookFile(notebook: BentoNotebook): Promise<void> {
  let picked;
  try {
    picked = await pickNotebookFile();
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return;
    throw error;
  }
  if (!picked) return;
  // Loaded first: a file that is not a notebook must not become the one Save writes to.
  notebook.load(picked.text, 'file');
  notebook.fileHandle = picked.handle;
  notebook.name = picked.name;
}

/** Saves `text`, the notebook as .ipynb, as writeNotebookFile does, and says so in the notebook when it went to a file. */
export async function saveNotebookFile(notebook: BentoNotebook, text: string): Promise<'file' | 'download' | 'cancelled'> {
  const { saved, handle } = await writeNotebookFile(text, notebook.name, notebook.fileHandle, (error) =>
    notebook.reportError(error, 'save', 'Could not save to the file; downloading instead. '),
  );
  notebook.fileHandle = handle;
  if (saved === 'file') notebook.notice = { text: `Saved ${handle!.name}.`, kind: 'info', key: 'save' };
  return saved;
}
