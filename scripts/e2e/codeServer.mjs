// Starts and stops a real VS Code (code-server) for tests and the demo. Each run gets its own
// folder under .e2e/runs/<id>/ holding extensions, XDG dirs, logs and workspaces, plus a short
// folder under /tmp for what holds unix sockets (user data, TMPDIR, the Chromium profile), so runs
// never share state with each other or with the machine's $HOME, from any checkout path.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CODE_SERVER_VERSION, codeServerEntry, codeServerMarker, runsDir } from './paths.mjs';

/** Runs kept for post-mortems; older run folders are deleted when a new run starts. */
const KEEP_RUNS = 6;
/** /healthz answers in about 1 s on a warm machine; this leaves room for a loaded CI box. */
const HEALTH_TIMEOUT_MS = 60_000;
/** Time between SIGTERM and SIGKILL of the server's process group. */
const STOP_GRACE_MS = 5_000;

const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  // Test and demo workspaces live inside this repo's work tree; don't offer to open its git repo.
  'git.openRepositoryInParentFolders': 'never',
};

export function assertCodeServerInstalled() {
  if (!existsSync(codeServerMarker) || !existsSync(codeServerEntry)) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed; run: npm run e2e:setup`);
  }
}

/** Fails if something already listens on host:port (it could answer our /healthz probe). */
function assertPortFree(host, port) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err) => reject(new Error(`${host}:${port} is not free (${err.code})`)));
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

/** Asks the kernel for a free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Names the run's short folder for sockets (see createRun). */
const SOCKET_DIR_FILE = 'socket-dir.txt';

/** `/tmp` where it exists (short whatever TMPDIR says), else the system's temporary directory. */
function shortTmpBase() {
  try {
    if (process.platform !== 'win32' && statSync('/tmp').isDirectory()) return '/tmp';
  } catch {
    // no /tmp
  }
  return os.tmpdir();
}

function pruneOldRuns() {
  if (!existsSync(runsDir)) return;
  const runs = readdirSync(runsDir)
    .map((name) => ({ name, mtime: statSync(path.join(runsDir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { name } of runs.slice(KEEP_RUNS - 1)) {
    const dir = path.join(runsDir, name);
    if (ownerAlive(dir)) continue;
    try {
      rmSync(readFileSync(path.join(dir, SOCKET_DIR_FILE), 'utf8'), { recursive: true, force: true });
    } catch {
      // an older run without a short folder
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A run folder still in use (e.g. a demo left running) names a live process in owner.pid. */
function ownerAlive(dir) {
  try {
    process.kill(Number(readFileSync(path.join(dir, 'owner.pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** Makes a fresh run folder and the environment every code-server process of this run uses. */
export function createRun(name, settings = {}) {
  pruneOldRuns();
  const id = `${name}-${Date.now().toString(36)}-${process.pid}`;
  const runDir = path.join(runsDir, id);
  // Unix socket paths max out at 107 bytes (sun_path): code-server's IPC sockets live in the
  // user-data dir and TMPDIR, Chromium's SingletonSocket in TMPDIR. A checkout a few folders deep
  // would pass that limit inside runDir, so those folders go under a short temporary directory
  // (linked from runDir for inspection) and are removed with the run.
  const socketDir = mkdtempSync(path.join(shortTmpBase(), 'ps-'));
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, SOCKET_DIR_FILE), socketDir);
  const dirs = {
    runDir,
    userDataDir: path.join(socketDir, 'ud'),
    extensionsDir: path.join(runDir, 'exts'),
    tmpDir: path.join(socketDir, 'tmp'),
    profileDir: path.join(socketDir, 'chromium'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(runDir, 'owner.pid'), String(process.pid));
  symlinkSync(socketDir, path.join(runDir, 'short'));
  mkdirSync(path.join(dirs.userDataDir, 'User'), { recursive: true });
  writeFileSync(path.join(dirs.userDataDir, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2));
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(runDir, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg', 'data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg', 'cache'),
    TMPDIR: dirs.tmpDir,
  };
  // code-server would otherwise read a password or a bind address from these.
  for (const k of ['PASSWORD', 'HASHED_PASSWORD', 'PORT', 'VSCODE_PROXY_URI', 'CODE_SERVER_CONFIG']) delete env[k];
  return { ...dirs, env };
}

/**
 * Makes `locale` a display language VS Code will switch to. VS Code takes `--locale` only when a
 * language pack for it is registered in `<user-data-dir>/languagepacks.json` (vs/base/node/nls.ts,
 * resolveNLSConfiguration); otherwise it stays English and so do extensions' l10n bundles. Microsoft's
 * packs come from a marketplace this machine cannot reach, so tests register an empty one: the
 * workbench's own strings stay English (every message falls back to the default), while
 * `vscode.env.language` becomes `locale` and extensions load their `bundle.l10n.<locale>.json` and
 * `package.nls.<locale>.json`, which is what our localization tests need.
 */
export function registerDisplayLanguage(run, locale) {
  const translations = path.join(run.userDataDir, `empty-language-pack.${locale}.json`);
  writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  const packs = { [locale]: { hash: `paramscope-test-${locale}`, label: locale, extensions: [{ extensionIdentifier: { id: `paramscope-test.language-pack-${locale}` }, version: '0.0.1' }], translations: { vscode: translations } } };
  writeFileSync(path.join(run.userDataDir, 'languagepacks.json'), JSON.stringify(packs));
}

/** Installs a packaged extension into the run's extensions dir (works before or after start). */
export function installVsix(vsixPath, run) {
  if (!existsSync(vsixPath)) throw new Error(`${vsixPath} not found; run: npm run package`);
  const r = spawnSync(
    process.execPath,
    [codeServerEntry, '--user-data-dir', run.userDataDir, '--extensions-dir', run.extensionsDir, '--install-extension', vsixPath, '--force'],
    { encoding: 'utf8', env: run.env, timeout: 120_000 },
  );
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout)) {
    throw new Error(`installing ${vsixPath} failed (${r.status ?? r.error?.message}):\n${r.stdout}${r.stderr}`);
  }
}

async function waitHealthy(url, child, logPath) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${tail(logPath)}`);
    }
    try {
      const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server not healthy after ${HEALTH_TIMEOUT_MS} ms:\n${tail(logPath)}`);
}

export function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts code-server in its own process group (so stop() also ends the extension host it spawns)
 * and resolves once /healthz answers.
 * @param {{ name?: string, run?: ReturnType<typeof createRun>, port?: number, host?: string,
 *           settings?: object, vsix?: string[], env?: Record<string,string>,
 *           handleSignals?: boolean, locale?: string }} [opts] handleSignals: false when the caller handles
 *           SIGINT/SIGTERM/SIGHUP itself and calls stop(); locale: display language (`zh-cn`).
 */
export async function startCodeServer(opts = {}) {
  assertCodeServerInstalled();
  const run = opts.run ?? createRun(opts.name ?? 'run', opts.settings);
  if (opts.locale && !opts.locale.startsWith('en')) registerDisplayLanguage(run, opts.locale);
  for (const v of opts.vsix ?? []) installVsix(v, run);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort());
  if (opts.port) await assertPortFree(host, port);
  const logPath = path.join(run.runDir, 'code-server.log');
  const logStream = createWriteStream(logPath);
  const args = [
    codeServerEntry,
    '--user-data-dir', run.userDataDir,
    '--extensions-dir', run.extensionsDir,
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...(opts.locale ? ['--locale', opts.locale] : []),
  ];
  const child = spawn(process.execPath, args, {
    detached: true, // setsid: the child leads a new process group
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...run.env, ...opts.env },
  });
  child.stdout.pipe(logStream);
  child.stderr.pipe(logStream);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  let stopped = false;
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // group already gone
    }
  };
  // If this process dies without calling stop(), do not leave a server behind.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  // The server is in its own process group, so a Ctrl-C in the terminal does not reach it; and node
  // skips 'exit' handlers when a signal kills it. Turn signals into a normal exit.
  if (opts.handleSignals ?? true) {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      if (process.listenerCount(sig) === 0) process.once(sig, () => process.exit(128 + os.constants.signals[sig]));
    }
  }

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    killGroup('SIGTERM');
    let timer;
    const grace = new Promise((r) => {
      timer = setTimeout(r, STOP_GRACE_MS, 'timeout');
    });
    if ((await Promise.race([exited, grace])) === 'timeout') killGroup('SIGKILL');
    clearTimeout(timer);
    // The extension host may outlive the server by a moment; the group kill reaches it too.
    killGroup('SIGKILL');
    logStream.end();
  };

  const url = `http://${host}:${port}/`;
  try {
    await waitHealthy(url, child, logPath);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...run, url, port, host, pid: child.pid, logPath, stop, installVsix: (v) => installVsix(v, run), exited };
}

/** `/?folder=…` URL of the workbench for a folder, optionally with a workbench `payload`. */
export function workbenchUrl(server, folder, payload) {
  const u = new URL(server.url);
  u.searchParams.set('folder', folder);
  if (payload) u.searchParams.set('payload', JSON.stringify(payload));
  return u.toString();
}

/**
 * The remote authority the workbench uses in vscode-remote:// URIs (literally "remote" in
 * 4.100.3), read from the page's `vscode-workbench-web-configuration` meta element.
 */
export async function remoteAuthority(server) {
  const res = await fetch(server.url, { signal: AbortSignal.timeout(10_000) });
  const html = await res.text();
  const m = /id="vscode-workbench-web-configuration"\s+data-settings="([^"]*)"/.exec(html);
  if (!m) throw new Error('workbench page has no vscode-workbench-web-configuration meta');
  const json = m[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const authority = JSON.parse(json).remoteAuthority;
  if (!authority) throw new Error('workbench configuration has no remoteAuthority');
  return authority;
}

export const CODE_SERVER_LABEL = `code-server ${CODE_SERVER_VERSION}`;
