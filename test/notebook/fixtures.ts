/**
 * Shared fixtures live beside the repository (`../shared/fixtures`, also in CI). The dev server serves a path
 * outside its rootDir through `/__wds-outside-root__/<levels up>/`, so one level up reaches `shared/`.
 */
export function fixtureURL(name: string): string {
  return `/__wds-outside-root__/1/shared/fixtures/${name}`;
}

/** The text of a fixture, such as `nbformat/test4.ipynb`. */
export async function fixtureText(name: string): Promise<string> {
  const response = await fetch(fixtureURL(name));
  if (!response.ok) throw new Error(`Fixture ${name} answered ${response.status}: is ../shared/fixtures there?`);
  return response.text();
}
