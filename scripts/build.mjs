// Bundles the headless CLI and the extension (later also the webview and workers) with esbuild.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };

await Promise.all([
  build({ ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
]);
await chmod('dist/cli.js', 0o755);
