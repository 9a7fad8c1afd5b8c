import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The core layers never see the editor: they run in the CLI and in workers too. */
const coreMustNotImportVscode = {
  files: ['src/formats/**', 'src/runtime/**', 'src/model/**', 'src/protocol/**', 'src/cli.ts'],
  rules: {
    'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Core layers must not import vscode (see ../shared/STYLE.md).' }] }],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.e2e/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  coreMustNotImportVscode,
);
