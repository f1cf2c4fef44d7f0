import DOMPurify, { type Config, type DOMPurify as Purifier } from 'dompurify';

export { jsonNode } from '../bento-output-area/json-tree.ts';

/**
 * One sanitizer for everything a notebook shows that it did not write itself: HTML, SVG and Markdown outputs,
 * and Markdown cells. Nothing it returns can run script; in an untrusted notebook nothing it returns fetches
 * anything either (see `blocksRemoteContent`).
 */
/**
 * What sanitized content may not contain, beyond DOMPurify's defaults (which already drop <script>, event
 * handler attributes and javascript:/vbscript: URLs): anything that embeds another document, submits data,
 * or changes how the page resolves URLs. <style> is kept on purpose: every sanitized output gets a shadow root
 * of its own, where its CSS (as an adopted style sheet) reaches only that output; the paint containment around the
 * root stops it from laying content over the page; in an untrusted notebook its url()s are removed as an <img src> is.
 */
const FORBIDDEN_TAGS = ['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'fencedframe', 'form', 'base', 'link', 'meta', 'noscript'];
const FORBIDDEN_ATTRIBUTES = ['action', 'formaction', 'formmethod', 'formtarget', 'autoplay', 'ping'];

/** Attributes whose value is a URL the browser fetches on its own (`href` too, but not on a link). */
const FETCHED_ATTRIBUTES = new Set(['src', 'srcset', 'poster', 'background', 'href', 'xlink:href', 'data', 'lowsrc', 'imagesrcset']);
/** Attributes that are text for people, never CSS: left alone by the url() check. */
const TEXT_ATTRIBUTES = /^(?:alt|title|aria-.*|data-.*)$/;

/**
 * Whether content under `context` must not fetch anything: it belongs to a notebook whose content came from
 * outside the page (`src`, a file, `load()`, a draft) and the host did not set `allow-remote-content` on it.
 * The notebook is found across shadow roots (an output area lives in a cell's shadow root).
 */
export function blocksRemoteContent(context: Node | undefined): boolean {
  for (let node = context; node; node = node.parentNode ?? (node as ShadowRoot).host) {
    if ((node as Element).localName === 'bento-notebook') {
      return (node as Element & { untrusted?: boolean }).untrusted === true && !(node as Element).hasAttribute('allow-remote-content');
    }
  }
  return false;
}

/** Whether `url` is fetched over the network: anything but data:, blob:, a fragment (`#id`), or nothing at all. */
function fetched(url: string): boolean {
  const trimmed = url.trim();
  return trimmed !== '' && !trimmed.startsWith('#') && !/^(?:data|blob):/i.test(trimmed);
}

/**
 * Whether CSS text may fetch something: a url(), src() or image-set() string naming a fetched URL, an @import, or
 * an escape (which can spell any of these, and is normalized away when the browser serializes a declaration).
 */
export function cssFetches(css: string): boolean {
  if (/\\|@import/i.test(css)) return true;
  for (const match of css.matchAll(/(?:url|src)\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))/gi)) {
    if (fetched(match[1] ?? match[2] ?? match[3])) return true;
  }
  for (const match of css.matchAll(/image(?:-set)?\(([^)]*)/gi)) {
    for (const string of match[1].matchAll(/"([^"]*)"|'([^']*)'/g)) if (fetched(string[1] ?? string[2])) return true;
  }
  return false;
}

/** The declarations of `style` (a CSSStyleDeclaration) that would fetch, removed. */
function dropFetchingDeclarations(style: CSSStyleDeclaration): void {
  for (const name of [...style]) if (cssFetches(style.getPropertyValue(name))) style.removeProperty(name);
}

/**
 * A style sheet's text without what would fetch: @import rules (which a constructed sheet ignores) and every
 * declaration with a url() that is fetched; null when that cannot be done (the sheet then goes).
 */
