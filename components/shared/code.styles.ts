import { css } from 'lit';

/**
 * What every element that shows code shares: the theme tokens read into private locals, the static code and
 * CodeMirror editor boxes, and the `tok-*` highlight classes (used by both the editor and the static painter).
 */
export const codeStyles = css`
  :host {
    --_bg: var(--bento-cell-background, var(--bento-color-surface, light-dark(#fff, #1c1f24)));
    --_fg: var(--bento-color-on-surface, light-dark(#1d1f23, #e4e6ea));
    --_muted: var(--bento-color-muted, light-dark(#5f6570, #9aa1ad));
    --_border: var(--bento-cell-border, var(--bento-color-border, light-dark(#d9dce1, #343a44)));
    --_active: var(--bento-cell-active, var(--bento-color-primary, light-dark(#2f6fde, #6ea1ff)));
    --_code-bg: var(--bento-code-background, var(--bento-color-surface-raised, light-dark(#f4f5f7, #23272e)));
    --_error: var(--bento-color-error, light-dark(#b3261e, #ff8a80));
    --_mono: var(--bento-font-mono, ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace);
    --_sans: var(--bento-font-sans, system-ui, sans-serif);
    --_code-size: var(--bento-font-size-code, 13.5px);
    --_small: var(--bento-font-size-small, 12.5px);
    --_space-1: var(--bento-space-1, 4px);
    --_space-2: var(--bento-space-2, 8px);
    --_space-3: var(--bento-space-3, 12px);
    --_radius: var(--bento-radius, 6px);
    --_kw: var(--bento-syntax-keyword, light-dark(#8a3fb8, #d2a8ff));
    --_str: var(--bento-syntax-string, light-dark(#1f7a3c, #a5d6ff));
    --_num: var(--bento-syntax-number, light-dark(#a4520b, #ffa657));
    --_comment: var(--bento-syntax-comment, light-dark(#6b7280, #8b949e));
    --_fn: var(--bento-syntax-function, light-dark(#2158b5, #79c0ff));
    --_op: var(--bento-syntax-operator, light-dark(#a02f6f, #ff7b72));
    --_builtin: var(--bento-syntax-builtin, light-dark(#0b7a86, #56d4dd));
  }
  .static,
  .editor {
    margin: 0;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_code-bg);
  }
  .static {
    padding: var(--_space-2) var(--_space-3);
    font: var(--_code-size) / 1.45 var(--_mono);
    white-space: pre-wrap;
    word-break: break-word;
    cursor: text;
    min-height: 1.45em;
  }
  .static:focus-visible,
  .editor:focus-within {
    outline: 2px solid var(--_active);
    outline-offset: -1px;
  }
  .editor .cm-editor {
    font: var(--_code-size) / 1.45 var(--_mono);
    background: transparent;
    color: var(--_fg);
  }
  .editor .cm-editor.cm-focused {
    outline: none;
  }
  .editor .cm-content {
    padding: var(--_space-2) var(--_space-1);
    caret-color: var(--_fg);
    font-family: var(--_mono);
  }
  .editor .cm-line {
    padding: 0 var(--_space-2);
  }
  .editor .cm-scroller {
    font-family: var(--_mono);
  }
  .editor .cm-tooltip {
    background: var(--_bg);
    color: var(--_fg);
    border: 1px solid var(--_border);
    font: var(--_code-size) var(--_mono);
  }
  .editor .cm-tooltip-autocomplete ul li[aria-selected] {
    background: var(--_active);
    color: var(--bento-color-on-primary, #fff);
  }
  .editor .cm-matchingBracket {
    background: color-mix(in srgb, var(--_active) 25%, transparent);
  }
  .editor .cm-selectionBackground,
  .editor .cm-focused .cm-selectionBackground {
    background: color-mix(in srgb, var(--_active) 28%, transparent) !important;
  }
  .tok-keyword {
    color: var(--_kw);
  }
  .tok-string,
  .tok-string2 {
    color: var(--_str);
  }
  .tok-number,
  .tok-bool,
  .tok-atom {
    color: var(--_num);
  }
  .tok-comment {
    color: var(--_comment);
    font-style: italic;
  }
  .tok-variableName.tok-definition,
  .tok-propertyName.tok-definition {
    color: var(--_fn);
  }
  .tok-operator {
    color: var(--_op);
  }
  .tok-variableName2,
  .tok-className {
    color: var(--_builtin);
  }
  .tok-meta {
    color: var(--_comment);
  }
`;
