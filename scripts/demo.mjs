// `npm run demo`: a real VS Code (code-server) with the packaged ParamScope installed, on
// demo/workspace/ (parameters.py, committed, and models/, copied here from test/fixtures/models/
// on every run). Prints the URL to open in your own browser and stays in the foreground until
// Ctrl-C, then stops the server's whole process group. It installs no browser: only code-server
// (into .e2e/, once) and the two Debian packages its install builds with (see codeServerInstall.mjs).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CODE_SERVER_DEBIAN_PACKAGES, ensureCodeServer, ensureDebianPackages } from './e2e/codeServerInstall.mjs';
import { createRun, startCodeServer } from './e2e/codeServer.mjs';
import { repoRoot, vsixPath } from './e2e/paths.mjs';
import { copyFixtureModels } from './e2e/workspace.mjs';

const DEFAULT_PORT = 8080;
/** `PORT=9000 npm run demo` serves on another port (code-server itself never sees PORT: createRun drops it). */
const PORT = process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT;
const HOST = '127.0.0.1';
const workspace = path.join(repoRoot, 'demo', 'workspace');
/** The d2l models and the file kinds ParamScope reads; the hostile and broken ones stay out. */
const SAMPLE_MODELS = [
  'net.pt', 'net.safetensors', 'net.state_dict.pt', 'net.legacy.pt',
  'rgnet.pt', 'rgnet.safetensors', 'shared.pt', 'shared.safetensors',
  'convnet.pt', 'mlp.pt', 'net_xavier.safetensors', 'net_myinit.safetensors',
  'checkpoint.pt', 'dtypes.safetensors', 'big.safetensors', 'sharded',
  // A fine-tuning pair for "Compare Two Models…" (before.pt against after.safetensors).
  'diff',
];
/**
 * Other formats' samples, each in its own folder of models/: GGUF (made by ggml and llama.cpp's
 * gguf-py: the tiny llama as Q8_0/F16 and a Q4_K mix beside the safetensors it was converted
 * from, for the summary's metadata and "Compare Two Models…" as quantization error) and NumPy
 * (np.save / np.savez / np.savez_compressed, including the d2l book's File I/O examples).
 */
const FORMAT_SAMPLES = {
  gguf: { from: 'test/fixtures/gguf', files: ['tiny-llama.gguf', 'tiny-llama.q4_k.gguf', 'tiny-llama.safetensors'] },
  numpy: { from: 'test/fixtures/numpy', files: ['x-file.npy', 'x-files.npy', 'mydict.npz', 'state.npz', 'compressed.npz'] },
};
/** DEMO_LOCALE=zh-cn shows ParamScope in Simplified Chinese (see registerDisplayLanguage). */
const LOCALE = process.env.DEMO_LOCALE;

const started = Date.now();
const say = (msg) => console.log(`demo [${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

function npmRun(script) {
  say(`npm run ${script}`);
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run ${script} failed`);
}

try {
  if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) throw new Error(`PORT=${process.env.PORT} is not a port number (1–65535)`);
  ensureDebianPackages(CODE_SERVER_DEBIAN_PACKAGES, say);
  ensureCodeServer(say);
  // vsce runs `vscode:prepublish` (npm run build) before it packages.
  npmRun('package');
  copyFixtureModels(path.join(workspace, 'models'), SAMPLE_MODELS);
  let copied = SAMPLE_MODELS.length;
  for (const [folder, { from, files }] of Object.entries(FORMAT_SAMPLES)) {
    mkdirSync(path.join(workspace, 'models', folder), { recursive: true });
    for (const f of files) cpSync(path.join(repoRoot, from, f), path.join(workspace, 'models', folder, f));
    copied += files.length;
  }
  say(`copied ${copied} sample models to ${path.relative(repoRoot, workspace)}/models/`);
  const run = createRun('demo');
  const server = await startCodeServer({ run, vsix: [vsixPath], host: HOST, port: PORT, handleSignals: false, locale: LOCALE }).catch((err) => {
    throw new Error(`could not start code-server on ${HOST}:${PORT} (set PORT to use another port): ${err.message}`);
  });
  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    say(`${why}; stopping code-server`);
    await server.stop();
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stop(sig));
  server.exited.then((code) => {
    if (stopping) return;
    console.error(`demo: code-server exited (${code}); log: ${path.relative(repoRoot, server.logPath)}`);
    process.exit(1);
  });
  say('ready');
  console.log(`ParamScope demo: open ${server.url}?folder=${encodeURI(workspace)}`);
  say(`Ctrl-C to stop (listening on ${HOST} only; from another machine forward the port: ssh -L ${PORT}:${HOST}:${PORT} …)`);
} catch (err) {
  console.error(`demo: ${err.message}`);
  process.exit(1);
}
