import { css } from 'lit';
import { codeStyles } from '../shared/code.styles.ts';

// Comments about the CSS live here, outside the template: text inside a css`` template ships in the bundle.
// `contain-intrinsic-inline-size` + `min-inline-size: 0`: inline-size containment (for the container queries)
// leaves the element no content width, so in a flex row or a shrink-to-fit box it would collapse to nothing;
// it asks for 48rem there instead, and can still shrink below it.
// `.badge`: a magic cell's header while its element loads. `::after` is an invisible copy of that header's Run button
// (its text's size and inherited line height, padding, border): the line is as tall as the header, so nothing moves
// when the element comes.
// `content-visibility: auto` lays a cell out again each time it scrolls into view (most of a big notebook's scrolling
// cost, README "Measured"), but without it every cell is laid out, and a notebook of a million lines of code takes
// seconds of background layout to settle (test/fuzz/notebook-load.test.ts): kept until cells lay out cheaper.
export const styles = [
  codeStyles,
  css`
  :host {
    display: block;
    color: var(--_fg);
    font-family: var(--_sans);
    content-visibility: auto;
    contain-intrinsic-size: auto 48rem auto 3em;
    min-inline-size: 0;
    outline: none;
    /* The cell sits in any page's column: its layout follows its own width, not the window's. */
    container-type: inline-size;
  }
  :host([hidden]) {
    display: none;
  }
  .cell {
    display: grid;
    grid-template-columns: 4.5em minmax(0, 1fr);
    gap: var(--_space-2);
    padding: var(--_space-1) var(--_space-2) var(--_space-1) 0;
    border-left: 3px solid transparent;
    border-radius: var(--_radius);
    background: var(--_bg);
  }
  :host([active]) .cell {
    border-left-color: var(--_active);
  }
  :host(:focus-visible) .cell {
    outline: 2px solid var(--_active);
    outline-offset: 1px;
  }
  .prompt {
    font: var(--_small) / 1.9 var(--_mono);
    color: var(--_muted);
    text-align: right;
    white-space: pre;
    padding-top: var(--_space-1);
  }
  .error .prompt {
    color: var(--_error);
  }
  .body {
    min-width: 0;
    position: relative;
  }
  .toolbar {
    position: absolute;
    top: -2px;
    right: 0;
    z-index: 1;
    display: flex;
    gap: 2px;
    padding: 2px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    opacity: 0;
    pointer-events: none;
    transition: opacity 0.12s;
  }
  :host(:hover) .toolbar,
  :host([active]) .toolbar,
  .toolbar:focus-within {
    opacity: 1;
    pointer-events: auto;
  }
  .toolbar button {
    display: inline-grid;
    place-items: center;
    font: var(--_small) var(--_sans);
    min-width: 1.9em;
    color: var(--_muted);
    background: none;
    border: 0;
    border-radius: 3px;
    padding: 1px 4px;
    cursor: pointer;
  }
  .toolbar button:hover,
  .toolbar button[aria-pressed='true'] {
    color: var(--_fg);
    background: var(--_code-bg);
  }
  .toolbar button:focus-visible {
    outline: 2px solid var(--_active);
  }
  .badge {
    display: flex;
    align-items: center;
    font-weight: 600;
    font-size: var(--_small);
    font-family: var(--_mono);
    color: var(--_active);
    margin-bottom: var(--_space-2);
  }
  .badge::after {
    content: '▶';
    color: #0000;
    padding: 2px 0;
    border: 1px solid #0000;
  }
  .markdown {
    padding: 0 var(--_space-3);
    line-height: var(--bento-line-height, 1.5);
    /* Breaks only a word wider than the line (a URL); "anywhere" split ordinary words across lines. */
    overflow-wrap: break-word;
  }
  .markdown.pending {
    /* The text as written, for the moment before the Markdown renderer has loaded. */
    white-space: pre-wrap;
    margin: 1em 0;
  }
  .markdown img {
    max-width: 100%;
  }
  .markdown pre,
  .markdown code {
    font-family: var(--_mono);
    font-size: var(--_code-size);
    background: var(--_code-bg);
    border-radius: 3px;
  }
  .markdown pre {
    padding: var(--_space-2);
    overflow-x: auto;
  }
  .markdown table {
    border-collapse: collapse;
  }
  .markdown th,
  .markdown td {
    border: 1px solid var(--_border);
    padding: 2px var(--_space-2);
  }
  .status {
    font-size: var(--_small);
    color: var(--_muted);
    padding: var(--_space-1) 0 0;
  }
  .inspect {
    margin: var(--_space-1) 0 0;
    padding: var(--_space-2);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    font: var(--_small) / 1.4 var(--_mono);
    white-space: pre-wrap;
    max-height: 16em;
    overflow: auto;
  }
  .stdin {
    display: flex;
    gap: var(--_space-2);
    align-items: center;
    font: var(--_code-size) var(--_mono);
    padding: var(--_space-1) 0;
  }
  .stdin input {
    flex: 1;
    font: inherit;
    color: inherit;
    background: var(--_code-bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 2px var(--_space-2);
  }
  .collapsed {
    font: var(--_small) var(--_sans);
    color: var(--_muted);
    background: none;
    border: 1px dashed var(--_border);
    border-radius: var(--_radius);
    padding: 2px var(--_space-2);
    cursor: pointer;
  }
  bento-output-area {
    display: block;
    margin-top: var(--_space-1);
  }
  .load-error {
    margin-top: var(--_space-1);
    padding: var(--_space-1) var(--_space-2);
    border-left: 3px solid var(--_error);
    font-size: var(--_small);
  }
  /* A phone or a narrow column: a slimmer prompt gutter leaves the code its width. */
  @container (max-width: 30rem) {
    .cell {
      grid-template-columns: 2.9em minmax(0, 1fr);
      gap: var(--_space-1);
    }
    .markdown {
      padding: 0 var(--_space-1);
    }
    .markdown h1 {
      font-size: 1.6em;
    }
    .markdown h2 {
      font-size: 1.3em;
    }
  }
`,
];
