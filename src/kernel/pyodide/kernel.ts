import * as Comlink from 'comlink';
import type { ColumnTable } from '../../data/table.ts';
import type { ExecuteOptions, Kernel, KernelStatusChange, StartupProgress, Unsubscribe } from '../kernel.ts';
import {
  makeMessage,
  newId,
  type CompleteReplyContent,
  type ExecuteReply,
  type ExecuteReplyContent,
  type InspectReplyContent,
  type IOPubMessage,
  type IsCompleteReplyContent,
  type KernelInfo,
  type KernelStatus,
  type MessageHeader,
} from '../protocol.ts';
import { Listeners } from '../listeners.ts';
import { failedExecution } from '../replies.ts';
import { checkTableShape, checkVariableName, extractError, injectError, transferables, type TableOptions } from '../table-wire.ts';
import { PyodideRuntime, RuntimeDiedError, type RuntimeEvent } from './runtime.ts';
import type { InjectRequest } from './worker-api.ts';

export interface PyodideKernelOptions {
  /**
   * Session name. Kernels that name the same session share one Python namespace (a docs page whose cells
   * build on each other); by default every kernel gets its own.
   */
  session?: string;
  /** The runtime to run in; default: the page's shared runtime. */
  runtime?: PyodideRuntime;
}

/**
 * The serverless kernel: one Python namespace in a Pyodide runtime that runs in a worker. Speaks the
 * Jupyter messaging protocol, so its messages are the ones a Jupyter kernel would send.
 */
export class PyodideKernel implements Kernel {
  readonly name = 'python-pyodide';
  readonly displayName = 'Python (in browser)';
  readonly session: string;
  readonly runtime: PyodideRuntime;
  private readonly statusListeners = new Listeners<KernelStatusChange>();
  private readonly progressListeners = new Listeners<StartupProgress>();
  private readonly running = new Set<string>();
  private readonly unsubscribeRuntime: () => void;
  private currentStatus: KernelStatus = 'unknown';
  private isShutdown = false;

  constructor(options: PyodideKernelOptions = {}) {
    this.session = options.session ?? newId();
    this.runtime = options.runtime ?? PyodideRuntime.default();
    this.unsubscribeRuntime = this.runtime.subscribe((event) => this.onRuntimeEvent(event));
    if (this.runtime.state === 'ready') this.currentStatus = 'idle';
    else if (this.runtime.state === 'starting') this.currentStatus = 'starting';
  }

  get status(): KernelStatus {
    return this.currentStatus;
  }

  onStatusChange(listener: (change: KernelStatusChange) => void): Unsubscribe {
    return this.statusListeners.add(listener);
  }

  onStartupProgress(listener: (progress: StartupProgress) => void): Unsubscribe {
    // A runtime started before this listener came (as the page's bundle ran) reports how far it is at once.
    if (this.runtime.state === 'starting') listener(this.runtime.progress);
    return this.progressListeners.add(listener);
  }

