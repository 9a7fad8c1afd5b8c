// Compiles the tests that run outside vitest: test/integration/*.ts (loaded by the extension host)
// into out/integration/ and test/e2e/*.ts (loaded by scripts/e2e/runUi.mjs) into out/e2e/.
// Separate from scripts/build.mjs so the shipped bundle never depends on test code.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.mjs';

const common = {
  absWorkingDir: repoRoot,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
  // Resolved at run time: vscode by the extension host; mocha must be the same instance in the
  // index and in the test files (its suite/test exports delegate to the running instance).
  external: ['vscode', 'mocha', 'playwright-core'],
};

for (const dir of ['integration', 'e2e']) {
  rmSync(path.join(repoRoot, 'out', dir), { recursive: true, force: true });
}
await Promise.all([
  build({ ...common, entryPoints: ['test/integration/*.ts'], outdir: 'out/integration' }),
  build({ ...common, entryPoints: ['test/e2e/*.ts'], outdir: 'out/e2e' }),
]);
