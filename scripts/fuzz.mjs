// `npm run fuzz -- --minutes 30` (or --seconds N, --seed N, --random, --max N): bundles the fuzzer
// (test/fuzz/) with esbuild and runs it from the repository root. See docs/security.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(path.join(tmpdir(), 'paramscope-fuzz-bundle-'));
try {
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', absWorkingDir: root };
  await build({ ...common, entryPoints: ['test/fuzz/fuzzMain.ts'], outfile: path.join(out, 'fuzzMain.js') });
  await build({ ...common, entryPoints: ['test/fuzz/fuzzChild.ts'], outfile: path.join(out, 'fuzzChild.js') });
  const r = spawnSync(process.execPath, [path.join(out, 'fuzzMain.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
