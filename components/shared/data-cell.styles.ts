import { css } from 'lit';
import { codeStyles } from './code.styles.ts';

export const styles = [
  codeStyles,
  css`
    :host {
      --_header-gap: var(--bento-space-2, 8px);
      display: block;
      color: var(--_fg);
      font-family: var(--_sans);
    }
    :host([hidden]) {
      display: none;
    }
    .cell {
      display: grid;
      gap: var(--_space-2);
      border-radius: var(--_radius);
    }
    :host(:not([show-magic])) .cell {
      padding: var(--_space-2);
      border: 1px solid var(--_border);
      background: var(--_bg);
    }
    .cell.dragging {
      outline: 2px dashed var(--_active);
      outline-offset: 2px;
    }
    .header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-1) var(--_header-gap);
      font-size: var(--_small);
      color: var(--_muted);
    }
    .header .badge {
      font: 600 var(--_small) var(--_mono);
      color: var(--_active);
    }
    .header label {
      display: inline-flex;
      align-items: center;
      gap: var(--_space-1);
    }
    select,
    input,
    button {
      font: inherit;
      color: var(--_fg);
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      padding: 2px 6px;
    }
    input {
      font-family: var(--_mono);
    }
    input:not([type='checkbox'], [type='number']) {
      field-sizing: content;
      min-width: 9ch;
      max-width: 32ch;
    }
    input[type='number'] {
      width: 7ch;
    }
    input[type='checkbox'] {
      margin: 0;
      accent-color: var(--_active);
    }
    button {
      cursor: pointer;
    }
    button.run {
      background: var(--_active);
      border-color: var(--_active);
      color: var(--bento-color-on-primary, #fff);
    }
    select:focus-visible,
    input:focus-visible,
    button:focus-visible {
      outline: 2px solid var(--_active);
      outline-offset: 1px;
    }
    .status {
      font-variant-numeric: tabular-nums;
    }
    .hint {
      margin-left: auto;
    }
    .error {
      margin: 0;
      padding: var(--_space-2) var(--_space-3);
      border-left: 3px solid var(--_error);
      background: color-mix(in srgb, var(--_error) 8%, transparent);
      color: var(--_fg);
      font: var(--_small) / 1.45 var(--_mono);
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .note {
      font-size: var(--_small);
      color: var(--_muted);
    }
    .value {
      margin: 0;
      max-height: var(--bento-table-max-height, 360px);
      overflow: auto;
      padding: var(--_space-2) var(--_space-3);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      font: var(--_small) / 1.45 var(--_mono);
      white-space: pre-wrap;
    }
  `,
];
