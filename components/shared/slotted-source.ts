/**
 * A cell's source as the page wrote it: the text of a `<script>` child (where code containing `<` goes, since
 * HTML keeps a script's content as raw text) or the element's own text, with the common indentation removed.
 */
export function slottedSource(host: HTMLElement): string {
  return dedent(host.querySelector(':scope > script')?.textContent ?? host.textContent ?? '');
}

function dedent(text: string): string {
  const lines = text.replace(/^\s*\n/, '').replace(/\s+$/, '').split('\n');
  const indents = lines.filter((l) => l.trim()).map((l) => l.match(/^[ \t]*/)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}