function cssWithoutFetches(text: string): string | null {
  if (!cssFetches(text)) return text;
  const sheet = new CSSStyleSheet();
  try {
    sheet.replaceSync(text);
  } catch {
    return null;
  }
  const visit = (rules: CSSRuleList) => {
    for (const rule of rules) {
      const style = (rule as CSSStyleRule).style as CSSStyleDeclaration | undefined;
      if (style) dropFetchingDeclarations(style);
      const nested = (rule as CSSGroupingRule).cssRules as CSSRuleList | undefined;
      if (nested) visit(nested);
    }
  };
  visit(sheet.cssRules);
  const cleaned = [...sheet.cssRules].map((rule) => rule.cssText).join('\n');
  return cssFetches(cleaned) ? null : cleaned;
}

/** The host name a blocked URL points to, for the placeholder ("example.com"; the page's own for a relative one). */
function hostOf(url: string): string {
  try {
    return new URL(url.trim().split(/\s/)[0], document.baseURI).host || url;
  } catch {
    return url;
  }
}

/** The visible, accessible stand-in of a blocked image: its alt text and where it would have come from. */
function placeholder(node: Element, url: string): Element {
  const alt = node.getAttribute('alt')?.trim();
  const text = `${alt ? `Image "${alt}"` : 'An image'} from ${hostOf(url)} was not loaded: this notebook may not fetch remote content.`;
  const doc = node.ownerDocument;
  if (node.namespaceURI === 'http://www.w3.org/2000/svg') {
    // Keeps the image's box, outlined, with the message as its accessible name and tooltip.
    const box = doc.createElementNS(node.namespaceURI, 'rect');
    for (const name of ['x', 'y', 'width', 'height']) {
      const value = node.getAttribute(name);
      if (value !== null) box.setAttribute(name, value);
    }
    box.setAttribute('fill', 'none');
    box.setAttribute('stroke', 'currentColor');
    box.setAttribute('stroke-dasharray', '4');
    box.setAttribute('aria-label', text);
    const title = doc.createElementNS(node.namespaceURI, 'title');
    title.textContent = text;
    box.append(title);
    return box;
  }
  const span = doc.createElement('span');
  span.setAttribute('role', 'img');
  span.setAttribute('aria-label', text);
  span.className = 'blocked-content';
  span.textContent = `[${text}]`;
  return span;
}

/** Set for the length of one sanitize() call: whether that content may fetch. */
let blocking = false;

/** Sanitized content, and the style sheets of its <style> elements: adopt them where the content is shown. */
export type SanitizedContent = DocumentFragment & { sheets: CSSStyleSheet[] };

