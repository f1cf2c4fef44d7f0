import { css } from 'lit';
import { statusStyles } from '../shared/kernel-status.ts';

export const styles = [
  statusStyles,
  css`
  :host {
    --_fg: var(--bento-color-on-surface, light-dark(#1d1f23, #e4e6ea));
    --_muted: var(--bento-color-muted, light-dark(#5f6570, #9aa1ad));
    --_border: var(--bento-color-border, light-dark(#d9dce1, #343a44));
    --_bg: var(--bento-color-surface, light-dark(#fff, #1c1f24));
    --_primary: var(--bento-color-primary, light-dark(#2f6fde, #6ea1ff));
    --_success: var(--bento-color-success, light-dark(#1e7b3a, #7ad48f));
    --_warning: var(--bento-color-warning, light-dark(#8a5a00, #f2c46d));
    --_error: var(--bento-color-error, light-dark(#b3261e, #ff8a80));
    --_radius: var(--bento-radius, 6px);
    display: inline-flex;
    align-items: center;
    min-width: 0;
    gap: var(--bento-space-2, 8px);
    font: inherit;
    color: var(--_fg);
  }
  select {
    font: inherit;
    font-weight: 600;
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 1px 4px;
    /* In a narrow toolbar the picker gives way (its text ends in an ellipsis) rather than push the buttons out. */
    min-width: 0;
    max-width: 100%;
    text-overflow: ellipsis;
  }
  .error {
    color: var(--_error);
  }
  select:focus-visible {
    outline: 2px solid var(--_primary);
  }
`,
];
