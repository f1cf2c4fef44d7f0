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
