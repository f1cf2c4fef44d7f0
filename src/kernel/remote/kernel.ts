import type { ColumnTable } from '../../data/table.ts';
import type { ExecuteOptions, Kernel, KernelStatusChange, StartupProgress, Unsubscribe } from '../kernel.ts';
import {
  makeMessage,
  newId,
  type CompleteReplyContent,
  type ExecuteReply,
  type ExecuteReplyContent,
  type InputRequestContent,
  type InspectReplyContent,
  type IOPubMessage,
  type IsCompleteReplyContent,
  type JSONObject,
  type KernelInfo,
  type KernelStatus,
  type Message,
  type MessageHeader,
} from '../protocol.ts';
import { Listeners } from '../listeners.ts';
import { failedExecution } from '../replies.ts';
import { fromWire } from '../from-wire.ts';
import { checkVariableName, extractError, injectError, TableError, type TableOptions, type WireHeader, type WireTable } from '../table-wire.ts';
import { toWire } from '../to-wire.ts';
import { readFrame, serializeBinaryMessage } from './frames.ts';
import { JupyterServer, JupyterServerError, type JupyterServerOptions } from './server.ts';
import { planChunks, TABLE_COMM_TARGET, tableSetupCode } from './table-comm.ts';

export interface RemoteKernelOptions {
  /** The Jupyter Server (URL and token from the host page). */
  server: JupyterServer | JupyterServerOptions;
  /** Kernelspec to start; default `python3`. */
  kernelName?: string;
  /**
   * Attach to this running kernel instead of starting one (a reloaded page finding its kernel again). If the server no
   * longer has it (restarted, or it culled idle kernels), a new kernel of `kernelName` starts and the status says so.
   */
  kernelId?: string;
  /** Reconnection after a dropped WebSocket: attempts and delays (doubling). */
  reconnect?: { attempts?: number; firstDelayMs?: number; maxDelayMs?: number };
  /** Milliseconds a complete/inspect/is_complete/kernel_info request may take. Default 20 s. */
  requestTimeoutMs?: number;
  /** While something is pending, how often to check that the kernel still exists on the server. Default 2 s. */
  healthCheckMs?: number;
  /**
   * Milliseconds without a word about a cell sent to the kernel (not even that it started) before the status says
   * the server is slow to answer. Default 3 s.
   */
  slowAnswerMs?: number;
}

interface Pending {
  kind: 'execute' | 'request';
  onIOPub?: (message: IOPubMessage) => void;
  onInput?: ExecuteOptions['onInput'];
  reply?: Message;
  idle: boolean;
  /** A frame that could not be read arrived while this was pending: it may have been this one's reply. */
  missedFrame?: boolean;
  /** For an execute_request: when it was sent, and whether anything about it came back yet. */
  sentAt?: number;
  heard?: boolean;
  /** The status said the server was slow to answer this one. */
  slowSaid?: boolean;
  resolve: (reply: Message) => void;
  reject: (error: Error) => void;
}

/** Someone waiting on a comm of ours: the kernel's comm_msg/comm_close for it, and the status of our messages. */
interface CommWaiter {
  onMessage(message: Message): void;
  fail(error: Error): void;
}

/** A request was lost because the kernel restarted under it (another client asked for the restart). */
class KernelRestartedError extends JupyterServerError {}

/** A request's reply never arrived in a form that could be read. */
class LostReplyError extends JupyterServerError {}

/** What a table comm ended with: the kernel's reply, or nothing because the kernel does not know the target. */
type CommOutcome = { reply: Message } | { unregistered: true };

/** How long a kernel process that got a shutdown_request may still answer requests before it exits. */
const OLD_PROCESS_EXIT_MS = 2_000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A kernel on a Jupyter Server: REST for its lifecycle, the kernel channels WebSocket for messages. Same
 * interface and same messages as the serverless kernel, so the rest of the page does not change.
 */
