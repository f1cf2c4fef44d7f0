import { css } from 'lit';
import { statusStyles } from '../shared/kernel-status.ts';

export const styles = [
  statusStyles,
  css`
  :host {
    --_bg: var(--bento-notebook-background, var(--bento-color-background, light-dark(#f7f7f5, #15171b)));
    --_toolbar-bg: var(--bento-notebook-toolbar-background, var(--bento-color-surface, light-dark(#fff, #1c1f24)));
    --_fg: var(--bento-color-on-surface, light-dark(#1d1f23, #e4e6ea));
    --_muted: var(--bento-color-muted, light-dark(#5f6570, #9aa1ad));
    --_border: var(--bento-color-border, light-dark(#d9dce1, #343a44));
    --_primary: var(--bento-color-primary, light-dark(#2f6fde, #6ea1ff));
    --_error: var(--bento-color-error, light-dark(#b3261e, #ff8a80));
    --_error-bg: var(--bento-color-error-surface, light-dark(#fdf0ef, #3a1f1d));
    --_success: var(--bento-color-success, light-dark(#1e7b3a, #7ad48f));
    --_warning: var(--bento-color-warning, light-dark(#8a5a00, #f2c46d));
    --_sans: var(--bento-font-sans, system-ui, sans-serif);
    --_size: var(--bento-font-size, 15px);
    --_small: var(--bento-font-size-small, 12.5px);
    --_space-1: var(--bento-space-1, 4px);
    --_space-2: var(--bento-space-2, 8px);
    --_space-3: var(--bento-space-3, 12px);
    --_radius: var(--bento-radius, 6px);
    display: block;
    color-scheme: inherit;
    background: var(--_bg);
    color: var(--_fg);
    font: var(--_size) / var(--bento-line-height, 1.5) var(--_sans);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  .toolbar {
    position: sticky;
    top: 0;
    z-index: 2;
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-2);
    padding: var(--_space-2) var(--_space-3);
    background: var(--_toolbar-bg);
    border-bottom: 1px solid var(--_border);
    border-radius: var(--_radius) var(--_radius) 0 0;
    font-size: var(--_small);
  }
  .kernel {
    font-weight: 600;
  }
  progress {
    width: 7em;
    height: 0.5em;
    accent-color: var(--_primary);
  }
  .spacer {
    flex: 1;
  }
  button {
    font: inherit;
    color: var(--_fg);
    background: transparent;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 2px var(--_space-2);
    cursor: pointer;
  }
  button:hover:not(:disabled) {
    border-color: var(--_primary);
  }
  button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  button:focus-visible {
    outline: 2px solid var(--_primary);
    outline-offset: 1px;
  }
  .notice {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-2);
    margin: var(--_space-2) var(--_space-3) 0;
    padding: var(--_space-2) var(--_space-3);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_toolbar-bg);
    font-size: var(--_small);
  }
  .notice span {
    flex: 1;
  }
  .notice.error {
    border-color: var(--_error);
    background: var(--_error-bg);
  }
  .cells {
    display: flex;
    flex-direction: column;
    gap: var(--_space-1);
    padding: var(--_space-3) var(--_space-3) 0;
  }
  .add {
    display: flex;
    gap: var(--_space-2);
    padding: var(--_space-2) var(--_space-3) var(--_space-3) calc(4.5em + var(--_space-3) + var(--_space-2));
  }
  .add button {
    color: var(--_muted);
    border-style: dashed;
  }
`,
];
