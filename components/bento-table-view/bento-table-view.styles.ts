import { css } from 'lit';

export const styles = css`
  :host {
    --_bg: var(--bento-table-background, var(--bento-color-surface, light-dark(#fff, #1c1f24)));
    --_fg: var(--bento-color-on-surface, light-dark(#1d1f23, #e4e6ea));
    --_muted: var(--bento-color-muted, light-dark(#5f6570, #9aa1ad));
    --_border: var(--bento-table-border, var(--bento-color-border, light-dark(#d9dce1, #343a44)));
    --_header-bg: var(--bento-table-header-background, var(--bento-color-surface-raised, light-dark(#f4f5f7, #23272e)));
    --_stripe: var(--bento-table-stripe, color-mix(in srgb, var(--_header-bg) 55%, transparent));
    --_accent: var(--bento-color-primary, light-dark(#2f6fde, #6ea1ff));
    --_mono: var(--bento-font-mono, ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace);
    --_small: var(--bento-font-size-small, 12.5px);
    --_row: var(--bento-table-row-height, 26px);
    --_max-height: var(--bento-table-max-height, 360px);
    display: block;
    color: var(--_fg);
    font: var(--_small) / 1.4 var(--bento-font-sans, system-ui, sans-serif);
  }
  .viewport {
    position: relative;
    overflow: auto;
    max-height: var(--_max-height);
    border: 1px solid var(--_border);
    border-radius: var(--bento-radius, 6px);
    background: var(--_bg);
    contain: strict;
    height: var(--_height);
  }
  table {
    border-collapse: separate;
    border-spacing: 0;
    font-family: var(--_mono);
    min-width: 100%;
  }
  thead th {
    position: sticky;
    top: 0;
    z-index: 1;
    background: var(--_header-bg);
    border-bottom: 1px solid var(--_border);
    padding: 0;
    text-align: left;
    white-space: nowrap;
  }
  th button {
    all: unset;
    box-sizing: border-box;
    display: flex;
    gap: 4px;
    width: 100%;
    padding: 3px 10px;
    cursor: pointer;
    font-weight: 600;
  }
  th button:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: -2px;
  }
  th .type {
    color: var(--_muted);
    font-weight: 400;
  }
  th .arrow {
    color: var(--_accent);
  }
  td,
  th.index {
    height: var(--_row);
    box-sizing: border-box;
    padding: 0 10px;
    white-space: nowrap;
    max-width: 40ch;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  th.index,
  td.index {
    color: var(--_muted);
    text-align: right;
  }
  td.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  td.null {
    color: var(--_muted);
    font-style: italic;
  }
  tbody tr:nth-child(even of .row) td {
    background: var(--_stripe);
  }
  .spacer td {
    padding: 0;
    height: auto;
    border: 0;
  }
  .footer {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 12px;
    padding: 4px 2px 0;
    color: var(--_muted);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
  }
`;
