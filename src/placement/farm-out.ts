/**
 * Farm-out: one cell runs on a server kernel while the notebook stays in the browser. The variables the cell reads
 * are sent there first and the ones it assigns come back after it ran; by default both lists come from the cell's
 * syntax tree (farm_out.py `plan`), shown in the cell as its first output, and `%%remote --in a,b --out c`
 * overrides them. Tables travel as columns (the kernels' `extract`/`inject`), anything else pickled. Each way,
 * everything is staged under temporary names and bound in one step: a value that cannot travel is named in a
 * `FarmOutError` and nothing of that move is bound.
 */
import type { ExecuteOptions, Kernel, KernelStatusChange, StartupProgress, Unsubscribe } from '../kernel/kernel.ts';
import {
  makeMessage,
  newId,
  type CompleteReplyContent,
  type ErrorContent,
  type ExecuteReply,
  type ExecuteReplyContent,
  type InspectReplyContent,
  type IOPubMessage,
  type IsCompleteReplyContent,
  type KernelInfo,
  type KernelStatus,
  type MessageHeader,
} from '../kernel/protocol.ts';
import { countInKernel, failedExecution } from '../kernel/replies.ts';
import { bindValue, readValues } from '../kernel/values.ts';
import type { ColumnTable } from '../data/table.ts';
import type { TableOptions } from '../kernel/table-wire.ts';
import { invalidIdentifier, MagicArgumentError, parseCellMagic, parseMagicArguments, usageLine, type CellMagicSpec } from '../magics/magics.ts';
import farmOutSource from './farm_out.py';
import { probe } from './probe.ts';

/**
 * `%%remote [--kernel NAME] [--in NAMES] [--out NAMES]`. Not a registered magic: the cell stays a code cell, and
 * the notebook hands it a FarmOutKernel, which reads this line. `--kernel` is for the notebook (which server
 * kernel to start); FarmOutKernel accepts it and runs on the remote it was given.
 */
export const REMOTE_MAGIC: CellMagicSpec = {
  name: 'remote',
  tagName: 'bento-cell',
  options: {
    kernel: { type: 'string', metavar: 'NAME' },
    in: { type: 'string', metavar: 'a,b' },
    out: { type: 'string', metavar: 'c,d' },
  },
  summary: 'Runs this cell on a server kernel: the variables it reads are sent there, the ones it assigns come back.',
};

/** A variable could not be moved between the kernels; the message names it and says what was left as it was. */
export class FarmOutError extends Error {
  override name = 'FarmOutError';
}

/** Lists that replace the ones read from the cell's syntax tree (`--in`, `--out`). */
export interface FarmOutOverrides {
  inputs?: string[];
  outputs?: string[];
}

/** What a farmed-out cell moves: names sent before it runs, names brought back after. */
export interface FarmOutPlan {
  inputs: string[];
  outputs: string[];
}

/** A cell for farm-out: its body (without the `%%remote` line), the kernel it asks for, and any overrides. */
export interface RemoteCell {
  body: string;
  kernel?: string;
  overrides: FarmOutOverrides;
}

/**
 * Reads a cell's `%%remote` line; a cell without one is all body. Throws MagicArgumentError (name `UsageError`)
 * when the line is wrong, e.g. an unknown option or `--in` naming something that cannot be a variable.
 */
export function parseRemoteCell(code: string): RemoteCell {
  const magic = parseCellMagic(code);
  if (magic?.name !== REMOTE_MAGIC.name) return { body: code, overrides: {} };
  const { options } = parseMagicArguments(REMOTE_MAGIC, magic.argText);
  const names = (option: 'in' | 'out'): string[] | undefined => {
    const value = options[option];
    if (value === undefined) return undefined;
    const list = String(value).split(',').map((name) => name.trim()).filter(Boolean);
    for (const name of list) {
      const problem = invalidIdentifier(name);
      if (problem) throw new MagicArgumentError(`${problem} (--${option}).`, usageLine(REMOTE_MAGIC));
    }
    return list;
  };
  const kernel = options.kernel === undefined ? undefined : String(options.kernel);
  return { body: magic.body, kernel, overrides: { inputs: names('in'), outputs: names('out') } };
}

/**
 * A `%%remote` cell's body and the kernel its line names, or null for any other cell. Never throws: a bad line is
 * the farmed run's UsageError to report, so `kernel` is then left out.
 */
export function remoteMagic(code: string): { body: string; kernel?: string } | null {
  const magic = parseCellMagic(code);
  if (magic?.name !== REMOTE_MAGIC.name) return null;
  try {
    return { body: magic.body, kernel: parseRemoteCell(code).kernel };
  } catch {
    return { body: magic.body };
  }
}

/**
 * What `body` moves when farmed out from `local`: the names it reads before assigning them that exist in `local`
 * (not modules; a function's free globals count unless the cell binds them), and the names it assigns at module
 * level (`=`, `+=`, annotated, `for` and `with` targets, `:=`, and `x[...] = ` / `x.a = `, which change `x`; not
 * imports, defs or classes). Overrides replace either list. A body that is not Python moves nothing.
 */
