import { ContextProvider } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { kernelContext } from '../../src/kernel/context.ts';
import type { Kernel, KernelStatusChange, StartupProgress } from '../../src/kernel/kernel.ts';
import type { ExecuteReply, KernelStatus } from '../../src/kernel/protocol.ts';
import { PYODIDE_KERNELSPEC, configuredServers, createKernel, listKernelspecs, type KernelChoice } from '../../src/kernel/choice.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import type { JupyterServerOptions } from '../../src/kernel/remote/server.ts';
import { afterPageScripts, kernelStatus, started as kernelStarted } from '../../src/util/later.ts';
import type { DraftStore } from '../../src/notebook/autosave.ts';
import { newNotebook, parseNotebook, serializeNotebook } from '../../src/notebook/ipynb.ts';
import { joinSource, type Cell, type Notebook } from '../../src/notebook/nbformat.ts';
import { BentoCell, BentoChangeEvent, BentoErrorEvent, type BentoCellCommandEvent, type BentoDisplayUpdateEvent, type CellType, type KernelLease } from '../bento-cell/bento-cell.ts';
import type { PlacementOptions, PlacementPolicy } from '../../src/placement/placement.ts';
import type { NotebookPlacement } from './placement.ts';
import '../kernel-selector/kernel-selector.ts';
import { icons } from '../shared/icons.ts';
import { statusBadge } from '../shared/kernel-status.ts';
import type { BentoKernelChangeRequestEvent } from '../kernel-selector/kernel-selector.ts';
import { styles } from './bento-notebook.styles.ts';

/** Fired before a destructive action; call preventDefault() to stop it. */
export class BentoRequestEvent extends Event {
  constructor(
    type: 'bento-cell-delete-request' | 'bento-kernel-restart-request',
    readonly detail: { index?: number },
  ) {
    super(type, { bubbles: true, composed: true, cancelable: true });
  }
}

/** A notebook finished loading (from `src`, a file, a draft, or `load()`). */
export class BentoLoadEvent extends Event {
  constructor(readonly source: 'src' | 'file' | 'draft' | 'api') {
    super('bento-load', { bubbles: true, composed: true });
  }
}


/** A message above the cells; each action is a button (its label, what it does) that closes the message. */
export interface Notice {
  text: string;
  kind: 'info' | 'error';
  /** What the message is about ('kernel', 'draft', 'autosave', ...): a newer message with the same key replaces it. */
  key?: string;
  actions?: Array<[string, () => void]>;
  /** Called when the message goes without one of its actions taken (closed, replaced, or pushed out by newer ones). */
  dismiss?: () => void;
}

const AUTOSAVE_DELAY_MS = 400;
/** Messages shown above the cells at most; see the `notice` setter. */
const NOTICES_SHOWN = 3;
const DOUBLE_KEY_MS = 800;
/** Cells a loaded notebook makes and renders at once (about a screenful); see applyNotebook. */
const RENDER_AT_ONCE = 12;

function isTyping(event: Event): boolean {
  return event.composedPath().some((node) => {
    if (!(node instanceof HTMLElement)) return false;
    return node.classList.contains('cm-content') || node.tagName === 'INPUT' || node.tagName === 'TEXTAREA' || node.tagName === 'SELECT' || node.isContentEditable;
  });
}

/**
 * @summary A Jupyter-style notebook in one tag. Gives its cells one kernel session (serverless Python by
 * default), saves edits locally as you type, opens and saves .ipynb files.
 *
 * @slot - `<bento-cell>` elements: the notebook's cells, in order.
 *
 * @event bento-load - A notebook was loaded.
 * @event bento-change - The notebook changed (text, outputs or structure).
 * @event bento-execute - A cell finished running (bubbles from the cell).
 * @event bento-error - Something failed: loading, saving, autosave, the kernel.
 * @event bento-cell-delete-request - Cancelable, before a cell is deleted.
 * @event bento-kernel-restart-request - Cancelable, before the kernel restarts.
 *
 * @csspart toolbar - The header with the kernel status and buttons.
 * @csspart status - The kernel status text.
 * @csspart progress - The start-up progress bar.
 * @csspart notice - Each message to the user (errors, restore offer), the newest first.
 * @csspart cells - The list of cells.
 * @csspart add-cell - The "add cell" buttons under the last cell.
 *
 * @cssprop [--bento-notebook-background=var(--bento-color-background)] - Background behind the cells.
 * @cssprop [--bento-notebook-toolbar-background=var(--bento-color-surface)] - Toolbar background.
 */
@customElement('bento-notebook')
export class BentoNotebook extends LitElement {
  static override styles = styles;

