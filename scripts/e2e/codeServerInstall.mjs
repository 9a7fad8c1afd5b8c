// Installs code-server into .e2e/code-server/ and the Debian packages its install builds against,
// and nothing else: the demo's setup (`npm run demo` serves VS Code to the person's own browser, so
// it installs no browser). The tests' setup (setup.mjs) adds Chromium and a CJK font on top.
// The install works with the npm registry and Debian's apt as the only reachable hosts; each
// workaround is explained where it is made, and docs/dependencies.md has the whole story.
// Idempotent: when everything is in place it only checks, in well under a second.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CODE_SERVER_VERSION,
  codeServerDir,
  codeServerEntry,
  codeServerMarker,
  codeServerPackageDir,
  e2eDir,
} from './paths.mjs';

/**
 * What code-server's own install needs from Debian: the headers the `kerberos` module builds
 * against, and the `rg` we seed @vscode/ripgrep's download cache with (GitHub is not reachable).
 */
export const CODE_SERVER_DEBIAN_PACKAGES = ['libkrb5-dev', 'ripgrep'];

export class InstallError extends Error {}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw new InstallError(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new InstallError(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function missingDebianPackages(packages) {
  return packages.filter((pkg) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

/**
 * Installs the missing ones of `packages` with apt-get (as root; otherwise says which command to run).
 * @param {string[]} packages
 * @param {(msg: string) => void} log
 */
export function ensureDebianPackages(packages, log) {
  const missing = missingDebianPackages(packages);
  if (missing.length === 0) {
    log(`Debian packages present: ${packages.join(', ')}`);
    return;
  }
  if (!isRoot()) {
    throw new InstallError(`missing Debian packages: ${missing.join(' ')} (run: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log('apt-get update');
  run('apt-get', ['update', '-qq'], { env });
  log(`apt-get install -y ${missing.join(' ')}`);
  run('apt-get', ['install', '-y', '-qq', ...missing], { env });
  const still = missingDebianPackages(packages);
  if (still.length > 0) throw new InstallError(`apt-get did not install: ${still.join(' ')}`);
}

/** Reads one file out of an npm tarball without unpacking the rest. */
function readFromTarball(tarball, member) {
  return execFileSync('tar', ['-xzOf', tarball, member], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function npmPack(spec, dest, env) {
  const out = execFileSync('npm', ['pack', spec, '--pack-destination', dest, '--json', '--silent'], { encoding: 'utf8', env });
  return path.join(dest, JSON.parse(out)[0].filename);
}

/** @vscode/ripgrep's arch names (lib/postinstall.js getTarget) for the Linux arches we run on. */
const RIPGREP_LINUX_TARGETS = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' };

/**
 * @vscode/ripgrep's postinstall downloads rg from GitHub unless
 * `$TMPDIR/vscode-ripgrep-cache-<package version>/ripgrep-<VERSION>-<target>.tar.gz` exists.
 * Both parts of that name are read from the exact versions code-server pins, not assumed.
 */
function seedRipgrepCache(codeServerTarball, tmpDir, env, log) {
  const shrinkwrap = JSON.parse(readFromTarball(codeServerTarball, 'package/lib/vscode/npm-shrinkwrap.json'));
  const rgPackageVersion = shrinkwrap.packages?.['node_modules/@vscode/ripgrep']?.version;
  if (!rgPackageVersion) throw new InstallError('code-server does not pin @vscode/ripgrep any more; revisit seedRipgrepCache');
  const rgTarball = npmPack(`@vscode/ripgrep@${rgPackageVersion}`, tmpDir, env);
  const postinstall = readFromTarball(rgTarball, 'package/lib/postinstall.js');
  const rgVersion = /const VERSION = '([^']+)'/.exec(postinstall)?.[1];
  const target = RIPGREP_LINUX_TARGETS[os.arch()];
  if (!rgVersion || !target) throw new InstallError(`cannot tell which ripgrep asset @vscode/ripgrep@${rgPackageVersion} wants on ${os.arch()}`);
  const cacheDir = path.join(tmpDir, `vscode-ripgrep-cache-${rgPackageVersion}`);
  const asset = path.join(cacheDir, `ripgrep-${rgVersion}-${target}.tar.gz`);
  mkdirSync(cacheDir, { recursive: true });
  const rg = execFileSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).trim();
  // A tar.gz holding just `rg`, as the GitHub asset does.
  run('tar', ['-czf', asset, '-C', path.dirname(rg), path.basename(rg)]);
  log(`seeded ${path.relative(e2eDir, asset)} with ${rg}`);
}

function checkCodeServerInstall() {
  const vscodeModules = path.join(codeServerPackageDir, 'lib', 'vscode', 'node_modules');
  const required = [
    codeServerEntry,
    path.join(vscodeModules, '@vscode', 'ripgrep', 'bin', 'rg'),
    path.join(vscodeModules, 'node-pty', 'build', 'Release', 'pty.node'),
    path.join(vscodeModules, 'kerberos', 'build', 'Release', 'kerberos.node'),
  ];
  const absent = required.filter((f) => !existsSync(f));
  if (absent.length > 0) throw new InstallError(`code-server install is incomplete, missing: ${absent.join(', ')}`);
  // Even --version writes a default config (with a password) under XDG_CONFIG_HOME; keep it in .e2e.
  const home = path.join(e2eDir, 'tmp', 'version-check');
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data') };
  const r = spawnSync(process.execPath, [codeServerEntry, '--version'], { encoding: 'utf8', timeout: 60_000, env });
  const line = r.stdout?.split('\n').find((l) => l.startsWith(`${CODE_SERVER_VERSION} `));
  if (r.status !== 0 || !line) throw new InstallError(`code-server --version failed: ${r.stdout}${r.stderr}`);
  return line;
}

/**
 * Installs code-server into .e2e/code-server/ unless the marker of a finished, checked install is there.
 * @param {(msg: string) => void} log
 */
export function ensureCodeServer(log) {
  if (existsSync(codeServerMarker) && existsSync(codeServerEntry)) {
    log(`code-server ${CODE_SERVER_VERSION} already installed in ${path.relative(process.cwd(), codeServerDir) || '.'}`);
    return;
  }
  log(`installing code-server@${CODE_SERVER_VERSION} into ${codeServerDir} (cold: one to two minutes)`);
  rmSync(codeServerDir, { recursive: true, force: true });
  const tmpDir = path.join(e2eDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  mkdirSync(codeServerDir, { recursive: true });
  writeFileSync(path.join(codeServerDir, 'package.json'), JSON.stringify({ name: 'paramscope-e2e-tools', private: true }, null, 2) + '\n');
  const env = {
    ...process.env,
    // @vscode/ripgrep looks for its download cache under os.tmpdir().
    TMPDIR: tmpDir,
    // node-pty's build runs `npx node-gyp`; without this npx waits for a "y" that never comes.
    npm_config_yes: 'true',
    // code-server's postinstall refuses to run as root without it.
    npm_config_unsafe_perm: 'true',
    // npm >= 11.x blocks dependency install scripts unless approved in allowScripts. code-server's
    // postinstall runs two nested `npm install`s (lib/vscode, lib/vscode/extensions) whose native
    // modules must build; an env setting reaches those nested installs, a package.json entry would not.
    // The tree is fixed by code-server's npm-shrinkwrap.json for this pinned version.
    npm_config_dangerously_allow_all_scripts: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
  log(`npm pack code-server@${CODE_SERVER_VERSION}`);
  const tarball = npmPack(`code-server@${CODE_SERVER_VERSION}`, tmpDir, env);
  seedRipgrepCache(tarball, tmpDir, env, log);
  log('npm install (builds node-pty, kerberos, @parcel/watcher, …)');
  run('npm', ['install', '--unsafe-perm', '--no-save', '--loglevel=error', tarball], { cwd: codeServerDir, env });
  const version = checkCodeServerInstall();
  writeFileSync(codeServerMarker, `${version}\n`);
  rmSync(tmpDir, { recursive: true, force: true });
  log(`code-server ${version} installed`);
}

