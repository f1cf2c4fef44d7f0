import { consume, ContextRoot } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { kernelContext } from '../../src/kernel/context.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { defaultKernel } from '../../src/kernel/default.ts';
import { makeMessage, toCodePointOffset, toUtf16Offset, type ExecuteReply, type InputRequestContent, type IOPubMessage, type JSONObject } from '../../src/kernel/protocol.ts';
import { newCellId } from '../../src/notebook/ipynb.ts';
import { joinSource, type Cell, type Output } from '../../src/notebook/nbformat.ts';
import { OutputModel } from '../../src/notebook/output-model.ts';
import { countInKernel, executeReply, failedExecution } from '../../src/kernel/replies.ts';
import { ownedMagic, type CellMagicSpec, type MagicCellElement } from '../../src/magics/magics.ts';
import { runInOrder } from '../../src/magics/order.ts';
import '../bento-output-area/bento-output-area.ts';
import { icons } from '../shared/icons.ts';
import { isLazy, loadElement } from '../shared/lazy-elements.ts';
import { providePageKernel } from '../shared/page-kernel.ts';
import { renderSimpleMarkdown } from '../shared/markdown.ts';
import { loadedSanitizer, loadSanitizerFor, sanitizerPendingFor, type Sanitizer } from '../shared/sanitize-loader.ts';
import { styles } from './bento-cell.styles.ts';
import type { CellEditor, EditorCommand } from './editor.ts';
import { EditorSlot, openEditorOrReport } from './editor-loader.ts';
import { highlightPython } from './highlight.ts';
import { BentoCellCommandEvent, BentoChangeEvent, BentoErrorEvent, type CellCommand } from '../shared/events.ts';
import { slottedSource } from '../shared/slotted-source.ts';
import { afterPageScripts, idleMoment, kernelStatus, pageLoaded } from '../../src/util/later.ts';

export { BentoCellCommandEvent, BentoChangeEvent, BentoErrorEvent, type CellCommand };

export type CellType = 'code' | 'markdown' | 'raw';
/** `aborted`: the kernel did not run it, because a cell queued before it failed (Jupyter's stop on error). */
export type RunState = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'aborted';

/** A cell finished running: `reply` is the kernel's execute_reply (status ok or error). */
export class BentoExecuteEvent extends Event {
  constructor(
    readonly cell: BentoCell,
    readonly reply: ExecuteReply,
  ) {
    super('bento-execute', { bubbles: true, composed: true });
  }
}

/** An update_display_data for a display_id: the notebook forwards it to every cell showing that id. */
export class BentoDisplayUpdateEvent extends Event {
  constructor(readonly message: IOPubMessage<'update_display_data'>) {
    super('bento-display-update', { bubbles: true, composed: true });
  }
}

type Attachments = Record<string, Record<string, unknown>>;

/** The kernel a run uses, and what to call when the run finished (with its reply, and the bytes of tables it brought in). */
export interface KernelLease {
  kernel: Kernel;
  done: (reply?: ExecuteReply, tableBytes?: number) => void;
}

/** A notebook hands its cells its kernel when they run (BentoNotebook.kernelForRun). */
interface KernelLender extends Element {
  kernelForRun?(cell: BentoCell): Promise<KernelLease>;
}

/** The reply of a run not made because an earlier one failed, as a Jupyter kernel aborts it (see runInOrder). */
function abortedReply(kernel: Kernel): ExecuteReply {
  return executeReply(kernel, { status: 'aborted', execution_count: null });
}

/** The data: URL of an image the cell keeps as an attachment (where nbformat keeps pasted images), if any. */
function attachmentURL(attachments: Attachments | undefined, name: string): string | undefined {
  const bundle = attachments?.[name];
  const mime = bundle && Object.keys(bundle).find((m) => m.startsWith('image/'));
  if (!mime) return undefined;
  const data = String(bundle[mime]);
  return mime === 'image/svg+xml' ? `data:${mime};charset=utf-8,${encodeURIComponent(data)}` : `data:${mime};base64,${data}`;
}

/**
 * A Markdown cell as sanitized DOM, through the full renderer. `attachment:name` image URLs are resolved from the
 * cell's attachments before sanitizing, so only data: images come through; `cell` tells the sanitizer whose it is.
 */
function renderMarkdown({ markdownToHtml, sanitize }: Sanitizer, source: string, cell: Node, attachments?: Attachments): DocumentFragment {
  let markup = markdownToHtml(source);
  if (attachments) {
    markup = markup.replace(/(src=")attachment:([^"]+)"/g, (whole, prefix: string, name: string) => {
      let url: string | undefined;
      try {
        url = attachmentURL(attachments, decodeURIComponent(name));
      } catch {
        // Not a name (a stray %): left as it is, and the sanitizer drops the URL.
      }
      return url ? `${prefix}${url}"` : whole;
    });
  }
  return sanitize(markup, 'html', ['style'], cell);
}

