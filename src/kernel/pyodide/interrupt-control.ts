/**
 * The interrupt word the page and the worker share when cross-origin isolated: two int32s of one SharedArrayBuffer.
 *
 *   int32 [0] signal    Pyodide's interrupt buffer: 2 (SIGINT) makes Python raise KeyboardInterrupt at its next check
 *   int32 [1] running   the `seq` of the execution running now (ExecuteRequest.seq), 0 between executions
 *   int32 [2] beats     counts Python's interrupt checks: it moves only while Python computes
 *
 * The page raises SIGINT with one 64-bit compare-and-exchange that expects {signal 0, running seq}, and the worker
 * moves `running` with 64-bit stores that clear the signal too. So a SIGINT meant for an execution that ended
 * before the exchange fails the exchange, and one that landed just before the end is cleared with it: the next
 * execution is never interrupted in its place.
 *
 * Pyodide reads the signal word and then stores 0 in it, two steps: a SIGINT written between them was erased and the
 * cell ran on. So Pyodide is given `forPyodide()`, through which the read takes the signal in one atomic step.
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

function words(value: bigint): [signal: number, running: number] {
  scratchWide[0] = value;
  return [scratchWords[0], scratchWords[1]];
}

/** The page's side: it allocates the word, watches Python compute, and raises SIGINT. */
export class InterruptControl {
  /** The signal word alone (Pyodide reads it through `forPyodide()`; time.sleep() waits on it). */
  readonly signal: Int32Array;
  protected readonly words: Int32Array;
  protected readonly wide: BigInt64Array;
  protected readonly beats: Int32Array;

  /** A fresh shared word pair, to hand to the worker (BootOptions.interruptControl). */
  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(12);
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.signal = new Int32Array(buffer, 0, 1);
    this.words = new Int32Array(buffer, 0, 2);
    this.wide = new BigInt64Array(buffer, 0, 1);
    this.beats = new Int32Array(buffer, 8, 1);
  }

  /**
   * Page: whether Python computes, seen over `ms`: it checks for interrupts every few dozen bytecodes. A cell
   * suspended in an `await`, a worker between executions, and a long call into compiled code show no beat.
   */
  async computing(ms: number): Promise<boolean> {
    const before = Atomics.load(this.beats, 0);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return Atomics.load(this.beats, 0) !== before;
  }

  /** The execution running now, 0 when none. */
  get running(): number {
    return Atomics.load(this.words, 1);
  }

  /**
   * Page: SIGINT for execution `seq`, in one atomic step, if it is the one running. True when a SIGINT for it is
   * now pending; false when it is not running (it ended, or has not started).
   */
  interrupt(seq: number): boolean {
    const idle = pair(0, seq);
    const signalled = pair(SIGINT, seq);
    const found = Atomics.compareExchange(this.wide, 0, idle, signalled);
    // Wakes a time.sleep() waiting on the word (bento_kernel.install_interruptible_sleep).
    Atomics.notify(this.signal, 0);
    return found === idle || found === signalled;
  }
}

/**
 * The worker's side, in a class of its own so the page's bundle leaves it out: it marks which execution runs and
 * hands Pyodide the signal.
 */
export class WorkerInterruptControl extends InterruptControl {
  /** Worker: execution `seq` starts (0: the one running ended). Clears any signal left for the one before. */
  setRunning(seq: number): void {
    Atomics.store(this.wide, 0, pair(0, seq));
  }

  /** Worker: drops a pending SIGINT (the execution was cancelled another way). */
  clearSignal(): void {
    Atomics.store(this.signal, 0, 0);
  }

  /** Worker: the pending signal (0 if none), cleared in the same atomic step, so none written meanwhile is lost. */
  takeSignal(): number {
    // Python asks every few dozen bytecodes: the common answer costs one plain atomic load, and a beat the page can
    // see (computing()).
    this.beats[0]++;
    if (Atomics.load(this.signal, 0) === 0) return 0;
    for (;;) {
      const seen = Atomics.load(this.wide, 0);
      const [signal, running] = words(seen);
      if (signal === 0 || Atomics.compareExchange(this.wide, 0, seen, pair(0, running)) === seen) return signal;
    }
  }

  /**
   * Worker: the interrupt buffer for Pyodide's `setInterruptBuffer`. Pyodide only reads index 0 and then stores 0
   * there; here the read is `takeSignal()` and the store does nothing, as the read already cleared the word.
   */
  forPyodide(): Int32Array {
    const take = () => this.takeSignal();
    const buffer = {
      get 0() {
        return take();
      },
      set 0(_cleared: number) {},
    };
    return buffer as unknown as Int32Array;
  }
}
