/**
 * The sanitizer (DOMPurify) and the Markdown parser (marked) weigh ~28 KB gzip, more than every element of the
 * main bundle together, and a page of code cells never needs them. The sanitizer is a chunk of its own, loaded the
 * first time something renders HTML, SVG, JSON or Markdown beyond what shared/markdown.ts renders; the parser is
 * another, which the sanitizer's chunk loads for that Markdown only (a first screen of tables then does not evaluate
 * marked). Until they have arrived that content is shown as plain text, never as unsanitized markup.
 */
export type HtmlSanitizer = typeof import('./sanitize.ts');
/** The sanitizer once it has loaded the Markdown parser too. */
export type Sanitizer = HtmlSanitizer & { markdownToHtml: NonNullable<HtmlSanitizer['markdownToHtml']> };

let loaded: HtmlSanitizer | undefined;
let loading: Promise<HtmlSanitizer> | undefined;

/** The sanitizer when it has loaded (its `markdownToHtml` once the Markdown parser has too); otherwise undefined. */
export function loadedSanitizer(): HtmlSanitizer | undefined {
  return loaded;
}

const pendingFor = new WeakMap<object, Promise<unknown>>();

/**
 * Loads the sanitizer (and the Markdown parser when `markdown`) for an element that is showing content as plain text
 * until it arrives: once per element while a load is pending, the element renders again when it has arrived, and
 * `onFailure` is told why it did not.
 */
export function loadSanitizerFor(host: { requestUpdate(): void }, onFailure: (reason: string) => void, markdown = false): void {
  if (pendingFor.has(host)) return;
  // Once; a failed load is tried again on the next call.
  loading ??= import('./sanitize.ts').then(
    (module) => (loaded = module),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  // Not pending once it renders again: what that render asks for next (the Markdown parser) starts a load of its own.
  const settled = loading
    .then((sanitizer) => markdown && sanitizer.loadMarkdown())
    .then(
      () => pendingFor.delete(host) && host.requestUpdate(),
      (error: unknown) => pendingFor.delete(host) && onFailure(error instanceof Error ? error.message : String(error)),
    );
  pendingFor.set(host, settled);
}

/** The load loadSanitizerFor() started for `host`, while it is pending (it never rejects): for updateComplete. */
export function sanitizerPendingFor(host: object): Promise<unknown> | undefined {
  return pendingFor.get(host);
}
