import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { choiceKey, configuredServers, createKernel, listKernelspecs, type KernelChoice } from '../../src/kernel/choice.ts';
import { defaultKernel, onDefaultKernelChange, setDefaultKernel } from '../../src/kernel/default.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import type { KernelStatus } from '../../src/kernel/protocol.ts';
import type { JupyterServerOptions } from '../../src/kernel/remote/server.ts';
import { BentoErrorEvent } from '../shared/events.ts';
import { statusBadge } from '../shared/kernel-status.ts';
import { afterPageScripts, idleMoment, kernelStatus } from '../../src/util/later.ts';
import { styles } from './kernel-selector.styles.ts';

export type { KernelChoice } from '../../src/kernel/choice.ts';

/** How long the server kernels' list waits for a busy kernel, and then for an idle moment of the page. */
const LIST_AFTER_BUSY_MS = 2000;

/**
 * Someone picked another kernel. Cancelable: call preventDefault() to keep the current one. A
 * <bento-notebook> around the selector answers it (and sets `handled`); alone, the selector switches the page's
 * default session.
 */
export class BentoKernelChangeRequestEvent extends Event {
  handled = false;
  constructor(readonly choice: KernelChoice) {
    super('bento-kernel-change-request', { bubbles: true, composed: true, cancelable: true });
  }
}


/**
 * @summary Picks the kernel: "Python (in browser)" or a kernelspec of a configured Jupyter Server, and shows
 * the current kernel's status.
 *
 * @event bento-kernel-change-request - Cancelable, before switching kernels.
 *
 * @csspart select - The drop-down.
 * @csspart status - The current kernel's status.
 *
 * @cssprop [--bento-color-on-surface] - Text colour.
 * @cssprop [--bento-color-border] - Border of the drop-down.
 */
@customElement('kernel-selector')
export class KernelSelector extends LitElement {
  static override styles = styles;

  private unsubscribeStatus?: () => void;
  private unsubscribeDefault?: () => void;
  private lastListed?: JupyterServerOptions[];
  private listWanted = false;

  @state() private listing: Awaited<ReturnType<typeof listKernelspecs>> = [];
  @state() private status: KernelStatus = 'unknown';
  @state() private error?: string;

  /** Jupyter Servers whose kernels to offer (URL and token from the host page; the token stays in JavaScript). */
  @property({ attribute: false }) servers: JupyterServerOptions[] = [];
  /** Shorthand for one server: its URL. */
  @property({ attribute: 'server-url' }) serverUrl?: string;
  /** Token of `server-url`: the attribute is removed once read (the value stays in this property). */
  @property() token?: string;
  /** The kernel shown as current (a notebook sets it; alone, the page's default kernel). */
  @property({ attribute: false }) kernel?: Kernel;
  /** The current choice (a notebook sets it). */
  @property({ attribute: false }) choice: KernelChoice = { kind: 'pyodide' };

