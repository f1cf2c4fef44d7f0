import type { Notebook } from '../src/notebook/nbformat.ts';
import { sendKeys } from '@web/test-runner-commands';
import type { BentoCell } from '../components/bento-cell/bento-cell.ts';
import { QueryError } from '../src/data/connectors.ts';
import { columnValue, type CellValue, type ColumnTable } from '../src/data/table.ts';
import { compareChecksums, tableChecksum } from '../src/data/upload.ts';
import { joinSource } from '../src/notebook/nbformat.ts';
import type { ExecuteOptions, Kernel } from '../src/kernel/kernel.ts';
import type { ExecuteReply, IOPubMessage } from '../src/kernel/protocol.ts';
import { PyodideKernel } from '../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime, type PyodideRuntimeOptions } from '../src/kernel/pyodide/runtime.ts';

/**
 * Runtime options for tests: the worker straight from the source tree, Pyodide's files as the build serves them
 * (dist/pyodide: Pyodide's own, and the standard library with the boot's bytecode that `npm test` builds first).
 */
export function testRuntimeOptions(extra: PyodideRuntimeOptions = {}): PyodideRuntimeOptions {
  return { workerURL: '/src/kernel/pyodide/worker.ts', indexURL: '/dist/pyodide/', ...extra };
}

export interface Run {
  reply: ExecuteReply;
  messages: IOPubMessage[];
  /** IOPub messages other than status, as [msg_type, content] pairs. */
  outputs: Array<[string, any]>;
  stdout: string;
  stderr: string;
}

/** Executes code and collects everything the kernel published for it. */
export async function run(kernel: Kernel, code: string, options: ExecuteOptions = {}): Promise<Run> {
  const messages: IOPubMessage[] = [];
  const reply = await kernel.execute(code, {
    ...options,
    onIOPub: (message) => {
      messages.push(message);
      options.onIOPub?.(message);
    },
  });
  const outputs = messages.filter((m) => m.header.msg_type !== 'status').map((m) => [m.header.msg_type, m.content] as [string, any]);
  const stream = (name: string) =>
    outputs
      .filter(([type, content]) => type === 'stream' && content.name === name)
      .map(([, content]) => content.text)
      .join('');
  return { reply, messages, outputs, stdout: stream('stdout'), stderr: stream('stderr') };
}

/** Resolves when `predicate` holds for a status change of `kernel`. */
export function statusBecomes(kernel: Kernel, predicate: (status: string) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (predicate(kernel.status)) return resolve();
    const stop = kernel.onStatusChange((change) => {
      if (predicate(change.status)) {
        stop();
        resolve();
      }
    });
  });
}

export const isolated = globalThis.crossOriginIsolated === true;

/** A key with a modifier held, through the real keyboard (sendKeys presses one key at a time). */
export async function press(modifier: 'Shift' | 'Alt' | 'Control' | 'Meta', key: string): Promise<void> {
  await sendKeys({ down: modifier });
  await sendKeys({ press: key });
  await sendKeys({ up: modifier });
}

