import DOMPurify from 'dompurify';
import { marked } from 'marked';

/**
 * Markdown to sanitized HTML: untrusted notebooks never run script. `attachment:name` image URLs are resolved
 * from the cell's attachments (nbformat stores pasted images there as base64 bundles).
 */
export function renderMarkdown(source: string, attachments?: Record<string, Record<string, unknown>>): string {
  const html = marked.parse(source, { async: false, gfm: true, breaks: false });
  const clean = DOMPurify.sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'iframe', 'object', 'embed'],
    ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto|data:image\/(?:png|jpe?g|gif|webp);base64,|attachment):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
  });
  if (!attachments || !clean.includes('attachment:')) return clean;
  return clean.replace(/(src=")attachment:([^"]+)"/g, (whole, prefix: string, name: string) => {
    const bundle = attachments[decodeURIComponent(name)];
    const mime = bundle && Object.keys(bundle).find((m) => m.startsWith('image/'));
    if (!mime) return whole;
    const data = bundle[mime];
    const encoded = mime === 'image/svg+xml' ? `data:${mime};charset=utf-8,${encodeURIComponent(String(data))}` : `data:${mime};base64,${String(data)}`;
    return `${prefix}${encoded}"`;
  });
}
