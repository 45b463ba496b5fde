import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

const root = import.meta.dirname;

/**
 * `src/lib/domain` holds the pure rules that server and UI share (style point 1): no Yjs, no Svelte, no
 * SvelteKit, no Node APIs, nothing from outside the folder. Relative imports that climb out of the folder
 * are caught per depth, since a pattern cannot know where the importing file sits.
 */
const domainOnly = ({ depth, isTest }) => [
  'error',
  {
    patterns: [
      {
        regex: '^(yjs|y-[^/]*|@y/.*|lib0)(/.*)?$',
        message: 'src/lib/domain is pure TypeScript: Yjs belongs in src/lib/sync'
      },
      {
        regex: '^(svelte|@sveltejs/.*)(/.*)?$|^\\$app/',
        message: 'src/lib/domain must not depend on Svelte or SvelteKit'
      },
      { regex: '^node:', message: 'src/lib/domain does no I/O: keep Node APIs in server/' },
      {
        regex: '^\\$lib/(?!domain/)',
        message: 'src/lib/domain may only import from src/lib/domain'
      },
      {
        regex: `^(\\.\\./){${depth + 1},}`,
        message: 'src/lib/domain may only import from src/lib/domain'
      },
      {
        // Any other bare specifier is a package: the domain has none; its unit tests may use vitest.
        regex: `^(?![./$]|node:|yjs|y-|@y/|lib0|svelte|@sveltejs/${isTest ? '|vitest$' : ''})`,
        message: 'src/lib/domain imports no packages'
      }
    ]
  }
];

/**
 * Only `src/lib/sync` and `server/sync` touch Y types (style point 2): UI layers, REST routes and auth
 * call their named commands. A type-only import is allowed where a signature needs `Y.Doc`.
 */
const noYjs = [
  'error',
  {
    patterns: [
      {
        regex: '^(yjs|y-[^/]*|@y/.*|lib0)(/.*)?$',
        allowTypeImports: true,
        message:
          'Y changes belong in src/lib/sync (client) or server/sync (server): call a named command there'
      }
    ]
  }
];

export default defineConfig(
  globalIgnores([
    'build/',
    '.svelte-kit/',
    'node_modules/',
    'test-results/',
    'playwright-report/',
    'data/',
    'bench/results.json'
  ]),
  js.configs.recommended,
  ts.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser, ...globals.node }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }
      ]
    }
  },
  {
    // TypeScript already reports undefined names, with knowledge of ambient types.
    files: ['**/*.ts', '**/*.svelte'],
    rules: { 'no-undef': 'off' }
  },
  {
    // Type-aware rules where the type information is cheap: plain .ts files, each with its own tsconfig.
    files: ['server/**/*.ts', 'tests/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'playwright.config.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.server.json'], tsconfigRootDir: root }
    }
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: root }
    }
  },
  {
    files: [
      'server/**/*.ts',
      'tests/**/*.ts',
      'bench/**/*.ts',
      'scripts/**/*.ts',
      'playwright.config.ts',
      'src/**/*.ts'
    ],
    ignores: ['src/**/*.svelte.ts'],
    rules: {
      // Un-awaited promises hide failures (automerge-repo's rule, style point 10).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }]
    }
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: {
      parserOptions: {
        parser: ts.parser,
        extraFileExtensions: ['.svelte'],
        svelteConfig
      }
    }
  },
  {
    files: ['src/lib/domain/*.ts'],
    rules: { 'no-restricted-imports': domainOnly({ depth: 0, isTest: false }) }
  },
  {
    files: ['src/lib/domain/*/**/*.ts'],
    rules: { 'no-restricted-imports': domainOnly({ depth: 1, isTest: false }) }
  },
  {
    files: ['src/lib/domain/*.test.ts'],
    rules: { 'no-restricted-imports': domainOnly({ depth: 0, isTest: true }) }
  },
  {
    files: ['src/lib/domain/*/**/*.test.ts'],
    rules: { 'no-restricted-imports': domainOnly({ depth: 1, isTest: true }) }
  },
  {
    files: [
      'src/routes/**/*.{ts,svelte}',
      'src/lib/components/**/*.{ts,svelte}',
      'src/lib/state/**/*.{ts,svelte}',
      'server/http/**/*.ts',
      'server/auth/**/*.ts'
    ],
    // Tests build replicas by hand to feed the layer under test.
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': noYjs }
  }
);
