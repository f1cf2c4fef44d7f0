import { css, html } from 'lit';
import type { KernelStatus } from '../../src/kernel/protocol.ts';

/** What a person reads for each kernel status. */
export const STATUS_TEXT: Record<KernelStatus, string> = {
  unknown: 'not started',
  starting: 'starting',
  idle: 'idle',
  busy: 'busy',
  restarting: 'restarting',
  disconnected: 'disconnected',
  reconnecting: 'reconnecting',
  dead: 'stopped',
};

/** A coloured dot and the status text (`text` replaces it, e.g. with start-up progress). */
export function statusBadge(status: KernelStatus, text = STATUS_TEXT[status]) {
  return html`<span class="status ${status}" part="status" role="status" aria-live="polite"><span class="dot" aria-hidden="true"></span>${text}</span>`;
}

/** Styles of statusBadge; the host defines --_muted, --_success, --_warning and --_error. */
export const statusStyles = css`
  .status {
    display: inline-flex;
    align-items: center;
    gap: var(--bento-space-1, 4px);
    color: var(--_muted);
  }
  .dot {
    width: 0.6em;
    height: 0.6em;
    border-radius: 50%;
    background: var(--_muted);
  }
  .idle .dot {
    background: var(--_success);
  }
  .busy .dot,
  .starting .dot,
  .restarting .dot,
  .reconnecting .dot,
  .disconnected .dot {
    background: var(--_warning);
  }
  .dead .dot {
    background: var(--_error);
  }
`;