export async function planFarmOut(local: Kernel, body: string, overrides: FarmOutOverrides = {}): Promise<FarmOutPlan> {
  const found =
    overrides.inputs && overrides.outputs
      ? { inputs: [], outputs: [] }
      : await probe<FarmOutPlan>(local, `${farmOutSource}\nANSWER = plan(NAMESPACE, ARGS)`, { source: body });
  return { inputs: overrides.inputs ?? found.inputs, outputs: overrides.outputs ?? found.outputs };
}

/** The plan in one line, as the cell shows it: "Runs on Python 3 (ipykernel) · in: df, n · out: total". */
export function describePlan(kernelName: string, plan: FarmOutPlan): string {
  const list = (names: string[]) => (names.length ? names.join(', ') : 'nothing');
  return `Runs on ${kernelName} · in: ${list(plan.inputs)} · out: ${list(plan.outputs)}`;
}

interface Packed {
  kinds: Record<string, 'table' | 'pickle' | 'missing' | 'stays'>;
  problems: Record<string, string>;
  stashed: boolean;
}

/** The run was interrupted between two steps of the farm-out. */
class Interrupted extends Error {
  override name = 'KeyboardInterrupt';
}

/**
 * A kernel that runs each cell on `remote` with its variables moved from and back to `local`. The notebook owns
 * both kernels: it keeps the remote session between farmed-out cells and shuts it down itself, so `shutdown()`
 * here only retires this object and ends neither kernel. Everything but `execute` is `local`'s (completion,
 * inspection, status, tables), except `interrupt` and `restart` while a farmed-out run is in progress: those go
 * to `remote`, where the cell runs.
 */
export class FarmOutKernel implements Kernel {
  private running = 0;
  private interruptRequested = false;
  private retired = false;

  constructor(
    readonly local: Kernel,
    readonly remote: Kernel,
  ) {}

  get session(): string {
    return this.local.session;
  }

  get name(): string {
    return this.remote.name;
  }

  /** E.g. "Python 3 (ipykernel) — this cell". */
  get displayName(): string {
    return `${this.remote.displayName} — this cell`;
  }

  get status(): KernelStatus {
    return this.local.status;
  }

  /** Resolves once both kernels can execute, with the remote's info (where the code runs). */
  async ready(): Promise<KernelInfo> {
    const [, info] = await Promise.all([this.local.ready(), this.remote.ready()]);
    return info;
  }

  onStatusChange(listener: (change: KernelStatusChange) => void): Unsubscribe {
    return this.local.onStatusChange(listener);
  }

  onStartupProgress(listener: (progress: StartupProgress) => void): Unsubscribe {
    return this.local.onStartupProgress(listener);
  }

  /**
   * Runs `code` (its `%%remote` line read and left out) on the remote: publishes the plan as a display_data first,
   * sends the inputs, runs the body with every IOPub message of the remote run forwarded (but its status: this
   * run publishes one busy and one idle of its own), then brings the outputs back. A failed remote run brings
   * nothing back; an output the run did not bind (a branch not taken) is skipped, and so are functions, classes,
   * modules and files, which stay on the server. Resolves with the remote's reply, or an error reply
   * (`UsageError`, `FarmOutError`, `KeyboardInterrupt`) that says what was and was not moved.
   */
  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteReply> {
    if (this.retired) throw new Error('This farm-out kernel was shut down; create a new one.');
    const parent = makeMessage('execute_request', { code }, { session: this.session, channel: 'shell' }).header;
    const publish = (msgType: string, content: unknown) =>
      options.onIOPub?.(makeMessage(msgType, content, { session: this.session, channel: 'iopub', parent }) as IOPubMessage);
    this.running++;
    this.interruptRequested = false;
    publish('status', { execution_state: 'busy' });
    let executionCount = 0;
    try {
      const { body, overrides } = parseRemoteCell(code);
      await this.remote.ready();
      const plan = await planFarmOut(this.local, body, overrides);
      if (!options.silent) {
        publish('display_data', {
          data: { 'text/plain': describePlan(this.remote.displayName, plan) },
          metadata: { bento: { farmOut: { kernel: this.remote.displayName, in: plan.inputs, out: plan.outputs } } },
        });
      }
      this.checkInterrupt();
      await this.move('send', plan.inputs);
      this.checkInterrupt();
      const reply = await this.remote.execute(body, {
        ...options,
        onIOPub: (message) => {
          if (message.header.msg_type !== 'status') options.onIOPub?.(message);
        },
      });
      if (reply.content.status !== 'ok') return await this.numberedLocally(reply, code);
      executionCount = reply.content.execution_count;
      this.checkInterrupt();
      await this.move('bring', plan.outputs);
      return await this.numberedLocally(reply, code);
    } catch (error) {
      return this.failed(error, executionCount, publish, parent);
    } finally {
      this.running--;
      publish('status', { execution_state: 'idle' });
    }
  }

