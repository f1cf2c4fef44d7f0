import * as Comlink from 'comlink';
import type { StartupProgress } from '../kernel.ts';
import { Listeners } from '../listeners.ts';
import { InterruptControl } from './interrupt-control.ts';
import {
  INPUT_BUFFER_BYTES,
  INPUT_STATE,
  type BootInfo,
  type BootOptions,
  type EmitCallback,
  type ExecuteRequest,
  type ExecutionPortAnswer,
  type ExecutionPortMessage,
  type SnapshotSaveResult,
  type WorkerApi,
} from './worker-api.ts';

/** The exact Pyodide build this package ships (package.json pins the same version; a test checks both agree). */
export const PYODIDE_VERSION = '314.0.7';

export interface PyodideRuntimeOptions {
  /** URL of the worker bundle. Default: `worker.js` beside the Bento Lite bundle. */
  workerURL?: string | URL;
  /** Where the Pyodide runtime files are served. Default: `pyodide/` beside the Bento Lite bundle. */
  indexURL?: string | URL;
  /** Lockfile listing installable packages. Default: `pyodide-lock.json` in indexURL. */
  lockFileURL?: string | URL;
  /** Where package wheels come from. Default: the Pyodide CDN for the pinned version; point air-gapped sites at a mirror. */
  packageBaseUrl?: string | URL;
  /** `worker` (default): a dedicated module Worker, interruptible. `shared-worker`: one runtime for every tab of the origin. */
  mode?: 'worker' | 'shared-worker';
  /**
   * `none` (default): the worker runs in the page's origin, with its storage and cookies. `sandbox`: in an opaque
   * origin (a sandboxed frame), so Python reaches none of the origin's storage and no request it makes carries the
   * page's cookies. The page hands it the runtime's files and keeps its snapshot. Needs workerURL and indexURL served
   * with CORS, and `worker-src data:` under a Content-Security-Policy (README). Dedicated worker mode only.
   */
  isolation?: 'none' | 'sandbox';
  /** SharedWorker name: tabs using the same name share a runtime. */
  sharedWorkerName?: string;
  /** How long the runtime may take to start before it is reported dead. Default 60 s. */
  bootTimeoutMs?: number;
  /** How long one package load may take. Default 60 s. */
  packageTimeoutMs?: number;
  /**
   * How long an interrupt waits for the cell to stop before it restarts the runtime, losing its state. Default 300 ms
   * on a plain page, where only a suspended cell can stop in place (the replacement boots during it); 2 s when cross-origin isolated, where SIGINT stops
   * any cell running Python code but not one inside a long call into compiled code.
   */
  interruptGraceMs?: number;
  /**
   * Start from a memory snapshot of Python with the kernel loaded, kept in origin-private storage (default true): a repeat
   * start takes a fraction of a normal one. The first start makes the snapshot and stores it after it is ready.
   * `false` never reads or writes the cache.
   */
  snapshot?: boolean;
}

/** BootInfo as the page sees it. */
export interface RuntimeBootInfo extends BootInfo {
  /** Milliseconds from this runtime starting its worker to ready, measured on the page. */
  startupMs: number;
}

/** Options with every default filled in and every URL as a string. */
export type ResolvedRuntimeOptions = {
  [K in keyof PyodideRuntimeOptions]-?: Exclude<PyodideRuntimeOptions[K], URL>;
};

export type RuntimeEvent =
  | { type: 'progress'; progress: StartupProgress }
  | { type: 'state'; state: RuntimeState; message?: string; stateLost?: boolean };

export type RuntimeState = 'stopped' | 'starting' | 'ready' | 'dead';

/** Thrown into every call that was waiting on a runtime that died. */
export class RuntimeDiedError extends Error {
  override name = 'RuntimeDiedError';
  /** `interrupted`: replaced on purpose to stop a cell. `crashed`: died on its own. `shutdown`: ended by the page. */
  constructor(
    message: string,
    readonly reason: 'interrupted' | 'crashed' | 'shutdown' = 'crashed',
  ) {
    super(message);
  }
}

export interface InterruptOutcome {
  /** `interrupted`: KeyboardInterrupt raised in place. `restarted`: the runtime was replaced and state lost.
   * `impossible`: a SharedWorker runtime busy in synchronous code cannot be stopped. `idle`: nothing ran. */
  result: 'interrupted' | 'restarted' | 'impossible' | 'idle';
}

