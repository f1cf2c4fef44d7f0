/**
 * What every element that owns a cell magic shares (the data cells, `<dataframe-cell>`): its text (the `%%magic`
 * line and the body below it) kept in step with the element's properties, an editor opened on demand, Run from a
 * button or a shortcut, and the MagicCellElement contract a notebook relies on. A subclass says which magic it owns,
 * how its properties map to the magic's arguments, what Run does (`run`) and how it looks (`render`).
 */
import { consume } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { kernelContext } from '../../src/kernel/context.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import {
  formatMagicLine,
  MagicArgumentError,
  parseCellMagic,
  parseMagicArguments,
  usageLine,
  type CellMagicSpec,
  type MagicArguments,
  type MagicCellElement,
  type MagicRunContext,
  type MagicRunResult,
} from '../../src/magics/magics.ts';
import type { CellEditor, EditorLanguage } from '../bento-cell/editor.ts';
import { EditorSlot, openEditorOrReport } from '../bento-cell/editor-loader.ts';
import { BentoCellCommandEvent, BentoChangeEvent } from './events.ts';
import { pageKernel } from './page-kernel.ts';
import { slottedSource } from './slotted-source.ts';

export abstract class MagicCell extends LitElement implements MagicCellElement {
  protected text?: string;
  private applyingSource = false;
  private readonly editorSlot = new EditorSlot();
  /** The run in progress: `cancel()` aborts it. */
  protected controller?: AbortController;
  /** The registry the form's picker lists (connectors, endpoints, sources): the form follows its changes. */
  protected readonly pickerRegistry?: (listener: () => void) => () => void;
  private unsubscribePicker?: () => void;

  @query('.editor') private editorHost?: HTMLElement;

  @consume({ context: kernelContext, subscribe: true })
  @state()
  private contextKernel?: Kernel;
  @state() private editing = false;
  @state() protected error?: string;
  @state() private editorError?: string;

  /** Show and edit the `%%magic` line with the body, as a notebook cell does (set by `<bento-cell>`). */
  @property({ type: Boolean, reflect: true, attribute: 'show-magic' }) showMagic = false;
  /** A kernel of its own; default: the notebook's, or the page's default session. */
  @property({ attribute: false }) kernel?: Kernel;

