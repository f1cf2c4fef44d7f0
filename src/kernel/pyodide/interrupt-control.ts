/**
 * The interrupt word the page and the worker share when cross-origin isolated: two int32s of one SharedArrayBuffer.
 *
 *   int32 [0] signal    Pyodide's interrupt buffer: 2 (SIGINT) makes Python raise KeyboardInterrupt at its next check
 *   int32 [1] running   the `seq` of the execution running now (ExecuteRequest.seq), 0 between executions
 *
 * The page raises SIGINT with one 64-bit compare-and-exchange that expects {signal 0, running seq}, and the worker
 * moves `running` with 64-bit stores that clear the signal too. So a SIGINT meant for an execution that ended
 * before the exchange fails the exchange, and one that landed just before the end is cleared with it: the next
 * execution is never interrupted in its place.
 */
export const SIGINT = 2;

// The two words as one 64-bit value, in whatever byte order the platform uses for both views.
const scratch = new ArrayBuffer(8);
const scratchWords = new Int32Array(scratch);
const scratchWide = new BigInt64Array(scratch);

function pair(signal: number, running: number): bigint {
  scratchWords[0] = signal;
  scratchWords[1] = running;
  return scratchWide[0];
}

export class InterruptControl {
  /** Pyodide's interrupt buffer (`setInterruptBuffer`): the signal word alone. */
  readonly signal: Int32Array;
  private readonly words: Int32Array;
  private readonly wide: BigInt64Array;

  /** A fresh shared word pair, to hand to the worker (BootOptions.interruptControl). */
  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(8);
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.signal = new Int32Array(buffer, 0, 1);
    this.words = new Int32Array(buffer, 0, 2);
    this.wide = new BigInt64Array(buffer, 0, 1);
  }

  /** The execution running now, 0 when none. */
  get running(): number {
    return Atomics.load(this.words, 1);
  }

  /** Worker: execution `seq` starts (0: the one running ended). Clears any signal left for the one before. */
  setRunning(seq: number): void {
    Atomics.store(this.wide, 0, pair(0, seq));
  }

  /** Worker: drops a pending SIGINT (the execution was cancelled another way). */
  clearSignal(): void {
    Atomics.store(this.signal, 0, 0);
  }

  /**
   * Page: SIGINT for execution `seq`, in one atomic step, if it is the one running. True when a SIGINT for it is
   * now pending; false when it is not running (it ended, or has not started).
   */
  interrupt(seq: number): boolean {
    const idle = pair(0, seq);
    const signalled = pair(SIGINT, seq);
    const found = Atomics.compareExchange(this.wide, 0, idle, signalled);
    return found === idle || found === signalled;
  }
}