// Elements loaded lazily (<sql-cell>) fall back to the same page session as a cell on its own.
providePageKernel(defaultKernel);

// Declarative cells upgrade before their <bento-notebook> (this module defines bento-cell first), so their
// context requests come before any provider listens. A ContextRoot replays them once the notebook connects.
if (typeof document !== 'undefined') new ContextRoot().attach(document.documentElement);

/**
 * @summary One notebook cell: code (CodeMirror, Python), Markdown (rendered, sanitized) or raw text, with its
 * outputs. Works inside `<bento-notebook>` (which gives it a kernel) or alone on a page (the page's default
 * Python session).
 *
 * @slot - The initial source, as text: `<bento-cell>print(1)</bento-cell>`; code containing `<` goes in a
 *   `<script type="text/x-python">` child so HTML does not parse it.
 *
 * @event bento-execute - A run finished; `event.reply` is the execute_reply.
 * @event bento-error - Something failed outside Python (kernel unreachable, ...).
 * @event bento-change - The source or outputs changed.
 * @event bento-cell-command - A notebook shortcut typed in the editor (the notebook acts on it).
 *
 * @csspart cell - The whole cell.
 * @csspart prompt - The `[n]:` execution count.
 * @csspart input - The code or Markdown source.
 * @csspart markdown - Rendered Markdown.
 * @csspart outputs - The output area.
 * @csspart toolbar - The cell's buttons.
 * @csspart stdin - The input() prompt.
 *
 * @cssprop [--bento-cell-background=var(--bento-color-surface)] - Cell background.
 * @cssprop [--bento-cell-border=var(--bento-color-border)] - Cell border colour.
 * @cssprop [--bento-cell-active=var(--bento-color-primary)] - Marker of the active cell.
 * @cssprop [--bento-code-background=var(--bento-color-surface-raised)] - Code background.
 */
@customElement('bento-cell')
export class BentoCell extends LitElement {
  static override styles = styles;

  /** Output of this cell; rendered by the output area, saved in .ipynb. */
  readonly outputs = new OutputModel();
  private readonly editorSlot = new EditorSlot();
  private sourceText?: string;
  private cellMetadata: JSONObject = {};
  private extraFields: Record<string, unknown> = {};
  private attachments?: Attachments;
  private timer?: ReturnType<typeof setInterval>;
  private unsubscribeOutputs?: () => void;
  private markdownView?: { source: string; node: DocumentFragment };
  /** The element that owns this cell's magic (`<sql-cell>` for `%%sql`), when a registered magic starts it. */
  private magicElement?: MagicCellElement;
  /** Settles once the chunk of a lazily defined magic element has loaded (or failed to). */
  private magicLoading?: Promise<void>;
  /** Settles once the cell has loaded that chunk at a quiet moment (loadMagicLater), or stopped waiting for one. */
  private magicLater?: Promise<void>;
  private magicWait?: AbortController;
  private magicLoadError?: Error;
  /** The signals of this cell's magic runs not finished yet: Interrupt, Restart and cancel() abort them. */
  private readonly magicRuns = new Set<AbortController>();
  /** Runs asked for so far, and the one whose outputs the cell shows (a later run replaces them when it starts). */
  private runsAsked = 0;
  private shownRun = 0;
  /** Bytes of the tables the last run of a magic brought into the kernel (for placement's size rule). */
  private tableBytes?: number;
  /** While set, the first render waits for it (holdRender). */
  private renderHeld?: Promise<void>;
  private releaseRender?: () => void;

  @query('.editor') private editorHost?: HTMLElement;
  @query('.static') private staticCode?: HTMLElement;

  @consume({ context: kernelContext, subscribe: true })
  @state()
  private contextKernel?: Kernel;
  @state() private editing = false;
  @state() private runState: RunState = 'idle';
  @state() private executionCount: number | null = null;
  @state() private elapsedSeconds = 0;
  @state() private inputRequest?: InputRequestContent & { answer: (text: string) => void; cancel: () => void };
  @state() private inspectText?: string;
  /** Runs asked for that have not finished: more than one while a run waits for the one before it. */
  @state() private runsPending = 0;
  @state() private editorError?: string;
  /** The magic of this cell while its element is a chunk not loaded yet: the cell shows its badge and text meanwhile. */
  @state() private magicPending?: CellMagicSpec;
  /** The pointer or the focus is in the cell: its toolbar exists only then, or while it is the active cell. */
  @state() private engaged = false;

