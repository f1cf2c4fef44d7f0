import { svg } from 'lit';

/** Small stroke icons (24×24 grid) for toolbar buttons, so they never depend on a font having a glyph. */
const icon = (body: ReturnType<typeof svg>) =>
  svg`<svg viewBox="0 0 24 24" width="14" height="14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${body}</svg>`;

export const icons = {
  run: icon(svg`<path d="M7 4l12 8-12 8z" fill="currentColor"/>`),
  up: icon(svg`<path d="M6 15l6-6 6 6"/>`),
  down: icon(svg`<path d="M6 9l6 6 6-6"/>`),
  duplicate: icon(svg`<rect x="8" y="8" width="12" height="12" rx="2"/><path d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2"/>`),
  delete: icon(svg`<path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/>`),
  hideSource: icon(svg`<path d="M8 6l-5 6 5 6M16 6l5 6-5 6"/>`),
  hideOutput: icon(svg`<path d="M4 6h16M4 12h16M4 18h10"/>`),
};
