// ESLint (flat config) for the TypeScript sources and tests: typescript-eslint's
// recommended rules, without type information so `npm run lint` stays fast. Formatting
// is prettier's (npm run format:check), not a lint rule.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', '.venv-torch/**', '.device/**', 'fixtures/**', 'reports/**', 'bench/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      // Matching control characters is the point where it happens (characters XML forbids).
      'no-control-regex': 'off',
      // Column layouts in expected output read best with their spaces as printed.
      'no-regex-spaces': 'off',
      // `_name` marks a value left unused on purpose (a destructured field dropped, say).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
