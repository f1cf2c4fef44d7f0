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

const pendingFor = new WeakMap<object, Promise<void>>();

/**
 * Loads the sanitizer for an element that is showing content as plain text until it arrives: once per element
 * while a load is pending, the element renders again when it has arrived, and `onFailure` is told why it did not.
 */
export function loadSanitizerFor(host: { requestUpdate(): void }, onFailure: (reason: string) => void): void {
  if (pendingFor.has(host)) return;
  const settled = loadSanitizer().then(
    () => {
      pendingFor.delete(host);
      host.requestUpdate();
    },
    (error: unknown) => {
      pendingFor.delete(host);
      onFailure(error instanceof Error ? error.message : String(error));
    },
  );
  pendingFor.set(host, settled);
}

/** The load loadSanitizerFor() started for `host`, while it is pending (it never rejects): for updateComplete. */
export function sanitizerPendingFor(host: object): Promise<void> | undefined {
  return pendingFor.get(host);
}