export class RemoteKernel implements Kernel {
  readonly session = newId();
  readonly server: JupyterServer;
  readonly name: string;
  displayName: string;
  private readonly statusListeners = new Listeners<KernelStatusChange>();
  private readonly pending = new Map<string, Pending>();
  private readonly reconnect: Required<NonNullable<RemoteKernelOptions['reconnect']>>;
  private readonly requestTimeoutMs: number;
  private currentStatus: KernelStatus = 'unknown';
  private kernelId?: string;
  /** The kernel `kernelId` asked to attach to, until the first start tried it. */
  private attachTo?: string;
  private socket?: WebSocket;
  private starting?: Promise<KernelInfo>;
  private closing = false;
  private readonly healthCheckMs: number;
  private readonly slowAnswerMs: number;
  private healthTimer?: ReturnType<typeof setInterval>;
  private healthFailures = 0;
  /** Set when the kernel was seen (re)starting without our asking: nudge before the next request. */
  private restartedElsewhere = false;
  private lastShutdownStatusAt = 0;
  /** Our own restart is under way: the shutdown and start it causes are expected. */
  private restartInFlight = false;
  /** How many times Interrupt was asked for: a cell asked for before one is not sent again after it (sendExecute). */
  private interrupts = 0;
  /** The comm target for tables, registered in the current kernel process (undefined: not yet, or restarted). */
  private tableSetup?: Promise<void>;
  private readonly comms = new Map<string, CommWaiter>();
  /** msg_id of each comm message we sent -> its comm_id, to route the kernel's status for it. */
  private readonly commMessages = new Map<string, string>();

  constructor(options: RemoteKernelOptions) {
    this.server = options.server instanceof JupyterServer ? options.server : new JupyterServer(options.server);
    this.name = options.kernelName ?? 'python3';
    this.displayName = this.name;
    this.kernelId = this.attachTo = options.kernelId;
    this.reconnect = { attempts: 6, firstDelayMs: 250, maxDelayMs: 4000, ...options.reconnect };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    this.healthCheckMs = options.healthCheckMs ?? 2_000;
    this.slowAnswerMs = options.slowAnswerMs ?? 3_000;
  }

  get status(): KernelStatus {
    return this.currentStatus;
  }

  /** The server's id of this kernel, once started. */
  get id(): string | undefined {
    return this.kernelId;
  }

  onStatusChange(listener: (change: KernelStatusChange) => void): Unsubscribe {
    return this.statusListeners.add(listener);
  }

  onStartupProgress(_listener: (progress: StartupProgress) => void): Unsubscribe {
    // A server kernel starts on the server: there are no bytes to report.
    return () => {};
  }

