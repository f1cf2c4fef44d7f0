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
  runAll: icon(svg`<path d="M4 5l8 7-8 7zM12 5l8 7-8 7z" fill="currentColor"/>`),
  stop: icon(svg`<rect x="6" y="6" width="12" height="12" rx="1" fill="currentColor"/>`),
  restart: icon(svg`<path d="M20 12a8 8 0 1 1-2.34-5.66"/><path d="M20 4v5h-5"/>`),
  restartRunAll: icon(svg`<path d="M12 4a8 8 0 1 0 7.75 10"/><path d="M12 1v6l3-3z" fill="currentColor"/><path d="M10 9l6 3-6 3z" fill="currentColor"/>`),
  save: icon(svg`<path d="M5 4h11l3 3v13H5z"/><path d="M8 4v5h7V4M8 20v-6h8v6"/>`),
  open: icon(svg`<path d="M3 7V5h7l2 2h9v12H3z"/>`),
  runAbove: icon(svg`<path d="M12 20V6M6 11l6-6 6 6"/>`),
  runBelow: icon(svg`<path d="M12 4v14M6 13l6 6 6-6"/>`),
  more: icon(svg`<circle cx="12" cy="5" r="1.6" fill="currentColor"/><circle cx="12" cy="12" r="1.6" fill="currentColor"/><circle cx="12" cy="19" r="1.6" fill="currentColor"/>`),
};
