/**
 * The code editor of a cell: CodeMirror 6 with Python or Markdown, bracket matching, undo/redo, completion from
 * the kernel on Tab, and the notebook's run shortcuts. Loaded lazily: a notebook paints static code first and
 * creates an editor only for the cell a person starts editing.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, startCompletion, type CompletionSource } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentLess, indentMore } from '@codemirror/commands';
import { markdown } from '@codemirror/lang-markdown';
import { python } from '@codemirror/lang-python';
import { sql } from '@codemirror/lang-sql';
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { drawSelection, EditorView, keymap, placeholder } from '@codemirror/view';
import { classHighlighter } from '@lezer/highlight';

export type EditorLanguage = 'python' | 'markdown' | 'sql' | 'text';

export type EditorCommand = 'run' | 'run-next' | 'run-insert' | 'escape' | 'inspect' | 'save';

export interface EditorHost {
  /** The cell's text changed (every keystroke). */
  onChange(text: string): void;
  /** A notebook shortcut; return true when handled. */
  onCommand(command: EditorCommand): boolean;
  /** Completion from the kernel, in UTF-16 offsets of `code`; undefined when no kernel is there. */
  complete(code: string, offset: number): Promise<{ from: number; to: number; matches: string[] } | undefined>;
}

export interface CellEditor {
  readonly view: EditorView;
  setLanguage(language: EditorLanguage): void;
  setText(text: string): void;
  focus(): void;
  destroy(): void;
}

function languageExtension(language: EditorLanguage) {
  if (language === 'python') return python();
  if (language === 'markdown') return markdown();
  if (language === 'sql') return sql();
  return [];
}

/** Tab completes after a name or a dot (as in Jupyter); elsewhere it indents. */
function tabCompletesOrIndents(view: EditorView): boolean {
  const { state } = view;
  const range = state.selection.main;
  if (!range.empty) return indentMore(view);
  const before = state.sliceDoc(Math.max(0, range.head - 1), range.head);
  if (/[\w.]/.test(before)) return startCompletion(view);
  return indentMore(view);
}

export function createEditor(parent: HTMLElement, root: ShadowRoot | Document, text: string, language: EditorLanguage, host: EditorHost): CellEditor {
  const languageSlot = new Compartment();
  const command = (name: EditorCommand) => () => host.onCommand(name);
  const completionSource: CompletionSource = async (context) => {
    const code = context.state.doc.toString();
    const reply = await host.complete(code, context.pos);
    if (!reply || context.aborted || reply.matches.length === 0) return null;
    return { from: reply.from, to: reply.to, options: reply.matches.map((label) => ({ label })), validFor: /^\w*$/ };
  };
  const view = new EditorView({
    root,
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        Prec.highest(
          keymap.of([
            { key: 'Shift-Enter', run: command('run-next') },
            { key: 'Mod-Enter', run: command('run') },
            { key: 'Alt-Enter', run: command('run-insert') },
            { key: 'Escape', run: command('escape') },
            { key: 'Shift-Tab', run: command('inspect') },
            { key: 'Mod-s', run: command('save'), preventDefault: true },
          ]),
        ),
        history(),
        drawSelection(),
        indentOnInput(),
        indentUnit.of('    '),
        bracketMatching(),
        closeBrackets(),
        autocompletion({ override: [completionSource], activateOnTyping: false, icons: false }),
        syntaxHighlighting(classHighlighter),
        keymap.of([
          { key: 'Tab', run: tabCompletesOrIndents, shift: indentLess },
          ...closeBracketsKeymap,
          ...completionKeymap,
          ...historyKeymap,
          ...defaultKeymap,
        ]),
        languageSlot.of(languageExtension(language)),
        placeholder(language === 'markdown' ? 'Markdown text' : language === 'sql' ? 'SQL query' : 'Code'),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': language === 'markdown' ? 'Markdown source' : language === 'sql' ? 'SQL query' : 'Code' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) host.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    view,
    setLanguage(next) {
      view.dispatch({ effects: languageSlot.reconfigure(languageExtension(next)) });
    },
    setText(next) {
      if (next !== view.state.doc.toString()) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } });
    },
    focus() {
      view.focus();
    },
    destroy() {
      view.destroy();
    },
  };
}
