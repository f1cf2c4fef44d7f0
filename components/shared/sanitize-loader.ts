/**
 * The sanitizer (DOMPurify) and the Markdown parser (marked) weigh ~28 KB gzip, more than every element of the
 * main bundle together, and a page of code cells never needs them. They are a chunk of their own, loaded the
 * first time something renders Markdown, HTML or SVG. Until it has arrived that content is shown as plain text,
 * never as unsanitized markup.
 */
export type Sanitizer = typeof import('./sanitize.ts');

let loaded: Sanitizer | undefined;
let loading: Promise<Sanitizer> | undefined;

/** Loads the sanitizer (once; a failed load is tried again on the next call). */
export function loadSanitizer(): Promise<Sanitizer> {
  loading ??= import('./sanitize.ts').then(
    (module) => (loaded = module),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** The sanitizer when it has loaded; otherwise undefined (call loadSanitizer() to have it). */
export function loadedSanitizer(): Sanitizer | undefined {
  return loaded;
}
