// Python sources are shipped to the worker as text (esbuild's text loader; the test server does the same).
declare module '*.py' {
  const source: string;
  export default source;
}
