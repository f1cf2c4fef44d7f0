/**
 * Elements whose code is a chunk of its own, loaded the first time a page shows one (`<sql-cell>`, the table
 * view): the main bundle only knows their tag names. An element already in the document, or added to it later,
 * loads its chunk; the chunk's `customElements.define` then upgrades every such element in the document
 * (shadow roots included). Elements created inside other shadow roots are not seen: code that creates them
 * there calls `loadElement(tag)` first (`<bento-cell>` does for the element of a magic).
 */

const loaders = new Map<string, () => Promise<unknown>>();
const loading = new Map<string, Promise<CustomElementConstructor>>();
let observer: MutationObserver | undefined;

function pendingTags(): string[] {
  return [...loaders.keys()].filter((tag) => !loading.has(tag) && !customElements.get(tag));
}

/** Loads the chunk of every pending tag that `root` is or contains. */
function loadTagsIn(root: ParentNode & Node, tags = pendingTags()): void {
  for (const tag of tags) {
    const here = root instanceof Element && root.localName === tag;
    if (here || root.querySelector(tag)) void loadElement(tag).catch(() => {});
  }
}

function watchDocument(): void {
  if (observer || typeof MutationObserver === 'undefined') return;
  observer = new MutationObserver((records) => {
    const tags = pendingTags();
    if (tags.length === 0) {
      observer?.disconnect();
      observer = undefined;
      return;
    }
    for (const record of records) {
      for (const node of record.addedNodes) if (node instanceof Element) loadTagsIn(node, tags);
    }
  });
  observer.observe(document, { childList: true, subtree: true });
}

/**
 * Registers how `tagName` gets defined: `load` imports the module that defines it. Called when such an element
 * is in the document (now or later), or by `loadElement`.
 */
export function defineLazily(tagName: string, load: () => Promise<unknown>): void {
  if (typeof customElements === 'undefined' || customElements.get(tagName) || loaders.has(tagName)) return;
  loaders.set(tagName, load);
  loadTagsIn(document, [tagName]);
  watchDocument();
}

/** Whether `tagName` is defined lazily and has not been defined yet. */
export function isLazy(tagName: string): boolean {
  return loaders.has(tagName) && !customElements.get(tagName);
}

/**
 * Defines `tagName` now if it is lazy (loads its chunk) and resolves with its class; rejects when the chunk
 * cannot be loaded (a later call tries again). For a tag that is not lazy: waits for its definition.
 */
export function loadElement(tagName: string): Promise<CustomElementConstructor> {
  const defined = customElements.get(tagName);
  if (defined) return Promise.resolve(defined);
  const load = loaders.get(tagName);
  if (!load) return customElements.whenDefined(tagName);
  let pending = loading.get(tagName);
  if (!pending) {
    pending = load().then(
      () => customElements.whenDefined(tagName),
      (error: unknown) => {
        loading.delete(tagName);
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`Could not load the code of <${tagName}> (${reason}); check the network and try again.`);
      },
    );
    loading.set(tagName, pending);
  }
  return pending;
}
