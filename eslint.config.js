// `npm run lint` (run by `npm test` before the browser suites): the recommended rule sets of ESLint,
// typescript-eslint, eslint-plugin-lit and eslint-plugin-wc, with only the noisy rules turned off below, each
// with its reason. Types are checked by `tsc --noEmit` (`npm run typecheck`), not here.
import js from '@eslint/js';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/fixtures/', 'test/data/fixtures/', 'bench/results.json', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  lit.configs['flat/recommended'],
  wc.configs['flat/recommended'],
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.browser, ...globals.worker } },
    // So the web-component rules know our elements (they extend LitElement, not HTMLElement directly).
    settings: { wc: { elementBaseClasses: ['LitElement'] } },
    rules: {
      // Kernel messages and Python values are untyped JSON at the edges; `any` there is honest, and tsc's
      // strict mode already refuses implicit ones.
      '@typescript-eslint/no-explicit-any': 'off',
      // Unused names are tsc's job (noUnusedLocals, noUnusedParameters); two reports of one thing are noise.
      '@typescript-eslint/no-unused-vars': 'off',
      // ANSI escapes and nbformat's forbidden control characters are what those expressions are for.
      'no-control-regex': 'off',
      // A timer declared before the closure that clears it, assigned after the request it guards exists.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['scripts/**', 'bench/**/*.mjs', '*.config.{js,mjs}', 'eslint.config.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['test/**'],
    languageOptions: { globals: { ...globals.mocha } },
    // Chai's property assertions (`expect(x).to.be.true`) are expressions by design.
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