  /** The magic this element owns. */
  protected abstract readonly spec: CellMagicSpec;
  /** The editor's language for the body. */
  protected abstract readonly language: EditorLanguage;
  /** The group's accessible name ("SQL cell"). */
  protected abstract readonly label: string;
  /** What Run works on, for buttons and messages: "query", "sheet". */
  protected abstract readonly noun: string;
  /** Properties that appear in the magic line: a change to one rewrites it. */
  protected abstract readonly lineProperties: readonly string[];
  /** The magic line's arguments from the element's properties. */
  protected abstract argumentsFromProperties(): MagicArguments;
  /** The element's properties from a hand-edited magic line. */
  protected abstract applyArgumentsToProperties(args: MagicArguments): void;
  /** Runs the cell (the notebook calls this in the cell's turn). */
  abstract run(context?: Partial<MagicRunContext>): Promise<MagicRunResult>;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.text === undefined) this.text = this.joinLine(this.magicLine(), slottedSource(this));
    this.unsubscribePicker = this.pickerRegistry?.(() => this.requestUpdate());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribePicker?.();
    this.cancel();
    this.editorSlot.close();
  }

  protected override willUpdate(changed: PropertyValues): void {
    // A host page or the form changed an argument: the magic line follows. (Arguments read from a new source
    // must not rewrite it: that text is the user's.)
    if (!this.applyingSource && this.lineProperties.some((name) => changed.has(name)) && this.text !== undefined) {
      if (!this.parsedArguments().error) this.setText(this.joinLine(this.magicLine(), this.body), false);
    }
  }

  protected override updated(_changed: PropertyValues): void {
    this.applyingSource = false;
  }

  /** The cell text from its magic line and body; a magic that takes no body overrides it to drop the newline. */
  protected joinLine(line: string, body: string): string {
    return `${line}\n${body}`;
  }

  /** The short badge at the left of the header: the magic's (a `<bento-cell>` shows the same before this element loads). */
  protected get badge(): string {
    return this.spec.badge ?? `%%${this.spec.name}`;
  }

  protected magicLine(): string {
    return formatMagicLine(this.spec, this.argumentsFromProperties());
  }

  /** The body below the magic line (the query, the sheet, ...). */
  get body(): string {
    const text = this.text ?? '';
    return parseCellMagic(text)?.body ?? text;
  }

  protected parsedArguments(): { args?: MagicArguments; error?: MagicArgumentError } {
    const magic = parseCellMagic(this.text ?? '');
    if (!magic || magic.name !== this.spec.name) return { error: new MagicArgumentError(`The cell must start with the %%${this.spec.name} line.`, usageLine(this.spec)) };
    try {
      return { args: parseMagicArguments(this.spec, magic.argText) };
    } catch (error) {
      if (error instanceof MagicArgumentError) return { error };
      throw error;
    }
  }

  /** Replaces the text; `fromUser` keeps the editor as is (it is where the text came from). */
  protected setText(text: string, fromUser: boolean): void {
    this.text = text;
    if (!fromUser) this.editor?.setText(this.editorText());
    this.dispatchEvent(new BentoChangeEvent());
    this.requestUpdate();
  }

  private editorText(): string {
    return this.showMagic ? (this.text ?? '') : this.body;
  }

  protected activeKernel(): Kernel {
    return this.kernel ?? this.contextKernel ?? pageKernel();
  }

  private get editor(): CellEditor | undefined {
    return this.editorSlot.editor;
  }

  private openEditor(): Promise<CellEditor> {
    return this.editorSlot.open(async ({ createEditor }) => {
      this.editing = true;
      await this.updateComplete;
      return createEditor(this.editorHost!, this.shadowRoot!, this.editorText(), this.language, {
        onChange: (text) => {
          this.setText(this.showMagic ? text : this.joinLine(this.magicLine(), text), true);
          if (this.showMagic) this.applyArguments();
        },
        onCommand: (command) => {
          this.dispatchEvent(new BentoCellCommandEvent(command));
          if (!this.showMagic && command.startsWith('run')) void this.runFromButton();
          return true;
        },
        complete: async () => undefined,
      });
    });
  }

  /** Reflects a hand-edited magic line in the form. */
  private applyArguments(): void {
    const { args } = this.parsedArguments();
    if (!args) return;
    this.applyingSource = true;
    this.applyArgumentsToProperties(args);
  }

  protected async runFromButton(): Promise<void> {
    // In a cell, the cell runs it: in its turn, with its outputs.
    if (this.showMagic) {
      this.dispatchEvent(new BentoCellCommandEvent('run'));
      return;
    }
    try {
      await this.run();
    } catch {
      // Shown in the element (standalone) or as the cell's output (in a notebook).
    }
  }

  /** The source as a notebook saves it: the magic line, then the body. */
  get source(): string {
    return this.text ?? '';
  }

  set source(text: string) {
    this.text = text;
    this.editor?.setText(this.editorText());
    this.applyArguments();
    this.requestUpdate();
  }

  get isEditing(): boolean {
    return Boolean(this.editor?.view.hasFocus);
  }

  async edit(): Promise<void> {
    const editor = await openEditorOrReport(this, () => this.openEditor(), (message) => (this.editorError = message));
    if (!editor) return;
    this.editing = true;
    await this.updateComplete;
    editor.focus();
  }

  stopEditing(): void {
    this.editor?.view.contentDOM.blur();
  }

  cancel(): void {
    this.controller?.abort();
  }

  /** The text (the body alone, or the whole cell with `show-magic`), as an editor or as a static block until edited. */
  protected renderInput(): TemplateResult | typeof nothing {
    return html`
      <div class="editor" part="input" ?hidden=${!this.editing}></div>
      ${this.editing
        ? nothing
        : html`<pre
            class="static"
            part="input"
            tabindex=${this.showMagic ? -1 : 0}
            title="Click or press Enter to edit"
            aria-label=${`${this.label}: ${this.noun}`}
            @click=${() => this.edit()}
            @keydown=${(event: KeyboardEvent) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                void this.edit();
              }
            }}
            .textContent=${this.editorText()}
          ></pre>`}
    `;
  }

  /** Why the editor could not open, and the run's error (standalone: in a notebook it is the cell's output). */
  protected renderErrors() {
    return html`${this.editorError ? html`<div class="error" role="alert">${this.editorError}</div>` : nothing}
    ${this.error && !this.showMagic ? html`<pre class="error" part="error" role="alert">${this.error}</pre>` : nothing}`;
  }

  /** Whether the element is editing its text (an editor is open). */
  protected get isEditorOpen(): boolean {
    return this.editing;
  }
}
