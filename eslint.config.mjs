import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The core layers never see the editor: they run in the CLI and in workers too. */
const coreMustNotImportVscode = {
  files: ['src/formats/**', 'src/runtime/**', 'src/model/**', 'src/protocol/**', 'src/cli.ts', 'src/cliStats.ts', 'src/cliDiff.ts'],
  rules: {
    'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Core layers must not import vscode (see docs/architecture.md).' }] }],
  },
};

/** The ground floor imports nothing of ours, nor vscode: every layer may import it. */
const coreImportsNothing = {
  files: ['src/core/**'],
  rules: {
    'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core imports nothing (see docs/architecture.md).' }], patterns: [{ regex: '^\\.\\./', message: 'src/core imports nothing of the other layers.' }] }],
  },
};

/** The webview sees only the protocol: it runs in a browser sandbox, not in Node. */
const webviewImportsOnlyProtocol = {
  files: ['webview/**'],
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./src/(?!protocol/)', message: 'The webview may import only src/protocol.' }, { regex: '^(node:|vscode$)', message: 'No Node or vscode in the webview.' }] }],
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
  coreImportsNothing,
  webviewImportsOnlyProtocol,
);