interface Incarnation {
  generation: number;
  /** Ends the worker (terminates it, or removes its sandbox) and closes the page's end. */
  end(): void;
  api: Comlink.Remote<WorkerApi>;
  boot: Promise<RuntimeBootInfo>;
  info?: RuntimeBootInfo;
  die(message: string, reason?: RuntimeDiedError['reason']): void;
  /**
   * `promise`, or RuntimeDiedError once this incarnation dies. Not a race with a promise of the death: each race
   * would leave a reaction on it until the worker dies, ~1 KB of page heap per execution (npm run soak).
   */
  unlessDied<T>(promise: Promise<T>): Promise<T>;
  interrupts?: InterruptControl;
  inputBuffer?: Int32Array;
}

/** An execution the page has sent, on the incarnation it was sent to. */
interface Execution {
  incarnation: Incarnation;
  /** Settles when the worker is done with it (either way). */
  settled: Promise<unknown>;
  /** Its number in the worker, once sent (ExecuteRequest.seq). */
  seq?: number;
}

function defaultAssetURL(path: string): string {
  return new URL(path, import.meta.url).href;
}

/** Absolute URL (the worker resolves against its own location, so relative page URLs would break there). */
function absolute(url: string | URL, directory = false): string {
  const href = new URL(url, globalThis.document?.baseURI ?? globalThis.location?.href).href;
  return directory && !href.endsWith('/') ? `${href}/` : href;
}

/**
 * One Python runtime in a worker, shared by every kernel session that uses it. Starts lazily, reports
 * progress, detects a worker that died (a Web Lock the worker holds is released), and replaces itself on
 * demand. Nothing waiting on it ever hangs: calls race against the runtime's death.
 */
export class PyodideRuntime {
  private static defaultRuntime?: PyodideRuntime;
  private static defaultOptions: PyodideRuntimeOptions = {};
  private static prestarted = false;
  private readonly listeners = new Listeners<RuntimeEvent>();
  private readonly inflight = new Map<string, Execution>();
  private readonly awaitingInput = new Set<string>();
  private nextSeq = 1;
  private current?: Incarnation;
  /** A worker booting beside the current one, to take its place if an interrupt has to replace it. */
  private spare?: Incarnation;
  private generation = 0;
  private lastProgress: StartupProgress = { phase: 'download', fraction: 0 };
  readonly options: ResolvedRuntimeOptions;
  state: RuntimeState = 'stopped';

  /** Sets the options of the page's default runtime; call before the first kernel starts. */
  static configureDefault(options: PyodideRuntimeOptions): void {
    if (PyodideRuntime.defaultRuntime && !PyodideRuntime.prestarted) throw new Error('The default Python runtime has already started; configure it before the first cell runs.');
    PyodideRuntime.releasePrestart();
    PyodideRuntime.defaultOptions = options;
  }

  /** The page's default runtime, shared by every notebook and cell that does not bring its own. */
  static default(): PyodideRuntime {
    PyodideRuntime.prestarted = false;
    PyodideRuntime.defaultRuntime ??= new PyodideRuntime(PyodideRuntime.defaultOptions);
    return PyodideRuntime.defaultRuntime;
  }

  /**
   * @internal Starts the default runtime before anything asks for it (a notebook on the page most likely will), so
   * Python boots while the page still loads. Until `default()` takes it, it stays the page's to refuse:
   * `configureDefault` or `releasePrestart` ends it.
   */
  static prestart(): void {
    if (PyodideRuntime.defaultRuntime) return;
    void PyodideRuntime.default().start().catch(() => {});
    PyodideRuntime.prestarted = true;
  }

  /** @internal Ends the runtime `prestart` started if nothing took it (the page chose another kernel). */
  static releasePrestart(): void {
    if (!PyodideRuntime.prestarted) return;
    PyodideRuntime.prestarted = false;
    PyodideRuntime.defaultRuntime?.terminate();
    PyodideRuntime.defaultRuntime = undefined;
  }

