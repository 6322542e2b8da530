// ESLint 9 flat config: `npm run lint` (and so `npm test`) runs it over src, test, bench and scripts.
// typescript-eslint's recommended rules everywhere, a few type-aware ones on TypeScript (those that
// catch real bugs at little cost), and a line length of 120 (README "Development").
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import stylistic from '@stylistic/eslint-plugin'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default defineConfig(
  {
    ignores: ['dist/', 'coverage/', '.tmp/', 'bench/node_modules/', 'bench/results/', '**/node_modules/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@stylistic': stylistic },
    rules: {
      // A leading underscore marks a name unused on purpose: an interface method's parameter that
      // this implementation does not need, a property split off with a rest pattern.
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_',
        varsIgnorePattern: '^_',
        caughtErrorsIgnorePattern: '^_',
        destructuredArrayIgnorePattern: '^_',
      }],
    },
  },
  {
    // Type-aware rules cost one TypeScript program (tsconfig.json's): only those that catch real
    // bugs, a promise nobody awaits or handles and a promise where a value or callback belongs.
    files: ['src/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    rules: {
      // Strings, template literals, URLs and regular expressions may run long: breaking them hides
      // what a log line, an error message or a pattern says (and makes it hard to grep for).
      '@stylistic/max-len': ['error', {
        code: 120,
        tabWidth: 2,
        ignoreUrls: true,
        ignoreStrings: true,
        ignoreTemplateLiterals: true,
        ignoreRegExpLiterals: true,
      }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests take untyped documents apart on purpose (state files, Kubernetes manifests): their
      // assertions are the type check. src stays free of `any`.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The admin dashboard's script runs in the browser, served as a file.
    files: ['src/admin/ui/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
)
