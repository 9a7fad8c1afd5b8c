import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

/** The CLI as shipped: bundled by esbuild into a temporary folder; returns the bundle's path. */
export async function bundleCli(): Promise<string> {
  const cli = join(mkdtempSync(join(tmpdir(), 'paramscope-cli-')), 'cli.js');
  await build({ entryPoints: [join(__dirname, '../../src/cli.ts')], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  return cli;
}

/** Runs the bundled CLI with `args` in its own node process. */
export function runCli(cli: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
