/** Real notebooks from jupyter/nbformat and jupyter/notebook, kept in `test/fixtures/notebooks` (see its README). */
export function fixtureURL(name: string): string {
  return `/test/fixtures/notebooks/${name}`;
}

/** The text of a fixture, such as `nbformat/test4.ipynb`. */
export async function fixtureText(name: string): Promise<string> {
  const response = await fetch(fixtureURL(name));
  if (!response.ok) throw new Error(`Fixture ${name} answered ${response.status}: is it in test/fixtures/notebooks?`);
  return response.text();
}

/** jupyter/notebook's documentation notebooks among the fixtures: real notebooks people wrote, all valid nbformat 4. */
export const JUPYTER_DOCS_NOTEBOOKS = [
  'jupyter-notebook/Importing-Notebooks.ipynb',
  'jupyter-notebook/Notebook-Basics.ipynb',
  'jupyter-notebook/Running-Code.ipynb',
  'jupyter-notebook/Typesetting-Equations.ipynb',
  'jupyter-notebook/Working-With-Markdown-Cells.ipynb',
  'jupyter-notebook/autoscroll.ipynb',
  'jupyter-notebook/example.ipynb',
  'jupyter-notebook/simple_toc.ipynb',
];
