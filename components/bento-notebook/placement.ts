/**
 * What a notebook does with placement's verdicts (src/placement/rules.ts): before a cell runs and after, it asks
 * the rules whether the cell is "lite"; when not, it offers a server kernel (`placement="ask"`), switches to one by
 * itself (`auto`), or runs just this cell there (farm-out, and always for `%%remote`). A chunk of its own: the
 * notebook loads it once its kernel starts.
 */
import type { configuredServers, createKernel, KernelChoice, listKernelspecs } from '../../src/kernel/choice.ts';
import type { ExecuteOptions, Kernel } from '../../src/kernel/kernel.ts';
import { makeMessage, type ExecuteReply, type IOPubMessage } from '../../src/kernel/protocol.ts';
import { inBrowser, rememberedKernel, rememberedUrl, rememberKernel } from '../../src/kernel/remembered.ts';
import { executeReply, failedExecution } from '../../src/kernel/replies.ts';
import type { Verdict } from '../../src/placement/placement.ts';
import { checkAfterRun, checkBeforeRun } from '../../src/placement/rules.ts';
import type { BentoCell } from '../bento-cell/bento-cell.ts';
import type { BentoNotebook } from './bento-notebook.ts';

type ServerChoice = Extract<KernelChoice, { kind: 'remote' }>;
type Choice = 'switch' | 'farm-out' | 'stay';

/**
 * What placement needs of the kernel choices (src/kernel/choice.ts). The notebook hands them over rather than this
 * chunk importing them: an import would split that module out of the bundle every page loads.
 */
export interface ServerKernels {
  configuredServers: typeof configuredServers;
  listKernelspecs: typeof listKernelspecs;
  createKernel: typeof createKernel;
}

/** Farm-out's chunk: loaded for a `%%remote` cell or a cell farmed out, not before. */
const farmOut = () => import('../../src/placement/farm-out.ts');

