// Bundles the headless CLI and the extension (later also the webview and workers) with esbuild.
import { build } from 'esbuild';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import initWabt from 'wabt';
import { syncManifest } from './syncManifest.mjs';
import { writeBundles } from './l10nBundles.mjs';

const webview = { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: true, logLevel: 'warning' };
const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };

// package.json and package.nls*.json fields that follow from the format registry, written first.
for (const c of (await syncManifest()).changes) console.log(`build: updated ${c.file} ${c.field} from the format registry`);

await Promise.all([
  build({ ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  build({ ...node, entryPoints: ['src/worker/tensorWorker.ts'], outfile: 'dist/tensorWorker.js' }),
  // Webview pages: browser bundles, one per page.
  build({ ...webview, entryPoints: ['webview/parameterPanel.ts'], outfile: 'dist/webview/parameterPanel.js' }),
  build({ ...webview, entryPoints: ['webview/modelSummary.ts'], outfile: 'dist/webview/modelSummary.js' }),
  build({ ...webview, entryPoints: ['webview/initReport.ts'], outfile: 'dist/webview/initReport.js' }),
  build({ ...webview, entryPoints: ['webview/tiesPanel.ts'], outfile: 'dist/webview/tiesPanel.js' }),
  build({ ...webview, entryPoints: ['webview/diffPanel.ts'], outfile: 'dist/webview/diffPanel.js' }),
  build({ ...webview, entryPoints: ['webview/overview.ts'], outfile: 'dist/webview/overview.js' }),
  build({ ...webview, entryPoints: ['webview/series.ts'], outfile: 'dist/webview/series.js' }),
]);
// uPlot's own stylesheet (its cursor, legend and overlay layout), linked by the overview page
// (webviewHtml's `styles`): a file beside the bundles, as the CSP allows no inline styles.
await copyFile('node_modules/uplot/dist/uPlot.min.css', 'dist/webview/uPlot.min.css');
await chmod('dist/cli.js', 0o755);

// SIMD kernels: hand-written WebAssembly text, assembled from source by wabt (a devDependency) into
// dist/kernels.wasm, which the CLI, the extension and the worker load from beside themselves.
const wabt = await initWabt();
const kernels = wabt.parseWat('kernels.wat', await readFile('src/runtime/wasm/kernels.wat', 'utf8'), { simd: true });
try {
  kernels.validate();
  await mkdir('dist', { recursive: true });
  await writeFile('dist/kernels.wasm', kernels.toBinary({}).buffer);
} finally {
  kernels.destroy();
}

// Translations: the shared bundle and each format folder's, merged into dist/l10n (scripts/l10nBundles.mjs).
writeBundles();
