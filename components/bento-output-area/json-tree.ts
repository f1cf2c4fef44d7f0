import type { JSONObject, JSONValue } from '../../src/kernel/protocol.ts';
import { countInWords } from '../../src/util/words.ts';

/**
 * JSON outputs as a collapsible tree. Rare in notebooks, so it rides in the sanitizer's chunk (shared/sanitize.ts)
 * rather than in the JavaScript every page loads; until that has arrived the output shows its text/plain form.
 */

/** Entries of a JSON object or array shown at once; the rest come with a "Show more" button. */
const JSON_PAGE = 500;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function jsonValueNode(value: JSONValue): HTMLElement {
  if (value === null) return element('span', 'json-null', 'null');
  if (typeof value === 'string') return element('span', 'json-string', JSON.stringify(value));
  if (typeof value === 'number') return element('span', 'json-number', String(value));
  return element('span', 'json-boolean', String(value));
}

/** One entry of a JSON tree; children of a closed node are built when it is first opened. */
function jsonEntry(key: string | null, value: JSONValue, open: boolean, expandAll: boolean): HTMLElement {
  const label = key === null ? [] : [element('span', 'json-key', key), document.createTextNode(': ')];
  if (value === null || typeof value !== 'object') {
    const leaf = element('div', 'json-leaf');
    leaf.append(...label, jsonValueNode(value));
    return leaf;
  }
  const entries: Array<[string, JSONValue]> = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
  const details = element('details', 'json-node');
  const summary = element('summary');
  const description = Array.isArray(value)
    ? `Array(${countInWords(entries.length)})`
    : `Object {${countInWords(entries.length, 'key')}}`;
  summary.append(...label, element('span', 'json-meta', description));
  const children = element('div', 'json-children');
  details.append(summary, children);
  let shown = 0;
  const showMore = () => {
    children.querySelector(':scope > .json-more')?.remove();
    const end = Math.min(entries.length, shown + JSON_PAGE);
    for (; shown < end; shown++) children.append(jsonEntry(entries[shown][0], entries[shown][1], expandAll, expandAll));
    if (shown < entries.length) {
      const more = element('button', 'json-more', `Show ${countInWords(Math.min(JSON_PAGE, entries.length - shown))} more of ${countInWords(entries.length - shown)}`);
      more.type = 'button';
      more.addEventListener('click', showMore);
      children.append(more);
    }
  };
  if (open) {
    details.open = true;
    showMore();
  } else {
    details.addEventListener('toggle', () => {
      if (details.open && shown === 0) showMore();
    });
  }
  return details;
}

/**
 * The tree's look, in this chunk rather than with the output area's styles, which every page loads: `jsonNode` adds
 * it to the shadow root the tree is shown in. The colours are the output area's ANSI ones.
 */
const jsonStyles = `
  .json {
    font-family: var(--_font-mono);
    font-size: var(--_font-size-code);
  }

  .json summary {
    cursor: pointer;
  }

  .json-children {
    padding-inline-start: var(--_space-3);
    border-inline-start: 1px solid var(--_border);
    margin-inline-start: var(--_space-1);
  }

  .json-key {
    color: var(--_ansi-magenta);
  }

  .json-string {
    color: var(--_ansi-green);
  }

  .json-number {
    color: var(--_ansi-blue);
  }

  .json-boolean,
  .json-null {
    color: var(--_ansi-red);
  }

  .json-meta {
    color: var(--_muted);
  }
`;
let sheet: CSSStyleSheet | undefined;

/**
 * A JSON value (or JSON text) as a tree; `metadata.expanded` opens every node. `host` is the element whose shadow
 * root shows it: its styles are added there.
 */
export function jsonNode(value: JSONValue, metadata: JSONObject, host: Node): HTMLElement {
  const root = (host as Element).shadowRoot;
  if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(jsonStyles);
  if (root && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as JSONValue;
    } catch {
      // Not JSON text: show the string itself.
    }
  }
  const tree = element('div', 'json');
  tree.setAttribute('role', 'group');
  tree.setAttribute('aria-label', 'JSON output');
  tree.append(jsonEntry(null, parsed, true, metadata.expanded === true));
  return tree;
}