  constructor(options: PyodideRuntimeOptions = {}) {
    const indexURL = absolute(options.indexURL ?? defaultAssetURL('./pyodide/'), true);
    const sigint = (options.mode ?? 'worker') === 'worker' && globalThis.crossOriginIsolated === true;
    this.options = {
      workerURL: absolute(options.workerURL ?? defaultAssetURL('./worker.js')),
      indexURL,
      lockFileURL: absolute(options.lockFileURL ?? `${indexURL}pyodide-lock.json`),
      packageBaseUrl: absolute(options.packageBaseUrl ?? `https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`, true),
      mode: options.mode ?? 'worker',
      isolation: options.isolation ?? 'none',
      sharedWorkerName: options.sharedWorkerName ?? 'bento-lite-python',
      bootTimeoutMs: options.bootTimeoutMs ?? 60_000,
      packageTimeoutMs: options.packageTimeoutMs ?? 60_000,
      interruptGraceMs: options.interruptGraceMs ?? (sigint ? 2000 : 300),
      snapshot: options.snapshot ?? true,
    };
  }

  /**
   * Deletes every memory snapshot this origin stored, so that the next runtime to start boots normally (and makes
   * a new one unless its `snapshot` option is false). A runtime that is storing one right now may store it after.
   */
  static async clearSnapshotCache(): Promise<void> {
    return (await import('./snapshot-cache.ts')).clearSnapshotCache();
  }

  /** True when a running cell can be stopped in place (SharedArrayBuffer interrupt). */
  get interruptible(): boolean {
    return this.options.mode === 'worker' && globalThis.crossOriginIsolated === true;
  }

  get progress(): StartupProgress {
    return this.lastProgress;
  }

  /** Same as `bootInfo`. */
  get info(): RuntimeBootInfo | undefined {
    return this.current?.info;
  }

  /** How the running worker started (restored from a snapshot, made one, or booted plainly, and why), once ready. */
  get bootInfo(): RuntimeBootInfo | undefined {
    return this.current?.info;
  }

  /** Resolves once the snapshot made when this runtime started is stored, or says why none was stored. */
  snapshotSaved(): Promise<SnapshotSaveResult> {
    return this.call((api) => api.snapshotSaved());
  }

  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Starts the runtime if it is not running; resolves when it can execute. */
  start(): Promise<RuntimeBootInfo> {
    return this.incarnation().boot;
  }

  /**
   * Calls the worker; rejects with RuntimeDiedError if the runtime dies first. The call stays with the worker
   * running when it was made: if that one is replaced or terminated meanwhile, the call fails rather than reach
   * the next one, whose state the caller never saw.
   */
  call<T>(fn: (api: Comlink.Remote<WorkerApi>) => Promise<T>): Promise<T> {
    return this.callOn(this.incarnation(), fn);
  }

  async execute(
    request: Omit<ExecuteRequest, 'seq' | 'queuedSince'>,
    emit: EmitCallback,
    onInput: (prompt: string, password: boolean) => Promise<string>,
  ): Promise<string> {
    const incarnation = this.incarnation();
    const channel = new MessageChannel();
    const answerInput = async (prompt: string, password: boolean) => {
      let text: string | null;
      this.awaitingInput.add(request.execId);
      try {
        text = await onInput(prompt, password);
      } catch {
        text = null;
      } finally {
        this.awaitingInput.delete(request.execId);
      }
      const control = incarnation.inputBuffer;
      if (!control) {
        channel.port1.postMessage({ kind: 'input', text } satisfies ExecutionPortAnswer);
        return;
      }
      if (text === null) {
        Atomics.store(control, 0, INPUT_STATE.cancelled);
      } else {
        const bytes = new TextEncoder().encode(text).slice(0, INPUT_BUFFER_BYTES - 8);
        new Uint8Array(control.buffer, 8, bytes.length).set(bytes);
        Atomics.store(control, 1, bytes.length);
        Atomics.store(control, 0, INPUT_STATE.answered);
      }
      Atomics.notify(control, 0);
    };
    const finished = new Promise<string>((resolve, reject) => {
      channel.port1.onmessage = (event: MessageEvent<ExecutionPortMessage>) => {
        const message = event.data;
        if (message.kind === 'iopub') emit(message.msgType, message.content);
        else if (message.kind === 'input') void answerInput(message.prompt, message.password);
        else if (message.kind === 'reply') resolve(message.content);
        else if (!message.fatal) reject(new Error(message.message));
        // A fatal error ends the worker: replace it now, not when its lock is released, which can be after the
        // next cell was sent to it (that cell would then die of this one's error).
        else if (this.current === incarnation) this.replace(message.message);
        else reject(new RuntimeDiedError(message.message, 'crashed'));
      };
    });
    const sent = this.callOn(incarnation, async (api) => {
      const seq = (execution.seq = this.nextSeq++);
      // The worker runs executions one at a time, in the order sent: the first one still unanswered here (inflight
      // keeps that order too) is where the queue this one joins starts.
      const queuedSince = this.inflight.values().next().value?.seq ?? seq;
      await api.execute({ ...request, seq, queuedSince }, Comlink.transfer(channel.port2, [channel.port2]));
      return finished;
    });
    const execution: Execution = { incarnation, settled: sent };
    this.inflight.set(request.execId, execution);
    try {
      return await incarnation.unlessDied(Promise.race([sent, finished]));
    } finally {
      this.inflight.delete(request.execId);
      channel.port1.close();
    }
  }

