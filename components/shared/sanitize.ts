import DOMPurify, { type Config, type DOMPurify as Purifier } from 'dompurify';
import { Marked } from 'marked';

/**
 * One sanitizer for everything a notebook shows that it did not write itself: HTML, SVG and Markdown outputs,
 * and Markdown cells. Nothing it returns can run script.
 */
const markdown = new Marked({ gfm: true, async: false });

/**
 * What sanitized content may not contain, beyond DOMPurify's defaults (which already drop <script>, event
 * handler attributes and javascript:/vbscript: URLs): anything that embeds another document, submits data,
 * or changes how the page resolves URLs. <style> is kept on purpose: every sanitized output gets a shadow root
 * of its own, so its CSS reaches only that output; a url() in it can fetch, as an <img src> can, but cannot
 * read anything; and the paint containment around the root stops it from laying content over the page.
 */
const FORBIDDEN_TAGS = ['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'fencedframe', 'form', 'base', 'link', 'meta', 'noscript'];
const FORBIDDEN_ATTRIBUTES = ['action', 'formaction', 'formmethod', 'formtarget', 'autoplay', 'ping'];

/** A DOMPurify instance of our own, so its hooks do not change sanitization elsewhere in the page. */
let purifier: Purifier | undefined;
function sanitizer(): Purifier {
  if (purifier) return purifier;
  purifier = DOMPurify(window);
  // Links open in a new tab: following one in place would unload the notebook and lose unsaved work.
  purifier.addHook('afterSanitizeAttributes', (node) => {
    if (node.localName !== 'a' && node.localName !== 'area') return;
    const href = node.getAttribute('href') ?? node.getAttribute('xlink:href');
    if (href !== null && !href.startsWith('#')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
  return purifier;
}

/** Sanitized content as a fragment; `forbid` adds tags to drop (Markdown cells drop <style>: no shadow root of their own). */
export function sanitize(markup: string, profile: 'html' | 'svg', forbid: string[] = []): DocumentFragment {
  const config: Config & { RETURN_DOM_FRAGMENT: true } = {
    RETURN_DOM_FRAGMENT: true,
    // Keeps a leading <style> (pandas' Styler starts with one) instead of letting the parser move it out.
    FORCE_BODY: true,
    FORBID_TAGS: [...FORBIDDEN_TAGS, ...forbid],
    FORBID_ATTR: FORBIDDEN_ATTRIBUTES,
    ...(profile === 'svg' ? { USE_PROFILES: { svg: true, svgFilters: true } } : {}),
  };
  return sanitizer().sanitize(markup, config);
}


/** Markdown to (unsanitized) HTML; always pass the result through sanitize(). */
export function markdownToHtml(source: string): string {
  return markdown.parse(source) as string;
}
