/**
 * Static syntax highlighting for code that is read, not edited: a lezer parse painted as spans, without
 * creating an editor. Loaded lazily (a separate chunk); cells show plain text for the few milliseconds before.
 */
import { classHighlighter, highlightCode } from '@lezer/highlight';
import { parser } from '@lezer/python';

/** Python source as a fragment of text nodes and `tok-*` spans (the same classes the editor uses). */
export function highlightPython(code: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  highlightCode(
    code,
    parser.parse(code),
    classHighlighter,
    (text, classes) => {
      if (!classes) {
        fragment.append(text);
        return;
      }
      const span = document.createElement('span');
      span.className = classes;
      span.textContent = text;
      fragment.append(span);
    },
    () => fragment.append('\n'),
  );
  return fragment;
}