/** `kernel` with another `execute` (every other member is the kernel's own). */
function withExecute(kernel: Kernel, execute: Kernel['execute']): Kernel {
  return new Proxy(kernel, {
    get(target, property) {
      if (property === 'execute') return execute;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A kernel whose next execution fails at once with `message` (shown in the cell as any error is). */
function failing(kernel: Kernel, ename: string, message: string): Kernel {
  return withExecute(kernel, async (_code: string, options: ExecuteOptions = {}) => {
    const publish = (msgType: string, content: object) =>
      options.onIOPub?.(makeMessage(msgType, content, { session: kernel.session, channel: 'iopub' }) as IOPubMessage);
    const content = failedExecution(new Error(message), publish, ename);
    return executeReply(kernel, content);
  });
}

function executionCount(cell: BentoCell): number | null {
  const json = cell.toJSON() as { execution_count?: number | null };
  return json.execution_count ?? null;
}

export class NotebookPlacement {
  /** Farm-out sessions by kernel name: they live as long as the notebook (dispose). */
  private readonly farmSessions = new Map<string, Promise<Kernel>>();
  /** Verdicts the person answered "Stay" to: not asked again while the page is open. */
  private readonly declined = new Set<string>();
  /** Cells whose next run goes to a server kernel ("Run this cell on ..."). */
  private readonly farmNext = new WeakSet<BentoCell>();
  private targets?: { key: unknown; found: Promise<ServerChoice[]> };
  /** Whether the notebook's first kernelspec was honoured yet: only then does it attach to the kernel the tab had. */
  private honoured = false;

  constructor(
    private readonly notebook: BentoNotebook,
    private readonly kernels: ServerKernels,
  ) {}

  /** The kernel `cell` runs on: `kernel`, or a server kernel (after a switch, or for this cell alone). */
  async beforeRun(cell: BentoCell, kernel: Kernel): Promise<Kernel> {
    try {
      const { remoteMagic } = cell.source.startsWith('%%remote') ? await farmOut() : { remoteMagic: () => null };
      const magic = remoteMagic(cell.source);
      if (magic) {
        // Already on a server: the cell runs there as it is.
        if (!inBrowser(kernel)) return withExecute(kernel, (code, options) => kernel.execute(remoteMagic(code)?.body ?? code, options));
        return await this.farmOutKernel(kernel, magic.kernel);
      }
      if (this.farmNext.has(cell)) {
        this.farmNext.delete(cell);
        return await this.farmOutKernel(kernel);
      }
      if (!inBrowser(kernel) || this.notebook.placement === 'off') return kernel;
      const verdict = await checkBeforeRun({ phase: 'before', source: cell.source, metadata: this.notebook.notebookMetadata, kernel }, this.notebook.placementOptions);
      if (verdict) {
        const choice = await this.decide(verdict, cell);
        if (choice === 'switch') return (await this.switchNotebook(verdict, cell, false)) ?? kernel;
        if (choice === 'farm-out') return await this.farmOutKernel(kernel);
      }
      return kernel;
    } catch (error) {
      // Placement never stops a run: the cell runs where it would have, and the reason is reported.
      this.notebook.reportError(error, 'placement', 'Placement could not decide where the cell runs: ');
      return kernel;
    }
  }

  /** Looks at what a run in the browser (started at `started`, performance.now()) did; a verdict becomes an offer (or a switch with `auto`). */
  afterRun(cell: BentoCell, kernel: Kernel, started: number, reply?: ExecuteReply, tableBytes?: number): void {
    const seconds = (performance.now() - started) / 1000;
    if (!inBrowser(kernel) || this.notebook.placement === 'off') return;
    void (async () => {
      // A runtime that died under the cell ends its run with DeadKernelError and says why (an interrupt that had
      // to replace it ends with KeyboardInterrupt instead).
      const error = reply?.content as { ename?: string; evalue?: string } | undefined;
      const runtimeDied = error?.ename === 'DeadKernelError' ? error.evalue : undefined;
      const heapBytes = runtimeDied ? undefined : await kernel.heapBytes().catch(() => undefined);
      const verdict = await checkAfterRun(
        { phase: 'after', source: cell.source, reply, runtimeDied, heapBytes, tableBytes, seconds },
        this.notebook.placementOptions,
      );
      if (!verdict) return;
      const choice = await this.decide(verdict, cell);
      if (choice === 'switch') await this.switchNotebook(verdict, cell, true);
      else if (choice === 'farm-out') {
        this.farmNext.add(cell);
        await cell.run().catch(() => undefined);
      }
    })().catch(() => {});
  }

  /**
   * Opens a notebook saved with the server kernel `wanted` on that kernel, when a configured server offers it; not
   * under a running cell, and not when a kernel was chosen or another notebook loaded meanwhile (`choiceId` is old).
   */
  async honourKernelspec(wanted: string, choiceId: number): Promise<void> {
    const notebook = this.notebook;
    const first = !this.honoured;
    this.honoured = true;
    const target = (await this.serverKernels()).find((k) => k.kernelName === wanted);
    if (notebook.kernelChoiceId !== choiceId) return;
    if (!target) {
      notebook.notice = { text: `This notebook was saved with the kernel "${wanted}", which no configured Jupyter Server offers; it runs in the browser instead.`, kind: 'info', key: 'kernel' };
      return;
    }
    const had = rememberedKernel(notebook.draftKey);
    const same = had?.url === rememberedUrl(target.server.baseUrl) && had.name === target.kernelName;
    // Already on that kernel (the draft restored over a notebook from `src`, or another notebook opened): it stays,
    // variables and all, as Python in the browser does.
    const current = notebook.kernel as Kernel & { id?: string };
    if (same && current.id === had.id && current.status !== 'dead') return;
    // After a reload, the kernel this tab ran the notebook on, if it is of this server and kernelspec.
    const kernelId = first && same ? had.id : undefined;
    await notebook.whenCellsIdle();
    if (notebook.kernelChoiceId === choiceId) await this.replaceKernel({ ...target, kernelId }, choiceId, false);
  }

  /**
   * Gives the notebook a fresh kernel of `choice`, unless another choice came meanwhile (`choiceId` is old). Text and
   * outputs stay; variables do not move (placement's switch replays the cells; a person's switch says so).
   */
  async replaceKernel(choice: KernelChoice, choiceId: number, announce: boolean): Promise<void> {
    const notebook = this.notebook;
    const kernel = await this.kernels.createKernel(choice);
    if (notebook.kernelChoiceId !== choiceId) {
      // Another choice came while this kernel was made (nothing has started it yet).
      void kernel.shutdown().catch(() => {});
      return;
    }
    const previous = notebook.adoptKernel(kernel, choice);
    this.remember(kernel, choice);
    if (announce) {
      const name = choice.kind === 'pyodide' ? 'Python (in browser)' : choice.displayName;
      notebook.notice = { text: `Switched to ${name}. It starts fresh: variables from the previous kernel did not move, so run the cells again.`, kind: 'info', key: 'kernel' };
      notebook.changed();
    }
    // Only once the notebook listens to the new kernel: the old one's "shut down" is not news to anyone.
    await notebook.updateComplete;
    void previous?.shutdown().catch(() => {});
  }

  /**
   * Keeps the server kernel's id for the tab once it has one, and again whenever it changes (a dead kernel's Restart
   * starts another), while it is the notebook's: a reload then attaches to it. Python in the browser forgets it.
   */
  private remember(kernel: Kernel, choice: KernelChoice): void {
    const key = this.notebook.draftKey;
    if (choice.kind === 'pyodide') return rememberKernel(key);
    const url = rememberedUrl(choice.server.baseUrl);
    let kept: string | undefined;
    const keep = () => {
      // A kernel the notebook no longer runs on is not listened to any longer.
      if (this.notebook.kernel !== kernel) return stop();
      const id = (kernel as { id?: string }).id;
      if (id && id !== kept) rememberKernel(key, { url, name: choice.kernelName, id: (kept = id) });
    };
    const stop = kernel.onStatusChange(keep);
    keep();
  }

  /** Shuts the farm-out sessions down (the notebook left the page). */
  dispose(): void {
    for (const session of this.farmSessions.values()) void session.then((kernel) => kernel.shutdown()).catch(() => {});
    this.farmSessions.clear();
  }

  /** The server kernels configured for this notebook (the default kernelspec of each server that answers). */
  private serverKernels(): Promise<ServerChoice[]> {
    const { servers, serverUrl, token } = this.notebook;
    const key = JSON.stringify([servers.map((s) => s.baseUrl), serverUrl, token]);
    if (this.targets?.key !== key) {
      const found = this.kernels.listKernelspecs(this.kernels.configuredServers(servers, serverUrl, token)).then((answers) =>
        answers.flatMap(({ server, specs }) =>
          specs ? Object.entries(specs.kernelspecs).map(([kernelName, spec]) => ({ kind: 'remote' as const, server, kernelName, displayName: spec.spec.display_name, isDefault: kernelName === specs.default })) : [],
        ),
      );
      this.targets = { key, found: found.then((list) => [...list.filter((k) => k.isDefault), ...list.filter((k) => !k.isDefault)]) };
      // A server that was down may be up at the next verdict.
      found.catch(() => {}).finally(() => setTimeout(() => this.targets?.key === key && (this.targets = undefined), 30_000));
    }
    return this.targets.found;
  }

  /** The server kernel a verdict points to: the one the notebook's metadata names, else the first server's default. */
  private async target(wanted?: string): Promise<ServerChoice | undefined> {
    const kernels = await this.serverKernels();
    const named = wanted ?? ((this.notebook.notebookMetadata.bento as { placement?: { kernel?: string } } | undefined)?.placement?.kernel);
    return kernels.find((k) => k.kernelName === named) ?? (wanted ? undefined : kernels[0]);
  }

  private cellName(cell: BentoCell): string {
    return `Cell ${this.notebook.cells.indexOf(cell) + 1}`;
  }

  /** What to do about a verdict: the policy's answer, or the person's. */
  private async decide(verdict: Verdict, cell: BentoCell): Promise<Choice> {
    const key = `${verdict.rule}:${verdict.reason}`;
    if (this.declined.has(key)) return 'stay';
    const target = await this.target();
    const what = `${this.cellName(cell)} ${verdict.reason}.`;
    if (!target) {
      this.notebook.notice = {
        text: `${what} It would run on a server kernel, but this page configures no Jupyter Server: a host page sets the notebook's servers property (or its server-url and token attributes) to offer one.`,
        kind: 'info',
        key: 'placement',
      };
      return 'stay';
    }
    if (this.notebook.placement === 'auto') return 'switch';
    const name = target.displayName;
    return new Promise<Choice>((resolve) => {
      let settled = false;
      const settle = (choice: Choice) => {
        if (settled) return;
        settled = true;
        if (choice === 'stay') this.declined.add(key);
        resolve(choice);
      };
      // A button closes the message (see Notice).
      const pick = (choice: Choice) => () => settle(choice);
      this.notebook.notice = {
        text: `${what} Run it on ${name}?`,
        kind: 'info',
        key: 'placement',
        actions: [
          [`Switch to ${name}`, pick('switch')],
          [`Run this cell on ${name}`, pick('farm-out')],
          ['Stay in the browser', pick('stay')],
        ],
        // Closed, replaced by another offer, or pushed out by newer messages: the cell stays where it is rather than wait for ever.
        dismiss: () => settle('stay'),
      };
    });
  }

  /**
   * Moves the notebook to the server kernel and replays the cells run so far there, in the order they ran, stopping
   * at the first error; `withCell` replays `cell` too (its run already happened). Recorded in the metadata, so a
   * reload opens on that kernel. Resolves with the new kernel, or undefined when there is no server after all.
   */
  private async switchNotebook(verdict: Verdict, cell: BentoCell, withCell: boolean): Promise<Kernel | undefined> {
    const target = await this.target();
    if (!target) return undefined;
    const notebook = this.notebook;
    if (withCell) await notebook.whenCellsIdle();
    // Each cell's count read once (toJSON copies the cell), not at every comparison of the sort.
    const ran = notebook.cells
      .filter((c) => c.type === 'code' && (withCell || c !== cell))
      .map((c) => ({ c, count: executionCount(c) }))
      .filter((entry): entry is { c: BentoCell; count: number } => entry.count !== null)
      .sort((a, b) => a.count - b.count)
      .map(({ c }) => c);
    await notebook.switchKernel(target, false);
    const kernel = notebook.kernel;
    const bento = (notebook.notebookMetadata.bento ??= {}) as Record<string, unknown>;
    bento.placement = { kernel: target.kernelName, reason: `${this.cellName(cell)} ${verdict.reason}` };
    notebook.changed();
    const name = target.displayName;
    for (const [i, c] of ran.entries()) {
      notebook.notice = { text: `Switched to ${name} (${this.cellName(cell)} ${verdict.reason}). Replaying cell ${i + 1} of ${ran.length}…`, kind: 'info', key: 'kernel' };
      const reply = await c.run(kernel).catch(() => undefined);
      if (reply?.content.status !== 'ok') {
        const content = reply?.content as { ename?: string; evalue?: string } | undefined;
        notebook.notice = {
          text: `Switched to ${name}; the replay stopped at ${this.cellName(c)}${content?.ename ? ` (${content.ename}: ${content.evalue})` : ''}. Fix it and run it again; the cells after it did not run.`,
          kind: 'error',
          key: 'kernel',
        };
        return kernel;
      }
    }
    notebook.notice = {
      text: `Switched to ${name}: ${this.cellName(cell)} ${verdict.reason}.${ran.length ? ` Replayed the ${ran.length} cell${ran.length === 1 ? '' : 's'} run before it.` : ''}`,
      kind: 'info',
      key: 'kernel',
    };
    return kernel;
  }

  /** A kernel that runs the cell on a server kernel with its variables moved both ways (src/placement/farm-out.ts). */
  private async farmOutKernel(local: Kernel, wanted?: string): Promise<Kernel> {
    const target = await this.target(wanted);
    if (!target) {
      return failing(
        local,
        'FarmOutError',
        wanted
          ? `No configured Jupyter Server offers the kernel '${wanted}'.`
          : 'This cell runs on a server kernel, but this page configures no Jupyter Server: a host page sets the notebook\'s servers property (or its server-url and token attributes).',
      );
    }
    let session = this.farmSessions.get(target.kernelName);
    if (!session) {
      session = this.kernels.createKernel(target);
      this.farmSessions.set(target.kernelName, session);
      session.catch(() => this.farmSessions.delete(target.kernelName));
    }
    const [{ FarmOutKernel }, remote] = await Promise.all([farmOut(), session]);
    return new FarmOutKernel(local, remote);
  }
}
