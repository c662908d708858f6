// Lint rules, including the import boundaries of CONVENTIONS.md: workflow code stays deterministic and
// sandbox-safe, the API never reaches into activities, nothing imports apps/*, the domain stays pure.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const restrict = (patterns, paths = []) => ({
  'no-restricted-imports': [
    'error',
    { paths: paths.map((name) => ({ name, message: 'not allowed here (CONVENTIONS.md)' })), patterns },
  ],
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.data/',
      'coverage/',
      'scenarios/',
      '**/*.js',
      '!eslint.config.mjs',
      'apps/console/src/api/schema.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'readonly',
        structuredClone: 'readonly',
        Headers: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Not consistent-type-imports: Nest's dependency injection needs value imports of constructor parameter types.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/*', '**/apps/**'], message: 'nothing imports apps/* (CONVENTIONS.md)' },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no process-level libraries.
    files: ['workflows/**/*.ts'],
    rules: restrict(
      [
        {
          group: [
            '**/activities/**',
            '**/apps/**',
            '@peakstock/persistence',
            '@peakstock/config',
            '@peakstock/notify',
            '@peakstock/temporal',
          ],
          message:
            'workflows import only @peakstock/contracts, @peakstock/domain and Temporal workflow/common packages',
        },
        {
          group: [
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
            '@nestjs/*',
            'typeorm',
            'pg',
            'nodemailer',
          ],
          message: 'not in workflow code: it must stay deterministic',
        },
      ],
      nodeBuiltins,
    ),
  },
  {
    // Pure domain code: no framework, no database, no Temporal, no reading the clock (pass "now" in).
    files: ['libs/domain/**/*.ts'],
    rules: {
      ...restrict(
        [
          {
            group: ['@nestjs/*', 'typeorm', 'pg', '@temporalio/*', '@peakstock/*', '**/apps/**'],
            message: 'libs/domain is pure TypeScript',
          },
        ],
        nodeBuiltins,
      ),
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'pass the business "now" in' },
      ],
    },
  },
  {
    files: ['libs/contracts/**/*.ts'],
    rules: restrict(
      [
        {
          group: [
            '@nestjs/*',
            'typeorm',
            'pg',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
            '@peakstock/persistence',
            '@peakstock/config',
            '**/apps/**',
          ],
          message: 'contracts hold shared names and JSON-plain types only',
        },
      ],
      nodeBuiltins,
    ),
  },
  {
    // The API starts and queries workflows; it imports workflow code only as types and never activities.
    files: ['apps/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.\\./)+activities(/|$)', message: 'the API never imports activities' },
            {
              regex: '^(\\.\\./)+workflows(/|$)',
              allowTypeImports: true,
              message: 'the API imports workflow types only (import type)',
            },
            { group: ['**/apps/worker/**', '**/apps/launcher/**'], message: 'nothing imports another app' },
          ],
        },
      ],
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-imports': 'off',
    },
  },
  {
    // The worker registers the activities; the launcher is the supervisor of the others.
    files: ['apps/worker/**/*.ts', 'apps/launcher/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
