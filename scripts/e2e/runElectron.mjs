// The ecosystem's standard route: @vscode/test-electron downloads VS Code and runs the same
// test/integration suite in its extension host. It needs access to Microsoft's update servers
// (it fails at once with ENOTFOUND without them) and, on a Linux box without a display, xvfb-run.
// CI here uses scripts/e2e/runIntegration.mjs (code-server + Chromium) instead.
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { e2eDir, repoRoot } from './paths.mjs';
import { RESULTS_ENV, integrationResultsPath, printResults } from './results.mjs';
import { copyFixtureModels } from './workspace.mjs';

/** Same VS Code as code-server 4.100.3, so both routes test one version; override to try others. */
const VSCODE_VERSION = process.env.VSCODE_VERSION ?? '1.100.3';

rmSync(integrationResultsPath, { force: true });
const workspace = copyFixtureModels(path.join(os.tmpdir(), `paramscope-electron-${process.pid}`, 'workspace'));
let code;
try {
  code = await runTests({
    version: VSCODE_VERSION,
    cachePath: path.join(e2eDir, 'vscode-test'), // downloads stay in the git-ignored tools folder
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(repoRoot, 'out', 'integration', 'index.js'),
    extensionTestsEnv: { [RESULTS_ENV]: integrationResultsPath },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
} catch (err) {
  console.error(`electron: ${err.message ?? err}`);
  code = 1;
} finally {
  rmSync(path.dirname(workspace), { recursive: true, force: true });
}
process.exit(printResults(code));
