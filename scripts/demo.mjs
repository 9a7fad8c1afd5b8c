// `npm run demo`: a real VS Code (code-server) with the packaged ParamScope installed, on
// demo/workspace/ (parameters.py, committed, and models/, copied here from test/fixtures/models/
// on every run). Prints the URL to open and stays in the foreground until Ctrl-C, then stops the
// server's whole process group.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createRun, startCodeServer } from './e2e/codeServer.mjs';
import { repoRoot, vsixPath } from './e2e/paths.mjs';
import { setup } from './e2e/setup.mjs';
import { copyFixtureModels } from './e2e/workspace.mjs';

const PORT = Number(process.env.PORT ?? 8080);
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
/** DEMO_LOCALE=zh-cn shows ParamScope in Simplified Chinese (see registerDisplayLanguage). */
const LOCALE = process.env.DEMO_LOCALE;

const say = (msg) => console.log(`demo: ${msg}`);

function npmRun(script) {
  say(`npm run ${script}`);
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run ${script} failed`);
}

try {
  await setup();
  npmRun('build');
  npmRun('package');
  copyFixtureModels(path.join(workspace, 'models'), SAMPLE_MODELS);
  say(`copied ${SAMPLE_MODELS.length} sample models to ${path.relative(repoRoot, workspace)}/models/`);
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
  console.log(`ParamScope demo: open ${server.url}?folder=${encodeURI(workspace)}`);
  say('Ctrl-C to stop');
} catch (err) {
  console.error(`demo: ${err.message}`);
  process.exit(1);
}
