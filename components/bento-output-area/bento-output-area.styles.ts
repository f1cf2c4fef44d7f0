import { css } from 'lit';

// Each public token is read once into a private local; the rules below use only the locals. The defaults
// (light, and dark under prefers-color-scheme) keep every ANSI colour at a 4.5:1 contrast or more on the
// output, stderr and error backgrounds, so coloured tracebacks stay readable with no theme loaded.
export const styles = css`
  :host {
    --_bg: var(--bento-color-surface-raised, #ffffff);
    --_fg: var(--bento-color-on-surface, #1f2328);
    --_muted: var(--bento-color-muted, #59636e);
    --_border: var(--bento-color-border, #d1d9e0);
    --_primary: var(--bento-color-primary, #0969da);
    --_on-primary: var(--bento-color-on-primary, #ffffff);
    --_error: var(--bento-color-error, #c4202b);
    --_error-bg: var(--bento-color-error-surface, #fff0ef);
    --_warning: var(--bento-color-warning, #8a5c00);
    --_font-sans: var(--bento-font-sans, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --_font-mono: var(--bento-font-mono, ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace);
    --_font-size: var(--bento-font-size, 14px);
    --_font-size-small: var(--bento-font-size-small, 12px);
    --_font-size-code: var(--bento-font-size-code, 13px);
    --_line-height: var(--bento-line-height, 1.5);
    --_space-1: var(--bento-space-1, 4px);
    --_space-2: var(--bento-space-2, 8px);
    --_space-3: var(--bento-space-3, 12px);
    --_radius: var(--bento-radius, 6px);
    --_ansi-black: var(--bento-ansi-black, #24292f);
    --_ansi-red: var(--bento-ansi-red, #c4202b);
    --_ansi-green: var(--bento-ansi-green, #116329);
    --_ansi-yellow: var(--bento-ansi-yellow, #7d4e00);
    --_ansi-blue: var(--bento-ansi-blue, #0550ae);
    --_ansi-magenta: var(--bento-ansi-magenta, #7339d0);
    --_ansi-cyan: var(--bento-ansi-cyan, #176d74);
    --_ansi-white: var(--bento-ansi-white, #59636e);
    --_ansi-bright-black: var(--bento-ansi-bright-black, #57606a);
    --_ansi-bright-red: var(--bento-ansi-bright-red, #a40e26);
    --_ansi-bright-green: var(--bento-ansi-bright-green, #187232);
    --_ansi-bright-yellow: var(--bento-ansi-bright-yellow, #633c01);
    --_ansi-bright-blue: var(--bento-ansi-bright-blue, #0860c9);
    --_ansi-bright-magenta: var(--bento-ansi-bright-magenta, #6639ba);
    --_ansi-bright-cyan: var(--bento-ansi-bright-cyan, #0e6a75);
    --_ansi-bright-white: var(--bento-ansi-bright-white, #424a53);

    display: block;
    color: var(--_fg);
    background: var(--_bg);
    font-family: var(--_font-sans);
    font-size: var(--_font-size);
    line-height: var(--_line-height);
  }

  @media (prefers-color-scheme: dark) {
    :host {
      --_bg: var(--bento-color-surface-raised, #0d1117);
      --_fg: var(--bento-color-on-surface, #e6edf3);
      --_muted: var(--bento-color-muted, #9198a1);
      --_border: var(--bento-color-border, #3d444d);
      --_primary: var(--bento-color-primary, #4493f8);
      --_on-primary: var(--bento-color-on-primary, #0d1117);
      --_error: var(--bento-color-error, #f85149);
      --_error-bg: var(--bento-color-error-surface, #25171c);
      --_warning: var(--bento-color-warning, #d29922);
      --_ansi-black: var(--bento-ansi-black, #8b949e);
      --_ansi-red: var(--bento-ansi-red, #ff7b72);
      --_ansi-green: var(--bento-ansi-green, #3fb950);
      --_ansi-yellow: var(--bento-ansi-yellow, #d29922);
      --_ansi-blue: var(--bento-ansi-blue, #58a6ff);
      --_ansi-magenta: var(--bento-ansi-magenta, #bc8cff);
      --_ansi-cyan: var(--bento-ansi-cyan, #39c5cf);
      --_ansi-white: var(--bento-ansi-white, #b1bac4);
      --_ansi-bright-black: var(--bento-ansi-bright-black, #a0a8b1);
      --_ansi-bright-red: var(--bento-ansi-bright-red, #ffa198);
      --_ansi-bright-green: var(--bento-ansi-bright-green, #56d364);
      --_ansi-bright-yellow: var(--bento-ansi-bright-yellow, #e3b341);
      --_ansi-bright-blue: var(--bento-ansi-bright-blue, #79c0ff);
      --_ansi-bright-magenta: var(--bento-ansi-bright-magenta, #d2a8ff);
      --_ansi-bright-cyan: var(--bento-ansi-bright-cyan, #56d4dd);
      --_ansi-bright-white: var(--bento-ansi-bright-white, #ffffff);
    }
  }

  :host([hidden]) {
    display: none;
  }

  .outputs {
    display: flex;
    flex-direction: column;
    gap: var(--_space-1);
  }

  .output {
    min-width: 0;
    padding: var(--_space-1) var(--_space-2);
  }

  /* Text wraps rather than scrolls sideways: a <pre> that scrolled would need to be a tab stop of its own. */
  pre {
    margin: 0;
    font-family: var(--_font-mono);
    font-size: var(--_font-size-code);
    line-height: var(--_line-height);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }

  /*
   * Text is laid out in blocks of 100 lines; blocks off screen are skipped (a cell that printed 100k lines
   * shown in full still lays out only what is visible) yet stay findable and in the accessibility tree.
   * A text of one block is not: skipping costs a layout each time it comes into view, and an observer per box.
   */
  .block {
    display: block;
  }
  .block:not(:only-child) {
    content-visibility: auto;
    contain-intrinsic-size: auto 1950px;
  }

  .stderr {
    background: color-mix(in srgb, var(--_warning) 9%, var(--_bg));
    border-inline-start: 3px solid var(--_warning);
  }

  .error {
    background: var(--_error-bg);
    border-inline-start: 3px solid var(--_error);
  }

  .error-summary {
    margin: 0 0 var(--_space-1);
    font-family: var(--_font-mono);
    font-size: var(--_font-size-code);
  }

  .ename {
    color: var(--_error);
    font-weight: 700;
  }

  .evalue {
    font-weight: 600;
  }

  .notice,
  .javascript-note {
    margin: 0 0 var(--_space-1);
    color: var(--_muted);
    font-size: var(--_font-size-small);
  }

  .elided {
    margin: var(--_space-1) 0;
  }

  button {
    font: inherit;
    font-size: var(--_font-size-small);
    color: var(--_primary);
    background: transparent;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 2px var(--_space-2);
    cursor: pointer;
  }

  button:hover {
    border-color: var(--_primary);
  }

  button:focus-visible,
  summary:focus-visible,
  .sandbox:focus-visible {
    outline: 2px solid var(--_primary);
    outline-offset: 1px;
  }

  /*
   * Sanitized HTML, SVG and Markdown live in a shadow root of their own (their <style> cannot reach other
   * outputs nor the page). Paint containment makes this box the containing block of anything the content
   * positions, even position: fixed, and clips it, so an output cannot lay itself over the page.
   */
  .sandbox {
    contain: paint;
    overflow: auto;
    max-width: 100%;
  }

  img {
    max-width: 100%;
    height: auto;
  }

  img.unconfined {
    max-width: none;
  }

  .latex {
    padding: var(--_space-2) var(--_space-3);
    border-inline-start: 3px solid var(--_border);
    font-style: italic;
  }

  .unsupported {
    color: var(--_muted);
    font-style: italic;
    margin: 0;
  }

  .ansi-fg-black { color: var(--_ansi-black); }
  .ansi-fg-red { color: var(--_ansi-red); }
  .ansi-fg-green { color: var(--_ansi-green); }
  .ansi-fg-yellow { color: var(--_ansi-yellow); }
  .ansi-fg-blue { color: var(--_ansi-blue); }
  .ansi-fg-magenta { color: var(--_ansi-magenta); }
  .ansi-fg-cyan { color: var(--_ansi-cyan); }
  .ansi-fg-white { color: var(--_ansi-white); }
  .ansi-fg-bright-black { color: var(--_ansi-bright-black); }
  .ansi-fg-bright-red { color: var(--_ansi-bright-red); }
  .ansi-fg-bright-green { color: var(--_ansi-bright-green); }
  .ansi-fg-bright-yellow { color: var(--_ansi-bright-yellow); }
  .ansi-fg-bright-blue { color: var(--_ansi-bright-blue); }
  .ansi-fg-bright-magenta { color: var(--_ansi-bright-magenta); }
  .ansi-fg-bright-cyan { color: var(--_ansi-bright-cyan); }
  .ansi-fg-bright-white { color: var(--_ansi-bright-white); }
  .ansi-bg-black { background-color: var(--_ansi-black); }
  .ansi-bg-red { background-color: var(--_ansi-red); }
  .ansi-bg-green { background-color: var(--_ansi-green); }
  .ansi-bg-yellow { background-color: var(--_ansi-yellow); }
  .ansi-bg-blue { background-color: var(--_ansi-blue); }
  .ansi-bg-magenta { background-color: var(--_ansi-magenta); }
  .ansi-bg-cyan { background-color: var(--_ansi-cyan); }
  .ansi-bg-white { background-color: var(--_ansi-white); }
  .ansi-bg-bright-black { background-color: var(--_ansi-bright-black); }
  .ansi-bg-bright-red { background-color: var(--_ansi-bright-red); }
  .ansi-bg-bright-green { background-color: var(--_ansi-bright-green); }
  .ansi-bg-bright-yellow { background-color: var(--_ansi-bright-yellow); }
  .ansi-bg-bright-blue { background-color: var(--_ansi-bright-blue); }
  .ansi-bg-bright-magenta { background-color: var(--_ansi-bright-magenta); }
  .ansi-bg-bright-cyan { background-color: var(--_ansi-bright-cyan); }
  .ansi-bg-bright-white { background-color: var(--_ansi-bright-white); }
  .ansi-bold { font-weight: 700; }
  .ansi-dim { opacity: 0.7; }
  .ansi-italic { font-style: italic; }
  .ansi-underline { text-decoration: underline; }
  .ansi-strike { text-decoration: line-through; }
  .ansi-underline.ansi-strike { text-decoration: underline line-through; }
`;

/**
 * Base styles inside each sanitized-content shadow root (HTML, SVG, Markdown). Custom properties inherit into
 * it, so the locals above still apply; the content's own <style> stays inside this root.
 */
export const sandboxStyles = css`
  :host {
    display: block;
    color: inherit;
    font: inherit;
  }
  img,
  svg,
  video {
    max-width: 100%;
    height: auto;
  }
  pre,
  code {
    font-family: var(--_font-mono);
    font-size: var(--_font-size-code);
  }
  pre {
    white-space: pre-wrap;
  }
  a {
    color: var(--_primary);
  }
  table {
    border-collapse: collapse;
    font-size: var(--_font-size-small);
  }
  th,
  td {
    padding: 2px var(--_space-2);
    border-bottom: 1px solid var(--_border);
    text-align: right;
  }
  thead th {
    font-weight: 600;
  }
  .content > :first-child {
    margin-top: 0;
  }
  .content > :last-child {
    margin-bottom: 0;
  }
`;
