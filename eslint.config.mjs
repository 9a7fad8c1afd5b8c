import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * One import rule per floor (docs/architecture.md, "Layers"): each folder names the folders of ours
 * it may not import; `vscode` only in views, commands and extension.ts.
 */
const noVscode = { name: 'vscode', message: 'Only src/views, src/commands and src/extension.ts see vscode (see docs/architecture.md).' };
const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { paths: [noVscode], patterns: forbidden.length ? [{ regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`, message: why }] : [] }],
  },
});
const floors = [
  layer(['src/core/**'], ['runtime', 'formats', 'model', 'protocol', 'worker', 'views', 'commands', 'cli\\w*', 'extension'], 'src/core is the ground floor: it imports nothing of ours.'),
  layer(['src/protocol/**'], ['runtime', 'formats', 'model', 'worker', 'views', 'commands', 'cli\\w*', 'extension'], 'src/protocol sees only src/core.'),
  layer(['src/runtime/**'], ['formats', 'model', 'worker', 'views', 'commands', 'cli\\w*', 'extension'], 'src/runtime sees only src/core and src/protocol.'),
  layer(['src/formats/**'], ['model', 'protocol', 'worker', 'views', 'commands', 'cli\\w*', 'extension'], 'A format reader sees only src/core and src/runtime.'),
  layer(['src/model/**'], ['worker', 'views', 'commands', 'cli\\w*', 'extension'], 'src/model sees src/core, src/runtime, src/formats and src/protocol.'),
  layer(['src/worker/**'], ['views', 'commands', 'cli\\w*', 'extension'], 'The worker is an application root beside the CLI: no views, commands or editor.'),
  layer(['src/cli*.ts'], ['views', 'commands', 'worker', 'extension'], 'The CLI is an application root: no views, commands or editor.'),
];
/** core: not even a sibling folder's files (it has none), only its own. */
const coreImportsNothing = {
  files: ['src/core/**'],
  rules: {
    'no-restricted-imports': ['error', { paths: [noVscode], patterns: [{ regex: '^\\.\\./', message: 'src/core imports nothing of the other layers.' }] }],
  },
};

/** The webview sees only the protocol (and the ground floor): it runs in a browser sandbox, not in Node. */
const webviewImportsOnlyProtocol = {
  files: ['webview/**'],
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./src/(?!protocol/|core/)', message: 'The webview may import only src/protocol and src/core.' }, { regex: '^(node:|vscode$)', message: 'No Node or vscode in the webview.' }] }],
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
  ...floors,
  coreImportsNothing,
  webviewImportsOnlyProtocol,
);
