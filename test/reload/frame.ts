/**
 * A page reloaded for real: reload-page.html in an iframe, whose `location.reload()` unloads the document as a person's
 * reload does (its workers killed, its fetches and WebSockets cut, its Web Locks released). The settings stay in the
 * URL's hash across reloads; what the page set up is read from a promise it puts on its window.
 */
import { expect } from '@open-wc/testing';
import type { NotebookPage, ReloadPage } from './reload-page.ts';

export type { NotebookPage, ReloadPage };

/** What reload-page.ts exposes, by the name of its window property. */
export interface Pages {
  bentoPage: ReloadPage;
  bentoNotebookPage: NotebookPage;
}

function loaded(frame: HTMLIFrameElement): Promise<void> {
  return new Promise((resolve) => frame.addEventListener('load', () => resolve(), { once: true }));
}

/** The page in `frame`, once its script has set up what `name` promises. */
export async function pageIn<K extends keyof Pages>(frame: HTMLIFrameElement, name: K): Promise<Pages[K]> {
  const ready = (frame.contentWindow as unknown as Partial<Record<K, Promise<Pages[K]>>> | null)?.[name];
  if (!ready) throw new Error(`reload-page.html did not start in the frame (${frame.contentWindow?.location.href}): see the browser console.`);
  return await ready;
}

/** Opens reload-page.html in a new frame with these settings; resolves once it loaded. */
export async function openFrame(settings: URLSearchParams): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe');
  frame.src = `/test/reload/reload-page.html#${settings}`;
  const load = loaded(frame);
  document.body.append(frame);
  await load;
  // In the cross-origin isolated run the page is isolated too, as the demo is.
  expect(frame.contentWindow!.crossOriginIsolated, 'the page is cross-origin isolated as this run is').to.equal(window.crossOriginIsolated);
  return frame;
}

/** Reloads the frame's page for real; resolves once the new document loaded. */
export async function reloadFrame(frame: HTMLIFrameElement): Promise<void> {
  const load = loaded(frame);
  frame.contentWindow!.location.reload();
  await load;
}
