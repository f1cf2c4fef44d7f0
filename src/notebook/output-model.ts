/**
 * The outputs of one code cell, built from the kernel's IOPub messages the way Jupyter builds them: streams
 * merge into one output per run of text (with terminal `\r` and backspace handling), displays update by
 * display_id, and `clear_output(wait=True)` clears only when the next output arrives.
 */
import type { ClearOutputContent, DisplayDataContent, ExecuteReplyContent, IOPubMessage, MimeBundle } from '../kernel/protocol.ts';
import { joinSource, type Output, type StreamOutput } from './nbformat.ts';

/** Default cap on the text kept for one stream output, in characters (UTF-16 code units): about 5 MB. */
export const STREAM_TEXT_LIMIT = 5 * 1024 * 1024;

export interface OutputModelOptions {
  /**
   * Most characters of text kept for one stream output. Past it, the oldest lines are dropped (down to about
   * 90% of the cap, so dropping happens once per tenth of the cap, not on every print).
   */
  streamTextLimit?: number;
}

/** How much of a stream output's beginning was dropped to bound memory. */
export interface DroppedText {
  characters: number;
  lines: number;
}

const dropped = new WeakMap<StreamOutput, DroppedText>();

/**
 * How much earlier text of this stream output was dropped to bound memory ({0, 0} if none). Kept in memory
 * only (never saved to .ipynb, whose schema allows no extra field on stream outputs).
 */
export function droppedText(output: Output): DroppedText {
  return (output.output_type === 'stream' && dropped.get(output)) || { characters: 0, lines: 0 };
}

/** Terminal state of a stream output this model writes to. */
interface StreamState {
  /** Text through the last newline: final, no later `\r` can change it. */
  committed: string;
  /** The current, unterminated line. */
  line: string;
  /** Column in `line` where the next character is written (moved by `\r` and backspace). */
  cursor: number;
}

/**
 * The outputs of one cell.
 *
 * Listeners added with `subscribe` are called synchronously after every change, so a test or a caller sees
 * the new outputs as soon as `apply` returns; a view that repaints should coalesce notifications itself
 * (`<bento-output-area>` repaints at most once per animation frame).
 *
 * `outputs` is live: the model changes the array in place. Output objects are replaced, never changed, except
 * the stream output being written to, whose `text` grows in place (a cell printing 100k lines must not copy
 * its text 100k times); everything else can be cached by object identity.
 */
export class OutputModel {
  private readonly list: Output[] = [];
  private readonly streams = new WeakMap<StreamOutput, StreamState>();
  private readonly listeners = new Set<() => void>();
  private readonly streamTextLimit: number;
  private clearOnNextOutput = false;
  private changeCount = 0;

  constructor(options: OutputModelOptions = {}) {
    this.streamTextLimit = Math.max(1, options.streamTextLimit ?? STREAM_TEXT_LIMIT);
  }

  /** The outputs, in order. Read-only: change them through the model. */
  get outputs(): readonly Output[] {
    return this.list;
  }

  /** Increases on every change; a cheap way for a view to tell whether it is up to date. */
  get version(): number {
    return this.changeCount;
  }