  /**
   * The interrupt ladder: SharedArrayBuffer interrupt when cross-origin isolated; otherwise cancel the cell if
   * it is suspended (await, input()). A cell that has not stopped after `interruptGraceMs` (computing without
   * isolation, or deaf to SIGINT inside compiled code) is stopped by terminating the worker and starting a fresh
   * runtime, telling every session that its state was lost.
   */
  async interrupt(execId: string): Promise<InterruptOutcome> {
    const execution = this.inflight.get(execId);
    // An execution whose worker was replaced is failing already (its call races the old worker's death).
    if (!execution || execution.incarnation !== this.current) return { result: 'idle' };
    const { incarnation } = execution;
    if (incarnation.interrupts) {
      if (this.awaitingInput.has(execId) && incarnation.inputBuffer) {
        // Blocked in input(): waking it with "cancelled" raises KeyboardInterrupt there.
        Atomics.store(incarnation.inputBuffer, 0, INPUT_STATE.cancelled);
        Atomics.notify(incarnation.inputBuffer, 0);
      } else {
        // Computing Python gets SIGINT at once. Otherwise the cell is suspended (await), or between two steps, or
        // deep in compiled code: it is cancelled by message, and SIGINT is the answer when the worker is too busy
        // to reply. A SIGINT taken by Python that is not the cell's (the event loop's own, while it is suspended)
        // would leave the cell running, hence the order. The CAS lands only if this very execution still runs
        // (interrupt-control.ts); if it does not, it ended or has not started: there is nothing to stop.
        const { seq } = execution;
        const signal = () => seq !== undefined && incarnation.interrupts!.interrupt(seq);
        if (!(await incarnation.interrupts.computing(2))) {
          const soft = incarnation.api.softInterrupt(execId).catch(() => false);
          const answer = await Promise.race([soft, new Promise<'busy'>((resolve) => setTimeout(() => resolve('busy'), 50))]);
          if (answer !== true && !signal()) return { result: 'interrupted' };
        } else if (!signal()) {
          return { result: 'interrupted' };
        } else if (!(await settledWithin(execution, 100))) {
          // Seen computing, then suspended in an `await` before its next interrupt check: the SIGINT waits there
          // unread. Cancel by message too; the worker drops the unread signal before it runs Python for that.
          void incarnation.api.softInterrupt(execId).catch(() => false);
        }
      }
    } else {
      // Only a suspended cell stops in place here; a computing one needs a new worker. That one starts booting now,
      // while the cell has its grace to stop, so the grace adds nothing to a replacement.
      if (this.options.mode === 'worker') this.spare ??= this.spawn(true);
      void incarnation.api.softInterrupt(execId).catch(() => {});
    }
    if (await settledWithin(execution, this.options.interruptGraceMs)) {
      this.dropSpare();
      return { result: 'interrupted' };
    }
    if (this.options.mode === 'shared-worker') return { result: 'impossible' };
    if (incarnation !== this.current) return { result: 'idle' };
    const why = incarnation.interrupts
      ? `it did not stop within ${this.options.interruptGraceMs / 1000} s of the interrupt (a long call into ` +
        'compiled code does not check for interrupts).'
      : 'this page is not cross-origin isolated, so Python cannot be interrupted in place.';
    this.replace(
      `The Python runtime was restarted to stop a running cell: ${why} Variables of every notebook on this page were lost.`,
      'interrupted',
    );
    return { result: 'restarted' };
  }

