// Lint: typescript-eslint's type-aware rules (no floating promises: an unawaited activity or signal is
// a bug), no Node built-ins in anything the workflow bundle imports (workflows must stay deterministic),
// and no cluster access from the CLI (it talks to Temporal only; workers reach the clusters).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.run/', 'dist/', 'test/fixtures/', 'localcluster/kube/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto', 'http', 'https', 'net'],
              message: 'workflow code must not use Node built-ins (determinism)',
            },
            {
              group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client', '@kubernetes/client-node'],
              message: 'workflow code only imports @temporalio/workflow and @temporalio/common',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/activities/kube/**',
                '**/activities/replace/**',
                '**/activities/record/**',
                '**/activities/templates.js',
                '**/activities/index.js',
                '**/activities/deps.js',
                '@kubernetes/client-node',
              ],
              message:
                'the CLI talks to Temporal only: what needs a cluster or its record runs on a worker (workflows/upgrade-plan)',
            },
          ],
        },
      ],
    },
  },
);