  /** `code`, `markdown` or `raw`. */
  @property({ reflect: true }) type: CellType = 'code';
  /** Set by the notebook on the selected cell. */
  @property({ type: Boolean, reflect: true }) active = false;
  /** Hide the source (saved as metadata.jupyter.source_hidden). */
  @property({ type: Boolean, reflect: true, attribute: 'input-collapsed' }) inputCollapsed = false;
  /** Hide the outputs (saved as metadata.jupyter.outputs_hidden). */
  @property({ type: Boolean, reflect: true, attribute: 'outputs-collapsed' }) outputsCollapsed = false;
  /** A kernel of its own; default: the notebook's, or the page's default Python session. */
  @property({ attribute: false }) kernel?: Kernel;
  /** nbformat cell id. */
  @property({ attribute: 'cell-id' }) cellId = newCellId();

  constructor() {
    super();
    // Read once the move is done: focus going from one of the cell's own elements to another stays in.
    const engage = () => queueMicrotask(() => (this.engaged = this.matches(':hover, :focus-within')));
    for (const type of ['pointerenter', 'pointerleave', 'focusin', 'focusout']) this.addEventListener(type, engage);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Code with `<` is written inside <script type="text/x-python">, which HTML keeps as raw text.
    this.sourceText ??= slottedSource(this);
    this.refreshMagic();
    this.unsubscribeOutputs = this.outputs.subscribe(() => {
      this.requestUpdate();
      this.dispatchEvent(new BentoChangeEvent());
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribeOutputs?.();
    this.inputRequest?.cancel();
    this.editorSlot.close();
    clearInterval(this.timer);
    this.magicWait?.abort();
    this.magicLater = undefined;
  }

  protected override firstUpdated(): void {
    // A code cell on its own starts the page's Python session now, while the page renders: its first run then
    // waits only for what is left of the start-up. (In a notebook, the notebook starts its kernel.)
    // After the page's own scripts ran: they may configure the runtime first.
    void afterPageScripts()
      .then(() => {
        const standalone = this.isConnected && !this.kernel && !this.contextKernel && !this.closest('bento-notebook');
        if (standalone && this.type === 'code' && !ownedMagic(this.source)) return defaultKernel().ready();
      })
      .catch(() => {});
  }

  protected override scheduleUpdate(): void | Promise<unknown> {
    if (!this.renderHeld) return super.scheduleUpdate();
    return this.renderHeld.then(() => {
      this.renderHeld = undefined;
      super.scheduleUpdate();
    });
  }

  /** Also waits for a chunk the cell is rendering with (the Markdown renderer, the element of a magic). */
  protected override async getUpdateComplete(): Promise<boolean> {
    let complete = await super.getUpdateComplete();
    while (sanitizerPendingFor(this) || this.magicLoading) {
      await Promise.all([sanitizerPendingFor(this), this.magicLoading]);
      complete = await super.getUpdateComplete();
    }
    return complete;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('type') && this.editor) this.editor.setLanguage(this.language());
    if (changed.has('type') && changed.get('type') !== undefined) this.refreshMagic();
    if ((changed.has('kernel') || changed.has('contextKernel')) && this.magicLater) {
      this.magicWait?.abort();
      this.magicLater = this.loadMagicLater();
    }
    if (this.staticCode && this.type === 'code' && !this.editing && !this.magicPending) this.paintStatic();
  }

  /**
   * Markdown as DOM: at once for ordinary Markdown, through the full renderer (marked and DOMPurify, a chunk
   * loaded on first need) for the rest; undefined while that chunk loads. The same fragment object while the
   * text is unchanged: Lit then leaves the rendered DOM alone.
   */
  private markdownFor(source: string): DocumentFragment | undefined {
    if (this.markdownView?.source === source) return this.markdownView.node;
    let node = renderSimpleMarkdown(source, { attachment: (name) => attachmentURL(this.attachments, name) }) ?? undefined;
    if (!node) {
      const sanitizer = loadedSanitizer();
      if (sanitizer?.markdownToHtml) node = renderMarkdown(sanitizer as Sanitizer, source, this, this.attachments);
      else this.waitForSanitizer();
    }
    if (node) this.markdownView = { source, node };
    return node;
  }

  private waitForSanitizer(): void {
    loadSanitizerFor(
      this,
      (reason) => this.dispatchEvent(new BentoErrorEvent({ message: `Could not load the Markdown renderer (${reason}): the cell shows its text as written.`, source: 'markdown' })),
      true,
    );
  }


  private language(): 'python' | 'markdown' | 'text' {
    return this.type === 'code' ? 'python' : this.type === 'markdown' ? 'markdown' : 'text';
  }

  /** Lit sets the plain text; the highlighted spans replace it in the same frame (the highlighter is synchronous). */
  private paintStatic(): void {
    const target = this.staticCode;
    const code = this.source;
    if (!target || (target.dataset.painted === code && target.firstElementChild)) return;
    target.replaceChildren(highlightPython(code));
    target.dataset.painted = code;
  }

  /**
   * Hands the cell to the element of a registered magic when its first line is `%%name`, and takes it back
   * when that line is gone. Called on load, on run and when editing stops, never while someone types. `now`: the
   * person is using the cell, so a magic element not loaded yet loads at once.
   */
  private refreshMagic(now = false): void {
    const owned = this.type === 'code' ? ownedMagic(this.source) : null;
    const wanted = owned?.spec.tagName;
    // The element of a magic may be a chunk not loaded yet (<sql-cell>): until it is, the cell shows the magic's badge
    // above its text, read-only. It loads when the cell is used or run, or else at a quiet moment after the kernel's
    // start: loaded during Python's boot, the data cells' chunks took cores and network from it (README, figure 10).
    this.magicPending = wanted && !customElements.get(wanted) && isLazy(wanted) ? owned.spec : undefined;
    // Its data source's code loads beside the element's chunk, not after it (a first %%sql: a round trip less).
    if (this.magicPending && now) this.magicLoading ??= (owned!.spec.warm?.(owned!.magic.argText), this.loadMagicElement(wanted!));
    else if (this.magicPending && !this.magicLoadError) this.magicLater ??= this.loadMagicLater();
    const tag = wanted && customElements.get(wanted) ? wanted : undefined;
    if (tag && this.magicElement?.localName === tag) {
      if (this.magicElement.source !== this.source) this.magicElement.source = this.source;
      return;
    }
    if (!tag && !this.magicElement) return;
    this.magicElement?.cancel();
    this.magicElement = undefined;
    if (tag) {
      const element = document.createElement(tag) as MagicCellElement;
      element.setAttribute('show-magic', '');
      element.source = this.source;
      element.addEventListener('bento-change', () => {
        this.sourceText = element.source;
      });
      // In a notebook the notebook runs cells (in order, moving the selection); alone, the cell runs itself.
      element.addEventListener('bento-cell-command', (event) => {
        if (!this.closest('bento-notebook') && (event as BentoCellCommandEvent).command.startsWith('run')) void this.run();
      });
      this.magicElement = element;
      this.editorSlot.close();
      this.editing = false;
    }
    this.requestUpdate();
  }

  /**
   * Loads the element of this cell's magic once its kernel is idle after its start (a kernel nobody started: once the
   * page has loaded) and the page has a moment. Waits on the kernel the cell has now: a kernel handed over or switched
   * meanwhile starts the wait again (updated), and so does the cell coming back to the page.
   */
  private async loadMagicLater(): Promise<void> {
    const wait = (this.magicWait = new AbortController());
    const kernel = this.activeKernel();
    if (!kernel) return; // in a notebook that has not handed its kernel over yet
    if (kernel.status === 'unknown' && !this.closest('bento-notebook')) await pageLoaded();
    else await kernelStatus(kernel, (status) => status === 'idle', wait.signal);
    await idleMoment(wait.signal, 1000);
    if (wait.signal.aborted) return;
    this.magicLater = this.magicWait = undefined;
    this.refreshMagic(true);
  }

  private async loadMagicElement(tag: string): Promise<void> {
    try {
      await loadElement(tag);
      this.magicLoadError = undefined;
    } catch (error) {
      this.magicLoadError = error instanceof Error ? error : new Error(String(error));
      this.dispatchEvent(new BentoErrorEvent({ message: this.magicLoadError.message, source: 'magic' }));
    } finally {
      this.magicLoading = undefined;
    }
    this.refreshMagic();
  }

  /** The kernel to complete and inspect with; none while the cell's notebook has not made its kernel yet. */
  private activeKernel(): Kernel | undefined {
    return this.kernel ?? this.contextKernel ?? (this.closest('bento-notebook') ? undefined : defaultKernel());
  }

  /** The kernel for a run: the cell's own, else its notebook's (once the notebook knows which), else the page's. */
  private kernelLease(): Promise<KernelLease> {
    const notebook = this.closest<KernelLender>('bento-notebook');
    if (!this.kernel && notebook?.kernelForRun) return notebook.kernelForRun(this);
    return Promise.resolve({ kernel: this.kernel ?? this.contextKernel ?? defaultKernel(), done: () => {} });
  }

  /** Shows `run` from now on, its outputs replacing an earlier run's; false when a later run is shown already. */
  private show(run: number): boolean {
    if (run < this.shownRun) return false;
    if (run > this.shownRun) {
      this.shownRun = run;
      this.outputs.clear();
    }
    return true;
  }

  /** A run finished: the cell shows its count and state, or `queued` while another run of it waits. */
  private endRun(run: number, status: ExecuteReply['content']['status'], count: number | null): void {
    this.runsPending--;
    if (!this.show(run)) return;
    clearInterval(this.timer);
    this.inputRequest = undefined;
    this.executionCount = count;
    this.runState = this.runsPending > 0 ? 'queued' : status === 'ok' ? 'done' : status;
  }

  private get editor(): CellEditor | undefined {
    return this.editorSlot.editor;
  }

  private openEditor(): Promise<CellEditor> {
    return this.editorSlot.open(async ({ createEditor }) => {
      this.editing = true;
      await this.updateComplete;
      return createEditor(this.editorHost!, this.shadowRoot!, this.source, this.language(), {
        onChange: (text) => {
          this.sourceText = text;
          this.dispatchEvent(new BentoChangeEvent());
        },
        onCommand: (command) => this.onEditorCommand(command),
        complete: async (code, offset) => {
          const kernel = this.activeKernel();
          if (!kernel || kernel.status === 'dead' || kernel.status === 'unknown' || kernel.status === 'starting') return undefined;
          const reply = await kernel.complete(code, toCodePointOffset(code, offset));
          return { from: toUtf16Offset(code, reply.cursor_start), to: toUtf16Offset(code, reply.cursor_end), matches: reply.matches };
        },
      });
    });
  }

  private onEditorCommand(command: EditorCommand): boolean {
    if (command === 'inspect') {
      void this.inspectAtCursor();
      return true;
    }
    if (command === 'escape' && this.inspectText) {
      this.inspectText = undefined;
      return true;
    }
    if (command === 'escape' && this.type === 'markdown') this.editing = false;
    this.dispatchEvent(new BentoCellCommandEvent(command));
    // Outside a notebook a cell still runs with the shortcuts.
    if (!this.closest('bento-notebook') && command.startsWith('run')) void this.run();
    return true;
  }

  private async inspectAtCursor(): Promise<void> {
    if (!this.editor) return;
    const code = this.source;
    const offset = this.editor.view.state.selection.main.head;
    try {
      const kernel = this.activeKernel();
      if (!kernel) {
        this.inspectText = 'Run a cell first: the kernel has not started.';
        return;
      }
      const reply = await kernel.inspect(code, toCodePointOffset(code, offset));
      const text = reply.found ? String(reply.data['text/plain'] ?? '') : 'No documentation found here.';
      this.inspectText = text.replace(/\x1b\[[0-9;]*m/g, '');
    } catch (error) {
      this.inspectText = `Cannot inspect: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private startTimer(): void {
    const started = performance.now();
    this.elapsedSeconds = 0;
    clearInterval(this.timer);
    this.timer = setInterval(() => (this.elapsedSeconds = Math.floor((performance.now() - started) / 1000)), 1000);
  }

  private askInput(request: InputRequestContent, session: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.inputRequest = {
        ...request,
        // A cell removed while Python waits for input() must not leave the runtime waiting forever.
        cancel: () => {
          this.inputRequest = undefined;
          reject(new Error('input cancelled'));
        },
        answer: (text) => {
          this.inputRequest = undefined;
          // The prompt and the answer stay in the output, as in Jupyter (a password shows as dots).
          const echo = `${request.prompt}${request.password ? '••••••' : text}\n`;
          this.outputs.apply(makeMessage('stream', { name: 'stdout', text: echo }, { session, channel: 'iopub' }) as IOPubMessage);
          resolve(text);
        },
      };
      this.renderNow();
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('.stdin input')?.focus());
    });
  }

  private onStdinKey(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || !this.inputRequest) return;
    event.preventDefault();
    event.stopPropagation();
    this.inputRequest.answer((event.target as HTMLInputElement).value);
  }

  private onStaticActivate(event: Event): void {
    if (event instanceof KeyboardEvent && event.key !== 'Enter') return;
    event.preventDefault();
    void this.edit();
  }

  /** The cell's text. */
  get source(): string {
    return this.sourceText ?? '';
  }

  set source(text: string) {
    this.sourceText = text;
    this.editor?.setText(text);
    this.refreshMagic();
    this.requestUpdate();
  }

  /** `queued`, `running`, `done` or `error` once run. */
  get state(): RunState {
    return this.runState;
  }

  get count(): number | null {
    return this.executionCount;
  }

  /** @internal Holds back the first render until renderNow(): a notebook of many cells renders those in view first. */
  holdRender(): void {
    if (!this.hasUpdated) this.renderHeld ??= new Promise((resolve) => (this.releaseRender = resolve));
  }

  /** @internal Renders a cell held back by holdRender(). */
  renderNow(): void {
    this.releaseRender?.();
  }

  /** Enters edit mode: creates the editor if needed and focuses it. */
  async edit(): Promise<void> {
    this.renderNow();
    this.refreshMagic(true);
    if (this.magicLoading) await this.magicLoading;
    if (this.magicElement) return this.magicElement.edit();
    const editor = await openEditorOrReport(this, () => this.openEditor(), (message) => (this.editorError = message));
    if (!editor) return;
    this.editing = true;
    await this.updateComplete;
    editor.focus();
  }

  /** Leaves edit mode (Markdown cells render again). */
  stopEditing(): void {
    if (this.type !== 'code') this.editing = false;
    this.editor?.view.contentDOM.blur();
    this.magicElement?.stopEditing();
    this.refreshMagic(true);
  }

  get isEditing(): boolean {
    if (this.magicElement) return this.magicElement.isEditing;
    return this.editing && Boolean(this.editor?.view.hasFocus);
  }

  /**
   * Stops the cell's magic runs (a query, a fetch: their `signal` is aborted with `reason`, which the cell shows);
   * kernel code stops with the kernel's interrupt.
   */
  cancel(reason = 'The cell was interrupted before it finished.'): void {
    for (const run of this.magicRuns) run.abort(new DOMException(reason, 'AbortError'));
    this.magicElement?.cancel();
  }

  /**
   * Runs the cell: code goes to the kernel; Markdown renders. Resolves when the run finished. Asked for again while
   * it runs, the cell runs again after, as Jupyter queues it: the second run's outputs replace the first's once it
   * starts. With `kernel`, the run goes there at once instead of waiting for its turn in the notebook (a replay).
   */
  async run(kernel?: Kernel): Promise<ExecuteReply | undefined> {
    if (this.type !== 'code') {
      this.editing = false;
      return undefined;
    }
    this.refreshMagic(true);
    const run = ++this.runsAsked;
    if (this.runsPending++ === 0) {
      // Nothing of an earlier run is still to come: its outputs go now.
      this.show(run);
      this.runState = 'queued';
    }
    this.inspectText = undefined;
    const magic = this.magicElement || this.magicLoading ? new AbortController() : undefined;
    if (magic) this.magicRuns.add(magic);
    let lease: KernelLease | undefined;
    let reply: ExecuteReply | undefined;
    this.tableBytes = undefined;
    try {
      lease = kernel ? { kernel, done() {} } : await this.kernelLease();
      return (reply = magic ? await this.runMagic(lease.kernel, run, magic) : await this.runCode(lease.kernel, run));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.endRun(run, 'error', this.executionCount);
      this.dispatchEvent(new BentoErrorEvent({ message, source: 'kernel' }));
      throw error;
    } finally {
      if (magic) this.magicRuns.delete(magic);
      lease?.done(reply, this.tableBytes);
    }
  }

  private async runCode(kernel: Kernel, run: number): Promise<ExecuteReply> {
    const reply = await runInOrder(kernel, 'code', () => kernel.execute(this.source, {
      onIOPub: (message) => {
        const type = message.header.msg_type;
        // A status comes at once, even while an earlier run still runs; any other message means this run started.
        if (type === 'status' || !this.show(run)) return;
        if (type === 'execute_input') {
          this.runState = 'running';
          this.startTimer();
        }
        if (type === 'update_display_data') this.dispatchEvent(new BentoDisplayUpdateEvent(message as IOPubMessage<'update_display_data'>));
        else this.outputs.apply(message);
      },
      onInput: (request) => this.askInput(request, kernel.session),
    }), () => abortedReply(kernel));
    return this.finish(run, reply);
  }

  /** Ends run `run` with its reply: the reply's payload shown, the cell's state and count set, `bento-execute` fired. */
  private finish(run: number, reply: ExecuteReply, count = reply.content.execution_count ?? null): ExecuteReply {
    if (this.show(run)) this.outputs.applyPayload(reply.content);
    this.endRun(run, reply.content.status, count);
    this.dispatchEvent(new BentoExecuteEvent(this, reply));
    return reply;
  }

  /**
   * A magic cell runs in JavaScript, in its turn among the notebook's runs. What it did is kept as a one-line
   * output (or an error), so a saved notebook says what happened in any Jupyter tool.
   */
  private runMagic(kernel: Kernel, run: number, controller: AbortController): Promise<ExecuteReply> {
    const publish = (msgType: string, content: object) => {
      if (this.show(run)) this.outputs.apply(makeMessage(msgType, content, { session: kernel.session, channel: 'iopub' }) as IOPubMessage);
    };
    // Ordered now, even when the element's chunk is still loading: a cell run after this one must wait for it.
    return runInOrder(kernel, 'magic', async () => {
      this.show(run);
      this.runState = 'running';
      this.startTimer();
      let content: ExecuteReply['content'];
      try {
        if (this.magicLoading) await this.magicLoading;
        const element = this.magicElement;
        if (!element) throw this.magicLoadError ?? new Error('The element of this magic is not defined.');
        controller.signal.throwIfAborted();
        const { summary, data, tableBytes } = await element.run({ kernel: () => kernel, signal: controller.signal });
        this.tableBytes = tableBytes;
        publish('display_data', { data: { ...data, 'text/plain': summary }, metadata: { bento: { magic: 'summary' } }, transient: {} });
        content = { status: 'ok', execution_count: 0, user_expressions: {}, payload: [] };
      } catch (error) {
        // Stopped on purpose: the reason says why, whatever the element made of its aborted work.
        if (controller.signal.aborted) content = failedExecution(controller.signal.reason, publish, 'KeyboardInterrupt');
        else content = failedExecution(error, publish, error instanceof Error && error.name !== 'Error' ? error.name : 'MagicError');
      } finally {
        clearInterval(this.timer);
      }
      // An interrupted magic is not recorded in the kernel: the notebook's Interrupt also sends the kernel a SIGINT,
      // and one landing while ipykernel handles that record can leave the request without a reply.
      const count = controller.signal.aborted ? null : await countInKernel(kernel, this.source);
      content.execution_count = count ?? 0;
      return this.finish(run, executeReply(kernel, content), count);
    }, () => this.finish(run, abortedReply(kernel)));
  }

  /** A magic cell showing its live result makes its saved summary line redundant. */
  private magicShowsItsResult(): boolean {
    if (!this.magicElement?.hasResult) return false;
    return this.outputs.outputs.every((o) => o.output_type === 'display_data' && (o.metadata?.bento as JSONObject | undefined)?.magic === 'summary');
  }

  /** Clears outputs and the execution count (e.g. before "restart and run all"). */
  clearOutputs(): void {
    this.outputs.clear();
    this.executionCount = null;
    this.runState = 'idle';
  }

  /** Loads an nbformat cell (the notebook calls this). */
  fromJSON(cell: Cell): void {
    const { id, cell_type, source, metadata, outputs, execution_count, attachments, ...extra } = cell as Cell & {
      outputs?: Output[];
      execution_count?: number | null;
      attachments?: Record<string, Record<string, unknown>>;
    };
    this.cellId = id;
    this.type = cell_type;
    this.source = joinSource(source);
    this.cellMetadata = structuredClone(metadata ?? {});
    this.attachments = attachments;
    this.extraFields = extra;
    const jupyter = (this.cellMetadata.jupyter ?? {}) as JSONObject;
    this.inputCollapsed = jupyter.source_hidden === true;
    this.outputsCollapsed = jupyter.outputs_hidden === true;
    this.outputs.set(outputs ? structuredClone(outputs) : []);
    this.executionCount = execution_count ?? null;
    this.runState = 'idle';
  }

  /** The cell as nbformat 4.5 JSON: unknown fields and metadata kept as loaded. */
  toJSON(): Cell {
    const metadata = structuredClone(this.cellMetadata);
    const jupyter = { ...((metadata.jupyter ?? {}) as JSONObject) };
    // Only what the user changed moves: a loaded `source_hidden: false` stays as it was.
    const flag = (key: string, on: boolean) => {
      if (on) jupyter[key] = true;
      else if (jupyter[key] === true) delete jupyter[key];
    };
    flag('source_hidden', this.inputCollapsed);
    flag('outputs_hidden', this.outputsCollapsed);
    if (Object.keys(jupyter).length || metadata.jupyter) metadata.jupyter = jupyter;
    const base = { ...structuredClone(this.extraFields), id: this.cellId, metadata, source: this.source };
    if (this.type === 'code') {
      return { ...base, cell_type: 'code', execution_count: this.executionCount, outputs: structuredClone(this.outputs.outputs) } as Cell;
    }
    return { ...base, cell_type: this.type, ...(this.attachments ? { attachments: structuredClone(this.attachments) } : {}) } as Cell;
  }

  private renderPrompt() {
    if (this.type !== 'code') return html`<div class="prompt" part="prompt"></div>`;
    const label =
      this.runState === 'queued' || this.runState === 'running' ? '*' : this.executionCount === null ? ' ' : String(this.executionCount);
    return html`<div class="prompt" part="prompt" aria-hidden="true">[${label}]:</div>`;
  }

  private renderStatus() {
    // Before a run and instead of one: the line says why the cell has no output yet.
    const notRunning = this.runState === 'queued' ? 'queued' : this.runState === 'aborted' ? 'not run: an earlier cell failed' : '';
    if (notRunning) return html`<div class="status" role="status">${notRunning}</div>`;
    if (this.runState === 'running') {
      const again = this.runsPending > 1 ? ', then again: queued' : '';
      return html`<div class="status running" role="status">running ${this.elapsedSeconds} s${again}</div>`;
    }
    return nothing;
  }

  private renderInput() {
    if (this.inputCollapsed) {
      this.markdownView = undefined;
      return html`<button class="collapsed" @click=${() => (this.inputCollapsed = false)} aria-label="Show the source">⋯ source hidden</button>`;
    }
    if (this.magicElement) return html`${this.magicElement}`;
    // Until the magic's element has loaded, its look: the badge over the text (not highlighted as Python).
    const badge = this.magicPending && html`<div class="badge" aria-hidden="true">${this.magicPending.badge ?? `%%${this.magicPending.name}`}</div>`;
    const showEditor = this.editing || (this.editor && this.type === 'code');
    if (this.type === 'markdown' && !showEditor) {
      const source = this.source.trim() ? this.source : '*Empty Markdown cell: double-click to write.*';
      const rendered = this.markdownFor(source);
      // Until the full renderer has loaded (for Markdown the main bundle does not render), the text as written:
      // readable, and none of it taken as markup.
      return html`<div class="markdown ${rendered ? '' : 'pending'}" part="markdown" @dblclick=${() => this.edit()}>${rendered ?? source}</div>`;
    }
    this.markdownView = undefined;
    return html`${badge || nothing}
      <div class="editor" part="input" ?hidden=${!showEditor}></div>
      ${showEditor
        ? nothing
        : html`<pre
            class="static"
            part="input"
            tabindex=${this.closest('bento-notebook') ? -1 : 0}
            title="Click or press Enter to edit"
            @click=${this.onStaticActivate}
            @keydown=${this.onStaticActivate}
            .textContent=${this.source}
          ></pre>`}
    `;
  }

  private command(command: CellCommand): void {
    if (command === 'run' && !this.closest('bento-notebook')) void this.run();
    else this.dispatchEvent(new BentoCellCommandEvent(command));
  }

  private renderToolbar() {
    // A toolbar in each of a thousand cells is most of their elements, for one that shows at a time.
    if (!this.active && !this.engaged) return nothing;
    const inNotebook = Boolean(this.closest('bento-notebook'));
    return html`
      <div class="toolbar" part="toolbar" role="toolbar" aria-label="Cell actions">
        ${this.type === 'code' ? html`<button @click=${() => this.command('run')} title="Run (Ctrl+Enter)" aria-label="Run cell">${icons.run}</button>` : nothing}
        ${inNotebook
          ? html`<button @click=${() => this.command('move-up')} title="Move up" aria-label="Move cell up">${icons.up}</button>
              <button @click=${() => this.command('move-down')} title="Move down" aria-label="Move cell down">${icons.down}</button>
              <button @click=${() => this.command('duplicate')} title="Duplicate" aria-label="Duplicate cell">${icons.duplicate}</button>
              <button @click=${() => this.command('delete')} title="Delete (D D)" aria-label="Delete cell">${icons.delete}</button>`
          : nothing}
        <button @click=${() => (this.inputCollapsed = !this.inputCollapsed)} aria-pressed=${this.inputCollapsed} title="Hide or show the source" aria-label="Hide source">${icons.hideSource}</button>
        ${this.type === 'code'
          ? html`<button @click=${() => (this.outputsCollapsed = !this.outputsCollapsed)} aria-pressed=${this.outputsCollapsed} title="Hide or show the outputs" aria-label="Hide outputs">${icons.hideOutput}</button>`
          : nothing}
      </div>
    `;
  }

  override render() {
    const label = `${this.type === 'code' ? 'Code' : this.type === 'markdown' ? 'Markdown' : 'Raw'} cell`;
    return html`
      <div class="cell ${this.runState}" part="cell" role="group" aria-label=${label}>
        ${this.renderPrompt()}
        <div class="body">
          ${this.renderToolbar()}
          <div class="input-area">${this.renderInput()}</div>
          ${this.editorError ? html`<div class="load-error" role="alert">${this.editorError}</div>` : nothing}
          ${this.inspectText ? html`<pre class="inspect" role="tooltip">${this.inspectText}</pre>` : nothing}
          ${this.renderStatus()}
          ${this.inputRequest
            ? html`<label class="stdin" part="stdin"
                >${this.inputRequest.prompt || 'Input:'}
                <input type=${this.inputRequest.password ? 'password' : 'text'} @keydown=${this.onStdinKey} autocomplete="off"
              /></label>`
            : nothing}
          ${this.type === 'code' && this.outputs.outputs.length > 0 && !this.magicShowsItsResult()
            ? this.outputsCollapsed
              ? html`<button class="collapsed" @click=${() => (this.outputsCollapsed = false)} aria-label="Show the outputs">⋯ outputs hidden</button>`
              : html`<bento-output-area part="outputs" .model=${this.outputs}></bento-output-area>`
            : nothing}
        </div>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'bento-cell': BentoCell;
  }
  interface GlobalEventHandlersEventMap {
    'bento-execute': BentoExecuteEvent;
    'bento-error': BentoErrorEvent;
    'bento-change': BentoChangeEvent;
    'bento-cell-command': BentoCellCommandEvent;
    'bento-display-update': BentoDisplayUpdateEvent;
  }
}