  /**
   * Gives a farmed-out cell its number in the notebook's own count, not the server session's, so the prompts of a
   * notebook stay in one sequence. Without an answer from the local kernel the server's number stays.
   */
  private async numberedLocally(reply: ExecuteReply, code: string): Promise<ExecuteReply> {
    const count = await countInKernel(this.local, code);
    if (count !== null) reply.content.execution_count = count;
    return reply;
  }

  complete(code: string, cursorPos: number): Promise<CompleteReplyContent> {
    return this.local.complete(code, cursorPos);
  }

  inspect(code: string, cursorPos: number, detailLevel?: 0 | 1): Promise<InspectReplyContent> {
    return this.local.inspect(code, cursorPos, detailLevel);
  }

  isComplete(code: string): Promise<IsCompleteReplyContent> {
    return this.local.isComplete(code);
  }

  inject(name: string, table: ColumnTable, options?: TableOptions): Promise<void> {
    return this.local.inject(name, table, options);
  }

  extract(name: string, options?: TableOptions): Promise<ColumnTable> {
    return this.local.extract(name, options);
  }

  /** During a farmed-out run: stops it (the remote cell, or the move in progress before its next step). */
  async interrupt(): Promise<void> {
    if (this.running === 0) return this.local.interrupt();
    this.interruptRequested = true;
    await this.remote.interrupt();
  }

  restart(): Promise<void> {
    return this.running > 0 ? this.remote.restart() : this.local.restart();
  }

  /** Retires this object; both kernels belong to the notebook, which shuts them down. */
  async shutdown(): Promise<void> {
    this.retired = true;
  }

  private checkInterrupt(): void {
    if (this.interruptRequested) throw new Interrupted('The cell was interrupted while its variables were moved; nothing more was moved.');
  }

  private failed(error: unknown, executionCount: number, publish: (msgType: 'error', content: ErrorContent) => void, parent: MessageHeader): ExecuteReply {
    const named = error instanceof FarmOutError || error instanceof MagicArgumentError || error instanceof Interrupted;
    const reason = named ? error : `Could not farm the cell out to ${this.remote.displayName}: ${error instanceof Error ? error.message : String(error)}`;
    const content: ExecuteReplyContent = { ...failedExecution(reason, publish, named ? error.name : 'FarmOutError'), execution_count: executionCount };
    return makeMessage('execute_reply', content, { session: this.session, channel: 'shell', parent });
  }

  /**
   * Moves `names` from one kernel to the other (`send`: local to remote; `bring`: back), all or nothing: tables
   * are extracted and injected under temporary names, the other values pickled into one temporary dict, then
   * one probe unpickles and binds them all and removes the temporaries.
   */
  private async move(direction: 'send' | 'bring', names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const [source, target] = direction === 'send' ? [this.local, this.remote] : [this.remote, this.local];
    const stash = `_bento_farm_${newId().slice(0, 16)}`;
    const fail = (name: string, reason: string) =>
      new FarmOutError(
        direction === 'send'
          ? `\`${name}\` cannot be sent to ${this.remote.displayName}: ${reason}. Nothing was sent and the cell did not run: ` +
            `create \`${name}\` in this cell, or leave it out with --in.`
          : `\`${name}\` cannot be brought back from ${this.remote.displayName}: ${reason}. The cell ran there, but none of ` +
            `its outputs (${names.join(', ')}) were bound here: turn \`${name}\` into a table or plain values, or leave it out with --out.`,
      );
    const call = <T>(kernel: Kernel, fn: string, args: unknown) => probe<T>(kernel, `${farmOutSource}\nANSWER = ${fn}(NAMESPACE, ARGS)`, args);

    const packed = await call<Packed>(source, 'pack', { names, stash, keepCode: direction === 'bring' });
    let pickles: Record<string, string> = {};
    try {
      const problem = names.find((name) => name in packed.problems);
      if (problem) throw fail(problem, packed.problems[problem]);
      const missing = names.find((name) => packed.kinds[name] === 'missing');
      if (direction === 'send' && missing) throw fail(missing, `there is no variable \`${missing}\` here`);
      if (packed.stashed) pickles = (await readValues(source, [stash]))[stash] as Record<string, string>;
    } finally {
      if (packed.stashed) await call(source, 'drop', { names: [stash] });
    }

    const staged: string[] = [];
    const tables: Record<string, string> = {};
    try {
      for (const name of names.filter((n) => packed.kinds[n] === 'table')) {
        const temporary = `${stash}_${staged.length}`;
        try {
          const table = await source.extract(name);
          staged.push(temporary);
          await target.inject(temporary, table);
        } catch (error) {
          throw fail(name, error instanceof Error ? error.message.replace(/\.$/, '') : String(error));
        }
        tables[name] = temporary;
      }
      if (packed.stashed) {
        staged.push(stash);
        await bindValue(target, stash, pickles);
      }
      const bound = await call<{ problem: [string, string] | null }>(target, 'bind', { tables, stash: packed.stashed ? stash : null });
      staged.length = 0; // bind removed them, whatever it answered
      if (bound.problem) throw fail(...bound.problem);
    } finally {
      if (staged.length > 0) await call(target, 'drop', { names: staged }).catch(() => {});
    }
  }
}
