import { css } from 'lit';
import { statusStyles } from '../shared/kernel-status.ts';

// Comments about the CSS live here, outside the template: text inside a css`` template ships in the bundle.
// `contain-intrinsic-inline-size` + `min-inline-size: 0`: inline-size containment (for the container queries)
// leaves the element no content width, so in a flex row or a shrink-to-fit box it would collapse to nothing;
// it asks for 48rem there instead, and can still shrink below it.
// The cells stack as blocks, not as a flex column: a cell whose height changes then costs its own layout, not a pass
// over a thousand siblings (the big notebook in README, "Measured").
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
    /* The notebook sits in any page's column: the toolbar and gutters follow its width, not the window's. */
    container: bento-notebook / inline-size;
    contain-intrinsic-inline-size: 48rem;
    min-inline-size: 0;
  }
  .toolbar {
    position: sticky;
    top: 0;
    z-index: 2;
    display: flex;
    align-items: center;
    gap: var(--_space-1);
    padding: var(--_space-1) var(--_space-3);
    background: var(--_toolbar-bg);
    border-bottom: 1px solid var(--_border);
    border-radius: var(--_radius) var(--_radius) 0 0;
    font-size: var(--_small);
  }
  /* One row at any width: the kernel picker and the status give way (ellipsis), the buttons never wrap. */
  kernel-selector {
    min-width: 0;
    flex: 0 1 auto;
  }
  .toolbar > .status {
    /* Never less than its dot. */
    min-width: 1rem;
    /* Start-up progress text gives way before the kernel's name does. */
    flex: 0 8 auto;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
    margin-inline: var(--_space-1);
  }
  .toolbar > .status .dot {
    flex: none;
  }
  progress {
    width: 7em;
    min-width: 3em;
    flex: 0 1 auto;
    height: 0.5em;
    accent-color: var(--_primary);
  }
  .spacer {
    flex: 1 1 0;
  }
  button.icon {
    flex: none;
    display: inline-grid;
    place-items: center;
    width: 2.2em;
    height: 2.2em;
    padding: 0;
    border-color: transparent;
    color: var(--_muted);
  }
  button.icon:hover:not(:disabled),
  button.icon[aria-expanded='true'] {
    color: var(--_fg);
    border-color: var(--_border);
  }
  .more {
    position: relative;
    flex: none;
    display: flex;
  }
  .menu {
    position: absolute;
    top: calc(100% + var(--_space-1));
    right: 0;
    z-index: 3;
    display: flex;
    flex-direction: column;
    min-width: 15em;
    padding: var(--_space-1);
    background: var(--_toolbar-bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    box-shadow: 0 6px 18px rgb(0 0 0 / 0.18);
  }
  .menu[hidden] {
    display: none;
  }
  .menu button {
    display: flex;
    align-items: center;
    gap: var(--_space-2);
    text-align: start;
    border: 0;
    padding: var(--_space-1) var(--_space-2);
    white-space: nowrap;
  }
  .menu button:hover,
  .menu button:focus-visible {
    background: color-mix(in srgb, var(--_primary) 14%, transparent);
  }
  .menu button:focus-visible {
    outline-offset: -2px;
  }
  .menu svg {
    color: var(--_muted);
    flex: none;
  }
  .menu .hint {
    margin-inline-start: auto;
    padding-inline-start: var(--_space-3);
    color: var(--_muted);
  }
  /* The toolbar shows the wide set; the menu repeats it only when the toolbar had no room. */
  .menu .narrow {
    display: none;
  }
  @container bento-notebook (max-width: 36rem) {
    button.wide {
      display: none;
    }
    .menu .narrow {
      display: flex;
    }
    .toolbar {
      padding-inline: var(--_space-2);
    }
    .cells {
      padding-inline: var(--_space-1);
    }
    .notice {
      margin-inline: var(--_space-1);
    }
    /* Start-up progress shows as its bar (the words stay for screen readers); at 26rem only the status dot shows. */
    .toolbar.starting > .status {
      font-size: 0;
      gap: 0;
    }
    .toolbar.starting > .status .dot {
      width: 0.6rem;
      height: 0.6rem;
    }
  }
  /* Where the cells narrow their prompt gutter (bento-cell.styles.ts), the add buttons follow it. */
  @container bento-notebook (max-width: 31rem) {
    .add {
      padding-inline-start: calc(2.9em + 2 * var(--_space-1));
    }
  }
  @container bento-notebook (max-width: 26rem) {
    .toolbar > .status {
      font-size: 0;
      gap: 0;
    }
    .toolbar > .status .dot {
      width: 0.6rem;
      height: 0.6rem;
    }
    progress {
      width: 3em;
    }
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
  /* An offer waits for an answer: it stays in view under the toolbar while the person is down at the cell. */
  .notice.offer {
    position: sticky;
    top: 2.6rem;
    z-index: 1;
  }
  .notice.error {
    border-color: var(--_error);
    background: var(--_error-bg);
  }
  .cells {
    display: flow-root;
    padding: calc(var(--_space-3) - var(--_space-1)) var(--_space-3) 0;
  }
  /* A cell scrolled into view (selected from the keyboard) stops below the sticky toolbar, not under it. */
  ::slotted(*) {
    margin-block-start: var(--_space-1);
    scroll-margin-block-start: 2.6rem;
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