/** Polls until `find` returns something truthy and returns it (open-wc's waitUntil returns nothing). */
export async function waitFor<T>(find: () => T | null | undefined | false | Promise<T | null | undefined | false>, message: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`Timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A ready Pyodide kernel in a runtime of its own for the enclosing describe block; ended after it. */
export function pyodideKernelForSuite(): { readonly kernel: PyodideKernel } {
  const suite = {} as { kernel: PyodideKernel; runtime: PyodideRuntime };
  before(async () => {
    suite.runtime = new PyodideRuntime(testRuntimeOptions());
    suite.kernel = new PyodideKernel({ runtime: suite.runtime });
    await suite.kernel.ready();
  });
  after(async () => {
    await suite.kernel.shutdown();
    suite.runtime.terminate();
  });
  return suite;
}

export type BentoWindow = Window & typeof globalThis & { bento: typeof import('../src/index.ts') };

/**
 * An iframe page written as a host page is: `elements` first, then the bundle (`src/index.ts`), then the page's own
 * module, which calls `PyodideRuntime.configureDefault(<options>)` (`options` is JavaScript source) and exposes the
 * package as `window.bento`. Resolves once that module ran; it fails the test if configuring threw. Remove the frame
 * when done.
 */
export async function pageConfiguringAfterTheBundle(elements: string, options: string): Promise<{ frame: HTMLIFrameElement; win: BentoWindow }> {
  const origin = location.origin;
  const frame = document.createElement('iframe');
  frame.srcdoc = `<!doctype html>
    ${elements}
    <script type="module" src="${origin}/src/index.ts"></script>
    <script type="module">
      import * as bento from '${origin}/src/index.ts';
      window.bento = bento;
      try {
        bento.PyodideRuntime.configureDefault(${options});
        window.configured = 'yes';
      } catch (error) {
        window.configured = error.message;
      }
    </script>`;
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  const win = frame.contentWindow as BentoWindow & { configured?: string };
  const configured = await waitFor(() => win.configured, 'the page script never ran');
  if (configured !== 'yes') {
    frame.remove();
    throw new Error(`configureDefault threw: ${configured}`);
  }
  return { frame, win };
}

/** The values of column `name`, as JavaScript shows them. */
export function columnValues(table: ColumnTable, name: string): CellValue[] {
  const column = table.column(name);
  if (!column) throw new Error(`no column ${name} in ${table.columnNames.join(', ')}`);
  return Array.from({ length: table.numRows }, (_, row) => columnValue(column, row));
}

/**
 * What every upload test demands of its target: `stored` (read back in id order) holds exactly the source rows,
 * once each (their ids, and a checksum of every value).
 */
export function expectSameRows(stored: ColumnTable, source: ColumnTable): void {
  if (stored.numRows !== source.numRows) throw new Error(`rows in the target: expected ${source.numRows}, found ${stored.numRows}`);
  const [ids, sent] = [columnValues(stored, 'id'), columnValues(source, 'id')];
  const differs = ids.findIndex((id, row) => id !== sent[row]);
  if (differs >= 0) throw new Error(`each id once, none missing: row ${differs} holds id ${ids[differs]} where ${sent[differs]} was sent`);
  const difference = compareChecksums(tableChecksum(source), tableChecksum(stored));
  if (difference) throw new Error(`checksum of the target against the source: ${difference}`);
}

/**
 * The QueryError `promise` rejects with (fails the test when it resolves or rejects otherwise). Its message and
 * the server's message are added to `seen`, for a check that no credential ever shows.
 */
export async function queryFailure(promise: Promise<unknown>, seen: string[] = []): Promise<QueryError> {
  try {
    await promise;
  } catch (error) {
    seen.push((error as Error).message, (error as QueryError).detail?.serverMessage ?? '');
    if (!(error instanceof QueryError)) throw error;
    return error;
  }
  throw new Error('expected a failure');
}

/** The rows a data cell's table view shows, each as its cells' text (the row number left out). */
export function shownRows(cell: HTMLElement): string[][] {
  const view = cell.shadowRoot!.querySelector('bento-table-view');
  return [...(view?.shadowRoot?.querySelectorAll('tbody tr.row') ?? [])].map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent!.trim()));
}

/** A notebook cell's outputs as text: streams, results, and errors as `ename: evalue`. */
export function outputText(cell: BentoCell): string {
  return cell.outputs.outputs
    .map((o) => (o.output_type === 'stream' ? joinSource(o.text) : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : joinSource((o.data['text/plain'] as string) ?? '')))
    .join('');
}

/** An nbformat 4.5 notebook of code cells with these sources (ids c0, c1, ...), nothing run yet. */
export function codeNotebook(sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: sources.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, execution_count: null, outputs: [] })),
  };
}

/** Every element of a tree, through nested shadow roots. */
export function allElements(root: ParentNode): Element[] {
  const found: Element[] = [];
  for (const node of root.querySelectorAll('*')) {
    found.push(node);
    if (node.shadowRoot) found.push(...allElements(node.shadowRoot));
  }
  return found;
}

/**
 * A dedicated worker that opens `directory/name` in the origin-private file system through a sync access handle (an
 * exclusive lock, as a runtime reading or writing a snapshot holds it) and keeps it open until `release()`, which
 * closes the handle and resolves once it is closed (terminating the worker lets go of the lock only some time later,
 * so a next test could still find the file held). `create` makes the file (and folder) when missing.
 */
export async function holdFileExclusively(directory: string, name: string, { create = false } = {}): Promise<{ release(): Promise<void> }> {
  const source = `onmessage = async ({ data }) => {
    if (data === 'release') {
      self.held.close();
      postMessage('released');
      return;
    }
    const directory = await (await navigator.storage.getDirectory()).getDirectoryHandle(data.directory, { create: data.create });
    self.held = await (await directory.getFileHandle(data.name, { create: data.create })).createSyncAccessHandle();
    postMessage('held');
  };`;
  const holder = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
  try {
    await new Promise((resolve, reject) => {
      holder.onmessage = resolve;
      holder.onerror = reject;
      holder.postMessage({ directory, name, create });
    });
  } catch (error) {
    holder.terminate();
    throw error;
  }
  return {
    async release() {
      await new Promise((resolve) => {
        holder.onmessage = resolve;
        holder.postMessage('release');
      });
      holder.terminate();
    },
  };
}