  /** Terminates the worker (dedicated mode) and starts a fresh runtime; every session loses its state. */
  replace(message: string, reason: RuntimeDiedError['reason'] = 'crashed'): void {
    const old = this.current;
    this.current = undefined;
    if (old) {
      old.die(message, reason);
      old.end();
    }
    this.emit({ type: 'state', state: 'dead', message, stateLost: true });
    const spare = this.spare;
    this.spare = undefined;
    if (!spare) {
      void this.start().catch(() => {});
      return;
    }
    this.current = spare;
    if (spare.info) {
      this.emit({ type: 'state', state: 'ready' });
    } else {
      this.emit({ type: 'state', state: 'starting' });
      this.emit({ type: 'progress', progress: this.lastProgress });
    }
  }

  private dropSpare(): void {
    this.spare?.die('Not needed: the cell stopped in place.', 'shutdown');
    this.spare?.end();
    this.spare = undefined;
  }

  /** Ends the runtime for good (a later start() spawns a new one). */
  terminate(): void {
    this.dropSpare();
    const old = this.current;
    this.current = undefined;
    this.state = 'stopped';
    if (old) {
      old.die('The Python runtime was shut down.', 'shutdown');
      old.end();
    }
  }

  /** The running incarnation, or a new one when none runs. */
  private incarnation(): Incarnation {
    if (!this.current || this.state === 'dead') this.current = this.spawn();
    return this.current;
  }

  /** Calls `incarnation` once it has booted; rejects with RuntimeDiedError if it dies first. */
  private async callOn<T>(incarnation: Incarnation, fn: (api: Comlink.Remote<WorkerApi>) => Promise<T>): Promise<T> {
    await incarnation.unlessDied(incarnation.boot);
    return incarnation.unlessDied(fn(incarnation.api));
  }

  private emit(event: RuntimeEvent): void {
    if (event.type === 'state') this.state = event.state;
    if (event.type === 'progress') this.lastProgress = event.progress;
    this.listeners.emit(event);
  }

