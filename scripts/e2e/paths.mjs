// Where the e2e tools live and which versions they are. Shared by setup, the runners and the demo.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Tools folder, ignored by git: one code-server install per machine, one folder per run. */
export const e2eDir = path.join(repoRoot, '.e2e');
export const runsDir = path.join(e2eDir, 'runs');
export const codeServerDir = path.join(e2eDir, 'code-server');

/** Last code-server whose engines.node accepts node 20 (VS Code 1.100.3); see docs/dependencies.md. */
export const CODE_SERVER_VERSION = '4.100.3';
export const codeServerPackageDir = path.join(codeServerDir, 'node_modules', 'code-server');
export const codeServerEntry = path.join(codeServerPackageDir, 'out', 'node', 'entry.js');
/** Written last by setup, so its presence means the install finished and was checked. */
export const codeServerMarker = path.join(codeServerDir, `.installed-${CODE_SERVER_VERSION}`);

/** Debian's Chromium; playwright-core drives it, so no browser download is needed. */
export const chromiumPath = '/usr/bin/chromium';

export const testResultsDir = path.join(repoRoot, 'test-results');
/** Torch-made sample models; tests and the demo open copies of them. */
export const fixtureModelsDir = path.join(repoRoot, 'test', 'fixtures', 'models');

export const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
export const extensionId = `${manifest.publisher}.${manifest.name}`;
export const vsixPath = process.env.PARAMSCOPE_VSIX
  ? path.resolve(process.env.PARAMSCOPE_VSIX)
  : path.join(repoRoot, `${manifest.name}-${manifest.version}.vsix`);