  ready(): Promise<KernelInfo> {
    if (this.closing) return Promise.reject(new Error('This kernel was shut down; create a new one.'));
    if (!this.starting || this.currentStatus === 'dead') {
      this.starting = this.start();
      this.starting.catch(() => {});
    }
    return this.starting;
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteReply> {
    const silent = options.silent ?? false;
    const request = makeMessage(
      'execute_request',
      { code, silent, store_history: options.storeHistory ?? !silent, user_expressions: {}, allow_stdin: Boolean(options.onInput), stop_on_error: true },
      { session: this.session, channel: 'shell' },
    );
    const interrupts = this.interrupts;
    try {
      await this.ready();
      await this.settleAfterForeignRestart();
      return (await this.sendExecute(request, { kind: 'execute', onIOPub: options.onIOPub, onInput: options.onInput }, interrupts)) as ExecuteReply;
    } catch (error) {
      const content: ExecuteReplyContent = failedExecution(
        error,
        (msgType, content) =>
          options.onIOPub?.(makeMessage(msgType, content, { session: this.session, channel: 'iopub', parent: request.header }) as IOPubMessage),
        error instanceof LostReplyError ? 'KernelError' : undefined,
      );
      return makeMessage('execute_reply', content, { session: this.session, channel: 'shell', parent: request.header });
    }
  }

  async complete(code: string, cursorPos: number): Promise<CompleteReplyContent> {
    return (await this.shellRequest('complete_request', { code, cursor_pos: cursorPos })).content as unknown as CompleteReplyContent;
  }

  async inspect(code: string, cursorPos: number, detailLevel: 0 | 1 = 0): Promise<InspectReplyContent> {
    return (await this.shellRequest('inspect_request', { code, cursor_pos: cursorPos, detail_level: detailLevel })).content as unknown as InspectReplyContent;
  }

  async isComplete(code: string): Promise<IsCompleteReplyContent> {
    return (await this.shellRequest('is_complete_request', { code })).content as unknown as IsCompleteReplyContent;
  }

  /**
   * Binds `name` in the kernel to `table`, a pandas DataFrame there (a Bento table without pandas). The columns
   * travel as binary buffers of a comm (see table-comm.ts); the kernel takes the comm in turn with executions.
   */
  async inject(name: string, table: ColumnTable, options: TableOptions = {}): Promise<void> {
    checkVariableName(name);
    let wire: WireTable;
    try {
      wire = toWire(table.columns, table.numRows, options);
    } catch (error) {
      throw injectError(name, error);
    }
    const reply = await this.tableRequest({ op: 'inject', name, header: wire.header as unknown as JSONObject }, wire.buffers);
    const data = (reply.content as { data?: { status?: string; message?: string } }).data ?? {};
    if (data.status !== 'ok') throw injectError(name, data.message ?? 'the kernel did not say why');
  }

  async extract(name: string, options: TableOptions = {}): Promise<ColumnTable> {
    checkVariableName(name);
    const reply = await this.tableRequest({ op: 'extract', name, value: Boolean(options.value) });
    const data = (reply.content as { data?: { status?: string; message?: string; header?: WireHeader } }).data ?? {};
    if (data.status !== 'ok' || !data.header) throw extractError(name, data.message ?? 'the kernel did not say why', options);
    try {
      return fromWire(data.header, (reply.buffers ?? []).map((buffer) => new Uint8Array(buffer)));
    } catch (error) {
      throw extractError(name, error, options);
    }
  }

  async interrupt(): Promise<void> {
    this.interrupts++;
    if (this.kernelId) await this.server.interruptKernel(this.kernelId);
  }

  async restart(): Promise<void> {
    this.tableSetup = undefined;
    if (!this.kernelId || this.currentStatus === 'dead') {
      this.kernelId = undefined;
      this.starting = undefined;
      await this.ready();
      this.setStatus({ status: 'idle', message: 'Started a new kernel: variables and history are fresh.', stateLost: true });
      return;
    }
    this.setStatus({ status: 'restarting' });
    this.restartInFlight = true;
    try {
      await this.server.restartKernel(this.kernelId);
      await this.nudge();
    } finally {
      this.restartInFlight = false;
    }
    this.setStatus({ status: 'idle', message: 'Kernel restarted: variables and history were cleared.', stateLost: true });
  }

  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.healthTimer);
    this.socket?.close();
    this.failPending(new JupyterServerError('The kernel was shut down.'));
    if (this.kernelId) await this.server.shutdownKernel(this.kernelId).catch(() => {});
    this.setStatus({ status: 'dead', message: 'Kernel shut down.' });
    this.statusListeners.clear();
  }

  private async start(): Promise<KernelInfo> {
    this.setStatus({ status: 'starting' });
    this.tableSetup = undefined;
    try {
      let found = this.kernelId;
      const asked = found !== undefined && found === this.attachTo;
      this.attachTo = undefined;
      const busy = async () => (await this.server.getKernel(found!)).execution_state === 'busy';
      let running = false;
      let gone = false;
      if (found) {
        try {
          running = await busy();
        } catch (error) {
          // Only the kernel the page was asked to attach to is replaced by itself; one that died under this page
          // stays dead until Restart, so that a person knows its variables went.
          if (!asked || !(error instanceof JupyterServerError) || error.status !== 404) throw error;
          gone = true;
          found = undefined;
        }
      }
      if (!found) this.kernelId = (await this.server.startKernel(this.name)).id;
      const specs = await this.server.kernelspecs().catch(() => undefined);
      this.displayName = specs?.kernelspecs[this.name]?.spec.display_name ?? this.name;
      await this.connect();
      // A kernel attached to mid-run (a reloaded page finding its kernel again) answers kernel_info only once that run
      // ends, however long it takes: wait for it as busy, not declare the kernel dead after requestTimeoutMs.
      const info = async (wait = running): Promise<KernelInfo> => {
        if (running) this.setStatus({ status: 'busy', message: `Attached again to the running kernel ${this.displayName}: it is still running a cell from before, and the next runs wait for it.` });
        return (await this.request('kernel_info_request', {}, wait ? 0 : undefined)).content as unknown as KernelInfo;
      };
      let answer: KernelInfo;
      try {
        answer = await info();
      } catch (error) {
        // A kernel found again that was idle a moment ago may have been between two steps of its run, or slow to
        // answer on a loaded machine. The server still has it (busy() throws if not): it is slow, not dead, so its
        // answer is waited for. The health check still calls it dead if the server loses it meanwhile.
        if (!found || !(error instanceof JupyterServerError) || !/did not answer/.test(error.message)) throw error;
        running = await busy();
        answer = await info(true);
      }
      if (gone) this.setStatus({ status: 'idle', message: `The kernel this page ran on is no longer on the Jupyter Server (restarted, or it shut the kernel down), so a new ${this.displayName} kernel started: variables are fresh.`, stateLost: true });
      else if (found) this.setStatus({ status: 'idle', message: `Attached again to the running kernel ${this.displayName}: its variables are kept.` });
      else this.setStatus({ status: 'idle' });
      return answer;
    } catch (error) {
      // The WebSocket this attempt opened goes with it, as ours: the next attempt opens one with the same session id,
      // the server then closes this one as stale, and that close must not be taken for a drop to reconnect after.
      const socket = this.socket;
      this.socket = undefined;
      socket?.close();
      this.setStatus({ status: 'dead', message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.server.channelsUrl(this.kernelId!, this.session));
      // Messages with buffers (a table coming back) arrive as binary frames; everything else as JSON text.
      socket.binaryType = 'arraybuffer';
      let opened = false;
      socket.onopen = () => {
        opened = true;
        this.socket = socket;
        resolve();
      };
      socket.onmessage = (event) => {
        let message: Message;
        try {
          message = readFrame(event.data);
        } catch (error) {
          this.skipUnreadableFrame(error);
          return;
        }
        this.route(message);
      };
      socket.onclose = () => {
        if (!opened) {
          const cookie = this.server.cookieLogin
            ? " It signs in with the server's login cookie (cookieLogin), which the browser keeps only from a server on this page's site, or from one that sets it Partitioned."
            : '';
          reject(new JupyterServerError(`Could not open the kernel's WebSocket at ${this.server.displayUrl}.${cookie}`));
          return;
        }
        if (this.socket === socket && !this.closing) void this.reconnectAfterDrop();
      };
    });
  }

  /**
   * The WebSocket dropped. The server keeps running the kernel and buffers its messages for this session, so
   * reconnecting with the same session id delivers what was missed: nothing in flight is lost or sent twice.
   */
  private async reconnectAfterDrop(): Promise<void> {
    this.socket = undefined;
    // What we sent may not have reached the server; a table comm would then wait forever.
    this.failComms(
      new JupyterServerError('The connection to the Jupyter Server dropped while a table was in transit; it may not have been bound. Try again.'),
    );
    this.setStatus({ status: 'disconnected', message: `Lost the connection to the Jupyter Server at ${this.server.displayUrl}; reconnecting…` });
    let wait = this.reconnect.firstDelayMs;
    for (let attempt = 0; attempt < this.reconnect.attempts && !this.closing; attempt++) {
      await delay(wait);
      if (attempt === 0) this.setStatus({ status: 'reconnecting' });
      wait = Math.min(wait * 2, this.reconnect.maxDelayMs);
      try {
        await this.server.getKernel(this.kernelId!);
      } catch (error) {
        if (error instanceof JupyterServerError && error.status === 404) {
          return this.declareDead('The kernel is gone: the Jupyter Server restarted or shut it down. Its state is lost; restart to start a new kernel.');
        }
        continue;
      }
      try {
        await this.connect();
        this.setStatus({ status: 'idle', message: 'Reconnected to the Jupyter Server.' });
        return;
      } catch {
        // try again
      }
    }
    this.declareDead(`Lost the connection to the Jupyter Server at ${this.server.displayUrl} and could not reconnect. Restart to try again.`);
  }

  /**
   * A frame that is no Jupyter message (a proxy that truncates or mangles frames) is reported and skipped: the
   * connection stays up, and an execution whose reply it may have been ends with an error instead of waiting forever.
   */
  private skipUnreadableFrame(error: unknown): void {
    for (const pending of this.pending.values()) {
      // The idle status may have come first (IOPub and shell are separate streams); then nothing else will arrive.
      if (pending.idle && !pending.reply && !pending.missedFrame) this.endIfReplyLost(pending);
      pending.missedFrame = true;
    }
    const reason = error instanceof Error ? error.message : String(error);
    this.setStatus({
      status: this.currentStatus,
      message: `The Jupyter Server at ${this.server.displayUrl} sent a message Bento could not read (${reason}); it was skipped.`,
    });
  }

  private declareDead(message: string): void {
    this.setStatus({ status: 'dead', message, stateLost: true });
    this.failPending(new JupyterServerError(message));
  }

  private failPending(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.failComms(error);
    this.watchHealth();
  }

  private failComms(error: Error): void {
    for (const waiter of [...this.comms.values()]) waiter.fail(error);
    this.comms.clear();
    this.commMessages.clear();
  }

  /**
   * A kernel shut down or a server killed does not always close the WebSocket, and then no message would ever
   * come. While anything is pending, ask the server now and then whether the kernel still exists.
   */
  private watchHealth(): void {
    if ((this.pending.size === 0 && this.comms.size === 0) || this.closing) {
      clearInterval(this.healthTimer);
      this.healthTimer = undefined;
      return;
    }
    this.healthTimer ??= setInterval(async () => {
      if (!this.kernelId || this.currentStatus === 'reconnecting' || this.currentStatus === 'disconnected') return;
      try {
        await this.server.getKernel(this.kernelId);
        this.healthFailures = 0;
      } catch (error) {
        if (error instanceof JupyterServerError && error.status === 404) {
          this.declareDead('The kernel is gone: the Jupyter Server restarted or shut it down. Its state is lost; restart to start a new kernel.');
        } else if (++this.healthFailures >= 3) {
          this.declareDead(`The Jupyter Server at ${this.server.displayUrl} stopped answering. Restart to try again.`);
        }
      }
    }, this.healthCheckMs);
  }

  private async shellRequest(msgType: string, content: JSONObject): Promise<Message> {
    await this.ready();
    return this.request(msgType, content);
  }

  /** A shell request on the open connection (start() uses it before ready() can resolve). */
  private request(msgType: string, content: JSONObject, timeoutMs = this.requestTimeoutMs): Promise<Message> {
    const request = makeMessage(msgType, content, { session: this.session, channel: 'shell' });
    return this.send(request, { kind: 'request' }, timeoutMs);
  }

  /**
   * Right after a restart a request can fall between the old kernel process and the new one, and then never
   * gets an answer. Ask for kernel_info until one comes (as Jupyter's own clients "nudge" a kernel).
   */
  private async nudge(): Promise<void> {
    const deadline = Date.now() + this.requestTimeoutMs;
    for (;;) {
      try {
        // Wait for the idle status too: IOPub reconnects to the new process separately, and until it does the
        // outputs of a cell would be lost (ZeroMQ's "slow joiner").
        const request = makeMessage('kernel_info_request', {}, { session: this.session, channel: 'shell' });
        await this.send(request, { kind: 'execute' }, 2_000);
        return;
      } catch (error) {
        // A socket that dropped while the kernel restarted is reconnecting: ask again once it is back.
        if (Date.now() > deadline || !(error instanceof JupyterServerError) || !/did not answer|^Not connected/.test(error.message)) throw error;
        if (error.message.startsWith('Not connected')) await delay(100);
      }
    }
  }

  /**
   * After a restart by another client, waits until the new kernel process answers. The old process keeps
   * answering for a while after its shutdown_request (seen: 0.7 s), and a request it takes is lost with it,
   * so an answer counts only once the old process has had time to exit.
   */
  private async settleAfterForeignRestart(): Promise<void> {
    if (!this.restartedElsewhere) return;
    this.restartedElsewhere = false;
    for (;;) {
      await this.nudge();
      if (Date.now() - this.lastShutdownStatusAt > OLD_PROCESS_EXIT_MS) return;
      await delay(250);
    }
  }

  /** Sends a message: JSON text, or a binary frame when it carries buffers. Throws when not connected. */
  private sendMessage(message: Message, buffers: readonly Uint8Array[] = []): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) throw new JupyterServerError(`Not connected to the Jupyter Server at ${this.server.displayUrl}.`);
    socket.send(buffers.length ? serializeBinaryMessage(message, buffers) : JSON.stringify(message));
  }

  /** Registers the table comm target in this kernel process, once (again after a restart). */
  private prepareTables(): Promise<void> {
    if (!this.tableSetup) {
      const setup = (async () => {
        // Sent as is (not through execute(), which turns failures into replies): a restart under it must
        // reach tableRequest as a KernelRestartedError.
        const request = makeMessage(
          'execute_request',
          { code: tableSetupCode(), silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
          { session: this.session, channel: 'shell' },
        );
        const reply = (await this.sendExecute(request, { kind: 'execute' })) as ExecuteReply;
        if (reply.content.status !== 'ok') {
          const content = reply.content as { ename?: string; evalue?: string };
          throw new TableError(`The kernel could not load Bento's table support (${content.ename ?? 'error'}: ${content.evalue ?? reply.content.status}).`);
        }
      })();
      this.tableSetup = setup;
      setup.catch(() => {
        if (this.tableSetup === setup) this.tableSetup = undefined;
      });
    }
    return this.tableSetup;
  }

  /**
   * One table operation over a fresh comm; resolves with the kernel's reply (a comm_msg). A kernel that
   * answers without replying has lost the target (restarted behind our back): register again, try once more.
   */
  private async tableRequest(data: JSONObject, buffers: readonly Uint8Array[] = []): Promise<Message> {
    await this.ready();
    await this.settleAfterForeignRestart();
    for (let attempt = 0; ; attempt++) {
      let outcome: CommOutcome;
      try {
        await this.prepareTables();
        outcome = await this.openTableComm(data, buffers);
      } catch (error) {
        // Nothing was bound in a process that is gone: try once more in the new one.
        if (!(error instanceof KernelRestartedError) || attempt > 0) throw error;
        await this.settleAfterForeignRestart();
        continue;
      }
      if ('reply' in outcome) return outcome.reply;
      this.tableSetup = undefined;
      if (attempt > 0) throw new TableError('The kernel closed the table channel without answering, even after Bento registered it again.');
    }
  }

  private openTableComm(data: JSONObject, buffers: readonly Uint8Array[]): Promise<CommOutcome> {
    return new Promise<CommOutcome>((resolve, reject) => {
      const commId = newId();
      const chunks = planChunks(buffers);
      const sizes = buffers.map((b) => b.byteLength);
      const messages = chunks.map((chunk, i) => {
        const done = i === chunks.length - 1;
        return i === 0
          ? makeMessage('comm_open', { comm_id: commId, target_name: TABLE_COMM_TARGET, data: { ...data, sizes, pieces: chunk.pieces, done } }, { session: this.session, channel: 'shell' })
          : makeMessage('comm_msg', { comm_id: commId, data: { pieces: chunk.pieces, done } }, { session: this.session, channel: 'shell' });
      });
      const lastId = messages[messages.length - 1].header.msg_id;
      let reply: Message | undefined;
      const finish = () => {
        this.comms.delete(commId);
        for (const message of messages) this.commMessages.delete(message.header.msg_id);
        this.watchHealth();
      };
      this.comms.set(commId, {
        onMessage: (message) => {
          const type = message.header.msg_type;
          const idle =
            type === 'status' &&
            (message.content as { execution_state?: string }).execution_state === 'idle' &&
            (message.parent_header as MessageHeader).msg_id === lastId;
          if (type === 'comm_msg' && !reply) {
            reply = message;
            finish();
            resolve({ reply });
          } else if (type === 'comm_close' || idle) {
            // Replies are published before the close and before the kernel goes idle: none means no target.
            finish();
            resolve(reply ? { reply } : { unregistered: true });
          }
        },
        fail: (error) => {
          finish();
          reject(error);
        },
      });
      for (const message of messages) this.commMessages.set(message.header.msg_id, commId);
      try {
        messages.forEach((message, i) => this.sendMessage(message, chunks[i].bytes));
      } catch (error) {
        finish();
        reject(error);
        return;
      }
      this.watchHealth();
    });
  }

  /**
   * Sends an execute_request, and sends it again when ipykernel aborted it although no execution of ours was ahead
   * of it. After a cell fails, ipykernel aborts every execute_request that reaches it before it has finished
   * aborting its queue, even one sent after the failure's reply came back (ipython/ipykernel#609). On a loaded
   * machine the next cell of a Run All was lost that way, or the table setup of a `%%sql` cell run right after a
   * failed one. A request that was queued behind a failing one of ours stays aborted, as Run All wants, and so does
   * one the person interrupted since it was asked for (`interrupts`, this.interrupts then).
   */
  private async sendExecute(request: Message, handlers: Pick<Pending, 'kind' | 'onIOPub' | 'onInput'>, interrupts = this.interrupts): Promise<Message> {
    // ipykernel's window is one turn of its event loop by default; a host may widen it (stop_on_error_timeout).
    const waits = [0, 100, 1000];
    for (let attempt = 0; ; attempt++) {
      const behindOurs = [...this.pending.values()].some((pending) => pending.kind === 'execute');
      const reply = await this.send(request, handlers);
      if ((reply.content as { status?: string }).status !== 'aborted' || behindOurs || attempt === waits.length) return reply;
      await delay(waits[attempt]);
      if (this.interrupts !== interrupts) return reply;
      request = makeMessage('execute_request', request.content, { session: this.session, channel: 'shell' });
    }
  }

  private send(request: Message, handlers: Pick<Pending, 'kind' | 'onIOPub' | 'onInput'>, timeoutMs?: number): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      const socket = this.socket;
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        reject(new JupyterServerError(`Not connected to the Jupyter Server at ${this.server.displayUrl}.`));
        return;
      }
      const id = request.header.msg_id;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let slowTimer: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        clearTimeout(timer);
        clearTimeout(slowTimer);
        this.pending.delete(id);
        this.watchHealth();
      };
      const isCell = request.header.msg_type === 'execute_request';
      this.pending.set(id, {
        ...handlers,
        ...(isCell ? { sentAt: Date.now(), heard: false } : {}),
        idle: false,
        resolve: (reply) => {
          settle();
          resolve(reply);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      if (timeoutMs) {
        timer = setTimeout(
          () => this.pending.get(id)?.reject(new JupyterServerError(`The kernel did not answer ${request.header.msg_type} within ${Math.round(timeoutMs / 1000)} s.`)),
          timeoutMs,
        );
      }
      socket.send(JSON.stringify(request));
      if (isCell) slowTimer = setTimeout(() => this.sayIfSlow(id), this.slowAnswerMs);
      this.watchHealth();
    });
  }

  /**
   * A cell sent a while ago and not a word back, not even that it started: without this the page would show an
   * idle kernel and a cell that waits for nothing it can name. A cell of ours sent earlier and still running
   * explains the wait by itself.
   */
  private sayIfSlow(id: string): void {
    const pending = this.pending.get(id);
    if (!pending || pending.heard || !this.socket) return;
    for (const [otherId, other] of this.pending) {
      if (otherId !== id && other.sentAt !== undefined && other.sentAt <= pending.sentAt!) return;
    }
    pending.slowSaid = true;
    const seconds = Math.round((Date.now() - pending.sentAt!) / 1000);
    this.setStatus({
      status: 'busy',
      message:
        `Waiting for the Jupyter Server at ${this.server.displayUrl}: no answer for ${seconds} s. The connection is slow, or the ` +
        'kernel is busy with other work; the cell runs once its request arrives.',
    });
  }

  private route(message: Message): void {
    const parentId = (message.parent_header as MessageHeader | undefined)?.msg_id;
    const pending = parentId ? this.pending.get(parentId) : undefined;
    if (message.channel === 'iopub') {
      const type = message.header.msg_type;
      const commId =
        type === 'comm_msg' || type === 'comm_close' ? (message.content as { comm_id?: string }).comm_id : parentId && this.commMessages.get(parentId);
      if (commId) this.comms.get(commId)?.onMessage(message);
    }
    if (message.channel === 'iopub' && message.header.msg_type === 'status') {
      const state = (message.content as { execution_state: string }).execution_state;
      // A kernel process that starts (after a restart, ours or anyone's) has no table comm target yet.
      const parentType = (message.parent_header as Partial<MessageHeader> | undefined)?.msg_type;
      // A kernel process that starts has no table comm target yet.
      if (state === 'starting' || state === 'restarting') this.tableSetup = undefined;
      // Another client restarted the kernel (its shutdown_request is the only sign the server gives): what we
      // were waiting for will never be answered, and our next request could fall between the two processes.
      const foreignRestart = !this.restartInFlight && parentType === 'shutdown_request' && state === 'busy';
      if (parentType === 'shutdown_request') this.lastShutdownStatusAt = Date.now();
      if (foreignRestart) {
        this.tableSetup = undefined;
        this.restartedElsewhere = true;
        this.failPending(new KernelRestartedError('The kernel was restarted by another client while this was running; its variables are gone. Run it again.'));
      }
      if (state === 'busy' || state === 'idle' || state === 'starting' || state === 'restarting') {
        if (this.currentStatus !== 'restarting' || state !== 'busy') this.setStatus({ status: state });
      } else if (state === 'dead') this.declareDead('The kernel died. Its state is lost; restart to start a new one.');
    }
    if (!pending) return;
    if (pending.heard === false) {
      pending.heard = true;
      if (pending.slowSaid) {
        const seconds = Math.round((Date.now() - pending.sentAt!) / 1000);
        this.setStatus({
          status: this.currentStatus,
          message: `The Jupyter Server at ${this.server.displayUrl} answered after ${seconds} s: the connection to it is slow.`,
        });
      }
    }
    if (message.channel === 'iopub') {
      pending.onIOPub?.(message as unknown as IOPubMessage);
      if (message.header.msg_type === 'status' && (message.content as { execution_state: string }).execution_state === 'idle') pending.idle = true;
    } else if (message.channel === 'stdin' && message.header.msg_type === 'input_request') {
      void this.answerInput(message, pending);
      return;
    } else if (message.channel === 'shell') {
      pending.reply = message;
    }
    // An execution is over when both its reply and its idle status arrived (in either order). Should the idle
    // status never come (IOPub messages can be dropped around a restart), the reply settles it a little later.
    if (pending.reply && (pending.kind === 'request' || pending.idle)) pending.resolve(pending.reply);
    else if (pending.reply && message.channel === 'shell') {
      const reply = pending.reply;
      setTimeout(() => pending.resolve(reply), 3_000);
    } else if (pending.idle && pending.missedFrame && message.channel === 'iopub') {
      this.endIfReplyLost(pending);
    }
  }

  /** Idle without a reply, and a frame that could not be read (before or after the idle): the reply may have been that frame. */
  private endIfReplyLost(pending: Pending): void {
    setTimeout(() => {
      if (!pending.reply) {
        pending.reject(new LostReplyError('The kernel finished, but its reply was lost: the Jupyter Server sent a message Bento could not read. Run the cell again.'));
      }
    }, 3_000);
  }

  /**
   * Answers an input_request. A person who cancels the prompt (onInput rejects) gets what ipykernel does when
   * interrupted while waiting for input: KeyboardInterrupt in the cell, by an interrupt rather than an answer.
   */
  private async answerInput(request: Message, pending: Pending): Promise<void> {
    const content = request.content as unknown as InputRequestContent;
    const parentId = (request.parent_header as MessageHeader).msg_id;
    let value: string;
    try {
      value = pending.onInput ? await pending.onInput(content) : '';
    } catch {
      if (this.pending.get(parentId) !== pending || !this.kernelId) return;
      try {
        await this.server.interruptKernel(this.kernelId);
      } catch (error) {
        this.setStatus({
          status: this.currentStatus,
          message: `Could not stop the cell waiting for input: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
      return;
    }
    // The cell ended (interrupted, or the kernel restarted) while the person typed: no one waits for this answer.
    if (this.pending.get(parentId) !== pending) return;
    const reply = makeMessage('input_reply', { value }, { session: this.session, channel: 'stdin', parent: request.header });
    this.socket?.send(JSON.stringify(reply));
  }

  private setStatus(change: KernelStatusChange): void {
    this.currentStatus = change.status;
    this.statusListeners.emit(change);
  }
}