  /**
   * Applies one IOPub message of this cell's execution. `status` and `execute_input` (and any message type
   * that is not an output) are ignored.
   */
  apply(message: IOPubMessage): void {
    switch (message.header.msg_type) {
      case 'stream': {
        const { name, text } = (message as IOPubMessage<'stream'>).content;
        this.clearIfPending();
        this.appendStream(name === 'stderr' ? 'stderr' : 'stdout', String(text));
        this.changed();
        break;
      }
      case 'display_data': {
        const content = (message as IOPubMessage<'display_data'>).content;
        this.add({ output_type: 'display_data', data: content.data ?? {}, metadata: content.metadata ?? {}, ...transient(content) });
        break;
      }
      case 'execute_result': {
        const content = (message as IOPubMessage<'execute_result'>).content;
        this.add({
          output_type: 'execute_result',
          data: content.data ?? {},
          metadata: content.metadata ?? {},
          execution_count: content.execution_count ?? null,
          ...transient(content),
        });
        break;
      }
      case 'error': {
        const { ename, evalue, traceback } = (message as IOPubMessage<'error'>).content;
        this.add({ output_type: 'error', ename: String(ename), evalue: String(evalue), traceback: (traceback ?? []).map(String) });
        break;
      }
      case 'update_display_data': {
        const content = (message as IOPubMessage<'update_display_data'>).content;
        const id = content.transient?.display_id;
        if (id) this.updateDisplay(id, content);
        break;
      }
      case 'clear_output': {
        const { wait } = message.content as ClearOutputContent;
        if (wait) this.clearOnNextOutput = true;
        else this.clear();
        break;
      }
    }
  }

  /**
   * Shows the pager text of an execute_reply (IPython's `obj?`, `%pinfo`: a payload whose source is `page`) as a
   * display_data output, as JupyterLab does: the kernel sends it with the reply, not as an IOPub output.
   */
  applyPayload(content: ExecuteReplyContent | Record<string, unknown>): void {
    const payloads = (content as { payload?: unknown }).payload;
    for (const item of Array.isArray(payloads) ? (payloads as Array<{ source?: unknown; data?: unknown } | null>) : []) {
      if (item?.source !== 'page' || typeof item.data !== 'object' || item.data === null) continue;
      // Its text/plain keeps the pager's terminal colours (red section titles), which text outputs render.
      this.add({ output_type: 'display_data', data: item.data as MimeBundle, metadata: {} });
    }
  }

  /**
   * Replaces, in place, the data and metadata of every output whose `transient.display_id` is `displayId`.
   * Public because a notebook must also update the outputs of other cells that show the same display.
   * Returns how many outputs were updated.
   */
  updateDisplay(displayId: string, content: Pick<DisplayDataContent, 'data' | 'metadata'>): number {
    let updated = 0;
    this.list.forEach((output, index) => {
      if ((output.output_type === 'display_data' || output.output_type === 'execute_result') && output.transient?.display_id === displayId) {
        this.list[index] = { ...output, data: content.data ?? {}, metadata: content.metadata ?? {} };
        updated++;
      }
    });
    if (updated) this.changed();
    return updated;
  }

  /** Removes every output now (and forgets a pending `clear_output(wait=True)`). */
  clear(): void {
    this.clearOnNextOutput = false;
    if (this.list.length === 0) return;
    this.list.length = 0;
    this.changed();
  }

  /** Replaces the outputs, e.g. with those loaded from an .ipynb file. The array is copied, not kept. */
  set(outputs: readonly Output[]): void {
    this.clearOnNextOutput = false;
    this.list.splice(0, this.list.length, ...outputs);
    this.changed();
  }

  /** Calls `listener` synchronously after every change. Returns a function that unsubscribes. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private add(output: Output): void {
    this.clearIfPending();
    this.list.push(output);
    this.changed();
  }

  /** A `clear_output(wait=True)` takes effect when the next output arrives, so the area never flickers empty. */
  private clearIfPending(): void {
    if (!this.clearOnNextOutput) return;
    this.clearOnNextOutput = false;
    this.list.length = 0;
  }

  private appendStream(name: 'stdout' | 'stderr', text: string): void {
    const previous = this.list.at(-1);
    let output: StreamOutput;
    let state: StreamState | undefined;
    if (previous?.output_type === 'stream' && previous.name === name) {
      output = previous;
      state = this.streams.get(previous);
      if (!state) {
        // An output this model did not create (loaded with `set`): write to a copy, never to the caller's object.
        output = { ...previous, text: '' };
        const existing = joinSource(previous.text);
        const lastNewline = existing.lastIndexOf('\n');
        const line = existing.slice(lastNewline + 1);
        state = { committed: existing.slice(0, lastNewline + 1), line, cursor: line.length };
        this.list[this.list.length - 1] = output;
        this.streams.set(output, state);
      }
    } else {
      output = { output_type: 'stream', name, text: '' };
      state = { committed: '', line: '', cursor: 0 };
      this.list.push(output);
      this.streams.set(output, state);
    }
    writeTerminal(state, text);
    this.bound(output, state);
    output.text = state.committed + state.line;
  }

