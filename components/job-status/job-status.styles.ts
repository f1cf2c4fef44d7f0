import { css } from 'lit';

export const styles = css`
  :host {
    --_bg: var(--bento-job-background, var(--bento-color-surface, light-dark(#fff, #1c1f24)));
    --_fg: var(--bento-color-on-surface, light-dark(#1d1f23, #e4e6ea));
    --_muted: var(--bento-color-muted, light-dark(#5f6570, #9aa1ad));
    --_border: var(--bento-job-border, var(--bento-color-border, light-dark(#d9dce1, #343a44)));
    --_bar: var(--bento-job-bar, var(--bento-color-primary, light-dark(#2f6fde, #6ea1ff)));
    --_track: var(--bento-job-track, var(--bento-color-surface-raised, light-dark(#f4f5f7, #23272e)));
    --_ok: var(--bento-color-success, light-dark(#1e7b3a, #7ad48f));
    --_warn: var(--bento-color-warning, light-dark(#8a5a00, #f2c46d));
    --_error: var(--bento-color-error, light-dark(#b3261e, #ff8a80));
    --_sans: var(--bento-font-sans, system-ui, sans-serif);
    --_mono: var(--bento-font-mono, ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace);
    --_small: var(--bento-font-size-small, 12.5px);
    --_space-1: var(--bento-space-1, 4px);
    --_space-2: var(--bento-space-2, 8px);
    --_radius: var(--bento-radius, 6px);
    display: block;
    color: var(--_fg);
    font: var(--_small) / 1.45 var(--_sans);
  }
  :host([hidden]) {
    display: none;
  }
  .job {
    display: grid;
    gap: var(--_space-1);
    padding: var(--_space-2);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
  }
  .line {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-1) var(--_space-2);
  }
  .state {
    font-weight: 600;
  }
  .state.succeeded {
    color: var(--_ok);
  }
  .state.failed {
    color: var(--_error);
  }
  .state.paused,
  .state.cancelled {
    color: var(--_warn);
  }
  .target {
    font-family: var(--_mono);
  }
  .figures {
    color: var(--_muted);
    font-variant-numeric: tabular-nums;
  }
  .bar {
    height: 6px;
    border-radius: 3px;
    background: var(--_track);
    overflow: hidden;
  }
  .bar > div {
    height: 100%;
    background: var(--_bar);
    transition: width 0.2s;
  }
  .error {
    margin: 0;
    padding: var(--_space-1) var(--_space-2);
    border-left: 3px solid var(--_error);
    background: color-mix(in srgb, var(--_error) 8%, transparent);
    font-family: var(--_mono);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .actions {
    margin-left: auto;
    display: inline-flex;
    gap: var(--_space-1);
  }
  button {
    font: inherit;
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 2px 8px;
    cursor: pointer;
  }
  button:focus-visible {
    outline: 2px solid var(--_bar);
    outline-offset: 1px;
  }
  button:disabled {
    cursor: default;
    opacity: 0.6;
  }
`;
