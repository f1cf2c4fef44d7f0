import { Marked } from 'marked';

/**
 * The full Markdown parser (marked), a chunk of its own beside the sanitizer's (shared/sanitize.ts loads it): HTML,
 * SVG and JSON outputs need only the sanitizer, and evaluating marked (it builds its rules' regular expressions as it
 * loads) cost a first screen of tables ~40 ms. Loaded for the Markdown that shared/markdown.ts leaves to it.
 */
const markdown = new Marked({ gfm: true, async: false });

/** Markdown to (unsanitized) HTML; always pass the result through sanitize(). */
export function markdownToHtml(source: string): string {
  return markdown.parse(source) as string;
}