  /** A new worker; a `spare` one boots silently until replace() makes it the current one. */
  private spawn(spare = false): Incarnation {
    const generation = ++this.generation;
    const spawnedAt = performance.now();
    const isolated = this.options.mode === 'worker' && globalThis.crossOriginIsolated === true;
    let worker: Worker | undefined;
    let port: MessagePort | undefined;
    let sandbox: Promise<{ terminate(): void }> | undefined;
    let endpoint: Comlink.Endpoint;
    // The origin's storage starts up at its first use after the origin's last page closed (~90 ms on a repeat visit),
    // which the worker would otherwise wait for with the wasm compiling beside it: start it now. (The snapshot cache
    // itself, snapshot-cache.ts, is not loaded by the page until it clears it or keeps a sandboxed worker's.)
    if (this.options.snapshot) void navigator.storage?.getDirectory?.().catch(() => {});
    if (this.options.mode === 'shared-worker') {
      const shared = new SharedWorker(this.options.workerURL, { type: 'module', name: this.options.sharedWorkerName });
      port = shared.port;
      port.start();
      endpoint = port;
    } else if (this.options.isolation === 'sandbox') {
      // Calls queue on this port until the sandbox (loaded only now) has connected its other end to the worker.
      const channel = new MessageChannel();
      port = endpoint = channel.port1;
      port.start();
      sandbox = import('./sandbox.ts').then((s) => s.sandboxedWorker(this.options, channel.port2, (message) => fail(message)));
      sandbox.catch((error) => fail(`The Python sandbox did not load: ${error instanceof Error ? error.message : String(error)}.`));
    } else {
      worker = new Worker(this.options.workerURL, { type: 'module', name: 'bento-lite-python' });
      endpoint = worker;
    }
    // What waits on this worker (unlessDied), failed when it dies; calls made after that fail at once.
    const waiting = new Set<(error: RuntimeDiedError) => void>();
    let death: RuntimeDiedError | undefined;
    const incarnation: Incarnation = {
      generation,
      end() {
        worker?.terminate();
        port?.close();
        void sandbox?.then((s) => s.terminate(), () => {});
      },
      api: Comlink.wrap<WorkerApi>(endpoint),
      boot: Promise.resolve() as unknown as Promise<RuntimeBootInfo>,
      die(message, reason) {
        death ??= new RuntimeDiedError(message, reason);
        for (const fail of waiting) fail(death);
      },
      unlessDied<T>(promise: Promise<T>) {
        return new Promise<T>((resolve, reject) => {
          if (death) return reject(death);
          waiting.add(reject);
          promise.then(resolve, reject).finally(() => waiting.delete(reject));
        });
      },
      interrupts: isolated ? new InterruptControl(InterruptControl.allocate()) : undefined,
      inputBuffer: isolated ? new Int32Array(new SharedArrayBuffer(INPUT_BUFFER_BYTES)) : undefined,
    };
    const isCurrent = () => this.current?.generation === generation;
    const fail = (message: string) => {
      if (this.spare === incarnation) this.dropSpare();
      if (!isCurrent()) return;
      incarnation.die(message);
      incarnation.end();
      this.emit({ type: 'state', state: 'dead', message, stateLost: true });
    };
    worker?.addEventListener('error', (event) => {
      event.preventDefault();
      fail(`The Python worker failed: ${event.message || `could not load ${this.options.workerURL}`}.`);
    });
    if (!spare) {
      this.emit({ type: 'state', state: 'starting' });
      this.emit({ type: 'progress', progress: { phase: 'download', fraction: 0 } });
    }
    incarnation.boot = this.boot(incarnation, fail).then((workerInfo) => {
      const info: RuntimeBootInfo = { ...workerInfo, startupMs: Math.round(performance.now() - spawnedAt) };
      incarnation.info = info;
      if (isCurrent()) {
        // The worker's own `ready` report travels on another channel than its boot answer and may come after it.
        if (this.lastProgress.phase !== 'ready') this.emit({ type: 'progress', progress: { phase: 'ready', fraction: 1 } });
        this.emit({ type: 'state', state: 'ready' });
      }
      // The worker holds this lock until it ends; getting it means the worker is gone (a sandboxed one has none).
      if (info.lockName) void navigator.locks.request(info.lockName, () => {
        fail('The Python runtime stopped unexpectedly (it crashed or ran out of memory). Its state is lost; run a cell or restart to start a fresh one.');
      });
      return info;
    });
    incarnation.boot.catch(() => {});
    return incarnation;
  }

  private async boot(incarnation: Incarnation, fail: (message: string) => void): Promise<BootInfo> {
    const options: BootOptions = {
      indexURL: this.options.indexURL,
      lockFileURL: this.options.lockFileURL,
      packageBaseUrl: this.options.packageBaseUrl,
      packageTimeoutMs: this.options.packageTimeoutMs,
      interruptControl: incarnation.interrupts?.buffer,
      inputBuffer: incarnation.inputBuffer,
      snapshot: this.options.snapshot,
    };
    const onProgress = Comlink.proxy((p: { phase: StartupProgress['phase']; loaded?: number; total?: number }) => {
      // Late reports (after ready, or from a worker already replaced) would move a finished progress bar back.
      if (incarnation.info || this.current !== incarnation) return;
      const downloadShare = p.total ? (0.75 * (p.loaded ?? 0)) / p.total : 0;
      const fraction = { download: downloadShare, compile: 0.8, boot: 0.9, ready: 1 }[p.phase];
      this.emit({ type: 'progress', progress: { ...p, fraction: Math.max(fraction, Math.min(this.lastProgress.fraction, 0.99)) } });
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message =
          `Python did not start within ${Math.round(this.options.bootTimeoutMs / 1000)} s from ${this.options.indexURL}. ` +
          'Check that the server serves .wasm files as application/wasm and that the Pyodide files are there.';
        fail(message);
        reject(new RuntimeDiedError(message));
      }, this.options.bootTimeoutMs);
    });
    try {
      return await incarnation.unlessDied(Promise.race([incarnation.api.boot(options, onProgress), timedOut]));
    } catch (error) {
      const message =
        error instanceof RuntimeDiedError ? error.message : `Python failed to start: ${error instanceof Error ? error.message : String(error)}`;
      fail(message);
      throw new RuntimeDiedError(message);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Whether `execution` ends (either way) within `ms`. */
function settledWithin(execution: Execution, ms: number): Promise<boolean> {
  return Promise.race([
    execution.settled.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);
}