  /** Drops the oldest whole lines once the text passes the cap, and counts what was dropped. */
  private bound(output: StreamOutput, state: StreamState): void {
    const length = state.committed.length + state.line.length;
    if (length <= this.streamTextLimit) return;
    const target = Math.floor(this.streamTextLimit * 0.9);
    let cut = length - target;
    let droppedLines = 0;
    let droppedChars = 0;
    if (cut <= state.committed.length) {
      // Cut at a line start where there is one, so no line (nor escape sequence) is shown half-cut.
      const nextLineStart = state.committed.indexOf('\n', cut - 1) + 1;
      if (nextLineStart > 0) cut = nextLineStart;
      const removed = state.committed.slice(0, cut);
      droppedLines = countNewlines(removed);
      droppedChars = removed.length;
      state.committed = state.committed.slice(cut);
    } else {
      // One line longer than the cap: keep its end.
      droppedLines = countNewlines(state.committed);
      const fromLine = cut - state.committed.length;
      droppedChars = state.committed.length + fromLine;
      state.committed = '';
      state.line = state.line.slice(fromLine);
      state.cursor = Math.max(0, state.cursor - fromLine);
    }
    const before = dropped.get(output) ?? { characters: 0, lines: 0 };
    dropped.set(output, { characters: before.characters + droppedChars, lines: before.lines + droppedLines });
  }

  private changed(): void {
    this.changeCount++;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        // One broken view must not stop the others (nor the kernel's message loop) from seeing outputs.
        globalThis.reportError?.(error);
      }
    }
  }
}

function transient(content: DisplayDataContent): { transient?: { display_id?: string } } {
  const id = content.transient?.display_id;
  return typeof id === 'string' && id ? { transient: { display_id: id } } : {};
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/**
 * Writes text as a terminal would: `\n` ends the line, `\r` returns to its start so later characters
 * overwrite it (progress bars), backspace moves one column left (the next character overwrites; a terminal
 * does not erase on backspace either). Escape sequences are kept; the renderer interprets them.
 */
function writeTerminal(state: StreamState, text: string): void {
  // Fast path, by far the most common: plain lines written at the end of the current line.
  if (state.cursor === state.line.length && !/[\r\b]/.test(text)) {
    const combined = state.line + text;
    const lastNewline = combined.lastIndexOf('\n');
    if (lastNewline === -1) {
      state.line = combined;
    } else {
      state.committed += combined.slice(0, lastNewline + 1);
      state.line = combined.slice(lastNewline + 1);
    }
    state.cursor = state.line.length;
    return;
  }
  const controls = /[\r\n\b]/g;
  let last = 0;
  for (let match = controls.exec(text); match; match = controls.exec(text)) {
    if (match.index > last) overwrite(state, text.slice(last, match.index));
    last = match.index + 1;
    if (match[0] === '\n') {
      state.committed += state.line + '\n';
      state.line = '';
      state.cursor = 0;
    } else if (match[0] === '\r') {
      state.cursor = 0;
    } else {
      state.cursor = Math.max(0, state.cursor - 1);
    }
  }
  if (last < text.length) overwrite(state, text.slice(last));
}

function overwrite(state: StreamState, text: string): void {
  const { line, cursor } = state;
  state.line = line.slice(0, cursor) + text + line.slice(cursor + text.length);
  state.cursor = cursor + text.length;
}
