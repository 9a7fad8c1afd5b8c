// Installs what the tests need, once per machine: what code-server's install needs and
// code-server itself (codeServerInstall.mjs, shared with the demo), plus Chromium and a CJK font
// for the e2e tests, and Debian's onnx test models for the ONNX reader's unit test. `npm test`
// runs it before the unit tests.
// Idempotent: when everything is in place it only checks, in well under a second.
// The install works with the npm registry and Debian's apt as the only reachable hosts; each
// workaround is explained in codeServerInstall.mjs and docs/dependencies.md.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CODE_SERVER_DEBIAN_PACKAGES, ensureCodeServer, ensureDebianPackages, InstallError } from './codeServerInstall.mjs';
import { chromiumPath } from './paths.mjs';

/**
 * Debian packages: code-server's (kerberos' build headers, the rg we seed @vscode/ripgrep with),
 * the browser, a CJK font (WenQuanYi Micro Hei, 1.6 MB) so the zh-cn UI test's screenshots
 * show Chinese, not boxes, and libonnx-testdata (onnx's own 1,072 test models, 21 MB: real ONNX
 * files from other exporters that test/unit/onnxBad.test.ts opens), and Debian's PyTorch and
 * NumPy for /usr/bin/python3: tests make big models with torch at test time (the overview's
 * GPT-2-sized checkpoint, the GPT-2 embedding heatmap) and check conversions with torch.load.
 * A fresh machine has neither.
 */
const DEBIAN_PACKAGES = [...CODE_SERVER_DEBIAN_PACKAGES, 'chromium', 'fonts-wqy-microhei', 'libonnx-testdata', 'python3-torch', 'python3-numpy'];

const started = Date.now();
const log = (msg) => console.log(`e2e-setup [${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

export async function setup() {
  ensureDebianPackages(DEBIAN_PACKAGES, log);
  if (!existsSync(chromiumPath)) throw new InstallError(`${chromiumPath} not found although the chromium package is installed`);
  ensureCodeServer(log);
  log('ready');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await setup();
  } catch (err) {
    console.error(`e2e-setup: ${err instanceof InstallError ? err.message : err.stack}`);
    process.exit(1);
  }
}
