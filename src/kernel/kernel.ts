import type {
  CompleteReplyContent,
  ExecuteReply,
  InputRequestContent,
  InspectReplyContent,
  IOPubMessage,
  IsCompleteReplyContent,
  KernelInfo,
  KernelStatus,
} from './protocol.ts';
import type { ColumnTable } from '../data/table.ts';
import type { TableOptions } from './table-wire.ts';

/** A status change, with a sentence for the user when something happened to their state. */
export interface KernelStatusChange {
  status: KernelStatus;
  /** Set when the change is worth telling the user, e.g. "State was lost: the runtime was restarted". */
  message?: string;
  /** True when the session's variables were lost (worker terminated, crashed, or restarted). */
  stateLost?: boolean;
}

/** Startup progress for a progress bar: bytes while downloading, then phases. */
export interface StartupProgress {
  phase: 'download' | 'compile' | 'boot' | 'ready';
  /** Bytes received so far (download phase). */
  loaded?: number;
  /** Total bytes expected, when the server said (download phase). */
  total?: number;
  /** 0..1 overall estimate, monotonic. */
  fraction: number;
}

export interface ExecuteOptions {
  /** Every IOPub message of this execution, in order: status, execute_input, stream, display_data, ... */
  onIOPub?: (message: IOPubMessage) => void;
  /**
   * Answers `input()`. Without it, `input()` raises an error in Python (as Jupyter does with
   * allow_stdin=False). Rejecting cancels: the cell gets KeyboardInterrupt, as ipykernel's does when interrupted
   * while it waits for input.
   */
  onInput?: (request: InputRequestContent) => Promise<string> | string;
  /** Silent executions do not increment the count nor publish results. */
  silent?: boolean;
  storeHistory?: boolean;
}

export type Unsubscribe = () => void;

/**
 * One kernel session: the same interface for the serverless (Pyodide) kernel and a remote Jupyter kernel.
 * Shaped by the Jupyter messaging protocol 5.3, so its messages can be saved as notebook outputs.
 */
export interface Kernel {
  /** Jupyter session id; appears in every message header. */
  readonly session: string;
  /** Kernelspec-like name, e.g. `python-pyodide`. */
  readonly name: string;
  /** Human name for a selector, e.g. "Python (in browser)". */
  readonly displayName: string;
  readonly status: KernelStatus;
  /** Resolves once the kernel can execute. */
  ready(): Promise<KernelInfo>;
  onStatusChange(listener: (change: KernelStatusChange) => void): Unsubscribe;
  /** Start-up progress; a listener added while a start is under way hears how far it is at once. */
  onStartupProgress(listener: (progress: StartupProgress) => void): Unsubscribe;
  /** Runs code; streams IOPub messages to `options.onIOPub`; resolves with the execute_reply. Never hangs forever. */
  execute(code: string, options?: ExecuteOptions): Promise<ExecuteReply>;
  complete(code: string, cursorPos: number): Promise<CompleteReplyContent>;
  inspect(code: string, cursorPos: number, detailLevel?: 0 | 1): Promise<InspectReplyContent>;
  isComplete(code: string): Promise<IsCompleteReplyContent>;
  /**
   * Binds the Python variable `name` to `table`: a `pandas.DataFrame` when pandas is importable in the kernel,
   * otherwise Bento's small table object (`bento_table.Table`). Atomic: on any failure nothing is bound and the
   * promise rejects with a `TableError` (table-wire.ts) that says why. The table's buffers may be transferred
   * (detached) by the call. Waits for a running cell. Type mapping and the timestamp rule (tz-aware when the
   * column has a timezone, naive UTC otherwise): src/kernel/bento_table.py. With `{ value: true }` the table is
   * one JSON cell and `name` gets the value it holds (values.ts: `bindValue`).
   */
  inject(name: string, table: ColumnTable, options?: TableOptions): Promise<void>;
  /**
   * The table (pandas DataFrame or Series, or Bento table) bound to the Python variable `name`, as columns.
   * Rejects with a `TableError` when there is no such variable or it is not a table. With `{ value: true }`:
   * any JSON-able value, as one JSON cell (values.ts: `readValues`).
   */
  extract(name: string, options?: TableOptions): Promise<ColumnTable>;
  /** Stops the running execution with KeyboardInterrupt (or restarts the runtime where that is impossible). */
  interrupt(): Promise<void>;
  /** Clears this session's state: variables, history and execution count. */
  restart(): Promise<void>;
  shutdown(): Promise<void>;
}