  /** The token is kept in JavaScript only: read from its attribute, which then leaves the DOM (and outerHTML). */
  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    // Our own removal must not clear the property.
    if (name !== 'token' || value !== null) super.attributeChangedCallback(name, old, value);
    if (name === 'token' && value !== null) this.removeAttribute(name);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.inNotebook() && !this.kernel) {
      this.unsubscribeDefault = onDefaultKernelChange((kernel) => (this.kernel = kernel));
      // After the page's own scripts ran: they may configure the default runtime first.
      void afterPageScripts().then(() => {
        if (this.isConnected) this.kernel ??= defaultKernel();
      });
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribeStatus?.();
    this.unsubscribeDefault?.();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('kernel')) {
      this.unsubscribeStatus?.();
      this.status = this.kernel?.status ?? 'unknown';
      this.unsubscribeStatus = this.kernel?.onStatusChange((c) => (this.status = c.status));
    }
    if (changed.has('servers') || changed.has('serverUrl') || changed.has('token')) this.listWanted = true;
    // Once there is a kernel to wait for (a notebook hands its own over after its first render).
    if (this.listWanted && this.kernel) {
      this.listWanted = false;
      void this.refresh().catch((error: unknown) => this.report(error, 'Could not list the kernels: '));
    }
  }

  /** Inside a notebook's toolbar (its shadow root), the notebook owns the kernel. */
  private inNotebook(): boolean {
    for (let node: Node | null = this.parentNode; node; node = node.parentNode ?? (node instanceof ShadowRoot ? node.host : null)) {
      if (node instanceof Element && node.localName === 'bento-notebook') return true;
    }
    return false;
  }

  /**
   * Lists the servers' kernelspecs again, once the current kernel is not starting and has done what was asked of it meanwhile
   * (a cell run during the start is what the person waits for; the list's chunk, request and render would take the
   * cores that run and paint it), or has been busy for LIST_AFTER_BUSY_MS, and the page has a moment.
   */
  async refresh(): Promise<void> {
    const servers = configuredServers(this.servers, this.serverUrl, this.token);
    this.lastListed = servers;
    if (this.kernel && servers.length) {
      await kernelStatus(this.kernel, (status) => status !== 'starting' && status !== 'restarting');
      await kernelStatus(this.kernel, (status) => status !== 'busy', AbortSignal.timeout(LIST_AFTER_BUSY_MS));
      await idleMoment(undefined, LIST_AFTER_BUSY_MS);
    }
    const listing = await listKernelspecs(servers);
    // Drop the answer if the configuration changed while it was coming.
    if (servers === this.lastListed) this.listing = listing;
  }

  private choices(): Map<string, KernelChoice> {
    const choices = new Map<string, KernelChoice>([['pyodide', { kind: 'pyodide' }]]);
    for (const { server, specs } of this.listing) {
      for (const [name, spec] of Object.entries(specs?.kernelspecs ?? {})) {
        const choice: KernelChoice = { kind: 'remote', server, kernelName: name, displayName: spec.spec.display_name };
        choices.set(choiceKey(choice), choice);
      }
    }
    return choices;
  }

  private async onChange(event: Event): Promise<void> {
    const select = event.target as HTMLSelectElement;
    const choice = this.choices().get(select.value);
    if (!choice) return;
    const request = new BentoKernelChangeRequestEvent(choice);
    if (!this.dispatchEvent(request)) {
      select.value = choiceKey(this.choice);
      return;
    }
    if (request.handled) return;
    try {
      setDefaultKernel(await createKernel(choice));
      this.choice = choice;
      this.error = undefined;
    } catch (error) {
      select.value = choiceKey(this.choice);
      this.report(error, 'Could not switch kernels: ');
    }
  }

  /** Shows a failure beside the picker and tells the page (`bento-error`); picking again tries again. */
  private report(error: unknown, prefix: string): void {
    this.error = prefix + (error instanceof Error ? error.message : String(error));
    this.dispatchEvent(new BentoErrorEvent({ message: this.error, source: 'kernel' }));
  }

  override render() {
    const current = choiceKey(this.choice);
    return html`
      <select part="select" aria-label="Kernel" .value=${current} @change=${this.onChange}>
        <option value="pyodide" ?selected=${current === 'pyodide'}>Python (in browser)</option>
        ${this.listing.map(({ server, specs, error }) => {
          const label = new URL(server.baseUrl).host;
          if (error) return html`<optgroup label=${`${label}: unavailable`}><option disabled>${error}</option></optgroup>`;
          return html`<optgroup label=${`Jupyter Server ${label}`}>
            ${Object.entries(specs!.kernelspecs).map(([name, spec]) => {
              const key = choiceKey({ kind: 'remote', server, kernelName: name, displayName: '' });
              return html`<option value=${key} ?selected=${key === current}>${spec.spec.display_name}</option>`;
            })}
          </optgroup>`;
        })}
      </select>
      ${this.kernel && !this.inNotebook()
        ? statusBadge(this.status)
        : nothing}
      ${this.error ? html`<span class="error" role="alert">${this.error}</span>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'kernel-selector': KernelSelector;
  }
  interface GlobalEventHandlersEventMap {
    'bento-kernel-change-request': BentoKernelChangeRequestEvent;
  }
}