  async ready(): Promise<KernelInfo> {
    this.assertUsable();
    const info = await this.runtime.start();
    return {
      protocol_version: '5.3',
      implementation: 'bento-pyodide',
      implementation_version: info.pyodideVersion,
      language_info: {
        name: 'python',
        version: info.pythonVersion,
        mimetype: 'text/x-python',
        file_extension: '.py',
        pygments_lexer: 'ipython3',
        codemirror_mode: { name: 'ipython', version: 3 },
      },
      banner: `Python ${info.pythonVersion} on Pyodide ${info.pyodideVersion}, in a Web Worker`,
    };
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteReply> {
    this.assertUsable();
    const silent = options.silent ?? false;
    const request = makeMessage(
      'execute_request',
      { code, silent, store_history: options.storeHistory ?? !silent, user_expressions: {}, allow_stdin: Boolean(options.onInput), stop_on_error: true },
      { session: this.session, channel: 'shell' },
    );
    const parent = request.header;
    const publish = (msgType: string, content: unknown) => {
      options.onIOPub?.(makeMessage(msgType, content, { session: this.session, channel: 'iopub', parent }) as IOPubMessage);
    };
    const execId = parent.msg_id;
    this.running.add(execId);
    // A run asked for while the runtime starts leaves the kernel `starting` (it turns busy once ready): what waits for
    // the start (a SQL cell's idle DuckDB, a magic cell's chunk) must not take it for started.
    if (this.currentStatus !== 'starting') this.setStatus({ status: 'busy' });
    publish('status', { execution_state: 'busy' });
    let content: ExecuteReplyContent;
    try {
      const json = await this.runtime.execute(
        { sessionId: this.session, execId, code, silent, storeHistory: options.storeHistory ?? !silent, allowStdin: Boolean(options.onInput) },
        (msgType, contentJson) => publish(msgType, JSON.parse(contentJson)),
        async (prompt, password) => options.onInput!({ prompt, password }),
      );
      content = parseReply(json, this.runtime);
    } catch (error) {
      const ename =
        error instanceof RuntimeDiedError ? (error.reason === 'interrupted' ? 'KeyboardInterrupt' : 'DeadKernelError') : 'KernelError';
      content = failedExecution(error, publish, ename);
    } finally {
      this.running.delete(execId);
    }
    publish('status', { execution_state: 'idle' });
    if (this.running.size === 0 && this.currentStatus === 'busy') this.setStatus({ status: 'idle' });
    return this.reply(content, parent);
  }

  async complete(code: string, cursorPos: number): Promise<CompleteReplyContent> {
    this.assertUsable();
    return JSON.parse(await this.runtime.call((api) => api.complete(this.session, code, cursorPos)));
  }

  async inspect(code: string, cursorPos: number, detailLevel: 0 | 1 = 0): Promise<InspectReplyContent> {
    this.assertUsable();
    return JSON.parse(await this.runtime.call((api) => api.inspect(this.session, code, cursorPos, detailLevel)));
  }

  /** Bytes of the runtime's WebAssembly heap now (one heap for every session on the runtime). */
  heapBytes(): Promise<number> {
    return this.runtime.call((api) => api.heapBytes());
  }

  async isComplete(code: string): Promise<IsCompleteReplyContent> {
    this.assertUsable();
    return JSON.parse(await this.runtime.call((api) => api.isComplete(code)));
  }

  /**
   * Binds `name` in this session to `table`. The columns' buffers are transferred to the worker (the table is
   * unusable afterwards), laid out there for Python and copied once into Python memory; the worker takes the
   * request in turn with executions, so it waits for a running cell.
   */
  async inject(name: string, table: ColumnTable, options: TableOptions = {}): Promise<void> {
    this.assertUsable();
    checkVariableName(name);
    try {
      checkTableShape(table.columns, table.numRows);
    } catch (error) {
      throw injectError(name, error);
    }
    const request: InjectRequest = {
      sessionId: this.session,
      name,
      numRows: table.numRows,
      schema: JSON.stringify(table.schema),
      value: options.value,
      arrays: table.columns.map(({ values, offsets, valid }) => ({ values, offsets, valid })),
    };
    try {
      await this.runtime.call((api) => api.inject(Comlink.transfer(request, transferables(table.columns))));
    } catch (error) {
      if (error instanceof RuntimeDiedError) throw error;
      throw injectError(name, error);
    }
  }

  async extract(name: string, options: TableOptions = {}): Promise<ColumnTable> {
    this.assertUsable();
    checkVariableName(name);
    try {
      const { header, buffers } = await this.runtime.call((api) => api.extract(this.session, name, Boolean(options.value)));
      const { fromWire } = await import('../from-wire.ts');
      return fromWire(JSON.parse(header), buffers);
    } catch (error) {
      if (error instanceof RuntimeDiedError) throw error;
      throw extractError(name, error, options);
    }
  }

  async interrupt(): Promise<void> {
    for (const execId of [...this.running]) {
      const outcome = await this.runtime.interrupt(execId);
      if (outcome.result === 'impossible') {
        this.setStatus({
          status: 'busy',
          message:
            'This cell cannot be interrupted: the Python runtime is shared across tabs (SharedWorker mode), which ' +
            'browsers give no way to stop. Close every tab of this site to stop it.',
        });
      }
    }
  }

  async restart(): Promise<void> {
    this.assertUsable();
    this.setStatus({ status: 'restarting' });
    if (this.running.size > 0) await this.interrupt();
    if (this.runtime.state === 'dead') await this.runtime.start();
    else await this.runtime.call((api) => api.resetSession(this.session));
    this.setStatus({ status: 'idle', message: 'Kernel restarted: variables and history were cleared.', stateLost: true });
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    this.isShutdown = true;
    this.unsubscribeRuntime();
    if (this.runtime.state === 'ready') await this.runtime.call((api) => api.dropSession(this.session)).catch(() => {});
    this.setStatus({ status: 'dead', message: 'Kernel shut down.' });
    this.statusListeners.clear();
    this.progressListeners.clear();
  }

  private reply(content: ExecuteReplyContent, parent: MessageHeader): ExecuteReply {
    return makeMessage('execute_reply', content, { session: this.session, channel: 'shell', parent });
  }

  private assertUsable(): void {
    if (this.isShutdown) throw new Error('This kernel was shut down; create a new one.');
  }

  private setStatus(change: KernelStatusChange): void {
    this.currentStatus = change.status;
    this.statusListeners.emit(change);
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    if (event.type === 'progress') {
      this.progressListeners.emit(event.progress);
      return;
    }
    switch (event.state) {
      case 'starting':
        this.setStatus({ status: 'starting' });
        break;
      case 'ready':
        this.setStatus({ status: this.running.size > 0 ? 'busy' : 'idle' });
        break;
      case 'dead':
        this.setStatus({ status: 'dead', message: event.message, stateLost: event.stateLost });
        break;
      case 'stopped':
        break;
    }
  }
}

/** A reply that is not JSON means the runtime's memory is corrupt: replace it rather than trust it again. */
function parseReply(json: string, runtime: PyodideRuntime): ExecuteReplyContent {
  try {
    return JSON.parse(json) as ExecuteReplyContent;
  } catch {
    const message = 'The Python runtime returned a corrupted reply and was restarted. Its state is lost.';
    runtime.replace(message);
    throw new RuntimeDiedError(message);
  }
}