  private draftStore?: Promise<DraftStore>;
  private autosaveTimer?: ReturnType<typeof setTimeout>;
  /** The cells whose runs have their kernel and have not finished: a draft records them. */
  private readonly running = new Set<BentoCell>();
  private deleted: Array<{ index: number; cell: Cell }> = [];
  private lastKey?: { key: string; at: number };
  /** @internal The file the notebook was opened from or saved to (./notebook-files.ts). */
  fileHandle?: FileSystemFileHandle;
  private unsubscribeKernel: Array<() => void> = [];
  private loading = false;
  private changedWhileLoading = false;
  /** @internal Whether the cells came from outside the page (see `src`): shared/sanitize.ts reads it. */
  untrusted = false;
  /** @internal The metadata to save (placement records a switch in it). */
  notebookMetadata: Notebook['metadata'] = {};
  private notebookExtra: Record<string, unknown> = {};
  /** The kernelspec to save once the person switched kernels (until then, the loaded one is kept). */
  private chosenKernelspec?: { name: string; display_name: string; language: string };
  private readonly kernelProvider = new ContextProvider(this, { context: kernelContext });
  private currentKernel?: Kernel;
  /** Settles once the notebook knows which kernel its cells run on (a switch, automatic or chosen, is under way). */
  private kernelDecided: Promise<void> = Promise.resolve();
  /** @internal Bumped by every load and every choice of kernel: an automatic switch applies only when nothing came after it. */
  kernelChoiceId = 0;
  /** The last kernel handed to a run: the next one is handed out after it, in the order runs were asked for. */
  private lastLease: Promise<unknown> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];
  private initialised: Promise<void> = Promise.resolve();
  /** Where cells should run (./placement.ts): a chunk of its own, loaded once the kernel starts unless placement is off. */
  private placer?: Promise<NotebookPlacement>;
  /** Cells of the loaded notebook not made into elements yet (see makeCells). */
  private unmade: Cell[] = [];
  /** Settles once every cell of the loaded notebook is an element. */
  private allMade: Promise<void> = Promise.resolve();
  private resolveAllMade?: () => void;
  /** @internal Told of the cells makeCells held back from rendering (./render-later.ts renders them). */
  cellsMade?: (cells: BentoCell[]) => void;

  @query('.more > button') private moreButton?: HTMLButtonElement;

  @state() private status: KernelStatus = 'unknown';
  @state() private menuOpen = false;
  @state() private progress?: StartupProgress;
  /** The messages above the cells, newest first. */
  @state() private notices: Notice[] = [];
  @state() private activeIndex = 0;
  @state() private choice: KernelChoice = { kind: 'pyodide' };
  /** Runs of this notebook's cells that have their kernel and have not finished. */
  @state() private runningCells = 0;

  /**
   * The kernel session every cell of this notebook runs in. Replace it to switch kernels. Unless the page gives one,
   * the notebook creates serverless Python when first needed: soon after the page's own scripts ran (they may
   * configure the runtime), or when a cell runs or this is read, whichever comes first.
   */
  get kernel(): Kernel {
    if (!this.currentKernel) this.useKernel(new PyodideKernel());
    return this.currentKernel!;
  }

  set kernel(kernel: Kernel) {
    this.kernelChoiceId++; // the page's kernel wins over an automatic switch under way
    this.useKernel(kernel);
  }

  /**
   * @internal The newest message above the cells (placement's offers: `actions` become buttons). Setting a message
   * shows it above the older ones: it replaces the one with its `key`, and past three the oldest info goes (else the
   * oldest error). Setting undefined closes the newest.
   */
  get notice(): Notice | undefined {
    return this.notices[0];
  }

  set notice(notice: Notice | undefined) {
    const newest = this.notice;
    const older = this.notices.filter((shown) => (notice ? shown !== notice && (!notice.key || shown.key !== notice.key) : shown !== newest));
    // The oldest info, or else (-1) the oldest error.
    if (notice && older.length >= NOTICES_SHOWN) older.splice(older.findLastIndex((shown) => shown.kind === 'info'), 1);
    this.showNotices(notice ? [notice, ...older] : older);
  }

  /**
   * URL of an .ipynb to load. What it carries is untrusted: HTML is sanitized, nothing runs, and nothing is fetched
   * (remote images, CSS url()s) unless the page sets the `allow-remote-content` attribute. So is a notebook opened from
   * a file, given to `load()` or restored from a draft.
   */
  @property() src?: string;
  /** Key of the local draft (IndexedDB); default: `src`, or this page's path and the element's id. */
  @property({ attribute: 'autosave-key' }) autosaveKey?: string;
  /** Turns autosave off. */
  @property({ type: Boolean, attribute: 'no-autosave' }) noAutosave = false;
  /** File name used when saving. */
  @property() name = 'notebook.ipynb';
  /** Jupyter Servers whose kernels the kernel selector offers (the tokens stay in JavaScript). */
  @property({ attribute: false }) servers: JupyterServerOptions[] = [];
  /** Shorthand for one Jupyter Server: its URL. */
  @property({ attribute: 'server-url' }) serverUrl?: string;
  /** Token of `server-url`: the attribute is removed once read (the value stays in this property). */
  @property() token?: string;
  /**
   * When a cell is not "lite" (it imports a library with no browser build, runs out of memory, ...): offer a server
   * kernel (`ask`), switch to it by itself (`auto`), or never look (`off`). README: *Where a notebook runs*.
   */
  @property() placement: PlacementPolicy = 'ask';
  /** Placement's thresholds and the host's own rules. */
  placementOptions: PlacementOptions = {};

  /** The token is kept in JavaScript only: read from its attribute, which then leaves the DOM (and outerHTML). */
  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    // Our own removal must not clear the property.
    if (name !== 'token' || value !== null) super.attributeChangedCallback(name, old, value);
    if (name === 'token' && value !== null) this.removeAttribute(name);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    for (const [type, listener] of this.hostListeners()) this.addEventListener(type, listener);
    this.initialised = this.initialise();
    // Python boots from now on, not once the page's scripts and this notebook's checks are done; what they decide
    // (configureDefault, a server kernel) still applies: they end this early start if it is not theirs.
    if (!this.currentKernel) PyodideRuntime.prestart();
    void this.startKernelSoon();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const [type, listener] of this.hostListeners()) this.removeEventListener(type, listener);
    for (const stop of this.unsubscribeKernel) stop();
    this.unsubscribeKernel = [];
    clearTimeout(this.autosaveTimer);
    document.removeEventListener('pointerdown', this.onPointerDownOutside, true);
    this.menuOpen = false;
    void this.placer?.then((placer) => placer.dispose(), () => {});
    this.placer = undefined;
  }

  /** Also waits for the cells to render (a Markdown cell waits for its renderer, a `%%sql` cell for its element). */
  protected override async getUpdateComplete(): Promise<boolean> {
    const complete = await super.getUpdateComplete();
    await this.allMade;
    await Promise.all(this.madeCells.map((cell) => cell.updateComplete));
    return complete;
  }

  protected override updated(): void {
    // Runs on every slot change too, a big notebook's cells being made a slice at a time: only what differs is set (a
    // tabIndex set to the value it has is still an attribute change for the browser to process).
    this.madeCells.forEach((cell, i) => {
      const active = i === this.activeIndex;
      if (cell.active !== active) cell.active = active;
      if (cell.tabIndex !== (active ? 0 : -1)) cell.tabIndex = active ? 0 : -1;
    });
  }

  /** What the notebook listens to on itself: events bubbling from its cells and toolbar, and keys. */
  private hostListeners(): Array<[string, EventListener]> {
    return [
      ['bento-change', this.onChange],
      ['bento-cell-command', this.onCellCommand as EventListener],
      ['bento-display-update', this.onDisplayUpdate as EventListener],
      ['keydown', this.onKeydown as EventListener],
      ['focusin', this.onFocusIn as EventListener],
      ['bento-kernel-change-request', this.onKernelChangeRequest as EventListener],
    ];
  }

  private watchKernel(): void {
    for (const stop of this.unsubscribeKernel) stop();
    const kernel = this.kernel;
    this.status = kernel.status;
    this.progress = undefined;
    this.unsubscribeKernel = [
      kernel.onStatusChange((change: KernelStatusChange) => {
        this.status = change.status;
        // Every message of the kernel's replaces its last: "Reconnected" follows "reconnecting…", which would linger.
        if (change.message) this.notice = { text: change.message, kind: change.status === 'dead' ? 'error' : 'info', key: 'kernel' };
      }),
      kernel.onStartupProgress((progress) => (this.progress = progress)),
    ];
    // Boot while the page renders: the first run then only waits for what is left. A kernel that cannot start
    // (a server that is down) is news; Restart tries again.
    void kernel.ready().catch((error: unknown) => {
      if (this.kernel === kernel) this.reportError(error, 'kernel', `Could not start the kernel ${kernel.displayName}: `);
    });
  }

  private useKernel(kernel: Kernel): void {
    const previous = this.currentKernel;
    if (kernel === previous) return;
    this.currentKernel = kernel;
    this.kernelProvider.setValue(kernel);
    this.watchKernel();
    this.requestUpdate('kernel', previous);
  }

  /**
   * Boots the kernel without waiting for a run, so the first one only waits for what is left of the start-up: after
   * the page's own scripts ran, and once the notebook knows which kernel it uses (a notebook saved with a server
   * kernel never boots Python in the browser for nothing).
   */
  private async startKernelSoon(): Promise<void> {
    await afterPageScripts();
    await this.initialised.catch(() => {});
    await this.kernelSettled();
    if (this.isConnected && !this.currentKernel) this.useKernel(new PyodideKernel());
    PyodideRuntime.releasePrestart();
  }

  /** Placement's chunk; a failed load is tried again by the next call. */
  private loadPlacer(): Promise<NotebookPlacement> {
    return (this.placer ??= import('./placement.ts').then(
      (module) => new module.NotebookPlacement(this, { configuredServers, listKernelspecs, createKernel }),
      (error: unknown) => {
        this.placer = undefined;
        throw error;
      },
    ));
  }

  /** Resolves once no switch of kernel is under way. */
  private async kernelSettled(): Promise<void> {
    let decided;
    do {
      decided = this.kernelDecided;
      await decided;
    } while (decided !== this.kernelDecided);
  }

  /** Runs wait for `decision` (and the ones before it) before they take the kernel. */
  private decideKernel(decision: Promise<void>): void {
    this.kernelDecided = Promise.all([this.kernelDecided, decision.catch(() => {})]).then(() => {});
  }

  /** @internal Resolves once no cell of this notebook is running. */
  whenCellsIdle(): Promise<void> {
    if (this.runningCells === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The draft store, loaded on first use: IndexedDB is asynchronous anyway, so its code need not come first. */
  private drafts(): Promise<DraftStore> {
    return (this.draftStore ??= import('../../src/notebook/autosave.ts').then(
      ({ DraftStore }) => new DraftStore(),
      (error: unknown) => {
        this.draftStore = undefined; // the next autosave tries again
        throw error;
      },
    ));
  }

  /** @internal The key of the notebook's draft, and of the server kernel it remembers for the tab (placement). */
  get draftKey(): string {
    return this.autosaveKey ?? this.src ?? `${location.pathname}#${this.id || 'notebook'}`;
  }

  private async initialise(): Promise<void> {
    this.loading = true;
    try {
      if (this.src) await this.loadFromURL(this.src);
      if (this.noAutosave) return;
      let drafts, draft;
      try {
        drafts = await this.drafts();
        draft = await drafts.load(this.draftKey);
      } catch (error) {
        this.reportError(error, 'autosave');
        return;
      }
      if (!draft) return;
      if (this.src) {
        // A notebook from `src` with local edits saved for it: the person picks which to keep.
        const { notebook } = draft;
        this.notice = {
          text: drafts.offerMessage(draft),
          kind: 'info',
          key: 'draft',
          actions: [
            ['Restore my edits', () => void this.applyNotebook(notebook).then(() => this.dispatchEvent(new BentoLoadEvent('draft')))],
            ['Discard them', () => void drafts.delete(this.draftKey).catch(() => {})],
          ],
        };
      } else {
        await this.applyNotebook(draft.notebook);
        this.notice = { text: drafts.restoredMessage(draft, this.currentKernel, this.draftKey), kind: 'info', key: 'draft' };
        this.dispatchEvent(new BentoLoadEvent('draft'));
      }
    } finally {
      this.loading = false;
      if (this.madeCells.length === 0) void this.applyNotebook(newNotebook(), false);
      if (this.changedWhileLoading) this.onChange();
    }
  }

  private async loadFromURL(url: string): Promise<void> {
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
      await this.applyNotebook(parseNotebook(await response.text()));
      this.dispatchEvent(new BentoLoadEvent('src'));
    } catch (error) {
      this.reportError(error, 'load', `Could not open ${url}: `);
    }
  }

  /** @internal Shows what failed above the cells and fires `bento-error`. */
  reportError(error: unknown, source: string, prefix = ''): void {
    const message = prefix + (error instanceof Error ? error.message : String(error));
    this.notice = { text: message, kind: 'error', key: source };
    this.dispatchEvent(new BentoErrorEvent({ message, source }));
  }

  /** Shows `notebook`'s cells; settles once every one is an element (a big notebook makes them a slice at a time). */
  private applyNotebook(notebook: Notebook, untrusted = true): Promise<void> {
    this.untrusted = untrusted;
    this.notebookMetadata = structuredClone(notebook.metadata ?? {});
    this.chosenKernelspec = undefined;
    this.decideKernel(this.honourKernelspec(++this.kernelChoiceId));
    const { cells, metadata: _metadata, nbformat: _nbformat, nbformat_minor: _minor, ...extra } = notebook;
    this.notebookExtra = extra;
    this.unmade = [];
    this.resolveAllMade?.();
    for (const cell of this.madeCells) cell.remove();
    // A notebook of many cells makes and renders its first ones now, and the rest a slice at a time, those nearing
    // the viewport first (./render-later.ts): making and rendering a thousand cells at once blocks the page for
    // seconds. Meanwhile `cells`, toJSON() and what uses them (save, run all, autosave) see every cell.
    this.unmade = [...cells];
    this.cellsMade = undefined;
    this.makeCells(RENDER_AT_ONCE, false);
    this.activeIndex = 0;
    if (!this.unmade.length) return Promise.resolve();
    this.allMade = new Promise((resolve) => (this.resolveAllMade = resolve));
    import('./render-later.ts').then(
      (module) => module.renderLater(this),
      () => this.cells.forEach((cell) => cell.renderNow()),
    );
    return this.allMade;
  }

  /** The cells made into elements so far (`cells` makes the rest first). */
  private get madeCells(): BentoCell[] {
    return [...this.children].filter((child): child is BentoCell => child instanceof BentoCell);
  }

  /**
   * @internal Makes up to `count` more cells of the loaded notebook, after those made before (whatever changes the
   * cells' order reads `cells` first); when `hold`, they wait for renderNow() (cellsMade hears of them). Returns them.
   */
  makeCells(count: number, hold = true): BentoCell[] {
    const made = this.unmade.splice(0, count).map((json) => {
      const cell = document.createElement('bento-cell');
      cell.fromJSON(json);
      cell.tabIndex = -1;
      if (hold) cell.holdRender();
      return cell;
    });
    this.append(...made);
    if (hold) this.cellsMade?.(made);
    if (!this.unmade.length) this.resolveAllMade?.();
    return made;
  }

  private readonly onChange = (): void => {
    if (this.noAutosave) return;
    if (this.loading) {
      // Edits made while the draft is being looked up are saved once that is done.
      this.changedWhileLoading = true;
      return;
    }
    clearTimeout(this.autosaveTimer);
    this.autosaveTimer = setTimeout(() => void this.autosave(), AUTOSAVE_DELAY_MS);
  };

  /** @internal Fires `bento-change`. */
  changed(): void {
    this.dispatchEvent(new BentoChangeEvent());
  }

  private async autosave(): Promise<void> {
    clearTimeout(this.autosaveTimer);
    this.autosaveTimer = undefined;
    try {
      // Running cells are made ones, and the made cells come first.
      await (await this.drafts()).save(this.draftKey, this.toJSON(), this.madeCells.flatMap((cell, i) => (this.running.has(cell) ? [i] : [])));
      this.closeNotices((notice) => notice.key === 'autosave');
    } catch (error) {
      this.reportError(error, 'autosave');
    }
  }

  private readonly onDisplayUpdate = (event: BentoDisplayUpdateEvent): void => {
    const id = event.message.content.transient?.display_id;
    if (!id) return;
    for (const cell of this.cells) cell.outputs.updateDisplay(id, event.message.content);
  };

  /**
   * A notebook saved with a server kernel opens on that kernel again when a server is configured (the rest is
   * placement's: ./placement.ts); `choiceId` tells whether a kernel was chosen or another notebook loaded meanwhile.
   */
  private async honourKernelspec(choiceId: number): Promise<void> {
    const wanted = (this.notebookMetadata.kernelspec as { name?: string } | undefined)?.name;
    if (wanted && wanted !== PYODIDE_KERNELSPEC.name && configuredServers(this.servers, this.serverUrl, this.token).length > 0) {
      await (await this.loadPlacer()).honourKernelspec(wanted, choiceId);
    }
  }

  private readonly onKernelChangeRequest = (event: BentoKernelChangeRequestEvent): void => {
    event.handled = true;
    // Listeners above the notebook run after this one: act once the event has gone all the way up.
    queueMicrotask(() => {
      if (!event.defaultPrevented) void this.switchKernel(event.choice);
    });
  };

  /**
   * Switches to a fresh kernel of `choice`. Text and outputs stay; variables do not move between kernels. Runs asked
   * for meanwhile wait for the new kernel; the last choice wins.
   */
  async switchKernel(choice: KernelChoice, announce = true): Promise<void> {
    const choiceId = ++this.kernelChoiceId;
    const switching = this.loadPlacer()
      .then((placer) => placer.replaceKernel(choice, choiceId, announce))
      .catch((error: unknown) => this.reportError(error, 'kernel', 'Could not switch kernels: '));
    this.decideKernel(switching);
    return switching;
  }

  /** @internal Makes `kernel` (of `choice`) the notebook's; returns the one it replaces (placement shuts it down). */
  adoptKernel(kernel: Kernel, choice: KernelChoice): Kernel | undefined {
    const previous = this.currentKernel;
    this.useKernel(kernel);
    this.choice = choice;
    this.chosenKernelspec = choice.kind === 'pyodide' ? PYODIDE_KERNELSPEC : { name: choice.kernelName, display_name: choice.displayName, language: 'python' };
    return previous;
  }

  private readonly onFocusIn = (event: FocusEvent): void => {
    const cell = event.composedPath().find((node): node is BentoCell => node instanceof BentoCell);
    if (!cell) return;
    const index = this.cells.indexOf(cell);
    if (index >= 0) this.activeIndex = index;
  };

  private readonly onCellCommand = (event: BentoCellCommandEvent): void => {
    const cell = event.target as BentoCell;
    const index = this.cells.indexOf(cell);
    if (index < 0) return;
    this.activeIndex = index;
    switch (event.command) {
      case 'run':
        void this.runCellAt(index, 'stay');
        break;
      case 'run-next':
        void this.runCellAt(index, 'next');
        break;
      case 'run-insert':
        void this.runCellAt(index, 'insert');
        break;
      case 'escape':
        this.commandMode();
        break;
      case 'save':
        void this.save();
        break;
      case 'move-up':
        this.moveCell(index, index - 1);
        break;
      case 'move-down':
        this.moveCell(index, index + 1);
        break;
      case 'duplicate':
        this.duplicateCell(index);
        break;
      case 'delete':
        this.deleteCell(index);
        break;
      case 'inspect':
        break;
    }
  };

  private readonly onKeydown = (event: KeyboardEvent): void => {
    if (isTyping(event) || event.defaultPrevented || this.onOwnControls(event)) return;
    const key = event.key;
    const mod = event.ctrlKey || event.metaKey;
    const index = this.activeIndex;
    const double = (k: string) => {
      const now = Date.now();
      const hit = this.lastKey?.key === k && now - this.lastKey.at < DOUBLE_KEY_MS;
      this.lastKey = hit ? undefined : { key: k, at: now };
      return hit;
    };
    let handled = true;
    if (key === 'Enter' && event.shiftKey) void this.runCellAt(index, 'next');
    else if (key === 'Enter' && mod) void this.runCellAt(index, 'stay');
    else if (key === 'Enter' && event.altKey) void this.runCellAt(index, 'insert');
    else if (key === 'Enter') void this.cells[index]?.edit();
    else if (mod && key === 's') void this.save();
    else if (mod || event.altKey) handled = false;
    else if (key === 'ArrowUp' || key === 'k') this.select(index - 1);
    else if (key === 'ArrowDown' || key === 'j') this.select(index + 1);
    else if (key === 'a') this.insertCell(index, 'code');
    else if (key === 'b') this.insertCell(index + 1, 'code');
    else if (key === 'd') {
      if (double('d')) this.deleteCell(index);
    } else if (key === 'z') this.undoDelete();
    else if (key === 'm') this.setCellType(index, 'markdown');
    else if (key === 'y') this.setCellType(index, 'code');
    else if (key === 'r') this.setCellType(index, 'raw');
    else handled = false;
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  };

  /** A key pressed on the toolbar, its menu or a notice is that control's (Enter clicks it), not a command-mode key. */
  private onOwnControls(event: Event): boolean {
    const mod = event instanceof KeyboardEvent && (event.ctrlKey || event.metaKey);
    return !mod && event.composedPath().some((node) => node instanceof Element && node.getRootNode() === this.shadowRoot && !(node instanceof HTMLSlotElement) && node.matches('.toolbar, .notice, .add'));
  }

  /** Runs a toolbar action: a failure becomes a notice and a `bento-error`, never an unhandled rejection. */
  private async act(action: () => Promise<unknown>, failure: string, source = 'kernel'): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.reportError(error, source, failure);
    }
  }

  /** Shows `notices` instead; those left out are dismissed (see `Notice.dismiss`), except `taken`, whose action was. */
  private showNotices(notices: Notice[], taken?: Notice): void {
    const gone = this.notices.filter((shown) => shown !== taken && !notices.includes(shown));
    this.notices = notices;
    for (const notice of gone) notice.dismiss?.();
  }

  /** Closes the messages `which` picks. */
  private closeNotices(which: (notice: Notice) => boolean): void {
    this.showNotices(this.notices.filter((notice) => !which(notice)));
  }

  private openMenu(focus: 'first' | 'last'): void {
    this.menuOpen = true;
    document.addEventListener('pointerdown', this.onPointerDownOutside, true);
    void this.updateComplete.then(() => {
      const items = this.menuItems();
      items[focus === 'first' ? 0 : items.length - 1]?.focus();
    });
  }

  private closeMenu(returnFocus: boolean): void {
    if (!this.menuOpen) return;
    this.menuOpen = false;
    document.removeEventListener('pointerdown', this.onPointerDownOutside, true);
    if (returnFocus) this.moreButton?.focus();
  }

  /** The menu's items a person can see (those the toolbar shows at this width are hidden in it). */
  private menuItems(): HTMLElement[] {
    return [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]')].filter((item) => item.checkVisibility());
  }

  private readonly onPointerDownOutside = (event: PointerEvent): void => {
    const more = this.renderRoot.querySelector('.more');
    if (more && !event.composedPath().includes(more)) this.closeMenu(false);
  };

  /** Left and right arrows move between the toolbar's buttons, as in a toolbar of a desktop app (Tab still works). */
  private onToolbarKeydown(event: KeyboardEvent): void {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const buttons = [...this.renderRoot.querySelectorAll<HTMLButtonElement>('.toolbar button.icon')].filter((b) => !b.disabled && b.checkVisibility());
    const at = buttons.indexOf(event.composedPath()[0] as HTMLButtonElement);
    if (at < 0) return;
    event.preventDefault();
    buttons[(at + (event.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length].focus();
  }

  private onMoreKeydown(event: KeyboardEvent): void {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    this.openMenu(event.key === 'ArrowUp' ? 'last' : 'first');
  }

  private onMenuKeydown(event: KeyboardEvent): void {
    const items = this.menuItems();
    const at = items.indexOf(event.composedPath()[0] as HTMLElement);
    const focusItem = (index: number) => items[(index + items.length) % items.length]?.focus();
    if (event.key === 'ArrowDown') focusItem(at + 1);
    else if (event.key === 'ArrowUp') focusItem(at - 1);
    else if (event.key === 'Home') focusItem(0);
    else if (event.key === 'End') focusItem(items.length - 1);
    else if (event.key === 'Escape') this.closeMenu(true);
    else if (event.key === 'Tab') {
      this.closeMenu(false);
      return;
    } else return;
    event.preventDefault();
    event.stopPropagation();
  }

  private onMenuFocusOut(event: FocusEvent): void {
    const to = event.relatedTarget;
    const more = this.renderRoot.querySelector('.more');
    if (to instanceof Node && more?.contains(to)) return;
    // Focus left the page (another window) or went elsewhere in it: a menu left open would hide the cells.
    if (to) this.closeMenu(false);
  }

  private chooseFromMenu(action: () => void): void {
    this.closeMenu(true);
    action();
  }

  private select(index: number, focus = true): void {
    const cells = this.cells;
    if (cells.length === 0) return;
    this.activeIndex = Math.max(0, Math.min(cells.length - 1, index));
    if (focus) {
      const cell = cells[this.activeIndex];
      cell.tabIndex = 0;
      cell.focus();
      cell.scrollIntoView({ block: 'nearest' });
    }
  }

  /** Command mode: the active cell has focus, not its editor. */
  private commandMode(): void {
    const cell = this.cells[this.activeIndex];
    if (!cell) return;
    cell.stopEditing();
    this.select(this.activeIndex);
  }

  private async runCellAt(index: number, then: 'stay' | 'next' | 'insert'): Promise<void> {
    const cells = this.cells;
    const cell = cells[index];
    if (!cell) return;
    if (then === 'next') {
      if (index === cells.length - 1) {
        this.insertCell(index + 1, 'code');
        void this.cells[index + 1].edit();
      } else this.select(index + 1);
    } else if (then === 'insert') {
      this.insertCell(index + 1, 'code');
      void this.cells[index + 1].edit();
    } else if (cell.type !== 'code') cell.stopEditing();
    await cell.run().catch(() => undefined);
  }

  private setCellType(index: number, type: CellType): void {
    const cell = this.cells[index];
    if (!cell || cell.type === type) return;
    cell.type = type;
    if (type !== 'code') cell.clearOutputs();
    this.changed();
  }

  private onProgressText(): string {
    const p = this.progress;
    if (!p || p.phase === 'ready') return '';
    if (p.phase === 'download' && p.total) return `downloading Python ${Math.round((100 * (p.loaded ?? 0)) / p.total)}%`;
    return p.phase === 'compile' ? 'compiling Python' : 'starting Python';
  }

  /** The cells, in order: all of them, even while a big notebook is still making its elements (it makes them now). */
  get cells(): BentoCell[] {
    if (this.unmade.length) this.makeCells(this.unmade.length);
    return this.madeCells;
  }

  /**
   * Loads nbformat 4 JSON (an object or text); throws NotebookFormatError with a clear message if it is not one.
   * `bento-load` fires once every cell is an element (a big notebook makes them a slice at a time).
   */
  load(notebook: Notebook | string | object, source: 'api' | 'file' = 'api'): void {
    const made = this.applyNotebook(parseNotebook(notebook));
    // What was said about the notebook it replaces goes; what was said about the kernel and autosave still holds.
    this.closeNotices((notice) => notice.key !== 'kernel' && notice.key !== 'autosave');
    void made.then(() => this.dispatchEvent(new BentoLoadEvent(source)));
    this.changed();
  }

  /** The notebook as nbformat 4.5 JSON (outputs and execution counts included). */
  toJSON(): Notebook {
    const metadata = structuredClone(this.notebookMetadata);
    if (this.chosenKernelspec) metadata.kernelspec = { ...this.chosenKernelspec };
    else metadata.kernelspec ??= { ...PYODIDE_KERNELSPEC };
    metadata.language_info ??= { name: 'python' };
    return {
      ...(structuredClone(this.notebookExtra) as object),
      nbformat: 4,
      nbformat_minor: 5,
      metadata,
      cells: this.cellsJSON(),
    } as Notebook;
  }

  /** Every cell as nbformat, those not made into elements yet included (without making them). */
  private cellsJSON(): Cell[] {
    // As a made cell saves it: the source as one string.
    return [...this.madeCells.map((cell) => cell.toJSON()), ...this.unmade.map((cell) => ({ ...structuredClone(cell), source: joinSource(cell.source) }))];
  }

  /**
   * The kernel for a run of one of this notebook's cells (a cell asks when it runs), handed out in the order asked
   * for, once the notebook knows which kernel it uses: runs asked for right after opening a notebook saved with a
   * server kernel run there. Placement may first offer `cell` a server kernel or farm it out. `done()` says the run
   * finished (with its reply): the notebook never switches by itself under a run.
   */
  kernelForRun(cell: BentoCell): Promise<KernelLease> {
    const lease = this.lastLease
      .then(() => this.kernelSettled())
      .then(async () => {
        let kernel = this.kernel;
        // Placement may offer a server kernel first, switch to one, or farm this cell out (`%%remote` always). Its chunk
        // loads when a cell imports something or after the first run; one that fails to load never stops a run.
        const source = cell.source;
        const placer =
          source.startsWith('%%remote') || (this.placement !== 'off' && (this.placer || this.notebookMetadata.bento || /^\s*(import|from)\s/m.test(source)))
            ? await this.loadPlacer().catch(() => undefined)
            : undefined;
        if (placer) kernel = await placer.beforeRun(cell, kernel);
        this.runningCells++;
        this.running.add(cell);
        // A run is when a page is likeliest to die (out of memory, a reload): edits still waiting for autosave are
        // saved now, and the draft soon records that this cell runs; not before the kernel has started, though, where
        // opening and writing the drafts took cores from Python's start (the demo's first result came 350 ms later).
        if (this.autosaveTimer) void this.autosave();
        else void kernelStatus(kernel, kernelStarted).then(() => this.running.has(cell) && this.onChange());
        const started = performance.now();
        let finished = false;
        const done: KernelLease['done'] = (reply, tableBytes) => {
          if (finished) return;
          finished = true;
          this.running.delete(cell);
          this.onChange(); // the draft no longer says it runs
          if (--this.runningCells === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
          if (this.placement !== 'off') void this.loadPlacer().then((p) => p.afterRun(cell, kernel, started, reply, tableBytes), () => {});
        };
        return { kernel, done };
      });
    this.lastLease = lease.catch(() => {});
    return lease;
  }

  /** Runs the cell at `index`; settles when it finished. */
  async run(index: number): Promise<ExecuteReply | undefined> {
    const cell = this.cells[index];
    if (!cell) throw new RangeError(`There is no cell ${index}; the notebook has ${this.cells.length}.`);
    return cell.run();
  }

  /**
   * Runs every cell in order and stops at the first that failed or was not run (queued behind a failing cell), as
   * Jupyter does. Resolves with the replies.
   */
  async runAll(from = 0, to = Infinity): Promise<Array<ExecuteReply | undefined>> {
    const replies: Array<ExecuteReply | undefined> = [];
    const cells = this.cells.slice(from, to);
    for (const cell of cells) {
      const reply = await cell.run();
      replies.push(reply);
      if (reply && reply.content.status !== 'ok') break;
    }
    return replies;
  }

  /** Runs the cells above the active one. */
  runAbove(index = this.activeIndex): Promise<Array<ExecuteReply | undefined>> {
    return this.runAll(0, index);
  }

  /** Runs the active cell and every cell below it. */
  runBelow(index = this.activeIndex): Promise<Array<ExecuteReply | undefined>> {
    return this.runAll(index);
  }

  /** Stops what runs: the kernel's code, and queries of magic cells. */
  async interrupt(): Promise<void> {
    for (const cell of this.cells) cell.cancel();
    await this.currentKernel?.interrupt();
  }

  /** Restarts the kernel (cancelable with `bento-kernel-restart-request`). Resolves false when cancelled. */
  async restart(): Promise<boolean> {
    if (!this.dispatchEvent(new BentoRequestEvent('bento-kernel-restart-request', {}))) return false;
    for (const cell of this.cells) cell.cancel('The kernel was restarted: the cell was stopped before it finished.');
    await this.currentKernel?.restart();
    return true;
  }

  /** Restarts, clears every output, and runs all cells. */
  async restartAndRunAll(): Promise<Array<ExecuteReply | undefined>> {
    if (!(await this.restart())) return [];
    for (const cell of this.cells) cell.clearOutputs();
    return this.runAll();
  }

  /** Inserts a cell at `index` and selects it. */
  insertCell(index: number, type: CellType = 'code', source = ''): BentoCell {
    const cell = document.createElement('bento-cell');
    cell.type = type;
    cell.source = source;
    const cells = this.cells;
    const before = cells[index];
    if (before) this.insertBefore(cell, before);
    else this.append(cell);
    this.select(Math.min(index, cells.length));
    this.changed();
    return cell;
  }

  /** Deletes the cell at `index` (cancelable with `bento-cell-delete-request`; Z in command mode brings it back). */
  deleteCell(index: number): boolean {
    const cell = this.cells[index];
    if (!cell) return false;
    if (!this.dispatchEvent(new BentoRequestEvent('bento-cell-delete-request', { index }))) return false;
    this.deleted.push({ index, cell: cell.toJSON() });
    cell.remove();
    if (this.cells.length === 0) this.insertCell(0, 'code');
    this.select(Math.min(index, this.cells.length - 1));
    this.changed();
    return true;
  }

  /** Brings back the last deleted cell. */
  undoDelete(): void {
    const last = this.deleted.pop();
    if (!last) return;
    const cell = document.createElement('bento-cell');
    cell.fromJSON(last.cell);
    const before = this.cells[last.index];
    if (before) this.insertBefore(cell, before);
    else this.append(cell);
    this.select(last.index);
    this.changed();
  }

  /** Moves a cell from one position to another. */
  moveCell(from: number, to: number): void {
    const cells = this.cells;
    const cell = cells[from];
    if (!cell || to < 0 || to >= cells.length || from === to) return;
    const rest = cells.filter((c) => c !== cell);
    const anchor = rest[to];
    if (anchor) this.insertBefore(cell, anchor);
    else this.append(cell);
    this.select(to);
    this.changed();
  }

  /** Inserts a copy of the cell below it. */
  duplicateCell(index: number): BentoCell | undefined {
    const cell = this.cells[index];
    if (!cell) return undefined;
    const json = cell.toJSON();
    const copy = this.insertCell(index + 1, json.cell_type);
    copy.fromJSON({ ...json, id: copy.cellId });
    return copy;
  }

  /**
   * Saves as .ipynb: to the file it was opened from or picked (File System Access API, where the browser has
   * it), otherwise as a download. Resolves with what happened.
   */
  async save(): Promise<'file' | 'download' | 'cancelled'> {
    const text = serializeNotebook(this.toJSON());
    return (await import('./notebook-files.ts')).saveNotebookFile(this, text);
  }

  private renderToolbar() {
    const progress = this.onProgressText();
    const busy = this.status === 'busy' || this.runningCells > 0;
    const runAll = () => this.act(() => this.runAll(), 'Could not run the cells: ', 'run');
    const runAbove = () => this.act(() => this.runAbove(), 'Could not run the cells: ', 'run');
    const runBelow = () => this.act(() => this.runBelow(), 'Could not run the cells: ', 'run');
    const interrupt = () => this.act(() => this.interrupt(), 'Could not interrupt the kernel: ');
    const restart = () => this.act(() => this.restart(), 'Could not restart the kernel: ');
    const restartAndRunAll = () => this.act(() => this.restartAndRunAll(), 'Could not restart the kernel and run the cells: ');
    const save = () => this.act(() => this.save(), 'Could not save: ', 'save');
    const open = () => this.act(async () => (await import('./notebook-files.ts')).openNotebookFile(this), 'Could not open the file: ', 'open');
    // Icon buttons with a name and a tooltip, as in JupyterLab; what a narrow notebook has no room for moves to
    // the menu (`wide` in the toolbar, `narrow` in the menu: the container queries in the styles pick one).
    const button = (label: string, title: string, icon: unknown, action: () => void, extra: { wide?: boolean; disabled?: boolean } = {}) =>
      html`<button class="icon ${extra.wide ? 'wide' : ''}" aria-label=${label} title=${title} ?disabled=${extra.disabled} @click=${action}>${icon}</button>`;
    const item = (label: string, icon: unknown, action: () => void, extra: { narrow?: boolean; hint?: string } = {}) =>
      html`<button role="menuitem" tabindex="-1" class=${extra.narrow ? 'narrow' : ''} @click=${() => this.chooseFromMenu(action)}>
        ${icon}<span>${label}</span>${extra.hint ? html`<span class="hint" aria-hidden="true">${extra.hint}</span>` : nothing}
      </button>`;
    return html`
      <div class="toolbar ${progress ? 'starting' : ''}" part="toolbar" role="toolbar" aria-label="Notebook" @keydown=${this.onToolbarKeydown}>
        <kernel-selector
          .servers=${this.servers}
          .serverUrl=${this.serverUrl}
          .token=${this.token}
          .kernel=${this.currentKernel}
          .choice=${this.choice}
        ></kernel-selector>
        ${progress ? statusBadge(this.status, progress) : statusBadge(this.status)}
        ${progress
          ? html`<progress part="progress" max="1" .value=${this.progress?.fraction ?? 0} aria-label="Python start-up"></progress>`
          : nothing}
        <span class="spacer"></span>
        ${button('Run all cells', 'Run all cells', icons.runAll, runAll)}
        ${button('Interrupt the kernel', 'Interrupt the kernel', icons.stop, interrupt, { disabled: !busy })}
        ${button('Restart the kernel', 'Restart the kernel', icons.restart, restart)}
        ${button('Restart the kernel and run all cells', 'Restart the kernel and run all cells', icons.restartRunAll, restartAndRunAll, { wide: true })}
        ${button('Save', 'Save as .ipynb (Ctrl+S)', icons.save, save, { wide: true })}
        <div class="more">
          <button
            class="icon"
            aria-label="More actions"
            title="More actions"
            aria-haspopup="menu"
            aria-expanded=${this.menuOpen ? 'true' : 'false'}
            aria-controls="notebook-menu"
            @click=${() => (this.menuOpen ? this.closeMenu(true) : this.openMenu('first'))}
            @keydown=${this.onMoreKeydown}
          >
            ${icons.more}
          </button>
          <div id="notebook-menu" class="menu" role="menu" aria-label="More actions" ?hidden=${!this.menuOpen} @keydown=${this.onMenuKeydown} @focusout=${this.onMenuFocusOut}>
            ${item('Restart and run all', icons.restartRunAll, restartAndRunAll, { narrow: true })}
            ${item('Save', icons.save, save, { narrow: true, hint: 'Ctrl+S' })}
            ${item('Run the cells above', icons.runAbove, runAbove)}
            ${item('Run this cell and below', icons.runBelow, runBelow)}
            ${item('Open an .ipynb file…', icons.open, open)}
          </div>
        </div>
      </div>
    `;
  }

  private renderNotices() {
    // Keyed: a message keeps its element (and the focus in it) while newer ones come above it.
    return repeat(
      this.notices,
      (notice) => notice.key ?? notice,
      (notice) => {
        const take = (action: () => void) => () => {
          this.showNotices(this.notices.filter((shown) => shown !== notice), notice);
          action();
        };
        return html`<div class="notice ${notice.kind} ${notice.actions ? 'offer' : ''}" part="notice" role=${notice.kind === 'error' ? 'alert' : 'status'}>
          <span>${notice.text}</span>
          ${notice.actions?.map(([label, action]) => html`<button @click=${take(action)}>${label}</button>`)}
          <button @click=${() => this.closeNotices((shown) => shown === notice)} aria-label="Dismiss">✕</button>
        </div>`;
      },
    );
  }

  override render() {
    return html`
      ${this.renderToolbar()} ${this.renderNotices()}
      <div class="cells" part="cells"><slot @slotchange=${() => this.requestUpdate()}></slot></div>
      <div class="add" part="add-cell">
        <button @click=${() => this.insertCell(this.cells.length, 'code')}>+ Code</button>
        <button @click=${() => this.insertCell(this.cells.length, 'markdown')}>+ Markdown</button>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'bento-notebook': BentoNotebook;
  }
  interface GlobalEventHandlersEventMap {
    'bento-load': BentoLoadEvent;
    'bento-cell-delete-request': BentoRequestEvent;
    'bento-kernel-restart-request': BentoRequestEvent;
  }
}
