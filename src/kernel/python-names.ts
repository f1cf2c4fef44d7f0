/** What Python accepts as a variable name; the kernels check again (`str.isidentifier`). */

// Python's hard keywords (keyword.kwlist); soft keywords (match, case, type, _) are valid names.
const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
const IDENTIFIER = /^[\p{XID_Start}_][\p{XID_Continue}]*$/u;

/** Why `name` cannot be a Python variable: not an identifier, or a keyword; null when it can. */
export function pythonNameProblem(name: string): 'not-identifier' | 'keyword' | null {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) return 'not-identifier';
  return PYTHON_KEYWORDS.has(name) ? 'keyword' : null;
}