/** A DOMPurify instance of our own, so its hooks do not change sanitization elsewhere in the page. */
let purifier: Purifier | undefined;
function sanitizer(): Purifier {
  if (purifier) return purifier;
  purifier = DOMPurify(window);
  purifier.addHook('afterSanitizeAttributes', (node) => {
    const link = node.localName === 'a' || node.localName === 'area';
    // Links open in a new tab: following one in place would unload the notebook and lose unsaved work.
    if (link) {
      const href = node.getAttribute('href') ?? node.getAttribute('xlink:href');
      if (href !== null && !href.startsWith('#')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    }
    if (!blocking) return;
    let blockedURL: string | undefined;
    for (const { name, value } of [...node.attributes]) {
      if (name === 'style') {
        const style = (node as HTMLElement).style as CSSStyleDeclaration | undefined;
        if (style && cssFetches(value)) {
          dropFetchingDeclarations(style);
          if (cssFetches(node.getAttribute('style') ?? '')) node.removeAttribute('style');
        }
      } else if (FETCHED_ATTRIBUTES.has(name) && !(link && name.endsWith('href'))) {
        const urls = name.endsWith('srcset') ? value.split(',').map((candidate) => candidate.trim().split(/\s/)[0]) : [value];
        const remote = urls.find(fetched);
        if (remote !== undefined) {
          node.removeAttribute(name);
          blockedURL ??= remote;
        }
      } else if (!TEXT_ATTRIBUTES.test(name) && cssFetches(value)) {
        // A presentation attribute (fill="url(...)", cursor, ...) is CSS too.
        node.removeAttribute(name);
      }
    }
    if (blockedURL !== undefined && (node.localName === 'img' || node.localName === 'image' || node.localName === 'input')) {
      node.replaceWith(placeholder(node, blockedURL));
    }
  });
  // <style> elements were taken out before parsing (takeStyles); one the second parse would make anyway goes.
  purifier.addHook('uponSanitizeElement', (node, data) => {
    if (data.tagName === 'style') node.parentNode?.removeChild(node);
  });
  return purifier;
}

/**
 * `markup` without its <style> elements, whose CSS becomes constructed style sheets in `sheets` (unless `sheets` is
 * undefined: the styles are dropped). A page whose Content-Security-Policy allows no inline style applies those but
 * refuses a <style> element, already while DOMPurify parses one in its inert document; a template's content is
 * parsed where no policy looks. DOMPurify still sanitizes what this returns.
 */
/**
 * Sheets by their CSS: every pandas DataFrame carries the same <style>, and one sheet shared by a thousand outputs is
 * one set of rules for the browser to build instead of a thousand (no one writes to these sheets).
 */
const sharedSheets = new Map<string, CSSStyleSheet>();

function takeStyles(markup: string, sheets: CSSStyleSheet[] | undefined): string {
  if (!/<style/i.test(markup)) return markup;
  const template = document.createElement('template');
  template.innerHTML = markup;
  for (const style of template.content.querySelectorAll('style')) {
    const css = blocking ? cssWithoutFetches(style.textContent ?? '') : style.textContent;
    style.remove();
    if (!css || !sheets) continue;
    let sheet = sharedSheets.get(css);
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      if (sharedSheets.size < 200) sharedSheets.set(css, sheet);
    }
    sheets.push(sheet);
  }
  return template.innerHTML;
}

/**
 * Sanitized content as a fragment, its <style> elements as `sheets`; `forbid` adds tags to drop (Markdown cells
 * drop <style>: no shadow root of their own). `context` is where the content will show: in an untrusted notebook (blocksRemoteContent) nothing
 * in it fetches, and a blocked image shows as a placeholder that names it and where it came from.
 */
export function sanitize(markup: string, profile: 'html' | 'svg', forbid: string[] = [], context?: Node): SanitizedContent {
  const config: Config & { RETURN_DOM_FRAGMENT: true } = {
    RETURN_DOM_FRAGMENT: true,
    // Keeps a leading <style> (pandas' Styler starts with one) instead of letting the parser move it out.
    FORCE_BODY: true,
    FORBID_TAGS: [...FORBIDDEN_TAGS, ...forbid],
    FORBID_ATTR: FORBIDDEN_ATTRIBUTES,
    ...(profile === 'svg' ? { USE_PROFILES: { svg: true, svgFilters: true } } : {}),
  };
  // The hooks work on DOMPurify's inert copy of the markup: nothing there is fetched, whereas the fragment it
  // returns already belongs to the page, where an <img> starts loading before it is even attached.
  blocking = blocksRemoteContent(context);
  const sheets: CSSStyleSheet[] = [];
  try {
    return Object.assign(sanitizer().sanitize(takeStyles(markup, forbid.includes('style') ? undefined : sheets), config), { sheets });
  } finally {
    blocking = false;
  }
}

/** Markdown to (unsanitized) HTML once loadMarkdown() has loaded the parser; always pass the result through sanitize(). */
export let markdownToHtml: ((source: string) => string) | undefined;
let markdownLoading: Promise<unknown> | undefined;

/** Loads the full Markdown parser (a chunk of its own: HTML outputs do not wait for it); a failed load is tried again. */
export function loadMarkdown(): Promise<unknown> {
  return (markdownLoading ??= import('./markdown-html.ts').then(
    (parser) => (markdownToHtml = parser.markdownToHtml),
    (error: unknown) => {
      markdownLoading = undefined;
      throw error;
    },
  ));
}
