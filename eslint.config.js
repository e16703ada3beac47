// Lint for the site and the browser tests: catches undefined names and unused code before a
// page breaks at run time (`make lint`, part of `make test`).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['pkg/**', 'dist/**', 'node_modules/**', 'target/**', 'www/vendor/**', 'widget/genlab_widget/static/**', 'widget/build/**', 'widget/*.egg-info/**'] },
  js.configs.recommended,
  // `const { n, ...rest } = config` leaves `n` out on purpose
  { rules: { 'no-unused-vars': ['error', { ignoreRestSiblings: true }] } },
  {
    files: ['www/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser, tf: 'readonly' } },
  },
  {
    files: ['widget/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  {
    files: ['www/js/worker.js', 'www/js/bench-tfjs-worker.js'],
    languageOptions: { globals: globals.worker },
  },
  {
    files: ['tests/**/*.mjs', 'bench/**/*.mjs', 'tools/**/*.mjs', 'eslint.config.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node, ...globals.browser } },
  },
];
